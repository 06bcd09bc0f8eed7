"""The demo organisation's Jira site (acme.atlassian.net): versions and sprints in every status.

Two company-managed Cloud projects continue the acme story; days are relative to as_of's date:

PAY (payments; scrum board "PAY board", two-week sprints; story points on "Story Points"
customfield_10042, estimates and time spent on most issues; a classic workflow To Do/In Progress/
In Review/Resolved, closed (Resolved -> Closed) 3-40 days after resolution, until the workflow
migration at -30 moved every Resolved and Closed issue to "已完成" (category done) in one night;
since then issues are resolved straight into 已完成. Story points of -1 (the team's "not
estimated") on three issues, a negative original estimate on one)
    2026.1    released on its day (-147): done_on_time; one post-release bug, fixed: healthy
    2026.2    released on its day (-98): done_on_time; a customer's bug (label `customer`) open
              since six days after release, another through the service desk: failing
    2026.3    due -56, released -49 (Jira overwrote releaseDate with -49) with one issue still
              open, resolved at -47: done_late; an issue reopened after release, still open: watch
    2026.3.1  a hotfix released at -42 without any releaseDate: done (no due date)
    2026.4    due -7, issues left: overdue
    2026.5    due +14, far more left than two weeks of throughput: slipping
    2026.6    due +28, about four weeks of work left: at_risk; `replan` moves it to +49
    2026.7    due +70, a little left: on_track
    2027.1    no dates: no_due_date
    Sprints 1-15 from -200, two weeks each; 15 is active; 6 and 13 closed three days late, the
    rest on their end day; 16 is future with dates, 17 future without. Issues are planned into
    the sprint they finish in, except that sprints 7, 9, 12, 13 and 14 close with issues not done,
    carried into the next sprint (a Sprint changelog item; the Sprint field keeps the closed
    sprint): those are closed_incomplete. Some issues are added mid-sprint, some taken out.

WEB (web; kanban board "WEB flow" with no sprints; localised workflow Backlog/待办/In Bearbeitung/
In Prüfung/完成 and resolution "完成")
    web-2026.07  released a day early (-141): done_on_time, healthy
    web-2026.08  released on its day (-84) with three issues never resolved: closed_incomplete,
                 healthy
    web-2026.09  due -51, released -44 keeping the planned releaseDate, issues resolved after
                 it: done_late
    web-2026.10  released a day early (-22): done_on_time, but six post-release bugs for 20
                 delivered (escaped rate > 0.25): failing
    web-2026.11  due +14, little left: on_track
    web-2026.12  due +21, much left: slipping
    web-later    no dates: no_due_date

Shared: board "Release train" (scrum, created from PAY, filter over PAY and WEB) lists PAY's
sprints again, so a client that walks boards per project counts them twice. Everywhere: scope
creep and removals after a version's start, Won't Do / Won't Fix and Duplicate resolutions,
reopened issues, epics with children, sub-tasks, post-release bugs naming the version in
`versions` (some customer-reported by label or JSM request type, customfield_10010), three
issues deleted (key gaps), and issues with more history than expand=changelog embeds (160 on
one PAY issue, 60 on one WEB issue). Completed-item throughput over the trailing eight weeks is
topped up with chores to a designed weekly pattern, so the forecast statuses above hold.

Scale multiplies the counts (about 220 PAY and 150 WEB issues at scale 1; below 1 the small
counts bend the ratios). Every choice comes from one random.Random: the same seed, scale and
as_of give the same site, byte for byte.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from emulators.jira.model import (
    SHANGHAI,
    Issue,
    IssueType,
    JiraSite,
    Priority,
    RequestType,
    Resolution,
    Sprint,
    Status,
    User,
    Version,
)
from emulators.org import Clock, Person

DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
SPRINT_DAYS = 14
FIRST_SPRINT = -200  # PAY Sprint 1 starts this many days before as_of (a Monday for the demo)
LATE_SPRINTS = (6, 13)  # closed three days after their end
CARRY_OVER_SPRINTS = (7, 9, 12, 13, 14)  # closed with issues not done, carried into the next one
ACTIVE_SPRINT = 15
WINDOW_WEEKS = 8  # metrics.md: forecast.window_weeks
POINTS = (1, 2, 3, 5, 8, 13)

# Fixed offsets (no daylight saving), so a user's offset is the same all year.
ZONES = (
    ("Asia/Shanghai", 8 * 60),
    ("Asia/Shanghai", 8 * 60),
    ("Asia/Tokyo", 9 * 60),
    ("America/Bogota", -5 * 60),
    ("UTC", 0),
    ("Atlantic/Reykjavik", 0),
    ("Africa/Abidjan", 0),
    ("Africa/Lagos", 60),
    ("Asia/Kolkata", 5 * 60 + 30),
    ("America/Lima", -5 * 60),
)


@dataclass(frozen=True)
class VersionPlan:
    """One version's story; days relative to as_of, counts at scale 1."""

    name: str
    start: int | None
    due: int | None
    intent: str  # the project_completion status metrics.md should give it
    released: int | None = None
    keep_date: bool = False  # released keeping the planned releaseDate (else Jira writes the day)
    done: int = 0  # issues completed in it
    left: int = 0  # issues still open at as_of
    late: int = 0  # issues still open at release, resolved two days after it
    added: int = 0  # of done + left: joined after the start
    removed: int = 0  # more issues, taken out of it after the start
    not_planned: int = 0  # more issues, resolved Won't Do / Won't Fix
    duplicate: int = 0  # more issues, resolved Duplicate
    bugs: tuple[
        tuple[int, str | None, int | None], ...
    ] = ()  # post-release: (days after, customer, fix days)
    reopened: int = 0  # done issues reopened a day after and finished again before the release
    reopened_after_release: int = 0
    unresolved: int = 0  # more issues, still open at release and at as_of
    not_estimated: int = 0  # of the done issues: story points -1, a team's "not estimated"
    negative_estimate: int = 0  # of the done issues: an original estimate typed as a negative
    outcome: str | None = None


