#!/usr/bin/env bash
# XAdES interop with xadesjs (npm, installed by tests/interop/xadesjs/setup.sh
# into build/xadesjs/node_modules): xadesjs verifies kyso's enveloped and
# enveloping signatures (RSA PKCS#1 v1.5, RSA-PSS; file and token keys) in
# Node, and kyso verifies XAdES-BES signatures made by xadesjs (RSA and
# ECDSA) as TOTAL-PASSED against the test root -- and fails them once a
# grade is changed.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
BUILD=${KYSO_BUILD:-$ROOT/build}
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
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name" "$(head -c 600 "$TMP/err" 2>/dev/null)"; fi
}

if ! XJ=$(bash "$ROOT/tests/interop/xadesjs/setup.sh" "$BUILD" 2>"$TMP/err"); then
	notok "install xadesjs from npm" "$(tail -5 "$TMP/err")"
	echo "1..$n"
	exit 1
fi
ok "xadesjs installed in $XJ"
cp "$ROOT"/tests/interop/xadesjs/*.mjs "$XJ/"
xj() { (cd "$XJ" && node "$@") >"$TMP/err" 2>&1; }
sign() { # entity out options...
	local ent=$1 out=$2
	shift 2
	"$KYSO" sign --key-file "$P/$ent.key.pem" --cert "$P/$ent.cert.pem" \
		--chain "$P/$ent.chain.pem" --in "$REC" --out "$out" "$@" >/dev/null 2>"$TMP/err"
}
kyso_passes() {
	"$KYSO" verify "$1" --trust "$P/root.pem" --revocation off --json >"$TMP/v.json" 2>"$TMP/err" &&
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["indication"]=="TOTAL-PASSED" and len(d["signatures"])==1 else 1)' "$TMP/v.json"
}

# --- xadesjs verifies kyso
sign principal-rsa "$TMP/k-rsa.xml" --role "Hiệu trưởng"
check "xadesjs verifies kyso's enveloped RSA PKCS#1 v1.5 XAdES" xj verify.mjs "$TMP/k-rsa.xml"
sign teacher-rsa "$TMP/k-pss.xml" --pss
check "xadesjs verifies kyso's enveloped RSA-PSS XAdES (sha256-rsa-MGF1)" xj verify.mjs "$TMP/k-pss.xml"
sign homeroom-rsa "$TMP/k-sha512.xml" --md sha512
check "xadesjs verifies kyso's SHA-512 signature" xj verify.mjs "$TMP/k-sha512.xml"
sign homeroom-rsa "$TMP/k-env.xml" --xml-mode enveloping
check "xadesjs verifies kyso's enveloping XAdES" xj verify.mjs "$TMP/k-env.xml"
if [ -n "${KYSO_URI_SEAL_RSA:-}" ]; then
	KYSO_PIN=$KYSO_TEST_PIN "$KYSO" sign --key "$KYSO_URI_SEAL_RSA" --in "$REC" \
		--out "$TMP/k-tok.xml" >/dev/null 2>"$TMP/err"
	check "xadesjs verifies kyso's signature made with a token key" xj verify.mjs "$TMP/k-tok.xml"
fi
sed 's/<DiemTB>8\.7</<DiemTB>9.7</' "$TMP/k-rsa.xml" >"$TMP/k-bad.xml"
xj verify.mjs "$TMP/k-bad.xml"
check "xadesjs rejects kyso's signature once a grade is changed" test $? -ne 0

# --- kyso verifies xadesjs
xj sign.mjs "$REC" "$TMP/x-rsa.xml" "$P/teacher-rsa.key.pem" "$P/teacher-rsa.cert.pem" \
	"$P/teacher-rsa.chain.pem" rsa "Giáo viên bộ môn"
check "xadesjs signs a XAdES-BES (RSA)" test -s "$TMP/x-rsa.xml"
check "kyso verifies xadesjs's XAdES-BES (RSA): TOTAL-PASSED" kyso_passes "$TMP/x-rsa.xml"
check "...with the claimed role and the signer bound by SigningCertificate" python3 -c 'import json,sys
s=json.load(open(sys.argv[1]))["signatures"][0]
sys.exit(0 if s["role"]=="Giáo viên bộ môn" and s["format"].startswith("XAdES-B-B") else 1)' "$TMP/v.json"
xj sign.mjs "$REC" "$TMP/x-ec.xml" "$P/principal-ec.key.pem" "$P/principal-ec.cert.pem" \
	"$P/principal-ec.chain.pem" ec
check "kyso verifies xadesjs's XAdES-BES (ECDSA P-256): TOTAL-PASSED" kyso_passes "$TMP/x-ec.xml"
sed 's/<DiemTB>8\.7</<DiemTB>9.7</' "$TMP/x-rsa.xml" >"$TMP/x-bad.xml"
"$KYSO" verify "$TMP/x-bad.xml" --trust "$P/root.pem" --revocation off >/dev/null 2>&1
check "kyso rejects xadesjs's signature once a grade is changed (exit 1)" test $? -eq 1
echo "1..$n"
