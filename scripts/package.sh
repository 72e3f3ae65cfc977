#!/usr/bin/env bash
# Builds and assembles what a deployment runs, into OUT: the server binary,
# the site (CSS, JS, WASM, public files), Leptos.toml (every setting with its
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
if [ "${1:-}" = "--release" ]; then
  profile=release
  flags=(--release)
  shift
fi
OUT=${1:?usage: scripts/package.sh [--release] OUT}
cargo leptos build "${flags[@]}"
rm -rf "$OUT"
mkdir -p "$OUT"
cp "target/$profile/broker-inapp" "$OUT/"
cp -r target/site "$OUT/site"
sed 's|^site_root = .*|site_root = "site"|' Leptos.toml >"$OUT/Leptos.toml"
cp theme.toml "$OUT/"
echo "package: $OUT ($(du -sh "$OUT" | cut -f1))"
