#!/usr/bin/env bash
# Starts the built server for the Playwright suite: its own port, a fresh
# temporary database and simulator, nothing shared with `make run`.
set -euo pipefail
PORT="${1:-3100}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="$(mktemp -d)"
# Its own copy of the theme (the gallery test edits the copy of a server of its own).
THEME="$DATA/theme.toml"
cp "$ROOT/theme.toml" "$THEME"
export INAPP_BROKER__THEME_FILE="$THEME"
export INAPP_LEPTOS__SITE_ADDR="127.0.0.1:$PORT"
export INAPP_SERVER__PUBLIC_URL="http://127.0.0.1:$PORT"
export INAPP_STORAGE__DATA_DIR="$DATA"
export INAPP_STORAGE__DATABASE_URL="sqlite://$DATA/app.db"
export INAPP_SIMULATOR__DATABASE_URL="sqlite://$DATA/sim.db"
export INAPP_PAYMENTS__SANDBOX_DATABASE_URL="sqlite://$DATA/psp.db"
# Long enough for the suite to see a deposit in flight.
export INAPP_PAYMENTS__SANDBOX_ASYNC_DELAY_MS=5000
cd "$ROOT"
# A staff account for the back-office journeys.
INAPP_ADMIN_PASSWORD="e2e staff password" target/debug/broker-inapp create-admin e2e-admin@broker.example >/dev/null
# Two finance users: a wire above the four-eyes amount needs both.
for who in e2e-finance e2e-finance2; do
  INAPP_STAFF_PASSWORD="e2e staff password" target/debug/broker-inapp create-staff "$who@broker.example" finance >/dev/null
done
exec target/debug/broker-inapp
