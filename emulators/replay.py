"""Recorded pages served over loopback HTTP: a tracker's test double without a hand-written emulator.

The emulators answer the way they were built to; recordings answer the way real sites did. A
manifest (JSON) declares which recording answers which request, so a test replays a real site
through a connector without code per endpoint:

    {"origin": "https://gitlab.example.com/api/v4",
     "secrets": {"token": "recorded-token"},
     "source": {"projects": ["acme/app"]},
     "as_of": "2024-03-01T00:00:00Z",
     "routes": [
        {"path": "/projects/acme%2Fapp/issues", "file": "issues_1.json",
         "headers": {"Link": "<https://gitlab.example.com/api/v4/projects/acme%2Fapp/issues?page=2>; rel=\\"next\\""}},
        {"path": "/projects/acme%2Fapp/issues", "query": {"page": "2"}, "file": "issues_2.json"},
        {"path": "/projects/acme%2Fapp/issues", "query": {"updated_after": "*"}, "body": []},
        {"path": "/rest/agile/1.0/board", "file": "board.json", "page_of": "values"},
        {"path": "/rest/api/3/status", "body": [], "why": "nothing was recorded"}]}

A route matches a request with its method (default GET) and path when every one of its `query`
parameters is in the request with that value (`"*"`: any value); other parameters are ignored (a
recording cannot know the connector's page size). The route naming the most parameters wins, so a
`page=2` route answers after the plain one. A request nothing matches is answered 404 in Jira's
error shape and kept in `missed`, so a test sees what the recordings lack.

A route answers with `status` (default 200), its recorded `headers`, and a JSON file relative to
the manifest (`page_of: key` wraps a recorded single object into a one-page list under that key,
for a list that was never recorded) or an inline `body`. `why` is for the reader: why a route
answers a request its recording was not made for.

The rest of the manifest is optional:
- `origin`: the recorded site's API root; in every header it is rewritten to where the replay is
  served, so recorded `Link` headers page through the replay and never leave loopback.
- `secrets`: the credentials the replay accepts, by role (`token`, `email`); a request whose
  headers (a Basic pair decoded) do not carry each of them is answered 401.
- `source`, `as_of`: what a contract test configures the tracker with (its `sources:` keys besides
  name, type, base_url and the secrets' env names) and the run's as-of instant
  (tests/test_tracker_contract.py).

`Replay` is the routing as an emulator mount (emulators/exchange.py), served under /<type> beside
the emulators; `ReplayServer` serves one manifest alone at the root of a loopback port.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from emulators.exchange import Request, Response, json_bytes
from emulators.org import Clock, Org
from emulators.server import EmulatorServer

Logged = tuple[str, str, dict[str, str]]  # method, path, query
ANY = "*"
JSON = ("Content-Type", "application/json;charset=UTF-8")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    query: Mapping[str, str]
    body: bytes
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()

    def matches(self, method: str, path: str, query: Mapping[str, str]) -> bool:
        return (self.method, self.path) == (method, path) and all(
            key in query and value in (ANY, query[key]) for key, value in self.query.items()
        )


@dataclass
class Replay:
    """A manifest's routes, answering as a mount; `missed` logs what no route answered."""

    routes: list[Route]
    origin: str | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)
    source: Mapping[str, Any] = field(default_factory=dict)
    as_of: datetime | None = None
    missed: list[Logged] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    @classmethod
    def load(cls, manifest: Path) -> Replay:
        spec = json.loads(manifest.read_text(encoding="utf-8"))
        as_of = spec.get("as_of")
        return cls(
            routes=[load_route(manifest.parent, route) for route in spec["routes"]],
            origin=spec.get("origin"),
            secrets=dict(spec.get("secrets", {})),
            source=dict(spec.get("source", {})),
            as_of=datetime.fromisoformat(as_of.replace("Z", "+00:00")) if as_of else None,
        )

    def handle(self, request: Request) -> Response:
        if not all(_carries(request.headers, secret) for secret in self.secrets.values()):
            return Response(401, json_bytes({"message": "401 Unauthorized"}), [JSON])
        query = request.param_map
        matching = [r for r in self.routes if r.matches(request.method, request.path, query)]
        if not matching:
            with self._lock:
                self.missed.append((request.method, request.path, query))
            message = f"nothing recorded for {request.method} {request.path}"
            return Response(404, json_bytes({"errorMessages": [message], "errors": {}}), [JSON])
        route = max(matching, key=lambda r: len(r.query))
        headers = [(name, self._served(value, request.base_url)) for name, value in route.headers]
        return Response(route.status, route.body, [JSON, *headers])

    def _served(self, value: str, base_url: str) -> str:
        """A recorded header value pointing where the replay is served instead of the recorded site."""
        return value.replace(self.origin, base_url) if self.origin else value


def load_route(base: Path, spec: Mapping[str, Any]) -> Route:
    """One manifest entry, its answer read from disk once."""
    if "body" in spec:
        body = spec["body"]
    else:
        body = json.loads((base / spec["file"]).read_text(encoding="utf-8"))
        if spec.get("page_of"):
            body = {"startAt": 0, "maxResults": 50, "total": 1, "isLast": True, spec["page_of"]: [body]}
    return Route(
        spec.get("method", "GET"),
        spec["path"],
        dict(spec.get("query", {})),
        json.dumps(body).encode(),
        int(spec.get("status", 200)),
        tuple(dict(spec.get("headers", {})).items()),
    )


def _carries(headers: Mapping[str, str], secret: str) -> bool:
    """Whether a header holds the secret: as given (a token header, Bearer) or in a Basic pair."""
    if not secret:
        return False
    for value in headers.values():
        if secret in value:
            return True
        scheme, _, encoded = value.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(encoded, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                continue
            if secret in decoded.split(":"):
                return True
    return False


class ReplayServer(EmulatorServer):
    """One manifest's replay at the root of http://127.0.0.1:<free port> while open."""

    def __init__(self, manifest: Path) -> None:
        self.replay = Replay.load(manifest)
        nothing = Org(models={}, clock_source=Clock(self.replay.as_of or datetime.now().astimezone()))
        super().__init__(nothing, mounts={"": self.replay})

    @property
    def missed(self) -> list[Logged]:
        return self.replay.missed
