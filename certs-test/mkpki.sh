#!/usr/bin/env bash
# Build the kyso test PKI from scratch: a root, two issuing CAs (public,
# government), Vietnamese signer certificates (RSA-2048 and EC P-256),
# TSA and OCSP responder certificates, expired / revoked / weak / wrong
# key-usage signers, a look-alike root, CRLs, an NSS database for pdfsig,
# and SoftHSM2 tokens whose keys were generated on the token.
#
#   bash certs-test/mkpki.sh [OUT]      (default build/pki; run from the repo root)
#
# Everything under OUT is thrown away and recreated; nothing private
# lives outside OUT (build/ is gitignored).  Source OUT/env.sh to use it.
# openssl / pkcs11-tool output goes to OUT/mkpki.log.
set -Eeuo pipefail

# ---- settings -------------------------------------------------------------
USER_PIN=123456
SO_PIN=12345678
P12_PASS=${KYSO_TEST_P12_PASS:-kyso-test}
HTTP_BASE=http://127.0.0.1:18080        # CRLs and CA certificates (caIssuers)
OCSP_PUBLIC_URL=http://127.0.0.1:18081  # OCSP responder of the Public CA
OCSP_GOV_URL=http://127.0.0.1:18082     # OCSP responder of the Government CA
EE_DAYS=730                             # end entities: ~2 years from now
CA_START=20190101000000Z                # CAs are valid since 2019, so the
                                        # expired signer (2020) was issued in-period

OUT=${1:-build/pki}
[ -n "$OUT" ] || { echo "mkpki: empty output directory" >&2; exit 2; }
case "$OUT" in /) echo "mkpki: refusing to use /" >&2; exit 2 ;; esac
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
if [ "$OUT" = / ] || [ "$OUT" = "${HOME:-/nonexistent}" ] || [ -e "$OUT/.git" ]; then
	echo "mkpki: refusing to wipe $OUT" >&2
	exit 2
fi
if [ -n "$(ls -A "$OUT")" ] && [ ! -e "$OUT/.mkpki" ] && [ "$(basename "$OUT")" != pki ]; then
	echo "mkpki: $OUT is not empty and was not made by mkpki.sh; refusing to wipe it" >&2
	exit 2
fi
rm -rf "$OUT"
mkdir -p "$OUT"/{ca,crl,csr,tmp,tokens}
: >"$OUT/.mkpki"
umask 022
LOG=$OUT/mkpki.log
: >"$LOG"
CNF=$OUT/openssl.cnf
START_NS=$(date +%s%N)

LAST_CMD=
on_err() {
	local rc=$? i where=
	for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
		where+=" ${FUNCNAME[i]}:${BASH_LINENO[i - 1]}"
	done
	echo "mkpki: FAILED (exit $rc) at$where" >&2
	if [ "${FUNCNAME[1]:-}" = run ]; then
		echo "mkpki: command: $LAST_CMD" >&2
	else
		echo "mkpki: command: $2" >&2
	fi
	echo "mkpki: last lines of $LOG:" >&2
	tail -n 8 "$LOG" >&2
	exit "$rc"
}
trap 'on_err "$LINENO" "$BASH_COMMAND"' ERR

die() {
	echo "mkpki: CHECK FAILED: $*" >&2
	echo "mkpki: see $LOG" >&2
	exit 1
}
# Run a command, its output to the log.
run() {
	LAST_CMD="$*"
	printf '+ %s\n' "$*" >>"$LOG"
	"$@" >>"$LOG" 2>&1
}
# 16 random bytes, first nibble 1..7 (positive, exactly 16 octets).
rand_serial() {
	local s
	s=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	echo "$(((16#${s:0:1} % 7) + 1))${s:1}"
}

for tool in openssl softhsm2-util pkcs11-tool certutil od; do
	command -v "$tool" >/dev/null || { echo "mkpki: $tool not found (run scripts/deps.sh)" >&2; exit 2; }
done
MODULE=/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so
if [ ! -f "$MODULE" ]; then
	MODULE=$(find /usr/lib /usr/local/lib -name libsofthsm2.so 2>/dev/null | head -n 1 || true)
	[ -n "$MODULE" ] || { echo "mkpki: libsofthsm2.so not found (apt-get install softhsm2)" >&2; exit 2; }
