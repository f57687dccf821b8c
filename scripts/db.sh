#!/usr/bin/env bash
# The project-local PostGIS cluster: `db.sh start` creates it on first use (data under var/pg,
# its own port and socket directory, owned by the `postgres` user when we run as root) and starts
# it; `db.sh stop` stops it; `db.sh url` prints the DATABASE_URL the app uses.
# Nothing happens when DATABASE_URL points at an existing PostGIS.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

PORT="${ATLAS_PGPORT:-5544}"
DBNAME="${ATLAS_DBNAME:-relief_atlas}"
DBUSER="atlas"
PGHOME="$ROOT/var/pg"

if [ -n "${DATABASE_URL:-}" ]; then
  [ "${1:-}" = "url" ] && echo "$DATABASE_URL"
  [ "${1:-}" = "start" ] && ok "using DATABASE_URL (no local cluster)"
  exit 0
fi

major="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)"
PGBIN="/usr/lib/postgresql/$major/bin"

# initdb and pg_ctl refuse to run as root: the cluster then belongs to `postgres`, which must be
# able to reach its directory. A clone under /root is not reachable, so its cluster lives under
# /var/lib/relief-atlas instead, linked from var/pg.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

prepare_home() {
  mkdir -p "$ROOT/var"
  [ -e "$PGHOME" ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "The postgres system user is missing; reinstall the postgresql package." \
      "缺少 postgres 系统用户，请重新安装 postgresql 软件包。"
    if runuser -u postgres -- test -x "$ROOT/var" && [ "${#PGHOME}" -lt 80 ]; then
      mkdir -p "$PGHOME"
    else
      local real
      real="/var/lib/relief-atlas/$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
      mkdir -p "$real"
      ln -s "$real" "$PGHOME"
    fi
    chown postgres:postgres "$(readlink -f "$PGHOME")"
  else
    mkdir -p "$PGHOME"
  fi
}

# The cluster's real directory: the postgres user may not be able to follow var/pg itself.
pgdir() { readlink -f "$PGHOME"; }
running() { [ -e "$PGHOME" ] && as_owner "$PGBIN/pg_ctl" -D "$(pgdir)/data" status >/dev/null 2>&1; }
psql_local() { "$PGBIN/psql" -X -q -h "$(pgdir)/run" -p "$PORT" -U "$DBUSER" "$@"; }

start() {
  step "Starting the project-local PostGIS (port $PORT, data in var/pg)"
  prepare_home
  local dir
  dir="$(pgdir)"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner mkdir -p "$dir/data" "$dir/run"
    # Trust on the socket and loopback only: this is a developer's own cluster, not a server.
    as_owner "$PGBIN/initdb" -D "$dir/data" -U "$DBUSER" -E UTF8 --locale=C.UTF-8 \
      --auth=trust >"$ROOT/var/initdb.log" 2>&1 ||
      die "initdb failed; see var/initdb.log." "initdb 失败，见 var/initdb.log。"
    as_owner tee -a "$dir/data/postgresql.conf" >/dev/null <<CONF
# relief-atlas local cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/run'
# JIT adds a quarter to tile and aggregate queries and saves nothing on our workloads.
jit = off
shared_buffers = 256MB
work_mem = 32MB
maintenance_work_mem = 256MB
fsync = ${ATLAS_PG_FSYNC:-on}
CONF
  fi
  if running; then
    local current
    current="$(sed -n 4p "$dir/data/postmaster.pid")"
    [ "$current" = "$PORT" ] ||
      die "The local cluster already runs on port $current. Stop it (make db-stop) or set ATLAS_PGPORT=$current." \
        "本地数据库已在端口 $current 运行。请先停止（make db-stop）或设置 ATLAS_PGPORT=$current。"
  else
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "-p $PORT" -w -t 60 start >/dev/null ||
      die "PostgreSQL did not start; see var/pg/server.log (is port $PORT taken? set ATLAS_PGPORT)." \
        "PostgreSQL 未能启动，见 var/pg/server.log（端口 $PORT 被占用？可设置 ATLAS_PGPORT）。"
  fi
  local exists
  exists="$(psql_local -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'")" ||
    die "Cannot connect to the local cluster on port $PORT; see var/pg/server.log." \
      "无法连接本地数据库（端口 $PORT），见 var/pg/server.log。"
  if [ "$exists" != "1" ]; then
    psql_local -d postgres -c "CREATE DATABASE $DBNAME"
  fi
  psql_local -d "$DBNAME" -c "CREATE EXTENSION IF NOT EXISTS postgis" ||
    die "The PostGIS extension is not available to PostgreSQL $major." "PostgreSQL $major 缺少 PostGIS 扩展。"
  ok "PostGIS running at $dir/run:$PORT, database $DBNAME"
}

case "${1:-start}" in
  start) start ;;
  stop) if running; then as_owner "$PGBIN/pg_ctl" -D "$(pgdir)/data" -m fast stop >/dev/null; fi ;;
  url) echo "postgis://$DBUSER@$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PGHOME/run"):$PORT/$DBNAME" ;;
  psql) shift; psql_local -d "$DBNAME" "$@" ;;
  *) die "usage: db.sh start|stop|url|psql" "用法：db.sh start|stop|url|psql" ;;
esac
