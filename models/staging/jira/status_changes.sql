-- Jira status history: the status each issue had at creation, then every status it moved to, from
-- its complete changelog, in the canonical shape of staging.status_changes.
--
-- Changelog status items carry status ids; a past status's category comes from the site's status
-- list (raw.jira_statuses), else from current issues in a status of that name, else todo;
-- mapping.status_categories overrides by name as in work_items. The status at creation is the
-- `from` of the first status change, or the current status when it never changed. The issue's
-- current status is the truth: if the history does not end in it, a last row does, at the issue's
-- resolution time when that status is done (a changelog that lost the move keeps resolutiondate),
-- else at updated_at.
-- Of several changes in one instant only the last is kept.
WITH params AS (
    SELECT map_from_entries(
        list_transform(map_entries(getvariable('status_categories')), lambda e: {'k': lower(e.key), 'v': e.value})
    ) AS status_overrides
),
items AS (
    SELECT i.work_item_id, i.source, i.created_at, i.updated_at, i.status_id, w.status, w.status_category, w.closed_at
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
    SELECT
        c.work_item_id,
        greatest(c.changed_at, i.created_at) AS changed_at,
        c.seq,
        c.from_value,
        c.from_string,
        c.to_value AS status_id,
        c.to_string AS status
    FROM staging.jira__changelog_items AS c
    JOIN items AS i USING (work_item_id)
    WHERE c.change = 'status'
),
initial AS (
    SELECT
        i.work_item_id,
        i.created_at AS changed_at,
        -1 AS seq,
        coalesce(f.from_value, i.status_id) AS status_id,
        coalesce(f.from_string, i.status) AS status
    FROM items AS i
    LEFT JOIN (
        SELECT work_item_id, arg_min(from_value, (changed_at, seq)) AS from_value,
               arg_min(from_string, (changed_at, seq)) AS from_string
        FROM moves
        GROUP BY work_item_id
    ) AS f USING (work_item_id)
),
replayed AS (
    SELECT work_item_id, changed_at, seq, status_id, status FROM initial
    UNION ALL
    SELECT work_item_id, changed_at, seq, status_id, status FROM moves
),
history_end AS (
    SELECT work_item_id, max(changed_at) AS changed_at, arg_max(status, (changed_at, seq)) AS status
    FROM replayed
    GROUP BY work_item_id
),
to_current AS (
    SELECT
        i.work_item_id,
        greatest(
            h.changed_at,
            CASE WHEN i.status_category = 'done' THEN coalesce(i.closed_at, i.updated_at) ELSE i.updated_at END
        ) AS changed_at,
        9223372036854775807 AS seq,  -- after every change in the same instant
        i.status_id,
        i.status
    FROM items AS i
    JOIN history_end AS h USING (work_item_id)
    WHERE h.status IS DISTINCT FROM i.status
),
settled AS (
    SELECT *
    FROM (SELECT * FROM replayed UNION ALL SELECT * FROM to_current)
    QUALIFY row_number() OVER (PARTITION BY work_item_id, changed_at ORDER BY seq DESC) = 1
),
categorised AS (
    SELECT
        s.work_item_id,
        s.changed_at,
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
    FROM settled AS s
    JOIN items AS i USING (work_item_id)
    CROSS JOIN params AS p
    LEFT JOIN site_statuses AS by_id ON by_id.source = i.source AND by_id.status_id = s.status_id
    LEFT JOIN (
        SELECT source, lower_name, any_value(category_key) AS category_key FROM site_statuses GROUP BY ALL
    ) AS by_name ON by_name.source = i.source AND by_name.lower_name = lower(s.status)
    LEFT JOIN current_status_names AS on_issues
        ON on_issues.source = i.source AND on_issues.lower_name = lower(s.status)
)
SELECT work_item_id, changed_at, status, status_category
FROM categorised
QUALIFY (status, status_category) IS DISTINCT FROM
    lag((status, status_category)) OVER (PARTITION BY work_item_id ORDER BY changed_at)
