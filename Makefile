# Two commands for a new user: `make demo` and `make test`. Both build .venv from uv.lock first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv

.PHONY: venv demo test lint bench reliability clean

$(UV):
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv

# --compile-bytecode: a run imports Dagster, DuckDB and pandas; without .pyc files each start
# compiles them again (2.5 s of a no-change run).
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --quiet --frozen --compile-bytecode --extra dev --python $(BIN)/python
	touch $@

venv: $(VENV)/.synced

demo: venv
	$(BIN)/trackerlake demo --warehouse data/demo.duckdb

test: venv
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: venv
	$(BIN)/python -m bench

# The whole reliability suite, long versions included (plain `pytest` runs only the short ones).
reliability: venv
	$(BIN)/pytest -q -m "reliability or not reliability" tests/reliability

clean:
	rm -rf $(VENV) data .pytest_cache
