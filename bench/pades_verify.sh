#!/usr/bin/env bash
# PAdES verification throughput: kyso (in-process, build/bench/
# bench_pades_verify) over poppler's pdfsig (one process per document, as
# people run it) on the same ~30 KB signed transcript, in the same run.
# Both check the signature and the certificate path against the test root;
# neither checks revocation (pdfsig -no-ocsp).  The same again on the
# transcript signed a second time (the first signature's modification
# analysis then walks both revisions).  Prints
#
#   pades_verify_ratio <kyso docs/s> <pdfsig docs/s> <ratio>          (target >= 10)
#   pades_verify_serial_ratio <kyso docs/s> <pdfsig docs/s> <ratio>   (two signatures)
#
# usage: bench/pades_verify.sh [BUILD]   Env: BENCH_SECONDS (default 2).
set -uo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
if [ -z "${KYSO_PKI_DIR:-}" ] && [ -f build/pki/env.sh ]; then
	# shellcheck disable=SC1091
	. build/pki/env.sh
fi
PKI=${KYSO_PKI_DIR:-$ROOT/build/pki}
KYSO=${KYSO_BIN:-$ROOT/$BUILD/kyso}
BENCH=$ROOT/$BUILD/bench/bench_pades_verify
SECS=${BENCH_SECONDS:-2}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for tool in pdfsig python3 "$KYSO" "$BENCH"; do
	command -v "$tool" >/dev/null || { echo "pades_verify: $tool not found" >&2; exit 1; }
done

# The document: a transcript of 400 grade rows (~30 KB), signed by kyso.
python3 tests/data/mkhocba.py "$TMP/hocba.pdf" 400 || exit 1
"$KYSO" sign --key-file "$PKI/principal-rsa.key.pem" --cert "$PKI/principal-rsa.cert.pem" \
	--chain "$PKI/principal-rsa.chain.pem" --in "$TMP/hocba.pdf" --out "$TMP/signed.pdf" \
	>"$TMP/sign.log" 2>&1 || { cat "$TMP/sign.log" >&2; exit 1; }
pdfsig -no-ocsp -nssdir "sql:$PKI/nssdb" "$TMP/signed.pdf" 2>&1 |
	grep -q "Signature is Valid" || { echo "pades_verify: pdfsig rejects the file" >&2; exit 1; }

"$KYSO" sign --key-file "$PKI/teacher-rsa.key.pem" --cert "$PKI/teacher-rsa.cert.pem" \
	--chain "$PKI/teacher-rsa.chain.pem" --in "$TMP/signed.pdf" --out "$TMP/signed2.pdf" \
	>"$TMP/sign.log" 2>&1 || { cat "$TMP/sign.log" >&2; exit 1; }

# pdfsig: whole processes, for the same time.
pdfsig_rate() {
	local n=0 t0 t end
	t0=$(date +%s.%N)
	end=$(awk -v t="$t0" -v s="$SECS" 'BEGIN { printf "%.3f", t + s }')
	while :; do
		taskset -c 0 pdfsig -no-ocsp -nssdir "sql:$PKI/nssdb" "$1" >/dev/null 2>&1
		n=$((n + 1))
		t=$(date +%s.%N)
		awk -v t="$t" -v e="$end" 'BEGIN { exit !(t >= e) }' && break
	done
	awk -v n="$n" -v a="$t0" -v b="$t" 'BEGIN { printf "%.1f", n / (b - a) }'
}

for f in signed signed2; do
	kyso=$(taskset -c 0 "$BENCH" "$TMP/$f.pdf" "$PKI/root.pem" |
		awk '/^kyso_verify_rate/ { print $2 }')
	[ -n "$kyso" ] || { echo "pades_verify: in-process verification of $f failed" >&2; exit 1; }
	p=$(pdfsig_rate "$TMP/$f.pdf")
	name=pades_verify_ratio
	[ "$f" = signed2 ] && name=pades_verify_serial_ratio
	awk -v k="$kyso" -v p="$p" -v n="$name" \
		'BEGIN { printf "%-29s %-14.1f %-14.1f %-7.1f (>= 10)\n", n, k, p, k / p }'
done
