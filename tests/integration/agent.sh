#!/usr/bin/env bash
# kyso agent end to end with curl: the agent on a random 127.0.0.1 port
# with the SoftHSM2 principal token.  The refusals (no or another origin,
# a foreign Host, the confirmation posted from elsewhere), the preflight,
# the certificates, a batch signed after the PIN is posted to the agent's
# own page, a wrong PIN, the login kept for --session-ttl and ended after
# it, a reader with a PIN pad (the fault module plays it), the PIN in no
# answer and no log.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
if [ -z "${SOFTHSM2_CONF:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$ROOT/build/pki/env.sh"
fi
P=${KYSO_PKI_DIR:-$ROOT/build/pki}
TMP=$(mktemp -d)
AGENT_PID=
cleanup() {
  [ -n "$AGENT_PID" ] && kill -KILL "$AGENT_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
unset KYSO_KEY_PASS http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy KYSO_LOG
PIN=$KYSO_TEST_PIN
# The agent must not take the PIN from the environment: it is set here
# and must not sign by itself.
export KYSO_PIN=$PIN
PLATFORM=http://127.0.0.1:9
OTHER=https://other-school.example
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { # name, command...
  local name=$1; shift
  if "$@"; then ok "$name"; else notok "$name" "status $(code): $(head -c 600 "$TMP/body" 2>/dev/null)"; fi
}
jget() { $PY -c 'import json,sys; v=json.load(open(sys.argv[1])); 
for k in sys.argv[2:]: v=v[int(k)] if isinstance(v,list) else v.get(k)
print("" if v is None else v)' "$TMP/body" "$@" 2>/dev/null; }
# req METHOD PATH [curl args...]: status in $TMP/code; every answer is kept
req() {
  local m=$1 path=$2; shift 2
  curl -s -X "$m" -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' "$@" "$URL$path" >"$TMP/code"
  cat "$TMP/headers" "$TMP/body" >>"$TMP/answers"
}
code() { cat "$TMP/code"; }
is() { [ "$(code)" = "$1" ]; }
hdr() { tr -d '\r' <"$TMP/headers" | sed -n "s/^$1: //Ip" | head -1; }
problem() { [ "$(code)" = "$2" ] && [ "$(jget type)" = "urn:kyso:problem:$1" ]; }

start_agent() { # log, extra args...
  local log=$1 i; shift
  # emptied here, not by the background job's redirection: read before
  # that ran, the file would still name the previous agent's port
  : >"$TMP/agent.out"
  PORT=
  "$KYSO" agent --listen 127.0.0.1:0 --origin "$PLATFORM" --origin "$OTHER" \
    --key 'pkcs11:token=principal;object=tok-principal-rsa' "$@" >"$TMP/agent.out" 2>"$log" &
  AGENT_PID=$!
  for ((i = 0; i < 200; i++)); do
    PORT=$(sed -n 's|^kyso agent: listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/agent.out")
    [ -n "$PORT" ] && break
    kill -0 "$AGENT_PID" 2>/dev/null || return 1
    sleep 0.05
  done
  [ -n "$PORT" ] || return 1
  URL=http://127.0.0.1:$PORT
  OWN=$URL
}
stop_agent() {
  kill -TERM "$AGENT_PID" 2>/dev/null
  wait "$AGENT_PID"
  local rc=$?
  AGENT_PID=
  return $rc
}
API=(-H "Origin: $PLATFORM")

# --- what the agent refuses to start with
"$KYSO" agent --listen 0.0.0.0:0 --origin "$PLATFORM" >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc -ne 0 ] && grep -q '127.0.0.1 only' "$TMP/err"; then ok "--listen on another address than 127.0.0.1: refused"; else
  notok "--listen 0.0.0.0 refused" "rc $rc: $(cat "$TMP/err")"; fi
"$KYSO" agent --listen 127.0.0.1:0 --origin '*' >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc -ne 0 ] && grep -q 'give scheme and host' "$TMP/err"; then ok "a wildcard origin: refused"; else
  notok "a wildcard origin refused" "rc $rc: $(cat "$TMP/err")"; fi
"$KYSO" agent --listen 127.0.0.1:0 --origin "$PLATFORM" --key "pkcs11:token=principal?pin-value=$PIN" >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc -ne 0 ] && grep -q 'must not carry a PIN' "$TMP/err" && ! grep -q -- "$PIN" "$TMP/err"; then
  ok "a key URI with a PIN in it: refused (and the PIN not echoed)"; else
  notok "a key URI with a PIN refused" "rc $rc: $(cat "$TMP/err")"; fi

LOG=$TMP/agent.log
if start_agent "$LOG"; then ok "kyso agent starts on 127.0.0.1 at a free port"; else
  notok "kyso agent starts" "$(cat "$TMP/agent.out" "$LOG")"; echo "1..$n"; exit 1; fi

# --- the checks of every request
req GET /v1/version
check "no Origin: 403 origin-refused, no CORS header" bash -c "$(declare -f problem code jget hdr); TMP=$TMP PY=$PY; problem origin-refused 403 && [ -z \"\$(hdr access-control-allow-origin)\" ]"
req GET /v1/version -H 'Origin: https://evil.example'
check "another origin: 403 origin-refused" problem origin-refused 403
req GET /v1/certificates -H 'Origin: null'
check "Origin null (a sandboxed frame, a file): 403" problem origin-refused 403
req GET /v1/version "${API[@]}" -H "Host: rebind.evil.example:$PORT"
check "a foreign Host (DNS rebinding) with a good Origin: 403 host-refused" problem host-refused 403
req GET /v1/version "${API[@]}" -H "Host: localhost:$PORT"
check "Host localhost:PORT is accepted" is 200
req OPTIONS /v1/sign "${API[@]}" -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: content-type'
check "preflight from the platform: 204 with its origin allowed, Vary: Origin" \
  bash -c "[ $(code) = 204 ] && [ '$(hdr access-control-allow-origin)' = '$PLATFORM' ] && [ '$(hdr vary)' = Origin ] && [ -n '$(hdr access-control-allow-methods)' ]"
req OPTIONS /v1/sign -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: POST'
check "preflight from another origin: 403 without CORS headers" \
  bash -c "[ $(code) = 403 ] && [ -z '$(hdr access-control-allow-origin)' ]"
req GET /v1/version "${API[@]}"
check "version: 200 JSON for the platform, CORS for its origin only" \
  bash -c "[ $(code) = 200 ] && [ '$(jget name)' = 'kyso agent' ] && [ '$(hdr access-control-allow-origin)' = '$PLATFORM' ]"

# --- certificates
req GET /v1/certificates "${API[@]}"
CERTID=$(openssl x509 -in "$P/tok-principal-rsa.cert.pem" -outform DER | sha256sum | cut -d' ' -f1)
check "certificates: the principal's from the token (id, subject, serial, validity, key URI, PEM)" \
  bash -c "[ $(code) = 200 ] && [ '$(jget certificates 0 id)' = '$CERTID' ] &&
    echo '$(jget certificates 0 subject)' | grep -q 'Nguyễn Thị Hồng Nhung' &&
    [ -n '$(jget certificates 0 serial)' ] && [ -n '$(jget certificates 0 not_after)' ] &&
    echo '$(jget certificates 0 key_uri)' | grep -q '^pkcs11:.*token=principal' &&
    [ '$(jget certificates 0 key_type)' = RSA ]"
jget certificates 0 pem >"$TMP/cert.pem"
if cmp -s <(openssl x509 -in "$TMP/cert.pem" -outform DER 2>/dev/null) <(openssl x509 -in "$P/tok-principal-rsa.cert.pem" -outform DER); then
  ok "the PEM given is the token's certificate"; else notok "the PEM given is the token's certificate"; fi
openssl x509 -in "$P/tok-principal-rsa.cert.pem" -pubkey -noout >"$TMP/pub.pem"

# --- a batch
mkbatch() { # count prefix -> $TMP/batch.json, digests in $TMP/d<i>
  local i items=""
  for ((i = 1; i <= $1; i++)); do
    head -c 100 /dev/urandom | openssl dgst -sha256 -binary >"$TMP/d$i"
    items="$items${items:+,}{\"label\":\"$2 $i - Học bạ lớp 12A$i\",\"digest\":\"$(base64 -w0 "$TMP/d$i")\",\"algorithm\":\"SHA-256\"}"
  done
  printf '{"key":"%s","items":[%s]}' "$CERTID" "$items" >"$TMP/batch.json"
}
submit() { req POST /v1/sign "${API[@]}" -H 'Content-Type: application/json' --data-binary @"$TMP/batch.json"; }
mkbatch 3 "Nguyễn Văn"
req POST /v1/sign "${API[@]}" -H 'Content-Type: text/plain' --data-binary @"$TMP/batch.json"
check "a batch as text/plain (no preflight): 415" problem unsupported-media-type 415
printf '{"key":"%s","items":[{"digest":"%s","algorithm":"SHA-256"}]}' "$CERTID" "$(base64 -w0 "$TMP/d1")" >"$TMP/nolabel.json"
req POST /v1/sign "${API[@]}" -H 'Content-Type: application/json' --data-binary @"$TMP/nolabel.json"
check "an item without a label (a bare hash): 400" problem bad-request 400
printf '{"key":"%s","items":[{"label":"a\\u202eb","digest":"%s","algorithm":"SHA-256"}]}' "$CERTID" "$(base64 -w0 "$TMP/d1")" >"$TMP/bidi.json"
req POST /v1/sign "${API[@]}" -H 'Content-Type: application/json' --data-binary @"$TMP/bidi.json"
check "a label with a bidirectional override: 400" problem bad-request 400
printf '{"key":"%s","items":[{"label":"x","digest":"AAAA","algorithm":"SHA-256"}]}' "$CERTID" >"$TMP/short.json"
req POST /v1/sign "${API[@]}" -H 'Content-Type: application/json' --data-binary @"$TMP/short.json"
check "a digest of the wrong length: 400" problem bad-request 400
sed "s/$CERTID/$(printf '%064d' 0)/" "$TMP/batch.json" >"$TMP/unknown.json"
req POST /v1/sign "${API[@]}" -H 'Content-Type: application/json' --data-binary @"$TMP/unknown.json"
check "an unknown certificate id: 404 unknown-key" problem unknown-key 404
req POST /v1/sign -H 'Origin: https://evil.example' -H 'Content-Type: application/json' --data-binary @"$TMP/batch.json"
check "a batch from another origin: 403" problem origin-refused 403

submit
ID=$(jget id)
CONFIRM=$(jget confirm_url)
check "the batch: 202 with an id and the agent's own confirmation URL" \
  bash -c "[ $(code) = 202 ] && [ ${#ID} = 32 ] && [ '$CONFIRM' = '$OWN/confirm/$ID' ] && [ '$(jget status)' = pending ]"
req GET "/v1/sign/$ID" "${API[@]}"
check "poll: pending, no signatures yet" bash -c "[ $(code) = 200 ] && [ '$(jget status)' = pending ] && [ -z '$(jget signatures)' ]"
req GET "/v1/sign/$ID" -H "Origin: $OTHER"
check "poll from another configured platform: 404 (not its batch)" problem not-found 404

# --- the confirmation page
req GET "/confirm/$ID" -H "Origin: $PLATFORM"
check "the confirmation page fetched by the platform: 403" problem origin-refused 403
req GET "/confirm/$ID"
CSP=$(hdr content-security-policy)
check "the confirmation page: 200, strict CSP with frame-ancestors 'none'" \
  bash -c "[ $(code) = 200 ] && echo \"$CSP\" | grep -q \"frame-ancestors 'none'\" && echo \"$CSP\" | grep -q \"default-src 'none'\" && [ -z '$(hdr access-control-allow-origin)' ]"
check "it lists the three labels and the count, and has a PIN field" \
  bash -c "grep -q 'Nguyễn Văn 1 - Học bạ lớp 12A1' '$TMP/body' && grep -q 'Nguyễn Văn 3 - Học bạ lớp 12A3' '$TMP/body' &&
    grep -q '<strong id=\"count\">3</strong>' '$TMP/body' && grep -q 'name=\"pin\" type=\"password\"' '$TMP/body'"
NONCE=$(sed -n 's/.*name="nonce" value="\([0-9a-f]*\)".*/\1/p' "$TMP/body")
post_confirm() { # origin pin [action]
  req POST "/confirm/$ID" -H "Origin: $1" --data-urlencode "nonce=$NONCE" --data-urlencode "pin=$2" \
    --data-urlencode "action=${3:-approve}"
}
post_confirm "$PLATFORM" "$PIN"
check "the PIN posted from the platform's origin: 403, nothing signed" problem origin-refused 403
req POST "/confirm/$ID" --data-urlencode "nonce=$NONCE" --data-urlencode "pin=$PIN" --data-urlencode action=approve
check "the PIN posted without an Origin: 403" problem origin-refused 403
req POST "/confirm/$ID" -H "Origin: $OWN" --data-urlencode "nonce=$(printf '%032d' 0)" --data-urlencode "pin=$PIN" --data-urlencode action=approve
check "a form with another nonce: 409, nothing signed" is 409
LOGINS0=$(grep -c 'login refused' "$LOG")
post_confirm "$OWN" "0000wrong"
check "a wrong PIN: the page says so, the batch still waits" \
  bash -c "[ $(code) = 200 ] && grep -q 'Mã PIN không đúng' '$TMP/body' && grep -q 'name=\"pin\"' '$TMP/body'"
req GET "/v1/sign/$ID" "${API[@]}"
check "after a wrong PIN: no signature given out" bash -c "[ '$(jget status)' = pending ] && [ -z '$(jget signatures)' ] && [ '$(jget error code)' = pin-incorrect ]"
check "the wrong PIN was tried once on the token" bash -c "[ \$(grep -c 'login refused' '$LOG') = $((LOGINS0 + 1)) ]"
post_confirm "$OWN" "$PIN"
check "the right PIN on the agent's page: signed, the page says so" \
  bash -c "[ $(code) = 200 ] && grep -q 'Đã ký 3 văn bản' '$TMP/body'"
req GET "/v1/sign/$ID" "${API[@]}"
check "poll: done with three signatures, in order" bash -c "[ '$(jget status)' = done ] && [ '$(jget signatures 2 label)' = 'Nguyễn Văn 3 - Học bạ lớp 12A3' ]"
good=0
for i in 1 2 3; do
  jget signatures $((i - 1)) signature | base64 -d >"$TMP/s$i"
  openssl pkeyutl -verify -pubin -inkey "$TMP/pub.pem" -pkeyopt digest:sha256 -in "$TMP/d$i" -sigfile "$TMP/s$i" >/dev/null 2>&1 && good=$((good + 1))
done
check "each signature verifies with the certificate over its own digest" [ $good = 3 ]
post_confirm "$OWN" "$PIN"
check "the same form again: 409, not signed twice" is 409
check "the agent's log has each signature: label, SHA-256 and the digest" \
  bash -c "grep -q \"signed \\\"Nguyễn Văn 2 - Học bạ lớp 12A2\\\" SHA-256 $(xxd -p -c 64 "$TMP/d2")\" '$LOG'"
check "session-ttl 0: logged out after the batch" grep -q 'token logged out (no session kept' "$LOG"

# --- the next batch asks for the PIN again; refusing signs nothing
mkbatch 2 "Trần Thị"
submit
ID=$(jget id)
req GET "/confirm/$ID"
NONCE=$(sed -n 's/.*name="nonce" value="\([0-9a-f]*\)".*/\1/p' "$TMP/body")
check "session-ttl 0: the next batch asks for the PIN again" grep -q 'name="pin" type="password"' "$TMP/body"
post_confirm "$OWN" "" refuse
req GET "/v1/sign/$ID" "${API[@]}"
check "the principal refuses: status refused, no signatures" bash -c "[ '$(jget status)' = refused ] && [ -z '$(jget signatures)' ]"

if stop_agent; then ok "SIGTERM: the agent stops, exit 0"; else notok "the agent stops with exit 0"; fi

# --- a kept login: --session-ttl
LOG2=$TMP/agent2.log
if start_agent "$LOG2" --session-ttl 3s; then ok "kyso agent --session-ttl 3s starts"; else
  notok "kyso agent --session-ttl starts" "$(cat "$LOG2")"; echo "1..$n"; exit 1; fi
batch_with() { # pin action -> status in $TMP/body of the poll
  submit
  ID=$(jget id)
  req GET "/confirm/$ID"
  NONCE=$(sed -n 's/.*name="nonce" value="\([0-9a-f]*\)".*/\1/p' "$TMP/body")
  cp "$TMP/body" "$TMP/page"
  post_confirm "$OWN" "$1" "${2:-approve}"
  cp "$TMP/body" "$TMP/result"
  req GET "/v1/sign/$ID" "${API[@]}"
}
mkbatch 2 "Lê Văn"
batch_with "$PIN"
check "session: the first batch takes the PIN and signs" bash -c "[ '$(jget status)' = done ]"
mkbatch 2 "Phạm Thị"
batch_with ""
check "within the session the next batch shows the list and an approve button, no PIN field" \
  bash -c "grep -q 'id=\"session\"' '$TMP/page' && ! grep -q 'name=\"pin\"' '$TMP/page' && grep -q 'Phạm Thị 2' '$TMP/page' && grep -q 'value=\"approve\"' '$TMP/page'"
check "within the session: approved without the PIN, signed" bash -c "[ '$(jget status)' = done ] && [ -n '$(jget signatures 1 signature)' ]"
for ((i = 0; i < 60; i++)); do grep -q 'session time is over' "$LOG2" && break; sleep 0.1; done
check "after the session: the token is logged out (C_Logout)" grep -q 'token logged out (the session time is over)' "$LOG2"
mkbatch 1 "Hoàng Văn"
batch_with ""
check "after the session: the PIN is asked again and approving without it signs nothing" \
  bash -c "grep -q 'name=\"pin\"' '$TMP/page' && grep -q 'Hãy nhập mã PIN' '$TMP/result' && [ '$(jget status)' = pending ]"
if stop_agent; then ok "the agent stops, exit 0"; else notok "the agent stops with exit 0"; fi

# --- the terminal prompt (a pseudo-terminal as the agent's terminal)
"$PY" "$ROOT/tests/integration/agent_tty.py" "$KYSO" "$PLATFORM" "$CERTID" "$PIN" "$TMP/d1" "$TMP/d2" \
  >"$TMP/tty.tap" 2>"$TMP/tty.err"
trc=$?
while IFS= read -r line; do
  case $line in
    "ok - "*) ok "tty: ${line#ok - }" ;;
    "not ok - "*) notok "tty: ${line#not ok - }" ;;
    *) echo "$line" ;;
  esac
