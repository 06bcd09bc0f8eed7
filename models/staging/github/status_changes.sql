-- GitHub issue status history, rebuilt from issue events: created → todo; assigned or given an
-- in-progress label while open → in_progress; closed → done; reopened → todo or in_progress.
--
-- GitHub has no status workflow: an open issue's category follows from three things the events
-- change (open or closed, assignees, in-progress labels), so they are replayed as running sums.
-- The issue's current state is the truth: when events are missing (a sync that started late, an
-- event list that forgot old ones), a last row moves the history to it. Several changes in the
-- same instant (an issue created assigned) leave only the state after the last of them.
WITH items AS (
    SELECT work_item_id, created_at, updated_at, closed_at, status_category
    FROM staging.github__work_items
),
params AS (
    SELECT list_transform(getvariable('in_progress_labels'), lambda x: lower(x)) AS in_progress_labels
),
signals AS (
    SELECT
        e.work_item_id,
        greatest(e.created_at, i.created_at) AS happened_at,
        e.event_id AS seq,
        CASE e.event WHEN 'assigned' THEN 1 WHEN 'unassigned' THEN -1 ELSE 0 END AS assignees,
        CASE
            WHEN e.event NOT IN ('labeled', 'unlabeled')
                OR NOT list_contains(p.in_progress_labels, lower(e.label_name)) THEN 0
            WHEN e.event = 'labeled' THEN 1
            ELSE -1
        END AS progress_labels,
        CASE e.event WHEN 'closed' THEN false WHEN 'reopened' THEN true END AS is_open
    FROM staging.github__issue_events AS e
    JOIN items AS i USING (work_item_id)
    CROSS JOIN params AS p
    WHERE e.event IN ('assigned', 'unassigned', 'labeled', 'unlabeled', 'closed', 'reopened')
    UNION ALL
    SELECT work_item_id, created_at, -1, 0, 0, true
    FROM items
),
replayed AS (
    SELECT
        work_item_id,
        happened_at,
        seq,
        CASE
            WHEN NOT coalesce(last_value(is_open IGNORE NULLS) OVER running, true) THEN 'done'
            WHEN sum(assignees) OVER running > 0 OR sum(progress_labels) OVER running > 0 THEN 'in_progress'
            ELSE 'todo'
        END AS status_category
    FROM signals
    WINDOW running AS (
        PARTITION BY work_item_id ORDER BY happened_at, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
),
replay_end AS (
    SELECT
        work_item_id,
        max(happened_at) AS happened_at,
        arg_max(status_category, (happened_at, seq)) AS status_category
    FROM replayed
    GROUP BY work_item_id
),
to_current AS (
    SELECT
        i.work_item_id,
        greatest(
            r.happened_at,
            CASE WHEN i.status_category = 'done' THEN coalesce(i.closed_at, i.updated_at)
                ELSE i.updated_at END
        ) AS happened_at,
        9223372036854775807 AS seq,  -- after every event in the same instant
        i.status_category
    FROM items AS i
    JOIN replay_end AS r USING (work_item_id)
    WHERE r.status_category <> i.status_category
),
settled AS (
    SELECT work_item_id, happened_at, status_category
    FROM (SELECT * FROM replayed UNION ALL SELECT * FROM to_current)
    QUALIFY row_number() OVER (PARTITION BY work_item_id, happened_at ORDER BY seq DESC) = 1
)
SELECT
    work_item_id,
    happened_at AS changed_at,
    CASE status_category WHEN 'done' THEN 'closed' ELSE 'open' END AS status,
    status_category
FROM settled
QUALIFY status_category IS DISTINCT FROM
    lag(status_category) OVER (PARTITION BY work_item_id ORDER BY happened_at)
