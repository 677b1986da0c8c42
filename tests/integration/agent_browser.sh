#!/usr/bin/env bash
# kyso agent with a real browser: Debian's headless Chromium driven by
# playwright-core (tests/browser/agent.mjs) against a tiny platform
# (tests/browser/platform.mjs: a page and its backend on a second
# loopback port), kyso serve for two-phase signing and kyso agent with
# the SoftHSM2 principal token.  Then every completed document is
# verified with kyso verify, and the PIN is looked for in every log.
# Prints TAP (the set-up's lines, then agent.mjs's, then the checks').
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
AGENT_PID= PLAT_PID= ROGUE_PID=
cleanup() {
  local p
  for p in "${KYSO_SERVE_PID:-}" "$AGENT_PID" "$PLAT_PID" "$ROGUE_PID"; do
    [ -n "$p" ] && kill -KILL "$p" 2>/dev/null
  done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
unset KYSO_KEY_PASS KYSO_PIN http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export KYSO_LOG=info
PIN=$KYSO_TEST_PIN
CHROMIUM=${KYSO_CHROMIUM:-/usr/bin/chromium}
SHOTS=$BUILD/browser

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
stop() { echo "1..$n"; exit 1; }
# wait_line FILE SED-EXPR PID -> the first match, within 20 s
wait_line() {
  local i v
  for ((i = 0; i < 400; i++)); do
    v=$(sed -n "$2" "$1" 2>/dev/null | head -1)
    [ -n "$v" ] && { echo "$v"; return 0; }
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

if [ -x "$CHROMIUM" ]; then ok "Debian's chromium is installed ($CHROMIUM)"; else
  notok "Debian's chromium is installed (scripts/deps.sh)" "$CHROMIUM not found"; stop; fi
if DIR=$(bash "$ROOT/tests/browser/setup.sh" 2>"$TMP/err"); then ok "playwright-core installed test-locally"; else
  notok "playwright-core installed test-locally" "$(tail -5 "$TMP/err")"; stop; fi

# --- the daemon: two-phase signing for the platform
CONF=$TMP/kyso.conf
cat >"$CONF" <<EOF2
[server]
threads = 4
max-body = 8M
[state]
dir = $TMP/var
[signing]
revocation = off
[verify]
trust = $PKI/root.pem
revocation = off
EOF2
if kyso_serve_start "$KYSO" "$CONF" "$TMP/serve.log" 2>"$TMP/err"; then
  ok "kyso serve starts on 127.0.0.1 at a free port"
else
  notok "kyso serve starts" "$(cat "$TMP/err")"; stop
fi
TOK=$("$KYSO" client add platform --grant seal --ops prepare --config "$CONF" 2>"$TMP/err")
[ -n "$TOK" ] || { notok "a platform client of the daemon" "$(cat "$TMP/err")"; stop; }

# --- the platform (and another one the agent does not serve)
DOCS=("$ROOT/docs/examples/hocba.pdf" "$ROOT/docs/examples/sodiem.pdf" "$ROOT/docs/examples/hocba.xml" "$ROOT/docs/examples/sodiem.xml")
mkdir -p "$TMP/out" "$TMP/rogue-out"
node "$ROOT/tests/browser/platform.mjs" "$KYSO_SERVE_URL" "$TOK" "$PKI/tok-principal-rsa.chain.pem" "$TMP/out" "${DOCS[@]}" \
  >"$TMP/platform.log" 2>&1 &
PLAT_PID=$!
node "$ROOT/tests/browser/platform.mjs" "$KYSO_SERVE_URL" "$TOK" "$PKI/tok-principal-rsa.chain.pem" "$TMP/rogue-out" "${DOCS[@]}" \
  >"$TMP/rogue.log" 2>&1 &
ROGUE_PID=$!
RE='s|^platform: listening on \(http://127.0.0.1:[0-9]*\)$|\1|p'
if PLATFORM=$(wait_line "$TMP/platform.log" "$RE" $PLAT_PID) && ROGUE=$(wait_line "$TMP/rogue.log" "$RE" $ROGUE_PID); then
  ok "the platform and a second, unconfigured one listen on loopback ports"
else
  notok "the platforms start" "$(cat "$TMP/platform.log" "$TMP/rogue.log")"; stop
fi

# --- the agent, serving that platform only
"$KYSO" agent --listen 127.0.0.1:0 --origin "$PLATFORM" --key "$KYSO_URI_PRINCIPAL_RSA" \
  >"$TMP/agent.out" 2>"$TMP/agent.log" &
AGENT_PID=$!
if PORT=$(wait_line "$TMP/agent.out" 's|^kyso agent: listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' $AGENT_PID); then
  ok "kyso agent starts for the platform's origin"
else
  notok "kyso agent starts" "$(cat "$TMP/agent.out" "$TMP/agent.log")"; stop
fi
SUBJECT="Nguyễn Thị Hồng Nhung"

node "$DIR/agent.mjs" "$PLATFORM" "$ROGUE" "http://127.0.0.1:$PORT" "$PIN" "${#DOCS[@]}" "$SUBJECT" "$SHOTS" \
  >"$TMP/tap" 2>"$TMP/err"
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

# --- what the platform's backend completed
good=0 bad=""
for d in "${DOCS[@]}"; do
  f=$TMP/out/$(basename "$d")
  if [ -s "$f" ] && "$KYSO" verify "$f" --trust "$PKI/root.pem" --revocation off >"$TMP/v.txt" 2>&1; then
    good=$((good + 1))
  else
    bad="$bad $(basename "$d"): $(head -3 "$TMP/v.txt" 2>/dev/null | tr '\n' ' ')"
  fi
done
if [ $good = ${#DOCS[@]} ]; then ok "every completed document (2 PDF, 2 XML) verifies: authentic and unchanged"; else
  notok "every completed document verifies" "$good of ${#DOCS[@]};$bad"; fi
if "$KYSO" verify "$TMP/out/hocba.pdf" --trust "$PKI/root.pem" --revocation off --json 2>/dev/null | grep -q "$SUBJECT"; then
  ok "signed by the token's principal"; else notok "signed by the token's principal"; fi
if [ -z "$(ls -A "$TMP/rogue-out")" ]; then ok "the unconfigured platform completed nothing"; else
  notok "the unconfigured platform completed nothing" "$(ls "$TMP/rogue-out")"; fi
if [ "$(grep -c 'agent: signed "Học bạ: ' "$TMP/agent.log")" = ${#DOCS[@]} ]; then
  ok "the agent's log has one line per signature"; else notok "the agent's log has one line per signature" "$(tail -5 "$TMP/agent.log")"; fi
if grep -q "refused GET /v1/.* from origin '$ROGUE'" "$TMP/agent.log"; then
  ok "the agent logged the refused origin"; else notok "the agent logged the refused origin" "$(tail -5 "$TMP/agent.log")"; fi

kill -TERM "$AGENT_PID" "$PLAT_PID" "$ROGUE_PID" 2>/dev/null
wait "$AGENT_PID"; arc=$?
wait "$PLAT_PID" "$ROGUE_PID" 2>/dev/null
AGENT_PID= PLAT_PID= ROGUE_PID=
if [ $arc = 0 ] && grep -q 'token logged out' "$TMP/agent.log"; then ok "the agent stops, the token logged out"; else
  notok "the agent stops, the token logged out" "exit $arc"; fi
if kyso_serve_stop; then ok "kyso serve stops cleanly"; else notok "kyso serve stops cleanly"; fi
if ! grep -qF -- "$PIN" "$TMP/agent.log" "$TMP/agent.out" "$TMP/serve.log" "$TMP/platform.log" "$TMP/rogue.log" "$TMP/err"; then
  ok "the PIN is in no log (agent, daemon, platform, browser)"; else notok "the PIN is in no log"; fi
echo "# screenshots: $SHOTS"
echo "1..$n"
