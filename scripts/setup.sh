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
# The lint gate of `make test` needs both (a minimal rustup profile has neither).
for component in clippy rustfmt; do
  if ! rustup component list --installed | grep -q "^$component"; then
    say "adding $component"
    rustup component add "$component"
  fi
done

# The two cargo tools are built with a profile made for installing, not for
# shipping them (no LTO, many codegen units, a low opt-level): both mostly wait
# on other processes. Cargo's environment overrides take precedence over a
# package's manifest profile. Both build at once, so neither core idles on the
# other's serial steps. cargo-leptos unoptimised costs 24 CPU-minutes to build
# instead of ~40 and runs a dev build as fast; wasm-bindgen keeps opt-level 1
# (it rewrites the whole WASM on every build).
install_tool() { # name version opt-level [extra cargo install args]
  local name=$1 version=$2 opt=$3; shift 3
  local started=$SECONDS log; log="$(mktemp)"
  # shellcheck disable=SC2064 # the log's name is fixed now
  trap "rm -f '$log'" RETURN
  if CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=64 \
     CARGO_PROFILE_RELEASE_OPT_LEVEL=$opt CARGO_PROFILE_RELEASE_DEBUG=false \
     CARGO_PROFILE_RELEASE_INCREMENTAL=false CARGO_PROFILE_RELEASE_STRIP=true \
     cargo install -q "$name" --version "$version" "$@" >"$log" 2>&1; then
    say "$name $version installed in $((SECONDS - started)) s"
  else
    cat "$log" >&2; say "installing $name failed"; return 1
  fi
}
pids=()
if ! cargo leptos --version 2>/dev/null | grep -qwF "$CARGO_LEPTOS_VERSION"; then
  say "building cargo-leptos $CARGO_LEPTOS_VERSION (once; about 20 minutes on 2 cores)"
  install_tool cargo-leptos "$CARGO_LEPTOS_VERSION" 0 --locked --features no_downloads & pids+=($!)
fi
if ! wasm-bindgen --version 2>/dev/null | grep -qwF "$WASM_BINDGEN_VERSION"; then
  # Must match Cargo.lock. Not --locked: one locked dependency is not served.
  say "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (once; about 8 minutes, alongside)"
  install_tool wasm-bindgen-cli "$WASM_BINDGEN_VERSION" 1 & pids+=($!)
fi
if [ ${#pids[@]} -gt 0 ]; then
  # A heartbeat so a first run never looks stuck; its sleep dies with it.
  ( trap 'kill $nap 2>/dev/null; exit 0' TERM
    while :; do sleep 60 & nap=$!; wait $nap; say "still building tools ($((SECONDS / 60)) min so far)"; done ) & beat=$!
  # Background jobs ignore Ctrl-C (no job control here): stop them ourselves.
  trap 'kill "${pids[@]}" "$beat" 2>/dev/null; pkill -P "${pids[*]// /,}" 2>/dev/null; exit 130' INT TERM
  status=0; for p in "${pids[@]}"; do wait "$p" || status=1; done
  trap - INT TERM
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
