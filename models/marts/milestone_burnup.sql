-- The burn-up of every milestone: one row per milestone and day, with the items (and points) in
-- its scope and done at the end of that day, rebuilt from membership and status history, not from
-- the current state. A scope line that rises shows scope creep; the gap to the done line is the
-- work left.
--
-- Days run from the day of baseline_at (the milestone's start, else the later of its creation and
-- its first item joining, plus the grace period) to the day of completed_at, or of as_of while it
-- is open; a milestone completed before its baseline has the one day. An item counts in scope while it is in the
-- milestone and not closed as not_planned or duplicate, and as done while it is closed as
-- completed; the last day is the moment marts.project_completion measures, so it shows the same
-- scope_items and done_items.
--
-- columns:
--   milestone_id: The milestone (marts.milestones).
--   day: The day (UTC) whose end the figures describe.
--   scope_items: Items in scope at the end of the day.
--   done_items: Of those, items done (resolved as completed) at the end of the day.
--   scope_points: Story points of the scoped items; null when none of them has points (GitHub).
--   done_points: Story points of the done items; null when scope_points is null.
WITH bounds AS (
    SELECT
        c.milestone_id,
        c.measured_at::DATE - 1 AS last_day,
        least(coalesce(b.baseline_at::DATE, last_day), last_day) AS first_day
    FROM intermediate.milestone_completion AS c
    JOIN intermediate.milestone_baselines AS b USING (milestone_id)
),
-- The states an item went through while in the milestone, as intervals.
spells AS (
    SELECT
        s.milestone_id,
        greatest(s.joined_at, st.valid_from) AS from_at,
        least(s.left_at, st.valid_to) AS to_at,
        st.state = 'done' AS is_done,
        f.story_points
    FROM intermediate.milestone_stays AS s
    JOIN intermediate.work_item_states AS st
        ON st.work_item_id = s.work_item_id
        AND st.valid_from < coalesce(s.left_at, 'infinity'::TIMESTAMPTZ)
        AND coalesce(st.valid_to, 'infinity'::TIMESTAMPTZ) > s.joined_at
    JOIN intermediate.work_item_figures AS f ON f.work_item_id = s.work_item_id
    WHERE st.state <> 'dropped'
),
-- A spell counts at the end of every day from its first day up to the day before it ends.
steps AS (
    SELECT milestone_id, from_at::DATE AS day, 1 AS sign, is_done, story_points FROM spells
    UNION ALL
    SELECT milestone_id, to_at::DATE, -1, is_done, story_points FROM spells WHERE to_at IS NOT NULL
),
daily AS (
    SELECT
        milestone_id,
        day,
        sum(sign) AS scope_items,
        sum(sign) FILTER (WHERE is_done) AS done_items,
        sum(sign) FILTER (WHERE story_points IS NOT NULL) AS pointed_items,
        sum(sign * story_points) AS scope_points,
        sum(sign * story_points) FILTER (WHERE is_done) AS done_points
    FROM steps
    GROUP BY ALL
),
running AS (
    SELECT
        milestone_id,
        day,
        sum(scope_items) OVER by_day AS scope_items,
        sum(coalesce(done_items, 0)) OVER by_day AS done_items,
        sum(coalesce(pointed_items, 0)) OVER by_day AS pointed_items,
        sum(coalesce(scope_points, 0)) OVER by_day AS scope_points,
        sum(coalesce(done_points, 0)) OVER by_day AS done_points
    FROM daily
    WINDOW by_day AS (PARTITION BY milestone_id ORDER BY day)
),
days AS (
    SELECT milestone_id, unnest(generate_series(first_day, last_day, INTERVAL 1 DAY))::DATE AS day
    FROM bounds
)
SELECT
    d.milestone_id,
    d.day,
    coalesce(r.scope_items, 0)::BIGINT AS scope_items,
    coalesce(r.done_items, 0)::BIGINT AS done_items,
    CASE WHEN r.pointed_items > 0 THEN r.scope_points END AS scope_points,
    CASE WHEN r.pointed_items > 0 THEN r.done_points END AS done_points
FROM days AS d
ASOF LEFT JOIN running AS r ON r.milestone_id = d.milestone_id AND d.day >= r.day
