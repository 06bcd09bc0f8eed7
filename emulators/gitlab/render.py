"""GitLab JSON shapes, built key by key from recorded examples (emulators/gitlab/templates/).

Each object takes every key of its example in the example's order and must fill each one (a
forgotten key raises instead of leaking an example value); keys GitLab adds beyond the example
follow. A few example keys GitLab sends only sometimes are `optional`: left out when the value is
`ABSENT` (a duplicate link, paid-tier fields on a free group, `owner` of a group's project).

Body URLs use https://gitlab.com like the real service, so a model renders the same bytes on any
port; only paging links carry the address the client used.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from emulators.gitlab.model import Issue, Iteration, Label, MergeRequest, Milestone, Project, User
from emulators.shapes import ABSENT, shaped, templates_in

WEB = "https://gitlab.com"
API = f"{WEB}/api/v4"
TEMPLATES = Path(__file__).parent / "templates"
# GitLab's time tracking units: a day is 8 hours, a week 5 days.
TIME_UNITS = (("w", 5 * 8 * 3600), ("d", 8 * 3600), ("h", 3600), ("m", 60), ("s", 1))


template = templates_in(TEMPLATES)


def item(name: str) -> dict[str, Any]:
    """The first item of a list example, or the example itself."""
    example = template(name)
    return example[0] if isinstance(example, list) else example


def timestamp(value: datetime | None) -> str | None:
    """GitLab's timestamps: UTC with milliseconds (the model keeps whole seconds)."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def human_duration(seconds: int) -> str | None:
    """`human_time_estimate` as GitLab prints it: "1d 2h 30m" in 8-hour days; null for nothing."""
    if seconds <= 0:
        return None
    parts = []
    for unit, size in TIME_UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts)


