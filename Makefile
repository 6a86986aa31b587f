# Two commands matter: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The stamp names the inputs of an install, so editing either reinstalls.
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: run test check lint typecheck contracts unit integration e2e bench bench-bridge bench-gateway settings-table clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=23"

$(STAMP_RUN): $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	touch $@

$(STAMP_DEV): $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e ".[dev]"
	touch $@ $(STAMP_RUN)

## run: set up and start the server on its embedded defaults (migrates on start)
run: $(STAMP_RUN)
	$(BIN)/accord serve

## test: set up, lint, type-check, check the import contracts and run the whole suite
test: $(STAMP_DEV) lint typecheck contracts
	$(BIN)/python -m pytest

check: test

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP_DEV)
	$(BIN)/mypy accord

## contracts: the layering of pyproject.toml's [tool.importlinter] (core, adapters, surfaces)
contracts: $(STAMP_DEV)
	$(BIN)/lint-imports

unit: $(STAMP_DEV)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP_DEV)
	$(BIN)/python -m pytest tests/integration

## bench: every benchmark against docs/quality-bars.md's bars, one table; updates docs/benchmarks.md (< 15 min)
bench: $(STAMP_DEV)
	$(BIN)/python loadtest/bench_suite.py

## bench-bridge: trio -> asyncpg crossing cost, both bridges (see docs/decisions)
bench-bridge: $(STAMP_DEV)
	$(BIN)/python loadtest/bench_bridge.py

## bench-gateway: fan-out per core, RSS per idle session, POST -> MESSAGE_CREATE latency
bench-gateway: $(STAMP_DEV)
	$(BIN)/python loadtest/bench_gateway_fanout.py
	$(BIN)/python loadtest/bench_gateway_latency.py
	$(BIN)/python loadtest/bench_gateway_idle.py

## settings-table: rewrite README.md's configuration table from accord/config.py
settings-table: $(STAMP_DEV)
	$(BIN)/python -m accord.settings_table README.md

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache *.egg-info
