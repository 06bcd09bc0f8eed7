"""Jira connector (Cloud REST v3 and Data Center REST v2, plus Jira Software agile 1.0).

Streams and their state (`ops.sync_state`):
- `fields`, `field_roles`, `statuses`: site-wide lists, read once per run under the first project's
  scope; no state, but for `field_roles`: `{"roles": {role: [field ids]}}`. `field_roles` records
  which custom field ids hold story points, sprint, epic link, start date and JSM request type (see
  jira_fields), so staging reads the right ones; a field the site's list lost since the last run
  is kept, and its record says so (`resolved_by: last_known` and a `warning`).
- `issues` per project: `{"cursor": newest fields.updated as UTC ISO, "fields": [requested
  fields], "roles": {role: [field ids]}}`, plus on Data Center `"walk"` while an offset walk is
  under way (see jira_search). Records carry their complete changelog (see jira_changelog).
- `versions` per project, `sprints` per owning project: full lists each run (a few hundred at
  most), read only when the source's `milestones` names them; state `{}`.

The base read loop runs `statuses` and `versions` from their declarations; `fields`, `field_roles`,
`issues` and `sprints` are hooks (`read_*`): the site's field list is fetched once and shared, issue
search keeps its own cursor rules (jira_search), sprints are grouped across shared boards.

What it gets right that incumbents did not (shared spec trackers.md): custom field ids resolved
per site, complete changelogs, epoch-ms JQL with an overlap, a token loop guard, sprints of shared
boards counted once, and an id census for deletions (`census`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from connectors.base import Connector, Page, State, Stream
from connectors.http import HttpClient
from connectors.jira.fields import (
    keep_last_known,
    lost_warning,
    remembered,
    resolve_field_roles,
    role_records,
)
from connectors.jira.milestones import PAGE_SIZE, sprints_by_project
from connectors.jira.search import CLOUD_SEARCH, IssueReader, issue_fields
from connectors.jira.search import PAGE_SIZE as SEARCH_PAGE
from connectors.paging import Offset, Single, Token

MILESTONE_STREAMS = ("versions", "sprints")  # read when the source's `milestones` names them
log = logging.getLogger(__name__)


class JiraConnector(Connector):
    source_type: ClassVar[str] = "jira"
    streams: ClassVar[tuple[Stream, ...]] = (
        Stream(
            "fields",
            "/rest/api/{api}/field",
            cursor_field=None,
            paging=Single(),
            site_wide=True,
            reader="read_fields",
        ),
        Stream(
            "field_roles",
            "/rest/api/{api}/field",
            primary_key="role",
            cursor_field=None,
            paging=Single(),
            site_wide=True,
            reader="read_field_roles",
        ),
        Stream("statuses", "/rest/api/{api}/status", cursor_field=None, paging=Single(), site_wide=True),
        # Cloud's token search; Data Center: /rest/api/2/search with startAt offsets (IssueReader).
        Stream(
            "issues",
            CLOUD_SEARCH,
            cursor_field="fields.updated",
            paging=Token(size=SEARCH_PAGE),
            reader="read_issues",
        ),
        Stream(
            "versions",
            "/rest/api/{api}/project/{scope}/version",
            cursor_field=None,
            paging=Offset(size=PAGE_SIZE),
        ),
        Stream(
            "sprints",
            "/rest/agile/1.0/board/{board}/sprint",
            cursor_field=None,
            paging=Offset(size=PAGE_SIZE),
            reader="read_sprints",
        ),
    )

    def __init__(self, client: HttpClient, settings: Mapping[str, Any]) -> None:
        super().__init__(client, settings)
        self.api = "2" if settings.get("deployment") == "datacenter" else "3"
        # Site-wide answers, fetched once per run (a connector lives for one run) by whichever
        # project's thread asks first: the pipeline reads projects in parallel.
        self._fields: list[dict[str, Any]] | None = None
        self._sprints: dict[str, list[dict[str, Any]]] | None = None
        self._site_lock = threading.Lock()
        self._warned: set[str] = set()  # roles whose lost field was already logged this run

    @classmethod
    def client_for(cls, settings: Mapping[str, Any], token: str, email: str | None = None) -> HttpClient:
        """Cloud: basic auth with email + API token. Data Center: `Authorization: Bearer <PAT>`."""
        headers = {"Accept": "application/json", "User-Agent": "trackerlake"}
        auth = None
        if settings.get("deployment") == "datacenter":
            headers["Authorization"] = f"Bearer {token}"
        else:
            auth = (email or "", token)
        return HttpClient.for_source(settings, headers, auth)

    def scopes(self) -> list[str]:
        return list(self.settings["projects"])

    def check(self) -> None:
        """One cheap request per project: the credentials work and the project is visible."""
        for project in self.scopes():
            self.client.request("GET", f"/rest/api/{self.api}/project/{project}")

    def wanted(self, scope: str, stream: Stream) -> bool:
        """Site streams under the first project only; versions and sprints when `milestones` names them."""
        chosen = self.settings.get("milestones", MILESTONE_STREAMS)
        return super().wanted(scope, stream) and (
            stream.name not in MILESTONE_STREAMS or stream.name in chosen
        )

    def path_values(self) -> dict[str, Any]:
        return {"api": self.api}

    def read_fields(self, scope: str, stream: Stream, state: State) -> Iterator[Page]:
        """The site's field list, fetched once per run: field roles and the issue reader use it too."""
        yield Page(self._site_fields(), {})

    def read_field_roles(self, scope: str, stream: Stream, state: State) -> Iterator[Page]:
        overrides = self.settings.get("fields") or {}
        roles, kept = self.field_roles(state.get("roles"))
        yield Page(role_records(roles, overrides, kept), {"roles": remembered(roles, overrides)})

    def read_issues(self, scope: str, stream: Stream, state: State) -> Iterator[Page]:
        yield from self._issue_reader(state).read(scope, state)

    def read_sprints(self, scope: str, stream: Stream, state: State) -> Iterator[Page]:
        """The project's sprints from one walk of every project's boards (shared boards count once)."""
        yield Page(self._site_sprints().get(scope, []), {})

    def census(self, scope: str) -> set[str]:
        """Ids of every issue now in the project; raw issues missing from it were deleted or moved."""
        return self._issue_reader().census(scope)

    def field_roles(
        self, last_known: dict[str, list[str]] | None = None
    ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Each role's field ids from the site's field list, with any id it lost since `last_known`
        (a stream state's "roles") kept; and the kept ids per role, each logged once per run."""
        overrides = self.settings.get("fields") or {}
        found = resolve_field_roles(self._site_fields(), overrides)
        roles, kept = keep_last_known(found, overrides, last_known)
        with self._site_lock:
            fresh = {role: ids for role, ids in kept.items() if role not in self._warned}
            self._warned |= set(fresh)
        for role, ids in fresh.items():
            log.warning("source %s: %s", self.settings.get("name"), lost_warning(role, ids))
        return roles, kept

    def _issue_reader(self, state: State | None = None) -> IssueReader:
        roles, _ = self.field_roles((state or {}).get("roles"))
        return IssueReader(
            self.client,
            str(self.settings.get("deployment", "cloud")),
            issue_fields(roles),
            self.overlap_minutes,
            remembered(roles, self.settings.get("fields")),
        )

    def _site_fields(self) -> list[dict[str, Any]]:
        with self._site_lock:
            if self._fields is None:
                # through the declared paging, so the page guard checks it like every other list
                fields = self.stream("fields")
                page = next(fields.paging.pages(self.client, self.path(fields, self.scopes()[0]), {}))
                self._fields = page.records
            return self._fields

    def _site_sprints(self) -> dict[str, list[dict[str, Any]]]:
        """Sprints by owning project, walking every project's boards once (shared boards count once)."""
        with self._site_lock:
            if self._sprints is None:
                self._sprints = sprints_by_project(self.client, self.scopes())
            return self._sprints
