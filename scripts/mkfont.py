#!/usr/bin/env python3
"""Build a record font for kyso render: DejaVu Sans cut to the characters a
record may contain, with every composite glyph decomposed into plain
outlines.

Why: libharu 2.3.0 embeds TrueType glyphs itself and drops the parts of
nested composite glyphs, so DejaVu Sans prints "Nguyễn" as "Nguyen" (the
letter with both a circumflex and a tilde is a composite of composites).
Decomposed glyphs print whole.  Keeping only the record character set
(formats/render/ks_render_chars.h, read here so the parser and the font
cannot disagree) and dropping hinting and layout tables makes each embedded
font a few kilobytes instead of ~80.

usage: mkfont.py SOURCE.ttf OUT.ttf CHARS_HEADER
Fails (exit 1) when the source font lacks a character of the set."""
import re
import sys

from fontTools import subset
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont


def charset(header):
    text = open(header, encoding="utf-8").read()
    ranges = [(int(a, 16), int(b, 16))
              for a, b in re.findall(r"X\(0x([0-9A-Fa-f]+), 0x([0-9A-Fa-f]+)\)", text)]
    if not ranges:
        sys.exit(f"mkfont: no character ranges found in {header}")
    return [cp for a, b in ranges for cp in range(a, b + 1)]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, dst, header = sys.argv[1:]
    cps = charset(header)
    font = TTFont(src)
    cmap = font.getBestCmap()
    missing = [f"U+{cp:04X}" for cp in cps if cp not in cmap]
    if missing:
        sys.exit(f"mkfont: {src} lacks {len(missing)} characters: {' '.join(missing[:20])}")

    opts = subset.Options()
    opts.hinting = False
    opts.layout_features = []
    opts.notdef_outline = True
    opts.name_IDs = ["*"]
    opts.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "MATH", "FFTM", "gasp"]
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=cps)
    sub.subset(font)

    glyf = font["glyf"]
    glyphs = font.getGlyphSet()
    for name in font.getGlyphOrder():
        if glyf[name].isComposite():
            rec = DecomposingRecordingPen(glyphs)
            glyphs[name].draw(rec)
            pen = TTGlyphPen(None)
            rec.replay(pen)
            glyf[name] = pen.glyph()
    left = [n for n in font.getGlyphOrder() if glyf[n].isComposite()]
    if left:
        sys.exit(f"mkfont: composite glyphs left: {left[:10]}")
    font.save(dst)


if __name__ == "__main__":
    main()
