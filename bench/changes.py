"""Change a fraction of the issues through the emulator models' own change methods.

Each chosen issue gets one of four ordinary edits in turn (GitHub: close or reopen, a label, a
milestone move, a new title; Jira: a transition, a label, a priority, a new summary), stamped at
the organisation clock's current time, so the trackers record them as a user's edits would be:
updated timestamps, issue events, changelog entries.
"""

from __future__ import annotations

import random

from emulators.github.model import Repo
from emulators.jira.model import JiraSite
from emulators.org import Org


def change_fraction(org: Org, fraction: float, seed: int = 7) -> dict[str, int]:
    """Edit `fraction` of every repo's issues (pull requests left alone) and every Jira project's
    issues; returns how many were edited per "<tracker> <scope>"."""
    edited: dict[str, int] = {}
    for repo in org.github.repos.values():
        edited[f"github {repo.full_name}"] = _change_repo(
            repo, fraction, random.Random(f"{seed}:{repo.full_name}")
        )
    if org.jira is not None:
        for project in sorted(org.jira.projects):
            edited[f"jira {project}"] = _change_project(
                org.jira, project, fraction, random.Random(f"{seed}:{project}")
            )
    return edited


def _sample(items: list, fraction: float, rng: random.Random) -> list:
    return rng.sample(items, max(1, round(len(items) * fraction))) if items else []


def _change_repo(repo: Repo, fraction: float, rng: random.Random) -> int:
    numbers = sorted(number for number, issue in repo.issues.items() if issue.pull is None)
    milestones = sorted(repo.milestones)
    chosen = _sample(numbers, fraction, rng)
    for turn, number in enumerate(chosen):
        issue = repo.issues[number]
        match turn % 4:
            case 0 if issue.state == "open":
                repo.close_issue(number)
            case 0:
                repo.reopen_issue(number)
            case 1:
                missing = [name for name, label in repo.labels.items() if label not in issue.labels]
                if missing:
                    repo.add_labels(number, missing[0])
                else:
                    repo.remove_label(number, issue.labels[0].name)
            case 2:
                current = issue.milestone.number if issue.milestone else None
                repo.set_milestone(number, next((m for m in milestones if m != current), None))
            case _:
                repo.update_issue(number, title=f"{issue.title} (edited)")
    return len(chosen)


def _change_project(site: JiraSite, project_key: str, fraction: float, rng: random.Random) -> int:
    project = site.project(project_key)
    keys = sorted(issue.key for issue in site.issues.values() if issue.project is project)
    statuses = list(project.workflow)
    priorities = sorted(site.priorities)
    chosen = _sample(keys, fraction, rng)
    for turn, key in enumerate(chosen):
        issue = site.issue(key)
        match turn % 4:
            case 0:
                following = statuses[(statuses.index(issue.status.name) + 1) % len(statuses)]
                site.transition(key, following)
            case 1:
                labels = [label for label in issue.labels if label != "bench"]
                site.update_issue(key, labels=labels if "bench" in issue.labels else [*labels, "bench"])
            case 2:
                site.update_issue(key, priority=next(p for p in priorities if p != issue.priority.name))
            case _:
                site.update_issue(key, summary=f"{issue.summary} (edited)")
    return len(chosen)
