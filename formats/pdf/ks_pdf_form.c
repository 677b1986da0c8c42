/* ks_pdf_form: form fields, certification state and pages, through the
 * one PDF reader (fields, pages and their inherited attributes are walked
 * as verification walks them). */
#include "ks_pdf_form.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdfdoc.h"

int ks_pdf_form_resolve(struct ks_pdf_rd *rd, const struct ks_pdf_val *v, struct ks_pdf_val **out)
{
	*out = NULL;
	if (v == NULL)
		return 0;
	if (v->type == KS_PV_REF)
		return ks_pdf_rd_get(rd, v->num, v->gen, out);
	*out = ks_pdf_val_dup(v);
	return *out == NULL ? -1 : 0;
}

static int add_field(struct ks_pdf_form *s, const struct ks_pdf_field *f)
{
	struct ks_pdf_field *nf;

	if ((s->n_fields & 63) == 0) {
		nf = realloc(s->fields, (s->n_fields + 64) * sizeof(*nf));
		if (nf == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		s->fields = nf;
	}
	s->fields[s->n_fields++] = *f;
	return 0;
}

/* Note how far a signature value's /ByteRange [0 a b c] reaches (b + c). */
static void covered(struct ks_pdf_form *s, const struct ks_pdfdoc_field *f)
{
	const struct ks_pdfobj *br = ks_pdfobj_get(f->sig, "ByteRange");
	int64_t b, c;

	if (br == NULL || br->type != KS_PDFOBJ_ARRAY || br->u.arr.n != 4 ||
	    !ks_pdfobj_int(br->u.arr.items[2], &b) || !ks_pdfobj_int(br->u.arr.items[3], &c) ||
	    b < 0 || c < 0 || b > INT64_MAX - c)
		return;
	if ((uint64_t)(b + c) > s->covered_end)
		s->covered_end = (uint64_t)(b + c);
}

/* The terminal fields of the form (ISO 32000-1 12.7.3.1), as the reader
 * walks them for verification too (names, inherited /FT, limits): each
 * with its widget, itself when merged, else its first kid. */
static int load_fields(struct ks_pdf_form *s)
{
	const struct ks_pdfdoc_field *fields;
	const struct ks_pdfobj *kids, *k;
	struct ks_pdfdoc *doc;
	struct ks_pdf_field f;
	size_t i, n, rev;

	doc = ks_pdf_rd_doc(s->rd, &rev);
	if (ks_pdfdoc_fields(doc, rev, &fields, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (fields[i].num == 0 || strlen(fields[i].name) > KS_PDF_FORM_MAX_NAME)
			continue; /* a direct field cannot be rewritten; a longer name
				   * cannot be named by the user */
		memset(&f, 0, sizeof(f));
		f.num = fields[i].num;
		f.gen = fields[i].gen;
		f.widget_num = f.num;
		f.widget_gen = f.gen;
		if (!ks_pdfobj_is_name(ks_pdfobj_get(fields[i].dict, "Subtype"), "Widget")) {
			if (ks_pdfdoc_dict_get(doc, rev, fields[i].dict, "Kids", &kids) < 0)
				return -1;
			k = kids != NULL && kids->type == KS_PDFOBJ_ARRAY && kids->u.arr.n > 0
				? kids->u.arr.items[0]
				: NULL;
			if (k != NULL && k->type == KS_PDFOBJ_REF) {
				f.widget_num = k->u.ref.num;
				f.widget_gen = k->u.ref.gen;
			}
		}
		covered(s, &fields[i]);
		f.is_sig = ks_pdfobj_is_name(fields[i].ft, "Sig");
		f.is_signed =
		    f.is_sig && fields[i].v != NULL && fields[i].v->type != KS_PDFOBJ_NULL;
		memcpy(f.name, fields[i].name, strlen(fields[i].name) + 1);
		if (f.is_signed)
			s->n_signed++;
		if (add_field(s, &f) < 0)
			return -1;
	}
	return 0;
}

/* Catalog /Perms /DocMDP: the document is certified; find P (12.8.2.2). */
static int read_docmdp(struct ks_pdf_form *s, const struct ks_pdf_val *catalog)
{
	struct ks_pdf_val *perms = NULL, *sig = NULL, *refs = NULL;
	const struct ks_pdf_val *d;
	size_t i;
	int rc = -1;

	KS_GUARD(ks_pdf_form_resolve(s->rd, ks_pdf_val_get(catalog, "Perms"), &perms));
	d = ks_pdf_val_get(perms, "DocMDP");
	if (d == NULL) {
		rc = 0;
		goto out;
	}
	s->certified = true;
	s->docmdp_p = 2; /* Table 254: default P */
	KS_GUARD(ks_pdf_form_resolve(s->rd, d, &sig));
	KS_GUARD(ks_pdf_form_resolve(s->rd, ks_pdf_val_get(sig, "Reference"), &refs));
	for (i = 0; refs != NULL && refs->type == KS_PV_ARRAY && i < refs->n; i++) {
		struct ks_pdf_val *r = NULL, *tp = NULL;
		const struct ks_pdf_val *p;

		KS_GUARD(ks_pdf_form_resolve(s->rd, refs->items[i], &r));
		if (ks_pdf_val_is_name(ks_pdf_val_get(r, "TransformMethod"), "DocMDP") &&
		    ks_pdf_form_resolve(s->rd, ks_pdf_val_get(r, "TransformParams"), &tp) == 0) {
			p = ks_pdf_val_get(tp, "P");
			if (p != NULL && p->type == KS_PV_INT && p->i >= 1 && p->i <= 3)
				s->docmdp_p = (int)p->i;
		}
		ks_pdf_val_free(tp);
		ks_pdf_val_free(r);
	}
	rc = 0;
out:
	ks_pdf_val_free(perms);
	ks_pdf_val_free(sig);
	ks_pdf_val_free(refs);
	return rc;
}

/* Page `index` (0-based) as the reader walks the page tree (7.7.3); *count
 * gets the page count. */
int ks_pdf_form_find_page(struct ks_pdf_rd *rd, const struct ks_pdf_val *catalog, size_t index,
			  uint32_t *num, uint16_t *gen, size_t *count)
{
	const struct ks_pdfdoc_page *pg;
	struct ks_pdfdoc *doc;
	size_t rev;

	(void)catalog;
	doc = ks_pdf_rd_doc(rd, &rev);
	if (ks_pdfdoc_page_count(doc, rev, count) < 0)
		return -1;
	if (*count == 0)
		return KS_SET(KS_ERR_PDF,
			      "the document has no pages: a signature field needs a page to sit on "
			      "(the file is not a usable document)");
	if (index >= *count)
		return KS_SET(KS_ERR_ARG, "page %zu is out of range: the document has %zu page%s",
			      index + 1, *count, *count == 1 ? "" : "s");
	if (ks_pdfdoc_page(doc, rev, index, &pg) < 0)
		return -1;
	if (pg->num == 0)
		return KS_SET(KS_ERR_PDF, "page %zu is not an indirect object", index + 1);
	*num = pg->num;
	*gen = pg->gen;
	return 0;
}

/* A rectangle [a b c d] as llx lly urx ury; false when it is not four
 * finite numbers. */
static bool box_of(const struct ks_pdfobj *a, double box[4])
{
	double v[4];
	size_t i;

	if (a == NULL || a->type != KS_PDFOBJ_ARRAY || a->u.arr.n != 4)
		return false;
	for (i = 0; i < 4; i++)
		if (!ks_pdfobj_number(a->u.arr.items[i], &v[i]) || !isfinite(v[i]))
			return false;
	box[0] = fmin(v[0], v[2]);
	box[1] = fmin(v[1], v[3]);
	box[2] = fmax(v[0], v[2]);
	box[3] = fmax(v[1], v[3]);
	return true;
}

int ks_pdf_form_page_geometry(struct ks_pdf_rd *rd, uint32_t page_num, int *rotate, double box[4])
{
	const struct ks_pdfdoc_page *pg = NULL;
	struct ks_pdfdoc *doc;
	double media[4] = { 0, 0, 612, 792 };
	size_t rev, i, n;
	int64_t rot;

	doc = ks_pdf_rd_doc(rd, &rev);
	if (ks_pdfdoc_page_count(doc, rev, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (ks_pdfdoc_page(doc, rev, i, &pg) < 0)
			return -1;
		if (pg->num == page_num)
			break;
	}
	if (i == n)
		return KS_SET(KS_ERR_PDF, "object %u is not a page of the document",
			      (unsigned)page_num);
	rot = pg->rotate;
	if (rot % 90 != 0)
		return KS_SET(KS_ERR_PDF, "page /Rotate %lld is not a multiple of 90",
			      (long long)rot);
	rot %= 360;
	*rotate = (int)(rot < 0 ? rot + 360 : rot);
	/* 7.7.3.3: the crop box, else the media box; a missing media box is
	 * taken as US Letter, as viewers do. */
	if (!box_of(pg->cropbox, box) && !box_of(pg->mediabox, box))
		memcpy(box, media, sizeof(media));
	return 0;
}

/* Is a field with this fully qualified name already there? */
const struct ks_pdf_field *ks_pdf_form_field(const struct ks_pdf_form *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_fields; i++)
		if (strcmp(s->fields[i].name, name) == 0)
			return &s->fields[i];
	return NULL;
}

int ks_pdf_form_load(struct ks_pdf_rd *rd, const struct ks_pdf_val *catalog, struct ks_pdf_form *f)
{
	const struct ks_pdf_val *afv = ks_pdf_val_get(catalog, "AcroForm");
	int rc = -1;

	memset(f, 0, sizeof(*f));
	f->rd = rd;
	KS_GUARD(read_docmdp(f, catalog));
	if (afv != NULL && afv->type == KS_PV_REF) {
		f->af_num = afv->num;
		f->af_gen = afv->gen;
	}
	KS_GUARD(ks_pdf_form_resolve(rd, afv, &f->af));
	if (f->af != NULL && f->af->type != KS_PV_DICT) {
		/* Not a dictionary: as if absent; a new one replaces it. */
		ks_pdf_val_free(f->af);
		f->af = NULL;
		f->af_num = 0;
	}
	if (f->af != NULL)
		KS_GUARD(load_fields(f));
	rc = 0;
out:
	if (rc < 0)
		ks_pdf_form_cleanup(f);
	return rc;
}

void ks_pdf_form_cleanup(struct ks_pdf_form *f)
{
	ks_pdf_val_free(f->af);
	free(f->fields);
	f->af = NULL;
	f->fields = NULL;
	f->n_fields = 0;
}
