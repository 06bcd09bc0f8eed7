-- The instant each milestone's scope is frozen as its plan (baseline_at): its start when it has
-- one, else the later of its creation and the first time an item joined it, plus the configured
-- grace period, so that items filed right after the milestone was set up still count as planned.
--
-- The later of the two, not the creation alone: a milestone created empty and planned a day or a
-- week later has that plan as its baseline, not zero items and all its scope "added". It is an
-- instant, never a midnight: a sprint started at 01:30 has its baseline at 01:30 the next day.
--
-- columns:
--   milestone_id: The milestone.
--   baseline_at: Start (else the later of creation and first join) plus scope.baseline_grace_days.
WITH first_joins AS (
    SELECT milestone_id, min(changed_at) AS first_joined_at
    FROM intermediate.milestone_membership
    WHERE action = 'added'
    GROUP BY milestone_id
)
SELECT
    m.milestone_id,
    coalesce(m.start_at, greatest(m.created_at, f.first_joined_at))
        + to_microseconds(CAST(getvariable('baseline_grace_days') * 86400e6 AS BIGINT)) AS baseline_at
FROM staging.milestones AS m
LEFT JOIN first_joins AS f USING (milestone_id)
