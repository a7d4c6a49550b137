# Chorus Pro Sandbox — two commands on a fresh machine: `make run`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := $(CURDIR)/.tools/bin
MAILPIT_VERSION ?= v1.33.1
MAILPIT := $(TOOLS)/mailpit
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
LOAD_ARGS ?=
BENCH_ARGS ?=

.PHONY: run test install mailpit chromium ci clean help settings load bench

help:
	@echo "make run      install what is missing, start Mailpit and the sandbox (http://127.0.0.1:8080)"
	@echo "make test     install what is missing, run the whole test suite"
	@echo "make settings print every SANDBOX_* setting"
	@echo "make load     a bounded Locust run on a fresh stack, then correctness checks (LOAD_ARGS=...)"
	@echo "make bench    measure ceiling, API mix, signup flows, scale; append docs/performance.md"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,load,postgres]'
	@touch $(STAMP)

install: $(STAMP) $(MAILPIT)

$(MAILPIT):
	@command -v go >/dev/null || { echo "Go is needed to build Mailpit (go install)"; exit 1; }
	GOBIN=$(TOOLS) go install \
	  -ldflags "-X github.com/axllent/mailpit/config.Version=$(MAILPIT_VERSION)" \
	  github.com/axllent/mailpit@$(MAILPIT_VERSION)

mailpit: $(MAILPIT)

# Browser tests drive Debian's chromium (never `playwright install`).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium for the browser tests ..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

run: install
	$(BIN)/chorus-sandbox run

test: install chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Load runs and benchmarks (docs/load.md): loopback only, bounded, they stop by themselves.
load: install
	$(BIN)/chorus-sandbox load $(LOAD_ARGS)

bench: install
	$(BIN)/chorus-sandbox bench $(BENCH_ARGS)

settings: $(STAMP)
	@$(BIN)/chorus-sandbox settings

clean:
	rm -rf var reports .pytest_cache
