-- GitHub milestone membership history from milestoned / demilestoned issue events.
--
-- Events name the milestone by title, matched to the repo's milestones (titles are unique per
-- repo). The issue's current milestone is the truth: an item in a milestone without the event
-- that put it there (history older than the sync, a renamed milestone) gets an 'added' at its
-- created_at, or at its last update when older events say it had left; an item whose events say
-- it is in a milestone it no longer is in gets a 'removed' at its last update. Of several changes
-- in one instant only the last is kept, so the order of rows never depends on ties.
WITH milestones AS (
    SELECT milestone_id, source, project, name
    FROM staging.github__milestones
),
items AS (
    SELECT work_item_id, created_at, updated_at
    FROM staging.github__work_items
),
current_membership AS (
    SELECT m.milestone_id, i.work_item_id, i.created_at, i.updated_at
    FROM raw.github_issues AS r
    JOIN items AS i ON i.work_item_id = r.source || ':' || r.id
    JOIN milestones AS m ON m.milestone_id = r.source || ':' || (r.data ->> '$.milestone.id')
    WHERE r.deleted_at IS NULL
),
events AS (
    SELECT
        m.milestone_id,
        e.work_item_id,
        greatest(e.created_at, i.created_at) AS changed_at,
        e.event_id AS seq,
        CASE e.event WHEN 'milestoned' THEN 'added' ELSE 'removed' END AS action
    FROM staging.github__issue_events AS e
    JOIN items AS i USING (work_item_id)
    JOIN milestones AS m ON m.source = e.source AND m.project = e.project AND m.name = e.milestone_title
    WHERE e.event IN ('milestoned', 'demilestoned')
),
last_events AS (
    SELECT
        milestone_id,
        work_item_id,
        max(changed_at) AS changed_at,
        arg_max(action, (changed_at, seq)) AS action
    FROM events
    GROUP BY milestone_id, work_item_id
),
missing_adds AS (
    SELECT
        c.milestone_id,
        c.work_item_id,
        CASE WHEN l.changed_at IS NULL THEN c.created_at ELSE greatest(l.changed_at, c.updated_at) END,
        9223372036854775807,  -- after every event in the same instant
        'added'
    FROM current_membership AS c
    LEFT JOIN last_events AS l USING (milestone_id, work_item_id)
    WHERE l.action IS DISTINCT FROM 'added'
),
missing_removals AS (
    SELECT
        l.milestone_id,
        l.work_item_id,
        greatest(l.changed_at, i.updated_at),
        9223372036854775807,  -- after every event in the same instant
        'removed'
    FROM last_events AS l
    JOIN items AS i USING (work_item_id)
    ANTI JOIN current_membership AS c USING (milestone_id, work_item_id)
    WHERE l.action = 'added'
)
SELECT milestone_id, work_item_id, changed_at, action
FROM (
    SELECT * FROM events
    UNION ALL
    SELECT * FROM missing_adds
    UNION ALL
    SELECT * FROM missing_removals
)
QUALIFY row_number() OVER (PARTITION BY milestone_id, work_item_id, changed_at ORDER BY seq DESC) = 1
