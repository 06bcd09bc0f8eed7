-- Every tracker's pull requests (GitHub) in one shape, one row per pull request.
--
-- Canonical columns of staging.pull_requests (see work_items.sql for how unions work).
--
-- columns:
--   pull_request_id: Unique id '<source>:<pull request id>'.
--   source: Name of the configured source.
--   project: GitHub 'owner/repo'.
--   number: Pull request number in its repository.
--   title: Title.
--   body: Description text, as written.
--   head_ref: Name of the branch the changes come from.
--   state: open or closed (a merged pull request is closed and has merged_at).
--   draft: Whether it is a draft.
--   created_at: When it was opened (UTC).
--   merged_at: When it was merged (UTC); null if not merged.
--   closed_at: When it was closed or merged (UTC).
--   url: Link to the pull request.
SELECT
    NULL::VARCHAR AS pull_request_id,
    NULL::VARCHAR AS source,
    NULL::VARCHAR AS project,
    NULL::BIGINT AS number,
    NULL::VARCHAR AS title,
    NULL::VARCHAR AS body,
    NULL::VARCHAR AS head_ref,
    NULL::VARCHAR AS state,
    NULL::BOOLEAN AS draft,
    NULL::TIMESTAMPTZ AS created_at,
    NULL::TIMESTAMPTZ AS merged_at,
    NULL::TIMESTAMPTZ AS closed_at,
    NULL::VARCHAR AS url
WHERE false
