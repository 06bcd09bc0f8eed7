-- Each spell a work item spent in a milestone, from its membership history up to the run's as_of:
-- joined at one change, left at the next (or still there at as_of).
--
-- columns:
--   milestone_id: The milestone.
--   work_item_id: The work item.
--   joined_at: When the item joined (UTC).
--   left_at: When it left (UTC); null when it was still in the milestone at as_of.
WITH changes AS (
    SELECT
        milestone_id,
        work_item_id,
        changed_at,
        action,
        lead(changed_at) OVER (PARTITION BY milestone_id, work_item_id ORDER BY changed_at) AS next_change_at
    FROM intermediate.milestone_membership
    WHERE changed_at <= getvariable('as_of')
)
SELECT milestone_id, work_item_id, changed_at AS joined_at, next_change_at AS left_at
FROM changes
WHERE action = 'added'
