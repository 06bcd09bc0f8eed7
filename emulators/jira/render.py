"""Jira JSON shapes, built from the official and recorded examples (emulators/jira/templates/).

Objects with an example take its keys in its order, and every one of them must be filled (`shaped`);
optional keys Jira leaves out when empty (a version's releaseDate, a user's hidden emailAddress, a
sprint's dates) are dropped after. Issue fields follow the recorded Cloud issue's system fields, then
this site's custom fields from its /field list. URLs start at the site's base URL as the client
reached it, because clients follow `self`/`nextPage` links. v3 writes rich text as Atlassian
Document Format; v2 (and Data Center) as plain strings.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from emulators.jira.model import (
    CATEGORY_NAMES,
    EPIC_LINK_FIELD,
    FLAGGED_FIELD,
    RANK_FIELD,
    REQUEST_TYPE_FIELD,
    SPRINT_FIELD,
    START_DATE_FIELD,
    STORY_POINT_ESTIMATE_FIELD,
    STORY_POINTS_FIELD,
    Board,
    Change,
    History,
    Issue,
    IssueType,
    JiraSite,
    Priority,
    Project,
    Resolution,
    Sprint,
    Status,
    User,
    Version,
)
from emulators.shapes import shaped, templates_in

TEMPLATES = Path(__file__).parent / "templates"
AVATARS = "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ISSUE_EXPAND = "operations,versionedRepresentations,editmeta,changelog,customfield_10010.requestTypePractice,renderedFields"
# The recorded site's custom field ids -> this site's, so that no role sits on the id most sites use.
FIELD_ID_CHANGES = {
    "customfield_10036": STORY_POINTS_FIELD,  # Story Points (float)
    "customfield_10016": STORY_POINT_ESTIMATE_FIELD,  # Story point estimate (jsw-story-points)
    "customfield_10020": SPRINT_FIELD,  # Sprint (gh-sprint)
    "customfield_10021": FLAGGED_FIELD,
    "customfield_10019": RANK_FIELD,  # Rank (gh-lexo-rank)
}


template = templates_in(TEMPLATES)


def _issue_example() -> dict[str, Any]:
    return template("goatl_issue_v3")


def _history_example() -> dict[str, Any]:
    return template("spec_issue_changelog")["values"][0]


# -- scalars ------------------------------------------------------------------------------------


def timestamp(value: datetime | None, zone: tzinfo) -> str | None:
    """Jira's `2026-06-12T08:15:36.123+0800`: milliseconds, no colon in the offset."""
    if value is None:
        return None
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond // 1000:03d}{local:%z}"


def agile_timestamp(value: datetime | None) -> str | None:
    """The agile API's `2026-11-16T01:00:00.000Z`."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def user_day(value: date) -> str:
    """The user's date format, as in userReleaseDate: `6/Jul/2010`."""
    return f"{value.day}/{MONTHS[value.month - 1]}/{value.year}"


def duration(seconds: int) -> str:
    """Jira's `1w 2d 3h 20m` with a 5-day week and 8-hour day (`-2d` for a negative estimate)."""
    if seconds < 0:
        return f"-{duration(-seconds)}"
    parts, rest = [], seconds // 60
    for unit, size in (("w", 5 * 8 * 60), ("d", 8 * 60), ("h", 60), ("m", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0m"


def text(value: str | None, api: int) -> Any:
    """A rich-text field: ADF in v3, the plain string in v2; null when empty."""
    if not value:
        return None
    if api == 2:
        return value
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]} for line in value.split("\n\n")
    ]
    return {"version": 1, "type": "doc", "content": paragraphs}


def _without_none(value: dict[str, Any], *optional: str) -> dict[str, Any]:
    return {key: item for key, item in value.items() if not (key in optional and item is None)}


# -- site objects -------------------------------------------------------------------------------


