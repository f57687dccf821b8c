# The two commands of the README's Quick start, and a few helpers.
# Everything they need they install themselves (scripts/setup.sh).
SHELL := /bin/bash
PORT ?= 8000
HOST ?= 127.0.0.1
PY := .venv/bin/python

.PHONY: run dev test bench bench-exports bench-imports bench-load bench-projects bench-network lint db-start db-stop psql help

help:
	@echo "make run   - set up everything, load the demo county, serve http://$(HOST):$(PORT) (gunicorn)"
	@echo "make dev   - the same with Django's development server (DEBUG on, reloads code)"
	@echo "make test  - set up everything, then ruff, mypy, import rules, migrations check, pytest"
	@echo "make bench - tile benchmark on 1,000,000 assets in a separate database (BENCH_ARGS=...)"
	@echo "make bench-exports - exports of the same database against ogr2ogr and COPY"
	@echo "make bench-imports - a 100,000-row Excel ledger imported into the same database"
	@echo "make bench-load - 50 users of every role for 2 minutes on the same database (gunicorn, Locust)"
	@echo "make bench-projects - the project library list and project tiles with 50,000 projects beside it"
	@echo "make bench-network - the network gap analysis on a province: 200,000 links, 50,000 groups"

# What a county runs on one machine: gunicorn with DEBUG off, the worker beside it.
run:
	@bash scripts/setup.sh run
	@HOST=$(HOST) PORT=$(PORT) bash scripts/serve.sh

# Developers: runserver (DEBUG on, code reloads); the worker runs beside it.
dev: export DEBUG ?= 1
dev:
	@bash scripts/setup.sh run
	@$(PY) manage.py load_demo_county --if-empty
	@$(PY) manage.py db_worker --no-reload & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

test:
	@bash scripts/setup.sh test
	@bash scripts/check.sh

bench:
	@bash scripts/setup.sh test
	@.venv/bin/python bench/tiles.py $(BENCH_ARGS)

bench-exports:
	@bash scripts/setup.sh test
	@.venv/bin/python bench/exports.py $(BENCH_ARGS)

bench-imports:
	@bash scripts/setup.sh test
	@.venv/bin/python bench/imports.py $(BENCH_ARGS)

bench-load:
	@bash scripts/setup.sh test
	@.venv/bin/python bench/load.py $(BENCH_ARGS)

bench-projects:
	@bash scripts/setup.sh test
	@.venv/bin/python bench/projects.py $(BENCH_ARGS)

bench-network:
	@bash scripts/setup.sh test
	@.venv/bin/python bench/network.py $(BENCH_ARGS)

lint:
	@bash scripts/check.sh lint

db-start:
	@bash scripts/db.sh start

db-stop:
	@bash scripts/db.sh stop

psql:
	@bash scripts/db.sh psql
