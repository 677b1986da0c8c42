#!/usr/bin/env bash
# The verification page of kyso serve, driven by curl: the form in
# Vietnamese and English, the security headers, uploads of a signed
# transcript (authentic), a tampered one (not authentic), one annotated
# after signing (changed afterwards), a signer whose name carries markup
# (escaped), the QR link /v/<id> with and without a registration in the
# audit log, refusals as pages, and nothing of an upload kept.  The
# daemon runs on a random 127.0.0.1 port and is stopped by PID.  Prints
# TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
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
ATTACK=$ROOT/tests/integration/pades_attack.py

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { # name, command...
  local name=$1; shift
  if "$@"; then ok "$name"; else notok "$name" "$(head -c 1500 "$TMP/body" 2>/dev/null)"; fi
}
# req METHOD PATH [curl args...]: status in $TMP/code, body, headers, type
req() {
  local m=$1 path=$2; shift 2
  curl -s -X "$m" -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}\n%{content_type}' "$@" \
    "$URL$path" >"$TMP/out"
  head -1 "$TMP/out" >"$TMP/code"
  tail -1 "$TMP/out" >"$TMP/ctype"
}
code() { cat "$TMP/code"; }
has() { grep -qF -- "$1" "$TMP/body"; }
hdr() { grep -qi "^$1" "$TMP/headers"; }
html() { [ "$(cat "$TMP/ctype")" = "text/html; charset=utf-8" ]; }
upload() { # FILE [curl -F args...]: POST /verify as the form does
  local f=$1; shift
  req POST /verify -F "document=@$f;type=application/octet-stream" "$@"
}
banner() { grep -q "<section class=\"verdict $1\"" "$TMP/body"; }
# the helpers above run inside the checks' bash -c too
export TMP
export -f code has hdr html banner
cn() { openssl x509 -in "$1" -noout -subject -nameopt utf8,sep_multiline | sed -n 's/^ *CN=//p'; }
sign() { # IN OUT WHO [args]
  local in=$1 out=$2 who=$3
  shift 3
  "$KYSO" sign --key-file "$PKI/$who.key.pem" --cert "$PKI/$who.cert.pem" \
    --chain "$PKI/$who.chain.pem" --revocation off --in "$in" --out "$out" "$@" \
    >>"$TMP/sign.log" 2>&1
}

STATE=$TMP/var
CONF=$TMP/kyso.conf
cat >"$CONF" <<EOF
[server]
threads = 2
max-body = 1M
[state]
dir = $STATE
[signing]
# the test PKI's OCSP and CRL peers are not running here
revocation = off
[verify]
trust = $PKI/root.pem
revocation = off
rate = 1
burst = 20
EOF

if kyso_serve_start "$KYSO" "$CONF" "$TMP/serve.log" 2>"$TMP/body"; then
  ok "kyso serve starts on 127.0.0.1 at a free port ($KYSO_SERVE_URL)"
else
  notok "kyso serve starts" "$(cat "$TMP/body")"
  echo "1..$n"
  exit 1
fi
URL=$KYSO_SERVE_URL

# --- the form
req GET /
check "GET /: 200 HTML in Vietnamese" bash -c \
  "[ $(code) = 200 ] && [ '$(cat "$TMP/ctype")' = 'text/html; charset=utf-8' ] &&
   grep -q '<html lang=\"vi\">' '$TMP/body' && grep -q 'Kiểm tra văn bản có chữ ký số' '$TMP/body'"
check "the form posts multipart to /verify with a labelled file input and a submit button" \
  bash -c "grep -q '<form class=\"upload\" method=\"post\" action=\"/verify\" enctype=\"multipart/form-data\">' '$TMP/body' &&
    grep -q '<label for=\"document\">' '$TMP/body' &&
    grep -q '<input id=\"document\" name=\"document\" type=\"file\"' '$TMP/body' &&
    grep -q '<button type=\"submit\">Kiểm tra</button>' '$TMP/body'"
