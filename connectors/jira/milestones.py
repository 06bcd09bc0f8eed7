"""Jira's milestones: fix versions per project, and sprints through the agile boards.

Sprints hang off boards, and a board's filter may span projects, so the same board (and sprint)
is listed under several projects. Counting it under each is how incumbents double-counted a
project's work. Here every sprint is kept once, under the project that owns its origin board
(the board's `location.projectKey` when that project is configured, else the first configured
project whose board list showed it), and the record notes every board and project it appeared on
in an added `_trackerlake` key. Kanban boards have no sprints and answer 400: they are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.http import HttpClient
from connectors.jira.paging import offset_pages

AGILE = "/rest/agile/1.0"
PAGE_SIZE = 50  # the agile and version endpoints' usual ceiling


def sprints_by_project(client: HttpClient, projects: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Every sprint on the projects' boards, once, grouped by the project that owns it."""
    boards: dict[Any, dict[str, Any]] = {}
    listed_by: dict[Any, list[str]] = {}
    for project in projects:
        # A 404 is a site without Jira Software: it has no boards, hence no sprints.
        pages = offset_pages(
            client,
            f"{AGILE}/board",
            {"projectKeyOrId": project, "maxResults": PAGE_SIZE},
            ok=frozenset({200, 404}),
        )
        for page in pages:
            for board in page.records:
                boards.setdefault(board["id"], board)
                listed_by.setdefault(board["id"], []).append(project)
    owner = {
        board_id: _board_owner(board, listed_by[board_id], projects) for board_id, board in boards.items()
    }

    sprints: dict[Any, dict[str, Any]] = {}
    seen_on: dict[Any, list[Any]] = {}
    for board_id in boards:
        pages = offset_pages(
            client, f"{AGILE}/board/{board_id}/sprint", {"maxResults": PAGE_SIZE}, ok=frozenset({200, 400})
        )
        for page in pages:
            for sprint in page.records:
                sprints.setdefault(sprint["id"], sprint)
                seen_on.setdefault(sprint["id"], []).append(board_id)

    grouped: dict[str, list[dict[str, Any]]] = {project: [] for project in projects}
    for sprint_id, sprint in sprints.items():
        on_boards = seen_on[sprint_id]
        home = sprint.get("originBoardId") if sprint.get("originBoardId") in owner else on_boards[0]
        seen_projects = {p for board_id in on_boards for p in listed_by[board_id]}
        note = {"board_ids": on_boards, "board_projects": [p for p in projects if p in seen_projects]}
        grouped[owner[home]].append({**sprint, "_trackerlake": note})
    return grouped


def _board_owner(board: dict[str, Any], listed_by: list[str], projects: Sequence[str]) -> str:
    located = (board.get("location") or {}).get("projectKey")
    return located if located in projects else listed_by[0]
