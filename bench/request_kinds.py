"""Which scope and stream an emulator request served: the unit the request targets are counted in.

A key is "<tracker> <scope> <stream>", e.g. "github acme/web issues", "jira PAY issues",
"jira board:3 sprints", "jira site fields". Stream names are the connectors' own; a Jira board is
the scope of its sprint list (the boards of a project are one `boards` stream of that project),
and the site-wide lists have the scope "site".
"""

from __future__ import annotations

import re
from typing import Any

from emulators.org import Org

GITHUB_STREAMS = {
    "issues": "issues",
    "pulls": "pull_requests",
    "milestones": "milestones",
    "issues/events": "issue_events",
}
GITHUB_PATH = re.compile(
    r"^/github/(?:repos/(?P<name>[^/]+/[^/]+)|repositories/(?P<id>\d+))/(?P<rest>.+?)/?$"
)
JIRA_PATHS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/jira/rest/api/[23]/search(?:/jql)?$"), "search"),
    (re.compile(r"^/jira/rest/api/[23]/issue/(?P<key>[^/]+)(?:/changelog)?$"), "changelog"),
    (re.compile(r"^/jira/rest/api/[23]/field$"), "fields"),
    (re.compile(r"^/jira/rest/api/[23]/status$"), "statuses"),
    (re.compile(r"^/jira/rest/api/[23]/project/(?P<project>[^/]+)/version$"), "versions"),
    (re.compile(r"^/jira/rest/api/[23]/project/(?P<project>[^/]+)$"), "check"),
    (re.compile(r"^/jira/rest/agile/1\.0/board$"), "boards"),
    (re.compile(r"^/jira/rest/agile/1\.0/board/(?P<board>\d+)/sprint$"), "sprints"),
]
JQL_PROJECT = re.compile(r"project\s*=\s*\"?([A-Z][A-Z0-9_]*)")


def key(tracker: str, scope: str, stream: str) -> str:
    return f"{tracker} {scope} {stream}"


def classify(entry: dict[str, Any], org: Org) -> str | None:
    """The key of one `EmulatorServer.request_log` entry; None for what is not a tracker request."""
    path, query = entry["path"], entry["query"]
    if match := GITHUB_PATH.match(path):
        return _github(match, query, org)
    for pattern, stream in JIRA_PATHS:
        if match := pattern.match(path):
            return _jira(stream, match, query, org)
    return None


def _github(match: re.Match[str], query: dict[str, str], org: Org) -> str | None:
    name = match["name"]
    if name is None:
        repo = org.github.repo_by_id(int(match["id"]))
        name = repo.full_name if repo else f"repository:{match['id']}"
    stream = GITHUB_STREAMS.get(match["rest"])
    if stream is None:
        return key("github", name, match["rest"])
    # The id census reads /issues too, in GitHub's default order (the sync asks for sort=updated).
    if stream == "issues" and query.get("sort") != "updated":
        stream = "census"
    return key("github", name, stream)


def _jira(stream: str, match: re.Match[str], query: dict[str, str], org: Org) -> str:
    groups = match.groupdict()
    if stream == "search":
        found = JQL_PROJECT.search(query.get("jql", ""))
        project = found.group(1) if found else "?"
        return key("jira", project, "census" if query.get("fields") == "id" else "issues")
    if stream == "changelog":
        return key("jira", groups["key"].rpartition("-")[0], "changelog")
    if stream in ("fields", "statuses"):
        return key("jira", "site", stream)
    if stream == "boards":
        return key("jira", query.get("projectKeyOrId", "?"), "boards")
    if stream == "sprints":
        return key("jira", f"board:{groups['board']}", "sprints")
    return key("jira", groups["project"], stream)
