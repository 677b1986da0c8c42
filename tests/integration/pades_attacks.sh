#!/usr/bin/env bash
# Attacks on kyso-signed PDFs, crafted here from a fresh signature
# (tests/integration/pades_attack.py): each must be TOTAL-FAILED with the
# right sub-indication, where poppler's pdfsig still says "Signature is
# Valid" for most of them.  Also the permitted side: the clean file,
# serial signatures, annotations without certification, exit statuses.
#   - a byte changed inside the signed range          HASH_FAILURE
#   - an update that changes the page content          FORMAT_FAILURE (modified)
#   - an update that re-points an object number        FORMAT_FAILURE (modified)
#   - a shrunk or moved /ByteRange                     FORMAT_FAILURE
#   - /Contents with extra data after the CMS          FORMAT_FAILURE
#   - a truncated file                                 FORMAT_FAILURE
#   - objects appended without an xref section         FORMAT_FAILURE
#   - /Contents zeroed (universal signature forgery)   FORMAT_FAILURE
#   - DocMDP: an annotation under P=2, a signature under P=1
# Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"
ATTACK=$ROOT/tests/integration/pades_attack.py

# check NAME FILE WANT_EXIT PYTHON-EXPR [verify options]: kyso verify --json
# exits WANT_EXIT and the report d satisfies the expression.
check() {
	local name=$1 f=$2 want=$3 expr=$4 rc
	shift 4
	"$KYSO" verify "$f" --json "$@" >"$TMP/report.json" 2>"$TMP/verify.err"
	rc=$?
	if [ "$rc" -eq "$want" ] && python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
s=d["signatures"]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$TMP/report.json" "$expr" 2>"$TMP/py.err"; then
		ok "$name"
	else
		notok "$name" "exit $rc (want $want); check: $expr" \
			"$(head -c 1500 "$TMP/report.json" | tr '\n' ' ')" "$(cat "$TMP/verify.err" "$TMP/py.err")"
	fi
}

# failed NAME FILE SUB [DETAIL-SUBSTRING]: the (last) signature is
# TOTAL-FAILED with SUB; the overall result too, exit status 1.
failed() {
	local name=$1 f=$2 sub=$3 detail=${4:-}
	check "$name: TOTAL-FAILED/$sub" "$f" 1 \
		"d['indication']=='TOTAL-FAILED' and s[-1]['indication']=='TOTAL-FAILED' and s[-1]['subindication']=='$sub' and '$detail' in (s[-1]['detail'] or '')" \
		--trust "$PKI/root.pem" --revocation off
}

pdfsig_valid() { # FILE: pdfsig accepts the (last) signature
	pdfsig -no-ocsp "$1" 2>/dev/null | grep -q "Signature Validation: Signature is Valid"
}

for tool in python3 pdfsig; do
	command -v "$tool" >/dev/null || notok "$tool is installed (scripts/deps.sh)"
done

if ! sign "$SAMPLE" "$TMP/signed.pdf" principal-rsa --reason "Ký duyệt học bạ"; then
	notok "kyso signs the sample transcript" "$(cat "$TMP/sign.log")"
	echo "1..$n"
	exit 1
fi
ok "kyso signs the sample transcript"

# -- the clean file
check "clean: TOTAL-PASSED with the test root, exit 0" "$TMP/signed.pdf" 0 \
	"d['indication']=='TOTAL-PASSED' and len(s)==1 and s[0]['signer']['id']=='001185012345' and s[0]['changes']==[] and s[0]['format']=='PAdES-B-B'" \
	--trust "$PKI/root.pem" --revocation off
check "clean, English: whole document" "$TMP/signed.pdf" 0 \
	"s[0]['coverage'].startswith('the whole document')" --trust "$PKI/root.pem" --revocation off --lang en
check "clean without --trust: INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND, exit 2" "$TMP/signed.pdf" 2 \
	"s[0]['indication']=='INDETERMINATE' and s[0]['subindication']=='NO_CERTIFICATE_CHAIN_FOUND'"
check "clean with a look-alike root: INDETERMINATE, exit 2" "$TMP/signed.pdf" 2 \
	"s[0]['subindication']=='NO_CERTIFICATE_CHAIN_FOUND'" --trust "$PKI/lookalike-root.pem"
if "$KYSO" verify "$TMP/signed.pdf" --trust "$PKI/root.pem" --revocation off | grep -q "ĐẠT (TOTAL-PASSED)"; then
	ok "clean: Vietnamese text report by default"
else
	notok "clean: Vietnamese text report by default"
fi

