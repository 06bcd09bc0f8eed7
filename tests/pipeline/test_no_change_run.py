"""A run rebuilds a model only when something it is built from changed: a source's records below
it, as_of, a setting or its code. Otherwise the table it built last is kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb

from emulators.org import Org
from emulators.server import EmulatorServer
from pipelines.run import RunOutcome, published_line
from tests.pipeline.conftest import AS_OF, Harness


def builds(work_database: Path) -> dict[str, object]:
    """When each model's table was last built."""
    with duckdb.connect(str(work_database), read_only=True) as con:
        return dict(con.execute("SELECT model, built_at FROM internal.model_builds").fetchall())


def test_a_publish_that_rewrote_nothing_says_the_file_is_unchanged() -> None:
    outcome = RunOutcome(run_id="r", success=True, published=True, rewritten=[], kept=45)
    assert published_line(outcome, Path("w.duckdb")) == (
        "Warehouse unchanged: w.duckdb (nothing changed since the last publish)"
    )
    whole = RunOutcome(run_id="r", success=True, published=True, rewritten=["marts.a", "ops.b"], kept=0)
    assert published_line(whole, Path("w.duckdb")) == "Warehouse published: w.duckdb"


def test_models_are_rebuilt_when_and_only_where_their_inputs_changed(
    emulated: tuple[Org, EmulatorServer], tmp_path: Path
) -> None:
    harness = Harness(*emulated, tmp_path)
    harness.run()
    first = builds(harness.config.work_database)
    assert len(first) > 40

    quiet = harness.run()  # nothing changed, same as_of: every table is kept
    assert builds(harness.config.work_database) == first
    # Only the run's own log changed in the published file: it says so rather than "published".
    assert "ops.sync_runs" in quiet.rewritten and set(quiet.rewritten) <= {"ops.sync_runs", "ops.sync_state"}
    assert quiet.kept > 20
    assert published_line(quiet, Path("w.duckdb")) == (
        f"Warehouse published: w.duckdb (rewrote {', '.join(quiet.rewritten)}; {quiet.kept} tables as they were)"
    )

    harness.org.advance(minutes=5)
    web = harness.org.github.repo("acme/web")
    number = next(n for n, issue in sorted(web.issues.items()) if issue.pull is None)
    web.update_issue(number, title="Renamed since the last run")
    harness.run()
    second = builds(harness.config.work_database)
    rebuilt = {model for model in first if second[model] != first[model]}
    # The edit reaches raw.github_issues (and its event), so what reads them and everything below.
    assert {"staging.github__work_items", "staging.work_items", "marts.work_items"} <= rebuilt
    # Pull requests and the Jira source did not change: their staging stays.
    kept = {"staging.github__pull_requests"} | {
        model for model in first if model.startswith("staging.jira__")
    }
    assert len(kept) > 4 and sorted(kept & rebuilt) == []
    with duckdb.connect(str(harness.config.warehouse), read_only=True) as con:
        titles = con.execute(
            "SELECT title FROM marts.work_items WHERE key = ?", [f"acme/web#{number}"]
        ).fetchall()
    assert titles == [("Renamed since the last run",)]

    later = AS_OF + timedelta(days=1)
    harness.run(as_of=later)  # the marts depend on as_of: everything is built again
    third = builds(harness.config.work_database)
    assert [model for model in second if third[model] == second[model]] == []
    with duckdb.connect(str(harness.config.warehouse), read_only=True) as con:
        assert con.execute("SELECT DISTINCT as_of FROM marts.project_completion").fetchall() == [(later,)]
