"""In-memory GitHub: repositories with issues, pull requests, milestones, labels, events and releases.

Every change goes through a `Repo` method that stamps the org clock's time, bumps `updated_at` and
appends the issue event GitHub would record, so issue fields, events and milestone counts always
agree. The generator builds its whole history through the same methods.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from emulators.org import Clock

CLOSE_REASONS = ("completed", "not_planned", "duplicate")
# GitHub closes the issues a merged pull request's body names with a closing keyword.
CLOSING_KEYWORD = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)\b", re.IGNORECASE)
# Due dates are whole days; stamping them at 07:00Z keeps the date part the same from UTC-7 to UTC+16.
DUE_HOUR = time(7, 0, tzinfo=UTC)

T = TypeVar("T")


@dataclass(eq=False, slots=True)
class User:
    login: str
    id: int
    type: str = "User"  # "Organization" for the owner, "Bot" for apps
    site_admin: bool = False


@dataclass(eq=False, slots=True)
class Label:
    id: int
    name: str
    color: str
    description: str
    default: bool


@dataclass(eq=False, slots=True)
class Milestone:
    number: int
    id: int
    title: str
    description: str
    creator: User
    created_at: datetime
    updated_at: datetime
    due_on: datetime | None
    state: str = "open"
    closed_at: datetime | None = None


@dataclass(eq=False, slots=True)
class PullRequest:
    id: int  # the pull request id of /pulls; the issue id of /issues is Issue.id
    head_ref: str
    head_sha: str
    base_ref: str
    draft: bool
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None
    merged_by: User | None = None


@dataclass(eq=False, slots=True)
class Issue:
    """An issue, or a pull request's issue half when `pull` is set (they share one number sequence)."""

    number: int
    id: int
    title: str
    body: str | None
    user: User
    created_at: datetime
    updated_at: datetime
    labels: list[Label]
    assignees: list[User]
    milestone: Milestone | None = None
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: User | None = None
    comments: int = 0
    author_association: str = "MEMBER"
    pull: PullRequest | None = None


@dataclass(eq=False, slots=True)
class IssueEvent:
    id: int
    event: str
    actor: User
    created_at: datetime
    issue: Issue
    label: Label | None = None
    milestone_title: str | None = None
    assignee: User | None = None
    assigner: User | None = None
    state_reason: str | None = None
    commit_id: str | None = None
    rename: tuple[str, str] | None = None


@dataclass(eq=False, slots=True)
class ReleaseAsset:
    id: int
    name: str
    content_type: str
    size: int
    download_count: int
    created_at: datetime
    uploader: User


@dataclass(eq=False, slots=True)
class Release:
    id: int
    tag_name: str
    name: str
    body: str
    author: User
    created_at: datetime
    published_at: datetime
    prerelease: bool
    target_commitish: str
    assets: list[ReleaseAsset]


