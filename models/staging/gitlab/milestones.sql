-- GitLab project milestones, group milestones and iterations as milestones, in the canonical shape
-- of staging.milestones.
--
-- A group milestone is one milestone across the group's projects: listed under each project (the
-- connector asks for ancestors' milestones), it lands once (raw rows are keyed by id) and its
-- project is the group's path, from its web_url (`/groups/<path>/-/milestones/`), so its forecast
-- draws on the throughput of every project under that path (intermediate.project_weekly_throughput).
-- Milestones are active or closed; GitLab keeps no closing time, so a closed one is closed at its
-- last update. Iterations (paid tiers) are the group's sprints: state 1 upcoming and 2 current are
-- open, 3 closed, which GitLab does when the iteration's last day ends; an automatic cadence's
-- iterations have no title, so they are named by their dates. Milestone and iteration ids are
-- separate ranges: iterations are '<source>:iteration:<id>'.
WITH milestones AS (
    SELECT
        source,
        scope,
        json_transform(data, '{
            "id": "BIGINT",
            "group_id": "BIGINT",
            "title": "VARCHAR",
            "state": "VARCHAR",
            "start_date": "DATE",
            "due_date": "DATE",
            "created_at": "TIMESTAMPTZ",
            "updated_at": "TIMESTAMPTZ",
            "web_url": "VARCHAR"
        }') AS m
    FROM raw.gitlab_milestones
    WHERE deleted_at IS NULL
),
iterations AS (
    SELECT
        source,
        json_transform(data, '{
            "id": "BIGINT",
            "title": "VARCHAR",
            "state": "INTEGER",
            "start_date": "DATE",
            "due_date": "DATE",
            "created_at": "TIMESTAMPTZ",
            "web_url": "VARCHAR"
        }') AS t
    FROM raw.gitlab_iterations
    WHERE deleted_at IS NULL
)
SELECT
    source || ':' || m.id AS milestone_id,
    source,
    'gitlab' AS source_type,
    CASE
        WHEN m.group_id IS NULL THEN scope
        ELSE regexp_extract(m.web_url, '/groups/(.+)/-/milestones/', 1)
    END AS project,
    CASE WHEN m.group_id IS NULL THEN 'gitlab_milestone' ELSE 'gitlab_group_milestone' END AS kind,
    m.title AS name,
    CASE WHEN m.state = 'closed' THEN 'closed' ELSE 'open' END AS state,
    m.start_date,
    m.start_date::TIMESTAMPTZ AS start_at,
    m.due_date,
    m.created_at,
    CASE WHEN m.state = 'closed' THEN m.updated_at END AS closed_at,
    m.web_url AS url
FROM milestones
UNION ALL
SELECT
    source || ':iteration:' || t.id,
    source,
    'gitlab',
    regexp_extract(t.web_url, '/groups/(.+)/-/iterations/', 1),
    'gitlab_iteration',
    coalesce(t.title, strftime(t.start_date, '%b %-d, %Y') || ' – ' || strftime(t.due_date, '%b %-d, %Y')),
    CASE WHEN t.state = 3 THEN 'closed' ELSE 'open' END,
    t.start_date,
    t.start_date::TIMESTAMPTZ,
    t.due_date,
    t.created_at,
    CASE WHEN t.state = 3 THEN (t.due_date + 1)::TIMESTAMPTZ - INTERVAL 1 SECOND END,
    t.web_url
FROM iterations
