#!/usr/bin/env bash
# Builds and assembles what a deployment runs, into OUT: the server binary,
# the site (CSS, JS, WASM, public files, each text file and the WASM with a
# precompressed brotli and gzip copy), hash.txt (the site's content hashes), Leptos.toml (every setting with its
# default; the site root pointed at OUT/site) and the theme. The container
# recipe (Containerfile) is this script with --release; `make test` runs it
# in the dev profile and starts what it assembled, so the recipe's steps are
# exercised even where no container engine runs.
#
#   scripts/package.sh [--release] OUT
set -euo pipefail
cd "$(dirname "$0")/.."
# tailwind and wasm-opt come from the npm tools setup.sh installs.
export PATH="$PWD/node_modules/.bin:$PATH"
profile=debug
flags=()
effort=(--fast)
if [ "${1:-}" = "--release" ]; then
  profile=release
  flags=(--release)
  effort=()
  shift
fi
OUT=${1:?usage: scripts/package.sh [--release] OUT}
# Content-hashed names for the JS, WASM and CSS (hash.txt next to the binary
# says which), so they can be cached for a year (see src/assets.rs). Only here:
# `cargo leptos watch` does not re-hash after an edit.
LEPTOS_HASH_FILES=true cargo leptos build "${flags[@]}"
# A brotli and a gzip copy of each text file and the WASM, made once here
# rather than per request (at the best settings for a release; a development
# build's 16 MB WASM would take minutes) (in place: `make test`'s Playwright suite serves
# target/site too). A rebuild of the site clears them with the rest.
"target/$profile/broker-inapp" precompress target/site "${effort[@]}"
rm -rf "$OUT"
mkdir -p "$OUT"
cp "target/$profile/broker-inapp" "$OUT/"
# Which content hashes the site's names carry (Leptos reads it next to the binary).
cp "target/$profile/hash.txt" "$OUT/"
cp -r target/site "$OUT/site"
sed 's|^site_root = .*|site_root = "site"|' Leptos.toml >"$OUT/Leptos.toml"
cp theme.toml "$OUT/"
# The sample screening lists [kyc.screening] points at (a deployment configures its own).
cp -r screening "$OUT/screening"
echo "package: $OUT ($(du -sh "$OUT" | cut -f1))"
