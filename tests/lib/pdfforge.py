"""Documents to sign and updates to forge, for the modification-analysis
tests (tests/integration/pades_forgery.py) and the update fuzzer
(tests/fuzz/pades_updates.py).

The sample transcript docs/examples/hocba.pdf has the catalog 1, page tree
2, page 3, content 4, fonts 5 (F1) and 6 (F2) and the information
dictionary 7.  Before signing, base() appends an update that plants objects
nobody references (a forged catalog and page, an annotation drawn over the
grades, a script, a widget...) and, depending on the kind, resources named
like back links, a form, or references to objects that are not defined.
After signing, the forgeries bring them to life.
"""
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pdfupd as U  # noqa: E402

GRADES_BOX = b"245 560 460 652"   # the grade columns of the first subjects
OVERLAY = (b"1 1 1 rg 0 0 215 92 re f 0 0 0 rg BT /F2 14 Tf 8 64 Td (9.5) Tj 80 0 Td (9.8) "
           b"Tj 80 0 Td (9.7) Tj ET")
ANNOT_JS = b"<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\);) >>"

# Planted objects (object numbers), present in every base.
CAT2, PAGES2, PAGE2, CONT2, FREETEXT, OVERLAY_AP, JS, SIGWIDGET, HIDING = range(20, 29)
HIDDEN = 60  # defined only inside the data of stream HIDING: no xref entry names it
# Back-link base: an XObject named /P drawing the average with a font
# named /Parent, an XObject named /Data.
XO_P, FONT_PARENT, XO_DATA = 31, 32, 33
# Form base.
ACROFORM, F_DIEMTB, F_GRADES, F_TOAN, F_GHICHU, F_OVERLAY, F_HIEUTRUONG, F_ANH, HELV, AP_DIEMTB, \
    F_GVCN, W_EXTRA = 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51
UNDEF_AP = 36        # /AP /N of field Anh: undefined when signed
UNDEF_ANNOT = 30     # in the page's /Annots of the "undef" base: undefined when signed
UNDEF_NAMES = 35     # the catalog's /Names in the "undef" base: undefined when signed


def forged_content(data):
    """The page content with every grade replaced by 10.0."""
    return re.sub(rb"\((\d\.\d)\) Tj", b"(10.0) Tj", U.body(data, 4).split(b"stream", 1)[1]
                  .rsplit(b"endstream", 1)[0].strip(b"\r\n"))


def planted(data):
    page = U.body(data, 3)
    return {
        CAT2: b"<< /Type /Catalog /Pages %d 0 R >>" % PAGES2,
        PAGES2: b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % PAGE2,
        PAGE2: U.set_key(U.set_key(page, b"Parent", b"%d 0 R" % PAGES2), b"Contents",
                         b"%d 0 R" % CONT2),
        CONT2: U.stream(forged_content(data)),
        FREETEXT: b"<< /Type /Annot /Subtype /FreeText /Rect [%s] /Contents (9.5) "
                  b"/DA (/Helv 12 Tf 0 g) /F 4 /AP << /N %d 0 R >> >>" % (GRADES_BOX, OVERLAY_AP),
        OVERLAY_AP: U.form_xobject(OVERLAY, b"0 0 215 92"),
        JS: ANNOT_JS,
        SIGWIDGET: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Extra) /Rect [%s] /F 4 "
                   b"/AP << /N %d 0 R >> /P 3 0 R >>" % (GRADES_BOX, OVERLAY_AP),
        HIDING: U.stream(b"\n%d 0 obj\n<< /Type /Annot /Subtype /FreeText /Rect [%s] /F 4 "
                         b"/AP << /N %d 0 R >> >>\nendobj\n" % (HIDDEN, GRADES_BOX, OVERLAY_AP)),
    }


