#!/usr/bin/env bash
# Load test of kyso serve: POST /v1/sign of a ~30 KB PDF with a file
# RSA-2048 key, then POST /v1/verify of the signed PDF, then the
# verification page's round trip (POST /verify of the signed PDF as the
# browser's form sends it, the HTML result back), at concurrency 32
# (bench/http_load.c, keep-alive connections), against
# `openssl speed -multi 2 rsa2048` signs per second measured in the same run.
# Reports throughput, the ratio to the reference (target >= 0.5 for sign),
# p99 latency (target <= 50 ms), errors (target 0) and the daemon's RSS
# after the warm-up and at the end (flat: no growth beyond noise), and the
# daemon's CPU per request with the throughput and ratio that CPU cost
# gives on two cores of its own (the reference counts CPU time, the
# measured rps wall time: on a shared machine the second is the fair one).
#
# usage: bench/serve.sh [BUILD]   env: SERVE_SECONDS (60), SERVE_CONNS (32)
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck disable=SC1091
. build/pki/env.sh
# shellcheck source=tests/lib/serve.sh
. tests/lib/serve.sh
KYSO=$ROOT/$BUILD/kyso
SECS=${SERVE_SECONDS:-60}
CONNS=${SERVE_CONNS:-32}
WARM=$((SECS / 6 > 2 ? SECS / 6 : 2))
TMP=$(mktemp -d)
RSS_PID=
cleanup() {
  [ -n "${KYSO_SERVE_PID:-}" ] && kill -KILL "$KYSO_SERVE_PID" 2>/dev/null
  [ -n "$RSS_PID" ] && kill "$RSS_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

LOAD=$ROOT/$BUILD/bench/http_load
mkdir -p "$(dirname "$LOAD")"
${CC:-gcc} -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -o "$LOAD" bench/http_load.c || exit 1

python3 tests/lib/mkbigpdf.py "$TMP/doc.pdf" 30000 || exit 1
cat >"$TMP/kyso.conf" <<EOF
[server]
threads = 32
max-connections = 256
[state]
dir = $TMP/var
sync = full
[signing]
# no OCSP/CRL peer runs here: the pre-signing revocation check is off
revocation = off
[verify]
trust = $KYSO_PKI_DIR/root.pem
revocation = off
# the page's per-address limit would throttle the one load client
rate = 1000000
burst = 1000000
[tsa]
key-file = $KYSO_PKI_DIR/tsa-rsa.key.pem
cert = $KYSO_PKI_DIR/tsa-rsa.cert.pem
chain = $KYSO_PKI_DIR/tsa-rsa.chain.pem
[key "seal"]
key-file = $KYSO_PKI_DIR/seal-rsa.key.pem
cert = $KYSO_PKI_DIR/seal-rsa.cert.pem
chain = $KYSO_PKI_DIR/seal-rsa.chain.pem
EOF
unset KYSO_PIN
kyso_serve_start "$KYSO" "$TMP/kyso.conf" "$TMP/serve.log" || exit 1
PORT=${KYSO_SERVE_URL##*:}
TOK=$("$KYSO" client add bench --grant seal --ops sign,verify --config "$TMP/kyso.conf" 2>/dev/null)
curl -s -o "$TMP/signed.pdf" -H "Authorization: Bearer $TOK" -H 'Content-Type: application/pdf' \
  --data-binary @"$TMP/doc.pdf" "$KYSO_SERVE_URL/v1/sign?key=seal" || exit 1

# the reference: RSA-2048 signs per second on both cores, now
ref=$(openssl speed -multi 2 -seconds 5 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6; exit}')
[ -n "$ref" ] || ref=$(openssl speed -multi 2 -seconds 5 rsa2048 2>/dev/null | awk '/rsa 2048/ {v=$(NF-1)} END {print v}')

rss() { awk '/^VmRSS/ {print $2}' "/proc/$KYSO_SERVE_PID/status" 2>/dev/null; }
sample_rss() { # every second into $1
  while kill -0 "$KYSO_SERVE_PID" 2>/dev/null; do rss >>"$1"; sleep 1; done
}

metric() { curl -s "$KYSO_SERVE_URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$KYSO_SERVE_PID/stat"; }
status=0
run() { # name path content-type body
  local name=$1 out rps p99 errs rss_warm rss_end
  : >"$TMP/rss"
  sample_rss "$TMP/rss" &
  RSS_PID=$!
  cpu0=$(cpu_ticks)
  rows0=$(metric kyso_audit_rows_total)
  commits0=$(metric kyso_audit_commits_total)
  out=$("$LOAD" 127.0.0.1 "$PORT" "$2" "$3" "$4" "$TOK" "$CONNS" "$SECS" "$WARM")
  cpu1=$(cpu_ticks)
  rows1=$(metric kyso_audit_rows_total)
  commits1=$(metric kyso_audit_commits_total)
  kill "$RSS_PID" 2>/dev/null
  wait "$RSS_PID" 2>/dev/null
  RSS_PID=
  rps=$(echo "$out" | awk '{print $6}')
  p99=$(echo "$out" | awk '{print $10}')
  errs=$(echo "$out" | awk '{print $4}')
  rss_warm=$(sed -n "$((WARM + 1))p" "$TMP/rss")
  rss_end=$(tail -1 "$TMP/rss")
  printf '%-29s %-14s %-14s %-7s (target >= 0.5)\n' "serve $name rps" "$rps" "${ref}/s" \
    "$(awk -v a="$rps" -v b="$ref" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
  printf '%-29s %-14s %-14s %-7s (target <= 50 ms)\n' "serve $name p99" "${p99} ms" "-" "-"
  printf '%-29s %-14s %-14s %-7s (p50, p90; requests per connection, fewest-most)\n' \
    "serve $name latency" "$(echo "$out" | awk '{print $8}') ms" "$(echo "$out" | awk '{print $14}') ms" \
    "$(echo "$out" | awk '{print $16 "-" $18}')"
  reqs=$(echo "$out" | awk '{print $2}')
  # the daemon's own CPU (user + system) per request, and the ratio the
  # run would reach with both cores to itself: openssl speed divides by
  # its processes' CPU time, the rps above by the wall clock, so on a
  # machine shared with other work this one is the like-for-like figure
  cpu_ms=$(awk -v t="$((cpu1 - cpu0))" -v hz="$HZ" -v n="$reqs" 'BEGIN {printf "%.3f", (n > 0 ? t * 1000 / hz / n : 0)}')
  printf '%-29s %-14s %-14s %-7s (RSA-2048 sign: %s ms per core)\n' "serve $name CPU/request" "${cpu_ms} ms" \
    "$(awk -v a="$cpu_ms" 'BEGIN {printf "%.0f/s", (a > 0 ? 2000 / a : 0)}')" \
    "$(awk -v a="$cpu_ms" -v b="$ref" 'BEGIN {printf "%.2f", (a > 0 && b > 0 ? 2000 / a / b : 0)}')" \
    "$(awk -v b="$ref" 'BEGIN {printf "%.3f", (b > 0 ? 2000 / b : 0)}')"
  [ "$rows1" != "$rows0" ] && printf '%-29s %-14s %-14s %s\n' "serve $name audit" \
    "$((rows1 - rows0)) rows" "$((commits1 - commits0)) commits" \
    "($(awk -v r="$((rows1 - rows0))" -v c="$((commits1 - commits0))" 'BEGIN {printf "%.1f", (c > 0 ? r / c : 0)}') rows per commit)"
  printf '%-29s %-14s (%s)\n' "serve $name errors" "$errs" "$out"
  printf '%-29s %-14s %-14s %s\n' "serve $name RSS" "${rss_end} kB" "${rss_warm} kB" \
    "(at the end / after the ${WARM} s warm-up)"
  [ "$errs" = 0 ] || status=1
}
echo "kyso serve load test: $CONNS connections, ${SECS} s each (warm-up ${WARM} s), 30 KB PDF, RSA-2048 key file"
run sign "/v1/sign?key=seal" application/pdf "$TMP/doc.pdf"
run verify /v1/verify application/pdf "$TMP/signed.pdf"
{
  printf -- '--kysobench\r\nContent-Disposition: form-data; name="lang"\r\n\r\nvi\r\n'
  printf -- '--kysobench\r\nContent-Disposition: form-data; name="document"; filename="hocba.pdf"\r\n'
  printf 'Content-Type: application/pdf\r\n\r\n'
  cat "$TMP/signed.pdf"
  printf '\r\n--kysobench--\r\n'
} >"$TMP/form.bin"
run page /verify "multipart/form-data; boundary=kysobench" "$TMP/form.bin"
kyso_serve_stop || status=1
"$KYSO" audit verify --config "$TMP/kyso.conf" | tail -1
exit $status