done <"$TMP/tty.tap"
[ $trc = 0 ] || notok "the terminal prompt test ran to its end" "$(tail -5 "$TMP/tty.err")"
cat "$TMP/tty.tap" >>"$TMP/answers"

# --- a reader with a PIN pad: the PIN is typed on the reader, never on a page
# (the fault module plays the reader: the token reports a protected
# authentication path and a login without a PIN takes the one "typed")
FAULTS=$(dirname "$KYSO")/tests/p11faults.so
LOG3=$TMP/agent3.log
printf '%s\n' "$PIN" >"$TMP/pad-pin"
if [ -f "$FAULTS" ] && KYSO_PKCS11_REGISTRY=0 KYSO_PKCS11_MODULE=$FAULTS KS_FAULTS_PINPAD_FILE=$TMP/pad-pin \
  start_agent "$LOG3"; then ok "kyso agent starts with a PIN-pad reader"; else
  notok "kyso agent starts with a PIN-pad reader" "$FAULTS: $(cat "$LOG3" 2>/dev/null)"; echo "1..$n"; exit 1; fi
req GET /v1/certificates "${API[@]}"
check "certificates: the key is marked as behind a PIN pad" \
  bash -c "[ $(code) = 200 ] && [ '$(jget certificates 0 id)' = '$CERTID' ] && [ '$(jget certificates 0 pinpad)' = True ]"
