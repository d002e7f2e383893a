# Two commands for a newcomer:
#   make demo   - run the product on an embedded SQLite file filled with demo data
#   make test   - run the whole test suite (PostgreSQL too when TEST_POSTGRES_URL is set)
# Each one creates the virtual environment and installs what it needs by itself.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-sqlite:///demo.db} $(BIN)/python -m kpi demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) demo.db kpi.db .pytest_cache .hypothesis
