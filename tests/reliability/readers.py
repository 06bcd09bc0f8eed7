"""BI readers of the published file, each in its own process as BI tools are, querying it in a
loop while a run writes the next one.

Modes: `held` opens one DuckDB connection and keeps it, `fresh` connects anew for every query, and
`sqlalchemy` goes through SQLAlchemy with duckdb-engine and its connection pool, as Superset does.
Each writes one JSON line per query: the state of the warehouse it saw (`STATE`: the last run in
ops.sync_runs and a few counts) or {"error": ...}.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

STATE = """
SELECT (SELECT arg_max(run_id, started_at) FROM ops.sync_runs),
       (SELECT count(*) FROM marts.work_items),
       (SELECT count(*) FROM marts.project_completion),
       (SELECT count(*) FROM raw.github_issues)
"""

READER = f"""
import json, os, sys, time
import duckdb
mode, warehouse, out, stop = sys.argv[1:]
if mode == "sqlalchemy":
    import sqlalchemy
    engine = sqlalchemy.create_engine("duckdb:///" + warehouse, connect_args={{"read_only": True}})
    def query():
        with engine.connect() as connection:
            return list(connection.execute(sqlalchemy.text('''{STATE}''')).one())
elif mode == "held":
    held = duckdb.connect(warehouse, read_only=True)
    def query():
        return list(held.execute('''{STATE}''').fetchone())
else:
    def query():
        with duckdb.connect(warehouse, read_only=True) as con:
            return list(con.execute('''{STATE}''').fetchone())
with open(out, "w") as lines:
    while True:
        last = os.path.exists(stop)
        try:
            lines.write(json.dumps(query()) + "\\n")
        except Exception as exc:
            lines.write(json.dumps({{"error": repr(exc)}}) + "\\n")
        lines.flush()
        if last:
            break
        time.sleep(0.02)
"""


class Reader:
    """READER in a child process; `stop()` lets it make one last query and returns what it saw."""

    def __init__(self, mode: str, warehouse: Path, work: Path) -> None:
        self.mode = mode
        self.out, self.stop_file = work / f"reader-{mode}.jsonl", work / f"reader-{mode}.stop"
        self.stop_file.unlink(missing_ok=True)
        self.child = subprocess.Popen(
            [sys.executable, "-c", READER, mode, str(warehouse), str(self.out), str(self.stop_file)]
        )

    def stop(self) -> tuple[list[tuple], list[str]]:
        """(states seen, in order; errors raised)."""
        self.stop_file.touch()
        self.child.wait(timeout=60)
        lines = [json.loads(line) for line in self.out.read_text().splitlines()]
        return [tuple(line) for line in lines if isinstance(line, list)], [
            line["error"] for line in lines if isinstance(line, dict)
        ]
