# Urna — two commands for a fresh machine:
#   make demo   install, migrate SQLite, seed the demo edition, serve on http://127.0.0.1:8000
#   make test   install everything (Python deps, Debian chromium) and run the whole suite
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=

.PHONY: install demo test test-postgres test-embedded lint chromium wrk bench bench-cast bench-results loadtest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

wrk:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }

demo: install
	$(BIN)/urna demo

lint: install
	$(BIN)/ruff check backend tests loadtests
	$(BIN)/lint-imports

test: install chromium lint test-postgres test-embedded

test-postgres: install
	$(BIN)/pytest -q $(PYTEST_ARGS)

test-embedded: install
	URNA_TEST_BACKEND=embedded $(BIN)/pytest -q -m flow $(PYTEST_ARGS)

bench: bench-cast

bench-cast: install wrk
	$(BIN)/python loadtests/bench_cast.py

bench-results: install
	PYTHONPATH=backend $(BIN)/python loadtests/bench_results_db.py

# Readiness before an edition opens, against a staging copy in load-test mode:
#   make loadtest TARGET=http://staging:8000 EDITION=slug POPULATION=250000 [DATABASE_URL=…]
loadtest: install
	$(BIN)/python -m loadtests.readiness --target $(TARGET) --edition $(EDITION) \
	  --population $(or $(POPULATION),100000) $(if $(DATABASE_URL),--database-url $(DATABASE_URL)) \
	  --report var/readiness.html

clean:
	rm -rf $(VENV) var .pytest_cache
