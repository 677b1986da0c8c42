#!/usr/bin/env bash
# Signature levels with the built-in TSA on 127.0.0.1: B-T signatures (a
# signature timestamp) on PDF and CAdES, checked by kyso and by the peers
# (pdfsig, qpdf, openssl cms and ts); a TSA that is down or lies makes
# signing fail with no output (never a silent B-B).  Prints TAP.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"
# shellcheck source=scripts/tsa.sh
. "$ROOT/scripts/tsa.sh"

if ! KYSO_PKI_DIR=$PKI kyso_tsa_start "$KYSO" "$TMP/tsa.log"; then
	notok "the built-in TSA starts"
	echo "1..$n"
	exit 1
fi
ok "the built-in TSA listens at $KYSO_TSA_URL"
trap 'kyso_tsa_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

# A closed port: nothing listens there.
DOWN=http://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')

# -- PAdES B-T
if sign "$SAMPLE" "$TMP/bt.pdf" principal-rsa --level B-T --tsa "$KYSO_TSA_URL"; then
	ok "PAdES B-T: signed"
	"$KYSO" verify "$TMP/bt.pdf" --trust "$PKI/root.pem" --revocation off --json --lang en >"$TMP/bt.json"
	if python3 - "$TMP/bt.json" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
s = d["signatures"]
sys.exit(0 if len(s) == 1 and s[0]["indication"] == "TOTAL-PASSED" else 1)
PY
		ok "PAdES B-T: kyso verifies it"
	else
		notok "PAdES B-T: kyso verifies it" "$(head -c 600 "$TMP/bt.json")"
	fi
	# The signature-time-stamp attribute holds a token openssl accepts for
	# the signature value.
	python3 - "$TMP/bt.pdf" "$TMP/bt.p7s" <<'PY'
import re, sys
d = open(sys.argv[1], "rb").read()
m = re.search(rb"/Contents\s*<([0-9A-Fa-f]+)>", d[d.rfind(b"/ByteRange"):])
open(sys.argv[2], "wb").write(bytes.fromhex(m.group(1).decode()).rstrip(b"\0"))
PY
	if openssl cms -cmsout -inform DER -in "$TMP/bt.p7s" -print 2>/dev/null |
		grep -q "id-smime-aa-timeStampToken"; then
		ok "PAdES B-T: the CMS carries a signature-time-stamp"
	else
		notok "PAdES B-T: the CMS carries a signature-time-stamp"
	fi
	if pdfsig -nssdir "sql:$PKI/nssdb" "$TMP/bt.pdf" 2>&1 | grep -q "Signature is Valid"; then
		ok "PAdES B-T: pdfsig says Signature is Valid"
	else
		notok "PAdES B-T: pdfsig says Signature is Valid" "$(pdfsig -nssdir "sql:$PKI/nssdb" "$TMP/bt.pdf" 2>&1 | head -5)"
	fi
	if qpdf --check "$TMP/bt.pdf" >/dev/null 2>&1; then
		ok "PAdES B-T: qpdf --check passes"
	else
		notok "PAdES B-T: qpdf --check passes"
	fi
else
	notok "PAdES B-T: signed" "$(cat "$TMP/sign.log")"
fi

# -- CAdES B-T
if sign "$SAMPLE" "$TMP/bt.pdf.p7s" principal-rsa --format cms --level B-T --tsa "$KYSO_TSA_URL"; then
	ok "CAdES B-T: signed"
	if openssl cms -verify -inform DER -in "$TMP/bt.pdf.p7s" -content "$SAMPLE" -binary \
		-CAfile "$PKI/root.pem" -purpose any -out /dev/null 2>/dev/null; then
		ok "CAdES B-T: openssl cms -verify accepts it"
	else
		notok "CAdES B-T: openssl cms -verify accepts it"
	fi
	if openssl cms -cmsout -inform DER -in "$TMP/bt.pdf.p7s" -print 2>/dev/null |
		grep -q "id-smime-aa-timeStampToken"; then
		ok "CAdES B-T: the signature-time-stamp is there"
	else
		notok "CAdES B-T: the signature-time-stamp is there"
	fi
else
	notok "CAdES B-T: signed" "$(cat "$TMP/sign.log")"
fi

# -- a document timestamp (kyso timestamp on a PDF), then kyso extend B-T
if sign "$SAMPLE" "$TMP/c1.pdf" principal-rsa --certify 1 &&
	"$KYSO" timestamp --in "$TMP/c1.pdf" --out "$TMP/c1-ts.pdf" --tsa "$KYSO_TSA_URL" \
		>"$TMP/ts.log" 2>&1; then
	"$KYSO" verify "$TMP/c1-ts.pdf" --trust "$PKI/root.pem" --revocation off --json --lang en >"$TMP/ts.json"
	if python3 - "$TMP/ts.json" <<'PY'; then
