"""Raw GitHub tables with 1M work items and 5M history rows, generated in DuckDB SQL.

Records carry the fields the staging SQL reads (models/staging/github/*.sql), in the API's shapes:
issues with labels, assignee, milestone and close reason; five issue events per issue (labeled,
milestoned, assigned, then closed or unlabeled, then reopened or renamed) with ids growing with
time, as GitHub's do; milestones with due dates; a pull request per ten issues. Values come from
hash() of the row number, so every run builds the same tables. 100 repos of one source, 20
milestones each, over a year of history ending at `as_of`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb

from pipelines.warehouse import RAW_COLUMNS

SOURCE, REPOS, MILESTONES_PER_REPO, EVENTS_PER_ISSUE = "bench-github", 100, 20, 5

# A year of issues, one every few seconds; milestones two weeks apart, the last six still open.
SETUP = """
SET VARIABLE start = getvariable('as_of') - INTERVAL 365 DAY;
CREATE TEMP TABLE issue_rows AS
SELECT
    i,
    i % {repos} AS repo,
    i // {repos} + 1 AS number,
    1000000000 + i AS id,
    getvariable('start') + to_seconds(i * 31536000 // {items}) AS created_at,
    hash(i, 'state') % 10 < 7 AS closed,
    hash(i, 'milestone') % 10 < 7 AS planned,
    (i * {milestones} // {items} + hash(i, 'slip') % 3)::INTEGER % {milestones} AS milestone,
    hash(i, 'bug') % 5 = 0 AS bug,
    hash(i, 'customer') % 20 = 0 AS customer,
    hash(i, 'assignee') % 10 < 6 AS assigned,
    to_seconds(3600 + hash(i, 'lead') % (30 * 86400)) AS lead_time
FROM range({items}) AS t(i);
"""

MILESTONES = """
SELECT
    '{source}', 'acme/repo-' || lpad(r::VARCHAR, 3, '0'), (r * 100 + m + 1)::VARCHAR, created_at,
    to_json({{
        'id': r * 100 + m + 1, 'title': 'v1.' || m, 'state': CASE WHEN closed THEN 'closed' ELSE 'open' END,
        'due_on': strftime(due_on, '%Y-%m-%dT%H:%M:%SZ'), 'created_at': strftime(created_at, '%Y-%m-%dT%H:%M:%SZ'),
        'closed_at': CASE WHEN closed THEN strftime(due_on, '%Y-%m-%dT%H:%M:%SZ') END,
        'html_url': 'https://github.com/acme/repo-' || r || '/milestone/' || (m + 1)
    }}),
    getvariable('as_of'), NULL
FROM (
    SELECT r, m, getvariable('start') + to_days(14 * m + 7) AS due_on,
        getvariable('start') + to_days(14 * m - 21) AS created_at, m < {milestones} - 6 AS closed
    FROM range({repos}) AS a(r), range({milestones}) AS b(m)
)
"""

ISSUES = """
SELECT
    '{source}', 'acme/repo-' || lpad(repo::VARCHAR, 3, '0'), id::VARCHAR, updated_at,
    to_json({{
        'id': id, 'number': number, 'title': 'Issue ' || number, 'state': CASE WHEN closed THEN 'closed' ELSE 'open' END,
        'state_reason': CASE WHEN closed THEN CASE WHEN hash(i, 'reason') % 10 = 0 THEN 'not_planned' ELSE 'completed' END END,
        'labels': list_filter([CASE WHEN bug THEN {{'name': 'bug'}} END, CASE WHEN customer THEN {{'name': 'customer'}} END], lambda x: x IS NOT NULL),
        'assignee': CASE WHEN assigned THEN {{'login': 'dev-' || hash(i, 'who') % 50}} END,
        'user': {{'login': 'dev-' || hash(i, 'author') % 50}},
        'milestone': CASE WHEN planned THEN {{'id': repo * 100 + milestone + 1, 'title': 'v1.' || milestone}} END,
        'created_at': strftime(created_at, '%Y-%m-%dT%H:%M:%SZ'),
        'updated_at': strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ'),
        'closed_at': CASE WHEN closed THEN strftime(closed_at, '%Y-%m-%dT%H:%M:%SZ') END,
        'html_url': 'https://github.com/acme/repo-' || repo || '/issues/' || number
    }}),
    getvariable('as_of'), NULL
FROM (
    SELECT *, least(created_at + lead_time, getvariable('as_of')) AS closed_at,
        least(created_at + lead_time + INTERVAL 1 HOUR, getvariable('as_of')) AS updated_at
    FROM issue_rows
)
"""

# Event k of an issue, k hours after it was created (its close: when it was closed).
EVENTS = """
SELECT
    '{source}', 'acme/repo-' || lpad(repo::VARCHAR, 3, '0'), event_id::VARCHAR, happened,
    to_json({{
        'id': event_id, 'event': event, 'created_at': strftime(happened, '%Y-%m-%dT%H:%M:%SZ'),
        'actor': {{'login': 'dev-' || hash(i, k) % 50}},
        'label': CASE WHEN event IN ('labeled', 'unlabeled') THEN {{'name': CASE WHEN bug THEN 'bug' ELSE 'in progress' END}} END,
        'milestone': CASE WHEN event = 'milestoned' THEN {{'title': 'v1.' || milestone}} END,
        'issue': {{'id': id}}
    }}),
    getvariable('as_of'), NULL
FROM (
    SELECT
        *,
        13000000000 + i * {events} + k AS event_id,
        CASE k
            WHEN 0 THEN 'labeled' WHEN 1 THEN 'milestoned' WHEN 2 THEN 'assigned'
            WHEN 3 THEN CASE WHEN closed THEN 'closed' ELSE 'unlabeled' END
            ELSE CASE WHEN closed THEN 'reopened' ELSE 'renamed' END
        END AS event,
        CASE WHEN k = 3 AND closed THEN least(created_at + lead_time, getvariable('as_of'))
            ELSE least(created_at + to_hours(k), getvariable('as_of')) END AS happened
    FROM issue_rows, range({events}) AS e(k)
)
"""

PULL_REQUESTS = """
SELECT
    '{source}', 'acme/repo-' || lpad(repo::VARCHAR, 3, '0'), (id + 500000000)::VARCHAR, created_at,
    to_json({{
        'id': id + 500000000, 'number': number, 'title': 'Fix issue ' || number, 'body': 'Fixes #' || number,
        'head': {{'ref': 'fix/' || number}}, 'state': CASE WHEN closed THEN 'closed' ELSE 'open' END, 'draft': false,
        'created_at': strftime(created_at, '%Y-%m-%dT%H:%M:%SZ'),
        'merged_at': CASE WHEN closed THEN strftime(least(created_at + lead_time, getvariable('as_of')), '%Y-%m-%dT%H:%M:%SZ') END,
        'closed_at': CASE WHEN closed THEN strftime(least(created_at + lead_time, getvariable('as_of')), '%Y-%m-%dT%H:%M:%SZ') END,
        'html_url': 'https://github.com/acme/repo-' || repo || '/pull/' || number
    }}),
    getvariable('as_of'), NULL
FROM issue_rows
WHERE i % 10 = 0
"""

TABLES = {
    "github_milestones": MILESTONES,
    "github_issues": ISSUES,
    "github_issue_events": EVENTS,
    "github_pull_requests": PULL_REQUESTS,
}


def run(database: str, as_of: str, work_items: int = 1_000_000) -> dict[str, Any]:
    """Create `database` with the raw GitHub tables: `work_items` issues, five events each."""
    path = Path(database)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    sizes = {
        "source": SOURCE,
        "repos": REPOS,
        "milestones": MILESTONES_PER_REPO,
        "items": work_items,
        "events": EVENTS_PER_ISSUE,
    }
    started = time.perf_counter()
    with duckdb.connect(database) as con:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET VARIABLE as_of = ?::TIMESTAMPTZ", [as_of])
        con.execute(SETUP.format(**sizes))
        con.execute("CREATE SCHEMA raw")
        for table, query in TABLES.items():
            con.execute(f"CREATE TABLE raw.{table} ({RAW_COLUMNS})")
            con.execute(
                f"INSERT INTO raw.{table} SELECT *, hash(data::VARCHAR) FROM ({query.format(**sizes)}) "
                "AS q(source, scope, id, updated_at, data, synced_at, deleted_at)"
            )
        counts = {table: con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0] for table in TABLES}
    return {
        "seconds": time.perf_counter() - started,
        "records": counts["github_issues"],
        "work_items": counts["github_issues"],
        "history_rows": counts["github_issue_events"],
        "rows": counts,
        "database_bytes": path.stat().st_size,
    }
