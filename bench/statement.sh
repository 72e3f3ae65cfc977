#!/usr/bin/env bash
# Bank statement import benchmark: starts the built server (run `cargo leptos
# build` or `make test` first) on its own port and data, signs a finance user
# in, imports a camt.053 statement of N booked credits (every other one with a
# checksum-valid RF reference, so each is looked up), imports the same file
# again (nothing new), and reports both times, the file size and the server's
# peak resident memory.
#   bench/statement.sh [lines=20000]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"; PORT=3500
source bench/serve.sh
INAPP_STAFF_PASSWORD="bench staff password" "$BIN" create-staff bench-finance@broker.example finance >/dev/null
JAR="$DATA/cookies"
curl -fsS -o /dev/null -c "$JAR" -H "Origin: $BASE" -d 'email=bench-finance@broker.example&password=bench staff password' "$BASE/backoffice/sign-in"
python3 - "$N" "$DATA/statement.xml" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
def rf(body):
    digits = "".join(str(int(c, 36)) for c in body + "RF00")
    return f"RF{98 - int(digits) % 97:02d}{body}"
rows = []
for i in range(n):
    text = rf(f"{random.randrange(10**18):018d}") if i % 2 == 0 else f"payment {i}"
    rows.append(f'<Ntry><Amt Ccy="EUR">{random.randrange(100, 100000)}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
                f'<BookgDt><Dt>2026-11-30</Dt></BookgDt><AcctSvcrRef>B{i}</AcctSvcrRef><NtryDtls><TxDtls>'
                f'<RltdPties><Dbtr><Nm>Payer {i}</Nm></Dbtr></RltdPties><RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>')
open(path, "w").write('<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
                      '<GrpHdr><MsgId>BENCH</MsgId></GrpHdr><Stmt><Id>BENCH-1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>'
                      + "".join(rows) + '</Stmt></BkToCstmrStmt></Document>')
PY
echo "statement: $N lines, $(( $(stat -c %s "$DATA/statement.xml") / 1024 )) KiB"
# Another client meanwhile: /healthz (which asks the database) every 50 ms; its slowest answer.
probe() { local worst=0; while [ -e "$DATA/probing" ]; do t=$(curl -s -o /dev/null -w '%{time_total}' "$BASE/healthz"); worst=$(python3 -c "print(max($worst, $t))"); sleep 0.05; done; echo "$worst" > "$DATA/worst"; }
touch "$DATA/probing"; probe & PROBE=$!; sleep 1; rm "$DATA/probing"; wait $PROBE
echo "another client, idle server: slowest /healthz $(cat "$DATA/worst") s"
touch "$DATA/probing"; probe & PROBE=$!
for run in first again; do
  out=$(curl -sS -o /dev/null -b "$JAR" -H "Origin: $BASE" -w '%{http_code} %{time_total} %{redirect_url}' -F "statement=@$DATA/statement.xml;type=application/xml" "$BASE/backoffice/bank/statements")
  echo "import ($run): HTTP ${out%% *}, $(echo "$out" | cut -d' ' -f2) s, $(echo "$out" | grep -o 'count=[0-9]*') new lines"
done
rm "$DATA/probing"; wait $PROBE
echo "another client, during both imports: slowest /healthz $(cat "$DATA/worst") s"
echo "server peak resident memory: $(grep VmHWM /proc/$SERVER/status | awk '{print $2/1024 " MiB"}')"