fi

# ---- subjects -------------------------------------------------------------
SCHOOL='/C=VN/ST=Hà Nội/L=Hà Nội/O=Trường THPT Chu Văn An'
DN_ROOT='/C=VN/O=Kyso Test PKI/CN=Test National Root CA'
DN_PUBLIC='/C=VN/O=Kyso Test PKI/CN=Test Public CA'
DN_GOV='/C=VN/O=Kyso Test PKI/CN=Test Government CA'
DN_PRINCIPAL="$SCHOOL/title=Hiệu trưởng/CN=Nguyễn Thị Hồng Nhung/UID=CCCD:001185012345"
DN_HOMEROOM="$SCHOOL/title=Giáo viên chủ nhiệm/CN=Trần Văn Đức/UID=CCCD:001090023456"
DN_TEACHER="$SCHOOL/title=Giáo viên bộ môn/CN=Lê Thị Ánh Tuyết/UID=CCCD:001192034567"
DN_SEAL="$SCHOOL/CN=Trường THPT Chu Văn An/UID=MST:0101234567"
DN_EXPIRED="$SCHOOL/title=Giáo viên bộ môn/CN=Phạm Minh Hoàng/UID=CCCD:001088045678"
DN_REVOKED="$SCHOOL/title=Giáo viên bộ môn/CN=Vũ Thị Lan/UID=CCCD:001195056789"
DN_WEAK="$SCHOOL/title=Giáo viên bộ môn/CN=Đặng Quốc Bảo/UID=CCCD:001091067890"
DN_NOKU="$SCHOOL/title=Giáo viên bộ môn/CN=Bùi Thanh Hà/UID=CCCD:001187078901"
DN_SHA1="$SCHOOL/title=Giáo viên bộ môn/CN=Hoàng Văn Thụ/UID=CCCD:001080089012"

