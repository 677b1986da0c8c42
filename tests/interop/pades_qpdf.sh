#!/usr/bin/env bash
# Every PDF `kyso sign` writes passes `qpdf --check`, and keeps the
# original as a byte-exact prefix (an incremental update, ISO 32000-1
# 7.5.6): invisible, visible, serial, certified, locked, xref-stream and
# object-stream inputs.  A failed sign leaves no file.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"

# case NAME IN OUT ENTITY [options]: sign, qpdf --check, prefix
case_ok() {
	local name=$1 in=$2 out=$3
	shift 3
	if ! sign "$in" "$out" "$@"; then
		notok "$name: kyso sign" "$(cat "$TMP/sign.log")"
		return
	fi
	if qpdf --check "$out" >"$TMP/qpdf.log" 2>&1; then
		ok "$name: qpdf --check"
	else
		notok "$name: qpdf --check" "$(tr '\n' '|' <"$TMP/qpdf.log")"
	fi
	if cmp -s -n "$(stat -c %s "$in")" "$in" "$out" && [ "$(stat -c %s "$out")" -gt "$(stat -c %s "$in")" ]; then
		ok "$name: original is a byte-exact prefix"
	else
		notok "$name: original is a byte-exact prefix"
	fi
}

if ! command -v qpdf >/dev/null; then
	echo "Bail out! qpdf is not installed (scripts/deps.sh installs it)"
	exit 1
fi

case_ok "invisible" "$SAMPLE" "$TMP/a.pdf" principal-rsa --reason "Ký duyệt học bạ"
case_ok "visible" "$SAMPLE" "$TMP/b.pdf" principal-ec --visible 1,330,60,220,75 \
	--reason "Ký duyệt học bạ" --role "Hiệu trưởng"
case_ok "serial 2" "$TMP/b.pdf" "$TMP/c.pdf" homeroom-rsa --visible 1,40,60,220,75
case_ok "serial 3" "$TMP/c.pdf" "$TMP/d.pdf" seal-ec
case_ok "certified" "$SAMPLE" "$TMP/e.pdf" principal-rsa --certify 3
case_ok "locked" "$SAMPLE" "$TMP/f.pdf" principal-rsa --lock all
qpdf --object-streams=generate "$SAMPLE" "$TMP/os.pdf" 2>/dev/null
case_ok "object streams" "$TMP/os.pdf" "$TMP/g.pdf" principal-rsa --visible 1,330,60,220,75
case_ok "object streams, serial" "$TMP/g.pdf" "$TMP/h.pdf" seal-ec
# An update written as an xref stream must chain to the previous one.
if qpdf --show-xref "$TMP/h.pdf" >/dev/null 2>&1; then
	ok "object streams: qpdf reads the whole xref chain"
else
	notok "object streams: qpdf reads the whole xref chain"
fi

# Failures: page out of range, empty rectangle, encrypted input; no file.
sign "$SAMPLE" "$TMP/bad1.pdf" principal-rsa --visible 9,10,10,100,50
rc=$?
if [ "$rc" -ne 0 ] && [ ! -e "$TMP/bad1.pdf" ] && ! ls "$TMP"/bad1.pdf.* >/dev/null 2>&1; then
	ok "page out of range: refused, no file left"
else
	notok "page out of range: refused, no file left" "exit $rc"
fi
if grep -qi "page 9" "$TMP/sign.log"; then
	ok "page out of range: the error names the page"
else
	notok "page out of range: the error names the page" "$(cat "$TMP/sign.log")"
fi
sign "$SAMPLE" "$TMP/bad2.pdf" principal-rsa --visible 1,10,10,0,50
rc=$?
if [ "$rc" -ne 0 ] && [ ! -e "$TMP/bad2.pdf" ]; then
	ok "zero-width rectangle: refused, no file left"
else
	notok "zero-width rectangle: refused, no file left" "exit $rc"
fi
qpdf --encrypt user owner 256 -- "$SAMPLE" "$TMP/enc.pdf" 2>/dev/null
sign "$TMP/enc.pdf" "$TMP/bad3.pdf" principal-rsa
rc=$?
if [ "$rc" -ne 0 ] && [ ! -e "$TMP/bad3.pdf" ] && grep -qi "encrypt" "$TMP/sign.log"; then
	ok "encrypted input: refused with a clear error, no file left"
else
	notok "encrypted input: refused with a clear error, no file left" "exit $rc" "$(cat "$TMP/sign.log")"
fi
sign "$TMP/e.pdf" "$TMP/bad4.pdf" seal-ec --certify 1
rc=$?
if [ "$rc" -ne 0 ] && [ ! -e "$TMP/bad4.pdf" ] && grep -qi "first signature" "$TMP/sign.log"; then
	ok "second certification: refused, no file left"
else
	notok "second certification: refused, no file left" "exit $rc" "$(cat "$TMP/sign.log")"
fi

echo "1..$n"
