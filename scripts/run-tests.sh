#!/usr/bin/env bash
# Run every test: unit binaries (cmocka, TAP output), fuzz seed replays,
# and the integration / interop / corpus scripts (which print TAP lines
# themselves).  Adds up the counts and ends with exactly one line
# "N passed, M failed[, K skipped]"; exits non-zero on any failure.
#
# A test script may print "ok N - name # SKIP reason" only when a peer tool
# cannot be installed; the reason is echoed.
set -uo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export KYSO_BUILD="$ROOT/$BUILD"
export KYSO_BIN="$KYSO_BUILD/kyso"
export KYSO_ROOT="$ROOT"
export CMOCKA_MESSAGE_OUTPUT=TAP
# The shared conformance corpus; the tests that need it fail, saying so,
# when it cannot be found.
if corpus=$(scripts/find-corpus.sh); then
  export KYSO_PADES_CORPUS="$corpus"
else
  echo "run-tests: the PAdES conformance corpus (../shared/corpora/pades) was not found;" \
    "set KYSO_PADES_CORPUS" >&2
fi
if corpus=$(scripts/find-corpus.sh xades); then
  export KYSO_XADES_CORPUS="$corpus"
else
  echo "run-tests: the XAdES conformance corpus (../shared/corpora/xades) was not found;" \
    "set KYSO_XADES_CORPUS" >&2
fi
if [ -f "$ROOT/build/pki/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$ROOT/build/pki/env.sh"
fi

LOG_DIR="$KYSO_BUILD/test-logs"
rm -rf "$LOG_DIR"
mkdir -p "$LOG_DIR"

passed=0 failed=0 skipped=0
failures=()

run_one() {
  local name=$1; shift
  local log="$LOG_DIR/$(echo "$name" | tr '/' '_').log"
  local start end status p f s
  start=$(date +%s)
  # A hang is a failure, not a stuck run.
  timeout --kill-after=10 "${KYSO_TEST_TIMEOUT:-900}" "$@" >"$log" 2>&1 </dev/null
  status=$?
  [ "$status" -eq 124 ] && echo "not ok - $name did not finish within ${KYSO_TEST_TIMEOUT:-900}s" >>"$log"
  end=$(date +%s)
  p=$(grep -cE '^ok [0-9]+' "$log" | head -1)
  s=$(grep -cE '^ok [0-9]+.*# ?SKIP' "$log" | head -1)
  f=$(grep -cE '^not ok [0-9]+' "$log" | head -1)
  p=$((p - s))
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    # Crashed or failed outside any test case: count it as one failure.
    f=1
    echo "not ok - $name exited with status $status" >>"$log"
  fi
  # Every TAP stream states its plan (1..N) and runs exactly N tests: a
  # script that stops early, or prints no plan, fails.
  plan=$(grep -E '^1\.\.[0-9]+' "$log" | tail -1 | sed 's/^1\.\.//; s/[^0-9].*//')
  ran=$(grep -cE '^(not )?ok [0-9]+' "$log")
  if [ -z "$plan" ]; then
    f=$((f + 1))
    echo "not ok - $name printed no TAP plan (1..N)" >>"$log"
  elif [ "$plan" -ne "$ran" ]; then
    f=$((f + 1))
    echo "not ok - $name planned $plan tests and ran $ran" >>"$log"
  fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  printf '%-40s %4d passed %3d failed %3d skipped  (%ds)\n' "$name" "$p" "$f" "$s" $((end - start))
  if [ "$s" -gt 0 ]; then
    grep -E '^ok [0-9]+.*# ?SKIP' "$log" | sed 's/^/    skipped: /'
  fi
  if [ "$f" -gt 0 ]; then
    failures+=("$name")
    grep -E '^not ok|^# |ERROR|Assert|error:' "$log" | head -40 | sed 's/^/    /'
  fi
}

for t in "$KYSO_BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  run_one "unit/$(basename "$t")" "$t"
done
for t in "$KYSO_BUILD"/tests/replay_*; do
  [ -x "$t" ] || continue
  h=${t##*/replay_}
  run_one "fuzz-replay/$h" "$t" "tests/fuzz/corpus/$h"
done
# KYSO_TEST_ONLY=unit: the unit tests and the fuzz seed replays only (make
# asan-unit runs them so under ASan and UBSan).
[ "${KYSO_TEST_ONLY:-}" = unit ] && dirs=() || dirs=(integration interop corpus)
for dir in "${dirs[@]}"; do
  for t in tests/$dir/*.sh; do
    [ -f "$t" ] || continue
    run_one "$dir/$(basename "$t" .sh)" bash "$t"
  done
done

if [ ${#failures[@]} -gt 0 ]; then
  echo "failing: ${failures[*]} (logs in $LOG_DIR)"
fi
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
