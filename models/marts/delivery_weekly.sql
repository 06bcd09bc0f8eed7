-- Delivery trends: one row per project and ISO week (Monday to Sunday, UTC), from the week of the
-- project's first work item to the week of the run's as_of, weeks without activity included with
-- zeros. What came in, what was completed and how long it took, and what was in progress, in the
-- backlog and open as bugs at the end of each week (rebuilt from status history).
--
-- "End of the week" is the next Monday 00:00 UTC, or as_of for the current week. Only items
-- resolved as completed count as completed, in the week of their last resolution, so the weeks
-- sum to the project's completed items.
--
-- columns:
--   source: Name of the configured source.
--   project: Jira project key, GitHub 'owner/repo', GitLab project path (a group path for a group milestone).
--   week_start: Monday of the ISO week.
--   created_items: Work items created in the week.
--   completed_items: Items resolved as completed in the week (throughput).
--   wip: Items in progress at the end of the week.
--   lead_time_p50_days: Median lead time of the items completed in the week, in days.
--   lead_time_p85_days: 85th percentile of their lead time, in days.
--   cycle_time_p50_days: Median cycle time of the items completed in the week, in days.
--   bugs_opened: Bugs created in the week.
--   bugs_closed: Bugs last resolved in the week, whatever the resolution.
--   open_bugs: Bugs not done at the end of the week.
--   open_bug_age_p50_days: Median age in days of those open bugs at the end of the week.
--   customer_reported_opened: Customer-reported items created in the week.
--   backlog_items: Items to do (not started) at the end of the week.
WITH items AS (
    SELECT
        w.work_item_id,
        w.source,
        w.project,
        w.item_type = 'bug' AS is_bug,
        w.is_customer_reported,
        w.created_at,
        w.resolution,
        w.resolved_at,
        w.lead_time_days,
        w.cycle_time_days
    FROM marts.work_items AS w
    WHERE w.created_at <= getvariable('as_of')
),
current_week AS (
    SELECT date_trunc('week', getvariable('as_of')) AS week_start
),
weeks AS (
    SELECT
        i.source,
        i.project,
        unnest(generate_series(date_trunc('week', min(i.created_at)), any_value(c.week_start), INTERVAL 7 DAY))
            AS week_start
    FROM items AS i
    CROSS JOIN current_week AS c
    GROUP BY i.source, i.project
),
created AS (
    SELECT
        source,
        project,
        date_trunc('week', created_at) AS week_start,
        count(*) AS created_items,
        count(*) FILTER (WHERE is_bug) AS bugs_opened,
        count(*) FILTER (WHERE is_customer_reported) AS customer_reported_opened
    FROM items
    GROUP BY ALL
),
resolved AS (
    SELECT
        source,
        project,
        date_trunc('week', resolved_at) AS week_start,
        count(*) FILTER (WHERE resolution = 'completed') AS completed_items,
        quantile_cont(lead_time_days, 0.5) FILTER (WHERE resolution = 'completed') AS lead_time_p50_days,
        quantile_cont(lead_time_days, 0.85) FILTER (WHERE resolution = 'completed') AS lead_time_p85_days,
        quantile_cont(cycle_time_days, 0.5) FILTER (WHERE resolution = 'completed') AS cycle_time_p50_days,
        count(*) FILTER (WHERE is_bug) AS bugs_closed
    FROM items
    WHERE resolved_at <= getvariable('as_of')
    GROUP BY ALL
),
-- An interval is the state at the end of every week from the week it starts in up to the week
-- before the one holding its last instant; so it steps in at the first and out at the second.
states AS (
    SELECT i.source, i.project, i.is_bug, i.created_at, s.status_category, s.valid_from, s.valid_to
    FROM intermediate.work_item_states AS s
    JOIN items AS i USING (work_item_id)
),
steps AS (
    SELECT source, project, date_trunc('week', valid_from) AS week_start, 1 AS sign, status_category
    FROM states
    UNION ALL
    SELECT source, project, date_trunc('week', valid_to - INTERVAL 1 MICROSECOND), -1, status_category
    FROM states
    WHERE valid_to IS NOT NULL
),
stepped AS (
    SELECT
        source,
        project,
        week_start,
        sum(sign) FILTER (WHERE status_category = 'in_progress') AS wip_step,
        sum(sign) FILTER (WHERE status_category = 'todo') AS backlog_step
    FROM steps
    GROUP BY ALL
),
-- Open bugs need their ages, not only a count: one row per bug and week end it was open at.
open_bug_weeks AS (
    SELECT
        source,
        project,
        unnest(generate_series(
            date_trunc('week', valid_from),
            coalesce(date_trunc('week', valid_to - INTERVAL 1 MICROSECOND) - INTERVAL 7 DAY, c.week_start),
            INTERVAL 7 DAY
        )) AS week_start,
        created_at
    FROM states
    CROSS JOIN current_week AS c
    WHERE is_bug AND status_category <> 'done'
),
open_bugs AS (
    SELECT
        source,
        project,
        week_start,
        count(*) AS open_bugs,
        quantile_cont(
            epoch(least(week_start + INTERVAL 7 DAY, getvariable('as_of')) - created_at) / 86400, 0.5
        ) AS open_bug_age_p50_days
    FROM open_bug_weeks
    GROUP BY ALL
)
SELECT
    w.source,
    w.project,
    w.week_start::DATE AS week_start,
    coalesce(c.created_items, 0) AS created_items,
    coalesce(r.completed_items, 0) AS completed_items,
    (sum(coalesce(s.wip_step, 0)) OVER running)::BIGINT AS wip,
    r.lead_time_p50_days,
    r.lead_time_p85_days,
    r.cycle_time_p50_days,
    coalesce(c.bugs_opened, 0) AS bugs_opened,
    coalesce(r.bugs_closed, 0) AS bugs_closed,
    coalesce(b.open_bugs, 0) AS open_bugs,
    b.open_bug_age_p50_days,
    coalesce(c.customer_reported_opened, 0) AS customer_reported_opened,
    (sum(coalesce(s.backlog_step, 0)) OVER running)::BIGINT AS backlog_items
FROM weeks AS w
LEFT JOIN created AS c USING (source, project, week_start)
LEFT JOIN resolved AS r USING (source, project, week_start)
LEFT JOIN stepped AS s USING (source, project, week_start)
LEFT JOIN open_bugs AS b USING (source, project, week_start)
WINDOW running AS (PARTITION BY w.source, w.project ORDER BY w.week_start)
