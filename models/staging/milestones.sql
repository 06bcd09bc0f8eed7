-- Every tracker's milestones in one shape: GitHub milestones, Jira fix versions and sprints.
--
-- Canonical columns of staging.milestones (see work_items.sql for how unions work).
--
-- columns:
--   milestone_id: Unique id '<source>:<native id>'.
--   source: Name of the configured source.
--   source_type: Tracker type, as registered: github, gitlab or jira.
--   project: Jira project key, GitHub 'owner/repo', GitLab project path (a group path for a group milestone).
--   kind: github_milestone, gitlab_milestone, gitlab_group_milestone, gitlab_iteration, jira_version or jira_sprint.
--   name: Title of the milestone, version or sprint.
--   state: open, closed (at closed_at, an instant) or released (shipped on the day closed_at
--     names, with no closing instant: completed at its last scoped item's resolution).
--   start_date: Planned start (Jira version start, sprint start); null for GitHub milestones.
--   start_at: The planned start as an instant (sprint startDate); a start known only as a day
--     (version startDate) is that day's midnight UTC; null without a start.
--   due_date: Current due date (GitHub due_on, version releaseDate, sprint endDate), in UTC.
--   created_at: When the milestone was created, if the tracker says.
--   closed_at: When it was closed (GitHub closed_at, sprint completeDate), or the day it was released.
--   url: Link to the milestone in the tracker's web UI.
SELECT
    NULL::VARCHAR AS milestone_id,
    NULL::VARCHAR AS source,
    NULL::VARCHAR AS source_type,
    NULL::VARCHAR AS project,
    NULL::VARCHAR AS kind,
    NULL::VARCHAR AS name,
    NULL::VARCHAR AS state,
    NULL::DATE AS start_date,
    NULL::TIMESTAMPTZ AS start_at,
    NULL::DATE AS due_date,
    NULL::TIMESTAMPTZ AS created_at,
    NULL::TIMESTAMPTZ AS closed_at,
    NULL::VARCHAR AS url
WHERE false
