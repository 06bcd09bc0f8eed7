"""Shared helpers for the Jira tests: a connector for a URL, and issues with long changelogs."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.jira import JiraConnector, JiraSource

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def jira_time(moment: datetime, offset_hours: int = 8) -> str:
    """Jira's timestamp shape, in a +0800 zone by default: '2026-01-05T17:00:00.000+0800'."""
    local = moment.astimezone(UTC) + timedelta(hours=offset_hours)
    sign = "+" if offset_hours >= 0 else "-"
    return local.strftime("%Y-%m-%dT%H:%M:%S.000") + f"{sign}{abs(offset_hours):02d}00"


def settings(url: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "acme",
        "type": "jira",
        "base_url": url,
        "token_env": "JIRA_TOKEN",
        "email_env": "JIRA_EMAIL",
        "projects": ["KP"],
        "max_retries": 0,
    }
    return JiraSource(**(values | overrides)).model_dump(mode="json")


def connector(url: str, **overrides: Any) -> JiraConnector:
    config = settings(url, **overrides)
    return JiraConnector(JiraConnector.client_for(config, "token-1", "me@example.com"), config)


def history(number: int, at: datetime, to_status: str = "In Progress") -> dict[str, Any]:
    return {
        "id": str(10_000 + number),
        "author": {"displayName": "张伟"},
        "created": jira_time(at),
        "items": [
            {
                "field": "status",
                "fieldtype": "jira",
                "fieldId": "status",
                "from": "1",
                "fromString": "To Do",
                "to": "3",
                "toString": to_status,
            }
        ],
    }


def issue_with_history(
    template: dict[str, Any], key: str, issue_id: str, changes: int, embedded: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A copy of `template` whose changelog has `changes` histories, of which search embeds the newest
    `embedded` (newest first, as Jira does); and all of them oldest first, as the changelog endpoint
    serves them."""
    issue = copy.deepcopy(template)
    issue.update(key=key, id=issue_id)
    oldest_first = [history(n, START + timedelta(minutes=n)) for n in range(changes)]
    issue["changelog"] = {
        "startAt": 0,
        "maxResults": embedded,
        "total": changes,
        "histories": list(reversed(oldest_first))[:embedded],
    }
    return issue, oldest_first
