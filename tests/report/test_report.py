"""The manager's report (issue 13) read back against the marts of one demo run: every figure it
shows is the marts' value, a burn-up chart is drawn per listed milestone, the file needs nothing
from the network, and the digest and the Dagster metadata say the same."""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import sqlalchemy

from pipelines import report
from pipelines.defs.report import REPORT, report_asset
from pipelines.defs.resources import TrackerlakeSettings
from pipelines.demo import run_demo, write_config
from tests.pipeline.installed_cli import empty_dir, trackerlake
from tests.pipeline.test_cli_anywhere import DAGSTER_IMPORT, IMPORT_TIMES

ATTENTION = "status IN ('overdue', 'slipping', 'at_risk')"


class Rows(HTMLParser):
    """Table rows and figures by their data-id: {id: {data-col: text}}, and the figures' ids and SVGs."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self.order: list[str] = []
        self.classes: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.figures: dict[str, int] = {}  # burn-up figure id -> <svg> elements inside it
        self._row: str | None = None
        self._col: str | None = None
        self._figure: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and "data-id" in a:
            self._row = a["data-id"]
            self.rows[self._row], self.classes[self._row] = {}, a.get("class") or ""
            self.order.append(self._row)
        elif tag == "td" and self._row is not None:
            self._col = a["data-col"]
            self.rows[self._row][self._col] = ""
        elif tag == "a" and self._row is not None:
            self.links[self._row] = a["href"]
        elif tag == "figure" and "burnup" in (a.get("class") or ""):
            self._figure = a["data-id"]
            self.figures[self._figure] = 0
        elif tag == "svg" and self._figure is not None:
            self.figures[self._figure] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._col = None
        elif tag == "tr":
            self._row = None
        elif tag == "figure":
            self._figure = None

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._col is not None:
            self.rows[self._row][self._col] += data


def section(html: str, anchor: str) -> Rows:
    parser = Rows()
    parser.feed(re.search(rf'<section id="{anchor}">(.*?)</section>', html, re.S).group(1))
    return parser


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One demo run (scale 0.25): the warehouse, with the report the run's `report` asset wrote, and
    what the run printed."""
    warehouse = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert run_demo(warehouse, scale=0.25) == 0
    return warehouse, printed.getvalue()


@pytest.fixture(scope="module")
def demo(demo_run: tuple[Path, str]) -> Path:
    return demo_run[0]


@pytest.fixture(scope="module")
def html(demo: Path) -> str:
    return report.report_paths(demo)[0].read_text(encoding="utf-8")


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_run_leaves_the_report_and_digest_beside_the_warehouse(
    demo_run: tuple[Path, str], html: str
) -> None:
    demo, printed = demo_run
    names = ["demo.digest.md", "demo.duckdb", "demo.report.html"]
    assert [p.name for p in sorted(demo.parent.iterdir())] == names
    # The run's summary is unchanged and then names the report.
    report_line = f"Report: {demo.parent / 'demo.report.html'} (digest: demo.digest.md)"
    assert f"Warehouse published: {demo}\n{report_line}\n" in printed
    # Opens offline: nothing to fetch, nothing to run (links to the trackers are only links).
    assert re.findall(r"<(?:script|link|img|iframe|object)\b|@import|url\((?!#)|\ssrc=", html) == []
    assert html.count("<svg") >= 2


def test_milestones_needing_attention_show_the_marts_figures(demo: Path, html: str) -> None:
    expected = query(
        demo,
        f"""
        SELECT milestone_id, status, printf('%.0f%% (%d of %d)', pct_complete * 100, done_items, scope_items),
               coalesce(days_late::VARCHAR, ''), forecast_p50_date::VARCHAR, forecast_p85_date::VARCHAR,
               m.url, status_reason
        FROM marts.project_completion AS c JOIN marts.milestones AS m USING (milestone_id)
        WHERE c.{ATTENTION}
        ORDER BY list_position(['overdue', 'slipping', 'at_risk'], status), c.due_date, c.project, c.name
        """,
    )
    shown = section(html, "attention")
    assert len(expected) >= 3 and shown.order == [row[0] for row in expected]
    for milestone, status, complete, late, p50, p85, url, reason in expected:
        cells = shown.rows[milestone]
        assert (cells["status"], cells["pct_complete"], cells["days_late"]) == (status, complete, late)
        assert (cells["forecast_p50_date"], cells["forecast_p85_date"]) == (p50 or "", p85 or "")
        assert cells["status_reason"] == reason and shown.links[milestone] == url


