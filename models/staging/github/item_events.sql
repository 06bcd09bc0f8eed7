-- GitHub issue events as item events (staging.item_events): every issue was created open / todo;
-- closed and reopened are status changes to closed / done and open / todo; assignments, labels and
-- milestone changes as they are.
--
-- Events name the milestone by title, matched to the repo's milestones (titles are unique per
-- repo); an event whose milestone is not found keeps a null milestone_id and is ignored.
WITH changes AS (
    SELECT
        e.work_item_id,
        e.created_at AS happened_at,
        e.event_id AS seq,
        CASE e.event
            WHEN 'closed' THEN 'status_changed'
            WHEN 'reopened' THEN 'status_changed'
            WHEN 'labeled' THEN 'label_added'
            WHEN 'unlabeled' THEN 'label_removed'
            WHEN 'milestoned' THEN 'milestone_joined'
            WHEN 'demilestoned' THEN 'milestone_left'
            ELSE e.event  -- assigned, unassigned
        END AS kind,
        CASE e.event WHEN 'closed' THEN 'closed' WHEN 'reopened' THEN 'open' END AS status,
        CASE e.event WHEN 'closed' THEN 'done' WHEN 'reopened' THEN 'todo' END AS status_category,
        e.label_name AS label,
        m.milestone_id
    FROM staging.github__issue_events AS e
    LEFT JOIN staging.github__milestones AS m
        ON m.source = e.source AND m.project = e.project AND m.name = e.milestone_title
)
SELECT work_item_id, created_at AS happened_at, -1 AS seq, 'created' AS kind, 'open' AS status, 'todo' AS status_category,
    NULL::VARCHAR AS label, NULL::VARCHAR AS milestone_id
FROM staging.github__work_items
UNION ALL
SELECT * FROM changes
