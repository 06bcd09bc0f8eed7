-- Jira fix versions and sprints as milestones, in the canonical shape of staging.milestones.
--
-- Versions: released → released, archived without release → closed, else open; due date =
-- releaseDate, which Jira overwrites with the actual day on release (the due-date log keeps the
-- plan). Sprints: closed → closed, future and active → open; due date = endDate, closed at
-- completeDate. Version and sprint ids are separate number ranges, so ids are
-- '<source>:version:<id>' and '<source>:sprint:<id>'. A sprint is listed once, under the project
-- that owns its board.
WITH versions AS (
    SELECT
        source,
        scope AS project,
        json_transform(data, '{
            "id": "VARCHAR",
            "name": "VARCHAR",
            "released": "BOOLEAN",
            "archived": "BOOLEAN",
            "startDate": "VARCHAR",
            "releaseDate": "VARCHAR",
            "self": "VARCHAR"
        }') AS v
    FROM raw.jira_versions
    WHERE deleted_at IS NULL
),
sprints AS (
    SELECT
        source,
        scope AS project,
        json_transform(data, '{
            "id": "VARCHAR",
            "name": "VARCHAR",
            "state": "VARCHAR",
            "startDate": "TIMESTAMPTZ",
            "endDate": "TIMESTAMPTZ",
            "completeDate": "TIMESTAMPTZ",
            "createdDate": "TIMESTAMPTZ",
            "originBoardId": "VARCHAR",
            "self": "VARCHAR"
        }') AS s
    FROM raw.jira_sprints
    WHERE deleted_at IS NULL
)
SELECT
    source || ':version:' || v.id AS milestone_id,
    source,
    'jira' AS source_type,
    project,
    'jira_version' AS kind,
    v.name,
    CASE WHEN v.released THEN 'released' WHEN v.archived THEN 'closed' ELSE 'open' END AS state,
    -- Dates are yyyy-mm-dd on the version list; the agile version list sends full timestamps.
    TRY_CAST(left(v.startDate, 10) AS DATE) AS start_date,
    TRY_CAST(left(v.startDate, 10) AS DATE)::TIMESTAMPTZ AS start_at,
    TRY_CAST(left(v.releaseDate, 10) AS DATE) AS due_date,
    NULL::TIMESTAMPTZ AS created_at,
    CASE WHEN v.released THEN TRY_CAST(left(v.releaseDate, 10) AS DATE)::TIMESTAMPTZ END AS closed_at,
    regexp_replace(v.self, '/rest/.*$', '') || '/projects/' || project || '/versions/' || v.id AS url
FROM versions
UNION ALL
SELECT
    source || ':sprint:' || s.id,
    source,
    'jira',
    project,
    'jira_sprint',
    s.name,
    CASE WHEN s.state = 'closed' THEN 'closed' ELSE 'open' END,
    s.startDate::DATE,
    s.startDate,
    s.endDate::DATE,
    s.createdDate,
    s.completeDate,
    regexp_replace(s.self, '/rest/.*$', '') || '/secure/RapidBoard.jspa?rapidView=' || s.originBoardId
        || '&view=reporting&chart=sprintRetrospective&sprint=' || s.id
FROM sprints
