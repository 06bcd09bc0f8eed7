-- The work items each pull request is linked to by its tracker itself (a GitLab merge request's
-- closed issues), one row per link; marts.pull_requests adds them to the keys it finds in the text.
--
-- Canonical columns of staging.pull_request_links (see work_items.sql for how unions work); a
-- tracker that records no links has none.
--
-- columns:
--   pull_request_id: The pull request (staging.pull_requests).
--   work_item_key: The linked item's key, as staging.work_items has it, or an external tracker's
--     key (a project using Jira: 'PAY-12').
SELECT
    NULL::VARCHAR AS pull_request_id,
    NULL::VARCHAR AS work_item_key
WHERE false
