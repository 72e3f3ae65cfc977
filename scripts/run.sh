#!/usr/bin/env bash
# `make run`: set up, build, start the server on embedded defaults (SQLite under
# data/, the built-in cTrader simulator) and print a fresh link to every screen.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
cargo leptos build

ADDR="${INAPP_LEPTOS__SITE_ADDR:-127.0.0.1:3000}"
BASE="http://$ADDR"
target/debug/broker-inapp &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { echo "the server stopped; see the messages above" >&2; exit 1; }
  sleep 0.2
done

mint() {
  curl -fsS -X POST "$BASE/sim/tokens" -H 'content-type: application/json' -d '{"login": 100001}' |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}
echo
echo "broker-inapp is running at $BASE (Ctrl-C stops it). Trader 100001, fresh one-time tokens (valid 60 s, once):"
echo "  deposit       $BASE/inapp/deposit?token=$(mint)&account=100001&lang=en"
echo "  KYC           $BASE/inapp/kyc?token=$(mint)&kycType=standard"
echo "  KYC upload    $BASE/inapp/kyc/upload?token=$(mint)&documentType=identity"
echo "  KYC status    $BASE/inapp/kyc/status?token=$(mint)"
echo "  support chat  $BASE/inapp/chat?token=$(mint)&theme=dark"
echo "  withdrawal    $BASE/inapp/action?token=$(mint)&actionType=withdraw"
echo "  transfer      $BASE/inapp/action?token=$(mint)&actionType=transfer"
echo "  account mgr   $BASE/inapp/action?token=$(mint)&actionType=account_manager"
echo "  client area   $BASE/inapp/action?token=$(mint)&actionType=client_area   (hand-off)"
echo "Designers' gallery (every screen state, light and dark): $BASE/gallery   theme: theme.toml, applied on reload"
echo "Back-office: $BASE/backoffice (create a first admin: target/debug/broker-inapp create-admin you@broker.example)"
echo "Support inbox (support and admin staff): $BASE/backoffice/chat"
echo "Withdrawals and bank transfers (finance and admin staff): $BASE/backoffice/withdrawals, $BASE/backoffice/bank"
echo "Full SSO (INAPP_IDENTITY__MODE=full_sso): endpoints described at $BASE/oauth2/openapi.json"
echo "Links that mint a new token on every click: $BASE/sim (e.g. $BASE/sim/launch?screen=deposit&login=100001)"
echo
wait $SERVER
