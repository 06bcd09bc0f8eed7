"""Where each source's sync lands its records, and how the models read every source's landing.

A landing is written by one source's sync only, so sources can sync at the same time in processes
of their own (DuckDB admits one writer per file): `writer(source)` is the connection that sync
writes its raw tables, cursors and run log through, page and cursor in one transaction as ever, so a
killed sync resumes from its landing's committed cursor. The models read every landing read-only:
`attach(con, sources)` makes them `raw.<tracker>_<stream>` on the models' connection.

`SourceFiles` is the embedded landing: one DuckDB file per source in one directory (beside the
working database, so the default stays one command and one directory). Its `attach` also gathers
the landings' run logs and cursors into the working database's `ops.sync_runs` and
`ops.sync_state` (tables, not views: the published file, the run's summary and BI tools read them
on connections that attach no landing; they hold a row per source and run or stream, so a copy
costs milliseconds). Versions before it synced every source into the working database itself:
a source's rows there move to its landing once, before its first sync into it (`writer`) or when
the models first attach the landings (`attach`), whichever comes first. A lakehouse landing (its
own schema per source in a DuckLake catalog, pipelines/lakehouse.py) implements the same two
methods: a writer per source that commits to the lake, and an `attach` that reads the lake.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import duckdb

from pipelines import warehouse
from pipelines.warehouse import sql_identifier

if TYPE_CHECKING:
    from pipelines.config import Config

ALIAS = "landing_{}"  # a landing attached to the models' connection, by its source's position
OPS = ("ops.sync_runs", "ops.sync_state")  # a landing's run log and cursors, gathered for the models
MOVING = "_moving"  # a landing being written from the working database's rows of its source


class Landing(Protocol):
    def writer(self, source: str) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The connection only `source`'s sync writes through (its raw tables and cursors)."""
        ...

    def attach(self, con: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> list[str]:
        """Every source's landing readable on `con`, read-only, as `raw.*` views; returns them."""
        ...


@dataclass(frozen=True)
class SourceFiles:
    """One DuckDB file per source under `directory`; `shared` is the working database, where
    versions before landings synced every source."""

    directory: Path
    shared: Path | None = None

    def path(self, source: str) -> Path:
        # A source's name is free text: the file is named by a safe form of it and a digest, so
        # two names that read alike once made safe ("a/b", "a_b") never share a file.
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", source)[:60]
        return self.directory / f"{safe}-{hashlib.sha256(source.encode()).hexdigest()[:8]}.duckdb"

    @contextmanager
    def writer(self, source: str) -> Iterator[duckdb.DuckDBPyConnection]:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(source)
        if not path.exists() and self.shared is not None and self.shared.exists():
            with duckdb.connect() as con:
                con.execute("ATTACH ? AS _shared (READ_ONLY)", [str(self.shared.absolute())])
                self._move(con, "_shared", source)
        with duckdb.connect(str(path)) as con:
            yield con

    def _move(self, con: duckdb.DuckDBPyConnection, shared: str, source: str) -> None:
        """Write `source`'s landing from its rows in database `shared` (on `con`) when that holds raw
        tables: under a temporary name, renamed into place once whole, so a move cut short is
        done again rather than taken for a landing."""
        tables = [
            f"{schema}.{table}"
            for schema, table in con.execute(
                """
                SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?
                AND (schema_name = 'raw' OR list_contains(?, schema_name || '.' || table_name))
                ORDER BY ALL
                """,
                [shared, list(OPS)],
            ).fetchall()
        ]
        if not any(table.startswith("raw.") for table in tables):
            return
        path = self.path(source)
        moving = path.with_name(f"{path.name}.moving")
        for leftover in (moving, moving.with_name(f"{moving.name}.wal")):  # a move cut short
            leftover.unlink(missing_ok=True)
        con.execute(f"ATTACH ? AS {MOVING}", [str(moving.absolute())])
        try:
            for table in tables:
                held = con.execute(
                    f"SELECT EXISTS (FROM {sql_identifier(shared)}.{table} WHERE source = ?)", [source]
                ).fetchone()[0]
                if held or table in OPS:  # a raw table without its rows is another tracker's
                    warehouse.copy_table(con, shared, table, MOVING, source)
        finally:
            con.execute(f"DETACH {MOVING}")
        os.replace(moving, path)

    def _move_shared(self, con: duckdb.DuckDBPyConnection) -> None:
        """The raw tables of a working database that versions before landings synced into: every
        source's rows in them moved to its own landing, then the tables dropped (their names
        become the landings' views)."""
        work = con.execute("SELECT current_database()").fetchone()[0]
        raw = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'raw'",
            [work],
        ).fetchall()
        if not raw:
            return
        unions = [f"SELECT DISTINCT source FROM raw.{sql_identifier(table)}" for (table,) in raw]
        held = con.execute(" UNION ".join(unions) + " ORDER BY ALL").fetchall()
        self.directory.mkdir(parents=True, exist_ok=True)
        for (source,) in held:
            if not self.path(source).exists():
                self._move(con, work, source)
        for (table,) in raw:
            con.execute(f"DROP TABLE raw.{sql_identifier(table)}")

    def attach(self, con: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> list[str]:
        """ATTACH each existing landing READ_ONLY and (re)create `raw.<table>` as the union of that
        table across them (by column name: a landing written by an older version may lack one),
        and gather their run logs and cursors into `con`'s ops tables. A view only resolves on a
        connection that attached the landings, as the models' does."""
        self._move_shared(con)
        aliases = []
        for position, source in enumerate(sources):
            path = self.path(source)
            if not path.exists():
                continue  # not synced yet: nothing of it to read
            alias = ALIAS.format(position)
            con.execute(f"DETACH DATABASE IF EXISTS {sql_identifier(alias)}")
            con.execute(f"ATTACH ? AS {sql_identifier(alias)} (READ_ONLY)", [str(path.absolute())])
            aliases.append(alias)
        _gather_ops(con, aliases)
        tables: dict[str, list[str]] = {}
        for database, table in con.execute(
            """
            SELECT database_name, table_name FROM duckdb_tables()
            WHERE list_contains(?, database_name) AND schema_name = 'raw'
            ORDER BY table_name, database_name
            """,
            [aliases],
        ).fetchall():
            tables.setdefault(table, []).append(database)
        for (view,) in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND schema_name = 'raw'"
        ).fetchall():
            if view not in tables:  # its landings are gone (a source no longer configured)
                con.execute(f"DROP VIEW raw.{sql_identifier(view)}")
        for table, databases in tables.items():
            union = "\nUNION ALL BY NAME\n".join(
                f"SELECT * FROM {sql_identifier(db)}.raw.{sql_identifier(table)}" for db in databases
            )
            con.execute(f"CREATE OR REPLACE VIEW raw.{sql_identifier(table)} AS {union}")
        return [f"raw.{table}" for table in tables]


def _gather_ops(con: duckdb.DuckDBPyConnection, aliases: Sequence[str]) -> None:
    """The working database's ops.sync_runs and ops.sync_state made the union of the attached
    landings', in one transaction."""
    warehouse.ensure_ops(con)
    with warehouse.transaction(con):
        for table in OPS:
            con.execute(f"DELETE FROM {table}")
            for alias in aliases:
                if warehouse.table_exists(con, table, alias):
                    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {sql_identifier(alias)}.{table}")


@contextmanager
def landed(config: Config) -> Iterator[duckdb.DuckDBPyConnection]:
    """What the syncs landed, read-only, as the models see it: an in-memory connection where every
    configured source's landing shows as `raw.*`, and their run logs and cursors as `ops.*`."""
    with duckdb.connect() as con:
        SourceFiles(config.landing_directory).attach(con, [source.name for source in config.sources])
        yield con
