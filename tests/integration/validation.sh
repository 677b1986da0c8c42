#!/usr/bin/env bash
# The validation engine against real revocation peers on 127.0.0.1
# (OpenSSL's OCSP responder for each test CA, the CRLs over HTTP, started
# here and stopped by PID through tests/lib/pki_services.sh), for PDF and
# CAdES: a good signer passes with the OCSP answer named; a revoked one
# fails REVOKED; the CRL stands in for a responder that is down; nothing
# reachable gives INDETERMINATE / TRY_LATER, and the cache then answers
# offline; forged, replayed, stale and foreign answers are each rejected
# with their reason.  The check before signing: a revoked certificate
# never signs, responders down sign under prefer (said) and refuse under
# require, the TSA's and the OCSP responder's keys never sign documents,
# and a document signed with one elsewhere (openssl cms) does not pass.
# And the document's verdict: an annotation drawn after signing is
# "changed" (exit 4), never "authentic" (exit 0).
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
P=${KYSO_PKI_DIR:-$ROOT/build/pki}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
TMP=$(mktemp -d)
# shellcheck source=tests/lib/pki_services.sh
. "$ROOT/tests/lib/pki_services.sh"
cleanup() {
  pki_services_cleanup
  if [ -n "${KEEP:-}" ]; then echo "# kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP PIPE

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

if [ ! -f "$P/ca/public/index.txt" ]; then
  notok "test PKI present" "run make pki"
  echo "1..$n"
  exit 1
fi
key() { echo --key-file "$P/$1.key.pem" --cert "$P/$1.cert.pem" --chain "$P/$1.chain.pem"; }
ANCHORS=(--trust "$P/root.pem")

# verify NAME FILE [OPTIONS...]: JSON report in $TMP/NAME.json, exit
# status in $TMP/NAME.rc, one line per signature in $TMP/NAME.flat
# (indication subindication revocation-status revocation-source).
verify() {
  local name=$1 file=$2
  shift 2
  "$KYSO" verify "$file" --json "${ANCHORS[@]}" "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"
  echo $? >"$TMP/$name.rc"
  "$PY" - "$TMP/$name.json" >"$TMP/$name.flat" 2>/dev/null <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("verdict", d.get("verdict"))
for s in d["signatures"]:
    r = s.get("revocation") or {}
    print(s["indication"], s.get("subindication") or "-", r.get("status", "-"),
          r.get("source") or "-")
PYEOF
}
# expect TEST NAME RC "FIRST-SIGNATURE-LINE" [GREP-IN-JSON]
expect() {
  local test=$1 name=$2 rc=$3 line=$4 pat=${5:-} got
  got=$(sed -n 2p "$TMP/$name.flat")
  if [ "$(cat "$TMP/$name.rc")" = "$rc" ] && [ "$got" = "$line" ] &&
    { [ -z "$pat" ] || grep -q -- "$pat" "$TMP/$name.json"; }; then
    ok "$test"
  else
    notok "$test" "exit $(cat "$TMP/$name.rc"), got '$got', want '$line' ${pat:+and '$pat'}" \
      "$(head -c 2000 "$TMP/$name.json" "$TMP/$name.err")"
  fi
}

# ---- documents (signed while the responders answer) ----
pki_services_up || { notok "revocation peers start"; echo "1..$n"; exit 1; }
pki_all_up || { notok "revocation peers on 127.0.0.1:18080-18082"; echo "1..$n"; exit 1; }
cp "$ROOT/docs/examples/hocba.pdf" "$TMP/hocba.pdf"
printf 'Sổ điểm lớp 12A3, học kỳ I\n' >"$TMP/record.txt"
SC=$(pki_cache sign)
# shellcheck disable=SC2046
if "$KYSO" sign --in "$TMP/hocba.pdf" --out "$TMP/good.pdf" $(key teacher-rsa) --cache "$SC" \
  >"$TMP/sign-good.err" 2>&1 &&
  "$KYSO" sign --in "$TMP/record.txt" --out "$TMP/good.p7s" $(key teacher-rsa) --cache "$SC" \
    >"$TMP/sign-good-cms.err" 2>&1 &&
  grep -q 'certificate check (revocation prefer): .*revocation checked: good per ocsp' "$TMP/sign-good.err"; then
  ok "a good signer signs PDF and CAdES; the report says the revocation check passed"
else
  notok "a good signer signs PDF and CAdES; the report says the revocation check passed" \
    "$(cat "$TMP/sign-good.err" "$TMP/sign-good-cms.err")"
fi

# shellcheck disable=SC2046
"$KYSO" sign --in "$TMP/hocba.pdf" --out "$TMP/revoked.pdf" $(key revoked-rsa) --cache "$SC" \
  >"$TMP/sign-revoked.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && [ ! -e "$TMP/revoked.pdf" ] && grep -qi 'revoked' "$TMP/sign-revoked.out"; then
  ok "the revoked certificate is refused before signing; no output file"
else
  notok "the revoked certificate is refused before signing; no output file" "exit $rc" \
    "$(cat "$TMP/sign-revoked.out")"
fi
# The same documents signed with the revocation check off, to verify.
# shellcheck disable=SC2046
"$KYSO" sign --in "$TMP/hocba.pdf" --out "$TMP/revoked.pdf" $(key revoked-rsa) --revocation off \
  2>/dev/null &&
  "$KYSO" sign --in "$TMP/record.txt" --out "$TMP/revoked.p7s" $(key revoked-rsa) \
    --revocation off 2>/dev/null
[ -s "$TMP/revoked.pdf" ] && [ -s "$TMP/revoked.p7s" ] || notok "signing with --revocation off"

for k in tsa-rsa ocsp-public; do
  # shellcheck disable=SC2046
  "$KYSO" sign --in "$TMP/record.txt" --out "$TMP/$k.p7s" $(key $k) --cache "$SC" \
    >"$TMP/sign-$k.out" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ] && [ ! -e "$TMP/$k.p7s" ] && grep -qi 'document' "$TMP/sign-$k.out"; then
    ok "the $k key never signs a document (extended key usage); no output"
  else
    notok "the $k key never signs a document (extended key usage); no output" "exit $rc" \
      "$(cat "$TMP/sign-$k.out")"
  fi
  openssl cms -sign -binary -md sha256 -in "$TMP/record.txt" -signer "$P/$k.cert.pem" \
    -inkey "$P/$k.key.pem" -certfile "$P/$k.chain.pem" -outform DER \
    -out "$TMP/$k-openssl.p7s" 2>/dev/null
  verify "eku-$k" "$TMP/$k-openssl.p7s" --content "$TMP/record.txt" --cache "$(pki_cache "eku-$k")"
  expect "a signature made by the $k key with openssl cms does not pass" "eku-$k" 2 \
    "INDETERMINATE CHAIN_CONSTRAINTS_FAILURE - -" "may not sign documents"
