#!/usr/bin/env bash
# Revocation against real peers: OpenSSL's OCSP responder for each test CA
# (from its index file) and the CRLs served over HTTP, on the ports the
# test certificates name (127.0.0.1:18080 CRLs, :18081 Public CA OCSP,
# :18082 Government CA OCSP; certs-test/mkpki.sh), started and stopped by
# PID through tests/lib/pki_services.sh (the runner runs one script at a
# time, so no other test holds those ports meanwhile).
# Driven through `kyso trust check --json`.  Prints TAP.
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
  rm -rf "$TMP"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP PIPE

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

pki_services_up
start() { pki_start "$@"; } # PORT MODE ARGS...
stop() { pki_stop "$1"; }   # PORT
ocsp_public() { pki_ocsp_public "$@"; }

# check NAME CACHE ARGS...: kyso trust check --json into $TMP/NAME.json,
# its exit status into $TMP/NAME.rc, and the JSON flattened into
# $TMP/NAME.flat ("key<TAB>value", "attempt<TAB>kind/source/failure<TAB>reason");
# CACHE "-" for none.
check() {
  local name=$1 cache=(--cache "$2")
  shift 2
  [ "${cache[1]}" = - ] && cache=(--no-cache)
  "$KYSO" trust check --json "${cache[@]}" --timeout 5 "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"
  echo $? >"$TMP/$name.rc"
  "$PY" - "$TMP/$name.json" >"$TMP/$name.flat" 2>/dev/null <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for k, v in d.items():
    if isinstance(v, dict):
        for k2, v2 in v.items():
            print("%s.%s\t%s" % (k, k2, str(v2).lower() if isinstance(v2, bool) else v2))
    elif k == "attempts":
        for a in v:
            print("attempt\t%s/%s/%s\t%s" % (a["kind"], a["source"], a["failure"], a["reason"]))
    else:
        print("%s\t%s" % (k, str(v).lower() if isinstance(v, bool) else v))
EOF
}
# field NAME KEY: one value of $TMP/NAME.flat ("" when absent).
field() { awk -F '\t' -v k="$2" '$1 == k { print $2; exit }' "$TMP/$1.flat"; }
# failures NAME: "kind/source/failure" of every attempt, one per line.
failures() { awk -F '\t' '$1 == "attempt" { print $2 }' "$TMP/$1.flat"; }
# expect TEST NAME RC STATUS [SOURCE]: one TAP line.
expect() {
  local test=$1 name=$2 rc=$3 status=$4 source=${5:-} got_rc got_st got_src
  got_rc=$(cat "$TMP/$name.rc")
  got_st=$(field "$name" status)
  got_src=$(field "$name" evidence.source)
  if [ "$got_rc" = "$rc" ] && [ "$got_st" = "$status" ] &&
    { [ -z "$source" ] || [ "$got_src" = "$source" ]; }; then
    ok "$test"
  else
    notok "$test" "exit $got_rc status '$got_st' source '$got_src'" \
      "$(head -c 1500 "$TMP/$name.json" "$TMP/$name.err")"
  fi
}
# has_failure TEST NAME PATTERN [WORDS]: an attempt matches PATTERN (and its reason WORDS).
has_failure() {
  if failures "$2" | grep -qx -- "$3" &&
    { [ -z "${4:-}" ] || grep -q -- "$4" "$TMP/$2.json"; }; then
    ok "$1"
  else
    notok "$1" "attempts: $(failures "$2" | tr '\n' ' ')" "$(head -c 1500 "$TMP/$2.json")"
  fi
}

if [ ! -f "$P/ca/public/index.txt" ]; then
  notok "test PKI present" "run make pki"
  echo "1..$n"
  exit 1
fi
TEACHER=(--cert "$P/teacher-rsa.cert.pem" --issuer "$P/public-ca.pem")
REVOKED=(--cert "$P/revoked-rsa.cert.pem" --issuer "$P/public-ca.pem")
PRINCIPAL=(--cert "$P/principal-rsa.cert.pem" --trust "$P/root.pem" --trust "$P/cas.pem")

