-- Jira "affects versions" of every issue, as milestone ids '<source>:version:<id>', in the
-- canonical shape of staging.work_item_affects.
SELECT DISTINCT
    work_item_id,
    source || ':version:' || unnest(affects_version_ids) AS milestone_id
FROM staging.jira__issues