done

# Intermediates from a configured place: a signature that carries only
# its signer's certificate.
openssl cms -sign -binary -md sha256 -in "$TMP/record.txt" -signer "$P/teacher-rsa.cert.pem" \
  -inkey "$P/teacher-rsa.key.pem" -outform DER -out "$TMP/leaf-only.p7s" 2>/dev/null
verify leafonly "$TMP/leaf-only.p7s" --content "$TMP/record.txt" --revocation off
expect "a signature without its CA certificate: no path to the anchor" leafonly 2 \
  "INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND - -"
verify leafinter "$TMP/leaf-only.p7s" --content "$TMP/record.txt" --revocation off \
  --intermediates "$P/cas.pem"
expect "... with --intermediates naming the CA certificates: PASSED" leafinter 0 \
  "TOTAL-PASSED - - -"

# ---- verification, PDF and CAdES ----
for f in pdf p7s; do
  content=()
  [ $f = p7s ] && content=(--content "$TMP/record.txt")
  C=$(pki_cache "good-$f")
  verify "good-$f" "$TMP/good.$f" "${content[@]}" --cache "$C"
  expect "$f: good signer PASSED, the OCSP answer named" "good-$f" 0 \
    "TOTAL-PASSED - good ocsp-url" "127.0.0.1:18081"
  if "$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["signatures"][0]