@cache
def user(value: User, base: str, api: int) -> dict[str, Any]:
    """Cached per user and base: the same few people appear thousands of times; do not mutate."""
    size = {f"{n}x{n}": f"{AVATARS}/{value.account_id}/{n}?size={n}&s={n}" for n in (48, 24, 16, 32)}
    shaped_user = shaped(
        _issue_example()["fields"]["reporter"],
        {
            "self": f"{base}/rest/api/{api}/user?accountId={value.account_id}",
            "accountId": value.account_id,
            "emailAddress": value.email,
            "avatarUrls": size,
            "displayName": value.display_name,
            "active": True,
            "timeZone": value.time_zone,
            "accountType": value.account_type,
        },
    )
    return _without_none(shaped_user, "emailAddress")


def maybe_user(value: User | None, base: str, api: int) -> dict[str, Any] | None:
    return None if value is None else user(value, base, api)


@cache
def status_category(key: str, base: str, api: int) -> dict[str, Any]:
    number, name, color = CATEGORY_NAMES[key]
    return shaped(
        _issue_example()["fields"]["status"]["statusCategory"],
        {
            "self": f"{base}/rest/api/{api}/statuscategory/{number}",
            "id": number,
            "key": key,
            "colorName": color,
            "name": name,
        },
    )


@cache
def status(value: Status, base: str, api: int) -> dict[str, Any]:
    return shaped(
        _issue_example()["fields"]["status"],
        {
            "self": f"{base}/rest/api/{api}/status/{value.id}",
            "description": value.description,
            "iconUrl": f"{base}/images/icons/statuses/generic.png",
            "name": value.name,
            "id": value.id,
            "statusCategory": status_category(value.category, base, api),
        },
    )


def status_details(value: Status, base: str, api: int) -> dict[str, Any]:
    """An item of GET /status: the status plus its untranslated name."""
    return {**status(value, base, api), "untranslatedName": value.name}


@cache
def issue_type(value: IssueType, base: str, api: int) -> dict[str, Any]:
    return shaped(
        _issue_example()["fields"]["issuetype"],
        {
            "self": f"{base}/rest/api/{api}/issuetype/{value.id}",
            "id": value.id,
            "description": value.description,
            "iconUrl": f"{base}/rest/api/2/universal_avatar/view/type/issuetype/avatar/{value.avatar_id}?size=medium",
            "name": value.name,
            "subtask": value.subtask,
            "avatarId": value.avatar_id,
            "hierarchyLevel": value.hierarchy_level,
        },
    )


@cache
def priority(value: Priority, base: str, api: int) -> dict[str, Any]:
    return shaped(
        _issue_example()["fields"]["priority"],
        {
            "self": f"{base}/rest/api/{api}/priority/{value.id}",
            "iconUrl": f"{base}/images/icons/priorities/{value.name.lower()}.svg",
            "name": value.name,
            "id": value.id,
        },
    )


@cache
def resolution(value: Resolution, base: str, api: int) -> dict[str, Any]:
    return {
        "self": f"{base}/rest/api/{api}/resolution/{value.id}",
        "id": value.id,
        "description": value.description,
        "name": value.name,
    }


def project(value: Project, base: str, api: int) -> dict[str, Any]:
    avatar = f"{base}/rest/api/{api}/universal_avatar/view/type/project/avatar/10408"
    return shaped(
        _issue_example()["fields"]["project"],
        {
            "self": f"{base}/rest/api/{api}/project/{value.id}",
            "id": str(value.id),
            "key": value.key,
            "name": value.name,
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": {size: f"{avatar}?size={name}" for size, name in _AVATAR_SIZES.items()},
        },
    )


_AVATAR_SIZES = {"48x48": "large", "24x24": "small", "16x16": "xsmall", "32x32": "medium"}


def version_ref(value: Version, base: str, api: int) -> dict[str, Any]:
    """A version as issues' fixVersions/versions show it."""
    return _without_none(
        {
            "self": f"{base}/rest/api/{api}/version/{value.id}",
            "id": str(value.id),
            "description": value.description,
            "name": value.name,
            "archived": value.archived,
            "released": value.released,
            "releaseDate": day(value.release_date),
        },
        "releaseDate",
    )


