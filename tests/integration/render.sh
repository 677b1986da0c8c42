#!/usr/bin/env bash
# kyso render: transcripts and gradebooks from their JSON records, checked
# with real readers — pdftotext (names and marks, row by row, and the XML
# form printed whole), pdftoppm (a name with diacritics draws other pixels
# than its ASCII spelling, and nowhere else), qpdf --check on every PDF,
# zbarimg (the QR code gives the verification URL), kyso sign into the
# three signature fields in order (token and file keys) with kyso verify
# and poppler's pdfsig accepting all three; a class of 40 in one call;
# invalid records refused with the student and field named and no output.
# Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"
CHECK="$ROOT/tests/integration/render_check.py"
EX="$ROOT/docs/examples"
unset KYSO_VERIFY_URL KYSO_FONT_DIR
# Debian's python3 (another python3 earlier in PATH may start slowly).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

check() { # name, command...
	local name=$1
	shift
	if "$@" >"$TMP/check.out" 2>&1; then ok "$name"; else notok "$name" "$(head -c 800 "$TMP/check.out")"; fi
}
qpdf_ok() { qpdf --check "$1" >/dev/null 2>&1; }
# pdftotext must extract the text without complaint (a broken ToUnicode
# CMap makes poppler warn).
text_of() { # pdf, out
	pdftotext -raw "$1" "$2" 2>"$TMP/pdftotext.err" && [ ! -s "$TMP/pdftotext.err" ]
}
doc_id() { # record, [student code]
	"$KYSO" render "$1" --data "$2" --check | awk -v c="${3:-}" 'c == "" || $2 == c { print $1; exit }'
}
qr_of() { # pdf, page
	pdftoppm -png -r 150 -f "$2" -l "$2" "$1" "$TMP/qr" &&
		zbarimg -q --raw "$TMP"/qr-*.png 2>/dev/null | tr -d '\n'
	rm -f "$TMP"/qr-*.png
}
pdfs=()

# --- a transcript: text, XML form, extraction
"$KYSO" render transcript --data "$EX/hocba.json" --out "$TMP/hocba.pdf" --xml "$TMP/hocba.xml" \
	>"$TMP/out" 2>&1
check "render a three-year transcript and its XML form (exit 0)" test $? -eq 0
pdfs+=("$TMP/hocba.pdf")
check "pdftotext extracts the transcript without warnings" text_of "$TMP/hocba.pdf" "$TMP/hocba.txt"
check "the text holds the name, identity, every subject's marks in row order, conduct and learning" \
	"$PY" "$CHECK" text "$EX/hocba.json" "$TMP/hocba.txt"
check "every value of the XML form is printed in the PDF" \
	"$PY" "$CHECK" xml "$TMP/hocba.xml" "$TMP/hocba.txt"
check "the committed docs/examples/hocba.xml is the XML form of docs/examples/hocba.json" \
	cmp "$TMP/hocba.xml" "$EX/hocba.xml"
check "the committed docs/examples/hocba-rendered.pdf prints the same text" \
	bash -c "pdftotext -raw '$EX/hocba-rendered.pdf' - | diff -q - '$TMP/hocba.txt'"

# --- the QR code carries the verification URL of the document identifier
id=$(doc_id transcript "$EX/hocba.json")
check "the document identifier is hb- and 16 base32 characters" \
	bash -c "[[ '$id' =~ ^hb-[a-z2-7]{16}\$ ]]"
got=$(qr_of "$TMP/hocba.pdf" 1)
check "zbarimg decodes the QR code to http://127.0.0.1:8443/v/$id" \
	test "$got" = "http://127.0.0.1:8443/v/$id"
KYSO_VERIFY_URL=https://xacminh.sgd.example.vn/hocba "$KYSO" render transcript \
	--data "$EX/hocba.json" --out "$TMP/hocba-url.pdf" >/dev/null 2>&1
pdfs+=("$TMP/hocba-url.pdf")
got=$(qr_of "$TMP/hocba-url.pdf" 1)
check "a configured base URL (KYSO_VERIFY_URL) is what the QR code says" \
	test "$got" = "https://xacminh.sgd.example.vn/hocba/$id"
"$KYSO" render transcript --data "$EX/hocba.json" --out "$TMP/bad-url.pdf" \
	--verify-url 'javascript:alert(1)' >/dev/null 2>"$TMP/err"
rc=$?
check "a base URL that is not http(s) is refused (exit 3, no file)" \
	bash -c "[ $rc -eq 3 ] && [ ! -e '$TMP/bad-url.pdf' ] && grep -q 'http://' '$TMP/err'"

