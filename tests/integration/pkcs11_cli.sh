#!/usr/bin/env bash
# kyso tokens / kyso keys [--json] against the SoftHSM2 tokens of the test
# PKI (build/pki/env.sh: SOFTHSM2_CONF, KYSO_TEST_PIN).  Certificate
# details are checked against OpenSSL's reading of the certificate taken
# off the token with pkcs11-tool.  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
if [ -z "${SOFTHSM2_CONF:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$ROOT/build/pki/env.sh"
fi
PIN=${KYSO_TEST_PIN:-123456}
MODULE=${KYSO_SOFTHSM_MODULE:-/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
unset KYSO_PIN KYSO_PKCS11_MODULE KYSO_PKCS11_REGISTRY

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { # name, command...
  local name=$1; shift
  if "$@"; then ok "$name"; else notok "$name"; fi
}
json() { # file, python expression over `d`
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$1" "$2"
}

# --- kyso tokens
"$KYSO" tokens >"$TMP/tokens.txt" 2>"$TMP/err"; rc=$?
check "kyso tokens exits 0" test "$rc" -eq 0
check "kyso tokens lists the principal token" grep -q "^token 'principal'" "$TMP/tokens.txt"
check "kyso tokens shows manufacturer, model, serial, flags, slot" \
  bash -c "grep -A8 \"^token 'principal'\" '$TMP/tokens.txt' | grep -q 'manufacturer: SoftHSM project' &&
           grep -A8 \"^token 'principal'\" '$TMP/tokens.txt' | grep -q 'model:        SoftHSM v2' &&
           grep -A8 \"^token 'principal'\" '$TMP/tokens.txt' | grep -qE 'serial:       [0-9a-f]+' &&
           grep -A8 \"^token 'principal'\" '$TMP/tokens.txt' | grep -q 'flags:.*login-required' &&
           grep -A8 \"^token 'principal'\" '$TMP/tokens.txt' | grep -qE 'slot:         [0-9]+'"
"$KYSO" tokens --json >"$TMP/tokens.json" 2>"$TMP/err"; rc=$?
check "kyso tokens --json" json "$TMP/tokens.json" \
  "any(t['label']=='principal' and t['model']=='SoftHSM v2' and 'token-initialized' in t['flags'] and t['uri'].startswith('pkcs11:') for t in d['tokens'])"
"$KYSO" tokens --uri 'pkcs11:token=principal' --json >"$TMP/one.json" 2>/dev/null
check "kyso tokens --uri filters" json "$TMP/one.json" "len(d['tokens'])==1"
"$KYSO" tokens --uri 'pkcs11:token=%zz' >/dev/null 2>"$TMP/err"; rc=$?
check "kyso tokens refuses a malformed URI (exit 3)" test "$rc" -eq 3
"$KYSO" tokens --bogus >/dev/null 2>&1; rc=$?
check "kyso tokens refuses an unknown option (exit 3)" test "$rc" -eq 3

# --- kyso keys, logged in with the PIN in the URI
URI="pkcs11:token=principal?pin-value=$PIN"
"$KYSO" keys --json --uri "$URI" >"$TMP/keys.json" 2>"$TMP/err"; rc=$?
check "kyso keys --json exits 0" test "$rc" -eq 0
check "kyso keys --json lists both principal keys" json "$TMP/keys.json" \
  "sorted(k['label'] for k in d['keys'])==['tok-principal-ec','tok-principal-rsa']"
check "kyso keys --json: URI, algorithm, size" json "$TMP/keys.json" \
  "all(k['uri'].startswith('pkcs11:') and 'type=private' in k['uri'] and 'pin' not in k['uri'] for k in d['keys']) and
   any(k['algorithm']=='RSA' and k['bits']>=2048 for k in d['keys']) and
   any(k['algorithm']=='EC' and k['bits']>=256 for k in d['keys']) and
   not any(k['inferred'] for k in d['keys'])"
if grep -q "$PIN" "$TMP/keys.json" "$TMP/err"; then notok "the PIN appears nowhere in the output"; else ok "the PIN appears nowhere in the output"; fi

# The certificate as OpenSSL reads it off the token.
for k in rsa ec; do
  pkcs11-tool --module "$MODULE" --token-label principal --read-object --type cert \
    --label "tok-principal-$k" -o "$TMP/$k.der" >/dev/null 2>&1
  openssl x509 -inform DER -in "$TMP/$k.der" -noout -subject -nameopt RFC2253,-esc_msb,utf8 \
    | sed 's/^subject=//' >"$TMP/$k.subject"
  openssl x509 -inform DER -in "$TMP/$k.der" -noout -issuer -nameopt RFC2253,-esc_msb,utf8 \
    | sed 's/^issuer=//' >"$TMP/$k.issuer"
  openssl x509 -inform DER -in "$TMP/$k.der" -noout -enddate | sed 's/^notAfter=//' >"$TMP/$k.end"
  python3 - "$TMP/keys.json" "$TMP/$k" "tok-principal-$k" >"$TMP/$k.check" 2>&1 <<'PY'
import json, sys, datetime, re
d = json.load(open(sys.argv[1])); base = sys.argv[2]; label = sys.argv[3]
k = [k for k in d['keys'] if k['label'] == label][0]
c = k['certificate']
subj = open(base + '.subject', encoding='utf-8').read().strip()
iss = open(base + '.issuer', encoding='utf-8').read().strip()
end = datetime.datetime.strptime(open(base + '.end').read().strip(), '%b %d %H:%M:%S %Y GMT')
problems = []
if c['subject'] != subj: problems.append('subject %r != openssl %r' % (c['subject'], subj))
if c['issuer'] != iss: problems.append('issuer %r != openssl %r' % (c['issuer'], iss))
if c['not_after'] != end.strftime('%Y-%m-%dT%H:%M:%SZ'): problems.append('not_after %r' % c['not_after'])
m = re.search(r'(?:^|,)UID=([^,]*)', subj)
if m:
    uid = m.group(1)
    if c['uid'] != uid: problems.append('uid %r != %r' % (c['uid'], uid))
    for kind in ('CCCD', 'MST'):
        want = uid[len(kind) + 1:] if uid.startswith(kind + ':') else None
        if c[kind.lower()] != want: problems.append('%s %r != %r' % (kind, c[kind.lower()], want))
print('\n'.join(problems))
sys.exit(1 if problems else 0)
PY
  if [ $? -eq 0 ]; then ok "certificate of tok-principal-$k: subject (UTF-8), UID/CCCD/MST, issuer, validity match OpenSSL"
  else notok "certificate of tok-principal-$k matches OpenSSL" "$(cat "$TMP/$k.check")"; fi
done

"$KYSO" keys --uri "$URI" >"$TMP/keys.txt" 2>"$TMP/err"; rc=$?
check "kyso keys (text) exits 0" test "$rc" -eq 0
check "kyso keys (text) prints URI, algorithm, subject, issuer, validity" \
  bash -c "grep -q '^pkcs11:.*object=tok-principal-rsa' '$TMP/keys.txt' && grep -q 'algorithm:   RSA-' '$TMP/keys.txt' &&
           grep -q 'subject:' '$TMP/keys.txt' && grep -q 'issuer:' '$TMP/keys.txt' && grep -qE 'valid:       [0-9-]+T' '$TMP/keys.txt'"
subj=$(cat "$TMP/rsa.subject")
check "kyso keys (text) prints the UTF-8 subject as OpenSSL does" grep -qF "subject:     $subj" "$TMP/keys.txt"

# --- without a PIN: nothing logged in, keys seen through public objects
"$KYSO" keys --json --uri 'pkcs11:token=principal' >"$TMP/nologin.json" 2>"$TMP/err"; rc=$?
check "kyso keys without a PIN lists the keys as inferred" json "$TMP/nologin.json" \
  "len(d['keys'])>=2 and all(k['inferred'] for k in d['keys'])"
KYSO_PIN=$PIN "$KYSO" keys --json --uri 'pkcs11:token=principal' >"$TMP/env.json" 2>/dev/null
check "KYSO_PIN logs in when the URI selects one token" json "$TMP/env.json" \
  "len(d['keys'])==2 and not any(k['inferred'] for k in d['keys'])"

# --- wrong PIN: clear error, exit 1, one attempt, token still usable
"$KYSO" keys --uri "pkcs11:token=principal?pin-value=${PIN}0" >/dev/null 2>"$TMP/err"; rc=$?
check "wrong PIN: exit 1" test "$rc" -eq 1
check "wrong PIN: clear message" grep -q "wrong PIN for token 'principal'" "$TMP/err"
if grep -q "${PIN}0" "$TMP/err"; then notok "wrong PIN: not echoed"; else ok "wrong PIN: not echoed"; fi
"$KYSO" keys --json --uri "$URI" >"$TMP/again.json" 2>/dev/null
check "after a wrong PIN the token still takes the right one" json "$TMP/again.json" "len(d['keys'])==2"
"$KYSO" tokens --json --uri 'pkcs11:token=principal' >"$TMP/t2.json" 2>/dev/null
check "the token is not locked" json "$TMP/t2.json" "'user-pin-locked' not in d['tokens'][0]['flags']"

# --- a PIN is never sent to several tokens; an empty match is an error
"$KYSO" keys --uri "pkcs11:manufacturer=SoftHSM%20project?pin-value=${PIN}0" >/dev/null 2>"$TMP/err"; rc=$?
check "a PIN for several tokens: refused (exit 3)" test "$rc" -eq 3
check "a PIN for several tokens: says why" grep -q "PIN would go to" "$TMP/err"
"$KYSO" tokens --json --uri 'pkcs11:token=teacher' >"$TMP/t3.json" 2>/dev/null
check "a PIN for several tokens: no token counted a wrong attempt" json "$TMP/t3.json" \
  "not any(f in d['tokens'][0]['flags'] for f in ('user-pin-count-low','user-pin-final-try','user-pin-locked'))"
"$KYSO" keys --uri 'pkcs11:token=nosuch' >/dev/null 2>"$TMP/err"; rc=$?
check "keys matching nothing: exit 1" test "$rc" -eq 1
check "keys matching nothing: says so" grep -q "no private key" "$TMP/err"

# --- a module path that does not exist is not matched by file name elsewhere
echo data >"$TMP/doc.txt"
KYSO_PIN=$PIN "$KYSO" sign --format cms --in "$TMP/doc.txt" --out "$TMP/nomod.p7s" \
  --key 'pkcs11:token=principal;object=tok-principal-rsa?module-path=/nonexistent/libsofthsm2.so' \
  >/dev/null 2>"$TMP/err"; rc=$?
check "missing module-path: refused (exit 3), no output" bash -c "[ $rc -eq 3 ] && [ ! -e '$TMP/nomod.p7s' ]"
check "missing module-path: says so" grep -q "cannot be read" "$TMP/err"
KYSO_PIN=$PIN "$KYSO" sign --format cms --in "$TMP/doc.txt" --out "$TMP/upper.p7s" \
  --key 'PKCS11:token=principal;object=tok-principal-rsa' >/dev/null 2>"$TMP/err"; rc=$?
check "the URI scheme is case-insensitive (PKCS11:)" test "$rc" -eq 0

# --- PIN from a file
printf '%s\n' "$PIN" >"$TMP/pin"; chmod 600 "$TMP/pin"
"$KYSO" keys --json --uri "pkcs11:token=principal?pin-source=file:$TMP/pin" >"$TMP/file.json" 2>/dev/null
check "pin-source=file: logs in" json "$TMP/file.json" "len(d['keys'])==2 and not any(k['inferred'] for k in d['keys'])"

echo "1..$n"