def version(value: Version, site: JiraSite, base: str, api: int) -> dict[str, Any]:
    """A version of /project/{key}/version(s)."""
    release, start = value.release_date, value.start_date
    values = {
        "self": f"{base}/rest/api/{api}/version/{value.id}",
        "id": str(value.id),
        "description": value.description,
        "name": value.name,
        "archived": value.archived,
        "released": value.released,
        "startDate": day(start),
        "releaseDate": day(release),
        "overdue": bool(release and not value.released and release < site.today()),
        "userStartDate": None if start is None else user_day(start),
        "userReleaseDate": None if release is None else user_day(release),
        "projectId": value.project.id,
    }
    example = template("spec_project_version_paginated")["values"][0]
    return _without_none(
        shaped(example, values), "startDate", "releaseDate", "userStartDate", "userReleaseDate"
    )


def versions_status(value: Version, site: JiraSite) -> dict[str, int]:
    """expand=issuesstatus: the version's issues counted by status category."""
    counts = {"done": 0, "inProgress": 0, "toDo": 0, "unmapped": 0}
    names = {"done": "done", "indeterminate": "inProgress", "new": "toDo"}
    for issue in site.issues.values():
        if value in issue.fix_versions:
            counts[names.get(issue.status.category, "unmapped")] += 1
    return counts


def board(value: Board, base: str) -> dict[str, Any]:
    location = value.location
    return shaped(
        template("goatl_agile_board"),
        {
            "id": value.id,
            "self": f"{base}/rest/agile/1.0/board/{value.id}",
            "name": value.name,
            "type": value.type,
            "location": shaped(
                template("goatl_agile_board")["location"],
                {
                    "projectId": location.id,
                    "displayName": f"{location.name} ({location.key})",
                    "projectName": location.name,
                    "projectKey": location.key,
                    "projectTypeKey": "software",
                    "avatarURI": "/rest/api/2/universal_avatar/view/type/project/avatar/10408?size=small",
                    "name": f"{location.name} ({location.key})",
                },
            ),
        },
    )


def sprint(value: Sprint, base: str) -> dict[str, Any]:
    """A sprint of the agile API; dates (and an empty goal) are left out while unset, as Jira does."""
    values = {
        "id": value.id,
        "self": f"{base}/rest/agile/1.0/sprint/{value.id}",
        "state": value.state,
        "name": value.name,
        "startDate": agile_timestamp(value.start),
        "endDate": agile_timestamp(value.end),
        "completeDate": agile_timestamp(value.complete),
        "originBoardId": value.board.id,
        "goal": value.goal or None,
    }
    return _without_none(
        shaped(template("gojira_agile_board_sprints")["values"][0] | {"goal": ""}, values), *_SPRINT_OPTIONAL
    )


_SPRINT_OPTIONAL = ("startDate", "endDate", "completeDate", "goal")


def sprint_field(value: Sprint) -> dict[str, Any]:
    """A sprint as the Sprint custom field holds it on an issue."""
    entry = {
        "id": value.id,
        "name": value.name,
        "state": value.state,
        "boardId": value.board.id,
        "goal": value.goal or None,
        "startDate": agile_timestamp(value.start),
        "endDate": agile_timestamp(value.end),
        "completeDate": agile_timestamp(value.complete),
    }
    return _without_none(entry, *_SPRINT_OPTIONAL)


@cache
def field_list() -> list[dict[str, Any]]:
    """This site's /field: the recorded site's fields with custom ids moved (FIELD_ID_CHANGES)."""
    fields = []
    for entry in template("goatl_fields_v3"):
        new_id = FIELD_ID_CHANGES.get(entry["id"])
        if new_id is not None:
            old_number, new_number = (
                entry["id"].removeprefix("customfield_"),
                new_id.removeprefix("customfield_"),
            )
            entry = {
                **entry,
                "id": new_id,
                "key": new_id,
                "clauseNames": [
                    name.replace(f"cf[{old_number}]", f"cf[{new_number}]") for name in entry["clauseNames"]
                ],
                "schema": {**entry["schema"], "customId": int(new_number)},
            }
        fields.append(entry)
    return fields


