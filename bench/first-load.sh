#!/usr/bin/env bash
# First load of every trader screen on the slow-4G phone profile (#17): a
# release build (`cargo leptos build --release`, hashed and precompressed as
# scripts/package.sh does it), each screen from a fresh token in Chromium.
# Prints FCP, the moment the screen's main control responds, the bytes on the
# wire and the largest response. See bench/first-load.mjs for the profile.
#
#   bench/first-load.sh            builds the release first (about 20 minutes on 2 cores)
#   NO_BUILD=1 bench/first-load.sh  uses the release build already in target/
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
if [ -z "${NO_BUILD:-}" ]; then
  LEPTOS_HASH_FILES=true cargo leptos build --release >/dev/null 2>&1 || LEPTOS_HASH_FILES=true cargo leptos build --release
  target/release/broker-inapp precompress target/site >/dev/null
fi
# The binary finds target/release/hash.txt beside itself: hashed names.
PORT=3320 BIN=target/release/broker-inapp
source bench/serve.sh
node bench/first-load.mjs "$BASE"
