-- Each Jira issue's current fix versions and sprints, in the canonical shape of
-- staging.work_item_milestones.
SELECT work_item_id, source || ':version:' || unnest(fix_version_ids) AS milestone_id
FROM staging.jira__issues
UNION ALL
SELECT work_item_id, source || ':sprint:' || unnest(sprint_ids)
FROM staging.jira__issues
