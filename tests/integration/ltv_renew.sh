#!/usr/bin/env bash
# Renewal of a CAdES B-LTA (ETSI EN 319 122-1 5.5.3) against real peers on
# 127.0.0.1 (kyso's built-in TSA, OpenSSL's OCSP responders, the CRLs over
# HTTP; tests/lib/pki_services.sh, started and stopped by PID).  kyso
# extend --level B-LTA on a .p7s that has an archive-time-stamp-v3 adds
# the validation data of that timestamp's TSA as new certificate-values
# and revocation-values, then a second archive timestamp.  Checked by
# independent readers (openssl cms -verify, openssl ocsp -respin on the
# new revocation-values) and by kyso verify: both archive timestamps
# valid, PASSED now and again with the responders stopped and the
# validation time past the certificates' expiry.  A revocation-values
# value changed after an archive timestamp covered it makes that
# timestamp not valid (and only that one); responders down make the
# renewal fail with no output; renewals stop, with a clear error and no
# output, at the timestamps a signer may have for verification to read
# them all.  Prints TAP.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/lib/pdf_tap.sh
. "$ROOT/tests/lib/pdf_tap.sh"
P=$PKI
# shellcheck source=tests/lib/pki_services.sh
. "$ROOT/tests/lib/pki_services.sh"
trap 'pki_services_cleanup; rm -rf "$TMP"' EXIT
trap "exit 1" INT TERM HUP PIPE

if [ ! -f "$P/ca/public/index.txt" ]; then
	notok "test PKI present" "run make pki"
	echo "1..$n"
	exit 1
fi
pki_services_up
if pki_all_up && pki_tsa_start; then
	ok "OCSP responders, CRLs and the built-in TSA up ($PKI_TSA_URL)"
else
	notok "OCSP responders, CRLs and the built-in TSA up" "$(cat "$TMP/pki-peer.log" "$TMP/pki-tsa.log" 2>/dev/null)"
	echo "1..$n"
	exit 1
fi
LT=(--tsa "$PKI_TSA_URL" --trust "$P/root.pem")
TSA_SERIAL=$(openssl x509 -in "$P/tsa-rsa.cert.pem" -noout -serial | cut -d= -f2)
DOC=$TMP/record.txt
printf 'Hoc ba: Nguyen Van A, lop 12A1, diem tong ket 8.6\n' >"$DOC"
LATER=$(date -u -d "$(openssl x509 -in "$P/principal-rsa.cert.pem" -noout -enddate | cut -d= -f2) + 30 days" +%Y-%m-%dT%H:%M:%SZ)

cms_ok() {
	openssl cms -verify -inform DER -in "$1" -content "$DOC" -binary -CAfile "$P/root.pem" \
		-purpose any -out /dev/null 2>/dev/null
}
# count P7S OID-TEXT: how many attributes openssl cms -print names so.
count() { openssl cms -cmsout -print -inform DER -in "$1" 2>/dev/null | grep -c "$2"; }
# ocsp_for DIR SERIAL: an OCSP response in DIR that says good for SERIAL.
ocsp_for() {
	local f
	for f in "$1"/ocsp-*.der; do
		[ -f "$f" ] || continue
		openssl ocsp -respin "$f" -noverify -resp_text 2>/dev/null |
			tr -d ' ' | grep -A2 "SerialNumber:$2" | grep -q "CertStatus:good" && return 0
	done
	return 1
}
# rv_index OLD NEW: which revocation-values value of NEW (0, 1, ... in
# file order) is not in OLD: the one the renewal added.
rv_index() {
	python3 - "$1" "$2" <<'PYEOF'
import sys
from_old = open(sys.argv[1], "rb").read()
d = open(sys.argv[2], "rb").read()
OID = bytes.fromhex("060b2a864886f70d0109100218")
def tlv(i):
    n = d[i + 1]
    j = i + 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(d[j:j + k], "big")
        j += k
    return j, j + n
at, k, found = -1, 0, []
while True:
    at = d.find(OID, at + 1)
    if at < 0:
        break
    vs, _ = tlv(at + len(OID))      # SET OF values
    _, ve = tlv(vs)                  # the RevocationValues
    if d[vs:ve] not in from_old:
        found.append(k)
    k += 1
print(found[0] if len(found) == 1 else "none")
PYEOF
}
# tamper IN OUT K: the last byte of the K-th revocation-values value (the
# end of a signature inside a CRL or an OCSP answer) changed; lengths and
# the CMS signature unchanged.
tamper() {
	python3 - "$@" <<'PYEOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
OID = bytes.fromhex("060b2a864886f70d0109100218")
at = -1
for _ in range(int(sys.argv[3]) + 1):
    at = d.find(OID, at + 1)
i = at + len(OID) + 1
n = d[i]
i += 1
if n & 0x80:
    i += n & 0x7F
# i: the first value's TLV
n = d[i + 1]
j = i + 2
if n & 0x80:
    k = n & 0x7F
    n = int.from_bytes(d[j:j + k], "big")
    j += k
d[j + n - 1] ^= 0x01
open(sys.argv[2], "wb").write(bytes(d))
PYEOF
}
# verify NAME P7S [options]: kyso verify's JSON in $TMP/NAME.json; prints
# "rc=RC VERDICT INDICATION archive=V,V..." (the archive timestamps oldest
# first) for the checks.
verify() {
	local name=$1 f=$2
	shift 2
	"$KYSO" verify "$f" --content "$DOC" --trust "$P/root.pem" --json --lang en "$@" \
		>"$TMP/$name.json" 2>"$TMP/$name.err"
	echo "rc=$? $(python3 - "$TMP/$name.json" <<'PYEOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    print("no-json")
    sys.exit(0)
out = [d.get("verdict", "-")]
for s in d.get("signatures", []):
    arch = sorted((t for t in s.get("timestamps", []) if t.get("archive")),
                  key=lambda t: t.get("time") or "")
    out.append(s.get("indication", "-"))
    out.append("archive=" + ",".join("valid" if t.get("valid") else "invalid" for t in arch))
print(" ".join(out))
PYEOF
)"
}

