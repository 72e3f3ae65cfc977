#!/usr/bin/env bash
# `make test`: set up (Chromium included), lint, run the Rust tests, build the site,
# run the Playwright suite against the real server. Non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browsers
export PATH="$PWD/node_modules/.bin:$PATH"

echo "== lint: rustfmt, and clippy for the server and the browser build, warnings as errors"
cargo fmt --check
cargo clippy --features ssr --all-targets -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown --features hydrate -- -D warnings

echo "== PostgreSQL and an S3 server (moto) for the tests: throwaway, on free loopback ports, stopped at the end"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ROOT="$PWD"
stop_servers() {
  if [ -n "${PG_TEST_DIR:-}" ]; then "$ROOT/scripts/postgres.sh" stop || true; rm -rf "$PG_TEST_DIR"; fi
  if [ -n "${S3_TEST_DIR:-}" ]; then "$ROOT/scripts/s3.sh" stop || true; rm -rf "$S3_TEST_DIR"; fi
}
trap stop_servers EXIT
# An existing server the tests may create databases on is used as it is.
if [ -z "${INAPP_TEST_DATABASE_URL:-}" ]; then
  PG_TEST_DIR="$(mktemp -d)" PG_TEST_PORT="$(free_port)"
  export PG_TEST_DIR PG_TEST_PORT
  INAPP_TEST_DATABASE_URL="$(scripts/postgres.sh start)"
fi
export INAPP_TEST_DATABASE_URL
S3_TEST_DIR="$(mktemp -d)" S3_TEST_PORT="$(free_port)"
export S3_TEST_DIR S3_TEST_PORT
TEST_S3_ENDPOINT="$(scripts/s3.sh start)"
export TEST_S3_ENDPOINT

echo "== Rust: unit, store conformance (SQLite and PostgreSQL) and black-box tests"
cargo test --features ssr

echo "== Rust: the black-box tests again, the app on PostgreSQL with its files on S3"
TEST_DATABASE=postgres TEST_OBJECTS=s3 cargo test --features ssr --test it -- --include-ignored

echo "== build: server and WASM (cargo leptos build), assembled as the container image holds them, and started from there"
scripts/package.sh target/package
scripts/package-check.sh target/package

echo "== Playwright: end-to-end in Chromium"
cd end2end
LOG="$(mktemp)"
set +e
npx playwright test 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo '^ +[0-9]+ passed' "$LOG" | tail -1 | tr -dc '0-9' || true)
failed=$(grep -Eo '^ +[0-9]+ failed' "$LOG" | tail -1 | tr -dc '0-9' || true)
rm -f "$LOG"
echo "e2e: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
