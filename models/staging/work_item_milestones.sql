-- The milestones each work item is in now, one row per item and milestone (GitHub: the issue's
-- milestone; Jira: its fix versions and sprints): the state its membership history ends in.
--
-- Canonical columns of staging.work_item_milestones (see work_items.sql for how unions work). A
-- milestone not in staging.milestones is ignored, and so is a repeated row.
--
-- columns:
--   work_item_id: The work item (staging.work_items).
--   milestone_id: A milestone it is in now (staging.milestones).
SELECT
    NULL::VARCHAR AS work_item_id,
    NULL::VARCHAR AS milestone_id
WHERE false
