-- GitLab issues as work items, one row per issue.
--
-- Status is GitLab's state (opened, closed); an open issue is in_progress while it carries a label
-- the mapping's in_progress_labels names, whole or as a scoped label's value (`workflow::in
-- progress`), else todo. Type: INCIDENT is an incident; a bug label or a bug type (mapping) a bug;
-- TASK (a child of an issue) a subtask; the rest tasks, as GitHub's plain issues. Weight is story
-- points; time_stats give the estimate (0 means none was set) and the time spent, in seconds.
-- Closed as a duplicate: duplicate; moved to another project: other; else completed.
WITH mapping AS (  -- the config mapping's lists, lowercased as label_keys are
    SELECT
        [lower(x) FOR x IN getvariable('bug_labels')] AS bug_labels,
        [lower(x) FOR x IN getvariable('bug_types')] AS bug_types,
        [lower(x) FOR x IN getvariable('customer_labels')] AS customer_labels,
        [lower(x) FOR x IN getvariable('in_progress_labels')] AS in_progress_labels
)
SELECT
    i.work_item_id,
    i.source,
    'gitlab' AS source_type,
    i.project,
    i.reference AS key,
    i.issue_id::VARCHAR AS native_id,
    i.title,
    CASE
        WHEN i.native_type = 'INCIDENT' THEN 'incident'
        WHEN list_has_any(i.label_keys, p.bug_labels) OR list_contains(p.bug_types, lower(i.native_type)) THEN 'bug'
        WHEN i.native_type = 'TASK' THEN 'subtask'
        ELSE 'task'
    END AS item_type,
    i.native_type,
    i.state AS status,
    CASE
        WHEN i.state = 'closed' THEN 'done'
        WHEN list_has_any(i.label_keys, p.in_progress_labels) THEN 'in_progress'
        ELSE 'todo'
    END AS status_category,
    CASE
        WHEN i.state <> 'closed' THEN NULL
        WHEN i.is_duplicate THEN 'duplicate'
        WHEN i.is_moved THEN 'other'
        ELSE 'completed'
    END AS resolution,
    list_has_any(i.label_keys, p.customer_labels) AS is_customer_reported,
    NULL::VARCHAR AS priority,
    i.labels,
    i.assignee,
    i.reporter,
    i.weight AS story_points,
    nullif(i.time_estimate, 0) AS original_estimate_seconds,
    i.time_spent AS time_spent_seconds,
    NULL::VARCHAR AS parent_key,
    NULL::VARCHAR AS epic_key,
    i.created_at,
    i.updated_at,
    i.closed_at,
    i.due_date,
    i.url
FROM staging.gitlab__issues AS i
CROSS JOIN mapping AS p
