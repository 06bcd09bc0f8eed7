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
from connectors.jira.milestones import sprints_by_project, version_pages
from connectors.jira.search import CLOUD_SEARCH, IssueReader, issue_fields

SITE_STREAMS = frozenset({"fields", "field_roles", "statuses"})
log = logging.getLogger(__name__)


class JiraConnector(Connector):
    source_type: ClassVar[str] = "jira"
    streams: ClassVar[tuple[Stream, ...]] = (
        Stream("fields", "/rest/api/{api}/field", cursor_field=None, paging="none"),
        Stream("field_roles", "/rest/api/{api}/field", primary_key="role", cursor_field=None, paging="none"),
        Stream("statuses", "/rest/api/{api}/status", cursor_field=None, paging="none"),
        # Data Center: /rest/api/2/search with startAt offsets.
        Stream("issues", CLOUD_SEARCH, cursor_field="fields.updated", paging="token"),
        Stream("versions", "/rest/api/{api}/project/{scope}/version", cursor_field=None, paging="offset"),
        Stream("sprints", "/rest/agile/1.0/board/{board}/sprint", cursor_field=None, paging="offset"),
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

    def read(self, scope: str, stream: Stream, state: State | None) -> Iterator[Page]:
        if stream.name in SITE_STREAMS:
            if scope == self.scopes()[0]:
                yield self._site_page(stream.name, state or {})
        elif stream.name == "issues":
            yield from self._issue_reader(state).read(scope, state)
        elif stream.name in self.settings.get("milestones", ("versions", "sprints")):
            if stream.name == "versions":
                for records in version_pages(self.client, self.api, scope):
                    yield Page(records, None)
            else:
                yield Page(self._site_sprints().get(scope, []), None)
            yield Page([], {})

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
            float(self.settings.get("overlap_minutes", 10)),
            remembered(roles, self.settings.get("fields")),
        )

    def _site_fields(self) -> list[dict[str, Any]]:
        with self._site_lock:
            if self._fields is None:
                self._fields = self.client.get_json(f"/rest/api/{self.api}/field")[1]
            return self._fields

    def _site_sprints(self) -> dict[str, list[dict[str, Any]]]:
        """Sprints by owning project, walking every project's boards once (shared boards count once)."""
        with self._site_lock:
            if self._sprints is None:
                self._sprints = sprints_by_project(self.client, self.scopes())
            return self._sprints

    def _site_page(self, stream: str, state: State) -> Page:
        if stream == "fields":
            return Page(self._site_fields(), {})
        if stream == "field_roles":
            overrides = self.settings.get("fields") or {}
            roles, kept = self.field_roles(state.get("roles"))
            return Page(role_records(roles, overrides, kept), {"roles": remembered(roles, overrides)})
        return Page(self.client.get_json(f"/rest/api/{self.api}/status")[1], {})
