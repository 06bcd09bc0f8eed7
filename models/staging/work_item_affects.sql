-- Every version a defect says it affects, one row per work item and milestone: the tracker's own
-- attribution of a bug to a release (Jira "affects versions"). Trackers without such a field
-- (GitHub) contribute nothing, and their defects are attributed by the release window instead.
--
-- Canonical columns of staging.work_item_affects (see work_items.sql for how unions work).
--
-- columns:
--   work_item_id: The work item (staging.work_items).
--   milestone_id: A milestone the item affects; it may name one that is not synced (see
--     staging.milestones).
SELECT
    NULL::VARCHAR AS work_item_id,
    NULL::VARCHAR AS milestone_id
WHERE false
