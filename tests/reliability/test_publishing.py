"""BI-safe publishing: readers of the published file, in DuckDB and through SQLAlchemy with
duckdb-engine as Superset connects, keep querying during a whole `trackerlake run`, never wait and
never see a half-built warehouse; a failed blocking check leaves yesterday's file as it was; the
file opens in DuckDB 1.1."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.demo import EMAIL_ENV, TOKEN_ENV
from pipelines.landing import SourceFiles
from tests.reliability.conftest import FIGURES, LONG
from tests.reliability.crashes import run_subprocess
from tests.reliability.lab import Lab
from tests.reliability.readers import STATE, Reader


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A published warehouse (yesterday's), the trackers changed since, and the emulators up."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(TOKEN_ENV, "reliability-token")
        env.setenv(EMAIL_ENV, "reliability@example.com")
        with Lab(
            tmp_path_factory.mktemp("publishing"), "edit:10,delete:1,transfer:1,seed=2", scale=0.3
        ) as lab:
            assert lab.run().published
            FIGURES.runs += 1
            yield lab
            FIGURES.faults.update(lab.plan.injected)


@pytest.mark.parametrize("nights", [pytest.param(1, id="short"), pytest.param(4, id="long", marks=LONG)])
def test_readers_never_wait_nor_see_a_half_built_warehouse(lab: Lab, nights: int) -> None:
    published = [published_state(lab)]
    readers = [Reader(mode, lab.warehouse, lab.tmp_path) for mode in ("held", "fresh", "sqlalchemy")]
    try:
        time.sleep(1.0)  # every reader has opened yesterday's file
        for _ in range(nights):
            lab.churn()
            ended = run_subprocess(lab, None)
            FIGURES.runs += 1
            assert ended.returncode == 0, ended.stdout[-2000:] + ended.stderr[-2000:]
            published.append(published_state(lab))
        time.sleep(0.5)  # and queried after the last run
    finally:
        seen = {reader.mode: reader.stop() for reader in readers}
    errors = [error for _, found in seen.values() for error in found]
    FIGURES.reader_queries += sum(len(states) for states, _ in seen.values())
    FIGURES.reader_errors += len(errors)
    assert errors == []
    assert len(set(published)) == nights + 1 and all(len(states) > 20 for states, _ in seen.values())
    # A connection held open keeps reading the file it opened, whole.
    assert set(seen["held"][0]) == {published[0]}
    # Readers opening the path anew (or pooled) get one whole published warehouse after another:
    # never a mix of two, never one that was not published, never an older one after a newer.
    for mode in ("fresh", "sqlalchemy"):
        order = [published.index(state) if state in published else -1 for state in seen[mode][0]]
        assert -1 not in order and order == sorted(order) and order[0] == 0, mode
    assert seen["fresh"][0][-1] == published[-1]


def published_state(lab: Lab) -> tuple:
    with duckdb.connect(str(lab.warehouse), read_only=True) as con:
        return tuple(con.execute(STATE).fetchone())


@LONG
@pytest.mark.timeout(600)
def test_published_file_opens_in_duckdb_1_1(lab: Lab, tmp_path: Path) -> None:
    """BI drivers bundle older DuckDB builds: read the file with DuckDB 1.1.3 in a throwaway venv."""
    uv = Path(sys.executable).with_name("uv")
    venv = tmp_path / "duckdb-1.1"
    subprocess.run([str(uv), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "duckdb==1.1.3"],
        check=True,
    )
    script = (
        "import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(duckdb.__version__, con.execute('SELECT count(*) FROM marts.work_items').fetchone()[0])"
    )
    found = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script, str(lab.warehouse)],
        capture_output=True,
        text=True,
        check=True,
    )
    with duckdb.connect(str(lab.warehouse), read_only=True) as con:
        expected = con.execute("SELECT count(*) FROM marts.work_items").fetchone()[0]
    assert found.stdout.split() == ["1.1.3", str(expected)]


def test_failed_blocking_check_keeps_yesterdays_file(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    """Last in this module: it leaves GitHub's landing with a duplicate record (a duplicate work item)."""
    before = hashlib.sha256(lab.warehouse.read_bytes()).hexdigest()
    github = next(source.name for source in lab.config.sources if source.type == "github")
    with duckdb.connect(str(SourceFiles(lab.config.landing_directory).path(github))) as con:
        con.execute(
            "INSERT INTO raw.github_issues SELECT * FROM raw.github_issues WHERE deleted_at IS NULL LIMIT 1"
        )
    code = main(["run", "--config", str(lab.config_path), "--as-of", lab.as_of().isoformat()])
    FIGURES.runs += 1
    out = capsys.readouterr().out
    assert code == 1
    assert (
        f"Warehouse NOT published; the previous file at {lab.warehouse} is unchanged "
        "(blocking checks failed: unique_work_item_ids)." in out
    )
    assert hashlib.sha256(lab.warehouse.read_bytes()).hexdigest() == before