import json, sys
s = json.load(open(sys.argv[1]))["signatures"]
# the P=1 certification still passes (a document timestamp is validation
# data); the timestamp itself is reported as the second entry
ok = len(s) == 2 and s[0]["indication"] == "TOTAL-PASSED" and \
    any(c["level"] == "ltv" and c["allowed"] for c in s[0]["changes"])
sys.exit(0 if ok else 1)
PY
		ok "kyso timestamp: a document timestamp after a P=1 certification, still TOTAL-PASSED"
	else
		notok "kyso timestamp: a document timestamp after a P=1 certification" \
			"$(head -c 1500 "$TMP/ts.json")"
	fi
	# Debian 12's poppler does not validate /ETSI.RFC3161 ("Unimplemented
	# Feature"); the signature before the timestamp must stay valid to it.
	pdfsig -nssdir "sql:$PKI/nssdb" "$TMP/c1-ts.pdf" >"$TMP/pdfsig.txt" 2>&1
	if grep -q "Signature is Valid" "$TMP/pdfsig.txt" && ! grep -qi "invalid\|failed" "$TMP/pdfsig.txt"; then
		ok "kyso timestamp: pdfsig still calls the signature valid"
	else
		notok "kyso timestamp: pdfsig still calls the signature valid" "$(head -14 "$TMP/pdfsig.txt")"
	fi
	if qpdf --check "$TMP/c1-ts.pdf" >/dev/null 2>&1; then
		ok "kyso timestamp: qpdf --check passes"
	else
		notok "kyso timestamp: qpdf --check passes"
	fi
else
	notok "kyso timestamp on a certified PDF" "$(cat "$TMP/sign.log" "$TMP/ts.log" 2>/dev/null)"
fi
if sign "$SAMPLE" "$TMP/plain.pdf" principal-rsa &&
	"$KYSO" extend --level B-T --in "$TMP/plain.pdf" --out "$TMP/plain-bt.pdf" \
		--tsa "$KYSO_TSA_URL" >"$TMP/ext.log" 2>&1 &&
	"$KYSO" verify "$TMP/plain-bt.pdf" --trust "$PKI/root.pem" --revocation off >/dev/null 2>&1; then
	ok "kyso extend B-T on a PDF: a document timestamp, everything verifies"
else
	notok "kyso extend B-T on a PDF" "$(cat "$TMP/ext.log")"
fi
if sign "$SAMPLE" "$TMP/plain.p7s" principal-rsa --format cms &&
	"$KYSO" extend --level B-T --in "$TMP/plain.p7s" --out "$TMP/plain-bt.p7s" \
		--tsa "$KYSO_TSA_URL" >"$TMP/ext.log" 2>&1 &&
	openssl cms -cmsout -inform DER -in "$TMP/plain-bt.p7s" -print 2>/dev/null |
	grep -q "id-smime-aa-timeStampToken" &&
	openssl cms -verify -inform DER -in "$TMP/plain-bt.p7s" -content "$SAMPLE" -binary \
		-CAfile "$PKI/root.pem" -purpose any -out /dev/null 2>/dev/null; then
	ok "kyso extend B-T on a .p7s: a signature timestamp, openssl still verifies"
else
	notok "kyso extend B-T on a .p7s" "$(cat "$TMP/ext.log")"
fi

# -- the TSA is tried in order; one down, then a good one
if sign "$SAMPLE" "$TMP/bt2.pdf" principal-rsa --level B-T --tsa "$DOWN" --tsa "$KYSO_TSA_URL"; then
	ok "B-T: a TSA that is down, then one that answers: signed"
else
	notok "B-T: a TSA that is down, then one that answers: signed" "$(cat "$TMP/sign.log")"
fi

# -- never a silent B-B
for fmt in pdf cms; do
	out=$TMP/down.$fmt
	if sign "$SAMPLE" "$out" principal-rsa --format "$fmt" --level B-T --tsa "$DOWN"; then
		notok "B-T ($fmt) with the TSA down: refused"
	elif [ -e "$out" ]; then
		notok "B-T ($fmt) with the TSA down: no output file"
	elif grep -q "127.0.0.1" "$TMP/sign.log"; then
		ok "B-T ($fmt) with the TSA down: refused, no output, the TSA named"
	else
		notok "B-T ($fmt) with the TSA down: the message names the TSA" "$(cat "$TMP/sign.log")"
	fi
done
if sign "$SAMPLE" "$TMP/none.pdf" principal-rsa --level B-T; then
	notok "B-T without --tsa: refused"
else
	ok "B-T without --tsa: refused ($(tail -1 "$TMP/sign.log" | cut -c1-80))"
fi
echo "1..$n"
