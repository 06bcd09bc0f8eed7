-- Every milestone of every tracker, one row each: GitHub milestones, Jira fix versions and Jira
-- sprints, with their current dates. Due dates as first planned are in marts.project_completion.
--
-- columns:
--   milestone_id: Unique id '<source>:<native id>'.
--   source: Name of the configured source.
--   source_type: Tracker type, as registered: github, gitlab or jira.
--   project: Jira project key, GitHub 'owner/repo', GitLab project path (a group path for a group milestone).
--   kind: github_milestone, gitlab_milestone, gitlab_group_milestone, gitlab_iteration, jira_version or jira_sprint.
--   name: Title of the milestone, version or sprint.
--   state: open, closed or released.
--   start_date: Planned start (Jira version start, sprint start); null for GitHub milestones.
--   due_date: Current due date (GitHub due_on, version releaseDate, sprint endDate), in UTC.
--   created_at: When the milestone was created, if the tracker says.
--   closed_at: When it was closed (GitHub closed_at, sprint completeDate).
--   url: Link to the milestone in the tracker's web UI.
SELECT
    milestone_id,
    source,
    source_type,
    project,
    kind,
    name,
    state,
    start_date,
    due_date,
    created_at,
    closed_at,
    url
FROM staging.milestones