# What the HTTP peer on :18080 serves: the CRLs and CA certificates only
# (pki_crls copies them to $TMP/www).
mkdir -p "$TMP/www-other/crl" "$TMP/www-forged/crl"
# Another CA's CRL where the Public CA's belongs.
cp "$P/crl/gov-ca.crl.der" "$TMP/www-other/crl/public-ca.crl.der"
# A CRL under the Public CA's very name, signed by the look-alike CA's key
# (no authorityKeyIdentifier, so only the signature can tell).
mkdir -p "$TMP/lookalike"
: >"$TMP/lookalike/index.txt"
echo 1000 >"$TMP/lookalike/crlnumber"
cat >"$TMP/lookalike/ca.cnf" <<EOF
[ ca ]
default_ca = L
[ L ]
database         = $TMP/lookalike/index.txt
crlnumber        = $TMP/lookalike/crlnumber
certificate      = $P/lookalike-public-ca.pem
private_key      = $P/lookalike-public-ca.key.pem
default_md       = sha256
default_crl_days = 30
EOF
openssl ca -config "$TMP/lookalike/ca.cnf" -gencrl -out "$TMP/lookalike/crl.pem" >/dev/null 2>&1 &&
  openssl crl -in "$TMP/lookalike/crl.pem" -outform DER -out "$TMP/www-forged/crl/public-ca.crl.der"

# --- the peers up: OCSP answers, checked and cached
pki_all_up || { notok "peers start on 127.0.0.1:18080-18082"; echo "1..$n"; exit 1; }

check good "$TMP/c1" "${TEACHER[@]}"
expect "good certificate: GOOD via the OCSP responder" good 0 good ocsp-url
if [ "$(field good evidence.nonce_matched)" = true ] && [ "$(field good evidence.delegated)" = true ] &&
  [ "$(field good evidence.signer)" = "/C=VN/O=Kyso Test PKI/CN=Test Public CA OCSP Responder" ] &&
  [ -n "$(field good evidence.next_update)" ]; then
  ok "the answer: nonce matched, delegated responder named, nextUpdate given"
else
  notok "the answer: nonce matched, delegated responder named, nextUpdate given" "$(cat "$TMP/good.json")"
fi
cached=$(find "$TMP/c1" -name 'ocsp-*.der' | head -1)
next=$(date -u -d "$(field good evidence.next_update)" +%s 2>/dev/null)
if [ -n "$cached" ] && [ "$(stat -c %Y "$cached")" = "$next" ] &&
  openssl ocsp -respin "$cached" -noverify -resp_text 2>/dev/null | grep -q 'Cert Status: good'; then
  ok "the response is cached (an OCSP response, kept until its nextUpdate)"
else
  notok "the response is cached (an OCSP response, kept until its nextUpdate)" "$(ls -l "$TMP/c1" 2>&1)"
fi

check revoked "$TMP/c1" "${REVOKED[@]}"
expect "revoked-rsa: REVOKED via OCSP" revoked 1 revoked ocsp-url
line=$(grep "$(openssl x509 -in "$P/revoked-rsa.cert.pem" -noout -serial | cut -d= -f2)" "$P/ca/public/index.txt")
rt=$(echo "$line" | cut -f3 | cut -d, -f1)
want="20${rt:0:2}-${rt:2:2}-${rt:4:2}T${rt:6:2}:${rt:8:2}:${rt:10:2}Z"
if [ "$(field revoked reason)" = keyCompromise ] && [ "$(field revoked revocation_time)" = "$want" ]; then
  ok "revoked-rsa: reason keyCompromise and the revocation time of the CA's database ($want)"
else
  notok "revoked-rsa: reason and time" "want $want keyCompromise" "$(cat "$TMP/revoked.json")"
fi

check gov "$TMP/c1" "${PRINCIPAL[@]}"
expect "principal-rsa (Government CA, issuer from --trust): GOOD via its own responder" gov 0 good ocsp-url

# --- OCSP down, CRL up
stop 18081
check viacrl "$TMP/c2" "${TEACHER[@]}"
expect "OCSP down, a fresh CRL reachable: GOOD via the CRL" viacrl 0 good crl-url
has_failure "... and the OCSP attempt says the responder is down" viacrl "ocsp/ocsp-url/net-down"
check revcrl - "${REVOKED[@]}"
expect "OCSP down: revoked-rsa REVOKED via the CRL" revcrl 1 revoked crl-url
[ "$(field revcrl reason)" = keyCompromise ] && ok "... with its reason from the CRL entry" ||
  notok "... with its reason from the CRL entry" "$(cat "$TMP/revcrl.json")"

# --- both down
stop 18080
check down "$TMP/c3" "${TEACHER[@]}"
expect "OCSP and CRL down: UNAVAILABLE (never GOOD)" down 2 unavailable
if failures down | grep -qx "ocsp/ocsp-url/net-down" && failures down | grep -qx "crl/crl-url/net-down" &&
  [ "$(field down try_later)" = true ]; then
  ok "... one reason per attempt (responder down, CRL down): try later"
else
  notok "... one reason per attempt (responder down, CRL down): try later" "$(cat "$TMP/down.json")"
fi
check off0 "$TMP/c3" --offline "${TEACHER[@]}"
expect "offline with an empty cache: UNAVAILABLE" off0 2 unavailable
has_failure "... the network was not asked (offline)" off0 "ocsp/ocsp-url/offline"

