-- Project completion of every milestone as of the run: was the agreed scope delivered, on time and
-- within budget, and if it is still open, will it be? Scope against the plan (baseline), progress,
-- budget, the due date's history, a Monte Carlo forecast of the finish, and a status with its
-- reason in words.
--
-- Status, first rule that matches: closed or released with every scoped item done → done_on_time /
-- done_late (completed_at against the original due date) / done (no due date); closed or released
-- with items not done → closed_incomplete (closed is not done; on_time and days_late are still
-- filled, the items not done were carried over); open and due before as_of's date →
-- overdue; no due date → no_due_date; items remaining but no forecast → slipping; p50 forecast
-- after due → slipping; p85 forecast after due (or beyond the forecast horizon), or due date
-- pushed out → at_risk; otherwise on_track.
--
-- columns:
--   milestone_id: The milestone (marts.milestones).
--   source: Name of the configured source.
--   project: Jira project key, GitHub 'owner/repo', GitLab project path (a group path for a group milestone).
--   kind: github_milestone, gitlab_milestone, gitlab_group_milestone, gitlab_iteration, jira_version or jira_sprint.
--   name: Title of the milestone, version or sprint.
--   state: open, closed or released.
--   start_date: Planned start, if the tracker has one.
--   due_date: Current due date.
--   original_due_date: First due date the pipeline ever saw for the milestone (history starts with
--     the first sync).
--   due_date_changes: How often the due date changed after original_due_date was first seen.
--   due_slip_days: due_date - original_due_date in days; positive when the plan was pushed out.
--   baseline_at: When the scope was frozen as the plan: its start, else the later of its
--     creation and the first item joining, plus scope.baseline_grace_days (an instant).
--   baseline_items: Items in the milestone at baseline_at.
--   added_items: Items not in the baseline that entered the scope after baseline_at.
--   removed_items: Items that left the scope after baseline_at (removed, not_planned, duplicate).
--   scope_items: Items in the milestone, excluding not_planned and duplicate, at the end of its
--     completion day (a delivered milestone is judged on what it delivered), or of as_of's day while
--     it is open.
--   scope_change_pct: (added_items + removed_items) / max(baseline_items, 1).
--   done_items: Scoped items resolved as completed at that moment (only completed counts as
--     delivered).
--   pct_complete: done_items / scope_items, 0..1; null without scope.
--   baseline_points: Story points of the baseline items; null without points (GitHub).
--   scope_points: Story points of the scoped items; null without points.
--   done_points: Story points of the done items (0 when none is done); null when scope_points is.
--   pct_complete_points: done_points / scope_points; null without points.
--   estimate_seconds: Original estimates of the scoped items in seconds; null without estimates.
--   time_spent_seconds: Time logged on the scoped items in seconds; null without worklogs.
--   budget_used_pct: time_spent_seconds / estimate_seconds; null without estimates.
--   completed_at: When the milestone was completed: closed_at when closed, its last scoped item's
--     resolution when released; else, once every scoped item is done, the last resolution.
--   carried_over_items: Closed or released: scope_items - done_items at completion, the items it
--     did not finish (carried over to a later milestone or left undone); null while open.
--   on_time: completed_at's date <= original_due_date; null while open or without due date.
--   days_late: Days after the due date: completed late → completed_at - original_due_date; open and
--     overdue → as_of - due_date; null otherwise.
--   throughput_per_week: The project's items completed per week over the trailing
--     forecast.window_weeks weeks.
--   remaining_items: scope_items - done_items.
--   forecast_p50_date: Median simulated finish date; null when closed, without throughput or beyond
--     the forecast horizon (10 years).
--   forecast_p85_date: Finish date met in 85% of simulations; null as forecast_p50_date, or when only
--     p85 is beyond the horizon.
--   status: done_on_time, done_late, done, closed_incomplete, overdue, no_due_date, slipping, at_risk
--     or on_track.
--   status_reason: Why, in words: the figures behind the status.
--   as_of: The instant all figures are computed for.
WITH due_history AS (
    SELECT
        milestone_id,
        arg_min(due_date, observed_at) FILTER (WHERE due_date IS NOT NULL) AS first_due_date,
        min(observed_at) FILTER (WHERE due_date IS NOT NULL) AS first_dated_at
    FROM ops.milestone_due_log
    WHERE observed_at <= getvariable('as_of')
    GROUP BY milestone_id
),
due_moves AS (
    SELECT c.milestone_id, count(*) AS due_date_changes
    FROM marts.milestone_due_changes AS c
    JOIN due_history AS h USING (milestone_id)
    WHERE c.observed_at > h.first_dated_at
    GROUP BY c.milestone_id
),
facts AS (
    SELECT
        m.milestone_id,
        m.source,
        m.project,
        m.kind,
        m.name,
        m.state,
        m.start_date,
        m.due_date,
        coalesce(h.first_due_date, m.due_date) AS original_due_date,
        coalesce(d.due_date_changes, 0) AS due_date_changes,
        m.due_date - original_due_date AS due_slip_days,
        p.baseline_at,
        p.baseline_items,
        p.added_items,
        p.removed_items,
        p.scope_items,
        (p.added_items + p.removed_items) / greatest(p.baseline_items, 1) AS scope_change_pct,
        p.done_items,
        p.done_items / nullif(p.scope_items, 0) AS pct_complete,
        p.baseline_points,
        p.scope_points,
        p.done_points,
        p.done_points / nullif(p.scope_points, 0) AS pct_complete_points,
        p.estimate_seconds,
        p.time_spent_seconds,
        p.time_spent_seconds / nullif(p.estimate_seconds, 0) AS budget_used_pct,
        p.completed_at,
        CASE WHEN m.state <> 'open' THEN p.remaining_items END AS carried_over_items,
        CASE
            WHEN m.state <> 'open' AND original_due_date IS NOT NULL
                THEN p.completed_at::DATE <= original_due_date
        END AS on_time,
        f.throughput_per_week,
        p.remaining_items,
        f.forecast_p50_date,
        f.forecast_p85_date,
        getvariable('as_of') AS as_of,
        getvariable('as_of')::DATE AS today,
        -- p85 after due, or so slow that the simulation's horizon ended first
        coalesce(f.forecast_p85_date > m.due_date, p.remaining_items > 0) AS forecast_late
    FROM marts.milestones AS m
    JOIN intermediate.milestone_progress AS p USING (milestone_id)
    LEFT JOIN intermediate.milestone_forecast AS f USING (milestone_id)
    LEFT JOIN due_history AS h USING (milestone_id)
    LEFT JOIN due_moves AS d USING (milestone_id)
),
judged AS (
    SELECT
        *,
        CASE
            WHEN NOT on_time THEN completed_at::DATE - original_due_date
            WHEN state = 'open' AND due_date < today THEN today - due_date
        END AS days_late,
        CASE
            WHEN state <> 'open' AND carried_over_items > 0 THEN 'closed_incomplete'
            WHEN state <> 'open' THEN
                CASE WHEN on_time THEN 'done_on_time' WHEN NOT on_time THEN 'done_late' ELSE 'done' END
            WHEN due_date < today THEN 'overdue'
            WHEN due_date IS NULL THEN 'no_due_date'
            WHEN remaining_items > 0 AND forecast_p50_date IS NULL THEN 'slipping'
            WHEN forecast_p50_date > due_date THEN 'slipping'
            WHEN forecast_late OR due_slip_days > 0 THEN 'at_risk'
            ELSE 'on_track'
        END AS status
    FROM facts
),
-- The pieces of the reason, each spelled once: the day gap it quotes, items open, the due moves.
phrased AS (
    SELECT
        *,
        CASE
            WHEN status IN ('done_on_time', 'done_late') THEN completed_at::DATE - original_due_date
            WHEN status = 'overdue' THEN today - due_date
            WHEN status = 'slipping' THEN forecast_p50_date - due_date
            WHEN status IN ('at_risk', 'on_track') THEN forecast_p85_date - due_date
        END AS gap_days,
        abs(gap_days) || CASE WHEN abs(gap_days) = 1 THEN ' day' ELSE ' days' END AS gap_text,
        remaining_items || CASE WHEN remaining_items = 1 THEN ' item open' ELSE ' items open' END
            AS open_text,
        'due date moved ' || due_date_changes || CASE WHEN due_date_changes = 1 THEN ' time' ELSE ' times' END
            || ', ' || CASE WHEN due_slip_days > 0 THEN '+' ELSE '' END || due_slip_days
            || CASE WHEN abs(due_slip_days) = 1 THEN ' day' ELSE ' days' END AS moved_text
    FROM judged
),
explained AS (
    SELECT
        *,
        CASE
            WHEN status IN ('done_on_time', 'done_late') AND gap_days = 0
                THEN 'completed ' || completed_at::DATE || ' on the due date'
            WHEN status IN ('done_on_time', 'done_late')
                THEN 'completed ' || completed_at::DATE || ', ' || gap_text
                    || CASE WHEN gap_days > 0 THEN ' after ' ELSE ' before ' END
                    || CASE WHEN due_date_changes > 0 THEN 'original due ' ELSE 'due ' END
                    || original_due_date
            WHEN status = 'closed_incomplete'
                THEN state || ' with ' || carried_over_items || ' of ' || scope_items
                    || CASE WHEN scope_items = 1 THEN ' item' ELSE ' items' END || ' not done'
            WHEN status = 'done' AND completed_at IS NULL THEN state || ' with no items in scope'
            WHEN status = 'done' THEN 'completed ' || completed_at::DATE || ', no due date'
            WHEN status = 'overdue'
                THEN CASE WHEN remaining_items = 0 THEN 'no items open but not closed' ELSE open_text END
                    || ', ' || gap_text || ' past due ' || due_date
            WHEN status = 'no_due_date' THEN 'no due date set; ' || open_text
            WHEN status = 'slipping' AND forecast_p50_date IS NULL AND coalesce(throughput_per_week, 0) = 0
                THEN 'no throughput: no items completed in the last '
                    || getvariable('forecast_window_weeks') || ' weeks; ' || open_text
            WHEN status = 'slipping' AND forecast_p50_date IS NULL
                THEN 'no forecast: ' || open_text || ' at ' || round(throughput_per_week, 2)
                    || ' items per week do not finish within the forecast horizon'
            WHEN status = 'slipping'
                THEN 'p50 forecast ' || forecast_p50_date || ' is ' || gap_text || ' after due ' || due_date
            WHEN status = 'at_risk' AND forecast_late
                THEN 'p85 forecast '
                    || coalesce(forecast_p85_date || ' is ' || gap_text, 'is beyond the horizon,')
                    || ' after due ' || due_date
            WHEN status = 'at_risk' THEN moved_text
            WHEN scope_items = 0 THEN 'no items in scope, due ' || due_date
            WHEN remaining_items = 0 THEN 'all items done, due ' || due_date
            WHEN gap_days = 0 THEN 'p85 forecast ' || forecast_p85_date || ' is on the due date'
            ELSE 'p85 forecast ' || forecast_p85_date || ' is ' || gap_text || ' before due ' || due_date
        END AS primary_reason
    FROM phrased
)
SELECT
    milestone_id,
    source,
    project,
    kind,
    name,
    state,
    start_date,
    due_date,
    original_due_date,
    due_date_changes,
    due_slip_days,
    baseline_at,
    baseline_items,
    added_items,
    removed_items,
    scope_items,
    scope_change_pct,
    done_items,
    pct_complete,
    baseline_points,
    scope_points,
    done_points,
    pct_complete_points,
    estimate_seconds,
    time_spent_seconds,
    budget_used_pct,
    completed_at,
    carried_over_items,
    on_time,
    days_late,
    throughput_per_week,
    remaining_items,
    forecast_p50_date,
    forecast_p85_date,
    status,
    primary_reason
        || CASE WHEN due_slip_days > 0 AND primary_reason <> moved_text THEN '; ' || moved_text ELSE '' END
        AS status_reason,
    as_of
FROM explained
