# Two commands for a new user: `make demo` and `make test`. Both build .venv from uv.lock first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv

.PHONY: venv demo test test-lakehouse lint bench bench-peers bench-landing reliability screenshots clean

$(UV):
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv

# --compile-bytecode: a run imports Dagster, DuckDB and requests; without .pyc files each start
# compiles them again (2.5 s of a no-change run).
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --quiet --frozen --compile-bytecode --extra dev --python $(BIN)/python
	touch $@

venv: $(VENV)/.synced

demo: venv
	$(BIN)/trackerlake demo --warehouse data/demo.duckdb

# Two workers (pytest-xdist), one per core: most of the suite is pipeline runs on one core each.
# --dist loadfile keeps a file's tests on one worker, so a module-scoped run is made once.
test: venv
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: venv
	$(BIN)/python -m bench

# dlt's rest_api source on the same emulated GitHub server, beside the bare loop and the sync
# (~1 min); dlt gets a venv of its own, as a user of it would install it.
PEERS := .venv-peers
$(PEERS)/bin/python: $(UV)
	$(UV) venv --quiet --python $(BIN)/python $(PEERS)
	$(UV) pip install --quiet --python $(PEERS)/bin/python "dlt[duckdb]==1.31.0"

bench-peers: venv $(PEERS)/bin/python
	$(BIN)/python -m bench.peers --python $(PEERS)/bin/python

# DuckLake on PostgreSQL (docs/scaling.md). Offline, DuckDB's extensions come only as pip packages,
# built for DuckDB 1.5.5 at the newest, and an extension loads only into its own DuckDB: this venv is
# uv.lock's with DuckDB overridden to 1.5.5 and the DuckLake and PostgreSQL client extensions added.
# PostgreSQL is Debian's package (the tests start their own server as its `postgres` user).
LAKEHOUSE := .venv-lakehouse
LAKEHOUSE_DUCKDB := 1.5.5
# DuckDB's extensions for the lake, each built for LAKEHOUSE_DUCKDB: DuckLake, its PostgreSQL
# catalog's client, httpfs for a data path on S3.
LAKEHOUSE_EXTENSIONS := ducklake postgres-scanner httpfs
# Makefile: a changed extension list reinstalls.
$(LAKEHOUSE)/.synced: $(UV) pyproject.toml uv.lock Makefile
	$(UV) venv --quiet --allow-existing --python $(BIN)/python $(LAKEHOUSE)
	$(UV) export --quiet --frozen --no-hashes --extra dev --no-emit-project -o $(LAKEHOUSE)/requirements.txt
	echo "duckdb==$(LAKEHOUSE_DUCKDB)" > $(LAKEHOUSE)/overrides.txt
	$(UV) pip install --quiet --compile-bytecode --python $(LAKEHOUSE)/bin/python \
		-r $(LAKEHOUSE)/requirements.txt --override $(LAKEHOUSE)/overrides.txt -e . \
		$(foreach ext,$(LAKEHOUSE_EXTENSIONS),duckdb-extension-$(ext)==$(LAKEHOUSE_DUCKDB))
	touch $@

# The published file is read back by DuckDB 1.1.3, as BI drivers bundle it.
BI_READER := $(LAKEHOUSE)/bi-reader
$(BI_READER)/bin/python: $(LAKEHOUSE)/.synced
	$(UV) venv --quiet --allow-existing --python $(BIN)/python $(BI_READER)
	$(UV) pip install --quiet --python $@ duckdb==1.1.3 pytz

# S3 for the tests: moto's server on loopback (its own venv: moto[server] brings Flask, boto3 and
# more that neither the pipeline nor the lake needs).
S3_SERVER := $(LAKEHOUSE)/s3-server
$(S3_SERVER)/bin/python: $(LAKEHOUSE)/.synced
	$(UV) venv --quiet --allow-existing --python $(BIN)/python $(S3_SERVER)
	$(UV) pip install --quiet --python $@ "moto[server]==5.2.5"

test-lakehouse: venv $(LAKEHOUSE)/.synced $(BI_READER)/bin/python $(S3_SERVER)/bin/python
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }
	TRACKERLAKE_REQUIRE_LAKEHOUSE=1 TRACKERLAKE_PIPELINE_PYTHON=$(BIN)/python TRACKERLAKE_BI_PYTHON=$(BI_READER)/bin/python \
		TRACKERLAKE_S3_PYTHON=$(S3_SERVER)/bin/python $(LAKEHOUSE)/bin/pytest -q tests/lakehouse

# Eight sources (two emulated organisations, each repo and project a source) synced one after the
# other and in a process each, every source into its own landing file (issue 15; ~2 min).
bench-landing: venv
	$(BIN)/python -m bench.landing_stage --scale 21 --work $$(mktemp -d)

# The whole reliability suite, long versions included (plain `pytest` runs only the short ones).
reliability: venv
	$(BIN)/pytest -q -m "reliability or not reliability" tests/reliability

# The demo's report as a person sees it: Debian's Chromium, headless, renders data/demo.report.html
# to PNGs in docs/screenshots/: the first screen, and the whole page (the demo's is about 6,700 px
# high). Nothing is installed here: without Chromium it says what to install (fonts-noto-cjk draws
# the demo's names in Chinese and Japanese).
# --no-sandbox lets it run as root in a container; the page is our own file, with no script.
CHROMIUM ?= chromium
SHOT = $(CHROMIUM) --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1
REPORT_URL = file://$(CURDIR)/data/demo.report.html
screenshots: demo
	@command -v $(CHROMIUM) >/dev/null || { echo "make screenshots needs Chromium: apt-get install -y chromium fonts-noto-cjk" >&2; exit 1; }
	mkdir -p docs/screenshots
	$(SHOT) --window-size=1280,1400 --screenshot=docs/screenshots/report.png "$(REPORT_URL)"
	$(SHOT) --window-size=1280,7200 --screenshot=docs/screenshots/report-full.png "$(REPORT_URL)"

clean:
	rm -rf $(VENV) $(PEERS) data .pytest_cache
