"""A loopback HTTP server that answers with responses recorded from real GitHub and Jira servers.

The emulators answer the way they were built to; recordings answer the way real sites did. A
manifest (JSON) declares which recording answers which request, so a test replays a real site
through the connector without code per endpoint:

    {"origin": "https://api.github.com",
     "routes": [{"path": "/repos/o/r/milestones", "file": "Repository.testGetMilestones.txt"},
                {"path": "/rest/agile/1.0/board", "query": {"startAt": "0"},
                 "file": "board.json", "page_of": "values"},
                {"path": "/rest/api/3/status", "body": [], "why": "nothing was recorded"}]}

A route matches a request with its method and path when every one of its `query` parameters is in
the request with that value (other parameters are ignored: a recording cannot know the connector's
page size); the route naming the most parameters wins, so `startAt=50` can answer after `startAt=0`.
Unmatched requests answer 404 in Jira's error shape and are logged, so a test sees what it missed.

A route's answer is a JSON file (`page_of: key` wraps a recorded single object into a one-page
list under that key, for endpoints whose list was never recorded), an exchange of a PyGithub
ReplayData file (`*.txt`: its recorded status, headers and body; `exchange` picks one, default the
first), or an inline `body`. Recorded header values, Link above all, point at `origin`: they are
rewritten to this server's URL so a client follows them here.
"""

from __future__ import annotations

import ast
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

# Headers that describe the recorded transfer, not the answer: this server sets its own.
TRANSFER_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "content-encoding", "connection", "status"}
)
REPLAY_DATA_LINES = (
    10  # protocol, verb, host, port, url, request headers, request body, status, headers, body
)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    query: Mapping[str, str]
    answer: Answer


@dataclass
class ReplayServer:
    """Serves a manifest's routes on http://127.0.0.1:<free port> until stopped (a context manager)."""

    manifest: Path
    log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    missed: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # answered 404
    url: str = ""

    def __post_init__(self) -> None:
        spec = json.loads(self.manifest.read_text(encoding="utf-8"))
        self.origin: str = spec.get("origin", "")
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

    def answer(self, method: str, target: str) -> Answer:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            self.log.append((method, parts.path, query))
        candidates = [
            r
            for r in self.routes
            if r.method == method
            and r.path == parts.path
            and all(query.get(k) == v for k, v in r.query.items())
        ]
        if not candidates:
            with self._lock:
                self.missed.append((method, parts.path, query))
            body = {"errorMessages": [f"nothing recorded for {method} {parts.path}"], "errors": {}}
            return Answer(404, (("Content-Type", "application/json"),), json.dumps(body).encode())
        found = max(candidates, key=lambda r: len(r.query)).answer
        headers = tuple((k, v.replace(self.origin, self.url) if self.origin else v) for k, v in found.headers)
        return Answer(found.status, headers, found.body)

    def requests_to(self, path: str) -> list[dict[str, str]]:
        """The query of every request made to `path`, in order."""
        with self._lock:
            return [query for _, logged, query in self.log if logged == path]


def load_route(base: Path, spec: Mapping[str, Any]) -> Route:
    """One manifest entry, its answer read from disk once."""
    if "body" in spec:
        answer = json_answer(spec["body"], int(spec.get("status", 200)))
    elif str(spec["file"]).endswith(".txt"):
        text = (base / spec["file"]).read_text(encoding="utf-8")
        answer = replay_data_exchanges(text)[int(spec.get("exchange", 0))]
    else:
        body = json.loads((base / spec["file"]).read_text(encoding="utf-8"))
        if spec.get("page_of"):
            body = {"startAt": 0, "maxResults": 50, "total": 1, "isLast": True, spec["page_of"]: [body]}
        answer = json_answer(body, int(spec.get("status", 200)))
    return Route(spec.get("method", "GET"), spec["path"], dict(spec.get("query", {})), answer)


def json_answer(body: Any, status: int = 200) -> Answer:
    return Answer(status, (("Content-Type", "application/json;charset=UTF-8"),), json.dumps(body).encode())


def replay_data_exchanges(text: str) -> list[Answer]:
    """The answers of a PyGithub ReplayData file: exchanges of ten lines, each followed by a blank one.

    Line 8 is the status, line 9 the response headers as a Python list of pairs, line 10 the body.
    """
    lines = text.split("\n")
    answers = []
    for start in range(0, len(lines) - REPLAY_DATA_LINES + 1, REPLAY_DATA_LINES + 1):
        status, headers, body = lines[start + 7 : start + REPLAY_DATA_LINES]
        recorded = ast.literal_eval(headers)
        kept = tuple((k, v) for k, v in recorded if k.lower() not in TRANSFER_HEADERS)
        answers.append(Answer(int(status), kept, body.encode("utf-8")))
    return answers


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, server: ReplayServer, *args: Any) -> None:
        self.replay = server
        super().__init__(*args)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        answer = self.replay.answer("GET", self.path)
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        """Quiet: `ReplayServer.log` records the requests."""
