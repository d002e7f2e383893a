# Two commands for a newcomer:
#   make demo   - try the Slack app in a console, on a local SQLite file (demo.db) with demo data
#   make test   - run the whole test suite (PostgreSQL too when TEST_POSTGRES_URL is set)
# Each one creates the virtual environment and installs what it needs by itself.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
APP    := $(VENV)/.installed-app
STAMP  := $(VENV)/.installed

.PHONY: demo test venv clean bench

# The app alone (the demo needs nothing else): no test tools, no warehouse drivers, no chDB
$(APP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(APP)

# The app and what the tests run: pytest, hypothesis, DuckDB, ClickHouse's driver and chDB, the cloud dialects
$(STAMP): $(APP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(APP)
	$(BIN)/python -m bot console --demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) demo.db* kpi.db* kpi-charts .pytest_cache .hypothesis

# The benchmark (not part of `make test`): writes BENCHMARKS.md. PostgreSQL too when TEST_POSTGRES_URL is set.
bench: $(STAMP)
	$(BIN)/python tests/benchmarks/bench.py $(BENCH_ARGS)
