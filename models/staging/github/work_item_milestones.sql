-- Each GitHub issue's current milestone (GitHub allows one), in the canonical shape of
-- staging.work_item_milestones.
SELECT source || ':' || id AS work_item_id, source || ':' || (data ->> '$.milestone.id') AS milestone_id
FROM raw.github_issues
WHERE deleted_at IS NULL AND data ->> '$.milestone.id' IS NOT NULL
