"""The model runner: builds the warehouse tables from models/ (dbt-like, one query per file).

Layout, each file named after the table it builds:
- `models/staging/<tracker>/<entity>.sql` → `staging.<tracker>__<entity>`: one tracker's records in
  the canonical shape. Skipped (and any old table dropped) when an input table does not exist,
  i.e. the tracker is not configured.
- `models/staging/<entity>.sql` → `staging.<entity>`: declares the canonical columns as a typed,
  empty query and is built as its UNION ALL BY NAME with every `staging.<tracker>__<entity>` that
  exists, so adding a tracker needs no change downstream. A tracker model without a `columns:`
  block takes the canonical entity's.
- `models/intermediate/*.sql`, `models/marts/*.sql` → tables of those schemas.
- `models/snapshots/*.sql` → stateful `ops.*` tables: the file is executed as-is each run.
- Python models (`PYTHON_MODELS`) write their table themselves.

Every SQL file starts with a header comment: its first paragraph describes the table for the
business (Dagster description, `COMMENT ON TABLE`); a `-- columns:` block has one
`--   name: description` line per column (continued on deeper-indented lines), applied with
`COMMENT ON COLUMN`. A built table must have exactly the described columns.

Everything time- or config-dependent reaches the SQL as DuckDB variables (`getvariable('as_of')`),
set from `ModelParams`, so a run is reproducible from its data and parameters.
"""

from __future__ import annotations

import dataclasses
import graphlib
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Literal

import duckdb

from pipelines import forecast, warehouse
from pipelines.config import Config

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
PYTHON_MODELS: dict[str, ModuleType] = {forecast.NAME: forecast}

Kind = Literal["table", "union", "snapshot", "python"]
TABLE_REFERENCE = re.compile(r"\b(raw|staging|intermediate|marts|ops)\.([A-Za-z_][A-Za-z0-9_]*)\b")
LINE_COMMENT = re.compile(r"--[^\n]*")
COLUMN_LINE = re.compile(r"^(\s+)([A-Za-z_][A-Za-z0-9_]*):\s*(.*)$")


class ModelError(RuntimeError):
    """A model file is malformed or its table does not match its declared columns."""


@dataclass(frozen=True)
class ModelParams:
    """Everything time- or config-dependent the models read; each field is a DuckDB variable."""

    as_of: datetime
    bug_labels: tuple[str, ...]
    customer_labels: tuple[str, ...]
    in_progress_labels: tuple[str, ...]
    bug_types: tuple[str, ...]
    status_categories: Mapping[str, str]
    not_planned_resolutions: tuple[str, ...]
    duplicate_resolutions: tuple[str, ...]
    post_release_window_days: int
    customer_open_days: int
    baseline_grace_days: float
    forecast_trials: int
    forecast_window_weeks: int
    forecast_seed: int

    def __post_init__(self) -> None:
        # A naive as_of means UTC: every figure is computed in UTC.
        as_of = self.as_of if self.as_of.tzinfo else self.as_of.replace(tzinfo=UTC)
        object.__setattr__(self, "as_of", as_of.astimezone(UTC))

    @classmethod
    def from_config(cls, config: Config, as_of: datetime) -> ModelParams:
        mapping = config.mapping
        return cls(
            as_of=as_of,
            bug_labels=tuple(mapping.bug_labels),
            customer_labels=tuple(mapping.customer_labels),
            in_progress_labels=tuple(mapping.in_progress_labels),
            bug_types=tuple(mapping.bug_types),
            status_categories=dict(mapping.status_categories),
            not_planned_resolutions=tuple(mapping.not_planned_resolutions),
            duplicate_resolutions=tuple(mapping.duplicate_resolutions),
            post_release_window_days=config.outcomes.post_release_window_days,
            customer_open_days=config.outcomes.customer_open_days,
            baseline_grace_days=config.scope.baseline_grace_days,
            forecast_trials=config.forecast.trials,
            forecast_window_weeks=config.forecast.window_weeks,
            forecast_seed=config.forecast.seed,
        )


