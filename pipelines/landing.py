"""Where each source's sync lands its records, and how the models read every source's landing.

A landing is written by one source's sync only, so sources can sync at the same time in processes
of their own (DuckDB admits one writer per file): `writer(source)` is the connection that sync
writes its raw tables and cursors through, page and cursor in one transaction as ever, so a killed
sync resumes from its landing's committed cursor. The models read every landing read-only:
`attach(con, sources)` makes them `raw.<tracker>_<stream>` on the models' connection.

`SourceFiles` is the embedded landing: one DuckDB file per source in one directory (beside the
working database, so the default stays one command and one directory). A lakehouse landing (its
own schema per source in a DuckLake catalog, pipelines/lakehouse.py) implements the same two
methods: a writer per source that commits to the lake, and an `attach` that reads the lake.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb

from pipelines.warehouse import sql_identifier

ALIAS = "landing_{}"  # a landing attached to the models' connection, by its source's position


class Landing(Protocol):
    def writer(self, source: str) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The connection only `source`'s sync writes through (its raw tables and cursors)."""
        ...

    def attach(self, con: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> list[str]:
        """Every source's landing readable on `con`, read-only, as `raw.*` views; returns them."""
        ...


@dataclass(frozen=True)
class SourceFiles:
    """One DuckDB file per source under `directory`."""

    directory: Path

    def path(self, source: str) -> Path:
        # A source's name is free text: the file is named by a safe form of it and a digest, so
        # two names that read alike once made safe ("a/b", "a_b") never share a file.
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", source)[:60]
        return self.directory / f"{safe}-{hashlib.sha256(source.encode()).hexdigest()[:8]}.duckdb"

    @contextmanager
    def writer(self, source: str) -> Iterator[duckdb.DuckDBPyConnection]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(self.path(source))) as con:
            yield con

    def attach(self, con: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> list[str]:
        """ATTACH each existing landing READ_ONLY and (re)create `raw.<table>` as the union of that
        table across them (by column name: a landing written by an older version may lack one).
        A view only resolves on a connection that attached the landings, as the models' does."""
        aliases = []
        for position, source in enumerate(sources):
            path = self.path(source)
            if not path.exists():
                continue  # not synced yet: nothing of it to read
            alias = ALIAS.format(position)
            con.execute(f"DETACH DATABASE IF EXISTS {sql_identifier(alias)}")
            con.execute(f"ATTACH ? AS {sql_identifier(alias)} (READ_ONLY)", [str(path.absolute())])
            aliases.append(alias)
        if not aliases:
            return []
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
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        for table, databases in tables.items():
            union = "\nUNION ALL BY NAME\n".join(
                f"SELECT * FROM {sql_identifier(db)}.raw.{sql_identifier(table)}" for db in databases
            )
            con.execute(f"CREATE OR REPLACE VIEW raw.{sql_identifier(table)} AS {union}")
        return [f"raw.{table}" for table in tables]
