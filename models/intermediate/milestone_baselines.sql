-- The instant each milestone's scope is frozen as its plan (baseline_at): its start, else its
-- creation, else the first time an item joined it, plus the configured grace period so that
-- items filed right after the milestone was set up still count as planned.
--
-- columns:
--   milestone_id: The milestone.
--   baseline_at: Start (or creation, or first join) plus scope.baseline_grace_days.
WITH first_joins AS (
    SELECT milestone_id, min(changed_at) AS first_joined_at
    FROM staging.milestone_membership
    WHERE action = 'added'
    GROUP BY milestone_id
)
SELECT
    m.milestone_id,
    coalesce(m.start_date::TIMESTAMPTZ, m.created_at, f.first_joined_at)
        + to_microseconds(CAST(getvariable('baseline_grace_days') * 86400e6 AS BIGINT)) AS baseline_at
FROM staging.milestones AS m
LEFT JOIN first_joins AS f USING (milestone_id)