def base(kind, data, ro_kid=True):
    """The document to sign: hocba.pdf plus one update (see the module
    text).  kind: plain, backlink, form, undef."""
    defs = planted(data)
    if kind == "backlink":
        defs[XO_P] = U.form_xobject(b"BT /Parent 11 Tf 60 300 Td (Diem trung binh ca nam: 6.5) "
                                    b"Tj ET", resources=b"<< /Font << /Parent %d 0 R >> >>"
                                    % FONT_PARENT)
        defs[FONT_PARENT] = (b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                             b"/Encoding /WinAnsiEncoding >>")
        defs[XO_DATA] = U.form_xobject(b"BT /F1 11 Tf 60 284 Td (Xep loai hoc luc: Kha) Tj ET")
        page = U.set_key(U.body(data, 3), b"Resources",
                         b"<< /Font << /F1 5 0 R /F2 6 0 R >> /XObject << /P %d 0 R /Data %d 0 R"
                         b" >> >>" % (XO_P, XO_DATA))
        content = U.body(data, 4).split(b"stream", 1)[1].rsplit(b"endstream", 1)[0]
        defs[3] = page
        defs[4] = U.stream(content.strip(b"\r\n") + b"\nq /P Do Q q /Data Do Q")
    elif kind == "undef":
        defs[3] = U.set_key(U.body(data, 3), b"Annots", b"[%d 0 R]" % UNDEF_ANNOT)
        defs[1] = U.set_key(U.body(data, 1), b"Names", b"%d 0 R" % UNDEF_NAMES)
    elif kind == "form":
        kid_ff = b"/Ff 1 " if ro_kid else b""
        wid = b"/Type /Annot /Subtype /Widget /P 3 0 R /F 4 "
        defs.update({
            ACROFORM: b"<< /Fields [%d 0 R %d 0 R %d 0 R %d 0 R %d 0 R %d 0 R %d 0 R] "
                      b"/DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv %d 0 R >> >> >>"
                      % (F_DIEMTB, F_GRADES, F_GHICHU, F_OVERLAY, F_GVCN, F_HIEUTRUONG, F_ANH, HELV),
            F_DIEMTB: b"<< %s/FT /Tx /T (DiemTB) /Ff 1 /V (6.5) /Rect [400 300 460 320] "
                      b"/DA (/Helv 12 Tf 0 g) /AP << /N %d 0 R >> >>" % (wid, AP_DIEMTB),
            AP_DIEMTB: U.form_xobject(b"/Tx BMC BT /Helv 12 Tf 2 5 Td (6.5) Tj ET EMC",
                                      b"0 0 60 20", b"<< /Font << /Helv %d 0 R >> >>" % HELV),
            F_GRADES: b"<< /FT /Tx /T (Grades) /Kids [%d 0 R] >>" % F_TOAN,
            F_TOAN: b"<< %s/Parent %d 0 R /T (Toan) %s/Rect [400 270 460 290] "
                    b"/DA (/Helv 12 Tf 0 g) >>" % (wid, F_GRADES, kid_ff),
            F_GHICHU: b"<< %s/FT /Tx /T (Ghichu) /Rect [60 180 300 200] /DA (/Helv 10 Tf 0 g) >>"
                      % wid,
            F_OVERLAY: b"<< %s/FT /Tx /T (Overlay) /Rect [%s] /DA (/Helv 12 Tf 0 g) >>"
                       % (wid, GRADES_BOX),
            F_GVCN: b"<< %s/FT /Sig /T (GVCN) /Rect [60 40 290 120] >>" % wid,
            F_HIEUTRUONG: b"<< %s/FT /Sig /T (HieuTruong) /Rect [330 40 560 120] >>" % wid,
            F_ANH: b"<< %s/FT /Tx /T (Anh) /Ff 1 /V (x) /Rect [%s] /AP << /N %d 0 R >> >>"
                   % (wid, GRADES_BOX, UNDEF_AP),
            HELV: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            W_EXTRA: b"<< %s/Parent %d 0 R /Rect [%s] /AP << /N %d 0 R >> >>"
                     % (wid, F_HIEUTRUONG, GRADES_BOX, OVERLAY_AP),
        })
        defs[3] = U.set_key(U.body(data, 3), b"Annots", b"[%s]" % b" ".join(
            b"%d 0 R" % n for n in (F_DIEMTB, F_TOAN, F_GHICHU, F_OVERLAY, F_GVCN, F_HIEUTRUONG,
                                    F_ANH)))
        defs[1] = U.set_key(U.body(data, 1), b"AcroForm", b"%d 0 R" % ACROFORM)
    return U.update(data, defs, size=100)  # above every number the bases use