sys.exit(0 if s["chain"][1:] == ["Test Public CA", "Test National Root CA"] else 1)' "$TMP/good-$f.json"; then
    ok "$f: the validated path named, signer to trusted root"
  else
    notok "$f: the validated path named, signer to trusted root" "$(grep -A5 '"chain"' "$TMP/good-$f.json")"
  fi
  if grep -q '"verdict": "authentic"' "$TMP/good-$f.json"; then
    ok "$f: verdict authentic"
  else
    notok "$f: verdict authentic" "$(head -c 600 "$TMP/good-$f.json")"
  fi
  verify "revoked-$f" "$TMP/revoked.$f" "${content[@]}" --cache "$(pki_cache "revoked-$f")"
  expect "$f: revoked signer TOTAL-FAILED / REVOKED" "revoked-$f" 1 \
    "TOTAL-FAILED REVOKED revoked ocsp-url"
  verify "off-$f" "$TMP/revoked.$f" "${content[@]}" --revocation off
  expect "$f: --revocation off says so (and cannot see the revocation)" "off-$f" 0 \
    "TOTAL-PASSED - - -" "revocation-off"
done

pki_stop 18081
for f in pdf p7s; do
  content=()
  [ $f = p7s ] && content=(--content "$TMP/record.txt")
  verify "crl-$f" "$TMP/good.$f" "${content[@]}" --cache "$(pki_cache "crl-$f")"
  expect "$f: OCSP down, a fresh CRL reachable: PASSED via the CRL" "crl-$f" 0 \
    "TOTAL-PASSED - good crl-url"
done
pki_stop 18080
for f in pdf p7s; do
  content=()
  [ $f = p7s ] && content=(--content "$TMP/record.txt")
  verify "down-$f" "$TMP/good.$f" "${content[@]}" --cache "$(pki_cache "down-$f")"
  expect "$f: OCSP and CRL down: INDETERMINATE / TRY_LATER, not PASSED" "down-$f" 2 \
    "INDETERMINATE TRY_LATER unavailable -"
  verify "offline-$f" "$TMP/good.$f" "${content[@]}" --cache "$TMP/cache-good-$f" --offline
  expect "$f: --offline with a fresh answer in the cache: PASSED from the cache" "offline-$f" 0 \
    "TOTAL-PASSED - good cache"
done

# Signing with the responders down.
# shellcheck disable=SC2046
"$KYSO" sign --in "$TMP/hocba.pdf" --out "$TMP/prefer.pdf" $(key teacher-rsa) \
  --cache "$(pki_cache prefer)" >"$TMP/prefer.err" 2>&1
rc=$?
if [ "$rc" = 0 ] && [ -s "$TMP/prefer.pdf" ] && grep -q 'REVOCATION NOT CONFIRMED' "$TMP/prefer.err"; then
  ok "responders down: signs under prefer, and says the revocation was not confirmed"
else
  notok "responders down: signs under prefer, and says so" "exit $rc" "$(cat "$TMP/prefer.err")"
fi
# shellcheck disable=SC2046
"$KYSO" sign --in "$TMP/hocba.pdf" --out "$TMP/require.pdf" $(key teacher-rsa) \
  --revocation require --cache "$(pki_cache require)" >"$TMP/require.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && [ ! -e "$TMP/require.pdf" ] && grep -qi 'refused' "$TMP/require.out"; then
  ok "responders down: refuses under require; no output file"
else
  notok "responders down: refuses under require; no output file" "exit $rc" "$(cat "$TMP/require.out")"
fi

# ---- answers that must not be believed (CRLs down: nothing to fall back on) ----
pki_ocsp_public "$P/principal-rsa.cert.pem" "$P/principal-rsa.key.pem"
verify unauth "$TMP/good.pdf" --cache "$(pki_cache unauth)"
expect "an OCSP answer signed by an unauthorised certificate is rejected with its reason" unauth 2 \
  "INDETERMINATE CERTIFICATE_CHAIN_GENERAL_FAILURE unavailable -" "did not certify"
pki_stop 18081
# A genuine answer to another request (its own nonce), replayed.
pki_ocsp_public
openssl ocsp -issuer "$P/public-ca.pem" -cert "$P/teacher-rsa.cert.pem" \
  -url http://127.0.0.1:18081 -noverify -respout "$TMP/replayed.der" >/dev/null 2>&1
pki_stop 18081
pki_start 18081 replay "$TMP/replayed.der"
verify nonce "$TMP/good.p7s" --content "$TMP/record.txt" --cache "$(pki_cache nonce)"
expect "a replayed OCSP answer (wrong nonce) is rejected with its reason" nonce 2 \
  "INDETERMINATE CERTIFICATE_CHAIN_GENERAL_FAILURE unavailable -" "nonce"
