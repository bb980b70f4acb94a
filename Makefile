# The README's two commands: `make demo` and `make test`. Both set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= var/demo

.PHONY: demo test lint system-deps venv pg screenshots clean

# System packages (fonts for Chinese, Chromium for the board tests, audio and Qt libraries).
system-deps:
	@bash install/system-deps.sh

$(STAMP): pyproject.toml install/system-deps.sh
	@$(MAKE) --no-print-directory system-deps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel setuptools
	$(PY) -m pip install -q -e ".[apps,devices,voice,face,reports,dev]"
	$(PY) -m pip install -q --no-deps "insightface>=2.1"   # its opencv-python would clash with the headless build
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	SUQIU_DATA_DIR=$(DEMO_DIR) $(VENV)/bin/suqiu demo --data-dir $(DEMO_DIR)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# PostgreSQL for the database tests: SUQIU_TEST_PG_URL, or the local server (started or
# installed when we are root). Without one the PostgreSQL tests are skipped loudly,
# unless SUQIU_REQUIRE_PG=1 (CI), which makes its absence a failure.
pg:
	@bash install/postgres.sh

# Two worker processes (pytest-xdist): much of the suite waits on server processes, Chromium and
# I/O rather than on the CPU. `--dist loadfile` keeps a module on one worker, so its server starts
# once. TEST_WORKERS=0 runs everything in this process (plainer output when debugging).
TEST_WORKERS ?= 2

test: $(STAMP)
	@$(MAKE) --no-print-directory lint
	@bash install/postgres.sh || [ "$$SUQIU_REQUIRE_PG" != "1" ]
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
