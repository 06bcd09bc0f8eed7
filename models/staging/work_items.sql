-- Every tracker's work items (GitHub issues, Jira tickets) in one shape, one row per item;
-- pull requests are not work items.
--
-- Canonical columns of staging.work_items: each staging.<tracker>__work_items is unioned into it
-- by name. This typed, empty query fixes the column types and is the table when no tracker is
-- configured.
--
-- columns:
--   work_item_id: Unique id '<source>:<native id>' (GitHub issue id, Jira issue id).
--   source: Name of the configured source the item comes from.
--   source_type: Tracker type, as registered: github, gitlab or jira.
--   project: Jira project key, GitHub 'owner/repo', GitLab project path (a group path for a group milestone).
--   key: Human key: Jira 'PAY-12', GitHub 'owner/repo#12'.
--   native_id: The tracker's own id of the item.
--   title: Title or summary.
--   item_type: bug, feature, task, epic, subtask, incident or other.
--   native_type: The tracker's own type name (Jira issue type, GitHub issue type), if any.
--   status: The tracker's status name (GitHub: open or closed).
--   status_category: todo, in_progress or done.
--   resolution: completed, not_planned, duplicate, other; null while not resolved.
--   is_customer_reported: Reported by a customer (a customer label or a service-desk request type).
--   priority: The tracker's priority name, if any.
--   labels: Label names as in the tracker.
--   assignee: Login or display name of the current assignee.
--   reporter: Login or display name of who opened the item.
--   story_points: Story points; null where the tracker has none.
--   original_estimate_seconds: Original time estimate in seconds; null where the tracker has none.
--   time_spent_seconds: Time logged in seconds; null where the tracker has none.
--   parent_key: Key of the parent item (sub-task parent), if any.
--   epic_key: Key of the epic the item belongs to, if any.
--   created_at: When the item was created (UTC).
--   updated_at: When the item last changed (UTC).
--   closed_at: When the item was last closed or resolved (UTC); null while open.
--   due_date: The item's own due date, if the tracker has one.
--   url: Link to the item in the tracker's web UI.
SELECT
    NULL::VARCHAR AS work_item_id,
    NULL::VARCHAR AS source,
    NULL::VARCHAR AS source_type,
    NULL::VARCHAR AS project,
    NULL::VARCHAR AS key,
    NULL::VARCHAR AS native_id,
    NULL::VARCHAR AS title,
    NULL::VARCHAR AS item_type,
    NULL::VARCHAR AS native_type,
    NULL::VARCHAR AS status,
    NULL::VARCHAR AS status_category,
    NULL::VARCHAR AS resolution,
    NULL::BOOLEAN AS is_customer_reported,
    NULL::VARCHAR AS priority,
    NULL::VARCHAR[] AS labels,
    NULL::VARCHAR AS assignee,
    NULL::VARCHAR AS reporter,
    NULL::DOUBLE AS story_points,
    NULL::BIGINT AS original_estimate_seconds,
    NULL::BIGINT AS time_spent_seconds,
    NULL::VARCHAR AS parent_key,
    NULL::VARCHAR AS epic_key,
    NULL::TIMESTAMPTZ AS created_at,
    NULL::TIMESTAMPTZ AS updated_at,
    NULL::TIMESTAMPTZ AS closed_at,
    NULL::DATE AS due_date,
    NULL::VARCHAR AS url
WHERE false
