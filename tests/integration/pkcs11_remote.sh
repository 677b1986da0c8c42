#!/usr/bin/env bash
# A token reached over a unix socket: `p11-kit server` exports the test
# PKI's "principal" SoftHSM2 token, kyso loads p11-kit-client.so by path
# (module-path in the URI) with P11_KIT_SERVER_ADDRESS set, and lists and
# signs through it unchanged.  Signing goes through the unit test binary
# test_pkcs11_remote (kyso's own key API, every signature verified with
# OpenSSL), pointed at this server.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
BUILD=${KYSO_BUILD:-$ROOT/build}
if [ -z "${SOFTHSM2_CONF:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$ROOT/build/pki/env.sh"
fi
PIN=${KYSO_TEST_PIN:-123456}
SOFTHSM=${KYSO_SOFTHSM_MODULE:-/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so}
CLIENT=$(find /usr/lib /usr/local/lib -name p11-kit-client.so 2>/dev/null | head -1)
unset KYSO_PIN KYSO_PKCS11_MODULE KYSO_PKCS11_REGISTRY P11_KIT_SERVER_ADDRESS

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }
json() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$1" "$2"
}

TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

if [ -z "$CLIENT" ]; then
  notok "p11-kit-client.so present (Debian package p11-kit-modules)"
  echo "1..$n"; exit 1
fi
ok "p11-kit-client.so found at $CLIENT"

# Foreground server in the background of this script, stopped by its PID.
SOCK="$TMP/pkcs11.sock"
p11-kit server -f -n "$SOCK" --provider "$SOFTHSM" "pkcs11:token=principal" >"$TMP/server.out" 2>&1 &
SERVER_PID=$!
# The socket appears a moment before the server's announcement is flushed.
for _ in $(seq 200); do
  [ -S "$SOCK" ] && grep -q P11_KIT_SERVER_ADDRESS "$TMP/server.out" && break
  sleep 0.05
done
check "p11-kit server listens on a unix socket" test -S "$SOCK"
check "p11-kit server prints P11_KIT_SERVER_ADDRESS" grep -q "P11_KIT_SERVER_ADDRESS=unix:path=$SOCK" "$TMP/server.out"
export P11_KIT_SERVER_ADDRESS="unix:path=$SOCK"

"$KYSO" tokens --json --uri "pkcs11:?module-path=$CLIENT" >"$TMP/tokens.json" 2>"$TMP/err"
check "kyso tokens through the client module: exactly the served token" json "$TMP/tokens.json" \
  "len(d['tokens'])==1 and d['tokens'][0]['label']=='principal' and d['tokens'][0]['module'].endswith('p11-kit-client.so')"

"$KYSO" keys --json --uri "pkcs11:token=principal?module-path=$CLIENT&pin-value=$PIN" >"$TMP/keys.json" 2>"$TMP/err"
check "kyso keys through the client module: both keys with certificates" json "$TMP/keys.json" \
  "sorted(k['label'] for k in d['keys'])==['tok-principal-ec','tok-principal-rsa'] and all(k['certificate'] and not k['inferred'] for k in d['keys'])"

"$KYSO" keys --uri "pkcs11:token=principal?module-path=$CLIENT&pin-value=${PIN}9" >/dev/null 2>"$TMP/err"; rc=$?
check "wrong PIN through the server: exit 1, clear message" \
  bash -c "[ $rc -eq 1 ] && grep -q 'wrong PIN' '$TMP/err'"

# Signing through the same server (RSA PKCS#1 v1.5, PSS, ECDSA, 8 threads).
if [ -x "$BUILD/tests/test_pkcs11_remote" ]; then
  CMOCKA_MESSAGE_OUTPUT=stdout "$BUILD/tests/test_pkcs11_remote" >"$TMP/sign.log" 2>&1; rc=$?
  if [ "$rc" -eq 0 ] && grep -q "PASSED" "$TMP/sign.log"; then
    ok "signatures through the remote token verify with OpenSSL"
  else
    notok "signatures through the remote token verify with OpenSSL" "$(tail -20 "$TMP/sign.log")"
  fi
else
  notok "test_pkcs11_remote built (make tests)"
fi

kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
"$KYSO" tokens --uri "pkcs11:?module-path=$CLIENT" >"$TMP/gone.txt" 2>&1; rc=$?
check "server stopped: the remote token is gone" bash -c "! grep -q \"token 'principal'\" '$TMP/gone.txt'"

echo "1..$n"
