-- Every status each work item entered, with the time it entered it, including its initial status
-- at creation; consecutive rows of one item always differ in status or category.
--
-- Canonical columns of staging.status_changes (see work_items.sql for how unions work).
--
-- columns:
--   work_item_id: The work item (staging.work_items).
--   changed_at: When the item entered this status (UTC).
--   status: The tracker's status name entered.
--   status_category: Category of that status: todo, in_progress or done.
SELECT
    NULL::VARCHAR AS work_item_id,
    NULL::TIMESTAMPTZ AS changed_at,
    NULL::VARCHAR AS status,
    NULL::VARCHAR AS status_category
WHERE false
