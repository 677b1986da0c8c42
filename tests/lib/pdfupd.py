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


def _value_end(text, i):
    """End of the PDF value starting at text[i] (balanced << >> [ ] ( ))."""
    if text.startswith(b"<<", i) or text[i:i + 1] == b"[":
        depth, j = 0, i
        while j < len(text):
            if text.startswith(b"<<", j) or text[j:j + 1] == b"[":
                depth += 1
                j += 2 if text.startswith(b"<<", j) else 1
                continue
            if text.startswith(b">>", j) or text[j:j + 1] == b"]":
                depth -= 1
                j += 2 if text.startswith(b">>", j) else 1
                if depth == 0:
                    return j
                continue
            if text[j:j + 1] == b"(":
                j = _value_end(text, j)
                continue
            j += 1
        raise ValueError("unbalanced value")
    if text[i:i + 1] == b"(":
        depth, j = 0, i
        while j < len(text):
            c = text[j:j + 1]
            if c == b"\\":
                j += 2
                continue
            depth += c == b"("
            depth -= c == b")"
            j += 1
            if depth == 0:
                return j
        raise ValueError("unbalanced string")
    m = re.compile(rb"\d+ \d+ R|/[^\s/<>\[\]()]*|<[0-9A-Fa-f\s]*>|[-+.\d]+|true|false|null") \
        .match(text, i)
    if not m:
        raise ValueError("no value at %d" % i)
    return m.end()


def _find_key(dict_text, key):
    """(start of '/key', start of its value, end of its value) at the top
    level of a dictionary's text, or None."""
    i = dict_text.index(b"<<") + 2
    while i < len(dict_text):
        while dict_text[i:i + 1].isspace():
            i += 1
        if dict_text.startswith(b">>", i):
            return None
        m = re.compile(rb"/([^\s/<>\[\]()]*)").match(dict_text, i)
        if not m:
            return None
        v = m.end()
        while dict_text[v:v + 1].isspace():
            v += 1
        end = _value_end(dict_text, v)
        if m.group(1) == key:
            return i, v, end
        i = end
    return None


def set_key(dict_text, key, value):
    """Set /key at the top level of a dictionary's text."""
    f = _find_key(dict_text, key)
    if f:
        return dict_text[:f[1]] + value + dict_text[f[2]:]
    return dict_text.rstrip()[:-2].rstrip() + b" /" + key + b" " + value + b" >>"


def del_key(dict_text, key):
    f = _find_key(dict_text, key)
    return dict_text if not f else dict_text[:f[0]] + dict_text[f[2]:]


def get_ref(dict_text, key):
    m = re.search(rb"/" + key + rb"\s+(\d+) \d+ R", dict_text)
    return int(m.group(1)) if m else None


def add_to_array(dict_text, key, item):
    """Add `item` to the direct array /key (created when absent)."""
    m = re.search(rb"/" + key + rb"\s*\[", dict_text)
    if m:
        return dict_text[:m.end()] + item + b" " + dict_text[m.end():]
    return set_key(dict_text, key, b"[" + item + b"]")