@dataclass(frozen=True)
class ProjectPlan:
    key: str
    name: str
    workflow: tuple[str, ...]  # first new, then in progress..., done last (where issues resolve)
    not_planned: str
    closed: str | None  # classic workflows close a resolved issue days later: another done status
    migration: tuple[int, str] | None  # (day, done status): every done issue moves there that night
    members: tuple[int, ...]  # indexes into the people
    nouns: tuple[str, ...]
    weekly: tuple[int, ...]  # designed completions per trailing week, oldest first (scale 1)
    versions: tuple[VersionPlan, ...]
    scrum: bool


# fmt: off
PAY = ProjectPlan(
    key="PAY",
    name="Payments",
    workflow=("To Do", "In Progress", "In Review", "Resolved"),
    not_planned="Won't Do",
    closed="Closed",
    migration=(-30, "已完成"),
    members=(0, 1, 2, 9, 3),
    nouns=("card tokenisation", "refund flow", "payout batch", "3-D Secure challenge", "ledger export",
           "退款对账", "chargeback webhook", "SEPA mandate", "FX rate cache", "Gérer les remboursements partiels"),
    weekly=(3, 9, 4, 8, 6, 2, 9, 7),
    scrum=True,
    versions=(
        VersionPlan("2026.1", -200, -147, "done_on_time", released=-147, done=22, added=2, removed=1, not_planned=1,
                    bugs=((5, None, 3),), outcome="healthy"),
        VersionPlan("2026.2", -144, -98, "done_on_time", released=-98, done=22, added=3, removed=1, not_planned=1,
                    duplicate=1, bugs=((6, "label", None), (10, "jsm", 4), (15, None, 6)), outcome="failing",
                    not_estimated=2),
        VersionPlan("2026.3", -95, -56, "done_late", released=-49, done=21, late=1, added=3, removed=2,
                    not_planned=1, bugs=((3, None, 5), (8, "label", 2)), reopened_after_release=1, outcome="watch"),
        VersionPlan("2026.3.1", None, None, "done", released=-42, done=3, outcome="healthy"),
        VersionPlan("2026.4", -46, -7, "overdue", done=12, left=6, added=2, not_planned=1, reopened=1,
                    negative_estimate=1),
        VersionPlan("2026.5", -32, 14, "slipping", done=6, left=30, added=6, removed=1, duplicate=1,
                    not_estimated=1),
        VersionPlan("2026.6", -18, 28, "at_risk", done=3, left=25, added=2),
        VersionPlan("2026.7", -4, 70, "on_track", done=1, left=15),
        VersionPlan("2027.1", None, None, "no_due_date", left=8),
    ),
)
WEB = ProjectPlan(
    key="WEB",
    name="Web",
    workflow=("Backlog", "待办", "In Bearbeitung", "In Prüfung", "完成"),
    not_planned="Won't Fix",
    closed=None,
    migration=None,
    members=(3, 4, 5, 6, 7, 8),
    nouns=("checkout page", "product search", "Safari layout", "cookie banner", "account settings",
           "购物车", "image lazy-loading", "Zahlungsseite", "order history", "accessibility audit"),
    weekly=(3, 5, 2, 6, 4, 3, 5, 4),
    scrum=False,
    versions=(
        VersionPlan("web-2026.07", -172, -140, "done_on_time", released=-141, done=18, added=2, outcome="healthy"),
        VersionPlan("web-2026.08", -137, -84, "closed_incomplete", released=-84, done=18, added=1, not_planned=1,
                    unresolved=3, bugs=((12, None, 4),), outcome="healthy"),
        VersionPlan("web-2026.09", -81, -51, "done_late", released=-44, keep_date=True, done=20, added=2, removed=1,
                    bugs=((4, "jsm", 3),), outcome="healthy"),
        VersionPlan("web-2026.10", -46, -21, "done_on_time", released=-22, done=20, added=2, not_planned=1,
                    duplicate=1, outcome="failing",
                    bugs=((2, None, 3), (3, "jsm", 2), (5, None, None), (7, None, 4), (9, "jsm", 6), (12, None, 5))),
        VersionPlan("web-2026.11", -18, 14, "on_track", done=8, left=3, reopened=1),
        VersionPlan("web-2026.12", -4, 21, "slipping", done=2, left=34, added=3),
        VersionPlan("web-later", None, None, "no_due_date", left=10),
    ),
)
# fmt: on
REPLAN = ("PAY", "2026.6", 21)  # the re-plan a second run sees: releaseDate pushed out three weeks


