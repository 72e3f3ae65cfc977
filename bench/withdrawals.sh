#!/usr/bin/env bash
# Withdrawal benchmark: starts the built server (run `cargo leptos build` or
# `make test` first) on its own port and data, creates a finance user, drives
# N withdrawals end to end (request → approval → debit), then reads the
# server's own added latency (approved → debit stored) from its database.
#   bench/withdrawals.sh [withdrawals=200] [concurrency=10]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200}"; C="${2:-10}"; PORT=3310
source bench/serve.sh
INAPP_STAFF_PASSWORD="bench staff password" "$BIN" create-staff bench-finance@broker.example finance >/dev/null
STAFF=$(curl -fsS -o /dev/null -D - -H "origin: $BASE" --data-urlencode "email=bench-finance@broker.example" \
  --data-urlencode "password=bench staff password" "$BASE/backoffice/sign-in" | sed -n 's/^set-cookie: \([^;]*\).*/\1/Ip' | head -1)
node bench/withdrawals.mjs "$BASE" "$N" "$C" "$STAFF"
python3 - "$DATA/app.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT updated_at - approved_at FROM withdrawals WHERE state = 'debited'").fetchall()
xs = sorted(r[0] for r in rows)
if xs:
    p = lambda q: xs[min(len(xs) - 1, int(len(xs) * q))]
    print(f"server added latency, approved -> debited in cTrader: p50 {p(0.5)} ms, p95 {p(0.95)} ms, max {xs[-1]} ms ({len(xs)} withdrawals)")
PY
