#!/usr/bin/env bash
# The verification page in a real browser: Debian's headless Chromium
# driven by playwright-core (npm, installed test-locally by
# tests/browser/setup.sh) against kyso serve on a random 127.0.0.1 port.
# Screenshots are kept in build/browser/ for review.  Prints TAP (the
# set-up's lines, then tests/browser/page.mjs's).
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
BUILD=$(dirname "$KYSO")
if [ -z "${SOFTHSM2_CONF:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$ROOT/build/pki/env.sh"
fi
PKI=${KYSO_PKI_DIR:-$ROOT/build/pki}
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
export KYSO_PIN=${KYSO_TEST_PIN:-} KYSO_LOG=info
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
CHROMIUM=${KYSO_CHROMIUM:-/usr/bin/chromium}
SHOTS=$BUILD/browser

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
stop() { echo "1..$n"; exit 1; }
cn() { openssl x509 -in "$1" -noout -subject -nameopt utf8,sep_multiline | sed -n 's/^ *CN=//p'; }
sign() { # IN OUT WHO [args]
  local in=$1 out=$2 who=$3
  shift 3
  "$KYSO" sign --key-file "$PKI/$who.key.pem" --cert "$PKI/$who.cert.pem" \
    --chain "$PKI/$who.chain.pem" --revocation off --in "$in" --out "$out" "$@" \
    >>"$TMP/sign.log" 2>&1
}

if [ -x "$CHROMIUM" ]; then ok "Debian's chromium is installed ($CHROMIUM)"; else
  notok "Debian's chromium is installed (scripts/deps.sh)" "$CHROMIUM not found"; stop; fi
if DIR=$(bash "$ROOT/tests/browser/setup.sh" 2>"$TMP/err"); then ok "playwright-core installed test-locally"; else
  notok "playwright-core installed test-locally" "$(tail -5 "$TMP/err")"; stop; fi

STATE=$TMP/var
CONF=$TMP/kyso.conf
cat >"$CONF" <<EOF
[server]
threads = 4
max-body = 4M
[state]
dir = $STATE
[signing]
revocation = off
[verify]
trust = $PKI/root.pem
revocation = off
rate = 20
burst = 40
EOF
if kyso_serve_start "$KYSO" "$CONF" "$TMP/serve.log" 2>"$TMP/err"; then
  ok "kyso serve starts on 127.0.0.1 at a free port"
else
  notok "kyso serve starts" "$(cat "$TMP/err")"; stop
fi

PDF=$ROOT/docs/examples/hocba.pdf
if sign "$PDF" "$TMP/s1.pdf" homeroom-rsa --role "Giáo viên chủ nhiệm" &&
  sign "$TMP/s1.pdf" "$TMP/signed.pdf" principal-rsa --role "Hiệu trưởng" &&
  "$PY" "$ROOT/tests/integration/pades_attack.py" flip-byte "$TMP/signed.pdf" "$TMP/tampered.pdf" &&
  "$PY" "$ROOT/tests/integration/pades_attack.py" add-annotation "$TMP/signed.pdf" "$TMP/annotated.pdf"; then
  ok "a signed transcript, a tampered copy and a copy annotated after signing"
else
  notok "the test documents" "$(tail -5 "$TMP/sign.log")"; stop
fi
TOK=$("$KYSO" client add platform --grant seal --ops sign --config "$CONF" 2>"$TMP/err")
code=$(curl -s -o "$TMP/daemon.pdf" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
  -H 'Content-Type: application/pdf' --data-binary @"$PDF" "$KYSO_SERVE_URL/v1/sign?key=seal")
if [ "$code" = 200 ]; then ok "the daemon signs a transcript (its digest is in the audit log)"; else
  notok "the daemon signs a transcript" "status $code: $(head -c 300 "$TMP/daemon.pdf")"; stop; fi
DIGEST=$(sha256sum "$PDF" | cut -d' ' -f1)

# a transcript rendered with this daemon's verification URL, signed by the
# daemon; its QR code read from the printed page as a phone would
"$KYSO" render transcript --data "$ROOT/docs/examples/hocba.json" --out "$TMP/hb.pdf" \
  --verify-url "$KYSO_SERVE_URL/v" >"$TMP/err" 2>&1
code=$(curl -s -o "$TMP/hb-signed.pdf" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
  -H 'Content-Type: application/pdf' --data-binary @"$TMP/hb.pdf" "$KYSO_SERVE_URL/v1/sign?key=seal")
QR=""
if [ "$code" = 200 ] && pdftoppm -png -r 150 -f 1 -l 1 "$TMP/hb-signed.pdf" "$TMP/qr" &&
  QR=$(zbarimg -q --raw "$TMP"/qr-*.png 2>"$TMP/err" | tr -d '\n') &&
  [[ "$QR" == "$KYSO_SERVE_URL/v/hb-"* ]]; then
  ok "a rendered transcript signed by the daemon; zbarimg reads its QR code ($QR)"
else
  notok "a rendered transcript signed by the daemon, its QR code read" "status $code, QR '$QR'"; stop
fi
HB_SIGNED=$(sha256sum "$TMP/hb-signed.pdf" | cut -d' ' -f1)

# page.mjs (beside its node_modules in $DIR) numbers its own lines;
# they are renumbered after these
node "$DIR/page.mjs" "$KYSO_SERVE_URL" "$SHOTS" \
  "$TMP/signed.pdf" "$TMP/tampered.pdf" "$TMP/annotated.pdf" "$DIGEST" \
  "$(cn "$PKI/homeroom-rsa.cert.pem")" "$(cn "$PKI/principal-rsa.cert.pem")" \
  "$QR" "$TMP/hb-signed.pdf" "$HB_SIGNED" "$(cn "$PKI/tok-seal-rsa.cert.pem")" >"$TMP/tap" 2>"$TMP/err"
rc=$?
while IFS= read -r line; do
  case $line in
    "ok "*) n=$((n + 1)); echo "ok $n - ${line#* - }" ;;
    "not ok "*) n=$((n + 1)); echo "not ok $n - ${line#* - }" ;;
    "1.."*) ;;
    *) echo "$line" ;;
  esac
done <"$TMP/tap"
[ $rc -eq 0 ] || [ -s "$TMP/tap" ] || notok "the browser tests ran" "$(tail -5 "$TMP/err")"

if kyso_serve_stop; then ok "kyso serve stops cleanly"; else notok "kyso serve stops cleanly"; fi
echo "# screenshots: $SHOTS"
echo "1..$n"