check "no script and no third-party address in the page" bash -c \
  "! grep -qi '<script' '$TMP/body' && ! grep -qiE '(https?:)?//[a-z0-9]' '$TMP/body'"
check "a phone viewport and a visible link to English" bash -c \
  "grep -q '<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">' '$TMP/body' &&
   grep -q '<a href=\"/?lang=en\" lang=\"en\" hreflang=\"en\">English</a>' '$TMP/body'"
csp="default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"
check "headers: strict CSP, nosniff, no referrer, no-store" bash -c \
  "grep -qi \"^content-security-policy: $csp\" '$TMP/headers' &&
   grep -qi '^x-content-type-options: nosniff' '$TMP/headers' &&
   grep -qi '^referrer-policy: no-referrer' '$TMP/headers' &&
   grep -qi '^cache-control: no-store' '$TMP/headers'"
req GET '/?lang=en'
check "GET /?lang=en: the form in English with a link back to Vietnamese" bash -c \
  "[ $(code) = 200 ] && grep -q '<html lang=\"en\">' '$TMP/body' &&
   grep -q '<button type=\"submit\">Verify</button>' '$TMP/body' &&
   grep -q 'name=\"lang\" value=\"en\"' '$TMP/body' &&
   grep -q 'href=\"/?lang=vi\"' '$TMP/body'"
req GET /static/kyso.css
check "GET /static/kyso.css: the stylesheet (responsive, focus visible), no address elsewhere" bash -c \
  "[ $(code) = 200 ] && [ '$(cat "$TMP/ctype")' = 'text/css; charset=utf-8' ] &&
   grep -q '@media (max-width' '$TMP/body' && grep -q 'focus-visible' '$TMP/body' &&
   ! grep -qiE 'url\(|@import|//' '$TMP/body'"

# --- a transcript signed by the homeroom teacher and the principal
PDF=$ROOT/docs/examples/hocba.pdf
sign "$PDF" "$TMP/s1.pdf" homeroom-rsa --role "Giáo viên chủ nhiệm" &&
  sign "$TMP/s1.pdf" "$TMP/s2.pdf" principal-rsa --role "Hiệu trưởng"
check "the transcript is signed by the teacher and the principal (file keys)" test $? -eq 0
T_NAME=$(cn "$PKI/homeroom-rsa.cert.pem")
P_NAME=$(cn "$PKI/principal-rsa.cert.pem")
upload "$TMP/s2.pdf"
check "upload of the signed transcript: the authentic banner first" bash -c \
  "[ $(code) = 200 ] && html && banner v-authentic &&
   has 'Văn bản xác thực và không bị thay đổi' &&
   [ \$(grep -n 'class=\"verdict' '$TMP/body' | cut -d: -f1) -lt \$(grep -n 'class=\"signer' '$TMP/body' | head -1 | cut -d: -f1) ]"
check "both signers by name ($T_NAME, $P_NAME) with their titles" bash -c \
  "has '<h3>Chữ ký 1: $T_NAME</h3>' && has '<h3>Chữ ký 2: $P_NAME</h3>' &&
   has 'Giáo viên chủ nhiệm' && has 'Hiệu trưởng'"
check "the time is the signer's claim (no timestamp), revocation off is said, the chain named up to the trusted root" \
  bash -c "has 'do người ký tự khai' && has 'không kiểm tra (tắt theo cấu hình' &&
    has '<li>Test Public CA</li>' && has '<li class=\"ok\">Test National Root CA (chứng thư gốc tin cậy)</li>'"
upload "$TMP/s2.pdf" -F lang=en
check "the same upload in English" bash -c \
  "banner v-authentic && has 'Authentic and unchanged' && has '<html lang=\"en\">' &&
   has 'Signature 1: $T_NAME'"

# --- tampered: a byte of the signed page content changed
"$PY" "$ATTACK" flip-byte "$TMP/s2.pdf" "$TMP/flip.pdf"
upload "$TMP/flip.pdf"
check "a tampered transcript: not authentic" bash -c \
  "[ $(code) = 200 ] && banner v-bad && has 'Văn bản KHÔNG xác thực' && ! banner v-authentic"