# -- attacks on the single signature
attack() { # NAME ATTACK SUB [DETAIL] [IN]
	local name=$1 a=$2 sub=$3 detail=${4:-} in=${5:-$TMP/signed.pdf}
	if python3 "$ATTACK" "$a" "$in" "$TMP/$a.pdf" 2>"$TMP/attack.err"; then
		failed "$name" "$TMP/$a.pdf" "$sub" "$detail"
		oracle "$name" "$in" "$TMP/$a.pdf"
	else
		notok "$name: crafting the attack" "$(cat "$TMP/attack.err")"
	fi
}
attack "byte changed inside the signed range" flip-byte HASH_FAILURE
attack "update changing the page content" update-content FORMAT_FAILURE "object 4 (page content) modified"
attack "update re-pointing the page object to its pre-signature body" repoint FORMAT_FAILURE "object 3 (page) modified"
attack "ByteRange shrunk into %%EOF" byterange-shrink FORMAT_FAILURE "not the end of a revision"
attack "ByteRange without the EOL after %%EOF" byterange-drop-eol HASH_FAILURE
attack "ByteRange gap moved (signature wrapping)" byterange-move FORMAT_FAILURE "not exactly the /Contents string"
attack "/Contents with extra data" contents-extra FORMAT_FAILURE "/Contents with extra data"
attack "truncated file" truncate FORMAT_FAILURE "truncated"
attack "objects appended after %%EOF without xref" append-objects FORMAT_FAILURE "not a valid incremental update"
attack "/Contents zeroed (universal signature forgery)" empty-contents FORMAT_FAILURE "/Contents is empty"

# what pdfsig makes of the same files: the gap kyso closes
# (shown, not counted: it is pdfsig's verdict, not kyso's)
for a in update-content contents-extra; do
	if pdfsig_valid "$TMP/$a.pdf"; then
		echo "# pdfsig calls $a \"Signature is Valid\"; kyso does not"
	else
		echo "# pdfsig rejects $a too"
	fi
done

# -- changes a signature permits
python3 "$ATTACK" add-annotation "$TMP/signed.pdf" "$TMP/annot.pdf"
check "annotation added after an ordinary signature: allowed and listed, verdict changed (exit 4)" "$TMP/annot.pdf" 4 \
	"d['verdict']=='changed' and s[0]['indication']=='TOTAL-PASSED' and any('(annotation)' in c['text'] and c['allowed'] and c['page']==1 and c['rect'] for c in s[0]['changes'])" \
	--trust "$PKI/root.pem" --revocation off --lang en
oracle "annotation added after an ordinary signature" "$TMP/signed.pdf" "$TMP/annot.pdf"

if sign "$SAMPLE" "$TMP/cert2.pdf" principal-rsa --certify 2; then
	python3 "$ATTACK" add-annotation "$TMP/cert2.pdf" "$TMP/cert2-annot.pdf"
	failed "annotation added under certification P=2" "$TMP/cert2-annot.pdf" FORMAT_FAILURE \
		"by certification P=2"
	if sign "$TMP/cert2.pdf" "$TMP/cert2-serial.pdf" homeroom-rsa --visible 1,330,60,220,75; then
		check "second signature under certification P=2: both TOTAL-PASSED" \
			"$TMP/cert2-serial.pdf" 0 \
			"len(s)==2 and all(x['indication']=='TOTAL-PASSED' for x in s) and 'P=2' in s[0]['coverage']" \
			--trust "$PKI/root.pem" --revocation off
		oracle "second, visible signature under P=2" "$TMP/cert2.pdf" "$TMP/cert2-serial.pdf"
		attack "page content changed after two signatures" update-content FORMAT_FAILURE \
			"modified" "$TMP/cert2-serial.pdf"
		check "... and the first signature fails too" "$TMP/update-content.pdf" 1 \
			"all(x['indication']=='TOTAL-FAILED' for x in s)" --trust "$PKI/root.pem" --revocation off
	else
		notok "kyso adds a second signature to a P=2 certified file" "$(cat "$TMP/sign.log")"
	fi
else
	notok "kyso certifies with P=2" "$(cat "$TMP/sign.log")"
fi

# pdfsig_sign IN OUT: poppler signs with the homeroom teacher's key (an NSS
# database with the test root and the key imported).
pdfsig_sign() {
	if [ ! -d "$TMP/nssdb" ]; then
		cp -r "$PKI/nssdb" "$TMP/nssdb"
		pk12util -i "$PKI/homeroom-rsa.p12" -d "sql:$TMP/nssdb" \
			-W "${KYSO_TEST_P12_PASS:-kyso-test}" -K "" >"$TMP/pk12.log" 2>&1 || return 1
	fi
	nick=$(certutil -L -d "sql:$TMP/nssdb" | awk '/u,u,u/ { sub(/ +u,u,u.*/, ""); print; exit }')
	[ -n "$nick" ] && pdfsig -nssdir "sql:$TMP/nssdb" -add-signature -nick "$nick" "$1" "$2" \
		>"$TMP/add.log" 2>&1
}

