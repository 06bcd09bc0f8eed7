-- Product outcome of every delivered milestone (closed or released, with a completion time): did
-- what was delivered work for its users afterwards? Defects that escaped into the release,
-- customer-reported problems, delivered work reopened, how fast defects were fixed, and an
-- outcome_status beside the delivery's on-time flag, so "project accomplished, outcome failed"
-- is one filter away (outcome_failed_despite_on_time).
--
-- A milestone closed or released with items not done (closed_incomplete) is still here: it was
-- released, and its figures look only at the items it completed; but it was not delivered on time.
--
-- Defects are attributed as in intermediate.defect_attribution (affects versions first, else the
-- release window) and count when created after released_at and at most
-- outcomes.post_release_window_days after it. outcome_status, first rule that matches: failing
-- when escaped_defect_rate > 0.25 or a customer-reported defect is still open more than
-- outcomes.customer_open_days after it was reported; watch when escaped_defect_rate > 0.10 or a
-- delivered item was reopened after the release; otherwise healthy. Until the window has passed
-- (window_complete false) the figures are provisional.
--
-- columns:
--   milestone_id: The milestone (marts.milestones, marts.project_completion).
--   source: Name of the configured source.
--   project: Jira project key, GitHub 'owner/repo', GitLab project path (a group path for a group milestone).
--   kind: github_milestone, gitlab_milestone, gitlab_group_milestone, gitlab_iteration, jira_version or jira_sprint.
--   name: Title of the milestone, version or sprint.
--   released_at: When it was delivered: project_completion.completed_at.
--   items_delivered: Items of its scope resolved as completed (project_completion.done_items).
--   post_release_defects: Defects attributed to it and created within the window after released_at.
--   customer_reported_defects: Of those, the ones reported by a customer.
--   overdue_customer_defects: Of those, customer-reported ones still open more than
--     outcomes.customer_open_days (14) days after they were reported.
--   escaped_defect_rate: post_release_defects / max(items_delivered, 1).
--   reopened_after_release: Items that were in it and done when it was released and were reopened
--     after released_at.
--   defect_fix_days_p50: Median lead time in days of its post-release defects that are resolved;
--     null when none is.
--   lead_time_p50_days: Median lead time (created to resolved) of the delivered items, in days.
--   lead_time_p85_days: 85th percentile of the delivered items' lead time, in days.
--   cycle_time_p50_days: Median cycle time (started to resolved) of the delivered items, in days.
--   delivered_on_time: project_completion.on_time, but false when it was closed_incomplete (closed or
--     released with items not done is not delivered on time); null without a due date.
--   window_complete: as_of is at least outcomes.post_release_window_days after released_at; before
--     that the defect figures can still grow.
--   outcome_status: failing (escaped_defect_rate > 0.25, or a customer-reported defect open more than
--     outcomes.customer_open_days), else watch (escaped_defect_rate > 0.10, or an item reopened after
--     release), else healthy.
--   outcome_reason: Why, in words: the figures behind the status.
--   outcome_failed_despite_on_time: Delivered on time and outcome_status failing: project
--     accomplished, outcome failed.
--   as_of: The instant all figures are computed for.
WITH delivered AS (
    SELECT
        milestone_id,
        source,
        project,
        kind,
        name,
        completed_at AS released_at,
        completed_at + to_days(getvariable('post_release_window_days')::INTEGER) AS window_ends_at,
        done_items AS items_delivered,
        CASE WHEN on_time IS NOT NULL THEN on_time AND status <> 'closed_incomplete' END AS delivered_on_time
    FROM marts.project_completion
    WHERE state <> 'open' AND completed_at IS NOT NULL
),
defects AS (
    SELECT
        a.milestone_id,
        count(*) AS post_release_defects,
        count(*) FILTER (WHERE w.is_customer_reported) AS customer_reported_defects,
        count(*) FILTER (
            WHERE w.is_customer_reported AND w.status_category <> 'done'
              AND w.created_at < getvariable('as_of') - to_days(getvariable('customer_open_days')::INTEGER)
        ) AS overdue_customer_defects,
        quantile_cont(w.lead_time_days, 0.5) AS defect_fix_days_p50
    FROM intermediate.defect_attribution AS a
    JOIN delivered AS d USING (milestone_id)
    JOIN marts.work_items AS w USING (work_item_id)
    WHERE w.created_at > d.released_at AND w.created_at <= d.window_ends_at
    GROUP BY a.milestone_id
),
delivered_items AS (
    SELECT
        i.milestone_id,
        quantile_cont(w.lead_time_days, 0.5) AS lead_time_p50_days,
        quantile_cont(w.lead_time_days, 0.85) AS lead_time_p85_days,
        quantile_cont(w.cycle_time_days, 0.5) AS cycle_time_p50_days
    FROM intermediate.milestone_items AS i
    JOIN marts.work_items AS w USING (work_item_id)
    WHERE i.is_done
    GROUP BY i.milestone_id
),
-- Items in the milestone and done at released_at that left done afterwards.
last_reopenings AS (
    SELECT work_item_id, max(valid_from) AS last_reopened_at
    FROM intermediate.work_item_states
    WHERE is_reopen
    GROUP BY work_item_id
),
-- Materialized so that the status intervals are joined by item, never by time alone.
in_at_release AS MATERIALIZED (
    SELECT d.milestone_id, s.work_item_id, d.released_at
    FROM delivered AS d
    JOIN intermediate.milestone_stays AS s
        ON s.milestone_id = d.milestone_id
        AND s.joined_at <= d.released_at
        AND coalesce(s.left_at, 'infinity'::TIMESTAMPTZ) > d.released_at
),
reopened AS (
    SELECT i.milestone_id, count(*) AS reopened_after_release
    FROM in_at_release AS i
    JOIN last_reopenings AS r ON r.work_item_id = i.work_item_id AND r.last_reopened_at > i.released_at
    JOIN intermediate.work_item_states AS done_then
        ON done_then.work_item_id = i.work_item_id
        AND done_then.state = 'done'
        AND done_then.valid_from <= i.released_at
        AND coalesce(done_then.valid_to, 'infinity'::TIMESTAMPTZ) > i.released_at
    GROUP BY i.milestone_id
),
figures AS (
    SELECT
        d.*,
        coalesce(f.post_release_defects, 0) AS post_release_defects,
        coalesce(f.customer_reported_defects, 0) AS customer_reported_defects,
        coalesce(f.overdue_customer_defects, 0) AS overdue_customer_defects,
        coalesce(f.post_release_defects, 0) / greatest(d.items_delivered, 1) AS escaped_defect_rate,
        coalesce(r.reopened_after_release, 0) AS reopened_after_release,
        f.defect_fix_days_p50,
        i.lead_time_p50_days,
        i.lead_time_p85_days,
        i.cycle_time_p50_days,
        getvariable('as_of') >= d.window_ends_at AS window_complete
    FROM delivered AS d
    LEFT JOIN defects AS f USING (milestone_id)
    LEFT JOIN delivered_items AS i USING (milestone_id)
    LEFT JOIN reopened AS r USING (milestone_id)
),
judged AS (
    SELECT
        *,
        CASE
            WHEN escaped_defect_rate > 0.25 OR overdue_customer_defects > 0 THEN 'failing'
            WHEN escaped_defect_rate > 0.10 OR reopened_after_release > 0 THEN 'watch'
            ELSE 'healthy'
        END AS outcome_status,
        'escaped defect rate ' || round(escaped_defect_rate, 2) || ' (' || post_release_defects
            || CASE WHEN post_release_defects = 1 THEN ' defect' ELSE ' defects' END || ' for '
            || items_delivered || CASE WHEN items_delivered = 1 THEN ' item)' ELSE ' items)' END AS rate_text
    FROM figures
)
SELECT
    milestone_id,
    source,
    project,
    kind,
    name,
    released_at,
    items_delivered,
    post_release_defects,
    customer_reported_defects,
    overdue_customer_defects,
    escaped_defect_rate,
    reopened_after_release,
    defect_fix_days_p50,
    lead_time_p50_days,
    lead_time_p85_days,
    cycle_time_p50_days,
    delivered_on_time,
    window_complete,
    outcome_status,
    concat_ws(
        '; ',
        CASE
            WHEN escaped_defect_rate > 0.25 THEN rate_text || ' is above 0.25'
            WHEN escaped_defect_rate > 0.10 THEN rate_text || ' is above 0.10'
            WHEN outcome_status = 'healthy' THEN rate_text
        END,
        CASE WHEN overdue_customer_defects > 0 THEN overdue_customer_defects
            || CASE WHEN overdue_customer_defects = 1 THEN ' customer defect' ELSE ' customer defects' END
            || ' open more than ' || getvariable('customer_open_days') || ' days' END,
        CASE WHEN reopened_after_release > 0 THEN reopened_after_release
            || CASE WHEN reopened_after_release = 1 THEN ' item' ELSE ' items' END
            || ' reopened after release' END,
        CASE WHEN NOT window_complete THEN 'provisional until ' || window_ends_at::DATE END
    ) AS outcome_reason,
    coalesce(delivered_on_time, false) AND outcome_status = 'failing' AS outcome_failed_despite_on_time,
    getvariable('as_of') AS as_of
FROM judged
