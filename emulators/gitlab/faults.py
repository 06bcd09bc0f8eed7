"""How GitLab meets the fault plan (emulators/faults.py): its throttling, its issue listing, churn."""

from __future__ import annotations

import random
from collections.abc import Callable

from emulators.emulated import Faults
from emulators.gitlab.api import THROTTLE, THROTTLED
from emulators.gitlab.model import GitLabModel, Issue, Project


def _pick(model: GitLabModel, rng: random.Random, opened_only: bool = False) -> tuple[Project, Issue] | None:
    """A (project, issue) drawn from every issue in a stable order; None when there is none."""
    candidates = [
        (project, issue)
        for _, project in sorted(model.projects.items())
        for _, issue in sorted(project.issues.items())
        if issue.state == "opened" or not opened_only
    ]
    return rng.choice(candidates) if candidates else None


def edit(model: GitLabModel, rng: random.Random, retitle: Callable[[str], str]) -> bool:
    """Rename an issue; now and then also close or reopen it (with its state event)."""
    if (picked := _pick(model, rng)) is None:
        return False
    project, issue = picked
    project.update_issue(issue.iid, title=retitle(issue.title))
    if rng.random() < 0.4:
        user = issue.assignees[0] if issue.assignees else issue.author
        change = project.close_issue if issue.state == "opened" else project.reopen_issue
        change(issue.iid, user)
    return True


def delete(model: GitLabModel, rng: random.Random, retitle: Callable[[str], str]) -> bool:
    if (picked := _pick(model, rng)) is None:
        return False
    project, issue = picked
    project.delete_issue(issue.iid)
    return True


def transfer(model: GitLabModel, rng: random.Random, retitle: Callable[[str], str]) -> bool:
    """Move an open issue to another project: a new issue there, the old one closed with moved_to_id."""
    if len(model.projects) < 2 or (picked := _pick(model, rng, opened_only=True)) is None:
        return False
    project, issue = picked
    target = rng.choice([other for _, other in sorted(model.projects.items()) if other is not project])
    project.move_issue(issue.iid, target, issue.author)
    return True


FAULTS = Faults(
    throttled=THROTTLED,
    throttled_headers=(THROTTLE,),
    listing=r"projects/[^/]+/issues",
    changes={"edit": edit, "delete": delete, "transfer": transfer},
)
