"""Complete the changelogs that issue search truncates.

`expand=changelog` embeds only the newest histories (Cloud: 40-100), newest first; `changelog.total`
says how many exist. Incumbents stored the truncated list and lost the early status and sprint
changes. Here every issue whose embedded list is short gets its whole history (Cloud: the paged
`/issue/{key}/changelog`, oldest first; Data Center: `/issue/{key}?expand=changelog`), put back in
the embedded order, so raw keeps one complete record per issue. Complete issues cost nothing extra.
"""

from __future__ import annotations

from typing import Any

from connectors.base import parse_time
from connectors.http import HttpClient
from connectors.jira.paging import offset_pages

CHANGELOG_PAGE = 100


def is_truncated(issue: dict[str, Any]) -> bool:
    changelog = issue.get("changelog") or {}
    return int(changelog.get("total") or 0) > len(changelog.get("histories") or [])


def complete_changelog(client: HttpClient, issue: dict[str, Any], api: str) -> dict[str, Any]:
    """The issue with its full changelog (a new dict; the input is not modified)."""
    embedded = issue["changelog"].get("histories") or []
    if api == "2":
        full = _datacenter_histories(client, issue)
    else:
        full = _cloud_histories_oldest_first(client, issue["key"])
        if _newest_first(embedded):
            full.reverse()
    return {
        **issue,
        "changelog": {"startAt": 0, "maxResults": len(full), "total": len(full), "histories": full},
    }


def _cloud_histories_oldest_first(client: HttpClient, key: str) -> list[dict[str, Any]]:
    histories: list[dict[str, Any]] = []
    seen: set[str] = set()
    for page in offset_pages(client, f"/rest/api/3/issue/{key}/changelog", {"maxResults": CHANGELOG_PAGE}):
        for history in page.records:
            # A history written while paging shifts the offsets; keep each one once.
            if str(history.get("id")) not in seen:
                seen.add(str(history.get("id")))
                histories.append(history)
    return histories


def _datacenter_histories(client: HttpClient, issue: dict[str, Any]) -> list[dict[str, Any]]:
    """Data Center's issue resource returns the whole changelog, in its own (embedded) order."""
    _, body = client.get_json(
        f"/rest/api/2/issue/{issue['key']}", params={"expand": "changelog", "fields": "updated"}
    )
    return list((body.get("changelog") or {}).get("histories") or [])


def _newest_first(histories: list[dict[str, Any]]) -> bool:
    """Cloud documents the embedded list as newest first; trust the data when it can tell."""
    times = [parse_time(h["created"]) for h in histories if isinstance(h.get("created"), str)]
    if len(times) >= 2 and times[0] != times[-1]:
        return times[0] > times[-1]
    return True
