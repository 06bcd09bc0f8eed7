"""docs/warehouse.md is the warehouse's own comments: rebuilding it must give the committed file."""

from __future__ import annotations

from pipelines import docs, models


def test_committed_warehouse_doc_matches_a_rebuilt_warehouse() -> None:
    with docs.empty_warehouse() as con:
        rebuilt = docs.render(con)
    assert rebuilt == docs.DOC.read_text(encoding="utf-8"), (
        "docs/warehouse.md is stale: run python -m pipelines.docs"
    )


def test_every_model_table_and_column_is_documented() -> None:
    built = {model.name for model in models.discover()}
    with docs.empty_warehouse() as con:
        undocumented = con.execute(
            """
            SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE coalesce(comment, '') = ''
            UNION ALL
            SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns()
            WHERE coalesce(comment, '') = ''
            """
        ).fetchall()
    assert [name for (name,) in undocumented if name.rsplit(".", 1)[0] in built or name in built] == []
