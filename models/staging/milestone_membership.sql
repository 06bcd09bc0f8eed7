-- Every time a work item joined or left a milestone, from the tracker's history, completed so that
-- it ends in each item's current milestones.
--
-- Canonical columns of staging.milestone_membership (see work_items.sql for how unions work).
-- At most one row per milestone, item and instant.
--
-- columns:
--   milestone_id: The milestone (staging.milestones).
--   work_item_id: The work item (staging.work_items).
--   changed_at: When the item joined or left (UTC).
--   action: added or removed.
SELECT
    NULL::VARCHAR AS milestone_id,
    NULL::VARCHAR AS work_item_id,
    NULL::TIMESTAMPTZ AS changed_at,
    NULL::VARCHAR AS action
WHERE false
