#!/usr/bin/env bash
# Support chat benchmark: starts the built server (run `cargo leptos build` or
# `make test` first) on its own port and data, opens N idle live chat
# connections (one trader session each, server-sent events), reports the
# server's resident memory per connection (/proc/<pid>/status), then measures
# message delivery latency (POST by the trader → the event on their open
# stream) while all N stay connected.
#   bench/chat.sh [clients=10000] [messages=500]
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS="${1:-10000}"; MESSAGES="${2:-500}"; PORT=3401
# One socket per client on each side (server and client are separate
# processes), plus the server's files: raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((CLIENTS + 500)) ]; then
  echo "open-file limit $(ulimit -n) is too low for $CLIENTS clients" >&2; exit 1
fi
# The benchmark sends faster than a person may, and every client comes from
# one address (loopback), so the per-address connection cap is lifted.
export INAPP_CHAT__RATE_LIMIT_MESSAGES=1000000
export INAPP_SERVER__MAX_CONNECTIONS=$((CLIENTS + 1000)) INAPP_SERVER__MAX_CONNECTIONS_PER_CLIENT=$((CLIENTS + 1000))
source bench/serve.sh
node bench/chat.mjs "http://127.0.0.1:$PORT" "$SERVER" "$CLIENTS" "$MESSAGES"
