#!/usr/bin/env bash
# kyso serve over HTTPS (tls-cert, tls-key: libmicrohttpd with GnuTLS):
# curl checks the certificate against its CA; plain HTTP on the same port
# gets no answer.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
if [ -z "${SOFTHSM2_CONF:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$ROOT/build/pki/env.sh"
fi
P=${KYSO_PKI_DIR:-$ROOT/build/pki}
TMP=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

# a CA and a server certificate for 127.0.0.1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=kyso-test-tls-ca \
  -keyout "$TMP/ca.key" -out "$TMP/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
  -keyout "$TMP/srv.key" -out "$TMP/srv.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$TMP/ext"
openssl x509 -req -in "$TMP/srv.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial -days 2 \
  -extfile "$TMP/ext" -out "$TMP/srv.pem" 2>/dev/null
cat >"$TMP/kyso.conf" <<EOF
[server]
threads = 2
tls-cert = $TMP/srv.pem
tls-key = $TMP/srv.key
[state]
dir = $TMP/var
[verify]
trust = $P/root.pem
[tsa]
key-file = $P/tsa-rsa.key.pem
cert = $P/tsa-rsa.cert.pem
[key "seal"]
key-file = $P/seal-rsa.key.pem
cert = $P/seal-rsa.cert.pem
EOF
"$KYSO" serve --config "$TMP/kyso.conf" --listen 127.0.0.1:0 >"$TMP/log" 2>&1 &
PID=$!
url=
for _ in $(seq 1 200); do
  url=$(sed -n 's|^kyso serve: listening on \(https://[^ ]*\)/ .*|\1|p' "$TMP/log")
  [ -n "$url" ] && break
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.05
done
if [ -z "$url" ]; then
  notok "kyso serve starts with TLS" "$(cat "$TMP/log")"
  echo "1..$n"
  exit 1
fi
ok "kyso serve starts with TLS ($url)"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$TMP/ca.pem" "$url/healthz")
if [ "$code" = 200 ] && grep -q '"status":"ok"' "$TMP/body"; then
  ok "GET /healthz over HTTPS, the certificate checked against its CA"
else
  notok "GET /healthz over HTTPS" "$code $(cat "$TMP/body")"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://${url#https://}/healthz")
if [ "$code" != 200 ]; then ok "plain HTTP on the TLS port gets no answer"; else notok "plain HTTP answered"; fi
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")
if [ "$code" = 000 ]; then ok "a client that does not trust the CA refuses the connection"; else notok "untrusted CA accepted ($code)"; fi
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
if [ $rc = 0 ]; then ok "SIGTERM: exit 0"; else notok "SIGTERM: exit $rc"; fi
echo "1..$n"
