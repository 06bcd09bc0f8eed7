"""In-memory GitLab: groups (milestones, iterations) and their projects (issues, merge requests, labels).

Every change goes through a method here that stamps the model clock's time, bumps `updated_at` and
records the resource event GitLab would (state, label and milestone events, per issue), so an
issue's fields and its event history always agree. The story builds its whole history this way.

GitLab habits kept here because a connector can see them:
- ids are global (issues, milestones, labels and each kind of resource event have their own
  sequence across the instance); iids count per project (issues, merge requests) or per
  group/project (milestones);
- moving an issue from milestone (or iteration) A to B records one `add` event for B and nothing
  for A; only clearing it records `remove` (with the old one);
- adding a scoped label (`workflow::in review`) removes the issue's other label of that scope,
  with its own `remove` event;
- reopening records a state event `reopened`; opening is never recorded;
- merging a merge request closes the issues its description closes ("Closes #12"), in its project.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import unquote

from emulators.org import Clock

T = TypeVar("T")
ISSUE_TYPES = ("ISSUE", "INCIDENT", "TASK")
TIERS = ("free", "premium")
# GitLab's default issue closing pattern, for references within the same project.
CLOSING_PATTERN = re.compile(
    r"\b(?:clos(?:e[sd]?|ing)|fix(?:e[sd]|ing)?|resolv(?:e[sd]?|ing)|implement(?:s|ed|ing)?):? +#(\d+)",
    re.IGNORECASE,
)


@dataclass(eq=False, slots=True)
class User:
    id: int
    username: str
    name: str
    state: str = "active"


@dataclass(eq=False, slots=True)
class Label:
    id: int
    name: str
    color: str
    description: str = ""

    @property
    def scope(self) -> str | None:
        """`workflow` for `workflow::in review`: a scoped label, exclusive within its scope."""
        scope, separator, _ = self.name.rpartition("::")
        return scope if separator else None


@dataclass(eq=False, slots=True)
class Milestone:
    """A project milestone (`project` set) or a group milestone (`group` set) spanning its projects."""

    id: int
    iid: int
    title: str
    description: str
    created_at: datetime
    updated_at: datetime
    project: Project | None = None
    group: Group | None = None
    start_date: date | None = None
    due_date: date | None = None
    state: str = "active"

    @property
    def web_path(self) -> str:
        if self.group is not None:
            return f"groups/{self.group.path}/-/milestones/{self.iid}"
        assert self.project is not None
        return f"{self.project.full_path}/-/milestones/{self.iid}"


@dataclass(eq=False, slots=True)
class Iteration:
    """One two-week slot of a group's iteration cadence (titles null: automatic scheduling)."""

    id: int
    iid: int
    sequence: int
    group: Group
    start_date: date
    due_date: date
    created_at: datetime
    updated_at: datetime
    title: str | None = None
    description: str | None = None

    def state(self, today: date) -> int:
        """GitLab's state enum: 1 upcoming, 2 current, 3 closed. GitLab's nightly worker moves it
        with update_all, which leaves updated_at alone: `updated_after` does not see it change."""
        if today < self.start_date:
            return 1
        return 2 if today <= self.due_date else 3


@dataclass(eq=False, slots=True)
class StateEvent:
    id: int
    user: User
    created_at: datetime
    state: str  # closed | reopened


@dataclass(eq=False, slots=True)
class LabelEvent:
    id: int
    user: User
    created_at: datetime
    label: Label
    action: str  # add | remove


@dataclass(eq=False, slots=True)
class TimeboxEvent:
    """A milestone or iteration event (GitLab calls both timeboxes)."""

    id: int
    user: User
    created_at: datetime
    timebox: Milestone | Iteration
    action: str  # add | remove


@dataclass(eq=False, slots=True)
class Issuable:
    """What issues and merge requests share (GitLab's Issuable): global id, per-project iid, ..."""

    id: int
    iid: int
    project: Project
    title: str
    description: str
    author: User
    created_at: datetime
    updated_at: datetime


