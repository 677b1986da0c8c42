#!/usr/bin/env bash
# kyso serve keeps its revocation cache in the store, so that instances
# over one store share it: one instance verifies a signature while the
# test PKI's OCSP and CRL services answer (the answer lands in the store,
# no cache folder is made); with the services down, a second instance
# over the same store still finds the signer's certificate good, from the
# cache.  Uses the fixed ports of tests/lib/pki_services.sh.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
P=${KYSO_PKI_DIR:-$ROOT/build/pki}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
TMP=$(mktemp -d)
# shellcheck source=tests/lib/pki_services.sh
. "$ROOT/tests/lib/pki_services.sh"
# shellcheck source=tests/lib/serve.sh
. "$ROOT/tests/lib/serve.sh"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  pki_services_cleanup
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP PIPE
unset KYSO_PIN KYSO_KEY_PASS
export KYSO_LOG=info

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

if [ ! -f "$P/ca/public/index.txt" ]; then
  notok "test PKI present" "run make pki"
  echo "1..$n"
  exit 1
fi

# a teacher's signature: the Public CA's OCSP responder and CRL name it
"$KYSO" sign --in "$ROOT/docs/examples/hocba.pdf" --out "$TMP/signed.pdf" \
  --key-file "$P/teacher-rsa.key.pem" --cert "$P/teacher-rsa.cert.pem" \
  --chain "$P/teacher-rsa.chain.pem" >/dev/null 2>"$TMP/err" ||
  notok "a signed PDF to verify" "$(cat "$TMP/err")"

conf() { # STATE-DIR INSTANCE STORE-DB
  cat <<EOF
[server]
threads = 2
[state]
dir = $1
instance = $2
store = sqlite:$3
sync = normal
[signing]
revocation = off
[verify]
trust = $P/root.pem
revocation = yes
[tsa]
key-file = $P/tsa-rsa.key.pem
cert = $P/tsa-rsa.cert.pem
chain = $P/tsa-rsa.chain.pem
[key "seal"]
key-file = $P/seal-rsa.key.pem
cert = $P/seal-rsa.cert.pem
chain = $P/seal-rsa.chain.pem
EOF
}
mkdir -p "$TMP/a" "$TMP/b"
DB=$TMP/a/kyso.db
conf "$TMP/a" kyso-a "$DB" >"$TMP/a.conf"
conf "$TMP/b" kyso-b "$DB" >"$TMP/b.conf"

# revocation of the signer as the report says it: STATUS SOURCE
rev_of() {
  $PY - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def walk(o):
    if isinstance(o, dict):
        if "revocation" in o and isinstance(o["revocation"], dict):
            yield o["revocation"]
        for v in o.values():
            yield from walk(v)
    elif isinstance(o, list):
        for v in o:
            yield from walk(v)
r = next(walk(d), None)
print("%s %s" % (r.get("status"), r.get("source")) if r else "none none")
PY
}
verify_at() { # URL OUT
  curl -s -o "$2" -w '%{http_code}' -H 'Content-Type: application/pdf' \
    --data-binary @"$TMP/signed.pdf" "$1/v1/verify?lang=en"
}
cache_rows() {
  $PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from cache where expires > strftime(\"%s\",\"now\")").fetchone()[0])' "$DB"
}

pki_services_up
if pki_all_up; then ok "the test PKI's OCSP and CRL services are up"; else notok "the test PKI's services" "$(tail -5 "$TMP/pki-peer.log")"; fi

if kyso_serve_start "$KYSO" "$TMP/a.conf" "$TMP/a.log" 2>"$TMP/err"; then
  PIDS+=("$KYSO_SERVE_PID")
  A_URL=$KYSO_SERVE_URL A_PID=$KYSO_SERVE_PID
  code=$(verify_at "$A_URL" "$TMP/a.json")
  got=$(rev_of "$TMP/a.json")
  if [ "$code" = 200 ] && [[ "$got" == good* ]]; then
    ok "instance a: the signer's certificate is good, from the network ($got)"
  else
    notok "instance a: revocation checked" "status $code, revocation '$got'" "$(head -c 600 "$TMP/a.json")"
  fi
  rows=$(cache_rows)
  if [ "${rows:-0}" -ge 1 ] && [ ! -e "$TMP/a/revocation" ]; then
    ok "the answer is kept in the store's cache ($rows items), no cache folder made"
  else
    notok "the answer is kept in the store" "cache rows '$rows'" "$(ls -la "$TMP/a")"
  fi
  KYSO_SERVE_PID=$A_PID
  kyso_serve_stop || notok "instance a stops" "$(tail -5 "$TMP/a.log")"
else
  notok "instance a starts" "$(cat "$TMP/err")"
fi

pki_all_down >/dev/null 2>&1
if ! curl -s -m 2 -o /dev/null "http://127.0.0.1:18081/" 2>/dev/null; then
  ok "the OCSP and CRL services are down"
else
  notok "the OCSP and CRL services are down"
fi

if kyso_serve_start "$KYSO" "$TMP/b.conf" "$TMP/b.log" 2>"$TMP/err"; then
  PIDS+=("$KYSO_SERVE_PID")
  code=$(verify_at "$KYSO_SERVE_URL" "$TMP/b.json")
  got=$(rev_of "$TMP/b.json")
  if [ "$code" = 200 ] && [[ "$got" == "good cache" ]]; then
    ok "instance b over the same store: still good, from the shared cache ($got)"
  else
    notok "instance b: good from the shared cache" "status $code, revocation '$got'" "$(head -c 600 "$TMP/b.json")"
  fi
  kyso_serve_stop || notok "instance b stops" "$(tail -5 "$TMP/b.log")"
else
  notok "instance b starts" "$(cat "$TMP/err")"
fi

# a cache item that is not a valid answer is checked like any other
# (not trusted because it came from the store) and not used
$PY -c 'import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.execute("update cache set v = X'"'"'3003020100'"'"'"); db.commit()' "$DB"
if kyso_serve_start "$KYSO" "$TMP/b.conf" "$TMP/b2.log" 2>"$TMP/err"; then
  PIDS+=("$KYSO_SERVE_PID")
  code=$(verify_at "$KYSO_SERVE_URL" "$TMP/b2.json")
  got=$(rev_of "$TMP/b2.json")
  if [ "$code" = 200 ] && [[ "$got" != good* ]]; then
    ok "a forged cache item in the store is not believed (revocation '$got')"
  else
    notok "a forged cache item is not believed" "status $code, revocation '$got'"
  fi
  kyso_serve_stop || notok "instance b stops again" "$(tail -5 "$TMP/b2.log")"
else
  notok "instance b starts again" "$(cat "$TMP/err")"
fi
echo "1..$n"
