-- The milestone each defect is attributed to: the release it escaped from. A defect is a work
-- item of type bug that was not closed as not_planned or duplicate (a duplicate reports a defect
-- already counted; a bug closed as not planned, e.g. cannot reproduce, was no defect).
--
-- Rule 1, the tracker's own word: a bug whose affects versions name milestones of the warehouse
-- (Jira) is attributed to each of them, whatever their state. Rule 2, otherwise: the most recent
-- delivered milestone of the same source and project released before the bug was created and at
-- most outcomes.post_release_window_days before it (ties: the highest milestone_id). Delivered
-- means closed or released with a completion time and at least one item done: a sprint that
-- delivered nothing let nothing escape. A bug matching neither is not attributed.
--
-- columns:
--   work_item_id: The defect (marts.work_items).
--   milestone_id: The milestone it is attributed to.
--   rule: affects_version or release_window.
WITH defects AS (
    SELECT w.work_item_id, w.source, w.project, w.created_at
    FROM staging.work_items AS w
    WHERE w.item_type = 'bug' AND w.resolution IS DISTINCT FROM 'not_planned'
      AND w.resolution IS DISTINCT FROM 'duplicate'
),
named AS (
    SELECT DISTINCT d.work_item_id, a.milestone_id
    FROM defects AS d
    JOIN staging.work_item_affects AS a USING (work_item_id)
    SEMI JOIN staging.milestones AS m USING (milestone_id)
),
delivered AS (
    SELECT milestone_id, source, project, completed_at AS released_at
    FROM intermediate.milestone_progress
    WHERE state <> 'open' AND completed_at IS NOT NULL AND done_items > 0
),
latest_release AS (
    SELECT d.work_item_id, d.source, d.project, d.created_at, r.released_at
    FROM defects AS d
    ASOF JOIN delivered AS r
        ON r.source = d.source AND r.project = d.project AND d.created_at > r.released_at
    ANTI JOIN named AS n ON n.work_item_id = d.work_item_id
    WHERE d.created_at <= r.released_at + to_days(getvariable('post_release_window_days')::INTEGER)
)
SELECT work_item_id, milestone_id, 'affects_version' AS rule
FROM named
UNION ALL
SELECT l.work_item_id, max(r.milestone_id), 'release_window'
FROM latest_release AS l
JOIN delivered AS r USING (source, project, released_at)
GROUP BY l.work_item_id
