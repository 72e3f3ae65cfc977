#!/usr/bin/env bash
# A throwaway S3 server for the tests, on loopback: `start` installs moto's
# server (pinned) into a virtualenv under target/ the first time, starts it if
# nothing answers on its port, creates the bucket the tests use, and prints
# the endpoint URL; `stop` stops it. Idempotent. Objects live in the server's
# memory: test data only. The tests give each app its own key prefix.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${S3_TEST_PORT:-55433}
BUCKET=broker-inapp-test
MOTO=5.2.5
VENV=${S3_TEST_VENV:-$PWD/target/s3-test-venv}
RUN=${S3_TEST_DIR:-${TMPDIR:-/tmp}/broker-inapp-s3}
URL="http://127.0.0.1:$PORT"
say() { printf '\033[1ms3:\033[0m %s\n' "$*" >&2; }

answers() { "$VENV/bin/python" - "$URL" <<'EOF' 2>/dev/null
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1] + "/", timeout=2)
except urllib.error.HTTPError:
    pass  # any HTTP answer will do
EOF
}

install() {
  [ -x "$VENV/bin/moto_server" ] && [ "$(cat "$VENV/.moto-version" 2>/dev/null)" = "$MOTO" ] && return
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    say "installing Debian's python3-venv"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
  fi
  say "installing moto[server]==$MOTO into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "moto[server]==$MOTO"
  echo "$MOTO" >"$VENV/.moto-version"
}

case "${1:-start}" in
start)
  install
  if ! answers; then
    mkdir -p "$RUN"
    nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$RUN/log" 2>&1 &
    echo $! >"$RUN/pid"
    for _ in $(seq 1 100); do answers && break; sleep 0.1; done
    answers || { say "moto did not start; see $RUN/log"; tail -20 "$RUN/log" >&2; exit 1; }
    say "started on 127.0.0.1:$PORT (log in $RUN/log)"
  fi
  # Creating a bucket that exists is a no-op answer on moto.
  "$VENV/bin/python" - "$URL/$BUCKET" <<'EOF'
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="PUT"), timeout=10)
except urllib.error.HTTPError as e:
    if e.code != 409:  # BucketAlreadyOwnedByYou
        raise
EOF
  echo "$URL"
  ;;
stop)
  if [ -f "$RUN/pid" ]; then
    kill "$(cat "$RUN/pid")" 2>/dev/null || true
    rm -f "$RUN/pid"
  fi
  ;;
*) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