# ---- a B-LTA, then renewed ---------------------------------------------------
if sign "$DOC" "$TMP/lta.p7s" principal-rsa --format cms --level B-LTA "${LT[@]}" \
	--cache "$(pki_cache sign)" && [ "$(count "$TMP/lta.p7s" "0.4.0.1733.2.4")" = 1 ]; then
	ok "CAdES B-LTA signed: one archive-time-stamp-v3"
else
	notok "CAdES B-LTA signed: one archive-time-stamp-v3" "$(cat "$TMP/sign.log")"
fi
sleep 1 # the renewal's timestamp a second later than the first
if "$KYSO" extend --level B-LTA --in "$TMP/lta.p7s" --out "$TMP/renew.p7s" --content "$DOC" \
	"${LT[@]}" --cache "$(pki_cache renew)" >"$TMP/ext.log" 2>&1 &&
	grep -q "renewed" "$TMP/ext.log"; then
	ok "kyso extend --level B-LTA on a B-LTA: renewed ($(head -c 200 "$TMP/ext.log"))"
else
	notok "kyso extend --level B-LTA on a B-LTA: renewed" "$(cat "$TMP/ext.log")"
fi
a=$(count "$TMP/renew.p7s" "0.4.0.1733.2.4")
c=$(count "$TMP/renew.p7s" "certValues")
r=$(count "$TMP/renew.p7s" "revocationValues")
if [ "$a" = 2 ] && [ "$c" = 2 ] && [ "$r" = 2 ]; then
	ok "renewed: two archive timestamps, two certificate-values and two revocation-values (openssl cms -print)"
else
	notok "renewed: two archive timestamps, two certificate-values and two revocation-values" \
		"archive $a, certValues $c, revocationValues $r"
fi
if cms_ok "$TMP/renew.p7s"; then
	ok "renewed: openssl cms -verify still accepts it"
else
	notok "renewed: openssl cms -verify still accepts it"
fi
k=$(rv_index "$TMP/lta.p7s" "$TMP/renew.p7s")
mkdir -p "$TMP/rv-new"
if [ "$k" != none ] &&
	python3 "$ROOT/tests/lib/cades_revvals.py" "$TMP/renew.p7s" "$TMP/rv-new" "$k" >"$TMP/rv-new.count" 2>&1 &&
	ocsp_for "$TMP/rv-new" "$TSA_SERIAL"; then
	ok "the new revocation-values (value $k) holds an OCSP answer 'good' for the first archive timestamp's TSA (openssl ocsp -respin; $(cat "$TMP/rv-new.count"))"
else
	notok "the new revocation-values holds an OCSP answer for the first archive timestamp's TSA" \
		"value $k" "$(cat "$TMP/rv-new.count" 2>/dev/null)"
fi

got=$(verify now "$TMP/renew.p7s" --cache "$(pki_cache verify-now)")
if [ "$got" = "rc=0 authentic TOTAL-PASSED archive=valid,valid" ]; then
	ok "kyso verify, responders up: PASSED, both archive timestamps valid"
else
	notok "kyso verify, responders up: PASSED, both archive timestamps valid" "$got" "$(head -c 1500 "$TMP/now.json")"
fi

