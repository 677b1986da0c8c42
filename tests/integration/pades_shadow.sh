#!/usr/bin/env bash
# Updates that make viewers show something other than what kyso compared,
# crafted by tests/integration/pades_shadow.py on fresh kyso signatures:
# each must fail the signature (TOTAL-FAILED/FORMAT_FAILURE).
#   - a repeated dictionary key (trailer /Root, catalog /Pages, /MediaBox):
#     viewers take the last, a first-key reader would compare the first
#   - a direct /Root or a new /Encrypt in the trailer
#   - a hybrid section whose table and /XRefStm disagree (a repairing
#     viewer then finds an object hidden in a stream)
#   - overlays through signature widgets: a widget added to the signed
#     field, a new field reusing the signed signature dictionary, a fake
#     document timestamp, a real but visible document timestamp under P=1
#   - /NeedAppearances plus a re-pointed form font under P=2
# And the permitted side: an invisible document timestamp under P=1, a
# signature whose %%EOF has no EOL followed by kyso's own, serial signing
# into prepared fields with a FieldMDP lock.
# Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"
CRAFT=$ROOT/tests/integration/pades_shadow.py

# check NAME FILE WANT_EXIT PYTHON-EXPR: kyso verify --json --trust root
# exits WANT_EXIT and the report d (signatures s) satisfies the expression.
check() {
	local name=$1 f=$2 want=$3 expr=$4 rc
	"$KYSO" verify "$f" --json --lang en --trust "$PKI/root.pem" --revocation off >"$TMP/report.json" 2>"$TMP/verify.err"
	rc=$?
	if [ "$rc" -eq "$want" ] && python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
s=d["signatures"]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$TMP/report.json" "$expr" 2>"$TMP/py.err"; then
		ok "$name"
	else
		notok "$name" "exit $rc (want $want); check: $expr" \
			"$(head -c 2000 "$TMP/report.json" | tr '\n' ' ')" "$(cat "$TMP/verify.err" "$TMP/py.err")"
	fi
}

craft() { # ATTACK IN OUT
	if python3 "$CRAFT" "$1" "$2" "$3" "$PKI" 2>"$TMP/craft.err"; then
		return 0
	fi
	notok "$1: crafting" "$(cat "$TMP/craft.err")"
	return 1
}

# attack NAME ATTACK IN DETAIL: the first signature fails as modified.
attack() {
	local name=$1 a=$2 in=$3 detail=$4
	craft "$a" "$in" "$TMP/$a.pdf" || return
	check "$name: TOTAL-FAILED/FORMAT_FAILURE" "$TMP/$a.pdf" 1 \
		"s[0]['indication']=='TOTAL-FAILED' and s[0]['subindication']=='FORMAT_FAILURE' and 'modified after signing' in s[0]['detail'] and '''$detail''' in s[0]['detail']"
	oracle "$name" "$in" "$TMP/$a.pdf"
}

passes() { # NAME FILE [COUNT]: every signature TOTAL-PASSED
	check "$1: TOTAL-PASSED" "$2" 0 \
		"d['indication']=='TOTAL-PASSED' and len(s)==${3:-1} and all(x['indication']=='TOTAL-PASSED' for x in s)"
}

for tool in python3 openssl; do
	command -v "$tool" >/dev/null || notok "$tool is installed (scripts/deps.sh)"
done

if ! sign "$SAMPLE" "$TMP/c1.pdf" principal-rsa --certify 1 ||
	! sign "$SAMPLE" "$TMP/c2.pdf" principal-rsa --certify 2 ||
	! sign "$SAMPLE" "$TMP/plain.pdf" principal-rsa; then
	notok "kyso signs the sample three ways" "$(cat "$TMP/sign.log")"
	echo "1..$n"
	exit 1
fi
ok "kyso signs the sample three ways (P=1, P=2, not certified)"

# -- readers that disagree
attack "trailer with /Root twice (P=1)" dup-root "$TMP/c1.pdf" "repeated key"
attack "catalog with /Pages twice (P=1)" dup-pages "$TMP/c1.pdf" "repeated key"
attack "page with /MediaBox twice (not certified)" dup-mediabox "$TMP/plain.pdf" "repeated key"
attack "trailer /Root as a direct dictionary with /OpenAction (P=1)" direct-root "$TMP/c1.pdf" \
	"/Root is not a reference"
attack "trailer gains /Encrypt (not certified)" direct-encrypt "$TMP/plain.pdf" "/Encrypt changed"
attack "hybrid update: table frees the content, /XRefStm keeps it (P=1)" hybrid-free "$TMP/c1.pdf" \
	"/XRefStm define object 4"
attack "hybrid update whose /XRefStm has its own /Prev (P=1)" hybrid-prev "$TMP/c1.pdf" \
	"/XRefStm stream has a /Prev"

# -- overlays through signature widgets
attack "widget added to the signed signature field (P=2)" widget-kid "$TMP/c2.pdf" ""
attack "new field reusing the signed signature dictionary (P=2)" shared-sigdict "$TMP/c2.pdf" ""
attack "new field whose value is a stream claiming /DocTimeStamp (P=1)" fake-docts "$TMP/c1.pdf" ""
attack "visible document timestamp over the page (P=1)" docts-overlay "$TMP/c1.pdf" ""
if craft docts-invisible "$TMP/c1.pdf" "$TMP/docts.pdf"; then
	passes "invisible document timestamp after a P=1 certification" "$TMP/docts.pdf" 2
	oracle "invisible document timestamp after a P=1 certification" "$TMP/c1.pdf" "$TMP/docts.pdf"
fi

# -- form fonts under P=2
if craft mkform "$SAMPLE" "$TMP/form.pdf" && sign "$TMP/form.pdf" "$TMP/form-c2.pdf" principal-rsa --certify 2; then
	passes "filled form certified P=2" "$TMP/form-c2.pdf"
	attack "/NeedAppearances and a re-pointed form font (P=2)" needapp-font "$TMP/form-c2.pdf" ""
else
	notok "form certified P=2" "$(cat "$TMP/sign.log")"
fi

# -- permitted: %%EOF without EOL, then kyso's own signature
if craft eof-no-eol "$SAMPLE" "$TMP/eol.pdf"; then
	passes "signature ending at %%EOF without an EOL" "$TMP/eol.pdf"
	if sign "$TMP/eol.pdf" "$TMP/eol2.pdf" principal-rsa; then
		passes "that signature, then kyso's" "$TMP/eol2.pdf" 2
		oracle "that signature, then kyso's" "$TMP/eol.pdf" "$TMP/eol2.pdf"
	else
		notok "kyso signs after a %%EOF without EOL" "$(cat "$TMP/sign.log")"
	fi
fi

# -- permitted: serial signing into prepared fields, the second with a lock
if craft mkfields "$SAMPLE" "$TMP/fields.pdf" &&
	sign "$TMP/fields.pdf" "$TMP/f1.pdf" homeroom-rsa --field GVCN &&
	sign "$TMP/f1.pdf" "$TMP/f2.pdf" principal-rsa --field HieuTruong --lock all; then
	passes "teacher then principal into prepared fields, principal locks all" "$TMP/f2.pdf" 2
	oracle "teacher then principal into prepared fields" "$TMP/f1.pdf" "$TMP/f2.pdf"
else
	notok "serial signing into prepared fields" "$(cat "$TMP/sign.log" "$TMP/craft.err" 2>/dev/null)"
fi

echo "1..$n"
