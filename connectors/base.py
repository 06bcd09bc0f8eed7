"""The connector contract: a tracker is a set of declarative streams read page by page.

A connector knows a tracker's HTTP API and nothing about Dagster or DuckDB. The pipeline
(pipelines/ingest.py) builds it with `client_for(settings, **secrets)` and `Connector(client,
settings)`, asks it for `scopes()` (repos, projects), `check()`s it, and for each scope reads every
stream of `streams` in order: `read(scope, stream, state)` yields `Page`s, the records exactly as
the API returned them (or as the stream's `shape` trims them) plus the state to store once those
records are committed (None: not yet). The pipeline commits each page's records and its state in
one transaction, so a run that dies resumes from the last committed page and never skips data.
`record_key(stream, record)` keys each record; `census(scope)` lists the ids of `census_stream`
still in the tracker, so deleted records can be marked.

Adding a tracker: subclass `Connector`, declare its `Stream`s (connectors/streams.py says how to
declare each kind: full, incremental, append-only, site-wide, child) with a paging style
(connectors/paging.py: Link, PageNumber, Offset, Token, Keyset, Single); the base `read` runs them
(connectors/reads.py, child streams connectors/children.py). Write a hook only for what a
declaration cannot say: `reader` or `first_reader` methods, `shape` functions, `path_values`,
`path`, `wanted`, `census` (by default the census stream walked whole). Then `scopes`, `check` and
`client_for`; register the tracker's `TRACKER` (connectors/tracker.py) and add its
staging SQL under `models/staging/<type>/`. `tests/test_connector_contract.py` runs the shared
contract against every registered tracker.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from connectors.children import read_children
from connectors.http import ConnectorError, HttpClient
from connectors.paging import Fetched, fetch_link_pages
from connectors.paging_guard import json_kind
from connectors.reads import Listing, read_full, read_incremental, shaped
from connectors.streams import (
    Page,
    Parent,
    Record,
    State,
    Stream,
    cursor_time,
    field_value,
    format_time,
    parse_time,
    resume_from,
)

__all__ = [
    "Connector",
    "Fetched",
    "Page",
    "Parent",
    "Record",
    "State",
    "Stream",
    "fetch_link_pages",
    "format_time",
    "parse_time",
    "resume_from",
]


class Connector:
    """Base class: holds the HTTP client and the source's settings, and runs the declared streams."""

    source_type: ClassVar[str]
    streams: ClassVar[tuple[Stream, ...]]
    census_stream: ClassVar[str] = "issues"  # the stream whose deletions `census` detects

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A declaration naming a hook or parent that does not exist fails at import, not mid-run."""
        super().__init_subclass__(**kwargs)
        declared: dict[str, Stream] = {}
        for stream in getattr(cls, "streams", ()):
            for hook in (stream.reader, stream.first_reader):
                if hook and not callable(getattr(cls, hook, None)):
                    raise TypeError(f"{cls.__name__}: stream {stream.name} names no method {hook}")
            parent = declared.get(stream.parent.stream) if stream.parent else None
            if stream.parent and (parent is None or parent.parent):
                raise TypeError(
                    f"{cls.__name__}: stream {stream.name}'s parent {stream.parent.stream} must be "
                    "declared before it and not be a child stream itself"
                )
            declared[stream.name] = stream

    def __init__(self, client: HttpClient, settings: Mapping[str, Any]) -> None:
        self.client = client
        self.settings = settings
        # A parent list's latest walk per (scope, parent stream), for its child streams to share.
        self.listings: dict[tuple[str, str], Listing] = {}

    @classmethod
    def client_for(cls, settings: Mapping[str, Any], token: str) -> HttpClient:
        """The source's HTTP client with its credentials (secrets come from the environment)."""
        raise NotImplementedError

    def scopes(self) -> list[str]:
        """The repos or projects this source covers."""
        raise NotImplementedError

    def check(self) -> None:
        """A cheap request per scope that fails with ConnectorError when the source is unusable."""
        raise NotImplementedError

    def read(self, scope: str, stream: Stream, state: State | None) -> Iterator[Page]:
        """Yield the stream's pages for one scope, resuming from `state` (None on a first run).

        The loop follows the declaration: a hook (`reader`; `first_reader` while the state has no
        cursor), the child loop (`parent`), the full read (`cursor_field=None`) or the incremental.
        """
        if not self.wanted(scope, stream):
            return
        state = state or {}
        if stream.reader:
            yield from getattr(self, stream.reader)(scope, stream, state)
        elif stream.first_reader and not state.get("cursor"):
            yield from getattr(self, stream.first_reader)(scope, stream, state)
        elif stream.parent:
            yield from read_children(self, scope, stream, state)
        elif stream.cursor_field is None:
            yield from read_full(self, scope, stream, state)
        else:
            yield from read_incremental(self, scope, stream, state)

    def census(self, scope: str) -> set[str]:
        """Ids of every record of `census_stream` now in the scope; raw rows missing from it were deleted.

        By default the census stream's declared list walked whole, without a cursor: override it
        when the tracker has a cheaper list of ids (Jira's `fields=id` search).
        """
        stream = self.stream(self.census_stream)
        pages = stream.paging.pages(self.client, self.path(stream, scope), self.params(stream))
        return {
            self.record_key(stream, record).id for page in pages for record in shaped(stream, page.records)
        }

    def record_key(self, stream: Stream, record: Mapping[str, Any]) -> Record:
        """The record's primary key as a string and its cursor as a UTC datetime (None when unusable).

        Both fields may be nested (`fields.updated` in Jira, `_parent.id` for a child list).
        """
        if not isinstance(record, Mapping):  # `null` or a bare value inside the list
            raise ConnectorError(f"{stream.name}: {json_kind(record)} where a record belongs")
        key = field_value(record, stream.primary_key)
        if key is None:
            raise ConnectorError(f"{stream.name}: a record without its key {stream.primary_key}")
        return Record(id=str(key), cursor=cursor_time(stream, record))

    # Hooks the read loop calls; override only what a declaration cannot say.

    def wanted(self, scope: str, stream: Stream) -> bool:
        """Whether to read the stream under this scope: a site-wide stream only under the first."""
        return not stream.site_wide or scope == self.scopes()[0]

    def path_values(self) -> dict[str, Any]:
        """Values for a stream's path template besides `{scope}` and a child's parent keys."""
        return {}

    def path(self, stream: Stream, scope: str, **values: Any) -> str:
        """The stream's path for a scope (and a parent's keys)."""
        return stream.path.format(scope=scope, **self.path_values(), **values)

    def params(self, stream: Stream) -> dict[str, Any]:
        """The stream's params with its page size: the source's `per_page` setting, else the style's."""
        size_param = stream.paging.size_param
        if size_param is None:
            return dict(stream.params)
        return {**stream.params, size_param: int(self.settings.get("per_page", stream.paging.size))}

    @property
    def overlap_minutes(self) -> float:
        """How long before the server's answer a write may still be missing from it (`resume_from`)."""
        return float(self.settings.get("overlap_minutes", 10))

    def stream(self, name: str) -> Stream:
        """The declared stream called `name`."""
        return next(s for s in self.streams if s.name == name)
