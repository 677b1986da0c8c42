#!/usr/bin/env bash
# Seeds for tests/fuzz/fuzz_revocation.c: a small fixed PKI (a CA, a
# subscriber, a revoked subscriber, a delegated OCSP responder; EC P-256,
# valid 2020-2060), OCSP responses from OpenSSL's responder (good,
# revoked, unknown, SHA-256 CertID, signed by the CA itself, without
# nextUpdate, bare BasicOCSPResponse), CRLs from `openssl ca -gencrl`, and
# broken inputs.  Writes tests/fuzz/revocation_pki.h (the public
# certificates and the time the harness takes as "now") and
# tests/fuzz/corpus/revocation/; the private keys live only in a temporary
# folder.  Run from the repository root; the outputs are committed.
set -euo pipefail
OUT=tests/fuzz/corpus/revocation
HDR=tests/fuzz/revocation_pki.h
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
mkdir -p ca/newcerts
: >ca/index.txt
echo 1000 >ca/crlnumber
cat >ca.cnf <<CNF
[ ca ]
default_ca = C
[ C ]
dir = $T/ca
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = $T/ca.pem
private_key = $T/ca.key
default_md = sha256
default_crl_days = 3650
policy = any
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
organizationName = optional
countryName = optional
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ ee ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = emailProtection
authorityKeyIdentifier = keyid:always
authorityInfoAccess = OCSP;URI:http://127.0.0.1:9/ocsp
crlDistributionPoints = URI:http://127.0.0.1:9/ca.crl
[ responder ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
authorityKeyIdentifier = keyid:always
CNF
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
issue() { # name subject ext [selfsign]
  key "$1.key"
  openssl req -new -config ca.cnf -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
  od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | sed 's/^./1/' >ca/serial
  if [ "${4:-}" = self ]; then
    openssl ca -config ca.cnf -batch -notext -selfsign -keyfile "$1.key" -extensions "$3" \
      -startdate 20200101000000Z -enddate 20600101000000Z -in "$1.csr" -out "$1.pem" 2>/dev/null
  else
    openssl ca -config ca.cnf -batch -notext -extensions "$3" \
      -startdate 20200101000000Z -enddate 20600101000000Z -in "$1.csr" -out "$1.pem" 2>/dev/null
  fi
}
issue ca "/C=VN/O=Kyso Fuzz/CN=Fuzz CA" v3_ca self
issue leaf "/C=VN/O=Kyso Fuzz/CN=Fuzz Subscriber" ee
issue gone "/C=VN/O=Kyso Fuzz/CN=Fuzz Revoked Subscriber" ee
issue resp "/C=VN/O=Kyso Fuzz/CN=Fuzz OCSP Responder" responder
openssl ca -config ca.cnf -revoke gone.pem -crl_reason keyCompromise 2>/dev/null
ocsp() { # out cert [extra ocsp options...] (request options before the cert)
  local out=$1 cert=$2
  shift 2
  openssl ocsp -issuer ca.pem "${@}" -cert "$cert" -reqout req.der 2>/dev/null
  openssl ocsp -index ca/index.txt -CA ca.pem -rsigner "${RSIGNER:-resp.pem}" \
    -rkey "${RKEY:-resp.key}" -reqin req.der -respout "$OUT_DIR/$out" ${NDAYS:--ndays 3650} 2>/dev/null
}
OUT_DIR=$T/out
mkdir -p "$OUT_DIR"
ocsp ocsp-good.der leaf.pem
ocsp ocsp-revoked.der gone.pem
ocsp ocsp-sha256-certid.der leaf.pem -sha256
RSIGNER=ca.pem RKEY=ca.key ocsp ocsp-by-ca.der leaf.pem
NDAYS=" " ocsp ocsp-no-next-update.der leaf.pem
# A subscriber the responder does not know: "unknown".
openssl ocsp -issuer ca.pem -serial 0x0BADC0DE -reqout req.der 2>/dev/null
openssl ocsp -index ca/index.txt -CA ca.pem -rsigner resp.pem -rkey resp.key -reqin req.der \
  -respout "$OUT_DIR/ocsp-unknown.der" -ndays 3650 2>/dev/null
# The BasicOCSPResponse alone (CAdES RevocationValues): responseBytes' OCTET STRING.
off=$(openssl asn1parse -inform DER -in "$OUT_DIR/ocsp-good.der" | awk '/OCTET STRING/ { split($0, a, ":"); print a[1] + 0; exit }')
openssl asn1parse -inform DER -in "$OUT_DIR/ocsp-good.der" -strparse "$off" -noout \
  -out "$OUT_DIR/basic-good.der" 2>/dev/null
openssl ca -config ca.cnf -gencrl -out crl.pem 2>/dev/null
openssl crl -in crl.pem -outform DER -out "$OUT_DIR/crl.der"
head -c 100 "$OUT_DIR/ocsp-good.der" >"$OUT_DIR/ocsp-truncated.der"
head -c 120 "$OUT_DIR/crl.der" >"$OUT_DIR/crl-truncated.der"
printf '\x30\x84\xff\xff\xff\xff' >"$OUT_DIR/huge-length.der"
printf '\x30\x03\x0a\x01\x03' >"$OUT_DIR/ocsp-trylater.der"
cd - >/dev/null
rm -rf "$OUT"
mkdir -p "$OUT"
cp "$T"/out/* "$OUT/"
now=$(($(date +%s) + 60))
{
  echo "/* Written by tests/fuzz/revocation_seeds.sh: the fixed PKI of"
  echo " * fuzz_revocation.c (public certificates only) and its clock. */"
  echo "#ifndef KS_FUZZ_REVOCATION_PKI_H"
  echo "#define KS_FUZZ_REVOCATION_PKI_H"
  echo
  echo "#define FUZZ_REV_NOW ((time_t)${now}) /* a minute after the seeds were made */"
  for n in ca leaf gone; do
    echo
    echo "static const char fuzz_${n}_pem[] ="
    sed -n '/BEGIN/,/END/p' "$T/$n.pem" | sed 's/.*/\t"&\\n"/'
    echo "\t;" | sed 's/\\t/\t/'
  done
  echo
  echo "#endif"
} >"$HDR"
sed -i 's/^\\t;$/\t;/' "$HDR"
! command -v clang-format >/dev/null || clang-format -i "$HDR"
ls "$OUT"
