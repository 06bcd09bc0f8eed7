-- Status history of every work item: one row per interval in which the item had one status;
-- the current interval has no end. Rebuilt from tracker history (GitHub issue events, Jira
-- changelogs), starting with the status an item was created in.
--
-- columns:
--   work_item_id: The work item (marts.work_items).
--   status: The tracker's status name during the interval.
--   status_category: todo, in_progress or done.
--   valid_from: When the item entered this status (UTC).
--   valid_to: When it left it (UTC); null for the current status.
SELECT
    work_item_id,
    status,
    status_category,
    changed_at AS valid_from,
    lead(changed_at) OVER (PARTITION BY work_item_id ORDER BY changed_at) AS valid_to
FROM intermediate.status_changes
