#!/usr/bin/env bash
# kyso serve when a token fails: the signing token is pulled out for a
# moment (the PKCS#11 fault module over SoftHSM2, armed from outside by
# a trigger file); the request answers 503 token-unavailable with
# Retry-After, and the next request signs again.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
BUILD_DIR=$(dirname "$KYSO")
if [ -z "${SOFTHSM2_CONF:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$ROOT/build/pki/env.sh"
fi
P=${KYSO_PKI_DIR:-$ROOT/build/pki}
# shellcheck source=tests/lib/serve.sh
. "$ROOT/tests/lib/serve.sh"
FAULTS=$BUILD_DIR/tests/p11faults.so
if [ ! -f "$FAULTS" ]; then
  echo "1..0 # SKIP the fault module $FAULTS is not built (make tests)"
  exit 0
fi
TMP=$(mktemp -d)
cleanup() {
  [ -n "${KYSO_SERVE_PID:-}" ] && kill -KILL "$KYSO_SERVE_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
unset KYSO_KEY_PASS http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
# only the fault module (no p11-kit registry): it is SoftHSM2 with a trigger
export KYSO_PIN=$KYSO_TEST_PIN KYSO_PKCS11_REGISTRY=0 KYSO_PKCS11_MODULE=$FAULTS
export KS_FAULTS_TRIGGER=$TMP/pull-token KS_FAULTS_IDLE_TRIGGER=$TMP/pull-idle-token

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name" "$(head -c 600 "$TMP/body" 2>/dev/null | tr -d '\0')" "$(cat "$TMP/reply.txt" 2>/dev/null)"; fi; }

cat >"$TMP/kyso.conf" <<EOF
[server]
threads = 2
[state]
dir = $TMP/var
[signing]
retry-after = 3
[signing]
revocation = off
[verify]
trust = $P/root.pem
revocation = off
[tsa]
key = $KYSO_URI_TSA_RSA
[key "seal"]
uri = $KYSO_URI_SEAL_RSA
EOF
if ! kyso_serve_start "$KYSO" "$TMP/kyso.conf" "$TMP/serve.log" 2>"$TMP/body"; then
  notok "kyso serve starts with the token behind the fault module" "$(cat "$TMP/body")"
  echo "1..$n"
  exit 1
fi
ok "kyso serve starts with the token behind the fault module"
URL=$KYSO_SERVE_URL
TOK=$("$KYSO" client add t --grant seal --ops sign,timestamp --config "$TMP/kyso.conf" 2>/dev/null)
sign() {
  curl -s -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
    -H 'Content-Type: application/pdf' --data-binary @"$ROOT/docs/examples/hocba.pdf" "$URL/v1/sign?key=seal"
}
check "a signature with the token in place: 200" test "$(sign)" = 200
touch "$KS_FAULTS_TRIGGER"
st=$(sign)
check "the token pulled out during the signature: 503 token-unavailable, Retry-After: 3" \
  bash -c "[ $st = 503 ] && grep -q 'urn:kyso:problem:token-unavailable' '$TMP/body' &&
    grep -qi '^retry-after: 3' '$TMP/headers' && ! grep -qi 'CKR_\\|softhsm' '$TMP/body'"
check "the fault fired (the trigger was taken)" test ! -e "$KS_FAULTS_TRIGGER"
check "the next request signs again: 200" test "$(sign)" = 200
"$KYSO" verify "$TMP/body" --trust "$P/root.pem" --revocation off >/dev/null 2>&1
check "and its signature verifies" test $? = 0
# a batch: the token pulled out while its first document is signed
python3 - "$TMP/batch.json" "$ROOT/docs/examples/hocba.pdf" "$ROOT/docs/examples/sodiem.pdf" <<'PY'
import base64, json, sys
json.dump({"key": "seal", "documents": [{"name": "d%d" % i, "document": base64.b64encode(open(f, "rb").read()).decode()}
                                        for i, f in enumerate(sys.argv[2:] * 2)]}, open(sys.argv[1], "w"))
PY
touch "$KS_FAULTS_TRIGGER"
curl -s -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
  --data-binary @"$TMP/batch.json" "$URL/v1/sign/batch" >"$TMP/code"
batch_ok() {
  [ "$(cat "$TMP/code")" = 200 ] && python3 - "$TMP/body" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
r = a["results"]
sys.exit(0 if r[0]["status"] == 503 and r[0]["problem"]["type"].endswith(":token-unavailable")
         and [x["status"] for x in r[1:]] == [200, 200, 200] and a["ok"] == 3 else 1)
PY
}
check "the token pulled out during a batch: that document 503 token-unavailable, the 3 others signed" \
  batch_ok
# the built-in TSA's key on the token: pulled out while it signs a token
openssl ts -query -data "$ROOT/docs/examples/hocba.pdf" -sha256 -cert -out "$TMP/q.tsq" 2>/dev/null
stamp() {
  curl -s -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
    -H 'Content-Type: application/timestamp-query' --data-binary @"$TMP/q.tsq" "$URL/v1/timestamp"
}
# the answer of the last stamp: 200 and a granted token
granted() {
  [ "$st" = 200 ] && openssl ts -reply -in "$TMP/body" -text >"$TMP/reply.txt" 2>&1 &&
    grep -q '^Status: Granted' "$TMP/reply.txt"
}
st=$(stamp)
check "a timestamp with the TSA's token in place: 200, granted" granted
touch "$KS_FAULTS_TRIGGER"
st=$(stamp)
check "the TSA's token pulled out during a timestamp: 503 token-unavailable, Retry-After: 3" \
  bash -c "[ $st = 503 ] && grep -q 'urn:kyso:problem:token-unavailable' '$TMP/body' &&
    grep -qi '^retry-after: 3' '$TMP/headers'"
check "the fault fired for the timestamp (the trigger was taken)" test ! -e "$KS_FAULTS_TRIGGER"
st=$(stamp)
check "the next timestamp is granted again: 200" granted
# a query the TSA rejects: answered as RFC 3161 says (200, status
# rejection), and the audit row says rejected, not ok
printf '\x30\x03\x02\x01\x07' >"$TMP/bad.tsq"
curl -s -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
  -H 'Content-Type: application/timestamp-query' --data-binary @"$TMP/bad.tsq" "$URL/v1/timestamp" >"$TMP/code"
rejected() {
  [ "$(cat "$TMP/code")" = 200 ] && openssl ts -reply -in "$TMP/body" -text >"$TMP/reply.txt" 2>&1 &&
    grep -q '^Status: Rejected' "$TMP/reply.txt" &&
    grep -q '^Failure info: the data submitted has the wrong format' "$TMP/reply.txt"
}
check "a malformed timestamp query: 200 with an RFC 3161 rejection" rejected
curl -s "$URL/metrics" >"$TMP/body"
check "/metrics counts the token errors (a signature, a batch document, a timestamp)" \
  grep -q '^kyso_token_errors_total [3-9]' "$TMP/body"
curl -s -o "$TMP/body" -w '%{http_code}' "$URL/healthz" >"$TMP/code"
check "/healthz is healthy again" test "$(cat "$TMP/code")" = 200
kyso_serve_stop
check "kyso serve stops cleanly (exit 0)" test $? = 0
outcomes() {
  python3 - "$TMP/var/kyso.db" <<'PY'
import json, sqlite3, sys
rows = [json.loads(bytes(e)) for (e,) in sqlite3.connect(sys.argv[1]).execute("select entry from audit")]
got = sorted(r["outcome"] for r in rows if r.get("op") == "timestamp")
print(got)
sys.exit(0 if got == ["ok", "ok", "rejected", "token-unavailable"] else 1)
PY
}
check "the audit log: 2 timestamps ok, 1 token-unavailable, 1 rejected" outcomes

# keep-alive: the token's idle session is touched every second; a token
# pulled out while nobody signs is noticed by that touch, counted, and
# the next signature finds the token again
sed '0,/^\[signing\]$/s//[signing]\nkeepalive = 1/' "$TMP/kyso.conf" >"$TMP/keep.conf"
if kyso_serve_start "$KYSO" "$TMP/keep.conf" "$TMP/serve-keep.log" 2>"$TMP/body"; then
  URL=$KYSO_SERVE_URL
  check "with keepalive = 1: a signature opens the token session (200)" test "$(sign)" = 200
  touch "$KS_FAULTS_IDLE_TRIGGER"
  for _ in $(seq 50); do [ -e "$KS_FAULTS_IDLE_TRIGGER" ] || break; sleep 0.1; done
  check "an idle token pulled out: the keep-alive touch finds it without any request" \
    test ! -e "$KS_FAULTS_IDLE_TRIGGER"
  kept() { curl -s "$URL/metrics" | grep -q '^kyso_token_errors_total [1-9]'; }
  check "/metrics counts that token error" kept
  check "the next signature finds the token again: 200" test "$(sign)" = 200
  kyso_serve_stop
else
  notok "kyso serve starts with keepalive = 1" "$(cat "$TMP/body")"
fi
echo "1..$n"