# ---- forgeries: each returns the attacked bytes ----

def root_switch(data):
    """An update with only an xref section and a trailer naming the planted catalog."""
    return U.update(data, {}, trailer=b"/Size %d /Root %d 0 R /Info 7 0 R" %
                    (U.next_free(data), CAT2))


def annots_undef(data):
    """Define the annotation the page listed but nobody defined."""
    return U.update(data, {UNDEF_ANNOT: U.body(data, FREETEXT)})


def ap_undef(data):
    """Define the appearance a widget referenced but nobody defined."""
    return U.update(data, {UNDEF_AP: U.form_xobject(OVERLAY, b"0 0 215 92")})


def annots_planted(data):
    """A new /Annots on the page, listing the planted FreeText annotation."""
    return U.update(data, {3: U.add_to_array(U.body(data, 3), b"Annots", b"%d 0 R" % FREETEXT)})


def widget_into_sigfield(data):
    """The planted widget whose /Parent is the empty signature field is
    put on the page: its appearance covers the grades."""
    return U.update(data, {3: U.add_to_array(U.body(data, 3), b"Annots", b"%d 0 R" % W_EXTRA)})


def planted_then_freed(data):
    """The planted annotation listed on the page and freed in the same
    update: viewers that rebuild the cross-reference find it."""
    return U.update(data, {3: U.add_to_array(U.body(data, 3), b"Annots", b"%d 0 R" % FREETEXT)},
                    free=[FREETEXT])


def hidden_definition(data):
    """A reference to an object no cross-reference defines, whose only
    definition hides in a stream: viewers that rebuild find it."""
    return U.update(data, {3: U.add_to_array(U.body(data, 3), b"Annots", b"%d 0 R" % HIDDEN)})


def annots_twice(data):
    """A widget of the form listed a second time in the page's /Annots: a
    viewer draws it twice."""
    return U.update(data, {3: U.add_to_array(U.body(data, 3), b"Annots", b"%d 0 R" % F_DIEMTB)})


def planted_sigfield(data):
    """The planted signature widget added to the form and the page."""
    form = U.body(data, ACROFORM)
    return U.update(data, {3: U.add_to_array(U.body(data, 3), b"Annots", b"%d 0 R" % SIGWIDGET),
                           ACROFORM: U.add_to_array(form, b"Fields", b"%d 0 R" % SIGWIDGET)})


def replace_object(num, old, new):
    def f(data):
        return U.update(data, {num: U.body(data, num).replace(old, new)})
    f.__doc__ = "object %d: %r -> %r" % (num, old, new)
    return f


def font_differences(data):
    """The font named /Parent gets /Differences that draw '6' as '9'."""
    return U.update(data, {FONT_PARENT: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                           b"/Encoding << /BaseEncoding /WinAnsiEncoding /Differences [54 /nine] >> >>"})


def names_js(data):
    """A JavaScript name tree added to the catalog."""
    return U.update(data, {1: U.set_key(U.body(data, 1), b"Names",
                                        b"<< /JavaScript << /Names [(a) %d 0 R] >> >>" % JS)})


def names_undef(data):
    """Define the name dictionary the catalog referenced but nobody
    defined, with a JavaScript name tree."""
    return U.update(data, {UNDEF_NAMES: b"<< /JavaScript << /Names [(a) %d 0 R] >> >>" % JS})