@dataclass
class JiraStory:
    """What the generated site is meant to show, for tests and for the demo's second run."""

    as_of: datetime
    versions: dict[str, str] = field(default_factory=dict)  # "PAY 2026.1" -> intended status
    outcomes: dict[str, str] = field(default_factory=dict)  # "PAY 2026.2" -> intended outcome status
    sprints: dict[str, str] = field(default_factory=dict)  # "PAY Sprint 6" -> intended status
    shared_board: str = "Release train"
    long_histories: list[str] = field(default_factory=list)  # keys with more history than the embed cap
    deleted: list[str] = field(default_factory=list)  # keys
    open_customer_bug: str = ""  # its key: the bug that fails a delivered-on-time version's outcome
    migrations: dict[str, tuple[datetime, str]] = field(default_factory=dict)  # project -> (when, status)
    not_estimated: list[str] = field(default_factory=list)  # keys with story points -1
    negative_estimates: list[str] = field(default_factory=list)  # keys with a negative original estimate
    replan: tuple[str, str, date] = ("", "", date.min)  # (project, version, new releaseDate)


def generate_jira(
    rng_or_seed: random.Random | int,
    scale: float,
    as_of: datetime,
    clock: Clock | None = None,
    people: Sequence[Person] | None = None,
) -> JiraSite:
    """Build the acme Jira site as of `as_of`; `clock` is shared with the other emulators when given
    (it must stand at as_of), `people` are the organisation's (the demo's by default)."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale}")
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a time zone (UTC)")
    # A seed is spun into its own stream, so that the GitHub story and this one stay independent.
    rng = rng_or_seed if isinstance(rng_or_seed, random.Random) else random.Random(f"{rng_or_seed}:jira")
    if people is None:
        from emulators.generator import PEOPLE  # the demo's people; imported late: generator imports us

        people = PEOPLE
    site = JiraSite(clock or Clock(as_of))
    _Builder(site, rng, scale, as_of.astimezone(UTC), people).build()
    return site


def replan(site: JiraSite) -> Version:
    """Push the story's re-planned version out, as a team does between two nightly runs."""
    project, name, new_date = site.story.replan
    return site.set_release_date(site.version_named(project, name).id, new_date)


# -- building -------------------------------------------------------------------------------------


@dataclass
class _Item:
    """An issue to create and the changes to make to it later, applied in time order."""

    project: str
    kind: str
    summary: str
    created: datetime
    reporter: User
    joined: datetime  # when it joined its version (its creation, unless added later)
    create: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[datetime, str, tuple[Any, ...]]] = field(default_factory=list)
    parent: _Item | None = None
    key: str = ""

    def at(self, when: datetime, action: str, *args: Any) -> None:
        self.events.append((when, action, args))


