"""GitLab REST (v4) connector: issues, their resource events, milestones, iterations and merge
requests of each configured project (gitlab.com or self-managed).

Streams (all declared, no read hook):
- `issues`: changed since the resume point (`updated_after`), oldest first (`order_by=updated_at,
  sort=asc`) through keyset pages, so an issue edited mid-walk moves behind the walk and is read
  again instead of sliding under a page boundary; the resource event streams (state, milestone,
  label, and iteration on paid tiers: a free tier answers 403, an absent list) are its children
  (history exists only per issue), read for each issue changed since their own cursor. The four
  share one listing of the issues per sync (the issues stream's own walk); a free tier's 403 on
  one issue's iteration events stands for the project's other issues, which are not asked.
- `milestones`: the project's and, with `include_ancestors`, its groups' (one group milestone is
  listed under each project; staging keeps it once). Full list each run, with its ETag.
- `iterations` (paid tiers): the project's group's, ancestors included, read under the first
  configured project of each group, with its ETag. A free group answers 403 and an instance
  without them 404: the list is absent, the stream lands nothing and does not fail.
- `merge_requests`: newest first down to the resume point (offset paging only, so an edit mid-walk
  moves a merge request to the front, never past the walk); `merge_request_closes_issues` is its
  child, the issues each one closes ("Closes #12").
Projects are addressed by URL-encoded path (`group%2Fsub%2Fproject`). Deleted issues: `census`.

Known limit: an instance older than keyset paging of project issues (added in 2025) ignores
`pagination=keyset` and pages by offset; the Link walk still works, but an issue edited mid-walk
can then push another one over a page boundary, unread until it changes again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import quote

from connectors.base import Connector, Parent, Stream, fetch_link_pages
from connectors.gitlab.config import project_group
from connectors.http import HttpClient
from connectors.paging import Link, Paging

DEFAULT_BASE_URL = "https://gitlab.com/api/v4"
ISSUE = "/projects/{scope}/issues/{iid}"
# A paid-tier list a free group refuses (403) or an instance without the feature lacks (404).
ABSENT_ON_FREE_TIER = frozenset({403, 404})
ISSUE_PARENT = Parent("issues", keys=("id", "iid"))
# A free group's 403 holds for every issue of the project; a 404 may be one issue deleted since listed.
PAID_ISSUE_PARENT = replace(ISSUE_PARENT, lacking=frozenset({403}))


def issue_references(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A closed issue cut to what identifies it: staging links it to the issues stream's copy.

    An external tracker's issue (a project using Jira) has a string id and no iid.
    """
    return [{key: record.get(key) for key in ("id", "iid", "project_id")} for record in records]


def _event_stream(kind: str, paging: Paging | None = None, parent: Parent = ISSUE_PARENT) -> Stream:
    return Stream(
        f"resource_{kind}_events",
        f"{ISSUE}/resource_{kind}_events",
        cursor_field="created_at",
        paging=paging or Link(),
        parent=parent,
    )


class GitLabConnector(Connector):
    source_type: ClassVar[str] = "gitlab"
    streams: ClassVar[tuple[Stream, ...]] = (
        Stream(
            "issues",
            "/projects/{scope}/issues",
            params={
                "scope": "all",
                "state": "all",
                "order_by": "updated_at",
                "sort": "asc",
                "pagination": "keyset",
            },
            cursor_param="updated_after",
            oldest_first=True,
        ),
        _event_stream("state"),
        _event_stream("milestone"),
        _event_stream("label"),
        _event_stream("iteration", Link(ok=ABSENT_ON_FREE_TIER), PAID_ISSUE_PARENT),
        Stream(
            "milestones",
            "/projects/{scope}/milestones",
            cursor_field=None,
            params={"include_ancestors": "true"},
            etag=True,
        ),
        Stream(
            "iterations",
            "/groups/{group}/iterations",
            cursor_field=None,
            paging=Link(ok=ABSENT_ON_FREE_TIER),
            etag=True,
        ),
        Stream(
            "merge_requests",
            "/projects/{scope}/merge_requests",
            params={"state": "all", "order_by": "updated_at", "sort": "desc"},
            cursor_param="updated_after",
            newest_first=True,
        ),
        Stream(
            "merge_request_closes_issues",
            "/projects/{scope}/merge_requests/{iid}/closes_issues",
            primary_key="_parent.id",
            cursor_field=None,
            parent=Parent("merge_requests", keys=("id", "iid"), one_record=True),
            shape=issue_references,
        ),
    )

    @classmethod
    def client_for(cls, settings: Mapping[str, Any], token: str) -> HttpClient:
        headers = {"PRIVATE-TOKEN": token, "Accept": "application/json", "User-Agent": "trackerlake"}
        return HttpClient.for_source({"base_url": DEFAULT_BASE_URL, **settings}, headers)

    def scopes(self) -> list[str]:
        return list(self.settings["projects"])

    def check(self) -> None:
        """One cheap request per project: the token works and the project is visible."""
        for scope in self.scopes():
            self.client.request("GET", f"/projects/{_encoded(scope)}")

    def path(self, stream: Stream, scope: str, **values: Any) -> str:
        """Paths take the project's path encoded as one segment, and `{group}` its group's."""
        return super().path(stream, _encoded(scope), group=_encoded(project_group(scope)), **values)

    def wanted(self, scope: str, stream: Stream) -> bool:
        """Iterations are a group's: read under the first configured project of each group."""
        if stream.name == "iterations":
            group = project_group(scope)
            return scope == next(p for p in self.scopes() if project_group(p) == group)
        return super().wanted(scope, stream)

    def census(self, scope: str) -> set[str]:
        """Ids of every issue now in the project, through id-ordered keyset pages.

        A deleted issue vanishes from lists without a trace an incremental read can see.
        """
        params = {
            "scope": "all",
            "state": "all",
            "order_by": "id",
            "sort": "asc",
            "pagination": "keyset",
            "per_page": 100,
        }
        pages = fetch_link_pages(self.client, f"/projects/{_encoded(scope)}/issues", params)
        return {str(record["id"]) for page in pages for record in page.records}


def _encoded(path: str) -> str:
    """A project or group path as one URL segment (`acme/web` → `acme%2Fweb`), as GitLab takes it."""
    return quote(path, safe="")
