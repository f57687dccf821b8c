#!/usr/bin/env bash
# The checks `make test` runs after set-up: lint, format, types, import rules, migrations, tests.
# `check.sh lint` stops after the static checks.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
export PATH="$ROOT/.venv/bin:$PATH"
# Tests run with production-like settings; this key exists only for them.
export SECRET_KEY="${SECRET_KEY:-test-only-secret-key-not-for-production}"
export DEBUG=0

step "ruff (lint and format)"
ruff check .
ruff format --check .
step "import rules (transfer > gis > registry)"
lint-imports --no-cache
step "mypy (registry, gis, transfer)"
mypy
step "migrations match the models"
python manage.py makemigrations --check --dry-run >/dev/null ||
  die "Models changed without a migration: run  .venv/bin/python manage.py makemigrations -n <name>" \
    "模型已更改但缺少迁移。"
ok "no missing migrations"
[ "${1:-}" = "lint" ] && exit 0

step "pytest (PostGIS, headless Chromium)"
pytest
