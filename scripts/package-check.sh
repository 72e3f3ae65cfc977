#!/usr/bin/env bash
# Starts the server from a folder scripts/package.sh assembled, as a
# container would (its own working directory, nothing from the repository),
# and checks that it becomes ready, serves its site's assets and a screen.
#
#   scripts/package-check.sh PACKAGE
set -euo pipefail
PKG=$(cd "${1:?usage: scripts/package-check.sh PACKAGE}" && pwd)
DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
cd "$PKG"
INAPP_LEPTOS__SITE_ADDR="127.0.0.1:$PORT" INAPP_SERVER__PUBLIC_URL="$BASE" INAPP_STORAGE__DATA_DIR="$DATA" \
  INAPP_STORAGE__DATABASE_URL="sqlite://$DATA/app.db" INAPP_SIMULATOR__DATABASE_URL="sqlite://$DATA/sim.db" \
  INAPP_PAYMENTS__SANDBOX_DATABASE_URL="sqlite://$DATA/psp.db" ./broker-inapp >"$DATA/log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 150); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { cat "$DATA/log" >&2; echo "package-check: the packaged server stopped" >&2; exit 1; }
  sleep 0.2
done
fail() { echo "package-check: $*" >&2; cat "$DATA/log" >&2; exit 1; }
curl -fsS "$BASE/readyz" >/dev/null || fail "not ready"
# The names carry the build's content hashes (hash.txt, next to the binary).
hash_of() { sed -n "s/^$1: *//p" hash.txt; }
css="$BASE/pkg/broker-inapp.$(hash_of css).css" wasm="$BASE/pkg/broker-inapp.$(hash_of wasm).wasm"
curl -fsS -o /dev/null "$css" || fail "the site's stylesheet is not served"
curl -fsS -o /dev/null "$wasm" || fail "the site's WASM is not served"
curl -fsS -o /dev/null -D "$DATA/wasm.head" -H 'accept-encoding: gzip, deflate, br' "$wasm" || fail "the WASM is not served compressed"
grep -qi '^content-encoding: br' "$DATA/wasm.head" || fail "the WASM is not served with its brotli copy"
grep -qi '^cache-control:.*immutable' "$DATA/wasm.head" || fail "the hashed WASM is not cached for good"
token=$(curl -fsS -X POST "$BASE/sim/tokens" -H 'content-type: application/json' -d '{"login": 100001}' | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
cookie=$(curl -fsS -o /dev/null -D - "$BASE/inapp/deposit?token=$token" | sed -n 's/^set-cookie: \([^;]*\).*/\1/Ip' | head -1)
[ -n "$cookie" ] || fail "no session from a fresh token"
# To a file, then grep: `grep -q` leaving early would make curl fail on a closed pipe.
curl -fsS -H "cookie: $cookie" "$BASE/inapp/deposit" >"$DATA/page.html" || fail "the deposit screen does not open"
grep 100001 "$DATA/page.html" >/dev/null || fail "the deposit screen does not show the trader"
echo "package-check: $PKG starts, is ready, serves its site and a screen"
