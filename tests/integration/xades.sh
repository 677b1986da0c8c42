#!/usr/bin/env bash
# kyso sign --format xml / kyso verify of XML records (XAdES B-B, XMLDSig):
# every signing mode with file and SoftHSM2 token keys (RSA PKCS#1 v1.5,
# RSA-PSS, ECDSA), parallel signatures and a counter-signature, the
# report (signed elements, role, JSON, exit codes), and the attacks the
# W3C XML Signature Best Practices name, each rejected with a clear
# reason: a grade changed after signing, signature wrapping (XSW), a
# duplicate ID, a second unsigned signature, a look-alike CA with the
# same names, a KeyInfo certificate other than the SigningCertificateV2
# one, billion laughs, an external entity, a UTF-16 disguise, a 50 MB
# text node, 10,000 nested elements and a document whose references
# would take minutes to canonicalize.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
if [ -z "${SOFTHSM2_CONF:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
	# shellcheck disable=SC1091
	. "$ROOT/build/pki/env.sh"
fi
P=${KYSO_PKI_DIR:-$ROOT/build/pki}
REC=$ROOT/tests/data/hocba-mini.xml
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
unset KYSO_PIN KYSO_KEY_PASS

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	shift
	for l in "$@"; do echo "# $l"; done
}
check() { # name, command...
	local name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name" "$(head -c 800 "$TMP/err" 2>/dev/null)"; fi
}
sign() { # entity, in, out, options...
	local ent=$1 in=$2 out=$3
	shift 3
	"$KYSO" sign --key-file "$P/$ent.key.pem" --cert "$P/$ent.cert.pem" \
		--chain "$P/$ent.chain.pem" --in "$in" --out "$out" "$@" >/dev/null 2>"$TMP/err"
}
# verify FILE [options...]: JSON report in $TMP/v.json, exit status in $rc
verify() {
	local f=$1
	shift
	timeout 30 "$KYSO" verify "$f" --trust "$P/root.pem" --revocation off --json "$@" >"$TMP/v.json" 2>"$TMP/err"
	rc=$?
}
# json EXPR: a Python expression over the report `d` (sigs = d["signatures"])
json() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); sigs=d["signatures"]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$TMP/v.json" "$1" 2>>"$TMP/err"
}
# expect NAME RC PYTHON-EXPR: verification result of the last verify()
expect() {
	if [ "$rc" -eq "$2" ] && json "$3"; then
		ok "$1"
	else
		notok "$1" "exit $rc (want $2)" "$(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for s in d["signatures"]: print(s["indication"], s["subindication"], s["detail"])' "$TMP/v.json" 2>/dev/null | head -5)" \
			"$(head -c 400 "$TMP/err")"
	fi
}

# --- signing modes, keys and algorithms
sign principal-rsa "$REC" "$TMP/rsa.xml" --role "Hiệu trưởng"
check "sign an enveloped XAdES with a file RSA key (exit 0)" test $? -eq 0
verify "$TMP/rsa.xml"
expect "kyso verifies it: TOTAL-PASSED, exit 0" 0 \
	'd["indication"]=="TOTAL-PASSED" and len(sigs)==1 and sigs[0]["format"]=="XAdES-B-B (enveloped)"'
expect "the report names the signed elements, the role and the signer" 0 \
	'"/HocBa" in sigs[0]["coverage"] and "trừ chính chữ ký này" in sigs[0]["coverage"] and sigs[0]["role"]=="Hiệu trưởng" and sigs[0]["signer"]["id"]=="001185012345"'
check "the record's bytes are kept: only the signature is inserted" \
	python3 -c 'import re,sys
a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read()
b=re.sub(rb"<ds:Signature .*</ds:Signature>", b"", b, flags=re.S)
sys.exit(0 if a==b else 1)' "$REC" "$TMP/rsa.xml"
"$KYSO" verify "$TMP/rsa.xml" --trust "$P/root.pem" --revocation off --lang en >"$TMP/v.txt" 2>"$TMP/err"
check "English text report says what is signed" grep -q "the whole document /HocBa except this signature" "$TMP/v.txt"
"$KYSO" verify "$TMP/rsa.xml" --json >"$TMP/v.json" 2>"$TMP/err"
rc=$?
expect "without trust anchors: INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND, exit 2" 2 \
	'sigs[0]["subindication"]=="NO_CERTIFICATE_CHAIN_FOUND"'

