-- Jira changelog items that shape status and milestone history (status, fix version and sprint
-- changes), one row per item, unnested once from the complete changelogs the connector lands.
--
-- Items are matched by field id where Jira sends one (Cloud) and by field name otherwise (older
-- Data Center); the sprint field's id is the one the connector resolved for the site. Sprint items
-- hold comma-separated sprint ids in from/to (the whole list before and after the change).
--
-- columns:
--   work_item_id: The issue's work item id '<source>:<issue id>'.
--   change: status, fix_version or sprint.
--   changed_at: When the change was made (UTC).
--   seq: Order of changes made in the same instant: history id, then the item's place in it.
--   from_value: Value before (status id, version id, or comma-separated sprint ids).
--   from_string: Display value before (status name, version name, sprint names).
--   to_value: Value after.
--   to_string: Display value after.
WITH sprint_fields AS (
    SELECT source, json_transform(data, '{"field_ids": ["VARCHAR"]}').field_ids AS field_ids
    FROM raw.jira_field_roles
    WHERE deleted_at IS NULL AND id = 'sprint'
),
histories AS (
    SELECT
        source,
        source || ':' || id AS work_item_id,
        unnest(json_transform(data, '{"changelog": {"histories": [{
            "id": "VARCHAR",
            "created": "TIMESTAMPTZ",
            "items": [{
                "field": "VARCHAR",
                "fieldId": "VARCHAR",
                "from": "VARCHAR",
                "fromString": "VARCHAR",
                "to": "VARCHAR",
                "toString": "VARCHAR"
            }]
        }]}}').changelog.histories) AS h
    FROM raw.jira_issues
    WHERE deleted_at IS NULL
),
items AS (
    SELECT
        source,
        work_item_id,
        h.created AS changed_at,
        coalesce(TRY_CAST(h.id AS BIGINT), 0) AS history_id,
        unnest(h.items) AS item,
        generate_subscripts(h.items, 1) AS item_index
    FROM histories
)
SELECT
    i.work_item_id,
    CASE
        WHEN coalesce(i.item.fieldId, lower(i.item.field)) = 'status' THEN 'status'
        WHEN coalesce(i.item.fieldId, i.item.field) IN ('fixVersions', 'Fix Version') THEN 'fix_version'
        ELSE 'sprint'
    END AS change,
    i.changed_at,
    i.history_id * 1000 + i.item_index AS seq,
    i.item."from" AS from_value,
    i.item.fromString AS from_string,
    i.item."to" AS to_value,
    i.item.toString AS to_string
FROM items AS i
LEFT JOIN sprint_fields AS s USING (source)
WHERE i.changed_at IS NOT NULL
  AND (
      coalesce(i.item.fieldId, lower(i.item.field)) = 'status'
      OR coalesce(i.item.fieldId, i.item.field) IN ('fixVersions', 'Fix Version')
      OR list_contains(s.field_ids, i.item.fieldId)
      OR (i.item.fieldId IS NULL AND i.item.field = 'Sprint')
  )
