"""A whole nightly run with one tracker turned hostile: the installed `trackerlake run`, from an empty
directory, ends quickly, fails that source alone, publishes, and no token reaches another origin.

The first configured source's tracker is spoiled tonight: its list answers link their next page to
another loopback server, or to themselves, or every answer asks to wait 999999 s. The client-level
versions of these cases are in test_hostile_http.py; these add the run around them (long only).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from emulators.exchange import Mount, Request, Response
from emulators.generator import DEMO_AS_OF, generate_org
from emulators.server import EmulatorServer
from pipelines.demo import emulator_config, write_config
from tests.pipeline.installed_cli import empty_dir, trackerlake
from tests.reliability import tally
from tests.reliability.conftest import LONG, SECRET_TOKEN
from tests.reliability.hostile import Hostile

RUN_SECONDS = 60


class Spoiled:
    """A mount whose answers `spoil` rewrites (given the request and the mount's own answer)."""

    def __init__(self, inner: Mount, spoil: Callable[[Request, Response], Response]) -> None:
        self.inner, self.spoil = inner, spoil

    def handle(self, request: Request) -> Response:
        answer = self.inner.handle(request)
        spoiled = self.spoil(request, answer)
        tally.add(hostile_answers_tried=int(spoiled is not answer))
        return spoiled


def linked_to(base: Callable[[Request], str]) -> Callable[[Request, Response], Response]:
    """Every JSON list answer's next page is at `base(request)` + the request's path."""

    def spoil(request: Request, answer: Response) -> Response:
        if answer.status != 200 or not isinstance(json.loads(answer.body or b"null"), list):
            return answer
        link = f'<{base(request)}{request.path}?{request.query_string}>; rel="next"'
        headers = [(name, value) for name, value in answer.headers if name.lower() != "link"]
        return Response(answer.status, answer.body, [*headers, ("Link", link)])

    return spoil


def wait_forever(request: Request, answer: Response) -> Response:
    return Response(429, b'{"message": "slow down"}', [("Retry-After", "999999")])


CASES: dict[str, tuple[Callable[[Hostile], Callable[[Request, Response], Response]], str]] = {
    "next link to another origin": (
        lambda foreign: linked_to(lambda r: foreign.url + urlsplit(r.base_url).path),
        "refused to send credentials to",
    ),
    "next link to itself": (lambda foreign: linked_to(lambda r: r.base_url), "came back again"),
    "retry-after 999999": (lambda foreign: wait_forever, "asked to wait 999999s"),
}


@LONG
@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_tracker_fails_its_source_alone_and_keeps_the_token(
    case: str, tmp_path: Path, secrets_env: None
) -> None:
    org = generate_org(seed=7, scale=0.2)
    warehouse = tmp_path / "published" / "trackerlake.duckdb"
    with Hostile({}) as foreign, EmulatorServer(org) as server:
        raw = emulator_config(org, server.url, warehouse, tmp_path / "work")
        spoiled = raw["sources"][0]
        prefix = urlsplit(spoiled["base_url"]).path
        server.mounts[prefix] = Spoiled(server.mounts[prefix], CASES[case][0](foreign))
        config = write_config(tmp_path / "etc" / "trackerlake.yaml", raw)
        ended = trackerlake(
            "run", "--config", str(config), "--as-of", DEMO_AS_OF.isoformat(), cwd=empty_dir(tmp_path)
        )
    failed = [line for line in ended.output.splitlines() if line.startswith("FAILED")]
    alone = ended.returncode == 1 and len(failed) == 1 and f"Warehouse published: {warehouse}" in ended.stdout
    tally.add(
        tokens_off_origin=foreign.credentials(SECRET_TOKEN), sources_failed=1, sources_failed_alone=int(alone)
    )
    assert foreign.credentials(SECRET_TOKEN) == 0 and ended.seconds < RUN_SECONDS, ended.seconds
    assert alone, ended.output
    assert failed[0].startswith(f"FAILED source {spoiled['name']}: ") and CASES[case][1] in failed[0]
    assert "Traceback" not in ended.output
