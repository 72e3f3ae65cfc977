#!/usr/bin/env bash
# Size of what the embedded browser downloads, from a release build
# (`cargo leptos build --release`: wasm-opt, opt-level z, LTO): the WASM, JS
# and CSS, raw and gzip, and the HTML of a screen.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
cargo leptos build --release >/dev/null 2>&1 || cargo leptos build --release
for f in target/site/pkg/broker-inapp.wasm target/site/pkg/broker-inapp.js target/site/pkg/broker-inapp.css; do
  printf '%-40s %8d bytes raw %8d bytes gzip\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(gzip -9 -c "$f" | wc -c)"
done