# --- an annotation added after signing
"$PY" "$ATTACK" add-annotation "$TMP/s2.pdf" "$TMP/annot.pdf"
upload "$TMP/annot.pdf"
# the list first: the last update's changes only, the annotation among
# them (the second signature's own additions, update 3, are folded into
# the technical details)
sed -n '/<ul class="changes">/,/<\/ul>/p' "$TMP/body" | grep '^<li>' >"$TMP/changes"
check "an annotation added after signing: changed afterwards, what changed, on which page and where" \
  bash -c "[ $(code) = 200 ] && banner v-changed && has 'Những gì đã thay đổi sau khi ký' &&
    ! grep -q 'lần cập nhật 3' '$TMP/changes' && grep -q 'lần cập nhật 4' '$TMP/changes' &&
    grep -q 'chú thích.*trang 1, vùng (72, 690)&#8211;(500, 730) pt' '$TMP/changes' &&
    has '<details>' && grep -q '<summary>Mọi thay đổi (chi tiết kỹ thuật)' '$TMP/body'"
check "a plain sentence for parents before the technical list, which is folded" bash -c \
  "grep -q '^<p class=\"plain\">Nội dung đã ký không bị sửa, nhưng sau khi ký có người đã thêm vào tệp: ghi chú hoặc hình vẽ trên trang 1\. Những phần thêm đó không phải của người ký' '$TMP/body' &&
   [ \$(grep -n 'class=\"plain\"' '$TMP/body' | cut -d: -f1) -lt \$(grep -n '<details>' '$TMP/body' | head -1 | cut -d: -f1) ] &&
   [ \$(grep -n '<details>' '$TMP/body' | head -1 | cut -d: -f1) -lt \$(grep -n '<ul class=\"changes\">' '$TMP/body' | cut -d: -f1) ]"
upload "$TMP/annot.pdf" -F lang=en
check "the plain sentence in English" bash -c \
  "banner v-changed && has 'The signed content was not altered, but after signing someone added to the file: notes or drawings on page 1.'"

# --- a signer whose name is markup
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/evil.key" -out "$TMP/evil.pem" -days 30 \
  -subj '/CN=<script>alert(1)<\/script> "Nguyễn" & Co' -utf8 \
  -addext keyUsage=critical,digitalSignature,nonRepudiation >/dev/null 2>&1
"$KYSO" sign --key-file "$TMP/evil.key" --cert "$TMP/evil.pem" --revocation off \
  --in "$PDF" --out "$TMP/evil.pdf" >>"$TMP/sign.log" 2>&1
check "a document signed by a certificate named <script>...</script>" test -s "$TMP/evil.pdf"
upload "$TMP/evil.pdf"
check "the name is escaped, never markup; the chain does not reach a trusted root" bash -c \
  "[ $(code) = 200 ] && has '&lt;script&gt;alert(1)&lt;/script&gt; &quot;Nguyễn&quot; &amp; Co' &&
   ! grep -qi '<script' '$TMP/body' && has 'KHÔNG dẫn tới chứng thư gốc tin cậy' && ! banner v-authentic"

# --- refusals answered as pages
req POST /verify -F lang=en -F 'document=@/dev/null;filename=empty.pdf'
check "no file: 400 page asking for one, the form again" bash -c \
  "[ $(code) = 400 ] && html && has 'Please choose a file to check.' && has 'action=\"/verify\"'"
head -c 1100000 /dev/zero >"$TMP/big.bin"
req POST /verify -F "document=@$TMP/big.bin"
check "a file past max-body: 413 page" bash -c \
  "[ $(code) = 413 ] && html && has 'Tệp quá lớn' && grep -qi '^content-security-policy' '$TMP/headers'"

