/* Shared by the render files: one PDF being drawn with libharu (pages,
 * fonts, text that fits, tables, the QR code, signature fields), the form
 * update that adds the fields, and Vietnamese upper case. */
#ifndef KS_RENDER_INT_H
#define KS_RENDER_INT_H

#include <hpdf.h>
#include <stdbool.h>
#include <stddef.h>

#include "formats/render/ks_render.h"

/* A4 in points, and the margins of every layout. */
#define KS_RD_PAGE_W 595.28
#define KS_RD_PAGE_H 841.89
#define KS_RD_LEFT 42.0
#define KS_RD_RIGHT (KS_RD_PAGE_W - 42.0)
#define KS_RD_TOP (KS_RD_PAGE_H - 40.0)
#define KS_RD_BOTTOM 40.0 /* above the footer */
#define KS_RD_WIDTH (KS_RD_RIGHT - KS_RD_LEFT)
/* Signature fields of one document. */
#define KS_RD_MAX_FIELDS 3
/* Lines of one wrapped paragraph. */
#define KS_RD_MAX_LINES 40

enum ks_rd_align { KS_RD_LEFT_AL, KS_RD_CENTER, KS_RD_RIGHT_AL };

/* An empty signature field: where it is and what it is called. */
struct ks_rd_field {
	const char *name;    /* partial field name (/T), ASCII */
	const char *tooltip; /* /TU, UTF-8 */
	size_t page;         /* 0-based */
	double x, y, w, h;   /* lower-left corner and size, points */
};

/* Document information written with the fields (UTF-8 texts). */
struct ks_rd_meta {
	char title[256];
	char author[256];
	char subject[256];
	char keywords[64];
	char date[11]; /* "YYYY-MM-DD": /CreationDate at noon, Vietnam time */
};

struct ks_rd {
	HPDF_Doc pdf;
	HPDF_Font reg, bold;
	HPDF_Page pages[KS_RENDER_MAX_PAGES];
	size_t n_pages;
	double y; /* top of the free space on the last page */
	struct ks_rd_field fields[KS_RD_MAX_FIELDS];
	size_t n_fields;
	struct ks_rd_meta meta;
	char doc_id[KS_REC_ID_LEN + 1];
	char url[KS_RENDER_MAX_URL + 1];
	unsigned long hpdf_err, hpdf_detail; /* first libharu error */
};

/* A new document with the record fonts from o->font_dir and the
 * verification URL of id; ks_rd_cleanup frees it (also on error). */
KS_WUR int ks_rd_open(struct ks_rd *d, const struct ks_render_opts *o, const char *id);
void ks_rd_cleanup(struct ks_rd *d);
/* A new page; the free space starts at y_top. */
KS_WUR int ks_rd_page(struct ks_rd *d);
/* Is there room for h points on the last page? */
bool ks_rd_fits(const struct ks_rd *d, double h);
/* Footers ("Trang i/n", identifier), save, add the signature fields
 * and the metadata (ks_rd_form_update); the PDF is appended to out. */
KS_WUR int ks_rd_finish(struct ks_rd *d, struct ks_buf *out);
/* libharu's first error, if any, as a kyso error. */
KS_WUR int ks_rd_check(struct ks_rd *d);

/* Width of s in points. */
double ks_rd_width(struct ks_rd *d, bool bold, double size, const char *s);
/* Text on the last page, baseline y, aligned at x (left edge, centre or
 * right edge).  Text wider than max_w (> 0) is made smaller, down to 60%,
 * then cut with "…". */
void ks_rd_text(struct ks_rd *d, bool bold, double size, double x, double y, enum ks_rd_align al,
		double max_w, const char *s);
/* A paragraph wrapped at spaces and '\n' into width; draws when draw is
 * set (first baseline y, lines `leading` apart) and returns the number of
 * lines (at most KS_RD_MAX_LINES, which the record limits keep out of
 * reach: KS_REC_MAX_COMMENT bytes, KS_REC_MAX_COMMENT_BREAKS breaks). */
size_t ks_rd_wrap(struct ks_rd *d, bool bold, double size, double x, double y, double width,
		  double leading, const char *s, bool draw);
/* Rectangle: border of width lw (0: none), fill grey level (< 0: none),
 * dashed border when dash is set. */
void ks_rd_rect(struct ks_rd *d, double x, double y, double w, double h, double lw, double fill,
		bool dash);
void ks_rd_line(struct ks_rd *d, double x1, double y1, double x2, double y2, double lw);
/* The verification URL as a QR code in the square (x, y, size) of the
 * last page, quiet zone included. */
KS_WUR int ks_rd_qr(struct ks_rd *d, double x, double y, double size);
/* The signature block at the bottom of the last page (a new page when it
 * does not fit): "place, ngày d tháng m năm y", three captioned dashed
 * boxes with the names under them, and the three fields. */
#define KS_RD_SIGN_BLOCK_H 132.0
struct ks_rd_signer {
	const char *field;   /* field name */
	const char *caption; /* "HIỆU TRƯỞNG" */
	const char *hint;    /* "(Ký số)" */
	const char *name;    /* printed under the box */
	const char *tooltip; /* /TU */
};
KS_WUR int ks_rd_sign_block(struct ks_rd *d, const char *place, const char *date,
			    const struct ks_rd_signer signers[KS_RD_MAX_FIELDS]);
/* Header left column: authority and school name in capitals, centred
 * over width w from x, top baseline y. */
void ks_rd_school_head(struct ks_rd *d, const struct ks_rec_school *s, double x, double y,
		       double w);

/* Check a record font before libharu reads it (ks_render_font.c). */
KS_WUR int ks_rd_font_check(const char *path);

/* UTF-8 s in Vietnamese capitals (record characters) into out. */
void ks_rd_upper(const char *s, char *out, size_t n);

/* The form update (ks_render_form.c): appends to the libharu PDF in base
 * one incremental update with the AcroForm, the signature fields and
 * their widgets on their pages, a correct /ToUnicode for the record fonts,
 * the document information and /Lang; the whole file goes to out. */
KS_WUR int ks_rd_form_update(const uint8_t *base, size_t n, const struct ks_rd_field *fields,
			     size_t n_fields, const struct ks_rd_meta *meta, struct ks_buf *out);

#endif
