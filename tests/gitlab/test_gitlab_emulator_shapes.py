"""Key drift: every emulator object carries every key of the recorded GitLab example, at every depth.

The examples are tests/fixtures/gitlab/ (origins in tests/fixtures/README.md). A nested object of
the example (author, milestone, assignees[], time_stats, ...) is compared wherever the emulator's
value is populated, and each must be populated somewhere in the demo, so none goes unchecked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from gitlab_emulator_support import example, generate, get_all, serve, session

PROJECT = "acme-cloud%2Fapi-gateway"
# A group milestone is GitLab's same milestone entity with group_id where a project's has project_id.
ALIASES = {"project_id": "group_id"}


def key_paths(value: Any, prefix: str = "") -> tuple[set[str], set[str]]:
    """(every key path, the paths of populated objects) of a JSON value; list items share `name[]`."""
    keys: set[str] = set()
    objects: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}{key}"
            keys.add(path)
            inner_keys, inner_objects = key_paths(inner, f"{path}.")
            keys |= inner_keys
            objects |= inner_objects | ({path} if isinstance(inner, dict) and inner else set())
    elif isinstance(value, list):
        for entry in value:
            if isinstance(entry, dict):
                objects.add(prefix.removesuffix(".") + "[]")
                inner_keys, inner_objects = key_paths(entry, prefix.removesuffix(".") + "[].")
                keys |= inner_keys
                objects |= inner_objects
    return keys, objects


def missing(expected: dict[str, Any], items: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """(example keys absent from an item whose enclosing object is populated, example objects never
    populated in any item)."""
    wanted, wanted_objects = key_paths(expected)
    absent: set[str] = set()
    seen: set[str] = set()
    for item in items:
        keys, objects = key_paths(item)
        seen |= objects
        for path in wanted:
            parent = path.rpartition(".")[0]
            alias = parent + "." + ALIASES.get(path.rpartition(".")[2], "") if "milestone" in parent else ""
            if (not parent or parent in objects) and path not in keys and alias not in keys:
                absent.add(path)
    return absent, wanted_objects - seen


@pytest.fixture(scope="module")
def lists() -> Iterator[dict[str, list[dict[str, Any]]]]:
    model, org = generate()
    with serve(model, org) as base:
        client = session()
        project = f"{base}/projects/{PROJECT}"
        issues = get_all(client, f"{project}/issues")
        merge_requests = get_all(client, f"{project}/merge_requests")
        worked = [issue["iid"] for issue in issues if issue["state"] == "closed"][:40]
        closing = [item["iid"] for item in merge_requests][:20]
        yield {
            "issues": issues,
            "merge_requests": merge_requests,
            "project": [client.get(project).json()],
            "project_milestones": get_all(client, f"{project}/milestones"),
            "group_milestones": get_all(client, f"{base}/groups/acme-cloud/milestones"),
            "iterations": get_all(client, f"{base}/groups/acme-cloud/iterations"),
            "closes_issues": [
                issue
                for iid in closing
                for issue in get_all(client, f"{project}/merge_requests/{iid}/closes_issues")
            ],
            **{
                kind: [
                    event
                    for iid in worked
                    for event in get_all(client, f"{project}/issues/{iid}/resource_{kind}_events")
                ]
                for kind in ("state", "label", "milestone", "iteration")
            },
        }


@pytest.mark.parametrize(
    ("name", "fixture"),
    [
        ("issues", "docs_list_project_issues.json"),
        ("merge_requests", "docs_list_project_merge_requests.json"),
        ("project_milestones", "gitlab4j_project_milestone.json"),
        ("group_milestones", "docs_list_group_milestones.json"),
        ("iterations", "gogitlab_list_group_iterations.json"),
        ("state", "docs_resource_state_events.json"),
        ("label", "docs_resource_label_events.json"),
        ("milestone", "docs_resource_milestone_events.json"),
        ("iteration", "docs_resource_iteration_events.json"),
        ("closes_issues", "gitlab4j_issues_closed_by_mr.json"),
    ],
)
def test_every_item_has_every_key_of_the_recorded_example(
    lists: dict[str, list[dict[str, Any]]], name: str, fixture: str
) -> None:
    recorded = example(fixture)
    expected = recorded[0] if isinstance(recorded, list) else recorded
    if name == "issues":
        # GitLab links a closed issue to what it duplicates only when it is a duplicate.
        expected = {
            **expected,
            "_links": {k: v for k, v in expected["_links"].items() if k != "closed_as_duplicate_of"},
        }
    items = lists[name]
    assert items, f"the demo serves no {name}"
    absent, never = missing(expected, items)
    assert absent == set(), f"keys of the recorded example missing from {name}"
    assert never == set(), f"objects of the recorded example never populated in {name}"


def test_duplicates_link_what_they_duplicate_as_the_example_does(
    lists: dict[str, list[dict[str, Any]]],
) -> None:
    links = [issue["_links"] for issue in lists["issues"]]
    duplicates = [link for link in links if "closed_as_duplicate_of" in link]
    assert duplicates, "no duplicate in the demo"
    assert set(example("docs_list_project_issues.json")[0]["_links"]) == set(duplicates[0])
    assert all(
        link["closed_as_duplicate_of"].startswith("https://gitlab.com/api/v4/projects/")
        for link in duplicates
    )


# Project keys GitLab sends only to some callers or on request, and the emulator leaves out.
PROJECT_CONDITIONAL = {
    "owner",  # only for a project in a user's namespace; these are a group's
    "runners_token",  # maintainers only
    "license_url", "license",  # only with license=true
    "statistics",  # only with statistics=true
    "custom_attributes", "external_authorization_classification_label",  # admins / that setting only
    "marked_for_deletion_on",  # only while scheduled for deletion
    "approvals_before_merge", "template_name", "group_with_project_templates_id", "use_custom_template",
}  # fmt: skip


def test_the_project_has_the_example_keys_but_the_conditional_ones(
    lists: dict[str, list[dict[str, Any]]],
) -> None:
    served = lists["project"][0]
    recorded = example("gitlab4j_project.json")
    assert set(recorded) - set(served) == PROJECT_CONDITIONAL
    absent, _ = missing(
        {key: value for key, value in recorded.items() if key not in PROJECT_CONDITIONAL}, [served]
    )
    assert absent == set()
    assert list(served)[:8] == list(recorded)[:8]  # the example's order: id, description, ..., created_at
    assert served["path_with_namespace"] == "acme-cloud/api-gateway"
    assert served["namespace"]["full_path"] == "acme-cloud"


def test_objects_keep_the_example_key_order(lists: dict[str, list[dict[str, Any]]]) -> None:
    recorded = list(example("docs_list_project_issues.json")[0])
    served = list(lists["issues"][0])
    assert served[: len(recorded)] == recorded
    recorded_mr = list(example("docs_list_project_merge_requests.json")[0])
    assert list(lists["merge_requests"][0])[: len(recorded_mr)] == recorded_mr


def test_group_milestones_carry_group_id_and_project_ones_project_id(
    lists: dict[str, list[dict[str, Any]]],
) -> None:
    assert all("group_id" in item and "project_id" not in item for item in lists["group_milestones"])
    assert all("project_id" in item and "group_id" not in item for item in lists["project_milestones"])


def test_a_plain_requests_session_reads_json_with_gitlab_headers() -> None:
    model, org = generate(scale=0.1)
    with serve(model, org) as base:
        response = requests.get(f"{base}/projects/1", headers={"Authorization": "Bearer glpat-x"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["ETag"].startswith('W/"')
