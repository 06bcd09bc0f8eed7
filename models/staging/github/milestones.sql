-- GitHub milestones, one row per milestone; due_on is kept (it may be null).
WITH milestones AS (
    SELECT
        source,
        scope AS project,
        json_transform(data, '{
            "id": "BIGINT",
            "title": "VARCHAR",
            "state": "VARCHAR",
            "due_on": "TIMESTAMPTZ",
            "created_at": "TIMESTAMPTZ",
            "closed_at": "TIMESTAMPTZ",
            "html_url": "VARCHAR"
        }') AS m
    FROM raw.github_milestones
    WHERE deleted_at IS NULL
)
SELECT
    source || ':' || m.id AS milestone_id,
    source,
    'github' AS source_type,
    project,
    'github_milestone' AS kind,
    m.title AS name,
    m.state,
    NULL::DATE AS start_date,
    NULL::TIMESTAMPTZ AS start_at,
    m.due_on::DATE AS due_date,
    m.created_at,
    m.closed_at,
    m.html_url AS url
FROM milestones
