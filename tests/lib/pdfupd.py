"""Incremental updates to classic-xref PDFs, for tests that craft attacks.

Standard library only.  Works on the files the tests make (kyso-signed
transcripts: classic cross-reference tables, no object streams): the newest
definition of an object is the last "N G obj" in the file.
"""
import re

OBJ = re.compile(rb"(?<![0-9])(\d+) (\d+) obj\b")


def objects(data):
    """Offset of the newest definition of every object number."""
    found = {}
    for m in OBJ.finditer(data):
        found[int(m.group(1))] = m.start()
    return found


def body(data, num):
    """The text between 'N G obj' and 'endobj' of the newest definition."""
    m = re.compile(rb"\d+ \d+ obj\s*(.*?)\s*endobj", re.S).match(data, objects(data)[num])
    if not m:
        raise SystemExit("object %d not found" % num)
    return m.group(1)


def last_startxref(data):
    return int(re.findall(rb"startxref\s+(\d+)", data)[-1])


def trailer_ref(data, key):
    """'N 0 R' of /key in the newest trailer, or None."""
    t = data[data.rindex(b"trailer"):]
    m = re.search(rb"/" + key + rb"\s+(\d+ \d+ R)", t)
    return m.group(1) if m else None


def next_free(data):
    return max(objects(data)) + 1


def stream(data, extra=b""):
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(data), extra, data)


def form_xobject(data, bbox=b"0 0 595 842", resources=b"<< /Font << /F1 5 0 R /F2 6 0 R >> >>"):
    return stream(data, b"/Type /XObject /Subtype /Form /BBox [%s] /Resources %s " %
                  (bbox, resources))


def update(data, defs, trailer=None, size=None, free=(), extra_trailer=b""):
    """Append an update defining {num: body} and freeing `free`; trailer:
    the trailer keys without << >> and /Prev, or None for /Size /Root /Info
    of the newest trailer."""
    out = bytearray(data)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets = {}
    for num, text in sorted(defs.items()):
        offsets[num] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, text)
    xref = len(out)
    out += b"xref\n"
    rows = {n: b"%010d 00000 n \n" % o for n, o in offsets.items()}
    for n in free:
        rows[n] = b"0000000000 00001 f \n"
    for num in sorted(rows):
        out += b"%d 1\n" % num + rows[num]
    if size is None:
        size = max(list(objects(data)) + list(defs) + list(free)) + 1
    if trailer is None:
        info = trailer_ref(data, b"Info")
        trailer = b"/Size %d /Root %s%s" % (size, trailer_ref(data, b"Root"),
                                           b" /Info " + info if info else b"")
    out += b"trailer\n<< %s%s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        trailer, extra_trailer, last_startxref(data), xref)
    return bytes(out)


def set_key(dict_text, key, value):
    """Set /key in a dictionary's text (replacing a simple value, a
    reference, a name, a number or a flat array)."""
    pat = re.compile(rb"/" + key + rb"(?![A-Za-z0-9])\s*(\d+ \d+ R|\[[^\[\]]*\]|/[^\s/<>\[\]()]+|"
                     rb"\([^()]*\)|<<(?:[^<>]|<[^<]|>[^>])*>>|[-+.\d]+|true|false|null)")
    if pat.search(dict_text):
        return pat.sub(lambda m: b"/" + key + b" " + value, dict_text, count=1)
    return dict_text.rstrip()[:-2].rstrip() + b" /" + key + b" " + value + b" >>"


def del_key(dict_text, key):
    pat = re.compile(rb"\s*/" + key + rb"(?![A-Za-z0-9])\s*(\d+ \d+ R|\[[^\[\]]*\]|/[^\s/<>\[\]()]+|"
                     rb"\([^()]*\)|[-+.\d]+|true|false|null)")
    return pat.sub(b"", dict_text, count=1)


def get_ref(dict_text, key):
    m = re.search(rb"/" + key + rb"\s+(\d+) \d+ R", dict_text)
    return int(m.group(1)) if m else None


def add_to_array(dict_text, key, item):
    """Add `item` to the direct array /key (created when absent)."""
    m = re.search(rb"/" + key + rb"\s*\[", dict_text)
    if m:
        return dict_text[:m.end()] + item + b" " + dict_text[m.end():]
    return set_key(dict_text, key, b"[" + item + b"]")
