# Urna — two commands for a fresh machine:
#   make demo   install, migrate SQLite, seed the demo edition, serve on http://127.0.0.1:8000
#   make test   install everything (Python deps, Debian chromium and nginx, axe-core) and run the whole suite
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=
AXE := var/npm/node_modules/axe-core/axe.min.js

.PHONY: install demo test test-postgres test-embedded lint chromium axe nginx wrk bench bench-cast bench-pg-cast bench-asgi bench-phone bench-results loadtest soak clean

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

# axe-core (npm), injected by the browser tests into every page they visit (WCAG 2.1 AA).
axe: $(AXE)

$(AXE):
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm >/dev/null; }
	npm install --no-save --no-audit --no-fund --prefix var/npm axe-core@4

# nginx (Debian), run by tests/infra/test_nginx_live.py with infra/'s proxy configs.
nginx:
	@[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx-light >/dev/null; }

wrk:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }

demo: install
	$(BIN)/urna demo

lint: install
	$(BIN)/ruff check backend tests loadtests
	$(BIN)/lint-imports

test: install chromium axe nginx lint test-postgres test-embedded

test-postgres: install axe
	$(BIN)/pytest -q $(PYTEST_ARGS)

test-embedded: install axe
	URNA_TEST_BACKEND=embedded $(BIN)/pytest -q -m flow $(PYTEST_ARGS)

# The outage tests at length, on a private PostgreSQL and redis-server (never the shared
# ones): residents vote while workers are SIGKILLed and PostgreSQL crashes once, then a
# Redis and a PostgreSQL outage. make test runs the same for 40 s with 8 residents:
#   make soak [SOAK_SECONDS=300] [SOAK_RESIDENTS=16] [SOAK_KILL_EVERY=3]
soak: install
	URNA_SOAK_SECONDS=$(or $(SOAK_SECONDS),300) URNA_SOAK_RESIDENTS=$(or $(SOAK_RESIDENTS),16) \
	  URNA_SOAK_KILL_EVERY=$(or $(SOAK_KILL_EVERY),3) $(BIN)/pytest -q tests/outage $(PYTEST_ARGS)

bench: bench-cast

# app CPU per request in-process, next to the floor's app (ASGI_ARGS: --kind, --profile, ...)
bench-pg-cast: install
	$(BIN)/python loadtests/bench_pg_cast.py

bench-asgi: install
	PYTHONPATH=backend $(BIN)/python loadtests/asgi_cost.py $(ASGI_ARGS)

bench-cast: install wrk
	$(BIN)/python loadtests/bench_cast.py

# a resident on an old phone: the whole vote in Chromium, network and CPU throttled
bench-phone: install chromium
	$(BIN)/python loadtests/old_phone.py $(PHONE_ARGS)

bench-results: install
	PYTHONPATH=backend $(BIN)/python loadtests/bench_results_db.py

# Readiness before an edition opens, against a staging copy in load-test mode:
#   make loadtest TARGET=http://staging:8000 EDITION=slug POPULATION=250000 [DATABASE_URL=…]
# The real ballots of a pabulib file through HTTP (a name in URNA_PABULIB_DIR or a path):
#   make loadtest TARGET=… DATABASE_URL=… REPLAY=Poland_Lodz_2022_Andrzejow.pb [LIMIT=300]
loadtest: install
	$(BIN)/python -m loadtests.readiness --target $(TARGET) $(if $(EDITION),--edition $(EDITION)) \
	  --population $(or $(POPULATION),100000) $(if $(DATABASE_URL),--database-url $(DATABASE_URL)) \
	  $(if $(REPLAY),--replay $(REPLAY)) $(if $(LIMIT),--limit $(LIMIT)) \
	  --report var/readiness.html

clean:
	rm -rf $(VENV) var .pytest_cache
