# Sourced by the benchmarks: starts the built server ($BIN, default the debug
# build) on $PORT with fresh data in $DATA, removed on exit, and waits until
# it answers. Sets SERVER (its pid) and BASE.
DATA="$(mktemp -d)"
export INAPP_LEPTOS__SITE_ADDR="127.0.0.1:$PORT" INAPP_SERVER__PUBLIC_URL="http://127.0.0.1:$PORT"
export INAPP_STORAGE__DATA_DIR="$DATA" INAPP_STORAGE__DATABASE_URL="sqlite://$DATA/app.db"
export INAPP_SIMULATOR__DATABASE_URL="sqlite://$DATA/sim.db" INAPP_PAYMENTS__SANDBOX_DATABASE_URL="sqlite://$DATA/psp.db"
export RUST_LOG="${RUST_LOG:-warn}"
BIN="${BIN:-target/debug/broker-inapp}"
BASE="http://127.0.0.1:$PORT"
"$BIN" & SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "server: $BIN (pid $SERVER)"
