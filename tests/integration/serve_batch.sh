#!/usr/bin/env bash
# kyso serve, batches: POST /v1/sign/batch (the school seal on its token,
# a principal's personal key with one activation for the whole batch),
# the batch two-phase routes with the signatures made by openssl as the
# key holder, session activations of a teacher's key (N signatures in a
# bounded period, counted by the daemon), the limits and the JSON shape
# refusals; every signed document checked with kyso verify, the audit
# rows with the store.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
if [ -z "${SOFTHSM2_CONF:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$ROOT/build/pki/env.sh"
fi
P=${KYSO_PKI_DIR:-$ROOT/build/pki}
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
export KYSO_PIN=$KYSO_TEST_PIN KYSO_LOG=info

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { # name, command...
  local name=$1; shift
  if "$@"; then ok "$name"; else notok "$name" "$(head -c 800 "$TMP/body" 2>/dev/null)"; fi
}
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
jget() { sed -n 's/.*"'"$2"'":"\{0,1\}\([^",}]*\).*/\1/p' "$1" | head -1; }
problem() { # code status: a whole-request problem
  [ "$(cat "$TMP/ctype")" = "application/problem+json" ] &&
    [ "$(jget "$TMP/body" type)" = "urn:kyso:problem:$1" ] &&
    [ "$(jget "$TMP/body" status)" = "$2" ]
}
req() { # METHOD PATH [curl args...]
  local m=$1 path=$2; shift 2
  curl -s -X "$m" -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}\n%{content_type}' "$@" \
    "$URL$path" >"$TMP/out"
  head -1 "$TMP/out" >"$TMP/code"
  tail -1 "$TMP/out" >"$TMP/ctype"
}
code() { cat "$TMP/code"; }
is() { [ "$(code)" = "$1" ]; }
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
# post PATH TOKEN JSONFILE [curl args...]
post() {
  local path=$1 tok=$2 f=$3; shift 3
  req POST "$path" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
    --data-binary @"$f" "$@"
}
# batch OUT 'OPTIONS AS JSON' FILE...: a batch request, documents named by file
batch() {
  $PY - "$@" <<'PY'
import base64, json, os, sys
out, opts, files = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
opts["documents"] = [{"name": os.path.basename(f),
                      "document": base64.b64encode(open(f, "rb").read()).decode()} for f in files]
json.dump(opts, open(out, "w"))
PY
}
# statuses: "ok failed | status:type status:type ..." of a batch answer
statuses() {
  $PY - "$TMP/body" <<'PY'
import json, sys
try:
    a = json.load(open(sys.argv[1]))
    parts = []
    for r in a["results"]:
        t = r.get("problem", {}).get("type", "").replace("urn:kyso:problem:", "")
        parts.append("%d%s" % (r["status"], ":" + t if t else ""))
    print(a["ok"], a["failed"], "|", " ".join(parts))
except Exception as e:
    print("unreadable:", e)
PY
}
# names: the results' names (or ids), in order
names() { $PY -c 'import json,sys; print(" ".join(r.get("name", r.get("id", "?")) for r in json.load(open(sys.argv[1]))["results"]))' "$TMP/body" 2>/dev/null; }
# unpack DIR: each signed document of the answer to DIR/INDEX.EXT
unpack() {
  mkdir -p "$1"
  $PY - "$TMP/body" "$1" <<'PY'
import base64, json, sys
a = json.load(open(sys.argv[1]))
for i, r in enumerate(a["results"]):
    if r["status"] == 200:
        ext = {"pdf": "pdf", "xml": "xml"}.get(r["format"], "p7s")
        open("%s/%02d.%s" % (sys.argv[2], i, ext), "wb").write(base64.b64decode(r["document"]))
PY
}
# verify_all DIR: kyso verify passes for every file of DIR (and there are some)
verify_all() {
  local f count=0
  for f in "$1"/*; do
    [ -f "$f" ] || continue
    count=$((count + 1))
    "$KYSO" verify "$f" --trust "$P/root.pem" --revocation off >"$TMP/v.txt" 2>&1 || {
      echo "$f: $(head -5 "$TMP/v.txt")" >"$TMP/body"; return 1; }
  done
  [ "$count" = "${2:-$count}" ] && [ "$count" -gt 0 ]
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
# sign_payload HOLDERKEY PAYLOAD: the activation text
sign_payload() {
  printf 'kyso-act1.%s.%s' "$(printf '%s' "$2" | b64url)" \
    "$(printf '%s' "$2" | openssl dgst -sha256 -sign "$1" | b64url)"
}
# act_docs HOLDERKEY KEY TTL FILE...: a digests-bound activation for these files
act_docs() {
  local holder=$1 key=$2 ttl=$3 f list=""; shift 3
  for f in "$@"; do list="$list${list:+,}\"$(sha "$f")\""; done
  sign_payload "$holder" "$(printf '{"digests":[%s],"exp":%d,"key":"%s","nonce":"%s","v":1}' \
    "$list" $(($(date +%s) + ttl)) "$key" "$(openssl rand -hex 16)")"
}
# act_session HOLDERKEY KEY USES TTL [NONCE]: a session activation
act_session() {
  sign_payload "$1" "$(printf '{"exp":%d,"key":"%s","nonce":"%s","uses":%d,"v":1}' \
    $(($(date +%s) + $4)) "$2" "${5:-$(openssl rand -hex 16)}" "$3")"
}
# audit_rows PATTERN...: the number of audit entries holding every pattern
audit_rows() {
  $PY - "$STATE/kyso.db" "$@" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = [bytes(r[0]).decode() for r in db.execute("select entry from audit")]
print(sum(1 for e in rows if all(p in e for p in sys.argv[2:])))
PY
}

STATE=$TMP/var
mkdir -p "$STATE/activation" "$TMP/docs"
for who in principal teacher; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/$who-holder.key" 2>/dev/null
  openssl pkey -in "$TMP/$who-holder.key" -pubout -out "$STATE/activation/$who.pub.pem" 2>/dev/null
done
CONF=$TMP/kyso.conf
cat >"$CONF" <<EOF
[server]
threads = 4
max-body = 3M
openapi = $ROOT/docs/openapi.yaml
[state]
dir = $STATE
[signing]
revocation = off
batch-max = 64
session-ttl-max = 3600
session-signatures-max = 50
[verify]
trust = $P/root.pem
revocation = off
[key "seal"]
uri = pkcs11:token=school-seal;object=tok-seal-rsa;type=private
[key "principal"]
uri = pkcs11:token=principal;object=tok-principal-rsa;type=private
personal = yes
[key "teacher"]
key-file = $P/teacher-rsa.key.pem
cert = $P/teacher-rsa.cert.pem
chain = $P/teacher-rsa.chain.pem
personal = yes
session-activation = yes
EOF

# the documents: three PDFs and five XML records, each different
cp "$ROOT/docs/examples/hocba.pdf" "$ROOT/docs/examples/sodiem.pdf" \
  "$ROOT/docs/examples/hocba-rendered.pdf" "$TMP/docs/"
for i in 1 2 3 4 5; do
  sed "s/hb-5gddzp4f5ltze6xh/hb-batch-$i/g" "$ROOT/docs/examples/hocba.xml" >"$TMP/docs/record-$i.xml"
done
DOCS=("$TMP"/docs/hocba.pdf "$TMP"/docs/record-1.xml "$TMP"/docs/sodiem.pdf "$TMP"/docs/record-2.xml
  "$TMP"/docs/record-3.xml "$TMP"/docs/hocba-rendered.pdf "$TMP"/docs/record-4.xml "$TMP"/docs/record-5.xml)
printf '%%PDF-1.7\nthis is not a PDF\n' >"$TMP/broken-1.pdf"
printf '<?xml version="1.0"?><Transcript><unclosed>' >"$TMP/broken-2.xml"
head -c 3000 "$ROOT/docs/examples/hocba.pdf" >"$TMP/broken-3.pdf"

if kyso_serve_start "$KYSO" "$CONF" "$TMP/serve.log" 2>"$TMP/body"; then
  ok "kyso serve starts on 127.0.0.1 at a free port"
else
  notok "kyso serve starts" "$(cat "$TMP/body")"
  echo "1..$n"
  exit 1
fi
URL=$KYSO_SERVE_URL
TOK=$("$KYSO" client add platform --grant seal --grant principal --grant teacher \
  --ops sign,prepare --config "$CONF" 2>/dev/null)
TOK2=$("$KYSO" client add other --grant seal --ops sign,prepare --config "$CONF" 2>/dev/null)

# --- the school seal: a batch of 8 documents
batch "$TMP/b.json" '{"key":"seal","reason":"Ký hàng loạt"}' "${DOCS[@]}"
post /v1/sign/batch "$TOK" "$TMP/b.json"
check "a batch of 8 documents with the seal: 200, 8 signed, 0 failed" \
  bash -c "[ $(code) = 200 ] && [ '$(statuses)' = '8 0 | 200 200 200 200 200 200 200 200' ]"
check "the results come in the order sent (names)" \
  bash -c "[ '$(names)' = 'hocba.pdf record-1.xml sodiem.pdf record-2.xml record-3.xml hocba-rendered.pdf record-4.xml record-5.xml' ]"
unpack "$TMP/seal"
check "every signed document of the batch verifies with kyso verify (8)" verify_all "$TMP/seal" 8
cnt=0
for f in "${DOCS[@]}"; do
  [ "$(audit_rows '"op":"sign"' '"key":"seal"' '"outcome":"ok"' "\"digest\":\"$(sha "$f")\"")" = 1 ] && cnt=$((cnt + 1))
done
check "each signature of the batch is its own audit row (8 rows: op sign, key seal, its digest)" test "$cnt" = 8

# --- three broken documents among eight
batch "$TMP/b.json" '{"key":"seal"}' "${DOCS[0]}" "$TMP/broken-1.pdf" "${DOCS[1]}" "${DOCS[2]}" \
  "$TMP/broken-2.xml" "${DOCS[3]}" "$TMP/broken-3.pdf" "${DOCS[4]}"
post /v1/sign/batch "$TOK" "$TMP/b.json"
check "3 broken documents of 8: the 5 others signed, 3 problems in their places" \
  bash -c "[ $(code) = 200 ] && [ '$(statuses)' = '5 3 | 200 422:bad-document 200 200 422:bad-document 200 422:bad-document 200' ]"
rm -rf "$TMP/mixed"
unpack "$TMP/mixed"
check "the 5 signed documents of the mixed batch verify" verify_all "$TMP/mixed" 5
check "a failed document is an audit row with its problem code" \
  test "$(audit_rows '"op":"sign"' '"outcome":"bad-document"' "\"digest\":\"$(sha "$TMP/broken-1.pdf")\"")" = 1

# --- limits
MANY=()
for i in $(seq 1 65); do MANY+=("${DOCS[$((i % 8))]}"); done
batch "$TMP/b.json" '{"key":"seal"}' "${MANY[@]}"
post /v1/sign/batch "$TOK" "$TMP/b.json"
nothing_signed() { problem too-large 413 && ! grep -q '"document"' "$TMP/body"; }
check "65 documents, over batch-max 64: 413 too-large, nothing signed" nothing_signed
head -c 1200000 /dev/urandom >"$TMP/big1.bin"
cp "$TMP/big1.bin" "$TMP/big2.bin"
batch "$TMP/b.json" '{"key":"seal","format":"cms"}' "$TMP/big1.bin" "$TMP/big2.bin" "$TMP/big1.bin"
post /v1/sign/batch "$TOK" "$TMP/b.json"
check "a batch body over max-body: 413 too-large" problem too-large 413

# --- multipart: a browser form with several files
req POST /v1/sign/batch -H "Authorization: Bearer $TOK" -F key=seal -F "reason=Ký hàng loạt" \
  -F "document=@${DOCS[0]}" -F "document=@${DOCS[1]}" -F "file=@${DOCS[2]}"
check "a multipart batch of 3 files: 200, 3 signed, named by their file names in order" \
  bash -c "[ $(code) = 200 ] && [ '$(statuses)' = '3 0 | 200 200 200' ] && [ '$(names)' = 'hocba.pdf record-1.xml sodiem.pdf' ]"
rm -rf "$TMP/mp"
unpack "$TMP/mp"
check "the multipart batch's signed documents verify" verify_all "$TMP/mp" 3
ACT=$(act_docs "$TMP/principal-holder.key" principal 120 "${DOCS[1]}" "${DOCS[3]}")
req POST /v1/sign/batch -H "Authorization: Bearer $TOK" -F key=principal -F "activation=$ACT" \
  -F "document=@${DOCS[1]}" -F "document=@${DOCS[3]}"
check "a multipart batch for the principal with the activation as a part: 2 signed" \
  bash -c "[ $(code) = 200 ] && [ '$(statuses)' = '2 0 | 200 200' ]"
req POST /v1/sign/batch -H "Authorization: Bearer $TOK" -F key=seal -F reason=x
check "a multipart batch without a document part: 400 bad-parameter" problem bad-parameter 400
MP=()
for i in $(seq 1 65); do MP+=(-F "document=@${DOCS[1]}"); done
req POST /v1/sign/batch -H "Authorization: Bearer $TOK" -F key=seal "${MP[@]}"
check "a multipart batch of 65 files, over batch-max 64: 413 too-large" problem too-large 413
req POST /v1/sign/batch -H "Authorization: Bearer $TOK" -H 'Content-Type: multipart/form-data; boundary=xyz' \
  --data-binary $'--xyz\r\nContent-Disposition: form-data; name="key"\r\n\r\nseal\r\n'
check "a multipart body without its final boundary: 400 bad-multipart" problem bad-multipart 400

# --- JSON shape refusals
shape() { # name code body
  printf '%s' "$3" >"$TMP/s.json"
  post /v1/sign/batch "$TOK" "$TMP/s.json"
  check "$1" problem "$2" 400
}
DOC64=$(base64 -w0 "${DOCS[1]}")
shape "malformed JSON: 400 bad-json" bad-json '{"key":"seal","documents":['
shape "the body is not an object: 400 bad-json" bad-json '["seal"]'
shape "no documents: 400 bad-parameter" bad-parameter '{"key":"seal"}'
shape "documents not an array: 400 bad-parameter" bad-parameter '{"key":"seal","documents":{"document":"'"$DOC64"'"}}'
shape "an empty documents array: 400 bad-parameter" bad-parameter '{"key":"seal","documents":[]}'
shape "a document entry that is not an object: 400 bad-parameter" bad-parameter '{"key":"seal","documents":["'"$DOC64"'"]}'
shape "a document entry without a document: 400 bad-parameter" bad-parameter '{"key":"seal","documents":[{"name":"a"}]}'
shape "an unknown member of a document entry: 400 bad-parameter" bad-parameter '{"key":"seal","documents":[{"document":"'"$DOC64"'","level":"B-T"}]}'
shape "a document that is not base64: 400 bad-base64" bad-base64 '{"key":"seal","documents":[{"document":"@@@@"}]}'
shape "a name with a control character: 400 bad-parameter" bad-parameter '{"key":"seal","documents":[{"name":"a\u0001b","document":"'"$DOC64"'"}]}'
shape "an unknown option: 400 bad-parameter" bad-parameter '{"key":"seal","colour":"red","documents":[{"document":"'"$DOC64"'"}]}'
shape "a repeated member: 400 bad-json" bad-json '{"key":"seal","key":"seal","documents":[{"document":"'"$DOC64"'"}]}'
shape "no key: 400 bad-parameter" bad-parameter '{"documents":[{"document":"'"$DOC64"'"}]}'
req POST /v1/sign/batch -H "Authorization: Bearer $TOK" -H 'Content-Type: application/pdf' --data-binary @"${DOCS[0]}"
check "a batch that is not JSON: 415 unsupported-media-type" problem unsupported-media-type 415
req POST /v1/sign/batch/complete -H "Authorization: Bearer $TOK" -F id=abc -F signature=@"${DOCS[0]}"
check "a batch to complete that is not JSON: 415 unsupported-media-type" problem unsupported-media-type 415
batch "$TMP/b.json" '{"key":"seal"}' "${DOCS[1]}"
req POST /v1/sign/batch -H 'Content-Type: application/json' --data-binary @"$TMP/b.json"
check "a batch without a client token: 401 unauthorized" problem unauthorized 401
batch "$TMP/b.json" '{"key":"principal"}' "${DOCS[1]}"
post /v1/sign/batch "$TOK2" "$TMP/b.json"
check "a batch with a key not granted: 403 forbidden-key" problem forbidden-key 403

# --- a personal key: one activation of the holder for the whole batch
PB=("${DOCS[0]}" "${DOCS[1]}" "${DOCS[3]}" "${DOCS[4]}")
batch "$TMP/pb.json" '{"key":"principal"}' "${PB[@]}"
post /v1/sign/batch "$TOK" "$TMP/pb.json"
check "the principal's key without activation: 403 activation-required" problem activation-required 403
check "... and an audit row of the refusal (op sign-batch)" \
  test "$(audit_rows '"op":"sign-batch"' '"key":"principal"' '"outcome":"activation-required"')" = 1
ACT=$(act_docs "$TMP/principal-holder.key" principal 120 "${PB[0]}" "${PB[1]}" "${PB[2]}")
post /v1/sign/batch "$TOK" "$TMP/pb.json" -H "Kyso-Activation: $ACT"
check "an activation missing one document of the batch: 403 activation-invalid" problem activation-invalid 403
ACT=$(act_docs "$TMP/principal-holder.key" principal 120 "${PB[@]}" "${DOCS[2]}")
post /v1/sign/batch "$TOK" "$TMP/pb.json" -H "Kyso-Activation: $ACT"
check "an activation listing one document more than the batch: 403 activation-invalid" problem activation-invalid 403
ACT=$(act_docs "$TMP/principal-holder.key" principal 120 "${PB[@]}")
batch "$TMP/pb.json" "{\"key\":\"principal\",\"activation\":\"$ACT\"}" "${PB[@]}"
post /v1/sign/batch "$TOK" "$TMP/pb.json"
check "the holder's activation for exactly these 4 documents: all 4 signed" \
  bash -c "[ $(code) = 200 ] && [ '$(statuses)' = '4 0 | 200 200 200 200' ]"
unpack "$TMP/principal"
check "the principal's 4 signed documents verify" verify_all "$TMP/principal" 4
post /v1/sign/batch "$TOK" "$TMP/pb.json"
check "the same activation again: 403 activation-invalid (used once)" problem activation-invalid 403
ACT=$(act_docs "$TMP/principal-holder.key" principal 7200 "${PB[@]}")
post /v1/sign/batch "$TOK" "$TMP/pb.json" -H "Kyso-Activation: $ACT"
check "an activation living longer than activation-ttl-max: 403 activation-invalid" problem activation-invalid 403

# a class of 60 records: one activation (longer than any other option) as a JSON member
CLASS=()
for i in $(seq 1 60); do
  sed "s/hb-5gddzp4f5ltze6xh/class-$i/g" "$ROOT/docs/examples/hocba.xml" >"$TMP/class-$i.xml"
  CLASS+=("$TMP/class-$i.xml")
done
ACT=$(act_docs "$TMP/teacher-holder.key" teacher 120 "${CLASS[@]}")
batch "$TMP/cb.json" "{\"key\":\"teacher\",\"activation\":\"$ACT\"}" "${CLASS[@]}"
post /v1/sign/batch "$TOK" "$TMP/cb.json"
check "a class of 60 records with one activation of ${#ACT} bytes listing them all: 60 signed" \
  bash -c "[ $(code) = 200 ] && [ '$(statuses | cut -d'|' -f1)' = '60 0 ' ]"
rm -rf "$TMP/class"
unpack "$TMP/class"
find "$TMP/class" -type f ! -name 00.xml ! -name 59.xml -delete
check "the first and last records of the class verify" verify_all "$TMP/class" 2

# --- batch two-phase: the holder's key signs the digests elsewhere (openssl)
CERT=$P/principal-rsa.cert.pem
$PY - "$TMP/prep.json" "$CERT" "${CERT%.cert.pem}.chain.pem" "${DOCS[0]}" "${DOCS[1]}" "${DOCS[2]}" <<'PY'
import base64, json, os, sys
b = lambda f: base64.b64encode(open(f, "rb").read()).decode()
json.dump({"certificate": b(sys.argv[2]), "chain": b(sys.argv[3]), "reason": "Hiệu trưởng ký",
           "documents": [{"name": os.path.basename(f), "document": b(f)} for f in sys.argv[4:]]},
          open(sys.argv[1], "w"))
PY
post /v1/sign/batch/prepare "$TOK" "$TMP/prep.json"
check "batch prepare of 3 documents: 200, an id and a digest to sign for each, in order" \
  bash -c "[ $(code) = 200 ] && [ '$(statuses)' = '3 0 | 200 200 200' ] && [ '$(names)' = 'hocba.pdf record-1.xml sodiem.pdf' ]"
cp "$TMP/body" "$TMP/prepared.json"
# holder_complete OUT [BADINDEX]: sign each digest with the holder's key; a wrong signature at BADINDEX
holder_complete() {
  $PY - "$TMP/prepared.json" "$1" "$P/principal-rsa.key.pem" "${2:--1}" <<'PY'
import base64, json, subprocess, sys
prep = json.load(open(sys.argv[1]))
items = []
for i, r in enumerate(prep["results"]):
    tbs = base64.b64decode(r["digest"])
    if i == int(sys.argv[4]):
        tbs = bytes(32)
    sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", sys.argv[3], "-pkeyopt", "digest:sha256"],
                         input=tbs, capture_output=True, check=True).stdout
    items.append({"id": r["id"], "signature": base64.b64encode(sig).decode()})
json.dump({"items": items}, open(sys.argv[2], "w"))
PY
}
holder_complete "$TMP/comp.json" 1
post /v1/sign/batch/complete "$TOK" "$TMP/comp.json"
check "batch complete with a wrong signature for item 2: only that item fails (422 bad-signature)" \
  bash -c "[ $(code) = 200 ] && [ '$(statuses)' = '2 1 | 200 422:bad-signature 200' ]"
rm -rf "$TMP/twophase"
unpack "$TMP/twophase"
check "the 2 completed documents verify" verify_all "$TMP/twophase" 2
holder_complete "$TMP/comp.json"
post /v1/sign/batch/complete "$TOK" "$TMP/comp.json"
check "complete again: the 2 completed are 409 prepared-used, the one that failed now completes" \
  bash -c "[ $(code) = 200 ] && [ '$(statuses)' = '1 2 | 409:prepared-used 200 409:prepared-used' ]"
rm -rf "$TMP/twophase2"
unpack "$TMP/twophase2"
check "the item completed on the second try verifies" verify_all "$TMP/twophase2" 1
post /v1/sign/batch/complete "$TOK2" "$TMP/comp.json"
check "complete by another client: each item 403 prepared-other-client" \
  bash -c "[ $(code) = 200 ] && [ '$(statuses)' = '0 3 | 403:prepared-other-client 403:prepared-other-client 403:prepared-other-client' ]"
$PY - "$TMP/prep.json" "$TMP/prep1.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["documents"] = p["documents"][:1]
json.dump(p, open(sys.argv[2], "w"))
PY
post /v1/sign/batch/prepare "$TOK" "$TMP/prep1.json"
$PY - "$TMP/body" "$TMP/comp2.json" "$P/teacher-rsa.cert.pem" <<'PY'
import json, sys
prep = json.load(open(sys.argv[1]))
json.dump({"items": [{"id": "0" * 32, "signature": "AAAA"},
                     {"id": prep["results"][0]["id"], "signature": "AAAA",
                      "certificate": open(sys.argv[3]).read()}]}, open(sys.argv[2], "w"))
PY
post /v1/sign/batch/complete "$TOK" "$TMP/comp2.json"
check "complete an unknown id and another certificate: 404 prepared-not-found, 403 prepared-wrong-certificate" \
  bash -c "[ $(code) = 200 ] && [ '$(statuses)' = '0 2 | 404:prepared-not-found 403:prepared-wrong-certificate' ]"
printf '{"items":[{"id":"abc"}]}' >"$TMP/s.json"
post /v1/sign/batch/complete "$TOK" "$TMP/s.json"
check "complete items without a signature: 400 bad-parameter" problem bad-parameter 400
printf '{"items":[{"id":"abc","signature":"AAAA"}],"key":"seal"}' >"$TMP/s.json"
post /v1/sign/batch/complete "$TOK" "$TMP/s.json"
check "complete with an option it does not take: 400 bad-parameter" problem bad-parameter 400
batch "$TMP/s.json" '{"key":"seal"}' "${DOCS[1]}"
post /v1/sign/batch/prepare "$TOK" "$TMP/s.json"
check "batch prepare without a certificate: 400 bad-parameter" problem bad-parameter 400

# --- session activations: a teacher signs after every lesson without approving each one
lesson() { # n: a class-log record of lesson n
  sed "s/hb-5gddzp4f5ltze6xh/lesson-$1/g" "$ROOT/docs/examples/hocba.xml" >"$TMP/lesson-$1.xml"
  echo "$TMP/lesson-$1.xml"
}
NONCE=$(openssl rand -hex 16)
SESS=$(act_session "$TMP/teacher-holder.key" teacher 3 600 "$NONCE")
good=0
for i in 1 2 3; do
  req POST "/v1/sign?key=teacher" -H "Authorization: Bearer $TOK" -H "Kyso-Activation: $SESS" \
    -H 'Content-Type: application/xml' --data-binary @"$(lesson "$i")"
  is 200 && cp "$TMP/body" "$TMP/lesson-$i.signed.xml" && good=$((good + 1))
done
check "a session activation of 3 uses: 3 lessons signed, no activation per lesson" test "$good" = 3
check "a lesson signed in the session verifies" \
  bash -c "'$KYSO' verify '$TMP/lesson-2.signed.xml' --trust '$P/root.pem' --revocation off >/dev/null 2>&1"
req POST "/v1/sign?key=teacher" -H "Authorization: Bearer $TOK" -H "Kyso-Activation: $SESS" \
  -H 'Content-Type: application/xml' --data-binary @"$(lesson 4)"
check "the 4th signature of a 3-use session: 403 activation-invalid" problem activation-invalid 403
check "the audit rows of the session's 3 signatures name it" \
  test "$(audit_rows '"op":"sign"' '"key":"teacher"' '"outcome":"ok"' "\"session\":\"$NONCE\"")" = 3
SESS=$(act_session "$TMP/teacher-holder.key" teacher 4 600)
batch "$TMP/tb.json" '{"key":"teacher"}' "$(lesson 5)" "$(lesson 6)" "$(lesson 7)"
post /v1/sign/batch "$TOK" "$TMP/tb.json" -H "Kyso-Activation: $SESS"
check "a session covers a batch: 3 of its 4 uses" \
  bash -c "[ $(code) = 200 ] && [ '$(statuses)' = '3 0 | 200 200 200' ]"
post /v1/sign/batch "$TOK" "$TMP/tb.json" -H "Kyso-Activation: $SESS"
check "a batch of 3 with 1 use left: 403 activation-invalid, nothing signed" problem activation-invalid 403
req POST "/v1/sign?key=teacher" -H "Authorization: Bearer $TOK" -H "Kyso-Activation: $SESS" \
  -H 'Content-Type: application/xml' --data-binary @"$(lesson 8)"
check "... the last use still signs one" is 200
SESS=$(act_session "$TMP/teacher-holder.key" teacher 5 -5)
req POST "/v1/sign?key=teacher" -H "Authorization: Bearer $TOK" -H "Kyso-Activation: $SESS" \
  -H 'Content-Type: application/xml' --data-binary @"$(lesson 9)"
check "an expired session: 403 activation-invalid" problem activation-invalid 403
SESS=$(act_session "$TMP/teacher-holder.key" teacher 5 7200)
req POST "/v1/sign?key=teacher" -H "Authorization: Bearer $TOK" -H "Kyso-Activation: $SESS" \
  -H 'Content-Type: application/xml' --data-binary @"$(lesson 9)"
check "a session living longer than session-ttl-max: 403 activation-invalid" problem activation-invalid 403
SESS=$(act_session "$TMP/teacher-holder.key" teacher 51 600)
req POST "/v1/sign?key=teacher" -H "Authorization: Bearer $TOK" -H "Kyso-Activation: $SESS" \
  -H 'Content-Type: application/xml' --data-binary @"$(lesson 9)"
check "a session allowing more than session-signatures-max: 403 activation-invalid" problem activation-invalid 403
SESS=$(act_session "$TMP/principal-holder.key" principal 5 600)
req POST "/v1/sign?key=principal" -H "Authorization: Bearer $TOK" -H "Kyso-Activation: $SESS" \
  -H 'Content-Type: application/xml' --data-binary @"$(lesson 9)"
check "a session activation for a key without session-activation: 403 activation-invalid" problem activation-invalid 403
SESS=$(act_session "$TMP/principal-holder.key" teacher 5 600)
req POST "/v1/sign?key=teacher" -H "Authorization: Bearer $TOK" -H "Kyso-Activation: $SESS" \
  -H 'Content-Type: application/xml' --data-binary @"$(lesson 9)"
check "a session activation signed by another holder: 403 activation-invalid" problem activation-invalid 403
# concurrent uses: the count is atomic in the store
NONCE=$(openssl rand -hex 16)
SESS=$(act_session "$TMP/teacher-holder.key" teacher 3 600 "$NONCE")
PIDS=()
for i in 1 2 3 4 5 6; do
  curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOK" -H "Kyso-Activation: $SESS" \
    -H 'Content-Type: application/xml' --data-binary @"$(lesson "1$i")" "$URL/v1/sign?key=teacher" \
    >"$TMP/par-$i" &
  PIDS+=($!)
done
wait "${PIDS[@]}"
check "6 concurrent signatures with a 3-use session: exactly 3 signed, 3 refused" \
  bash -c "[ \$(cat $TMP/par-* | grep -c '^200$') = 3 ] && [ \$(cat $TMP/par-* | grep -c '^403$') = 3 ]"
check "... and exactly 3 audit rows name that session" \
  test "$(audit_rows '"outcome":"ok"' "\"session\":\"$NONCE\"")" = 3

# --- the audit log still holds
kyso_serve_stop
"$KYSO" audit verify --config "$CONF" >"$TMP/body" 2>&1
check "kyso audit verify: the log holds (0 problems)" bash -c "grep -q ' 0 problems' '$TMP/body'"

echo "1..$n"
