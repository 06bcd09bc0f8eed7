"""Tracker-neutral code, models and checks (finding 6 of issue 10, issue 12): only a tracker's own
folders name it; what a milestone means comes from its columns (state, closed_at), never its kind.

The rule, for every registered tracker type (connectors.TRACKERS):
- SQL: no model outside models/staging/<tracker>/ and no check names a tracker, outside `--`
  comments (any case).
- Python: connectors/*.py and emulators/*.py (the top level: each tracker has its folder below),
  and pipelines/** name no tracker in code: no identifier contains a type in any case
  (`org.github`, `JiraSource`, `import emulators.github`), and no string literal contains a type
  as code writes it (lower case: `"github"`, `"/jira/"`, `raw.github_issues`). Docstrings, `#`
  comments and the text of SQL `COMMENT ON ... IS '...'` descriptions may give examples, and
  prose may use a tracker's proper name (`"Repo or Jira project key"`).
- Allowed: connectors/__init__.py, whose PACKAGES is the one registration list; tests (a test
  names what it tests); bench/ for now (each benchmark measures named trackers; to move onto the
  registry by its owner).

Scenario: Jira version 2.0, due 2026-02-10, released (Jira overwrote releaseDate: 2026-02-10), with
two issues resolved 2026-02-03 and 2026-02-05 → completed 2026-02-05, on time by 5 days.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from github_builder import GitHubRecords, completion, params, rows
from jira_builder import JiraRecords, built

from connectors import TRACKERS
from pipelines import models
from pipelines.defs import checks

ROOT = Path(__file__).resolve().parents[2]
TRACKER_NAME = re.compile("|".join(TRACKERS), re.IGNORECASE)
TRACKER_TYPE = re.compile("|".join(TRACKERS))  # as code writes it
SQL_DESCRIPTION = re.compile(r"COMMENT ON [^;]*? IS '(?:[^']|'')*'", re.IGNORECASE)
REGISTRATION = ROOT / "connectors" / "__init__.py"


def neutral_python() -> list[Path]:
    """The Python files that must not name a tracker."""
    files = [*ROOT.glob("connectors/*.py"), *ROOT.glob("emulators/*.py"), *ROOT.glob("pipelines/**/*.py")]
    return sorted(path for path in files if path != REGISTRATION)


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the module, class and function docstrings' nodes."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def identifiers(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.arg | ast.keyword):
        return [node.arg or ""]
    if isinstance(node, ast.alias):
        return [node.name, node.asname or ""]
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    return []


def tracker_names(source: str) -> Iterator[tuple[int, str]]:
    """(line, what) for every tracker a Python module names in code, by the rule above."""
    tree = ast.parse(source)
    skipped = docstrings(tree)
    for node in ast.walk(tree):
        named = [name for name in identifiers(node) if TRACKER_NAME.search(name)]
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            text = SQL_DESCRIPTION.sub("", node.value)
            named += [match.group(0) for match in TRACKER_TYPE.finditer(text)]
        yield from ((node.lineno, name) for name in named)


def test_the_rule_catches_code_and_leaves_prose_alone() -> None:
    kind = next(iter(TRACKERS))
    code = f"""
import emulators.{kind}.api
from x import y as {kind}_y
def f(org, path, **z):
    \"\"\"Docstring about {kind}.\"\"\"
    org.{kind}.go()  # a comment on {kind}
    ddl = "COMMENT ON COLUMN a.b IS '{kind} or other.'; SELECT 1"
    prose = "{kind.capitalize()} project key"
    return path.startswith("/{kind}/")
"""
    assert sorted(line for line, _ in tracker_names(code)) == [2, 3, 6, 9]


def test_no_code_outside_a_trackers_folder_names_a_tracker() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in neutral_python()
        for line, name in sorted(set(tracker_names(path.read_text(encoding="utf-8"))))
    ]
    assert offenders == []


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    jira = JiraRecords()
    version = jira.version("REL", "2.0", due="2026-02-10", released=True)
    jira.issue("REL", created="2026-01-20", resolved="2026-02-03", fix_versions=(version,))
    jira.issue("REL", created="2026-01-21", resolved="2026-02-05", fix_versions=(version,))
    return built(tmp_path / "work.duckdb", GitHubRecords(), jira)


def rebuild_on_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Build the intermediate and marts models again, on the staging tables as they are now."""
    for model in models.discover():
        if model.schema in ("intermediate", "marts"):
            models.build(con, model, params())


def test_no_sql_outside_a_trackers_staging_folder_names_a_tracker() -> None:
    staging = models.MODELS_DIR / "staging"
    offenders = [
        f"{path.relative_to(models.MODELS_DIR)}: {match.group(0)}"
        for path in sorted(models.MODELS_DIR.rglob("*.sql"))
        if path.parent == staging or staging not in path.parents
        for match in TRACKER_NAME.finditer(models.LINE_COMMENT.sub("", path.read_text(encoding="utf-8")))
    ]
    assert offenders == []
    every_check = (checks.SCHEDULE_CHECK, checks.RELEASES_CHECK, checks.ODDITIES_CHECK, *checks.DATA_QUALITY)
    assert [check.name for check in every_check if TRACKER_NAME.search(check.sql)] == []


def test_a_released_milestone_of_any_kind_completes_at_its_last_resolution(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute("UPDATE staging.milestones SET kind = 'cycle'")
    rebuild_on_staging(con)
    row = completion(con, "name", "2.0")
    assert (row["kind"], row["completed_at"]) == ("cycle", datetime(2026, 2, 5, tzinfo=UTC))
    assert (row["status"], row["status_reason"]) == (
        "done_on_time",
        "completed 2026-02-05, 5 days before due 2026-02-10",
    )


def test_a_new_trackers_milestone_kind_passes_the_blocking_checks(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE marts.milestones SET kind = 'cycle'")
    (unique_ids,) = [check for check in checks.DATA_QUALITY if check.name == "unique_milestone_ids"]
    assert rows(con, unique_ids.sql) == []
    con.execute("UPDATE marts.milestones SET state = 'shipped'")
    assert len(rows(con, unique_ids.sql)) == 1


def test_each_trackers_milestones_carry_the_kinds_it_registers(tmp_path: Path) -> None:
    github = GitHubRecords()
    github.milestone("acme/web", "v1", created="2026-01-05", due="2026-02-01")
    jira = JiraRecords()
    jira.version("REL", "2.0", due="2026-02-10")
    jira.sprint("REL", "REL Sprint 1", start="2026-01-05", end="2026-01-19", created="2026-01-04")
    con = built(tmp_path / "work.duckdb", github, jira)
    kinds = {kind for (kind,) in con.execute("SELECT DISTINCT kind FROM staging.milestones").fetchall()}
    assert kinds == {*TRACKERS["github"].milestone_kinds, *TRACKERS["jira"].milestone_kinds}
    assert kinds == {"github_milestone", "jira_version", "jira_sprint"}
