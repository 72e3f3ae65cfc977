#!/usr/bin/env bash
# Decompression-bomb benchmark: starts the built server (run `cargo leptos
# build` or `make test` first) on its own port and data, uploads N image
# bombs and N large-but-allowed images at once, and reports the answers and
# the server's peak resident memory (budget: 2 inspections at a time of at
# most 128 MiB each, kyc::upload::INSPECT_AT_ONCE and kyc::inspect::MAX_WORKING_BYTES).
#   bench/bombs.sh [N=20]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20}"; PORT=3402
# Room for the files (KYC limits are for people, not for this benchmark's sizes).
export INAPP_KYC__MAX_IMAGE_SIDE=8000
source bench/serve.sh
node bench/bombs.mjs "http://127.0.0.1:$PORT" "$SERVER" "$N"
