"""One loopback HTTP server for every tracker emulator, each API mounted under its own path prefix.

    with EmulatorServer(generate_org()) as srv:
        client = HttpClient(srv.url_of("github"), headers={"Authorization": "Bearer x"})

Each tracker of the organisation answers under /<type>, through the API its emulator's record
mounts (emulators/emulated.py): GitHub under /github (like GitHub Enterprise Server's
https://HOST/api/v3), Jira under /jira (a source's base_url, Cloud and Data Center paths alike). Requests are served concurrently in
daemon threads; nothing is printed per request: `request_log` records what was asked.

With `faults=FaultPlan.parse(spec)` (see faults.py) requests meet rate limits, server errors,
dropped connections, slow and spoiled answers and edits mid-walk; `POST /_faults/churn` makes the
plan's changes between runs and `GET /_faults` reports what was injected.

With `latency=0.15` every answer waits that many seconds first, as a tracker across the internet
answers a page in a few hundred milliseconds where loopback takes none: each request waits in its
own thread, so requests in flight together wait together (the bench's parallel syncs, issue 15).
"""

from __future__ import annotations

import functools
import logging
import socket
import struct
import sys
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from emulators.emulated import registered
from emulators.exchange import Mount, Request, Response, json_bytes
from emulators.faults import Fault, FaultPlan
from emulators.org import Org

log = logging.getLogger(__name__)


def default_mounts(org: Org) -> dict[str, Mount]:
    """The APIs an organisation is served under, by path prefix: each tracker's under /<type>."""
    emulated = registered()
    return {f"/{kind}": emulated[kind].mount(model) for kind, model in org.models.items()}


