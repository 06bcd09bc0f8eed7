-- The issues each GitLab merge request closes when merged ("Closes #12" in its description or
-- commits, as GitLab resolves them: GET /merge_requests/:iid/closes_issues), one row per link.
--
-- columns:
--   pull_request_id: The merge request, as in staging.pull_requests.
--   work_item_id: The closed issue, as in staging.work_items; null for an external tracker's issue.
--   external_key: An external tracker's issue key (a project using Jira: 'PAY-12'); null otherwise.
WITH lists AS (
    SELECT source, data ->> '$._parent.id' AS merge_request_id, unnest(data -> '$.items[*]') AS issue
    FROM raw.gitlab_merge_request_closes_issues
    WHERE deleted_at IS NULL
)
SELECT
    source || ':' || merge_request_id AS pull_request_id,
    CASE WHEN issue ->> '$.iid' IS NOT NULL THEN source || ':' || (issue ->> '$.id') END AS work_item_id,
    CASE WHEN issue ->> '$.iid' IS NULL THEN issue ->> '$.id' END AS external_key
FROM lists
