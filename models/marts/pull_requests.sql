-- Every GitHub pull request, with the Jira-style issue keys it mentions, so code changes can be
-- linked to the work items they deliver.
--
-- Keys are found by the pattern [A-Z][A-Z0-9]+-<digits> as a whole word in the title, body or
-- branch name; a look-alike such as UTF-8 is found too, so join to marts.work_items.key to keep
-- real ones. Links the tracker records itself (staging.pull_request_links: a GitLab merge
-- request's closed issues) are added.
--
-- columns:
--   pull_request_id: Unique id '<source>:<pull request id>'.
--   source: Name of the configured source.
--   project: GitHub 'owner/repo'.
--   number: Pull request number in its repository.
--   title: Title.
--   head_ref: Name of the branch the changes come from.
--   state: open or closed (a merged pull request is closed and has merged_at).
--   draft: Whether it is a draft.
--   created_at: When it was opened (UTC).
--   merged_at: When it was merged (UTC); null if not merged.
--   closed_at: When it was closed or merged (UTC).
--   linked_work_item_keys: Distinct issue keys (PAY-12) mentioned in title, body or branch name, and
--     the keys the tracker links it to (group/project#12), sorted.
--   url: Link to the pull request.
WITH links AS (
    SELECT pull_request_id, list(work_item_key) AS keys FROM staging.pull_request_links GROUP BY ALL
)
SELECT
    pull_request_id,
    source,
    project,
    number,
    title,
    head_ref,
    state,
    draft,
    created_at,
    merged_at,
    closed_at,
    list_sort(list_distinct(list_concat(
        regexp_extract_all(concat_ws(' ', title, body, head_ref), '\b[A-Z][A-Z0-9]+-[0-9]+\b'),
        coalesce(l.keys, [])
    ))) AS linked_work_item_keys,
    url
FROM staging.pull_requests
LEFT JOIN links AS l USING (pull_request_id)