@dataclass(eq=False, slots=True)
class Issue(Issuable):
    issue_type: str = "ISSUE"
    labels: list[Label] = field(default_factory=list)
    assignees: list[User] = field(default_factory=list)
    milestone: Milestone | None = None
    iteration: Iteration | None = None
    weight: int | None = None
    time_estimate: int = 0  # seconds
    time_spent: int = 0  # seconds
    due_date: date | None = None
    severity: str = "UNKNOWN"
    state: str = "opened"
    closed_at: datetime | None = None
    closed_by: User | None = None
    duplicate_of: Issue | None = None
    moved_to: Issue | None = None
    user_notes_count: int = 0
    state_events: list[StateEvent] = field(default_factory=list)
    label_events: list[LabelEvent] = field(default_factory=list)
    milestone_events: list[TimeboxEvent] = field(default_factory=list)
    iteration_events: list[TimeboxEvent] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class MergeRequest(Issuable):
    source_branch: str
    sha: str
    target_branch: str = "main"
    labels: list[Label] = field(default_factory=list)
    assignees: list[User] = field(default_factory=list)
    reviewers: list[User] = field(default_factory=list)
    milestone: Milestone | None = None
    draft: bool = False
    state: str = "opened"  # opened | closed | merged
    merged_at: datetime | None = None
    merged_by: User | None = None
    merge_commit_sha: str | None = None
    closed_at: datetime | None = None
    closed_by: User | None = None
    user_notes_count: int = 0

    @property
    def closing_iids(self) -> list[int]:
        """The issue iids its description closes on merge, in order of mention."""
        return list(dict.fromkeys(int(number) for number in CLOSING_PATTERN.findall(self.description)))


def _change(method: Callable[..., T]) -> Callable[..., T]:
    """A model change: made under the model's lock, and invalidating cached listings."""

    @functools.wraps(method)
    def changed(self: Any, *args: Any, **kwargs: Any) -> T:
        with self.model.lock:
            result = method(self, *args, **kwargs)
            self.model.version += 1
            return result

    return changed


class _MilestoneOwner:
    """What groups and projects share: their own milestones, numbered per owner."""

    owner_field: ClassVar[str]  # the Milestone field naming its owner: "group" or "project"
    model: GitLabModel
    milestones: list[Milestone]
    _milestone_iids: itertools.count

    @_change
    def add_milestone(
        self, title: str, description: str = "", start_date: date | None = None, due_date: date | None = None
    ) -> Milestone:
        now = self.model.clock.now
        owner = {self.owner_field: self}
        milestone = Milestone(
            self.model.next_id("milestone"), next(self._milestone_iids), title, description, now, now,
            start_date=start_date, due_date=due_date, **owner,  # type: ignore[arg-type]
        )  # fmt: skip
        self.milestones.append(milestone)
        return milestone


@dataclass(eq=False)
class Group(_MilestoneOwner):
    owner_field: ClassVar[str] = "group"
    model: GitLabModel
    id: int
    path: str
    name: str
    tier: str  # "free": no iterations, no weight; "premium": both
    created_at: datetime
    description: str = ""
    projects: list[Project] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    iterations: list[Iteration] = field(default_factory=list)
    _milestone_iids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def full_path(self) -> str:
        return self.path

    @property
    def premium(self) -> bool:
        return self.tier == "premium"

    @_change
    def add_iteration(self, start_date: date, due_date: date) -> Iteration:
        if not self.premium:
            raise ValueError(f"iterations need a paid tier; group {self.path} is {self.tier}")
        now = self.model.clock.now
        sequence = len(self.iterations) + 1
        iteration = Iteration(
            self.model.next_id("iteration"), sequence, sequence, self, start_date, due_date, now, now
        )
        self.iterations.append(iteration)
        return iteration


