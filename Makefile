# Two commands for a newcomer:
#   make demo   - try the Slack app in a console, on a local SQLite file (demo.db) with demo data
#   make test   - run the whole test suite (PostgreSQL too when TEST_POSTGRES_URL is set)
# Each one creates the virtual environment and installs what it needs by itself.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test venv clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m bot console --demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) demo.db* kpi.db* kpi-charts .pytest_cache .hypothesis

# The benchmark (not part of `make test`): writes BENCHMARKS.md. PostgreSQL too when TEST_POSTGRES_URL is set.
bench: $(STAMP)
	$(BIN)/python tests/benchmarks/bench.py $(BENCH_ARGS)