pki_stop 18081
pki_ocsp_public
verify stale "$TMP/good.pdf" --cache "$(pki_cache stale)" \
  --at "$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)"
expect "an answer whose nextUpdate is before the validation time: REVOCATION_OUT_OF_BOUNDS_NO_POE" \
  stale 2 "INDETERMINATE REVOCATION_OUT_OF_BOUNDS_NO_POE unavailable -" "nextUpdate was"
pki_stop 18081
mkdir -p "$TMP/www-other/crl"
cp "$P/crl/gov-ca.crl.der" "$TMP/www-other/crl/public-ca.crl.der"
pki_crls "$TMP/www-other"
verify otherca "$TMP/good.p7s" --content "$TMP/record.txt" --cache "$(pki_cache otherca)"
expect "a CRL at the distribution point signed by another CA is rejected with its reason" otherca 2 \
  "INDETERMINATE CERTIFICATE_CHAIN_GENERAL_FAILURE unavailable -" "not by the certificate.s issuer"
pki_stop 18080

# ---- long-term validation: B-T, B-LT, B-LTA, then the network gone and
# the validation time moved past the certificates' expiry ----
pki_all_up
pki_tsa_start || notok "the built-in TSA starts"
LC=$(pki_cache ltv)
LATER=$(date -u -d "$(openssl x509 -in "$P/teacher-rsa.cert.pem" -noout -enddate | cut -d= -f2) + 30 days" +%Y-%m-%dT%H:%M:%SZ)
for lv in B-B B-T B-LT B-LTA; do
  # shellcheck disable=SC2046
  "$KYSO" sign --in "$TMP/hocba.pdf" --out "$TMP/$lv.pdf" $(key teacher-rsa) --level "$lv" \
    --tsa "$PKI_TSA_URL" --trust "$P/root.pem" --cache "$LC" >"$TMP/sign-$lv.log" 2>&1 &&
    # shellcheck disable=SC2046
    "$KYSO" sign --in "$TMP/record.txt" --out "$TMP/$lv.p7s" $(key teacher-rsa) --level "$lv" \
      --tsa "$PKI_TSA_URL" --trust "$P/root.pem" --cache "$LC" >>"$TMP/sign-$lv.log" 2>&1 ||
    notok "signing at $lv" "$(cat "$TMP/sign-$lv.log")"
done
for lv in B-T B-LT B-LTA; do
  for f in pdf p7s; do
    content=()
    [ $f = p7s ] && content=(--content "$TMP/record.txt")
    # B-T asks the responder; B-LT and B-LTA answer from what they carry.
    src=document
    [ $lv = B-T ] && src=ocsp-url
    verify "now-$lv-$f" "$TMP/$lv.$f" "${content[@]}" --cache "$(pki_cache "now-$lv-$f")"
    expect "$f $lv: PASSED, the signing time proven by a timestamp, revocation from the $src" \
      "now-$lv-$f" 0 "TOTAL-PASSED - good $src" '"proof_of_existence"'
    if [ $lv = B-T ]; then
      if grep -q '"proves_signing_time": true' "$TMP/now-$lv-$f.json" &&
        grep -q '"tsa": "' "$TMP/now-$lv-$f.json"; then
        ok "$f B-T: the report lists the timestamp, its TSA and its own result"
      else
        notok "$f B-T: the report lists the timestamp" "$(head -c 1500 "$TMP/now-$lv-$f.json")"
      fi
    fi
  done
done
pki_tsa_stop
pki_all_down
for lv in B-LT B-LTA; do
  for f in pdf p7s; do
    content=()
    [ $f = p7s ] && content=(--content "$TMP/record.txt")
    verify "later-$lv-$f" "$TMP/$lv.$f" "${content[@]}" --cache "$(pki_cache "later-$lv-$f")" \
      --at "$LATER"
    expect "$f $lv: responders stopped, validated after the certificates expired: still PASSED from what the document carries" \
      "later-$lv-$f" 0 "TOTAL-PASSED - good document" "expired-after-poe"
  done