def user(value: User | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return _user_cached(value.id, value.username, value.name, value.state)


@cache
def _user_cached(user_id: int, username: str, name: str, state: str) -> dict[str, Any]:
    # The basic user of every embedding; cached because a few people appear thousands of times.
    gravatar = hashlib.md5(username.encode(), usedforsecurity=False).hexdigest()
    return shaped(
        item("list_project_merge_requests")["author"],
        {
            "id": user_id,
            "name": name,
            "username": username,
            "state": state,
            "locked": False,
            "avatar_url": f"https://secure.gravatar.com/avatar/{gravatar}?s=80&d=identicon",
            "web_url": f"{WEB}/{username}",
        },
    )


def milestone(value: Milestone, today: date) -> dict[str, Any]:
    """A project or group milestone (the same entity: `project_id` or `group_id`)."""
    example = item("project_milestone")
    values = {
        "id": value.id,
        "iid": value.iid,
        "project_id": ABSENT if value.project is None else value.project.id,
        "group_id": ABSENT if value.group is None else value.group.id,
        "title": value.title,
        "description": value.description,
        "state": value.state,
        "created_at": timestamp(value.created_at),
        "updated_at": timestamp(value.updated_at),
        "due_date": day(value.due_date),
        "start_date": day(value.start_date),
        "expired": value.due_date is not None and value.due_date < today,
        "web_url": f"{WEB}/{value.web_path}",
    }
    shape = shaped(example, values, optional=frozenset({"project_id"}))
    if value.group is not None:  # group_id takes project_id's place, as GitLab's entity orders it
        shape = {"id": shape.pop("id"), "iid": shape.pop("iid"), "group_id": shape.pop("group_id"), **shape}
    return shape


def iteration(value: Iteration, today: date) -> dict[str, Any]:
    return shaped(
        item("list_group_iterations"),
        {
            "id": value.id,
            "iid": value.iid,
            "sequence": value.sequence,
            "group_id": value.group.id,
            "title": value.title,
            "description": value.description,
            "state": value.state(today),
            "created_at": timestamp(value.created_at),
            "updated_at": timestamp(value.updated_at),
            "due_date": day(value.due_date),
            "start_date": day(value.start_date),
            "web_url": f"{WEB}/groups/{value.group.path}/-/iterations/{value.id}",
        },
    )


def _time_stats(estimate: int, spent: int) -> dict[str, Any]:
    return {
        "time_estimate": estimate,
        "total_time_spent": spent,
        "human_time_estimate": human_duration(estimate),
        "human_total_time_spent": human_duration(spent),
    }


def issue(value: Issue, today: date, merge_requests_count: int) -> dict[str, Any]:
    """An issue as GET /projects/:id/issues lists it; paid-tier keys only for a premium group."""
    project = value.project
    api = f"{API}/projects/{project.id}/issues/{value.iid}"
    links = {
        "self": api,
        "notes": f"{api}/notes",
        "award_emoji": f"{api}/award_emoji",
        "project": f"{API}/projects/{project.id}",
        "closed_as_duplicate_of": ABSENT
        if value.duplicate_of is None
        else f"{API}/projects/{value.duplicate_of.project.id}/issues/{value.duplicate_of.iid}",
    }
    example = item("list_project_issues")
    premium = project.group.premium
    return shaped(
        example,
        {
            "project_id": project.id,
            "milestone": None if value.milestone is None else milestone(value.milestone, today),
            "author": user(value.author),
            "description": value.description,
            "state": value.state,
            "iid": value.iid,
            "assignees": [user(person) for person in value.assignees],
            "assignee": user(value.assignees[0]) if value.assignees else None,
            "type": value.issue_type,
            "labels": [label.name for label in value.labels],
            "upvotes": 0,
            "downvotes": 0,
            "merge_requests_count": merge_requests_count,
            "id": value.id,
            "title": value.title,
            "updated_at": timestamp(value.updated_at),
            "created_at": timestamp(value.created_at),
            "closed_at": timestamp(value.closed_at),
            "closed_by": user(value.closed_by),
            "user_notes_count": value.user_notes_count,
            "due_date": day(value.due_date),
            "imported": False,
            "imported_from": "none",
            "web_url": f"{WEB}/{project.full_path}/-/issues/{value.iid}",
            "references": {
                "short": f"#{value.iid}",
                "relative": f"#{value.iid}",
                "full": f"{project.full_path}#{value.iid}",
            },
            "time_stats": _time_stats(value.time_estimate, value.time_spent),
            "has_tasks": False,
            "task_status": "0 of 0 checklist items completed",
            "confidential": False,
            "discussion_locked": None,
            "issue_type": value.issue_type.lower(),
            "severity": value.severity,
            "_links": shaped(example["_links"], links, optional=frozenset({"closed_as_duplicate_of"})),
            "task_completion_status": {"count": 0, "completed_count": 0},
            "moved_to_id": None if value.moved_to is None else value.moved_to.id,
            "service_desk_reply_to": None,
            "weight": value.weight if premium else ABSENT,
            "blocking_issues_count": 0 if premium else ABSENT,
            "epic_iid": None if premium else ABSENT,
            "epic": None if premium else ABSENT,
            "iteration": ABSENT
            if not premium
            else None
            if value.iteration is None
            else iteration(value.iteration, today),
        },
    )


def _event(name: str, value: Any, issue_id: int, detail: dict[str, Any]) -> dict[str, Any]:
    return shaped(
        item(name),
        {
            "id": value.id,
            "user": user(value.user),
            "created_at": timestamp(value.created_at),
            "resource_type": "Issue",
            "resource_id": issue_id,
            **detail,
        },
    )


def state_event(issue_id: int, value: Any) -> dict[str, Any]:
    return _event("resource_state_events", value, issue_id, {"state": value.state})


def label_event(issue_id: int, value: Any) -> dict[str, Any]:
    return _event(
        "resource_label_events", value, issue_id, {"label": label(value.label), "action": value.action}
    )


def milestone_event(issue_id: int, value: Any, today: date) -> dict[str, Any]:
    detail = {"milestone": milestone(value.timebox, today), "action": value.action}
    return _event("resource_milestone_events", value, issue_id, detail)


def iteration_event(issue_id: int, value: Any, today: date) -> dict[str, Any]:
    """An iteration event, embedding the whole iteration entity (the doc's example shows fewer keys)."""
    detail = {"iteration": iteration(value.timebox, today), "action": value.action}
    return _event("resource_iteration_events", value, issue_id, detail)


def label(value: Label) -> dict[str, Any]:
    return shaped(
        item("resource_label_events")["label"],
        {"id": value.id, "name": value.name, "color": value.color, "description": value.description},
    )


def merge_request(value: MergeRequest, today: date) -> dict[str, Any]:
    project = value.project
    opened = value.state == "opened"
    return shaped(
        item("list_project_merge_requests"),
        {
            "id": value.id,
            "iid": value.iid,
            "project_id": project.id,
            "title": value.title,
            "description": value.description,
            "state": value.state,
            "imported": False,
            "imported_from": "none",
            "merged_by": user(value.merged_by),
            "merge_user": user(value.merged_by),
            "merged_at": timestamp(value.merged_at),
            "merge_after": None,
            "prepared_at": timestamp(value.created_at),
            "closed_by": user(value.closed_by),
            "closed_at": timestamp(value.closed_at),
            "created_at": timestamp(value.created_at),
            "updated_at": timestamp(value.updated_at),
            "target_branch": value.target_branch,
            "source_branch": value.source_branch,
            "upvotes": 0,
            "downvotes": 0,
            "author": user(value.author),
            "assignee": user(value.assignees[0]) if value.assignees else None,
            "assignees": [user(person) for person in value.assignees],
            "reviewers": [user(person) for person in value.reviewers],
            "source_project_id": project.id,
            "target_project_id": project.id,
            "labels": [tag.name for tag in value.labels],
            "draft": value.draft,
            "work_in_progress": value.draft,
            "milestone": None if value.milestone is None else milestone(value.milestone, today),
            "merge_when_pipeline_succeeds": False,
            "merge_status": "can_be_merged",
            "detailed_merge_status": "mergeable" if opened and not value.draft else "not_open",
            "sha": value.sha,
            "merge_commit_sha": value.merge_commit_sha,
            "squash_commit_sha": None,
            "user_notes_count": value.user_notes_count,
            "discussion_locked": None,
            "should_remove_source_branch": True,
            "force_remove_source_branch": True,
            "web_url": f"{WEB}/{project.full_path}/-/merge_requests/{value.iid}",
            "reference": f"!{value.iid}",
            "references": {
                "short": f"!{value.iid}",
                "relative": f"!{value.iid}",
                "full": f"{project.full_path}!{value.iid}",
            },
            "time_stats": _time_stats(0, 0),
            "squash": False,
            "squash_on_merge": False,
            "task_completion_status": {"count": 0, "completed_count": 0},
            "has_conflicts": False,
            "blocking_discussions_resolved": True,
            "approvals_before_merge": None if project.group.premium else ABSENT,
        },
        optional=frozenset({"approvals_before_merge"}),
    )


# Keys of the project example that GitLab sends only to some callers or on request (`license=true`,
# `statistics=true`, admins, maintainers), or that belong to other installations.
PROJECT_ABSENT = frozenset(
    {
        "owner", "runners_token", "license_url", "license", "statistics", "custom_attributes",
        "template_name", "group_with_project_templates_id", "use_custom_template",
        "external_authorization_classification_label", "marked_for_deletion_on", "approvals_before_merge",
    }
)  # fmt: skip


def project(value: Project) -> dict[str, Any]:
    """GET /projects/:id: the project's own values; settings as the example has them."""
    example = item("project")
    api = f"{API}/projects/{value.id}"
    web = f"{WEB}/{value.full_path}"
    group = value.group
    settings = {key: setting for key, setting in example.items() if key not in PROJECT_ABSENT}
    open_issues = sum(issue.state == "opened" for issue in value.issues.values())
    values = {
        **settings,
        "id": value.id,
        "description": value.description,
        "description_html": f"<p>{value.description}</p>" if value.description else "",
        "name": value.name,
        "name_with_namespace": f"{group.name} / {value.name}",
        "path": value.path,
        "path_with_namespace": value.full_path,
        "created_at": timestamp(value.created_at),
        "updated_at": timestamp(value.last_activity_at),
        "default_branch": value.default_branch,
        "tag_list": [],
        "topics": [],
        "ssh_url_to_repo": f"git@gitlab.com:{value.full_path}.git",
        "http_url_to_repo": f"{web}.git",
        "web_url": web,
        "readme_url": f"{web}/-/blob/{value.default_branch}/README.md",
        "avatar_url": None,
        "last_activity_at": timestamp(value.last_activity_at),
        "namespace": shaped(
            example["namespace"],
            {
                "id": group.id,
                "name": group.name,
                "path": group.path,
                "kind": "group",
                "full_path": group.full_path,
                "parent_id": None,
                "avatar_url": None,
                "web_url": f"{WEB}/groups/{group.full_path}",
            },
        ),
        "container_registry_image_prefix": f"registry.gitlab.com/{value.full_path}",
        "_links": {
            rel: url.replace("https://example.com/api/v4/projects/3", api)
            for rel, url in example["_links"].items()
        },
        "creator_id": value.creator.id,
        "import_url": None,
        "import_type": None,
        "import_error": None,
        "open_issues_count": open_issues,
        "shared_with_groups": [],
        "permissions": {
            "project_access": None,
            "group_access": {"access_level": 30, "notification_level": 3},
        },
    }
    return shaped(example, values, optional=PROJECT_ABSENT)
