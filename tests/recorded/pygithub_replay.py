"""Turns a PyGithub ReplayData recording (tests/ReplayData/*.txt in PyGithub's source) into the JSON
lists that tests/fixtures/recorded/github/ serves, so no recorded body is ever re-typed by hand.

A ReplayData file is a run of exchanges, each ten lines and a blank one: protocol, method, host,
port, path, request headers, request body, status, response headers, response body (JSON).

The events served are every event the recording answered, single (GET /issues/events/{id}) or
listed (GET /issues/events), newest first as GitHub lists them. The issue list is the issues those
events embed (GitHub embeds each as it is when asked, so one per number), least recently updated
first, as the connector asks for them; the milestone list is the milestones those issues embed.
Run once per recording, e.g.

    python -m tests.recorded.pygithub_replay IssueEvent.setUp.txt tests/fixtures/recorded/github pygithub_events
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LINES_PER_EXCHANGE = 10


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    status: int
    body: Any


def exchanges(text: str) -> Iterator[Exchange]:
    """Every exchange of a ReplayData file, in the order it was recorded."""
    lines = text.split("\n")
    start = 0
    while start < len(lines):
        if not lines[start]:
            start += 1
            continue
        chunk = lines[start : start + LINES_PER_EXCHANGE]
        yield Exchange(chunk[1], chunk[4], int(chunk[7]), json.loads(chunk[9]) if chunk[9] else None)
        start += LINES_PER_EXCHANGE


def lists(recorded: list[Exchange]) -> dict[str, list[dict[str, Any]]]:
    """The repo's event, issue and milestone lists, from the recording's event answers."""
    events: list[dict[str, Any]] = []
    for x in recorded:
        if x.status == 200 and "/issues/events" in x.path:
            events.extend(x.body if isinstance(x.body, list) else [x.body])
    issues = {event["issue"]["number"]: event["issue"] for event in events}
    milestones = {i["milestone"]["number"]: i["milestone"] for i in issues.values() if i["milestone"]}
    return {
        "events": sorted(events, key=lambda e: e["id"], reverse=True),
        "issues": sorted(issues.values(), key=lambda i: i["updated_at"]),
        "milestones": sorted(milestones.values(), key=lambda m: m["number"]),
    }


def main(argv: list[str]) -> None:
    source, out_dir, stem = Path(argv[0]), Path(argv[1]), argv[2]
    for kind, body in lists(list(exchanges(source.read_text(encoding="utf-8")))).items():
        (out_dir / f"{stem}_{kind}.json").write_text(
            json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
