#!/usr/bin/env bash
# make run: sign a sample record with the demo principal's token and verify it.
# (Once the HTTP service exists, make run starts it instead.)
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

echo "== tokens"
"$KYSO" tokens
echo
echo "== signing keys"
"$KYSO" keys

in_pdf="$ROOT/docs/examples/hocba.pdf"
if [ -f "$in_pdf" ] && "$KYSO" sign --help 2>&1 | grep -q -- '--visible'; then
  echo
  echo "== signing the sample transcript (PAdES, visible, principal's token)"
  "$KYSO" sign --key "$KYSO_URI_PRINCIPAL_RSA" --in "$in_pdf" --out "$OUT/hoc-ba-da-ky.pdf" \
    --visible 1,330,40,230,80 --role "Hiệu trưởng" --reason "Ký duyệt học bạ"
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