# --- diacritics: "Nguyễn" and "Nguyen" must draw different pixels, and
# only where the name is (the name's rows in the identity block, page 1);
# ễ must show both its marks: it adds more ink over e than ẽ (tilde) or ê
# (circumflex) alone.  DejaVu Sans as shipped fails this last check
# through libharu (a part of its nested composite glyphs is dropped): the
# negative control shows the check can fail.
"$PY" - "$EX/hocba.json" "$TMP" <<'EOF'
import json, sys
rec = json.load(open(sys.argv[1], encoding="utf-8"))
for tag, first in (("vi", "Nguyễn"), ("ascii", "Nguyen"), ("tilde", "Nguyẽn"), ("circ", "Nguyên")):
    rec["students"][0]["name"] = first + " Thị Hồng Nhung"
    json.dump(rec, open(f"{sys.argv[2]}/name-{tag}.json", "w", encoding="utf-8"), ensure_ascii=False)
EOF
mkdir -p "$TMP/shipped"
cp /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf "$TMP/shipped/DejaVuSans-flat.ttf"
cp /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf "$TMP/shipped/DejaVuSans-Bold-flat.ttf"
for t in vi ascii tilde circ; do
	"$KYSO" render transcript --data "$TMP/name-$t.json" --out "$TMP/name-$t.pdf" >/dev/null 2>&1 &&
		pdftoppm -r 150 -f 1 -l 1 "$TMP/name-$t.pdf" "$TMP/name-$t"
	"$KYSO" render transcript --data "$TMP/name-$t.json" --out "$TMP/ship-$t.pdf" \
		--font-dir "$TMP/shipped" >/dev/null 2>&1 &&
		pdftoppm -r 150 -f 1 -l 1 "$TMP/ship-$t.pdf" "$TMP/ship-$t"
	pdfs+=("$TMP/name-$t.pdf")
done
# At 150 dpi the name's baseline is 150 pt from the top (312 px); its
# glyphs and marks span about 285-320 px.
check "\"Nguyễn\" and \"Nguyen\" render differently, only in the name's rows of page 1" \
	"$PY" "$CHECK" pixels "$TMP/name-vi-1.ppm" "$TMP/name-ascii-1.ppm" 270 325
check "ễ in \"Nguyễn\" is drawn with both its circumflex and its tilde" \
	"$PY" "$CHECK" marks "$TMP"/name-{ascii,vi,tilde,circ}-1.ppm 270 325
check "negative control: with DejaVu Sans as shipped (not flattened) that check fails" \
	bash -c "! '$PY' '$CHECK' marks '$TMP'/ship-{ascii,vi,tilde,circ}-1.ppm 270 325"
check "both spellings extract as written" bash -c \
	"pdftotext '$TMP/name-vi.pdf' - | grep -q 'Nguyễn Thị Hồng Nhung' &&
	 pdftotext '$TMP/name-ascii.pdf' - | grep -q 'Nguyen Thị Hồng Nhung'"

# --- signed by the homeroom teacher, the principal and the school seal,
# into the three fields, in order
export KYSO_PIN=$KYSO_TEST_PIN
"$KYSO" sign --key "$KYSO_URI_HOMEROOM_RSA" --in "$TMP/hocba.pdf" --out "$TMP/s1.pdf" \
	--field GVCN --role "Giáo viên chủ nhiệm" >"$TMP/sign.log" 2>&1 &&
	"$KYSO" sign --key "$KYSO_URI_PRINCIPAL_RSA" --in "$TMP/s1.pdf" --out "$TMP/s2.pdf" \
		--field HieuTruong --role "Hiệu trưởng" >>"$TMP/sign.log" 2>&1 &&
	sign "$TMP/s2.pdf" "$TMP/s3.pdf" seal-ec --field DauTruong
check "teacher (token), principal (token) and seal (file key) sign the fields GVCN, HieuTruong, DauTruong" \
	test $? -eq 0
pdfs+=("$TMP/s1.pdf" "$TMP/s2.pdf" "$TMP/s3.pdf")
# Verified as a parent's copy would be: revocation asked of the test
# PKI's OCSP responders and CRLs, started here and stopped by PID.
P=$PKI
# shellcheck source=tests/lib/pki_services.sh
. "$ROOT/tests/lib/pki_services.sh"
trap 'pki_services_cleanup; rm -rf "$TMP"' EXIT
pki_services_up && pki_all_up
check "the test PKI's OCSP responders and CRLs answer on 127.0.0.1" test $? -eq 0
"$KYSO" verify "$TMP/s3.pdf" --trust "$PKI/root.pem" --cache "$(pki_cache render)" --json \
	>"$TMP/v.json" 2>"$TMP/err"