# ---- renewed again and again, up to what verification reads ----------------
f=$TMP/renew.p7s
for i in 3 4 5 6 7; do
	"$KYSO" extend --level B-LTA --in "$f" --out "$TMP/renew$i.p7s" --content "$DOC" "${LT[@]}" \
		--cache "$(pki_cache renew$i)" >"$TMP/ext$i.log" 2>&1 || break
	f=$TMP/renew$i.p7s
done
got=$(verify many "$f" --cache "$(pki_cache verify-many)")
if [ "$f" = "$TMP/renew7.p7s" ] && [ "$(count "$f" "0.4.0.1733.2.4")" = 7 ] && cms_ok "$f" &&
	[ "$got" = "rc=0 authentic TOTAL-PASSED archive=valid,valid,valid,valid,valid,valid,valid" ]; then
	ok "renewed five times more: seven archive timestamps, openssl cms -verify accepts it, kyso verify PASSED with all valid"
else
	notok "renewed five times more: seven archive timestamps, all valid" "$f" "$got" "$(cat "$TMP"/ext*.log)"
fi
"$KYSO" extend --level B-LTA --in "$f" --out "$TMP/renew8.p7s" --content "$DOC" "${LT[@]}" \
	--cache "$(pki_cache renew8)" >"$TMP/ext8.log" 2>&1
rc=$?
if [ $rc != 0 ] && [ ! -e "$TMP/renew8.p7s" ] && grep -q "more than verification reads" "$TMP/ext8.log"; then
	ok "one renewal more than verification reads (8 timestamps a signer): refused (exit $rc), no output"
else
	notok "one renewal more than verification reads: refused, no output" "exit $rc" "$(cat "$TMP/ext8.log")"
fi

# ---- negative: data an archive timestamp covered, changed afterwards -------
tamper "$TMP/renew.p7s" "$TMP/bad-new.p7s" "$k"
got=$(verify bad-new "$TMP/bad-new.p7s" --cache "$(pki_cache bad-new)")
if cms_ok "$TMP/bad-new.p7s" && [ "${got##* }" = "archive=valid,invalid" ] &&
	grep -q "no longer in the signature" "$TMP/bad-new.json"; then
	ok "the renewal's revocation-values changed: the second archive timestamp not valid, the first still valid ($got)"
else
	notok "the renewal's revocation-values changed: the second archive timestamp not valid, the first still valid" \
		"$got" "$(head -c 1500 "$TMP/bad-new.json")"
fi
tamper "$TMP/renew.p7s" "$TMP/bad-old.p7s" "$((1 - k))"
got=$(verify bad-old "$TMP/bad-old.p7s" --cache "$(pki_cache bad-old)")
if [ "${got##* }" = "archive=invalid,invalid" ]; then
	ok "the first revocation-values changed: both archive timestamps (which covered it) not valid ($got)"
else
	notok "the first revocation-values changed: both archive timestamps not valid" "$got" "$(head -c 1500 "$TMP/bad-old.json")"
fi
tamper "$TMP/lta.p7s" "$TMP/bad-lta.p7s" 0
got=$(verify bad-lta "$TMP/bad-lta.p7s" --cache "$(pki_cache bad-lta)")
if [ "${got##* }" = "archive=invalid" ]; then
	ok "a B-LTA whose revocation-values changed after its archive timestamp: that timestamp not valid ($got)"
else
	notok "a B-LTA whose revocation-values changed after its archive timestamp: that timestamp not valid" \
		"$got" "$(head -c 1500 "$TMP/bad-lta.json")"
fi

# ---- responders down: no renewal, no output ---------------------------------
pki_all_down
"$KYSO" extend --level B-LTA --in "$TMP/renew.p7s" --out "$TMP/down.p7s" --content "$DOC" \
	"${LT[@]}" --no-cache >"$TMP/ext.log" 2>&1
rc=$?
if [ $rc != 0 ] && [ ! -e "$TMP/down.p7s" ] && grep -q "archive timestamp" "$TMP/ext.log"; then
	ok "renewal with the responders down: fails (exit $rc), no output, the archive timestamp's TSA named"
else
	notok "renewal with the responders down: fails, no output" "exit $rc" "$(cat "$TMP/ext.log")"
fi

# ---- the network gone, the validation time past the certificates' expiry ----
pki_tsa_stop
got=$(verify later "$TMP/renew.p7s" --cache "$(pki_cache later)" --at "$LATER")
if [ "$got" = "rc=0 authentic TOTAL-PASSED archive=valid,valid" ]; then
	ok "responders and TSA stopped, --at $LATER (after expiry): still PASSED, both archive timestamps valid"
else
	notok "responders and TSA stopped, --at after expiry: still PASSED, both archive timestamps valid" \
		"$got" "$(head -c 1500 "$TMP/later.json")"
fi

echo "1..$n"
