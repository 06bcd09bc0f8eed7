-- GitHub pull requests from the /pulls list, which has the branch name and merge time.
WITH pulls AS (
    SELECT
        source,
        scope AS project,
        json_transform(data, '{
            "id": "BIGINT",
            "number": "BIGINT",
            "title": "VARCHAR",
            "body": "VARCHAR",
            "head": {"ref": "VARCHAR"},
            "state": "VARCHAR",
            "draft": "BOOLEAN",
            "created_at": "TIMESTAMPTZ",
            "merged_at": "TIMESTAMPTZ",
            "closed_at": "TIMESTAMPTZ",
            "html_url": "VARCHAR"
        }') AS p
    FROM raw.github_pull_requests
    WHERE deleted_at IS NULL
)
SELECT
    source || ':' || p.id AS pull_request_id,
    source,
    project,
    p.number,
    p.title,
    p.body,
    p.head.ref AS head_ref,
    p.state,
    coalesce(p.draft, false) AS draft,
    p.created_at,
    p.merged_at,
    p.closed_at,
    p.html_url AS url
FROM pulls