rc=$?
check "kyso verify --trust root.pem: authentic and unchanged (exit 0, revocation checked)" \
	bash -c "[ $rc -eq 0 ] && grep -q '\"verdict\": \"authentic\"' '$TMP/v.json' &&
		[ \$(grep -c '\"status\": \"good\"' '$TMP/v.json') -eq 3 ]"
check "three signatures, TOTAL-PASSED, in the fields GVCN, HieuTruong, DauTruong in that order" \
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["signatures"]
assert len(s) == 3, len(s)
assert all(x["indication"] == "TOTAL-PASSED" for x in s), [x["indication"] for x in s]
for x, f in zip(s, ("GVCN", "HieuTruong", "DauTruong")):
    assert chr(34) + f + chr(34) in x["coverage"], (f, x["coverage"])
' "$TMP/v.json"
check "poppler's pdfsig finds the three signatures valid" bash -c \
	"[ \$(pdfsig '$TMP/s3.pdf' 2>/dev/null | grep -c 'Signature is Valid') -eq 3 ]"
# Without --field, kyso sign takes the first empty field: the same order.
sign "$TMP/hocba.pdf" "$TMP/t1.pdf" homeroom-rsa && sign "$TMP/t1.pdf" "$TMP/t2.pdf" principal-rsa &&
	sign "$TMP/t2.pdf" "$TMP/t3.pdf" seal-rsa
check "without --field the signatures fill GVCN, HieuTruong, DauTruong in order" bash -c \
	"pdfsig '$TMP/t3.pdf' 2>/dev/null | grep 'Field Name' | tr -d ' ' |
	 tr '\n' ' ' | grep -q 'FieldName:GVCN -SignatureFieldName:HieuTruong -SignatureFieldName:DauTruong'"
pdfs+=("$TMP/t3.pdf")

# --- a gradebook
"$KYSO" render gradebook --data "$EX/sodiem.json" --out "$TMP/sodiem.pdf" \
	--xml "$TMP/sodiem.xml" >/dev/null 2>"$TMP/err"
check "render a gradebook and its XML form (exit 0)" test $? -eq 0
pdfs+=("$TMP/sodiem.pdf")
check "pdftotext extracts the gradebook without warnings" text_of "$TMP/sodiem.pdf" "$TMP/sodiem.txt"
check "the text holds every student's row: code, name, birth date, TX, GK, CK, TBm in order" \
	"$PY" "$CHECK" text "$EX/sodiem.json" "$TMP/sodiem.txt"
check "every value of the gradebook's XML form is printed in its PDF" \
	"$PY" "$CHECK" xml "$TMP/sodiem.xml" "$TMP/sodiem.txt"
check "the committed docs/examples/sodiem.xml is the XML form of docs/examples/sodiem.json" \
	cmp "$TMP/sodiem.xml" "$EX/sodiem.xml"
gid=$(doc_id gradebook "$EX/sodiem.json")
got=$(qr_of "$TMP/sodiem.pdf" 1)
check "the gradebook's QR code gives http://127.0.0.1:8443/v/$gid" \
	test "$got" = "http://127.0.0.1:8443/v/$gid"
sign "$TMP/sodiem.pdf" "$TMP/g1.pdf" teacher-rsa --field GVBM &&
	sign "$TMP/g1.pdf" "$TMP/g2.pdf" principal-ec --field HieuTruong &&
	sign "$TMP/g2.pdf" "$TMP/g3.pdf" seal-ec --field DauTruong &&
	"$KYSO" verify "$TMP/g3.pdf" --trust "$PKI/root.pem" --cache "$TMP/cache-render" \
		>"$TMP/gv.txt" 2>&1
check "the gradebook signed in GVBM, HieuTruong, DauTruong verifies (exit 0)" test $? -eq 0
pki_all_down
pki_services_down
pdfs+=("$TMP/g3.pdf")

