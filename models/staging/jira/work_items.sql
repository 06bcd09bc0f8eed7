-- Jira issues as work items, one row per issue, in the canonical shape of staging.work_items.
--
-- Issue type, status category and resolution are mapped to the shared vocabulary here: types by
-- name (mapping.bug_types are bugs), categories from Jira's status category unless
-- mapping.status_categories names the status, resolutions by name (mapping.not_planned_resolutions,
-- mapping.duplicate_resolutions) and otherwise completed once the status is done, whatever the
-- site calls it ("Done", "完成", "Erledigt"). Name matching is case-insensitive.
WITH params AS (
    SELECT
        list_transform(getvariable('bug_types'), lambda x: lower(x)) AS bug_types,
        list_transform(getvariable('customer_labels'), lambda x: lower(x)) AS customer_labels,
        list_transform(getvariable('not_planned_resolutions'), lambda x: lower(x)) AS not_planned,
        list_transform(getvariable('duplicate_resolutions'), lambda x: lower(x)) AS duplicates,
        map_from_entries(
            list_transform(map_entries(getvariable('status_categories')), lambda e: {'k': lower(e.key), 'v': e.value})
        ) AS status_overrides
),
classified AS (
    SELECT
        i.*,
        CASE
            WHEN list_contains(p.bug_types, lower(i.native_type)) THEN 'bug'
            WHEN i.is_subtask OR lower(i.native_type) IN ('sub-task', 'subtask') THEN 'subtask'
            WHEN lower(i.native_type) IN ('story', 'feature', 'improvement', 'new feature') THEN 'feature'
            WHEN lower(i.native_type) = 'epic' THEN 'epic'
            WHEN lower(i.native_type) = 'incident' THEN 'incident'
            WHEN lower(i.native_type) = 'task' THEN 'task'
            ELSE 'other'
        END AS item_type,
        coalesce(
            p.status_overrides[lower(i.status)],
            CASE i.status_category_key WHEN 'done' THEN 'done' WHEN 'indeterminate' THEN 'in_progress' ELSE 'todo' END
        ) AS status_category,
        list_has_any(list_transform(i.labels, lambda x: lower(x)), p.customer_labels) OR i.has_request_type
            AS is_customer_reported,
        list_contains(p.not_planned, lower(i.resolution)) AS is_not_planned,
        list_contains(p.duplicates, lower(i.resolution)) AS is_duplicate
    FROM staging.jira__issues AS i
    CROSS JOIN params AS p
)
SELECT
    work_item_id,
    source,
    'jira' AS source_type,
    project,
    key,
    native_id,
    title,
    item_type,
    native_type,
    status,
    status_category,
    CASE
        WHEN is_not_planned THEN 'not_planned'
        WHEN is_duplicate THEN 'duplicate'
        WHEN status_category = 'done' THEN 'completed'
    END AS resolution,
    is_customer_reported,
    priority,
    labels,
    assignee,
    reporter,
    story_points,
    original_estimate_seconds,
    time_spent_seconds,
    parent_key,
    epic_key,
    created_at,
    updated_at,
    -- Workflows without a resolution never set resolutiondate; a reopened issue may keep a stale one.
    CASE WHEN status_category = 'done' THEN coalesce(resolved_at, status_category_changed_at) END AS closed_at,
    due_date,
    url
FROM classified
