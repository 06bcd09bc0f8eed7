"""Secrets stay secret: a distinctive token and email planted in the environment appear in no
output of a run that meets faults and a failing source: not stdout or stderr, not an exception or
ops.sync_runs error, not Dagster's event log, not the raw JSON, not a byte of any file written."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_shared.serdes import serialize_value

from pipelines import run as run_module
from pipelines.demo import EMAIL_ENV, TOKEN_ENV
from tests.reliability.conftest import FIGURES
from tests.reliability.crashes import run_subprocess
from tests.reliability.lab import Lab

TOKEN = "tl-planted-7f3a9c2e51d04b86"
EMAIL = "planted.secret.5e81@leak-check.example"
# Jira Cloud sends them as basic auth: a leaked header would show them base64-encoded.
PLANTED = (TOKEN, EMAIL, base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode())
SPEC = "500:1@/jira/rest/api/3/search,429:0.05,reset:0.05,truncate:0.05,seed=6,retry_after=0"


def leaks(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [secret for secret in PLANTED if secret.encode() in data]


def test_planted_secrets_appear_nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(EMAIL_ENV, EMAIL)
    events: list[dg.DagsterEvent] = []
    summarise = run_module.outcome

    def recording(result: dg.ExecuteInProcessResult, assets: dict[str, str]) -> run_module.RunOutcome:
        events.extend(result.all_events)
        return summarise(result, assets)

    monkeypatch.setattr(run_module, "outcome", recording)
    with Lab(tmp_path, SPEC, scale=0.3, max_retries=1) as lab:
        outcome = lab.run()  # in-process: its Dagster events are kept
        ended = run_subprocess(lab, None, env=dict(os.environ))  # `trackerlake run`: its output is kept
        FIGURES.runs += lab.runs
        FIGURES.faults.update(lab.plan.injected)
    # The error paths ran: the Jira source failed both times and said why.
    assert any("demo-jira" in failure for failure in outcome.failures) and ended.returncode == 1
    with duckdb.connect(str(lab.work_database), read_only=True) as con:
        errors = [
            row[0]
            for row in con.execute("SELECT error FROM ops.sync_runs WHERE error IS NOT NULL").fetchall()
        ]
    # Jira's search failed both runs; GitLab's ~1,900 requests may meet a reset twice (max_retries=1).
    assert sum("/jira/" in error for error in errors) == 2 and events
    found = {
        "stdout": leaks(ended.stdout),
        "stderr": leaks(ended.stderr),
        "failures": leaks("\n".join(outcome.failures)),
        "ops.sync_runs errors": leaks("\n".join(errors)),
        "dagster events": leaks("\n".join(serialize_value(event) for event in events)),
    }
    found |= {str(path): leaks(path.read_bytes()) for path in tmp_path.rglob("*") if path.is_file()}
    databases = (lab.work_database, lab.warehouse, *lab.config.landing_directory.glob("*.duckdb"))
    found |= {f"{db.name} rows": rows_with_secrets(db) for db in databases}
    assert {where: secrets for where, secrets in found.items() if secrets} == {}


def rows_with_secrets(database: Path) -> list[str]:
    """Tables with a row holding a planted secret anywhere: compressed columns hide from a byte grep."""
    hits = []
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
        for schema, table in tables:
            for secret in PLANTED:
                query = f'SELECT count(*) FROM "{schema}"."{table}" AS t WHERE contains(t::VARCHAR, ?)'
                if con.execute(query, [secret]).fetchone()[0]:
                    hits.append(f"{schema}.{table}")
    return hits
