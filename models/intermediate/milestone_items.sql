-- One row per milestone and work item that was ever in it, with where the item stands against
-- the milestone's baseline and its scope at measured_at (the end of its completion day, or of
-- as_of's day while open: see intermediate.milestone_completion), and the item figures the
-- milestone sums.
--
-- Rules (docs metrics.md): baseline = in the milestone at baseline_at and not already closed as
-- not_planned/duplicate by then; in scope = in the milestone at measured_at and not closed as
-- not_planned/duplicate then; done = in scope and closed as completed then (status history:
-- intermediate.work_item_states); added = not in the baseline but joined after it and before
-- measured_at (or in scope); removed = in the baseline or added, and not in scope. So scope =
-- baseline + added - removed, always.
--
-- columns:
--   milestone_id: The milestone.
--   work_item_id: The work item.
--   baseline_at: The milestone's baseline instant.
--   measured_at: The instant in_scope and is_done describe.
--   added_at: First time the item joined the milestone.
--   removed_at: Last time the item left the milestone; null while it is in the milestone.
--   in_baseline: The item was part of the plan at baseline_at.
--   added_after_baseline: The item entered the scope after baseline_at.
--   removed_after_baseline: The item left the scope after baseline_at (removed, not_planned, duplicate).
--   in_scope: The item was in the milestone at measured_at and not closed as not_planned or duplicate.
--   is_done: In scope and closed as completed at measured_at.
--   resolved_at: When the item was last resolved.
--   story_points: The item's story points.
--   original_estimate_seconds: The item's original estimate in seconds.
--   time_spent_seconds: The item's logged time in seconds.
WITH instants AS (
    SELECT b.milestone_id, b.baseline_at, c.measured_at
    FROM intermediate.milestone_baselines AS b
    JOIN intermediate.milestone_completion AS c USING (milestone_id)
),
per_item AS (
    SELECT
        mm.milestone_id,
        mm.work_item_id,
        any_value(i.baseline_at) AS baseline_at,
        any_value(i.measured_at) AS measured_at,
        min(mm.changed_at) FILTER (WHERE mm.action = 'added') AS added_at,
        max(mm.changed_at) FILTER (WHERE mm.action = 'removed') AS last_removed_at,
        arg_max(mm.action, mm.changed_at) AS last_action,
        arg_max(mm.action, mm.changed_at) FILTER (WHERE mm.changed_at <= i.baseline_at) AS action_at_baseline,
        bool_or(mm.action = 'added' AND mm.changed_at > i.baseline_at AND mm.changed_at < i.measured_at)
            AS joined_after_baseline
    FROM intermediate.milestone_membership AS mm
    JOIN instants AS i USING (milestone_id)
    GROUP BY mm.milestone_id, mm.work_item_id
),
-- The item's state just before measured_at, while it was in the milestone. Materialized so that
-- the status intervals are joined by item, never by time alone.
in_at_measure AS MATERIALIZED (
    SELECT s.milestone_id, s.work_item_id, i.measured_at
    FROM intermediate.milestone_stays AS s
    JOIN instants AS i USING (milestone_id)
    WHERE s.joined_at < i.measured_at AND coalesce(s.left_at, 'infinity'::TIMESTAMPTZ) >= i.measured_at
),
measured AS (
    SELECT m.milestone_id, m.work_item_id, st.state
    FROM in_at_measure AS m
    JOIN intermediate.work_item_states AS st
        ON st.work_item_id = m.work_item_id
        AND st.valid_from < m.measured_at
        AND coalesce(st.valid_to, 'infinity'::TIMESTAMPTZ) >= m.measured_at
),
judged AS (
    SELECT
        p.*,
        l.story_points,
        l.original_estimate_seconds,
        l.time_spent_seconds,
        l.resolved_at,
        coalesce(p.action_at_baseline = 'added', false)
            AND NOT (coalesce(w.resolution IN ('not_planned', 'duplicate'), false)
                     AND coalesce(l.resolved_at <= p.baseline_at, false)) AS in_baseline,
        coalesce(m.state IN ('open', 'done'), false) AS in_scope,
        coalesce(m.state = 'done', false) AS is_done
    FROM per_item AS p
    JOIN staging.work_items AS w USING (work_item_id)
    LEFT JOIN intermediate.work_item_figures AS l USING (work_item_id)
    LEFT JOIN measured AS m USING (milestone_id, work_item_id)
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
    measured_at,
    added_at,
    CASE WHEN last_action = 'removed' THEN last_removed_at END AS removed_at,
    in_baseline,
    added_after_baseline,
    (in_baseline OR added_after_baseline) AND NOT in_scope AS removed_after_baseline,
    in_scope,
    is_done,
    resolved_at,
    story_points,
    original_estimate_seconds,
    time_spent_seconds
FROM flagged
