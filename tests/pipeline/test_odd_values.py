"""A tracker holding story points of -1 (a team's "not estimated") publishes the warehouse: the value
is null in the marts and listed by the WARN check source_data_oddities, and the run succeeds
(finding 3 of issue 10; main failed a blocking check and published nothing for any source)."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from pipelines import cli
from tests.pipeline.conftest import AS_OF, Harness


def test_negative_story_points_publish_with_the_oddities_warning(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    site = harness.org.jira
    issue = next(i for i in site.issues.values() if i.fix_versions and i.story_points)
    site.update_issue(issue.key, story_points=-1, at=AS_OF - timedelta(days=1))

    code = cli.main(["run", "--config", str(harness.path), "--as-of", AS_OF.isoformat()])

    out = capsys.readouterr().out
    assert code == cli.EXIT_OK, out
    with duckdb.connect(str(harness.config.warehouse), read_only=True) as con:
        (points,) = con.execute(
            "SELECT story_points FROM marts.work_items WHERE key = ?", [issue.key]
        ).fetchone()
        odd = con.execute(
            "SELECT field, raw_value FROM intermediate.source_data_oddities WHERE key = ?", [issue.key]
        )
        assert (points, odd.fetchall()) == (None, [("story_points", "-1")])
        (listed,) = con.execute("SELECT count(*) FROM intermediate.source_data_oddities").fetchone()
        (out_of_range,) = con.execute(
            "SELECT count(*) FROM marts.project_completion WHERE pct_complete_points NOT BETWEEN 0 AND 1"
        ).fetchone()
    assert out_of_range == 0
    assert f"check source_data_oddities: {listed} odd values (" in out
