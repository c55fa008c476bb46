# Parley — `make dev` runs everything locally, `make test` runs every check.
# Both install what they need first (Python venv from requirements.lock, npm ci,
# Chromium from Debian's packages for the browser tests).

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
PY_SOURCES := api worker realtime metasim tests scripts migrations examples
CHROMIUM ?= /usr/bin/chromium

.PHONY: help install install-python install-frontend install-browser dev test lint typecheck \
        pytest e2e frontend-check openapi openapi-check docker-check lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 20

$(VENV)/.installed: requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip sync --quiet --python $(PY) requirements.lock
	@touch $@

frontend/node_modules/.installed: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install-python: $(VENV)/.installed
install-frontend: frontend/node_modules/.installed
install: install-python install-frontend  ## install Python and frontend dependencies

install-browser:  ## Debian's Chromium (never a downloaded browser) and an emoji font, for the browser tests
	@test -x $(CHROMIUM) -a -d /usr/share/fonts/truetype/noto || { apt-get update -qq && \
		apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; }

.env:
	cp .env.example .env

dev: install .env  ## start api, worker, realtime, metasim and the SPA on http://localhost:8000
	$(PY) scripts/dev.py

lint: install-python  ## ruff check + format check
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)

typecheck: install-python  ## mypy --strict
	$(VENV)/bin/mypy

pytest: install-python  ## Python tests (real PostgreSQL and Redis)
	$(VENV)/bin/pytest -m "not e2e"

e2e: install install-browser  ## browser end-to-end tests (Playwright + Debian's Chromium)
	$(VENV)/bin/pytest -m e2e

openapi: install-python  ## regenerate frontend/openapi.json and the TypeScript client types
	$(PY) -m api.cli openapi -o frontend/openapi.json
	cd frontend && npm run --silent gen:api

openapi-check: install  ## the committed API schema and types match the code
	@tmp=$$(mktemp -d); $(PY) -m api.cli openapi -o $$tmp/openapi.json; \
	  diff -q $$tmp/openapi.json frontend/openapi.json >/dev/null || \
	  { echo "frontend/openapi.json is stale: run 'make openapi'"; exit 1; }; \
	  (cd frontend && npx openapi-typescript $$tmp/openapi.json -o $$tmp/schema.d.ts >/dev/null 2>&1); \
	  diff -q $$tmp/schema.d.ts frontend/src/lib/api/schema.d.ts >/dev/null || \
	  { echo "frontend/src/lib/api/schema.d.ts is stale: run 'make openapi'"; exit 1; }

# No Docker engine is needed: the Dockerfiles are linted (docker/.hadolint.yaml) and the compose
# file validated against the Compose specification's schema (bundled, offline);
# tests/test_docker.py checks what they run.
docker-check: install-python  ## lint the Dockerfiles (hadolint) and validate docker/compose.yml
	$(VENV)/bin/hadolint --config docker/.hadolint.yaml docker/*.Dockerfile
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker/compose.yml

frontend-check: install-frontend  ## type-check, lint and unit-test the SPA
	cd frontend && npm run --silent typecheck && npm run --silent lint && npm run --silent test

# The reliability suite (private PostgreSQL and Redis, a 20,000-delivery soak) is CPU-bound
# for minutes while the rest mostly waits on databases and the browser, so it runs beside
# everything else. The Python tests run as three processes side by side, each with its own
# database and Redis index (PARLEY_TEST_SHARD in tests/conftest.py): the worker, realtime
# and metasim tests from the start, a third of the api tests once the static checks are
# done, and the rest of the api tests in front. Then the browser tests and the scale-out
# test run alone, as their timings expect a machine that is not saturated. Output of what
# ran alongside follows its part. Any failure fails `make test`.
SIDE_TESTS := tests/worker tests/realtime tests/metasim
THIRD_TESTS := tests/api/security tests/api/observability tests/api/team tests/api/outgoing \
               tests/api/audit tests/api/data
test: install install-browser  ## every check: lint, types, pytest, frontend, browser tests
	@rel=$$(mktemp); side=$$(mktemp); third=$$(mktemp); \
	$(VENV)/bin/pytest tests/reliability >$$rel 2>&1 & reliability=$$!; \
	PARLEY_TEST_SHARD=b $(VENV)/bin/pytest $(SIDE_TESTS) >$$side 2>&1 & sidetests=$$!; \
	status=0; \
	$(MAKE) -k --no-print-directory lint typecheck openapi-check docker-check || status=1; \
	$(MAKE) --no-print-directory frontend-check || status=1; \
	PARLEY_TEST_SHARD=c PARLEY_TEST_SHARD_REDIS_DB=11 $(VENV)/bin/pytest $(THIRD_TESTS) \
	  >$$third 2>&1 & thirdtests=$$!; \
	$(VENV)/bin/pytest --ignore=tests/reliability --ignore=tests/e2e \
	  $(addprefix --ignore=,$(SIDE_TESTS) $(THIRD_TESTS) tests/scaleout) || status=1; \
	echo "--- $(THIRD_TESTS) (ran alongside)"; \
	wait $$thirdtests || status=1; cat $$third; \
	echo "--- $(SIDE_TESTS) (ran alongside)"; \
	wait $$sidetests || status=1; cat $$side; \
	$(VENV)/bin/pytest tests/e2e || status=1; \
	$(VENV)/bin/pytest tests/scaleout || status=1; \
	echo "--- tests/reliability (ran alongside)"; \
	wait $$reliability || status=1; cat $$rel; rm -f $$rel $$side $$third; exit $$status

lock:  ## re-lock Python dependencies (versions only, no registry URLs)
	$(UV) pip compile --quiet pyproject.toml --group dev -o requirements.lock

clean:  ## remove local state (venv, node_modules, embedded databases)
	rm -rf $(VENV) frontend/node_modules .data .pytest_cache .mypy_cache .ruff_cache
