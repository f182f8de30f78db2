# CRISIS — the two set-up commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export CRISIS_DATA_DIR ?= var

.PHONY: run test install dev lint types unit system-deps catalogs clean ralph

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

## run: install, create or migrate the database, create demo accounts once, compile the
##      simulation engine once, serve on :8000
run: install
	$(BIN)/crisis db upgrade --demo-accounts
	$(BIN)/crisis sim compile
	$(BIN)/crisis serve

## test: the whole suite — lint, format, types, unit, API, PostgreSQL and browser tests
test: dev system-deps ralph
	@# The simulation engine compiles (once per install) while lint and types are checked.
	$(BIN)/crisis sim compile & compiling=$$!; \
	$(BIN)/ruff check src tests benchmarks && \
	$(BIN)/ruff format --check src tests benchmarks && \
	$(BIN)/mypy; status=$$?; \
	wait $$compiling || status=1; exit $$status
	$(BIN)/pytest -n auto --dist loadfile --no-loadscope-reorder

## ralph: the Ralph LRS in its own virtualenv (its pinned FastAPI differs from ours), for the xAPI tests
ralph: .venv-ralph/.installed

.venv-ralph/.installed:
	$(PYTHON) -m venv .venv-ralph
	.venv-ralph/bin/pip install --quiet 'ralph-malph[cli,lrs]>=5.0' requests
	touch $@

system-deps:
	@scripts/ensure-system-deps.sh

lint: dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

types: dev
	$(BIN)/mypy

unit: dev
	$(BIN)/pytest -m "not browser and not postgres"

## catalogs: re-extract interface strings into the four .po catalogs (keeps translations)
catalogs: dev
	$(BIN)/python scripts/catalogs.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
