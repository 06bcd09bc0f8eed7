"""`sync_source` turns whatever the tracker's side raises into the source's failure: one
ops.sync_runs row, `failed`, one printable line of cause; the pages committed before it stay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from connectors.base import Page, Stream
from connectors.github import GitHubConnector, GitHubSource
from connectors.http import ConnectorError
from emulators.generator import generate_org
from emulators.server import EmulatorServer
from pipelines import ingest


class MilestonesBug(GitHubConnector):
    """The real GitHub connector with a bug in one stream, raised after its pages were read.

    The message quotes text as a bug might quote a record: a terminal escape and a forged line.
    """

    def read(self, scope: str, stream: Stream, state: dict | None) -> Iterator[Page]:
        yield from super().read(scope, stream, state)
        if stream.name == "milestones":
            raise ValueError("no due_on in \x1b[31mv1\x1b[0m\nFAILED source other: forged")


def test_a_bug_in_a_connector_fails_its_source_with_one_printable_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GH_TOKEN", "t")
    org = generate_org(seed=7, scale=0.2)
    with EmulatorServer(org) as server:
        source = GitHubSource(
            name="gh", type="github", token_env="GH_TOKEN", base_url=server.github_url,
            repos=["acme/web"], concurrency=1,
        )  # fmt: skip
        connector = MilestonesBug(MilestonesBug.client_for(source.model_dump(), "t"), source.model_dump())
        with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
            with pytest.raises(ConnectorError) as raised:
                ingest.sync_source(con, source, "run-1", connector)
            runs = con.execute("SELECT source, status, error FROM ops.sync_runs").fetchall()
            landed = dict(con.execute("SELECT 'issues', count(*) FROM raw.github_issues").fetchall())
            milestones = con.execute("SELECT count(*) FROM raw.github_milestones").fetchone()[0]

    raised_at = next(
        n for n, text in enumerate(Path(__file__).read_text().splitlines(), 1) if "raise ValueError(" in text
    )
    line = f"ValueError: no due_on in v1 FAILED source other: forged (at {Path(__file__).name}:{raised_at})"
    assert runs == [("gh", "failed", line)]
    assert str(raised.value) == f"source gh: {line}"
    # The streams before it (issues, pull requests) and the milestones' own pages were committed.
    assert landed["issues"] > 0 and milestones > 0
