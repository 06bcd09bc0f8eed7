"""How GitHub meets the fault plan (emulators/faults.py): its refusals, its issue listing, churn."""

from __future__ import annotations

import random
from collections.abc import Callable

from emulators.emulated import Faults
from emulators.github.api import SECONDARY_MESSAGE
from emulators.github.model import GitHubModel, Issue, Repo


def _issues(model: GitHubModel) -> list[tuple[Repo, Issue]]:
    """(repo, issue) for every issue (not pull request), in a stable order."""
    return [
        (repo, issue)
        for _, repo in sorted(model.repos.items())
        for _, issue in sorted(repo.issues.items())
        if issue.pull is None
    ]


def edit(model: GitHubModel, rng: random.Random, retitle: Callable[[str], str]) -> bool:
    """Rename an issue; now and then also close or reopen it."""
    found = _issues(model)
    if not found:
        return False
    repo, issue = rng.choice(found)
    repo.update_issue(issue.number, title=retitle(issue.title))
    if rng.random() < 0.4:
        if issue.state == "open":
            repo.close_issue(issue.number, state_reason=rng.choice(("completed", "not_planned")))
        else:
            repo.reopen_issue(issue.number)
    return True


def delete(model: GitHubModel, rng: random.Random, retitle: Callable[[str], str]) -> bool:
    found = _issues(model)
    if not found:
        return False
    repo, issue = rng.choice(found)
    repo.delete_issue(issue.number)
    return True


def transfer(model: GitHubModel, rng: random.Random, retitle: Callable[[str], str]) -> bool:
    """Move an issue to another repo of the organisation (it gets a new number there)."""
    repos = [repo for _, repo in sorted(model.repos.items())]
    found = _issues(model)
    if len(repos) < 2 or not found:
        return False
    repo, issue = rng.choice(found)
    repo.transfer_issue(issue.number, rng.choice([r for r in repos if r is not repo]))
    return True


FAULTS = Faults(
    secondary=SECONDARY_MESSAGE,
    listing=r"(repos/[^/]+/[^/]+|repositories/\d+)/issues",
    changes={"edit": edit, "delete": delete, "transfer": transfer},
)
