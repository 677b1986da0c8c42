#!/usr/bin/env bash
# The built-in TSA (kyso tsa) against OpenSSL as the peer, and the RFC 3161
# client (kyso timestamp) against kyso's TSA and against TSAs that are
# down, slow or lying (tests/integration/tsa_peer.py).  Everything on
# 127.0.0.1, ports chosen by the kernel, stopped by PID.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
if [ -z "${SOFTHSM2_CONF:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$ROOT/build/pki/env.sh"
fi
P=${KYSO_PKI_DIR:-$ROOT/build/pki}
export KYSO_PKI_DIR=$P
# shellcheck source=scripts/tsa.sh
. "$ROOT/scripts/tsa.sh"
TMP=$(mktemp -d)
PEER_PID=
cleanup() {
  [ -n "${KYSO_TSA_PID:-}" ] && kill -KILL "$KYSO_TSA_PID" 2>/dev/null
  [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
unset KYSO_PIN KYSO_KEY_PASS http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { # name, command...
  local name=$1; shift
  if "$@"; then ok "$name"; else notok "$name" "$(head -c 800 "$TMP/err" 2>/dev/null)"; fi
}
has() { grep -q -- "$2" "$1"; }

DOC="$TMP/so-diem 10A2.csv"
printf 'Họ và tên,Toán,Văn\nNguyễn Văn An,9.5,8.0\n' >"$DOC"
OTHER="$TMP/other.txt"
printf 'another file\n' >"$OTHER"
UNTRUSTED="$P/tsa-rsa.chain.pem"

# HTTP status of a POST: post URL FILE [content-type] -> prints the code
post() {
  curl -s -o "$TMP/body" -w '%{http_code} %{content_type}' -H "Content-Type: ${3:-application/timestamp-query}" \
    --data-binary @"$2" "$1"
}
ossl_verify() { # reply, query, chain
  openssl ts -verify -in "$1" -queryfile "$2" -CAfile "$P/root.pem" -untrusted "$3" >"$TMP/err" 2>&1 &&
    has "$TMP/err" 'Verification: OK'
}
serial_of() { openssl ts -reply -in "$1" -text 2>/dev/null | sed -n 's/^Serial number: 0x//p'; }

# --- the built-in TSA with a file key, OpenSSL as the client
if kyso_tsa_start "$KYSO" "$TMP/tsa.log" --accuracy 0.5 --policy 2.999.42 2>"$TMP/err"; then
  ok "kyso tsa starts on 127.0.0.1 (file key) at $KYSO_TSA_URL"
else
  notok "kyso tsa starts on 127.0.0.1 (file key)" "$(cat "$TMP/err")"
  echo "1..$n"
  exit 1
fi
URL=$KYSO_TSA_URL
openssl ts -query -data "$DOC" -sha256 -cert -out "$TMP/q.tsq" 2>/dev/null
out=$(post "$URL" "$TMP/q.tsq"); cp "$TMP/body" "$TMP/r.tsr"
check "POST application/timestamp-query: 200 application/timestamp-reply" \
  test "$out" = "200 application/timestamp-reply"
openssl ts -reply -in "$TMP/r.tsr" -text >"$TMP/text" 2>"$TMP/err"
check "openssl ts -reply -text reads the reply: granted, policy, accuracy, nonce" \
  bash -c "grep -q 'Status: Granted' '$TMP/text' && grep -q 'Policy OID: 2.999.42' '$TMP/text' &&
    grep -q 'Accuracy: unspecified seconds, 0x01F4 millis' '$TMP/text' && grep -q '^Nonce: 0x' '$TMP/text'"
check "openssl ts -verify -queryfile accepts the reply" ossl_verify "$TMP/r.tsr" "$TMP/q.tsq" "$UNTRUSTED"
openssl ts -verify -in "$TMP/r.tsr" -data "$DOC" -CAfile "$P/root.pem" -untrusted "$UNTRUSTED" \
  >"$TMP/err" 2>&1
check "openssl ts -verify -data accepts the reply" has "$TMP/err" 'Verification: OK'
openssl ts -verify -in "$TMP/r.tsr" -data "$OTHER" -CAfile "$P/root.pem" -untrusted "$UNTRUSTED" \
  >"$TMP/err" 2>&1
check "openssl ts -verify -data refuses it for another file" bash -c "! grep -q 'Verification: OK' '$TMP/err'"
for md in sha384 sha512; do
  openssl ts -query -data "$DOC" -"$md" -cert -out "$TMP/q-$md.tsq" 2>/dev/null
  post "$URL" "$TMP/q-$md.tsq" >/dev/null; cp "$TMP/body" "$TMP/r-$md.tsr"
  check "openssl ts -verify accepts a $md reply" ossl_verify "$TMP/r-$md.tsr" "$TMP/q-$md.tsq" "$UNTRUSTED"
done
# Serial numbers: random, at least 64 bits, never repeated.
post "$URL" "$TMP/q.tsq" >/dev/null; cp "$TMP/body" "$TMP/r2.tsr"
s1=$(serial_of "$TMP/r.tsr"); s2=$(serial_of "$TMP/r2.tsr")
check "serial numbers differ ($s1, $s2)" test -n "$s1" -a -n "$s2" -a "$s1" != "$s2"
check "serial numbers are at least 64 bits" test "${#s1}" -ge 16 -a "${#s2}" -ge 16
# Without certReq the token carries no certificate (RFC 3161 2.4.1).
openssl ts -query -data "$DOC" -sha256 -no_nonce -out "$TMP/q-nocert.tsq" 2>/dev/null
post "$URL" "$TMP/q-nocert.tsq" >/dev/null; cp "$TMP/body" "$TMP/r-nocert.tsr"
openssl ts -reply -in "$TMP/r-nocert.tsr" -token_out -out "$TMP/tok-nocert.der" 2>/dev/null
check "no certReq: no certificates in the token" \
  bash -c "! openssl pkcs7 -inform DER -in '$TMP/tok-nocert.der' -print_certs 2>/dev/null | grep -q subject"
cat "$P/tsa-rsa.cert.pem" "$UNTRUSTED" >"$TMP/tsa-and-ca.pem"
openssl ts -verify -in "$TMP/r-nocert.tsr" -queryfile "$TMP/q-nocert.tsq" -CAfile "$P/root.pem" \
  -untrusted "$TMP/tsa-and-ca.pem" >"$TMP/err" 2>&1
check "no certReq, no nonce: openssl ts -verify with the certificate given" has "$TMP/err" 'Verification: OK'

# Malformed request: a TimeStampResp saying rejection / badDataFormat.
printf 'this is not DER' >"$TMP/junk.tsq"
out=$(post "$URL" "$TMP/junk.tsq")
openssl ts -reply -in "$TMP/body" -text >"$TMP/err" 2>&1
check "malformed request: HTTP 200, status rejection (badDataFormat)" \
  bash -c "[ '$out' = '200 application/timestamp-reply' ] && grep -q 'Status: Rejected' '$TMP/err' &&
    grep -q 'wrong format' '$TMP/err'"
# A SHA-1 request: rejection / badAlg.
openssl ts -query -data "$DOC" -sha1 -cert -out "$TMP/q-sha1.tsq" 2>/dev/null
post "$URL" "$TMP/q-sha1.tsq" >/dev/null
openssl ts -reply -in "$TMP/body" -text >"$TMP/err" 2>&1
check "SHA-1 request: status rejection (badAlg)" \
  bash -c "grep -q 'Status: Rejected' '$TMP/err' && grep -q 'unsupported algorithm' '$TMP/err'"
# A policy this TSA does not have: unacceptedPolicy.
openssl ts -query -data "$DOC" -sha256 -tspolicy 1.2.3.4 -out "$TMP/q-pol.tsq" 2>/dev/null
post "$URL" "$TMP/q-pol.tsq" >/dev/null
openssl ts -reply -in "$TMP/body" -text >"$TMP/err" 2>&1
check "another policy: status rejection (unacceptedPolicy)" \
  bash -c "grep -q 'Status: Rejected' '$TMP/err' && grep -q 'policy is not supported' '$TMP/err'"
# HTTP rules.
out=$(curl -s -o /dev/null -w '%{http_code}' "$URL")
check "GET: 405" test "$out" = 405
out=$(post "$URL" "$TMP/q.tsq" text/plain)
check "wrong Content-Type: 415" test "${out%% *}" = 415
head -c 5000 /dev/zero >"$TMP/big.tsq"
out=$(post "$URL" "$TMP/big.tsq")
check "request above the default size limit (4096): 413" test "${out%% *}" = 413

# --- kyso timestamp against kyso tsa
"$KYSO" timestamp --in "$DOC" --out "$TMP/doc.tsr" --tsa "$URL" >"$TMP/out" 2>"$TMP/err"; rc=$?
check "kyso timestamp: exit 0" test "$rc" -eq 0
check "kyso timestamp prints genTime, serial and TSA" \
  bash -c "grep -q 'timestamp 20' '$TMP/out' && grep -q 'serial ' '$TMP/out' && grep -q 'Test TSA RSA' '$TMP/out'"
openssl ts -verify -in "$TMP/doc.tsr" -data "$DOC" -CAfile "$P/root.pem" -untrusted "$UNTRUSTED" \
  >"$TMP/err" 2>&1
check "openssl ts -verify -data accepts kyso timestamp's .tsr" has "$TMP/err" 'Verification: OK'
"$KYSO" timestamp --verify "$TMP/doc.tsr" --in "$DOC" --trust "$P/root.pem" >"$TMP/err" 2>&1; rc=$?
check "kyso timestamp --verify --trust: exit 0, TOTAL-PASSED" \
  bash -c "[ $rc -eq 0 ] && grep -q TOTAL-PASSED '$TMP/err'"
"$KYSO" timestamp --verify "$TMP/doc.tsr" --in "$DOC" >"$TMP/err" 2>&1; rc=$?
check "kyso timestamp --verify without --trust: exit 2 (cannot be confirmed)" test "$rc" -eq 2
"$KYSO" timestamp --verify "$TMP/doc.tsr" --in "$OTHER" --trust "$P/root.pem" >"$TMP/err" 2>&1; rc=$?
check "kyso timestamp --verify for another file: exit 1, HASH_FAILURE" \
  bash -c "[ $rc -eq 1 ] && grep -q HASH_FAILURE '$TMP/err'"
"$KYSO" timestamp --verify "$TMP/doc.tsr" --in "$DOC" --trust "$P/lookalike-root.pem" >"$TMP/err" 2>&1; rc=$?
check "kyso timestamp --verify with a look-alike root: exit 2" test "$rc" -eq 2
"$KYSO" timestamp --verify "$TMP/r-sha512.tsr" --in "$DOC" --trust "$P/root.pem" >"$TMP/err" 2>&1; rc=$?
check "kyso timestamp --verify reads OpenSSL-requested replies (SHA-512)" test "$rc" -eq 0
"$KYSO" timestamp --in "$DOC" --out "$TMP/doc384.tsr" --tsa "$URL" --md sha384 >/dev/null 2>"$TMP/err"
openssl ts -reply -in "$TMP/doc384.tsr" -text 2>/dev/null | grep -q 'Hash Algorithm: sha384'
check "kyso timestamp --md sha384" test $? -eq 0

# --- SIGTERM: exit 0, port closed
kyso_tsa_stop; rc=$?
check "SIGTERM: kyso tsa exits 0" test "$rc" -eq 0
check "kyso tsa reports what it served" has "$TMP/tsa.log" 'SIGTERM received, stopped ([0-9]* granted'
curl -s -o /dev/null "$URL"; rc=$?
check "after SIGTERM the port is closed (curl: connection refused)" test "$rc" -eq 7

# --- the TSA key on the SoftHSM token
if [ -n "${KYSO_URI_TSA_RSA:-}" ] && KYSO_PIN=$KYSO_TEST_PIN kyso_tsa_start "$KYSO" "$TMP/tsa-tok.log" \
  --key "$KYSO_URI_TSA_RSA" --max-request 200 2>"$TMP/err"; then
  ok "kyso tsa starts with the key on the token"
  post "$KYSO_TSA_URL" "$TMP/q.tsq" >/dev/null; cp "$TMP/body" "$TMP/r-tok.tsr"
  check "openssl ts -verify accepts the token key's reply" \
    ossl_verify "$TMP/r-tok.tsr" "$TMP/q.tsq" "$P/tok-tsa-rsa.chain.pem"
  openssl ts -reply -in "$TMP/r-tok.tsr" -text >"$TMP/text" 2>/dev/null
  check "token key: default policy, no accuracy" \
    bash -c "grep -q 'Policy OID: 2.999.1' '$TMP/text' && grep -q 'Accuracy: unspecified' '$TMP/text'"
  head -c 300 /dev/zero >"$TMP/300.tsq"
  out=$(post "$KYSO_TSA_URL" "$TMP/300.tsq")
  check "--max-request 200: a 300-byte request gets 413" test "${out%% *}" = 413
  kill -INT "$KYSO_TSA_PID"; wait "$KYSO_TSA_PID"; rc=$?; KYSO_TSA_PID=
  check "SIGINT: kyso tsa exits 0" test "$rc" -eq 0
else
  notok "kyso tsa starts with the key on the token" "$(cat "$TMP/err")"
fi

# --- refusals at start
"$KYSO" tsa --listen 127.0.0.1:0 --key-file "$P/principal-rsa.key.pem" --cert "$P/principal-rsa.cert.pem" \
  >/dev/null 2>"$TMP/err"; rc=$?
check "kyso tsa refuses a certificate without the timeStamping EKU (exit 3)" \
  bash -c "[ $rc -eq 3 ] && grep -q 'timeStamping' '$TMP/err'"
"$KYSO" tsa --listen localhost:0 >/dev/null 2>"$TMP/err"; rc=$?
check "kyso tsa refuses a non-numeric listen address (exit 3)" test "$rc" -eq 3

# --- client against TSAs that are down, slow or lying
kyso_tsa_start "$KYSO" "$TMP/tsa2.log" 2>"$TMP/err" || notok "kyso tsa restarts" "$(cat "$TMP/err")"
GOOD=$KYSO_TSA_URL
DOWN="http://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')/"
"$KYSO" timestamp --in "$DOC" --out "$TMP/down.tsr" --tsa "$DOWN" >/dev/null 2>"$TMP/err"; rc=$?
check "TSA down: exit 3, 'unreachable', no output file" \
  bash -c "[ $rc -eq 3 ] && grep -q unreachable '$TMP/err' && [ ! -e '$TMP/down.tsr' ]"
"$KYSO" timestamp --in "$DOC" --out "$TMP/two.tsr" --tsa "$DOWN" --tsa "$GOOD" >"$TMP/out" 2>"$TMP/err"; rc=$?
check "two TSAs, the first down: the second is used" \
  bash -c "[ $rc -eq 0 ] && grep -q 'from $GOOD' '$TMP/out' && [ -s '$TMP/two.tsr' ]"

peer() { # mode args...: start tsa_peer.py, set PEER_URL
  python3 "$ROOT/tests/integration/tsa_peer.py" "$@" >"$TMP/peer.port" 2>"$TMP/peer.err" &
  PEER_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    [ -s "$TMP/peer.port" ] && break
    sleep 0.05
  done
  PEER_URL="http://127.0.0.1:$(head -n1 "$TMP/peer.port")/"
}
unpeer() { kill "$PEER_PID" 2>/dev/null; wait "$PEER_PID" 2>/dev/null; PEER_PID=; : >"$TMP/peer.port"; }
lying() { # name, expected words
  rm -f "$TMP/lie.tsr"
  "$KYSO" timestamp --in "$DOC" --out "$TMP/lie.tsr" --tsa "$PEER_URL" --timeout 5 >/dev/null 2>"$TMP/err"; rc=$?
  check "$1: exit 3, '$2', no output file" \
    bash -c "[ $rc -eq 3 ] && grep -q -- '$2' '$TMP/err' && [ ! -e '$TMP/lie.tsr' ]"
}

# A slow TSA: the time limit, not the peer, ends the wait.
peer sleep 8
start=$(date +%s%N)
"$KYSO" timestamp --in "$DOC" --out "$TMP/slow.tsr" --tsa "$PEER_URL" --timeout 1 >/dev/null 2>"$TMP/err"; rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "slow TSA: exit 3, 'did not answer in time', no output file" \
  bash -c "[ $rc -eq 3 ] && grep -q 'did not answer in time' '$TMP/err' && [ ! -e '$TMP/slow.tsr' ]"
check "slow TSA: given up after the 1 s limit (${ms} ms, hang guard 6 s)" test "$ms" -lt 6000
unpeer
# Replayed genuine answers: for other data, and for this data but another request.
openssl ts -query -data "$OTHER" -sha256 -cert -out "$TMP/q-other.tsq" 2>/dev/null
post "$GOOD" "$TMP/q-other.tsq" >/dev/null; cp "$TMP/body" "$TMP/r-other.tsr"
peer replay "$TMP/r-other.tsr"; lying "lying TSA, a token for other data" "message imprint differs"; unpeer
peer replay "$TMP/r.tsr"; lying "lying TSA, a replayed token (same data, old nonce)" "nonce differs"; unpeer
# Right imprint and nonce, signed by certificates unfit for timestamps.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/nc.key" 2>/dev/null
openssl req -new -key "$TMP/nc.key" -subj '/CN=TSA with a non-critical EKU' -out "$TMP/nc.csr" 2>/dev/null
printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=timeStamping\n' >"$TMP/nc.ext"
openssl x509 -req -in "$TMP/nc.csr" -CA "$P/public-ca.pem" -CAkey "$P/public-ca.key.pem" -set_serial 7 \
  -days 30 -sha256 -extfile "$TMP/nc.ext" -out "$TMP/nc.pem" 2>/dev/null
echo 01 >"$TMP/tsaserial"
cat >"$TMP/ts.cnf" <<EOF
[ tsa ]
default_tsa = t
[ t ]
serial = $TMP/tsaserial
signer_cert = $P/tsa-rsa.cert.pem
signer_key = $P/tsa-rsa.key.pem
certs = $P/tsa-rsa.chain.pem
signer_digest = sha256
default_policy = 2.999.1
digests = sha256, sha384, sha512
ess_cert_id_alg = sha256
EOF
peer resign "$TMP/ts.cnf" "$P/principal-rsa.cert.pem" "$P/principal-rsa.key.pem"
lying "lying TSA, token signed with the principal's certificate (no timeStamping EKU)" \
  "extended key usage is not timeStamping"
unpeer
peer resign "$TMP/ts.cnf" "$TMP/nc.pem" "$TMP/nc.key"
lying "lying TSA, token signed with a non-critical timeStamping EKU" "not critical"
unpeer
# The same peer re-signing with the real TSA key passes: the peer itself is sound.
peer resign "$TMP/ts.cnf" "$P/tsa-rsa.cert.pem" "$P/tsa-rsa.key.pem"
"$KYSO" timestamp --in "$DOC" --out "$TMP/resigned.tsr" --tsa "$PEER_URL" >/dev/null 2>"$TMP/err"; rc=$?
check "control: the re-signing peer with the real TSA key is accepted" test "$rc" -eq 0
unpeer
kyso_tsa_stop; rc=$?
check "kyso tsa stops cleanly after the client tests" test "$rc" -eq 0

# --- make run's helper
check "kyso --help lists tsa and timestamp" \
  bash -c "'$KYSO' --help | grep -q '^  tsa ' && '$KYSO' --help | grep -q '^  timestamp '"

echo "1..$n"
