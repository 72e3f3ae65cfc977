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

echo "== PostgreSQL for the store conformance suite, and an S3 server (moto) for object storage (throwaway servers on loopback)"
TEST_POSTGRES_URL="$(scripts/postgres.sh start)"
export TEST_POSTGRES_URL
TEST_S3_ENDPOINT="$(scripts/s3.sh start)"
export TEST_S3_ENDPOINT

echo "== Rust: unit, store conformance (SQLite and PostgreSQL) and black-box tests"
cargo test --features ssr

echo "== Rust: the black-box tests again, the app on PostgreSQL with its files on S3"
TEST_DATABASE=postgres TEST_OBJECTS=s3 cargo test --features ssr --test it

echo "== build: server and WASM (cargo leptos build)"
cargo leptos build

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
