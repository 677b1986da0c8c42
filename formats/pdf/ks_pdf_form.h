/* ks_pdf_form: the parts of a document a signature touches, read through
 * ks_pdf_rd: the interactive form (AcroForm, its field tree and the
 * signature fields in it, ISO 32000-1 12.7), the certification state
 * (catalog /Perms /DocMDP, 12.8.2.2) and the page tree (7.7.3). */
#ifndef KS_PDF_FORM_H
#define KS_PDF_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/pdf/ks_pdf_rd.h"
#include "formats/pdf/ks_pdf_val.h"
#include "ks_buf.h"
#include "ks_err.h"

/* Form fields walked. */
#define KS_PDF_FORM_MAX_FIELDS 10000
/* Nesting of the field tree (/Kids). */
#define KS_PDF_FORM_MAX_DEPTH 32
/* Bytes of a fully qualified field name (UTF-8). */
#define KS_PDF_FORM_MAX_NAME 127
/* Page tree nodes visited while looking for a page. */
#define KS_PDF_FORM_MAX_PAGE_NODES 100000
/* Depth of the page tree. */
#define KS_PDF_FORM_MAX_PAGE_DEPTH 64

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
/* Page `index` (0-based) through the page tree, using /Count to skip
 * subtrees; *count gets the page count.  An index past the end is
 * KS_ERR_ARG naming the page (1-based) and the count. */
KS_WUR int ks_pdf_form_find_page(struct ks_pdf_rd *rd, const struct ks_pdf_val *catalog,
				 size_t index, uint32_t *num, uint16_t *gen, size_t *count);
/* A PDF text string (PDFDocEncoding, or UTF-16BE with BOM; 7.9.2.2) as
 * UTF-8, appended to out.  PDFDocEncoding bytes above 0x7F are taken as
 * Latin-1 (they agree on letters). */
KS_WUR int ks_pdf_text_to_utf8(const uint8_t *s, size_t n, struct ks_buf *out);

#endif
