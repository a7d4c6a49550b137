# Chorus Pro Sandbox — two commands on a fresh machine: `make run`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := $(CURDIR)/.tools/bin
MAILPIT_VERSION ?= v1.33.1
# Written by the build beside the binary: with or without the web UI (sandbox/mail/build.py).
MAILPIT_BUILD := $(TOOLS)/mailpit.build
# MAILPIT_UI=--no-ui builds Mailpit without its web UI (no npm).
MAILPIT_UI ?= --ui
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# The suite runs on two xdist workers (a stack each, files kept together): CI has 2 cores
# and `make test` (both databases) must stay under 20 minutes. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
ifeq ($(TEST_WORKERS),0)
XDIST :=
else
XDIST := -n $(TEST_WORKERS) --dist loadfile
endif
RUN_ARGS ?=
LOAD_ARGS ?=
BENCH_ARGS ?=
CHAOS_ARGS ?=

.PHONY: run lint test test-sqlite test-postgres audit install mailpit chromium ci clean help settings load bench chaos conformance

help:
	@echo "make run      install what is missing, start Mailpit and the sandbox (http://127.0.0.1:8080)"
	@echo "             Mailpit's web UI: http://127.0.0.1:8025 (make mailpit builds it; MAILPIT_UI=--no-ui)"
	@echo "             options: make run RUN_ARGS=\"--port 9090 --mailpit-http-port 9025\""
	@echo "make lint     ruff check (the configured rules) and mypy over sandbox/"
	@echo "make test     install what is missing, run the whole test suite on SQLite, then on PostgreSQL"
	@echo "make test-sqlite / test-postgres   the suite on one database only"
	@echo "make audit    pip-audit over the installed dependencies (fails on a known vulnerability)"
	@echo "make settings print every SANDBOX_* setting"
	@echo "make load     a bounded Locust run on a fresh stack, then correctness checks (LOAD_ARGS=...)"
	@echo "make bench    measure ceiling, API mix, signup flows, scale; append docs/performance.md"
	@echo "make conformance  public clients' bodies against a fresh stack; writes docs/conformance.md"
	@echo "make chaos    the load mix 3 min while Mailpit and workers fail on a seeded schedule, then checks"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,load,postgres,dev,strict]'
	@touch $(STAMP)

install: $(STAMP) $(MAILPIT_BUILD)

# Mailpit from its Go module source: its web UI bundle built with npm (from the module's
# package.json and lock), then `go build`; without the UI if npm cannot build it. The
# record (and a binary built before it existed, without one) is what make follows.
$(MAILPIT_BUILD): | $(STAMP)
	@command -v go >/dev/null || { echo "Go is needed to build Mailpit"; exit 1; }
	$(BIN)/chorus-sandbox install-mailpit --dir $(TOOLS) --version $(MAILPIT_VERSION) $(MAILPIT_UI)

mailpit: $(MAILPIT_BUILD)

# Browser tests drive Debian's chromium (never `playwright install`).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium for the browser tests ..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

run: install
	$(BIN)/chorus-sandbox run $(RUN_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: audit test-sqlite test-postgres

test-sqlite: install chromium
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# The same suite on a throw-away PostgreSQL cluster (scripts/postgres.sh installs and
# starts it); each stack gets its own database there. If PostgreSQL cannot be had,
# say so and stop here (SANDBOX_REQUIRE_POSTGRES=1 makes that an error).
test-postgres: install chromium
	@url="$$(scripts/postgres.sh start)" || { \
	  echo "*** PostgreSQL is not available: the suite ran on SQLite only ***"; \
	  exit $${SANDBOX_REQUIRE_POSTGRES:-0}; }; \
	echo "Running the suite on PostgreSQL ($$url)"; \
	status=0; SANDBOX_TEST_DATABASE_URL="$$url" $(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS) || status=$$?; \
	scripts/postgres.sh stop; exit $$status

audit: $(STAMP)
	$(BIN)/python scripts/audit.py

# Load runs and benchmarks (docs/load.md): loopback only, bounded, they stop by themselves.
load: install
	$(BIN)/chorus-sandbox load $(LOAD_ARGS)

bench: install
	$(BIN)/chorus-sandbox bench $(BENCH_ARGS)

# The public clients' own request bodies (tests/contract/bodies) on the default seed;
# writes docs/conformance.md and the operation table of docs/api.md (docs/conformance.md).
conformance: install
	CONTRACT_REPORT=$(CURDIR)/docs/conformance.md $(BIN)/python -m pytest tests/contract -q $(PYTEST_ARGS)
# A bounded chaos run (docs/reliability.md): CHAOS_ARGS="-t 5m --chaos-seed 7";
# on PostgreSQL: SANDBOX_DATABASE_URL=$$(scripts/postgres.sh start) make chaos
chaos: install
	$(BIN)/chorus-sandbox load --chaos $(CHAOS_ARGS)

settings: $(STAMP)
	@$(BIN)/chorus-sandbox settings

clean:
	rm -rf var reports .pytest_cache
