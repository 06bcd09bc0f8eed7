"""In-memory Jira site: projects, versions, boards, sprints and issues with their changelogs.

Every change goes through a `JiraSite` method that stamps a time (the clock's now, or an explicit
`at` for the generator, which writes history in the past), bumps the issue's `updated` and appends
the changelog entry Jira would write, with the items in Jira's own shape. Like Jira, values an issue
is created with leave no history, and site-level changes (releasing a version, closing a sprint) do
not touch the `updated` of the issues they show up in.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any, NamedTuple, TypeVar

from emulators.org import Clock

T = TypeVar("T")

# Site-specific custom field ids: deliberately not the ids most Cloud sites use (story points on
# customfield_10016, sprint on customfield_10020), so a client must resolve them from /field.
REQUEST_TYPE_FIELD = "customfield_10010"
EPIC_LINK_FIELD = "customfield_10014"
START_DATE_FIELD = "customfield_10015"
RANK_FIELD = "customfield_10016"
FLAGGED_FIELD = "customfield_10019"
SPRINT_FIELD = "customfield_10021"
STORY_POINTS_FIELD = "customfield_10042"  # "Story Points" (float): the one PAY estimates in
STORY_POINT_ESTIMATE_FIELD = "customfield_10058"  # "Story point estimate" (jsw-story-points): unused

CATEGORY_NAMES = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
SHANGHAI = timezone(timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class User:
    account_id: str
    display_name: str
    email: str | None  # None: the user hides it, so Jira leaves emailAddress out
    time_zone: str
    offset: tzinfo  # the zone's (fixed) offset; timestamps of this user's issues are written in it
    account_type: str = "atlassian"  # "customer" for Jira Service Management portal customers


@dataclass(frozen=True, slots=True)
class Status:
    id: str
    name: str
    category: str  # new | indeterminate | done
    description: str = ""


@dataclass(frozen=True, slots=True)
class Resolution:
    id: str
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class IssueType:
    id: str
    name: str
    description: str
    subtask: bool
    hierarchy_level: int
    avatar_id: int


@dataclass(frozen=True, slots=True)
class Priority:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class RequestType:
    """A Jira Service Management request type: an issue carrying one came in through the portal."""

    id: str
    name: str
    service_desk_id: str
    issue_type_id: str


@dataclass(eq=False, slots=True)
class Project:
    id: int
    key: str
    name: str
    lead: User
    workflow: dict[str, Status]  # status name -> status, in workflow order
    issue_types: tuple[IssueType, ...]


@dataclass(eq=False, slots=True)
class Version:
    id: int
    project: Project
    name: str
    description: str
    sequence: int
    start_date: date | None = None
    release_date: date | None = None
    released: bool = False
    archived: bool = False


@dataclass(eq=False, slots=True)
class Board:
    id: int
    name: str
    type: str  # scrum | kanban
    location: Project  # the project it was created from
    projects: tuple[Project, ...]  # the projects its filter covers


@dataclass(eq=False, slots=True)
class Sprint:
    id: int
    name: str
    board: Board  # originBoardId
    state: str = "future"  # future | active | closed
    goal: str = ""
    start: datetime | None = None
    end: datetime | None = None
    complete: datetime | None = None


class Change(NamedTuple):
    """One changelog item, as Jira writes it (strings, or None where Jira writes null)."""

    field: str
    fieldtype: str
    field_id: str
    from_: str | None
    from_string: str | None
    to: str | None
    to_string: str | None
    from_account: str | None = None  # assignee items carry tmpFromAccountId / tmpToAccountId on Cloud
    to_account: str | None = None


@dataclass(eq=False, slots=True)
class History:
    id: int
    author: User
    created: datetime
    items: list[Change]


@dataclass(eq=False, slots=True)
class Issue:
    id: int
    key: str
    project: Project
    issuetype: IssueType
    summary: str
    description: str
    reporter: User
    created: datetime
    updated: datetime
    status: Status
    status_changed: datetime  # statuscategorychangedate
    priority: Priority
    rank: str
    assignee: User | None = None
    resolution: Resolution | None = None
    resolved: datetime | None = None
    labels: list[str] = field(default_factory=list)
    fix_versions: list[Version] = field(default_factory=list)
    affects: list[Version] = field(default_factory=list)
    sprints: list[Sprint] = field(default_factory=list)
    parent: Issue | None = None
    due: date | None = None
    start_date: date | None = None
    story_points: float | None = None
    original_estimate: int | None = None  # seconds
    time_spent: int | None = None  # seconds
    request_type: RequestType | None = None
    histories: list[History] = field(default_factory=list)

    @property
    def zone(self) -> tzinfo:
        """Jira writes times in one user's zone; the emulator uses the reporter's, to mix offsets."""
        return self.reporter.offset


def _mutation(method: Callable[..., T]) -> Callable[..., T]:
    """Run a site change under the lock and count it, so cached query results know they are stale."""

    @functools.wraps(method)
    def locked(self: JiraSite, *args: Any, **kwargs: Any) -> T:
        with self.lock:
            result = method(self, *args, **kwargs)
            self.revision += 1
            return result

    return locked


def _ms(value: datetime) -> datetime:
    """Jira keeps milliseconds."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _number(value: float | int | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


