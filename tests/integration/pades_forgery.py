#!/usr/bin/env python3
"""Forged updates to kyso-signed transcripts, and honest ones, judged by
kyso verify and by the rendering oracle (tests/lib/pdforacle.py).

Each case: a base document (tests/lib/pdfforge.py: objects planted before
signing), signed by kyso with some options, then one update.  The expected
outcome:
  fail   every earlier signature TOTAL-FAILED, with a change not allowed
         whose text names `what`
  listed the signature passes and lists a permitted change with its page
         and a place that overlaps `box`
  pass   every signature TOTAL-PASSED
and in every case the oracle: a difference in what poppler shows is
either a failure or a listed change with page and place.

usage: pades_forgery.py KYSO PKI SAMPLE   (prints TAP)
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pdfforge as F  # noqa: E402
import pdforacle as O  # noqa: E402

KYSO, PKI, SAMPLE = sys.argv[1:4]
GRADES = (245, 560, 460, 652)
SHADOW = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pades_shadow.py")


def through_files(make):
    """An update made by a program that reads and writes files."""
    def f(data):
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = os.path.join(tmp, "in.pdf"), os.path.join(tmp, "out.pdf")
            with open(src, "wb") as fh:
                fh.write(data)
            make(src, dst)
            with open(dst, "rb") as fh:
                return fh.read()
    return f


def second_signature(field):
    """kyso signs again, as the principal, into the prepared field."""
    return through_files(lambda src, dst: subprocess.run(
        [KYSO, "sign", "--key-file", "%s/teacher-rsa.key.pem" % PKI, "--cert",
         "%s/teacher-rsa.cert.pem" % PKI, "--chain", "%s/teacher-rsa.chain.pem" % PKI,
         "--in", src, "--out", dst, "--field", field], check=True, capture_output=True))


def document_timestamp():
    """An RFC 3161 document timestamp (the test TSA) in an invisible field."""
    return through_files(lambda src, dst: subprocess.run(
        ["python3", SHADOW, "docts-invisible", src, dst, PKI], check=True, capture_output=True))

# (class, name, base, kyso sign options, forgery, expectation, what / box)
CASES = [
    ("1", "root switch: an update holding only a trailer that names a planted catalog (P=1)",
     "plain", ["--certify", "1"], F.root_switch, "fail", "catalog"),
    ("1", "root switch without certification", "plain", [], F.root_switch, "fail", "catalog"),
    ("2", "an annotation listed but undefined when signed is defined (P=1)", "undef",
     ["--certify", "1"], F.annots_undef, "fail", "annotation"),
    ("2", "an appearance referenced but undefined when signed is defined (P=2)", "form",
     ["--certify", "2", "--field", "GVCN"], F.ap_undef, "fail", "appearance"),
    ("2", "a new /Annots lists the planted annotation (P=2)", "plain", ["--certify", "2"],
     F.annots_planted, "fail", "annotation"),
    ("2", "a planted widget of the empty signature field is put on the page (P=2)", "form",
     ["--certify", "2", "--field", "GVCN"], F.widget_into_sigfield, "fail", "appearance"),
    ("2", "a planted signature widget is added to the form and the page (P=2)", "form",
     ["--certify", "2", "--field", "GVCN"], F.planted_sigfield, "fail", "appearance"),
    ("2", "a planted annotation listed and freed in one update (not certified)", "plain", [],
     F.planted_then_freed, "fail", "file structure"),
    ("2", "a reference to an object defined only inside a stream (not certified)", "plain", [],
     F.hidden_definition, "fail", "file structure"),
    ("2", "a widget listed a second time in the page's /Annots (not certified)", "form",
     ["--field", "GVCN"], F.annots_twice, "fail", "page"),
    ("3", "an XObject named /P that the page draws is replaced (P=1)", "backlink",
     ["--certify", "1"], F.replace_object(F.XO_P, b"6.5", b"9.5"), "fail", "page content"),
    ("3", "an XObject named /Data that the page draws is replaced (P=1)", "backlink",
     ["--certify", "1"], F.replace_object(F.XO_DATA, b"Kha", b"Gioi"), "fail", "page content"),
    ("3", "a font named /Parent gets /Differences that draw 6.5 as 9.5 (P=1)", "backlink",
     ["--certify", "1"], F.font_differences, "fail", "page content"),
    ("4", "a JavaScript name tree is added (not certified)", "plain", [], F.names_js, "fail",
     "catalog"),
    ("4", "a JavaScript name tree is added (P=3)", "plain", ["--certify", "3"], F.names_js,
     "fail", "catalog"),
    ("4", "a name dictionary undefined when signed is defined with a script (P=3)", "undef",
     ["--certify", "3"], F.names_undef, "fail", "document structure"),
    ("4", "an /OpenAction script is added (not certified)", "plain", [], F.open_action, "fail",
     "catalog"),
    ("4", "a link annotation with a JavaScript action (not certified)", "plain", [],
     F.annot_with_js, "fail", "annotation"),
    ("5", "a new signature field whose /Lock is its own appearance over the grades (P=2)",
     "form", ["--certify", "2", "--field", "GVCN"], F.lock_appearance, "fail", "appearance"),
    ("5", "/V set on the parent of a read-only, locked kid (P=2)", "form",
     ["--certify", "2", "--field", "GVCN", "--lock", "include:Grades.Toan"], F.parent_value,
     "fail", "form field"),
    ("5", "/V set on the parent of a locked kid (not certified)", "form-rw",
     ["--field", "GVCN", "--lock", "include:Grades.Toan"], F.parent_value, "fail", "form field"),
    ("6", "100,000 new objects and a forged page content (P=2)", "plain", ["--certify", "2"],
     F.many_objects(100000, True), "fail", "page content"),
    ("6", "the page content moved to object 999999 (P=1)", "plain", ["--certify", "1"],
     F.high_number, "fail", "page content"),
    ("7", "a FreeText annotation drawn over the grades (P=3): listed with its place", "plain",
     ["--certify", "3"], F.new_freetext, "listed", GRADES),
    ("7", "a FreeText annotation over the grades (not certified): listed with its place",
     "plain", [], F.new_freetext, "listed", GRADES),
    ("7", "a P=2 form fill that draws over the grades: listed with its place", "form",
     ["--certify", "2", "--field", "GVCN"], F.fill(F.F_OVERLAY, b"10.0"), "listed", GRADES),
    ("7", "a planted FreeText annotation brought in (P=3): listed with its place", "plain",
     ["--certify", "3"], F.annots_planted, "listed", GRADES),
    ("c", "control: a second, visible signature into the prepared field (P=2)", "form",
     ["--certify", "2", "--field", "GVCN"], "sign2", "own", (330, 40, 560, 120)),
    ("c", "control: an invisible document timestamp (P=1)", "plain", ["--certify", "1"],
     "docts", "pass", None),
    ("c", "control: a DSS with 300 objects (P=1): 256 changes listed, the rest counted", "plain",
     ["--certify", "1"], F.dss(300), "pass", 45),
    ("c", "control: 100,000 new objects nothing uses (P=1)", "plain", ["--certify", "1"],
     F.many_objects(100000, False), "pass", None),
    ("c", "control: a P=2 form fill into an empty field", "form",
     ["--certify", "2", "--field", "GVCN"], F.fill(F.F_GHICHU, b"Hoc sinh gioi",
                                                   b"0 0 240 20"), "listed", (60, 180, 300, 200)),
    ("c", "control: /V on the parent of a kid neither read-only nor locked (P=2)", "form-rw",
     ["--certify", "2", "--field", "GVCN"], F.parent_value, "listed", (400, 270, 460, 290)),
]

n = 0
failures = 0


def tap(ok, name, *notes):
    global n, failures
    n += 1
    if not ok:
        failures += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
    for line in notes:
        print("# " + str(line).replace("\n", "\n# "))
    sys.stdout.flush()


def sign(src, dst, opts, who="principal-rsa"):
    p = subprocess.run([KYSO, "sign", "--key-file", "%s/%s.key.pem" % (PKI, who), "--cert",
                        "%s/%s.cert.pem" % (PKI, who), "--chain", "%s/%s.chain.pem" % (PKI, who),
                        "--in", src, "--out", dst] + opts, capture_output=True)
    return p.returncode == 0, p.stderr.decode(errors="replace")


def overlaps(rect, box):
    return rect[0] < box[2] and box[0] < rect[2] and rect[1] < box[3] and box[1] < rect[3]


def judge(kind, arg, code, rep, nsigs):
    sigs = (rep or {}).get("signatures", [])[:nsigs]
    if rep is None or len(sigs) < nsigs:
        return "no report for %d signatures (exit %d)" % (nsigs, code)
    if kind == "fail":
        if code != 1:
            return "exit %d, expected 1" % code
        for s in sigs:
            bad = [c for c in s["changes"] if not c["allowed"]]
            if s["indication"] != "TOTAL-FAILED" or not bad:
                return "signature %s: %s without a change not allowed" % (s["index"],
                                                                           s["indication"])
            if not any(arg in c["text"] for c in bad):
                return "no change not allowed names %r: %s" % (arg, [c["text"] for c in bad][:3])
        return None
    # What a viewer shows changed after signing, as permitted: the verdict
    # "changed" (exit 4), never "authentic"; a later signature with its own
    # appearance in its own field, validation data and unused objects: 0.
    want, verdict = (4, "changed") if kind == "listed" else (0, "authentic")
    if code != want or rep.get("verdict") != verdict or any(
            s["indication"] != "TOTAL-PASSED" for s in sigs):
        return "exit %d (want %d), verdict %s: %s" % (
            code, want, rep.get("verdict"), [(s["indication"], s["detail"]) for s in sigs])
    if kind == "pass" and isinstance(arg, int):
        s = sigs[0]
        if len(s["changes"]) != 256 or s["changes_not_listed"] < arg:
            return "%d changes listed, %d not listed" % (len(s["changes"]),
                                                         s["changes_not_listed"])
    if kind in ("listed", "own"):
        for s in sigs:
            if not any(c["allowed"] and c["page"] == 1 and c["rect"] and overlaps(c["rect"], arg)
                       for c in s["changes"]):
                return "signature %s lists no permitted change on page 1 over %s: %s" % (
                    s["index"], arg, [c["text"] for c in s["changes"]][:4])
    return None


def main():
    with open(SAMPLE, "rb") as f:
        sample = f.read()
    trust = os.path.join(PKI, "root.pem")
    print("1..%d" % (2 * len(CASES)))
    with tempfile.TemporaryDirectory() as tmp:
        signed = {}
        for i, (cls, name, base, opts, forge, kind, arg) in enumerate(CASES):
            key = (base, tuple(opts))
            if key not in signed:
                src = os.path.join(tmp, "base-%d.pdf" % len(signed))
                with open(src, "wb") as f:
                    f.write(F.base(base.split("-")[0], sample, ro_kid=base != "form-rw"))
                dst = src.replace(".pdf", "-signed.pdf")
                ok, err = sign(src, dst, opts)
                signed[key] = dst if ok else err
            if not signed[key].endswith(".pdf"):
                tap(False, "class %s: %s" % (cls, name), "signing failed: " + signed[key])
                tap(False, "oracle: " + name)
                continue
            with open(signed[key], "rb") as f:
                before = f.read()
            after_path = os.path.join(tmp, "case-%d.pdf" % i)
            if forge == "sign2":
                forge = second_signature("HieuTruong")
            elif forge == "docts":
                forge = document_timestamp()
            with open(after_path, "wb") as f:
                f.write(forge(before))
            code, rep = O.kyso_json(KYSO, after_path, trust)
            why = judge(kind, arg, code, rep, 1)
            tap(why is None, "class %s: %s" % (cls, name), *([why] if why else []))
            why = O.check(O.view(signed[key]), O.view(after_path), rep, 1)
            tap(why is None, "oracle: " + name, *([why] if why else []))
    return 1 if failures else 0


sys.exit(main())
