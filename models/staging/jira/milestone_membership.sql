-- Jira fix version and sprint membership history, from changelog items, completed so that it ends
-- in each issue's current fix versions and sprints; canonical shape of staging.milestone_membership.
--
-- A Fix Version item adds the version in `to` and removes the one in `from`. A Sprint item holds
-- the whole sprint list before and after (comma-separated ids): the difference is what joined and
-- left, so a sprint membership is history, not only the current value. Jira does not log the
-- values an issue was created with: a milestone the history first shows the issue leaving, or
-- one it is in now with no 'added' change, was joined at creation (or, when older changes say it
-- had left, at the last update). One the history leaves it in but it is no longer in was left at
-- the last update. Only milestones that exist in staging.jira__milestones are kept; of several
-- changes in one instant only the last is kept.
WITH milestones AS (
    SELECT milestone_id
    FROM staging.jira__milestones
),
items AS (
    SELECT work_item_id, source, created_at, updated_at, fix_version_ids, sprint_ids
    FROM staging.jira__issues
),
sprint_moves AS (
    SELECT
        c.work_item_id,
        c.changed_at,
        c.seq,
        list_filter(list_transform(string_split(coalesce(c.from_value, ''), ','), lambda x: trim(x)), lambda x: x <> '')
            AS before_ids,
        list_filter(list_transform(string_split(coalesce(c.to_value, ''), ','), lambda x: trim(x)), lambda x: x <> '')
            AS after_ids
    FROM staging.jira__changelog_items AS c
    WHERE c.change = 'sprint'
),
changes AS (
    SELECT work_item_id, changed_at, seq, ':version:' || to_value AS native, 'added' AS action
    FROM staging.jira__changelog_items
    WHERE change = 'fix_version' AND to_value IS NOT NULL
    UNION ALL
    SELECT work_item_id, changed_at, seq, ':version:' || from_value, 'removed'
    FROM staging.jira__changelog_items
    WHERE change = 'fix_version' AND from_value IS NOT NULL
    UNION ALL
    SELECT work_item_id, changed_at, seq, ':sprint:' || unnest(list_filter(after_ids, lambda x: NOT list_contains(before_ids, x))), 'added'
    FROM sprint_moves
    UNION ALL
    SELECT work_item_id, changed_at, seq, ':sprint:' || unnest(list_filter(before_ids, lambda x: NOT list_contains(after_ids, x))), 'removed'
    FROM sprint_moves
),
events AS (
    SELECT
        i.source || c.native AS milestone_id,
        c.work_item_id,
        greatest(c.changed_at, i.created_at) AS changed_at,
        c.seq,
        c.action
    FROM changes AS c
    JOIN items AS i USING (work_item_id)
    SEMI JOIN milestones AS m ON m.milestone_id = i.source || c.native
),
current_membership AS (
    SELECT i.source || ':version:' || unnest(i.fix_version_ids) AS milestone_id, work_item_id, created_at, updated_at
    FROM items AS i
    UNION ALL
    SELECT i.source || ':sprint:' || unnest(i.sprint_ids), work_item_id, created_at, updated_at
    FROM items AS i
),
current_known AS (
    SELECT DISTINCT c.*
    FROM current_membership AS c
    SEMI JOIN milestones AS m USING (milestone_id)
),
event_bounds AS (
    SELECT
        milestone_id,
        work_item_id,
        arg_min(action, (changed_at, seq)) AS first_action,
        max(changed_at) AS last_at,
        arg_max(action, (changed_at, seq)) AS last_action
    FROM events
    GROUP BY milestone_id, work_item_id
),
joined_at_creation AS (
    SELECT b.milestone_id, b.work_item_id, i.created_at, -1, 'added'
    FROM event_bounds AS b
    JOIN items AS i USING (work_item_id)
    WHERE b.first_action = 'removed'
    UNION ALL
    SELECT c.milestone_id, c.work_item_id, c.created_at, -1, 'added'
    FROM current_known AS c
    ANTI JOIN event_bounds AS b USING (milestone_id, work_item_id)
),
rejoined AS (
    SELECT c.milestone_id, c.work_item_id, greatest(b.last_at, c.updated_at), 9223372036854775807, 'added'
    FROM current_known AS c
    JOIN event_bounds AS b USING (milestone_id, work_item_id)
    WHERE b.last_action = 'removed'
),
left_since AS (
    SELECT b.milestone_id, b.work_item_id, greatest(b.last_at, i.updated_at), 9223372036854775807, 'removed'
    FROM event_bounds AS b
    JOIN items AS i USING (work_item_id)
    ANTI JOIN current_known AS c USING (milestone_id, work_item_id)
    WHERE b.last_action = 'added'
)
SELECT milestone_id, work_item_id, changed_at, action
FROM (
    SELECT * FROM events
    UNION ALL
    SELECT * FROM joined_at_creation
    UNION ALL
    SELECT * FROM rejoined
    UNION ALL
    SELECT * FROM left_since
)
QUALIFY row_number() OVER (PARTITION BY milestone_id, work_item_id, changed_at ORDER BY seq DESC) = 1