class JiraSite:
    """A Jira Cloud site (acme.atlassian.net) and the changes a user can make to it."""

    def __init__(
        self, clock: Clock, user_zone: tzinfo = SHANGHAI, user_zone_name: str = "Asia/Shanghai"
    ) -> None:
        self.clock = clock
        self.user_zone = user_zone  # the API user's profile zone: JQL dates are read in it
        self.user_zone_name = user_zone_name
        self.lock = threading.RLock()
        self.revision = 0
        self.users: dict[str, User] = {}
        self.statuses: dict[str, Status] = {}
        self.resolutions: dict[str, Resolution] = {}
        self.issue_types: dict[str, IssueType] = {}
        self.priorities: dict[str, Priority] = {}
        self.request_types: dict[str, RequestType] = {}
        self.projects: dict[str, Project] = {}
        self.versions: dict[int, Version] = {}
        self.boards: dict[int, Board] = {}
        self.sprints: dict[int, Sprint] = {}
        self.issues: dict[int, Issue] = {}  # by id, in creation order
        self.by_key: dict[str, Issue] = {}
        self._children: dict[int, list[Issue]] = {}  # parent id -> children, for `subtasks`
        self.admin: User | None = None  # who acts when a change names no actor
        self.story: Any = None  # what the generator meant the site to show (jira_story.JiraStory)
        self._ids = {kind: itertools.count(start) for kind, start in _ID_STARTS.items()}
        self._issue_numbers: dict[str, itertools.count] = {}

    # -- set-up ---------------------------------------------------------------------------------

    def add(self, *items: User | Status | Resolution | IssueType | Priority | RequestType) -> None:
        """Register the site's users and configuration (statuses, resolutions, issue types, ...);
        the first user added is the admin, who acts when a change names no actor."""
        for item in items:
            attribute, key = _REGISTRY[type(item)]
            getattr(self, attribute)[getattr(item, key)] = item
            if isinstance(item, User) and self.admin is None:
                self.admin = item

    @_mutation
    def create_project(
        self, key: str, name: str, lead: User, workflow: Iterable[str], issue_types: Iterable[str]
    ) -> Project:
        by_name = {status.name: status for status in self.statuses.values()}
        project = Project(
            id=next(self._ids["project"]),
            key=key,
            name=name,
            lead=lead,
            workflow={name: by_name[name] for name in workflow},
            issue_types=tuple(self.issue_types[name] for name in issue_types),
        )
        self.projects[key] = project
        self._issue_numbers[key] = itertools.count(1)
        return project

    @_mutation
    def create_version(
        self,
        project_key: str,
        name: str,
        start_date: date | None = None,
        release_date: date | None = None,
        description: str = "",
    ) -> Version:
        project = self.project(project_key)
        sequence = sum(1 for version in self.versions.values() if version.project is project) + 1
        version = Version(
            next(self._ids["version"]), project, name, description, sequence, start_date, release_date
        )
        self.versions[version.id] = version
        return version

    @_mutation
    def create_board(self, name: str, board_type: str, location: str, projects: Iterable[str] = ()) -> Board:
        keys = list(dict.fromkeys([location, *projects]))
        board = Board(
            next(self._ids["board"]), name, board_type, self.project(location), tuple(map(self.project, keys))
        )
        self.boards[board.id] = board
        return board

    @_mutation
    def create_sprint(
        self,
        board_id: int,
        name: str,
        goal: str = "",
        start: datetime | None = None,
        end: datetime | None = None,
        state: str = "future",
        complete: datetime | None = None,
    ) -> Sprint:
        """A sprint on a scrum board; the generator may create it already active or closed."""
        board = self.board(board_id)
        if board.type != "scrum":
            raise ValueError("The board does not support sprints")
        sprint = Sprint(next(self._ids["sprint"]), name, board, state, goal, start, end, complete)
        self.sprints[sprint.id] = sprint
        return sprint

    # -- look-ups -------------------------------------------------------------------------------

    def project(self, key: str) -> Project:
        try:
            return self.projects[key]
        except KeyError:
            raise KeyError(f"No project could be found with key '{key}'.") from None

    def issue(self, id_or_key: str | int) -> Issue:
        """An issue by id or key (case-insensitive, as Jira looks keys up)."""
        found = (
            self.issues.get(int(id_or_key))
            if str(id_or_key).isdigit()
            else self.by_key.get(str(id_or_key).upper())
        )
        if found is None:
            raise KeyError(f"Issue {id_or_key} does not exist")
        return found

    def children(self, parent: Issue) -> list[Issue]:
        return self._children.get(parent.id, [])

    def version_named(self, project_key: str, name: str) -> Version:
        project = self.project(project_key)
        for version in self.versions.values():
            if version.project is project and version.name == name:
                return version
        raise KeyError(f"{project_key} has no version {name!r}")

    def board(self, board_id: int) -> Board:
        return self.boards[board_id]

    def status_named(self, project: Project, name: str) -> Status:
        try:
            return project.workflow[name]
        except KeyError:
            raise KeyError(f"{project.key}'s workflow has no status {name!r}") from None

    def today(self) -> date:
        """The site's date (in the user's zone), which decides whether a version is overdue."""
        return self.clock.now.astimezone(self.user_zone).date()

    # -- issue changes --------------------------------------------------------------------------

    @_mutation
    def create_issue(
        self,
        project_key: str,
        issuetype: str,
        summary: str,
        reporter: User | None = None,
        assignee: User | None = None,
        priority: str = "Medium",
        labels: Iterable[str] = (),
        fix_versions: Iterable[int] = (),
        affects: Iterable[int] = (),
        sprint: int | None = None,
        parent: str | None = None,
        story_points: float | None = None,
        original_estimate: int | None = None,
        due: date | None = None,
        start_date: date | None = None,
        request_type: str | None = None,
        description: str = "",
        at: datetime | None = None,
    ) -> Issue:
        """Create an issue in its project's first status; like Jira, no changelog for the initial values."""
        project = self.project(project_key)
        when = self._stamp(at)
        issue_id = next(self._ids["issue"])
        first = next(iter(project.workflow.values()))
        issue = Issue(
            id=issue_id,
            key=f"{project.key}-{next(self._issue_numbers[project.key])}",
            project=project,
            issuetype=self.issue_types[issuetype],
            summary=summary,
            description=description,
            reporter=reporter or self._admin(),
            created=when,
            updated=when,
            status=first,
            status_changed=when,
            priority=self.priorities[priority],
            rank=_rank(issue_id),
            assignee=assignee,
            labels=list(dict.fromkeys(labels)),
            fix_versions=[self.versions[version_id] for version_id in fix_versions],
            affects=[self.versions[version_id] for version_id in affects],
            sprints=[] if sprint is None else [self.sprints[sprint]],
            parent=None if parent is None else self.issue(parent),
            due=due,
            start_date=start_date,
            story_points=story_points,
            original_estimate=original_estimate,
            request_type=None if request_type is None else self.request_types[request_type],
        )
        self.issues[issue.id] = issue
        self.by_key[issue.key] = issue
        if issue.parent is not None:
            self._children.setdefault(issue.parent.id, []).append(issue)
        return issue

    @_mutation
    def update_issue(
        self,
        key: str,
        summary: str | None = None,
        assignee: User | None | bool = False,
        labels: Iterable[str] | None = None,
        story_points: float | None | bool = False,
        original_estimate: int | None | bool = False,
        due: date | None | bool = False,
        priority: str | None = None,
        affects: Iterable[int] | None = None,
        actor: User | None = None,
        at: datetime | None = None,
    ) -> Issue:
        """Edit fields in one changelog entry; `False` (the default) leaves a nullable field as it is."""
        issue = self.issue(key)
        items: list[Change] = []
        if summary is not None and summary != issue.summary:
            items.append(Change("summary", "jira", "summary", None, issue.summary, None, summary))
            issue.summary = summary
        if assignee is not False and assignee is not issue.assignee:
            items.append(_assignee_change(issue.assignee, assignee))
            issue.assignee = assignee
        if labels is not None:
            wanted = list(dict.fromkeys(labels))
            if wanted != issue.labels:
                items.append(
                    Change("labels", "jira", "labels", None, " ".join(issue.labels), None, " ".join(wanted))
                )
                issue.labels = wanted
        if story_points is not False and story_points != issue.story_points:
            items.append(
                Change(
                    "Story Points",
                    "custom",
                    STORY_POINTS_FIELD,
                    None,
                    _number(issue.story_points),
                    None,
                    _number(story_points),
                )
            )
            issue.story_points = story_points
        if original_estimate is not False and original_estimate != issue.original_estimate:
            old, new = _number(issue.original_estimate), _number(original_estimate)
            items.append(Change("timeoriginalestimate", "jira", "timeoriginalestimate", old, old, new, new))
            issue.original_estimate = original_estimate
        if due is not False and due != issue.due:
            old_due, new_due = (None if d is None else d.isoformat() for d in (issue.due, due))
            items.append(
                Change(
                    "duedate",
                    "jira",
                    "duedate",
                    old_due,
                    old_due and f"{old_due} 00:00:00.0",
                    new_due,
                    new_due and f"{new_due} 00:00:00.0",
                )
            )
            issue.due = due
        if priority is not None and priority != issue.priority.name:
            new_priority = self.priorities[priority]
            items.append(
                Change(
                    "priority",
                    "jira",
                    "priority",
                    issue.priority.id,
                    issue.priority.name,
                    new_priority.id,
                    new_priority.name,
                )
            )
            issue.priority = new_priority
        if affects is not None:
            items += self._set_versions(issue, "affects", [self.versions[v] for v in affects])
        self._record(issue, items, actor, at)
        return issue

    @_mutation
    def transition(
        self,
        key: str,
        status: str,
        resolution: str | None = None,
        actor: User | None = None,
        at: datetime | None = None,
        time_spent: int | None = None,
    ) -> Issue:
        """Move an issue to `status`. Entering a done status sets a resolution (default "Done", or the
        project's localised one); leaving done clears it, which is how a reopen shows in the changelog.
        `time_spent` logs work in the same change, as a worklog added on the transition screen."""
        issue = self.issue(key)
        target = self.status_named(issue.project, status)
        when = self._stamp(at)
        items = [
            Change("status", "jira", "status", issue.status.id, issue.status.name, target.id, target.name)
        ]
        if target.category == "done" and issue.resolution is None:
            chosen = self.resolutions[resolution or self._default_resolution(issue.project)]
            items.append(Change("resolution", "jira", "resolution", None, None, chosen.id, chosen.name))
            issue.resolution, issue.resolved = chosen, when
        elif target.category != "done" and issue.resolution is not None:
            items.append(
                Change(
                    "resolution", "jira", "resolution", issue.resolution.id, issue.resolution.name, None, None
                )
            )
            issue.resolution, issue.resolved = None, None
        if time_spent:
            old = issue.time_spent
            issue.time_spent = (old or 0) + time_spent
            items.append(
                Change(
                    "timespent",
                    "jira",
                    "timespent",
                    _number(old),
                    _number(old),
                    _number(issue.time_spent),
                    _number(issue.time_spent),
                )
            )
            worklog = str(next(self._ids["worklog"]))
            items.append(Change("WorklogId", "jira", "worklogId", None, None, worklog, worklog))
        if target.category != issue.status.category:
            issue.status_changed = when
        issue.status = target
        self._record(issue, items, actor, when)
        return issue

    @_mutation
    def set_fix_versions(
        self, key: str, version_ids: Iterable[int], actor: User | None = None, at: datetime | None = None
    ) -> Issue:
        """Replace the fix versions; the changelog gets one "Fix Version" item per version added or removed."""
        issue = self.issue(key)
        self._record(
            issue,
            self._set_versions(issue, "fix_versions", [self.versions[v] for v in version_ids]),
            actor,
            at,
        )
        return issue

    @_mutation
    def move_to_sprint(
        self, key: str, sprint_id: int | None, actor: User | None = None, at: datetime | None = None
    ) -> Issue:
        """Put an issue in a sprint (None: back to the backlog). Closed sprints it was in stay in the
        field, as Jira keeps them; the open sprint it was in is replaced."""
        issue = self.issue(key)
        kept = [sprint.id for sprint in issue.sprints if sprint.state == "closed"]
        return self.set_sprints(key, kept + ([] if sprint_id is None else [sprint_id]), actor, at)

    @_mutation
    def set_sprints(
        self, key: str, sprint_ids: Iterable[int], actor: User | None = None, at: datetime | None = None
    ) -> Issue:
        """Set the whole Sprint field (the generator writes past carry-overs with it)."""
        issue = self.issue(key)
        wanted = [self.sprints[sprint_id] for sprint_id in sprint_ids]
        self._record(issue, _sprint_items(issue.sprints, wanted), actor, at)
        issue.sprints = wanted
        return issue

    @_mutation
    def delete_issue(self, key: str) -> None:
        """Delete an issue: it vanishes from search and every endpoint, history and all, as in Jira."""
        issue = self.issue(key)
        del self.issues[issue.id]
        del self.by_key[issue.key]
        for child in self._children.pop(issue.id, []):
            child.parent = None
        if issue.parent is not None:
            self._children[issue.parent.id].remove(issue)

    # -- version and sprint changes --------------------------------------------------------------

    @_mutation
    def release_version(
        self, version_id: int, at: datetime | None = None, keep_release_date: bool = False
    ) -> Version:
        """Release a version. Jira's release dialog writes the day it is released into releaseDate,
        overwriting the plan; `keep_release_date` keeps the planned date as a user may choose to
        (a release made through the API with no date stays without one either way)."""
        version = self.versions[version_id]
        when = self._stamp(at)
        version.released = True
        if not keep_release_date and version.release_date is not None:
            version.release_date = when.astimezone(self.user_zone).date()
        return version

    @_mutation
    def set_release_date(self, version_id: int, release_date: date | None) -> Version:
        """Re-plan a version: Jira keeps no history of the old date (the pipeline must)."""
        version = self.versions[version_id]
        version.release_date = release_date
        return version

    @_mutation
    def start_sprint(self, sprint_id: int, start: datetime, end: datetime) -> Sprint:
        sprint = self.sprints[sprint_id]
        sprint.state, sprint.start, sprint.end = "active", _ms(start), _ms(end)
        return sprint

    @_mutation
    def close_sprint(self, sprint_id: int, move_to: int | None = None, at: datetime | None = None) -> Sprint:
        """Complete a sprint; its unfinished issues move to sprint `move_to` (a Sprint changelog item
        keeping the closed sprint) or stay behind in the backlog (no item), as Jira's dialog offers."""
        sprint = self.sprints[sprint_id]
        when = self._stamp(at)
        sprint.state, sprint.complete = "closed", when
        if move_to is not None:
            target = self.sprints[move_to]
            for issue in list(self.issues.values()):
                if issue.sprints and issue.sprints[-1] is sprint and issue.status.category != "done":
                    wanted = [*issue.sprints, target]
                    self._record(issue, _sprint_items(issue.sprints, wanted), None, when)
                    issue.sprints = wanted
        return sprint

    def advance(self, **delta: float) -> datetime:
        """Move the site's clock forward (`hours=2`, `days=1`); later changes are stamped after it."""
        self.clock.set(self.clock.now + timedelta(**delta))  # Clock refuses to go back
        return self.clock.now

    # -- generator support -----------------------------------------------------------------------

    def renumber_histories(self) -> None:
        """Give changelog entries ids in time order across the site, as Jira's sequence does; the
        generator writes each issue's history in turn, so its ids would otherwise run per issue."""
        with self.lock:
            entries = [history for issue in self.issues.values() for history in issue.histories]
            entries.sort(key=lambda history: history.created)
            for number, history in enumerate(entries, start=_ID_STARTS["history"]):
                history.id = number
            self._ids["history"] = itertools.count(_ID_STARTS["history"] + len(entries))
            self.revision += 1

    # -- helpers --------------------------------------------------------------------------------

    def _admin(self) -> User:
        if self.admin is None:
            raise ValueError("the site has no users yet")
        return self.admin

    def _stamp(self, at: datetime | None) -> datetime:
        return _ms((at or self.clock.now).astimezone(UTC))

    def _default_resolution(self, project: Project) -> str:
        return "完成" if "完成" in project.workflow and "完成" in self.resolutions else "Done"

    def _record(self, issue: Issue, items: list[Change], actor: User | None, at: datetime | None) -> None:
        if not items:
            return
        when = self._stamp(at)
        issue.histories.append(History(next(self._ids["history"]), actor or self._admin(), when, items))
        issue.updated = max(issue.updated, when)

    def _set_versions(self, issue: Issue, attribute: str, wanted: list[Version]) -> list[Change]:
        field_name, field_id = (
            ("Fix Version", "fixVersions") if attribute == "fix_versions" else ("Version", "versions")
        )
        current: list[Version] = getattr(issue, attribute)
        items = [
            Change(field_name, "jira", field_id, str(v.id), v.name, None, None)
            for v in current
            if v not in wanted
        ]
        items += [
            Change(field_name, "jira", field_id, None, None, str(v.id), v.name)
            for v in wanted
            if v not in current
        ]
        setattr(issue, attribute, list(wanted))
        return items


