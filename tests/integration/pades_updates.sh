#!/usr/bin/env bash
# Replays the kept seeds of the incremental-update fuzzer
# (tests/fuzz/pades_updates.py): random updates to kyso-signed transcripts
# that changed what poppler shows, each checked by the rendering oracle.
# KYSO_UPDATES_MAX bounds how many (default 60).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"
exec python3 "$ROOT/tests/fuzz/pades_updates.py" "$KYSO" "$PKI" "$SAMPLE" \
	--replay "$ROOT/tests/fuzz/corpus/pades_updates/seeds.txt" --max "${KYSO_UPDATES_MAX:-60}"
