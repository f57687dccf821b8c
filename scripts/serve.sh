#!/usr/bin/env bash
# Serves the register as a county runs it on one machine: gunicorn (gthread, a bounded number of
# threads, so at most WEB_WORKERS x WEB_THREADS database connections) with DEBUG off, and the
# background worker beside it. Ctrl-C stops both. Used by `make run`; `make dev` is runserver.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export DEBUG="${DEBUG:-0}"
# A local secret, made once and kept out of the repository (var/ is ignored).
if [ -z "${SECRET_KEY:-}" ]; then
  if [ ! -s var/secret_key ]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' >var/secret_key)
  fi
  SECRET_KEY="$(cat var/secret_key)"
  export SECRET_KEY
fi
.venv/bin/python manage.py load_demo_county --if-empty
echo "==> Serving http://$HOST:$PORT  (demo accounts: see README; Ctrl-C stops)"
WORKERS="${WEB_WORKERS:-2}"
THREADS="${WEB_THREADS:-4}"

.venv/bin/python manage.py db_worker --no-reload &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
# --timeout: a request that runs longer than this is a bug (big exports go to the worker).
.venv/bin/gunicorn config.wsgi \
  --workers "$WORKERS" --worker-class gthread --threads "$THREADS" \
  --bind "$HOST:$PORT" --timeout 120 --graceful-timeout 10 \
  --access-logfile - --access-logformat '%(h)s "%(r)s" %(s)s %(b)s %(M)sms' &
server=$!
trap 'kill $server $worker 2>/dev/null; wait $server $worker 2>/dev/null' EXIT INT TERM
wait $server