# ---- openssl configuration --------------------------------------------------
# ca_section NAME DIR CERT KEY
ca_section() {
	cat <<EOF

[ $1 ]
dir              = $OUT/ca/$2
database         = \$dir/index.txt
new_certs_dir    = \$dir/newcerts
serial           = \$dir/serial
crlnumber        = \$dir/crlnumber
certificate      = $OUT/$3
private_key      = $OUT/$4
default_md       = sha256
default_days     = $EE_DAYS
default_crl_days = 3650
policy           = policy_any
preserve         = yes
unique_subject   = no
email_in_dn      = no
copy_extensions  = none
name_opt         = utf8,sep_comma_plus
cert_opt         = ca_default
crl_extensions   = crl_ext
EOF
}
# ee_sections TAG CA-FILE-BASENAME OCSP-URL: extension sections for certificates of one issuing CA
ee_sections() {
	local tag=$1 ca=$2 ocsp=$3
	cat <<EOF

[ ee_sign_$tag ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = emailProtection
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints  = URI:$HTTP_BASE/crl/$ca.crl.der
authorityInfoAccess    = OCSP;URI:$ocsp, caIssuers;URI:$HTTP_BASE/$ca.der

[ ee_noku_$tag ]
basicConstraints       = CA:FALSE
keyUsage               = critical, keyEncipherment, dataEncipherment
extendedKeyUsage       = emailProtection
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints  = URI:$HTTP_BASE/crl/$ca.crl.der
authorityInfoAccess    = OCSP;URI:$ocsp, caIssuers;URI:$HTTP_BASE/$ca.der

[ ee_tsa_$tag ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = critical, timeStamping
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints  = URI:$HTTP_BASE/crl/$ca.crl.der
authorityInfoAccess    = OCSP;URI:$ocsp, caIssuers;URI:$HTTP_BASE/$ca.der

[ ee_ocsp_$tag ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = OCSPSigning
noCheck                = ignored
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess    = caIssuers;URI:$HTTP_BASE/$ca.der
EOF
}
{
	cat <<EOF
# Written by certs-test/mkpki.sh; regenerated on every run.  Used with
# -config (req, ca) and -extfile (x509); not set as OPENSSL_CONF.

[ req ]
distinguished_name = req_dn
string_mask        = utf8only
utf8               = yes
prompt             = no

[ req_dn ]
CN = unused

[ policy_any ]
countryName            = optional
stateOrProvinceName    = optional
localityName           = optional
organizationName       = optional
organizationalUnitName = optional
title                  = optional
commonName             = supplied
userId                 = optional
serialNumber           = optional
emailAddress           = optional

[ crl_ext ]
authorityKeyIdentifier = keyid:always

[ v3_root ]
basicConstraints     = critical, CA:TRUE
keyUsage             = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ v3_sub_ca ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints  = URI:$HTTP_BASE/crl/root.crl.der
authorityInfoAccess    = caIssuers;URI:$HTTP_BASE/root.der

[ v3_lookalike_sub_ca ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF
	ca_section CA_root root root.pem root.key.pem
	ca_section CA_public public public-ca.pem public-ca.key.pem
	ca_section CA_gov gov gov-ca.pem gov-ca.key.pem
	ca_section CA_lookalike_root lookalike-root lookalike-root.pem lookalike-root.key.pem
	ca_section CA_lookalike_public lookalike-public lookalike-public-ca.pem lookalike-public-ca.key.pem
	ee_sections public public-ca "$OCSP_PUBLIC_URL"
	ee_sections gov gov-ca "$OCSP_GOV_URL"
	ee_sections lookalike lookalike-public-ca "$OCSP_PUBLIC_URL"
} >"$CNF"

for d in root public gov lookalike-root lookalike-public; do
	mkdir -p "$OUT/ca/$d/newcerts"
	: >"$OUT/ca/$d/index.txt"
	echo 1000 >"$OUT/ca/$d/crlnumber"
done

# ---- helpers ----------------------------------------------------------------
# genkey FILE rsa2048|rsa3072|rsa1024|ec
genkey() {
	case $2 in
	rsa*) run openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa}" -out "$1" ;;
	ec) run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-pkeyopt ec_param_enc:named_curve -out "$1" ;;
	*) die "unknown key type $2" ;;
	esac
	chmod 600 "$1"
}
# csr KEY SUBJECT OUTFILE
csr() {
	run openssl req -new -config "$CNF" -utf8 -nameopt utf8 -key "$1" -subj "$2" -sha256 -out "$3"
}
# ca_sign SECTION EXTENSIONS CSR OUTCERT [extra openssl-ca args]
ca_sign() {
	local sect=$1 ext=$2 in=$3 out=$4 dir
	shift 4
	dir=$(sed -n "/^\[ $sect \]/,/^\[/s/^dir *= *//p" "$CNF")
	rand_serial >"$dir/serial"
	run openssl ca -config "$CNF" -name "$sect" -batch -notext -utf8 -extensions "$ext" \
		-in "$in" -out "$out" "$@"
}
# A CA: make_ca NAME(file base) KEYTYPE SUBJECT PARENT-SECTION|self EXT
make_ca() {
	local name=$1 kt=$2 subj=$3 parent=$4 ext=$5
	[ -f "$OUT/$name.key.pem" ] || genkey "$OUT/$name.key.pem" "$kt"
	csr "$OUT/$name.key.pem" "$subj" "$OUT/csr/$name.csr"
	if [ "$parent" = self ]; then
		ca_sign "CA_${name//-/_}" "$ext" "$OUT/csr/$name.csr" "$OUT/$name.pem" -selfsign \
			-keyfile "$OUT/$name.key.pem" -startdate "$CA_START" \
			-enddate "$(date -u -d '+20 years' +%Y%m%d%H%M%SZ)"
	else
		ca_sign "$parent" "$ext" "$OUT/csr/$name.csr" "$OUT/$name.pem" \
			-startdate "$CA_START" -enddate "$(date -u -d '+15 years' +%Y%m%d%H%M%SZ)"
	fi
	run openssl x509 -in "$OUT/$name.pem" -outform DER -out "$OUT/$name.der"
}

