"""The demo organisation's GitHub history: repos whose milestones end up in every status.

Relative to as_of, each repo has these milestones (M = the repo's major version):

    vM.0     closed on time (every item closed before due_on); then many post-release bugs, one
             from a customer still open: delivered on time, outcome failing
    vM.1     closed late, its scope grown by vM.0's bugs; an item reopened after release: watch
    vM.1.1   a hotfix released without a due date
    vM.2     closed on time four weeks ago; its 30-day defect window is still running
    vM.3     open and overdue (due six days ago, items left, one of them reopened)
    vM.4     open, due in 10-17 days with much left: slipping (web, api) or at risk (mobile)
    vM+1.0   open, due in six weeks, few items left, steady throughput: on track
vM.2, vM.3 and vM+1.0 are created empty and planned (their first items milestoned) one, two and
three days later, as teams open a milestone before the planning meeting fills it.
    Backlog  open, no due date

Around them: scope creep, items removed from milestones, not_planned and duplicate closures,
reopened issues, bugs (some customer-reported) only where they are meant to count as
post-release defects, pull requests that close issues ("Fixes #N"), some naming Jira keys.

The history is replayed through the model's own change methods in time order, so every issue
field, event and milestone count agrees and event ids grow with time, as on GitHub.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from emulators.github.model import GitHubModel, Issue, Milestone, Repo
from emulators.org import Clock, Person

DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
HISTORY_DAYS = 185  # repos are created this long before as_of; issues follow
DEFECT_WINDOW = timedelta(days=30)  # metrics.md: outcomes.post_release_window_days
ORG = "acme"
BOT = "dependabot[bot]"
When = TypeVar("When", datetime, timedelta)

LABELS = (
    ("bug", "d73a4a", "Something isn't working", True),
    ("enhancement", "a2eeef", "New feature or request", True),
    ("documentation", "0075ca", "Improvements or additions to documentation", True),
    ("customer", "c5def5", "Asked for by a customer", False),
    ("customer-reported", "e99695", "Reported by a customer", False),
    ("in progress", "fbca04", "Someone is working on it", False),
)


@dataclass(frozen=True)
class RepoPlan:
    name: str
    description: str
    major: int
    jira_keys: tuple[str, ...]  # projects whose keys pull requests mention
    lead: str
    members: tuple[str, ...]
    themes: dict[str, str]  # milestone role -> what it delivers
    nouns: tuple[str, ...]  # what issues are about
    near_due_days: int  # the near-due milestone's due date, days after as_of
    near_due_open: int  # and how many of its items are still open (at scale 1)


@dataclass(frozen=True)
class MilestonePlan:
    """One milestone's story; days are relative to as_of, counts are at scale 1."""

    role: str
    version: str | None  # "{M}.1" etc.; None: the backlog
    start: int
    due: int | None
    closed: int | None
    items: int
    creep: int = 0  # of `items`, joined after the baseline
    removed: int = 0  # of the baseline, moved out later
    open_left: int = 0
    not_planned: int = 0
    duplicate: int = 0
    reopened: int = 0
    defects: int = 0  # bugs created after release, in its defect window
    customer_defects: int = 0  # of those, customer-reported (the first stays open)
    reopened_after_release: int = 0
    lead_days: int = 20  # how long before the start the baseline items were filed
    planned_after: int = 0  # days the milestone stays empty after its creation before it is planned
    bugs_only: bool = False


