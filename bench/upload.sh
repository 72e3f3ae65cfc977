#!/usr/bin/env bash
# KYC upload benchmark: starts the built server (run `cargo leptos build` or
# `make test` first) on its own port and data, times 10 MiB PDF uploads one
# after another, then runs N at once while sampling the server's resident
# memory (/proc/<pid>/status), and checks every file reached the disk.
#   bench/upload.sh [sequential=5] [concurrent=20]
set -euo pipefail
cd "$(dirname "$0")/.."
SEQ="${1:-5}"; CONC="${2:-20}"; PORT=3400
source bench/serve.sh
node bench/upload.mjs "http://127.0.0.1:$PORT" "$SERVER" "$SEQ" "$CONC"
python3 - "$DATA" "$((SEQ + CONC))" <<'PY'
import os, sqlite3, sys
data, want = sys.argv[1], int(sys.argv[2])
rows = sqlite3.connect(f"{data}/app.db").execute("SELECT COUNT(*), SUM(size) FROM kyc_documents").fetchone()
files = sum(len(f) for _, _, f in os.walk(f"{data}/documents"))
print(f"stored: {rows[0]} document rows ({(rows[1] or 0) / 2**20:.0f} MiB), {files} files under documents/; expected {want} rows")
sys.exit(0 if rows[0] == want else 1)
PY
