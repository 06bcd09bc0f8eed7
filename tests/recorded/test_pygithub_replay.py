"""The ReplayData converter reads exchanges the way PyGithub writes them (ten lines and a blank)."""

from __future__ import annotations

import json

from tests.recorded.pygithub_replay import exchanges, lists


def replay_text(path: str, body: object) -> str:
    headers = "{'User-Agent': 'PyGithub/Python'}"
    return "\n".join(
        ["https", "GET", "api.github.com", "None", path, headers, "None", "200", "[('status', '200 OK')]"]
        + [json.dumps(body), ""]
    )


def test_single_and_listed_events_become_lists() -> None:
    milestone = {"number": 2, "title": "Version 1.0"}
    old = {"number": 6, "updated_at": "2012-05-07T10:45:58Z", "milestone": milestone}
    new = {"number": 30, "updated_at": "2012-05-27T05:40:15Z", "milestone": None}
    text = (
        replay_text("/repos/o/r", {"id": 1})
        + "\n"
        + replay_text("/repos/o/r/issues/events/7", {"id": 7, "issue": old})
        + "\n"
        + replay_text("/repos/o/r/issues/events", [{"id": 9, "issue": new}, {"id": 8, "issue": old}])
    )
    recorded = list(exchanges(text))
    assert [(x.path, x.status) for x in recorded] == [
        ("/repos/o/r", 200),
        ("/repos/o/r/issues/events/7", 200),
        ("/repos/o/r/issues/events", 200),
    ]
    served = lists(recorded)
    # Events newest id first; issues least recently updated first; each milestone once.
    assert [e["id"] for e in served["events"]] == [9, 8, 7]
    assert [i["number"] for i in served["issues"]] == [6, 30]
    assert served["milestones"] == [milestone]
