-- The portfolio: one row per project, for comparing projects at a glance. Its open milestones by
-- status, how its recent deliveries went (on time, and with how many escaped defects), and the
-- load on the team now: throughput, work in progress, open bugs and customer problems, and how
-- open work is spread over assignees.
--
-- "Recent" is the 180 days before as_of, by released_at. Current figures (wip, open_*) are the
-- items' current state; "open" means not done.
--
-- columns:
--   source: Name of the configured source.
--   project: Jira project key, GitHub 'owner/repo', GitLab project path (a group path for a group milestone).
--   open_milestones: Milestones still open.
--   on_track: Open milestones on_track (marts.project_completion.status).
--   at_risk: Open milestones at_risk.
--   slipping: Open milestones slipping.
--   overdue: Open milestones overdue.
--   closed_incomplete: Milestones closed or released with items not done (completed in the last 180
--     days).
--   delivered_milestones_180d: Milestones delivered in the last 180 days (marts.product_outcomes).
--   done_on_time_rate: Of the milestones closed or released in the last 180 days that had a due
--     date, closed_incomplete ones included, the share done_on_time (0..1); null when there are none.
--   avg_escaped_defect_rate: Mean escaped_defect_rate of the milestones delivered in the last 180
--     days; null when there are none.
--   throughput_4w: Items resolved as completed in the 28 days before as_of.
--   wip: Items in progress now.
--   open_bugs: Bugs not done now.
--   customer_reported_open: Customer-reported items not done now.
--   open_items_per_assignee_max: The most open items any one assignee holds; 0 when none is assigned.
--   unassigned_open_items: Open items without an assignee.
WITH projects AS (
    SELECT source, project FROM marts.milestones
    UNION
    SELECT source, project FROM marts.work_items
),
milestones AS (
    SELECT
        source,
        project,
        count(*) FILTER (WHERE state = 'open') AS open_milestones,
        count(*) FILTER (WHERE state = 'open' AND status = 'on_track') AS on_track,
        count(*) FILTER (WHERE state = 'open' AND status = 'at_risk') AS at_risk,
        count(*) FILTER (WHERE state = 'open' AND status = 'slipping') AS slipping,
        count(*) FILTER (WHERE state = 'open' AND status = 'overdue') AS overdue,
        count(*) FILTER (WHERE status = 'closed_incomplete' AND recent) AS closed_incomplete,
        -- closed_incomplete counts against the rate: closed is not done
        count(*) FILTER (WHERE status = 'done_on_time' AND recent)
            / nullif(count(*) FILTER (WHERE state <> 'open' AND on_time IS NOT NULL AND recent), 0)
            AS done_on_time_rate
    FROM (
        SELECT
            *,
            coalesce(
                completed_at > getvariable('as_of') - INTERVAL 180 DAY AND completed_at <= getvariable('as_of'), false
            ) AS recent
        FROM marts.project_completion
    )
    GROUP BY ALL
),
deliveries AS (
    SELECT
        source,
        project,
        count(*) AS delivered_milestones_180d,
        avg(escaped_defect_rate) AS avg_escaped_defect_rate
    FROM marts.product_outcomes
    WHERE released_at > getvariable('as_of') - INTERVAL 180 DAY AND released_at <= getvariable('as_of')
    GROUP BY ALL
),
items AS (
    SELECT
        source,
        project,
        count(*) FILTER (
            WHERE resolution = 'completed' AND resolved_at <= getvariable('as_of')
              AND resolved_at > getvariable('as_of') - INTERVAL 28 DAY
        ) AS throughput_4w,
        count(*) FILTER (WHERE status_category = 'in_progress') AS wip,
        count(*) FILTER (WHERE status_category <> 'done' AND item_type = 'bug') AS open_bugs,
        count(*) FILTER (WHERE status_category <> 'done' AND is_customer_reported) AS customer_reported_open,
        count(*) FILTER (WHERE status_category <> 'done' AND assignee IS NULL) AS unassigned_open_items
    FROM marts.work_items
    GROUP BY ALL
),
assignees AS (
    SELECT source, project, max(open_items) AS open_items_per_assignee_max
    FROM (
        SELECT source, project, assignee, count(*) AS open_items
        FROM marts.work_items
        WHERE status_category <> 'done' AND assignee IS NOT NULL
        GROUP BY ALL
    )
    GROUP BY ALL
)
SELECT
    p.source,
    p.project,
    coalesce(m.open_milestones, 0) AS open_milestones,
    coalesce(m.on_track, 0) AS on_track,
    coalesce(m.at_risk, 0) AS at_risk,
    coalesce(m.slipping, 0) AS slipping,
    coalesce(m.overdue, 0) AS overdue,
    coalesce(m.closed_incomplete, 0) AS closed_incomplete,
    coalesce(d.delivered_milestones_180d, 0) AS delivered_milestones_180d,
    m.done_on_time_rate,
    d.avg_escaped_defect_rate,
    coalesce(i.throughput_4w, 0) AS throughput_4w,
    coalesce(i.wip, 0) AS wip,
    coalesce(i.open_bugs, 0) AS open_bugs,
    coalesce(i.customer_reported_open, 0) AS customer_reported_open,
    coalesce(a.open_items_per_assignee_max, 0) AS open_items_per_assignee_max,
    coalesce(i.unassigned_open_items, 0) AS unassigned_open_items
FROM projects AS p
LEFT JOIN milestones AS m USING (source, project)
LEFT JOIN deliveries AS d USING (source, project)
LEFT JOIN items AS i USING (source, project)
LEFT JOIN assignees AS a USING (source, project)
