-- Jira changelog items as item events (staging.item_events): status moves, and the fix versions and
-- sprints an issue joined and left.
--
-- Jira does not log the values an issue was created with: its status at creation is the `from` of
-- its first status change, or its current status when it never changed. Changelog status items
-- carry status ids; a past status's category comes from the site's status list
-- (raw.jira_statuses), else from current issues in a status of that name, else todo;
-- mapping.status_categories overrides by name as in work_items; the current status's category is
-- the issue's own. A Fix Version item adds the version in `to` and removes the one in `from`. A
-- Sprint item holds the whole sprint list before and after (comma-separated ids): the difference
-- is what joined and left. Version and sprint ids are '<source>:version:<id>' and
-- '<source>:sprint:<id>', as in staging.jira__milestones.
WITH params AS (
    SELECT map_from_entries(
        list_transform(map_entries(getvariable('status_categories')), lambda e: {'k': lower(e.key), 'v': e.value})
    ) AS status_overrides
),
items AS (
    SELECT i.work_item_id, i.source, i.created_at, i.status_id, w.status, w.status_category
    FROM staging.jira__issues AS i
    JOIN staging.jira__work_items AS w USING (work_item_id)
),
site_statuses AS (
    SELECT
        source,
        id AS status_id,
        lower(data ->> '$.name') AS lower_name,
        data ->> '$.statusCategory.key' AS category_key
    FROM raw.jira_statuses
    WHERE deleted_at IS NULL
),
current_status_names AS (
    SELECT source, lower(status) AS lower_name, mode(status_category_key) AS category_key
    FROM staging.jira__issues
    GROUP BY ALL
),
moves AS (
    SELECT work_item_id, changed_at, seq, from_value, from_string, to_value, to_string
    FROM staging.jira__changelog_items
    WHERE change = 'status'
),
statuses AS (
    SELECT
        i.work_item_id,
        i.created_at AS happened_at,
        -1 AS seq,
        'created' AS kind,
        coalesce(f.from_value, i.status_id) AS status_id,
        coalesce(f.from_string, i.status) AS status
    FROM items AS i
    LEFT JOIN (
        -- The first change as the history orders it: one made before creation counts at creation.
        SELECT
            m.work_item_id,
            arg_min(m.from_value, (greatest(m.changed_at, i.created_at), m.seq)) AS from_value,
            arg_min(m.from_string, (greatest(m.changed_at, i.created_at), m.seq)) AS from_string
        FROM moves AS m
        JOIN items AS i USING (work_item_id)
        GROUP BY m.work_item_id
    ) AS f USING (work_item_id)
    UNION ALL
    SELECT work_item_id, changed_at, seq, 'status_changed', to_value, to_string
    FROM moves
),
categorised AS (
    SELECT
        s.work_item_id,
        s.happened_at,
        s.seq,
        s.kind,
        s.status,
        coalesce(
            -- The current status's category is on the issue itself.
            CASE WHEN s.status_id = i.status_id THEN i.status_category END,
            p.status_overrides[lower(s.status)],
            CASE coalesce(by_id.category_key, by_name.category_key, on_issues.category_key)
                WHEN 'done' THEN 'done'
                WHEN 'indeterminate' THEN 'in_progress'
                ELSE 'todo'
            END
        ) AS status_category
    FROM statuses AS s
    JOIN items AS i USING (work_item_id)
    CROSS JOIN params AS p
    LEFT JOIN site_statuses AS by_id ON by_id.source = i.source AND by_id.status_id = s.status_id
    LEFT JOIN (
        SELECT source, lower_name, any_value(category_key) AS category_key FROM site_statuses GROUP BY ALL
    ) AS by_name ON by_name.source = i.source AND by_name.lower_name = lower(s.status)
    LEFT JOIN current_status_names AS on_issues
        ON on_issues.source = i.source AND on_issues.lower_name = lower(s.status)
),
sprint_moves AS (
    SELECT
        work_item_id,
        changed_at,
        seq,
        list_filter(list_transform(string_split(coalesce(from_value, ''), ','), lambda x: trim(x)), lambda x: x <> '')
            AS before_ids,
        list_filter(list_transform(string_split(coalesce(to_value, ''), ','), lambda x: trim(x)), lambda x: x <> '')
            AS after_ids
    FROM staging.jira__changelog_items
    WHERE change = 'sprint'
),
memberships AS (
    SELECT work_item_id, changed_at, seq, ':version:' || to_value AS native, 'milestone_joined' AS kind
    FROM staging.jira__changelog_items
    WHERE change = 'fix_version' AND to_value IS NOT NULL
    UNION ALL
    SELECT work_item_id, changed_at, seq, ':version:' || from_value, 'milestone_left'
    FROM staging.jira__changelog_items
    WHERE change = 'fix_version' AND from_value IS NOT NULL
    UNION ALL
    SELECT
        work_item_id, changed_at, seq,
        ':sprint:' || unnest(list_filter(after_ids, lambda x: NOT list_contains(before_ids, x))),
        'milestone_joined'
    FROM sprint_moves
    UNION ALL
    SELECT
        work_item_id, changed_at, seq,
        ':sprint:' || unnest(list_filter(before_ids, lambda x: NOT list_contains(after_ids, x))),
        'milestone_left'
    FROM sprint_moves
)
SELECT work_item_id, happened_at, seq, kind, status, status_category, NULL::VARCHAR AS label, NULL::VARCHAR AS milestone_id
FROM categorised
UNION ALL
SELECT m.work_item_id, m.changed_at, m.seq, m.kind, NULL, NULL, NULL, i.source || m.native
FROM memberships AS m
JOIN items AS i USING (work_item_id)
