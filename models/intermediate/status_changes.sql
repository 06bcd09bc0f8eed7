-- Every status each work item entered, with the time it entered it, including its initial status
-- at creation; consecutive rows of one item always differ in status or category.
--
-- Rebuilt alike for every tracker from its item events (staging.item_events, whose header is the
-- contract): the status the item was created in, then each status change, replayed in order of
-- time and seq. While the category is todo, an assignee (assignments net of unassignments) or an
-- in-progress label (mapping.in_progress_labels, any case; a scoped label `workflow::in progress`
-- also by its value after the last `::`) makes the item in_progress. The item's
-- current status (staging.work_items) is the truth: when the replay does not end in it (a sync
-- that started late, an event list that forgot old ones), a last row moves the history to it, at
-- the item's closed_at when it is done (else updated_at), never before the last event. Events
-- before the item's creation count at its creation; several changes in the same instant leave
-- only the state after the last of them.
--
-- columns:
--   work_item_id: The work item (staging.work_items).
--   changed_at: When the item entered this status (UTC).
--   status: The tracker's status name entered.
--   status_category: Category of that status: todo, in_progress or done.
WITH params AS (
    SELECT list_transform(getvariable('in_progress_labels'), lambda x: lower(x)) AS in_progress_labels
),
items AS (
    SELECT work_item_id, created_at, updated_at, closed_at, status, status_category
    FROM staging.work_items
),
signals AS (
    SELECT
        e.work_item_id,
        greatest(e.happened_at, i.created_at) AS happened_at,
        -- Creation first, then the events as the tracker orders them; 2 is kept for the current state.
        CASE WHEN e.kind = 'created' THEN 0 ELSE 1 END AS rank,
        e.seq,
        e.status,
        e.status_category,
        CASE e.kind WHEN 'assigned' THEN 1 WHEN 'unassigned' THEN -1 ELSE 0 END AS assignees,
        CASE
            WHEN e.kind NOT IN ('label_added', 'label_removed')
                OR NOT list_has_any(p.in_progress_labels, [lower(e.label), lower(string_split(e.label, '::')[-1])])
                THEN 0
            WHEN e.kind = 'label_added' THEN 1
            ELSE -1
        END AS progress_labels
    FROM staging.item_events AS e
    JOIN items AS i USING (work_item_id)
    CROSS JOIN params AS p
    WHERE e.kind IN ('created', 'status_changed', 'assigned', 'unassigned', 'label_added', 'label_removed')
),
running AS (
    SELECT
        work_item_id,
        happened_at,
        rank,
        seq,
        last_value(status IGNORE NULLS) OVER replay AS status,
        last_value(status_category IGNORE NULLS) OVER replay AS status_category,
        sum(assignees) OVER replay > 0 OR sum(progress_labels) OVER replay > 0 AS is_taken
    FROM signals
    WINDOW replay AS (
        PARTITION BY work_item_id ORDER BY happened_at, rank, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
),
replayed AS (
    SELECT
        work_item_id,
        happened_at,
        rank,
        seq,
        status,
        CASE WHEN status_category = 'todo' AND is_taken THEN 'in_progress' ELSE status_category END AS status_category
    FROM running
),
replay_end AS (
    SELECT
        work_item_id,
        max(happened_at) AS happened_at,
        arg_max((status, status_category), (happened_at, rank, seq)) AS state
    FROM replayed
    GROUP BY work_item_id
),
to_current AS (
    SELECT
        i.work_item_id,
        greatest(
            r.happened_at,
            CASE WHEN i.status_category = 'done' THEN coalesce(i.closed_at, i.updated_at) ELSE i.updated_at END
        ) AS happened_at,
        2 AS rank,
        0 AS seq,
        i.status,
        i.status_category
    FROM items AS i
    JOIN replay_end AS r USING (work_item_id)
    WHERE r.state IS DISTINCT FROM (i.status, i.status_category)
),
settled AS (
    SELECT work_item_id, happened_at, status, status_category
    FROM (SELECT * FROM replayed UNION ALL SELECT * FROM to_current)
    QUALIFY row_number() OVER (PARTITION BY work_item_id, happened_at ORDER BY rank DESC, seq DESC) = 1
)
SELECT work_item_id, happened_at AS changed_at, status, status_category
FROM settled
QUALIFY (status, status_category) IS DISTINCT FROM
    lag((status, status_category)) OVER (PARTITION BY work_item_id ORDER BY happened_at)
