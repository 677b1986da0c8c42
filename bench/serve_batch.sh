#!/usr/bin/env bash
# kyso serve, batches: documents per second of POST /v1/sign/batch (50
# documents of ~30 KB per request) against POST /v1/sign of the same
# document one request at a time, measured in the same run on the same
# machine with the same daemon and RSA-2048 key file, from one client
# connection (a platform signing a class), with the audit log's full
# durability.  Prints "name measured reference ratio" lines.
#
# usage: bench/serve_batch.sh [BUILD]
#   env: SERVE_BATCH_SECONDS (10 per measurement), SERVE_BATCH_DOCS (50)
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck disable=SC1091
. build/pki/env.sh
# shellcheck source=tests/lib/serve.sh
. tests/lib/serve.sh
KYSO=$ROOT/$BUILD/kyso
SECS=${SERVE_BATCH_SECONDS:-10}
DOCS=${SERVE_BATCH_DOCS:-50}
WARM=$((SECS / 5 > 1 ? SECS / 5 : 1))
TMP=$(mktemp -d)
cleanup() {
  [ -n "${KYSO_SERVE_PID:-}" ] && kill -KILL "$KYSO_SERVE_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

LOAD=$ROOT/$BUILD/bench/http_load
mkdir -p "$(dirname "$LOAD")"
${CC:-gcc} -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -o "$LOAD" bench/http_load.c || exit 1

python3 tests/lib/mkbigpdf.py "$TMP/doc.pdf" 30000 || exit 1
python3 - "$TMP/doc.pdf" "$DOCS" "$TMP/batch.json" <<'PY' || exit 1
import base64, json, sys
doc = base64.b64encode(open(sys.argv[1], "rb").read()).decode()
n = int(sys.argv[2])
json.dump({"key": "seal", "documents": [{"name": "hs-%03d.pdf" % i, "document": doc} for i in range(n)]},
          open(sys.argv[3], "w"))
PY
cat >"$TMP/kyso.conf" <<EOF
[server]
threads = 8
max-body = 64M
[state]
dir = $TMP/var
sync = full
[signing]
revocation = off
batch-max = 1000
[verify]
trust = $KYSO_PKI_DIR/root.pem
revocation = off
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
TOK=$("$KYSO" client add bench --grant seal --ops sign --config "$TMP/kyso.conf" 2>/dev/null)
# one batch first: every document must be signed, or the numbers mean nothing
curl -s -o "$TMP/out.json" -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
  --data-binary @"$TMP/batch.json" "$KYSO_SERVE_URL/v1/sign/batch" || exit 1
signed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ok"])' "$TMP/out.json" 2>/dev/null)
if [ "$signed" != "$DOCS" ]; then
  echo "bench: a batch of $DOCS signed ${signed:-none}: $(head -c 300 "$TMP/out.json")" >&2
  exit 1
fi

status=0
load() { # path content-type body -> "rps errors p99"
  "$LOAD" 127.0.0.1 "$PORT" "$1" "$2" "$3" "$TOK" 1 "$SECS" "$WARM" | awk '{print $6, $4, $10}'
}
read -r one_rps one_err one_p99 <<<"$(load "/v1/sign?key=seal" application/pdf "$TMP/doc.pdf")"
read -r b_rps b_err b_p99 <<<"$(load /v1/sign/batch application/json "$TMP/batch.json")"
b_docs=$(awk -v r="$b_rps" -v n="$DOCS" 'BEGIN {printf "%.1f", r * n}')
printf '%-29s %-14s %-14s %-7s (target >= 1)\n' "serve batch docs/s" "$b_docs" "${one_rps}/s" \
  "$(awk -v a="$b_docs" -v b="$one_rps" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
printf '%-29s %-14s %-14s %s\n' "serve batch p99" "${b_p99} ms" "${one_p99} ms" \
  "(a batch of $DOCS / one document; 1 connection)"
[ "$one_err" = 0 ] && [ "$b_err" = 0 ] || {
  echo "bench: errors (one by one $one_err, batch $b_err)" >&2
  status=1
}
kyso_serve_stop || status=1
exit $status
