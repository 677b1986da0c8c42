#!/usr/bin/env bash
# Prints the directory of the shared PAdES conformance corpus (signed PDFs
# made by other projects, with MANIFEST.tsv): $KYSO_PADES_CORPUS when set,
# else the first of ../shared/corpora/pades beside the checkout (or one
# level further up, for a clone inside a work folder) and
# /work/shared/corpora/pades.  Exits 1, printing nothing, when none has a
# MANIFEST.tsv.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
for d in ${KYSO_PADES_CORPUS:+"$KYSO_PADES_CORPUS"} "$ROOT/../shared/corpora/pades" \
	"$ROOT/../../shared/corpora/pades" /work/shared/corpora/pades; do
	if [ -f "$d/MANIFEST.tsv" ]; then
		(cd "$d" && pwd)
		exit 0
	fi
done
exit 1
