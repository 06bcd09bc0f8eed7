-- Scope and progress of each milestone: baseline, added, removed, in scope, done, remaining,
-- their points and budget, measured when it was completed (or at as_of while it is not), and
-- when it was completed (intermediate.milestone_completion). Input of the forecast and of
-- marts.project_completion.
--
-- columns:
--   milestone_id: The milestone.
--   source: Name of the configured source.
--   project: Project of the milestone; throughput for its forecast comes from this project.
--   state: open, closed or released.
--   baseline_at: When the scope was frozen as the plan.
--   baseline_items: Items in the milestone at baseline_at.
--   added_items: Items that entered the scope after baseline_at.
--   removed_items: Items that left the scope after baseline_at (removed, not_planned, duplicate).
--   scope_items: Items in the milestone now, excluding not_planned and duplicate.
--   done_items: Scoped items resolved as completed.
--   remaining_items: scope_items - done_items.
--   baseline_points: Story points of the baseline items; null without points.
--   scope_points: Story points of the scoped items; null without points.
--   done_points: Story points of the done items (0 when none is done); null when scope_points is.
--   estimate_seconds: Original estimates of the scoped items; null without estimates.
--   time_spent_seconds: Time logged on the scoped items; null without worklogs.
--   completed_at: When the milestone was completed; null while it is not.
WITH totals AS (
    SELECT
        milestone_id,
        count(*) FILTER (WHERE in_baseline) AS baseline_items,
        count(*) FILTER (WHERE added_after_baseline) AS added_items,
        count(*) FILTER (WHERE removed_after_baseline) AS removed_items,
        count(*) FILTER (WHERE in_scope) AS scope_items,
        count(*) FILTER (WHERE is_done) AS done_items,
        sum(story_points) FILTER (WHERE in_baseline) AS baseline_points,
        sum(story_points) FILTER (WHERE in_scope) AS scope_points,
        sum(story_points) FILTER (WHERE is_done) AS done_points,
        sum(original_estimate_seconds) FILTER (WHERE in_scope)::BIGINT AS estimate_seconds,
        sum(time_spent_seconds) FILTER (WHERE in_scope)::BIGINT AS time_spent_seconds
    FROM intermediate.milestone_items
    GROUP BY milestone_id
)
SELECT
    m.milestone_id,
    m.source,
    m.project,
    m.state,
    b.baseline_at,
    coalesce(t.baseline_items, 0) AS baseline_items,
    coalesce(t.added_items, 0) AS added_items,
    coalesce(t.removed_items, 0) AS removed_items,
    coalesce(t.scope_items, 0) AS scope_items,
    coalesce(t.done_items, 0) AS done_items,
    coalesce(t.scope_items - t.done_items, 0) AS remaining_items,
    t.baseline_points,
    t.scope_points,
    CASE WHEN t.scope_points IS NOT NULL THEN coalesce(t.done_points, 0) END AS done_points,
    t.estimate_seconds,
    t.time_spent_seconds,
    c.completed_at
FROM staging.milestones AS m
LEFT JOIN intermediate.milestone_baselines AS b USING (milestone_id)
LEFT JOIN intermediate.milestone_completion AS c USING (milestone_id)
LEFT JOIN totals AS t USING (milestone_id)