def open_action(data):
    return U.update(data, {1: U.set_key(U.body(data, 1), b"OpenAction", b"%d 0 R" % JS)})


def annot_with_js(data):
    """A new link annotation whose action runs JavaScript."""
    n = U.next_free(data)
    return U.update(data, {n: b"<< /Type /Annot /Subtype /Link /Rect [60 60 200 80] /Border [0 0 0] "
                           b"/A %d 0 R >>" % JS,
                           3: U.add_to_array(U.body(data, 3), b"Annots", b"%d 0 R" % n)})


def lock_appearance(data):
    """A new empty signature field whose /Lock is its own appearance
    stream, drawn over the grades."""
    n = U.next_free(data)
    f, ap = n, n + 1
    return U.update(data, {
        f: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Moi) /Rect [%s] /F 4 /P 3 0 R "
           b"/AP << /N %d 0 R >> /Lock %d 0 R >>" % (GRADES_BOX, ap, ap),
        ap: U.form_xobject(OVERLAY, b"0 0 215 92"),
        3: U.add_to_array(U.body(data, 3), b"Annots", b"%d 0 R" % f),
        ACROFORM: U.add_to_array(U.body(data, ACROFORM), b"Fields", b"%d 0 R" % f)})


def parent_value(data):
    """/V set on the parent of a kid without a value of its own."""
    return U.update(data, {F_GRADES: U.set_key(U.body(data, F_GRADES), b"V", b"(9.5)")})


def dss(count):
    def f(data):
        n = U.next_free(data)
        rng = random.Random(count)
        defs = {n: b"<< /Certs [%s] >>" % b" ".join(b"%d 0 R" % (n + 1 + i) for i in range(count))}
        for i in range(count):
            defs[n + 1 + i] = U.stream(bytes(rng.getrandbits(8) for _ in range(64)).hex().encode())
        defs[1] = U.set_key(U.body(data, 1), b"DSS", b"%d 0 R" % n)
        return U.update(data, defs)
    f.__doc__ = "a DSS with %d streams" % count
    return f


def many_objects(count, touch_content):
    def f(data):
        n = U.next_free(data)
        defs = {n + i: b"(x)" for i in range(count)}
        if touch_content:
            defs[4] = U.stream(forged_content(data))
        return U.update(data, defs)
    f.__doc__ = "%d new objects%s" % (count, ", and the page content forged" if touch_content else "")
    return f


def high_number(data):
    """The page's content moved to a new object numbered 999999."""
    return U.update(data, {999999: U.stream(forged_content(data)),
                           3: U.set_key(U.body(data, 3), b"Contents", b"999999 0 R")})


def new_freetext(data):
    """A new FreeText annotation drawn over the grades."""
    n = U.next_free(data)
    return U.update(data, {
        n: b"<< /Type /Annot /Subtype /FreeText /Rect [%s] /Contents (9.5) /DA (/Helv 12 Tf 0 g) "
           b"/F 4 /AP << /N %d 0 R >> >>" % (GRADES_BOX, n + 1),
        n + 1: U.form_xobject(OVERLAY, b"0 0 215 92"),
        3: U.add_to_array(U.body(data, 3), b"Annots", b"%d 0 R" % n)})


def fill(field, value, box=b"0 0 215 92"):
    """Fill a text field: its value and an appearance that shows it."""
    def f(data):
        n = U.next_free(data)
        ap = U.form_xobject(b"/Tx BMC 1 1 1 rg 0 0 215 92 re f 0 0 0 rg BT /Helv 12 Tf 4 40 Td "
                            b"(%s) Tj ET EMC" % value, box, b"<< /Font << /Helv %d 0 R >> >>" % HELV)
        body = U.set_key(U.set_key(U.body(data, field), b"V", b"(%s)" % value), b"AP",
                         b"<< /N %d 0 R >>" % n)
        return U.update(data, {n: ap, field: body})
    f.__doc__ = "field %d filled with %r" % (field, value)
    return f
