#!/usr/bin/env bash
# PAdES conformance corpus: every PDF of ../shared/corpora/pades (EU DSS and
# pyHanko test files, see its MANIFEST.tsv) through `kyso verify FILE
# --json`, compared with the verdict the source project states (column
# `expected`) on integrity, format and modifications after signing.  Trust
# may come out INDETERMINATE: the signers' roots are not ours (files marked
# valid(with-test-CA) get pyHanko's test root with --trust).
#
# How an `expected` value reads against kyso's entries (one per signature
# or document timestamp):
#   valid-crypto, valid-crypto(untrusted), valid-crypto+warn,
#   valid(FORM_FILLING), valid(with-test-CA)
#       every entry intact: TOTAL-PASSED, or INDETERMINATE only for trust
#       (no path to an anchor, expired certificate, ...)
#   invalid, invalid(OTHER)          overall TOTAL-FAILED
#   invalid/indeterminate            overall TOTAL-FAILED or INDETERMINATE
#   indeterminate                    overall INDETERMINATE
#   indeterminate/invalid-tst        signatures intact, a document timestamp not
#   mixed                            at least one intact and one TOTAL-FAILED
#   not-etsi                         no entry TOTAL-FAILED (integrity holds)
#   must-terminate                   a report within 20 s
#   intact-but-NONSTANDARD_COVERAGE  every entry TOTAL-FAILED/FORMAT_FAILURE:
#       pyHanko calls these intact but not valid (bottom line false); kyso
#       reads bytes of a revision left out of the ByteRange (or a gap wider
#       than /Contents) as unsigned content, ETSI EN 319 142-1 5.1 / ISO
#       32000-1 12.8.1, i.e. a format failure, never a hash failure.
# Where kyso differs, tests/corpus/pades_expect.tsv names the file, kyso's
# exact verdict and why; such a file passes only while kyso's verdict is
# exactly the documented one (and a documented file that starts to agree
# fails, so the table cannot go stale).  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
CORPUS=${KYSO_PADES_CORPUS:-$("$ROOT/scripts/find-corpus.sh")}
EXPECT=$ROOT/tests/corpus/pades_expect.tsv
PYROOT=pyHanko/internal/common-test-utils/src/pyhanko_testing_commons/test_data/data/crypto/testing-ca/root/root.cert.pem
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

n=0
if [ ! -f "$CORPUS/MANIFEST.tsv" ]; then
	echo "not ok 1 - PAdES corpus not found at $CORPUS"
	exit 1
fi

cat >"$TMP/judge.py" <<'PY'
import json, sys

path, rc, expected = sys.argv[1], int(sys.argv[2]), sys.argv[3]
TRUST = {"NO_CERTIFICATE_CHAIN_FOUND", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED",
         "CERTIFICATE_CHAIN_GENERAL_FAILURE", "REVOKED_NO_POE", "REVOKED_CA_NO_POE",
         "TRY_LATER", "CHAIN_CONSTRAINTS_FAILURE"}
EXIT = {"TOTAL-PASSED": 0, "TOTAL-FAILED": 1, "INDETERMINATE": 2}
try:
    d = json.load(open(path))
except Exception as e:
    print("disagree\tno-report(exit %d)\tno JSON report: %s" % (rc, e))
    sys.exit(0)
sigs = d.get("signatures", [])
top = d.get("indication")

def ts(e):
    return (e.get("format") or "").startswith("PAdES document timestamp")

def intact(e):
    return e["indication"] == "TOTAL-PASSED" or \
        (e["indication"] == "INDETERMINATE" and e.get("subindication") in TRUST)

def broken(e):
    return e["indication"] == "TOTAL-FAILED"

actual = ",".join(("TS:" if ts(e) else "") + e["indication"] +
                  ("/" + e["subindication"] if e.get("subindication") else "") for e in sigs) or "none"
actual += ";" + str(top)
if EXIT.get(top) != rc:
    print("disagree\t%s\texit status %d does not match %s" % (actual, rc, top))
    sys.exit(0)
sig_entries = [e for e in sigs if not ts(e)]
ts_entries = [e for e in sigs if ts(e)]
if expected.startswith("valid"):
    ok = bool(sigs) and all(intact(e) for e in sigs)
elif expected in ("invalid", "invalid(OTHER)"):
    ok = top == "TOTAL-FAILED"
elif expected == "invalid/indeterminate":
    ok = top in ("TOTAL-FAILED", "INDETERMINATE")
elif expected == "indeterminate":
    ok = top == "INDETERMINATE"
elif expected == "indeterminate/invalid-tst":
    ok = bool(sig_entries) and not any(broken(e) for e in sig_entries) and \
        any(e["indication"] != "TOTAL-PASSED" for e in ts_entries)
elif expected == "mixed":
    ok = any(intact(e) for e in sigs) and any(broken(e) for e in sigs)
elif expected == "not-etsi":
    ok = bool(sigs) and not any(broken(e) for e in sigs)
elif expected == "must-terminate":
    ok = True
elif expected == "intact-but-NONSTANDARD_COVERAGE":
    ok = bool(sigs) and all(e["indication"] == "TOTAL-FAILED" and
                            e.get("subindication") == "FORMAT_FAILURE" for e in sigs)
else:
    print("disagree\t%s\tunknown expectation '%s'" % (actual, expected))
    sys.exit(0)
print("%s\t%s\t" % ("agree" if ok else "disagree", actual))
PY

# documented FILE: prints "VERDICT<TAB>REASON" of its line in the table.
documented() {
	awk -F'\t' -v f="$1" '!/^#/ && $1 == f { print $2 "\t" $3; exit }' "$EXPECT"
}

agree=0 documented_n=0
while IFS=$'\t' read -r file _repo _commit _path _lic _bytes _sha expected _category _why; do
	case "$expected" in trust-anchor | intermediate) continue ;; esac # certificates, not PDFs
	n=$((n + 1))
	trust=()
	[ "$expected" = "valid(with-test-CA)" ] && trust=(--trust "$CORPUS/$PYROOT")
	timeout 20 "$KYSO" verify "$CORPUS/$file" --json "${trust[@]}" --revocation off >"$TMP/out.json" 2>"$TMP/err"
	rc=$?
	if [ "$rc" -eq 124 ]; then
		echo "not ok $n - $file: verification did not finish within 20 s"
		continue
	fi
	IFS=$'\t' read -r status actual why <<<"$(python3 "$TMP/judge.py" "$TMP/out.json" "$rc" "$expected")"
	doc=$(documented "$file")
	if [ "$status" = agree ] && [ -z "$doc" ]; then
		agree=$((agree + 1))
		echo "ok $n - $file: $expected ($actual)"
	elif [ "$status" = agree ]; then
		echo "not ok $n - $file: agrees with the manifest now; remove its line from pades_expect.tsv"
	elif [ -n "$doc" ] && [ "${doc%%$'\t'*}" = "$actual" ]; then
		documented_n=$((documented_n + 1))
		echo "ok $n - $file: documented disagreement ($actual): ${doc#*$'\t'}"
	else
		echo "not ok $n - $file: expected $expected, kyso says $actual ${why:+($why)}"
		[ -n "$doc" ] && echo "# documented verdict was: ${doc%%$'\t'*}"
		head -c 600 "$TMP/err" | sed 's/^/# /'
	fi
done < <(tail -n +2 "$CORPUS/MANIFEST.tsv")
echo "# $n files: $agree agree with the manifest, $documented_n documented disagreements"
echo "1..$n"
