-- GitLab issues parsed once, for work_items, work_item_milestones and item_events: one row per
-- issue of the issues stream, with the label keys the config mapping is matched against.
--
-- A scoped label (`workflow::in progress`) is matched by its whole name and by its value after
-- the last `::` (`in progress`), so the mapping's `in progress` finds GitLab's workflow labels.
--
-- columns:
--   work_item_id: The issue's work item id '<source>:<issue id>'.
--   source: Name of the configured source.
--   project: The project's full path (group/sub/project).
--   issue_id: GitLab's global issue id.
--   iid: The issue's number in its project (the #12 users see).
--   title: Title.
--   state: opened or closed.
--   native_type: GitLab's type: ISSUE, INCIDENT, TASK (TEST_CASE on some instances).
--   labels: Label names as in GitLab.
--   label_keys: Each label lowercased, and each scoped label's value lowercased.
--   assignee: Username of the first assignee.
--   reporter: Username of the author.
--   weight: The issue's weight (paid tiers; null when unset or on a free tier).
--   time_estimate: Estimated seconds (time_stats.time_estimate; 0 when none was set).
--   time_spent: Seconds logged (time_stats.total_time_spent).
--   milestone_id: Its project or group milestone, as in staging.milestones.
--   iteration_id: Its iteration (paid tiers), as in staging.milestones.
--   is_duplicate: Closed as a duplicate of another issue.
--   is_moved: Moved to another project (GitLab closes the original).
--   reference: GitLab's full reference 'group/project#12'.
--   created_at: When it was opened (UTC).
--   updated_at: When it last changed (UTC).
--   closed_at: When it was last closed (UTC); null while open.
--   due_date: Its own due date.
--   url: Link to the issue.
WITH parsed AS (
    SELECT
        source,
        scope AS project,
        json_transform(data, '{
            "id": "BIGINT",
            "iid": "BIGINT",
            "title": "VARCHAR",
            "state": "VARCHAR",
            "type": "VARCHAR",
            "labels": ["VARCHAR"],
            "assignee": {"username": "VARCHAR"},
            "author": {"username": "VARCHAR"},
            "weight": "DOUBLE",
            "time_stats": {"time_estimate": "BIGINT", "total_time_spent": "BIGINT"},
            "milestone": {"id": "BIGINT"},
            "iteration": {"id": "BIGINT"},
            "moved_to_id": "BIGINT",
            "_links": {"closed_as_duplicate_of": "VARCHAR"},
            "references": {"full": "VARCHAR"},
            "created_at": "TIMESTAMPTZ",
            "updated_at": "TIMESTAMPTZ",
            "closed_at": "TIMESTAMPTZ",
            "due_date": "DATE",
            "web_url": "VARCHAR"
        }') AS i
    FROM raw.gitlab_issues
    WHERE deleted_at IS NULL
)
SELECT
    source || ':' || i.id AS work_item_id,
    source,
    project,
    i.id AS issue_id,
    i.iid,
    i.title,
    i.state,
    i.type AS native_type,
    coalesce(i.labels, []) AS labels,
    list_distinct(flatten(list_transform(
        coalesce(i.labels, []), lambda l: [lower(l), lower(string_split(l, '::')[-1])]
    ))) AS label_keys,
    i.assignee.username AS assignee,
    i.author.username AS reporter,
    i.weight,
    i.time_stats.time_estimate AS time_estimate,
    i.time_stats.total_time_spent AS time_spent,
    source || ':' || i.milestone.id AS milestone_id,
    source || ':iteration:' || i.iteration.id AS iteration_id,
    i._links.closed_as_duplicate_of IS NOT NULL AS is_duplicate,
    i.moved_to_id IS NOT NULL AS is_moved,
    coalesce(i.references.full, project || '#' || i.iid) AS reference,
    i.created_at,
    i.updated_at,
    i.closed_at,
    i.due_date,
    i.web_url AS url
FROM parsed
