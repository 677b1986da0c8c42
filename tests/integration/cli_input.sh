#!/usr/bin/env bash
# What `kyso sign` and `kyso verify` read, and how they are asked
# (docs/cli.md), tried as a careless or hostile user would:
#   - every input that is not a regular file (a device such as /dev/zero,
#     a FIFO nobody writes to, a directory) is refused within a second,
#     with a message saying so; verify opens its input once;
#   - an option given twice is refused, not silently replaced;
#   - --field naming no field, --content with a PDF, a non-PDF input with a
#     .pdf output name, a wrong PIN (one exit status for every command), and
#     error messages that say where and what to do.
# Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"
unset KYSO_PIN KYSO_KEY_PASS

KEY=(--key-file "$PKI/principal-rsa.key.pem" --cert "$PKI/principal-rsa.cert.pem"
	--chain "$PKI/principal-rsa.chain.pem")
DOC=$TMP/so-diem.csv
printf 'STT,Ho ten,Diem\n1,Nguyen Van An,9.5\n' >"$DOC"
ms() { date +%s%3N; }

# expect NAME WANT-EXIT GREP-PATTERN CMD...: CMD exits WANT-EXIT within a
# second and its stderr matches the (extended, case-insensitive) pattern.
expect() {
	local name=$1 want=$2 pat=$3 rc t0 t1
	shift 3
	t0=$(ms)
	timeout 10 "$@" >"$TMP/stdout" 2>"$TMP/err" </dev/null
	rc=$?
	t1=$(ms)
	if [ "$rc" -eq "$want" ] && [ $((t1 - t0)) -lt 1000 ] && grep -qiE -- "$pat" "$TMP/err"; then
		ok "$name"
	else
		notok "$name" "exit $rc (want $want) after $((t1 - t0)) ms; stderr should match: $pat" \
			"$(head -c 600 "$TMP/err")"
	fi
}

KS=("$KYSO" sign "${KEY[@]}")
ksign() { "${KS[@]}" "$@"; }
if ! ksign --in "$DOC" --out "$TMP/doc.p7s" >/dev/null 2>"$TMP/err" ||
	! ksign --in "$SAMPLE" --out "$TMP/signed.pdf" >/dev/null 2>>"$TMP/err"; then
	notok "kyso signs the test documents" "$(cat "$TMP/err")"
	echo "1..$n"
	exit 1
fi

# ---- non-regular inputs
mkfifo "$TMP/fifo" "$TMP/fifo.pdf" "$TMP/fifo.p7s" "$TMP/fifo.pem"
mkdir "$TMP/dir.pdf"
NR="not a regular file"
expect "sign --in /dev/zero --format cms: refused at once" 3 "$NR" \
	"${KS[@]}" --in /dev/zero --format cms --out "$TMP/o.p7s"
expect "sign --in a FIFO without writer (CMS): refused at once" 3 "$NR" \
	"${KS[@]}" --in "$TMP/fifo" --out "$TMP/o.p7s"
expect "sign --in a FIFO without writer (PDF): refused at once" 3 "$NR" \
	"${KS[@]}" --in "$TMP/fifo.pdf" --out "$TMP/o.pdf"
expect "sign --in a directory: refused" 3 "$NR" "${KS[@]}" --in "$TMP/dir.pdf" --out "$TMP/o.pdf"
expect "verify --content /dev/zero: refused at once" 3 "$NR" \
	"$KYSO" verify "$TMP/doc.p7s" --content /dev/zero
expect "verify --content a FIFO: refused at once" 3 "$NR" \
	"$KYSO" verify "$TMP/doc.p7s" --content "$TMP/fifo"
expect "verify a FIFO: refused at once" 3 "$NR" "$KYSO" verify "$TMP/fifo.p7s"
expect "verify a FIFO named .pdf: refused at once" 3 "$NR" "$KYSO" verify "$TMP/fifo.pdf"
expect "verify /dev/zero: refused at once" 3 "$NR" "$KYSO" verify /dev/zero
expect "verify a directory: refused" 3 "$NR" "$KYSO" verify "$TMP/dir.pdf"
expect "verify --trust a FIFO: refused at once" 3 "$NR" \
	"$KYSO" verify "$TMP/signed.pdf" --trust "$TMP/fifo.pem"
expect "sign --key-file a FIFO: refused at once" 3 "$NR" \
	"$KYSO" sign --key-file "$TMP/fifo.pem" --cert "$PKI/principal-rsa.cert.pem" \
	--in "$DOC" --out "$TMP/o.p7s"
expect "sign --cert a FIFO: refused at once" 3 "$NR" \
	"$KYSO" sign --key-file "$PKI/principal-rsa.key.pem" --cert "$TMP/fifo.pem" \
	--in "$DOC" --out "$TMP/o.p7s"