def test_owners_are_the_assignees_of_the_open_scoped_items(demo: Path, html: str) -> None:
    owners = dict(
        query(
            demo,
            f"""
            SELECT c.milestone_id, string_agg(DISTINCT w.assignee, ',' ORDER BY w.assignee)
            FROM marts.project_completion AS c
            JOIN marts.milestone_scope AS s ON s.milestone_id = c.milestone_id AND s.in_scope AND NOT s.is_done
            JOIN marts.work_items AS w ON w.work_item_id = s.work_item_id AND w.assignee IS NOT NULL
            WHERE c.{ATTENTION} GROUP BY 1
            """,
        )
    )
    shown = section(html, "attention").rows
    assert owners  # the demo assigns some open items
    for milestone, cells in shown.items():
        listed = [name for name in cells["owners"].split(" +")[0].split(", ") if name]
        everyone = owners.get(milestone, "").split(",") if milestone in owners else []
        assert set(listed) <= set(everyone) and len(listed) == min(3, len(everyone))


def test_a_burnup_chart_per_listed_milestone(demo: Path, html: str) -> None:
    attention = [
        row[0] for row in query(demo, f"SELECT milestone_id FROM marts.project_completion WHERE {ATTENTION}")
    ]
    figures = section(html, "attention").figures
    assert set(figures) <= set(attention) and len(figures) == min(12, len(attention))
    assert set(figures.values()) == {1}


def test_closed_incomplete_milestones_show_their_carried_over_items(demo: Path, html: str) -> None:
    expected = dict(
        query(
            demo,
            """
            SELECT milestone_id, carried_over_items FROM marts.project_completion
            WHERE status = 'closed_incomplete' AND completed_at > as_of - INTERVAL 180 DAY
            """,
        )
    )
    shown = section(html, "closed-incomplete").rows
    assert expected and {m: int(cells["carried_over_items"]) for m, cells in shown.items()} == expected


def test_on_time_outcome_failed_is_highlighted_with_its_reason(demo: Path, html: str) -> None:
    failed = dict(
        query(
            demo,
            """
            SELECT milestone_id, outcome_reason FROM marts.product_outcomes
            WHERE outcome_failed_despite_on_time AND released_at > as_of - INTERVAL 180 DAY
            """,
        )
    )
    shown = section(html, "outcomes")
    highlighted = {m for m, classes in shown.classes.items() if classes == "failed-on-time"}
    assert failed and highlighted == set(failed)
    assert {m: shown.rows[m]["outcome_reason"] for m in highlighted} == failed


def test_portfolio_rates_are_the_marts_rounded(demo: Path, html: str) -> None:
    expected = query(
        demo,
        """
        SELECT project, printf('%.0f%%', done_on_time_rate * 100), avg_escaped_defect_rate, throughput_4w
        FROM marts.portfolio
        """,
    )
    shown = section(html, "portfolio").rows
    # 3 GitHub repos, 2 Jira projects, GitLab's group (its group milestones) and 4 projects
    assert len(shown) == len(expected) == 10
    for project, on_time, escaped, throughput in expected:
        cells = shown[project]
        # a project with nothing delivered yet (a GitLab project) has no rates: a share shows a
        # dash, a rate an empty cell
        assert cells["done_on_time_rate"] == ("\u2013" if on_time is None else on_time)
        if escaped is None:
            assert cells["avg_escaped_defect_rate"] == ""
        else:
            assert abs(float(cells["avg_escaped_defect_rate"]) - escaped) <= 0.0005 + 1e-12
        assert int(cells["throughput_4w"]) == throughput


