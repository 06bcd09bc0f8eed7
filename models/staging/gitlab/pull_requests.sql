-- GitLab merge requests as pull requests, one row per merge request.
--
-- State: opened (and locked, a merge under way) is open; merged and closed are closed, a merged
-- one closed when it merged. The issues each one closes ("Closes #12") are in
-- staging.gitlab__pull_request_links.
WITH merge_requests AS (
    SELECT
        source,
        scope AS project,
        json_transform(data, '{
            "id": "BIGINT",
            "iid": "BIGINT",
            "title": "VARCHAR",
            "description": "VARCHAR",
            "source_branch": "VARCHAR",
            "state": "VARCHAR",
            "draft": "BOOLEAN",
            "created_at": "TIMESTAMPTZ",
            "merged_at": "TIMESTAMPTZ",
            "closed_at": "TIMESTAMPTZ",
            "web_url": "VARCHAR"
        }') AS m
    FROM raw.gitlab_merge_requests
    WHERE deleted_at IS NULL
)
SELECT
    source || ':' || m.id AS pull_request_id,
    source,
    project,
    m.iid AS number,
    m.title,
    m.description AS body,
    m.source_branch AS head_ref,
    CASE WHEN m.state IN ('merged', 'closed') THEN 'closed' ELSE 'open' END AS state,
    coalesce(m.draft, false) AS draft,
    m.created_at,
    m.merged_at,
    CASE WHEN m.state IN ('merged', 'closed') THEN coalesce(m.closed_at, m.merged_at) END AS closed_at,
    m.web_url AS url
FROM merge_requests
