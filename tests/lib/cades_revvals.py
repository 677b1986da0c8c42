#!/usr/bin/env python3
"""Write the OCSP answers of a CAdES revocation-values attribute
(EN 319 122-1 5.5.2: ocspVals, BasicOCSPResponse) as whole OCSPResponse
files OUTDIR/ocsp-N.der for `openssl ocsp -respin`, and its CRLs as
crl-N.der; prints "ocsps N crls N".  An independent DER walk, not kyso's
reader.  Usage: cades_revvals.py P7S OUTDIR [K]: the K-th revocation-values
attribute of the file (0, the first, by default)."""
import os
import sys

OID_REV_VALUES = bytes.fromhex("060b2a864886f70d0109100218")
OID_BASIC = bytes.fromhex("06092b0601050507300101")


def tlv(d, i):
    tag, n = d[i], d[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(d[i:i + k], "big")
        i += k
    return tag, i, i + n  # tag, start of value, end


def hdr(tag, n):
    if n < 0x80:
        return bytes([tag, n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(b)]) + b


def wrap(tag, body):
    return hdr(tag, len(body)) + body


d = open(sys.argv[1], "rb").read()
out = sys.argv[2]
at = -1
for _ in range(int(sys.argv[3]) + 1 if len(sys.argv) > 3 else 1):
    at = d.find(OID_REV_VALUES, at + 1)
    if at < 0:
        break
if at < 0:
    print("ocsps 0 crls 0")
    sys.exit(0)
_, s, _ = tlv(d, at)
i = s + len(OID_REV_VALUES) - 2
_, vs, ve = tlv(d, i)            # SET of values
_, rs, re_ = tlv(d, vs)          # RevocationValues SEQUENCE
counts = {"ocsps": 0, "crls": 0}
j = rs
while j < re_:
    tag, fs, fe = tlv(d, j)
    _, ss, se = tlv(d, fs)       # SEQUENCE OF
    k = ss
    while k < se:
        _, es, ee = tlv(d, k)
        item = d[k:ee]
        if tag == 0xA1:
            resp = wrap(0x30, b"\x0a\x01\x00" + wrap(0xA0, wrap(0x30, OID_BASIC + wrap(0x04, item))))
            name = "ocsp-%d.der" % counts["ocsps"]
            counts["ocsps"] += 1
        else:
            resp = item
            name = "crl-%d.der" % counts["crls"]
            counts["crls"] += 1
        open(os.path.join(out, name), "wb").write(resp)
        k = ee
    j = fe
print("ocsps %d crls %d" % (counts["ocsps"], counts["crls"]))