declare -A CA_SECT=([public]=CA_public [gov]=CA_gov [lookalike]=CA_lookalike_public)
declare -A CA_CERT=([public]=public-ca.pem [gov]=gov-ca.pem [lookalike]=lookalike-public-ca.pem)
FILE_ENTITIES=()
TOKEN_ENTITIES=()

# A file-key entity: file_entity NAME CA-TAG KEYTYPE EXT-PREFIX SUBJECT [extra openssl-ca args]
file_entity() {
	local name=$1 tag=$2 kt=$3 ext=$4 subj=$5
	shift 5
	[ -f "$OUT/$name.key.pem" ] || genkey "$OUT/$name.key.pem" "$kt"
	csr "$OUT/$name.key.pem" "$subj" "$OUT/csr/$name.csr"
	ca_sign "${CA_SECT[$tag]}" "${ext}_$tag" "$OUT/csr/$name.csr" "$OUT/$name.cert.pem" "$@"
	cp "$OUT/${CA_CERT[$tag]}" "$OUT/$name.chain.pem"
	P12_PASS=$P12_PASS run openssl pkcs12 -export -name "$name" -inkey "$OUT/$name.key.pem" \
		-in "$OUT/$name.cert.pem" -certfile "$OUT/$name.chain.pem" \
		-passout env:P12_PASS -out "$OUT/$name.p12"
	chmod 600 "$OUT/$name.p12"
	FILE_ENTITIES+=("$name:$tag")
}

p11() { run pkcs11-tool --module "$MODULE" "$@"; }

# A token-key entity: token_entity NAME TOKEN HEXID rsa:2048|EC:prime256v1 CA-TAG SUBJECT [EXT-PREFIX]
# (EXT-PREFIX: ee_sign by default, ee_tsa for a TSA key).  The key pair is generated on the token (sensitive, never extractable); the
# certificate is issued for the public key read back from the token and is
# stored on the token next to the key, same CKA_ID and label.
token_entity() {
	local name=$1 tok=$2 id=$3 kt=$4 tag=$5 subj=$6 ext=${7:-ee_sign} t=$OUT/tmp/$1
	p11 --token-label "$tok" --login --pin "$USER_PIN" --keypairgen --key-type "$kt" \
		--label "$name" --id "$id" --usage-sign --sensitive
	p11 --token-label "$tok" --read-object --type pubkey --id "$id" -o "$t.pub.der"
	run openssl pkey -pubin -inform DER -in "$t.pub.der" -out "$OUT/$name.pub.pem"
	# openssl x509 -new cannot take a UTF-8 -subj in 3.0, so the subject
	# comes from a CSR signed by a throw-away key, replaced by -force_pubkey.
	csr "$OUT/tmp/throwaway.key.pem" "$subj" "$OUT/csr/$name.csr"
	run openssl x509 -req -in "$OUT/csr/$name.csr" -force_pubkey "$OUT/$name.pub.pem" \
		-CA "$OUT/${CA_CERT[$tag]}" -CAkey "$OUT/${CA_CERT[$tag]%.pem}.key.pem" \
		-set_serial "0x$(rand_serial)" -days "$EE_DAYS" -sha256 \
		-extfile "$CNF" -extensions "${ext}_$tag" -out "$OUT/$name.cert.pem"
	# Record it in the CA database too (revocable, known to `openssl ocsp`).
	run openssl ca -config "$CNF" -name "${CA_SECT[$tag]}" -valid "$OUT/$name.cert.pem"
	cp "$OUT/${CA_CERT[$tag]}" "$OUT/$name.chain.pem"
	run openssl x509 -in "$OUT/$name.cert.pem" -outform DER -out "$t.cert.der"
	p11 --token-label "$tok" --login --pin "$USER_PIN" --write-object "$t.cert.der" \
		--type cert --id "$id" --label "$name"
	TOKEN_ENTITIES+=("$name:$tag:$tok:$id")
	# The issuing CA's certificate goes on the token too, once, as the
	# tokens Vietnamese CAs hand out carry it: a signer finds its chain
	# without a --chain file.  Its CKA_ID (ca01/ca02) matches no key.
	if [ -z "${TOKEN_CA_DONE[$tok:$tag]:-}" ]; then
		run openssl x509 -in "$OUT/${CA_CERT[$tag]}" -outform DER -out "$OUT/tmp/$tok-$tag-ca.der"
		p11 --token-label "$tok" --login --pin "$USER_PIN" --write-object "$OUT/tmp/$tok-$tag-ca.der" \
			--type cert --id "ca0${#TOKEN_CA_DONE[@]}" --label "${CA_CERT[$tag]%.pem} certificate"
		TOKEN_CA_DONE[$tok:$tag]=1
	fi
}
declare -A TOKEN_CA_DONE=()

