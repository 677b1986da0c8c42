/* Internal to PAdES signing (ks_pdf_sign.c, the driver; ks_pdf_place.c,
 * where a visible signature goes; ks_pdf_sigfield.c, the field, widget,
 * lock, form and catalog; ks_pdf_sigdict.c, the signature dictionary). */
#ifndef KS_PDF_SIGN_INT_H
#define KS_PDF_SIGN_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "formats/pdf/ks_pdf_form.h"
#include "formats/pdf/ks_pdf_rd.h"
#include "formats/pdf/ks_pdf_val.h"
#include "formats/pdf/ks_pdf_write.h"
#include "ks_buf.h"
#include "ks_err.h"
#include "ks_pades.h"

/* Annotation flags Print (bit 3) + Locked (bit 8): ISO 32000-1 12.5.3. */
#define KS_PADES_WIDGET_FLAGS 132

/* One signature being made. */
struct ks_pdf_signer {
	const struct ks_pades_opts *o;
	const struct ks_pades_cms *cms;
	struct ks_pdf_rd *rd;
	struct ks_pdf_rd_info info;
	struct ks_pdf_form form;
	struct ks_pdf_update *u;
	struct ks_pdf_val *catalog; /* copy, rewritten when dirty */
	bool catalog_dirty;
	bool af_dirty;
	const struct ks_pdf_field *target; /* existing field to fill, or NULL */
	char *cn;                          /* signer certificate CN */
	char *title;                       /* its title (role), may be NULL */
	time_t when;
	uint32_t sig_num;         /* the signature dictionary */
	uint32_t lock_num;        /* the field lock dictionary, 0 if none */
	struct ks_buf field_lock; /* TransformParams entries of an existing /Lock */
	size_t font_bytes;
	/* The page the widget is on, as displayed. */
	uint32_t page_num;
	uint16_t page_gen;
	int rotate;     /* /Rotate, 0 90 180 270 */
	double box[4];  /* /CropBox (else /MediaBox): llx lly urx ury */
	double rect[4]; /* a new widget's /Rect in page space: x y w h */
};

/* ---- ks_pdf_place.c ---- */

/* s->rotate and s->box of page s->page_num. */
KS_WUR int ks_pdf_sign_page_geometry(struct ks_pdf_signer *s);
/* A box measured on the page as displayed (x y w h) into page space. */
void ks_pdf_sign_to_page(const struct ks_pdf_signer *s, double x, double y, double w, double h,
			 double r[4]);
/* "595.28 x 841.89 pt (A4 portrait)" for messages. */
void ks_pdf_sign_page_size_text(const struct ks_pdf_signer *s, char *out, size_t n);
/* The signer's --visible box lies on page `page` as displayed. */
KS_WUR int ks_pdf_sign_check_box(const struct ks_pdf_signer *s, unsigned page);
/* The size of the target field's widget, as displayed (and its page). */
KS_WUR int ks_pdf_sign_target_rect(struct ks_pdf_signer *s, double *w, double *h);
/* The appearance dictionary (/N) of a visible signature of w x h;
 * `chosen`: the box is the signer's, not a form field's. */
KS_WUR int ks_pdf_sign_appearance(struct ks_pdf_signer *s, double w, double h, bool chosen,
				  struct ks_pdf_val **ap);

/* ---- ks_pdf_sigfield.c ---- */

KS_WUR int ks_pdf_sign_put_lock(struct ks_pdf_signer *s);
KS_WUR int ks_pdf_sign_add_field(struct ks_pdf_signer *s, struct ks_pdf_val *ap, bool visible,
				 struct ks_pades_result *res);
KS_WUR int ks_pdf_sign_fill_field(struct ks_pdf_signer *s, struct ks_pdf_val *ap,
				  struct ks_pades_result *res);
KS_WUR int ks_pdf_sign_finish_catalog(struct ks_pdf_signer *s);

/* ---- ks_pdf_sigdict.c ---- */

/* A name attribute of the certificate as UTF-8 (*out NULL when absent and
 * not required). */
KS_WUR int ks_pdf_sign_cert_attr(X509 *cert, int nid, bool required, char **out);
/* The FieldMDP entries (/Action, /Fields) of the signer's --lock. */
KS_WUR int ks_pdf_sign_lock_entries(const struct ks_pades_opts *o, struct ks_buf *b);
/* The same entries from an existing field's /Lock. */
KS_WUR int ks_pdf_sign_field_lock_entries(struct ks_pdf_signer *s, const struct ks_pdf_field *f,
					  struct ks_buf *b);
/* The signature dictionary's entries but /ByteRange and /Contents. */
KS_WUR int ks_pdf_sign_sig_entries(struct ks_pdf_signer *s, struct ks_buf *sd);

#endif
