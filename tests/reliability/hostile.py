"""A loopback HTTP server that answers what the emulators never would: a body dripped a byte at a
time, a body larger than any page, a `Link` to itself or to another host, a redirect away, raw
bytes of any kind. It records every request it receives, headers included, so a test can count
the credentials that reached it.

    with Hostile({"/list": Answer(body=b"[]", headers={"Link": '<http://.../x>; rel="next"'})}) as home:
        ...  # point a client at home.url
        home.credentials(token)   # requests that carried the token

A route is an `Answer` or a function of the request's path and query returning one.
`finish_within` runs a call on a thread and gives up waiting after a bound, so a client that never
returns fails its test (and is counted in the tally) instead of hanging the suite.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from connectors.http import HttpClient
from tests.reliability import tally


@dataclass
class Answer:
    """status, headers and body; `drip` seconds between single bytes of the body (of the whole
    answer, status line first, with `drip_head`); an iterable body is sent as it comes and ended by
    closing the connection (no Content-Length)."""

    body: bytes | Iterable[bytes] = b"[]"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    drip: float = 0.0
    drip_head: bool = False


Route = Answer | Callable[[str, str], Answer]


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]


class Hostile:
    def __init__(self, routes: Mapping[str, Route]) -> None:
        self.routes = dict(routes)
        self.received: list[Received] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def credentials(self, token: str) -> int:
        """Requests that reached this server carrying `token`: in any header (a bearer, a tracker's
        own token header), or inside basic auth's base64."""
        return sum(_carries(r.headers, token) for r in self.received)

    def __enter__(self) -> Hostile:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, method: str, target: str, headers: dict[str, str]) -> Answer:
        parts = urlsplit(target)
        self.received.append(Received(method, parts.path, parts.query, headers))
        route = self.routes.get(parts.path)
        if route is None:
            return Answer(b'{"message": "Not Found"}', status=404)
        return route(parts.path, parts.query) if callable(route) else route


def _handler(server: Hostile) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read `received`
            pass

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer()

        def _answer(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = server.answer(self.command, self.path, headers)
            if answer.drip_head and isinstance(answer.body, bytes):
                head = [f"HTTP/1.1 {answer.status} Slow", *(f"{n}: {v}" for n, v in answer.headers.items())]
                head.append(f"Content-Length: {len(answer.body)}")
                try:
                    self._write("\r\n".join([*head, "", ""]).encode() + answer.body, answer.drip)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                return
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            try:
                if isinstance(answer.body, bytes):
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self._write(answer.body, answer.drip)
                else:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    for piece in answer.body:
                        self.wfile.write(piece)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up on us: that is the point

        def _write(self, body: bytes, drip: float) -> None:
            if not drip:
                self.wfile.write(body)
                return
            for index in range(len(body)):
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
                time.sleep(drip)

    return Handler


@dataclass
class Outcome:
    """What a call bounded by `finish_within` did: its result or exception, and how long it took."""

    result: Any = None
    error: BaseException | None = None
    seconds: float = 0.0


def finish_within(seconds: float, call: Callable[[], Any]) -> Outcome:
    """Run `call` on a daemon thread; AssertionError (and a tally of a run that did not end) when it
    is still going after `seconds`."""
    outcome = Outcome()
    started = time.monotonic()

    def run() -> None:
        try:
            outcome.result = call()
        except BaseException as exc:  # the test looks at what the call raised
            outcome.error = exc
        outcome.seconds = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        tally.add(runs_not_ended=1)
        raise AssertionError(f"still running after {seconds}s")
    return outcome


def quick_client(base_url: str, token: str = "t", **settings: Any) -> HttpClient:
    """A client that fails fast enough for a test: short timeouts, few retries, short backoffs."""
    defaults = {
        "timeout": (2.0, 0.5),
        "max_retries": 2,
        "backoff_factor": 0.05,
        "secondary_wait_seconds": 0.1,
    }
    return HttpClient(base_url, headers={"Authorization": f"Bearer {token}"}, **{**defaults, **settings})


def _carries(headers: Mapping[str, str], token: str) -> bool:
    for value in headers.values():
        if token in value:
            return True
        scheme, _, encoded = value.partition(" ")
        if scheme.lower() == "basic":
            try:
                if token in base64.b64decode(encoded).decode("utf-8", "replace"):
                    return True
            except (binascii.Error, ValueError):
                continue
    return False
