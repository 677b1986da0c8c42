"""The rendering oracle of the modification-analysis tests: what a viewer
shows of a PDF (poppler: pdftoppm pixels, pdftotext text, pdfinfo -js
scripts), and whether kyso's verdict on an update accounts for a
difference.

The rule (docs/modification-rules.md): when what a viewer shows differs
after an update, every signature made before it either fails, or lists a
change it permits with the page and the place where it shows -- never
passes with no change listed, or with changes of "no effect".  A script
that appears must fail every earlier signature.
"""
import hashlib
import json
import os
import subprocess
import tempfile


def _run(cmd, timeout=60):
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired:
        return -1, b"(timeout)"


def view(path, dpi=36):
    """(pixels digest per page, text, scripts) as poppler shows the file."""
    with tempfile.TemporaryDirectory() as tmp:
        _run(["pdftoppm", "-r", str(dpi), "-gray", path, os.path.join(tmp, "p")])
        pages = []
        for name in sorted(os.listdir(tmp)):
            with open(os.path.join(tmp, name), "rb") as f:
                pages.append(hashlib.sha256(f.read()).hexdigest())
    _, text = _run(["pdftotext", "-layout", path, "-"])
    _, js = _run(["pdfinfo", "-js", path])
    # pdfinfo -js prints the document's scripts after its usual lines.
    scripts = b"\n".join(l for l in js.splitlines() if not l.split(b":", 1)[0].strip() in (
        b"Creator", b"Producer", b"CreationDate", b"ModDate", b"Custom Metadata", b"Metadata Stream",
        b"Tagged", b"UserProperties", b"Suspects", b"Form", b"JavaScript", b"Pages", b"Encrypted",
        b"Page size", b"Page rot", b"File size", b"Optimized", b"PDF version", b"Title", b"Author",
        b"Subject", b"Keywords"))
    return pages, text, scripts


def kyso_json(kyso, path, trust):
    # Integrity and changes: the revocation peers are not part of these tests.
    code, out = _run([kyso, "verify", path, "--trust", trust, "--revocation", "off", "--json",
                      "--lang", "en"])
    try:
        return code, json.loads(out)
    except ValueError:
        return code, None


def placed_permitted(sig):
    """A change the signature permits, with its page and place."""
    return any(c.get("allowed") and c.get("level") not in (None, "none") and
               c.get("page") and c.get("rect") for c in sig.get("changes", []))


def check(before_view, after_view, report, nsigs_before):
    """None when kyso accounts for what changed; else why not."""
    if report is None:
        return "kyso printed no JSON report"
    sigs = report.get("signatures", [])
    if len(sigs) < nsigs_before:
        return "kyso reports %d signatures, the file had %d before the update" % (
            len(sigs), nsigs_before)
    shown = before_view[0] != after_view[0] or before_view[1] != after_view[1]
    script = before_view[2] != after_view[2]
    for i, s in enumerate(sigs[:nsigs_before]):
        failed = s["indication"] == "TOTAL-FAILED"
        if script and not failed:
            return "signature %d: a script appeared and it is %s" % (i + 1, s["indication"])
        if shown and not failed and not placed_permitted(s):
            return ("signature %d: what a viewer shows changed, it is %s and lists no permitted "
                    "change with its page and place" % (i + 1, s["indication"]))
    return None


def main(argv):
    """pdforacle.py KYSO TRUST BEFORE AFTER [NSIGS]: exit 0 when kyso's
    verdict on AFTER accounts for what changed since BEFORE (NSIGS: the
    signatures BEFORE has, default 1); else print why and exit 1."""
    kyso, trust, before, after = argv[1:5]
    nsigs = int(argv[5]) if len(argv) > 5 else 1
    _, rep = kyso_json(kyso, after, trust)
    why = check(view(before), view(after), rep, nsigs)
    if why:
        print(why)
        return 1
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv))
