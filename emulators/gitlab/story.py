"""The demo organisation's GitLab (gitlab.com): a paid group of three projects and a free one.

acme-cloud (Premium: weights, iterations) holds api-gateway, billing and console; acme-oss (Free:
no weight key, iterations refused) holds sdk-python. Days are relative to as_of:

    group milestones (acme-cloud, spanning its three projects)
        Q3 launch    created -176 empty, planned -171 (start -168, due -84), closed -80 with
                     unfinished issues carried into Q4 launch
        Q4 launch    created -100 empty, planned -95 (start -84, due +7); due moved to +21 at -12
        2027 H1      created -20 empty, planned -14 (start +22, due +120)
    project milestones
        api-gateway  v2.3 (-150..-110, closed -108), v2.4 (-105..-30, closed -25), v2.5 (-28..+14)
        billing      2026.10 (-112..-50, closed -45), 2026.11 (-49..-3, still open: overdue)
        console      beta: created -90 without dates, planned -60 (due +30)
        sdk-python   1.0 (due -90, closed -88), 1.1 (due +25)
    iterations      acme-cloud's two-week cadence from -168 to +28 (automatic: null titles); each
                    closes rolling its open issues over into the next, as GitLab's roll-over does
                    (an iteration event by the automation bot, "🤖 GitLab Bot 🤖")

Each issue is created with a kind label (bug, feature, chore) and `workflow::todo`, planned into
a milestone a few days later (some never), worked under `workflow::in progress` then
`workflow::in review` (scoped: each replaces the last, with its remove event), and closed by a
merge request whose description says "Closes #n" (or by hand); the workflow label is then taken
off or set to `workflow::done`. Around that: issues closed then reopened (some closed again),
duplicates, type INCIDENT (with a severity) and TASK beside ISSUE, weights on most paid-tier
issues and null on the rest, estimates and time spent in seconds, due dates moved later, comments,
merge requests closed unmerged and others still open, authors with Chinese and accented names.

Every choice comes from random.Random(f"{seed}:gitlab:<project>"): the same seed, scale and as_of
give the same instance, byte for byte. Scale multiplies the issue counts (about 120 per paid
project and 40 for sdk-python at scale 1).
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from emulators.gitlab.model import GitLabModel, Group, Issue, MergeRequest, Milestone, Project, User
from emulators.org import Clock, Person

DAY = timedelta(days=1)
HISTORY_DAYS = 180
ITERATION_DAYS = 14

GROUPS = (
    ("acme-cloud", "Acme Cloud", "premium"),
    ("acme-oss", "Acme Open Source", "free"),
)


@dataclass(frozen=True)
class MilestonePlan:
    """A milestone: created `created` days from as_of, dated at `planned` (None: never)."""

    title: str
    created: int
    planned: int | None = None
    start: int | None = None
    due: int | None = None
    closed: int | None = None
    moved_due: tuple[int, int] | None = None  # (on day, new due day)


@dataclass(frozen=True)
class ProjectPlan:
    group: str
    path: str
    name: str
    description: str
    issues: int  # at scale 1
    milestones: tuple[MilestonePlan, ...]


GROUP_MILESTONES = {
    "acme-cloud": (
        MilestonePlan("Q3 launch", -176, -171, -168, -84, closed=-80),
        MilestonePlan("Q4 launch", -100, -95, -84, 7, moved_due=(-12, 21)),
        MilestonePlan("2027 H1", -20, -14, 22, 120),
    ),
    "acme-oss": (),
}
PROJECTS = (
    ProjectPlan(
        "acme-cloud", "api-gateway", "API Gateway", "Edge routing, auth and quotas for every Acme API.", 120,
        (
            MilestonePlan("v2.3", -158, -155, -150, -110, closed=-108),
            MilestonePlan("v2.4", -110, -106, -105, -30, closed=-25),
            MilestonePlan("v2.5", -31, -29, -28, 14),
        ),
    ),
    ProjectPlan(
        "acme-cloud", "billing", "Billing", "Invoices, plans and payment providers.", 120,
        (
            MilestonePlan("2026.10", -118, -115, -112, -50, closed=-45),
            MilestonePlan("2026.11", -54, -50, -49, -3),
        ),
    ),
    ProjectPlan(
        "acme-cloud", "console", "Console", "The customer web console (控制台).", 120,
        (MilestonePlan("beta", -90, -60, None, 30),),
    ),
    ProjectPlan(
        "acme-oss", "sdk-python", "SDK for Python", "The open-source Python client.", 40,
        (
            MilestonePlan("1.0", -170, -166, None, -90, closed=-88),
            MilestonePlan("1.1", -92, -90, None, 25),
        ),
    ),
)  # fmt: skip

LABELS = (
    ("bug", "#dc143c", "Something is broken"),
    ("feature", "#428bca", "New functionality"),
    ("chore", "#a8d695", "Upkeep"),
    ("customer", "#ad4363", "Reported or asked for by a customer"),
    ("workflow::todo", "#dbd8d8", "Ready to pick up"),
    ("workflow::in progress", "#1f75cb", "Someone is on it"),
    ("workflow::in review", "#6699cc", "In code review"),
    ("workflow::done", "#69d100", "Merged and verified"),
)
# (kind label, type, cumulative weight): mostly plain issues, some incidents and tasks.
KINDS = (("bug", "ISSUE", 30), ("feature", "ISSUE", 70), ("chore", "TASK", 88), ("bug", "INCIDENT", 100))
WEIGHTS = (1, 2, 3, 5, 8)
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM")
NOUNS = ("rate limiter", "token refresh", "invoice PDF", "webhook retries", "audit log", "SSO login",
         "usage export", "quota alerts", "Unicode names (Zoë, 李娜)", "dashboard filters", "CSV import")  # fmt: skip
TITLES = {
    "bug": ("Fix {noun} failing under load", "{noun} returns 500", "Crash in {noun}"),
    "feature": ("Add {noun}", "Support {noun} in the console", "Improve {noun}"),
    "chore": ("Upgrade dependencies of {noun}", "Clean up {noun}", "Document {noun}"),
}
CLOSING_WORDS = ("Closes", "Fixes", "Resolves", "closes")


class Timeline:
    """Changes to make at given times, replayed in time order; a change may schedule later ones."""

    def __init__(self, clock: Clock, until: datetime) -> None:
        self.clock, self.until = clock, until
        self._queue: list[tuple[datetime, int, Callable[[], object]]] = []
        self._order = itertools.count()

    def at(self, when: datetime, change: Callable[[], object]) -> None:
        if when <= self.until:  # what would happen after as_of has not happened yet
            heapq.heappush(self._queue, (when, next(self._order), change))

    def run(self) -> None:
        while self._queue:
            when, _, change = heapq.heappop(self._queue)
            self.clock.set(max(when, self.clock.now))
            change()


def generate_gitlab(
    seed: int, scale: float, as_of: datetime, people: Sequence[Person], clock: Clock
) -> GitLabModel:
    """The acme GitLab instance as of `as_of`, handed the organisation's `clock` once built.

    The history is stamped on a clock of its own that walks from as_of - HISTORY_DAYS up to as_of.
    """
    story_clock = Clock(as_of - timedelta(days=HISTORY_DAYS))
    model = GitLabModel(story_clock)
    timeline = Timeline(story_clock, as_of)
    story = _Story(model, timeline, as_of, people)
    for plan in PROJECTS:
        rng = random.Random(f"{seed}:gitlab:{plan.path}")  # projects stay independent of each other
        story.schedule_project(plan, rng, max(1, round(plan.issues * scale)))
    timeline.run()
    story_clock.set(as_of)
    model.clock = clock
    return model


@dataclass
class _Story:
    model: GitLabModel
    timeline: Timeline
    as_of: datetime
    people: Sequence[Person]
    groups: dict[str, Group] = field(default_factory=dict)
    users: list[User] = field(default_factory=list)
    members: list[User] = field(default_factory=list)
    customers: list[User] = field(default_factory=list)
    bot: User = field(init=False)

    def __post_init__(self) -> None:
        # GitLab's own user for automated changes, such as an iteration cadence's roll-over.
        self.bot = self.model.add_user("automation-bot", "🤖 GitLab Bot 🤖")
        for person in self.people:
            account = self.model.add_user(person.login, person.name)
            self.users.append(account)
            (self.customers if person.external else self.members).append(account)
        for path, name, tier in GROUPS:
            group = self.groups[path] = self.model.add_group(path, name, tier)
            for plan in GROUP_MILESTONES[path]:
                self._schedule_milestone(plan, group.add_milestone, lambda group=group: group.projects)
        self._schedule_iterations(self.groups["acme-cloud"])

    def moment(self, days: float) -> datetime:
        """as_of + `days` with its time of day squeezed into working hours (09:00-19:00 UTC); the
        mapping keeps order, so a plan's steps stay in sequence."""
        stamp = self.as_of.timestamp() + days * 86400
        into_day = stamp % 86400
        return datetime.fromtimestamp(int(stamp - into_day + 9 * 3600 + into_day * 10 / 24), UTC)

    def day(self, days: int) -> date:
        return (self.as_of + timedelta(days=days)).date()

    # -- milestones and iterations --------------------------------------------------------------

    def _schedule_milestone(
        self, plan: MilestonePlan, create: Callable[..., Milestone], projects: Callable[[], list[Project]]
    ) -> None:
        made: list[Milestone] = []
        self.timeline.at(self.moment(plan.created), lambda: made.append(create(plan.title)))
        if plan.planned is not None:
            start = None if plan.start is None else self.day(plan.start)
            dates = {"start_date": start, "due_date": None if plan.due is None else self.day(plan.due)}
            self.timeline.at(self.moment(plan.planned), lambda: self.model.update_milestone(made[0], **dates))
        if plan.moved_due is not None:
            on, due = plan.moved_due
            self.timeline.at(
                self.moment(on), lambda: self.model.update_milestone(made[0], due_date=self.day(due))
            )
        if plan.closed is not None:
            self.timeline.at(self.moment(plan.closed), lambda: self._close_milestone(made[0], projects()))

    def _close_milestone(self, milestone: Milestone, projects: list[Project]) -> None:
        """Close it, carrying unfinished issues into the next dated milestone of the same owner."""
        self.model.update_milestone(milestone, state="closed")
        siblings = (milestone.group or milestone.project).milestones  # type: ignore[union-attr]
        later = [item for item in siblings if item.state == "active" and item.due_date is not None]
        following = min(later, key=lambda item: item.due_date or date.max, default=None)
        for project in projects:
            for issue in list(project.issues.values()):
                if issue.milestone is milestone and issue.state == "opened" and following is not None:
                    project.set_milestone(issue.iid, self.members[issue.id % len(self.members)], following)

    def _schedule_iterations(self, group: Group) -> None:
        """Two-week iterations created three weeks ahead; each rolls its open issues over on closing."""
        made: list[object] = []
        first = -168
        for number, start in enumerate(range(first, 29, ITERATION_DAYS)):
            start_day, due_day = self.day(start), self.day(start + ITERATION_DAYS - 1)
            created = self.moment(max(start - 21, -HISTORY_DAYS + 1))
            self.timeline.at(created, lambda s=start_day, d=due_day: made.append(group.add_iteration(s, d)))
            if number:
                self.timeline.at(
                    self.moment(start).replace(hour=0, minute=5),
                    lambda n=number: self._roll_over(group, made[n - 1], made[n]),
                )

    def _roll_over(self, group: Group, ended: object, following: object) -> None:
        for project in group.projects:
            for issue in list(project.issues.values()):
                if issue.iteration is ended and issue.state == "opened":
                    project.set_iteration(issue.iid, self.bot, following)  # type: ignore[arg-type]

    # -- projects and issues --------------------------------------------------------------------

    def schedule_project(self, plan: ProjectPlan, rng: random.Random, count: int) -> None:
        group = self.groups[plan.group]
        holder: list[Project] = []

        def create() -> None:
            project = self.model.add_project(group, plan.path, plan.name, self.members[0], plan.description)
            for name, color, description in LABELS:
                project.add_label(name, color, description)
            holder.append(project)

        self.timeline.at(self.as_of - timedelta(days=HISTORY_DAYS), create)
        for milestone in plan.milestones:
            self._schedule_milestone(milestone, lambda title: holder[0].add_milestone(title), lambda: holder)
        created = sorted(rng.uniform(-HISTORY_DAYS + 2, -0.5) for _ in range(count))
        for offset in created:
            _IssuePlan(self, holder, rng, offset).schedule()