mkbatch 2 "Vũ Thị"
submit
ID=$(jget id)
req GET "/confirm/$ID"
NONCE=$(sed -n 's/.*name="nonce" value="\([0-9a-f]*\)".*/\1/p' "$TMP/body")
check "PIN pad: the page lists the documents, says to type the PIN on the reader, has no PIN field" \
  bash -c "grep -q 'id=\"pinpad\"' '$TMP/body' && ! grep -q 'name=\"pin\"' '$TMP/body' && grep -q 'Vũ Thị 2' '$TMP/body'"
post_confirm "$OWN" "" approve
req GET "/v1/sign/$ID" "${API[@]}"
good=0
for i in 1 2; do
  jget signatures $((i - 1)) signature | base64 -d >"$TMP/s$i"
  openssl pkeyutl -verify -pubin -inkey "$TMP/pub.pem" -pkeyopt digest:sha256 -in "$TMP/d$i" -sigfile "$TMP/s$i" >/dev/null 2>&1 && good=$((good + 1))
done
check "PIN pad: approved on the page, the PIN typed on the reader, both signatures verify" \
  bash -c "[ '$(jget status)' = done ] && [ $good = 2 ]"
if stop_agent; then ok "the agent with the PIN pad stops, exit 0"; else notok "the agent with the PIN pad stops with exit 0"; fi

# --- the PIN nowhere
check "the PIN is in no answer of the agent" bash -c "! grep -qF -- '$PIN' '$TMP/answers'"
check "the PIN is in no log of the agent" bash -c "! grep -qF -- '$PIN' '$LOG' '$LOG2' '$LOG3' '$TMP/agent.out'"
echo "1..$n"
