#!/usr/bin/env bash
# kyso adds a signature to every PDF of the shared PAdES corpus
# (../shared/corpora/pades: files signed by EU DSS and pyHanko) and to every
# PDF seed of the fuzz harnesses (tests/fuzz/corpus: attacks, damaged and
# unusual files), and verifies the result: the new signature passes, and every earlier signature keeps
# the indication and sub-indication it had before.  Refusals are allowed
# only where a rule says so, each listed in tests/corpus/pades_sign_expect.tsv
# with the rule (DocMDP P=1, encryption, a file verification rejects); a
# listed file that signs, or a refusal not listed, fails.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"
CORPUS=${KYSO_PADES_CORPUS:-$("$ROOT/scripts/find-corpus.sh")}
EXPECT=$ROOT/tests/corpus/pades_sign_expect.tsv

if [ ! -f "$CORPUS/MANIFEST.tsv" ]; then
	echo "not ok 1 - PAdES corpus not found at $CORPUS"
	echo "1..1"
	exit 1
fi

verdicts() { # FILE -> one line per signature: INDICATION/SUBINDICATION
	"$KYSO" verify "$1" --json --lang en --trust "$PKI/root.pem" --revocation off 2>/dev/null |
		python3 -c 'import json,sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for s in d.get("signatures", []):
    print("%s/%s" % (s["indication"], s["subindication"]))'
}

expected_refusal() { # relative path -> the rule, or nothing
	awk -F'\t' -v f="$1" '!/^#/ && $1 == f { print $2 }' "$EXPECT"
}

while IFS= read -r f; do
	case $f in
	"$ROOT"/tests/*) rel=${f#"$ROOT"/} ;;
	*) rel=${f#"$CORPUS"/} ;;
	esac
	rule=$(expected_refusal "$rel")
	verdicts "$f" >"$TMP/before"
	if sign "$f" "$TMP/out.pdf" principal-rsa; then
		if [ -n "$rule" ]; then
			notok "$rel: listed as refused ($rule) but kyso signs it"
			continue
		fi
		verdicts "$TMP/out.pdf" >"$TMP/after"
		nb=$(wc -l <"$TMP/before")
		# The report lists signatures by the revision they cover (one
		# that covers none comes last): compare the verdicts as a
		# multiset, the new signature's added.
		{ cat "$TMP/before"; echo "TOTAL-PASSED/None"; } | sort >"$TMP/want"
		sort "$TMP/after" >"$TMP/got"
		if cmp -s "$TMP/want" "$TMP/got"; then
			ok "$rel: signed; $nb earlier signature(s) keep their verdicts"
		else
			notok "$rel: signed, but the verdicts moved" "before: $(tr '\n' ' ' <"$TMP/before")" \
				"after:  $(tr '\n' ' ' <"$TMP/after")"
		fi
	else
		why=$(tail -1 "$TMP/sign.log")
		if [ -z "$rule" ]; then
			notok "$rel: kyso refuses to sign it" "$why"
		elif echo "$why" | grep -qiF "$rule"; then
			ok "$rel: refused, as listed ($rule)"
		else
			notok "$rel: refused for another reason than listed ($rule)" "$why"
		fi
	fi
done < <(find "$CORPUS" -name '*.pdf' -type f | sort
	find "$ROOT/tests/fuzz/corpus" -name '*.pdf' -type f | sort)
echo "1..$n"
