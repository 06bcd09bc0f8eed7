-- Every work item that was ever in a milestone, one row per milestone and item: when it joined
-- and left, and whether it was part of the plan (the baseline), added or removed after it, in
-- the scope now and done. The drill-down behind the counts in marts.project_completion.
--
-- columns:
--   milestone_id: The milestone (marts.milestones).
--   work_item_id: The work item (marts.work_items).
--   added_at: First time the item joined the milestone.
--   removed_at: Last time the item left the milestone; null while it is in it.
--   in_baseline: The item was in the milestone at its baseline_at (start, else the later of creation and first join, plus grace)
--     and not already closed as not_planned or duplicate.
--   added_after_baseline: The item entered the scope after baseline_at (counted in added_items).
--   removed_after_baseline: The item left the scope after baseline_at, by removal or by being
--     closed as not_planned or duplicate (counted in removed_items).
--   in_scope: In the milestone and not closed as not_planned or duplicate at the measurement instant:
--     the end of the milestone's completion day, or of as_of's day while it is open.
--   is_done: In scope and resolved as completed at the measurement instant.
SELECT
    milestone_id,
    work_item_id,
    added_at,
    removed_at,
    in_baseline,
    added_after_baseline,
    removed_after_baseline,
    in_scope,
    is_done
FROM intermediate.milestone_items
