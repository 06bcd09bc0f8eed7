-- Every change to a work item that its status and milestone history are rebuilt from, one row per
-- event, from every tracker.
--
-- Canonical columns of staging.item_events (see work_items.sql for how unions work), and the
-- event contract: a tracker maps its raw records to these events in
-- models/staging/<tracker>/item_events.sql, its current state to staging.work_items and
-- staging.work_item_milestones, and writes no history SQL of its own: the shared models
-- intermediate.status_changes and intermediate.milestone_membership rebuild status history and
-- milestone membership from them alike for every tracker. What a tracker emits, per work item:
--   created: exactly one, at the item's created_at, with the status and category it was created
--     in (a tracker that does not log it, like Jira, takes the `from` of the first status change,
--     else the current status; a tracker without a workflow, like GitHub, says open / todo).
--   status_changed: each status the item entered, with status and status_category; closing and
--     reopening are status changes (GitHub: closed / done, open / todo).
--   assigned, unassigned: each assignee added or removed. label_added, label_removed: each label,
--     in label. Emitted only by a tracker without a workflow: while the category is todo, an
--     assignee (assignments net of unassignments) or an in-progress label (mapping
--     in_progress_labels, any case, whole or as a scoped label's value after the last `::`) makes
--     an item in_progress, as its work_items says of the current state. A tracker whose categories come from its workflow (Jira) emits neither.
--   milestone_joined, milestone_left: with milestone_id as in staging.milestones (a tracker that
--     names milestones by title resolves them here); a list-valued field (Jira sprints) emits one
--     event per milestone that joined or left.
-- Events may be incomplete (history older than the sync, an event list that forgot old ones): the
-- shared models end each history in the current state. Events before the item's creation count
-- at its creation; events of unknown work items or milestones are ignored.
--
-- columns:
--   work_item_id: The work item (staging.work_items).
--   happened_at: When it happened (UTC).
--   seq: Orders one item's events within the same instant, the larger later (GitHub event id,
--     Jira history id and item index); `created` comes first whatever its seq.
--   kind: created, status_changed, assigned, unassigned, label_added, label_removed,
--     milestone_joined or milestone_left.
--   status: The tracker's status name entered (created, status_changed); null otherwise.
--   status_category: Its category, todo, in_progress or done (created, status_changed).
--   label: The label added or removed, as in the tracker (label_added, label_removed).
--   milestone_id: The milestone joined or left (milestone_joined, milestone_left).
SELECT
    NULL::VARCHAR AS work_item_id,
    NULL::TIMESTAMPTZ AS happened_at,
    NULL::BIGINT AS seq,
    NULL::VARCHAR AS kind,
    NULL::VARCHAR AS status,
    NULL::VARCHAR AS status_category,
    NULL::VARCHAR AS label,
    NULL::VARCHAR AS milestone_id
WHERE false
