#!/usr/bin/env bash
# Several signers on one token at the same time: 4 processes sign with the
# principal's SoftHSM2 token for 10 s each (two with its RSA key, two with
# its EC key).  Every run must succeed and every output must verify.
# Each C_Login makes SoftHSM2 rewrite the token's files, and another
# process reading them at that moment sees the token half-written: kyso
# retries such transient errors with a short bounded back-off
# (docs/pkcs11.md, "Several processes on one token").  Prints TAP.
set -uo pipefail

ROOT=${KYSO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KYSO=${KYSO_BIN:-$ROOT/build/kyso}
if [ -z "${SOFTHSM2_CONF:-}" ] && [ -f "$ROOT/build/pki/env.sh" ]; then
	# shellcheck disable=SC1091
	. "$ROOT/build/pki/env.sh"
fi
SAMPLE=$ROOT/docs/examples/hocba.pdf
SECONDS_EACH=${KYSO_CONCURRENCY_SECONDS:-10}
PROCS=${KYSO_CONCURRENCY_PROCS:-4}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
[ -n "${KYSO_CONCURRENCY_KEEP:-}" ] && trap 'echo "# logs kept in $TMP"' EXIT
unset KYSO_PIN KYSO_PKCS11_MODULE KYSO_PKCS11_REGISTRY

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	shift
	for l in "$@"; do echo "# $l"; done
}

if [ -z "${KYSO_URI_PRINCIPAL_RSA:-}" ] || [ -z "${KYSO_TEST_PIN:-}" ]; then
	notok "the test PKI is built (make pki: build/pki/env.sh)"
	echo "1..$n"
	exit 1
fi

# signer ID URI: sign and verify in a loop for SECONDS_EACH seconds; one
# line per run in $TMP/res-ID ("ok K" or "sign K EXIT" / "verify K EXIT").
signer() {
	local id=$1 uri=$2 k=0 rc end
	end=$(($(date +%s) + SECONDS_EACH))
	while [ "$(date +%s)" -lt "$end" ]; do
		k=$((k + 1))
		KYSO_LOG=info KYSO_PIN=$KYSO_TEST_PIN "$KYSO" sign --key "$uri" --in "$SAMPLE" \
			--out "$TMP/out-$id-$k.pdf" >/dev/null 2>>"$TMP/log-$id"
		rc=$?
		if [ "$rc" -ne 0 ]; then
			echo "sign $k $rc" >>"$TMP/res-$id"
			continue
		fi
		"$KYSO" verify "$TMP/out-$id-$k.pdf" --trust "$KYSO_TEST_ROOT" --revocation off >/dev/null 2>>"$TMP/log-$id"
		rc=$?
		if [ "$rc" -ne 0 ]; then
			echo "verify $k $rc" >>"$TMP/res-$id"
		else
			echo "ok $k" >>"$TMP/res-$id"
		fi
		rm -f "$TMP/out-$id-$k.pdf"
	done
}

pids=()
for i in $(seq "$PROCS"); do
	if [ $((i % 2)) -eq 1 ]; then uri=$KYSO_URI_PRINCIPAL_RSA; else uri=$KYSO_URI_PRINCIPAL_EC; fi
	signer "$i" "$uri" &
	pids+=($!)
done
wait "${pids[@]}"

total=$(cat "$TMP"/res-* 2>/dev/null | wc -l)
good=$(cat "$TMP"/res-* 2>/dev/null | grep -c '^ok ')
bad_sign=$(cat "$TMP"/res-* 2>/dev/null | grep -c '^sign ')
bad_verify=$(cat "$TMP"/res-* 2>/dev/null | grep -c '^verify ')
retries=$(cat "$TMP"/log-* 2>/dev/null | grep -c 'retrying')
echo "# $PROCS processes x ${SECONDS_EACH}s: $total signatures, $bad_sign failed, $bad_verify did not verify, $retries retries"

# Throughput depends on the machine; overlap is what matters: every
# signer ran several times while the others did.
short=0
for i in $(seq "$PROCS"); do
	[ "$(wc -l <"$TMP/res-$i" 2>/dev/null || echo 0)" -ge 3 ] || short=$((short + 1))
done
if [ "$short" -eq 0 ]; then
	ok "$PROCS concurrent signers each signed several times ($total signatures)"
else
	notok "$PROCS concurrent signers each signed several times ($total signatures)" \
		"$short signers signed fewer than 3 times"
fi
if [ "$bad_sign" -eq 0 ]; then
	ok "no signature failed"
else
	notok "no signature failed" "$bad_sign of $total failed:" \
		"$(grep -hv 'retrying' "$TMP"/log-* | sort | uniq -c | sort -rn | head -8)"
fi
if [ "$bad_verify" -eq 0 ] && [ "$good" -eq "$total" ]; then
	ok "every output verifies"
else
	notok "every output verifies" "$bad_verify did not verify"
fi
if grep -h 'retrying' "$TMP"/log-* 2>/dev/null | grep -qv 'kyso info'; then
	notok "retries are logged at info level" "$(grep -h 'retrying' "$TMP"/log-* | head -3)"
else
	ok "retries are logged at info level"
fi

echo "1..$n"
