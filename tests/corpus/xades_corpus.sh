#!/usr/bin/env bash
# XAdES / XMLDSig conformance corpus: every signed XML of
# ../shared/corpora/xades (xmlsec interop vectors, xades4j and EU DSS
# samples, see its MANIFEST.tsv) through `kyso verify FILE --json`, with
# the trust anchor the manifest names (column "key/cert/trust needed":
# "trust X" and "untrusted Y" are both given to --trust, DER converted to
# PEM; a row "FILE#variant" is the same file with other anchors), compared
# with the verdict the source project states (column `expected`):
#   valid            every entry TOTAL-PASSED when an anchor is given;
#                    without one, every entry intact (TOTAL-PASSED, or
#                    INDETERMINATE only for the missing path to an anchor)
#   invalid, reject  the document does not pass: TOTAL-FAILED overall, or
#                    INDETERMINATE for a reason other than the missing path
#                    to an anchor (expired certificate, weak algorithm, ...)
# Rows `key` and `data` are certificates, keys and detached content.
# Where kyso differs, tests/corpus/xades_expect.tsv names the row, kyso's
# exact verdict and why; such a row passes only while kyso's verdict is
# exactly the documented one, and a documented row that starts to agree
# fails, so the table cannot go stale.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
CORPUS=${KYSO_XADES_CORPUS:-$("$ROOT/scripts/find-corpus.sh" xades)}
EXPECT=$ROOT/tests/corpus/xades_expect.tsv
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

n=0
if [ ! -f "$CORPUS/MANIFEST.tsv" ]; then
	echo "not ok 1 - XAdES corpus not found at $CORPUS"
	exit 1
fi

cat >"$TMP/judge.py" <<'PY'
import json, sys

path, rc, expected, anchored = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
EXIT = {"TOTAL-PASSED": 0, "TOTAL-FAILED": 1, "INDETERMINATE": 2}
try:
    d = json.load(open(path))
except Exception as e:
    print("disagree\tno-report(exit %d)\tno JSON report: %s" % (rc, e))
    sys.exit(0)
sigs = d.get("signatures", [])
top = d.get("indication")
actual = ",".join(e["indication"] + ("/" + e["subindication"] if e.get("subindication") else "")
                  for e in sigs) or "none"
actual += ";" + str(top)
if EXIT.get(top) != rc:
    print("disagree\t%s\texit status %d does not match %s" % (actual, rc, top))
    sys.exit(0)

def intact(e):
    return e["indication"] == "TOTAL-PASSED" or (
        e["indication"] == "INDETERMINATE" and e.get("subindication") == "NO_CERTIFICATE_CHAIN_FOUND")

if expected == "valid":
    ok = bool(sigs) and (all(e["indication"] == "TOTAL-PASSED" for e in sigs) if anchored
                         else all(intact(e) for e in sigs))
elif expected in ("invalid", "reject"):
    ok = top == "TOTAL-FAILED" or (top == "INDETERMINATE" and any(
        e["indication"] != "TOTAL-PASSED" and
        (anchored or e.get("subindication") != "NO_CERTIFICATE_CHAIN_FOUND") for e in sigs))
else:
    print("disagree\t%s\tunknown expectation '%s'" % (actual, expected))
    sys.exit(0)
print("%s\t%s\t" % ("agree" if ok else "disagree", actual))
PY

# documented ROW: "VERDICT<TAB>REASON" of its line in the table
documented() {
	awk -F'\t' -v f="$1" '!/^#/ && $1 == f { print $2 "\t" $3; exit }' "$EXPECT"
}

# anchors NEEDS: the PEM file to pass to --trust (empty when none)
anchors() {
	local needs=$1 out="$TMP/anchors.pem" f
	: >"$out"
	for f in $(grep -oE '(trust|untrusted) [^ ;,]+\.(pem|der|cer)' <<<"$needs" | awk '{print $2}'); do
		[ -f "$CORPUS/$f" ] || continue
		if grep -q -- '-----BEGIN CERTIFICATE' "$CORPUS/$f"; then
			cat "$CORPUS/$f" >>"$out"
		else
			openssl x509 -inform DER -in "$CORPUS/$f" >>"$out" 2>/dev/null
		fi
	done
	[ -s "$out" ] && echo "$out"
}

agree=0 documented_n=0
while IFS=$'\t' read -r row _origin expected _why needs _rest; do
	case "$expected" in valid | invalid | reject) ;; *) continue ;; esac
	n=$((n + 1))
	file=${row%%#*}
	trust=()
	anchored=0
	if a=$(anchors "$needs"); then
		trust=(--trust "$a")
		anchored=1
	fi
	timeout 20 "$KYSO" verify "$CORPUS/$file" --json "${trust[@]}" >"$TMP/out.json" 2>"$TMP/err"
	rc=$?
	if [ "$rc" -eq 124 ]; then
		echo "not ok $n - $row: verification did not finish within 20 s"
		continue
	fi
	IFS=$'\t' read -r status actual why <<<"$(python3 "$TMP/judge.py" "$TMP/out.json" "$rc" "$expected" "$anchored")"
	doc=$(documented "$row")
	if [ "$status" = agree ] && [ -z "$doc" ]; then
		agree=$((agree + 1))
		echo "ok $n - $row: $expected ($actual)"
	elif [ "$status" = agree ]; then
		echo "not ok $n - $row: agrees with the manifest now ($actual); remove its line from xades_expect.tsv"
	elif [ -n "$doc" ] && [ "${doc%%$'\t'*}" = "$actual" ]; then
		documented_n=$((documented_n + 1))
		echo "ok $n - $row: documented disagreement ($actual): ${doc#*$'\t'}"
	else
		echo "not ok $n - $row: expected $expected, kyso says $actual ${why:+($why)}"
		[ -n "$doc" ] && echo "# documented verdict was: ${doc%%$'\t'*}"
		python3 -c 'import json,sys
for e in json.load(open(sys.argv[1])).get("signatures", []): print("#  ", e.get("detail"))' "$TMP/out.json" 2>/dev/null | head -4
		head -c 400 "$TMP/err" | sed 's/^/# /'
	fi
done < <(tail -n +2 "$CORPUS/MANIFEST.tsv")
echo "# $n files: $agree agree with the manifest, $documented_n documented disagreements"
echo "1..$n"