@cache
def custom_field_ids() -> tuple[str, ...]:
    return tuple(entry["id"] for entry in field_list() if entry["custom"])


# -- changelog ----------------------------------------------------------------------------------


def change_item(value: Change) -> dict[str, Any]:
    item = shaped(
        _history_example()["items"][0],
        {
            "field": value.field,
            "fieldtype": value.fieldtype,
            "fieldId": value.field_id,
            "from": value.from_,
            "fromString": value.from_string,
            "to": value.to,
            "toString": value.to_string,
        },
    )
    if value.field == "assignee":
        item["tmpFromAccountId"], item["tmpToAccountId"] = value.from_account, value.to_account
    return item


def history(
    value: History, zone: tzinfo, base: str, api: int, field_ids: frozenset[str] | None = None
) -> dict[str, Any]:
    items = value.items if field_ids is None else [item for item in value.items if item.field_id in field_ids]
    return shaped(
        _history_example(),
        {
            "id": str(value.id),
            "author": user(value.author, base, api),
            "created": timestamp(value.created, zone),
            "items": [change_item(item) for item in items],
        },
    )


class Embed(NamedTuple):
    """How expand=changelog embeds histories: the newest `cap` (None: all), in which order."""

    cap: int | None
    newest_first: bool


CLOUD_ISSUE_EMBED = Embed(100, True)
DATA_CENTER_EMBED = Embed(None, False)  # the whole history, oldest first


def embedded_changelog(issue: Issue, embed: Embed, base: str, api: int) -> dict[str, Any]:
    """expand=changelog: `total` says how many histories exist, `histories` holds what `embed` allows."""
    histories = issue.histories if embed.cap is None else issue.histories[-embed.cap :] if embed.cap else []
    ordered = reversed(histories) if embed.newest_first else histories
    return {
        "startAt": 0,
        "maxResults": len(histories),
        "total": len(issue.histories),
        "histories": [history(entry, issue.zone, base, api) for entry in ordered],
    }


# -- issues -------------------------------------------------------------------------------------


@cache
def system_field_ids() -> tuple[str, ...]:
    """The recorded Cloud issue's system fields in its order, plus `parent` (present when set)."""
    return tuple(name for name in _issue_example()["fields"] if not name.startswith("customfield_"))


def all_field_ids() -> tuple[str, ...]:
    return (*system_field_ids(), *custom_field_ids(), "parent")


def issue(
    value: Issue, site: JiraSite, wanted: tuple[str, ...], base: str, api: int, changelog: Embed | None = None
) -> dict[str, Any]:
    """An issue with the fields in `wanted` (ids, in Jira's order) and, when asked, its changelog."""
    fields: dict[str, Any] = {}
    for name in wanted:
        if name == "parent" and value.parent is None:
            continue  # Jira leaves `parent` out, not null, for an issue without one
        render = _FIELD_RENDERERS.get(name)
        fields[name] = render(value, site, base, api) if render else None
    payload: dict[str, Any] = {
        "expand": ISSUE_EXPAND,
        "id": str(value.id),
        "self": f"{base}/rest/api/{api}/issue/{value.id}",
        "key": value.key,
    }
    if changelog is not None:
        payload["changelog"] = embedded_changelog(value, changelog, base, api)
    payload["fields"] = fields
    return payload


def issue_ref(value: Issue, site: JiraSite, base: str, api: int) -> dict[str, Any]:
    """A parent or sub-task as another issue shows it."""
    return {
        "id": str(value.id),
        "key": value.key,
        "self": f"{base}/rest/api/{api}/issue/{value.id}",
        "fields": {
            "summary": value.summary,
            "status": status(value.status, base, api),
            "priority": priority(value.priority, base, api),
            "issuetype": issue_type(value.issuetype, base, api),
        },
    }


