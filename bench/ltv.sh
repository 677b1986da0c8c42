#!/usr/bin/env bash
# Long-term levels and the built-in TSA against references measured in the
# same run, on one core (taskset -c 0, the TSA and the responders too):
#
#   openssl_speed_rsa2048   `openssl speed -seconds S rsa2048` signs/s: the
#                           reference for the TSA (a timestamp is one
#                           RSA-2048 signature plus the protocol around it)
#   tsa_inproc_vs_speed     the built-in TSA in-process (bench_tsa), over it
#   tsa_http_vs_speed       the built-in TSA over HTTP on loopback, over it
#                           (target >= 0.5)
#   pades_blta_ratio        `kyso sign --level B-LTA` of a ~30 KB transcript,
#                           documents/s, over `kyso sign` (B-B) of the same
#                           file, one process per document both, with the
#                           TSA, the OCSP responders and the CRLs on
#                           127.0.0.1 (tests/lib/pki_services.sh); each
#                           B-LTA document asks the TSA twice (signature
#                           and document timestamp) and reads the
#                           revocation cache (filled by the first document,
#                           as a deployment's would be)
#
# Each line: name measured reference ratio.  Uses the test PKI's ports
# 18080-18082 (nothing else may run meanwhile: make bench runs alone).
# usage: bench/ltv.sh [BUILD]   Env: BENCH_SECONDS (default 2).
set -uo pipefail
# Everything on core 0, the services too: the TSA and the responders do
# their work on the core the documents are signed on.
if [ -z "${KYSO_LTV_PINNED:-}" ]; then
	KYSO_LTV_PINNED=1 exec taskset -c 0 bash "$0" "$@"
fi

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
if [ -z "${KYSO_PKI_DIR:-}" ] && [ -f build/pki/env.sh ]; then
	# shellcheck disable=SC1091
	. build/pki/env.sh
fi
P=${KYSO_PKI_DIR:-$ROOT/build/pki}
KYSO=${KYSO_BIN:-$ROOT/$BUILD/kyso}
SECS=${BENCH_SECONDS:-2}
TMP=$(mktemp -d)
# shellcheck source=tests/lib/pki_services.sh
. "$ROOT/tests/lib/pki_services.sh"
trap 'pki_services_cleanup; rm -rf "$TMP"' EXIT

for tool in openssl taskset python3 "$KYSO" "$ROOT/$BUILD/bench/bench_tsa"; do
	command -v "$tool" >/dev/null || { echo "ltv: $tool not found" >&2; exit 1; }
done
ratio() { python3 -c "import sys; print('%.3f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

# ---- the TSA against openssl speed
speed=$(openssl speed -seconds "$SECS" rsa2048 2>/dev/null |
	awk '$1 == "rsa" && $2 == "2048" { print $(NF - 1) }' | tail -1)
[ -n "$speed" ] || { echo "ltv: openssl speed gave nothing" >&2; exit 1; }
printf '%-29s %-14s %-14s %s\n' openssl_speed_rsa2048 "$speed" - -
"$ROOT/$BUILD/bench/bench_tsa" >"$TMP/tsa.out" || exit 1
inproc=$(awk '$1 == "tsa_inproc_ratio" { print $2 }' "$TMP/tsa.out")
http=$(awk '$1 == "tsa_http_ratio" { print $2 }' "$TMP/tsa.out")
printf '%-29s %-14s %-14s %s\n' tsa_inproc_vs_speed "$inproc" "$speed" "$(ratio "$inproc" "$speed")"
printf '%-29s %-14s %-14s %s   (>= 0.5)\n' tsa_http_vs_speed "$http" "$speed" "$(ratio "$http" "$speed")"

# ---- B-LTA signing against B-B, everything on loopback
python3 tests/data/mkhocba.py "$TMP/hocba.pdf" 400 || exit 1
pki_services_up && pki_all_up && pki_tsa_start || { echo "ltv: services did not start" >&2; exit 1; }
CACHE=$(pki_cache bench)
KEY=(--key-file "$P/principal-rsa.key.pem" --cert "$P/principal-rsa.cert.pem"
	--chain "$P/principal-rsa.chain.pem" --in "$TMP/hocba.pdf")
LTA=(--level B-LTA --tsa "$PKI_TSA_URL" --trust "$P/root.pem" --cache "$CACHE")
# Warm: the first B-LTA document fills the revocation cache.
"$KYSO" sign "${KEY[@]}" --out "$TMP/warm.pdf" "${LTA[@]}" >/dev/null 2>"$TMP/err" ||
	{ cat "$TMP/err" >&2; exit 1; }
# rate ARGS...: documents per second of ARGS (one process each) over SECS
# seconds.
rate() {
	python3 - "$SECS" "$@" <<'PY'
import subprocess, sys, time
secs, cmd = float(sys.argv[1]), sys.argv[2:]
n, t0 = 0, time.monotonic()
while time.monotonic() - t0 < secs or n < 3:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    n += 1
print("%.1f" % (n / (time.monotonic() - t0)))
PY
}
bb=$(rate "$KYSO" sign "${KEY[@]}" --out "$TMP/bb.pdf") || exit 1
lta=$(rate "$KYSO" sign "${KEY[@]}" --out "$TMP/lta.pdf" "${LTA[@]}") || exit 1
printf '%-29s %-14s %-14s %s\n' pades_blta_ratio "$lta" "$bb" "$(ratio "$lta" "$bb")"