# --- the uploaded document is not kept
MARK=kyso-page-$RANDOM$RANDOM$RANDOM
printf 'not a signed document %s\n' "$MARK" >"$TMP/plain.txt"
upload "$TMP/plain.txt"
check "an unsigned file: the not-signed banner" bash -c "[ $(code) = 200 ] && banner v-unsigned"
openssl cms -sign -binary -in "$TMP/plain.txt" -signer "$PKI/teacher-rsa.cert.pem" \
  -inkey "$PKI/teacher-rsa.key.pem" -outform DER -out "$TMP/detached.p7s" 2>>"$TMP/sign.log"
upload "$TMP/detached.p7s" -F lang=en
check "a detached signature alone: 422 page saying the signed document is not in it" bash -c \
  "[ $(code) = 422 ] && html && has 'a detached signature' && has 'action=\"/verify\"'"
check "nothing of an upload is kept in the state folder or the log" bash -c \
  "! grep -rqF '$MARK' '$STATE' '$TMP/serve.log'"

# --- the QR link
"$KYSO" client add platform --grant seal --ops sign --config "$CONF" >"$TMP/tok" 2>"$TMP/body"
TOK=$(cat "$TMP/tok")
req POST "/v1/sign?key=seal" -H "Authorization: Bearer $TOK" -H 'Content-Type: application/pdf' \
  --data-binary @"$PDF"
check "the daemon signs a transcript (POST /v1/sign with the seal key)" bash -c "[ $(code) = 200 ]"
DIGEST=$(sha256sum "$PDF" | cut -d' ' -f1)
req GET "/v/$DIGEST"
check "/v/<digest of a document the daemon signed>: registered digest, time and status, no upload needed" \
  bash -c "[ $(code) = 200 ] && html && banner v-authentic &&
    has 'Văn bản đã được đăng ký tại máy chủ này' &&
    has '<code class=\"digest\">$DIGEST</code>' &&
    grep -qE '<li>Ký lúc [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z, khóa seal, mức B-B, trạng thái: ok' '$TMP/body'"
check "the page links to the same id in English" has "href=\"/v/$DIGEST?lang=en\""
OTHER=$(printf 'other' | sha256sum | cut -d' ' -f1)
req GET "/v/$OTHER?lang=en"
check "/v/<an unknown digest>: no registration, the upload form keeps the id" bash -c \
  "[ $(code) = 200 ] && ! banner v-authentic && has 'holds no registration' &&
   has '<input type=\"hidden\" name=\"id\" value=\"$OTHER\">'"
req GET /v/hb-5gddzp4f5ltze6xh
check "/v/<transcript id>: asks for the file, the id kept" bash -c \
  "[ $(code) = 200 ] && has 'Máy chủ chưa có thông tin đăng ký' &&
   has '<input type=\"hidden\" name=\"id\" value=\"hb-5gddzp4f5ltze6xh\">'"
req GET '/v/a%3Cb'
check "/v/<not an id>: 400 page, the id not echoed" bash -c \
  "[ $(code) = 400 ] && html && ! has 'a<b' && ! has 'a&lt;b' && has 'Mã văn bản không hợp lệ'"
req GET "/v/$(printf 'a%.0s' $(seq 1 65))"
check "/v/<an id past 64 characters>: 400 page" bash -c "[ $(code) = 400 ] && html"
upload "$TMP/s2.pdf" -F id=hb-5gddzp4f5ltze6xh
check "an upload from the QR page: the result names the id" bash -c \
  "[ $(code) = 200 ] && banner v-authentic && has '<code>hb-5gddzp4f5ltze6xh</code>' &&
   has 'Máy chủ chưa có thông tin đăng ký cho mã này' && ! grep -q 'class=\"registry' '$TMP/body'"

# --- the QR link of a rendered transcript the daemon signed: the record id
# read from the signed document, kept in the audit row with the signed
# document's digest
"$KYSO" render transcript --data "$ROOT/docs/examples/hocba.json" --out "$TMP/hb.pdf" \
  --xml "$TMP/hb.xml" --verify-url "$URL/v" >"$TMP/body" 2>&1
