"""The tracker contract through the marts: a real pipeline run over each tracker's test double.

A tracker's test double is its emulator (`Tracker.emulator`, an `EMULATED` package) or, for a
tracker tested from recorded pages alone, the replay manifest `tests/<type>/replay/manifest.json`
(emulators/replay.py), served under /<type> beside the emulators. `run_contract` syncs a source per
tracker through one Dagster run, as `trackerlake run` does; `assert_meets_contract` holds one
tracker's source to what the marts promise. tests/test_tracker_contract.py runs every tracker at
once; a tracker's own tests/<type>/ runs it alone. Both import tests/models/test_docs.py's test
that docs/warehouse.md is current: a new tracker's raw and staging tables must be in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from connectors import TRACKERS
from emulators.emulated import registered
from emulators.generator import DEMO_AS_OF, generate_org
from emulators.org import Clock, Org
from emulators.replay import Replay
from emulators.server import EmulatorServer, default_mounts
from pipelines import config as config_module
from pipelines.demo import emulator_config, secret_env, write_config
from pipelines.run import RunOutcome, execute
from pipelines.scaffold import unfilled

ROOT = Path(__file__).resolve().parents[1]
SMALL = 0.1  # scale of the emulated organisation: a few projects, each with milestones


def replay_manifest(kind: str) -> Path | None:
    """The tracker's recorded pages, when it has them."""
    path = ROOT / "tests" / kind / "replay" / "manifest.json"
    return path if path.is_file() else None


def doubled() -> list[str]:
    """Every registered tracker with a test double (an emulator or recorded pages), by type."""
    return sorted(kind for kind, tracker in TRACKERS.items() if tracker.emulator or replay_manifest(kind))


@dataclass
class ContractRun:
    outcome: RunOutcome
    warehouse: Path  # the published file
    work: Path  # the work database, with the staging tables
    sources: dict[str, str]  # source name by tracker type
    replays: dict[str, Replay]


def run_contract(kinds: list[str], tmp: Path, monkeypatch: pytest.MonkeyPatch) -> ContractRun:
    """One pipeline run with a source per tracker of `kinds`, each on its test double.

    A tracker with markers the scaffold left (`trackerlake new-tracker`) fails here, naming them.
    """
    left = [line for kind in kinds for line in unfilled(ROOT, kind)]
    if left:
        pytest.fail("still to fill after `trackerlake new-tracker`:\n" + "\n".join(left), pytrace=False)
    emulated = [kind for kind in kinds if TRACKERS[kind].emulator]
    replays = {
        kind: Replay.load(path) for kind in kinds if kind not in emulated and (path := replay_manifest(kind))
    }
    # One run has one instant: the latest any double was generated or recorded at.
    as_ofs = [r.as_of for r in replays.values() if r.as_of] + ([DEMO_AS_OF] if emulated else [])
    as_of = max(as_ofs, default=DEMO_AS_OF)
    org = generate_org(seed=7, scale=SMALL) if emulated else Org(models={}, clock_source=Clock(as_of))
    for kind in emulated:
        for role, value in registered()[kind].secrets.items():
            monkeypatch.setenv(secret_env(role), value)
    warehouse = tmp / "published" / "trackerlake.duckdb"
    mounts = {f"/{kind}": replay for kind, replay in replays.items()}
    with EmulatorServer(org, mounts={**default_mounts(org), **mounts}) as server:
        raw = emulator_config(org, server.url, warehouse, tmp / "work")
        raw["sources"] = [s for s in raw["sources"] if s["type"] in emulated]
        raw["sources"] += [
            _replay_source(kind, replay, server, monkeypatch) for kind, replay in replays.items()
        ]
        path = write_config(tmp / "trackerlake.yaml", raw)
        config = config_module.load(path)
        outcome = execute(config, path, as_of)
    sources = {source["type"]: source["name"] for source in raw["sources"]}
    return ContractRun(outcome, warehouse, config.work_database, sources, replays)


