"""Hand-made Jira Cloud records for model scenarios, landed the way the pipeline lands them.

Records carry only the fields the staging models read, in the API's shapes (see tests/fixtures/jira/
for full payloads). Times are written 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM' and mean UTC; Jira sends
them with an offset, as here (+0000). Issues start in To Do; `resolved` moves one to Done with a
changelog entry, as Jira records it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from github_builder import GitHubRecords, open_warehouse, run

from pipelines import warehouse

SOURCE = "jira"
SITE = "https://acme.atlassian.net"
POINTS_FIELD = "customfield_10016"
SPRINT_FIELD = "customfield_10020"
STREAMS = ("issues", "versions", "sprints", "statuses", "field_roles")
TODO = {"id": "1", "name": "To Do", "statusCategory": {"key": "new"}}
DONE = {"id": "10001", "name": "Done", "statusCategory": {"key": "done"}}


def jira_time(when: str) -> str:
    return datetime.fromisoformat(when).replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class JiraRecords:
    """Collects records per stream and project; `land` commits them like the connector's pages."""

    def __init__(self) -> None:
        self.streams: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        self._ids = itertools.count(10_000)
        self.streams["statuses"]["site"] += [TODO, DONE]
        self.streams["field_roles"]["site"].append({"role": "story_points", "field_ids": [POINTS_FIELD]})
        self.streams["field_roles"]["site"].append({"role": "sprint", "field_ids": [SPRINT_FIELD]})

    def version(self, project: str, name: str, *, due: str, released: bool = False) -> dict[str, Any]:
        version_id = str(next(self._ids))
        record = {
            "id": version_id,
            "name": name,
            "released": released,
            "archived": False,
            "releaseDate": due,
            "self": f"{SITE}/rest/api/3/version/{version_id}",
        }
        self.streams["versions"][project].append(record)
        return record

    def sprint(self, project: str, name: str, *, start: str, end: str, created: str) -> dict[str, Any]:
        """An active sprint of the project's board."""
        sprint_id = next(self._ids)
        record = {
            "id": sprint_id,
            "name": name,
            "state": "active",
            "startDate": jira_time(start),
            "endDate": jira_time(end),
            "createdDate": jira_time(created),
            "originBoardId": 1,
            "self": f"{SITE}/rest/agile/1.0/sprint/{sprint_id}",
        }
        self.streams["sprints"][project].append(record)
        return record

    def join_sprint(self, issue: dict[str, Any], sprint: dict[str, Any], when: str) -> None:
        """The issue is put in `sprint` (it was in none), logged in its changelog as Jira does."""
        item = {"field": "Sprint", "fieldId": SPRINT_FIELD, "from": "", "fromString": ""}
        item |= {"to": str(sprint["id"]), "toString": sprint["name"]}
        self._log(issue, when, item)
        issue["fields"][SPRINT_FIELD] = [{"id": sprint["id"], "name": sprint["name"]}]

    def _log(self, issue: dict[str, Any], when: str, item: dict[str, Any]) -> None:
        changelog = issue["changelog"]
        changelog["histories"].append(
            {"id": str(next(self._ids)), "created": jira_time(when), "items": [item]}
        )
        changelog["total"] = changelog["maxResults"] = len(changelog["histories"])
        issue["fields"]["updated"] = max(issue["fields"]["updated"], jira_time(when))

    def status(self, name: str, category_key: str) -> dict[str, Any]:
        """A status of the site's workflow (category key new, indeterminate or done)."""
        status = {"id": str(next(self._ids)), "name": name, "statusCategory": {"key": category_key}}
        self.streams["statuses"]["site"].append(status)
        return status

    def move(self, issue: dict[str, Any], when: str, to: dict[str, Any]) -> None:
        """A status change logged in the issue's changelog; the issue's current status follows."""
        fields = issue["fields"]
        item = {"field": "status", "fieldId": "status", "from": fields["status"]["id"]}
        item |= {"fromString": fields["status"]["name"], "to": to["id"], "toString": to["name"]}
        self._log(issue, when, item)
        fields["status"] = to

    def issue(
        self,
        project: str,
        *,
        created: str,
        resolved: str | None = None,
        issue_type: str = "Story",
        fix_versions: tuple[dict[str, Any], ...] = (),
        affects: tuple[dict[str, Any], ...] = (),
        labels: tuple[str, ...] = (),
        points: float | None = None,
    ) -> dict[str, Any]:
        issue_id = str(next(self._ids))
        key = f"{project}-{len(self.streams['issues'][project]) + 1}"
        histories = []
        if resolved:
            status_item = {"field": "status", "fieldId": "status", "from": "1", "fromString": "To Do"}
            histories.append(
                {
                    "id": str(next(self._ids)),
                    "created": jira_time(resolved),
                    "items": [status_item | {"to": "10001", "toString": "Done"}],
                }
            )
        record = {
            "id": issue_id,
            "key": key,
            "self": f"{SITE}/rest/api/3/issue/{issue_id}",
            "fields": {
                "summary": f"{issue_type} {key}",
                "issuetype": {"name": issue_type, "subtask": False},
                "status": DONE if resolved else TODO,
                "resolution": {"name": "Done"} if resolved else None,
                "labels": list(labels),
                "project": {"key": project},
                "fixVersions": [{"id": v["id"]} for v in fix_versions],
                "versions": [{"id": v["id"]} for v in affects],
                "created": jira_time(created),
                "updated": jira_time(resolved or created),
                "resolutiondate": jira_time(resolved) if resolved else None,
                POINTS_FIELD: points,
            },
            "changelog": {
                "startAt": 0,
                "maxResults": len(histories),
                "total": len(histories),
                "histories": histories,
            },
        }
        self.streams["issues"][project].append(record)
        return record

    def land(self, con: duckdb.DuckDBPyConnection) -> None:
        """Every stream's raw table is created, records or not, as the ingest does for a source."""
        for stream in STREAMS:
            table = warehouse.ensure_raw_table(con, "jira", stream)
            for scope, records in self.streams[stream].items():
                rows = [
                    (str(record.get("id") or record["role"]), None, warehouse.record_json(record))
                    for record in records
                ]
                page = warehouse.LandedPage(table, scope, stream, rows)
                warehouse.commit_pages(con, SOURCE, [page], datetime.now(UTC))


def built(path: Path, gh: GitHubRecords, jira: JiraRecords) -> duckdb.DuckDBPyConnection:
    """A warehouse at `path` with both trackers' records landed and every model built."""
    con = open_warehouse(path)
    gh.land(con)
    jira.land(con)
    run(con)
    return con
