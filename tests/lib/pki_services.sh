# The test PKI's network services on 127.0.0.1, for the integration tests
# that need them: OpenSSL's OCSP responder for each test CA, the CRLs and
# CA certificates over HTTP (the ports the test certificates name:
# :18080 CRLs, :18081 Public CA OCSP, :18082 Government CA OCSP;
# certs-test/mkpki.sh), and kyso's built-in TSA (any free port).  Every
# process is started here and stopped by its PID.  The test runner runs
# scripts one at a time, so the fixed ports are never shared.
#
# Source it after setting ROOT, KYSO and P (the PKI folder) and TMP (a
# private temporary folder), then:
#
#   pki_services_up        the peer process (tests/integration/revocation_peer.py),
#                          told on a FIFO what to serve where; no port open yet
#   pki_start PORT MODE ARGS...   a peer on a port (modes: ocsp, replay, files)
#   pki_stop PORT                 that port closed again
#   pki_ocsp_public [RSIGNER RKEY [NDAYS]]  the Public CA responder on :18081
#   pki_ocsp_gov                  the Government CA responder on :18082
#   pki_crls [DIR]                CRLs and CA certificates on :18080 (default:
#                                 a copy of the PKI's, in $TMP/www)
#   pki_all_up / pki_all_down     all three
#   pki_tsa_start [kyso tsa options]  kyso tsa on a free port: PKI_TSA_URL,
#                                 PKI_TSA_PID
#   pki_tsa_stop                  SIGTERM to PKI_TSA_PID, then wait
#   pki_cache NAME                a new, empty revocation cache folder
#                                 ($TMP/cache-NAME) for one test, printed
#   pki_services_down      everything stopped (also on EXIT through
#                          pki_services_cleanup, which the caller's trap runs)
# shellcheck shell=bash

PKI_PY=/usr/bin/python3
[ -x "$PKI_PY" ] || PKI_PY=python3
PKI_PEER_PID=
PKI_TSA_PID=
PKI_TSA_URL=
PKI_CMDS=0
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

pki_services_up() {
	mkfifo "$TMP/pki-ctl" || return 1
	"$PKI_PY" "$ROOT/tests/integration/revocation_peer.py" <"$TMP/pki-ctl" >"$TMP/pki-peer.log" 2>&1 &
	PKI_PEER_PID=$!
	exec 3>"$TMP/pki-ctl"
}

# One command to the peer: waits for its "done N".
pki_peer() {
	local i
	PKI_CMDS=$((PKI_CMDS + 1))
	echo "$*" >&3
	for ((i = 0; i < 600; i++)); do
		grep -q "^done $PKI_CMDS\$" "$TMP/pki-peer.log" && return 0
		if grep -q "^fail $PKI_CMDS " "$TMP/pki-peer.log" || ! kill -0 "$PKI_PEER_PID" 2>/dev/null; then
			break
		fi
		sleep 0.02
	done
	echo "peer: '$*' failed: $(tail -n 3 "$TMP/pki-peer.log")" >&2
	return 1
}

pki_start() { pki_peer up "$@"; }  # PORT MODE ARGS...
pki_stop() { pki_peer down "$1"; } # PORT

pki_ocsp_public() { # [RSIGNER RKEY [NDAYS]]
	pki_start 18081 ocsp "$P/ca/public/index.txt" "$P/public-ca.pem" \
		"${1:-$P/ocsp-public.cert.pem}" "${2:-$P/ocsp-public.key.pem}" "${3:-1}"
}

pki_ocsp_gov() {
	pki_start 18082 ocsp "$P/ca/gov/index.txt" "$P/gov-ca.pem" "$P/ocsp-gov.cert.pem" \
		"$P/ocsp-gov.key.pem" 1
}

pki_crls() { # [DIR]
	local dir=${1:-$TMP/www}
	if [ -z "${1:-}" ] && [ ! -d "$dir/crl" ]; then
		mkdir -p "$dir/crl"
		cp "$P"/crl/*.crl.der "$dir/crl/" && cp "$P/root.der" "$P/public-ca.der" "$P/gov-ca.der" "$dir/"
	fi
	pki_start 18080 files "$dir"
}

pki_all_up() { pki_crls && pki_ocsp_public && pki_ocsp_gov; }
pki_all_down() { pki_stop 18080 && pki_stop 18081 && pki_stop 18082; }

pki_tsa_start() {
	# shellcheck source=scripts/tsa.sh
	. "$ROOT/scripts/tsa.sh"
	KYSO_PKI_DIR=$P kyso_tsa_start "$KYSO" "$TMP/pki-tsa.log" "$@" || return 1
	PKI_TSA_URL=$KYSO_TSA_URL
	PKI_TSA_PID=$KYSO_TSA_PID
}

pki_tsa_stop() {
	local rc=0
	[ -n "$PKI_TSA_PID" ] || return 0
	KYSO_TSA_PID=$PKI_TSA_PID
	kyso_tsa_stop >/dev/null 2>&1 || rc=$?
	PKI_TSA_PID=
	PKI_TSA_URL=
	return $rc
}

pki_cache() {
	local d=$TMP/cache-$1
	rm -rf "$d"
	mkdir -p "$d"
	echo "$d"
}

pki_services_down() {
	pki_tsa_stop
	if [ -n "$PKI_PEER_PID" ]; then
		exec 3>&- 2>/dev/null
		# End of input ends the peer; by PID if it does not.
		for ((i = 0; i < 100; i++)); do
			kill -0 "$PKI_PEER_PID" 2>/dev/null || break
			sleep 0.02
		done
		kill "$PKI_PEER_PID" 2>/dev/null
		wait "$PKI_PEER_PID" 2>/dev/null
		PKI_PEER_PID=
	fi
}

pki_services_cleanup() { pki_services_down >/dev/null 2>&1; }