@dataclass(frozen=True)
class Model:
    name: str  # schema-qualified table, e.g. "marts.work_items"
    schema: str
    kind: Kind
    path: Path | None
    description: str
    columns: dict[str, str]
    deps: frozenset[str]  # schema-qualified tables it reads, e.g. "raw.github_issues"


def discover(models_dir: Path = MODELS_DIR) -> list[Model]:
    """Every model under `models_dir` plus the Python models, sorted so inputs come first."""
    staging = models_dir / "staging"
    unions = {
        path.stem: _sql_model(path, "staging", path.stem, "union") for path in sorted(staging.glob("*.sql"))
    }
    tracker_paths = sorted(staging.glob("*/*.sql"))
    models = [
        _sql_model(
            path, "staging", _tracker_table(path), "table", getattr(unions.get(path.stem), "columns", None)
        )
        for path in tracker_paths
    ]
    models += [
        dataclasses.replace(
            union,
            deps=frozenset(
                f"staging.{_tracker_table(path)}" for path in tracker_paths if path.stem == entity
            ),
        )
        for entity, union in unions.items()
    ]
    for folder, schema, kind in (
        ("intermediate", "intermediate", "table"),
        ("marts", "marts", "table"),
        ("snapshots", "ops", "snapshot"),
    ):
        models += [
            _sql_model(path, schema, path.stem, kind) for path in sorted((models_dir / folder).glob("*.sql"))
        ]
    models += [_python_model(module) for module in PYTHON_MODELS.values()]
    return _in_dependency_order(models)


def set_params(con: duckdb.DuckDBPyConnection, params: ModelParams) -> None:
    """Set each parameter as a DuckDB variable, and the session to UTC (so ::DATE is a UTC date)."""
    con.execute("SET TimeZone = 'UTC'")
    for field in dataclasses.fields(params):
        name, value = field.name, getattr(params, field.name)
        if isinstance(value, Mapping):
            con.execute(
                f"SET VARIABLE {name} = map(?::VARCHAR[], ?::VARCHAR[])", [list(value), list(value.values())]
            )
        else:
            con.execute(
                f"SET VARIABLE {name} = ?::{_sql_type(value)}",
                [list(value) if isinstance(value, tuple) else value],
            )


def missing_inputs(con: duckdb.DuckDBPyConnection, model: Model) -> list[str]:
    """The tables `model` reads that do not exist (for a union: none, it takes what exists)."""
    if model.kind == "union":
        return []
    return sorted(dep for dep in model.deps if not warehouse.table_exists(con, dep))


def build(con: duckdb.DuckDBPyConnection, model: Model, params: ModelParams) -> int:
    """Build one model and comment its table and columns; returns the table's row count.

    A tracker's staging model whose inputs are missing is skipped: its table is dropped (so the
    union does not pick up stale rows) and 0 is returned. Any other model with a missing input
    raises ModelError. The build runs in its own transaction, so call it outside one.
    """
    missing = missing_inputs(con, model)
    if missing and model.schema == "staging":
        con.execute(f"DROP TABLE IF EXISTS {model.name}")
        return 0
    if missing:
        raise ModelError(f"{model.name}: input tables missing: {', '.join(missing)}")
    set_params(con, params)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {model.schema}")
    with warehouse.transaction(con):
        if model.kind == "python":
            PYTHON_MODELS[model.name].run(con, params)
        elif model.kind == "snapshot":
            con.execute(_read_sql(model))
        elif model.kind == "union":
            con.execute(f"CREATE OR REPLACE TABLE {model.name} AS {_union_query(con, model)}")
        else:
            con.execute(f"CREATE OR REPLACE TABLE {model.name} AS\n{_read_sql(model)}")
        _check_columns(con, model)
        _comment(con, model)
        ((rows,),) = con.execute(f"SELECT count(*) FROM {model.name}").fetchall()
    return int(rows)


def build_all(
    con: duckdb.DuckDBPyConnection,
    params: ModelParams,
    builder: Callable[[duckdb.DuckDBPyConnection, Model, ModelParams], int] = build,
) -> dict[str, int]:
    """Build every model in dependency order, each with `builder` (the run's assets pass one that
    caps DuckDB's memory); returns row counts of the tables built (skipped: absent)."""
    counts: dict[str, int] = {}
    for model in discover():
        rows = builder(con, model, params)
        if warehouse.table_exists(con, model.name):
            counts[model.name] = rows
    return counts


