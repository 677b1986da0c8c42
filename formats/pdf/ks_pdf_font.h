/* ks_pdf_font: a TrueType font embedded in a PDF as a CID-keyed Type 0
 * font (ISO 32000-1 9.7) holding only the glyphs a text uses.
 *
 * Text is shaped with HarfBuzz (hb_shape: kerning, composed Vietnamese
 * glyphs, mark positioning) and the font is cut down with the HarfBuzz
 * subsetter, which keeps the components of composite glyphs (ễ, ồ, ữ in
 * DejaVu Sans are composites).  Use: open, shape every line, subset once,
 * then write content with ks_pdf_font_show() and the font objects with
 * ks_pdf_font_emit().  Glyph ids in content are the subset's glyph ids
 * (CIDToGIDMap /Identity). */
#ifndef KS_PDF_FONT_H
#define KS_PDF_FONT_H

#include <stddef.h>
#include <stdint.h>

#include "ks_buf.h"
#include "ks_err.h"

struct ks_pdf_update;

/* Debian fonts-dejavu-core (DESIGN.md: signature appearance fonts). */
#define KS_PDF_FONT_DEFAULT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
/* A font file larger than this is refused (DejaVu Sans is ~750 KB). */
#define KS_PDF_FONT_MAX_FILE ((size_t)32 << 20)
/* UTF-8 bytes of one shaped line. */
#define KS_PDF_FONT_MAX_TEXT ((size_t)2048)
/* Distinct glyphs one font object may carry. */
#define KS_PDF_FONT_MAX_USED ((size_t)1024)

/* One positioned glyph; advances and offsets in 1/1000 em (PDF glyph
 * space, ISO 32000-1 9.2.4), gid in the original font. */
struct ks_pdf_glyph {
	uint32_t gid;
	uint32_t cluster; /* byte offset in the shaped text of its cluster */
	int32_t adv, dx, dy;
};

struct ks_pdf_run {
	struct ks_pdf_glyph *g; /* owned (NULL in a slice made by the caller) */
	size_t n;
	int32_t width; /* sum of advances, 1/1000 em */
};

struct ks_pdf_font;

/* Load the font at `path` (NULL: KS_PDF_FONT_DEFAULT_PATH). */
KS_WUR int ks_pdf_font_open(const char *path, struct ks_pdf_font **out);
void ks_pdf_font_free(struct ks_pdf_font *f);

/* Shape one line of UTF-8 text (NFC or NFD; control characters are
 * refused) and record the glyphs it uses.  Fails after ks_pdf_font_subset. */
KS_WUR int ks_pdf_font_shape(struct ks_pdf_font *f, const char *utf8, struct ks_pdf_run *run);
void ks_pdf_run_cleanup(struct ks_pdf_run *run);

/* Keep the characters of utf8 in the subset too, as their nominal glyphs,
 * though no text shaped uses them: texts that differ only in these (the
 * digits of a time) then share one subset.  Before ks_pdf_font_subset;
 * a character the font lacks is left out. */
KS_WUR int ks_pdf_font_keep_chars(struct ks_pdf_font *f, const char *utf8);

/* Ascender and descender (negative) in 1/1000 em. */
void ks_pdf_font_vmetrics(const struct ks_pdf_font *f, int32_t *ascent, int32_t *descent);

/* Cut the font down to the glyphs shaped so far.  Call once. */
KS_WUR int ks_pdf_font_subset(struct ks_pdf_font *f);
/* Size in bytes of the subset font program (after ks_pdf_font_subset). */
size_t ks_pdf_font_subset_size(const struct ks_pdf_font *f);

/* Append the text-showing operators for `run` (a TJ array, with text rise
 * where a glyph is offset vertically) to `content`.  The caller has set
 * the font and size (Tf) and position; `size` is that font size. */
KS_WUR int ks_pdf_font_show(const struct ks_pdf_font *f, const struct ks_pdf_run *run, double size,
			    struct ks_buf *content);

/* Write the Type 0 font, its CIDFontType2 descendant, font descriptor,
 * FontFile2 and ToUnicode CMap as new objects of `u`; *font_num is the
 * object number of the Type 0 font to put in a /Font resource dictionary. */
KS_WUR int ks_pdf_font_emit(struct ks_pdf_font *f, struct ks_pdf_update *u, uint32_t *font_num);

#endif
