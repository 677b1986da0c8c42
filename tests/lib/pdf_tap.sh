# Sourced by the PDF test scripts (tests/integration/pades_*.sh,
# tests/interop/pades_*.sh) after they set ROOT: the test PKI, the sample
# transcript, a temporary directory removed on exit, TAP counters and a
# file-key signer.
#   ok NAME / notok NAME [DETAIL...]   one TAP line (details as comments)
#   sign IN OUT ENTITY [kyso sign options...]   output in $TMP/sign.log
# shellcheck shell=bash

KYSO=${KYSO_BIN:-$ROOT/build/kyso}
if [ -z "${KYSO_PKI_DIR:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
	# shellcheck disable=SC1091
	. "$ROOT/build/pki/env.sh"
fi
PKI=${KYSO_PKI_DIR:-$ROOT/build/pki}
SAMPLE=$ROOT/docs/examples/hocba.pdf
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	shift
	for l in "$@"; do echo "# $l"; done
}

sign() {
	local in=$1 out=$2 who=$3
	shift 3
	"$KYSO" sign --key-file "$PKI/$who.key.pem" --cert "$PKI/$who.cert.pem" \
		--chain "$PKI/$who.chain.pem" --in "$in" --out "$out" "$@" >"$TMP/sign.log" 2>&1
}

# oracle NAME BEFORE AFTER [NSIGS]: what poppler shows of AFTER differs from
# BEFORE only in ways kyso's verdict on AFTER accounts for (a failure, or a
# permitted change listed with page and place; tests/lib/pdforacle.py).
oracle() {
	local name=$1 before=$2 after=$3 why
	if why=$(python3 "$ROOT/tests/lib/pdforacle.py" "$KYSO" "$PKI/root.pem" "$before" "$after" \
		"${4:-1}" 2>&1); then
		ok "$name: rendering oracle"
	else
		notok "$name: rendering oracle" "$why"
	fi
}
