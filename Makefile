# The two commands: `make run` and `make test`. Both create .venv on first use.
# Python 3.11 to 3.13: the first one found.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)
export INDICATORS_DAGSTER_STATE := $(CURDIR)/.dagster

.PHONY: run test check lint dev benchmark clean tesseract chromium redis postgresql audit-sample

# A first set-up that fails removes its half-made .venv, so the next run starts clean.
$(BIN)/indicators: pyproject.toml constraints.txt
	@if [ ! -x $(BIN)/python ]; then \
	  { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet --upgrade pip \
	    && $(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"; } \
	  || { echo "setting up $(VENV) failed: removed it" >&2; rm -rf $(VENV); exit 1; }; \
	else \
	  $(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"; \
	fi
	touch $(BIN)/indicators

# System programs some reports and tests need, from Debian's packages: installed when missing
# and we can (root with apt-get), otherwise a message says what to install and what happens
# without it. $(call system_package,PROGRAM,PACKAGE,WHAT HAPPENS WITHOUT IT) (no commas).
define system_package
@command -v $(1) >/dev/null 2>&1 || { \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
    echo "installing $(2)"; \
    (apt-get install -y -qq $(2) >/dev/null 2>&1 || \
     (apt-get update -qq && apt-get install -y -qq $(2) >/dev/null)) || \
    echo "warning: could not install $(2): $(3)"; \
  else \
    echo "note: $(1) is not installed: $(3) (Debian/Ubuntu: sudo apt-get install $(2))"; \
  fi; }
endef

# Scans are read by OCR; reports with a text layer never need Tesseract.
tesseract:
	$(call system_package,tesseract,tesseract-ocr,scanned reports will fail by name)

# The landing page's test drives a real headless browser.
chromium:
	$(call system_package,chromium,chromium,the browser test will be skipped)

# The Celery backfill test starts its own Redis server.
redis:
	$(call system_package,redis-server,redis-server,the Celery test will be skipped)

# ... and its own PostgreSQL server (Dagster's storage); Debian puts `initdb` off PATH, but the
# package's `pg_ctlcluster` is on it.
postgresql:
	$(call system_package,pg_ctlcluster,postgresql,the Celery test will be skipped)

run: $(BIN)/indicators tesseract
	$(BIN)/indicators run

# Everything, what CI runs: lint, format, every test on every core.
test: $(BIN)/indicators tesseract chromium redis postgresql
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -n auto

# The fast loop while changing code: lint and the tests that start no processes.
check: $(BIN)/indicators
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -n auto -m "not slow"

dev: $(BIN)/indicators
	$(BIN)/dagster dev

benchmark: $(BIN)/indicators
	$(BIN)/python benchmarks/extraction.py

clean:
	rm -rf .dagster published/indicators.duckdb

# Real reports, every change: a fixed sample of the corpus must read cleanly (no furniture in
# text, no numbering gaps or repeats, no offset quarantines). Skipped without the corpus.
CORPUS ?= ../shared/corpus/pdf
audit-sample: $(BIN)/indicators
	@if [ -d "$(CORPUS)" ]; then \
	  $(BIN)/indicators audit --strict $(addprefix $(CORPUS)/,$(shell cat benchmarks/audit-sample.txt)); \
	else echo "no corpus at $(CORPUS): audit sample skipped"; fi
