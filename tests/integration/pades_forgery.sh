#!/usr/bin/env bash
# Forged and honest updates to kyso-signed transcripts (every class of the
# modification analysis: root switch, planted objects brought to life,
# resources named like back links, scripts, field logic, limits, visible
# changes a signature permits), each judged by kyso verify and by the
# rendering oracle: tests/integration/pades_forgery.py.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"
exec python3 "$ROOT/tests/integration/pades_forgery.py" "$KYSO" "$PKI" "$SAMPLE"