class _Builder:
    def __init__(
        self, site: JiraSite, rng: random.Random, scale: float, as_of: datetime, people: Sequence[Person]
    ):
        self.site, self.rng, self.scale, self.as_of = site, rng, scale, as_of
        self.today = as_of.date()
        self.items: list[_Item] = []
        self.story = JiraStory(as_of)
        self.users = [_user(person, index) for index, person in enumerate(people) if not person.external]
        self.customers = [_user(person, index) for index, person in enumerate(people) if person.external]
        self.sprints: list[Sprint] = []
        self.versions: dict[str, Version] = {}
        self.noted: dict[str, list[_Item]] = {
            "long_histories": [],
            "open_customer_bug": [],
            "not_estimated": [],
            "negative_estimates": [],
        }

    def n(self, count: int) -> int:
        """A count at this scale (a planned non-zero count stays at least one)."""
        return max(1, round(count * self.scale)) if count else 0

    def day(self, offset: int | None) -> date | None:
        return None if offset is None else self.today + timedelta(days=offset)

    def moment(self, offset: float, zone: tzinfo = UTC) -> datetime:
        """`offset` days after midnight of as_of's date in `zone`."""
        return (datetime.combine(self.today, time(), zone) + timedelta(days=offset)).astimezone(UTC)

    def between(self, start: datetime, end: datetime) -> datetime:
        """A random instant in [start, end] to the millisecond (start when the span is empty)."""
        span = max((end - start).total_seconds(), 0.0)
        return start + timedelta(milliseconds=int(self.rng.random() * span * 1000))

    def build(self) -> None:
        self._configure()
        for plan in (PAY, WEB):
            self._project(plan)
        self._replay()
        self._retire_migrated_statuses()
        self.story.long_histories = [item.key for item in self.noted["long_histories"]]
        self.story.open_customer_bug = self.noted["open_customer_bug"][0].key
        self.story.not_estimated = [item.key for item in self.noted["not_estimated"]]
        self.story.negative_estimates = [item.key for item in self.noted["negative_estimates"]]
        self._sprint_outcomes()
        self.site.renumber_histories()
        project, name, days = REPLAN
        version = self.versions[f"{project} {name}"]
        self.story.replan = (project, name, version.release_date + timedelta(days=days))
        self.site.story = self.story

    # -- the site's configuration --------------------------------------------------------------

    def _configure(self) -> None:
        site = self.site
        site.add(
            *self.users, *self.customers, *STATUSES, *RESOLUTIONS, *ISSUE_TYPES, *PRIORITIES, *REQUEST_TYPES
        )
        kinds = [issue_type.name for issue_type in ISSUE_TYPES]
        for plan in (PAY, WEB):
            later = (plan.closed, plan.migration and plan.migration[1])
            statuses = (*plan.workflow, *[name for name in later if name])
            site.create_project(
                plan.key, plan.name, self.users[plan.members[0] % len(self.users)], statuses, kinds
            )
        pay_board = site.create_board("PAY board", "scrum", "PAY")
        site.create_board("WEB flow", "kanban", "WEB")
        site.create_board(self.story.shared_board, "scrum", "PAY", ["WEB"])
        for number in range(1, ACTIVE_SPRINT + 3):
            self.sprints.append(self._sprint(pay_board.id, number))

    def _sprint(self, board_id: int, number: int) -> Sprint:
        """PAY Sprint `number`: Monday 09:30 to the second Friday 18:00 in Shanghai."""
        name = f"PAY Sprint {number}"
        first = FIRST_SPRINT + SPRINT_DAYS * (number - 1)
        start, end = self.moment(first + 9.5 / 24, SHANGHAI), self.moment(first + 11.75, SHANGHAI)
        goal = f"Finish the {PAY.nouns[number % len(PAY.nouns)]} work"
        if number < ACTIVE_SPRINT:
            late = number in LATE_SPRINTS
            # Closed with every issue done (on time or late) unless issues were carried over: the
            # replay's outcome decides (`_sprint_outcomes`), as a small scale may carry none.
            self.story.sprints[name] = "done_late" if late else "done_on_time"
            complete = end + (3 * DAY + HOUR if late else 20 * MINUTE)
            return self.site.create_sprint(board_id, name, goal, start, end, "closed", complete)
        if number == ACTIVE_SPRINT:
            self.story.sprints[name] = "active"
            return self.site.create_sprint(board_id, name, goal, start, end, "active")
        if number == ACTIVE_SPRINT + 1:
            self.story.sprints[name] = "future"
            return self.site.create_sprint(board_id, name, goal, start, end)
        self.story.sprints[name] = "future, no dates"
        return self.site.create_sprint(board_id, name)

    # -- a project's story ---------------------------------------------------------------------

    def _project(self, plan: ProjectPlan) -> None:
        team = [self.users[index % len(self.users)] for index in plan.members]
        epics = self._epics(plan, team)
        for number, version_plan in enumerate(plan.versions):
            name = f"{plan.key} {version_plan.name}"
            version = self.site.create_version(
                plan.key,
                version_plan.name,
                self.day(version_plan.start),
                self.day(version_plan.due),
                f"{plan.name} {version_plan.name}",
            )
            self.versions[name] = version
            self.story.versions[name] = version_plan.intent
            if version_plan.outcome:
                self.story.outcomes[name] = version_plan.outcome
            self._version_work(
                plan, version_plan, version, team, epics, with_subtasks=plan.scrum and number == 0
            )
        self._long_history(plan, team)
        self._deleted(plan, team)
        self._top_up_throughput(plan, team)
        self._close_and_migrate(plan)

    def _epics(self, plan: ProjectPlan, team: list[User]) -> list[_Item]:
        """Epics (two finished) that most version work hangs under through `parent`."""
        epics = []
        for number, noun in enumerate(plan.nouns[: 4 if plan.scrum else 2]):
            created = self.moment(-215 + 20 * number + self.rng.random(), team[0].offset)
            epic = self._item(plan, "Epic", f"Epic: {noun}", created, team[0])
            epic.at(created + 2 * DAY, "status", plan.workflow[-2])
            if number < 2:
                epic.at(self.moment(-150 + 40 * number), "status", plan.workflow[-1])
            epics.append(epic)
        return epics

    def _version_work(
        self,
        plan: ProjectPlan,
        vp: VersionPlan,
        version: Version,
        team: list[User],
        epics: list[_Item],
        with_subtasks: bool,
    ) -> None:
        release = None if vp.released is None else self.moment(vp.released + 16 / 24, SHANGHAI)
        begins = vp.start if vp.start is not None else -20 if vp.released is None else vp.released - 10
        start = self.moment(begins + 9.5 / 24, team[0].offset)
        finish = release - DAY if release else self.as_of - 2 * HOUR
        done, left, added = self.n(vp.done), self.n(vp.left), self.n(vp.added)
        creeping = (
            {round((number + 0.5) * (done + left) / added) for number in range(added)} if added else set()
        )
        for index in range(done + left):
            item = self._planned(plan, version, team, start, finish, index in creeping, epics)
            if index < done:
                # The last one finishes on the last day, so a version's completion is where the plan says.
                earliest = max(item.joined, start) + DAY
                resolved = finish if index == done - 1 else self.between(earliest, finish)
                if index < vp.reopened:
                    resolved = max(earliest, min(resolved, finish - 4 * DAY))
                self._work(plan, item, team, self.between(item.joined, resolved - 4 * HOUR), resolved)
                self._odd_values(vp, item, index)
                if with_subtasks and index < 2:
                    self._subtasks(plan, item, resolved)
                if index < vp.reopened:
                    self._reopen(plan, item, resolved + DAY, fixed_again=True)
                elif index < vp.reopened + vp.reopened_after_release:
                    self._reopen(plan, item, release + 6 * DAY, fixed_again=False)
            elif self.rng.random() < 0.55:
                self._work(plan, item, team, self.between(item.joined, self.as_of - DAY), None)
            else:
                self._plan_into_next_sprint(plan, item)
        for _ in range(self.n(vp.late)):
            item = self._planned(plan, version, team, start, finish, False, epics)
            self._work(plan, item, team, self.between(item.joined, finish), release + 2 * DAY)
        for _ in range(self.n(vp.unresolved)):
            item = self._planned(plan, version, team, start, finish, False, epics)
            self._work(plan, item, team, self.between(item.joined, finish), None)
        for _ in range(self.n(vp.removed)):
            item = self._planned(plan, version, team, start, finish, False, epics)
            item.at(self.between(start + DAY, finish), "fix", [])
        for _ in range(self.n(vp.not_planned)):
            item = self._planned(plan, version, team, start, finish, False, epics)
            item.at(self.between(start + DAY, finish), "status", plan.workflow[-1], plan.not_planned)
        for _ in range(self.n(vp.duplicate)):
            item = self._planned(plan, version, team, start, finish, False, epics)
            item.at(self.between(start + DAY, finish), "status", plan.workflow[-1], "Duplicate")
        if release:
            self.site.release_version(version.id, release, keep_release_date=vp.keep_date)
        for days_after, customer, fix_days in vp.bugs:
            for _ in range(self.n(1)):
                self._defect(
                    plan,
                    version,
                    team,
                    release + days_after * DAY + self.rng.random() * DAY,
                    customer,
                    fix_days,
                )

    def _odd_values(self, vp: VersionPlan, item: _Item, index: int) -> None:
        """Values Jira accepts that mean nothing: story points -1 (a team's "not estimated") on
        the first done issues, then an original estimate typed as negative, edited in later."""
        if index < self.n(vp.not_estimated):
            item.create["story_points"] = -1.0
            item.events = [event for event in item.events if event[1] != "points"]
            self.noted["not_estimated"].append(item)
        elif index < self.n(vp.not_estimated) + self.n(vp.negative_estimate):
            item.at(item.created + 3 * HOUR, "estimate", -2 * 8 * 3600)  # "-2d"
            self.noted["negative_estimates"].append(item)

    def _planned(
        self,
        plan: ProjectPlan,
        version: Version,
        team: list[User],
        start: datetime,
        finish: datetime,
        creep: bool,
        epics: list[_Item],
    ) -> _Item:
        """An issue of `version`: filed before the start (in it from creation, or added before the
        start), or scope creep (created in it, or pulled in from the backlog, after the start).
        Planned work is stories and tasks: bugs are only post-release defects, so that defects
        attributed by creation time are the ones the story means."""
        kind = "Story" if self.rng.random() < 0.6 else "Task"
        if creep:
            joined = self.between(start + DAY, max(finish - 3 * DAY, start + 2 * DAY))
        else:
            joined = self.between(start - 25 * DAY, start - DAY)
        item = self._item(plan, kind, self._summary(plan, kind), joined, self.rng.choice(team))
        item.joined = joined
        if creep and self.rng.random() < 0.5:
            item.created = joined - 20 * DAY
            item.at(joined, "fix", [version.id])
        elif not creep and self.rng.random() < 0.3:
            item.created = joined - 10 * DAY
            item.at(joined, "fix", [version.id])
        else:
            item.create["fix_versions"] = [version.id]
        if plan.scrum and self.rng.random() < 0.9:
            points = self.rng.choice(POINTS)
            item.create["story_points"] = float(points)
            item.create["original_estimate"] = points * 3 * 3600
            if self.rng.random() < 0.2:
                item.at(
                    item.created + self.rng.randint(1, 5) * HOUR, "points", float(self.rng.choice(POINTS))
                )
        earlier = [epic for epic in epics if epic.created < item.created]
        if earlier and self.rng.random() < 0.6:
            item.parent = self.rng.choice(earlier)
        if self.rng.random() < 0.2 and version.release_date:
            item.create["due"] = version.release_date
        if self.rng.random() < 0.1:
            item.create["priority"] = self.rng.choice(("High", "Highest", "Low"))
        return item

    def _work(
        self, plan: ProjectPlan, item: _Item, team: list[User], started: datetime, resolved: datetime | None
    ) -> None:
        """Assign and start an issue, move it along the workflow and, when `resolved`, finish it
        with the time spent logged on the way (PAY issues also pass through sprints)."""
        started = max(started, item.joined + HOUR)
        worker = self.rng.choice(team)
        item.at(started - HOUR, "assign", worker)
        path = plan.workflow[1:-1]
        end = resolved or self.as_of - HOUR
        for number, status in enumerate(path):
            if resolved is None and number > 0 and self.rng.random() < 0.5:
                break  # still open: somewhere along the way
            item.at(started + (end - started) * 0.9 * number / len(path), "status", status, None, worker)
        if resolved is not None:
            estimate = item.create.get("original_estimate")
            spent = int(estimate * self.rng.uniform(0.6, 1.5)) // 60 * 60 if estimate else None
            item.at(resolved, "status", plan.workflow[-1], None, worker, spent)
        if plan.scrum:
            self._sprint_history(item, started, resolved)

    def _sprint_history(self, item: _Item, started: datetime, resolved: datetime | None) -> None:
        """The sprints an issue passed through: planned into the sprint it finishes in (before its
        start, or mid-sprint when it came later), or into an earlier one its work started in when
        the sprints in between close with issues carried over; carried at each close until done."""
        first = self._sprint_at(started)
        if first is None or first.start is None:
            return
        current = self._sprint_at(resolved) if resolved is not None else self.sprints[ACTIVE_SPRINT - 1]
        while current is not first and current is not None:
            before = self.sprints[self.sprints.index(current) - 1]
            if self._number(before) not in CARRY_OVER_SPRINTS:
                break
            current = before
        if current is None or current.start is None:
            return
        planning = current.start - 2 * HOUR
        if item.joined > planning:
            item.at(item.joined + HOUR, "sprints", [current.id])  # added after the sprint started
        elif planning - item.created < 10 * DAY and self.rng.random() < 0.3:
            item.create["sprint"] = current.id  # filed straight into the coming sprint
        else:
            item.at(planning, "sprints", [current.id])
        held = [current.id]
        following = self._after(current)
        while current.complete and following and (resolved is None or resolved > current.complete):
            held.append(following.id)
            item.at(current.complete, "sprints", list(held))
            current, following = following, self._after(following)

    def _sprint_at(self, when: datetime) -> Sprint | None:
        """The sprint running at `when` (the next one over the weekend between two)."""
        started = [sprint for sprint in self.sprints if sprint.start and sprint.start <= when]
        if not started:
            return None
        current = started[-1]
        if current.complete and when >= current.complete:
            return self._after(current)
        return current

    def _number(self, sprint: Sprint) -> int:
        return self.sprints.index(sprint) + 1

    def _after(self, sprint: Sprint) -> Sprint | None:
        index = self.sprints.index(sprint) + 1
        return self.sprints[index] if index < len(self.sprints) else None

    def _plan_into_next_sprint(self, plan: ProjectPlan, item: _Item) -> None:
        """An open issue nobody started: PAY plans some into the next sprint, and takes one back out."""
        if not plan.scrum or self.rng.random() < 0.5:
            return
        planned = max(item.joined, self.as_of - 3 * DAY) + HOUR
        item.at(planned, "sprints", [self.sprints[ACTIVE_SPRINT].id])
        if self.rng.random() < 0.15:
            item.at(planned + 5 * HOUR, "sprints", [])

    def _subtasks(self, plan: ProjectPlan, parent: _Item, finished: datetime) -> None:
        for number in (1, 2):
            created = parent.created + number * HOUR
            child = self._item(plan, "Sub-task", f"{parent.summary}: part {number}", created, parent.reporter)
            child.parent = parent
            child.at(self.between(created, finished - DAY), "status", plan.workflow[1])
            child.at(finished - number * HOUR, "status", plan.workflow[-1])

    def _reopen(self, plan: ProjectPlan, item: _Item, when: datetime, fixed_again: bool) -> None:
        """A finished issue found broken: fixed again two days later, or (after a release) still being
        fixed, so the release's last resolution, and with it its completion, stays where it was."""
        item.at(when, "status", plan.workflow[1])
        if fixed_again:
            item.at(when + 2 * DAY, "status", plan.workflow[-1])

    def _defect(
        self,
        plan: ProjectPlan,
        version: Version,
        team: list[User],
        created: datetime,
        customer: str | None,
        fix_days: int | None,
    ) -> None:
        """A bug found after `version` shipped, naming it in `versions` (affects version)."""
        reporter = (
            self.rng.choice(self.customers) if customer == "jsm" and self.customers else self.rng.choice(team)
        )
        bug = self._item(
            plan, "Bug", f"{self._noun(plan).capitalize()} fails since {version.name}", created, reporter
        )
        bug.create.update(affects=[version.id], priority="High")
        if customer == "label":
            bug.create["labels"] = ["customer"]
        elif customer == "jsm":
            bug.create["request_type"] = REQUEST_TYPES[0].name
        if fix_days is None and customer:
            self.noted["open_customer_bug"].append(bug)
        self._work(
            plan, bug, team, created + 2 * HOUR, None if fix_days is None else created + fix_days * DAY
        )

    def _long_history(self, plan: ProjectPlan, team: list[User]) -> None:
        """One issue worked on and off for months: more changelog than expand=changelog embeds."""
        version = self.versions[f"{plan.key} {plan.versions[5 if plan.scrum else 4].name}"]
        histories = 160 if plan.scrum else 60
        # Filed before the first release, so no release's defect window counts it by creation time.
        created = self.moment(-150 if plan.scrum else -90, team[0].offset)
        item = self._item(plan, "Bug", f"Flaky {plan.nouns[0]} in nightly runs", created, team[0])
        item.create["fix_versions"] = [version.id]
        self.noted["long_histories"].append(item)
        span = (self.as_of - DAY - created) / histories
        moving = plan.workflow[1:-1]
        for number in range(histories):
            when = created + span * (number + 1)
            if number % 3 == 0:
                item.at(when, "status", moving[(number // 3) % len(moving)], None, team[number % len(team)])
            elif number % 3 == 1:
                item.at(when, "assign", team[(number + 1) % len(team)])
            else:
                item.at(when, "labels", ["flaky"] if number % 2 else ["flaky", "needs-info"])

    def _deleted(self, plan: ProjectPlan, team: list[User]) -> None:
        """Issues filed by mistake and deleted: their keys are gaps."""
        for number in range(2 if plan.scrum else 1):
            created = self.moment(-60 - 7 * number, team[0].offset)
            item = self._item(plan, "Task", "Copy of an email thread (filed by mistake)", created, team[-1])
            item.at(created + HOUR, "delete")

    def _top_up_throughput(self, plan: ProjectPlan, team: list[User]) -> None:
        """Chores resolved in the trailing weeks where the versions' work fell short of `plan.weekly`."""
        window_start = self.as_of - WINDOW_WEEKS * 7 * DAY
        completed = [0] * WINDOW_WEEKS
        for item in self.items:
            if item.project != plan.key or item.kind == "Epic":
                continue
            for when, action, args in item.events:
                finished = (
                    action == "status" and args[0] == plan.workflow[-1] and (len(args) < 2 or args[1] is None)
                )
                if finished and window_start <= when < self.as_of:
                    completed[int((when - window_start) / (7 * DAY))] += 1
        for week, target in enumerate(plan.weekly):
            week_start = window_start + week * 7 * DAY
            for _ in range(max(0, self.n(target) - completed[week])):
                resolved = self.between(week_start + HOUR, week_start + 7 * DAY - 2 * HOUR)
                created = resolved - self.rng.randint(2, 9) * DAY
                chore = self._item(
                    plan, "Task", f"Chore: tidy up {self._noun(plan)}", created, self.rng.choice(team)
                )
                if plan.scrum:
                    points = self.rng.choice((1, 2))
                    chore.create.update(story_points=float(points), original_estimate=points * 3 * 3600)
                self._work(plan, chore, team, self.between(created, resolved - 4 * HOUR), resolved)

    def _close_and_migrate(self, plan: ProjectPlan) -> None:
        """A classic workflow's afterlife of a resolution: Resolved -> Closed some days later, then
        the migration night. Neither touches the resolution or its date."""
        migrated = None
        if plan.migration is not None:
            migrated = self.moment(plan.migration[0] + 2 / 24, SHANGHAI)
            self.story.migrations[plan.key] = (migrated, plan.migration[1])
        for item in self.items:
            if item.project != plan.key:
                continue
            if plan.closed is not None:
                self._close_later(plan.workflow[-1], plan.closed, item, migrated or self.as_of)
            if plan.migration is not None and migrated is not None:
                self._migrate(plan, item, migrated, plan.migration[1])

    def _close_later(self, resolving: str, closed: str, item: _Item, until: datetime) -> None:
        """Close each resolution 3-40 days on, unless the issue is reopened first or `until` comes."""
        item.events.sort(key=lambda event: event[0])
        moves = [(when, args[0]) for when, action, args in item.events if action == "status"]
        for number, (when, status) in enumerate(moves):
            if status != resolving:
                continue
            closing = when + self.rng.randint(3, 40) * DAY + self.rng.randint(0, 8) * HOUR
            following = moves[number + 1][0] if number + 1 < len(moves) else self.as_of
            if closing < min(following, until, self.as_of):
                item.at(closing, "status", closed)

    def _migrate(self, plan: ProjectPlan, item: _Item, migrated: datetime, target: str) -> None:
        """The migration night moves a Resolved or Closed issue to `target`; resolutions after it
        go straight into `target`."""
        item.events.sort(key=lambda event: event[0])
        before = [args[0] for when, action, args in item.events if action == "status" and when < migrated]
        item.events = [
            (when, action, (target, *args[1:]))
            if action == "status" and when >= migrated and args[0] == plan.workflow[-1]
            else (when, action, args)
            for when, action, args in item.events
        ]
        if before and before[-1] in (plan.workflow[-1], plan.closed):
            item.at(migrated, "status", target)

    def _retire_migrated_statuses(self) -> None:
        """After its migration a project's workflow no longer offers the statuses it replaced, so
        later changes (tests, faults, benches) resolve into the new one."""
        for plan in (PAY, WEB):
            if plan.migration is not None:
                workflow = self.site.project(plan.key).workflow
                for name in (plan.workflow[-1], plan.closed):
                    workflow.pop(name or "", None)

    def _sprint_outcomes(self) -> None:
        """A closed sprint holding an issue not done at its close closed incomplete (one reopened
        after the close was done in it); the replay decides, as a small scale may carry none over."""
        for sprint in self.sprints:
            if sprint.complete is None:
                continue
            unfinished = [
                issue
                for issue in self.site.issues.values()
                if sprint in issue.sprints and not self._done_at(issue, sprint.complete)
            ]
            if unfinished:
                self.story.sprints[sprint.name] = "closed_incomplete"

    def _done_at(self, issue: Issue, when: datetime) -> bool:
        """Whether the issue's status was in the done category at `when`, from its changelog."""
        moves = [
            item.to
            for history in issue.histories
            if history.created <= when
            for item in history.items
            if item.field == "status"
        ]
        return bool(moves) and self.site.statuses[moves[-1] or ""].category == "done"

    # -- helpers -------------------------------------------------------------------------------

    def _item(self, plan: ProjectPlan, kind: str, summary: str, created: datetime, reporter: User) -> _Item:
        item = _Item(plan.key, kind, summary, created, reporter, joined=created)
        item.create["description"] = f"{summary}.\n\nFiled by {reporter.display_name}."
        self.items.append(item)
        return item

    def _noun(self, plan: ProjectPlan) -> str:
        return self.rng.choice(plan.nouns)

    def _summary(self, plan: ProjectPlan, kind: str) -> str:
        verbs = STORY_VERBS if kind == "Story" else TASK_VERBS
        return f"{self.rng.choice(verbs)} {self._noun(plan)}"

    # -- replay --------------------------------------------------------------------------------

    def _replay(self) -> None:
        """Create every issue in creation order (ids and keys grow with time), then make each one's
        changes in time order through the site's own change methods."""
        site = self.site
        ordered = sorted(enumerate(self.items), key=lambda pair: (pair[1].created, pair[0]))
        for _, item in ordered:
            parent = item.parent.key if item.parent is not None else None
            issue = site.create_issue(
                item.project,
                item.kind,
                item.summary,
                reporter=item.reporter,
                parent=parent,
                at=item.created,
                **item.create,
            )
            item.key = issue.key
        for _, item in ordered:
            for when, action, args in sorted(item.events, key=lambda event: event[0]):
                if when <= self.as_of and item.key in site.by_key:
                    self._apply(item.key, when, action, args)

    def _apply(self, key: str, when: datetime, action: str, args: tuple[Any, ...]) -> None:
        site = self.site
        if action == "status":
            status, resolution, actor, spent = (*args, None, None, None)[:4]
            if site.issue(key).status.name != status:
                site.transition(key, status, resolution, actor, when, spent)
        elif action == "fix":
            site.set_fix_versions(key, args[0], None, when)
        elif action == "sprints":
            site.set_sprints(key, args[0], None, when)
        elif action == "assign":
            site.update_issue(key, assignee=args[0], at=when)
        elif action == "points":
            site.update_issue(key, story_points=args[0], at=when)
        elif action == "estimate":
            site.update_issue(key, original_estimate=args[0], at=when)
        elif action == "labels":
            site.update_issue(key, labels=args[0], at=when)
        elif action == "delete":
            site.delete_issue(key)
            self.story.deleted.append(key)


def _user(person: Person, index: int) -> User:
    zone_name, minutes = ZONES[index % len(ZONES)]
    digest = hashlib.sha1(person.login.encode()).hexdigest()
    account = f"712020:{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    email = None if index % 3 == 2 or person.external else f"{person.login}@acme.example"
    return User(
        account_id=account,
        display_name=person.name,
        email=email,
        time_zone=zone_name,
        offset=timezone(timedelta(minutes=minutes)),
        account_type="customer" if person.external else "atlassian",
    )


STATUSES = (
    Status("10000", "To Do", "new"),
    Status(
        "3",
        "In Progress",
        "indeterminate",
        "This issue is being actively worked on at the moment by the assignee.",
    ),
    Status("10001", "In Review", "indeterminate"),
    Status("5", "Resolved", "done", "A resolution has been taken, and it is awaiting verification."),
    Status("6", "Closed", "done", "The issue is considered finished, the resolution is correct."),
    Status("10008", "已完成", "done"),
    Status("10003", "Backlog", "new"),
    Status("10004", "待办", "new"),
    Status("10005", "In Bearbeitung", "indeterminate"),
    Status("10006", "In Prüfung", "indeterminate"),
    Status("10007", "完成", "done"),
)
RESOLUTIONS = (
    Resolution("10000", "Done", "Work has been completed on this issue."),
    Resolution("10001", "Won't Do", "This issue won't be actioned."),
    Resolution("10002", "Duplicate", "The problem is a duplicate of an existing issue."),
    Resolution("10003", "Cannot Reproduce", "This issue couldn't be reproduced."),
    Resolution("10004", "Won't Fix", "The problem described is an issue which will never be fixed."),
    Resolution("10005", "完成", "此问题的工作已完成。"),
)
ISSUE_TYPES = (
    IssueType("10000", "Epic", "A big user story that needs to be broken down.", False, 1, 10307),
    IssueType("10001", "Story", "Functionality or a feature expressed as a user goal.", False, 0, 10315),
    IssueType("10002", "Task", "A small, distinct piece of work.", False, 0, 10318),
    IssueType("10004", "Bug", "A problem or error.", False, 0, 10303),
    IssueType("10003", "Sub-task", "A small piece of work that's part of a larger task.", True, -1, 10316),
)
REQUEST_TYPES = (
    RequestType("12", "Report a bug", "3", "10004"),
    RequestType("13", "Payment problem", "3", "10004"),
)
STORY_VERBS = ("Support", "Let merchants use", "Redesign", "Speed up")
TASK_VERBS = ("Update", "Migrate", "Document", "Monitor")
PRIORITIES = (
    Priority("1", "Highest"),
    Priority("2", "High"),
    Priority("3", "Medium"),
    Priority("4", "Low"),
    Priority("5", "Lowest"),
)
