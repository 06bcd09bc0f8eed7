-- Completed work items per project in each of the forecast window's weeks: forecast.window_weeks
-- full 7-day weeks ending at the run's as_of (week 1 is the latest), weeks without completions
-- included as 0. The sample the forecast draws from.
--
-- Only items resolved as completed count (not_planned and duplicate closes are not delivery);
-- an item counts in the week of its last resolution. A project whose name is a path over other
-- projects' (a GitLab group 'acme' over 'acme/web' and 'acme/api') spans them: its throughput,
-- which a group milestone's forecast draws on, is theirs together.
--
-- columns:
--   source: Name of the configured source.
--   project: The project.
--   week_index: 1 for the week ending at as_of, 2 for the week before, and so on.
--   week_start: Start of the week (exclusive).
--   week_end: End of the week (inclusive).
--   completed_items: Items of the project (of a group: of every project under it) resolved as
--     completed in that week.
WITH window_weeks AS (
    SELECT
        range + 1 AS week_index,
        getvariable('as_of') - to_days(CAST(7 * (range + 1) AS INTEGER)) AS week_start,
        getvariable('as_of') - to_days(CAST(7 * range AS INTEGER)) AS week_end
    FROM range(getvariable('forecast_window_weeks'))
),
projects AS (
    SELECT source, project FROM staging.milestones
    UNION
    SELECT source, project FROM staging.work_items
),
completions AS (
    SELECT
        p.source,
        p.project,
        1 + floor(epoch(getvariable('as_of') - l.resolved_at) / (7 * 86400))::INTEGER AS week_index,
        count(*) AS completed_items
    FROM staging.work_items AS w
    JOIN intermediate.work_item_figures AS l USING (work_item_id)
    JOIN projects AS p
        ON p.source = w.source AND (p.project = w.project OR starts_with(w.project, p.project || '/'))
    WHERE w.resolution = 'completed'
      AND l.resolved_at <= getvariable('as_of')
      AND l.resolved_at > getvariable('as_of')
          - to_days(CAST(7 * getvariable('forecast_window_weeks') AS INTEGER))
    GROUP BY ALL
)
SELECT
    p.source,
    p.project,
    k.week_index,
    k.week_start,
    k.week_end,
    coalesce(c.completed_items, 0) AS completed_items
FROM projects AS p
CROSS JOIN window_weeks AS k
LEFT JOIN completions AS c USING (source, project, week_index)