def as_due_on(value: datetime | date | None) -> datetime | None:
    """A milestone due date from a date or an aware datetime, in UTC to the second."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("due_on needs an aware datetime or a date")
        return value.astimezone(UTC).replace(microsecond=0)
    return datetime.combine(value, DUE_HOUR)


def fake_sha(*parts: object) -> str:
    """A commit-like SHA that depends only on its inputs, so generated data stays reproducible."""
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def _mutation(method: Callable[..., T]) -> Callable[..., T]:
    """Run a Repo change under the model lock and mark the repo changed for derived caches."""

    @functools.wraps(method)
    def locked(self: Repo, *args: Any, **kwargs: Any) -> T:
        with self.model.lock:
            result = method(self, *args, **kwargs)
            self.version += 1
            return result

    return locked


class Repo:
    """One repository and the changes a user can make to it, each recorded the way GitHub records it."""

    def __init__(
        self, model: GitHubModel, owner: User, name: str, repo_id: int, created_at: datetime, description: str
    ) -> None:
        self.model = model
        self.owner = owner
        self.name = name
        self.id = repo_id
        self.created_at = created_at
        self.description = description
        self.default_branch = "main"
        self.maintainer = owner  # who acts when a change names no actor
        self.labels: dict[str, Label] = {}
        self.issues: dict[int, Issue] = {}
        self.milestones: dict[int, Milestone] = {}
        self.events: list[IssueEvent] = []  # oldest first: ids grow with time
        self.releases: list[Release] = []
        self.moved: dict[int, tuple[Repo, Issue]] = {}  # old number -> where the issue was transferred
        self.version = 0
        self._next_number = itertools.count(1)
        self._next_milestone = itertools.count(1)
        self._derived: dict[str, tuple[int, Any]] = {}

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    def derived(self, key: str, compute: Callable[[], T]) -> T:
        """A value computed from the repo's state, recomputed only after the repo changed."""
        with self.model.lock:
            hit = self._derived.get(key)
            if hit is None or hit[0] != self.version:
                hit = (self.version, compute())
                self._derived[key] = hit
            return hit[1]

    def milestone_counts(self) -> dict[int, tuple[int, int]]:
        """(open, closed) issues and pull requests per milestone number, as GitHub counts them."""
        return self.derived("milestone_counts", self._count_milestone_items)

    def _count_milestone_items(self) -> dict[int, tuple[int, int]]:
        counts = {number: [0, 0] for number in self.milestones}
        for issue in self.issues.values():
            if issue.milestone is not None:
                counts[issue.milestone.number][issue.state == "closed"] += 1
        return {number: (c[0], c[1]) for number, c in counts.items()}

    # -- changes --------------------------------------------------------------------------------

    @_mutation
    def create_label(self, name: str, color: str, description: str = "", default: bool = False) -> Label:
        label = Label(self.model.next_id("label"), name, color, description, default)
        self.labels[name] = label
        return label

    @_mutation
    def create_milestone(
        self,
        title: str,
        due_on: datetime | date | None = None,
        description: str = "",
        creator: str | None = None,
    ) -> Milestone:
        now = self._now()
        milestone = Milestone(
            number=next(self._next_milestone),
            id=self.model.next_id("milestone"),
            title=title,
            description=description,
            creator=self._actor(creator),
            created_at=now,
            updated_at=now,
            due_on=as_due_on(due_on),
        )
        self.milestones[milestone.number] = milestone
        return milestone

    @_mutation
    def set_milestone_due(self, milestone_number: int, due_on: datetime | date | None) -> Milestone:
        milestone = self._milestone(milestone_number)
        milestone.due_on = as_due_on(due_on)
        milestone.updated_at = self._now()
        return milestone

    @_mutation
    def close_milestone(self, milestone_number: int) -> Milestone:
        milestone = self._milestone(milestone_number)
        milestone.state, milestone.closed_at = "closed", self._now()
        milestone.updated_at = milestone.closed_at
        return milestone

    @_mutation
    def reopen_milestone(self, milestone_number: int) -> Milestone:
        milestone = self._milestone(milestone_number)
        milestone.state, milestone.closed_at = "open", None
        milestone.updated_at = self._now()
        return milestone

    @_mutation
    def create_issue(
        self,
        title: str,
        body: str | None = None,
        labels: Iterable[str] = (),
        milestone: int | None = None,
        assignee: str | None = None,
        user: str | None = None,
        comments: int = 0,
        author_association: str = "MEMBER",
    ) -> Issue:
        """Open an issue; labels, milestone and assignee given at creation get their events too."""
        return self._open(title, body, labels, milestone, assignee, user, comments, author_association, None)

    @_mutation
    def create_pull_request(
        self,
        title: str,
        head_ref: str,
        body: str | None = None,
        user: str | None = None,
        draft: bool = False,
        labels: Iterable[str] = (),
        milestone: int | None = None,
        assignee: str | None = None,
        comments: int = 0,
    ) -> Issue:
        """Open a pull request from `head_ref` into the default branch; it takes the next issue number."""
        pull_id = self.model.next_id("pull")
        pull = PullRequest(pull_id, head_ref, fake_sha(pull_id, head_ref), self.default_branch, draft)
        return self._open(title, body, labels, milestone, assignee, user, comments, "MEMBER", pull)

    def _open(
        self,
        title: str,
        body: str | None,
        labels: Iterable[str],
        milestone: int | None,
        assignee: str | None,
        user: str | None,
        comments: int,
        author_association: str,
        pull: PullRequest | None,
    ) -> Issue:
        now = self._now()
        author = self._actor(user)
        issue = Issue(
            number=next(self._next_number),
            id=self.model.next_id("issue"),
            title=title,
            body=body,
            user=author,
            created_at=now,
            updated_at=now,
            labels=[],
            assignees=[],
            comments=comments,
            author_association=author_association,
            pull=pull,
        )
        self.issues[issue.number] = issue
        for name in labels:
            self._add_label(issue, self._label(name), author)
        if milestone is not None:
            self._move_to_milestone(issue, self._milestone(milestone), author)
        if assignee is not None:
            self._assign(issue, self.model.user(assignee), author)
        self._touch(issue)
        return issue

    @_mutation
    def update_issue(
        self,
        number: int,
        title: str | None = None,
        body: str | None = None,
        labels: Iterable[str] | None = None,
        assignees: Iterable[str] | None = None,
        actor: str | None = None,
    ) -> Issue:
        """Edit an issue like PATCH does: `labels` and `assignees` replace the current lists."""
        issue = self._issue(number)
        who = self._actor(actor)
        if title is not None and title != issue.title:
            self._record("renamed", issue, who, rename=(issue.title, title))
            issue.title = title
        if body is not None:
            issue.body = body
        if labels is not None:
            wanted = [self._label(name) for name in dict.fromkeys(labels)]
            for label in [label for label in issue.labels if label not in wanted]:
                self._remove_label(issue, label, who)
            for label in wanted:
                if label not in issue.labels:
                    self._add_label(issue, label, who)
        if assignees is not None:
            wanted_users = [self.model.user(login) for login in dict.fromkeys(assignees)]
            for gone in [user for user in issue.assignees if user not in wanted_users]:
                issue.assignees.remove(gone)
                self._record("unassigned", issue, who, assignee=gone, assigner=who)
            for user in wanted_users:
                if user not in issue.assignees:
                    self._assign(issue, user, who)
        self._touch(issue)
        return issue

    @_mutation
    def add_labels(self, number: int, *names: str, actor: str | None = None) -> Issue:
        """Add labels an issue does not have yet (POST /issues/{n}/labels)."""
        issue = self._issue(number)
        for label in map(self._label, names):
            if label not in issue.labels:
                self._add_label(issue, label, self._actor(actor))
        self._touch(issue)
        return issue

    @_mutation
    def remove_label(self, number: int, name: str, actor: str | None = None) -> Issue:
        """Remove one label (DELETE /issues/{n}/labels/{name})."""
        issue = self._issue(number)
        label = self._label(name)
        if label not in issue.labels:
            raise ValueError(f"#{number} has no label {name!r}")
        self._remove_label(issue, label, self._actor(actor))
        self._touch(issue)
        return issue

    @_mutation
    def close_issue(
        self,
        number: int,
        state_reason: str = "completed",
        actor: str | None = None,
        commit_id: str | None = None,
    ) -> Issue:
        """Close an issue (completed, not_planned or duplicate) or a pull request without merging it."""
        issue = self._issue(number)
        if state_reason not in CLOSE_REASONS:
            raise ValueError(f"state_reason must be one of {CLOSE_REASONS}, not {state_reason!r}")
        self._close(issue, self._actor(actor), None if issue.pull else state_reason, commit_id)
        return issue

    @_mutation
    def reopen_issue(self, number: int, actor: str | None = None) -> Issue:
        issue = self._issue(number)
        if issue.state != "closed" or (issue.pull and issue.pull.merged_at):
            raise ValueError(f"#{number} is not a closed issue")
        issue.state, issue.closed_at, issue.closed_by = "open", None, None
        issue.state_reason = None if issue.pull else "reopened"
        self._record("reopened", issue, self._actor(actor))
        self._touch(issue)
        return issue

    @_mutation
    def set_milestone(self, number: int, milestone_number: int | None, actor: str | None = None) -> Issue:
        """Move an issue to a milestone, or out of its milestone with None."""
        issue = self._issue(number)
        target = None if milestone_number is None else self._milestone(milestone_number)
        self._move_to_milestone(issue, target, self._actor(actor))
        self._touch(issue)
        return issue

    @_mutation
    def merge_pull_request(self, number: int, actor: str | None = None) -> Issue:
        """Merge a pull request; the issues its body closes by keyword are closed by the merge commit."""
        issue = self._issue(number)
        pull = issue.pull
        if pull is None or issue.state != "open":
            raise ValueError(f"#{number} is not an open pull request")
        who = self._actor(actor)
        pull.merged_at, pull.merged_by, pull.draft = self._now(), who, False
        pull.merge_commit_sha = fake_sha(self.full_name, number, "merge")
        self._record("merged", issue, who, commit_id=pull.merge_commit_sha)
        self._close(issue, who, None, None)
        for closes in CLOSING_KEYWORD.findall(issue.body or ""):
            target = self.issues.get(int(closes))
            if target is not None and target.state == "open" and target.pull is None:
                self._close(target, who, "completed", pull.merge_commit_sha)
        return issue

    @_mutation
    def delete_issue(self, number: int) -> None:
        """Delete an issue: it and its events vanish from every list, as on GitHub."""
        issue = self._issue(number)
        del self.issues[number]
        self.events = [event for event in self.events if event.issue is not issue]
        if issue.milestone is not None:
            issue.milestone.updated_at = self._now()

    @_mutation
    def transfer_issue(self, number: int, target: Repo) -> Issue:
        """Transfer an issue as GitHub does: in `target` it gets a new number and a new id, keeps its
        title, body, author, state and assignees and the labels `target` also has, and loses its
        milestone; here it vanishes like a deleted one, and its old URL answers 301 (see `moved`)."""
        issue = self._issue(number)
        if issue.pull is not None:
            raise ValueError(f"#{number} is a pull request: only issues can be transferred")
        if target is self:
            raise ValueError("an issue is transferred to another repository")
        labels = [label.name for label in issue.labels if label.name in target.labels]
        moved = target.create_issue(
            issue.title,
            issue.body,
            labels=labels,
            user=issue.user.login,
            comments=issue.comments,
            author_association=issue.author_association,
        )
        moved.created_at, moved.assignees = issue.created_at, list(issue.assignees)
        moved.state, moved.state_reason = issue.state, issue.state_reason
        moved.closed_at, moved.closed_by = issue.closed_at, issue.closed_by
        target.version += 1
        self.delete_issue(number)
        self.moved[number] = (target, moved)
        return moved

    @_mutation
    def publish_release(
        self, tag_name: str, name: str, body: str, prerelease: bool = False, author: str | None = None
    ) -> Release:
        now = self._now()
        who = self._actor(author)
        asset = ReleaseAsset(
            id=self.model.next_id("asset"),
            name=f"{self.name}-{tag_name.lstrip('v')}.tar.gz",
            content_type="application/gzip",
            size=1_048_576 + len(self.releases) * 4096,
            download_count=0,
            created_at=now,
            uploader=who,
        )
        release = Release(
            id=self.model.next_id("release"),
            tag_name=tag_name,
            name=name,
            body=body,
            author=who,
            created_at=now,
            published_at=now,
            prerelease=prerelease,
            target_commitish=self.default_branch,
            assets=[asset],
        )
        self.releases.append(release)
        return release

    # -- helpers --------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.model.clock.now

    def _actor(self, login: str | None) -> User:
        return self.maintainer if login is None else self.model.user(login)

    def _issue(self, number: int) -> Issue:
        try:
            return self.issues[number]
        except KeyError:
            raise KeyError(f"{self.full_name} has no issue #{number}") from None

    def _milestone(self, number: int) -> Milestone:
        try:
            return self.milestones[number]
        except KeyError:
            raise KeyError(f"{self.full_name} has no milestone {number}") from None

    def _label(self, name: str) -> Label:
        try:
            return self.labels[name]
        except KeyError:
            raise KeyError(f"{self.full_name} has no label {name!r}") from None

    def _record(self, event: str, issue: Issue, actor: User, **details: Any) -> None:
        self.events.append(
            IssueEvent(self.model.next_id("event"), event, actor, self._now(), issue, **details)
        )

    def _touch(self, issue: Issue) -> None:
        issue.updated_at = self._now()
        if issue.milestone is not None:
            issue.milestone.updated_at = issue.updated_at

    def _add_label(self, issue: Issue, label: Label, actor: User) -> None:
        issue.labels.append(label)
        self._record("labeled", issue, actor, label=label)

    def _remove_label(self, issue: Issue, label: Label, actor: User) -> None:
        issue.labels.remove(label)
        self._record("unlabeled", issue, actor, label=label)

    def _assign(self, issue: Issue, user: User, actor: User) -> None:
        issue.assignees.append(user)
        self._record("assigned", issue, actor, assignee=user, assigner=actor)

    def _move_to_milestone(self, issue: Issue, target: Milestone | None, actor: User) -> None:
        if issue.milestone is target:
            return
        if issue.milestone is not None:
            issue.milestone.updated_at = self._now()
            self._record("demilestoned", issue, actor, milestone_title=issue.milestone.title)
        issue.milestone = target
        if target is not None:
            self._record("milestoned", issue, actor, milestone_title=target.title)

    def _close(self, issue: Issue, actor: User, state_reason: str | None, commit_id: str | None) -> None:
        if issue.state == "closed":
            raise ValueError(f"#{issue.number} is already closed")
        issue.state, issue.state_reason = "closed", state_reason
        issue.closed_at, issue.closed_by = self._now(), actor
        self._record("closed", issue, actor, state_reason=state_reason, commit_id=commit_id)
        self._touch(issue)