for spec in "principal-ec:" "principal-rsa:--pss" "seal-ec:--md sha384" "teacher-rsa:--md sha512"; do
	ent=${spec%%:*}
	extra=${spec#*:}
	out="$TMP/$ent${extra// /}.xml"
	# shellcheck disable=SC2086
	sign "$ent" "$REC" "$out" $extra
	check "sign $ent $extra (exit 0)" test $? -eq 0
	verify "$out"
	expect "verify $ent $extra: TOTAL-PASSED" 0 'sigs[0]["indication"]=="TOTAL-PASSED"'
done
check "RSA-PSS is written as RFC 6931 sha256-rsa-MGF1" \
	grep -q 'xmldsig-more#sha256-rsa-MGF1' "$TMP/principal-rsa--pss.xml"
check "ECDSA value is r||s (64 bytes for P-256)" python3 -c 'import re,sys,base64
v=re.search(rb"<ds:SignatureValue[^>]*>([^<]*)<", open(sys.argv[1],"rb").read()).group(1)
sys.exit(0 if len(base64.b64decode(v))==64 else 1)' "$TMP/principal-ec.xml"

sign teacher-rsa "$REC" "$TMP/enveloping.xml" --xml-mode enveloping
check "sign enveloping (exit 0)" test $? -eq 0
verify "$TMP/enveloping.xml"
expect "enveloping verifies; coverage is the ds:Object" 0 \
	'sigs[0]["format"]=="XAdES-B-B (enveloping)" and "/ds:Signature/ds:Object" in sigs[0]["coverage"]'
cp "$REC" "$TMP/ban ghi.xml"
sign teacher-ec "$TMP/ban ghi.xml" "$TMP/detached.xml" --xml-mode detached
check "sign detached (exit 0)" test $? -eq 0
verify "$TMP/detached.xml" --content "$TMP/ban ghi.xml"
expect "detached verifies with --content" 0 'sigs[0]["format"]=="XAdES-B-B (detached)"'
verify "$TMP/detached.xml"
expect "detached without --content: INDETERMINATE/SIGNED_DATA_NOT_FOUND" 2 \
	'sigs[0]["subindication"]=="SIGNED_DATA_NOT_FOUND"'
sed 's/8\.7/9.7/' "$TMP/ban ghi.xml" >"$TMP/other.xml"
verify "$TMP/detached.xml" --content "$TMP/other.xml"
expect "detached against changed content: HASH_FAILURE" 1 'sigs[0]["subindication"]=="HASH_FAILURE"'

if [ -n "${KYSO_URI_PRINCIPAL_RSA:-}" ]; then
	KYSO_PIN=$KYSO_TEST_PIN "$KYSO" sign --key "$KYSO_URI_PRINCIPAL_RSA" --in "$REC" \
		--out "$TMP/tok-rsa.xml" --role "Hiệu trưởng" >/dev/null 2>"$TMP/err"
	check "sign with a SoftHSM2 token RSA key (exit 0)" test $? -eq 0
	verify "$TMP/tok-rsa.xml"
	expect "token RSA signature verifies" 0 'sigs[0]["indication"]=="TOTAL-PASSED"'
	KYSO_PIN=$KYSO_TEST_PIN "$KYSO" sign --key "$KYSO_URI_SEAL_EC" --in "$REC" \
		--out "$TMP/tok-ec.xml" >/dev/null 2>"$TMP/err"
	check "sign with a SoftHSM2 token EC key (exit 0)" test $? -eq 0
	verify "$TMP/tok-ec.xml"
	expect "token ECDSA signature verifies" 0 'sigs[0]["indication"]=="TOTAL-PASSED"'
else
	notok "token keys: build/pki/env.sh not found (make pki)"
fi

for rec in tests/data/sodiem-mini.xml tests/data/sodaubai-mini.xml docs/examples/hocba.xml \
	docs/examples/sodiem.xml; do
	[ -f "$ROOT/$rec" ] || continue
	out="$TMP/$(basename "$rec")"
	sign teacher-rsa "$ROOT/$rec" "$out" --role "Giáo viên bộ môn"
	verify "$out"
	expect "sign and verify the record $rec" 0 'sigs[0]["indication"]=="TOTAL-PASSED"'
done

# --- parallel signatures and a counter-signature
sign homeroom-rsa "$REC" "$TMP/par1.xml" --xml-parallel --role "Giáo viên chủ nhiệm"
check "teacher signs leaving room for parallel signatures" test $? -eq 0
sign principal-ec "$TMP/par1.xml" "$TMP/par2.xml" --role "Hiệu trưởng"
check "principal adds a parallel signature" test $? -eq 0
verify "$TMP/par2.xml"
expect "both parallel signatures pass" 0 \
	'len(sigs)==2 and all(s["indication"]=="TOTAL-PASSED" for s in sigs) and "trừ các chữ ký" in sigs[0]["coverage"] and sigs[0]["role"]=="Giáo viên chủ nhiệm"'
sign seal-rsa "$TMP/par2.xml" "$TMP/cs.xml" --counter-sign
check "the school seal counter-signs the principal" test $? -eq 0
verify "$TMP/cs.xml"
expect "counter-signature passes and says what it signs" 0 \
	'len(sigs)==3 and sigs[2]["format"]=="XAdES counter-signature" and "chữ ký 2" in sigs[2]["coverage"] and all(s["indication"]=="TOTAL-PASSED" for s in sigs)'
sign principal-rsa "$TMP/rsa.xml" "$TMP/refused.xml"
check "a second enveloped signature over a record signed without --xml-parallel is refused (exit 3)" \
	test $? -eq 3 -a ! -e "$TMP/refused.xml"
check "...with a clear reason" grep -q "counter-sign it instead" "$TMP/err"
python3 - "$TMP/cs.xml" "$TMP/cs-bad.xml" <<'PY'
import re, sys
d = open(sys.argv[1], encoding="utf-8").read()
# change the principal's SignatureValue (second signature) after the seal signed it
m = list(re.finditer(r'(<ds:SignatureValue Id="[^"]*">)([A-Za-z0-9+/])', d))[1]
c = "B" if m.group(2) != "B" else "C"
d = d[:m.start(2)] + c + d[m.end(2):]
open(sys.argv[2], "w", encoding="utf-8").write(d)
PY
verify "$TMP/cs-bad.xml"
expect "changed countersigned value: the counter-signature fails with HASH_FAILURE" 1 \
	'sigs[2]["subindication"]=="HASH_FAILURE" and sigs[1]["indication"]=="TOTAL-FAILED"'

# --- attacks on signed records
sed 's/<DiemTB>8\.7</<DiemTB>9.7</' "$TMP/rsa.xml" >"$TMP/grade.xml"
verify "$TMP/grade.xml"
expect "a grade changed after signing: TOTAL-FAILED/HASH_FAILURE, exit 1" 1 \
	'sigs[0]["subindication"]=="HASH_FAILURE" and "[ĐÃ BỊ SỬA]" in sigs[0]["coverage"]'

# XSW 1: the whole signed record moved into a wrapper, forged record at the root
python3 - "$TMP/rsa.xml" "$TMP/xsw1.xml" <<'PY'
import re, sys
d = open(sys.argv[1], encoding="utf-8").read()
body = d[d.index("<HocBa"):]
sig = re.search(r"<ds:Signature .*</ds:Signature>", body, re.S).group(0)
orig = body.replace(sig, "")
forged = re.sub(r"<DiemTB>8\.7</DiemTB>", "<DiemTB>10</DiemTB>", orig).replace("</HocBa>", "")
open(sys.argv[2], "w", encoding="utf-8").write(
    '<?xml version="1.0" encoding="UTF-8"?>\n' + forged + sig +
    '<Wrapper xmlns="urn:x">' + orig + "</Wrapper></HocBa>")
PY
verify "$TMP/xsw1.xml"
expect "XSW: signed record in an unsigned wrapper, forged content at the root: TOTAL-FAILED" 1 \
	'sigs[0]["indication"]=="TOTAL-FAILED"'

# XSW 2: a signature by ID (made by xmlsec1) whose element is moved into
# ds:Object while a forged record takes the root.
cat >"$TMP/tmpl.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<HocBa xmlns="urn:kyso:test:hocba" Id="hb1"><HoTen>Trần Văn Bình</HoTen><DiemTB>6.5</DiemTB><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#hb1"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo><ds:Object/></ds:Signature></HocBa>
EOF
xmlsec1 --sign --privkey-pem "$P/teacher-rsa.key.pem,$P/teacher-rsa.cert.pem,$P/public-ca.pem" \
	--id-attr:Id HocBa --output "$TMP/byid.xml" "$TMP/tmpl.xml" 2>"$TMP/err"
check "xmlsec1 signs a record by ID (URI=#hb1)" test -s "$TMP/byid.xml"
verify "$TMP/byid.xml"
expect "kyso accepts the signature by ID (XMLDSig, signer not bound: noted)" 0 \
	'sigs[0]["format"]=="XMLDSig" and any(x["code"]=="no-signing-certificate-reference" for x in sigs[0]["notes"])'
python3 - "$TMP/byid.xml" "$TMP/xsw2.xml" <<'PY'
import re, sys
d = open(sys.argv[1], encoding="utf-8").read()
sig = re.search(r"<ds:Signature.*</ds:Signature>", d, re.S).group(0)
orig = re.search(r"<HocBa.*</HocBa>", d, re.S).group(0).replace(sig, "")
wrapped = sig.replace("<ds:Object/>", "<ds:Object>" + orig + "</ds:Object>").replace(
    "<ds:Object></ds:Object>", "<ds:Object>" + orig + "</ds:Object>")
forged = '<HocBa xmlns="urn:kyso:test:hocba"><HoTen>Trần Văn Bình</HoTen><DiemTB>9.5</DiemTB>' + wrapped + "</HocBa>"
open(sys.argv[2], "w", encoding="utf-8").write('<?xml version="1.0" encoding="UTF-8"?>\n' + forged)
PY
xmlsec1 --verify --trusted-pem "$P/root.pem" --untrusted-pem "$P/cas.pem" --id-attr:Id HocBa \
	"$TMP/xsw2.xml" >/dev/null 2>&1
xs=$?
verify "$TMP/xsw2.xml"
expect "XSW by ID (xmlsec1 exit $xs): kyso refuses, the signature does not cover the root" 1 \
	'sigs[0]["subindication"]=="FORMAT_FAILURE" and "does not cover its root" in sigs[0]["detail"]'

python3 - "$TMP/par2.xml" "$TMP/dupid.xml" <<'PY'
import re, sys
d = open(sys.argv[1], encoding="utf-8").read()
sp = re.search(r'<xades:SignedProperties Id="([^"]*)"', d).group(1)
d = d.replace("<NamHoc>", '<GhiChu Id="%s">giả</GhiChu><NamHoc>' % sp, 1)
open(sys.argv[2], "w", encoding="utf-8").write(d)
PY
verify "$TMP/dupid.xml"
expect "a duplicate ID (SignedProperties Id copied into the record): every signature fails" 1 \
	'all(s["subindication"]=="FORMAT_FAILURE" and "more than one element" in s["detail"] for s in sigs)'

python3 - "$TMP/par2.xml" "$TMP/unsigned2.xml" <<'PY'
import sys
d = open(sys.argv[1], encoding="utf-8").read()
fake = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="fake"><ds:SignedInfo>'
        '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
        '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        '<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>'
        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</ds:DigestValue>'
        '</ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>')
