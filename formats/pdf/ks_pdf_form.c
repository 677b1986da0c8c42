/* ks_pdf_form: form fields, certification state and pages. */
#include "ks_pdf_form.h"

#include <stdlib.h>
#include <string.h>

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

/* A PDF text string (PDFDocEncoding or UTF-16BE with BOM, 7.9.2.2) as
 * UTF-8, for comparing field names.  Non-ASCII PDFDocEncoding bytes are
 * taken as Latin-1 (they agree on letters). */
int ks_pdf_text_to_utf8(const uint8_t *s, size_t n, struct ks_buf *out)
{
	size_t i;
	uint32_t cp;

	if (n >= 2 && s[0] == 0xfe && s[1] == 0xff) {
		for (i = 2; i + 1 < n; i += 2) {
			cp = (uint32_t)s[i] << 8 | s[i + 1];
			if (cp >= 0xd800 && cp <= 0xdbff && i + 3 < n) {
				uint32_t lo = (uint32_t)s[i + 2] << 8 | s[i + 3];

				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 2;
				}
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			if (cp < 0x80) {
				if (ks_buf_append_byte(out, (uint8_t)cp) < 0)
					return -1;
			} else if (cp < 0x800) {
				if (ks_buf_append_byte(out, (uint8_t)(0xc0 | (cp >> 6))) < 0 ||
				    ks_buf_append_byte(out, (uint8_t)(0x80 | (cp & 0x3f))) < 0)
					return -1;
			} else if (cp < 0x10000) {
				if (ks_buf_append_byte(out, (uint8_t)(0xe0 | (cp >> 12))) < 0 ||
				    ks_buf_append_byte(out, (uint8_t)(0x80 | ((cp >> 6) & 0x3f))) <
					0 ||
				    ks_buf_append_byte(out, (uint8_t)(0x80 | (cp & 0x3f))) < 0)
					return -1;
			} else if (ks_buf_append_byte(out, (uint8_t)(0xf0 | (cp >> 18))) < 0 ||
				   ks_buf_append_byte(out, (uint8_t)(0x80 | ((cp >> 12) & 0x3f))) <
				       0 ||
				   ks_buf_append_byte(out, (uint8_t)(0x80 | ((cp >> 6) & 0x3f))) <
				       0 ||
				   ks_buf_append_byte(out, (uint8_t)(0x80 | (cp & 0x3f))) < 0) {
				return -1;
			}
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (s[i] < 0x80) {
			if (ks_buf_append_byte(out, s[i]) < 0)
				return -1;
		} else if (ks_buf_append_byte(out, (uint8_t)(0xc0 | (s[i] >> 6))) < 0 ||
			   ks_buf_append_byte(out, (uint8_t)(0x80 | (s[i] & 0x3f))) < 0) {
			return -1;
		}
	}
	return 0;
}

static int add_field(struct ks_pdf_form *s, const struct ks_pdf_field *f)
{
	struct ks_pdf_field *nf;

	if (s->n_fields >= KS_PDF_FORM_MAX_FIELDS)
		return KS_SET(KS_ERR_LIMIT, "more than %d form fields", KS_PDF_FORM_MAX_FIELDS);
	if ((s->n_fields & 63) == 0) {
		nf = realloc(s->fields, (s->n_fields + 64) * sizeof(*nf));
		if (nf == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		s->fields = nf;
	}
	s->fields[s->n_fields++] = *f;
	return 0;
}

/* Walk the field tree (ISO 32000-1 12.7.3.1): record every terminal field
 * with its fully qualified name, type (inheritable /FT) and widget. */
static int walk_fields(struct ks_pdf_form *s, const struct ks_pdf_val *kids, const char *parent,
		       bool parent_sig, int depth)
{
	struct ks_pdf_val *node = NULL, *arr = NULL;
	struct ks_buf name;
	size_t i;
	int rc = -1;

	ks_buf_init(&name, 4 * KS_PDF_FORM_MAX_NAME);
	if (depth > KS_PDF_FORM_MAX_DEPTH)
		KS_BAIL(KS_ERR_LIMIT, "form field tree deeper than %d", KS_PDF_FORM_MAX_DEPTH);
	KS_GUARD(ks_pdf_form_resolve(s->rd, kids, &arr));
	if (arr == NULL || arr->type != KS_PV_ARRAY) {
		rc = 0; /* no kids: nothing to walk */
		goto out;
	}
	for (i = 0; i < arr->n; i++) {
		const struct ks_pdf_val *ref = arr->items[i], *t, *ft, *k;
		struct ks_pdf_field f;
		bool is_sig;

		if (ref->type != KS_PV_REF)
			continue; /* 12.7.3.1: kids are indirect; skip junk */
		ks_pdf_val_free(node);
		node = NULL;
		KS_GUARD(ks_pdf_rd_get(s->rd, ref->num, ref->gen, &node));
		if (node == NULL || node->type != KS_PV_DICT)
			continue;
		t = ks_pdf_val_get(node, "T");
		ft = ks_pdf_val_get(node, "FT");
		k = ks_pdf_val_get(node, "Kids");
		is_sig = ft != NULL ? ks_pdf_val_is_name(ft, "Sig") : parent_sig;
		ks_buf_reset(&name);
		if (t != NULL && t->type == KS_PV_STRING) {
			if (parent[0] != '\0')
				KS_GUARD(ks_buf_printf(&name, "%s.", parent));
			KS_GUARD(ks_pdf_text_to_utf8(t->s, t->len, &name));
		} else {
			KS_GUARD(ks_buf_append_str(&name, parent));
		}
		KS_GUARD(ks_buf_append_byte(&name, '\0'));
		if (k != NULL && (t != NULL || ks_pdf_val_get(node, "Subtype") == NULL)) {
			/* A non-terminal field, or a terminal one whose kids are
			 * widgets: look at the kids. */
			const struct ks_pdf_val *kk = NULL;
			struct ks_pdf_val *karr = NULL;
			bool widgets_only = true;
			size_t j;

			KS_GUARD(ks_pdf_form_resolve(s->rd, k, &karr));
			for (j = 0; karr != NULL && karr->type == KS_PV_ARRAY && j < karr->n; j++) {
				struct ks_pdf_val *kid = NULL;

				if (karr->items[j]->type != KS_PV_REF)
					continue;
				if (ks_pdf_rd_get(s->rd, karr->items[j]->num, karr->items[j]->gen,
						  &kid) < 0) {
					ks_pdf_val_free(karr);
					goto out;
				}
				if (kid != NULL && ks_pdf_val_get(kid, "T") != NULL)
					widgets_only = false;
				if (kk == NULL)
					kk = karr->items[j];
				ks_pdf_val_free(kid);
			}
			if (!widgets_only || kk == NULL) {
				ks_pdf_val_free(karr);
				KS_GUARD(
				    walk_fields(s, k, (const char *)name.data, is_sig, depth + 1));
				continue;
			}
			/* Terminal field with widget kids: the first widget. */
			memset(&f, 0, sizeof(f));
			f.widget_num = kk->num;
			f.widget_gen = kk->gen;
			ks_pdf_val_free(karr);
		} else {
			memset(&f, 0, sizeof(f));
			f.widget_num = ref->num;
			f.widget_gen = ref->gen;
		}
		f.num = ref->num;
		f.gen = ref->gen;
		f.is_sig = is_sig;
		f.is_signed = is_sig && ks_pdf_val_get(node, "V") != NULL &&
			      ks_pdf_val_get(node, "V")->type != KS_PV_NULL;
		if (strlen((const char *)name.data) > KS_PDF_FORM_MAX_NAME)
			continue; /* cannot be named by the user anyway */
		memcpy(f.name, name.data, strlen((const char *)name.data) + 1);
		if (f.is_signed)
			s->n_signed++;
		KS_GUARD(add_field(s, &f));
	}
	rc = 0;
out:
	ks_pdf_val_free(node);
	ks_pdf_val_free(arr);
	ks_buf_cleanup(&name);
	return rc;
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

/* Page `index` (0-based) through the page tree (7.7.3), using /Count to
 * skip subtrees; *count gets the document's page count. */
int ks_pdf_form_find_page(struct ks_pdf_rd *rd, const struct ks_pdf_val *catalog, size_t index,
			  uint32_t *num, uint16_t *gen, size_t *count)
{
	struct ks_pdf_val *node = NULL, *kids = NULL;
	const struct ks_pdf_val *pages = ks_pdf_val_get(catalog, "Pages"), *c;
	uint32_t cur_num;
	uint16_t cur_gen;
	size_t visited = 0, i;
	int depth = 0, rc = -1;

	if (pages == NULL || pages->type != KS_PV_REF)
		KS_BAIL(KS_ERR_PDF, "the catalog has no page tree");
	cur_num = pages->num;
	cur_gen = pages->gen;
	KS_GUARD(ks_pdf_rd_get(rd, cur_num, cur_gen, &node));
	c = ks_pdf_val_get(node, "Count");
	if (node == NULL || c == NULL || c->type != KS_PV_INT || c->i < 0)
		KS_BAIL(KS_ERR_PDF, "the page tree root has no valid /Count");
	*count = (size_t)c->i;
	if (index >= *count)
		KS_BAIL(KS_ERR_ARG, "page %zu is out of range: the document has %zu page%s",
			index + 1, *count, *count == 1 ? "" : "s");
	for (;;) {
		bool descended = false;

		if (++depth > KS_PDF_FORM_MAX_PAGE_DEPTH)
			KS_BAIL(KS_ERR_LIMIT, "page tree deeper than %d",
				KS_PDF_FORM_MAX_PAGE_DEPTH);
		if (!ks_pdf_val_is_name(ks_pdf_val_get(node, "Type"), "Pages") &&
		    ks_pdf_val_get(node, "Kids") == NULL) {
			if (index != 0)
				KS_BAIL(KS_ERR_PDF, "page tree /Count values are inconsistent");
			*num = cur_num;
			*gen = cur_gen;
			break;
		}
		ks_pdf_val_free(kids);
		kids = NULL;
		KS_GUARD(ks_pdf_form_resolve(rd, ks_pdf_val_get(node, "Kids"), &kids));
		if (kids == NULL || kids->type != KS_PV_ARRAY)
			KS_BAIL(KS_ERR_PDF, "page tree node without /Kids");
		for (i = 0; i < kids->n; i++) {
			const struct ks_pdf_val *k = kids->items[i];
			size_t sub = 1;

			if (k->type != KS_PV_REF)
				KS_BAIL(KS_ERR_PDF, "page tree kid is not a reference");
			if (++visited > KS_PDF_FORM_MAX_PAGE_NODES)
				KS_BAIL(KS_ERR_LIMIT, "more than %d page tree nodes visited",
					KS_PDF_FORM_MAX_PAGE_NODES);
			ks_pdf_val_free(node);
			node = NULL;
			KS_GUARD(ks_pdf_rd_get(rd, k->num, k->gen, &node));
			if (node == NULL || node->type != KS_PV_DICT)
				KS_BAIL(KS_ERR_PDF, "page tree kid %u is not a dictionary",
					(unsigned)k->num);
			c = ks_pdf_val_get(node, "Count");
			if (ks_pdf_val_is_name(ks_pdf_val_get(node, "Type"), "Pages") ||
			    (ks_pdf_val_get(node, "Kids") != NULL && c != NULL)) {
				if (c == NULL || c->type != KS_PV_INT || c->i < 0)
					KS_BAIL(KS_ERR_PDF, "page tree node without /Count");
				sub = (size_t)c->i;
			}
			if (index < sub) {
				cur_num = k->num;
				cur_gen = k->gen;
				descended = true;
				break;
			}
			index -= sub;
		}
		if (!descended)
			KS_BAIL(KS_ERR_PDF, "page tree /Count values are inconsistent");
	}
	rc = 0;
out:
	ks_pdf_val_free(node);
	ks_pdf_val_free(kids);
	return rc;
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
		KS_GUARD(walk_fields(f, ks_pdf_val_get(f->af, "Fields"), "", false, 0));
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
