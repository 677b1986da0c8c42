#!/usr/bin/env bash
# The long-term levels against real peers on 127.0.0.1: kyso's built-in
# TSA, OpenSSL's OCSP responders and the CRLs over HTTP
# (tests/lib/pki_services.sh, started and stopped by PID).  PAdES and
# CAdES at B-T, B-LT and B-LTA, checked by independent readers: qpdf
# (the DSS), openssl ocsp (the OCSP answers embedded), openssl ts (the
# document timestamp), openssl cms (the .p7s), pdfsig (every PDF).  A TSA
# that is down, or responders that are down, make signing fail with no
# output.  A PDF signed by pdfsig (NSS) is raised by kyso to B-LTA.
# Prints TAP.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"
P=$PKI
# shellcheck source=tests/lib/pki_services.sh
. "$ROOT/tests/lib/pki_services.sh"
trap 'pki_services_cleanup; rm -rf "$TMP"' EXIT
trap "exit 1" INT TERM HUP PIPE

if [ ! -f "$P/ca/public/index.txt" ]; then
	notok "test PKI present" "run make pki"
	echo "1..$n"
	exit 1
fi
pki_services_up
if pki_all_up && pki_tsa_start; then
	ok "OCSP responders, CRLs and the built-in TSA up ($PKI_TSA_URL)"
else
	notok "OCSP responders, CRLs and the built-in TSA up" "$(cat "$TMP/pki-peer.log" "$TMP/pki-tsa.log" 2>/dev/null)"
	echo "1..$n"
	exit 1
fi
LT=(--tsa "$PKI_TSA_URL" --trust "$P/root.pem")
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
SIGNER_SERIAL=$(serial "$P/principal-rsa.cert.pem")
TSA_SERIAL=$(serial "$P/tsa-rsa.cert.pem")

