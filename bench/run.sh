#!/usr/bin/env bash
# make bench: every benchmark binary, each printing "name value reference ratio"
# lines; ratios are against a reference measured in the same run on this
# machine (machines are shared and noisy: absolute numbers mean little).
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck disable=SC1091
. build/pki/env.sh
export KYSO_BIN="$ROOT/$BUILD/kyso" KYSO_BUILD="$ROOT/$BUILD" KYSO_ROOT="$ROOT"
export BENCH_SECONDS=${BENCH_SECONDS:-2}

status=0
echo "benchmark                     measured       reference      ratio   (target)"
for b in "$BUILD"/bench/bench_*; do
  [ -x "$b" ] || continue
  # One core: the reference is single-threaded too.
  if ! taskset -c 0 "$b"; then
    echo "bench: $(basename "$b") failed" >&2
    status=1
  fi
done
for s in bench/*.sh; do
  [ "$s" = bench/run.sh ] && continue
  [ -f "$s" ] || continue
  bash "$s" "$BUILD" || { echo "bench: $s failed" >&2; status=1; }
done
exit $status
