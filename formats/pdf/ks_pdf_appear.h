/* ks_pdf_appear: the appearance stream of a visible signature (ISO
 * 32000-1 12.5.5, 12.7.4.5): a form XObject showing, in Vietnamese, who
 * signed, in which role, when and why, in an embedded subset of DejaVu
 * Sans so every diacritic renders and the text extracts. */
#ifndef KS_PDF_APPEAR_H
#define KS_PDF_APPEAR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ks_err.h"

struct ks_pdf_update;

/* Largest font size the layout uses (points). */
#define KS_PDF_APPEAR_MAX_SIZE 11.0
/* Smallest text a box chosen by the signer may get (points): below this
 * the printed signature cannot be read. */
#define KS_PDF_APPEAR_MIN_SIZE 6.0

struct ks_pdf_appear_text {
	const char *signer;   /* "Ký bởi: ..." (UTF-8, required) */
	const char *role;     /* "Chức vụ: ...", NULL or "" to leave out */
	const char *reason;   /* "Lý do: ...", NULL or "" to leave out */
	const char *location; /* "Nơi ký: ...", NULL or "" to leave out */
	time_t when;          /* "Thời gian: dd/mm/yyyy HH:MM +07:00" */
	int tz_min;           /* UTC offset shown, minutes */
	int rotate;           /* the page's /Rotate (0, 90, 180, 270): the text is
			       * turned so that it reads upright on screen */
	double min_size;      /* 0, or refuse (KS_ERR_ARG) a box whose text would be
			       * smaller than this many points */
};

/* Build the form XObject (w x h points as displayed, i.e. after the
 * page's rotation) and its font as new objects of
 * `u`.  *xobj_num is the form's object number (for /AP /N); *font_bytes
 * the size of the embedded font program (may be NULL).  `font_path` NULL
 * is the default font. */
KS_WUR int ks_pdf_appear_build(struct ks_pdf_update *u, const char *font_path,
			       const struct ks_pdf_appear_text *t, double w, double h,
			       uint32_t *xobj_num, size_t *font_bytes);

#endif
