"""`trackerlake run` with `run.max_processes` above 1 (issue 15): the sources' syncs run each in a
process of its own at the same time, each into its own landing, through Dagster's multiprocess
executor; the CLI runs from an empty directory, which stays empty."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from emulators.exchange import Mount, Request, Response
from emulators.generator import DEMO_AS_OF, generate_org
from emulators.org import Org
from emulators.server import EmulatorServer
from pipelines import config as config_module
from pipelines.config import Config
from pipelines.demo import DEMO_EMAIL, EMAIL_ENV, TOKEN_ENV, emulator_config, write_config
from pipelines.landing import landed
from tests.pipeline.installed_cli import CLI, Ended, empty_dir, trackerlake

DEAD = "http://127.0.0.1:9"  # nothing listens: the connection is refused at once


class Together:
    """The first request of each of the first `parties` trackers to ask waits until all of them
    have asked: their syncs are then under way at the same time, whatever the machine's scheduling.
    Run one after another, the first waits alone and its request fails (after `timeout` s)."""

    def __init__(self, server: EmulatorServer, parties: int, timeout: float = 30) -> None:
        self.barrier = threading.Barrier(parties, timeout=timeout)
        self.arrived: set[str] = set()
        self.lock = threading.Lock()
        for prefix, mount in list(server.mounts.items()):
            server.mounts[prefix] = self.gate(prefix, mount)

    def gate(self, prefix: str, mount: Mount) -> Mount:
        together = self

        class Gated:
            def handle(self, request: Request) -> Response:
                with together.lock:
                    first = (
                        prefix not in together.arrived and len(together.arrived) < together.barrier.parties
                    )
                    together.arrived.add(prefix)
                if first:
                    together.barrier.wait()
                return mount.handle(request)

        return Gated()


@pytest.fixture
def small_org(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Org, EmulatorServer]]:
    """A small demo organisation (every tracker, 3 sources) served on loopback."""
    for name, value in ((TOKEN_ENV, "test-token"), (EMAIL_ENV, DEMO_EMAIL)):
        monkeypatch.setenv(name, value)
    with EmulatorServer(generate_org(seed=7, scale=0.2)) as server:
        yield server.org, server


def configured(
    org: Org, url: str, where: Path, processes: int = 1, dead: str | None = None, executor: str | None = None
) -> Config:
    """A config under `where` with `run.max_processes` (or `run.executor`); the source of type
    `dead` on a dead port."""
    raw = emulator_config(org, url, where / "published" / "trackerlake.duckdb", where / "work")
    raw["run"] = {"max_processes": processes} if executor is None else {"executor": executor}
    for source in raw["sources"]:
        if source["type"] == dead:
            source["base_url"] = DEAD
    path = write_config(where / "trackerlake.yaml", raw)
    return config_module.load(path)


def run(config: Config, cwd: Path) -> Ended:
    return trackerlake(
        "run", "--config", str(config_path(config)), "--as-of", DEMO_AS_OF.isoformat(), cwd=cwd
    )


def config_path(config: Config) -> Path:
    return config.warehouse.parent.parent / "trackerlake.yaml"


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    """Every mart's rows, sorted."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'"
            ).fetchall()
        ]
        return {t: sorted(con.execute(f"SELECT * FROM marts.{t}").fetchall(), key=repr) for t in tables}


def test_syncs_overlap_in_processes_of_their_own_and_publish_the_same_marts(
    small_org: tuple[Org, EmulatorServer], tmp_path: Path
) -> None:
    org, server = small_org
    sequential = configured(org, server.url, tmp_path / "one", processes=1)
    cwd = empty_dir(tmp_path)
    assert run(sequential, cwd).returncode == 0

    Together(server, parties=2)  # two syncs must be under way at once, or the first request fails
    parallel = configured(org, server.url, tmp_path / "two", processes=2)
    ended = run(parallel, cwd)
    assert ended.returncode == 0, ended.output[-3000:]
    assert ended.stderr == ""  # Dagster's own messages stay quiet: the summary is the output
    assert list(cwd.iterdir()) == []  # nothing written where it ran
    assert (
        sorted(p.name for p in parallel.work_database.parent.iterdir() if p.name.startswith("dagster-")) == []
    )
    assert marts(parallel.warehouse) == marts(sequential.warehouse)
    with landed(parallel) as con:
        runs = con.execute("SELECT source, started_at, finished_at, status FROM ops.sync_runs").fetchall()
    assert {status for *_, status in runs} == {"success"} and len(runs) == len(parallel.sources)
    overlapping = [(a[0], b[0]) for a in runs for b in runs if a[0] < b[0] and a[1] < b[2] and b[1] < a[2]]
    assert overlapping, runs


