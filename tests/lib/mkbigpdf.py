#!/usr/bin/env python3
"""Write a valid one-page PDF of about SIZE bytes: the page's content
stream is SIZE bytes of PDF comment lines (a scanned record is this large).
Usage: mkbigpdf.py OUT.pdf SIZE"""
import sys

out, size = sys.argv[1], int(sys.argv[2])
line = b"%" + b"0" * 62 + b"\n"
block = line * (1 << 14)  # 1 MiB of comment lines
offs = {}
with open(out, "wb") as f:
    f.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def obj(num, body):
        offs[num] = f.tell()
        f.write(b"%d 0 obj\n%s\nendobj\n" % (num, body))

    obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>")
    offs[4] = f.tell()
    f.write(b"4 0 obj\n<< /Length %d >>\nstream\n" % size)
    left = size
    while left > 0:
        chunk = block[: min(left, len(block))]
        f.write(chunk)
        left -= len(chunk)
    f.write(b"\nendstream\nendobj\n")
    xref = f.tell()
    f.write(b"xref\n0 5\n0000000000 65535 f \n")
    for num in range(1, 5):
        f.write(b"%010d 00000 n \n" % offs[num])
    f.write(b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)