HBID=$(sed -n 's:.*<DocumentId>\(.*\)</DocumentId>.*:\1:p' "$TMP/hb.xml")
check "a rendered transcript carries its id ($HBID) in the PDF's /KysoRecordId and the XML's DocumentId" \
  bash -c "[[ '$HBID' =~ ^hb-[a-z2-7]{16}\$ ]] && grep -qaF '/KysoRecordId ($HBID)' '$TMP/hb.pdf'"
SEAL_NAME=$(cn "$PKI/tok-seal-rsa.cert.pem")
daemon_sign() { # IN OUT TYPE [query]
  req POST "/v1/sign?key=seal${4:-}" -H "Authorization: Bearer $TOK" -H "Content-Type: $3" \
    --data-binary @"$1"
  [ "$(code)" = 200 ] && cp "$TMP/body" "$2"
}
daemon_sign "$TMP/hb.pdf" "$TMP/hb1.pdf" application/pdf '&field=GVCN'
check "the daemon signs the rendered transcript with the seal key" test $? -eq 0
HB1=$(sha256sum "$TMP/hb1.pdf" | cut -d' ' -f1)
req GET "/v/$HBID"
check "/v/<record id>: registered, the signed version's digest, the signer, key and level" bash -c \
  "[ $(code) = 200 ] && html && banner v-authentic && has 'Văn bản đã được đăng ký tại máy chủ này' &&
   has '<code class=\"digest\">$HB1</code>' && has '<strong>$SEAL_NAME</strong> (khóa seal)' &&
   has 'mức B-B' && has 'đã ký và ghi trong nhật ký kiểm toán' &&
   has '<input type=\"hidden\" name=\"id\" value=\"$HBID\">'"
req GET "/v/$HBID?lang=en"
check "the same in English, with the link back to Vietnamese" bash -c \
  "[ $(code) = 200 ] && has 'Registered with this server' && has 'SHA-256 digest of the latest signed version' &&
   has 'This server signed the document with this id 1 time' && has 'href=\"/v/$HBID?lang=vi\"' &&
   grep -qi \"^content-security-policy: $csp\" '$TMP/headers'"
upload "$TMP/hb1.pdf" -F "id=$HBID"
check "an upload of the signed transcript from its QR page: this is the registered document" bash -c \
  "[ $(code) = 200 ] && grep -q '<section class=\"registry r-match\"' '$TMP/body' &&
   has 'Đây đúng là văn bản đã đăng ký' && has '<code>$HB1</code>'"
daemon_sign "$TMP/hb1.pdf" "$TMP/hb2.pdf" application/pdf '&field=HieuTruong'
HB2=$(sha256sum "$TMP/hb2.pdf" | cut -d' ' -f1)
req GET "/v/$HBID"
check "a second daemon signature: two registered, the latest digest is the new file's" bash -c \
  "[ $(code) = 200 ] && has '<code class=\"digest\">$HB2</code>' && has 'mang mã này 2 lần' &&
   [ \$(grep -c '<li>.*mã băm bản đã ký' '$TMP/body') = 2 ]"
upload "$TMP/hb1.pdf" -F "id=$HBID" -F lang=en
check "the first signed file now: an earlier version (signed again later)" bash -c \
  "[ $(code) = 200 ] && grep -q '<section class=\"registry r-old\"' '$TMP/body' &&
   has 'This is an earlier version of the registered document'"
"$PY" "$ATTACK" flip-byte "$TMP/hb2.pdf" "$TMP/hb2-flip.pdf"
upload "$TMP/hb2-flip.pdf" -F "id=$HBID"
check "a tampered copy of the registered transcript: not the registered document" bash -c \
  "[ $(code) = 200 ] && grep -q '<section class=\"registry r-other\"' '$TMP/body' &&
   has 'Tệp này KHÔNG phải văn bản đã đăng ký' && ! has 'Đây đúng là văn bản đã đăng ký'"
