#!/usr/bin/env bash
# XAdES against peers on the same 50 KB gradebook and the same file
# RSA-2048 key (principal-rsa), all on one core:
#   xades_sign_vs_xmlsec1    kyso signs/s (in process: parse, XAdES B-B,
#                            sign, serialize) over `xmlsec1 --sign --repeat
#                            N` per second of wall clock (read, parse,
#                            XMLDSig, sign, write)          target >= 1
#   xades_verify_vs_xmlsec1  the same for verification   target >= 1
#   xades_sign_vs_xadesjs    kyso over xadesjs in one Node process
#                                                         target >= 20
#   xades_verify_vs_xadesjs                               target >= 20
# xmlsec1's own timer (around the signature operation only, without
# parsing or writing) is printed too, as information.  xadesjs comes from
# npm into build/xadesjs (tests/interop/xadesjs/setup.sh).
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
P=${KYSO_PKI_DIR:-$ROOT/build/pki}
SECS=${BENCH_SECONDS:-2}
BIN=$ROOT/$BUILD/bench/bench_xml
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
REPEAT=${XMLSEC_REPEAT:-300}

"$BIN" --emit-gradebook "$TMP/gb.xml" || exit 1
"$ROOT/$BUILD/kyso" sign --key-file "$P/principal-rsa.key.pem" --cert "$P/principal-rsa.cert.pem" \
	--chain "$P/principal-rsa.chain.pem" --in "$TMP/gb.xml" --out "$TMP/gb-kyso.xml" >/dev/null || exit 1
python3 - "$TMP/gb.xml" "$TMP/gb-tmpl.xml" <<'PY'
import sys
d = open(sys.argv[1], encoding="utf-8").read()
t = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
     '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
     '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
     '<ds:Reference URI=""><ds:Transforms>'
     '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
     '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
     '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>'
     '</ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data>'
     '<ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature>')
open(sys.argv[2], "w", encoding="utf-8").write(d.replace("</SoDiem>", t + "</SoDiem>"))
PY

rate_of() { sed -n "s/^$1 //p" "$TMP/out" | head -1; }
ratio() { python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print("%.2f" % (a/b if b > 0 else 0))' "$1" "$2"; }
row() { printf '%-29s %-14s %-14s %-7s (%s)\n' "$1" "$2" "$3" "$4" "$5"; }

taskset -c 0 "$BIN" --rate sign >"$TMP/out" && k_sign=$(rate_of xades_sign_50k)
taskset -c 0 "$BIN" --rate verify >"$TMP/out" && k_verify=$(rate_of xades_verify_50k)

# xmlsec1: N operations in one process; wall clock, and its own timer
xmlsec_rate() { # sign|verify args...
	local s e
	s=$(date +%s.%N)
	taskset -c 0 xmlsec1 "$@" >"$TMP/xs.out" 2>&1 || { cat "$TMP/xs.out" >&2; return 1; }
	e=$(date +%s.%N)
	python3 -c 'import sys; print("%.1f" % (float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2]))))' "$REPEAT" "$s" "$e"
}
own_timer() { sed -n 's/.*Executed \([0-9]*\) tests in \([0-9.]*\) msec.*/\1 \2/p' "$TMP/xs.out" |
	awk '{ if ($2 > 0) printf "%.1f", $1 * 1000 / $2 }'; }
x_sign=$(xmlsec_rate --sign --repeat "$REPEAT" --privkey-pem "$P/principal-rsa.key.pem,$P/principal-rsa.cert.pem" \
	--output "$TMP/x.xml" "$TMP/gb-tmpl.xml") || exit 1
x_sign_own=$(own_timer)
x_verify=$(xmlsec_rate --verify --repeat "$REPEAT" --trusted-pem "$P/root.pem" --untrusted-pem "$P/cas.pem" \
	--id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties" "$TMP/gb-kyso.xml") || exit 1
x_verify_own=$(own_timer)
row xades_sign_vs_xmlsec1 "$k_sign/s" "$x_sign/s" "$(ratio "$k_sign" "$x_sign")" "target >= 1"
row xades_verify_vs_xmlsec1 "$k_verify/s" "$x_verify/s" "$(ratio "$k_verify" "$x_verify")" "target >= 1"
echo "  (xmlsec1's own timer, signature operation only: sign $x_sign_own/s, verify $x_verify_own/s)"

if XJ=$(bash tests/interop/xadesjs/setup.sh "$BUILD" 2>"$TMP/npm.err"); then
	cp tests/interop/xadesjs/*.mjs "$XJ/"
	(cd "$XJ" && taskset -c 0 node bench.mjs "$TMP/gb.xml" "$TMP/gb-kyso.xml" "$P/principal-rsa.key.pem" \
		"$P/principal-rsa.cert.pem" "$P/principal-rsa.chain.pem" "$SECS") >"$TMP/out" || exit 1
	j_sign=$(rate_of xadesjs_sign)
	j_verify=$(rate_of xadesjs_verify)
	row xades_sign_vs_xadesjs "$k_sign/s" "$j_sign/s" "$(ratio "$k_sign" "$j_sign")" "target >= 20"
	row xades_verify_vs_xadesjs "$k_verify/s" "$j_verify/s" "$(ratio "$k_verify" "$j_verify")" "target >= 20"
else
	echo "bench: xadesjs could not be installed: $(tail -2 "$TMP/npm.err")" >&2
	exit 1
fi