@dataclass(eq=False)
class Project(_MilestoneOwner):
    owner_field: ClassVar[str] = "project"
    model: GitLabModel
    id: int
    group: Group
    path: str
    name: str
    description: str
    created_at: datetime
    creator: User
    default_branch: str = "main"
    issues: dict[int, Issue] = field(default_factory=dict)
    merge_requests: dict[int, MergeRequest] = field(default_factory=dict)
    milestones: list[Milestone] = field(default_factory=list)
    labels: dict[str, Label] = field(default_factory=dict)
    _issue_iids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _mr_iids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _milestone_iids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def full_path(self) -> str:
        return f"{self.group.full_path}/{self.path}"

    @property
    def last_activity_at(self) -> datetime:
        stamps = [item.updated_at for item in (*self.issues.values(), *self.merge_requests.values())]
        return max(stamps, default=self.created_at)

    def visible_milestones(self) -> list[Milestone]:
        """The project's own milestones and its group's (as `include_ancestors=true` lists them)."""
        return [*self.milestones, *self.group.milestones]

    # -- labels ---------------------------------------------------------------------------------

    @_change
    def add_label(self, name: str, color: str, description: str = "") -> Label:
        label = Label(self.model.next_id("label"), name, color, description)
        self.labels[name] = label
        return label

    # -- issues ---------------------------------------------------------------------------------

    @_change
    def create_issue(
        self,
        author: User,
        title: str,
        description: str = "",
        issue_type: str = "ISSUE",
        labels: Iterable[str] = (),
        assignees: Iterable[User] = (),
        weight: int | None = None,
        due_date: date | None = None,
        time_estimate: int = 0,
        severity: str = "UNKNOWN",
    ) -> Issue:
        if issue_type not in ISSUE_TYPES:
            raise ValueError(f"unknown issue type {issue_type!r}")
        now = self.model.clock.now
        issue = Issue(
            self.model.next_id("issue"), next(self._issue_iids), self, title, description, author, now, now,
            issue_type=issue_type, assignees=list(assignees), weight=self._weight(weight),
            due_date=due_date, time_estimate=time_estimate, severity=severity,
        )  # fmt: skip
        self.issues[issue.iid] = issue
        self._add_labels(issue, author, labels)  # labels given at creation are recorded as `add` events
        return issue

    def issue(self, iid: int) -> Issue:
        found = self.issues.get(iid)
        if found is None:
            raise KeyError(f"{self.full_path} has no issue #{iid}")
        return found

    @_change
    def update_issue(
        self,
        iid: int,
        *,
        title: str | None = None,
        description: str | None = None,
        due_date: date | None | str = "keep",
        weight: int | None | str = "keep",
        time_estimate: int | None = None,
        assignees: Iterable[User] | None = None,
    ) -> Issue:
        """Edit fields that GitLab records no resource event for (due date, weight, estimate, ...)."""
        issue = self.issue(iid)
        if title is not None:
            issue.title = title
        if description is not None:
            issue.description = description
        if due_date != "keep":
            issue.due_date = due_date  # type: ignore[assignment]
        if weight != "keep":
            issue.weight = self._weight(weight)  # type: ignore[arg-type]
        if time_estimate is not None:
            issue.time_estimate = time_estimate
        if assignees is not None:
            issue.assignees = list(assignees)
        return self._touch(issue)

    @_change
    def spend_time(self, iid: int, seconds: int) -> Issue:
        issue = self.issue(iid)
        issue.time_spent += seconds
        return self._touch(issue)

    @_change
    def comment(self, iid: int) -> Issue:
        issue = self.issue(iid)
        issue.user_notes_count += 1
        return self._touch(issue)

    @_change
    def close_issue(self, iid: int, user: User, duplicate_of: Issue | None = None) -> Issue:
        issue = self.issue(iid)
        if issue.state == "closed":
            return issue
        issue.state, issue.closed_at, issue.closed_by = "closed", self.model.clock.now, user
        issue.duplicate_of = duplicate_of
        issue.state_events.append(
            StateEvent(self.model.next_id("state_event"), user, self.model.clock.now, "closed")
        )
        return self._touch(issue)

    @_change
    def reopen_issue(self, iid: int, user: User) -> Issue:
        issue = self.issue(iid)
        if issue.state == "opened":
            return issue
        issue.state, issue.closed_at, issue.closed_by, issue.duplicate_of = "opened", None, None, None
        now = self.model.clock.now
        issue.state_events.append(StateEvent(self.model.next_id("state_event"), user, now, "reopened"))
        return self._touch(issue)

    @_change
    def add_labels(self, iid: int, user: User, names: Iterable[str]) -> Issue:
        issue = self.issue(iid)
        self._add_labels(issue, user, names)
        return self._touch(issue)

    @_change
    def remove_labels(self, iid: int, user: User, names: Iterable[str]) -> Issue:
        issue = self.issue(iid)
        for name in names:
            label = self.labels[name]
            if label in issue.labels:
                issue.labels.remove(label)
                issue.label_events.append(self._label_event(user, label, "remove"))
        return self._touch(issue)

    @_change
    def set_milestone(self, iid: int, user: User, milestone: Milestone | None) -> Issue:
        issue = self.issue(iid)
        if milestone is not None and milestone not in self.visible_milestones():
            raise ValueError(f"milestone {milestone.title!r} is not visible from {self.full_path}")
        if milestone is not issue.milestone:
            self._timebox_event(issue.milestone_events, "milestone_event", user, issue.milestone, milestone)
            issue.milestone = milestone
        return self._touch(issue)

    @_change
    def set_iteration(self, iid: int, user: User, iteration: Iteration | None) -> Issue:
        if iteration is not None and iteration.group is not self.group:
            raise ValueError("an issue's iteration comes from its group's cadence")
        issue = self.issue(iid)
        if iteration is not issue.iteration:
            self._timebox_event(issue.iteration_events, "iteration_event", user, issue.iteration, iteration)
            issue.iteration = iteration
        return self._touch(issue)

    @_change
    def delete_issue(self, iid: int) -> Issue:
        """Delete an issue (project owners can): gone from every list, its iid never reused."""
        return self.issues.pop(self.issue(iid).iid)

    @_change
    def move_issue(self, iid: int, target: Project, user: User) -> Issue:
        """Move an issue to another project as GitLab does: a new issue (new id and iid) there, the
        original closed with `moved_to_id`; labels the target lacks and project milestones are dropped."""
        issue = self.issue(iid)
        moved = target.create_issue(
            issue.author, issue.title, issue.description, issue.issue_type,
            [label.name for label in issue.labels if label.name in target.labels], issue.assignees,
            weight=issue.weight if target.group.premium else None, due_date=issue.due_date,
            time_estimate=issue.time_estimate, severity=issue.severity,
        )  # fmt: skip
        if issue.milestone is not None and issue.milestone in target.visible_milestones():
            target.set_milestone(moved.iid, user, issue.milestone)
        self.close_issue(iid, user)
        issue.moved_to = moved
        return moved

    # -- merge requests -------------------------------------------------------------------------

    @_change
    def create_merge_request(
        self,
        author: User,
        title: str,
        description: str,
        source_branch: str,
        sha: str,
        labels: Iterable[str] = (),
        milestone: Milestone | None = None,
        reviewers: Iterable[User] = (),
        draft: bool = False,
    ) -> MergeRequest:
        now = self.model.clock.now
        merge_request = MergeRequest(
            self.model.next_id("merge_request"), next(self._mr_iids), self, title, description, author,
            now, now, source_branch, sha, labels=[self.labels[name] for name in labels],
            assignees=[author], reviewers=list(reviewers), milestone=milestone, draft=draft,
        )  # fmt: skip
        self.merge_requests[merge_request.iid] = merge_request
        return merge_request

    def closes_issues(self, merge_request: MergeRequest) -> list[Issue]:
        """The issues of this project its description closes (unknown numbers are ignored, as GitLab does)."""
        return [self.issues[iid] for iid in merge_request.closing_iids if iid in self.issues]

    @_change
    def merge(self, iid: int, user: User, merge_commit_sha: str) -> MergeRequest:
        merge_request = self.merge_requests[iid]
        if merge_request.state != "opened":
            raise ValueError(f"!{iid} is {merge_request.state}")
        now = self.model.clock.now
        merge_request.state, merge_request.merged_at, merge_request.merged_by = "merged", now, user
        merge_request.merge_commit_sha, merge_request.updated_at = merge_commit_sha, now
        for issue in self.closes_issues(merge_request):
            self.close_issue(issue.iid, user)
        return merge_request

    @_change
    def close_merge_request(self, iid: int, user: User) -> MergeRequest:
        merge_request = self.merge_requests[iid]
        now = self.model.clock.now
        merge_request.state, merge_request.closed_at, merge_request.closed_by = "closed", now, user
        merge_request.updated_at = now
        return merge_request

    # -- helpers --------------------------------------------------------------------------------

    def _weight(self, weight: int | None) -> int | None:
        if weight is not None and not self.group.premium:
            raise ValueError(f"weights need a paid tier; {self.full_path} is on {self.group.tier}")
        return weight

    def _add_labels(self, issue: Issue, user: User, names: Iterable[str]) -> None:
        for name in names:
            label = self.labels[name]
            if label in issue.labels:
                continue
            if label.scope is not None:
                for other in [item for item in issue.labels if item.scope == label.scope]:
                    issue.labels.remove(other)
                    issue.label_events.append(self._label_event(user, other, "remove"))
            issue.labels.append(label)
            issue.label_events.append(self._label_event(user, label, "add"))

    def _timebox_event(
        self,
        events: list[TimeboxEvent],
        kind: str,
        user: User,
        old: Milestone | Iteration | None,
        new: Milestone | Iteration | None,
    ) -> None:
        """GitLab records the timebox an issue moves into (`add`); leaving the old one is implied.
        Only clearing it records `remove`, with the old one."""
        recorded, action = (old, "remove") if new is None else (new, "add")
        assert recorded is not None
        events.append(TimeboxEvent(self.model.next_id(kind), user, self.model.clock.now, recorded, action))

    def _label_event(self, user: User, label: Label, action: str) -> LabelEvent:
        return LabelEvent(self.model.next_id("label_event"), user, self.model.clock.now, label, action)

    def _touch(self, issue: Issue) -> Issue:
        issue.updated_at = self.model.clock.now
        return issue