# ---- keys -------------------------------------------------------------------
# All file keys at once, in parallel: RSA key generation is most of the run time.
pids=()
for spec in root:rsa3072 lookalike-root:rsa3072 public-ca:rsa2048 gov-ca:rsa2048 \
	lookalike-public-ca:rsa2048 principal-rsa:rsa2048 principal-ec:ec seal-rsa:rsa2048 \
	seal-ec:ec homeroom-rsa:rsa2048 homeroom-ec:ec teacher-rsa:rsa2048 teacher-ec:ec \
	tsa-rsa:rsa2048 tsa-ec:ec ocsp-public:rsa2048 ocsp-gov:rsa2048 expired-rsa:rsa2048 \
	revoked-rsa:rsa2048 weak-rsa1024:rsa1024 nokeyusage-rsa:rsa2048 sha1-rsa:rsa2048 \
	lookalike-rsa:rsa2048; do
	genkey "$OUT/${spec%%:*}.key.pem" "${spec#*:}" &
	pids+=($!)
done
for pid in "${pids[@]}"; do
	wait "$pid" || die "key generation failed"
done

# ---- CAs --------------------------------------------------------------------
make_ca root rsa3072 "$DN_ROOT" self v3_root
make_ca public-ca rsa2048 "$DN_PUBLIC" CA_root v3_sub_ca
make_ca gov-ca rsa2048 "$DN_GOV" CA_root v3_sub_ca
cat "$OUT/public-ca.pem" "$OUT/gov-ca.pem" >"$OUT/cas.pem"
# Look-alike: same names as the real root and Public CA, different keys.
make_ca lookalike-root rsa3072 "$DN_ROOT" self v3_root
make_ca lookalike-public-ca rsa2048 "$DN_PUBLIC" CA_lookalike_root v3_lookalike_sub_ca

# ---- file-key end entities --------------------------------------------------
file_entity principal-rsa gov rsa2048 ee_sign "$DN_PRINCIPAL"
file_entity principal-ec gov ec ee_sign "$DN_PRINCIPAL"
file_entity seal-rsa gov rsa2048 ee_sign "$DN_SEAL"
file_entity seal-ec gov ec ee_sign "$DN_SEAL"
file_entity homeroom-rsa public rsa2048 ee_sign "$DN_HOMEROOM"
file_entity homeroom-ec public ec ee_sign "$DN_HOMEROOM"
file_entity teacher-rsa public rsa2048 ee_sign "$DN_TEACHER"
file_entity teacher-ec public ec ee_sign "$DN_TEACHER"
file_entity tsa-rsa public rsa2048 ee_tsa '/C=VN/O=Kyso Test PKI/CN=Test TSA RSA'
file_entity tsa-ec public ec ee_tsa '/C=VN/O=Kyso Test PKI/CN=Test TSA EC'
file_entity ocsp-public public rsa2048 ee_ocsp '/C=VN/O=Kyso Test PKI/CN=Test Public CA OCSP Responder'
file_entity ocsp-gov gov rsa2048 ee_ocsp '/C=VN/O=Kyso Test PKI/CN=Test Government CA OCSP Responder'
file_entity expired-rsa public rsa2048 ee_sign "$DN_EXPIRED" \
	-startdate 20200101000000Z -enddate 20210101000000Z
file_entity revoked-rsa public rsa2048 ee_sign "$DN_REVOKED"
file_entity weak-rsa1024 public rsa1024 ee_sign "$DN_WEAK"
file_entity nokeyusage-rsa public rsa2048 ee_noku "$DN_NOKU"
file_entity sha1-rsa public rsa2048 ee_sign "$DN_SHA1" -md sha1
file_entity lookalike-rsa lookalike rsa2048 ee_sign "$DN_PRINCIPAL"

