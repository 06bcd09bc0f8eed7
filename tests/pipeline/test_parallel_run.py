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
        self.server, self.mounts = server, dict(server.mounts)

    def __enter__(self) -> Together:
        for prefix, mount in self.mounts.items():
            self.server.mounts[prefix] = self.gate(prefix, mount)
        return self

    def __exit__(self, *exc: object) -> None:
        self.barrier.abort()  # nobody is left waiting
        self.server.mounts.update(self.mounts)  # the module's next test meets the plain server

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


@pytest.fixture(scope="module")
def small_org() -> Iterator[tuple[Org, EmulatorServer]]:
    """A small demo organisation served on loopback once for the module: its runs only read it."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ((TOKEN_ENV, "test-token"), (EMAIL_ENV, DEMO_EMAIL)):
            patch.setenv(name, value)
        with EmulatorServer(generate_org(seed=7, scale=0.05)) as server:
            yield server.org, server


@pytest.fixture(scope="module")
def sequential_marts(
    small_org: tuple[Org, EmulatorServer], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[tuple]]:
    """The marts of one run in one process (the default executor): what every run in processes
    must publish too."""
    org, server = small_org
    where = tmp_path_factory.mktemp("sequential")
    config = configured(org, server.url, where, processes=1)
    ended = run(config, empty_dir(where))
    assert ended.returncode == 0, ended.output[-3000:]
    return marts(config.warehouse)


def configured(
    org: Org, url: str, where: Path, processes: int = 1, dead: bool = False, executor: str | None = None
) -> Config:
    """A config under `where` with `run.max_processes` (or `run.executor`) and the organisation's
    first two trackers as sources, each its first repo or project (two step processes at once are
    enough to overlap, and each more is a process to start); with `dead`, the second on a dead port."""
    raw = emulator_config(org, url, where / "published" / "trackerlake.duckdb", where / "work")
    raw["run"] = {"max_processes": processes} if executor is None else {"executor": executor}
    raw["sources"] = raw["sources"][:2]
    for source in raw["sources"]:  # each its first repo or project: enough to sync, quick to read
        for scope in {"repos", "projects"} & source.keys():
            source[scope] = source[scope][:1]
    if dead:  # refused at its first request, without the retries' backoff (tests/reliability/)
        raw["sources"][1] |= {"base_url": DEAD, "max_retries": 0}
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


def test_syncs_overlap_in_processes_a_killed_run_changes_nothing_and_a_dead_source_fails_alone(
    small_org: tuple[Org, EmulatorServer], sequential_marts: dict[str, list[tuple]], tmp_path: Path
) -> None:
    """One run in 2 processes publishes the marts one process does, its syncs under way at once;
    a second run killed while its syncs run leaves that warehouse as it was; the third, with one
    tracker down and the executor named by the config, takes over the lock and fails that source
    alone. (One warehouse for the three: each run in processes costs a dozen CPU seconds.)"""
    org, server = small_org
    config = configured(org, server.url, tmp_path, processes=2)
    cwd = empty_dir(tmp_path)
    with Together(server, parties=2):  # two syncs must be under way at once, or the first request fails
        ended = run(config, cwd)
    assert ended.returncode == 0, ended.output[-3000:]
    assert ended.stderr == ""  # Dagster's own messages stay quiet: the summary is the output
    assert list(cwd.iterdir()) == []  # nothing written where it ran
    assert [p.name for p in config.work_database.parent.iterdir() if p.name.startswith("dagster-")] == []
    assert marts(config.warehouse) == sequential_marts
    with landed(config) as con:
        runs = con.execute("SELECT source, started_at, finished_at, status FROM ops.sync_runs").fetchall()
    assert {status for *_, status in runs} == {"success"} and len(runs) == len(config.sources) == 2
    (a, b) = runs
    assert a[1] < b[2] and b[1] < a[2], runs  # each started before the other finished
    published = config.warehouse.read_bytes()

    # Both syncs wait at the gate for a third tracker that never asks first: kill the run there.
    with Together(server, parties=3, timeout=120) as together:
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
    assert config.warehouse.read_bytes() == published

    # `run.executor` names Dagster's multiprocess executor as a deployment names k8s's or celery's:
    # the same definitions run under it, each step a process (as many at once as cores).
    config = configured(org, server.url, tmp_path, dead=True, executor="dagster:multiprocess_executor")
    alive, dead = (source.name for source in config.sources)
    ended = run(config, cwd)
    assert ended.returncode == 1, ended.output[-3000:]
    assert "Took over the lock of a run that did not finish" in ended.stdout
    failed = [line for line in ended.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and failed[0].startswith(f"FAILED source {dead}: "), failed
    assert f"Warehouse published: {config.warehouse}" in ended.stdout
    assert list(cwd.iterdir()) == []
    assert [p.name for p in config.work_database.parent.iterdir() if p.name.startswith("dagster-")] == []
    with duckdb.connect(str(config.warehouse), read_only=True) as con:
        statuses = con.execute(
            "SELECT source, status, count(*) FROM ops.sync_runs GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    # The killed run's two syncs were running: the next run marked them interrupted.
    assert statuses == [
        (alive, "interrupted", 1),
        (alive, "success", 2),
        (dead, "failed", 1),
        (dead, "interrupted", 1),
        (dead, "success", 1),
    ]


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
    cwd = empty_dir(tmp_path)
    with Together(server, parties=2):  # two syncs must be under way at once
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
