#!/usr/bin/env bash
# Brings a fresh Debian/Ubuntu machine to the point where the app runs (`setup.sh run`) or its
# tests run (`setup.sh test`): system packages, the project-local PostGIS cluster, Python packages
# in .venv, front-end packages in node_modules, compiled translations, migrated database.
# Idempotent: a second run only checks, so `make run` stays fast.
set -euo pipefail

MODE="${1:-run}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Set-up commands (compilemessages, migrate) need settings but no production secret.
[ -n "${SECRET_KEY:-}" ] || export DEBUG="${DEBUG:-1}"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

# --- 1. system packages ------------------------------------------------------------------------
step "Checking system packages"
pg_major() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1; }

missing=()
for cmd_pkg in "python3:python3" "npm:npm" "node:nodejs" "msgfmt:gettext"; do
  command -v "${cmd_pkg%%:*}" >/dev/null 2>&1 || missing+=("${cmd_pkg#*:}")
done
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=("python3-venv")
if [ -z "$(pg_major)" ] && [ -z "${DATABASE_URL:-}" ]; then
  missing+=("postgresql")
fi
# GeoDjango's runtime libraries come with GDAL.
pkg_installed gdal-bin || missing+=("gdal-bin")
if [ "$MODE" = "test" ]; then
  # Browser tests drive Debian's Chromium; CJK fonts so screenshots show Chinese, not boxes.
  pkg_installed chromium || missing+=("chromium")
  pkg_installed fonts-noto-cjk || missing+=("fonts-noto-cjk")
fi
apt_install "${missing[@]}"

if [ -z "${DATABASE_URL:-}" ]; then
  major="$(pg_major)"
  [ -n "$major" ] || die "PostgreSQL was not found after installing it." \
    "PostgreSQL 安装后仍未找到。"
  pkg_installed "postgresql-$major-postgis-3" || apt_install "postgresql-$major-postgis-3"
  # Network analysis (roads and water reaching village groups and relocation sites) runs in
  # the database with pgRouting.
  pkg_installed "postgresql-$major-pgrouting" || apt_install "postgresql-$major-pgrouting"
fi
ok "system packages present"

# --- 2. Python packages --------------------------------------------------------------------------
step "Checking Python packages (.venv)"
extras=""
[ "$MODE" = "test" ] && extras="[dev]"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv || die "Could not create .venv; install python3-venv." "无法创建 .venv，请安装 python3-venv。"
fi
hash="$(sha1sum pyproject.toml | cut -c1-12)"
# A test set-up (with dev tools) also serves `make run`; a run set-up lacks the dev tools.
if [ ! -f ".venv/.installed-$hash-dev" ] && { [ "$MODE" = "test" ] || [ ! -f ".venv/.installed-$hash" ]; }; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extras}" ||
    die "pip could not install the Python packages (see above)." "pip 安装 Python 依赖失败（见上文）。"
  rm -f .venv/.installed-*
  touch ".venv/.installed-$hash${extras:+-dev}"
fi
ok "Python packages installed"

# --- 3. front-end packages -----------------------------------------------------------------------
step "Checking front-end packages (node_modules)"
npm_stamp="node_modules/.installed-$(sha1sum package-lock.json | cut -c1-12)"
if [ ! -f "$npm_stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error ||
    die "npm could not install the front-end packages." "npm 安装前端依赖失败。"
  touch "$npm_stamp"
fi
ok "front-end packages installed"

mkdir -p var/static var/media

# --- 4. translations -----------------------------------------------------------------------------
.venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# --- 5. database ---------------------------------------------------------------------------------
bash "$ROOT/scripts/db.sh" start
if [ "$MODE" = "run" ]; then
  step "Migrating the database"
  .venv/bin/python manage.py migrate --no-input -v 0
  ok "database schema up to date"
fi
