"""One tracker down or answering nonsense fails its source alone (issue 11, findings 2 and 3).

Two sources; yesterday both synced. Tonight GitHub is down (connection refused) or answers pages
holding a `null` record, and Jira is fine. The installed `trackerlake run`, from an empty
directory, must end quickly (no Dagster retry on top of the client's own), publish Jira's data
beside GitHub's last committed data, write one ops.sync_runs row per source, and exit 1 with one
line naming the failed source and why, without a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from emulators.exchange import Mount, Request, Response
from emulators.generator import DEMO_AS_OF, generate_org
from emulators.server import EmulatorServer, default_mounts
from pipelines.demo import emulator_config, write_config
from tests.pipeline.installed_cli import dead_port, empty_dir, trackerlake
from tests.reliability import tally
from tests.reliability.conftest import LONG

AS_OF = DEMO_AS_OF.isoformat()
# What a failed source is given: the client's own bounded retries only (with max_retries 2 a
# refused connection gives up within a few seconds), then the models and the publish.
RUN_SECONDS = 30


class NullRecords:
    """A mount whose JSON answers carry `null` where the records go: `[null]`, `{"issues": [null]}`."""

    def __init__(self, inner: Mount) -> None:
        self.inner = inner

    def handle(self, request: Request) -> Response:
        answer = self.inner.handle(request)
        if answer.status != 200 or not answer.body:
            return answer
        body = json.loads(answer.body)
        if isinstance(body, list):
            body = [None]
        elif isinstance(body, dict):
            body = {key: [None] if isinstance(value, list) else value for key, value in body.items()}
        tally.add(hostile_answers_tried=1)
        return Response(answer.status, json.dumps(body).encode(), answer.headers)


# A terminal escape that would paint the line red, then a forged line of our own output.
FORGED = "\x1b[31mgone\x1b[0m\nFAILED source demo-jira: forged"


class ForgedErrors:
    """A mount refusing every request with a 404 whose message forges output lines."""

    def __init__(self, inner: Mount) -> None:
        self.inner = inner

    def handle(self, request: Request) -> Response:
        tally.add(hostile_answers_tried=1)
        return Response(404, json.dumps({"message": FORGED}).encode(), [("Content-Type", "application/json")])


def refused(raw: dict, source: str) -> None:
    port = dead_port()
    for entry in raw["sources"]:
        if entry["name"] == source:
            entry["base_url"] = f"http://127.0.0.1:{port}/github"


@dataclass(frozen=True)
class Case:
    failing: str  # the source broken tonight
    cause: tuple[str, ...]  # its one line holds one of these words
    change: Callable[[dict, str], None] | None = None  # to the config
    spoil: tuple[str, Callable[[Mount], Mount]] | None = None  # a mount prefix and its wrapper


CASES = {
    "github-refused": Case("demo-github", ("connection",), change=refused),
    "github-null-record": Case("demo-github", ("null",), spoil=("/github", NullRecords)),
    "jira-null-record": Case("demo-jira", ("null", "nonetype"), spoil=("/jira", NullRecords)),
    "github-forged-error": Case("demo-github", ("404",), spoil=("/github", ForgedErrors)),
}
SHORT = ("github-refused", "jira-null-record")


def counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute("SELECT source, count(*) FROM marts.work_items GROUP BY 1").fetchall())


def sync_runs(warehouse: Path) -> list[tuple[str, str]]:
    """(source, status) of the last run's ops.sync_runs rows, from the published file."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            """
            SELECT source, status FROM ops.sync_runs
            WHERE run_id = (SELECT arg_max(run_id, started_at) FROM ops.sync_runs)
            ORDER BY source
            """
        ).fetchall()


@pytest.mark.parametrize(
    "case",
    # The short suite: one failure on the wire, one in the data; the rest with `make reliability`.
    [case if case in SHORT else pytest.param(case, marks=LONG) for case in CASES],
)
def test_a_broken_source_fails_alone(case: str, tmp_path: Path, secrets_env: None) -> None:
    failing = CASES[case].failing
    org = generate_org(seed=7, scale=0.2)
    mounts = default_mounts(org)  # the spoiled one is replaced below
    cwd = empty_dir(tmp_path)
    warehouse = tmp_path / "published" / "trackerlake.duckdb"
    with EmulatorServer(org, mounts=mounts) as server:
        raw = emulator_config(org, server.url, warehouse, tmp_path / "work")
        for source in raw["sources"]:
            source["max_retries"] = 2
        config = write_config(tmp_path / "etc" / "trackerlake.yaml", raw)
        yesterday = trackerlake("run", "--config", str(config), "--as-of", AS_OF, cwd=cwd)
        assert yesterday.returncode == 0, yesterday.output
        before = counts(warehouse)

        if CASES[case].change is not None:
            CASES[case].change(raw, failing)
            write_config(config, raw)
        if CASES[case].spoil is not None:
            prefix, wrapper = CASES[case].spoil
            server.mounts[prefix] = wrapper(server.mounts[prefix])
        tonight = trackerlake("run", "--config", str(config), "--as-of", AS_OF, cwd=cwd, timeout=120)

    runs = sync_runs(warehouse)
    others = {source: "success" for source in before if source != failing}
    alone = tonight.returncode == 1 and runs == sorted({failing: "failed", **others}.items())
    tally.add(sources_failed=1, sources_failed_alone=int(alone))

    assert tonight.returncode == 1, tonight.output
    assert "Traceback" not in tonight.output and "\x1b" not in tonight.output
    lines = [line for line in tonight.output.splitlines() if line.startswith("FAILED")]
    assert len(lines) == 1, tonight.output
    assert lines[0].startswith(f"FAILED source {failing}: "), lines[0]
    assert any(word in lines[0].lower() for word in CASES[case].cause), lines[0]
    assert tonight.seconds < RUN_SECONDS, f"the run took {tonight.seconds:.0f}s"
    # Published: the failed source as of yesterday, the others' news; one sync_runs row each.
    assert f"Warehouse published: {warehouse}" in tonight.stdout
    assert counts(warehouse) == before and all(before.values()) and len(before) == len(raw["sources"])
    assert runs == sorted({failing: "failed", **others}.items())
