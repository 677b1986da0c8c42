#!/usr/bin/env bash
# XAdES long-term levels against real peers on 127.0.0.1: kyso's built-in
# TSA, OpenSSL's OCSP responders and the CRLs over HTTP
# (tests/lib/pki_services.sh, started and stopped by PID).  B-T, B-LT and
# B-LTA signed and verified; kyso extend on XML; the responders stopped
# and the validation time moved past the signer certificate's expiry (B-LT
# and B-LTA still PASSED, B-B and B-T not); a TSA or responders that are
# down make signing fail with no output; a timestamp taken from another
# signature, a changed signature value and broken timestamp elements are
# reported; xmlsec1 still accepts the B-T, B-LT and B-LTA records and
# xadesjs the B-T and B-LT ones.  Prints TAP.
set -uo pipefail
ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
if [ -z "${KYSO_PKI_DIR:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
	# shellcheck disable=SC1091
	. "$ROOT/build/pki/env.sh"
fi
P=${KYSO_PKI_DIR:-$ROOT/build/pki}
REC=$ROOT/tests/data/hocba-mini.xml
TMP=$(mktemp -d)
# shellcheck source=tests/lib/pki_services.sh
. "$ROOT/tests/lib/pki_services.sh"
trap 'pki_services_cleanup; rm -rf "$TMP"' EXIT
trap "exit 1" INT TERM HUP PIPE
unset KYSO_PIN KYSO_KEY_PASS

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	shift
	for l in "$@"; do echo "# $l"; done
}
sign() { # entity, in, out, options...
	local ent=$1 in=$2 out=$3
	shift 3
	"$KYSO" sign --key-file "$P/$ent.key.pem" --cert "$P/$ent.cert.pem" \
		--chain "$P/$ent.chain.pem" --in "$in" --out "$out" "$@" >"$TMP/log" 2>&1
}
# verify FILE [options...]: JSON report in $TMP/v.json, exit status in $rc
verify() {
	local f=$1
	shift
	timeout 60 "$KYSO" verify "$f" --trust "$P/root.pem" --json "$@" >"$TMP/v.json" 2>"$TMP/log"
	rc=$?
}
json() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); sigs=d["signatures"]; s=sigs[0]; ts=s.get("timestamps") or []
sys.exit(0 if eval(sys.argv[2]) else 1)' "$TMP/v.json" "$1" 2>>"$TMP/log"
}
summary() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for s in d["signatures"]:
    print(s["indication"], s["subindication"], s["format"], s["detail"], (s.get("proof_of_existence") or {}), [(t["valid"], t["archive"], t["detail"]) for t in s.get("timestamps") or []])' "$TMP/v.json" 2>&1 | head -5
}
expect() { # NAME RC PYTHON-EXPR
	if [ "$rc" -eq "$2" ] && json "$3"; then ok "$1"; else
		notok "$1" "exit $rc (want $2)" "$(summary)" "$(head -c 600 "$TMP/log")"
	fi
}
XADES_ID=(--id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties")
xmlsec_ok() {
	xmlsec1 --verify --trusted-pem "$P/root.pem" --untrusted-pem "$P/cas.pem" \
		"${XADES_ID[@]}" "$1" >"$TMP/log" 2>&1
}
usp_count() { # FILE ELEMENT: how many of ELEMENT the first signature carries
	python3 - "$1" "$2" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"xa": "http://uri.etsi.org/01903/v1.3.2#", "x141": "http://uri.etsi.org/01903/v1.4.1#"}
t = ET.parse(sys.argv[1])
print(len(t.getroot().findall(".//xa:UnsignedSignatureProperties/" + sys.argv[2], ns)))
PY
}

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
C=$(pki_cache sign)
LT=(--tsa "$PKI_TSA_URL" --trust "$P/root.pem" --cache "$C")
LATER=$(date -u -d "$(openssl x509 -in "$P/principal-rsa.cert.pem" -noout -enddate | cut -d= -f2) + 30 days" +%Y-%m-%dT%H:%M:%SZ)

