#!/usr/bin/env bash
# Schemathesis against the Full SSO API's own OpenAPI document: starts the
# built server in full_sso mode on its own port and data, gets a CRM API
# token with the development password, and runs every generated case (all
# checks: no 5xx, responses match the schema) with it. Installs schemathesis
# from PyPI once.
#   bench/schemathesis.sh [max examples per operation=200]
set -euo pipefail
cd "$(dirname "$0")/.."
MAX="${1:-200}"; shift || true; PORT=3404
command -v schemathesis >/dev/null 2>&1 || pip install -q schemathesis
export INAPP_IDENTITY__MODE=full_sso
source bench/serve.sh
TOKEN=$(curl -fsS -H 'content-type: application/json' -d '{"password":"simulator-crm-password"}' "$BASE/oauth2/crmApiToken" | python3 -c 'import json,sys; print(json.load(sys.stdin)["crmApiToken"])')
schemathesis run "$BASE/oauth2/openapi.json" --checks all --max-examples "$MAX" \
  -H "Authorization: Bearer $TOKEN" --url "$BASE" "$@"
