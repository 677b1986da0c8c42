#!/usr/bin/env bash
# PAdES interop with poppler's pdfsig: kyso's signatures — invisible and
# visible, single and serial (homeroom teacher, principal, school seal),
# certified, on an xref-stream file, and on top of a file already signed by
# `pdfsig -add-signature` — must show "Signature is Valid." and
# "Certificate is Trusted." with an NSS database that trusts the test root
# (build/pki/nssdb).  pdfsig also calls attacked files valid, so this shows
# acceptance only; kyso's own verification is tested elsewhere.
# OCSP is off (-no-ocsp): the test responders are not running here, and
# revocation is not part of a B-B signature.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"
NSSDB=${KYSO_TEST_NSSDB:-$PKI/nssdb}
P12_PASS=${KYSO_TEST_P12_PASS:-kyso-test}

# pdfsig_ok NAME FILE COUNT: COUNT signatures, all valid and trusted
pdfsig_ok() {
	local name=$1 f=$2 want=$3 valid trusted total
	pdfsig -no-ocsp -nssdir "sql:$NSSDB" "$f" >"$TMP/pdfsig.txt" 2>&1
	total=$(grep -c '^Signature #' "$TMP/pdfsig.txt")
	valid=$(grep -c 'Signature Validation: Signature is Valid\.' "$TMP/pdfsig.txt")
	trusted=$(grep -c 'Certificate Validation: Certificate is Trusted\.' "$TMP/pdfsig.txt")
	if [ "$total" -eq "$want" ] && [ "$valid" -eq "$want" ] && [ "$trusted" -eq "$want" ]; then
		ok "$name: pdfsig: $want signature(s) Valid and Trusted"
	else
		notok "$name: pdfsig: $want signature(s) Valid and Trusted" \
			"found $total signatures, $valid valid, $trusted trusted" \
			"$(tr '\n' '|' <"$TMP/pdfsig.txt" | cut -c1-1500)"
	fi
}

signed_ok() { # NAME IN OUT ENTITY [options]
	local name=$1 in=$2 out=$3
	shift 3
	if sign "$in" "$out" "$@"; then
		ok "$name: kyso sign"
	else
		notok "$name: kyso sign" "$(cat "$TMP/sign.log")"
	fi
}

for tool in pdfsig qpdf certutil pk12util; do
	if ! command -v "$tool" >/dev/null; then
		echo "Bail out! $tool is not installed (scripts/deps.sh installs poppler-utils, qpdf, libnss3-tools)"
		exit 1
	fi
done

# 1. invisible, RSA
signed_ok "invisible RSA" "$SAMPLE" "$TMP/inv.pdf" principal-rsa --reason "Ký duyệt học bạ"
pdfsig_ok "invisible RSA" "$TMP/inv.pdf" 1
if grep -q 'Signature Type: ETSI.CAdES.detached' "$TMP/pdfsig.txt" &&
	grep -q 'Signer Certificate Common Name: Nguyễn Thị Hồng Nhung' "$TMP/pdfsig.txt" &&
	grep -q 'Total document signed' "$TMP/pdfsig.txt"; then
	ok "invisible RSA: ETSI.CAdES.detached, signer CN, whole document"
else
	notok "invisible RSA: ETSI.CAdES.detached, signer CN, whole document" \
		"$(tr '\n' '|' <"$TMP/pdfsig.txt")"
fi

# 2. visible, EC
signed_ok "visible EC" "$SAMPLE" "$TMP/vis.pdf" principal-ec --visible 1,330,60,220,75 \
	--reason "Ký duyệt học bạ" --role "Hiệu trưởng"
pdfsig_ok "visible EC" "$TMP/vis.pdf" 1
if pdftotext -enc UTF-8 "$TMP/vis.pdf" - 2>/dev/null | grep -q 'Ký bởi: Nguyễn Thị Hồng Nhung'; then
	ok "visible EC: appearance text extracts"
else
	notok "visible EC: appearance text extracts"
fi

# 3. serial: homeroom teacher, principal, school seal
signed_ok "serial 1/3 homeroom" "$SAMPLE" "$TMP/s1.pdf" homeroom-rsa \
	--visible 1,40,60,220,75 --reason "Xác nhận kết quả học tập"
signed_ok "serial 2/3 principal" "$TMP/s1.pdf" "$TMP/s2.pdf" principal-rsa \
	--visible 1,330,60,220,75 --reason "Ký duyệt học bạ"
signed_ok "serial 3/3 seal" "$TMP/s2.pdf" "$TMP/s3.pdf" seal-ec
pdfsig_ok "serial" "$TMP/s3.pdf" 3

# 4. certified first signature, then a second one (DocMDP P=2 allows it)
signed_ok "certified P=2" "$SAMPLE" "$TMP/c1.pdf" principal-rsa --certify 2
signed_ok "after certification" "$TMP/c1.pdf" "$TMP/c2.pdf" seal-ec
pdfsig_ok "certified + second" "$TMP/c2.pdf" 2

# 5. an input whose cross-reference is a stream (object streams)
qpdf --object-streams=generate "$SAMPLE" "$TMP/xs.pdf" 2>/dev/null
signed_ok "xref-stream input" "$TMP/xs.pdf" "$TMP/xs-signed.pdf" principal-rsa \
	--visible 1,330,60,220,75
pdfsig_ok "xref-stream input" "$TMP/xs-signed.pdf" 1

# 6. a file signed first by pdfsig -add-signature (adbe.pkcs7.detached: pdfsig
#    22.12 cannot add ETSI signatures), then by kyso
cp -r "$NSSDB" "$TMP/nssdb"
if pk12util -i "$PKI/homeroom-rsa.p12" -d "sql:$TMP/nssdb" -W "$P12_PASS" -K "" \
	>"$TMP/pk12.log" 2>&1; then
	nick=$(certutil -L -d "sql:$TMP/nssdb" | awk '/u,u,u/ { sub(/ +u,u,u.*/, ""); print; exit }')
	if [ -n "$nick" ] && pdfsig -nssdir "sql:$TMP/nssdb" -add-signature -nick "$nick" \
		-reason "pdfsig" "$SAMPLE" "$TMP/p1.pdf" >"$TMP/add.log" 2>&1; then
		ok "pdfsig -add-signature made the first signature"
		signed_ok "kyso on a pdfsig-signed file" "$TMP/p1.pdf" "$TMP/p2.pdf" principal-rsa \
			--visible 1,330,60,220,75
		pdfsig_ok "pdfsig + kyso" "$TMP/p2.pdf" 2
	else
		notok "pdfsig -add-signature made the first signature" "nick='$nick'" "$(cat "$TMP/add.log")"
	fi
else
	notok "pk12util imports the homeroom key" "$(cat "$TMP/pk12.log")"
fi

echo "1..$n"
