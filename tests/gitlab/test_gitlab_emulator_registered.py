"""The GitLab emulator as its record registers it: in the demo organisation, the server and the faults."""

from __future__ import annotations

import requests

from emulators.emulated import registered
from emulators.faults import FaultPlan
from emulators.generator import generate_org
from emulators.gitlab.model import GitLabModel
from emulators.org import Org
from emulators.server import EmulatorServer


def test_the_demo_organisation_serves_gitlab_at_its_source_base_url(
    demo_org: Org, server: EmulatorServer
) -> None:
    record = registered()["gitlab"]
    source = record.source(server.url_of("gitlab"), demo_org.gitlab)
    assert source == {
        "base_url": f"{server.url}/gitlab",
        "projects": [
            "acme-cloud/api-gateway",
            "acme-cloud/billing",
            "acme-cloud/console",
            "acme-oss/sdk-python",
        ],
    }
    headers = {"PRIVATE-TOKEN": record.secrets["token"]}
    project = requests.get(f"{source['base_url']}/projects/acme-oss%2Fsdk-python", headers=headers)
    assert project.status_code == 200 and project.json()["path_with_namespace"] == "acme-oss/sdk-python"
    assert isinstance(demo_org.gitlab, GitLabModel)
    assert demo_org.gitlab.clock is demo_org.clock_source  # later changes are stamped on the org's clock


def test_a_fault_plan_throttles_gitlab_paths_in_gitlab_words() -> None:
    org = generate_org(seed=7, scale=0.1)
    with EmulatorServer(org, faults=FaultPlan.parse("429:1@/gitlab,seed=1")) as server:
        throttled = requests.get(
            f"{server.url_of('gitlab')}/projects/1", headers={"PRIVATE-TOKEN": "demo-token"}
        )
        other = requests.get(
            f"{server.url_of('github')}/repos/acme/web", headers={"Authorization": "token x"}
        )
    assert throttled.status_code == 429
    assert throttled.json() == {"message": "Retry later"}
    assert (
        throttled.headers["RateLimit-Name"] == "throttle_authenticated_api"
        and "Retry-After" in throttled.headers
    )
    assert other.status_code == 200


def test_churn_between_runs_changes_gitlab_issues() -> None:
    org = generate_org(seed=7, scale=0.1)
    before = {
        (p.full_path, i.iid, i.title, i.state)
        for p in org.gitlab.projects.values()
        for i in p.issues.values()
    }
    with EmulatorServer(org, faults=FaultPlan.parse("edit:6,delete:2,transfer:2,seed=5")) as server:
        changed = requests.post(f"{server.url}/_faults/churn").json()["changed"]
    after = {
        (p.full_path, i.iid, i.title, i.state)
        for p in org.gitlab.projects.values()
        for i in p.issues.values()
    }
    assert sum(changed.values()) == 10  # each change lands on one of the trackers
    assert before != after