done
for lv in B-B B-T; do
  for f in pdf p7s; do
    content=()
    [ $f = p7s ] && content=(--content "$TMP/record.txt")
    verify "later-$lv-$f" "$TMP/$lv.$f" "${content[@]}" --cache "$(pki_cache "later-$lv-$f")" \
      --at "$LATER"
    if [ "$(cat "$TMP/later-$lv-$f.rc")" != 0 ] && ! grep -q '"verdict": "authentic"' "$TMP/later-$lv-$f.json"; then
      ok "$f $lv (no validation data${lv:+, $lv}): after expiry and without responders, not PASSED ($(sed -n 2p "$TMP/later-$lv-$f.flat"))"
    else
      notok "$f $lv: after expiry and without responders, not PASSED" "$(head -c 1500 "$TMP/later-$lv-$f.json")"
    fi
  done
done

# ---- the verdict of a changed document ----
pki_all_up
"$PY" "$ROOT/tests/integration/pades_attack.py" add-annotation "$TMP/good.pdf" "$TMP/annot.pdf"
verify annot "$TMP/annot.pdf" --cache "$(pki_cache annot)"
if [ "$(cat "$TMP/annot.rc")" = 4 ] && grep -q '"verdict": "changed"' "$TMP/annot.json" &&
  grep -q '"what": "annotation"' "$TMP/annot.json"; then
  ok "an annotation drawn after signing: verdict changed (exit 4), the change listed"
else
  notok "an annotation drawn after signing: verdict changed (exit 4)" "exit $(cat "$TMP/annot.rc")" \
    "$(head -c 1500 "$TMP/annot.json")"
fi
"$KYSO" verify "$TMP/annot.pdf" "${ANCHORS[@]}" --cache "$TMP/cache-annot" >"$TMP/annot.txt" 2>&1
if head -1 "$TMP/annot.txt" | grep -q '^KẾT LUẬN: CÓ THAY ĐỔI SAU KHI KÝ'; then
  ok "the Vietnamese report leads with 'changed after signing'"
else
  notok "the Vietnamese report leads with 'changed after signing'" "$(head -3 "$TMP/annot.txt")"
fi
"$KYSO" verify "$ROOT/docs/examples/hocba.pdf" "${ANCHORS[@]}" --lang en >"$TMP/unsigned.txt" 2>&1
rc=$?
if [ "$rc" = 1 ] && head -1 "$TMP/unsigned.txt" | grep -q 'NOT SIGNED'; then
  ok "an unsigned PDF: the report says plainly it has no signature (exit 1)"
else
  notok "an unsigned PDF says it has no signature" "exit $rc" "$(head -5 "$TMP/unsigned.txt")"
fi
"$KYSO" verify "$TMP/record.txt" "${ANCHORS[@]}" >"$TMP/notsig.txt" 2>&1
rc=$?
if [ "$rc" = 1 ] && head -1 "$TMP/notsig.txt" | grep -q 'KHÔNG CÓ CHỮ KÝ SỐ' &&
  ! grep -q 'Chữ ký 1' "$TMP/notsig.txt"; then
  ok "a file that is not a signed document is not reported as a broken signature"
else
  notok "a file that is not a signed document is not reported as a broken signature" "exit $rc" \
    "$(head -8 "$TMP/notsig.txt")"
fi
printf 'changes-after-signing = fail\n' >"$TMP/strict.policy"
verify strict "$TMP/annot.pdf" --cache "$TMP/cache-annot" --policy "$TMP/strict.policy"
if [ "$(cat "$TMP/strict.rc")" = 1 ] && grep -q '"verdict": "not-authentic"' "$TMP/strict.json" &&
  grep -q '"policy": "strict.policy"' "$TMP/strict.json"; then
  ok "a policy file that fails permitted changes makes the annotated copy not authentic"
else
  notok "a policy file that fails permitted changes" "exit $(cat "$TMP/strict.rc")" \
    "$(head -c 800 "$TMP/strict.json")"
fi
printf 'revocation = sometimes\n' >"$TMP/bad.policy"
"$KYSO" verify "$TMP/good.pdf" "${ANCHORS[@]}" --policy "$TMP/bad.policy" >/dev/null 2>"$TMP/bad.err"
rc=$?
if [ "$rc" = 3 ] && grep -q "line 1: unknown level 'sometimes'" "$TMP/bad.err"; then
  ok "a policy file with an unknown level is refused, naming the line (exit 3)"
else
  notok "a policy file with an unknown level is refused" "exit $rc" "$(cat "$TMP/bad.err")"
fi
pki_all_down

echo "1..$n"