# --- the cache fills, then serves offline
ocsp_public || notok "the Public CA responder restarts"
check fill "$TMP/c3" "${TEACHER[@]}"
expect "responder back: GOOD, and cached" fill 0 good ocsp-url
stop 18081
check offline "$TMP/c3" --offline "${TEACHER[@]}"
expect "both down again, --offline: GOOD from the cache" offline 0 good cache
check later "$TMP/c3" --offline --at "$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)" "${TEACHER[@]}"
expect "the cached answer is not used past its nextUpdate" later 2 unavailable
has_failure "... rejected as stale" later "ocsp/cache/stale"

# --- lying responders (CRLs unreachable, so only the OCSP answer counts)
ocsp_public "$P/principal-rsa.cert.pem" "$P/principal-rsa.key.pem"
check unauth "$TMP/c4" "${TEACHER[@]}"
stop 18081
expect "response signed by another CA's certificate (principal-rsa): not GOOD" unauth 2 unavailable
has_failure "... rejected: unauthorised responder" unauth "ocsp/ocsp-url/unauthorised" "did not certify"

ocsp_public "$P/teacher-rsa.cert.pem" "$P/teacher-rsa.key.pem"
check noeku "$TMP/c4" "${TEACHER[@]}"
stop 18081
expect "response signed by a certificate of the issuer without id-kp-OCSPSigning: not GOOD" noeku 2 unavailable
has_failure "... rejected: lacks id-kp-OCSPSigning" noeku "ocsp/ocsp-url/unauthorised" "OCSPSigning"

ocsp_public "$P/public-ca.pem" "$P/public-ca.key.pem"
check direct - "${TEACHER[@]}"
stop 18081
expect "response signed by the issuing CA itself: GOOD" direct 0 good ocsp-url
[ "$(field direct evidence.delegated)" = false ] && ok "... not a delegated responder" ||
  notok "... not a delegated responder" "$(cat "$TMP/direct.json")"

# A genuine response to another request (its own nonce), replayed.
ocsp_public
openssl ocsp -issuer "$P/public-ca.pem" -cert "$P/teacher-rsa.cert.pem" -url http://127.0.0.1:18081 \
  -noverify -respout "$TMP/replayed.der" >/dev/null 2>&1
openssl ocsp -issuer "$P/public-ca.pem" -cert "$P/teacher-rsa.cert.pem" -url http://127.0.0.1:18081 \
  -no_nonce -noverify -respout "$TMP/nononce.der" >/dev/null 2>&1
stop 18081
start 18081 replay "$TMP/replayed.der"
check nonce - "${TEACHER[@]}"
stop 18081
expect "replayed response (another request's nonce): not GOOD" nonce 2 unavailable
has_failure "... rejected: wrong nonce" nonce "ocsp/ocsp-url/nonce" "not the one sent"
start 18081 replay "$TMP/nononce.der"
check nononce - "${TEACHER[@]}"
check nononce2 - --allow-no-nonce "${TEACHER[@]}"
stop 18081
has_failure "response without a nonce: rejected unless allowed" nononce "ocsp/ocsp-url/nonce" "without the request's nonce"
if [ "$(cat "$TMP/nononce2.rc")" = 0 ] && [ "$(field nononce2 no_nonce_allowed)" = true ]; then
  ok "... with --allow-no-nonce: GOOD, and the result says the nonce was missing"
else
  notok "... with --allow-no-nonce: GOOD, and the result says so" "$(cat "$TMP/nononce2.json")"
fi

# Past nextUpdate: the responder's answer holds one day; validation two days on.
ocsp_public
check stale - --at "$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)" "${TEACHER[@]}"
stop 18081
expect "response whose nextUpdate is before the validation time: not GOOD" stale 2 unavailable
has_failure "... rejected: stale" stale "ocsp/ocsp-url/stale" "nextUpdate was"

# --- CRLs that do not hold (OCSP down)
start 18080 files "$TMP/www-other"
check othercrl "$TMP/c5" "${TEACHER[@]}"
stop 18080
expect "another CA's CRL at the distribution point: not GOOD" othercrl 2 unavailable
has_failure "... rejected: issued by another CA" othercrl "crl/crl-url/not-for-certificate" "Test Government CA"
if [ -s "$TMP/www-forged/crl/public-ca.crl.der" ]; then
  start 18080 files "$TMP/www-forged"
  check forged "$TMP/c5" "${TEACHER[@]}"
  stop 18080
  expect "a CRL under the issuer's name signed by another CA's key: not GOOD" forged 2 unavailable
  has_failure "... rejected: bad signature" forged "crl/crl-url/signature"
else
  notok "a look-alike CRL could be made" "openssl ca -gencrl failed"
fi

echo "1..$n"