# What each model was last built from, so a run whose inputs did not change skips its build. Not a
# warehouse table: the schema is never published.
BUILDS_DDL = """
CREATE SCHEMA IF NOT EXISTS internal;
CREATE TABLE IF NOT EXISTS internal.model_builds (
    model    VARCHAR PRIMARY KEY,
    inputs   VARCHAR NOT NULL,
    present  BOOLEAN NOT NULL,
    rows     BIGINT NOT NULL,
    built_at TIMESTAMPTZ NOT NULL
);
"""


# This runner's own code, part of every model's digest: read once, it does not change mid-run.
RUNNER_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


class BuildLog:
    """What each model was last built from (internal.model_builds) and which tables exist, read once
    when a run's models step starts and kept current as the step builds: a model kept because its
    inputs did not change costs no query but its raw inputs' fingerprints.

    The step's connection is the only writer of the working database while it runs, so what was
    read at the start stays true but for the tables the step builds, read again after each build.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(BUILDS_DDL)
        self._builds: dict[str, tuple[str, bool, int]] = {
            model: (inputs, present, rows)
            for model, inputs, present, rows in con.execute(
                "SELECT model, inputs, present, rows FROM internal.model_builds"
            ).fetchall()
        }
        self._tables = warehouse.relations(con)
        # Each raw table's, across the step's models (the sync is over: a raw table read by two
        # models is scanned once).
        self._fingerprints: dict[str, str] = {}

    def inputs_digest(
        self, con: duckdb.DuckDBPyConnection, model: Model, params: ModelParams, models: set[str]
    ) -> str:
        """A digest of everything `model`'s table is a function of, as it stands now.

        Its code (its file and this runner, the DuckDB version that runs it), the parameters, each
        input that is not a model (a raw table: its rows, by their stored hash, and deletions) and,
        for each input built by a model of `models`, the digest that model was last built or kept
        with: a change anywhere upstream reaches every model below it, and comparing needs no scan
        of an intermediate table. Call it once the model's inputs are final for the run.
        """
        parts = [
            duckdb.__version__,
            RUNNER_DIGEST,
            hashlib.sha256(model.path.read_bytes()).hexdigest() if model.path else "",
            json.dumps(dataclasses.asdict(params), sort_keys=True, default=str),
        ]
        for dep in sorted(model.deps):
            if dep in models:
                built = self._builds.get(dep)
                parts.append(f"{dep}={built[0] if built else None}")
                continue
            if dep not in self._fingerprints:
                self._fingerprints[dep] = self._raw_fingerprint(con, dep)
            parts.append(f"{dep}={self._fingerprints[dep]}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def _raw_fingerprint(self, con: duckdb.DuckDBPyConnection, table: str) -> str:
        """Rows of a raw table by key, stored hash and deletion (narrow columns: its JSON is not read)."""
        if table not in self._tables:
            return "missing"
        ((rows, total),) = con.execute(
            f"SELECT count(*), sum(hash(source, scope, id, data_hash, deleted_at))::VARCHAR FROM {table}"
        ).fetchall()
        return f"{rows}:{total}"

    def built_rows(self, model: Model, digest: str) -> int | None:
        """The row count `model`'s table was built with, if it was built from `digest` and is still
        there as built (or still absent: a tracker not configured); None when it must be built."""
        built = self._builds.get(model.name)
        if built is None or built[0] != digest or built[1] != (model.name in self._tables):
            return None
        return built[2]

    def record(self, con: duckdb.DuckDBPyConnection, model: Model, digest: str, rows: int) -> None:
        """Note that `model` was built from `digest` (after its build committed: a crash between the
        two only makes the next run build it again)."""
        self._tables = warehouse.relations(con)  # the build made or dropped its table
        built = (digest, model.name in self._tables, rows)
        con.execute(
            "INSERT OR REPLACE INTO internal.model_builds VALUES (?, ?, ?, ?, ?)",
            [model.name, *built, datetime.now(UTC)],
        )
        self._builds[model.name] = built


def _sql_model(
    path: Path, schema: str, table: str, kind: Kind, default_columns: dict[str, str] | None = None
) -> Model:
    text = path.read_text(encoding="utf-8")
    description, columns = _parse_header(text)
    columns = columns or default_columns or {}
    if not description or not columns:
        raise ModelError(f"{path}: header needs a description paragraph and a '-- columns:' block")
    name = f"{schema}.{table}"
    code = LINE_COMMENT.sub("", text)
    deps = frozenset(f"{s}.{t}" for s, t in TABLE_REFERENCE.findall(code)) - {name}
    return Model(name, schema, kind, path, description, columns, deps)


def _tracker_table(path: Path) -> str:
    """models/staging/github/work_items.sql → github__work_items."""
    return f"{path.parent.name}__{path.stem}"


def _python_model(module: ModuleType) -> Model:
    schema = module.NAME.partition(".")[0]
    return Model(
        module.NAME,
        schema,
        "python",
        Path(module.__file__),
        module.DESCRIPTION,
        dict(module.COLUMNS),
        module.DEPS,
    )


def _parse_header(text: str) -> tuple[str, dict[str, str]]:
    """(first paragraph, {column: description}) from the file's leading `--` comment lines."""
    body = [
        line[2:].rstrip()
        for line in itertools.takewhile(lambda line: line.startswith("--"), text.splitlines())
    ]
    stripped = [line.strip() for line in body]
    end = next((i for i, line in enumerate(stripped) if line in ("", "columns:")), len(stripped))
    columns: dict[str, str] = {}
    if "columns:" in stripped:
        indent: int | None = None
        for line in body[stripped.index("columns:") + 1 :]:
            match = COLUMN_LINE.match(line)
            if match and indent in (None, len(match.group(1))):
                indent = len(match.group(1))
                columns[match.group(2)] = match.group(3)
            elif columns and line.strip():  # a deeper-indented line continues the last description
                last = next(reversed(columns))
                columns[last] = f"{columns[last]} {line.strip()}"
    return " ".join(stripped[:end]), columns


