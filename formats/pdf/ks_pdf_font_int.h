/* ks_pdf_font_int: the font state shared by ks_pdf_font.c (loading,
 * shaping, subsetting) and ks_pdf_font_emit.c (text operators and the
 * font objects).  Not for use outside formats/pdf/. */
#ifndef KS_PDF_FONT_INT_H
#define KS_PDF_FONT_INT_H

#include <hb-subset.h>
#include <hb.h>
#include <stdbool.h>
#include <stdint.h>

#include "ks_buf.h"
#include "ks_err.h"

/* Code points one glyph may stand for in the ToUnicode CMap (a cluster). */
#define KS_PDF_FONT_MAX_CLUSTER 8
/* ToUnicode bfchar entries per block (PDF CMaps allow at most 100). */
#define KS_PDF_FONT_BFCHAR_BLOCK 100

struct used_glyph {
	uint32_t gid;
	uint32_t cps[KS_PDF_FONT_MAX_CLUSTER];
	size_t ncp;
};

struct ks_pdf_font {
	hb_face_t *face; /* for shaping, metrics and subsetting */
	hb_font_t *font;
	unsigned upem;
	struct used_glyph *used;
	size_t n_used;
	hb_set_t *unicodes;
	bool subset_done;
	struct ks_buf ttf;    /* subset font program */
	struct ks_buf zttf;   /* the same deflated (ISO 32000-1 7.4.4); empty until made */
	struct ks_buf widths; /* the /W widths of the subset's glyphs; empty until made */
	struct ks_buf ztu;    /* the ToUnicode CMap, deflated; empty until made */
	uint32_t *key;        /* what the subset depends on (its cache key) */
	size_t nkey;
	uint32_t *old_of; /* new gid -> old gid */
	uint32_t n_new;   /* glyphs in the subset */
	hb_map_t *new_of; /* old gid -> new gid (owned copy) */
	char tag[7];      /* subset tag, ISO 32000-1 9.6.4 */
	char ps_name[64]; /* PostScript name, regular characters only */
};

/* One shaped glyph as HarfBuzz gives it (font units, gid in the font). */
struct ks_pdf_shaped {
	uint32_t gid, cluster;
	int32_t x_advance, x_offset, y_offset;
};

/* The glyphs of utf8 (len bytes, validated) shaped with f's face, from
 * the lines shaped before when the same line was (ks_pdf_font_shape.c);
 * *g is the caller's to free. */
KS_WUR int ks_pdf_font_shaped(struct ks_pdf_font *f, const char *utf8, size_t len,
			      struct ks_pdf_shaped **g, unsigned *n);

/* A font-unit value in thousandths of the text size. */
int32_t ks_pdf_font_milli(const struct ks_pdf_font *f, hb_position_t v);

/* The subset program deflated into f->zttf (once). */
KS_WUR int ks_pdf_font_deflate(struct ks_pdf_font *f);
/* n bytes at p deflated (zlib, level 6) into out. */
KS_WUR int ks_pdf_font_zip(const uint8_t *p, size_t n, struct ks_buf *out);
/* Keep f->widths and f->ztu (what depends only on the subset) with the
 * cached subset, for the next signatures that reuse it. */
void ks_pdf_font_keep_derived(const struct ks_pdf_font *f);

#endif
