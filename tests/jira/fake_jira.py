"""A scripted Jira on loopback for connector edge cases the emulator does not stage on demand.

Each route is a callable `(query) -> body` or `(query) -> (status, body)`; every request is logged
with its path, query and headers, so tests can assert what the connector sent and how often.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "jira"
Handler = Callable[[dict[str, str]], Any]


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeJira:
    routes: dict[str, Handler] = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)
    url: str = ""

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path == path]

    def answer(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, Any]:
        parts = urlsplit(target)
        request = Request(method, parts.path, dict(parse_qsl(parts.query)), headers)
        self.log.append(request)
        handler = self.routes.get(parts.path)
        if handler is None:
            return 404, {"errorMessages": [f"no route {parts.path}"], "errors": {}}
        result = handler(request.query)
        return result if isinstance(result, tuple) else (200, result)


@contextmanager
def serve(fake: FakeJira) -> Iterator[FakeJira]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = fake.answer("GET", self.path, dict(self.headers))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