def _in_dependency_order(models: list[Model]) -> list[Model]:
    """Topological order, alphabetical among models that are ready together (stable across runs)."""
    by_name = {model.name: model for model in models}
    sorter = graphlib.TopologicalSorter({m.name: {d for d in m.deps if d in by_name} for m in models})
    sorter.prepare()
    ordered: list[Model] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered += [by_name[name] for name in ready]
        sorter.done(*ready)
    return ordered


def _read_sql(model: Model) -> str:
    assert model.path is not None
    return model.path.read_text(encoding="utf-8").strip().rstrip(";")


def _union_query(con: duckdb.DuckDBPyConnection, model: Model) -> str:
    parts = [f"SELECT * FROM (\n{_read_sql(model)}\n)"]
    parts += [f"SELECT * FROM {table}" for table in sorted(model.deps) if warehouse.table_exists(con, table)]
    return "\nUNION ALL BY NAME\n".join(parts)


def _check_columns(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    schema, _, table = model.name.partition(".")
    actual = [
        name
        for (name,) in con.execute(
            """
            SELECT column_name FROM duckdb_columns()
            WHERE database_name = current_database() AND schema_name = ? AND table_name = ?
            """,
            [schema, table],
        ).fetchall()
    ]
    undescribed = [c for c in actual if c not in model.columns]
    absent = [c for c in model.columns if c not in actual]
    if undescribed or absent:
        raise ModelError(
            f"{model.name}: columns built but not described: {undescribed or 'none'}; "
            f"described but not built: {absent or 'none'}"
        )


def _comment(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    con.execute(f"COMMENT ON TABLE {model.name} IS {warehouse.sql_literal(model.description)}")
    for column, description in model.columns.items():
        con.execute(f"COMMENT ON COLUMN {model.name}.{column} IS {warehouse.sql_literal(description)}")


def _sql_type(value: object) -> str:
    if isinstance(value, datetime):
        return "TIMESTAMPTZ"
    if isinstance(value, tuple):
        return "VARCHAR[]"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float):
        return "DOUBLE"
    raise TypeError(f"no DuckDB type for model parameter {value!r}")