class GitLabModel:
    """A GitLab instance: users, groups and projects on one clock, under one lock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.version = 0  # bumped by every change; cached listings are keyed on it
        self.users: dict[str, User] = {}
        self.groups: dict[int, Group] = {}
        self.projects: dict[int, Project] = {}
        self._ids: dict[str, itertools.count] = {}
        self._cache: dict[tuple[Any, ...], tuple[int, Any]] = {}

    @property
    def model(self) -> GitLabModel:
        return self  # lets the model-level change methods share `_change` with groups and projects

    def next_id(self, kind: str) -> int:
        return next(self._ids.setdefault(kind, itertools.count(1)))

    def add_user(self, username: str, name: str) -> User:
        user = self.users[username] = User(self.next_id("user"), username, name)
        return user

    @_change
    def add_group(self, path: str, name: str, tier: str = "premium", description: str = "") -> Group:
        if tier not in TIERS:
            raise ValueError(f"tier is one of {TIERS}, not {tier!r}")
        group = Group(self, self.next_id("namespace"), path, name, tier, self.clock.now, description)
        self.groups[group.id] = group
        return group

    @_change
    def add_project(
        self, group: Group, path: str, name: str, creator: User, description: str = ""
    ) -> Project:
        project = Project(
            self, self.next_id("project"), group, path, name, description, self.clock.now, creator
        )
        self.projects[project.id] = project
        group.projects.append(project)
        return project

    @_change
    def update_milestone(
        self,
        milestone: Milestone,
        *,
        start_date: date | None | str = "keep",
        due_date: date | None | str = "keep",
        state: str | None = None,
    ) -> Milestone:
        """Re-plan a milestone's dates or close/activate it."""
        if start_date != "keep":
            milestone.start_date = start_date  # type: ignore[assignment]
        if due_date != "keep":
            milestone.due_date = due_date  # type: ignore[assignment]
        if state is not None:
            if state not in ("active", "closed"):
                raise ValueError(f"a milestone is active or closed, not {state!r}")
            milestone.state = state
        milestone.updated_at = self.clock.now
        return milestone

    def group(self, ref: str) -> Group | None:
        """A group by numeric id or (URL-encoded) full path."""
        return _lookup(self.groups, unquote(ref))

    def project(self, ref: str) -> Project | None:
        """A project by numeric id or (URL-encoded) full path such as `acme%2Fplatform`."""
        return _lookup(self.projects, unquote(ref))

    def cached(self, key: tuple[Any, ...], build: Callable[[], T]) -> T:
        """`build()` kept until the next change: a sync pages through the same list many times."""
        with self.lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] == self.version:
                return hit[1]  # type: ignore[no-any-return]
            value = build()
            self._cache[key] = (self.version, value)
            return value


def _lookup(items: dict[int, Any], ref: str) -> Any:
    if ref.isdigit():
        return items.get(int(ref))
    return next((item for item in items.values() if item.full_path == ref), None)
