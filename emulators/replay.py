"""A loopback HTTP server that answers with responses recorded from real GitHub and Jira servers.

The emulators answer the way they were built to; recordings answer the way real sites did. A
manifest (JSON) declares which recording answers which request, so a test replays a real site
through a connector without code per endpoint:

    {"routes": [{"path": "/rest/api/3/field", "file": "fields.json"},
                {"path": "/rest/agile/1.0/board", "query": {"projectKeyOrId": "KP"},
                 "file": "board.json", "page_of": "values"},
                {"path": "/rest/api/3/status", "body": [], "why": "nothing was recorded"}]}

A route matches a request with its method (default GET) and path when every one of its `query`
parameters is in the request with that value (other parameters are ignored: a recording cannot know
the connector's page size); the route naming the most parameters wins, so a `startAt=50` route can
answer after a `startAt=0` one. A request nothing matches is answered 404 in Jira's error shape and
kept in `missed`, so a test sees what the recordings lack.

A route answers with a JSON file, relative to the manifest (`page_of: key` wraps a recorded single
object into a one-page list under that key, for a list that was never recorded), or an inline
`body`. `why` is for the reader: why a route answers a request its recording was not made for.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Logged = tuple[str, str, dict[str, str]]  # method, path, query


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    query: Mapping[str, str]
    body: bytes


@dataclass
class ReplayServer:
    """Serves a manifest's routes on http://127.0.0.1:<free port> while open (a context manager)."""

    manifest: Path
    missed: list[Logged] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        spec = json.loads(self.manifest.read_text(encoding="utf-8"))
        self.routes = [load_route(self.manifest.parent, route) for route in spec["routes"]]
        self._httpd: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> ReplayServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, self))
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        serve = functools.partial(self._httpd.serve_forever, poll_interval=0.05)
        threading.Thread(target=serve, name="replay-server", daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def answer(self, method: str, target: str) -> tuple[int, bytes]:
        """The status and JSON body for a request line's method and target."""
        parts = urlsplit(target)
        request: Logged = (method, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)))
        matching = [
            r
            for r in self.routes
            if (r.method, r.path) == request[:2] and all(request[2].get(k) == v for k, v in r.query.items())
        ]
        if not matching:
            with self._lock:
                self.missed.append(request)
            error = {"errorMessages": [f"nothing recorded for {method} {parts.path}"], "errors": {}}
            return 404, json.dumps(error).encode()
        return 200, max(matching, key=lambda r: len(r.query)).body


def load_route(base: Path, spec: Mapping[str, Any]) -> Route:
    """One manifest entry, its answer read from disk once."""
    if "body" in spec:
        body = spec["body"]
    else:
        body = json.loads((base / spec["file"]).read_text(encoding="utf-8"))
        if spec.get("page_of"):
            body = {"startAt": 0, "maxResults": 50, "total": 1, "isLast": True, spec["page_of"]: [body]}
    return Route(
        spec.get("method", "GET"), spec["path"], dict(spec.get("query", {})), json.dumps(body).encode()
    )


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, server: ReplayServer, *args: Any) -> None:
        self.replay = server
        super().__init__(*args)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        status, body = self.replay.answer("GET", self.path)
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        """Quiet: what matters is in `ReplayServer.missed`."""