class _IssuePlan:
    """One issue's life, drawn up front and scheduled on the timeline."""

    def __init__(self, story: _Story, holder: list[Project], rng: random.Random, created: float) -> None:
        self.story, self.holder, self.rng = story, holder, rng
        self.created = created
        self.issue: Issue | None = None
        self.merge_request: MergeRequest | None = None

    @property
    def project(self) -> Project:
        return self.holder[0]

    def at(self, days: float, change: Callable[[], object]) -> None:
        self.story.timeline.at(self.story.moment(days), lambda: None if self.issue is None else change())

    def schedule(self) -> None:
        rng, story = self.rng, self.story
        roll = rng.uniform(0, 100)
        kind, issue_type = next((kind, kind_type) for kind, kind_type, edge in KINDS if roll < edge)
        customer = issue_type == "INCIDENT" or rng.random() < 0.08
        author = rng.choice(story.customers if customer and story.customers else story.members)
        assignee = rng.choice(story.members)
        title = rng.choice(TITLES[kind]).format(noun=rng.choice(NOUNS))
        weight = rng.choice(WEIGHTS) if rng.random() < 0.7 else None
        estimate = rng.choice((0, 0, 2, 4, 8, 16)) * 3600
        due = self.created + rng.uniform(7, 40) if rng.random() < 0.4 else None
        labels = [kind, "workflow::todo"] + (["customer"] if customer else [])
        severity = rng.choice(SEVERITIES) if issue_type == "INCIDENT" else "UNKNOWN"
        draws = {name: rng.random() for name in ("plan", "milestone", "mr", "reopen", "dup", "done", "move")}
        wait = rng.expovariate(1 / (0.5 if issue_type == "INCIDENT" else 8))
        start = self.created + 0.2 + wait
        review = start + rng.uniform(0.5, 6)
        done = review + rng.uniform(0.2, 3)
        comments = [rng.uniform(self.created, done + 2) for _ in range(rng.randrange(0, 5))]
        spent = [rng.choice((1800, 3600, 5400, 7200)) for _ in range(rng.randrange(0, 4))]
        sha = hashlib.sha1(f"{title}:{self.created}".encode()).hexdigest()
        planned, reopened = self.created + rng.uniform(0.2, 5), done + rng.uniform(1, 6)
        closed_again = reopened + rng.uniform(1, 4)

        def create() -> None:
            project = self.project
            self.issue = project.create_issue(
                author, title, f"Seen on {project.name}.", issue_type, labels, [assignee],
                weight=weight if project.group.premium else None,
                due_date=None if due is None else story.day(int(due)), time_estimate=estimate, severity=severity,
            )  # fmt: skip
            life()  # scheduled only now, so the timeline holds the issues under way, not every step

        def life() -> None:
            for when in comments:
                self.at(when, lambda: self.project.comment(self._iid))
            if draws["dup"] < 0.04:
                self.at(self.created + 0.3, self._close_as_duplicate)
                return
            if draws["plan"] < 0.75:
                self.at(planned, lambda: self._plan(draws["milestone"]))
            if due is not None and draws["move"] < 0.2:
                self.at(
                    start, lambda: self.project.update_issue(self._iid, due_date=story.day(int(due) + 10))
                )
            self.at(start, lambda: self._start(assignee))
            for index, seconds in enumerate(spent):
                when = start + (review - start) * (index + 1) / (len(spent) + 1)
                self.at(when, lambda s=seconds: self._spend(s))
            self.at(review, lambda: self._review(assignee, draws["mr"], sha))
            self.at(done, lambda: self._finish(assignee, draws["mr"], draws["done"], sha))
            if draws["reopen"] < 0.1:
                self.at(reopened, lambda: self.project.reopen_issue(self._iid, author))
                if draws["reopen"] < 0.06:
                    self.at(closed_again, lambda: self.project.close_issue(self._iid, assignee))

        story.timeline.at(story.moment(self.created), create)

    @property
    def _iid(self) -> int:
        assert self.issue is not None
        return self.issue.iid

    def _user(self) -> User:
        return self.story.members[self._iid % len(self.story.members)]

    def _close_as_duplicate(self) -> None:
        original = self.project.issues.get(1 + self._iid * 7 % max(1, self._iid - 1))
        if original is not None and original is not self.issue:
            self.project.close_issue(self._iid, self._user(), duplicate_of=original)

    def _plan(self, draw: float) -> None:
        """Into a dated, open milestone not yet due: the project's own or its group's."""
        today = self.project.model.clock.now.date()
        candidates = [
            item
            for item in self.project.visible_milestones()
            if item.state == "active" and item.due_date is not None and item.due_date >= today
        ]
        if candidates and self.issue is not None and self.issue.state == "opened":
            self.project.set_milestone(self._iid, self._user(), candidates[int(draw * len(candidates))])

    def _start(self, assignee: User) -> None:
        project = self.project
        if self.issue is None or self.issue.state != "opened":
            return
        project.add_labels(self._iid, assignee, ["workflow::in progress"])
        if project.group.premium:
            today = project.model.clock.now.date()
            current = [item for item in project.group.iterations if item.state(today) == 2]
            if current:
                project.set_iteration(self._iid, assignee, current[0])

    def _spend(self, seconds: int) -> None:
        if self.issue is not None and self.issue.state == "opened":
            self.project.spend_time(self._iid, seconds)

    def _review(self, assignee: User, mr_draw: float, sha: str) -> None:
        project = self.project
        if self.issue is None or self.issue.state != "opened":
            return
        project.add_labels(self._iid, assignee, ["workflow::in review"])
        if mr_draw < 0.6:
            word = CLOSING_WORDS[self._iid % len(CLOSING_WORDS)]
            reviewer = self.story.members[(self._iid + 3) % len(self.story.members)]
            self.merge_request = project.create_merge_request(
                assignee,
                f"Draft: {self.issue.title}" if mr_draw < 0.05 else self.issue.title,
                f"{word} #{self._iid}\n\nSee also #{max(1, self._iid - 1)}.",
                f"{self._iid}-{self.issue.title.lower().replace(' ', '-')[:30]}",
                sha,
                milestone=self.issue.milestone,
                reviewers=[reviewer],
                draft=mr_draw < 0.05,
            )

    def _finish(self, assignee: User, mr_draw: float, done_draw: float, sha: str) -> None:
        project = self.project
        if self.issue is None or self.issue.state != "opened":
            return
        merge_request = self.merge_request
        if merge_request is not None and merge_request.draft:
            return  # still a draft: left open, as is its issue
        if merge_request is not None and mr_draw < 0.55:
            project.merge(merge_request.iid, assignee, hashlib.sha1(sha.encode()).hexdigest())
        else:
            if merge_request is not None:
                project.close_merge_request(merge_request.iid, assignee)  # abandoned; fixed by hand
            project.close_issue(self._iid, assignee)
        if done_draw < 0.5:
            project.remove_labels(self._iid, assignee, ["workflow::in review"])
        else:
            project.add_labels(self._iid, assignee, ["workflow::done"])
