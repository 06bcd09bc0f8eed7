-- Jira issues as landed, parsed once into typed columns, one row per issue, with the site's custom
-- fields (story points, sprint, epic link, JSM request type) read from the field ids the connector
-- resolved for that site (raw.jira_field_roles), so work_items, item_events and
-- work_item_milestones do not each re-read the raw JSON.
--
-- A role may name several candidate fields (a site often has both "Story Points" and "Story point
-- estimate"): the first that holds a value for the issue wins. Sprint values are objects on Cloud
-- and `...Sprint@1a2b[id=12,...]` strings on older Data Center: both yield the sprint id.
--
-- columns:
--   work_item_id: The issue's work item id '<source>:<issue id>'.
--   source: Name of the configured source.
--   project: Jira project key (the issue's project, else the project it was synced under).
--   key: Issue key, e.g. 'PAY-12'.
--   native_id: Jira issue id.
--   title: Summary.
--   native_type: Issue type name as on the site.
--   is_subtask: Whether the issue type is a sub-task type.
--   status_id: Id of the current status.
--   status: Name of the current status.
--   status_category_key: Jira's category of the current status: new, indeterminate or done.
--   resolution: Name of the resolution as on the site (often localised); null while unresolved.
--   priority: Priority name.
--   labels: Labels.
--   assignee: Display name of the assignee.
--   reporter: Display name of the reporter.
--   story_points: Story points from the site's story point field(s).
--   original_estimate_seconds: Original estimate (timeoriginalestimate) in seconds.
--   time_spent_seconds: Time logged (timespent) in seconds.
--   parent_key: Key of the parent issue (a sub-task's parent, or an epic in team-managed projects).
--   epic_key: Key of the epic: the Epic Link field, else a parent whose type is an epic.
--   has_request_type: Whether the issue carries a Jira Service Management request type.
--   fix_version_ids: Ids of the fix versions the issue is in now.
--   affects_version_ids: Ids of the versions the issue affects (for defects).
--   sprint_ids: Ids of the sprints the issue is in now (closed ones included).
--   created_at: When the issue was created (UTC).
--   updated_at: When the issue last changed (UTC).
--   resolved_at: resolutiondate (UTC); null while unresolved.
--   status_category_changed_at: When the status last changed category (Cloud only).
--   due_date: The issue's own due date.
--   url: Link to the issue in Jira's web UI.
WITH roles AS (
    SELECT
        source,
        coalesce(any_value(field_ids) FILTER (WHERE id = 'story_points'), []) AS story_point_fields,
        coalesce(any_value(field_ids) FILTER (WHERE id = 'sprint'), []) AS sprint_fields,
        coalesce(any_value(field_ids) FILTER (WHERE id = 'epic_link'), []) AS epic_link_fields,
        coalesce(any_value(field_ids) FILTER (WHERE id = 'request_type'), []) AS request_type_fields
    FROM (
        SELECT source, id, json_transform(data, '{"field_ids": ["VARCHAR"]}').field_ids AS field_ids
        FROM raw.jira_field_roles
        WHERE deleted_at IS NULL
    )
    GROUP BY source
),
landed AS (
    -- One parse of the whole record (its changelog is most of it); the fields are parsed again
    -- from their own, much smaller, text. DuckDB parses a vector's records at once and holds all of
    -- them until the next vector, in memory it cannot spill: 2,048 records of ~10 KB need ~130 MB,
    -- with the fields' parses ~250 MB. Reading the issues as four slices by id makes each vector a
    -- quarter as full, so the build fits in a quarter of that (the rows come out slice by slice).
    SELECT
        r.source,
        r.scope,
        r.id,
        json_transform(r.data, '{"key": "VARCHAR", "self": "VARCHAR", "fields": "JSON"}') AS top
    FROM (
        SELECT * FROM raw.jira_issues WHERE hash(id) % 4 = 0
        UNION ALL SELECT * FROM raw.jira_issues WHERE hash(id) % 4 = 1
        UNION ALL SELECT * FROM raw.jira_issues WHERE hash(id) % 4 = 2
        UNION ALL SELECT * FROM raw.jira_issues WHERE hash(id) % 4 = 3
    ) AS r
    WHERE r.deleted_at IS NULL
),
parsed AS (
    SELECT
        l.source,
        l.scope,
        l.id,
        l.top.key,
        l.top.self,
        -- Each field's JSON text by field id: a custom field is then a lookup, where a JSON path
        -- built from its id parsed all the fields again for each candidate field.
        json_transform(l.top.fields, '"MAP(VARCHAR, JSON)"') AS custom,
        json_transform(l.top.fields, '{
            "summary": "VARCHAR",
            "issuetype": {"name": "VARCHAR", "subtask": "BOOLEAN"},
            "status": {"id": "VARCHAR", "name": "VARCHAR", "statusCategory": {"key": "VARCHAR"}},
            "resolution": {"name": "VARCHAR"},
            "priority": {"name": "VARCHAR"},
            "labels": ["VARCHAR"],
            "assignee": {"displayName": "VARCHAR"},
            "reporter": {"displayName": "VARCHAR"},
            "timeoriginalestimate": "BIGINT",
            "timespent": "BIGINT",
            "parent": {"key": "VARCHAR", "fields": {"issuetype": {"name": "VARCHAR", "hierarchyLevel": "INTEGER"}}},
            "project": {"key": "VARCHAR"},
            "fixVersions": [{"id": "VARCHAR"}],
            "versions": [{"id": "VARCHAR"}],
            "created": "TIMESTAMPTZ",
            "updated": "TIMESTAMPTZ",
            "resolutiondate": "TIMESTAMPTZ",
            "statuscategorychangedate": "TIMESTAMPTZ",
            "duedate": "DATE"
        }') AS f,
        coalesce(ro.story_point_fields, []) AS story_point_fields,
        coalesce(ro.sprint_fields, []) AS sprint_fields,
        coalesce(ro.epic_link_fields, []) AS epic_link_fields,
        coalesce(ro.request_type_fields, []) AS request_type_fields
    FROM landed AS l
    LEFT JOIN roles AS ro USING (source)
),
custom_values AS (
    SELECT
        *,
        list_filter(
            list_transform(story_point_fields, lambda f: TRY_CAST(json_extract_string(custom[f], '$') AS DOUBLE)),
            lambda v: v IS NOT NULL
        )[1] AS story_points,
        list_filter(
            list_transform(sprint_fields, lambda f: custom[f]),
            lambda v: v IS NOT NULL AND json_type(v) = 'ARRAY'
        )[1] AS sprint_values,
        list_filter(
            list_transform(epic_link_fields, lambda f: json_extract_string(custom[f], '$')),
            lambda v: v IS NOT NULL
        )[1] AS epic_link,
        len(list_filter(
            list_transform(request_type_fields, lambda f: json_extract_string(custom[f], '$')),
            lambda v: v IS NOT NULL
        )) > 0 AS has_request_type
    FROM parsed
)
SELECT
    source || ':' || id AS work_item_id,
    source,
    coalesce(f.project.key, scope) AS project,
    key,
    id AS native_id,
    f.summary AS title,
    f.issuetype.name AS native_type,
    coalesce(f.issuetype.subtask, false) AS is_subtask,
    f.status.id AS status_id,
    f.status.name AS status,
    f.status.statusCategory.key AS status_category_key,
    f.resolution.name AS resolution,
    f.priority.name AS priority,
    coalesce(f.labels, []) AS labels,
    f.assignee.displayName AS assignee,
    f.reporter.displayName AS reporter,
    story_points,
    f.timeoriginalestimate AS original_estimate_seconds,
    f.timespent AS time_spent_seconds,
    f.parent.key AS parent_key,
    coalesce(
        epic_link,
        CASE
            WHEN f.parent.fields.issuetype.hierarchyLevel = 1
                OR lower(f.parent.fields.issuetype.name) = 'epic' THEN f.parent.key
        END
    ) AS epic_key,
    has_request_type,
    coalesce(list_transform(f.fixVersions, lambda v: v.id), []) AS fix_version_ids,
    coalesce(list_transform(f.versions, lambda v: v.id), []) AS affects_version_ids,
    -- Cloud: [{"id": 12, ...}]; older Data Center: ["com.atlassian.greenhopper...Sprint@1a[id=12,...]"].
    coalesce(
        list_filter(
            list_transform(
                from_json(sprint_values, '["JSON"]'),
                lambda s: coalesce(s ->> '$.id', regexp_extract(s ->> '$', 'id=([0-9]+)', 1))
            ),
            lambda s: s IS NOT NULL AND s <> ''
        ),
        []
    ) AS sprint_ids,
    f.created AS created_at,
    f.updated AS updated_at,
    f.resolutiondate AS resolved_at,
    f.statuscategorychangedate AS status_category_changed_at,
    f.duedate AS due_date,
    regexp_replace(self, '/rest/.*$', '') || '/browse/' || key AS url
FROM custom_values
