"""Pull requests: kept apart from work items, with the issue keys they mention."""

from __future__ import annotations

import duckdb
import pytest
from github_builder import GitHubRecords, open_warehouse, rows, run

REPO = "acme/web"


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    gh = GitHubRecords()
    gh.issue(REPO, created="2026-01-02", title="a real issue")
    gh.pull(
        REPO,
        title="PAY-12 fix login",
        body="Also fixes ABC-1 and PAY-12 (not pay-3, not XPAY12).",
        head_ref="feature/WEB-7-login",
        state="closed",
        merged_at="2026-01-06T10:00:00Z",
        closed_at="2026-01-06T10:00:00Z",
    )
    gh.pull(REPO, title="Draft: tidy up", body=None, head_ref="tidy", draft=True)
    con = open_warehouse(tmp_path_factory.mktemp("pulls") / "work.duckdb")
    gh.land(con)
    run(con)
    return con


def test_pull_requests_have_their_own_table(con: duckdb.DuckDBPyConnection) -> None:
    found = rows(
        con,
        "SELECT number, state, draft, merged_at IS NOT NULL AS merged FROM marts.pull_requests ORDER BY 1",
    )
    assert found == [
        {"number": 1, "state": "closed", "draft": False, "merged": True},
        {"number": 2, "state": "open", "draft": True, "merged": False},
    ]
    assert con.execute("SELECT title FROM marts.work_items").fetchall() == [("a real issue",)]


def test_linked_keys_come_from_title_body_and_branch(con: duckdb.DuckDBPyConnection) -> None:
    keys = dict(con.execute("SELECT number, linked_work_item_keys FROM marts.pull_requests").fetchall())
    assert keys == {1: ["ABC-1", "PAY-12", "WEB-7"], 2: []}