expect "sign --chain a FIFO: refused at once" 3 "$NR" \
	"$KYSO" sign --key-file "$PKI/principal-rsa.key.pem" --cert "$PKI/principal-rsa.cert.pem" \
	--chain "$TMP/fifo.pem" --in "$DOC" --out "$TMP/o.p7s"
if [ -n "${KYSO_URI_PRINCIPAL_RSA:-}" ]; then
	expect "a token PIN from pin-source naming a FIFO: refused at once" 1 "$NR" \
		"$KYSO" sign --key "$KYSO_URI_PRINCIPAL_RSA?pin-source=file:$TMP/fifo" \
		--in "$DOC" --out "$TMP/o.p7s"
fi
# verify opens its input once: a FIFO with one writer is read once, not
# waited on a second time.
(printf 'not a signature' >"$TMP/fifo.p7s") &
writer=$!
expect "verify a FIFO with a writer: refused, no second open" 3 "$NR" \
	"$KYSO" verify "$TMP/fifo.p7s"
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null

# Standard input is the one stream verify reads ("-"), up to a limit.
if "$KYSO" verify - --trust "$PKI/root.pem" --revocation off <"$TMP/signed.pdf" >/dev/null 2>"$TMP/err"; then
	ok "verify - reads the document from standard input"
else
	notok "verify - reads the document from standard input" "$(cat "$TMP/err")"
fi

# ---- options given twice
TW="more than once"
expect "sign --key-file twice: refused" 3 "--key-file.*$TW" \
	"$KYSO" sign --key-file "$PKI/principal-rsa.key.pem" --key-file "$PKI/principal-ec.key.pem" \
	--cert "$PKI/principal-rsa.cert.pem" --in "$DOC" --out "$TMP/o.p7s"
expect "sign --key twice: refused" 3 "--key given $TW" \
	"$KYSO" sign --key "pkcs11:token=a" --key "pkcs11:token=b" --in "$DOC" --out "$TMP/o.p7s"
expect "sign --in twice: refused" 3 "--in.*$TW" "${KS[@]}" --in "$DOC" --in "$SAMPLE" --out "$TMP/o.p7s"
expect "sign --out twice: refused" 3 "--out.*$TW" \
	"${KS[@]}" --in "$DOC" --out "$TMP/o1.p7s" --out "$TMP/o2.p7s"
expect "sign --reason twice: refused" 3 "--reason.*$TW" \
	"${KS[@]}" --in "$SAMPLE" --out "$TMP/o.pdf" --reason a --reason b
expect "verify --policy twice: refused" 3 "--policy.*$TW" \
	"$KYSO" verify "$TMP/signed.pdf" --policy "$DOC" --policy "$DOC"
expect "verify --revocation twice: refused" 3 "--revocation.*$TW" \
	"$KYSO" verify "$TMP/signed.pdf" --revocation off --revocation on
expect "verify --content twice: refused" 3 "--content.*$TW" \
	"$KYSO" verify "$TMP/doc.p7s" --content "$DOC" --content "$DOC"
expect "verify --lang twice: refused" 3 "--lang.*$TW" \
	"$KYSO" verify "$TMP/signed.pdf" --lang en --lang vi
expect "keys --uri twice: refused" 3 "--uri.*$TW" \
	"$KYSO" keys --uri "pkcs11:token=a" --uri "pkcs11:token=b"
expect "tokens --uri twice: refused" 3 "--uri.*$TW" \
	"$KYSO" tokens --uri "pkcs11:token=a" --uri "pkcs11:token=b"
if [ -e "$TMP/o1.p7s" ] || [ -e "$TMP/o2.p7s" ] || [ -e "$TMP/o.p7s" ]; then
	notok "refused commands wrote nothing"
else
	ok "refused commands wrote nothing"
fi

# ---- smaller ones
# --field must name a field of the document.
expect "--field naming no field: refused, saying which fields exist" 3 "no field 'Chu ky 9'" \
	"${KS[@]}" --in "$SAMPLE" --out "$TMP/f.pdf" --field "Chu ky 9"
expect "--field on a signed document: the fields are listed" 3 "Signature1" \
	"${KS[@]}" --in "$TMP/signed.pdf" --out "$TMP/f.pdf" --field "Chu ky 9"
if [ -e "$TMP/f.pdf" ]; then notok "--field refused: no output"; else ok "--field refused: no output"; fi
# --content does not apply to a PDF.
expect "verify PDF --content: refused" 3 "--content" \
	"$KYSO" verify "$TMP/signed.pdf" --content "$DOC" --trust "$PKI/root.pem"
