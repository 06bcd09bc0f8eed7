-- Every time a work item joined or left a milestone, from its item events, completed so that it
-- ends in each item's current milestones; at most one row per milestone, item and instant.
--
-- Rebuilt alike for every tracker from staging.item_events (whose header is the contract) and
-- staging.work_item_milestones. The current membership is the truth, and trackers do not always
-- log the values an item was created with: a milestone the events first show the item leaving,
-- or one it is in now with no event, was joined at creation (or, when older events say it had
-- left, at its last update). One the events leave it in but it is no longer in was left at its
-- last update. Only milestones in staging.milestones are kept; events before the item's creation
-- count at its creation; of several changes in one instant only the last is kept.
--
-- columns:
--   milestone_id: The milestone (staging.milestones).
--   work_item_id: The work item (staging.work_items).
--   changed_at: When the item joined or left (UTC).
--   action: added or removed.
WITH items AS (
    SELECT work_item_id, created_at, updated_at
    FROM staging.work_items
),
events AS (
    SELECT
        e.milestone_id,
        e.work_item_id,
        greatest(e.happened_at, i.created_at) AS changed_at,
        e.seq,
        CASE e.kind WHEN 'milestone_joined' THEN 'added' ELSE 'removed' END AS action
    FROM staging.item_events AS e
    JOIN items AS i USING (work_item_id)
    SEMI JOIN staging.milestones AS m USING (milestone_id)
    WHERE e.kind IN ('milestone_joined', 'milestone_left')
),
current_known AS (
    SELECT c.milestone_id, c.work_item_id, i.created_at, i.updated_at
    FROM staging.work_item_milestones AS c
    JOIN items AS i USING (work_item_id)
    SEMI JOIN staging.milestones AS m USING (milestone_id)
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
