#!/usr/bin/env bash
# `make test`: set up (Chromium included), run the Rust tests, build the site,
# run the Playwright suite against the real server. Non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browsers
export PATH="$PWD/node_modules/.bin:$PATH"

echo "== Rust: unit and black-box tests"
cargo test --features ssr

echo "== build: server and WASM (cargo leptos build)"
cargo leptos build

echo "== Playwright: end-to-end in Chromium"
cd end2end
npx playwright test
