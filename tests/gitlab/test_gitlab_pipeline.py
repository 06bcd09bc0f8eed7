"""GitLab through a Dagster run beside GitHub and Jira, on the demo organisation at a small scale.

The run must publish with no failed data-quality check; GitLab's issues, history, milestones (project, group,
iterations) and completion must be in the marts, and a group milestone must be one milestone
whose items come from several projects and whose forecast draws on all their throughput.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from emulators.generator import generate_org
from emulators.gitlab.model import GitLabModel
from emulators.server import EmulatorServer
from pipelines.demo import DEMO_EMAIL, EMAIL_ENV, TOKEN_ENV
from pipelines.run import RunOutcome
from tests.pipeline.conftest import Harness

SOURCE = "demo-gitlab"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GitLabModel, RunOutcome, Path]]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv(TOKEN_ENV, "test-token")
        monkeypatch.setenv(EMAIL_ENV, DEMO_EMAIL)
        org = generate_org(seed=7, scale=0.3)
        with EmulatorServer(org) as server:
            harness = Harness(org, server, tmp_path_factory.mktemp("gitlab-pipeline"))
            outcome = harness.run()
        yield org.gitlab, outcome, harness.config.warehouse


def query(path: Path, sql: str, *args: object) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, list(args)).fetchall()


def test_the_run_publishes_every_tracker_with_no_failed_check(
    run: tuple[GitLabModel, RunOutcome, Path],
) -> None:
    model, outcome, warehouse = run
    # Only findings fail (slipping milestones, Jira's odd values: WARN); no data-quality check.
    assert outcome.published and [c for c in outcome.failed_checks if c.blocking] == []
    assert query(warehouse, "SELECT * FROM intermediate.source_data_oddities WHERE source = ?", SOURCE) == []
    assert [
        kind for (kind,) in query(warehouse, "SELECT DISTINCT source_type FROM marts.work_items ORDER BY 1")
    ] == [
        "github",
        "gitlab",
        "jira",
    ]
    issues = sum(len(project.issues) for project in model.projects.values())
    ((items, with_history),) = query(
        warehouse,
        """
        SELECT count(*), count(*) FILTER (WHERE work_item_id IN (SELECT work_item_id FROM marts.work_item_history))
        FROM marts.work_items WHERE source = ?
        """,
        SOURCE,
    )
    assert items == with_history == issues


def test_gitlab_milestones_of_every_kind_reach_project_completion(
    run: tuple[GitLabModel, RunOutcome, Path],
) -> None:
    model, _, warehouse = run
    kinds = dict(
        query(
            warehouse,
            "SELECT kind, count(*) FROM marts.project_completion WHERE source = ? GROUP BY kind",
            SOURCE,
        )
    )
    groups = list(model.groups.values())
    assert kinds == {
        "gitlab_milestone": sum(len(project.milestones) for project in model.projects.values()),
        "gitlab_group_milestone": sum(len(group.milestones) for group in groups),
        "gitlab_iteration": sum(len(group.iterations) for group in groups),  # acme-oss is free: none
    }


def test_a_group_milestone_is_one_milestone_over_its_projects_items_and_throughput(
    run: tuple[GitLabModel, RunOutcome, Path],
) -> None:
    model, _, warehouse = run
    group = model.group("acme-cloud")
    assert group is not None
    q4 = next(m for m in group.milestones if m.title == "Q4 launch")
    in_it = {
        (project.full_path, f"{SOURCE}:{issue.id}")
        for project in group.projects
        for issue in project.issues.values()
        if issue.milestone is q4
    }
    assert len({path for path, _ in in_it}) == 3  # the story plans it in all three projects
    rows = query(warehouse, "SELECT milestone_id, project FROM marts.milestones WHERE name = 'Q4 launch'")
    assert rows == [(f"{SOURCE}:{q4.id}", "acme-cloud")]
    scoped = query(
        warehouse,
        """
        SELECT w.project, s.work_item_id FROM marts.milestone_scope s JOIN marts.work_items w USING (work_item_id)
        WHERE s.milestone_id = ? AND s.removed_at IS NULL
        """,
        f"{SOURCE}:{q4.id}",
    )
    assert set(scoped) == in_it
    ((group_rate, projects_rate),) = query(
        warehouse,
        """
        SELECT
            (SELECT throughput_per_week FROM marts.project_completion WHERE milestone_id = ?),
            (SELECT sum(completed_items) / count(DISTINCT week_index) FROM intermediate.project_weekly_throughput
             WHERE source = ? AND project LIKE 'acme-cloud/%')
        """,
        f"{SOURCE}:{q4.id}",
        SOURCE,
    )
    assert group_rate == pytest.approx(projects_rate) and group_rate > 0


def test_merge_requests_are_linked_to_the_issues_they_close(
    run: tuple[GitLabModel, RunOutcome, Path],
) -> None:
    model, _, warehouse = run
    closes = {
        f"{SOURCE}:{merge_request.id}": sorted(
            f"{p.full_path}#{issue.iid}" for issue in p.closes_issues(merge_request)
        )
        for p in model.projects.values()
        for merge_request in p.merge_requests.values()
    }
    found = query(
        warehouse,
        "SELECT pull_request_id, linked_work_item_keys FROM marts.pull_requests WHERE source = ?",
        SOURCE,
    )
    # GitLab's links ('group/project#12'); Jira-like words of the text (none here) would come beside.
    assert {pull: [key for key in keys if "#" in key] for pull, keys in found} == closes
    assert sum(map(len, closes.values())) > 0
