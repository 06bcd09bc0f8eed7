-- The figures of each work item that sums, ratios and durations are made of, cleaned: story
-- points, estimates and logged time from staging.work_items, and started_at, resolved_at and
-- reopened_count from intermediate.work_item_lifecycle, each null where
-- intermediate.source_data_oddities lists it as a value that means nothing. Every model that sums
-- points or estimates or measures a lead time reads them from here.
--
-- columns:
--   work_item_id: The work item.
--   story_points: Story points; null where the tracker has none or holds a meaningless value.
--   original_estimate_seconds: Original estimate in seconds; null without one or when negative.
--   time_spent_seconds: Time logged in seconds; null without worklogs or when negative.
--   started_at: First entry into in_progress; null if it never was in progress.
--   resolved_at: Last move from a not-done category into done; null while not done, or when it would
--     be before the item was created.
--   reopened_count: Transitions from done to a category other than done.
WITH odd AS (
    SELECT
        work_item_id,
        bool_or(field = 'story_points') AS story_points,
        bool_or(field = 'original_estimate_seconds') AS original_estimate_seconds,
        bool_or(field = 'time_spent_seconds') AS time_spent_seconds,
        bool_or(field = 'resolved_at') AS resolved_at
    FROM intermediate.source_data_oddities
    GROUP BY work_item_id
)
SELECT
    w.work_item_id,
    CASE WHEN o.story_points IS NOT TRUE THEN w.story_points END AS story_points,
    CASE WHEN o.original_estimate_seconds IS NOT TRUE THEN w.original_estimate_seconds END AS original_estimate_seconds,
    CASE WHEN o.time_spent_seconds IS NOT TRUE THEN w.time_spent_seconds END AS time_spent_seconds,
    l.started_at,
    CASE WHEN o.resolved_at IS NOT TRUE THEN l.resolved_at END AS resolved_at,
    coalesce(l.reopened_count, 0) AS reopened_count
FROM staging.work_items AS w
LEFT JOIN intermediate.work_item_lifecycle AS l USING (work_item_id)
LEFT JOIN odd AS o USING (work_item_id)