d = d.replace("</HocBa>", fake + "</HocBa>")
open(sys.argv[2], "w", encoding="utf-8").write(d)
PY
verify "$TMP/unsigned2.xml"
expect "a second, unsigned signature: the document is not authentic (parallel ones still pass)" 1 \
	'len(sigs)==3 and sigs[0]["indication"]=="TOTAL-PASSED" and sigs[2]["indication"]=="TOTAL-FAILED" and d["indication"]=="TOTAL-FAILED"'

# look-alike CA: same names as the test root and Government CA, other keys
LA=$TMP/lookalike
mkdir -p "$LA"
subj() { openssl x509 -noout -subject -nameopt RFC2253 -in "$1" | sed 's/^subject=//'; }
# the subject in the /K=V/K=V form `openssl req -subj` takes (UTF-8 kept)
dn_slash() {
	openssl x509 -noout -subject -nameopt sep_comma_plus_space,utf8,sname -in "$1" |
		sed -e 's/^subject=//' -e 's/^/\//' -e 's/, /\//g'
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$LA/root.key" -out "$LA/root.pem" -days 30 \
	-subj "$(dn_slash "$P/root.pem")" -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$LA/ca.key" -out "$LA/ca.csr" \
	-subj "$(dn_slash "$P/gov-ca.pem")" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$LA/ca.ext"
openssl x509 -req -in "$LA/ca.csr" -CA "$LA/root.pem" -CAkey "$LA/root.key" -CAcreateserial \
	-days 30 -extfile "$LA/ca.ext" -out "$LA/ca.pem" 2>/dev/null
openssl req -new -key "$P/principal-rsa.key.pem" -out "$LA/ee.csr" -utf8 \
	-subj "$(dn_slash "$P/principal-rsa.cert.pem")" 2>/dev/null
printf 'keyUsage=critical,digitalSignature,nonRepudiation\n' >"$LA/ee.ext"
openssl x509 -req -in "$LA/ee.csr" -CA "$LA/ca.pem" -CAkey "$LA/ca.key" -CAcreateserial \
	-days 30 -extfile "$LA/ee.ext" -out "$LA/ee.pem" 2>/dev/null
check "look-alike chain has the same names as the real one" \
	test "$(subj "$LA/ca.pem")" = "$(subj "$P/gov-ca.pem")" -a "$(subj "$LA/root.pem")" = "$(subj "$P/root.pem")"
"$KYSO" sign --key-file "$P/principal-rsa.key.pem" --cert "$LA/ee.pem" --chain "$LA/ca.pem" \
	--in "$REC" --out "$TMP/lookalike.xml" >/dev/null 2>"$TMP/err"
check "sign with the look-alike certificate" test $? -eq 0
verify "$TMP/lookalike.xml"
expect "look-alike CA with the same DN: no chain to the real root (INDETERMINATE, exit 2)" 2 \
	'sigs[0]["subindication"]=="NO_CERTIFICATE_CHAIN_FOUND" and "certificate path" in sigs[0]["detail"]'

python3 - "$TMP/rsa.xml" "$P/teacher-rsa.cert.pem" "$TMP/keyinfo-extra.xml" "$TMP/keyinfo-swap.xml" <<'PY'
import re, sys
d = open(sys.argv[1], encoding="utf-8").read()
pem = open(sys.argv[2]).read()
b64 = "".join(l for l in pem.splitlines() if "-----" not in l)
extra = d.replace("<ds:X509Data>", "<ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate>" % b64, 1)
open(sys.argv[3], "w", encoding="utf-8").write(extra)
first = re.search(r"<ds:X509Certificate>[^<]*</ds:X509Certificate>", d).group(0)
open(sys.argv[4], "w", encoding="utf-8").write(
    d.replace(first, "<ds:X509Certificate>%s</ds:X509Certificate>" % b64, 1))
PY
verify "$TMP/keyinfo-extra.xml"
expect "KeyInfo carries another end-entity certificate than SigningCertificateV2's: TOTAL-FAILED" 1 \
	'sigs[0]["subindication"]=="FORMAT_FAILURE" and "not the certificate SigningCertificateV2 names" in sigs[0]["detail"]'
verify "$TMP/keyinfo-swap.xml"
expect "KeyInfo certificate replaced: the signer is not identified (never taken from KeyInfo)" 2 \
	'sigs[0]["subindication"]=="NO_SIGNING_CERTIFICATE_FOUND"'

# --- hostile documents: refused before any XML library sees them
cat >"$TMP/laughs.xml" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<HocBa><HoTen>&lol9;</HoTen></HocBa>
EOF
verify "$TMP/laughs.xml"
expect "billion laughs: refused (DOCTYPE), TOTAL-FAILED/FORMAT_FAILURE" 1 \
	'sigs[0]["subindication"]=="FORMAT_FAILURE" and "DOCTYPE" in sigs[0]["detail"]'
sign principal-rsa "$TMP/laughs.xml" "$TMP/laughs-signed.xml"
check "billion laughs: signing refused (exit 3, no output)" test $? -eq 3 -a ! -e "$TMP/laughs-signed.xml"
printf '<?xml version="1.0"?>\n<!-- a comment first -->\n<?pi x?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<r>&x;</r>\n' >"$TMP/xxe.xml"
verify "$TMP/xxe.xml"
expect "external entity after a comment and a PI: refused (DOCTYPE)" 1 \
	'"DOCTYPE" in sigs[0]["detail"] and "root:" not in open(sys.argv[1]).read()'
printf '<r>&x;</r>\n' >"$TMP/undef.xml"
verify "$TMP/undef.xml"
expect "an entity reference without a DOCTYPE is not expanded: not well-formed" 1 \
	'"not well-formed" in sigs[0]["detail"]'
printf '\xef\xbb\xbf<?xml version="1.0" encoding="UTF-16"?><r/>' >"$TMP/enc.xml"
verify "$TMP/enc.xml"
expect "a declared encoding other than UTF-8 is refused" 1 '"UTF-8 XML only" in sigs[0]["detail"]'
python3 -c 'import sys; open(sys.argv[1],"wb").write("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>".encode("utf-16"))' "$TMP/utf16.xml"
verify "$TMP/utf16.xml"
expect "a UTF-16 document (DOCTYPE invisible to a byte scan) is refused" 1 \
	'"UTF-16" in sigs[0]["detail"]'
python3 -c 'import sys
f=open(sys.argv[1],"wb"); f.write(b"<HocBa><HoTen>"); f.write(b"A"*(50<<20)); f.write(b"</HoTen></HocBa>")' "$TMP/big.xml"
start=$(date +%s)
verify "$TMP/big.xml"
took=$(($(date +%s) - start))
expect "a 50 MB text node: refused by the text-node limit (${took}s)" 1 \
	'"text node is longer than" in sigs[0]["detail"]'
rm -f "$TMP/big.xml"
python3 -c 'import sys; open(sys.argv[1],"w").write("<a>"*10000 + "</a>"*10000)' "$TMP/deep.xml"
verify "$TMP/deep.xml"
expect "10,000 nested elements: refused by the depth limit" 1 '"nested deeper than" in sigs[0]["detail"]'
sign principal-rsa "$TMP/deep.xml" "$TMP/deep-signed.xml"
check "10,000 nested elements: signing refused (exit 3, no output)" \
	test $? -eq 3 -a ! -e "$TMP/deep-signed.xml"
python3 - "$TMP/costly.xml" <<'PY'
import sys
ref = ('<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
       '</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
       '<ds:DigestValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</ds:DigestValue></ds:Reference>')
sig = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
       '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
       '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>' + ref * 32 +
       '</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>')
open(sys.argv[1], "w").write("<r>" + "<a/>" * 300000 + sig * 64 + "</r>")
PY
start=$(date +%s)
verify "$TMP/costly.xml"
took=$(($(date +%s) - start))
expect "64 signatures x 32 whole-document references over 300,000 elements: bounded work (${took}s)" 1 \
	'any(s["subindication"]=="SIG_CONSTRAINTS_FAILURE" and "canonicalization work" in s["detail"] for s in sigs)'
printf '<HocBa><A Id="x"/><B Id="x"/></HocBa>' >"$TMP/dup-unsigned.xml"
sign principal-rsa "$TMP/dup-unsigned.xml" "$TMP/dup-signed.xml"
check "a record with a duplicate ID is not signed (exit 3)" test $? -eq 3 -a ! -e "$TMP/dup-signed.xml"
printf '<HocBa>chưa ký</HocBa>' >"$TMP/nosig.xml"
verify "$TMP/nosig.xml"
expect "an XML file without signatures: TOTAL-FAILED, exit 1" 1 'd["indication"]=="TOTAL-FAILED" and sigs==[]'

echo "1..$n"
