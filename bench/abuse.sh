#!/usr/bin/env bash
# Abuse suite: starts a release build of the server (built here unless BIN
# names one) on its own port and data, loopback only, and runs
# bench/abuse.mjs: a well-behaved trader opening screens and depositing,
# alone and then while N generated bad requests hit every route, 20 image
# bombs are uploaded and 100 slow clients trickle their headers. Reports 5xx
# (must be 0 but for deliberate 503s with Retry-After), panics (must be 0),
# the trader's p50/p99 before and during, peak memory, and that every
# deposit was credited exactly once.
#   bench/abuse.sh [bad requests=100000]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"; PORT=3403
if [ -z "${BIN:-}" ]; then
  cargo build -q --release --features ssr --bin broker-inapp
  BIN=target/release/broker-inapp
fi
export BIN
# The attack comes from one address (loopback): lift the per-address caps
# that would otherwise stop it before it reaches the routes under test.
export INAPP_SERVER__MAX_CONNECTIONS_PER_CLIENT=4096 INAPP_KYC__DAILY_UPLOADS=100000
export INAPP_KYC__MAX_IMAGE_SIDE=8000
LOG="$(mktemp)"
export RUST_LOG=warn
source bench/serve.sh > "$LOG" 2>&1
status=0
node bench/abuse.mjs "http://127.0.0.1:$PORT" "$SERVER" "$N" || status=1
panics=$(grep -c 'panicked' "$LOG" || true)
echo "panics in the server log: $panics"
rm -f "$LOG"
[ "$panics" -eq 0 ] || status=1
exit "$status"
