"""The emulators of one generated organisation, served from a process of their own.

    with EmulatorHost(scale=21) as host:
        host.url                          # http://127.0.0.1:PORT (each tracker under /<type>)
        host.control("GET", "requests")   # the /bench control mount (bench/control.py)

The server gets its own process so that the stage measured (a sync, the bare loop) has the other
core and its peak RSS is the client's alone. Budgets are unlimited: the bench measures the work,
not the rate limiter. Run as `python -m bench.emulator_host --scale S`, it prints one JSON line
with its URL and serves until its stdin closes, so it never outlives the bench.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from types import TracebackType
from typing import Any

import requests

from bench.control import BenchControl
from bench.stage import ROOT
from emulators.emulated import registered
from emulators.generator import generate_org
from emulators.server import EmulatorServer

UNLIMITED = 10**12


class EmulatorHost:
    """A child process serving `generate_org(seed, scale)`; `generated_seconds` is its build time."""

    def __init__(self, scale: float, seed: int = 7, latency: float = 0.0) -> None:
        self.scale, self.seed, self.latency = scale, seed, latency
        self._process: subprocess.Popen[str] | None = None
        self.url = ""
        self.generated_seconds = 0.0

    def __enter__(self) -> EmulatorHost:
        command = [
            sys.executable,
            "-m",
            "bench.emulator_host",
            "--scale",
            str(self.scale),
            "--seed",
            str(self.seed),
            "--latency",
            str(self.latency),
        ]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator process exited with {self._process.wait()} before serving")
        ready = json.loads(line)
        self.url, self.generated_seconds = ready["url"], ready["generated_seconds"]
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._process is None:
            return
        assert self._process.stdin is not None
        self._process.stdin.close()  # the child's signal to stop
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def control(self, method: str, action: str, **params: Any) -> Any:
        """Call the control mount: `requests`, `reset`, `floors`, `change`, `config`, `rss`."""
        response = requests.request(method, f"{self.url}/bench/{action}", params=params, timeout=600)
        response.raise_for_status()
        return response.json()


def serve(scale: float, seed: int, latency: float = 0.0) -> None:
    started = time.perf_counter()
    org = generate_org(seed=seed, scale=scale)
    generated = time.perf_counter() - started
    emulated = registered()
    # As EmulatorServer's default mounts, each tracker under /<type>, but with no rate limit.
    mounts = {
        f"/{kind}": emulated[kind].mount(model, rate_limit=UNLIMITED) for kind, model in org.models.items()
    }
    server = EmulatorServer(org, mounts=mounts, latency=latency)
    server.mounts["/bench"] = BenchControl(server)
    with server:
        print(json.dumps({"url": server.url, "generated_seconds": generated}), flush=True)
        sys.stdin.read()  # until the bench closes our stdin (or dies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds every answer waits")
    args = parser.parse_args()
    serve(args.scale, args.seed, args.latency)


if __name__ == "__main__":
    main()
