-- One row per milestone and work item that was ever in it, with where the item stands against
-- the milestone's baseline and its current scope, and the item figures the milestone sums.
--
-- Rules (docs metrics.md): baseline = in the milestone at baseline_at and not already closed as
-- not_planned/duplicate by then; in scope = in the milestone now and not not_planned/duplicate;
-- added = not in the baseline but joined after it (or is in scope now); removed = in the baseline
-- or added, and not in scope now. So scope = baseline + added - removed, always.
--
-- columns:
--   milestone_id: The milestone.
--   work_item_id: The work item.
--   baseline_at: The milestone's baseline instant.
--   added_at: First time the item joined the milestone.
--   removed_at: Last time the item left the milestone; null while it is in the milestone.
--   in_baseline: The item was part of the plan at baseline_at.
--   added_after_baseline: The item entered the scope after baseline_at.
--   removed_after_baseline: The item left the scope after baseline_at (removed, not_planned, duplicate).
--   in_scope: The item is in the milestone now and not closed as not_planned or duplicate.
--   is_done: In scope and resolved as completed.
--   resolved_at: When the item was last resolved.
--   story_points: The item's story points.
--   original_estimate_seconds: The item's original estimate in seconds.
--   time_spent_seconds: The item's logged time in seconds.
WITH membership AS (
    SELECT mm.milestone_id, mm.work_item_id, mm.changed_at, mm.action, b.baseline_at
    FROM staging.milestone_membership AS mm
    JOIN intermediate.milestone_baselines AS b USING (milestone_id)
),
per_item AS (
    SELECT
        milestone_id,
        work_item_id,
        any_value(baseline_at) AS baseline_at,
        min(changed_at) FILTER (WHERE action = 'added') AS added_at,
        max(changed_at) FILTER (WHERE action = 'removed') AS last_removed_at,
        arg_max(action, changed_at) AS last_action,
        arg_max(action, changed_at) FILTER (WHERE changed_at <= baseline_at) AS action_at_baseline,
        bool_or(action = 'added' AND changed_at > baseline_at) AS joined_after_baseline
    FROM membership
    GROUP BY milestone_id, work_item_id
),
judged AS (
    SELECT
        p.*,
        w.status_category,
        w.resolution,
        w.story_points,
        w.original_estimate_seconds,
        w.time_spent_seconds,
        l.resolved_at,
        coalesce(w.resolution IN ('not_planned', 'duplicate'), false) AS is_dropped,
        coalesce(p.action_at_baseline = 'added', false)
            AND NOT (is_dropped AND coalesce(l.resolved_at <= p.baseline_at, false)) AS in_baseline,
        p.last_action = 'added' AND NOT is_dropped AS in_scope
    FROM per_item AS p
    JOIN staging.work_items AS w USING (work_item_id)
    LEFT JOIN intermediate.work_item_lifecycle AS l USING (work_item_id)
),
flagged AS (
    SELECT
        *,
        NOT in_baseline AND (coalesce(joined_after_baseline, false) OR in_scope) AS added_after_baseline
    FROM judged
)
SELECT
    milestone_id,
    work_item_id,
    baseline_at,
    added_at,
    CASE WHEN last_action = 'removed' THEN last_removed_at END AS removed_at,
    in_baseline,
    added_after_baseline,
    (in_baseline OR added_after_baseline) AND NOT in_scope AS removed_after_baseline,
    in_scope,
    in_scope AND status_category = 'done' AND resolution = 'completed' AS is_done,
    resolved_at,
    story_points,
    original_estimate_seconds,
    time_spent_seconds
FROM flagged
