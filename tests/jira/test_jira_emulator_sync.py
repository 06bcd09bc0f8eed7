"""The Jira connector and staging end to end against the Jira emulator's demo site (Cloud and DC).

The demo site (emulators/jira/story.py) has story points on a non-default custom field, an issue
with 160 histories (search embeds 40), a localised workflow, a board shared by PAY and WEB, and a
kanban board without sprints.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from jira_builders import connector, settings

from connectors.jira import JiraSource
from emulators.generator import DEMO_AS_OF
from emulators.jira.api import JiraApi
from emulators.jira.model import JiraSite
from emulators.jira.story import generate_jira
from emulators.server import EmulatorServer
from pipelines import ingest, models
from pipelines.config import parse

PROJECTS = ["PAY", "WEB"]


@pytest.fixture(scope="module")
def site() -> JiraSite:
    return generate_jira(7, 1.0, DEMO_AS_OF)


@pytest.fixture(scope="module")
def base(site: JiraSite) -> Iterator[str]:
    with EmulatorServer(None, mounts={"/jira": JiraApi(site)}) as server:  # type: ignore[arg-type]
        yield f"{server.url}/jira"


def sync(con: duckdb.DuckDBPyConnection, base: str, run: str, **overrides: object) -> ingest.SyncResult:
    config = settings(base, projects=PROJECTS, **overrides)
    jira = connector(base, projects=PROJECTS, **overrides)
    return ingest.sync_source(con, JiraSource(**config), run, jira)


def build_staging(con: duckdb.DuckDBPyConnection, base: str) -> None:
    config = parse({"sources": [settings(base, projects=PROJECTS)]})
    params = models.ModelParams.from_config(config, DEMO_AS_OF)
    for model in models.discover():
        if model.name.startswith("staging.jira__"):
            models.build(con, model, params)


@pytest.fixture(scope="module")
def cloud(base: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    sync(con, base, "run-1")
    build_staging(con, base)
    return con


def test_every_issue_lands_once_with_its_whole_changelog(
    cloud: duckdb.DuckDBPyConnection, site: JiraSite
) -> None:
    landed = cloud.execute("SELECT count(*), count(DISTINCT id) FROM raw.jira_issues").fetchone()
    assert landed == (len(site.issues), len(site.issues))
    short = cloud.execute(
        """
        SELECT count(*) FROM raw.jira_issues
        WHERE json_array_length(data -> '$.changelog.histories') <> (data ->> '$.changelog.total')::INT
        """
    ).fetchone()[0]
    assert short == 0
    longest = max(site.issues.values(), key=lambda issue: len(issue.histories))
    assert len(longest.histories) > 100
    (histories,) = cloud.execute(
        "SELECT json_array_length(data -> '$.changelog.histories') FROM raw.jira_issues WHERE id = ?",
        [str(longest.id)],
    ).fetchone()
    assert histories == len(longest.histories)


def test_story_points_come_from_the_sites_own_field(cloud: duckdb.DuckDBPyConnection, site: JiraSite) -> None:
    expected = {f"acme:{i.id}": i.story_points for i in site.issues.values() if i.story_points is not None}
    got = dict(cloud.execute("SELECT work_item_id, story_points FROM staging.jira__work_items").fetchall())
    assert expected and all(got[key] == points for key, points in expected.items())


def test_shared_board_sprints_are_counted_once(cloud: duckdb.DuckDBPyConnection, site: JiraSite) -> None:
    rows = cloud.execute(
        "SELECT scope, count(*), count(DISTINCT id) FROM raw.jira_sprints GROUP BY scope"
    ).fetchall()
    assert rows == [("PAY", len(site.sprints), len(site.sprints))]
    assert cloud.execute(
        "SELECT count(*) FROM staging.jira__milestones WHERE kind = 'jira_sprint'"
    ).fetchone()[0] == len(site.sprints)


def test_localised_done_counts_as_completed(cloud: duckdb.DuckDBPyConnection) -> None:
    rows = cloud.execute(
        """
        SELECT status_category, resolution, count(*) FROM staging.jira__work_items
        WHERE project = 'WEB' AND status = '完成' GROUP BY ALL
        """
    ).fetchall()
    assert {(category, resolution) for category, resolution, _ in rows} <= {
        ("done", "completed"),
        ("done", "not_planned"),
        ("done", "duplicate"),
    }
    assert any(resolution == "completed" for _, resolution, _ in rows)


def test_census_matches_what_landed(cloud: duckdb.DuckDBPyConnection, base: str) -> None:
    jira = connector(base, projects=PROJECTS)
    for project in PROJECTS:
        landed = {
            row[0]
            for row in cloud.execute("SELECT id FROM raw.jira_issues WHERE scope = ?", [project]).fetchall()
        }
        assert jira.census(project) == landed


def test_a_quiet_second_run_is_one_search_per_project(base: str) -> None:
    con = duckdb.connect()
    sync(con, base, "run-1")
    second = sync(con, base, "run-2")
    # Nothing read again: the newest edit was long before the first run's search was answered.
    assert second.records.get("issues", 0) == 0 and second.changed.get("issues", 0) == 0
    # fields, statuses, one search per project, versions per project, boards and sprints
    assert second.requests < 30


def test_data_center_mode_lands_the_same_issues(base: str, cloud: duckdb.DuckDBPyConnection) -> None:
    con = duckdb.connect()
    sync(con, base, "run-dc", deployment="datacenter", email_env=None)
    ids = "SELECT id FROM raw.jira_issues ORDER BY id"
    assert con.execute(ids).fetchall() == cloud.execute(ids).fetchall()
    complete = "SELECT count(*) FROM raw.jira_issues WHERE json_array_length(data -> '$.changelog.histories') = (data ->> '$.changelog.total')::INT"
    assert con.execute(complete).fetchone() == cloud.execute(complete).fetchone()
