#!/usr/bin/env bash
# Installs what building (and, with --browsers, testing) needs. Idempotent:
# every step checks first and skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  say "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi

# The two cargo tools are built with a profile made for installing, not for
# shipping them: cargo-leptos' own release profile (LTO, one codegen unit) spent
# ~8 of its 26 minutes linking on one core, and both tools only wait on other
# processes. Cargo's environment overrides take precedence over a package's
# manifest profile. Both build at once, so neither core idles on a serial step.
install_tool() { # name version [extra cargo install args]
  local name=$1 version=$2; shift 2
  local started=$SECONDS log; log="$(mktemp)"
  if CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=64 \
     CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false \
     CARGO_PROFILE_RELEASE_INCREMENTAL=false CARGO_PROFILE_RELEASE_STRIP=true \
     cargo install -q "$name" --version "$version" "$@" >"$log" 2>&1; then
    say "$name $version installed in $((SECONDS - started)) s"; rm -f "$log"
  else
    cat "$log" >&2; say "installing $name failed"; return 1
  fi
}
pids=()
if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "building cargo-leptos $CARGO_LEPTOS_VERSION (once; about 10 minutes on 2 cores)"
  install_tool cargo-leptos "$CARGO_LEPTOS_VERSION" --locked --features no_downloads & pids+=($!)
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  # Must match Cargo.lock. Not --locked: one locked dependency is not served.
  say "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (once; about 4 minutes, alongside)"
  install_tool wasm-bindgen-cli "$WASM_BINDGEN_VERSION" & pids+=($!)
fi
if [ ${#pids[@]} -gt 0 ]; then
  # A heartbeat so a first run never looks stuck.
  ( while sleep 60; do say "still building tools ($((SECONDS / 60)) min so far)"; done ) & beat=$!
  status=0; for p in "${pids[@]}"; do wait "$p" || status=1; done
  kill "$beat" 2>/dev/null || true
  [ "$status" -eq 0 ] || exit 1
fi

# npm tools: tailwind, wasm-opt (binaryen), Playwright. The stamp skips `npm ci`
# until package-lock.json changes.
if [ ! -f node_modules/.setup-stamp ] || [ package-lock.json -nt node_modules/.setup-stamp ]; then
  say "installing npm tools"
  # `npm install`, not `npm ci`: npm 11 rejects this lock file's optional
  # per-platform tailwind packages under `ci`; `install` still follows the lock.
  npm install --no-audit --no-fund --loglevel=error
  touch node_modules/.setup-stamp
fi

if [ "${1:-}" = "--browsers" ] && ! command -v chromium >/dev/null 2>&1; then
  say "installing Debian's Chromium for the end-to-end tests"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
say "ready"
