#!/usr/bin/env bash
# kill -9 of kyso serve in the middle of a stream of signatures: every
# answer that arrived whole is a valid signed PDF, no prepared signature
# can be completed twice across the crash, and after a restart the audit
# log still verifies and keeps growing.  Prints TAP.
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
PIDS=()
cleanup() {
  [ -n "${KYSO_SERVE_PID:-}" ] && kill -KILL "$KYSO_SERVE_PID" 2>/dev/null
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
unset KYSO_KEY_PASS http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export KYSO_PIN=$KYSO_TEST_PIN

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name" "$(head -c 800 "$TMP/err" 2>/dev/null)"; fi; }
b64() { base64 -w0 "$1"; }

STATE=$TMP/var
CONF=$TMP/kyso.conf
cat >"$CONF" <<EOF
[server]
threads = 4
[state]
dir = $STATE
[signing]
revocation = off
[verify]
trust = $P/root.pem
revocation = off
[key "seal"]
key-file = $P/seal-rsa.key.pem
cert = $P/seal-rsa.cert.pem
chain = $P/seal-rsa.chain.pem
EOF
PDF=$ROOT/docs/examples/hocba.pdf

if ! kyso_serve_start "$KYSO" "$CONF" "$TMP/serve.log" 2>"$TMP/err"; then
  notok "kyso serve starts" "$(cat "$TMP/err")"
  echo "1..$n"
  exit 1
fi
URL=$KYSO_SERVE_URL
TOK=$("$KYSO" client add crash --grant seal --ops sign,prepare --config "$CONF" 2>/dev/null)
AUTH=(-H "Authorization: Bearer $TOK")

prepare() { # -> id
  printf '{"document":"%s","certificate":"%s","chain":"%s"}' "$(b64 "$PDF")" \
    "$(b64 "$P/principal-rsa.cert.pem")" "$(b64 "$P/principal-rsa.chain.pem")" >"$TMP/prep.json"
  curl -s "${AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$TMP/prep.json" \
    "$URL/v1/sign/prepare" >"$TMP/prep.out"
  sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p' "$TMP/prep.out"
  sed -n 's/.*"digest":"\([^"]*\)".*/\1/p' "$TMP/prep.out" | base64 -d >"$TMP/tbs.$1"
}
complete() { # id tag -> HTTP status
  openssl pkeyutl -sign -inkey "$P/principal-rsa.key.pem" -pkeyopt digest:sha256 -in "$TMP/tbs.$2" \
    -out "$TMP/sig.$2" 2>/dev/null
  printf '{"id":"%s","signature":"%s"}' "$1" "$(b64 "$TMP/sig.$2")" >"$TMP/comp.$2.json"
  curl -s -o "$TMP/comp.$2.out" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
    --data-binary @"$TMP/comp.$2.json" "$URL/v1/sign/complete"
}

ID_A=$(prepare a)
# prepared signatures completed one after another while the daemon dies:
# the kill lands on one of them
NB=20
for k in $(seq 1 $NB); do prepare "b$k" >"$TMP/id.b$k"; done
st=$(complete "$ID_A" a)
check "a prepared signature completed before the crash (200)" test "$st" = 200

# A stream of signatures from 6 clients at once; kill -9 in the middle.
mkdir -p "$TMP/out"
for w in 1 2 3 4 5 6; do
  (
    for i in $(seq 1 200); do
      code=$(curl -s -o "$TMP/out/$w-$i.pdf" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/pdf' \
        --data-binary @"$PDF" "$URL/v1/sign?key=seal" 2>/dev/null)
      echo "$code" >"$TMP/out/$w-$i.code"
      [ "$code" = 000 ] && break
    done
  ) &
  PIDS+=($!)
done
(
  for k in $(seq 1 $NB); do
    code=$(complete "$(cat "$TMP/id.b$k")" "b$k")
    echo "$code" >"$TMP/b$k.code"
    [ "$code" = 000 ] && break
  done
) &
PIDS+=($!)
# the kill lands once the completions are under way (a few answered, most
# still to come) and the stream has answered some signatures
for _ in $(seq 200); do
  [ -e "$TMP/b3.code" ] && [ "$(ls "$TMP"/out/*.code 2>/dev/null | wc -l)" -ge 12 ] && break
  sleep 0.05
done
kill -KILL "$KYSO_SERVE_PID"
wait "$KYSO_SERVE_PID" 2>/dev/null
KYSO_SERVE_PID=
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
PIDS=()

done200=0 bad=0
for c in "$TMP"/out/*.code; do
  f=${c%.code}.pdf
  if [ "$(cat "$c")" = 200 ]; then
    done200=$((done200 + 1))
    qpdf --check "$f" >/dev/null 2>&1
    [ $? = 2 ] && bad=$((bad + 1)) # 0: fine, 3: warnings only
    tail -c 7 "$f" | grep -q '%%EOF' || bad=$((bad + 1))
  fi
done
check "signatures were answered before the kill ($done200), and each answer is a whole PDF" \
  test "$done200" -gt 0 -a "$bad" = 0
last=$(ls -t "$TMP"/out/*.code | head -1)
ok "the stream was cut by the kill (last status $(cat "$last"))"
"$KYSO" verify "$(ls "$TMP"/out/*.pdf | head -1)" --trust "$P/root.pem" --revocation off >/dev/null 2>&1
check "a signature answered before the kill verifies" test $? = 0

if ! kyso_serve_start "$KYSO" "$CONF" "$TMP/serve2.log" 2>"$TMP/err"; then
  notok "kyso serve starts again after kill -9" "$(cat "$TMP/err")"
  echo "1..$n"
  exit 1
fi
ok "kyso serve starts again after kill -9"
URL=$KYSO_SERVE_URL
st=$(complete "$ID_A" a)
check "the prepared signature completed before the crash: 409 prepared-used" test "$st" = 409
# each prepared signature of the stream: completed before the kill (200),
# cut by it (000), or not reached; after the restart it gives at most one
# more document, and none twice
twice=0 before=0 cut=0 later=0
for k in $(seq 1 $NB); do
  was=$(cat "$TMP/b$k.code" 2>/dev/null || echo none)
  first=$(complete "$(cat "$TMP/id.b$k")" "b$k")
  second=$(complete "$(cat "$TMP/id.b$k")" "b$k")
  [ "$was" = 200 ] && before=$((before + 1))
  [ "$was" = 000 ] && cut=$((cut + 1))
  [ "$first" = 200 ] && later=$((later + 1))
  { [ "$was" = 200 ] && [ "$first" = 200 ]; } && twice=$((twice + 1))
  [ "$second" = 409 ] || twice=$((twice + 1))
done
check "prepared signatures completed around the kill ($before before, $cut cut, $later after the restart): none twice" \
  test "$twice" = 0 -a "$before" -gt 0
st=$(curl -s -o "$TMP/after.pdf" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/pdf' \
  --data-binary @"$PDF" "$URL/v1/sign?key=seal")
check "signing works after the restart" test "$st" = 200
kyso_serve_stop
"$KYSO" audit verify --config "$CONF" >"$TMP/err" 2>&1
check "kyso audit verify: the log holds after kill -9 and restart" \
  bash -c "grep -q ' 0 problems' '$TMP/err'"

echo "1..$n"
