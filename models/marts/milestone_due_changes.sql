-- Every observed change of a milestone's due date: the old and new date and the run that saw it.
-- Trackers keep only the current date; this history starts with the pipeline's first sync.
--
-- columns:
--   milestone_id: The milestone (marts.milestones).
--   observed_at: The as_of of the run that first saw the new date.
--   old_due_date: Due date before the change; null when none was set.
--   new_due_date: Due date after the change; null when it was removed.
--   shift_days: new_due_date - old_due_date in days: positive when pushed out; null if either is null.
WITH log AS (
    SELECT
        milestone_id,
        observed_at,
        lag(due_date) OVER by_time AS old_due_date,
        due_date AS new_due_date,
        row_number() OVER by_time AS observation
    FROM ops.milestone_due_log
    WHERE observed_at <= getvariable('as_of')
      AND milestone_id IN (SELECT milestone_id FROM staging.milestones)
    WINDOW by_time AS (PARTITION BY milestone_id ORDER BY observed_at)
)
SELECT
    milestone_id,
    observed_at,
    old_due_date,
    new_due_date,
    new_due_date - old_due_date AS shift_days
FROM log
WHERE observation > 1
