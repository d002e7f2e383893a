# Two commands for a newcomer:
#   make demo   - try the Slack app in a console, on a local SQLite file (demo.db) with demo data
#   make test   - run the whole test suite (PostgreSQL too when TEST_POSTGRES_URL is set)
# Each one creates the virtual environment and installs what it needs by itself, from uv.lock: the very
# versions CI tested. Others: make lint, make lock (refresh uv.lock), make bench, make clean.

PYTHON     ?= python3
VENV       ?= .venv
BIN        := $(VENV)/bin
UV_VERSION := 0.13.9
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
APP        := $(VENV)/.installed-app
STAMP      := $(VENV)/.installed
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Packages are installed compiled to bytecode, as pip does: every later start skips that work (it matters
# where PYTHONDONTWRITEBYTECODE is set, which never writes it at run time)
export UV_COMPILE_BYTECODE := 1

.PHONY: demo test lint lock venv clean bench

# uv, the installer, in a small environment of its own (bootstrapped with pip once, pinned)
$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# The app alone, as locked (the demo needs nothing else: no test tools, no warehouse drivers, no chDB)
$(APP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --quiet --frozen --inexact --no-dev --python $(PYTHON)
	$(BIN)/python -m compileall -q bot kpi
	touch $(APP)

# The app and what the tests and the linters run: pytest, hypothesis, DuckDB, chDB, the cloud dialects,
# ruff and mypy
$(STAMP): $(APP)
	$(UV) sync --quiet --frozen --extra test --python $(PYTHON)
	touch $(STAMP)

venv: $(STAMP)

demo: $(APP)
	$(BIN)/python -m bot console --demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Lint, format and types: what CI runs before the tests (see pyproject.toml for the rules)
lint: $(STAMP)
	$(BIN)/ruff check bot kpi tests alembic
	$(BIN)/ruff format --check bot kpi tests alembic
	$(BIN)/mypy

# Resolve the newest versions pyproject.toml allows into uv.lock (then run make test, and commit both)
lock: | $(UV)
	$(UV) lock --upgrade --python $(PYTHON)

clean:
	rm -rf $(VENV) $(TOOLS) demo.db* kpi.db* kpi-charts .pytest_cache .hypothesis .mypy_cache .ruff_cache

# The benchmark (not part of `make test`): writes BENCHMARKS.md. PostgreSQL too when TEST_POSTGRES_URL is set.
bench: $(STAMP)
	$(BIN)/python tests/benchmarks/bench.py $(BENCH_ARGS)
