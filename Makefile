# The two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)
export INDICATORS_DAGSTER_STATE := $(CURDIR)/.dagster

.PHONY: run test lint dev benchmark clean

$(BIN)/indicators: pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(BIN)/indicators

run: $(BIN)/indicators
	$(BIN)/indicators run

test: $(BIN)/indicators
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

dev: $(BIN)/indicators
	$(BIN)/dagster dev -m pipeline.definitions

benchmark: $(BIN)/indicators
	$(BIN)/python benchmarks/extraction.py

clean:
	rm -rf .dagster published/indicators.duckdb
