"""`trackerlake demo` and `trackerlake emulate`: the pipeline against the built-in emulators.

The only project module that imports `emulators` (tests and benchmarks do too): the emulators
stand in for each registered tracker on loopback and speak its real HTTP API. Each source of the
demo config comes from the tracker's emulator record (emulators/emulated.py).
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import yaml

from connectors import TRACKERS
from emulators.emulated import registered
from emulators.faults import FaultPlan
from emulators.generator import DEMO_AS_OF, generate_org
from emulators.org import Org
from emulators.server import EmulatorServer
from pipelines import config as config_module
from pipelines.cli import run_and_report


def secret_env(role: str) -> str:
    """The environment variable the demo config names for a credential (`token`, `email`)."""
    return f"TRACKERLAKE_EMULATOR_{role.upper()}"


# The emulators accept any non-empty token (and any email where a tracker takes one), as the real
# APIs accept any valid one.
TOKEN_ENV = secret_env("token")
EMAIL_ENV = secret_env("email")
DEMO_TOKEN = "demo-token"
DEMO_EMAIL = "demo@example.com"


def demo_sources(org: Org, url: str) -> list[dict[str, Any]]:
    """One source per registered tracker the organisation emulates, served under `url`/<type>."""
    emulated = registered()
    sources = []
    for kind, model in org.models.items():
        if kind in TRACKERS:
            record = emulated[kind]
            secrets = {f"{role}_env": secret_env(role) for role in record.secrets}
            sources.append(
                {"name": f"demo-{kind}", "type": kind, **secrets, **record.source(f"{url}/{kind}", model)}
            )
    return sources


def scope_names(sources: list[dict[str, Any]]) -> list[str]:
    """Every source's scopes (repos, projects), for messages."""
    return [scope for source in sources for scope in source[TRACKERS[source["type"]].scope_key]]


def emulator_config(org: Org, url: str, warehouse: Path, work_dir: Path | None = None) -> dict[str, Any]:
    """A trackerlake.yaml (as a dict) whose sources are the emulated organisation's trackers."""
    config: dict[str, Any] = {"warehouse": str(warehouse), "sources": demo_sources(org, url)}
    if work_dir is not None:
        config["work_dir"] = str(work_dir)
    return config


def set_demo_secrets() -> None:
    """Each emulated tracker's credentials in the environment, unless already set."""
    for record in registered().values():
        for role, value in record.secrets.items():
            os.environ.setdefault(secret_env(role), value)


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def run_demo(warehouse: Path, scale: float = 1.0, seed: int = 7) -> int:
    """Serve a generated organisation, run the whole pipeline once against it, print the summary.

    The working database lives in a temporary directory, so every demo starts from nothing and the
    same seed gives the same warehouse; `as_of` is the organisation's fixed instant.
    """
    org = generate_org(seed=seed, scale=scale)
    set_demo_secrets()
    with tempfile.TemporaryDirectory(prefix="trackerlake-demo-") as tmp, EmulatorServer(org) as server:
        config = emulator_config(org, server.url, warehouse.resolve(), Path(tmp))
        path = write_config(Path(tmp) / "trackerlake.yaml", config)
        print(f"Emulators on {server.url}: {', '.join(scope_names(config['sources']))}")
        return run_and_report(config_module.load(path), path, DEMO_AS_OF)


def serve(
    port: int,
    scale: float = 1.0,
    seed: int = 7,
    faults: str | None = None,
    write_config_to: Path | None = None,
    latency: float = 0.0,
) -> int:
    """Serve the emulators until interrupted; optionally write a config pointing at them.

    `faults` is a fault spec (emulators/faults.py, docs/reliability.md): requests then meet rate
    limits, server errors, dropped connections and the like, and `POST /_faults/churn` makes the
    spec's edits, deletions and transfers between two runs. Every answer waits `latency` seconds.
    """
    try:
        plan = FaultPlan.parse(faults) if faults else None
    except ValueError as exc:
        raise config_module.ConfigError(f"--faults: {exc}") from None
    org = generate_org(seed=seed, scale=scale)
    with EmulatorServer(org, port=port, faults=plan, latency=latency) as server:
        if write_config_to is not None:
            warehouse = write_config_to.parent / "data" / "trackerlake.duckdb"
            config = emulator_config(org, server.url, warehouse)
            write_config(write_config_to, config)
            names = sorted(
                {env for source in config["sources"] for key, env in source.items() if key.endswith("_env")}
            )
            print(f"Wrote {write_config_to}; export {' and '.join(names)} (any values) before running.")
        served = ", ".join(f"{kind} at {server.url_of(kind)}" for kind in org.models)
        print(f"Emulators on {server.url} ({served}). Ctrl-C stops them.")
        if plan is not None:
            print(
                f"Faults: {plan.describe()}. GET {server.url}/_faults counts them; "
                f"POST {server.url}/_faults/churn changes the trackers between runs."
            )
        threading.Event().wait()
    return 0
