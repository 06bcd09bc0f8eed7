"""The /bench control mount: what a benchmark needs from inside the emulator process.

    GET  /bench/config?warehouse=P&work_dir=D   a trackerlake.yaml (as JSON) pointing at this server
    GET  /bench/floors                          the fewest requests a full and a quiet sync need,
                                                and how many items the trackers hold
    POST /bench/change?fraction=F&hours=H       advance the clock, edit F of the issues, and return
                                                the fewest requests the next sync needs
    GET  /bench/requests                        tracker requests since the last reset, by key
    POST /bench/reset                           forget the requests so far
    GET  /bench/rss                             this process's peak RSS

Keys are those of bench/request_kinds.py. The mount is added by bench/emulator_host.py only.
"""

from __future__ import annotations

import resource
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench import floors
from bench.changes import change_fraction
from bench.request_kinds import classify
from emulators.exchange import Request, Response, json_bytes
from emulators.server import EmulatorServer
from pipelines.demo import emulator_config


class BenchControl:
    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.org = server.org

    def handle(self, request: Request) -> Response:
        action = request.path.strip("/")
        routes = {
            ("GET", "config"): self._config,
            ("GET", "floors"): self._floors,
            ("POST", "change"): self._change,
            ("GET", "requests"): self._requests,
            ("POST", "reset"): self._reset,
            ("GET", "rss"): self._rss,
        }
        route = routes.get((request.method, action))
        if route is None:
            return Response(404, json_bytes({"message": f"no {request.method} /bench/{action}"}))
        return Response(200, json_bytes(route(request)), [("Content-Type", "application/json")])

    def _config(self, request: Request) -> dict[str, Any]:
        warehouse, work_dir = Path(request.param("warehouse") or ""), Path(request.param("work_dir") or "")
        return emulator_config(self.org, self.server.url, warehouse, work_dir)

    def _floors(self, request: Request) -> dict[str, Any]:
        with self._locks():
            full = floors.full_read(self.org, self.server.mounts)
            quiet = floors.quiet_read(self.org, self.server.mounts)
            counts = floors.item_counts(self.org)
        return {"full": full, "quiet": quiet, "counts": counts}

    def _change(self, request: Request) -> dict[str, Any]:
        with self._locks():
            since = self.org.advance(hours=float(request.param("hours") or 24))
            edited = change_fraction(self.org, float(request.param("fraction") or 0.01))
            needed = floors.changed_read(self.org, since, self.server.mounts)
        return {"edited": edited, "floors": needed, "now": since.isoformat()}

    def _requests(self, request: Request) -> dict[str, Any]:
        counts: Counter[str] = Counter()
        statuses: Counter[str] = Counter()
        for entry in self.server.request_log:
            name = classify(entry, self.org)
            if name is not None:
                counts[name] += 1
                statuses[str(entry["status"])] += 1
        return {"by_key": dict(counts), "by_status": dict(statuses), "total": sum(counts.values())}

    def _reset(self, request: Request) -> dict[str, Any]:
        self.server.reset_log()
        return {}

    def _rss(self, request: Request) -> dict[str, Any]:
        return {"peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}

    @contextmanager
    def _locks(self) -> Iterator[None]:
        """Every tracker's model lock, so no request sees half a change."""
        with ExitStack() as stack:
            for model in self.org.models.values():
                stack.enter_context(model.lock)
            yield