# A detached CMS signature is not a PDF.
printf '\x89PNG\r\n\x1a\nnot really an image' >"$TMP/anh.png"
expect "sign --in image.png --out x.pdf: refused" 3 "\\.p7s|--format cms" \
	"${KS[@]}" --in "$TMP/anh.png" --out "$TMP/x.pdf"
if [ -e "$TMP/x.pdf" ]; then notok "no x.pdf written"; else ok "no x.pdf written"; fi
if ksign --in "$TMP/anh.png" --out "$TMP/x.pdf" --format cms >/dev/null 2>"$TMP/err" &&
	"$KYSO" verify "$TMP/x.pdf" --content "$TMP/anh.png" --trust "$PKI/root.pem" \
		--revocation off >/dev/null; then
	ok "sign --in image.png --out x.pdf --format cms: written as asked"
else
	notok "sign --in image.png --out x.pdf --format cms: written as asked" "$(cat "$TMP/err")"
fi
# A wrong PIN: the same exit status from sign and keys (docs/cli.md).
if [ -n "${KYSO_URI_PRINCIPAL_RSA:-}" ]; then
	KYSO_PIN=000000 "$KYSO" sign --key "$KYSO_URI_PRINCIPAL_RSA" --in "$DOC" \
		--out "$TMP/p.p7s" >/dev/null 2>"$TMP/err"
	a=$?
	"$KYSO" keys --uri "$KYSO_URI_PRINCIPAL_RSA?pin-value=000000" >/dev/null 2>>"$TMP/err"
	b=$?
	if [ "$a" -eq 1 ] && [ "$b" -eq 1 ] && [ "$(grep -c 'wrong PIN' "$TMP/err")" -eq 2 ]; then
		ok "wrong PIN: exit 1 from sign and from keys"
	else
		notok "wrong PIN: exit 1 from sign and from keys" "sign $a, keys $b" "$(cat "$TMP/err")"
	fi
fi
# Messages that say where and what.
python3 - "$SAMPLE" "$TMP/broken.pdf" <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
i = d.rfind(b'startxref')
open(sys.argv[2], 'wb').write(d[:i] + b'startxref\nabc\n%%EOF\n')
EOF
expect "a damaged PDF: the message names the file and the byte offset" 3 \
	"broken\\.pdf.*byte [0-9]+" "${KS[@]}" --in "$TMP/broken.pdf" --out "$TMP/b.pdf"
LONG=$(head -c 16000 /dev/zero | tr '\0' 'x')
expect "a long --reason: the message names the option and its limit" 3 \
	"--reason.*limit.*[0-9]+ bytes" \
	"${KS[@]}" --in "$SAMPLE" --out "$TMP/r.pdf" --reason "$LONG" --visible 1,330,40,230,80
expect "a long --reason on an invisible signature: the same" 3 "--reason.*limit" \
	"${KS[@]}" --in "$SAMPLE" --out "$TMP/r.pdf" --reason "$LONG"
for opt in reason role location field; do
	expect "invalid UTF-8 in --$opt: the message names the option" 3 "--$opt.*UTF-8" \
		"${KS[@]}" --in "$SAMPLE" --out "$TMP/u.pdf" --visible 1,330,40,230,80 "--$opt" $'ab\xff'
done
# A signed file whose last update was cut before its cross-reference
# section: a signature after the last %%EOF.  Signed over, it would vanish
# from the report instead of failing there; refused, and nothing written.
cp "$SAMPLE" "$TMP/cut.pdf"
printf '9 0 obj\n<< /Type /Sig /ByteRange [0 10 20 30] /Contents <00> >>\nendobj\n' >>"$TMP/cut.pdf"
expect "a file with an update cut before its xref: refused, 'repair the file'" 3 \
	"object 9 .*follows the last %%EOF.*repair the file" \
	"${KS[@]}" --in "$TMP/cut.pdf" --out "$TMP/cut-signed.pdf"
if [ -e "$TMP/cut-signed.pdf" ]; then
	notok "a refused file leaves no output" "$TMP/cut-signed.pdf exists"
else
	ok "a refused file leaves no output"
fi
openssl x509 -in "$PKI/root.pem" -outform DER -out "$TMP/root.der"
"$KYSO" verify "$TMP/signed.pdf" --trust "$TMP/root.der" --revocation off >/dev/null 2>"$TMP/err"
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "--trust root.der: a DER certificate is accepted"
else
	notok "--trust root.der: a DER certificate is accepted" "exit $rc" "$(cat "$TMP/err")"
fi
printf 'neither PEM nor DER' >"$TMP/junk.pem"
expect "--trust of a file with no certificate: says PEM or DER is expected" 3 "PEM.*DER|DER.*PEM" \
	"$KYSO" verify "$TMP/signed.pdf" --trust "$TMP/junk.pem"

echo "1..$n"
