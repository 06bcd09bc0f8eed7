-- GitHub issue events that shape status and milestone history: assignment, labels, closing,
-- reopening and milestone changes, of issues only (pull request events are dropped).
--
-- Parsed once here, for item_events, so that the raw JSON is read once.
-- The connector lands each event with its embedded issue cut to id, number and pull_request.
--
-- columns:
--   work_item_id: The issue's work item id '<source>:<issue id>'.
--   source: Name of the configured source.
--   project: GitHub 'owner/repo'.
--   event_id: GitHub event id; ids grow with time, so they order events within one second.
--   event: assigned, unassigned, labeled, unlabeled, closed, reopened, milestoned or demilestoned.
--   created_at: When the event happened (UTC).
--   label_name: The label added or removed (labeled, unlabeled).
--   milestone_title: The milestone's title (milestoned, demilestoned): GitHub gives no id here.
WITH parsed AS (
    SELECT
        source,
        scope AS project,
        json_transform(data, '{
            "id": "BIGINT",
            "event": "VARCHAR",
            "created_at": "TIMESTAMPTZ",
            "label": {"name": "VARCHAR"},
            "milestone": {"title": "VARCHAR"},
            "issue": {"id": "BIGINT", "pull_request": "JSON"}
        }') AS e
    FROM raw.github_issue_events
    WHERE deleted_at IS NULL
)
SELECT
    source || ':' || e.issue.id AS work_item_id,
    source,
    project,
    e.id AS event_id,
    e.event,
    e.created_at,
    e.label.name AS label_name,
    e.milestone.title AS milestone_title
FROM parsed
WHERE e.issue.id IS NOT NULL
  -- 2012-era answers put a pull_request object with null URLs on plain issues.
  AND coalesce(e.issue.pull_request->>'url', e.issue.pull_request->>'html_url') IS NULL
  AND e.event IN (
      'assigned', 'unassigned', 'labeled', 'unlabeled', 'closed', 'reopened', 'milestoned', 'demilestoned'
  )