def _remaining(value: Issue) -> int | None:
    if value.original_estimate is None:
        return None
    return max(value.original_estimate - (value.time_spent or 0), 0) if value.status.category != "done" else 0


def _timetracking(value: Issue, *_: Any) -> dict[str, Any]:
    """Jira's timetracking: each part as text, then in seconds; parts without a value left out."""
    parts = {
        "originalEstimate": value.original_estimate,
        "remainingEstimate": _remaining(value),
        "timeSpent": value.time_spent,
    }
    known = {label: seconds for label, seconds in parts.items() if seconds is not None}
    return {
        **{label: duration(s) for label, s in known.items()},
        **{f"{label}Seconds": s for label, s in known.items()},
    }


def _progress(value: Issue, *_: Any) -> dict[str, Any]:
    spent, remaining = value.time_spent or 0, _remaining(value) or 0
    total = spent + remaining
    return (
        {"progress": spent, "total": total, "percent": spent * 100 // total}
        if total
        else {"progress": 0, "total": 0}
    )


def _worklogs(value: Issue, site: JiraSite, base: str, api: int) -> dict[str, Any]:
    """The issue's time spent as one worklog by its assignee (or reporter), logged when it resolved."""
    if not value.time_spent:
        return {"startAt": 0, "maxResults": 20, "total": 0, "worklogs": []}
    author = user(value.assignee or value.reporter, base, api)
    when = timestamp(value.resolved or value.updated, value.zone)
    entry = {
        "self": f"{base}/rest/api/{api}/issue/{value.id}/worklog/{value.id}",
        "author": author,
        "updateAuthor": author,
        "created": when,
        "updated": when,
        "started": when,
        "timeSpent": duration(value.time_spent),
        "timeSpentSeconds": value.time_spent,
        "id": str(value.id),
        "issueId": str(value.id),
    }
    return {"startAt": 0, "maxResults": 20, "total": 1, "worklogs": [entry]}


def _request_type(value: Issue, site: JiraSite, base: str, api: int) -> dict[str, Any] | None:
    """A Jira Service Management request type value (shape of the servicedeskapi CustomerRequest)."""
    kind = value.request_type
    if kind is None:
        return None
    desk = kind.service_desk_id
    changed = value.status_changed
    return {
        "_links": {
            "jiraRest": f"{base}/rest/api/2/issue/{value.id}",
            "web": f"{base}/servicedesk/customer/portal/{desk}/{value.key}",
            "agent": f"{base}/browse/{value.key}",
            "self": f"{base}/rest/servicedeskapi/request/{value.id}",
        },
        "requestType": {
            "_expands": ["field"],
            "id": kind.id,
            "_links": {"self": f"{base}/rest/servicedeskapi/servicedesk/{desk}/requesttype/{kind.id}"},
            "name": kind.name,
            "description": "",
            "helpText": "",
            "issueTypeId": kind.issue_type_id,
            "serviceDeskId": desk,
            "portalId": desk,
            "groupIds": ["1"],
            "icon": {
                "id": "10527",
                "_links": {
                    "iconUrls": {
                        "48x48": f"{base}/rest/api/2/universal_avatar/view/type/SD_REQTYPE/avatar/10527?size=large"
                    }
                },
            },
        },
        "currentStatus": {
            "status": value.status.name,
            "statusCategory": {"new": "NEW", "indeterminate": "INDETERMINATE", "done": "DONE"}[
                value.status.category
            ],
            "statusDate": {
                "iso8601": timestamp(changed, value.zone),
                "jira": timestamp(changed, value.zone),
                "friendly": f"{user_day(changed.astimezone(value.zone).date())} {changed.astimezone(value.zone):%I:%M %p}",
                "epochMillis": int(changed.timestamp() * 1000),
            },
        },
    }


def _versions(versions: list[Version], base: str, api: int) -> list[dict[str, Any]]:
    return [version_ref(item, base, api) for item in versions]


_FIELD_RENDERERS: dict[str, Any] = {
    "statuscategorychangedate": lambda v, s, b, a: timestamp(v.status_changed, v.zone),
    "issuetype": lambda v, s, b, a: issue_type(v.issuetype, b, a),
    "timespent": lambda v, s, b, a: v.time_spent,
    "project": lambda v, s, b, a: project(v.project, b, a),
    "fixVersions": lambda v, s, b, a: _versions(v.fix_versions, b, a),
    "aggregatetimespent": lambda v, s, b, a: v.time_spent,
    "resolution": lambda v, s, b, a: None if v.resolution is None else resolution(v.resolution, b, a),
    "resolutiondate": lambda v, s, b, a: timestamp(v.resolved, v.zone),
    "workratio": lambda v, s, b, a: (
        (v.time_spent or 0) * 100 // v.original_estimate if v.original_estimate else -1
    ),
    "issuerestriction": lambda v, s, b, a: {"issuerestrictions": {}, "shouldDisplay": False},
    "watches": lambda v, s, b, a: {
        "self": f"{b}/rest/api/{a}/issue/{v.key}/watchers",
        "watchCount": 1,
        "isWatching": False,
    },
    "created": lambda v, s, b, a: timestamp(v.created, v.zone),
    "priority": lambda v, s, b, a: priority(v.priority, b, a),
    "labels": lambda v, s, b, a: list(v.labels),
    "timeestimate": lambda v, s, b, a: _remaining(v),
    "aggregatetimeoriginalestimate": lambda v, s, b, a: v.original_estimate,
    "versions": lambda v, s, b, a: _versions(v.affects, b, a),
    "issuelinks": lambda v, s, b, a: [],
    "assignee": lambda v, s, b, a: maybe_user(v.assignee, b, a),
    "updated": lambda v, s, b, a: timestamp(v.updated, v.zone),
    "status": lambda v, s, b, a: status(v.status, b, a),
    "components": lambda v, s, b, a: [],
    "timeoriginalestimate": lambda v, s, b, a: v.original_estimate,
    "description": lambda v, s, b, a: text(v.description, a),
    "timetracking": _timetracking,
    "attachment": lambda v, s, b, a: [],
    "aggregatetimeestimate": lambda v, s, b, a: _remaining(v),
    "summary": lambda v, s, b, a: v.summary,
    "creator": lambda v, s, b, a: user(v.reporter, b, a),
    "subtasks": lambda v, s, b, a: [issue_ref(c, s, b, a) for c in s.children(v) if c.issuetype.subtask],
    "reporter": lambda v, s, b, a: user(v.reporter, b, a),
    "aggregateprogress": _progress,
    "duedate": lambda v, s, b, a: day(v.due),
    "progress": _progress,
    "votes": lambda v, s, b, a: {
        "self": f"{b}/rest/api/{a}/issue/{v.key}/votes",
        "votes": 0,
        "hasVoted": False,
    },
    "comment": lambda v, s, b, a: {
        "comments": [],
        "self": f"{b}/rest/api/{a}/issue/{v.id}/comment",
        "maxResults": 0,
        "total": 0,
        "startAt": 0,
    },
    "worklog": _worklogs,
    "parent": lambda v, s, b, a: issue_ref(v.parent, s, b, a),
    REQUEST_TYPE_FIELD: _request_type,
    EPIC_LINK_FIELD: lambda v, s, b, a: (
        v.parent.key if v.parent and v.parent.issuetype.name == "Epic" else None
    ),
    START_DATE_FIELD: lambda v, s, b, a: day(v.start_date),
    RANK_FIELD: lambda v, s, b, a: v.rank,
    SPRINT_FIELD: lambda v, s, b, a: [sprint_field(item) for item in v.sprints] or None,
    STORY_POINTS_FIELD: lambda v, s, b, a: v.story_points,
    "customfield_10000": lambda v, s, b, a: "{}",
}
