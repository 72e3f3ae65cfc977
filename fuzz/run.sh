#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and reports executions and
# findings. Crashes land in fuzz/artifacts/<target>/ (each becomes a
# regression test). Uses the machine's stable toolchain (RUSTC_BOOTSTRAP for
# the sanitizer flags cargo-fuzz passes) and installs cargo-fuzz once.
#   bash fuzz/run.sh [seconds per target=60] [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-60}"; shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(amount pdf_scan image_header webhook_signature statement query bank_ids multipart json_bodies)
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install -q cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
status=0
for t in "${TARGETS[@]}"; do
  log="$(mktemp)"
  mkdir -p "fuzz/corpus/$t"
  if cargo fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 >"$log" 2>&1; then
    result=ok
  else
    result=FOUND; status=1
  fi
  # libFuzzer's last word is "Done N runs in S second(s)".
  execs=$(grep -Eo 'Done [0-9]+ runs' "$log" | grep -Eo '[0-9]+' | tail -1 || true)
  [ -n "$execs" ] || execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
  echo "fuzz $t: ${execs:-?} executions in ${SECONDS_EACH}s, $result"
  [ "$result" = ok ] || tail -30 "$log"
  rm -f "$log"
done
exit "$status"
