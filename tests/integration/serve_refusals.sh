#!/usr/bin/env bash
# kyso serve: every refusal leaves an audit row whose outcome is its
# problem code (400 bad JSON, base64 and multipart, 401, 403, 413 before
# and while the body arrives, 415, 429), with the request id of the answer
# and the peer's address; refusals past the per-address ration and every
# 429 are counted in aggregated rows ("count"), so a flood adds a bounded
# number of rows and none goes uncounted; the log still verifies.  A
# signature whose audit row cannot be written (the log locked by another
# writer) is answered 503, without the document.  Prints
# TAP.
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
unset KYSO_KEY_PASS KYSO_PIN http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export KYSO_LOG=warn
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

STATE=$TMP/var
CONF=$TMP/kyso.conf
# a window long enough that the first checks stay in one; FLOOD refusals
# from one address: RATION rows of their own at most, the rest counted
RATION=12
FLOOD=40
cat >"$CONF" <<EOF
[server]
threads = 4
max-body = 64K
[state]
dir = $STATE
sync = normal
[signing]
revocation = off
[verify]
trust = $P/root.pem
revocation = off
rate = 1
burst = 1
[tsa]
key-file = $P/tsa-rsa.key.pem
cert = $P/tsa-rsa.cert.pem
chain = $P/tsa-rsa.chain.pem
[audit]
refusal-window = 3600
refusal-rows = $RATION
[key "seal"]
key-file = $P/seal-rsa.key.pem
cert = $P/seal-rsa.cert.pem
chain = $P/seal-rsa.chain.pem
EOF

if ! kyso_serve_start "$KYSO" "$CONF" "$TMP/serve.log" 2>"$TMP/err"; then
  notok "kyso serve starts" "$(cat "$TMP/err")"
  echo "1..$n"
  exit 1
fi
URL=$KYSO_SERVE_URL
TOK=$("$KYSO" client add platform --grant seal --ops sign --config "$CONF" 2>/dev/null)

