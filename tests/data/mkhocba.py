#!/usr/bin/env python3
"""Generate the sample transcript PDF (hoc ba) used by the PAdES tests.

One A4 page, standard Helvetica (ASCII text), classic xref table, an /Info
dictionary and a file /ID: the kind of single-revision file a school
platform produces.  Usage: mkhocba.py OUT.pdf [ROWS] (ROWS grade rows; the
default gives a ~3 KB file, 400 rows a ~30 KB one)."""
import sys

out = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 12
subjects = ["Toan", "Ngu van", "Tieng Anh", "Vat ly", "Hoa hoc", "Sinh hoc",
            "Lich su", "Dia ly", "GDCD", "Tin hoc", "Cong nghe", "The duc"]

lines = []
def text(x, y, size, s, font="F1"):
    s = s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    lines.append(f"BT /{font} {size} Tf {x} {y} Td ({s}) Tj ET")

text(60, 800, 10, "SO GIAO DUC VA DAO TAO THANH PHO HA NOI")
text(60, 786, 10, "TRUONG THPT NGUYEN TRAI - BA DINH")
text(250, 750, 20, "HOC BA", "F2")
text(60, 720, 11, "Ho va ten hoc sinh: Nguyen Thi Hong Nhung")
text(60, 704, 11, "Ngay sinh: 12/05/2008    Lop: 12A3    Nam hoc: 2025-2026")
text(60, 688, 11, "Ma hoc sinh: 0101234567")
lines.append("0.5 w 55 670 m 540 670 l S")
text(60, 655, 10, "Mon hoc", "F2")
text(250, 655, 10, "HK I", "F2")
text(330, 655, 10, "HK II", "F2")
text(410, 655, 10, "Ca nam", "F2")
y = 640
for i in range(rows):
    s = subjects[i % len(subjects)]
    a = 6.0 + (i * 7 % 40) / 10
    b = 6.5 + (i * 3 % 35) / 10
    page_y = y - 14 * (i % 30)
    text(60, page_y, 10, s if i < len(subjects) else f"{s} ({i // len(subjects) + 1})")
    text(250, page_y, 10, f"{a:.1f}")
    text(330, page_y, 10, f"{b:.1f}")
    text(410, page_y, 10, f"{(a + 2 * b) / 3:.1f}")
text(60, 200, 10, "Nhan xet cua giao vien chu nhiem: Hoc sinh cham ngoan, hoc tot.")
text(330, 160, 10, "Ha Noi, ngay 30 thang 5 nam 2026")
text(350, 146, 10, "HIEU TRUONG", "F2")
content = ("\n".join(lines) + "\n").encode()

objs = {
    1: b"<< /Type /Catalog /Pages 2 0 R /Lang (vi-VN) >>",
    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    3: (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>"),
    4: b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    6: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    7: b"<< /Title (Hoc ba - Nguyen Thi Hong Nhung) /Producer (kyso test data) "
       b"/CreationDate (D:20260530080000+07'00') >>",
}
pdf = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
offs = {}
for n in sorted(objs):
    offs[n] = len(pdf)
    pdf += b"%d 0 obj\n" % n + objs[n] + b"\nendobj\n"
xref = len(pdf)
pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for n in sorted(objs):
    pdf += b"%010d 00000 n \n" % offs[n]
fid = b"KYSOHOCBA0000001".hex().encode()
pdf += b"trailer\n<< /Size %d /Root 1 0 R /Info 7 0 R /ID [<%s> <%s>] >>\n" % (
    len(objs) + 1, fid, fid)
pdf += b"startxref\n%d\n%%%%EOF\n" % xref
open(out, "wb").write(pdf)
