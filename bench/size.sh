#!/usr/bin/env bash
# Size of what the embedded browser downloads, from a release build
# (`cargo leptos build --release`: wasm-opt, opt-level z, LTO): the WASM, JS
# and CSS, raw and as sent (the precompressed gzip and brotli copies).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
cargo leptos build --release >/dev/null 2>&1 || cargo leptos build --release
# What the server sends: the brotli and gzip copies `precompress` makes.
target/release/broker-inapp precompress target/site >/dev/null
for f in target/site/pkg/broker-inapp.*wasm target/site/pkg/broker-inapp.*js target/site/pkg/broker-inapp.*css; do
  case "$f" in *.br | *.gz) continue ;; esac
  printf '%-48s %8d bytes raw %8d gzip %8d brotli\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(stat -c %s "$f.gz")" "$(stat -c %s "$f.br")"
done