# ---- signing at each level, verified with the responders up
for lv in B-B B-T B-LT B-LTA; do
	if sign principal-rsa "$REC" "$TMP/$lv.xml" --level "$lv" "${LT[@]}" && grep -q "XAdES-$lv signature" "$TMP/log"; then
		ok "XAdES $lv: signed"
	else
		notok "XAdES $lv: signed" "$(cat "$TMP/log")"
	fi
done
for lv in B-T B-LT B-LTA; do
	verify "$TMP/$lv.xml" --cache "$(pki_cache "now-$lv")"
	expect "XAdES $lv: TOTAL-PASSED, reported as $lv, the time proven by a valid timestamp" 0 \
		"d['indication']=='TOTAL-PASSED' and s['format'].startswith('XAdES-$lv ') and s['proof_of_existence'] and ts and all(t['valid'] and t['tsa']=='Test TSA RSA' for t in ts)"
done
verify "$TMP/B-T.xml" --cache "$(pki_cache bt-report)"
expect "XAdES B-T: one signature timestamp that proves the signing time" 0 \
	"len(ts)==1 and ts[0]['proves_signing_time'] and not ts[0]['archive']"
verify "$TMP/B-LT.xml" --cache "$(pki_cache lt-report)"
expect "XAdES B-LT: revocation answered from the document's own values" 0 \
	"'document' in json.dumps(s)"
verify "$TMP/B-LTA.xml" --cache "$(pki_cache lta-report)"
expect "XAdES B-LTA: a signature timestamp and a valid archive timestamp" 0 \
	"len(ts)==2 and sum(1 for t in ts if t['archive'] and t['valid'])==1"
for lv in B-T B-LT B-LTA; do
	got="$(usp_count "$TMP/$lv.xml" xa:SignatureTimeStamp)/$(usp_count "$TMP/$lv.xml" xa:CertificateValues)/$(usp_count "$TMP/$lv.xml" xa:RevocationValues/xa:OCSPValues/xa:EncapsulatedOCSPValue)/$(usp_count "$TMP/$lv.xml" x141:ArchiveTimeStamp)"
	case $lv in
	B-T) want="1/0/0/0" ;;
	B-LT) want="1/1/[1-9]*/0" ;;
	B-LTA) want="1/1/[1-9]*/1" ;;
	esac
	# shellcheck disable=SC2254
	case $got in
	$want) ok "XAdES $lv: the unsigned properties are there (timestamps/values/OCSP/archive: $got)" ;;
	*) notok "XAdES $lv: the unsigned properties are there" "got $got, want $want" ;;
	esac
done
# the embedded timestamp token is an RFC 3161 token openssl reads
python3 - "$TMP/B-T.xml" "$TMP/sts.tst" <<'PY'
import base64, sys, xml.etree.ElementTree as ET
ns = {"xa": "http://uri.etsi.org/01903/v1.3.2#"}
e = ET.parse(sys.argv[1]).getroot().find(".//xa:SignatureTimeStamp/xa:EncapsulatedTimeStamp", ns)
open(sys.argv[2], "wb").write(base64.b64decode(e.text))
PY
if openssl ts -reply -token_in -in "$TMP/sts.tst" -token_out -text 2>/dev/null | grep -q "Hash Algorithm: sha256"; then
	ok "XAdES B-T: openssl ts reads the EncapsulatedTimeStamp (SHA-256 imprint)"
else
	notok "XAdES B-T: openssl ts reads the EncapsulatedTimeStamp"
fi

# ---- peers
for lv in B-T B-LT B-LTA; do
	if xmlsec_ok "$TMP/$lv.xml"; then ok "xmlsec1 --verify accepts kyso's XAdES $lv"; else
		notok "xmlsec1 --verify accepts kyso's XAdES $lv" "$(head -c 600 "$TMP/log")"
	fi
done