# ---- revocation and CRLs ----------------------------------------------------
run openssl ca -config "$CNF" -name CA_public -revoke "$OUT/revoked-rsa.cert.pem" -crl_reason keyCompromise
for pair in root:CA_root public-ca:CA_public gov-ca:CA_gov; do
	base=${pair%%:*}
	run openssl ca -config "$CNF" -name "${pair#*:}" -gencrl -out "$OUT/crl/$base.crl.pem"
	run openssl crl -in "$OUT/crl/$base.crl.pem" -outform DER -out "$OUT/crl/$base.crl.der"
done

# ---- SoftHSM2 tokens (keys generated on the token) ----------------------------
cat >"$OUT/softhsm2.conf" <<EOF
# Written by certs-test/mkpki.sh
directories.tokendir = $OUT/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
export SOFTHSM2_CONF=$OUT/softhsm2.conf
for tok in principal school-seal teacher; do
	run softhsm2-util --init-token --free --label "$tok" --pin "$USER_PIN" --so-pin "$SO_PIN"
done
genkey "$OUT/tmp/throwaway.key.pem" ec
token_entity tok-principal-rsa principal 01 rsa:2048 gov "$DN_PRINCIPAL"
token_entity tok-principal-ec principal 02 EC:prime256v1 gov "$DN_PRINCIPAL"
token_entity tok-seal-rsa school-seal 03 rsa:2048 gov "$DN_SEAL"
token_entity tok-seal-ec school-seal 04 EC:prime256v1 gov "$DN_SEAL"
token_entity tok-homeroom-rsa teacher 05 rsa:2048 public "$DN_HOMEROOM"
token_entity tok-homeroom-ec teacher 06 EC:prime256v1 public "$DN_HOMEROOM"
token_entity tok-teacher-rsa teacher 07 rsa:2048 public "$DN_TEACHER"
token_entity tok-teacher-ec teacher 08 EC:prime256v1 public "$DN_TEACHER"
# The school's HSM also holds the key of its time-stamping authority (kyso tsa).
token_entity tok-tsa-rsa school-seal 09 rsa:2048 public '/C=VN/O=Kyso Test PKI/CN=Test TSA RSA (token)' ee_tsa

# ---- NSS database for poppler's pdfsig ----------------------------------------
mkdir -p "$OUT/nssdb"
run certutil -N --empty-password -d "sql:$OUT/nssdb"
run certutil -A -d "sql:$OUT/nssdb" -n "Test National Root CA" -t "CT,C,C" -i "$OUT/root.pem"
run certutil -A -d "sql:$OUT/nssdb" -n "Test Public CA" -t ",," -i "$OUT/public-ca.pem"
run certutil -A -d "sql:$OUT/nssdb" -n "Test Government CA" -t ",," -i "$OUT/gov-ca.pem"

