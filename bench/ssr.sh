#!/usr/bin/env bash
# Server-side rendering against the same server's static-file speed, screen
# by screen, in one side-by-side run: each trader screen is opened from a
# fresh one-time token, its HTML saved as a static file under the site root,
# then `wrk` asks for the rendered screen (session cookie and all: session
# lookup, database reads, the trader from cTrader) and for the saved copy,
# with the same connections for the same time. Neither side is compressed
# (wrk sends no Accept-Encoding), so both send the same bytes.
#
#   bench/ssr.sh [seconds=10] [connections=64]
#   BIN=target/release/broker-inapp bench/ssr.sh     a release build
#
# Goal (#17): SSR at least 50% of the static rate, p99 at most 2x, per screen.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-10}"; CONNS="${2:-64}"; PORT=3310
if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)"
  apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
fi
source bench/serve.sh
STATIC="target/site/bench-ssr"
mkdir -p "$STATIC"
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DATA" "$STATIC"' EXIT

# One wrk run: "<requests/s> <p99 ms>".
measure() {
  wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "$@" | python3 -c '
import re, sys
out = sys.stdin.read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
if bad: sys.exit(f"{bad.group(1)} failed responses:\n{out}")
print(f"{float(rps):.0f} {p99:.1f}")'
}

printf '%-34s %10s %10s %7s %10s %10s %7s\n' screen "ssr req/s" "file req/s" share "ssr p99" "file p99" ratio
for screen in "deposit|/inapp/deposit|" "withdraw|/inapp/action|actionType=withdraw" "transfer|/inapp/action|actionType=transfer" \
  "kyc|/inapp/kyc|kycType=standard" "kyc-upload|/inapp/kyc/upload|documentType=identity" "kyc-status|/inapp/kyc/status|" "chat|/inapp/chat|"; do
  IFS='|' read -r name path extra <<<"$screen"
  token=$(curl -fsS -X POST "$BASE/sim/tokens" -H 'content-type: application/json' -d '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  head=$(curl -fsS -o /dev/null -D - "$BASE$path?token=$token${extra:+&$extra}")
  cookie=$(grep -i '^set-cookie:' <<<"$head" | head -1 | sed -E 's/^[Ss]et-[Cc]ookie: ([^;]*).*/\1/')
  page=$(grep -i '^location:' <<<"$head" | tr -d '\r' | sed -E 's/^[Ll]ocation: //')
  curl -fsS -H "Cookie: $cookie" "$BASE$page" -o "$STATIC/$name.html"
  read -r ssr_rps ssr_p99 < <(measure -H "Cookie: $cookie" "$BASE$page")
  read -r file_rps file_p99 < <(measure "$BASE/bench-ssr/$name.html")
  python3 -c "
s, f, sp, fp = $ssr_rps, $file_rps, $ssr_p99, $file_p99
print(f'%-34s %10d %10d %6.0f%% %8.1fms %8.1fms %6.1fx' % ('$path${extra:+?$extra}', s, f, 100 * s / f, sp, fp, sp / fp))"
done
echo "($CONNS connections, ${SECS} s each, one wrk thread; server $BIN; $(stat -c %s "$STATIC/deposit.html") bytes of deposit HTML)"
