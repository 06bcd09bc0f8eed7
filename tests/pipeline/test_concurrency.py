"""Repos are fetched in parallel, never past the tracker's concurrency budget."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from connectors.github import GitHubSource
from emulators.exchange import Request
from emulators.generator import generate_org
from emulators.github.api import GitHubApi
from emulators.server import EmulatorServer
from pipelines import ingest, warehouse

REPOS = ["acme/web", "acme/api", "acme/mobile"]


def three_repos(server: EmulatorServer, per_page: int) -> GitHubSource:
    """The emulated repos as one source read by three threads (token from $GH_TOKEN)."""
    return GitHubSource(
        name="gh", type="github", token_env="GH_TOKEN", repos=REPOS, base_url=server.github_url,
        per_page=per_page, concurrency=3,
    )  # fmt: skip


def test_parallel_repos_stay_within_the_secondary_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = generate_org(seed=7, scale=0.3)
    api = GitHubApi(org.github, max_concurrent=3)
    monkeypatch.setenv("GH_TOKEN", "t")
    with EmulatorServer(org, mounts={"/github": api}) as server:
        source = three_repos(server, per_page=20)
        with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
            result = ingest.sync_source(con, source, "run-1")
    assert result.error is None and result.records["issues"] > 100
    assert api.peak_in_flight >= 2  # the repos were read in parallel...
    assert api.concurrency_refusals == 0  # ...and never past the budget


def test_a_request_past_the_limit_is_refused_with_retry_after() -> None:
    org = generate_org(seed=7, scale=0.1)
    api = GitHubApi(org.github, max_concurrent=1, secondary_retry_after=7)
    request = Request(
        "GET", "/repos/acme/web/milestones", "", {"Authorization": "Bearer t"}, b"", "http://x/github"
    )
    answers = []
    with org.github.lock:  # the first request waits inside the emulator, in flight
        first = threading.Thread(target=lambda: answers.append(api.handle(request)))
        first.start()
        while api.peak_in_flight < 1:
            time.sleep(0.001)
        refused = api.handle(request)
    first.join()
    assert refused.status == 403 and ("Retry-After", "7") in refused.headers
    assert b"secondary rate limit" in refused.body
    assert answers[0].status == 200 and api.concurrency_refusals == 1


@pytest.mark.timeout(60)
def test_a_failing_writer_stops_the_fetch_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fetch threads waiting for the writer (a byte budget of one page) are let go when it fails."""
    org = generate_org(seed=7, scale=0.3)
    commits = []

    def full_disk(*args: object, **kwargs: object) -> dict[str, int]:
        commits.append(args)
        raise OSError("No space left on device")

    monkeypatch.setenv("GH_TOKEN", "t")
    monkeypatch.setattr(warehouse, "commit_pages", full_disk)
    monkeypatch.setattr(ingest, "QUEUED_BYTES", 1)
    with EmulatorServer(org) as server:
        source = three_repos(server, per_page=5)
        with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
            with pytest.raises(OSError, match="No space left"):
                ingest.sync_source(con, source, "run-1")
            status, error = con.execute("SELECT status, error FROM ops.sync_runs").fetchone()
    assert len(commits) == 1
    assert status == "failed" and error.startswith("interrupted: OSError")


def test_the_fetch_threads_wait_for_the_writer_past_the_byte_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A budget of one byte lets one page at a time be queued or in the writer's hands: each
    commit lands one page, however fast the three threads fetch (unbounded, they queue dozens)."""
    org = generate_org(seed=7, scale=0.3)
    batches: list[int] = []
    commit = warehouse.commit_pages

    def counted(con: duckdb.DuckDBPyConnection, source: str, pages: list, at: object) -> dict[str, int]:
        batches.append(len(pages))
        time.sleep(0.01)  # a slow writer: the threads would queue pages meanwhile
        return commit(con, source, pages, at)

    monkeypatch.setenv("GH_TOKEN", "t")
    monkeypatch.setattr(warehouse, "commit_pages", counted)
    monkeypatch.setattr(ingest, "QUEUED_BYTES", 1)
    with EmulatorServer(org) as server, duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        result = ingest.sync_source(con, three_repos(server, per_page=20), "run-1")
        landed = con.execute("SELECT count(*) FROM raw.github_issues").fetchone()[0]
    assert result.error is None and landed == result.records["issues"] > 100
    assert len(batches) > 20 and set(batches) == {1}


def test_a_sync_leaves_its_wal_folded_into_the_file_under_the_ingest_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sync checkpoints before its DuckDB cap is lifted: a WAL left for the connection's close
    was checkpointed under DuckDB's default limit, the whole run's peak at 100k issues."""
    org = generate_org(seed=7, scale=0.3)
    monkeypatch.setenv("GH_TOKEN", "t")
    path = tmp_path / "w.duckdb"
    with EmulatorServer(org) as server, duckdb.connect(str(path)) as con:
        result = ingest.sync_source(con, three_repos(server, per_page=20), "run-1")
        wal = Path(f"{path}.wal")
        left = wal.stat().st_size if wal.exists() else 0
        landed = con.execute("SELECT count(*) FROM raw.github_issues").fetchone()[0]
    assert result.error is None and landed == result.records["issues"] > 100
    assert left == 0
