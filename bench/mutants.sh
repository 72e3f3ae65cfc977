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

MUTANTS_VERSION=27.1.0
if ! cargo mutants --version 2>/dev/null | grep -q "$MUTANTS_VERSION"; then
  echo "installing cargo-mutants $MUTANTS_VERSION"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=64 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install -q cargo-mutants --version "$MUTANTS_VERSION" --locked
fi

# module: files to mutate | the tests that guard them (cargo test arguments)
declare -A FILES TESTS
FILES[money]="src/domain/money.rs"
TESTS[money]="--lib --test it -- domain::money deposits:: deposit_outcomes::"
FILES[signature]="src/deposit/signature.rs src/deposit/webhook.rs"
TESTS[signature]="--lib --test it -- deposit:: deposits::webhooks deposits::"
FILES[session]="src/session/cookie.rs src/session/gate.rs"
TESTS[session]="--lib --test it -- session:: sessions:: security::"
FILES[credit]="src/deposit/credit.rs"
TESTS[credit]="--test it -- deposit_outcomes:: credit_audit:: credit_faults:: deposits::"
FILES[upload]="src/kyc/upload.rs src/kyc/inspect.rs src/domain/kyc/files.rs"
TESTS[upload]="--lib --test it -- kyc:: domain::kyc"
FILES[pdf]="src/kyc/pdf_scan/mod.rs src/kyc/pdf_scan/lexer.rs"
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
  res="$out/mutants.out"
  [ -f "$res/caught.txt" ] || { echo "$m: no results (see $out.log)" | tee -a "$summary"; continue; }
  n() { if [ -f "$res/$1.txt" ]; then awk 'END { print NR }' "$res/$1.txt"; else echo 0; fi; }
  caught=$(n caught) missed=$(n missed) unviable=$(n unviable) timeout=$(n timeout)
  viable=$((caught + missed + timeout))
  # A mutant that makes the tests hang is caught: the suite does not pass.
  pct=$(python3 -c "print(f'{100 * ($caught + $timeout) / max($viable, 1):.1f}')")
  echo "$m: caught $caught, missed $missed, unviable $unviable, timeout $timeout: $pct% of viable mutants caught ($(( (SECONDS - started) / 60 )) min)" | tee -a "$summary"
  [ "$missed" -eq 0 ] || sed 's/^/  missed: /' "$res/missed.txt" | tee -a "$summary"
done
echo "summary: $summary"
