#!/usr/bin/env bash
# Prints the directory of a shared conformance corpus (signed documents
# made by other projects, with MANIFEST.tsv): `pades` (default) or `xades`.
# $KYSO_PADES_CORPUS / $KYSO_XADES_CORPUS when set, else the first of
# ../shared/corpora/NAME beside the checkout (or one level further up, for
# a clone inside a work folder) and /work/shared/corpora/NAME.  Exits 1,
# printing nothing, when none has a MANIFEST.tsv.
#
# usage: scripts/find-corpus.sh [pades|xades]
ROOT=$(cd "$(dirname "$0")/.." && pwd)
name=${1:-pades}
case $name in
pades) env=${KYSO_PADES_CORPUS:-} ;;
xades) env=${KYSO_XADES_CORPUS:-} ;;
*) echo "find-corpus: unknown corpus '$name'" >&2; exit 1 ;;
esac
for d in ${env:+"$env"} "$ROOT/../shared/corpora/$name" \
	"$ROOT/../../shared/corpora/$name" "/work/shared/corpora/$name"; do
	if [ -f "$d/MANIFEST.tsv" ]; then
		(cd "$d" && pwd)
		exit 0
	fi
done
exit 1
