#!/usr/bin/env bash
# kyso serve end to end: the daemon on a random 127.0.0.1 port with the
# SoftHSM2 tokens, driven by curl; a separate process (pkcs11-tool on the
# principal's token) makes the two-phase signatures.  Covers the
# endpoints, the refusals (problem+json throughout), the audit log and
# its proofs, and the SIGTERM drain.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
if [ -z "${SOFTHSM2_CONF:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$ROOT/build/pki/env.sh"
fi
P=${KYSO_PKI_DIR:-$ROOT/build/pki}
# shellcheck source=tests/lib/serve.sh
. "$ROOT/tests/lib/serve.sh"
TMP=$(mktemp -d)
cleanup() {
  [ -n "${KYSO_SERVE_PID:-}" ] && kill -KILL "$KYSO_SERVE_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
unset KYSO_KEY_PASS http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export KYSO_PIN=$KYSO_TEST_PIN KYSO_LOG=info

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { # name, command...
  local name=$1; shift
  if "$@"; then ok "$name"; else notok "$name" "$(head -c 800 "$TMP/body" 2>/dev/null)"; fi
}
# Python without a version manager's shim (it starts faster).
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
# A string or number member of a compact JSON object: jget FILE NAME
jget() { sed -n 's/.*"'"$2"'":"\{0,1\}\([^",}]*\).*/\1/p' "$1" | head -1; }
# The base64 member "document" of a JSON answer, decoded: unjson IN OUT
unjson() { $PY -c 'import json,sys,base64; open(sys.argv[2],"wb").write(base64.b64decode(json.load(open(sys.argv[1]))["document"]))' "$1" "$2" 2>/dev/null; }
# A problem body with this code, status and the request id of the answer.
problem() { # code status
  [ "$(cat "$TMP/ctype")" = "application/problem+json" ] &&
    [ "$(jget "$TMP/body" type)" = "urn:kyso:problem:$1" ] &&
    [ "$(jget "$TMP/body" status)" = "$2" ] &&
    [ -n "$(jget "$TMP/body" request_id)" ] &&
    grep -qi "^x-request-id: $(jget "$TMP/body" request_id)" "$TMP/headers"
}
# req METHOD PATH [curl args...]: status in $TMP/code, body, headers, type
req() {
  local m=$1 path=$2; shift 2
  curl -s -X "$m" -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}\n%{content_type}' "$@" \
    "$URL$path" >"$TMP/out"
  head -1 "$TMP/out" >"$TMP/code"
  tail -1 "$TMP/out" >"$TMP/ctype"
}
code() { cat "$TMP/code"; }
is() { [ "$(code)" = "$1" ]; }
b64() { base64 -w0 "$1"; }
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

STATE=$TMP/var
mkdir -p "$STATE/activation"
# The principal's activation key: held by the principal, never by the
# platform; the service knows its public half.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/holder.key" 2>/dev/null
openssl pkey -in "$TMP/holder.key" -pubout -out "$STATE/activation/principal.pub.pem" 2>/dev/null
CONF=$TMP/kyso.conf
cat >"$CONF" <<EOF
# the demo keys (defaults) with small limits for the test
[server]
threads = 4
max-body = 1M
drain = 15
openapi = $ROOT/docs/openapi.yaml
# curl stands in for a reverse proxy on the same host
trusted-proxies = 127.0.0.1
[state]
dir = $STATE
[signing]
prepared-ttl = 5
# the test PKI's OCSP and CRL peers are not running here
revocation = off
[verify]
trust = $P/root.pem
revocation = off
rate = 1
burst = 4
EOF

PDF=$ROOT/docs/examples/hocba.pdf
XML=$ROOT/docs/examples/hocba.xml
CSV=$TMP/so-diem.csv
printf 'Họ và tên,Toán,Văn\nNguyễn Văn An,9.5,8.0\n' >"$CSV"

if kyso_serve_start "$KYSO" "$CONF" "$TMP/serve.log" 2>"$TMP/body"; then
  ok "kyso serve starts on 127.0.0.1 at a free port ($KYSO_SERVE_URL)"
else
  notok "kyso serve starts" "$(cat "$TMP/body")"
  echo "1..$n"
  exit 1
fi
URL=$KYSO_SERVE_URL
SERVE_PID=$KYSO_SERVE_PID

# --- clients
TOK=$("$KYSO" client add platform --grant seal --grant principal --ops sign,prepare,timestamp \
  --config "$CONF" 2>"$TMP/body")
check "kyso client add prints a token once" bash -c "[[ '$TOK' == kyso_* ]]"
# a key granted by its PKCS#11 URI as configured (the demo's seal)
TOK2=$("$KYSO" client add other --grant 'pkcs11:token=school-seal;object=tok-seal-rsa;type=private' \
  --ops sign,prepare --config "$CONF" 2>/dev/null)
TOKV=$("$KYSO" client add checker --ops verify --config "$CONF" 2>/dev/null)
"$KYSO" client list --config "$CONF" >"$TMP/body" 2>&1
check "kyso client list shows the clients, not their tokens" \
  bash -c "grep -q '^platform ' '$TMP/body' && grep -q 'ops sign,prepare,timestamp' '$TMP/body' &&
    ! grep -q '${TOK#kyso_*_}' '$TMP/body'"
$PY - "$STATE/kyso.db" "${TOK#kyso_*_}" >"$TMP/body" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
dump = "\n".join(str(r) for r in db.execute("select * from clients"))
print("secret stored" if sys.argv[2] in dump else "hash only")
PY
check "the store keeps only a hash of the token" grep -q 'hash only' "$TMP/body"
AUTH=(-H "Authorization: Bearer $TOK")
"$KYSO" client list --config "$CONF" >"$TMP/client-list" 2>&1
req POST "/v1/sign?key=seal" -H "Authorization: Bearer $TOK2" -H 'Content-Type: application/pdf' \
  --data-binary @"$PDF"
check "a key granted by its URI is granted by name: listed as seal, and it signs (200)" \
  bash -c "grep -qE '^other .* keys seal$' '$TMP/client-list' && [ $(code) = 200 ]"

# --- public endpoints
req GET /healthz
check "GET /healthz: 200, storage and every token key ok" \
  bash -c "[ $(code) = 200 ] && grep -q '\"storage\":\"ok\"' '$TMP/body' && grep -q '\"seal\":\"ok\"' '$TMP/body'"
check "GET /healthz: the days each certificate has left" \
  grep -qE '"certificate_days":\{[^}]*"seal":[1-9][0-9]*' "$TMP/body"
# the maintenance switch: a load balancer drains the instance, the API
# still answers the requests that reach it
touch "$STATE/maintenance"
req GET /healthz
check "the maintenance file: /healthz 503 with status maintenance" \
  bash -c "[ $(code) = 503 ] && grep -q '\"status\":\"maintenance\"' '$TMP/body'"
req GET /v1/keys
check "in maintenance the API keeps working (GET /v1/keys 200)" is 200
rm -f "$STATE/maintenance"
req GET /healthz
check "the maintenance file gone: /healthz 200 again" is 200
req GET /v1/keys
check "GET /v1/keys lists the keys, personal ones marked" \
  bash -c "[ $(code) = 200 ] && grep -q '\"name\":\"principal\",\"personal\":true' '$TMP/body' &&
    grep -q 'Chu Văn An' '$TMP/body'"
req GET /v1/openapi.yaml
check "GET /v1/openapi.yaml serves docs/openapi.yaml" \
  bash -c "[ $(code) = 200 ] && cmp -s '$TMP/body' '$ROOT/docs/openapi.yaml'"
req GET /v1/nothing
check "unknown path: 404 problem" problem not-found 404
req GET /v1/sign
allow_post() { problem method-not-allowed 405 && grep -qi '^allow: POST' "$TMP/headers"; }
check "GET on a POST endpoint: 405 problem with Allow" allow_post

# --- sign: authentication and grants
req POST "/v1/sign?key=seal" -H 'Content-Type: application/pdf' --data-binary @"$PDF"
check "sign without a token: 401 problem" problem unauthorized 401
req POST "/v1/sign?key=seal" -H 'Authorization: Bearer kyso_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' \
  -H 'Content-Type: application/pdf' --data-binary @"$PDF"
check "sign with an unknown token: 401 problem" problem unauthorized 401
req POST "/v1/sign?key=seal-ec" "${AUTH[@]}" -H 'Content-Type: application/pdf' --data-binary @"$PDF"
check "sign with a key not granted: 403 forbidden-key" problem forbidden-key 403
req POST /v1/timestamp -H "Authorization: Bearer $TOK2" -H 'Content-Type: application/timestamp-query' \
  --data-binary @"$CSV"
check "an operation not granted: 403 forbidden-operation" problem forbidden-operation 403
req POST "/v1/sign?key=nosuch" "${AUTH[@]}" -H 'Content-Type: application/pdf' --data-binary @"$PDF"
check "an unknown key: 404 unknown-key" problem unknown-key 404

# --- sign and verify round trips
req POST "/v1/sign?key=seal&reason=X%C3%A1c%20nh%E1%BA%ADn" "${AUTH[@]}" -H 'Content-Type: application/pdf' \
  --data-binary @"$PDF"
cp "$TMP/body" "$TMP/signed.pdf"
check "PDF raw body: 200 application/pdf" bash -c "[ $(code) = 200 ] && [ '$(cat "$TMP/ctype")' = application/pdf ]"
"$KYSO" verify "$TMP/signed.pdf" --trust "$P/root.pem" --revocation off >"$TMP/v.txt" 2>&1
check "the signed PDF verifies with kyso verify (TOTAL-PASSED)" test $? = 0
qpdf --check "$TMP/signed.pdf" >/dev/null 2>&1
check "qpdf --check accepts the signed PDF" test $? -le 3
# the row names the document and the signed document by their SHA-256
# (the second continues the first's hash: it must still be the file's)
$PY - "$STATE/kyso.db" "$(sha256sum "$PDF" | cut -d' ' -f1)" "$(sha256sum "$TMP/signed.pdf" | cut -d' ' -f1)" \
  >"$TMP/body" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = [json.loads(bytes(r[0])) for r in db.execute("select entry from audit")]
hit = [e for e in rows if e.get("op") == "sign" and e.get("digest") == sys.argv[2]]
print("match" if hit and hit[-1].get("signed") == sys.argv[3] else "no match: %r" % hit[-1:])
PY
check "the audit row: the document's digest and the signed document's" grep -q '^match' "$TMP/body"
req POST /v1/verify -H "Authorization: Bearer $TOKV" -H 'Content-Type: application/pdf' --data-binary @"$TMP/signed.pdf"
check "POST /v1/verify: the CLI's JSON report, TOTAL-PASSED" \
  bash -c "[ $(code) = 200 ] && grep -q '^  \"indication\": \"TOTAL-PASSED\"' '$TMP/body'"

req POST "/v1/sign?key=seal" "${AUTH[@]}" -H 'Content-Type: application/xml' --data-binary @"$XML"
cp "$TMP/body" "$TMP/signed.xml"
check "XML raw body: 200 application/xml, an XAdES signature" \
  bash -c "[ $(code) = 200 ] && [ '$(cat "$TMP/ctype")' = application/xml ] && grep -q SignedProperties '$TMP/signed.xml'"
"$KYSO" verify "$TMP/signed.xml" --trust "$P/root.pem" --revocation off >"$TMP/v.txt" 2>&1
check "the signed XML verifies with kyso verify" test $? = 0

printf '{"key":"seal","format":"cms","document":"%s"}' "$(b64 "$CSV")" >"$TMP/req.json"
req POST /v1/sign "${AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$TMP/req.json"
unjson "$TMP/body" "$TMP/csv.p7s"
check "CAdES through JSON with base64: 200, the signature in 'document'" \
  bash -c "[ $(code) = 200 ] && [ '$(jget "$TMP/body" format)' = cms ] && [ -s '$TMP/csv.p7s' ]"
openssl cms -verify -binary -inform DER -in "$TMP/csv.p7s" -content "$CSV" -CAfile "$P/root.pem" \
  -purpose any -out /dev/null >/dev/null 2>&1
check "openssl cms -verify accepts the detached CAdES signature" test $? = 0
req POST /v1/verify -H "Authorization: Bearer $TOKV" -F "document=@$TMP/csv.p7s" -F "content=@$CSV"
check "verify a detached signature through multipart (document + content): TOTAL-PASSED" \
  bash -c "[ $(code) = 200 ] && grep -q '\"indication\": \"TOTAL-PASSED\"' '$TMP/body'"

req POST /v1/sign "${AUTH[@]}" -F key=seal -F "role=Hiệu trưởng" -F "document=@$PDF;type=application/pdf"
cp "$TMP/body" "$TMP/signed-mp.pdf"
"$KYSO" verify "$TMP/signed-mp.pdf" --trust "$P/root.pem" --revocation off >/dev/null 2>&1
mp_verified=$?
check "a browser form (multipart) signs a PDF that verifies" bash -c "[ $(code) = 200 ] && [ $mp_verified = 0 ]"
req POST /v1/verify -H "Authorization: Bearer $TOKV" -H 'Content-Type: application/octet-stream' \
  --data-binary @"$TMP/csv.p7s"
needs_content() { problem bad-parameter 400 && grep -qF "'content'" "$TMP/body"; }
check "verify a detached signature without its file: 400 bad-parameter asking for 'content'" \
  needs_content
# a DER SEQUENCE that is no signature: the report says why, in kyso's
# words; OpenSSL's error strings stay in the log
printf '\x30\x03\x02\x01\x00' >"$TMP/notcms.der"
req POST /v1/verify -H "Authorization: Bearer $TOKV" -H 'Content-Type: application/octet-stream' \
  --data-binary @"$TMP/notcms.der"
not_cms() {
  is 200 && grep -q '"not_signed": "not a CMS signature' "$TMP/body" &&
    ! grep -qiE 'openssl|error:[0-9A-F]{8}' "$TMP/body"
}
check "verify of a DER that is not CMS: 200, not signed, no OpenSSL error string in the report" \
  not_cms

# the signing options as query parameters: a visible signature on page
# 1, a certification (no changes allowed), a reason; kyso verify reports
# what was asked
req POST "/v1/sign?key=seal&visible=1,40,40,220,60&certify=1&reason=H%E1%BB%8Dc%20b%E1%BA%A1%20cu%E1%BB%91i%20n%C4%83m" \
  "${AUTH[@]}" -H 'Content-Type: application/pdf' --data-binary @"$PDF"
cp "$TMP/body" "$TMP/opts.pdf"
"$KYSO" verify "$TMP/opts.pdf" --trust "$P/root.pem" --revocation off --json --lang en >"$TMP/opts.json" 2>&1
opts_ok() {
  is 200 && $PY - "$TMP/opts.json" "$TMP/opts.pdf" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
pdf = open(sys.argv[2], "rb").read()
reason = "<FEFF" + "Học bạ cuối năm".encode("utf-16-be").hex().upper() + ">"
ok = (r["indication"] == "TOTAL-PASSED"
      and "certification signature, DocMDP P=1" in r["signatures"][0]["coverage"]
      and b"/Rect [40 40 260 100]" in pdf
      and re.search(rb"/Reason *" + re.escape(reason.encode()), pdf) is not None)
sys.exit(0 if ok else 1)
PY
}
check "/v1/sign with visible, certify and reason: a certified, visible signature with that reason" opts_ok
# the digest algorithms come from an allow-list ([signing] digests)
req POST "/v1/sign?key=seal&md=sha1" "${AUTH[@]}" -H 'Content-Type: application/pdf' --data-binary @"$PDF"
check "a digest outside the allow-list (sha1): 400 bad-parameter" problem bad-parameter 400
printf '{"md":"sha1","document":"%s","certificate":"%s"}' "$(b64 "$PDF")" "$(b64 "$P/tok-principal-rsa.cert.pem")" >"$TMP/prep.json"
req POST /v1/sign/prepare "${AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$TMP/prep.json"
check "prepare with a digest outside the allow-list (sha1): 400 bad-parameter" problem bad-parameter 400
req POST "/v1/sign?key=seal&md=sha512" "${AUTH[@]}" -H 'Content-Type: application/pdf' --data-binary @"$PDF"
check "a digest in the allow-list (sha512): 200" is 200

# --- malformed requests
printf '{"key":"seal","document":' >"$TMP/bad.json"
req POST /v1/sign "${AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$TMP/bad.json"
check "malformed JSON: 400 bad-json" problem bad-json 400
printf '{"key":"seal","document":"@@not base64@@"}' >"$TMP/bad.json"
req POST /v1/sign "${AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$TMP/bad.json"
check "bad base64: 400 bad-base64" problem bad-base64 400
printf -- '--XyZ\r\nContent-Disposition: form-data; name="key"\r\n\r\nseal\r\n--XyZ\r\nContent-Disposition: form-data; name="document"\r\n\r\n%%PDF-1.4 no end' \
  >"$TMP/bad.mp"
req POST /v1/sign "${AUTH[@]}" -H 'Content-Type: multipart/form-data; boundary=XyZ' --data-binary @"$TMP/bad.mp"
check "multipart without its closing boundary: 400 bad-multipart" problem bad-multipart 400
req POST "/v1/sign?key=seal&bogus=1" "${AUTH[@]}" -H 'Content-Type: application/pdf' --data-binary @"$PDF"
check "an unknown parameter: 400 bad-parameter" problem bad-parameter 400
req POST "/v1/sign?key=seal" "${AUTH[@]}" -H 'Content-Type: application/pdf' --data-binary 'not a pdf at all'
no_internal() { problem bad-document 422 && ! grep -qiE 'openssl|/tmp|\.c:' "$TMP/body"; }
check "a body that is not the declared document: 422 bad-document, nothing internal shown" no_internal

# --- size limits
head -c 1100000 /dev/zero >"$TMP/big.bin"
req POST "/v1/sign?key=seal" "${AUTH[@]}" -H 'Content-Type: application/octet-stream' --data-binary @"$TMP/big.bin"
check "over max-body with Content-Length: 413 too-large" problem too-large 413
req POST "/v1/sign?key=seal" "${AUTH[@]}" -H 'Content-Type: application/octet-stream' \
  -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big.bin"
check "over max-body chunked (no Content-Length): 413 too-large" problem too-large 413
# a chunked body that goes on and on: the daemon stops reading some MiB
# past the limit (an answer, then the connection closed), not at its end
UP=$(head -c 100000000 /dev/zero | curl -s -o /dev/null -w '%{size_upload}' -X POST "${AUTH[@]}" \
  -H 'Content-Type: application/octet-stream' -H 'Transfer-Encoding: chunked' -T - \
  "$URL/v1/sign?key=seal")
req GET /healthz
check "an endless chunked body is cut off ($UP of 100000000 bytes sent), the daemon answers on" \
  bash -c "[ '${UP%.*}' -lt 32000000 ] && [ $(code) = 200 ]"

# --- personal keys and activations
DIG=$(sha256sum "$PDF" | cut -d' ' -f1)
activation() { # key digest ttl -> prints an activation signed by the holder
  local payload nonce
  nonce=$(openssl rand -hex 16)
  payload=$(printf '{"digests":["%s"],"exp":%d,"key":"%s","nonce":"%s","v":1}' "$2" $(($(date +%s) + $3)) "$1" "$nonce")
  printf 'kyso-act1.%s.%s' "$(printf '%s' "$payload" | b64url)" \
    "$(printf '%s' "$payload" | openssl dgst -sha256 -sign "$TMP/holder.key" | b64url)"
}
req POST "/v1/sign?key=principal" "${AUTH[@]}" -H 'Content-Type: application/pdf' --data-binary @"$PDF"
check "a personal key without activation: 403 activation-required" problem activation-required 403
ACT=$(activation principal "$(sha256sum "$CSV" | cut -d' ' -f1)" 120)
req POST "/v1/sign?key=principal" "${AUTH[@]}" -H "Kyso-Activation: $ACT" -H 'Content-Type: application/pdf' \
  --data-binary @"$PDF"
check "an activation for another document: 403 activation-invalid" problem activation-invalid 403
ACT=$(activation principal "$DIG" 120)
req POST "/v1/sign?key=principal" "${AUTH[@]}" -H "Kyso-Activation: $ACT" -H 'Content-Type: application/pdf' \
  --data-binary @"$PDF"
check "the holder's activation for this document: 200" is 200
req POST "/v1/sign?key=principal" "${AUTH[@]}" -H "Kyso-Activation: $ACT" -H 'Content-Type: application/pdf' \
  --data-binary @"$PDF"
check "the same activation again: 403 activation-invalid (used once)" problem activation-invalid 403
# kyso activate: the holder's own command makes the same token.
"$KYSO" activate --key principal --holder-key "$TMP/holder.key" --ttl 120 "$PDF" >"$TMP/act" 2>"$TMP/act.err"
ACT=$(cat "$TMP/act")
req POST "/v1/sign?key=principal" "${AUTH[@]}" -H "Kyso-Activation: $ACT" -H 'Content-Type: application/pdf' \
  --data-binary @"$PDF"
check "an activation from 'kyso activate FILE': 200" is 200
check "'kyso activate' shows the holder the document and digest it approves" \
  grep -q "$DIG  $PDF" "$TMP/act.err"
"$KYSO" activate --key principal --holder-key "$TMP/holder.key" --digest "$(sha256sum "$CSV" | cut -d' ' -f1)" \
  >"$TMP/act" 2>/dev/null
ACT=$(cat "$TMP/act")
req POST "/v1/sign?key=principal" "${AUTH[@]}" -H "Kyso-Activation: $ACT" -H 'Content-Type: application/pdf' \
  --data-binary @"$PDF"
check "'kyso activate --digest' of another document: 403 activation-invalid" problem activation-invalid 403
"$KYSO" activate --key principal --holder-key "$TMP/holder.key" --session 5 "$PDF" >/dev/null 2>&1
check "'kyso activate' refuses documents and --session together (exit 3)" test $? -eq 3
"$KYSO" activate --keygen "$TMP/hk" 2>/dev/null
check "'kyso activate --keygen': a private key only its owner reads, and its .pub" \
  sh -c "[ \"\$(stat -c %a '$TMP/hk')\" = 600 ] && openssl pkey -in '$TMP/hk' -noout 2>/dev/null && \
    openssl pkey -pubin -in '$TMP/hk.pub' -noout 2>/dev/null"
"$KYSO" activate --keygen "$TMP/hk" 2>/dev/null
check "'kyso activate --keygen' never overwrites a key (exit 3)" test $? -eq 3
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/holder.key" 2>/dev/null
ACT=$(activation principal "$DIG" 120)
req POST "/v1/sign?key=principal" "${AUTH[@]}" -H "Kyso-Activation: $ACT" -H 'Content-Type: application/pdf' \
  --data-binary @"$PDF"
check "an activation signed by someone else (the platform): 403 activation-invalid" problem activation-invalid 403

# --- two-phase signing: the signature made by a separate process that
# holds the principal's token (pkcs11-tool over SoftHSM2, as a signing
# plugin on the principal's computer would); the daemon never sees the key
CERT=$P/tok-principal-rsa.cert.pem
MODULE=${KYSO_SOFTHSM_MODULE:-/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so}
prepare() { # token -> id in $TMP/id, digest in $TMP/tbs
  printf '{"level":"B-T","document":"%s","certificate":"%s","chain":"%s"}' "$(b64 "$PDF")" "$(b64 "$CERT")" \
    "$(b64 "${CERT%.cert.pem}.chain.pem")" >"$TMP/prep.json"
  req POST /v1/sign/prepare -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    --data-binary @"$TMP/prep.json"
  jget "$TMP/body" id >"$TMP/id"
  jget "$TMP/body" digest | base64 -d >"$TMP/tbs" 2>/dev/null
}
# pkcs11-tool --sign picks its key by CKA_ID (a label alone may give it
# another key of the token): the ID of the principal's RSA key, read off
# the token
HOLDER_ID=$(pkcs11-tool --module "$MODULE" --token-label principal --login --pin "$KYSO_TEST_PIN" \
  --list-objects --type privkey 2>/dev/null |
  awk '$1 == "label:" {l = $2} $1 == "ID:" && l == "tok-principal-rsa" {print $2; exit}')
holder_sign() { # the key holder signs the prepared digest (PKCS#1 v1.5, SHA-256) on the token
  { printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'; cat "$TMP/tbs"; } >"$TMP/tbs.di"
  rm -f "$TMP/sig"
  pkcs11-tool --module "$MODULE" --token-label principal --login --pin "$KYSO_TEST_PIN" --sign \
    --mechanism RSA-PKCS --id "$HOLDER_ID" -i "$TMP/tbs.di" -o "$TMP/sig" >/dev/null 2>&1
}
complete() { # token [extra json members]
  printf '{"id":"%s","signature":"%s"%s}' "$(cat "$TMP/id")" "$(b64 "$TMP/sig")" "${2:-}" >"$TMP/comp.json"
  req POST /v1/sign/complete -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    --data-binary @"$TMP/comp.json"
}
prepare "$TOK"
check "prepare: 200 with an id and the digest to sign (SHA-256)" \
  bash -c "[ $(code) = 200 ] && [ -s '$TMP/id' ] && [ \$(stat -c %s '$TMP/tbs') = 32 ] && grep -q '\"algorithm\":\"SHA-256\"' '$TMP/body'"
holder_sign
check "the principal's token signs the digest in a process of its own (pkcs11-tool)" \
  bash -c "[ \$(stat -c %s '$TMP/sig' 2>/dev/null) = 256 ]"
cp "$TMP/sig" "$TMP/good.sig"
head -c 256 /dev/urandom >"$TMP/sig"
complete "$TOK"
check "complete with a signature that does not verify: 422 bad-signature" problem bad-signature 422
cp "$TMP/good.sig" "$TMP/sig"
complete "$TOK2"
check "complete by another client: 403 prepared-other-client" problem prepared-other-client 403
complete "$TOK" ",\"certificate\":\"$(b64 "$P/teacher-rsa.cert.pem")\""
check "complete with another certificate: 403 prepared-wrong-certificate" problem prepared-wrong-certificate 403
complete "$TOK"
cp "$TMP/body" "$TMP/twophase.pdf"
check "complete: 200, the signed PDF (JSON, base64)" bash -c "[ $(code) = 200 ] && [ '$(jget "$TMP/body" format)' = pdf ]"
unjson "$TMP/twophase.pdf" "$TMP/twophase-signed.pdf"
"$KYSO" verify "$TMP/twophase-signed.pdf" --trust "$P/root.pem" --revocation off >"$TMP/v.txt" 2>&1
check "the two-phase PDF (B-T) verifies" bash -c "[ $? = 0 ] && grep -q 'B-T' '$TMP/v.txt'"
complete "$TOK"
check "complete a second time: 409 prepared-used" problem prepared-used 409
prepare "$TOK"
holder_sign
sleep 6
complete "$TOK"
check "complete after the prepared state expired: 410 prepared-expired" problem prepared-expired 410
printf '{"id":"00000000000000000000000000000000","signature":"AAAA"}' >"$TMP/comp.json"
req POST /v1/sign/complete "${AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$TMP/comp.json"
check "complete an unknown id: 404 prepared-not-found" problem prepared-not-found 404
# a configured key named at prepare (the principal's, whose token signs
# elsewhere): its name goes into the audit row of complete
printf '{"key":"principal","document":"%s","certificate":"%s","chain":"%s"}' "$(b64 "$PDF")" \
  "$(b64 "$CERT")" "$(b64 "${CERT%.cert.pem}.chain.pem")" >"$TMP/prep.json"
req POST /v1/sign/prepare "${AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$TMP/prep.json"
jget "$TMP/body" id >"$TMP/id"
jget "$TMP/body" digest | base64 -d >"$TMP/tbs" 2>/dev/null
holder_sign
complete "$TOK"
NAMED_COMPLETE_ID=$(jget "$TMP/body" request_id)
check "prepare naming the principal's key, completed with its token's signature: 200" is 200
# --- timestamp
openssl ts -query -data "$CSV" -sha256 -cert -out "$TMP/q.tsq" 2>/dev/null
req POST /v1/timestamp "${AUTH[@]}" -H 'Content-Type: application/timestamp-query' --data-binary @"$TMP/q.tsq"
cp "$TMP/body" "$TMP/r.tsr"
openssl ts -verify -in "$TMP/r.tsr" -queryfile "$TMP/q.tsq" -CAfile "$P/root.pem" \
  -untrusted "$P/tok-tsa-rsa.chain.pem" >"$TMP/ts.txt" 2>&1
check "POST /v1/timestamp: an RFC 3161 reply that openssl ts -verify accepts" \
  bash -c "[ $(code) = 200 ] && grep -q 'Verification: OK' '$TMP/ts.txt'"

# --- verify rate limit (public, per address)
last=
for i in 1 2 3 4 5 6 7 8; do
  req POST /v1/verify -H 'Content-Type: application/pdf' --data-binary @"$TMP/signed.pdf"
  last=$(code)
  [ "$last" = 429 ] && break
done
retry_after() { problem rate-limited 429 && grep -qi '^retry-after:' "$TMP/headers"; }
check "public /v1/verify past the rate limit: 429 rate-limited with Retry-After" retry_after
req POST /v1/verify -H "Authorization: Bearer $TOKV" -H 'Content-Type: application/pdf' --data-binary @"$TMP/signed.pdf"
check "a client granted verify is not rate-limited" is 200
# behind the trusted proxy, the client is the address it names (the
# rightmost X-Forwarded-For entry, over every line of the header): each
# client has its own bucket, and what a client writes itself proves
# nothing.  Networks share a bucket when they meet in the table (its seed
# is random), so a client is taken from a few, the first answered.
behind() { # client
  req POST /v1/verify -H 'X-Forwarded-For: 192.0.2.99' -H "X-Forwarded-For: 198.51.100.1, $1" \
    -H 'Content-Type: application/pdf' --data-binary @"$TMP/signed.pdf"
}
first_answered() { # candidates... -> the first one answered 200
  local c
  for c in "$@"; do
    behind "$c"
    is 200 && { echo "$c"; return; }
  done
}
CLIENT=$(first_answered 203.0.113.5 203.0.113.6 203.0.113.7)
check "a client behind the trusted proxy has a bucket of its own: 200 ($CLIENT)" test -n "$CLIENT"
for i in 1 2 3 4 5 6 7 8; do
  behind "$CLIENT"
  is 429 && break
done
check "that client past its burst: 429" problem rate-limited 429
OTHER=$(first_answered 203.0.113.77 203.0.113.78 203.0.113.79)
check "another client behind the proxy is not limited by it: 200 ($OTHER)" test -n "$OTHER"

# --- metrics
req GET /metrics
check "GET /metrics: requests by route and status, latency histogram, signatures by key, audit commits and rows" \
  bash -c "grep -q 'kyso_http_requests_total{route=\"/v1/sign\",status=\"200\"}' '$TMP/body' &&
    grep -q 'kyso_http_request_duration_seconds_bucket{route=\"/v1/sign\",le=\"+Inf\"}' '$TMP/body' &&
    grep -q 'kyso_signatures_total{key=\"seal\"} [1-9]' '$TMP/body' && grep -q '^kyso_http_in_flight ' '$TMP/body' &&
    awk '/^kyso_audit_commits_total /{c=\$2} /^kyso_audit_rows_total /{r=\$2} END{exit !(c >= 1 && r >= c)}' '$TMP/body'"

# --- revoke
"$KYSO" client revoke other --config "$CONF" >/dev/null 2>&1
req POST "/v1/sign?key=seal" -H "Authorization: Bearer $TOK2" -H 'Content-Type: application/pdf' --data-binary @"$PDF"
check "a revoked client: 401" problem unauthorized 401

# --- SIGTERM drains a request in flight
head -c 600000 /dev/urandom >"$TMP/slow.bin"
curl -s -o "$TMP/slow.out" -w '%{http_code}' --limit-rate 150K -H "Authorization: Bearer $TOKV" \
  -H 'Content-Type: application/octet-stream' --data-binary @"$TMP/slow.bin" "$URL/v1/verify" >"$TMP/slow.code" &
CURL=$!
sleep 1.5
kyso_serve_stop
rc=$?
wait "$CURL"
check "SIGTERM during an upload: the request is answered (200), then exit 0" \
  bash -c "[ '$(cat "$TMP/slow.code")' = 200 ] && [ $rc = 0 ] && grep -q 'SIGTERM received, stopped' '$TMP/serve.log'"

# --- the audit log
"$KYSO" audit verify --config "$CONF" >"$TMP/body" 2>&1
check "kyso audit verify: the log holds (0 problems)" bash -c "grep -q ' 0 problems' '$TMP/body'"
$PY - "$STATE/kyso.db" >"$TMP/body" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ops = [r[0] for r in db.execute("select entry from audit order by rid")]
need = ['"op":"sign"', '"op":"timestamp"', '"op":"client-add"', '"op":"client-revoke"',
        '"outcome":"unauthorized"', '"outcome":"forbidden-key"', '"op":"complete"', '"op":"prepare"']
print("missing " + " ".join(n for n in need if not any(n in (e.decode() if isinstance(e, bytes) else e) for e in ops)) if any(
    not any(n in (e.decode() if isinstance(e, bytes) else e) for e in ops) for n in need) else "all there")
PY
check "audit rows for signatures, timestamps, client changes and refusals" grep -q 'all there' "$TMP/body"
$PY - "$STATE/kyso.db" >"$TMP/body" <<'PY'
import json, sqlite3, sys
rows = [json.loads(bytes(e)) for (e,) in sqlite3.connect(sys.argv[1]).execute("select entry from audit")]
limited = sorted({r.get("addr") for r in rows if r.get("outcome") == "rate-limited"})
print("limited:", limited)
PY
check "the rate-limited rows name the clients (127.0.0.1, and $CLIENT behind the proxy)" \
  grep -q "limited: \['127.0.0.1', '$CLIENT'\]" "$TMP/body"
$PY - "$STATE/kyso.db" "$NAMED_COMPLETE_ID" >"$TMP/body" <<'PY'
import json, sqlite3, sys
rows = [json.loads(bytes(e)) for (e,) in sqlite3.connect(sys.argv[1]).execute("select entry from audit")]
print("key:", [r.get("key") for r in rows if r.get("op") == "complete" and r.get("request") == sys.argv[2]])
PY
check "the audit row of that complete names the key given at prepare" grep -q "key: \['principal'\]" "$TMP/body"
"$KYSO" audit proof --digest "$DIG" --config "$CONF" >"$TMP/proof.json" 2>"$TMP/body"
"$KYSO" audit check --proof "$TMP/proof.json" --pub "$STATE/audit.cert.pem" --digest "$DIG" >"$TMP/body" 2>&1
check "kyso audit proof --digest: an inclusion proof that checks with the public key alone" test $? = 0
openssl x509 -in "$STATE/audit.cert.pem" -pubkey -noout >"$TMP/audit.pub"
"$KYSO" audit check --proof "$TMP/proof.json" --pub "$TMP/audit.pub" --digest 00"${DIG:2}" >"$TMP/body" 2>&1
check "the proof does not hold for another digest" test $? = 1
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
  openssl pkey -pubout -out "$TMP/other.pub" 2>/dev/null
"$KYSO" audit check --proof "$TMP/proof.json" --pub "$TMP/other.pub" --digest "$DIG" >"$TMP/body" 2>&1
check "the proof does not hold with another public key" test $? = 1
# the checkpoint's signature forged: one of its base64 characters changed
$PY - "$TMP/proof.json" "$TMP/forged.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
v = p["signature"]
p["signature"] = v[:10] + ("A" if v[10] != "A" else "B") + v[11:]
json.dump(p, open(sys.argv[2], "w"))
PY
"$KYSO" audit check --proof "$TMP/forged.json" --pub "$STATE/audit.cert.pem" --digest "$DIG" >"$TMP/body" 2>&1
check "a proof whose checkpoint signature was forged does not hold" test $? = 1
tamper() { # sql, expectation
  cp "$STATE/kyso.db" "$TMP/saved.db"
  $PY -c 'import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.executescript(sys.argv[2]); db.commit()' "$STATE/kyso.db" "$1"
  "$KYSO" audit verify --config "$CONF" >"$TMP/body" 2>&1
  local rc=$?
  cp "$TMP/saved.db" "$STATE/kyso.db"
  [ $rc = 1 ] && ! grep -q ' 0 problems' "$TMP/body"
}
check "kyso audit verify finds an edited row (a refusal turned into ok)" \
  tamper "update audit set entry = CAST(replace(CAST(entry AS TEXT), 'forbidden-key', 'ok') AS BLOB) where rid = (select min(rid) from audit where CAST(entry AS TEXT) like '%forbidden-key%');"
check "kyso audit verify finds a deleted row" \
  tamper "delete from audit where rid = (select min(rid) + 3 from audit);"
check "kyso audit verify finds two rows swapped" \
  tamper "update audit set rid = -1 where rid = 2; update audit set rid = 2 where rid = 3; update audit set rid = 3 where rid = -1;"
check "kyso audit verify holds again on the untouched log" bash -c "'$KYSO' audit verify --config '$CONF' >/dev/null 2>&1"

echo "1..$n"
