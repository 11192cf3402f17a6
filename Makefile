# Culture Coop' — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The newest Python 3.12+ on this machine (Django 6 refuses 3.11); first the optimised build
# that bin/build-python makes, where it was made (docs/decisions/0013-optimised-python.md).
OPTIMISED_PYTHON := /opt/cpython-3.13.5-pgo/bin/python3.13
PYTHON ?= $(shell for p in $(OPTIMISED_PYTHON) python3.14 python3.13 python3.12; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
TICK_EVERY ?= 60
# `make install` brings Chromium (or stops), so `make test` runs the browser tests and fails
# if it cannot; `make test REQUIRE_BROWSER=0` lets them be skipped instead.
REQUIRE_BROWSER ?= 1
# Demo processes derive SITE_URL (QR codes, short links, emails) from HOST and PORT.
DEMO_ENV = DJANGO_DEMO=1 HOST=$(HOST) PORT=$(PORT)

.PHONY: help install system-packages demo serve test lint format messages check clean

help:
	@echo "make demo   install, migrate, load the demo and serve http://$(HOST):$(PORT) with a worker and the tick"
	@echo "make test   install and run the whole test suite"
	@echo "make lint   ruff, migrations, French catalogue, import contract"

# The Debian packages of requirements-apt.txt: checked on every run (one dpkg-query, no network),
# whatever the age of .venv/.installed; installed with apt-get as root, else a clear stop.
system-packages:
	@bin/system-packages

# Order-only: the packages come first, but installing one does not redo the pip/npm step.
$(VENV)/.installed: pyproject.toml package.json package-lock.json | system-packages
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.12 or newer is required (python3.13 or python3.12 not found)." >&2; exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	npm ci --no-audit --no-fund --silent
	mkdir -p coopculture/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js coopculture/static/vendor/htmx.min.js
	touch $@

install: system-packages $(VENV)/.installed

messages: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=var -v 0

demo: install messages
	mkdir -p var
	$(DEMO_ENV) $(PY) manage.py migrate --no-input -v 0
	$(DEMO_ENV) $(PY) manage.py collectstatic --no-input -v 0
	$(DEMO_ENV) $(PY) manage.py load_demo
	$(DEMO_ENV) TICK_EVERY=$(TICK_EVERY) PY=$(PY) bin/run-demo

test: install messages
	REQUIRE_BROWSER=$(REQUIRE_BROWSER) $(PY) -m pytest $(PYTEST_ARGS)

lint: install messages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) bin/check-catalogue
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules var/*.sqlite3* var/static coopculture/static/vendor
