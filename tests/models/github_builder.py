"""Hand-made GitHub API records for model scenarios, landed the way the pipeline lands them.

Records carry only the fields the staging models read, in the API's shapes (see
tests/fixtures/github/ for full payloads). Times are written 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM'
and mean UTC.
"""

from __future__ import annotations

import itertools
import shutil
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pipelines import models, report, warehouse
from pipelines.config import parse
from pipelines.defs import checks

SOURCE = "gh"
STREAMS = ("issues", "pull_requests", "milestones", "issue_events")
AS_OF = datetime(2026, 3, 2, 12, tzinfo=UTC)  # a Monday, noon
CONFIG = parse(
    {"sources": [{"name": SOURCE, "type": "github", "token_env": "TL_TEST_GH", "repos": ["acme/web"]}]}
)


def iso(when: str | datetime | None) -> str | None:
    """'2026-01-10' or '2026-01-10T08:00' (UTC) as GitHub writes times: '2026-01-10T08:00:00Z'."""
    if when is None:
        return None
    moment = when if isinstance(when, datetime) else datetime.fromisoformat(when).replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def params(as_of: datetime = AS_OF) -> models.ModelParams:
    return models.ModelParams.from_config(CONFIG, as_of)


def run(con: duckdb.DuckDBPyConnection, as_of: datetime = AS_OF) -> dict[str, int]:
    return models.build_all(con, params(as_of))


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    warehouse.ensure_ops(con)
    return con


def rows(con: duckdb.DuckDBPyConnection, query: str, *args: Any) -> list[dict[str, Any]]:
    """Query results as dicts, for readable assertions."""
    cursor = con.execute(query, list(args))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def failing_checks(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the blocking (data-quality) checks whose query finds offending rows."""
    return [check.name for check in checks.DATA_QUALITY if con.execute(check.sql).fetchall()]


def summary_of(con: duckdb.DuckDBPyConnection, directory: Path) -> str:
    """report.summary of a copy of the warehouse (it opens its file read-only, beside this connection)."""
    con.execute("CHECKPOINT")
    (path,) = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    shutil.copy(path, directory / "copy.duckdb")
    return report.summary(directory / "copy.duckdb")


def completion(con: duckdb.DuckDBPyConnection, column: str, value: str) -> dict[str, Any]:
    """The one marts.project_completion row whose `column` (project, name) is `value`."""
    (row,) = rows(con, f"SELECT * FROM marts.project_completion WHERE {column} = ?", value)
    return row


class GitHubRecords:
    """Collects records per stream and repo; `land` commits them like the connector's pages."""

    def __init__(self) -> None:
        self.streams: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        self._ids = itertools.count(1000)

    def add(self, stream: str, repo: str, record: dict[str, Any]) -> dict[str, Any]:
        self.streams[stream][repo].append(record)
        return record

    def milestone(
        self, repo: str, title: str, *, created: str, due: str | None = None, closed: str | None = None
    ) -> dict[str, Any]:
        number = len(self.streams["milestones"][repo]) + 1
        return self.add(
            "milestones",
            repo,
            {
                "id": next(self._ids),
                "number": number,
                "title": title,
                "state": "closed" if closed else "open",
                "due_on": iso(f"{due}T08:00") if due else None,  # GitHub stores a date as 07:00/08:00 UTC
                "created_at": iso(created),
                "closed_at": iso(closed),
                "html_url": f"https://github.com/{repo}/milestone/{number}",
            },
        )

    def issue(
        self,
        repo: str,
        *,
        created: str,
        closed: str | None = None,
        reason: str | None = None,
        milestone: dict[str, Any] | None = None,
        labels: tuple[str, ...] = (),
        assignee: str | None = None,
        title: str = "Something to do",
    ) -> dict[str, Any]:
        number = sum(len(v) for v in self.streams["issues"].values()) + 1
        return self.add(
            "issues",
            repo,
            {
                "id": next(self._ids),
                "number": number,
                "title": title,
                "state": "closed" if closed else "open",
                "state_reason": (reason or "completed") if closed else None,
                "labels": [{"name": name} for name in labels],
                "assignee": {"login": assignee} if assignee else None,
                "user": {"login": "reporter"},
                "milestone": milestone,
                "created_at": iso(created),
                "updated_at": iso(closed or created),
                "closed_at": iso(closed),
                "html_url": f"https://github.com/{repo}/issues/{number}",
            },
        )

    def event(self, repo: str, issue: dict[str, Any], event: str, at: str, **fields: Any) -> dict[str, Any]:
        """An issue event; the issue's updated_at follows, as on GitHub."""
        issue["updated_at"] = max(issue["updated_at"], iso(at))
        embedded = {"id": issue["id"], "number": issue["number"]}
        if "pull_request" in issue:
            embedded["pull_request"] = issue["pull_request"]
        record = {"id": next(self._ids), "event": event, "created_at": iso(at), "issue": embedded, **fields}
        return self.add("issue_events", repo, record)

    def milestoned(
        self, repo: str, issue: dict[str, Any], milestone: dict[str, Any], at: str, *, removed: bool = False
    ) -> dict[str, Any]:
        event = "demilestoned" if removed else "milestoned"
        return self.event(repo, issue, event, at, milestone={"title": milestone["title"]})

    def completed_per_week(self, repo: str, counts: list[int], as_of: datetime = AS_OF) -> None:
        """Closed, completed issues: counts[k] of them resolved in window week k + 1 before as_of."""
        for week, count in enumerate(counts):
            closed = as_of - timedelta(days=7 * week + 3)
            for _ in range(count):
                self.issue(repo, created=iso(closed - timedelta(days=30)), closed=iso(closed))

    def pull(
        self, repo: str, *, title: str, body: str | None, head_ref: str, **fields: Any
    ) -> dict[str, Any]:
        number = len(self.streams["pull_requests"][repo]) + 1
        record = {
            "id": next(self._ids),
            "number": number,
            "title": title,
            "body": body,
            "head": {"ref": head_ref},
            "state": "open",
            "draft": False,
            "created_at": iso("2026-01-05"),
            "merged_at": None,
            "closed_at": None,
            "html_url": f"https://github.com/{repo}/pull/{number}",
            **fields,
        }
        return self.add("pull_requests", repo, record)

    def land(self, con: duckdb.DuckDBPyConnection) -> None:
        """Every stream's raw table is created, records or not, as the ingest does for a source."""
        for stream in STREAMS:
            table = warehouse.ensure_raw_table(con, "github", stream)
            for repo, records in self.streams[stream].items():
                rows = [(str(record["id"]), None, warehouse.record_json(record)) for record in records]
                page = warehouse.LandedPage(table, repo, stream, rows)
                warehouse.commit_pages(con, SOURCE, [page], datetime.now(UTC))
