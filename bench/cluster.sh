#!/usr/bin/env bash
# One instance on SQLite versus three on PostgreSQL, on this machine, against
# the same cTrader (the simulator in a process of its own): deposits along the
# trader's real path, round-robin over the instances (bench/deposits.mjs), and
# chat messages sent through one instance and received on another
# (bench/cluster-chat.mjs). Every instance runs its credit worker.
#   bench/cluster.sh [deposits=300] [concurrency=12] [messages=300]
# BIN picks the binary (default the debug build; BIN=target/release/broker-inapp
# after `cargo leptos build --release`).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-300}"; C="${2:-12}"; M="${3:-300}"
BIN="${BIN:-target/debug/broker-inapp}"
WORK="$(mktemp -d)"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
export RUST_LOG=warn INAPP_CHAT__RATE_LIMIT_MESSAGES=1000000
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start NAME DATABASE_URL [CTRADER]: a server with its own folder; sets URL to its base.
start() {
  local name=$1 db=$2 ctrader=${3:-} port dir
  port=$(free_port); dir="$WORK/$name"; mkdir -p "$dir"
  (
    export INAPP_LEPTOS__SITE_ADDR="127.0.0.1:$port" INAPP_SERVER__PUBLIC_URL="http://127.0.0.1:$port"
    export INAPP_STORAGE__DATA_DIR="$dir" INAPP_STORAGE__DATABASE_URL="$db"
    export INAPP_SIMULATOR__DATABASE_URL="sqlite://$dir/sim.db" INAPP_PAYMENTS__SANDBOX_DATABASE_URL="sqlite://$dir/psp.db"
    if [ -n "$ctrader" ]; then export INAPP_CTRADER__BASE_URL="$ctrader/sim" INAPP_SERVER__STAGING=true; fi
    exec "$BIN"
  ) >"$dir/log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$dir/log" >&2; exit 1; }
  URL="http://127.0.0.1:$port"
}

run() { # label bases platform
  echo "== $1"
  node bench/deposits.mjs "$2" "$N" "$C" "$3"
  node bench/cluster-chat.mjs "$2" "$3" 20 "$M"
}

start platform "sqlite://$WORK/platform-app.db"
platform=$URL

start sqlite "sqlite://$WORK/one.db" "$platform"
run "one instance, SQLite" "$URL" "$platform"
kill "${PIDS[-1]}"

PG=$(scripts/postgres.sh start)
DB="bench_$(date +%s)"
psql -q "$PG" -c "CREATE DATABASE $DB"
PGDB="${PG%/*}/$DB"
bases=""
for i in 1 2 3; do
  start "pg$i" "$PGDB" "$platform"
  bases="${bases:+$bases,}$URL"
done
run "three instances, PostgreSQL" "$bases" "$platform"
kill "${PIDS[@]}" 2>/dev/null || true
psql -q "$PG" -c "DROP DATABASE $DB WITH (FORCE)" || true
