#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the test suite, on a free loopback port.
#
#   scripts/postgres.sh start   install PostgreSQL if missing, start the cluster, print its URL
#   scripts/postgres.sh url     print the URL of the running cluster
#   scripts/postgres.sh stop    stop the cluster (its files stay in var/postgres until `make clean`)
#   scripts/postgres.sh remove  stop it and delete its files
#
# The cluster lives in var/postgres/, listens on 127.0.0.1 only, trusts local
# connections (it holds nothing but test data) and runs without fsync for speed.
# PostgreSQL refuses to run as root: as root the cluster runs as the `postgres`
# system user. The URL printed is the SQLAlchemy URL of the `postgres` database;
# the test harness creates one fresh database per stack on that server.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# CHORUS_PG_DIR / CHORUS_PG_PORT choose another cluster directory / a fixed port
# (the fault tests run a private cluster that they stop and start again).
BASE="${CHORUS_PG_DIR:-$ROOT/var/postgres}"

# As root the cluster belongs to the postgres user, who must reach its directory: a
# checkout under a private home (mode 700) is out of its reach, so the cluster then
# lives under /tmp, in a directory named after the one asked for.
if [[ "$(id -u)" == 0 ]] && id postgres >/dev/null 2>&1; then
  mkdir -p "$BASE"
  chown postgres: "$BASE"
  if ! runuser -u postgres -- test -w "$BASE" 2>/dev/null; then
    BASE="/tmp/chorus-sandbox-postgres-$(echo -n "$BASE" | md5sum | cut -c1-12)"
    mkdir -p "$BASE"
    chown postgres: "$BASE"
    chmod 700 "$BASE"
  fi
fi
DATA="$BASE/data"
RUN="$BASE/run"
LOG="$BASE/postgres.log"
URL_FILE="$BASE/url"

die() { echo "postgres.sh: $*" >&2; exit 1; }

find_bindir() {
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir 2>/dev/null || true)"
    [[ -x "$dir/initdb" ]] && { echo "$dir"; return; }
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x "$dir/initdb" ]] && { echo "$dir"; return; }
  done
  dir="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"
  [[ -x "$dir/initdb" ]] && { echo "$dir"; return; }
  return 1
}

install_postgres() {
  echo "PostgreSQL is not installed: installing Debian's postgresql package ..." >&2
  local sudo=""
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "PostgreSQL is missing and this user cannot install it (no root, no sudo): apt-get install postgresql"
    sudo="sudo -n"
  fi
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is missing and apt-get is not available: install PostgreSQL (initdb, pg_ctl) and retry"
  $sudo apt-get update -qq >&2 || die "apt-get update failed: cannot install PostgreSQL"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null \
    || die "apt-get install postgresql failed"
  # Debian's package starts its own cluster on 5432; this suite does not use it.
}

# Run a command as the cluster's owner (the postgres system user when we are root).
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' system user to run PostgreSQL"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 - <<'PY'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PY
}

running() {
  [[ -f "$DATA/postmaster.pid" ]] && as_owner "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

url() {
  [[ -f "$URL_FILE" ]] || return 1
  cat "$URL_FILE"
}

start() {
  BINDIR="$(find_bindir || true)"
  if [[ -z "$BINDIR" ]]; then
    install_postgres
    BINDIR="$(find_bindir)" || die "PostgreSQL installed but initdb not found"
  fi
  mkdir -p "$BASE" "$RUN"
  if [[ "$(id -u)" == 0 ]]; then
    chown postgres: "$BASE" "$RUN"
    runuser -u postgres -- test -w "$BASE" \
      || die "the postgres user cannot write to $BASE (check the permissions of its parents)"
  fi
  if running; then
    url
    return
  fi
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    rm -rf "$DATA"
    as_owner "$BINDIR/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
      >"$BASE/initdb.log" 2>&1 || die "initdb failed (see $BASE/initdb.log)"
  fi
  local port
  port="${CHORUS_PG_PORT:-$(free_port)}"
  as_owner "$BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start -o "\
 -c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$RUN'\
 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\
 -c shared_buffers=128MB" >/dev/null \
    || die "PostgreSQL did not start (see $LOG)"
  echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres" >"$URL_FILE"
  url
}

stop() {
  BINDIR="$(find_bindir || true)"
  [[ -n "$BINDIR" ]] || return 0
  if running; then
    as_owner "$BINDIR/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
  fi
  rm -f "$URL_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  remove) stop; rm -rf "$BASE" ;;
  url) url || die "no cluster running (scripts/postgres.sh start)" ;;
  *) echo "usage: $0 start|stop|remove|url" >&2; exit 2 ;;
esac
