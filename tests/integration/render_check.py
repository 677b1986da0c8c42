#!/usr/bin/env python3
"""Checks for tests/integration/render.sh (standard library only).

  render_check.py text RECORD.json TEXT.txt [STUDENT]
      every name, code, date and mark of the record (one transcript
      student, or the whole gradebook) is in the pdftotext -raw output,
      and each subject's (or student's) marks appear in order on its row
  render_check.py class RECORD.json DIR
      DIR/<code>.pdf of every student prints that student's data (as text)
  render_check.py xml FORM.xml TEXT.txt
      every text and attribute value of the XML form is printed in the PDF
      (dates as dd/mm/yyyy, the level in capitals, the term as I/II)
  render_check.py pixels A.ppm B.ppm TOP BOTTOM
      the images differ, and only between rows TOP and BOTTOM
  render_check.py marks E.ppm E3.ppm E1.ppm E2.ppm TOP BOTTOM
      four renderings of a name spelt with e, ễ, ẽ and ê: the ink ễ adds
      over e (rows TOP to BOTTOM) is well above what the tilde alone or the
      circumflex alone adds, so both of its marks are drawn (libharu drops
      a part of nested composite glyphs: unflattened fonts fail this)
Exit 0 when the check holds; otherwise a message on stdout and exit 1."""
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET


def norm(s):
    return re.sub(r"\s+", " ", s).strip()


def mark(v):
    if v is None:
        return None
    if isinstance(v, str):
        return {"Đạt": "Đ", "Chưa đạt": "CĐ"}.get(v, v)
    return f"{v:.1f}"


def vn_date(iso):
    return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}"


def fail(msg):
    print(msg)
    sys.exit(1)


def need(text, value, what):
    if value and norm(value) not in text:
        fail(f"missing in the PDF text: {what} = {value!r}")


def row(text, parts, what):
    pat = r"\s+".join(re.escape(p) for p in parts if p)
    if not re.search(pat, text):
        fail(f"row not found in order: {what}: {' '.join(p for p in parts if p)}")


def check_text(record, textfile, student):
    rec = json.load(open(record, encoding="utf-8"))
    text = norm(open(textfile, encoding="utf-8").read())
    need(text, rec["school"]["name"], "school")
    need(text, rec["principal"], "principal")
    if rec["kind"] == "transcript":
        st = [s for s in rec["students"] if s["code"] == student][0] if student else \
            rec["students"][0]
        need(text, st["name"], "name")
        need(text, st["code"], "code")
        need(text, st["personal_id"], "personal_id")
        need(text, vn_date(st["birth_date"]), "birth_date")
        for y in st["years"]:
            need(text, y["homeroom_teacher"], "homeroom_teacher")
            need(text, y.get("comment", "").split("\n")[0], "comment")
            for i, (name, m) in enumerate(y["scores"].items()):
                row(text, [str(i + 1), name, mark(m["hk1"]), mark(m.get("hk2")),
                           mark(m.get("year"))], f"{y['school_year']} {name}")
            for key in ("conduct", "learning"):
                g = y[key]
                row(text, [g["hk1"], g.get("hk2"), g.get("year")], f"{y['school_year']} {key}")
    else:
        need(text, rec["subject"], "subject")
        need(text, rec["teacher"], "teacher")
        for i, st in enumerate(rec["students"]):
            row(text, [str(i + 1), st["code"], st["name"], vn_date(st["birth_date"])]
                + [mark(m) for m in st["regular"]]
                + [mark(st["midterm"]), mark(st["final"]), mark(st["average"])], st["name"])


def check_class(record, folder):
    rec = json.load(open(record, encoding="utf-8"))
    for st in rec["students"]:
        out = f"{folder}/{st['code']}.txt"
        subprocess.run(["pdftotext", "-raw", f"{folder}/{st['code']}.pdf", out], check=True)
        check_text(record, out, st["code"])
    print(f"{len(rec['students'])} transcripts print their own student's data")