# --- a class of 40 in one call
"$PY" "$ROOT/tests/data/mkclass.py" transcript 40 "$TMP/class.json"
mkdir -p "$TMP/class"
start=$(date +%s%N)
"$KYSO" render transcript --data "$TMP/class.json" --out-dir "$TMP/class" --format both \
	>"$TMP/class.log" 2>&1
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "a class of 40 renders in one call, PDF and XML (exit 0, ${ms} ms)" \
	bash -c "[ $rc -eq 0 ] && [ \$(ls '$TMP/class'/*.pdf | wc -l) -eq 40 ] &&
		 [ \$(ls '$TMP/class'/*.xml | wc -l) -eq 40 ]"
check "each of the 40 transcripts prints its own student's name and marks" \
	"$PY" "$CHECK" class "$TMP/class.json" "$TMP/class"
for p in "$TMP"/class/*.pdf; do pdfs+=("$p"); done
"$KYSO" render transcript --data "$TMP/class.json" --out "$TMP/one.pdf" >/dev/null 2>"$TMP/err"
rc=$?
check "--out with a class of 40 is refused and says to use --out-dir (exit 3)" \
	bash -c "[ $rc -eq 3 ] && grep -q -- '--out-dir' '$TMP/err' && [ ! -e '$TMP/one.pdf' ]"
"$KYSO" render transcript --data "$TMP/class.json" --out "$TMP/one.pdf" --student 0101200007 \
	>/dev/null 2>&1
name=$("$PY" -c 'import json,sys; print([s["name"] for s in json.load(open(sys.argv[1]))["students"] if s["code"] == "0101200007"][0])' "$TMP/class.json")
check "--student picks one transcript from the class ($name)" \
	bash -c "pdftotext '$TMP/one.pdf' - | grep -qF '$name'"
pdfs+=("$TMP/one.pdf")

# --- invalid records: the student and the field are named, nothing is written
bad_record() { # name, python statement over `r`, expected message
	"$PY" - "$EX/lop-12a3.json" "$TMP/bad.json" "$2" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
exec(sys.argv[3])
json.dump(r, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
EOF
	rm -rf "$TMP/badout"
	mkdir -p "$TMP/badout"
	"$KYSO" render transcript --data "$TMP/bad.json" --out-dir "$TMP/badout" >/dev/null 2>"$TMP/err"
	local rc=$?
	if [ $rc -eq 3 ] && grep -qF -- "$3" "$TMP/err" && [ -z "$(ls -A "$TMP/badout")" ]; then
		ok "$1"
	else
		notok "$1" "exit $rc" "$(cat "$TMP/err")" "$(ls "$TMP/badout")"
	fi
}
name3=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["students"][3]["name"])' "$EX/lop-12a3.json")
bad_record "a score above 10 in students[3] names the student and the field; no file is written" \
	'r["students"][3]["years"][0]["scores"]["Toán"]["hk1"] = 11.5' \
	"students[3] ($name3): years[0].scores.Toán.hk1: 11.5 is above 10"
bad_record "a year mark that does not follow from the semesters is refused" \
	'r["students"][3]["years"][0]["scores"]["Vật lí"]["year"] = 1.0' \
	"students[3] ($name3): years[0].scores.Vật lí.year: 1.0 should be"
bad_record "a decomposed (NFD) name is refused with the combining mark named" \
	'r["students"][5]["name"] = "Nguye\u0302\u0303n Văn A"' \
	"students[5]: name: decomposed Unicode (combining mark U+0302)"
bad_record "an unknown field is refused, not ignored" \
	'r["students"][2]["years"][0]["hanh_kiem"] = "Tốt"' \
	"years[0]: unknown field 'hanh_kiem'"
name7=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["students"][7]["name"])' "$EX/lop-12a3.json")
bad_record "a missing personal identification number is named" \
	'del r["students"][7]["personal_id"]' \
	"students[7] ($name7): personal_id: missing"
bad_record "a bare JSON value (null) is refused with its line and column" \
	'r = None' \
	"JSON line 1 column"
printf '{"version": 1, "kind": "transcript"' >"$TMP/bad.json"
"$KYSO" render transcript --data "$TMP/bad.json" --out "$TMP/x.pdf" >/dev/null 2>"$TMP/err"
rc=$?
check "truncated JSON is refused (exit 3, no file)" \
	bash -c "[ $rc -eq 3 ] && [ ! -e '$TMP/x.pdf' ] && grep -q 'JSON line 1' '$TMP/err'"
"$KYSO" render gradebook --data "$EX/hocba.json" --out "$TMP/x.pdf" >/dev/null 2>"$TMP/err"
rc=$?
check "a transcript record given as a gradebook is refused (exit 3)" \
	bash -c "[ $rc -eq 3 ] && grep -q 'the record is a transcript' '$TMP/err'"

# --- every PDF made here passes qpdf --check
bad=()
for p in "${pdfs[@]}"; do qpdf_ok "$p" || bad+=("$p"); done
check "qpdf --check passes on all ${#pdfs[@]} PDFs made here (rendered and signed)" test ${#bad[@]} -eq 0
check "qpdf --check passes on the committed rendered samples" bash -c \
	"qpdf --check '$EX/hocba-rendered.pdf' >/dev/null && qpdf --check '$EX/sodiem.pdf' >/dev/null"

echo "1..$n"