def _replay_source(
    kind: str, replay: Replay, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The tracker's source on its replay: the manifest's keys, its secrets through the environment."""
    secrets = {}
    for field in TRACKERS[kind].secret_fields:
        role = field.removesuffix("_env")
        name = f"TRACKERLAKE_REPLAY_{kind.upper()}_{role.upper()}"
        monkeypatch.setenv(name, replay.secrets.get(role, f"recorded-{role}"))
        secrets[field] = name
    return {
        "name": f"replay-{kind}",
        "type": kind,
        **secrets,
        "base_url": server.url_of(kind),
        **replay.source,
    }


def assert_meets_contract(run: ContractRun, kind: str) -> None:
    """The tracker's source filled the marts and passed every blocking check (the data-quality checks;
    the findings, slipping milestones and the like, are what the pipeline is for)."""
    assert run.outcome.success, run.outcome.failures
    blocking = [c.check_name for c in run.outcome.failed_checks if c.severity == dg.AssetCheckSeverity.ERROR]
    assert blocking == [] and run.outcome.published, f"blocking checks failed: {blocking}"
    if kind in run.replays:
        assert run.replays[kind].missed == [], (
            "requests no recorded page answers (add routes to the manifest)"
        )
    source = run.sources[kind]
    assert_events_meet_their_contract(run.work, kind, source)
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        items = _scalar(con, "SELECT count(*) FROM marts.work_items WHERE source = ?", source)
        assert items > 0, f"{kind}: no work items in marts.work_items (models/staging/{kind}/work_items.sql)"
        # The shared history ends in each item's current state: one open interval, in its status.
        unended = _scalar(
            con,
            """
            SELECT count(*) FROM marts.work_items w JOIN marts.work_item_history h USING (work_item_id)
            WHERE w.source = ? AND h.valid_to IS NULL
              AND h.status = w.status AND h.status_category = w.status_category
            """,
            source,
        )
        # Never fails when events are missing: the shared models end each history in the state.
        assert unended == items, f"{kind}: {items - unended} work items' history does not end in their state"
        kinds = {
            k
            for (k,) in con.execute(
                "SELECT DISTINCT kind FROM marts.milestones WHERE source = ?", [source]
            ).fetchall()
        }
        assert kinds, f"{kind}: no milestones in marts.milestones (models/staging/{kind}/milestones.sql)"
        assert kinds <= set(TRACKERS[kind].milestone_kinds), f"{kind}: kinds {kinds} not all registered"
        milestones = _scalar(con, "SELECT count(*) FROM marts.milestones WHERE source = ?", source)
        completion = _scalar(
            con, "SELECT count(*) FROM marts.project_completion WHERE source = ? AND scope_items > 0", source
        )
        assert 0 < completion <= milestones, (
            f"{kind}: no milestone has scope (work_item_milestones.sql, item_events.sql)"
        )


def assert_events_meet_their_contract(work: Path, kind: str, source: str) -> None:
    """What models/staging/item_events.sql asks of a tracker's events, on the run's staging tables."""
    events = f"models/staging/{kind}/item_events.sql"
    with duckdb.connect(str(work), read_only=True) as con:
        uncreated = con.execute(
            """
            SELECT w.key FROM staging.work_items w
            LEFT JOIN staging.item_events e ON e.work_item_id = w.work_item_id AND e.kind = 'created'
            WHERE w.source = ?
            GROUP BY w.key, w.created_at HAVING count(e.kind) <> 1
                OR bool_or(e.happened_at IS DISTINCT FROM w.created_at
                           OR e.status IS NULL OR e.status_category NOT IN ('todo', 'in_progress', 'done'))
            ORDER BY w.key LIMIT 5
            """,
            [source],
        ).fetchall()
        assert uncreated == [], (
            f"{events}: not exactly one `created` at created_at, with a status: {uncreated}"
        )
        counts = dict(
            con.execute(
                """
                SELECT e.kind, count(*) FROM staging.item_events e JOIN staging.work_items w USING (work_item_id)
                WHERE w.source = ? GROUP BY e.kind
                """,
                [source],
            ).fetchall()
        )
    kinds = {"created", "status_changed", "assigned", "unassigned", "label_added", "label_removed"}
    kinds |= {"milestone_joined", "milestone_left"}
    assert set(counts) <= kinds, f"{events}: kinds outside the contract: {set(counts) - kinds}"
    # A history rebuilt from events, not only from the current state the shared models end it in.
    assert counts.get("status_changed") and counts.get("milestone_joined"), (
        f"{events}: no status_changed or no milestone_joined events: {counts}"
    )


def _scalar(con: duckdb.DuckDBPyConnection, query: str, *params: Any) -> int:
    ((value,),) = con.execute(query, list(params)).fetchall()
    return int(value)
