-- What each work item was, for delivery, in every interval of its status history up to the run's
-- as_of: open, done (delivered) or dropped (closed as not_planned or duplicate). The basis of the
-- figures rebuilt from history rather than from the current state: the burn-up, the weekly WIP,
-- backlog and open bugs, and work reopened after a release.
--
-- Trackers keep no history of a resolution (GitHub has only the current state_reason), so the
-- current resolution decides the current interval, exactly as marts.project_completion judges the
-- item: not_planned or duplicate → dropped, done and completed → done, anything else → open. An
-- earlier done interval (the item was reopened since) counts as done. Changes after as_of are
-- left out: an interval still running at as_of has no end.
--
-- columns:
--   work_item_id: The work item.
--   valid_from: When the item entered the status (UTC).
--   valid_to: When it left it (UTC); null when it was still in it at as_of.
--   status_category: todo, in_progress or done.
--   state: dropped (current interval of an item closed as not_planned or duplicate), done (closed as
--     completed, or an earlier done interval) or open.
--   is_reopen: The interval starts with the item leaving done: a reopening.
WITH intervals AS (
    SELECT
        work_item_id,
        changed_at AS valid_from,
        lead(changed_at) OVER by_time AS valid_to,
        status_category,
        lag(status_category) OVER by_time AS previous_category
    FROM intermediate.status_changes
    WINDOW by_time AS (PARTITION BY work_item_id ORDER BY changed_at)
)
SELECT
    i.work_item_id,
    i.valid_from,
    CASE WHEN i.valid_to <= getvariable('as_of') THEN i.valid_to END AS valid_to,
    i.status_category,
    CASE
        WHEN i.valid_to IS NULL AND w.resolution IN ('not_planned', 'duplicate') THEN 'dropped'
        WHEN i.status_category <> 'done' THEN 'open'
        WHEN i.valid_to IS NULL AND w.resolution IS DISTINCT FROM 'completed' THEN 'open'
        ELSE 'done'
    END AS state,
    coalesce(i.previous_category = 'done' AND i.status_category <> 'done', false) AS is_reopen
FROM intervals AS i
JOIN staging.work_items AS w USING (work_item_id)
WHERE i.valid_from <= getvariable('as_of')
