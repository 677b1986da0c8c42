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

# anchors NEEDS N: the PEM file to pass to --trust (empty when none)
anchors() {
	local needs=$1 out="$TMP/anchors-$2.pem" f
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

# Run kyso on every row, then judge them all in one Python process.
: >"$TMP/runs.tsv"
while IFS=$'\t' read -r row _origin expected _why needs _rest; do
	case "$expected" in valid | invalid | reject) ;; *) continue ;; esac
	n=$((n + 1))
	file=${row%%#*}
	trust=()
	anchored=0
	if a=$(anchors "$needs" "$n"); then
		trust=(--trust "$a")
		anchored=1
	fi
	timeout 20 "$KYSO" verify "$CORPUS/$file" --json "${trust[@]}" --revocation off >"$TMP/out-$n.json" \
		2>"$TMP/err-$n"
	printf '%s\t%s\t%s\t%s\t%s\n' "$row" "$expected" "$anchored" "$?" "$n" >>"$TMP/runs.tsv"
done < <(tail -n +2 "$CORPUS/MANIFEST.tsv")

python3 - "$TMP" "$EXPECT" <<'PY'
import json, sys

tmp, expect_path = sys.argv[1], sys.argv[2]
EXIT = {"TOTAL-PASSED": 0, "TOTAL-FAILED": 1, "INDETERMINATE": 2}
documented = {}
for line in open(expect_path, encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    f, verdict, why = line.rstrip("\n").split("\t", 2)
    documented[f] = (verdict, why)

def intact(e):
    return e["indication"] == "TOTAL-PASSED" or (
        e["indication"] == "INDETERMINATE" and e.get("subindication") == "NO_CERTIFICATE_CHAIN_FOUND")

def judge(path, rc, expected, anchored):
    """(agree?, actual verdict, reason when no report)"""
    try:
        d = json.load(open(path, encoding="utf-8"))
    except Exception as e:
        return False, "no-report(exit %d)" % rc, "no JSON report: %s" % e
    sigs = d.get("signatures", [])
    top = d.get("indication")
    actual = ",".join(e["indication"] + ("/" + e["subindication"] if e.get("subindication") else "")
                      for e in sigs) or "none"
    actual += ";" + str(top)
    if rc == 124:
        return False, actual, "verification did not finish within 20 s"
    if EXIT.get(top) != rc:
        return False, actual, "exit status %d does not match %s" % (rc, top)
    if expected == "valid":
        ok = bool(sigs) and (all(e["indication"] == "TOTAL-PASSED" for e in sigs) if anchored
                             else all(intact(e) for e in sigs))
    else:  # invalid, reject
        ok = top == "TOTAL-FAILED" or (top == "INDETERMINATE" and any(
            e["indication"] != "TOTAL-PASSED" and
            (anchored or e.get("subindication") != "NO_CERTIFICATE_CHAIN_FOUND") for e in sigs))
    return ok, actual, ""

agree = doc_n = 0
n = 0
for line in open(tmp + "/runs.tsv", encoding="utf-8"):
    row, expected, anchored, rc, k = line.rstrip("\n").split("\t")
    n += 1
    ok, actual, why = judge("%s/out-%s.json" % (tmp, k), int(rc), expected, anchored == "1")
    doc = documented.get(row)
    if ok and doc is None:
        agree += 1
        print("ok %d - %s: %s (%s)" % (n, row, expected, actual))
    elif ok:
        print("not ok %d - %s: agrees with the manifest now (%s); remove its line from "
              "xades_expect.tsv" % (n, row, actual))
    elif doc is not None and doc[0] == actual:
        doc_n += 1
        print("ok %d - %s: documented disagreement (%s): %s" % (n, row, actual, doc[1]))
    else:
        print("not ok %d - %s: expected %s, kyso says %s %s" % (n, row, expected, actual,
                                                                 "(%s)" % why if why else ""))
        if doc is not None:
            print("# documented verdict was: %s" % doc[0])
        try:
            for e in json.load(open("%s/out-%s.json" % (tmp, k))).get("signatures", [])[:4]:
                print("#   %s" % e.get("detail"))
        except Exception:
            pass
        print("".join("# " + l for l in open("%s/err-%s" % (tmp, k), errors="replace").readlines()[:4]), end="")
print("# %d files: %d agree with the manifest, %d documented disagreements" % (n, agree, doc_n))
print("1..%d" % n)
PY
