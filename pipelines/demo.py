"""`trackerlake demo` and `trackerlake emulate`: the pipeline against the built-in emulators.

The only project module that imports `emulators` (tests and benchmarks do too): the emulators
stand in for GitHub and Jira on loopback and speak their real HTTP APIs.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import yaml

from emulators.faults import FaultPlan
from emulators.generator import DEMO_AS_OF, generate_org
from emulators.org import Org
from emulators.server import EmulatorServer
from pipelines import config as config_module
from pipelines.cli import run_and_report

# The emulators accept any non-empty token (and, for Jira Cloud, any email), as the real APIs
# accept any valid one.
TOKEN_ENV = "TRACKERLAKE_EMULATOR_TOKEN"
EMAIL_ENV = "TRACKERLAKE_EMULATOR_EMAIL"
DEMO_TOKEN = "demo-token"
DEMO_EMAIL = "demo@example.com"


def repo_names(org: Org) -> list[str]:
    return [repo.full_name for repo in org.github.repos.values()]


def scope_names(org: Org) -> list[str]:
    """GitHub repos and Jira projects of the organisation, for messages."""
    return repo_names(org) + (sorted(org.jira.projects) if org.jira is not None else [])


def emulator_config(org: Org, url: str, warehouse: Path, work_dir: Path | None = None) -> dict[str, Any]:
    """A trackerlake.yaml (as a dict) whose sources are the emulated organisation's trackers."""
    config: dict[str, Any] = {
        "warehouse": str(warehouse),
        "sources": [
            {
                "name": "demo-github",
                "type": "github",
                "base_url": f"{url}/github",
                "token_env": TOKEN_ENV,
                "repos": repo_names(org),
            }
        ],
    }
    if org.jira is not None:
        config["sources"].append(
            {
                "name": "demo-jira",
                "type": "jira",
                "base_url": f"{url}/jira",
                "deployment": "cloud",
                "email_env": EMAIL_ENV,
                "token_env": TOKEN_ENV,
                "projects": sorted(org.jira.projects),
            }
        )
    if work_dir is not None:
        config["work_dir"] = str(work_dir)
    return config


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
    os.environ.setdefault(TOKEN_ENV, DEMO_TOKEN)
    os.environ.setdefault(EMAIL_ENV, DEMO_EMAIL)
    with tempfile.TemporaryDirectory(prefix="trackerlake-demo-") as tmp, EmulatorServer(org) as server:
        path = write_config(
            Path(tmp) / "trackerlake.yaml", emulator_config(org, server.url, warehouse.resolve(), Path(tmp))
        )
        print(f"Emulators on {server.url}: {', '.join(scope_names(org))}")
        return run_and_report(config_module.load(path), path, DEMO_AS_OF)


def serve(
    port: int,
    scale: float = 1.0,
    seed: int = 7,
    faults: str | None = None,
    write_config_to: Path | None = None,
) -> int:
    """Serve the emulators until interrupted; optionally write a config pointing at them.

    `faults` is a fault spec (emulators/faults.py, docs/reliability.md): requests then meet rate
    limits, server errors, dropped connections and the like, and `POST /_faults/churn` makes the
    spec's edits, deletions and transfers between two runs.
    """
    try:
        plan = FaultPlan.parse(faults) if faults else None
    except ValueError as exc:
        raise config_module.ConfigError(f"--faults: {exc}") from None
    org = generate_org(seed=seed, scale=scale)
    with EmulatorServer(org, port=port, faults=plan) as server:
        if write_config_to is not None:
            warehouse = write_config_to.parent / "data" / "trackerlake.duckdb"
            write_config(write_config_to, emulator_config(org, server.url, warehouse))
            print(f"Wrote {write_config_to}; export {TOKEN_ENV} and {EMAIL_ENV} (any values) before running.")
        print(
            f"Emulators on {server.url} (GitHub at {server.url}/github, Jira at {server.url}/jira). Ctrl-C stops them."
        )
        if plan is not None:
            print(
                f"Faults: {plan.describe()}. GET {server.url}/_faults counts them; "
                f"POST {server.url}/_faults/churn changes the trackers between runs."
            )
        threading.Event().wait()
    return 0
