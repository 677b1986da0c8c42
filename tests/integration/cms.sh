#!/usr/bin/env bash
# kyso sign --format cms / kyso verify of a .p7s, against OpenSSL as the
# peer: OpenSSL must accept kyso's signatures (file key and SoftHSM2 token
# key; RSA PKCS#1 v1.5, RSA-PSS, ECDSA), kyso must accept OpenSSL's and
# reject altered ones; the signing policy refusals; trust anchors; text
# and JSON reports.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
if [ -z "${SOFTHSM2_CONF:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$ROOT/build/pki/env.sh"
fi
P=${KYSO_PKI_DIR:-$ROOT/build/pki}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
unset KYSO_PIN KYSO_KEY_PASS

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { # name, command...
  local name=$1; shift
  if "$@"; then ok "$name"; else notok "$name" "$(head -c 600 "$TMP/err" 2>/dev/null)"; fi
}
json() { # file, python expression over `d`
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$1" "$2"
}
# OpenSSL's verdict.  OpenSSL 3.0's `cms -verify` has no -untrusted: the
# intermediate CAs must come from the signature itself (kyso puts the
# chain in); with a newer OpenSSL the test CAs are also offered untrusted.
UNTRUSTED=()
if openssl cms -help 2>&1 | grep -q -- '-untrusted'; then UNTRUSTED=(-untrusted "$P/cas.pem"); fi
ossl_ok() { # p7s, content
  openssl cms -verify -cades -binary -inform DER -in "$1" -content "$2" \
    -CAfile "$P/root.pem" "${UNTRUSTED[@]}" -out /dev/null 2>"$TMP/err"
}
# Change the last digit of the signingTime value inside the signed
# attributes: they stay well-formed, the signature no longer covers them.
flip_signing_time() { # in, out
  local line off hl len pos d
  line=$(openssl asn1parse -inform DER -in "$1" | grep -A3 ':signingTime' |
    grep -m1 -E 'UTCTIME|GENERALIZEDTIME') || return 1
  off=${line%%:*}; off=${off// /}
  hl=$(sed -E 's/.*hl= *([0-9]+).*/\1/' <<<"$line")
  len=$(sed -E 's/.* l= *([0-9]+) .*/\1/' <<<"$line")
  pos=$((off + hl + len - 2))
  cp "$1" "$2"
  d=$(dd if="$2" bs=1 skip="$pos" count=1 2>/dev/null)
  printf '%d' $(((d + 1) % 10)) | dd of="$2" bs=1 seek="$pos" conv=notrunc 2>/dev/null
  ! cmp -s "$1" "$2"
}

DOC="$TMP/hoc-ba 12A1.txt"
printf 'Học bạ số\nHọ và tên: Nguyễn Văn An\nLớp 12A1, năm học 2025-2026\n' >"$DOC"
# A binary file that starts with '<' as one in 256 do: CMS, not XML.
{ printf '<\001\002\003'; head -c 300000 /dev/urandom; } >"$TMP/big.bin"

# --- signing with a file key; OpenSSL verifies
for spec in "principal-rsa:" "principal-rsa:--pss" "principal-ec:" "seal-ec:--md sha384"; do
  ent=${spec%%:*}; extra=${spec#*:}
  out="$TMP/$ent${extra// /}.p7s"
  # shellcheck disable=SC2086
  "$KYSO" sign --format cms --in "$DOC" --out "$out" --key-file "$P/$ent.key.pem" \
    --cert "$P/$ent.cert.pem" --chain "$P/$ent.chain.pem" $extra >/dev/null 2>"$TMP/err"
  rc=$?
  check "sign $ent $extra with a file key (exit 0)" test "$rc" -eq 0
  check "openssl cms -verify -cades accepts kyso's $ent $extra" ossl_ok "$out" "$DOC"
done
check "RSA-PSS signature carries rsassaPss" \
  bash -c "openssl cms -cmsout -print -inform DER -in '$TMP/principal-rsa--pss.p7s' | grep -q rsassaPss"
check "no signingTime unless asked" \
  bash -c "! openssl asn1parse -inform DER -in '$TMP/principal-rsa.p7s' | grep -q signingTime"
"$KYSO" sign --in "$TMP/big.bin" --out "$TMP/big.p7s" --key-file "$P/teacher-rsa.p12" \
  >/dev/null 2>"$TMP/err"; rc=$?
check "PKCS#12 without KYSO_KEY_PASS is refused (exit 1, as a wrong PIN: docs/cli.md)" \
  test "$rc" -eq 1
KYSO_KEY_PASS=${KYSO_TEST_P12_PASS:-kyso-test} "$KYSO" sign --in "$TMP/big.bin" \
  --out "$TMP/big.p7s" --key-file "$P/teacher-rsa.p12" --signing-time >/dev/null 2>"$TMP/err"
rc=$?
check "sign a binary file starting with '<' with a PKCS#12 key, format inferred (exit 0)" \
  test "$rc" -eq 0
check "openssl accepts it" ossl_ok "$TMP/big.p7s" "$TMP/big.bin"
check "signingTime present with --signing-time" \
  bash -c "openssl asn1parse -inform DER -in '$TMP/big.p7s' | grep -q signingTime"

# --- token keys (SoftHSM2), PIN from KYSO_PIN
for t in PRINCIPAL_RSA PRINCIPAL_EC SEAL_RSA; do
  var="KYSO_URI_$t"; uri=${!var:-}
  lower=$(tr 'A-Z_' 'a-z-' <<<"$t")
  KYSO_PIN=${KYSO_TEST_PIN:-123456} "$KYSO" sign --format cms --in "$DOC" \
    --out "$TMP/tok-$lower.p7s" --key "$uri" --chain "$P/tok-$lower.chain.pem" \
    >/dev/null 2>"$TMP/err"; rc=$?
  check "sign with token key $lower (exit 0)" test "$rc" -eq 0
  check "openssl cms -verify -cades accepts the token signature ($lower)" \
    ossl_ok "$TMP/tok-$lower.p7s" "$DOC"
done
KYSO_PIN=${KYSO_TEST_PIN:-123456} "$KYSO" sign --in "$DOC" --out "$TMP/tok-pss.p7s" \
  --key "$KYSO_URI_PRINCIPAL_RSA" --chain "$P/tok-principal-rsa.chain.pem" --pss \
  >/dev/null 2>"$TMP/err"; rc=$?
check "token RSA-PSS accepted by openssl" bash -c "[ $rc -eq 0 ] && openssl cms -verify -cades \
  -binary -inform DER -in '$TMP/tok-pss.p7s' -content '$DOC' -CAfile '$P/root.pem' -out /dev/null 2>/dev/null"
KYSO_PIN=000000 "$KYSO" sign --in "$DOC" --out "$TMP/badpin.p7s" --key "$KYSO_URI_PRINCIPAL_EC" \
  >/dev/null 2>"$TMP/err"; rc=$?
check "wrong PIN: exit 1 (docs/cli.md), clear error, no output" \
  bash -c "[ $rc -eq 1 ] && grep -qi pin '$TMP/err' && [ ! -e '$TMP/badpin.p7s' ]"

# --- kyso verifies its own signatures
"$KYSO" verify "$TMP/principal-rsa.p7s" --content "$DOC" --trust "$P/root.pem" --revocation off >"$TMP/v.txt" 2>"$TMP/err"
rc=$?
check "verify own signature with --trust: exit 0" test "$rc" -eq 0
check "Vietnamese report: Chữ ký hợp lệ / Kết quả: ĐẠT (TOTAL-PASSED)" \
  bash -c "grep -q 'Chữ ký hợp lệ' '$TMP/v.txt' && grep -q 'Kết quả: ĐẠT (TOTAL-PASSED)' '$TMP/v.txt'"
check "report names the signer and the CCCD from UID" \
  bash -c "grep -q 'Người ký: Nguyễn Thị Hồng Nhung' '$TMP/v.txt' && grep -q 'Số CCCD: 001185012345' '$TMP/v.txt'"
check "report notes that revocation was not checked" grep -q 'thu hồi' "$TMP/v.txt"
"$KYSO" verify "$TMP/principal-ec.p7s" --content "$DOC" --trust "$P/root.pem" --revocation off --lang en \
  >"$TMP/v.txt" 2>"$TMP/err"; rc=$?
check "--lang en: Valid signature / Result: PASSED (TOTAL-PASSED)" \
  bash -c "[ $rc -eq 0 ] && grep -q 'Valid signature' '$TMP/v.txt' && grep -q 'Result: PASSED (TOTAL-PASSED)' '$TMP/v.txt'"
for f in principal-rsa--pss seal-ec--mdsha384 tok-principal-ec tok-seal-rsa; do
  "$KYSO" verify "$TMP/$f.p7s" --content "$DOC" --trust "$P/root.pem" --revocation off >/dev/null 2>"$TMP/err"
  rc=$?
  check "verify $f: exit 0" test "$rc" -eq 0
done
"$KYSO" verify "$TMP/big.p7s" --content "$TMP/big.bin" --trust "$P/root.pem" --revocation off --json \
  >"$TMP/v.json" 2>"$TMP/err"; rc=$?
check "--json: indication, signatures, signing time, signer" json "$TMP/v.json" \
  "d['indication']=='TOTAL-PASSED' and len(d['signatures'])==1 and
   d['signatures'][0]['indication']=='TOTAL-PASSED' and d['signatures'][0]['subindication'] is None and
   d['signatures'][0]['signing_time'] is not None and d['signatures'][0]['format']=='CAdES-B-B' and
   d['signatures'][0]['signer']['id_type']=='CCCD' and
   any(x['code']=='revocation-not-checked' for x in d['signatures'][0]['notes'])"

# --- kyso verifies OpenSSL's signatures
openssl cms -sign -cades -binary -outform DER -md sha256 -in "$DOC" \
  -signer "$P/teacher-rsa.cert.pem" -inkey "$P/teacher-rsa.key.pem" \
  -certfile "$P/teacher-rsa.chain.pem" -out "$TMP/ossl.p7s" 2>"$TMP/err"
"$KYSO" verify "$TMP/ossl.p7s" --content "$DOC" --trust "$P/root.pem" --revocation off >"$TMP/v.txt" 2>"$TMP/err"
rc=$?
check "verify openssl cms -sign -cades: TOTAL-PASSED, exit 0" \
  bash -c "[ $rc -eq 0 ] && grep -q 'TOTAL-PASSED' '$TMP/v.txt'"
openssl cms -sign -cades -binary -outform DER -md sha256 -in "$DOC" \
  -signer "$P/teacher-ec.cert.pem" -inkey "$P/teacher-ec.key.pem" \
  -certfile "$P/teacher-ec.chain.pem" -out "$TMP/ossl-ec.p7s" 2>"$TMP/err"
"$KYSO" verify "$TMP/ossl-ec.p7s" --content "$DOC" --trust "$P/root.pem" --revocation off >/dev/null 2>"$TMP/err"
rc=$?
check "verify openssl ECDSA signature: exit 0" test "$rc" -eq 0
# A signer certificate signed with SHA-1 (kyso refuses to sign with it;
# one made elsewhere is not trusted either).
openssl cms -sign -cades -binary -outform DER -md sha256 -in "$DOC" \
  -signer "$P/sha1-rsa.cert.pem" -inkey "$P/sha1-rsa.key.pem" \
  -certfile "$P/sha1-rsa.chain.pem" -out "$TMP/ossl-sha1.p7s" 2>"$TMP/err"
"$KYSO" verify "$TMP/ossl-sha1.p7s" --content "$DOC" --trust "$P/root.pem" --revocation off --json >"$TMP/sha1.json" 2>"$TMP/err"
rc=$?
check "signer certificate signed with SHA-1: INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE_NO_POE, exit 2" \
  bash -c "[ $rc -eq 2 ] && python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))[\"signatures\"][0]; sys.exit(0 if s[\"subindication\"]==\"CRYPTO_CONSTRAINTS_FAILURE_NO_POE\" and \"SHA1\" in s[\"detail\"].upper().replace(\"-\",\"\") else 1)' '$TMP/sha1.json'"

# --- altered content and altered signed attributes
cp "$DOC" "$TMP/altered.txt"
printf 'Điểm trung bình: 9.8\n' >>"$TMP/altered.txt"
for f in ossl principal-rsa tok-principal-ec; do
  "$KYSO" verify "$TMP/$f.p7s" --content "$TMP/altered.txt" --trust "$P/root.pem" --revocation off --lang en \
    >"$TMP/v.txt" 2>"$TMP/err"; rc=$?
  check "altered content ($f): TOTAL-FAILED HASH_FAILURE, exit 1" \
    bash -c "[ $rc -eq 1 ] && grep -q 'TOTAL-FAILED' '$TMP/v.txt' && grep -q 'HASH_FAILURE' '$TMP/v.txt'"
done
check "openssl also rejects the altered content" bash -c "! openssl cms -verify \
  -binary -inform DER -in '$TMP/ossl.p7s' -content '$TMP/altered.txt' -CAfile '$P/root.pem' -out /dev/null 2>/dev/null"
check "build a copy of openssl's .p7s with altered signed attributes" \
  flip_signing_time "$TMP/ossl.p7s" "$TMP/ossl-attr.p7s"
"$KYSO" verify "$TMP/ossl-attr.p7s" --content "$DOC" --trust "$P/root.pem" --revocation off --json \
  >"$TMP/v.json" 2>"$TMP/err"; rc=$?
check "altered signed attributes: TOTAL-FAILED SIG_CRYPTO_FAILURE, exit 1" \
  bash -c "[ $rc -eq 1 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); \
    sys.exit(0 if d[\"indication\"]==\"TOTAL-FAILED\" and d[\"signatures\"][0][\"subindication\"]==\"SIG_CRYPTO_FAILURE\" else 1)' '$TMP/v.json'"
check "openssl also rejects the altered signed attributes" \
  bash -c "! openssl cms -verify -binary -inform DER -in '$TMP/ossl-attr.p7s' -content '$DOC' \
    -CAfile '$P/root.pem' -out /dev/null 2>/dev/null"
flip_signing_time "$TMP/big.p7s" "$TMP/big-attr.p7s"
"$KYSO" verify "$TMP/big-attr.p7s" --content "$TMP/big.bin" --trust "$P/root.pem" --revocation off \
  >"$TMP/v.txt" 2>"$TMP/err"; rc=$?
check "altered signed attributes of kyso's .p7s: SIG_CRYPTO_FAILURE, exit 1" \
  bash -c "[ $rc -eq 1 ] && grep -q 'SIG_CRYPTO_FAILURE' '$TMP/v.txt'"

# --- trust anchors
"$KYSO" verify "$TMP/principal-rsa.p7s" --content "$DOC" >"$TMP/v.txt" 2>"$TMP/err"; rc=$?
check "no --trust: INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND, exit 2" \
  bash -c "[ $rc -eq 2 ] && grep -q 'INDETERMINATE' '$TMP/v.txt' && grep -q 'NO_CERTIFICATE_CHAIN_FOUND' '$TMP/v.txt'"
"$KYSO" verify "$TMP/principal-rsa.p7s" --content "$DOC" --trust "$P/lookalike-root.pem" \
  >"$TMP/v.txt" 2>"$TMP/err"; rc=$?
check "look-alike root: INDETERMINATE, exit 2" \
  bash -c "[ $rc -eq 2 ] && grep -q 'NO_CERTIFICATE_CHAIN_FOUND' '$TMP/v.txt'"
"$KYSO" verify "$TMP/principal-rsa.p7s" --content "$DOC" --trust "$TMP/missing.pem" \
  >/dev/null 2>"$TMP/err"; rc=$?
check "unreadable --trust: exit 3" test "$rc" -eq 3

# --- signing policy refusals: exit 3, a clear message, no output file
for spec in "expired-rsa:expired" "weak-rsa1024:RSA-1024" "nokeyusage-rsa:keyUsage" \
  "sha1-rsa:SHA-256 or stronger"; do
  ent=${spec%%:*}; word=${spec#*:}
  rm -f "$TMP/refused.p7s"
  "$KYSO" sign --in "$DOC" --out "$TMP/refused.p7s" --key-file "$P/$ent.key.pem" \
    --cert "$P/$ent.cert.pem" >/dev/null 2>"$TMP/err"; rc=$?
  check "refuse $ent: exit 3, message names '$word', no output" \
    bash -c "[ $rc -eq 3 ] && grep -q 'refused' '$TMP/err' && grep -q '$word' '$TMP/err' && [ ! -e '$TMP/refused.p7s' ]"
done
echo "previous" >"$TMP/keep.p7s"
"$KYSO" sign --in "$DOC" --out "$TMP/keep.p7s" --key-file "$P/expired-rsa.key.pem" \
  --cert "$P/expired-rsa.cert.pem" >/dev/null 2>&1
check "a refused signature leaves an existing output untouched" \
  bash -c "[ \"\$(cat '$TMP/keep.p7s')\" = previous ]"
ls -a "$TMP" | grep -q '\.tmp' && leftovers=yes || leftovers=no
check "no temporary files left behind" test "$leftovers" = no

# --- usage and formats
"$KYSO" sign --in "$DOC" --key-file "$P/principal-rsa.key.pem" --cert "$P/principal-rsa.cert.pem" \
  >/dev/null 2>"$TMP/err"; rc=$?
check "sign without --out: exit 3" test "$rc" -eq 3
"$KYSO" sign --in "$DOC" --out "$DOC" --key-file "$P/principal-rsa.key.pem" \
  --cert "$P/principal-rsa.cert.pem" >/dev/null 2>"$TMP/err"; rc=$?
check "sign refuses --out = --in (exit 3)" test "$rc" -eq 3
"$KYSO" sign --in "$DOC" --out "$TMP/x.p7s" --key "$KYSO_URI_PRINCIPAL_RSA" \
  --cert "$P/principal-rsa.cert.pem" >/dev/null 2>"$TMP/err"; rc=$?
check "--cert with a token key: exit 3" test "$rc" -eq 3
"$KYSO" sign --in "$DOC" --out "$TMP/x.p7s" --key "$P/principal-rsa.key.pem" >/dev/null 2>"$TMP/err"
rc=$?
check "--key without pkcs11: exit 3" bash -c "[ $rc -eq 3 ] && grep -q -- '--key-file' '$TMP/err'"
"$KYSO" sign --in "$DOC" --out "$TMP/x.p7s" --key-file "$P/principal-ec.key.pem" \
  --cert "$P/principal-ec.cert.pem" --pss >/dev/null 2>"$TMP/err"; rc=$?
check "--pss with an EC key: exit 3" test "$rc" -eq 3
cp "$DOC" "$TMP/hocba.pdf"
"$KYSO" sign --in "$TMP/hocba.pdf" --out "$TMP/hocba-signed.pdf" \
  --key-file "$P/principal-rsa.key.pem" --cert "$P/principal-rsa.cert.pem" >/dev/null 2>"$TMP/err"
rc=$?
check "format inferred from .pdf: a text file is refused as PDF, exit 3, no output" \
  bash -c "[ $rc -eq 3 ] && grep -qi 'pdf' '$TMP/err' && [ ! -e '$TMP/hocba-signed.pdf' ]"
"$KYSO" sign --format xml --in "$DOC" --out "$TMP/x.xml" --key-file "$P/principal-rsa.key.pem" \
  --cert "$P/principal-rsa.cert.pem" >/dev/null 2>"$TMP/err"; rc=$?
check "--format xml on a text file: refused as not XML, exit 3, no output" \
  bash -c "[ $rc -eq 3 ] && grep -q 'not an XML document' '$TMP/err' && [ ! -e '$TMP/x.xml' ]"
"$KYSO" sign --format cms --in "$DOC" --out "$TMP/x.p7s" --key-file "$P/principal-rsa.key.pem" \
  --cert "$P/principal-rsa.cert.pem" --visible 1,10,10,100,50 >/dev/null 2>"$TMP/err"; rc=$?
check "PDF-only option with cms: exit 3" test "$rc" -eq 3
"$KYSO" sign --in "$DOC" --out "$TMP/x.p7s" --key-file "$P/principal-rsa.key.pem" \
  --cert "$P/principal-rsa.cert.pem" --level B-T >/dev/null 2>"$TMP/err"; rc=$?
check "--level B-T: not available yet, exit 3" test "$rc" -eq 3
"$KYSO" sign --in "$DOC" --out "$TMP/x.p7s" --key-file "$P/principal-rsa.key.pem" \
  --cert "$P/principal-rsa.cert.pem" --md sha1 >/dev/null 2>"$TMP/err"; rc=$?
check "--md sha1 refused, exit 3" test "$rc" -eq 3

"$KYSO" verify "$TMP/principal-rsa.p7s" >/dev/null 2>"$TMP/err"; rc=$?
check "verify a detached signature without --content: exit 3" \
  bash -c "[ $rc -eq 3 ] && grep -q -- '--content' '$TMP/err'"
"$KYSO" verify "$TMP/principal-rsa.p7s" --content "$DOC" --lang fr >/dev/null 2>"$TMP/err"; rc=$?
check "verify --lang fr: exit 3" test "$rc" -eq 3
"$KYSO" verify "$TMP/nonexistent.p7s" --content "$DOC" >/dev/null 2>"$TMP/err"; rc=$?
check "verify a missing file: exit 3" test "$rc" -eq 3
head -c 700 "$TMP/principal-rsa.p7s" >"$TMP/trunc.p7s"
"$KYSO" verify "$TMP/trunc.p7s" --content "$DOC" --json >"$TMP/v.json" 2>"$TMP/err"; rc=$?
check "truncated .p7s: not a signed document (verdict not-signed, the reason given), exit 1" \
  bash -c "[ $rc -eq 1 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); \
    sys.exit(0 if d[\"verdict\"]==\"not-signed\" and d[\"signatures\"]==[] and \
    \"not a CMS signature\" in d[\"not_signed\"] else 1)' '$TMP/v.json'"
printf 'not a signature at all' >"$TMP/garbage.p7s"
"$KYSO" verify "$TMP/garbage.p7s" --content "$DOC" >"$TMP/v.txt" 2>"$TMP/err"; rc=$?
check "garbage .p7s: the report says it carries no signature, exit 1" \
  bash -c "[ $rc -eq 1 ] && head -1 '$TMP/v.txt' | grep -q 'KHÔNG CÓ CHỮ KÝ SỐ' && ! grep -q 'Chữ ký 1' '$TMP/v.txt'"
printf '%%PDF-1.7\n' >"$TMP/doc.pdf"
"$KYSO" verify "$TMP/doc.pdf" >/dev/null 2>"$TMP/err"; rc=$?
check "verify a PDF without signatures: dispatched to PAdES, TOTAL-FAILED, exit 1" \
  test "$rc" -eq 1
openssl cms -sign -cades -binary -nodetach -outform DER -md sha256 -in "$DOC" \
  -signer "$P/teacher-rsa.cert.pem" -inkey "$P/teacher-rsa.key.pem" \
  -certfile "$P/teacher-rsa.chain.pem" -out "$TMP/attached.p7s" 2>"$TMP/err"
"$KYSO" verify "$TMP/attached.p7s" --trust "$P/root.pem" --revocation off >/dev/null 2>"$TMP/err"; rc=$?
check "signature with its content inside: exit 0 without --content" test "$rc" -eq 0

echo "1..$n"
