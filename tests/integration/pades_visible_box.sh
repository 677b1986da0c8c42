#!/usr/bin/env bash
# --visible PAGE,X,Y,W,H must put the signature where a reader can see it
# (docs/signing-pdf.md): a box outside the page's crop box as displayed
# (after /Rotate), with negative coordinates, or too small for its text at
# a legible size is refused, and the message names the page size.  Boxes
# inside the page still sign, on portrait, turned and cropped pages.
# Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"

for tool in qpdf python3; do
	command -v "$tool" >/dev/null || notok "$tool is installed (scripts/deps.sh)"
done

# The sample turned a quarter (displayed 841.89 x 595.28), and cropped to
# [50 50 350 550] (displayed 300 x 500).
qpdf --rotate=+90:1 "$SAMPLE" "$TMP/turned.pdf"
python3 - "$SAMPLE" "$TMP/cropped-raw.pdf" <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
d = d.replace(b'/MediaBox [0 0 595.28 841.89]',
              b'/MediaBox [0 0 595.28 841.89] /CropBox [50 50 350 550]', 1)
open(sys.argv[2], 'wb').write(d)
EOF
qpdf "$TMP/cropped-raw.pdf" "$TMP/cropped.pdf" 2>/dev/null
[ -s "$TMP/cropped.pdf" ] || notok "qpdf rebuilt the cropped sample"

refused() { # NAME FILE BOX SIZE-PATTERN
	local name=$1 f=$2 box=$3 pat=$4
	rm -f "$TMP/out.pdf"
	if ! sign "$f" "$TMP/out.pdf" principal-rsa --visible "$box" &&
		grep -qE "$pat" "$TMP/sign.log" && [ ! -e "$TMP/out.pdf" ]; then
		ok "$name: refused, naming the page size"
	else
		notok "$name: refused, naming the page size" "$(cat "$TMP/sign.log")"
	fi
}
accepted() { # NAME FILE BOX
	local name=$1 f=$2 box=$3
	rm -f "$TMP/out.pdf"
	if sign "$f" "$TMP/out.pdf" principal-rsa --visible "$box" &&
		"$KYSO" verify "$TMP/out.pdf" --trust "$PKI/root.pem" --revocation off >/dev/null 2>&1; then
		ok "$name: signed"
	else
		notok "$name: signed" "$(cat "$TMP/sign.log")"
	fi
}

A4="595(\\.[0-9]+)? x 842|595(\\.[0-9]+)? x 841"
refused "far outside an A4 page (5000,5000)" "$SAMPLE" 1,5000,5000,230,80 "$A4"
refused "negative x" "$SAMPLE" 1,-10,40,230,80 "$A4"
refused "negative y" "$SAMPLE" 1,330,-40,230,80 "$A4"
refused "crossing the right edge" "$SAMPLE" 1,400,40,230,80 "$A4"
refused "crossing the top edge" "$SAMPLE" 1,330,800,230,80 "$A4"
refused "a 1 x 1 box" "$SAMPLE" 1,330,40,1,1 "$A4"
refused "a 40 x 8 box (text below a legible size)" "$SAMPLE" 1,330,40,40,8 "$A4"
accepted "the documented box 1,330,40,230,80" "$SAMPLE" 1,330,40,230,80
accepted "a box touching the page corner" "$SAMPLE" 1,0,0,230,80

TURNED="841(\\.[0-9]+)? x 595|842 x 595"
accepted "turned page: a box inside the landscape page as displayed" "$TMP/turned.pdf" 1,600,40,230,80
refused "turned page: a box beyond the displayed height" "$TMP/turned.pdf" 1,40,540,230,80 "$TURNED"

CROP="300 x 500"
accepted "cropped page: a box inside the crop box" "$TMP/cropped.pdf" 1,10,10,230,80
refused "cropped page: a box inside the media box but outside the crop box" \
	"$TMP/cropped.pdf" 1,100,10,230,80 "$CROP"

echo "1..$n"