# Where `add` files each kind of configuration, and by which attribute it is looked up.
_REGISTRY: dict[type, tuple[str, str]] = {
    User: ("users", "account_id"),
    Status: ("statuses", "id"),
    Resolution: ("resolutions", "name"),
    IssueType: ("issue_types", "name"),
    Priority: ("priorities", "name"),
    RequestType: ("request_types", "name"),
}
_ID_STARTS = {
    "project": 10000,
    "version": 10100,
    "board": 1,
    "sprint": 1,
    "issue": 10001,
    "history": 100001,
    "worklog": 20001,
}


def _rank(issue_id: int) -> str:
    """A LexoRank-looking value for the Rank field, which is a string, not a number."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    value, text = issue_id * 7, ""
    while value:
        value, rest = divmod(value, 36)
        text = digits[rest] + text
    return f"0|i{text.rjust(5, '0')}:"


def _assignee_change(old: User | None, new: User | None) -> Change:
    return Change(
        "assignee",
        "jira",
        "assignee",
        old and old.account_id,
        old and old.display_name,
        new and new.account_id,
        new and new.display_name,
        old and old.account_id,
        new and new.account_id,
    )


def _sprint_items(old: list[Sprint], new: list[Sprint]) -> list[Change]:
    """Jira writes the whole Sprint field, ids joined with ", " (an empty string, not null, for none)."""
    if [s.id for s in old] == [s.id for s in new]:
        return []
    return [
        Change(
            "Sprint",
            "custom",
            SPRINT_FIELD,
            ", ".join(str(s.id) for s in old),
            ", ".join(s.name for s in old),
            ", ".join(str(s.id) for s in new),
            ", ".join(s.name for s in new),
        )
    ]
