#!/usr/bin/env bash
# make fuzz-updates: the structure-aware fuzzer of incremental updates to
# signed PDFs (tests/fuzz/pades_updates.py) for SECONDS (default 600), with
# the rendering oracle.  Seeds whose update changed what a viewer shows are
# kept in build/fuzz-updates/seeds.txt (add them to
# tests/fuzz/corpus/pades_updates/seeds.txt to replay them in make test);
# a finding is left as build/fuzz-updates/finding-SEED.pdf and fails the run.
#
# usage: scripts/fuzz-updates.sh [SECONDS] [FIRST-SEED]
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
SECS=${1:-600}
START=${2:-$(date +%s)}
make --no-print-directory all pki >/dev/null || exit 1
exec python3 tests/fuzz/pades_updates.py build/kyso build/pki docs/examples/hocba.pdf \
	--seconds "$SECS" --start "$START" --out build/fuzz-updates
