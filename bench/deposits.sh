#!/usr/bin/env bash
# Deposit benchmark: starts the built server (run `cargo leptos build` or
# `make test` first) on its own port and data, drives N deposits end to end,
# then reads the server's own added latency (webhook received → balance change
# stored) from its database.
#   bench/deposits.sh [deposits=200] [concurrency=10]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200}"; C="${2:-10}"; PORT=3300
source bench/serve.sh
node bench/deposits.mjs "http://127.0.0.1:$PORT" "$N" "$C"
python3 - "$DATA/app.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("""SELECT d.updated_at - e.received_at FROM deposits d JOIN payment_events e ON e.deposit_id = d.id
                     WHERE d.state = 'credited' AND e.kind = 'succeeded'""").fetchall()
xs = sorted(r[0] for r in rows)
if xs:
    p = lambda q: xs[min(len(xs) - 1, int(len(xs) * q))]
    print(f"server added latency, webhook received -> credited in cTrader: p50 {p(0.5)} ms, p95 {p(0.95)} ms, max {xs[-1]} ms ({len(xs)} deposits)")
PY