MILESTONES = (
    MilestonePlan("backlog", None, start=-180, due=None, closed=None, items=10, open_left=8, not_planned=2),
    MilestonePlan(
        "on_time", "{M}.0", start=-172, due=-120, closed=-122, items=20, creep=2, removed=1,
        not_planned=1, duplicate=1, reopened=1, defects=6, customer_defects=2,
    ),
    MilestonePlan(
        "late", "{M}.1", start=-125, due=-78, closed=-64, items=22, creep=5, removed=2,
        not_planned=1, reopened=1, defects=2, reopened_after_release=1,
    ),
    MilestonePlan(
        "no_due", "{M}.1.1", start=-72, due=None, closed=-57, items=8, lead_days=7, bugs_only=True,
    ),
    MilestonePlan(
        "recent", "{M}.2", start=-62, due=-26, closed=-28, items=16, creep=2,
        not_planned=1, defects=2, customer_defects=1, planned_after=1,
    ),
    MilestonePlan(
        "overdue", "{M}.3", start=-50, due=-6, closed=None, items=16, creep=2, open_left=6,
        not_planned=1, reopened=1, planned_after=2,
    ),
    # Its due date and open items are the repo's (RepoPlan.near_due_days, near_due_open).
    MilestonePlan(
        "near_due", "{M}.4", start=-40, due=None, closed=None, items=30, creep=6, removed=2, not_planned=1,
    ),
    MilestonePlan(
        "on_track", "{N}.0", start=-30, due=42, closed=None, items=14, creep=1, open_left=4, planned_after=3,
    ),
)  # fmt: skip
# Where post-release bugs are scheduled: into the milestone being worked on, as scope creep.
DEFECTS_JOIN = {"on_time": "late", "recent": "near_due"}

REPO_PLANS = (
    RepoPlan(
        name="web",
        description="Customer web shop",
        major=3,
        jira_keys=("WEB",),
        lead="li-na",
        members=("jose-alvarez", "zoe-mueller", "sam-taylor"),
        themes={
            "on_time": "Checkout redesign",
            "late": "Accounts",
            "no_due": "Hotfix",
            "recent": "Search",
            "overdue": "Notifications",
            "near_due": "Payments UI",
            "on_track": "Platform",
        },
        nouns=("checkout page", "cart", "login form", "search results", "profile page", "payment form"),
        near_due_days=10,
        near_due_open=20,
    ),
    RepoPlan(
        name="api",
        description="Payments API",
        major=1,
        jira_keys=("PAY",),
        lead="priya-raman",
        members=("wang-fang", "bjorn-lindqvist", "ngozi-okafor"),
        themes={
            "on_time": "Refunds",
            "late": "Webhooks",
            "no_due": "Hotfix",
            "recent": "Invoices",
            "overdue": "Ledger sync",
            "near_due": "Rate limits",
            "on_track": "Multi-currency",
        },
        nouns=("/payments endpoint", "refund service", "webhook retries", "auth tokens", "invoice export"),
        near_due_days=12,
        near_due_open=18,
    ),
    RepoPlan(
        name="mobile",
        description="iOS and Android apps",
        major=5,
        jira_keys=("WEB", "PAY"),
        lead="emilie-durand",
        members=("kenji-sato", "zoe-mueller", "jose-alvarez"),
        themes={
            "on_time": "Onboarding",
            "late": "Offline mode",
            "no_due": "Hotfix",
            "recent": "Widgets",
            "overdue": "Push notifications",
            "near_due": "Biometric login",
            "on_track": "Tablet layout",
        },
        nouns=("Android app", "iOS widget", "offline mode", "push notifications", "onboarding flow"),
        near_due_days=17,
        near_due_open=12,
    ),
)

BUG_TITLES = (
    "{Noun} crashes when {condition}",
    "Wrong total shown on {noun}",
    "{Noun} times out under load",
    "{Noun} returns 500 when {condition}",
    "{Noun} layout broken on small screens",
)
CONDITIONS = (
    "the session expires",
    "the name has accents (José, Zoë)",
    "the locale is zh-CN (简体中文)",
    "two tabs are open",
    "the network drops",
)
FEATURE_TITLES = (
    "Add export to {noun}",
    "Support dark mode in {noun}",
    "Improve {noun} performance",
    "Allow retries in {noun}",
    "Show history on {noun}",
)
DOC_TITLES = ("Document {noun}", "Update README for {noun}", "Add examples for {noun}")
# What a new issue is (label, "" for none) with cumulative weights: 35% bugs, 45% features, ...
ISSUE_KINDS = (("bug", "enhancement", "documentation", ""), (35, 80, 90, 100))
ISSUE_KINDS_IN_WINDOW = (("enhancement", "documentation", ""), (70, 85, 100))


@dataclass(eq=False)
class Ref:
    """The number of an issue, pull request or milestone, known once the replay has created it."""

    number: int = 0


