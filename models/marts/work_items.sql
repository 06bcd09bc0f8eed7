-- Every issue and ticket of every tracker (pull requests excluded), one row each: what it is,
-- where it stands, which milestones it is in, and how long it took (lead and cycle time).
--
-- columns:
--   work_item_id: Unique id '<source>:<native id>'.
--   source: Name of the configured source the item comes from.
--   source_type: Tracker type, as registered: github, gitlab or jira.
--   project: Jira project key, GitHub 'owner/repo', GitLab project path (a group path for a group milestone).
--   key: Human key: Jira 'PAY-12', GitHub 'owner/repo#12'.
--   title: Title or summary.
--   item_type: bug, feature, task, epic, subtask, incident or other.
--   native_type: The tracker's own type name (Jira issue type, GitHub issue type), if any.
--   status: The tracker's status name (GitHub: open or closed).
--   status_category: todo, in_progress or done.
--   resolution: completed, not_planned, duplicate or other; null while not resolved. Only completed
--     counts as delivered.
--   is_customer_reported: Reported by a customer (a customer label or a service-desk request type).
--   priority: The tracker's priority name, if any.
--   labels: Label names as in the tracker.
--   assignee: Current assignee.
--   reporter: Who opened the item.
--   story_points: Story points; null where the tracker has none, or holds a value that means nothing
--     (negative or NaN: listed in intermediate.source_data_oddities).
--   original_estimate_seconds: Original time estimate in seconds; null where the tracker has none or
--     holds a negative one.
--   time_spent_seconds: Time logged in seconds; null where the tracker has none or holds a negative
--     value.
--   parent_key: Key of the parent item, if any.
--   epic_key: Key of the epic the item belongs to, if any.
--   milestone_ids: Milestones (marts.milestones) the item is in now.
--   created_at: When the item was created (UTC).
--   updated_at: When the item last changed (UTC).
--   started_at: First time the item went in progress; null if it never did.
--   resolved_at: Last move from a not-done status category into done (moves between done statuses do
--     not count); null while it is not done, or when the tracker dates it before the item's creation.
--   due_date: The item's own due date, if the tracker has one.
--   lead_time_days: resolved_at - created_at in days (fractional); null while not done.
--   cycle_time_days: resolved_at - started_at in days (fractional); null if never in progress.
--   reopened_count: How often the item went from done back to not done.
--   url: Link to the item in the tracker's web UI.
WITH current_milestones AS (
    SELECT work_item_id, list(milestone_id ORDER BY milestone_id) AS milestone_ids
    FROM intermediate.milestone_items
    WHERE removed_at IS NULL
    GROUP BY work_item_id
)
SELECT
    w.work_item_id,
    w.source,
    w.source_type,
    w.project,
    w.key,
    w.title,
    w.item_type,
    w.native_type,
    w.status,
    w.status_category,
    w.resolution,
    w.is_customer_reported,
    w.priority,
    w.labels,
    w.assignee,
    w.reporter,
    l.story_points,
    l.original_estimate_seconds,
    l.time_spent_seconds,
    w.parent_key,
    w.epic_key,
    coalesce(m.milestone_ids, []) AS milestone_ids,
    w.created_at,
    w.updated_at,
    l.started_at,
    l.resolved_at,
    w.due_date,
    epoch(l.resolved_at - w.created_at) / 86400 AS lead_time_days,
    epoch(l.resolved_at - l.started_at) / 86400 AS cycle_time_days,
    l.reopened_count,
    w.url
FROM staging.work_items AS w
JOIN intermediate.work_item_figures AS l USING (work_item_id)
LEFT JOIN current_milestones AS m USING (work_item_id)