upload "$TMP/s2.pdf" -F "id=$HBID"
check "another, authentic document under this id: not the registered document" bash -c \
  "[ $(code) = 200 ] && banner v-authentic && grep -q '<section class=\"registry r-other\"' '$TMP/body'"
req GET "/v/${HBID%?}"
check "only an exact id is looked up (the id less one letter is unknown)" bash -c \
  "[ $(code) = 200 ] && has 'Máy chủ chưa có thông tin đăng ký' && ! has '$HB2'"

# the XML form of a gradebook, signed by the daemon (XAdES, enveloped)
"$KYSO" render gradebook --data "$ROOT/docs/examples/sodiem.json" --out "$TMP/sd.pdf" \
  --xml "$TMP/sd.xml" --verify-url "$URL/v" >"$TMP/body" 2>&1
SDID=$(sed -n 's:.*<DocumentId>\(.*\)</DocumentId>.*:\1:p' "$TMP/sd.xml")
daemon_sign "$TMP/sd.xml" "$TMP/sd-signed.xml" application/xml
check "the daemon signs the gradebook's XML form" test $? -eq 0
SDX=$(sha256sum "$TMP/sd-signed.xml" | cut -d' ' -f1)
req GET "/v/$SDID"
check "/v/<gradebook id>: the XML signature registered with its digest" bash -c \
  "[ $(code) = 200 ] && banner v-authentic && has '<code class=\"digest\">$SDX</code>'"
upload "$TMP/sd-signed.xml" -F "id=$SDID"
check "an upload of the signed XML from its QR page: the registered document" bash -c \
  "[ $(code) = 200 ] && grep -q '<section class=\"registry r-match\"' '$TMP/body'"
# a document whose id is not well-formed is signed, with no id recorded
sed 's:<DocumentId>[^<]*</DocumentId>:<DocumentId>sd-&lt;x&gt;</DocumentId>:' "$TMP/sd.xml" >"$TMP/sd-bad.xml"
daemon_sign "$TMP/sd-bad.xml" "$TMP/sd-bad-signed.xml" application/xml
check "a document with a malformed id is signed all the same" test $? -eq 0
# the store itself, read as any SQLite client would
dbq() { "$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$STATE/kyso.db" "$1"; }
check "the audit rows' record ids: two for the transcript, one for the gradebook, none malformed" bash -c \
  "[ '$(dbq "SELECT count(*) FROM audit WHERE record<>'' AND record NOT GLOB '[a-z][a-z]-*'")' = 0 ] &&
   [ '$(dbq "SELECT count(*) FROM audit WHERE record='$HBID'")' = 2 ] &&
   [ '$(dbq "SELECT count(*) FROM audit WHERE record='$SDID'")' = 1 ] &&
   [ '$(dbq "SELECT v FROM meta WHERE k='schema'")' = 2 ]"

# --- the rate limit of /v1/verify applies to the page too: past the burst
# (20, refilled at 1 a second) a series is refused.  The series is sent at
# once, so a slow machine refills no more than a few tokens meanwhile.
pids=()
for i in $(seq 1 30); do
  curl -s -o /dev/null -w '%{http_code}\n' -F "document=@$TMP/plain.txt" "$URL/verify" \
    >"$TMP/rate.$i" &
  pids+=($!)
done
wait "${pids[@]}"
req POST /verify -F "document=@$TMP/plain.txt"
check "past the verification rate: 429 page with Retry-After ($(cat "$TMP"/rate.* | grep -c 200) of 30 at once answered)" bash -c \
  "[ $(code) = 429 ] && html && grep -qi '^retry-after: 1' '$TMP/headers' && has 'Quá nhiều lượt kiểm tra' &&
   [ $(cat "$TMP"/rate.* | grep -c 200) -ge 1 ] && [ $(cat "$TMP"/rate.* | grep -c 429) -ge 1 ]"

kyso_serve_stop
check "kyso serve stops cleanly" test $? -eq 0
echo "1..$n"