# xadesjs (npm, test-local: tests/interop/xadesjs/setup.sh) reads B-T and
# B-LT; it knows ArchiveTimeStamp only in the v1.3.2 namespace and refuses
# the xades141 one EN 319 132-1 prescribes, so B-LTA is not given to it.
if XJ=$(bash "$ROOT/tests/interop/xadesjs/setup.sh" "${KYSO_BUILD:-$ROOT/build}" 2>"$TMP/log"); then
	cp "$ROOT"/tests/interop/xadesjs/*.mjs "$XJ/"
	for lv in B-T B-LT; do
		if (cd "$XJ" && node verify.mjs "$TMP/$lv.xml") >"$TMP/log" 2>&1; then
			ok "xadesjs verifies kyso's XAdES $lv"
		else
			notok "xadesjs verifies kyso's XAdES $lv" "$(head -c 600 "$TMP/log")"
		fi
	done
else
	notok "install xadesjs from npm" "$(tail -5 "$TMP/log")"
fi

# ---- kyso extend
if "$KYSO" extend --level B-T --in "$TMP/B-B.xml" --out "$TMP/ext-bt.xml" "${LT[@]}" >"$TMP/log" 2>&1; then
	verify "$TMP/ext-bt.xml" --cache "$(pki_cache ext-bt)"
	expect "kyso extend B-B -> B-T: PASSED with a valid signature timestamp" 0 \
		"s['format'].startswith('XAdES-B-T ') and len(ts)==1 and ts[0]['valid']"
else
	notok "kyso extend B-B -> B-T" "$(cat "$TMP/log")"
fi
if "$KYSO" extend --level B-LTA --in "$TMP/ext-bt.xml" --out "$TMP/ext-lta.xml" "${LT[@]}" >"$TMP/log" 2>&1; then
	verify "$TMP/ext-lta.xml" --cache "$(pki_cache ext-lta)"
	expect "kyso extend B-T -> B-LTA: PASSED, the first timestamp kept, values and an archive timestamp added" 0 \
		"s['format'].startswith('XAdES-B-LTA ') and len(ts)==2 and all(t['valid'] for t in ts)"
else
	notok "kyso extend B-T -> B-LTA" "$(cat "$TMP/log")"
fi
if "$KYSO" extend --level B-LTA --in "$TMP/ext-lta.xml" --out "$TMP/ext-lta2.xml" "${LT[@]}" >"$TMP/log" 2>&1; then
	verify "$TMP/ext-lta2.xml" --cache "$(pki_cache ext-lta2)"
	expect "kyso extend B-LTA again: a second archive timestamp over the first, both valid" 0 \
		"len(ts)==3 and sum(1 for t in ts if t['archive'] and t['valid'])==2"
else
	notok "kyso extend B-LTA again" "$(cat "$TMP/log")"
fi
# a parallel-signed record: both signatures raised
sign principal-rsa "$REC" "$TMP/par1.xml" --xml-parallel &&
	sign teacher-rsa "$TMP/par1.xml" "$TMP/par2.xml" --xml-parallel &&
	"$KYSO" extend --level B-LT --in "$TMP/par2.xml" --out "$TMP/par-lt.xml" "${LT[@]}" >"$TMP/log" 2>&1
verify "$TMP/par-lt.xml" --cache "$(pki_cache par)"
expect "kyso extend B-LT on two parallel signatures: both PASSED at B-LT" 0 \
	"len(sigs)==2 and all(x['format'].startswith('XAdES-B-LT ') and x['indication']=='TOTAL-PASSED' for x in sigs)"
# a detached signature: the archive timestamp covers the content file
cp "$REC" "$TMP/rec.xml"
if sign principal-rsa "$TMP/rec.xml" "$TMP/det.xml" --xml-mode detached --level B-LTA "${LT[@]}"; then
	verify "$TMP/det.xml" --content "$TMP/rec.xml" --cache "$(pki_cache det)"
	expect "detached XAdES B-LTA: PASSED with the content" 0 \
		"s['format'].startswith('XAdES-B-LTA ') and all(t['valid'] for t in ts)"
else
	notok "detached XAdES B-LTA: signed" "$(cat "$TMP/log")"
fi

if sign principal-rsa "$REC" "$TMP/enc.xml" --xml-mode enveloping --level B-LTA "${LT[@]}"; then
	verify "$TMP/enc.xml" --cache "$(pki_cache enc)"
	expect "enveloping XAdES B-LTA: PASSED" 0 \
		"s['format'].startswith('XAdES-B-LTA ') and len(ts)==2 and all(t['valid'] for t in ts)"
else
	notok "enveloping XAdES B-LTA: signed" "$(cat "$TMP/log")"
fi
rm -f "$TMP/cs.xml"
sign seal-ec "$TMP/B-B.xml" "$TMP/cs.xml" --counter-sign --level B-T "${LT[@]}"
r=$?
if [ $r != 0 ] && [ ! -e "$TMP/cs.xml" ] && grep -q "kyso extend" "$TMP/log"; then
	ok "a counter-signature at B-T: refused (made at B-B, raised by kyso extend), no output"
else
	notok "a counter-signature at B-T: refused, no output" "exit $r" "$(cat "$TMP/log")"
fi

# ---- tampering
# the signature timestamp of another signature pasted in
sign principal-rsa "$REC" "$TMP/other.xml" --level B-T "${LT[@]}"
python3 - "$TMP/B-T.xml" "$TMP/other.xml" "$TMP/pasted.xml" <<'PY'
import re, sys
a = open(sys.argv[1], encoding="utf-8").read()
b = open(sys.argv[2], encoding="utf-8").read()
pat = re.compile(r"(<xades:EncapsulatedTimeStamp[^>]*>)([^<]*)(<)")
tok = pat.search(b).group(2)
out = pat.sub(lambda m: m.group(1) + tok + m.group(3), a, count=1)
assert out != a
open(sys.argv[3], "w", encoding="utf-8").write(out)
PY
verify "$TMP/pasted.xml" --cache "$(pki_cache pasted)"
expect "a signature timestamp of another signature pasted in: reported not valid, proves nothing" 0 \
	"len(ts)==1 and not ts[0]['valid'] and 'does not cover' in ts[0]['detail'] and not s.get('proof_of_existence')"
# the archive timestamp no longer covers a record with a changed property
python3 - "$TMP/B-LTA.xml" "$TMP/lta-cut.xml" <<'PY'
import re, sys
a = open(sys.argv[1], encoding="utf-8").read()
# one OCSP response removed after the archive timestamp was taken
out = re.sub(r"<xades:EncapsulatedOCSPValue>[^<]*</xades:EncapsulatedOCSPValue>", "", a, count=1)
assert out != a
open(sys.argv[2], "w", encoding="utf-8").write(out)
PY
verify "$TMP/lta-cut.xml" --cache "$(pki_cache lta-cut)"
expect "B-LTA with validation data removed after archiving: the archive timestamp is reported not valid" 0 \
	"any(t['archive'] and not t['valid'] for t in ts) and any(not t['archive'] and t['valid'] for t in ts)"
# broken timestamp elements: not base64, unknown canonicalization
python3 - "$TMP/B-T.xml" "$TMP/bad64.xml" "$TMP/badc14n.xml" <<'PY'
import re, sys
a = open(sys.argv[1], encoding="utf-8").read()
out = re.sub(r"(<xades:EncapsulatedTimeStamp[^>]*>)[^<]*", r"\1!!not base64!!", a, count=1)
open(sys.argv[2], "w", encoding="utf-8").write(out)
out = re.sub(r'(<xades:SignatureTimeStamp[^>]*>\s*<ds:CanonicalizationMethod Algorithm=")[^"]*', r"\1http://example.com/c14n", a, count=1)
assert out != a
open(sys.argv[3], "w", encoding="utf-8").write(out)
PY
verify "$TMP/bad64.xml" --cache "$(pki_cache bad64)"
expect "an EncapsulatedTimeStamp that is not base64: the timestamp is reported not valid" 0 \
	"len(ts)==1 and not ts[0]['valid'] and 'base64' in ts[0]['detail']"
verify "$TMP/badc14n.xml" --cache "$(pki_cache badc14n)"
expect "a timestamp with an unknown canonicalization: reported not valid" 0 \
	"len(ts)==1 and not ts[0]['valid'] and 'canonicalization' in ts[0]['detail']"
# one byte of the SignatureValue changed after stamping
python3 - "$TMP/B-T.xml" "$TMP/sigval.xml" <<'PY'
import re, sys
a = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"<ds:SignatureValue[^>]*>([^<]{10})", a)
i = m.start(1) + 5
c = "A" if a[i] != "A" else "B"
open(sys.argv[2], "w", encoding="utf-8").write(a[:i] + c + a[i + 1:])
PY
verify "$TMP/sigval.xml" --cache "$(pki_cache sigval)"
expect "the SignatureValue changed after stamping: the signature fails" 1 \
	"s['indication']=='TOTAL-FAILED'"

# ---- TSA down, responders down at signing: no output
DOWN_URL=$PKI_TSA_URL
pki_tsa_stop
for lv in B-T B-LTA; do
	rm -f "$TMP/down.xml"
	sign principal-rsa "$REC" "$TMP/down.xml" --level "$lv" --tsa "$DOWN_URL" \
		--trust "$P/root.pem" --cache "$C"
	r=$?
	if [ $r != 0 ] && [ ! -e "$TMP/down.xml" ] && grep -q "unreachable" "$TMP/log"; then
		ok "XAdES $lv with the TSA down: fails (exit $r), no output"
	else
		notok "XAdES $lv with the TSA down: fails, no output" "exit $r" "$(cat "$TMP/log")"
	fi
done
rm -f "$TMP/down.xml"
"$KYSO" extend --level B-T --in "$TMP/B-B.xml" --out "$TMP/down.xml" --tsa "$DOWN_URL" >"$TMP/log" 2>&1
r=$?
if [ $r != 0 ] && [ ! -e "$TMP/down.xml" ]; then ok "kyso extend B-T on XML with the TSA down: fails (exit $r), no output"; else
	notok "kyso extend B-T on XML with the TSA down: fails, no output" "exit $r" "$(cat "$TMP/log")"
fi
pki_tsa_start || notok "the built-in TSA starts again"
pki_all_down
rm -f "$TMP/down.xml"
sign principal-rsa "$REC" "$TMP/down.xml" --level B-LT --tsa "$PKI_TSA_URL" --trust "$P/root.pem" \
	--cache "$(pki_cache down)"
r=$?
if [ $r != 0 ] && [ ! -e "$TMP/down.xml" ]; then ok "XAdES B-LT with the responders down: fails (exit $r), no output"; else
	notok "XAdES B-LT with the responders down: fails, no output" "exit $r" "$(cat "$TMP/log")"
fi
pki_tsa_stop

# ---- the network gone, the validation time past the signer's expiry
for lv in B-LT B-LTA; do
	verify "$TMP/$lv.xml" --cache "$(pki_cache "later-$lv")" --at "$LATER"
	expect "XAdES $lv: responders stopped, validated after the certificate expired: still PASSED from what the record carries" 0 \
		"d['indication']=='TOTAL-PASSED' and s['proof_of_existence']"
done
verify "$TMP/ext-lta2.xml" --cache "$(pki_cache later-ext)" --at "$LATER"
expect "XAdES extended to B-LTA twice: still PASSED after expiry without responders" 0 \
	"d['indication']=='TOTAL-PASSED'"
for lv in B-B B-T; do
	verify "$TMP/$lv.xml" --cache "$(pki_cache "later-$lv")" --at "$LATER"
	if [ "$rc" != 0 ] && ! json "d['indication']=='TOTAL-PASSED'"; then
		ok "XAdES $lv: after expiry and without responders, not PASSED ($(summary | cut -c1-80))"
	else
		notok "XAdES $lv: after expiry and without responders, not PASSED" "$(summary)"
	fi
done

echo "1..$n"