# req EXPECTED-STATUS [curl args...]: the answer's request id on stdout
req() {
  local want=$1 got id
  shift
  got=$(curl -s -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' "$@")
  id=$(sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *\([0-9a-f]*\).*/\1/p' "$TMP/headers" | head -1)
  if [ "$got" != "$want" ]; then
    echo "status $got, not $want: $(head -c 300 "$TMP/body")" >&2
    return 1
  fi
  echo "$id"
}
# row_for ID OUTCOME OP CLIENT: the audit row of that request says so
row_for() {
  $PY - "$STATE/kyso.db" "$@" <<'PY'
import json, sqlite3, sys
db, rid, outcome, op, client = sys.argv[1:6]
rows = [json.loads(bytes(e)) for (e,) in sqlite3.connect(db).execute("select entry from audit")]
mine = [r for r in rows if r.get("request") == rid]
ok = (len(mine) == 1 and mine[0]["outcome"] == outcome and mine[0]["op"] == op and
      mine[0]["client"] == client and mine[0].get("addr") == "127.0.0.1" and "count" not in mine[0])
print("yes" if ok else "no: %r" % mine)
sys.exit(0 if ok else 1)
PY
}
check_row() { # name id outcome op client
  local name=$1 out
  shift
  if [ -z "$1" ]; then
    notok "$name" "no answer with a request id"
  elif out=$(row_for "$@" 2>&1); then
    ok "$name"
  else
    notok "$name" "$out"
  fi
}

AUTH=(-H "Authorization: Bearer $TOK")
id=$(req 400 "${AUTH[@]}" -H 'Content-Type: application/json' --data '{"key":' "$URL/v1/sign")
check_row "400 malformed JSON: a row with outcome bad-json, the client and the address" \
  "$id" bad-json sign platform
id=$(req 400 "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data '{"key":"seal","document":"!!!"}' "$URL/v1/sign")
check_row "400 bad base64: a row with outcome bad-base64" "$id" bad-base64 sign platform
id=$(req 400 "${AUTH[@]}" -H 'Content-Type: multipart/form-data; boundary=zz' \
  --data-binary $'--zz\r\nbroken' "$URL/v1/sign")
check_row "400 malformed multipart: a row with outcome bad-multipart" "$id" bad-multipart sign platform
id=$(req 401 -H 'Content-Type: application/pdf' --data-binary @"$ROOT/docs/examples/hocba.pdf" \
  "$URL/v1/sign?key=seal")
check_row "401 without a token: a row with outcome unauthorized" "$id" unauthorized sign ""
id=$(req 403 "${AUTH[@]}" -H 'Content-Type: application/timestamp-query' --data-binary 'x' \
  "$URL/v1/timestamp")
check_row "403 operation not granted: a row with outcome forbidden-operation" \
  "$id" forbidden-operation timestamp platform
head -c 100000 /dev/zero >"$TMP/big.pdf"
id=$(req 413 "${AUTH[@]}" -H 'Content-Type: application/pdf' --data-binary @"$TMP/big.pdf" \
  "$URL/v1/sign?key=seal")
check_row "413 over max-body (Content-Length): a row with outcome too-large" "$id" too-large sign ""
id=$(req 413 "${AUTH[@]}" -H 'Content-Type: application/pdf' -H 'Transfer-Encoding: chunked' \
  --data-binary @"$TMP/big.pdf" "$URL/v1/sign?key=seal")
check_row "413 over max-body (chunked, counted as it arrives): a row with outcome too-large" \
  "$id" too-large sign ""
id=$(req 415 "${AUTH[@]}" -H 'Content-Type: application/x-www-form-urlencoded' --data 'a=b' \
  "$URL/v1/sign?key=seal")
check_row "415 unsupported Content-Type: a row with outcome unsupported-media-type" \
  "$id" unsupported-media-type sign platform

# The audit log held by another writer past the busy timeout (5 s): the
# signature's row cannot be written, so the signed document does not go
# out (503 storage-unavailable, a problem body); the lock gone, the next
# one is signed.
$PY - "$STATE/kyso.db" "$TMP/locked" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(7)
c.execute("ROLLBACK")
PY
LOCKER=$!
for _ in $(seq 100); do [ -e "$TMP/locked" ] && break; sleep 0.1; done
code=$(curl -s -o "$TMP/held.out" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/pdf' \
  --data-binary @"$ROOT/docs/examples/hocba.pdf" "$URL/v1/sign?key=seal")
if [ -e "$TMP/locked" ] && [ "$code" = 503 ] && grep -q 'problem:storage-unavailable' "$TMP/held.out" &&
  ! grep -q '%PDF' "$TMP/held.out"; then
  ok "audit row not written (log locked by another writer): 503 storage-unavailable, no document"
else
  notok "audit row not written: 503 storage-unavailable, no document" "status $code: $(head -c 300 "$TMP/held.out")"
fi
wait "$LOCKER"
code=$(curl -s -o "$TMP/after.pdf" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/pdf' \
  --data-binary @"$ROOT/docs/examples/hocba.pdf" "$URL/v1/sign?key=seal")
if [ "$code" = 200 ] && head -c 5 "$TMP/after.pdf" | grep -q '%PDF'; then
  ok "the lock gone, the next signature is answered (200, a PDF)"
else
  notok "the lock gone, the next signature is answered" "status $code: $(head -c 300 "$TMP/after.pdf")"
fi

# 429: burst 1, so all but (about) the first of these are refused
n429=0
for _ in 1 2 3 4 5 6; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/pdf' \
    --data-binary @"$ROOT/docs/examples/hocba.pdf" "$URL/v1/verify")
  [ "$code" = 429 ] && n429=$((n429 + 1))
done
if [ "$n429" -ge 4 ]; then ok "429 past the verify rate limit ($n429 of 6)"; else notok "429 past the verify rate limit" "only $n429 of 6"; fi

# a flood of 401s from one address: the ration, then counting
for ((i = 0; i < FLOOD; i++)); do
  printf 'url = "%s/v1/sign"\noutput = "/dev/null"\nheader = "Authorization: Bearer kyso_nothing"\nrequest = "POST"\n' "$URL"
done >"$TMP/flood.cfg"
curl -s -o /dev/null --parallel --parallel-max 8 -K "$TMP/flood.cfg" 2>/dev/null ||
  for ((i = 0; i < FLOOD; i++)); do
    curl -s -o /dev/null -X POST -H 'Authorization: Bearer kyso_nothing' "$URL/v1/sign"
  done

# the aggregated rows are written when their window ends, or at stop
if kyso_serve_stop; then ok "kyso serve stops cleanly (the counted refusals written)"; else notok "kyso serve stops cleanly" "$(tail -5 "$TMP/serve.log")"; fi

$PY - "$STATE/kyso.db" "$RATION" "$FLOOD" "$n429" >"$TMP/agg" 2>&1 <<'PY'
import json, sqlite3, sys
db, ration, flood, n429 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = [json.loads(bytes(e)) for (e,) in sqlite3.connect(db).execute("select entry from audit order by rid")]
unauth = [r for r in rows if r["outcome"] == "unauthorized"]
own = [r for r in unauth if "count" not in r]
agg = [r for r in unauth if "count" in r]
counted = len(own) + sum(r["count"] for r in agg)
rl = [r for r in rows if r["outcome"] == "rate-limited"]
print("401: %d rows of their own, %d aggregated, %d refusals counted" % (len(own), len(agg), counted))
print("429: %r" % rl)
ok401 = (len(own) <= ration and counted == flood + 1 and len(agg) == 1 and
         agg[0]["addr"] == "127.0.0.1" and agg[0]["op"] == "sign" and agg[0]["request"] != "")
ok429 = (len(rl) == 1 and rl[0].get("count") == n429 and rl[0]["op"] == "verify" and
         rl[0]["addr"] == "127.0.0.1")
print("401 " + ("good" if ok401 else "bad"))
print("429 " + ("good" if ok429 else "bad"))
PY
if grep -q '^401 good' "$TMP/agg"; then
  ok "a flood of $FLOOD 401s: at most $RATION rows of their own, the rest in one aggregated row; every refusal counted"
else
  notok "a flood of 401s is rationed and counted" "$(cat "$TMP/agg")"
fi
if grep -q '^429 good' "$TMP/agg"; then
  ok "429s: one aggregated row per address with their count"
else
  notok "429s: one aggregated row per address with their count" "$(cat "$TMP/agg")"
fi

"$KYSO" audit verify --config "$CONF" >"$TMP/verify" 2>&1
if grep -q ' 0 problems' "$TMP/verify"; then
  ok "kyso audit verify: the log with refusal and aggregated rows holds"
else
  notok "kyso audit verify holds" "$(cat "$TMP/verify")"
fi
# with a short window the housekeeping writes the counted refusals while
# the daemon runs (not only at stop)
sed -i 's/^refusal-window = .*/refusal-window = 1/' "$CONF"
if kyso_serve_start "$KYSO" "$CONF" "$TMP/serve2.log" 2>"$TMP/err"; then
  before=$($PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from audit where CAST(entry AS TEXT) like \"%rate-limited%\"").fetchone()[0])' "$STATE/kyso.db")
  for _ in 1 2 3 4 5; do
    curl -s -o /dev/null -H 'Content-Type: application/pdf' \
      --data-binary @"$ROOT/docs/examples/hocba.pdf" "$KYSO_SERVE_URL/v1/verify"
  done
  sleep 3
  after=$($PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from audit where CAST(entry AS TEXT) like \"%rate-limited%\"").fetchone()[0])' "$STATE/kyso.db")
  if [ "$after" -gt "$before" ]; then
    ok "the window's aggregated row is written when the window ends, the daemon running"
  else
    notok "the window's aggregated row is written when the window ends" "rate-limited rows $before then $after"
  fi
  kyso_serve_stop || notok "kyso serve stops again" "$(tail -5 "$TMP/serve2.log")"
else
  notok "kyso serve starts again" "$(cat "$TMP/err")"
fi
"$KYSO" audit verify --config "$CONF" >"$TMP/verify" 2>&1
if grep -q ' 0 problems' "$TMP/verify"; then
  ok "kyso audit verify holds after the second run"
else
  notok "kyso audit verify holds after the second run" "$(cat "$TMP/verify")"
fi
echo "1..$n"