def check_xml(xmlfile, textfile):
    text = norm(open(textfile, encoding="utf-8").read())
    root = ET.parse(xmlfile).getroot()
    ns = "{urn:kyso:records:1}"
    if not root.tag.startswith(ns):
        fail(f"root {root.tag} is not in the kyso namespace")
    skip_attr = {"version", "assessment"}
    n = 0
    for el in root.iter():
        tag = el.tag[len(ns):]
        values = []
        if el.text and el.text.strip():
            v = el.text.strip()
            if tag in ("BirthDate",):
                v = vn_date(v)
            elif tag in ("Level", "Authority"):
                v = v.upper()  # printed in capitals
            elif tag == "Term":
                v = "Học kỳ " + {"1": "I", "2": "II"}[v]
            values.append((tag, v))
        for k, v in el.attrib.items():
            if k in skip_attr:
                continue
            if k == "date":
                d, m, y = v[8:10], v[5:7], v[0:4]
                v = f"ngày {d} tháng {m if int(m) <= 2 else str(int(m))} năm {y}"
            values.append((f"{tag}@{k}", v))
        for what, v in values:
            if tag == "Comment":
                for part in v.split("\n"):
                    need(text, part, what)
            else:
                need(text, v, what)
            n += 1
    print(f"{n} values of the XML form are printed in the PDF")


def read_ppm(path):
    data = open(path, "rb").read()
    parts = data.split(maxsplit=4)
    if parts[0] != b"P6":
        fail(f"{path}: not a binary PPM")
    w, h, maxv = int(parts[1]), int(parts[2]), int(parts[3])
    if maxv != 255:
        fail(f"{path}: unexpected depth")
    return w, h, parts[4][: w * h * 3]


def check_pixels(a, b, top, bottom):
    wa, ha, pa = read_ppm(a)
    wb, hb, pb = read_ppm(b)
    if (wa, ha) != (wb, hb):
        fail("the images have different sizes")
    rows = set()
    count = 0
    for y in range(ha):
        ra = pa[y * wa * 3:(y + 1) * wa * 3]
        rb = pb[y * wa * 3:(y + 1) * wa * 3]
        if ra != rb:
            rows.add(y)
            count += sum(1 for x in range(wa) if ra[3 * x:3 * x + 3] != rb[3 * x:3 * x + 3])
    if count == 0:
        fail("the two renderings are identical")
    lo, hi = min(rows), max(rows)
    if lo < top or hi > bottom:
        fail(f"pixels differ outside rows {top}-{bottom}: rows {lo}-{hi}")
    print(f"{count} pixels differ, in rows {lo}-{hi}")


def ink(path, top, bottom):
    w, h, px = read_ppm(path)
    total = 0
    for y in range(top, min(bottom, h)):
        row = px[y * w * 3:(y + 1) * w * 3]
        total += sum(255 - row[3 * x] for x in range(w))
    return total


def check_marks(e, e3, e1, e2, top, bottom):
    base = ink(e, top, bottom)
    both, tilde, circ = (ink(p, top, bottom) - base for p in (e3, e1, e2))
    print(f"ink over 'e': ễ {both}, ẽ {tilde}, ê {circ}")
    if min(tilde, circ) <= 0:
        fail("the tilde or the circumflex alone adds no ink")
    if both < 1.3 * max(tilde, circ):
        fail("ễ draws no more than one of its marks")


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "text":
        check_text(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    elif len(sys.argv) == 4 and sys.argv[1] == "class":
        check_class(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "xml":
        check_xml(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 8 and sys.argv[1] == "marks":
        check_marks(*sys.argv[2:6], int(sys.argv[6]), int(sys.argv[7]))
    elif len(sys.argv) == 6 and sys.argv[1] == "pixels":
        check_pixels(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        fail(__doc__)


if __name__ == "__main__":
    main()
