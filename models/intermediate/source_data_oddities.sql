-- Values the trackers hold that mean nothing, one row per work item and field: negative, NaN or
-- infinite story points, negative estimates or logged time, and a resolution before the item's
-- creation. Real sites hold them (a team's "-1" for "not estimated", an import that dated a
-- resolution before the issue existed). They become null in intermediate.work_item_figures and so
-- in marts.work_items, never reach a sum or ratio, and are listed by the WARN check
-- source_data_oddities: a tracker's value never blocks publishing.
--
-- columns:
--   work_item_id: The work item.
--   source: Name of the configured source.
--   project: Project of the work item.
--   key: Human key of the work item, e.g. 'PAY-12'.
--   field: The field whose value was dropped: story_points, original_estimate_seconds,
--     time_spent_seconds or resolved_at.
--   raw_value: The value as the tracker (or, for resolved_at, its status history) gave it, as text.
WITH reported AS (
    SELECT
        w.work_item_id,
        w.source,
        w.project,
        w.key,
        w.created_at,
        w.story_points,
        w.original_estimate_seconds,
        w.time_spent_seconds,
        l.resolved_at
    FROM staging.work_items AS w
    LEFT JOIN intermediate.work_item_lifecycle AS l USING (work_item_id)
),
odd AS (
    SELECT work_item_id, source, project, key, 'story_points' AS field, format('{:g}', story_points) AS raw_value
    FROM reported
    WHERE story_points < 0 OR isnan(story_points) OR isinf(story_points)
    UNION ALL
    SELECT work_item_id, source, project, key, 'original_estimate_seconds', original_estimate_seconds::VARCHAR
    FROM reported
    WHERE original_estimate_seconds < 0
    UNION ALL
    SELECT work_item_id, source, project, key, 'time_spent_seconds', time_spent_seconds::VARCHAR
    FROM reported
    WHERE time_spent_seconds < 0
    UNION ALL
    SELECT work_item_id, source, project, key, 'resolved_at', strftime(resolved_at, '%Y-%m-%dT%H:%M:%SZ')
    FROM reported
    WHERE resolved_at < created_at
)
SELECT * FROM odd
