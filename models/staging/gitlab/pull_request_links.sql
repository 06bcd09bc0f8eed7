-- The issues each GitLab merge request closes when merged ("Closes #12" in its description or
-- commits, as GitLab resolves them: GET /merge_requests/:iid/closes_issues), in the canonical
-- shape of staging.pull_request_links.
--
-- An issue of a synced project is named by its key ('group/project#12'); one of a project that is
-- not synced is left out (closes_issues names it by id alone); an external tracker's issue (a
-- project using Jira) by its own key.
WITH lists AS (
    SELECT source, data ->> '$._parent.id' AS merge_request_id, unnest(data -> '$.items[*]') AS issue
    FROM raw.gitlab_merge_request_closes_issues
    WHERE deleted_at IS NULL
)
SELECT l.source || ':' || l.merge_request_id AS pull_request_id, coalesce(i.reference, l.issue ->> '$.id') AS work_item_key
FROM lists AS l
LEFT JOIN staging.gitlab__issues AS i ON i.work_item_id = l.source || ':' || (l.issue ->> '$.id')
WHERE i.reference IS NOT NULL OR l.issue ->> '$.iid' IS NULL
