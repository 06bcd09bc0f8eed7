-- GitHub issues as work items, one row per issue.
--
-- The connector already drops pull requests from the issues list; the guard on pull_request
-- keeps one that slipped through out of every count. Label and type matching is case-insensitive;
-- an in-progress label counts whole or as a scoped label's value (`workflow::doing`), as in the
-- status history (intermediate.status_changes).
WITH params AS (
    SELECT
        list_transform(getvariable('bug_labels'), lambda x: lower(x)) AS bug_labels,
        list_transform(getvariable('customer_labels'), lambda x: lower(x)) AS customer_labels,
        list_transform(getvariable('in_progress_labels'), lambda x: lower(x)) AS in_progress_labels,
        list_transform(getvariable('bug_types'), lambda x: lower(x)) AS bug_types
),
issues AS (
    SELECT
        source,
        scope AS project,
        json_transform(data, '{
            "id": "BIGINT",
            "number": "BIGINT",
            "title": "VARCHAR",
            "state": "VARCHAR",
            "state_reason": "VARCHAR",
            "labels": [{"name": "VARCHAR"}],
            "assignee": {"login": "VARCHAR"},
            "user": {"login": "VARCHAR"},
            "type": {"name": "VARCHAR"},
            "pull_request": "JSON",
            "created_at": "TIMESTAMPTZ",
            "updated_at": "TIMESTAMPTZ",
            "closed_at": "TIMESTAMPTZ",
            "html_url": "VARCHAR"
        }') AS i
    FROM raw.github_issues
    WHERE deleted_at IS NULL
),
flattened AS (
    SELECT
        source,
        project,
        i.*,
        list_transform(i.labels, lambda x: x.name) AS label_names,
        list_transform(i.labels, lambda x: lower(x.name)) AS lower_labels,
        -- As intermediate.status_changes reads label events: a scoped label also by its last value.
        list_transform(i.labels, lambda x: lower(string_split(x.name, '::')[-1])) AS scoped_values,
        lower(i.type.name) AS lower_type
    FROM issues
    -- 2012-era answers put a pull_request object with null URLs on plain issues.
    WHERE coalesce(i.pull_request->>'url', i.pull_request->>'html_url') IS NULL
)
SELECT
    source || ':' || id AS work_item_id,
    source,
    'github' AS source_type,
    project,
    project || '#' || number AS key,
    id::VARCHAR AS native_id,
    title,
    CASE
        WHEN list_has_any(lower_labels, p.bug_labels) OR list_contains(p.bug_types, lower_type) THEN 'bug'
        WHEN lower_type = 'feature' THEN 'feature'
        ELSE 'task'
    END AS item_type,
    type.name AS native_type,
    state AS status,
    CASE
        WHEN state = 'closed' THEN 'done'
        WHEN assignee.login IS NOT NULL OR list_has_any(lower_labels || scoped_values, p.in_progress_labels)
            THEN 'in_progress'
        ELSE 'todo'
    END AS status_category,
    -- GitHub closes with a reason since 2022; older closes carry none and count as completed.
    CASE
        WHEN state <> 'closed' THEN NULL
        WHEN state_reason IS NULL OR state_reason = 'completed' THEN 'completed'
        WHEN state_reason IN ('not_planned', 'duplicate') THEN state_reason
        ELSE 'other'
    END AS resolution,
    list_has_any(lower_labels, p.customer_labels) AS is_customer_reported,
    NULL::VARCHAR AS priority,
    label_names AS labels,
    assignee.login AS assignee,
    user.login AS reporter,
    NULL::DOUBLE AS story_points,
    NULL::BIGINT AS original_estimate_seconds,
    NULL::BIGINT AS time_spent_seconds,
    NULL::VARCHAR AS parent_key,
    NULL::VARCHAR AS epic_key,
    created_at,
    updated_at,
    closed_at,
    NULL::DATE AS due_date,
    html_url AS url
FROM flattened
CROSS JOIN params AS p