@dataclass(eq=False)
class Timeline:
    """Changes to make at given times; `replay` makes them in time order through the model."""

    until: datetime
    _actions: list[tuple[datetime, int, Callable[[], object]]] = field(default_factory=list)
    _order: itertools.count = field(default_factory=itertools.count)

    def at(self, when: datetime, action: Callable[[], object]) -> None:
        if when > self.until:
            raise ValueError(f"a story change at {when} is after as_of {self.until}")
        self._actions.append((when, next(self._order), action))

    def replay(self, clock: Clock) -> None:
        self._actions.sort(key=lambda item: (item[0], item[1]))
        for when, _, action in self._actions:
            clock.set(when)
            action()
        self._actions.clear()


def build_github(
    model: GitHubModel, people: Sequence[Person], seed: int, scale: float, as_of: datetime
) -> None:
    """Fill `model` with the acme organisation's repos and their whole history up to as_of."""
    model.add_user(ORG, type="Organization")
    model.add_user(BOT, type="Bot")
    for person in people:
        model.add_user(person.login)
    externals = tuple(person.login for person in people if person.external)
    timeline = Timeline(as_of)
    for plan in REPO_PLANS:
        rng = random.Random(f"{seed}:github:{plan.name}")  # repos stay independent of each other
        RepoStory(model, timeline, plan, rng, as_of, scale, externals).schedule()
    timeline.replay(model.clock)


