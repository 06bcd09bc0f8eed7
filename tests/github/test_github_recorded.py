"""Real recorded api.github.com responses, replayed over loopback HTTP, through the connector and the models.

The recording (octokit/fixtures paginate-issues) pages 13 issues 3 at a time, with Link headers
rewritten by GitHub to /repositories/{id}/issues: the connector must follow them as given.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from connectors.github import GitHubConnector
from pipelines import models, warehouse
from pipelines.config import parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "github"
REPO = "octokit-fixture-org/tmp-scenario-paginate-issues-20220719043836917-izyoe"
RECORDED = [json.loads((FIXTURES / f"paginate_issues_page{n}.json").read_text()) for n in range(1, 6)]


@pytest.fixture
def replay() -> Iterator[str]:
    """Serve the five recorded pages by page number, Link hosts pointed at this server."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            page = int(parse_qs(urlsplit(self.path).query).get("page", ["1"])[0])
            recorded = RECORDED[page - 1]
            body = json.dumps(recorded["body"]).encode()
            self.send_response(recorded["status"])
            for name, value in recorded["headers"]:
                if name.lower() in ("content-length", "transfer-encoding", "content-encoding"):
                    continue
                self.send_header(name, value.replace("https://api.github.com", base))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield base
    server.shutdown()


def test_recorded_pages_are_followed_and_modelled(replay: str, tmp_path: Path) -> None:
    settings = {"base_url": replay, "repos": [REPO], "per_page": 3}
    connector = GitHubConnector(GitHubConnector.client_for(settings, token="x"), settings)
    stream = next(s for s in connector.streams if s.name == "issues")
    pages = list(connector.read(REPO, stream, None))
    issues = list({record["id"]: record for page in pages for record in page.records}.values())
    # A first read follows the recorded Link headers as given: one request per page, no more.
    assert len(pages) == 5 and connector.client.requests == 5
    assert sorted(i["number"] for i in issues) == list(range(1, 14))
    assert pages[-1].state["cursor"] == max(i["updated_at"] for i in issues)
    # The cursor is committed once the walk is whole; five pages: a 304 on page one proves nothing.
    assert all(page.state is None for page in pages[:-1]) and "etag" not in pages[-1].state

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    warehouse.ensure_ops(con)
    table = warehouse.ensure_raw_table(con, "github", "issues")
    rows = [
        (k.id, k.cursor, warehouse.record_json(r)) for r in issues for k in [connector.record_key(stream, r)]
    ]
    landed = warehouse.LandedPage(table, REPO, "issues", rows, pages[-1].state)
    warehouse.commit_pages(con, "gh", [landed], datetime.now(UTC))
    config = parse({"sources": [{"name": "gh", "type": "github", "token_env": "X", "repos": [REPO]}]})
    models.build_all(con, models.ModelParams.from_config(config, datetime(2022, 7, 20, tzinfo=UTC)))
    items = con.execute(
        "SELECT key, title, status_category, created_at, url FROM marts.work_items ORDER BY created_at, key"
    ).fetchall()
    assert len(items) == 13
    first = next(i for i in items if i[0] == f"{REPO}#13")
    assert first[1] == "Test issue 13" and first[2] == "todo"
    assert first[3] == datetime(2022, 7, 19, 4, 39, 16, tzinfo=UTC)
    assert first[4] == f"https://github.com/{REPO}/issues/13"