if sign "$SAMPLE" "$TMP/cert1.pdf" principal-rsa --certify 1; then
	check "certified P=1 alone: TOTAL-PASSED" "$TMP/cert1.pdf" 0 \
		"s[0]['indication']=='TOTAL-PASSED' and 'DocMDP P=1' in s[0]['coverage']" \
		--trust "$PKI/root.pem" --revocation off --lang en
	python3 "$ATTACK" add-annotation "$TMP/cert1.pdf" "$TMP/cert1-annot.pdf"
	failed "annotation added under certification P=1" "$TMP/cert1-annot.pdf" FORMAT_FAILURE \
		"by certification P=1"
	if sign "$TMP/cert1.pdf" "$TMP/cert1-serial.pdf" seal-rsa; then
		notok "kyso refuses to sign a P=1 certified file" "it signed"
	else
		ok "kyso refuses to sign a P=1 certified file"
	fi
	if pdfsig_sign "$TMP/cert1.pdf" "$TMP/cert1-poppler.pdf"; then
		check "a signature added (by pdfsig) under certification P=1 fails the certification" \
			"$TMP/cert1-poppler.pdf" 1 \
			"s[0]['indication']=='TOTAL-FAILED' and 'by certification P=1' in s[0]['detail'] and s[1]['indication']=='TOTAL-PASSED'" \
			--trust "$PKI/root.pem" --revocation off
	else
		notok "pdfsig adds a signature to the P=1 file" "$(cat "$TMP/pk12.log" "$TMP/add.log" 2>/dev/null)"
	fi
else
	notok "kyso certifies with P=1" "$(cat "$TMP/sign.log")"
fi

# -- serial signatures and an xref-stream input
if sign "$TMP/signed.pdf" "$TMP/serial.pdf" seal-rsa --visible 1,330,60,220,75; then
	check "serial signatures: both TOTAL-PASSED, the first covers revision 2 of 3" \
		"$TMP/serial.pdf" 0 \
		"len(s)==2 and all(x['indication']=='TOTAL-PASSED' for x in s) and s[0]['coverage'].startswith('revision 2 of 3') and s[1]['coverage'].startswith('the whole')" \
		--trust "$PKI/root.pem" --revocation off --lang en
else
	notok "kyso adds a second signature" "$(cat "$TMP/sign.log")"
fi
if command -v qpdf >/dev/null && qpdf --object-streams=generate "$SAMPLE" "$TMP/xs.pdf" 2>/dev/null &&
	sign "$TMP/xs.pdf" "$TMP/xs-signed.pdf" principal-ec; then
	check "xref-stream input signed with ECDSA: TOTAL-PASSED" "$TMP/xs-signed.pdf" 0 \
		"s[0]['indication']=='TOTAL-PASSED' and s[0]['signature_algorithm']=='ECDSA'" \
		--trust "$PKI/root.pem" --revocation off
	attack "xref-stream input: page content update" update-content FORMAT_FAILURE "modified" \
		"$TMP/xs-signed.pdf"
else
	notok "qpdf writes an xref-stream copy that kyso signs" "$(cat "$TMP/sign.log" 2>/dev/null)"
fi

# -- a file signed by poppler (adbe.pkcs7.detached)
if pdfsig_sign "$SAMPLE" "$TMP/poppler.pdf"; then
	check "a PDF signed by pdfsig -add-signature: TOTAL-PASSED" "$TMP/poppler.pdf" 0 \
		"s[0]['indication']=='TOTAL-PASSED' and s[0]['format'].startswith('PDF PKCS#7')" \
		--trust "$PKI/root.pem" --revocation off
	attack "pdfsig-signed file: page content update" update-content FORMAT_FAILURE \
		"modified" "$TMP/poppler.pdf"
else
	notok "pdfsig -add-signature signs the sample" "$(cat "$TMP/pk12.log" "$TMP/add.log" 2>/dev/null)"
fi

# -- not a PDF signature at all
printf '%%PDF-1.7\n%%%%EOF\n' >"$TMP/nothing.pdf"
check "a PDF without any signature: TOTAL-FAILED, exit 1" "$TMP/nothing.pdf" 1 \
	"d['indication']=='TOTAL-FAILED'"
"$KYSO" verify "$TMP/does-not-exist.pdf" >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 3 ]; then ok "a missing file: exit 3"; else notok "a missing file: exit 3" "exit $rc"; fi

echo "1..$n"
