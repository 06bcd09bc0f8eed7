"""What the emulated trackers hold now, and how a warehouse compares with it.

The truth is the emulator's model itself: every GitHub issue (pull requests aside), Jira issue and
GitLab issue with its key, title and status. A warehouse converged when marts.work_items holds
exactly those, once each: nothing lost, nothing stale, no ghost of a deleted or transferred issue,
no duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from connectors.base import parse_time, resume_from
from emulators.org import Org
from pipelines.config import Config
from pipelines.landing import landed

Item = tuple[str, str]  # (title, status)


def tracker_items(org: Org) -> dict[str, Item]:
    """key -> (title, status) of every issue the trackers hold now."""
    items = {
        f"{repo.full_name}#{issue.number}": (issue.title, issue.state)
        for repo in org.github.repos.values()
        for issue in repo.issues.values()
        if issue.pull is None
    }
    if org.jira is not None:
        items |= {issue.key: (issue.summary, issue.status.name) for issue in org.jira.issues.values()}
    items |= {key: (issue.title, issue.state) for key, issue in _gitlab_issues(org)}
    return items


def _gitlab_issues(org: Org) -> list[tuple[str, Any]]:
    """(key 'group/project#iid', issue) of every GitLab issue, when the organisation has GitLab."""
    gitlab = org.models.get("gitlab")
    projects = gitlab.projects.values() if gitlab is not None else ()
    return [(f"{p.full_path}#{issue.iid}", issue) for p in projects for issue in p.issues.values()]


@dataclass
class Comparison:
    lost: list[str] = field(default_factory=list)  # in the tracker, missing from the warehouse
    stale: list[str] = field(default_factory=list)  # there, with an old title or status
    ghosts: list[str] = field(default_factory=list)  # in the warehouse, gone from the tracker
    duplicates: int = 0  # extra copies of a key, raw id or cursor

    @property
    def rows_lost(self) -> int:
        return len(self.lost) + len(self.stale)

    @property
    def converged(self) -> bool:
        return not (self.lost or self.stale or self.ghosts or self.duplicates)


def compare(database: Path, org: Org) -> Comparison:
    truth = tracker_items(org)
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("SELECT key, title, status FROM marts.work_items").fetchall()
        duplicates = count_duplicates(con)
    found = {key: (title, status) for key, title, status in rows}
    return Comparison(
        lost=sorted(set(truth) - set(found)),
        stale=sorted(k for k in set(truth) & set(found) if truth[k] != found[k]),
        ghosts=sorted(set(found) - set(truth)),
        duplicates=duplicates + len(rows) - len(found),
    )


def count_duplicates(
    con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] = ("marts", "ops", "raw")
) -> int:
    """Extra copies in `schemas`: of a work item id, of a raw record (source, id), of a cursor
    (source, scope, stream). Raw tables may be views (the landings', pipelines/landing.py).

    Tables not built yet (a run killed in its first sync) have none.
    """
    tables = {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() UNION ALL "
            "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal"
        ).fetchall()
        if schema in schemas
    }
    keys = {"marts.work_items": "work_item_id", "ops.sync_state": "(source, scope, stream)"}
    keys |= {table: "(source, id)" for table in tables if table.startswith("raw.")}
    return sum(
        con.execute(f"SELECT count(*) - count(DISTINCT {key}) FROM {table}").fetchone()[0]
        for table, key in keys.items()
        if table in tables
    )


def cursor_violations(config: Config, org: Org, overlap_minutes: float = 10) -> list[str]:
    """Issues the next run would not read again although raw lacks them or holds an older version.

    The next run reads from where each committed state says (`resume_from` its cursor and read
    time, or the cursor minus the overlap); whatever was updated before that must already be in
    raw as it is now, or it is lost. (An issue updated later is read next run: that is what the
    overlap and the cursor are for.)
    """
    with landed(config) as con:
        tables = {
            row[0]
            for row in con.execute(
                "SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        }
        resumes = {
            (source_type, scope): resume_from(cursor, read_at, overlap_minutes)
            for source_type, scope, cursor, read_at in con.execute(
                """
                SELECT DISTINCT r.source_type, s.scope, s.state ->> 'cursor', s.state ->> 'read_at'
                FROM ops.sync_state s JOIN ops.sync_runs r USING (source)
                WHERE s.stream = 'issues' AND s.state ->> 'cursor' IS NOT NULL
                """
            ).fetchall()
        }
        stored = {
            (kind, scope, record_id): parse_time(updated)
            for kind, updated_at in (
                ("github", "data ->> 'updated_at'"),
                ("jira", "data -> 'fields' ->> 'updated'"),
                ("gitlab", "data ->> 'updated_at'"),
            )
            if f"raw.{kind}_issues" in tables
            for scope, record_id, updated in con.execute(
                f"SELECT scope, id, {updated_at} FROM raw.{kind}_issues WHERE deleted_at IS NULL"
            ).fetchall()
        }
    violations = []
    for (kind, scope, record_id, updated), key in _tracker_versions(org):
        resume = resumes.get((kind, scope))
        if resume is not None and updated < resume and stored.get((kind, scope, record_id)) != updated:
            violations.append(
                f"{key} (updated {updated:%Y-%m-%d %H:%M:%S}, next read from {resume:%Y-%m-%d %H:%M:%S})"
            )
    return violations


def _tracker_versions(org: Org) -> list[tuple[tuple, str]]:
    """((tracker, scope, id, updated), key) of every issue now in the trackers."""
    found = [
        (("github", repo.full_name, str(issue.id), issue.updated_at), f"{repo.full_name}#{issue.number}")
        for repo in org.github.repos.values()
        for issue in repo.issues.values()
        if issue.pull is None
    ]
    if org.jira is not None:
        found += [
            (("jira", issue.project.key, str(issue.id), issue.updated), issue.key)
            for issue in org.jira.issues.values()
        ]
    found += [
        (("gitlab", key.partition("#")[0], str(issue.id), issue.updated_at), key)
        for key, issue in _gitlab_issues(org)
    ]
    return found
