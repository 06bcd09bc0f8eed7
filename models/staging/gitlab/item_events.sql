-- GitLab resource events as item events (staging.item_events): every issue was created opened /
-- todo; state events closed and reopened (or opened) are status changes to closed / done and
-- opened / todo; label events as labels added and removed; milestone and iteration events as
-- milestones joined and left.
--
-- GitLab records a move from one milestone (or iteration) to another as the new one's add alone
-- (an issue has one of each): an add that follows another's add, with no remove between, also
-- leaves that one at the same instant. Event ids order one issue's events within an instant
-- (each kind of event has ids of its own, so only within one kind).
WITH states AS (
    SELECT
        source || ':' || (data ->> '$._parent.id') AS work_item_id,
        json_transform(data, '{"id": "BIGINT", "state": "VARCHAR", "created_at": "TIMESTAMPTZ"}') AS e
    FROM raw.gitlab_resource_state_events
    WHERE deleted_at IS NULL
),
labels AS (
    SELECT
        source || ':' || (data ->> '$._parent.id') AS work_item_id,
        json_transform(data, '{
            "id": "BIGINT", "action": "VARCHAR", "created_at": "TIMESTAMPTZ", "label": {"name": "VARCHAR"}
        }') AS e
    FROM raw.gitlab_resource_label_events
    WHERE deleted_at IS NULL
),
timebox_events AS (
    -- Milestones and iterations: one of each per issue, their events alike.
    SELECT
        source || ':' || (data ->> '$._parent.id') AS work_item_id,
        'milestone' AS timebox,
        json_transform(data, '{"id": "BIGINT", "action": "VARCHAR", "created_at": "TIMESTAMPTZ"}') AS e,
        source || ':' || (data ->> '$.milestone.id') AS milestone_id
    FROM raw.gitlab_resource_milestone_events
    WHERE deleted_at IS NULL AND data ->> '$.milestone.id' IS NOT NULL
    UNION ALL
    SELECT
        source || ':' || (data ->> '$._parent.id'),
        'iteration',
        json_transform(data, '{"id": "BIGINT", "action": "VARCHAR", "created_at": "TIMESTAMPTZ"}'),
        source || ':iteration:' || (data ->> '$.iteration.id')
    FROM raw.gitlab_resource_iteration_events
    WHERE deleted_at IS NULL AND data ->> '$.iteration.id' IS NOT NULL
),
milestone_steps AS (
    SELECT
        work_item_id,
        e.created_at AS happened_at,
        e.id AS seq,
        e.action,
        milestone_id,
        lag(e.action) OVER previous AS previous_action,
        lag(milestone_id) OVER previous AS previous_milestone_id
    FROM timebox_events
    WINDOW previous AS (PARTITION BY work_item_id, timebox ORDER BY e.created_at, e.id)
)
SELECT work_item_id, created_at AS happened_at, -1 AS seq, 'created' AS kind, 'opened' AS status,
    'todo' AS status_category, NULL::VARCHAR AS label, NULL::VARCHAR AS milestone_id
FROM staging.gitlab__work_items
UNION ALL
SELECT
    work_item_id,
    e.created_at,
    e.id,
    'status_changed',
    CASE e.state WHEN 'closed' THEN 'closed' ELSE 'opened' END,
    CASE e.state WHEN 'closed' THEN 'done' ELSE 'todo' END,
    NULL,
    NULL
FROM states
WHERE e.state IN ('closed', 'reopened', 'opened')
UNION ALL
SELECT
    work_item_id,
    e.created_at,
    e.id,
    CASE e.action WHEN 'add' THEN 'label_added' ELSE 'label_removed' END,
    NULL,
    NULL,
    e.label.name,
    NULL
FROM labels
WHERE e.action IN ('add', 'remove') AND e.label.name IS NOT NULL
UNION ALL
SELECT
    work_item_id,
    happened_at,
    seq,
    CASE action WHEN 'add' THEN 'milestone_joined' ELSE 'milestone_left' END,
    NULL,
    NULL,
    NULL,
    milestone_id
FROM milestone_steps
WHERE action IN ('add', 'remove')
UNION ALL
-- The milestone a move left (its remove is not recorded), just before the new one's add.
SELECT work_item_id, happened_at, seq - 1, 'milestone_left', NULL, NULL, NULL, previous_milestone_id
FROM milestone_steps
WHERE action = 'add' AND previous_action = 'add' AND previous_milestone_id <> milestone_id
