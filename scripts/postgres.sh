#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on loopback: `start` installs
# Debian's PostgreSQL if missing, creates a cluster under $PG_TEST_DIR the
# first time, starts it if it is not running, and prints its URL; `stop`
# stops it. Idempotent. Trust authentication on 127.0.0.1 only: test data.
set -euo pipefail
PORT=${PG_TEST_PORT:-55432}
DIR=${PG_TEST_DIR:-${TMPDIR:-/tmp}/broker-inapp-postgres}
say() { printf '\033[1mpostgres:\033[0m %s\n' "$*" >&2; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bindir)" ]; then
  say "installing Debian's PostgreSQL"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
BIN=$(bindir)
# PostgreSQL refuses to run as root: run it as the `postgres` user then.
# From / : the postgres user may not enter the folder this runs in.
as_pg() { if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

case "${1:-start}" in
start)
  if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
      rm -rf "$DIR"; mkdir -p "$DIR"
      [ "$(id -u)" -eq 0 ] && chown postgres: "$DIR"
      as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --no-sync >/dev/null
    fi
    # Tests create a database each: fsync off (throwaway data), room for
    # many connections (every test's pool, several instances).
    as_pg "$BIN/pg_ctl" -s -D "$DIR/data" -l "$DIR/log" -w \
      -o "-h 127.0.0.1 -p $PORT -k '' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" start
    say "started on 127.0.0.1:$PORT (data in $DIR)"
  fi
  echo "postgres://postgres@127.0.0.1:$PORT/postgres"
  ;;
stop)
  [ -f "$DIR/data/PG_VERSION" ] && as_pg "$BIN/pg_ctl" -s -D "$DIR/data" -m fast stop || true
  ;;
*) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
