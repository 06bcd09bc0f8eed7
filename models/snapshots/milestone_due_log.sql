-- Every due date each milestone was seen with: a row when a run first sees a milestone and when
-- its due date differs from the last one logged. Trackers overwrite due dates when a team
-- re-plans, so this log is the only place the original plan survives; history starts with the
-- first sync.
--
-- Stateful: executed as-is each run, never rebuilt. A run whose as_of is not after a milestone's
-- latest entry adds nothing for it, so re-running the same as_of changes nothing.
--
-- columns:
--   milestone_id: The milestone.
--   observed_at: The as_of of the run that saw this due date.
--   due_date: The due date seen; null when the milestone had none.
CREATE TABLE IF NOT EXISTS ops.milestone_due_log (
    milestone_id VARCHAR NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL,
    due_date DATE
);

INSERT INTO ops.milestone_due_log
SELECT m.milestone_id, getvariable('as_of'), m.due_date
FROM staging.milestones AS m
LEFT JOIN (
    SELECT milestone_id, max(observed_at) AS observed_at, arg_max_null(due_date, observed_at) AS due_date
    FROM ops.milestone_due_log
    GROUP BY milestone_id
) AS logged USING (milestone_id)
WHERE logged.milestone_id IS NULL
   OR (logged.due_date IS DISTINCT FROM m.due_date AND logged.observed_at < getvariable('as_of'));