# ---- env.sh -------------------------------------------------------------------
# export NAME="VALUE", VALUE escaped for double quotes
envline() {
	local v=$2
	v=${v//\\/\\\\}
	v=${v//\"/\\\"}
	v=${v//\$/\\\$}
	v=${v//\`/\\\`}
	printf 'export %s="%s"\n' "$1" "$v"
}
{
	echo "# Test PKI environment, written by certs-test/mkpki.sh.  Source it:  . $OUT/env.sh"
	envline SOFTHSM2_CONF "$OUT/softhsm2.conf"
	envline KYSO_SOFTHSM_MODULE "$MODULE"
	envline KYSO_TEST_PIN "$USER_PIN"
	envline KYSO_TEST_SO_PIN "$SO_PIN"
	envline KYSO_TEST_P12_PASS "$P12_PASS"
	envline KYSO_PKI_DIR "$OUT"
	envline KYSO_TEST_ROOT "$OUT/root.pem"
	envline KYSO_TEST_CAS "$OUT/cas.pem"
	envline KYSO_TEST_NSSDB "$OUT/nssdb"
	envline KYSO_TEST_HTTP_BASE "$HTTP_BASE"
	envline KYSO_TEST_OCSP_PUBLIC_URL "$OCSP_PUBLIC_URL"
	envline KYSO_TEST_OCSP_GOV_URL "$OCSP_GOV_URL"
	for e in "${TOKEN_ENTITIES[@]}"; do
		IFS=: read -r name _ tok _ <<<"$e"
		var=${name#tok-}
		var=${var^^}
		envline "KYSO_URI_${var//-/_}" "pkcs11:token=$tok;object=$name;type=private"
	done
} >"$OUT/env.sh"

# ---- self-checks ----------------------------------------------------------------
verify() { # verify ROOT-FILE UNTRUSTED CERT [extra]: prints openssl's verdict, returns its status
	openssl verify -CAfile "$OUT/$1" -untrusted "$OUT/$2" "${@:4}" "$OUT/$3" 2>&1
}
# 1. Every end entity chains to the real root (or, for lookalike-rsa, only to the look-alike).
ncheck=0
for e in "${FILE_ENTITIES[@]}" "${TOKEN_ENTITIES[@]}"; do
	IFS=: read -r name tag _ <<<"$e"
	if [ "$name" = expired-rsa ]; then
		if msg=$(verify root.pem "${CA_CERT[$tag]}" expired-rsa.cert.pem); then
			die "expired-rsa verifies"
		fi
		grep -q 'certificate has expired' <<<"$msg" || die "expired-rsa: unexpected error: $msg"
	elif [ "$name" = lookalike-rsa ]; then
		verify lookalike-root.pem lookalike-public-ca.pem lookalike-rsa.cert.pem >/dev/null ||
			die "lookalike-rsa does not verify against the look-alike root"
		if verify root.pem lookalike-public-ca.pem lookalike-rsa.cert.pem >/dev/null; then
			die "lookalike-rsa verifies against the real root"
		fi
	else
		msg=$(verify root.pem "${CA_CERT[$tag]}" "$name.cert.pem") || die "$name: $msg"
	fi
	ncheck=$((ncheck + 1))
done
# 2. Revocation: the revoked signer fails a CRL check, a good one passes a full CRL check.
if msg=$(verify root.pem public-ca.pem revoked-rsa.cert.pem -crl_check -CRLfile "$OUT/crl/public-ca.crl.pem"); then
	die "revoked-rsa verifies with -crl_check"
fi
grep -q 'certificate revoked' <<<"$msg" || die "revoked-rsa: unexpected error: $msg"
msg=$(verify root.pem public-ca.pem homeroom-rsa.cert.pem -crl_check_all \
	-CRLfile "$OUT/crl/public-ca.crl.pem" -CRLfile "$OUT/crl/root.crl.pem") || die "homeroom-rsa with CRLs: $msg"
# 3. The look-alike root verifies none of the real chains.
for c in principal-rsa homeroom-rsa tok-principal-rsa; do
	if verify lookalike-root.pem cas.pem "$c.cert.pem" >/dev/null; then
		die "the look-alike root verifies $c"
	fi
done
# 4. UTF-8 subjects round-trip (UTF8String, NFC as written here).
subj=$(openssl x509 -in "$OUT/principal-rsa.cert.pem" -noout -subject -nameopt utf8,sep_comma_plus)
case "$subj" in
*'CN=Nguyễn Thị Hồng Nhung'*'UID=CCCD:001185012345'*) ;;
*) die "principal subject does not round-trip: $subj" ;;
esac
openssl asn1parse -in "$OUT/tok-principal-rsa.cert.pem" | grep -q 'UTF8STRING *:Nguy' ||
	die "tok-principal-rsa CN is not a UTF8String"
# 5. Extensions that tests rely on.  (Outputs are captured first: with
#    pipefail, `openssl ... | grep -q` can fail on SIGPIPE.)
txt() { openssl x509 -in "$OUT/$1.cert.pem" -noout -text; }
has() { grep -qE -- "$2" <<<"$1"; }
for c in tsa-rsa tsa-ec tok-tsa-rsa; do
	t=$(txt $c)
	has "$t" 'Extended Key Usage: critical' && has "$t" 'Time Stamping' || die "$c: EKU"
done
t=$(txt ocsp-gov)
has "$t" 'OCSP No Check' && has "$t" 'OCSP Signing' || die "ocsp-gov: EKU / ocsp-nocheck"
has "$(txt weak-rsa1024)" 'Public-Key: \(1024 bit\)' || die "weak-rsa1024: key size"
has "$(txt sha1-rsa)" 'Signature Algorithm: sha1WithRSAEncryption' || die "sha1-rsa: signature algorithm"
t=$(txt nokeyusage-rsa)
has "$t" 'Key Encipherment' && ! has "$t" 'Digital Signature|Non Repudiation' || die "nokeyusage-rsa: key usage"
t=$(txt principal-ec)
has "$t" 'Key Usage: critical' && has "$t" 'Digital Signature, Non Repudiation' &&
	has "$t" 'ASN1 OID: prime256v1' || die "principal-ec: key usage / curve"
# 6. Tokens: listed, keys sensitive and never extractable, certificates present,
#    and each token key signs what its certificate's public key verifies.
slots=$(pkcs11-tool --module "$MODULE" -L 2>>"$LOG")
for tok in principal school-seal teacher; do
	has "$slots" "token label +: $tok\$" || die "pkcs11-tool -L does not list token $tok"
done
objs=$(pkcs11-tool --module "$MODULE" --token-label principal --login --pin "$USER_PIN" -O 2>>"$LOG")
# one line per object: "<Private Key|Public Key|Certificate>|<label>|<access>"
objs=$(awk '/^[A-Z][a-z]+ ([A-Z][a-z]+ )?Object/ { if (k) print k "|" l "|" a; k = $0; sub(/ Object.*/, "", k); l = a = "" }
	$1 == "label:" { sub(/^ *label: */, ""); l = $0 }
	$1 == "Access:" { sub(/^ *Access: */, ""); a = $0 }
	END { if (k) print k "|" l "|" a }' <<<"$objs")
for k in rsa ec; do
	has "$objs" "^Private Key\|tok-principal-$k\|sensitive, always sensitive, never extractable" ||
		die "tok-principal-$k: no sensitive, never-extractable private key on the token"
	has "$objs" "^Certificate\|tok-principal-$k\|" ||
		die "tok-principal-$k: no certificate on the token"
done
printf 'kyso test PKI self-check\n' >"$OUT/tmp/data"
for e in "${TOKEN_ENTITIES[@]}"; do
	IFS=: read -r name _ tok id <<<"$e"
	# SoftHSM 2.6 has no CKM_ECDSA_SHA256: hash here, sign with raw CKM_ECDSA.
	case $name in
	*-rsa) mech=SHA256-RSA-PKCS in=$OUT/tmp/data ;;
	*) mech=ECDSA in=$OUT/tmp/data.sha256
	   openssl dgst -sha256 -binary -out "$in" "$OUT/tmp/data" ;;
	esac
	p11 --token-label "$tok" --login --pin "$USER_PIN" --sign --id "$id" -m "$mech" \
		--signature-format openssl -i "$in" -o "$OUT/tmp/$name.sig"
	openssl x509 -in "$OUT/$name.cert.pem" -noout -pubkey >"$OUT/tmp/$name.certpub.pem"
	run openssl dgst -sha256 -verify "$OUT/tmp/$name.certpub.pem" -signature "$OUT/tmp/$name.sig" "$OUT/tmp/data" ||
		die "$name: token signature does not verify with its certificate"
done
# 7. NSS database trusts the root.
certutil -L -d "sql:$OUT/nssdb" 2>>"$LOG" | grep -qE '^Test National Root CA +CT,C,C' || die "nssdb: root trust"

rm -rf "$OUT/tmp"
certs=("$OUT"/*.cert.pem "$OUT"/root.pem "$OUT"/{public,gov}-ca.pem "$OUT"/lookalike-{root,public-ca}.pem)
ncerts=${#certs[@]}
end_ns=$(date +%s%N)
elapsed=$(((end_ns - START_NS) / 1000000))
echo "pki: $ncerts certificates, ${#TOKEN_ENTITIES[@]} token keys in ${1:-build/pki} ($ncheck chains checked, $((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000)))s)"
