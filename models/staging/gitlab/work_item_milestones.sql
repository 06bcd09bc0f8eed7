-- Each GitLab issue's current milestone (one: project or group) and iteration (paid tiers), in
-- the canonical shape of staging.work_item_milestones.
SELECT work_item_id, milestone_id FROM staging.gitlab__issues WHERE milestone_id IS NOT NULL
UNION ALL
SELECT work_item_id, iteration_id FROM staging.gitlab__issues WHERE iteration_id IS NOT NULL
