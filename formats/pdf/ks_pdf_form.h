/* ks_pdf_form: the parts of a document a signature touches, read through
 * ks_pdf_rd: the interactive form (AcroForm, its terminal fields and the
 * signature fields among them, ISO 32000-1 12.7), the certification state
 * (catalog /Perms /DocMDP, 12.8.2.2) and the pages (7.7.3). */
#ifndef KS_PDF_FORM_H
#define KS_PDF_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/pdf/ks_pdf_rd.h"
#include "formats/pdf/ks_pdf_val.h"
#include "ks_buf.h"
#include "ks_err.h"

/* Bytes of a fully qualified field name (UTF-8) that --field can name. */
#define KS_PDF_FORM_MAX_NAME 127

/* A terminal form field. */
struct ks_pdf_field {
	uint32_t num; /* the field object */
	uint16_t gen;
	uint32_t widget_num; /* its (first) widget: itself when merged */
	uint16_t widget_gen;
	bool is_sig;                         /* /FT /Sig (inheritable) */
	bool is_signed;                      /* and has a /V */
	char name[KS_PDF_FORM_MAX_NAME + 1]; /* fully qualified, UTF-8 */
};

struct ks_pdf_form {
	struct ks_pdf_rd *rd;  /* not owned */
	struct ks_pdf_val *af; /* copy of the AcroForm dictionary, NULL if none */
	uint32_t af_num;       /* its object; 0 when inline in the catalog */
	uint16_t af_gen;
	struct ks_pdf_field *fields; /* owned */
	size_t n_fields;
	size_t n_signed;
	/* The furthest byte any signature's /ByteRange covers (0: none). */
	uint64_t covered_end;
	bool certified; /* the catalog has /Perms /DocMDP */
	int docmdp_p;   /* its P (1..3) when certified */
};

/* Read the form and certification state of the document whose catalog
 * (a copy) is `catalog`. */
KS_WUR int ks_pdf_form_load(struct ks_pdf_rd *rd, const struct ks_pdf_val *catalog,
			    struct ks_pdf_form *f);
void ks_pdf_form_cleanup(struct ks_pdf_form *f);
/* The field with this fully qualified name, or NULL. */
const struct ks_pdf_field *ks_pdf_form_field(const struct ks_pdf_form *f, const char *name);

/* *out = a copy of `v`, resolved when it is a reference (NULL when v is
 * NULL or refers to a missing object). */
KS_WUR int ks_pdf_form_resolve(struct ks_pdf_rd *rd, const struct ks_pdf_val *v,
			       struct ks_pdf_val **out);
/* Page `index` (0-based) of the page tree; *count gets the page count.
 * An index past the end is KS_ERR_ARG naming the page (1-based) and the
 * count.  (catalog is unused: the reader knows the page tree.) */
KS_WUR int ks_pdf_form_find_page(struct ks_pdf_rd *rd, const struct ks_pdf_val *catalog,
				 size_t index, uint32_t *num, uint16_t *gen, size_t *count);
/* The /Rotate (0, 90, 180, 270) and visible box (crop box, else media
 * box, inherited from the page tree: 7.7.3.4) of page object page_num:
 * KS_ERR_PDF when it is no page of the document or /Rotate is not a
 * multiple of 90. */
KS_WUR int ks_pdf_form_page_geometry(struct ks_pdf_rd *rd, uint32_t page_num, int *rotate,
				     double box[4]);

#endif
