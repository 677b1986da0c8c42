#!/usr/bin/env bash
# make run: render the sample transcript from its JSON record, sign it with the demo
# tokens of the homeroom teacher, the principal and the school seal, and verify it.
# Revocation is checked against the test PKI's own responders, started here.
# Then it starts the HTTP service (kyso serve, state in ./var) in the foreground
# with a demo client and prints its URL and ready curl examples; Ctrl-C stops it.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck disable=SC1091
. build/pki/env.sh
KYSO="$ROOT/$BUILD/kyso"
OUT="$ROOT/$BUILD/demo"
rm -rf "$OUT"
mkdir -p "$OUT"

# The demo token's PIN is a test value; real PINs are typed at the prompt.
export KYSO_PIN="$KYSO_TEST_PIN"

# The test PKI's OCSP responders and CRLs on 127.0.0.1 (the addresses its
# certificates name), so that signing and verifying check revocation as
# they would against a real CA; stopped when the demo ends.
P="$ROOT/build/pki"
TMP=$(mktemp -d)
# shellcheck source=tests/lib/pki_services.sh
. "$ROOT/tests/lib/pki_services.sh"
trap 'pki_services_cleanup || true; rm -rf "$TMP"' EXIT
pki_services_up && pki_all_up

echo "== tokens"
"$KYSO" tokens
echo
echo "== signing keys"
"$KYSO" keys

record="$ROOT/docs/examples/hocba.json"
if [ -f "$record" ] && "$KYSO" render --help >/dev/null 2>&1; then
  echo
  echo "== rendering the sample transcript from its record (docs/examples/hocba.json)"
  "$KYSO" render transcript --data "$record" --out "$OUT/hoc-ba.pdf" --xml "$OUT/hoc-ba.xml"
  echo
  echo "== signing it: homeroom teacher, principal, school seal (tokens, into its three fields)"
  "$KYSO" sign --key "$KYSO_URI_HOMEROOM_RSA" --in "$OUT/hoc-ba.pdf" --out "$OUT/hoc-ba-1.pdf" \
    --field GVCN --role "Giáo viên chủ nhiệm"
  "$KYSO" sign --key "$KYSO_URI_PRINCIPAL_RSA" --in "$OUT/hoc-ba-1.pdf" --out "$OUT/hoc-ba-2.pdf" \
    --field HieuTruong --role "Hiệu trưởng" --reason "Ký duyệt học bạ"
  "$KYSO" sign --key "$KYSO_URI_SEAL_RSA" --in "$OUT/hoc-ba-2.pdf" --out "$OUT/hoc-ba-da-ky.pdf" \
    --field DauTruong
  signed="$OUT/hoc-ba-da-ky.pdf"
  verify=("$KYSO" verify "$signed" --trust "$KYSO_TEST_ROOT")
else
  echo
  echo "== signing the sample gradebook (CAdES detached, principal's token)"
  cp docs/examples/so-diem-mau.csv "$OUT/so-diem-mau.csv"
  "$KYSO" sign --format cms --key "$KYSO_URI_PRINCIPAL_RSA" --in "$OUT/so-diem-mau.csv" \
    --out "$OUT/so-diem-mau.csv.p7s"
  signed="$OUT/so-diem-mau.csv.p7s"
  verify=("$KYSO" verify "$signed" --content "$OUT/so-diem-mau.csv" --trust "$KYSO_TEST_ROOT")
fi

echo
echo "== verification report"
"${verify[@]}" | tee "$OUT/bao-cao-xac-minh.txt"
"${verify[@]}" --json >"$OUT/report.json"

echo
echo "signed document:      $signed"
echo "report (Vietnamese):  $OUT/bao-cao-xac-minh.txt"
echo "report (JSON):        $OUT/report.json"
echo "test PKI and tokens:  build/pki (source build/pki/env.sh to use them)"

echo
echo "== the HTTP service (kyso serve; docs/api.md)"
# The principal's activation key for the demo: held by the principal, the
# service knows its public half (docs/api.md, "Personal keys").
mkdir -p var/activation
if [ ! -f var/activation/principal.pub.pem ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out var/principal-activation.key.pem 2>/dev/null
  openssl pkey -in var/principal-activation.key.pem -pubout \
    -out var/activation/principal.pub.pem 2>/dev/null
fi
token=$("$KYSO" client add "demo-$(date +%s)" --grant seal --grant principal \
  --ops sign,prepare,timestamp 2>/dev/null)
url=http://127.0.0.1:8340
cat <<EOF
URL: $url   (state: ./var; clients: $KYSO client list)
demo client token (shown once): $token

  curl -s $url/healthz
  curl -s $url/v1/keys
  curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/pdf' \\
       --data-binary @docs/examples/hocba.pdf -o /tmp/hoc-ba-seal.pdf "$url/v1/sign?key=seal&level=B-T"
  curl -s -H 'Content-Type: application/pdf' --data-binary @/tmp/hoc-ba-seal.pdf $url/v1/verify
  openssl ts -query -data docs/examples/hocba.json -sha256 -cert -out /tmp/q.tsq
  curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/timestamp-query' \\
       --data-binary @/tmp/q.tsq -o /tmp/r.tsr $url/v1/timestamp
  curl -s $url/metrics
  $KYSO audit verify

EOF
# not exec: the trap above stops the PKI responders when the service stops
"$KYSO" serve
