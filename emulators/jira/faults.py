"""How Jira meets the fault plan (emulators/faults.py): its refusals, its search, churn."""

from __future__ import annotations

import random
from collections.abc import Callable

from emulators.emulated import Faults
from emulators.jira.api import BURST, THROTTLED, error_body
from emulators.jira.model import Issue, JiraSite


def _leaves(site: JiraSite) -> list[Issue]:
    """Issues without subtasks, by id (deleting a parent would take its subtasks along)."""
    return [issue for _, issue in sorted(site.issues.items()) if not site.children(issue)]


def edit(site: JiraSite, rng: random.Random, retitle: Callable[[str], str]) -> bool:
    """Rename an issue; now and then also move its status."""
    leaves = _leaves(site)
    if not leaves:
        return False
    issue = rng.choice(leaves)
    site.update_issue(issue.key, summary=retitle(issue.summary))
    if rng.random() < 0.4:
        others = [name for name in issue.project.workflow if name != issue.status.name]
        site.transition(issue.key, rng.choice(others))
    return True


def delete(site: JiraSite, rng: random.Random, retitle: Callable[[str], str]) -> bool:
    leaves = _leaves(site)
    if not leaves:
        return False
    site.delete_issue(rng.choice(leaves).key)
    return True


FAULTS = Faults(
    error_body=error_body,
    throttled=THROTTLED,
    throttled_headers=(BURST,),
    listing=r"rest/api/[23]/search(/jql)?",
    changes={"edit": edit, "delete": delete},
)