def test_a_source_on_a_dead_port_fails_alone_under_an_executor_named_by_the_config(
    small_org: tuple[Org, EmulatorServer], tmp_path: Path
) -> None:
    """`run.executor` names Dagster's multiprocess executor as a deployment names k8s's or celery's:
    the same definitions run under it, each step a process (as many at once as cores)."""
    org, server = small_org
    config = configured(org, server.url, tmp_path, dead="gitlab", executor="dagster:multiprocess_executor")
    ended = run(config, empty_dir(tmp_path))
    assert ended.returncode == 1, ended.output[-3000:]
    failed = [line for line in ended.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and failed[0].startswith("FAILED source demo-gitlab: "), failed
    assert f"Warehouse published: {config.warehouse}" in ended.stdout
    with duckdb.connect(str(config.warehouse), read_only=True) as con:
        synced = dict(con.execute("SELECT source, status FROM ops.sync_runs").fetchall())
        items = dict(con.execute("SELECT source, count(*) FROM marts.work_items GROUP BY 1").fetchall())
    assert synced == {"demo-github": "success", "demo-jira": "success", "demo-gitlab": "failed"}
    assert set(items) == {"demo-github", "demo-jira"}


def test_a_run_killed_while_its_syncs_run_leaves_the_published_warehouse_as_it_was(
    small_org: tuple[Org, EmulatorServer], tmp_path: Path
) -> None:
    org, server = small_org
    config = configured(org, server.url, tmp_path, processes=2)
    cwd = empty_dir(tmp_path)
    assert run(config, cwd).returncode == 0
    published = config.warehouse.read_bytes()

    # Two syncs wait at the gate for a third tracker that never asks first: kill the run there.
    together = Together(server, parties=3, timeout=120)
    with together.lock:
        together.arrived.add("/nobody")
    process = subprocess.Popen(
        [str(CLI), "run", "--config", str(config_path(config)), "--as-of", DEMO_AS_OF.isoformat()],
        cwd=cwd,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while together.barrier.n_waiting < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert together.barrier.n_waiting == 2
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    together.barrier.abort()  # and the gate is open: three trackers have asked
    assert config.warehouse.read_bytes() == published

    ended = run(config, cwd)
    assert ended.returncode == 0, ended.output[-3000:]
    assert "Took over the lock of a run that did not finish" in ended.stdout
    assert list(cwd.iterdir()) == []
    assert [p.name for p in config.work_database.parent.iterdir() if p.name.startswith("dagster-")] == []
    with duckdb.connect(str(config.warehouse), read_only=True) as con:
        statuses = con.execute("SELECT status, count(*) FROM ops.sync_runs GROUP BY 1 ORDER BY 1").fetchall()
    # The killed run's two syncs were running: the next run marked them interrupted.
    assert statuses == [("interrupted", 2), ("success", 2 * len(config.sources))]


@pytest.mark.parametrize(
    "run",
    [
        "max_processes: 0",
        "max_processes: 2.0",
        "max_processes: true",
        "max_processes: many",
        "executor: k8s",
        "executor: 'nowhere:executor'",
        "executor: 'dagster:AssetKey'",
    ],
)
def test_a_bad_run_setting_is_one_line_naming_its_key(run: str, tmp_path: Path) -> None:
    config = tmp_path / "trackerlake.yaml"
    config.write_text(
        f"sources: [{{name: gh, type: github, token_env: GH_TOKEN, repos: [a/b]}}]\nrun: {{{run}}}\n",
        encoding="utf-8",
    )
    ended = trackerlake("run", "--config", str(config), cwd=empty_dir(tmp_path), env={"GH_TOKEN": "t"})
    assert ended.returncode == 2
    assert ended.stdout == "" and ended.stderr.count("\n") == 1, ended.stderr
    key = run.partition(":")[0]
    assert ended.stderr.startswith(f"trackerlake: {config}: run.{key}: "), ended.stderr


def test_dagster_runs_the_code_location_with_the_same_executor(
    small_org: tuple[Org, EmulatorServer], tmp_path: Path
) -> None:
    """`dagster asset materialize` of the code location (pipelines/definitions.py `defs`), with an
    instance of its own: the config's `run.max_processes` sets its executor too, and its step
    processes share the run lock by the run's id."""
    org, server = small_org
    config = configured(org, server.url, tmp_path, processes=2)
    home = tmp_path / "dagster-home"
    home.mkdir()
    Together(server, parties=2)  # two syncs must be under way at once
    cwd = empty_dir(tmp_path)
    ended = subprocess.run(
        [
            str(CLI.with_name("dagster")),
            "asset",
            "materialize",
            "-m",
            "pipelines.definitions",
            "--select",
            "*",
        ],
        cwd=cwd,
        env={**os.environ, "DAGSTER_HOME": str(home), "TRACKERLAKE_CONFIG": str(config_path(config))},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ended.returncode == 0, ended.stderr[-5000:]
    assert list(cwd.iterdir()) == []
    assert (
        ended.stderr.count("STEP_WORKER_STARTED") == len(config.sources) + 4
    )  # models, checks, publish, report
    with duckdb.connect(str(config.warehouse), read_only=True) as con:
        statuses = con.execute("SELECT source, status FROM ops.sync_runs ORDER BY source").fetchall()
    assert statuses == [(source.name, "success") for source in sorted(config.sources, key=lambda s: s.name)]
