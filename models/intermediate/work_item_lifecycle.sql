-- When each work item started and was last resolved, and how often it was reopened, read from its
-- status history, as the tracker reports them (intermediate.work_item_figures has them cleaned).
--
-- The resolution is the last move from a not-done status category into done. A move between two
-- done statuses is not one: real workflows go Resolved → Closed weeks after the work was done, and
-- a workflow migration can move every closed issue to a new done status on one day. When the
-- history does not show the move (the item's first known status is already done: it was created
-- done, or its history is incomplete), the tracker's own resolution time (staging.work_items
-- closed_at: Jira resolutiondate, GitHub closed_at) is taken, which agrees with the rule when
-- present.
--
-- columns:
--   work_item_id: The work item.
--   started_at: First entry into in_progress; null if it never was in progress.
--   resolved_at: Last move from a not-done category into done (else the tracker's resolution time
--     when the history starts in done); null while the item is not done.
--   reopened_count: Transitions from done to a category other than done.
WITH ordered AS (
    SELECT
        work_item_id,
        changed_at,
        status_category,
        lag(status_category) OVER (PARTITION BY work_item_id ORDER BY changed_at) AS previous_category
    FROM intermediate.status_changes
),
lifecycle AS (
    SELECT
        work_item_id,
        min(changed_at) FILTER (WHERE status_category = 'in_progress') AS started_at,
        arg_max(status_category, changed_at) = 'done' AS is_done,
        max(changed_at) FILTER (WHERE status_category = 'done' AND previous_category <> 'done') AS moved_to_done_at,
        min(changed_at) FILTER (WHERE status_category = 'done' AND previous_category IS NULL) AS created_done_at,
        count(*) FILTER (WHERE previous_category = 'done' AND status_category <> 'done') AS reopened_count
    FROM ordered
    GROUP BY work_item_id
)
SELECT
    l.work_item_id,
    l.started_at,
    CASE WHEN l.is_done THEN coalesce(l.moved_to_done_at, w.closed_at, l.created_done_at) END AS resolved_at,
    l.reopened_count
FROM lifecycle AS l
JOIN staging.work_items AS w USING (work_item_id)