# valid_sigs PDF: how many signatures pdfsig calls valid, and none it
# calls invalid (poppler 22.12 does not validate document timestamps: it
# lists them as "Unable to validate this type of signature").
valid_sigs() {
	pdfsig -nssdir "sql:$P/nssdb" "$1" >"$TMP/pdfsig.out" 2>&1
	if grep -Eq "Signature is Invalid|Digest Mismatch|Unknown Validation Failure" "$TMP/pdfsig.out"; then
		echo invalid
	else
		grep -c "Signature is Valid" "$TMP/pdfsig.out"
	fi
}
# peers NAME PDF NSIGS: qpdf --check and pdfsig on a written PDF (NSIGS:
# the signatures, document timestamps not counted).
peers() {
	local got
	if qpdf --check "$2" >/dev/null 2>&1; then ok "$1: qpdf --check passes"; else
		notok "$1: qpdf --check passes" "$(qpdf --check "$2" 2>&1 | tail -3)"
	fi
	got=$(valid_sigs "$2")
	if [ "$got" = "$3" ]; then ok "$1: pdfsig says Signature is Valid ($3), nothing invalid"; else
		notok "$1: pdfsig says Signature is Valid ($3)" "got $got" "$(pdfsig -nssdir "sql:$P/nssdb" "$2" 2>&1 | head -20)"
	fi
}
# ocsp_for DIR SERIAL: an OCSP response in DIR (ocsps-N.der or ocsp-N.der)
# that says good for SERIAL.
ocsp_for() {
	local f
	for f in "$1"/ocsp*.der; do
		[ -f "$f" ] || continue
		openssl ocsp -respin "$f" -noverify -resp_text 2>/dev/null |
			tr -d ' ' | grep -A2 "SerialNumber:$2" | grep -q "CertStatus:good" && return 0
	done
	return 1
}
# dss NAME PDF: the DSS read by qpdf into $TMP/NAME.dss/, counts in $TMP/NAME.counts.
dss() {
	rm -rf "$TMP/$1.dss"
	mkdir -p "$TMP/$1.dss"
	python3 "$ROOT/tests/lib/dss_extract.py" "$2" "$TMP/$1.dss" >"$TMP/$1.counts" 2>&1
}
# docts_verify PDF: the newest /Contents is an RFC 3161 token over the
# ByteRange, and openssl ts -verify accepts it with the test anchors.
docts_verify() {
	python3 - "$1" "$TMP/docts.tok" "$TMP/docts.data" <<'PY' || return 1
import re, sys
d = open(sys.argv[1], "rb").read()
i = d.rfind(b"/ByteRange")
br = [int(x) for x in re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", d[i:]).groups()]
contents = d[br[0] + br[1] + 1:br[2] - 1]
open(sys.argv[2], "wb").write(bytes.fromhex(contents.decode()).rstrip(b"\0") + b"")
open(sys.argv[3], "wb").write(d[br[0]:br[0] + br[1]] + d[br[2]:br[2] + br[3]])
sys.exit(0 if b"/DocTimeStamp" in d[d.rfind(b"/ByteRange") - 400:] or b"ETSI.RFC3161" in d[i - 600:i + 600] else 1)
PY
	# The token ends where its DER ends: trailing zero padding removed above
	# may eat a final zero byte of the DER, so let openssl re-read it.
	openssl asn1parse -inform DER -in "$TMP/docts.tok" -out "$TMP/docts.tok2" -noout >/dev/null 2>&1 ||
		cp "$TMP/docts.tok" "$TMP/docts.tok2"
	openssl ts -verify -data "$TMP/docts.data" -in "$TMP/docts.tok2" -token_in \
		-CAfile "$P/root.pem" -untrusted "$P/tsa-rsa.chain.pem" >/dev/null 2>&1
}

# ---- PAdES -----------------------------------------------------------------
C=$(pki_cache pades)
if sign "$SAMPLE" "$TMP/bt.pdf" principal-rsa --level B-T --tsa "$PKI_TSA_URL"; then
	ok "PAdES B-T: signed"
	peers "PAdES B-T" "$TMP/bt.pdf" 1
else
	notok "PAdES B-T: signed" "$(cat "$TMP/sign.log")"
fi

if sign "$SAMPLE" "$TMP/lt.pdf" principal-rsa --level B-LT "${LT[@]}" --cache "$C"; then
	ok "PAdES B-LT: signed"
	peers "PAdES B-LT" "$TMP/lt.pdf" 1
	dss lt "$TMP/lt.pdf"
	if grep -q "^certs [4-9] ocsps [2-9] crls [1-9]" "$TMP/lt.counts"; then
		ok "PAdES B-LT: the DSS holds certificates, OCSP responses and CRLs ($(cat "$TMP/lt.counts"))"
	else
		notok "PAdES B-LT: the DSS holds certificates, OCSP responses and CRLs" "$(cat "$TMP/lt.counts")"
	fi
	for f in "$TMP"/lt.dss/ocsps-*.der; do mv "$f" "${f/ocsps-/ocsp-}"; done 2>/dev/null
	ocsp_for "$TMP/lt.dss" "$SIGNER_SERIAL" && ok "PAdES B-LT: openssl ocsp reads a DSS response: signer good" ||
		notok "PAdES B-LT: openssl ocsp reads a DSS response: signer good" "serial $SIGNER_SERIAL"
	ocsp_for "$TMP/lt.dss" "$TSA_SERIAL" && ok "PAdES B-LT: ... and one for the TSA certificate: good" ||
		notok "PAdES B-LT: ... and one for the TSA certificate: good" "serial $TSA_SERIAL"
	openssl x509 -in "$P/principal-rsa.cert.pem" -outform DER -out "$TMP/signer.der"
	found=no
	for f in "$TMP"/lt.dss/certs-*.der; do cmp -s "$f" "$TMP/signer.der" && found=yes; done
	[ $found = yes ] && ok "PAdES B-LT: the signer certificate is in /Certs" ||
		notok "PAdES B-LT: the signer certificate is in /Certs"
	if openssl crl -inform DER -in "$TMP/lt.dss/crls-0.der" -noout -issuer 2>/dev/null | grep -q "Test National Root CA"; then
		ok "PAdES B-LT: /CRLs holds the root's CRL (for the issuing CA)"
	else
		notok "PAdES B-LT: /CRLs holds the root's CRL (for the issuing CA)" "$(openssl crl -inform DER -in "$TMP/lt.dss/crls-0.der" -noout -issuer 2>&1)"
	fi
else
	notok "PAdES B-LT: signed" "$(cat "$TMP/sign.log")"
fi

if sign "$SAMPLE" "$TMP/lta.pdf" principal-rsa --level B-LTA "${LT[@]}" --cache "$C"; then
	ok "PAdES B-LTA: signed"
	peers "PAdES B-LTA" "$TMP/lta.pdf" 1
	docts_verify "$TMP/lta.pdf" && ok "PAdES B-LTA: openssl ts -verify accepts the document timestamp" ||
		notok "PAdES B-LTA: openssl ts -verify accepts the document timestamp"
	"$KYSO" extend --level B-LTA --in "$TMP/lta.pdf" --out "$TMP/lta2.pdf" "${LT[@]}" \
		--cache "$(pki_cache renew)" >"$TMP/ext.log" 2>&1
	if [ $? = 0 ] && grep -q "renewed" "$TMP/ext.log"; then
		ok "PAdES B-LTA extended again: renewed for the newest document timestamp"
		peers "PAdES B-LTA renewed" "$TMP/lta2.pdf" 1
		dss lta2 "$TMP/lta2.pdf"
		dss lta "$TMP/lta.pdf"
		if [ "$(ls "$TMP/lta2.dss" | wc -l)" -gt "$(ls "$TMP/lta.dss" | wc -l)" ]; then
			ok "... with new validation data for the TSA ($(cat "$TMP/lta2.counts"))"
		else
			notok "... with new validation data for the TSA" "$(cat "$TMP/lta.counts") -> $(cat "$TMP/lta2.counts")"
		fi
	else
		notok "PAdES B-LTA extended again" "$(cat "$TMP/ext.log")"
	fi
else
	notok "PAdES B-LTA: signed" "$(cat "$TMP/sign.log")"
fi

# A second signer on the B-LTA document (the homeroom teacher after the
# principal): its validation data joins the DSS.
if [ -f "$TMP/lta.pdf" ] && sign "$TMP/lta.pdf" "$TMP/second.pdf" teacher-rsa --level B-LT "${LT[@]}" --cache "$C"; then
	ok "PAdES: a second signature at B-LT on the B-LTA document"
	peers "PAdES second signer" "$TMP/second.pdf" 2
	dss second "$TMP/second.pdf"
	for f in "$TMP"/second.dss/ocsps-*.der; do mv "$f" "${f/ocsps-/ocsp-}"; done 2>/dev/null
	ocsp_for "$TMP/second.dss" "$(serial "$P/teacher-rsa.cert.pem")" &&
		ocsp_for "$TMP/second.dss" "$SIGNER_SERIAL" &&
		ok "... the DSS holds good OCSP answers for both signers" ||
		notok "... the DSS holds good OCSP answers for both signers" "$(cat "$TMP/second.counts")"
else
	notok "PAdES: a second signature at B-LT on the B-LTA document" "$(cat "$TMP/sign.log")"
fi

# A B-B signature has no time to build on: B-LT adds a document timestamp
# first (B-T), or refuses without a TSA.
if sign "$SAMPLE" "$TMP/bb.pdf" principal-rsa; then
	"$KYSO" extend --level B-LT --in "$TMP/bb.pdf" --out "$TMP/bb-nots.pdf" --trust "$P/root.pem" \
		--cache "$C" >"$TMP/ext.log" 2>&1
	rc=$?
	if [ $rc = 3 ] && [ ! -e "$TMP/bb-nots.pdf" ] && grep -q "needs B-T first" "$TMP/ext.log"; then
		ok "PDF B-B extended to B-LT without a TSA: refused (B-T first), no output"
	else
		notok "PDF B-B extended to B-LT without a TSA: refused, no output" "exit $rc" "$(cat "$TMP/ext.log")"
	fi
	if "$KYSO" extend --level B-LT --in "$TMP/bb.pdf" --out "$TMP/bb-lt.pdf" "${LT[@]}" --cache "$C" \
		>"$TMP/ext.log" 2>&1 && grep -q "B-T by a document timestamp" "$TMP/ext.log"; then
		ok "PDF B-B extended to B-LT: a document timestamp first, then the DSS"
		peers "PDF B-B to B-LT" "$TMP/bb-lt.pdf" 1
		dss bblt "$TMP/bb-lt.pdf"
		for f in "$TMP"/bblt.dss/ocsps-*.der; do mv "$f" "${f/ocsps-/ocsp-}"; done 2>/dev/null
		ocsp_for "$TMP/bblt.dss" "$TSA_SERIAL" && ok "... the DSS covers the document timestamp's TSA" ||
			notok "... the DSS covers the document timestamp's TSA" "$(cat "$TMP/bblt.counts")"
	else
		notok "PDF B-B extended to B-LT: a document timestamp first, then the DSS" "$(cat "$TMP/ext.log")"
	fi
else
	notok "PDF B-B signed" "$(cat "$TMP/sign.log")"
fi

# ---- CAdES -----------------------------------------------------------------
cms_ok() {
	openssl cms -verify -inform DER -in "$1" -content "$SAMPLE" -binary -CAfile "$P/root.pem" \
		-purpose any -out /dev/null 2>/dev/null
}
C=$(pki_cache cades)
if sign "$SAMPLE" "$TMP/bt.p7s" principal-rsa --format cms --level B-T --tsa "$PKI_TSA_URL" && cms_ok "$TMP/bt.p7s"; then
	ok "CAdES B-T: signed, openssl cms -verify accepts it"
else
	notok "CAdES B-T: signed, openssl cms -verify accepts it" "$(cat "$TMP/sign.log")"
fi
if sign "$SAMPLE" "$TMP/lt.p7s" principal-rsa --format cms --level B-LT "${LT[@]}" --cache "$C"; then
	ok "CAdES B-LT: signed"
	cms_ok "$TMP/lt.p7s" && ok "CAdES B-LT: openssl cms -verify accepts it" ||
		notok "CAdES B-LT: openssl cms -verify accepts it"
	openssl cms -cmsout -print -inform DER -in "$TMP/lt.p7s" >"$TMP/lt.txt" 2>&1
	if grep -q "id-smime-aa-ets-certValues" "$TMP/lt.txt" && grep -q "id-smime-aa-ets-revocationValues" "$TMP/lt.txt"; then
		ok "CAdES B-LT: certificate-values and revocation-values are there"
	else
		notok "CAdES B-LT: certificate-values and revocation-values are there"
	fi
	mkdir -p "$TMP/lt.rv"
	python3 "$ROOT/tests/lib/cades_revvals.py" "$TMP/lt.p7s" "$TMP/lt.rv" >"$TMP/lt.rvc" 2>&1
	ocsp_for "$TMP/lt.rv" "$SIGNER_SERIAL" && ok "CAdES B-LT: openssl ocsp reads ocspVals: signer good ($(cat "$TMP/lt.rvc"))" ||
		notok "CAdES B-LT: openssl ocsp reads ocspVals: signer good" "$(cat "$TMP/lt.rvc")"
	ocsp_for "$TMP/lt.rv" "$TSA_SERIAL" && ok "CAdES B-LT: ... and the TSA certificate good" ||
		notok "CAdES B-LT: ... and the TSA certificate good"
else
	notok "CAdES B-LT: signed" "$(cat "$TMP/sign.log")"
fi
if sign "$SAMPLE" "$TMP/lta.p7s" principal-rsa --format cms --level B-LTA "${LT[@]}" --cache "$C" &&
	cms_ok "$TMP/lta.p7s" &&
	openssl cms -cmsout -print -inform DER -in "$TMP/lta.p7s" 2>/dev/null | grep -q "0.4.0.1733.2.4"; then
	ok "CAdES B-LTA: signed with an archive-time-stamp-v3; openssl cms -verify accepts it"
else
	notok "CAdES B-LTA: signed with an archive-time-stamp-v3; openssl cms -verify accepts it" "$(cat "$TMP/sign.log")"
fi
if "$KYSO" extend --level B-LT --in "$TMP/bt.p7s" --out "$TMP/bt-lt.p7s" "${LT[@]}" --cache "$C" >"$TMP/ext.log" 2>&1 &&
	cms_ok "$TMP/bt-lt.p7s" && openssl cms -cmsout -print -inform DER -in "$TMP/bt-lt.p7s" | grep -q revocationValues; then
	ok "CAdES: kyso extend raises a B-T .p7s to B-LT"
else
	notok "CAdES: kyso extend raises a B-T .p7s to B-LT" "$(cat "$TMP/ext.log")"
fi

# A .p7s made by OpenSSL (not kyso): raised to B-LTA, OpenSSL still accepts it.
if openssl cms -sign -binary -in "$SAMPLE" -signer "$P/principal-rsa.cert.pem" \
	-inkey "$P/principal-rsa.key.pem" -certfile "$P/principal-rsa.chain.pem" -md sha256 \
	-outform DER -out "$TMP/ossl.p7s" 2>"$TMP/ossl.err" &&
	"$KYSO" extend --level B-LTA --in "$TMP/ossl.p7s" --out "$TMP/ossl-lta.p7s" --content "$SAMPLE" \
		"${LT[@]}" --cache "$C" >"$TMP/ext.log" 2>&1 && cms_ok "$TMP/ossl-lta.p7s" &&
	openssl cms -cmsout -print -inform DER -in "$TMP/ossl-lta.p7s" >"$TMP/ossl.txt" 2>&1 &&
	grep -q "id-smime-aa-timeStampToken" "$TMP/ossl.txt" && grep -q "revocationValues" "$TMP/ossl.txt" &&
	grep -q "0.4.0.1733.2.4" "$TMP/ossl.txt"; then
	ok "CAdES: a .p7s made by openssl cms -sign raised to B-LTA (timestamp, values, archive timestamp); openssl still verifies it"
else
	notok "CAdES: a .p7s made by openssl cms -sign raised to B-LTA" "$(cat "$TMP/ossl.err" "$TMP/ext.log")"
fi
"$KYSO" extend --level B-LTA --in "$TMP/bt.p7s" --out "$TMP/nocontent.p7s" "${LT[@]}" --cache "$C" >"$TMP/ext.log" 2>&1
rc=$?
if [ $rc = 3 ] && [ ! -e "$TMP/nocontent.p7s" ] && grep -q -- "--content" "$TMP/ext.log"; then
	ok "CAdES B-LTA of a detached .p7s without --content: refused, no output"
else
	notok "CAdES B-LTA of a detached .p7s without --content: refused, no output" "exit $rc" "$(cat "$TMP/ext.log")"
fi

# ---- failures: no output, never a lower level -------------------------------
DOWN=http://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
for fmt in pdf cms; do
	out=$TMP/tsadown.$fmt
	sign "$SAMPLE" "$out" principal-rsa --format "$fmt" --level B-LT --tsa "$DOWN" --trust "$P/root.pem" --cache "$(pki_cache down-$fmt)"
	rc=$?
	if [ $rc != 0 ] && [ ! -e "$out" ] && grep -q "127.0.0.1" "$TMP/sign.log"; then
		ok "$fmt B-LT, TSA down: sign fails (exit $rc), no output, the TSA named"
	else
		notok "$fmt B-LT, TSA down: sign fails, no output" "exit $rc" "$(cat "$TMP/sign.log")"
	fi
done
pki_all_down
for fmt in pdf cms; do
	out=$TMP/revdown.$fmt
	sign "$SAMPLE" "$out" principal-rsa --format "$fmt" --level B-LT "${LT[@]}" --cache "$(pki_cache rdown-$fmt)"
	rc=$?
	if [ $rc != 0 ] && [ ! -e "$out" ] && grep -q "no revocation data" "$TMP/sign.log" &&
		grep -q "unreachable" "$TMP/sign.log"; then
		ok "$fmt B-LT, responders down: sign fails (exit $rc), no output, each attempt said"
	else
		notok "$fmt B-LT, responders down: sign fails, no output" "exit $rc" "$(cat "$TMP/sign.log")"
	fi
done
"$KYSO" extend --level B-LTA --in "$TMP/bt.pdf" --out "$TMP/ext-down.pdf" "${LT[@]}" --no-cache >"$TMP/ext.log" 2>&1
rc=$?
if [ $rc != 0 ] && [ ! -e "$TMP/ext-down.pdf" ]; then
	ok "extend to B-LTA with the responders down: fails (exit $rc), no output"
else
	notok "extend to B-LTA with the responders down: fails, no output" "$(cat "$TMP/ext.log")"
fi
pki_all_up || notok "responders back up"

# ---- interop: a PDF signed by pdfsig (NSS), raised by kyso to B-LTA ---------
NSS=$TMP/nss
mkdir -p "$NSS"
if command -v certutil >/dev/null && command -v pk12util >/dev/null &&
	certutil -N -d "sql:$NSS" --empty-password >/dev/null 2>&1 &&
	openssl pkcs12 -export -inkey "$P/principal-rsa.key.pem" -in "$P/principal-rsa.cert.pem" \
		-certfile "$P/principal-rsa.chain.pem" -name principal -passout pass:kyso-test \
		-out "$TMP/p.p12" >/dev/null 2>&1 &&
	pk12util -i "$TMP/p.p12" -d "sql:$NSS" -W kyso-test >/dev/null 2>&1 &&
	certutil -A -d "sql:$NSS" -n root -t "CT,C,C" -a -i "$P/root.pem" >/dev/null 2>&1 &&
	pdfsig -nssdir "sql:$NSS" -add-signature -nick principal "$SAMPLE" "$TMP/nss.pdf" >"$TMP/nss.log" 2>&1 &&
	[ "$(pdfsig -nssdir "sql:$NSS" "$TMP/nss.pdf" 2>&1 | grep -c 'Signature is Valid')" = 1 ]; then
	ok "interop: pdfsig -add-signature signs with the test PKI key in an NSS database"
	if "$KYSO" extend --level B-LTA --in "$TMP/nss.pdf" --out "$TMP/nss-lta.pdf" "${LT[@]}" \
		--cache "$(pki_cache nss)" >"$TMP/ext.log" 2>&1; then
		ok "interop: kyso extend raises pdfsig's signature to B-LTA"
		peers "interop B-LTA" "$TMP/nss-lta.pdf" 1
		dss nss "$TMP/nss-lta.pdf"
		for f in "$TMP"/nss.dss/ocsps-*.der; do mv "$f" "${f/ocsps-/ocsp-}"; done 2>/dev/null
		ocsp_for "$TMP/nss.dss" "$SIGNER_SERIAL" && ok "interop: the DSS holds a good OCSP answer for pdfsig's signer" ||
			notok "interop: the DSS holds a good OCSP answer for pdfsig's signer" "$(cat "$TMP/nss.counts")"
		# pdfsig's CMS carries the signer's certificate only: the CAs are
		# given to kyso verify beside the root.
		cat "$P/root.pem" "$P/cas.pem" >"$TMP/anchors.pem"
		"$KYSO" verify "$TMP/nss-lta.pdf" --trust "$TMP/anchors.pem" --json --lang en >"$TMP/nss.json" 2>&1
		if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["signatures"] and all(s["indication"]=="TOTAL-PASSED" for s in d["signatures"]) else 1)' "$TMP/nss.json"; then
			ok "interop: kyso verify says every signature of it TOTAL-PASSED"
		else
			notok "interop: kyso verify says every signature of it TOTAL-PASSED" "$(head -c 800 "$TMP/nss.json")"
		fi
	else
		notok "interop: kyso extend raises pdfsig's signature to B-LTA" "$(cat "$TMP/ext.log")"
	fi
else
	notok "interop: pdfsig -add-signature signs with the test PKI key in an NSS database" "$(cat "$TMP/nss.log" 2>/dev/null)"
fi

echo "1..$n"