def test_the_digest_carries_the_headline_and_the_slip_list(demo: Path) -> None:
    digest = report.report_paths(demo)[1].read_text(encoding="utf-8")
    (overdue,) = query(demo, "SELECT count(*) FROM marts.project_completion WHERE status = 'overdue'")[0]
    (attention,) = query(demo, f"SELECT count(*) FROM marts.project_completion WHERE {ATTENTION}")[0]
    assert f"{attention} milestones need attention ({overdue} overdue" in digest.splitlines()[0]
    for name, complete in query(
        demo,
        f"SELECT name, printf('%.0f%%', pct_complete * 100) FROM marts.project_completion WHERE {ATTENTION}",
    ):
        assert re.search(rf"\| {re.escape(name)} \| {complete} \(", digest), name


def test_the_report_asset_puts_the_digest_and_path_in_dagster(demo: Path, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "trackerlake.yaml",
        {
            "warehouse": str(demo),
            "sources": [{"name": "gh", "type": "github", "token_env": "T", "repos": ["a/b"]}],
        },
    )
    result = dg.materialize(
        [report_asset()],
        resources={"settings": TrackerlakeSettings(config_path=str(config))},
        selection=[REPORT],
    )
    (event,) = result.asset_materializations_for_node(report_asset().op.name)
    html_path, digest_path = report.report_paths(demo)
    assert event.metadata["path"].value == str(html_path)
    assert event.metadata["digest"].value == digest_path.read_text(encoding="utf-8")


def test_the_report_is_the_same_bytes_each_time_and_quick(demo: Path, html: str) -> None:
    started = time.monotonic()
    report.write_report(demo)
    seconds = time.monotonic() - started
    assert report.report_paths(demo)[0].read_text(encoding="utf-8") == html
    assert seconds < 20, seconds  # about 2 s for 12 burn-ups and 5 trend charts on one core


def test_charts_of_unchanged_rows_are_kept_not_drawn(demo: Path, html: str, tmp_path: Path) -> None:
    kept = tmp_path / "work.duckdb.charts.json"
    charts = html.count("<svg")  # one per burn-up, one per project's trends
    assert report.write_report(demo, kept).charts_drawn == charts
    again = report.write_report(demo, kept)
    assert again.charts_drawn == 0
    assert again.html.read_text(encoding="utf-8") == html
    # A chart missing from the file (its rows changed since, say) is drawn, and only that one.
    drawn = json.loads(kept.read_text(encoding="utf-8"))
    kept.write_text(json.dumps(dict(list(drawn.items())[1:])), encoding="utf-8")
    assert report.write_report(demo, kept).charts_drawn == 1
    assert len(json.loads(kept.read_text(encoding="utf-8"))) == charts


def test_the_report_command_does_not_import_dagster(demo: Path, tmp_path: Path) -> None:
    ended = trackerlake("report", "--warehouse", str(demo), cwd=empty_dir(tmp_path), env=IMPORT_TIMES)
    assert ended.returncode == 0, ended.stderr[-2000:]
    assert f"Report: {report.report_paths(demo)[0]}" in ended.stdout
    assert "import time:" in ended.stderr and DAGSTER_IMPORT.findall(ended.stderr) == []


def test_duckdb_engine_lists_the_marts_columns_with_their_meanings(demo: Path) -> None:
    """As Superset's schema browser does (SQLAlchemy's inspector): the lock's SQLAlchemy must list them."""
    engine = sqlalchemy.create_engine(f"duckdb:///{demo}", connect_args={"read_only": True})
    try:
        columns = sqlalchemy.inspect(engine).get_columns("portfolio", schema="marts")
    finally:
        engine.dispose()
    expected = query(
        demo,
        "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'portfolio' ORDER BY column_index",
    )
    assert [(c["name"], c["comment"]) for c in columns] == expected
    assert expected[0] == ("source", "Name of the configured source.")