class EmulatorServer:
    """The emulators of `org` on http://host:port (port 0: a free one), started in a background thread."""

    def __init__(
        self,
        org: Org,
        host: str = "127.0.0.1",
        port: int = 0,
        mounts: Mapping[str, Mount] | None = None,
        faults: FaultPlan | None = None,
        latency: float = 0.0,
    ) -> None:
        self.org = org
        self.latency = latency
        self.mounts = dict(default_mounts(org) if mounts is None else mounts)
        self.faults = faults
        self._address = (host, port)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._log: list[dict[str, Any]] = []
        self._log_lock = threading.Lock()

    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            raise RuntimeError("the emulator server is already running")
        self._httpd = _QuietServer(self._address, _handler_class(self))
        # A short poll interval makes stop() quick (serve_forever notices shutdown only between polls).
        serve = functools.partial(self._httpd.serve_forever, poll_interval=0.05)
        self._thread = threading.Thread(target=serve, name="emulator-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the emulator server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url_of(self, kind: str) -> str:
        """Where the tracker of type `kind` is served: its source's base_url."""
        return f"{self.url}/{kind}"

    def __getattr__(self, name: str) -> str:
        # `server.<type>_url`, as tests write it: only called for names that are not attributes.
        kind = name.removesuffix("_url")
        if kind != name and f"/{kind}" in self.__dict__.get("mounts", {}):
            return self.url_of(kind)
        raise AttributeError(name)

    @property
    def request_log(self) -> list[dict[str, Any]]:
        """A copy of every request so far: {"method", "path", "query" (dict, last value wins), "status"},
        plus "fault" (its kind) for a request that met one."""
        with self._log_lock:
            return list(self._log)

    def reset_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def draw_fault(self, method: str, target: str, body: bytes) -> Fault | None:
        """The fault this request meets under the current plan (tests swap `faults` between runs)."""
        plan = self.faults
        if plan is None or target.startswith("/_faults"):
            return None
        parts = urlsplit(target)
        return plan.draw(method, parts.path, parts.query, body)

    def log_fault(self, fault: Fault, method: str, target: str) -> None:
        """Log a fault that took effect on the connection (dropped, slow, cut); status 0: no answer."""
        fault.plan.record(fault.kind)
        parts = urlsplit(target)
        entry = {"method": method, "path": parts.path, "query": dict(parse_qsl(parts.query)), "status": 0}
        entry["fault"] = fault.kind
        with self._log_lock:
            self._log.append(entry)

    def dispatch(
        self, method: str, target: str, headers: Any, body: bytes, fault: Fault | None = None
    ) -> Response:
        """Answer one request through the mount its path falls under (or the fault it meets), and log it."""
        parts = urlsplit(target)
        mount_prefix = self._mount_for(parts.path)
        applied = None
        if parts.path.startswith("/_faults"):
            response = self._fault_admin(method, parts.path)
        elif fault is not None and (canned := fault.answer(parts.path)) is not None:
            response, applied = canned, fault.kind
        elif mount_prefix is None:
            response = Response(
                404, json_bytes({"message": "Not Found"}), [("Content-Type", "application/json")]
            )
        else:
            host = headers.get("Host") or self.url.removeprefix("http://")
            request = Request(
                method=method,
                path=parts.path[len(mount_prefix) :] or "/",
                query_string=parts.query,
                headers=headers,
                body=body,
                base_url=f"http://{host}{mount_prefix}",
            )
            mount = self.mounts[mount_prefix]
            if fault is not None and fault.kind == "move" and hasattr(mount, "edit_served_issue"):
                self.org.advance(seconds=1)  # edits made during a walk land after everything before
                if mount.edit_served_issue(request, fault.pick, fault.plan.retitle):
                    applied = fault.kind
            try:
                response = mount.handle(request)
            except Exception:
                log.exception("emulator failed on %s %s", method, target)
                response = Response(
                    500, json_bytes({"message": "Server Error"}), [("Content-Type", "application/json")]
                )
            if fault is not None and (spoiled := fault.adjust(request.param_map, body, response)) is not None:
                response, applied = spoiled, fault.kind
        entry = {
            "method": method,
            "path": parts.path,
            "query": dict(parse_qsl(parts.query)),
            "status": response.status,
        }
        if fault is not None and applied is not None:
            fault.plan.record(applied)
            entry["fault"] = applied
        with self._log_lock:
            self._log.append(entry)
        return response

    def _fault_admin(self, method: str, path: str) -> Response:
        """`GET /_faults`: what was injected; `POST /_faults/churn`: the plan's changes, made now."""
        headers = [("Content-Type", "application/json")]
        plan = self.faults
        if plan is None:
            return Response(404, json_bytes({"message": "no fault plan"}), headers)
        if method == "POST" and path == "/_faults/churn":
            return Response(200, json_bytes({"changed": plan.churn(self.org)}), headers)
        if method == "GET" and path == "/_faults":
            payload = {"plan": plan.describe(), "injected": plan.injected}
            return Response(200, json_bytes(payload), headers)
        return Response(404, json_bytes({"message": "Not Found"}), headers)

    def _mount_for(self, path: str) -> str | None:
        matches = [prefix for prefix in self.mounts if path == prefix or path.startswith(prefix + "/")]
        return max(matches, key=len, default=None)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops connection bursts, and a dropped SYN costs a client 1 s.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer is normal (timeouts, benchmarks); anything else is a bug.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            log.exception("emulator connection from %s failed", client_address)


def _handler_class(server: EmulatorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.1 keeps connections open, as clients pooling connections to a real API expect;
        # without Nagle, the body written after the headers is not held back on such a connection.
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def version_string(self) -> str:
            return "trackerlake-emulator"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if server.latency:
                time.sleep(server.latency)  # in this request's thread: others in flight wait alongside
            fault = server.draw_fault(self.command, self.path, body)
            if fault is not None and fault.drops_connection:
                server.log_fault(fault, self.command, self.path)
                self._drop()
                return
            if fault is not None and fault.delay:
                server.log_fault(fault, self.command, self.path)
                time.sleep(fault.delay)  # the client gave up meanwhile; writing below then fails quietly
            response = server.dispatch(self.command, self.path, self.headers, body, fault)
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            if response.status != 304:  # a 304 has no body, and its length is not this empty one
                self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command == "HEAD" or not response.body:
                return
            if fault is not None and fault.cuts_body:
                server.log_fault(fault, self.command, self.path)
                self.wfile.write(response.body[: len(response.body) // 2])
                self.wfile.flush()
                self._drop()
                return
            self.wfile.write(response.body)

        def _drop(self) -> None:
            """Close the connection with a reset, as a failing proxy or a restarted server does."""
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests and benchmarks read `request_log` instead of stderr."""

    return Handler
