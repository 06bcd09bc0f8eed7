-- When each work item started and was last resolved, and how often it was reopened, read from its
-- status history.
--
-- columns:
--   work_item_id: The work item.
--   started_at: First entry into in_progress; null if it never was in progress.
--   resolved_at: Last entry into done; null while the item is not done.
--   reopened_count: Transitions from done to a category other than done.
WITH ordered AS (
    SELECT
        work_item_id,
        changed_at,
        status_category,
        lag(status_category) OVER (PARTITION BY work_item_id ORDER BY changed_at) AS previous_category
    FROM staging.status_changes
)
SELECT
    work_item_id,
    min(changed_at) FILTER (WHERE status_category = 'in_progress') AS started_at,
    CASE
        WHEN arg_max(status_category, changed_at) = 'done'
            THEN max(changed_at) FILTER (WHERE status_category = 'done')
    END AS resolved_at,
    count(*) FILTER (WHERE previous_category = 'done' AND status_category <> 'done') AS reopened_count
FROM ordered
GROUP BY work_item_id
