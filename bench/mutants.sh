#!/usr/bin/env bash
# Mutation testing (cargo-mutants) of the modules where a silent mistake costs
# most: each mutant is a small change to the product code (a condition
# flipped, a function body replaced by a default); a test must fail for it.
# Reports caught / missed / unviable / timeout per module, and the missed
# mutants by name, under bench/mutants-out/<module>/.
#
#   bash bench/mutants.sh                 every module below (hours on 2 cores)
#   bash bench/mutants.sh money pdf       some of them
#
# Runs outside CI (slow). cargo-mutants copies the tree to a scratch folder
# and builds it there, so the working tree is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."

MUTANTS_VERSION=25.3.1
if ! cargo mutants --version 2>/dev/null | grep -q "$MUTANTS_VERSION"; then
  echo "installing cargo-mutants $MUTANTS_VERSION"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=64 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install -q cargo-mutants --version "$MUTANTS_VERSION" --locked
fi

# module: files to mutate | the tests that guard them (cargo test arguments)
declare -A FILES TESTS
FILES[money]="src/domain/money.rs"
TESTS[money]="--lib --test it -- domain::money deposits:: deposit_outcomes::"
FILES[signature]="src/payments/signature.rs src/payments/webhook.rs"
TESTS[signature]="--lib --test it -- payments:: deposits::webhooks deposits::"
FILES[session]="src/session/cookie.rs src/session/gate.rs"
TESTS[session]="--lib --test it -- session:: sessions:: security::"
FILES[credit]="src/payments/credit.rs"
TESTS[credit]="--test it -- deposit_outcomes:: credit_audit:: credit_faults:: deposits::"
FILES[upload]="src/kyc/upload.rs src/kyc/inspect.rs src/domain/kyc/files.rs"
TESTS[upload]="--lib --test it -- kyc:: domain::kyc"
FILES[pdf]="src/kyc/pdf_scan.rs"
TESTS[pdf]="--lib --test it -- kyc::pdf_scan kyc::"
ALL=(money signature session credit upload pdf)

modules=("$@")
[ ${#modules[@]} -eq 0 ] && modules=("${ALL[@]}")
mkdir -p bench/mutants-out
summary=bench/mutants-out/summary.txt
: >"$summary"
for m in "${modules[@]}"; do
  [ -n "${FILES[$m]:-}" ] || { echo "unknown module $m (known: ${ALL[*]})" >&2; exit 2; }
  args=()
  for f in ${FILES[$m]}; do args+=(--file "$f"); done
  out="bench/mutants-out/$m"
  rm -rf "$out"
  started=$SECONDS
  # shellcheck disable=SC2086 # TESTS holds several cargo test arguments
  cargo mutants --features ssr --no-shuffle --timeout 300 --output "$out" "${args[@]}" \
    -- ${TESTS[$m]} >"$out.log" 2>&1 || true
  outcomes="$out/mutants.out/outcomes.json"
  [ -f "$outcomes" ] || { echo "$m: no outcomes (see $out.log)" | tee -a "$summary"; continue; }
  python3 - "$m" "$outcomes" "$((SECONDS - started))" <<'PY' | tee -a "$summary"
import json, sys
module, path, secs = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = json.load(open(path))
counts = {k: data.get(k, 0) for k in ("caught", "missed", "unviable", "timeout")}
viable = counts["caught"] + counts["missed"] + counts["timeout"]
# A mutant that makes the tests hang is caught (the suite does not pass).
score = 100.0 * (counts["caught"] + counts["timeout"]) / viable if viable else 100.0
print(f"{module}: caught {counts['caught']}, missed {counts['missed']}, unviable {counts['unviable']}, "
      f"timeout {counts['timeout']}: {score:.1f}% of viable mutants caught ({secs // 60} min)")
for o in data.get("outcomes", []):
    if o.get("summary") == "MissedMutant":
        s = o["scenario"]["Mutant"]
        print(f"  missed: {s['file']}:{s['span']['start']['line']}: {s['name'] if 'name' in s else s.get('replacement', '')}")
PY
done
echo "summary: $summary"