class RepoStory:
    """Schedules one repo's history on the shared timeline."""

    def __init__(
        self,
        model: GitHubModel,
        timeline: Timeline,
        plan: RepoPlan,
        rng: random.Random,
        as_of: datetime,
        scale: float,
        externals: tuple[str, ...],
    ) -> None:
        self.model, self.timeline, self.plan, self.rng = model, timeline, plan, rng
        self.as_of, self.scale, self.externals = as_of, scale, externals
        self.repo: Repo | None = None
        self.born = as_of - HISTORY_DAYS * DAY
        self.milestones = {plan.role: Ref() for plan in MILESTONES}
        self.dates = {role: self._dates(role) for role in self.milestones}
        self.releases = sorted(dates[2] for dates in self.dates.values() if dates[2] is not None)

    # -- the plan -------------------------------------------------------------------------------

    def schedule(self) -> None:
        self.timeline.at(self.born, self._create_repo)
        for milestone in MILESTONES:
            self._schedule_milestone(milestone)
        self._background_issues(self.count(12))
        self._chore_pull_requests(self.count(8))

    def _create_repo(self) -> None:
        self.repo = self.model.create_repo(ORG, self.plan.name, self.plan.description)
        self.repo.maintainer = self.model.user(self.plan.lead)
        for name, color, description, default in LABELS:
            self.repo.create_label(name, color, description, default)

    def _dates(self, role: str) -> tuple[datetime, date | None, datetime | None]:
        """(start, due day, closed) of a milestone, shifted a few days per repo so repos differ."""
        plan = next(item for item in MILESTONES if item.role == role)
        moved = self.as_of + timedelta(days=self.rng.randint(-2, 2), hours=self.rng.randint(0, 8))
        due_days = self.plan.near_due_days if role == "near_due" else plan.due
        due = None if due_days is None else (moved + due_days * DAY).date()
        closed = None if plan.closed is None else moved + plan.closed * DAY
        return moved + plan.start * DAY, due, closed

    def count(self, at_scale_one: int) -> int:
        """How many at this scale; never rounded down to none, so small scales keep every part of the story."""
        return max(1, round(at_scale_one * self.scale)) if at_scale_one else 0

    def _schedule_milestone(self, plan: MilestonePlan) -> None:
        start, due, closed = self.dates[plan.role]
        ref = self.milestones[plan.role]
        title = "Backlog" if plan.version is None else self._title(plan)
        description = "Ideas and requests not planned yet" if plan.version is None else f"Scope of {title}"

        self._later(start, lambda: self._repo.create_milestone(title, due, description, self.plan.lead), ref)
        end = closed or self.as_of
        total, creep = self.count(plan.items), self.count(plan.creep)
        open_left = self.count(self.plan.near_due_open if plan.role == "near_due" else plan.open_left)
        fates = (
            ["not_planned"] * self.count(plan.not_planned)
            + ["duplicate"] * self.count(plan.duplicate)
            + ["open"] * open_left
        )
        fates += ["done"] * max(1, total - len(fates) - self.count(plan.removed))
        self.rng.shuffle(fates)
        fates = ["removed"] * self.count(plan.removed) + fates  # removed items come from the baseline
        baseline = max(1, len(fates) - creep)
        # Which items get reopened: baseline items that are still open in an open milestone (closed,
        # reopened, still open) or done in a closed one; and, after the release, other done items.
        still_open = "open" if closed is None else "done"
        workable = [index for index in range(baseline) if fates[index] in ("done", "open")]
        workable.sort(key=lambda index: fates[index] != still_open)
        reopened = set(workable[: self.count(plan.reopened)])
        done = [index for index, fate in enumerate(fates) if fate == "done" and index not in reopened]
        after_release = set(
            done[-self.count(plan.reopened_after_release) :] if plan.reopened_after_release else ()
        )
        # Done items close in consecutive slices of the milestone's time, so throughput is steady.
        finishing = [index for index, fate in enumerate(fates) if fate == "done"]
        step = (end - 3 * HOUR - start - DAY) / max(1, len(finishing))
        slices = {
            index: (start + DAY + k * step, start + DAY + (k + 1) * step) for k, index in enumerate(finishing)
        }
        for index, fate in enumerate(fates):
            if index < baseline:  # filed before the milestone existed, put in it on its planning day
                created = self.between(max(start - plan.lead_days * DAY, self.born + HOUR), start)
                joined = start + plan.planned_after * DAY + self.between(10 * MINUTE, 10 * HOUR)
            else:  # scope creep: filed after the planning, into the milestone at once or after a while
                created = self.between(start + (plan.planned_after + 2) * DAY, end - 4 * DAY)
                joined = created if self.rng.random() < 0.5 else created + self.between(MINUTE, DAY)
            labels = self.labels_for(created, bug=plan.bugs_only)
            issue = self._open_issue(created, labels, milestone=ref if joined == created else None)
            if joined != created:
                self.timeline.at(
                    joined, lambda issue=issue: self._repo.set_milestone(issue.number, ref.number)
                )
            self._fate(
                issue,
                fate,
                ref,
                joined,
                end,
                labels,
                index in reopened,
                index in after_release,
                slices.get(index),
            )
        if closed is not None:
            self.timeline.at(closed, lambda: self._repo.close_milestone(ref.number))
            self.timeline.at(closed + MINUTE, lambda: self._publish(title, plan, ref))
            self._defects(plan, closed)
        if plan.role == "on_track":
            candidate = f"{self._tag(plan)}-rc.1"
            self.timeline.at(
                self.as_of - 5 * DAY,
                lambda: self._repo.publish_release(
                    candidate, f"{title} (release candidate)", "", prerelease=True
                ),
            )

    def _fate(
        self,
        issue: Ref,
        fate: str,
        milestone: Ref,
        joined: datetime,
        end: datetime,
        labels: list[str],
        reopen: bool,
        reopen_after_release: bool,
        finish: tuple[datetime, datetime] | None,
    ) -> None:
        """Everything that happens to a milestone item after it joined; done items finish in `finish`."""
        if fate == "done":
            assert finish is not None, "every done item has its slice of time"
            # Not before a day after joining; a reopened item needs days to be closed, reopened, finished.
            earliest = joined + (4 if reopen else 1) * DAY
            closed = min(self.between(max(finish[0], earliest), max(finish[1], earliest)), end - 3 * HOUR)
            self._work(issue, joined, closed, labels, reopen=reopen, milestone=milestone)
            if reopen_after_release:
                again = end + self.between(2 * DAY, 4 * DAY)
                self.timeline.at(again, lambda: self._repo.reopen_issue(issue.number, actor=self.plan.lead))
                fixed = again + self.between(DAY, 3 * DAY)
                self.timeline.at(fixed, lambda: self._repo.close_issue(issue.number, actor=self.plan.lead))
        elif fate == "open":
            self._open_work(issue, joined, labels, reopen=reopen)
        elif fate in ("not_planned", "duplicate"):
            when = self.between(joined + DAY, end - DAY)
            self.timeline.at(when, lambda: self._repo.close_issue(issue.number, fate, actor=self.plan.lead))
        else:  # removed: back to the backlog, or out of any milestone
            moved = self.between(joined + 2 * DAY, end - 2 * DAY)
            target = self.milestones["backlog"] if self.rng.random() < 0.5 else None
            self.timeline.at(
                moved,
                lambda: self._repo.set_milestone(issue.number, target and target.number, self.plan.lead),
            )

    def _defects(self, plan: MilestonePlan, released: datetime) -> None:
        """Bugs filed after a release, inside its defect window and before the next release."""
        later = [when for when in self.releases if when > released]
        window_end = min([released + DEFECT_WINDOW - DAY, self.as_of - DAY, *[when - HOUR for when in later]])
        customers = self.count(plan.customer_defects)
        joins = DEFECTS_JOIN.get(plan.role)
        for index in range(self.count(plan.defects)):
            customer = index < customers
            if customer and index == 0:
                # The customer's bug nobody fixed: filed late in the window, so the newest
                # release's is younger than 14 days (a watch), the older ones' are not (failing).
                created = self.between(max(released + 6 * HOUR, window_end - 10 * DAY), window_end)
                labels = ["bug", "customer-reported"]
                self._open_issue(created, labels, author=self.rng.choice(self.externals), association="NONE")
                continue
            created = self.between(released + 6 * HOUR, window_end)
            labels = ["bug", "customer-reported"] if customer else ["bug"]
            issue = self._open_issue(created, labels)
            if joins is not None and not customer:
                joined = created + self.between(2 * HOUR, DAY)
                target = self.milestones[joins]
                self.timeline.at(
                    joined,
                    lambda issue=issue, target=target: self._repo.set_milestone(
                        issue.number, target.number, self.plan.lead
                    ),
                )
            else:
                joined = created
            fixed = min(joined + self.between(2 * DAY, 10 * DAY), self.as_of - HOUR)
            self._work(issue, joined, fixed, labels, reopen=False)

    def _background_issues(self, how_many: int) -> None:
        """Issues in no milestone: questions, docs, small fixes."""
        for _ in range(how_many):
            created = self.between(self.as_of - (HISTORY_DAYS - 5) * DAY, self.as_of - 2 * DAY)
            labels = self.labels_for(created)
            issue = self._open_issue(created, labels)
            roll = self.rng.random()
            if roll < 0.6:
                done = min(created + self.between(DAY, 20 * DAY), self.as_of - HOUR)
                self._work(issue, created, done, labels, reopen=False)
            elif roll < 0.7:
                when = min(created + 3 * DAY, self.as_of - HOUR)
                self.timeline.at(
                    when, lambda issue=issue: self._repo.close_issue(issue.number, "not_planned")
                )

    def _chore_pull_requests(self, how_many: int) -> None:
        """Pull requests that close no issue: dependency bumps, refactors, one abandoned spike."""
        for index in range(how_many):
            created = self.between(self.as_of - 170 * DAY, self.as_of - 3 * DAY)
            noun = self.rng.choice(self.plan.nouns)
            if index % 2 == 0:
                version = f"2.{self.rng.randint(10, 40)}.{self.rng.randint(0, 9)}"
                title, branch, body, author = (
                    f"Bump requests from 2.31.0 to {version}",
                    f"dependabot/pip/requests-{version}",
                    f"Bumps [requests](https://github.com/psf/requests) from 2.31.0 to {version}.",
                    BOT,
                )
            else:
                title = f"Refactor {noun}"
                branch, body, author = f"chore/{slug(title)}", "No behaviour change.", self.member()
            pull = self._later(
                created,
                lambda title=title, branch=branch, body=body, author=author: self._repo.create_pull_request(
                    title, branch, body, user=author
                ),
            )
            finished = min(created + self.between(HOUR, 3 * DAY), self.as_of - HOUR)
            if index == how_many - 1 and how_many > 2:
                self.timeline.at(finished, lambda pull=pull: self._repo.close_issue(pull.number))
            else:
                self.timeline.at(finished, lambda pull=pull: self._repo.merge_pull_request(pull.number))

    # -- one item's work ------------------------------------------------------------------------

    def _work(
        self,
        issue: Ref,
        joined: datetime,
        closed: datetime,
        labels: list[str],
        reopen: bool,
        milestone: Ref | None = None,
    ) -> None:
        """Someone picks the issue up, maybe opens a pull request that fixes it, and it gets closed."""
        who = self.member()
        reopen = reopen and closed - joined >= 4 * DAY
        started = self.between(max(joined, closed - 6 * DAY), closed - (3 * DAY if reopen else 2 * HOUR))
        self.timeline.at(started, lambda: self._repo.update_issue(issue.number, assignees=[who]))
        if self.rng.random() < 0.5:
            self.timeline.at(started, lambda: self._repo.add_labels(issue.number, "in progress", actor=who))
            self.timeline.at(closed + MINUTE, lambda: self._repo.remove_label(issue.number, "in progress"))
        if reopen:  # closed too early, reopened, finished later
            first = self.between(started + HOUR, closed - 2 * DAY)
            self.timeline.at(first, lambda: self._repo.close_issue(issue.number, actor=who))
            again = first + self.between(4 * HOUR, DAY)
            self.timeline.at(again, lambda: self._repo.reopen_issue(issue.number, actor=self.plan.lead))
        if self.rng.random() < 0.45:
            opened = self.between(started + HOUR, closed - HOUR)
            # Some pull requests sit in the milestone too: GitHub then counts them in its totals.
            in_milestone = milestone if milestone is not None and self.rng.random() < 0.2 else None
            pull = self._fixing_pull(issue, opened, who, labels, draft=False, milestone=in_milestone)
            self.timeline.at(closed, lambda: self._repo.merge_pull_request(pull.number, actor=self.plan.lead))
        else:
            self.timeline.at(closed, lambda: self._repo.close_issue(issue.number, actor=who))

    def _open_work(self, issue: Ref, joined: datetime, labels: list[str], reopen: bool) -> None:
        """An item still open at as_of: in progress (assigned, maybe a draft pull request) or not started."""
        if reopen:
            first = self.between(joined + DAY, self.as_of - 3 * DAY)
            self.timeline.at(first, lambda: self._repo.close_issue(issue.number, actor=self.plan.lead))
            again = first + self.between(DAY, 2 * DAY)
            self.timeline.at(again, lambda: self._repo.reopen_issue(issue.number))
            joined = again
        if self.rng.random() < 0.4:
            return
        who = self.member()
        started = self.between(joined + HOUR, self.as_of - DAY)
        self.timeline.at(started, lambda: self._repo.update_issue(issue.number, assignees=[who]))
        if self.rng.random() < 0.5:
            self.timeline.at(started, lambda: self._repo.add_labels(issue.number, "in progress", actor=who))
        if self.rng.random() < 0.5:
            opened = self.between(started + HOUR, self.as_of - HOUR)
            self._fixing_pull(issue, opened, who, labels, draft=self.rng.random() < 0.4)

    def _fixing_pull(
        self,
        issue: Ref,
        opened: datetime,
        author: str,
        labels: list[str],
        draft: bool,
        milestone: Ref | None = None,
    ) -> Ref:
        """A pull request whose body closes the issue; some name a Jira key in title and branch."""
        key = None
        if self.rng.random() < 0.3:
            key = f"{self.rng.choice(self.plan.jira_keys)}-{self.rng.randint(1, 120)}"
        kind = "fix" if "bug" in labels else "feature"
        comments = self.rng.randint(0, 9)

        def open_it() -> Issue:
            title = self._repo.issues[issue.number].title
            branch = f"{kind}/{key or issue.number}-{slug(title)}"
            body = f"Fixes #{issue.number}"
            if key is not None:
                title, body = f"{key}: {title}", f"{body}\n\nJira: {key}"
            return self._repo.create_pull_request(
                title,
                branch,
                body,
                user=author,
                draft=draft,
                labels=labels[:1],  # the issue's kind: bug, enhancement or documentation
                milestone=milestone.number if milestone else None,
                assignee=author,
                comments=comments,
            )

        return self._later(opened, open_it)

    def _open_issue(
        self,
        created: datetime,
        labels: list[str],
        milestone: Ref | None = None,
        author: str | None = None,
        association: str = "MEMBER",
    ) -> Ref:
        title, body = self._text(labels)
        author = author or self.member()
        comments = self.rng.randint(0, 6)
        return self._later(
            created,
            lambda: self._repo.create_issue(
                title,
                body,
                labels,
                milestone.number if milestone else None,
                user=author,
                comments=comments,
                author_association=association,
            ),
        )

    def _later(self, when: datetime, create: Callable[[], Issue | Milestone], ref: Ref | None = None) -> Ref:
        """Create something at `when`; the returned Ref learns its number then."""
        ref = Ref() if ref is None else ref

        def run() -> None:
            ref.number = create().number

        self.timeline.at(when, run)
        return ref

    def _publish(self, title: str, plan: MilestonePlan, ref: Ref) -> None:
        """The release of a closed milestone, listing what it delivered."""
        delivered = [
            item
            for item in self._repo.issues.values()
            if item.milestone is not None
            and item.milestone.number == ref.number
            and item.pull is None
            and item.state_reason == "completed"
        ]
        lines = [f"- {item.title} (#{item.number})" for item in delivered[:20]]
        if len(delivered) > 20:
            lines.append(f"- and {len(delivered) - 20} more")
        body = "## What's changed\n" + "\n".join(lines)
        self._repo.publish_release(self._tag(plan), title, body)

    # -- small helpers --------------------------------------------------------------------------

    @property
    def _repo(self) -> Repo:
        assert self.repo is not None, "the repo is created by the timeline's first change"
        return self.repo

    def _version(self, plan: MilestonePlan) -> str:
        return (plan.version or "").format(M=self.plan.major, N=self.plan.major + 1)

    def _tag(self, plan: MilestonePlan) -> str:
        """The release tag, semver style: v3.1 -> v3.1.0."""
        parts = self._version(plan).split(".")
        return "v" + ".".join(parts + ["0"] * (3 - len(parts)))

    def _title(self, plan: MilestonePlan) -> str:
        return f"v{self._version(plan)} {self.plan.themes[plan.role]}"

    def member(self) -> str:
        return self.rng.choice((self.plan.lead, *self.plan.members))

    def between(self, low: When, high: When) -> When:
        """A time (or a duration) drawn evenly from [low, high] to the second; `low` if that is empty."""
        span = int((high - low).total_seconds())
        offset = timedelta(seconds=self.rng.randint(0, span)) if span > 0 else timedelta(0)
        return low + offset

    def labels_for(self, created: datetime, bug: bool = False) -> list[str]:
        """Labels of a new issue. Bugs only outside release defect windows: inside one, a bug would
        count as a post-release defect of that release, and those are placed on purpose."""
        in_window = any(release <= created <= release + DEFECT_WINDOW for release in self.releases)
        if bug and not in_window:
            return ["bug"]
        kinds, cumulative_weights = ISSUE_KINDS_IN_WINDOW if in_window else ISSUE_KINDS
        kind = self.rng.choices(kinds, cum_weights=cumulative_weights)[0]
        labels = [kind] if kind else []
        if kind == "bug" and self.rng.random() < 0.15:
            labels.append("customer-reported")
        if kind == "enhancement" and self.rng.random() < 0.12:
            labels.append("customer")
        return labels

    def _text(self, labels: list[str]) -> tuple[str, str]:
        noun = self.rng.choice(self.plan.nouns)
        if "bug" in labels:
            pattern = self.rng.choice(BUG_TITLES)
            body = f"Steps to reproduce:\n1. Open the {noun}\n2. Watch it fail"
        elif "documentation" in labels:
            pattern, body = self.rng.choice(DOC_TITLES), "The docs do not say how this works."
        else:
            pattern, body = self.rng.choice(FEATURE_TITLES), "Users keep asking for this."
        if "customer-reported" in labels:
            body += f"\n\nCustomer ticket CS-{self.rng.randint(1000, 9999)} (客户反馈)."
        title = pattern.format(
            noun=noun, Noun=noun[:1].upper() + noun[1:], condition=self.rng.choice(CONDITIONS)
        )
        return title, body


def slug(text: str) -> str:
    """A branch-name fragment: lower-case ASCII words joined by dashes."""
    ascii_text = text.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:40].rstrip("-")