class GitHubModel:
    """Every repository and user of the emulated GitHub, with the id sequences they draw from."""

    ID_BASES = {
        "user": 41_000_000,
        "repo": 512_000_000,
        "label": 4_100_000_000,
        "milestone": 9_800_000,
        "issue": 2_400_000_000,
        "pull": 1_600_000_000,
        "event": 13_000_000_000,
        "release": 150_000_000,
        "asset": 170_000_000,
    }

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.repos: dict[str, Repo] = {}  # by lower-case full name: GitHub names are case-insensitive
        self._ids = {kind: itertools.count(base + 1) for kind, base in self.ID_BASES.items()}

    def next_id(self, kind: str) -> int:
        return next(self._ids[kind])

    def add_user(self, login: str, type: str = "User", site_admin: bool = False) -> User:
        with self.lock:
            if login not in self.users:
                self.users[login] = User(login, self.next_id("user"), type, site_admin)
            return self.users[login]

    def user(self, login: str) -> User:
        try:
            return self.users[login]
        except KeyError:
            raise KeyError(f"no GitHub user {login!r}: add it with add_user first") from None

    def create_repo(self, owner: str, name: str, description: str = "") -> Repo:
        with self.lock:
            repo = Repo(self, self.user(owner), name, self.next_id("repo"), self.clock.now, description)
            self.repos[repo.full_name.lower()] = repo
            return repo

    def repo(self, full_name: str) -> Repo | None:
        return self.repos.get(full_name.lower())

    def repo_by_id(self, repo_id: int) -> Repo | None:
        return next((repo for repo in self.repos.values() if repo.id == repo_id), None)
