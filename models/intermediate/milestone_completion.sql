-- When each milestone was completed, and the instant its scope and progress are measured at.
--
-- completed_at: a released milestone (state released: shipped on a day, with no closing instant,
-- e.g. a Jira version) is complete when its last scoped item was resolved (its release day when it
-- has none); a closed one (a GitHub milestone, a sprint) at its closed_at; any other milestone
-- once every scoped item is done, at the last resolution. Only the state and dates decide, never
-- the tracker or kind. Scoped and done here mean now: in the milestone, not closed as
-- not_planned or duplicate; done and completed.
--
-- measured_at: the end of completed_at's day (UTC), or of as_of's day while the milestone is not
-- complete (changes after as_of are left out). A delivered milestone is judged on what it held
-- and had done when it was delivered, as a sprint report is: work carried over to the next sprint
-- is not done in this one, and an item reopened after a release shows in product_outcomes.
--
-- columns:
--   milestone_id: The milestone.
--   completed_at: Released: its last scoped item's resolution (else its release day); closed:
--     closed_at; otherwise the last resolution once every scoped item is done; null while not
--     complete.
--   measured_at: The instant scope and progress are measured at: midnight UTC after the day of
--     min(completed_at, as_of).
WITH memberships AS (
    SELECT milestone_id, work_item_id, arg_max(action, changed_at) AS last_action
    FROM intermediate.milestone_membership
    GROUP BY milestone_id, work_item_id
),
scope_now AS (
    SELECT
        m.milestone_id,
        count(*) AS scope_items,
        count(*) FILTER (WHERE w.status_category = 'done' AND w.resolution = 'completed') AS done_items,
        max(l.resolved_at) FILTER (WHERE w.status_category = 'done' AND w.resolution = 'completed')
            AS last_resolved_at
    FROM memberships AS m
    JOIN staging.work_items AS w USING (work_item_id)
    LEFT JOIN intermediate.work_item_figures AS l USING (work_item_id)
    WHERE m.last_action = 'added' AND coalesce(w.resolution NOT IN ('not_planned', 'duplicate'), true)
    GROUP BY m.milestone_id
),
completion AS (
    SELECT
        m.milestone_id,
        CASE
            WHEN m.state = 'released' THEN coalesce(s.last_resolved_at, m.closed_at)
            WHEN m.closed_at IS NOT NULL THEN m.closed_at
            WHEN s.scope_items > 0 AND s.done_items = s.scope_items THEN s.last_resolved_at
        END AS completed_at
    FROM staging.milestones AS m
    LEFT JOIN scope_now AS s USING (milestone_id)
)
SELECT
    milestone_id,
    completed_at,
    (least(coalesce(completed_at, getvariable('as_of')), getvariable('as_of'))::DATE + 1)::TIMESTAMPTZ
        AS measured_at
FROM completion
