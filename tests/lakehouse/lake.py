"""An emulated organisation landing in a DuckLake on PostgreSQL, each step a process as it runs in
production (`Lake`), for the pipeline tests on a local data path and on S3.

The lake's steps run here (DuckDB 1.5.5, the extensions' version); the models and the published
file run on the pipeline's DuckDB 2 (`PIPELINE_PYTHON`, the main venv by default).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from emulators.exchange import Mount, Request, Response
from emulators.org import Org
from emulators.server import EmulatorServer
from pipelines import config as config_module
from pipelines.config import Config
from pipelines.demo import write_config
from tests.lakehouse.postgres import Postgres

REPO = Path(__file__).resolve().parents[2]
PIPELINE_PYTHON = Path(os.environ.get("TRACKERLAKE_PIPELINE_PYTHON", REPO / ".venv" / "bin" / "python"))
DSN_ENV = "TRACKERLAKE_TEST_LAKE_DSN"
# The server trusts loopback and ignores it; the tests check it is never shown.
PASSWORD = "s3cret-never-shown"


class Together:
    """While armed, each tracker's first request waits until every tracker has had one. A sync
    cannot finish before its first request is answered, so the sources' syncs are then under way
    at the same time, however the machine schedules their processes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._barrier: threading.Barrier | None = None
        self._arrived: set[str] = set()

    def arm(self, trackers: int) -> None:
        with self._lock:
            self._barrier, self._arrived = threading.Barrier(trackers), set()

    def disarm(self) -> None:
        with self._lock:
            self._barrier = None

    def gate(self, prefix: str, mount: Mount) -> Mount:
        together = self

        class Gated:
            def handle(self, request: Request) -> Response:
                with together._lock:
                    barrier = together._barrier if prefix not in together._arrived else None
                    together._arrived.add(prefix)
                if barrier is not None:
                    barrier.wait(timeout=120)
                return mount.handle(request)

        return Gated()


@dataclass
class Lake:
    """An emulated organisation, a config landing it in a DuckLake on PostgreSQL, and the steps.
    `secrets` must never appear in what a step prints."""

    org: Org
    server: EmulatorServer
    postgres: Postgres
    database: str
    path: Path
    config: Config
    tmp: Path
    together: Together
    secrets: tuple[str, ...]
    env: pytest.MonkeyPatch

    def _checked(self, ended: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
        for secret in self.secrets:
            assert secret not in ended.stdout + ended.stderr
        assert ended.returncode == 0, ended.stderr
        return ended

    def step(self, *args: str, python: Path | str = sys.executable) -> subprocess.CompletedProcess:
        return self._checked(self.attempt(*args, python=python))

    def attempt(self, *args: str, python: Path | str = sys.executable) -> subprocess.CompletedProcess:
        """A step, whatever its exit status."""
        return subprocess.run(
            [str(python), "-m", "pipelines.lakehouse", *args, "--config", str(self.path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def land_all(self) -> list[subprocess.CompletedProcess]:
        """Every source landed at once, one process each; returns them when all have ended."""
        self.together.arm(len(self.server.mounts))
        started = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "pipelines.lakehouse",
                    "land",
                    "--source",
                    s.name,
                    "--config",
                    str(self.path),
                ],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for s in self.config.sources
        ]
        ended = []
        for process in started:
            out, err = process.communicate(timeout=600)
            ended.append(
                self._checked(subprocess.CompletedProcess(process.args, process.returncode, out, err))
            )
        self.together.disarm()
        return ended

    def run(self) -> None:
        """One night: land every source at once, gather, build and publish (DuckDB 2), publish marts."""
        self.land_all()
        self.step("gather")
        self.step("build", python=PIPELINE_PYTHON)
        self.step("publish")

    def twin(self, name: str, storage: dict[str, Any]) -> Lake:
        """Another lake over the same emulators and PostgreSQL server, its data under `storage`'s
        keys, its catalog database, working directory and published file its own; initialised."""
        raw = config_module.load(self.path).model_dump(mode="json", exclude_none=True)
        database, tmp = f"{self.database}_{name}", self.tmp / name
        # Its own variable: both lakes' steps run in the same test.
        path, config = configure(
            self.postgres, database, tmp, raw, storage, f"{DSN_ENV}_{name.upper()}", self.env
        )
        twin = replace(self, database=database, tmp=tmp, path=path, config=config)
        twin.step("init")
        return twin


def configure(
    postgres: Postgres,
    database: str,
    tmp: Path,
    raw: dict[str, Any],
    storage: dict[str, Any],
    dsn_env: str,
    env: pytest.MonkeyPatch,
) -> tuple[Path, Config]:
    """`raw` with a new catalog database on `postgres` (its DSN, with a password, in `dsn_env`), its
    files under `tmp` and its data under `storage`'s keys, written as a config file; and the config."""
    env.setenv(dsn_env, f"{postgres.create_database(database)} password={PASSWORD}")
    raw.update(warehouse=str(tmp / "published" / "trackerlake.duckdb"), work_dir=str(tmp / "work"))
    raw["lakehouse"] = {"catalog": "postgres", "dsn_env": dsn_env, **storage}
    path = write_config(tmp / "trackerlake.yaml", raw)
    return path, config_module.load(path)


def table_prints(con: duckdb.DuckDBPyConnection, database: str, schema: str) -> dict[str, tuple]:
    """Row count and an order-free hash of every row, per table of `database`.`schema`."""
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? ORDER BY 1",
        [database, schema],
    ).fetchall()
    return {
        table: con.execute(
            f'SELECT count(*), sum(hash(t)) FROM "{database}"."{schema}"."{table}" t'
        ).fetchone()
        for (table,) in tables
    }
