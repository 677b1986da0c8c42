/* ks_pdfdoc document helpers: catalog, page tree (ISO 32000-1 7.7.3) and
 * interactive form fields (12.7), each as of a revision and cached. */
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdfdoc_int.h"
#include "ks_size.h"

int ks_pdfdoc_catalog(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj **out)
{
	const struct ks_pdfobj *root = NULL;

	if (doc == NULL || rev >= doc->nrevs)
		return KS_SET(KS_ERR_ARG, "no revision %zu", rev);
	if (ks_pdfdoc_dict_get(doc, rev, doc->revs[rev].pub.trailer, "Root", &root) < 0)
		return -1;
	if (root == NULL || root->type != KS_PDFOBJ_DICT)
		return KS_SET(KS_ERR_PDF, "revision %zu: /Root is not a dictionary", rev);
	*out = root;
	return 0;
}

/* Growable array of fixed-size items, moved into the arena when done. */
/* A node seen twice in one walk is a cycle (or a shared node, which a
 * tree must not have either). */
static int visit(struct ks_pdfdoc *doc, struct ks_pd_map *seen, const struct ks_pdfobj *ref,
		 const char *what)
{
	uint64_t key;

	if (ref == NULL || ref->type != KS_PDFOBJ_REF)
		return 0;
	key = (uint64_t)ref->u.ref.num << 16 | ref->u.ref.gen;
	if (ks_pd_map_get(seen, key) != NULL)
		return KS_SET(KS_ERR_PDF, "%s: object %u reached twice (cycle)", what,
			      (unsigned)ref->u.ref.num);
	return ks_pd_map_put(doc, seen, key, PD_IN_PROGRESS);
}

/* ----------------------------------------------------------------- pages */

struct walk {
	struct ks_pdfdoc *doc;
	size_t rev;
	struct ks_pd_map seen;
	struct ks_pd_vec out;
	size_t max;
};

/* A walk of revision rev's tree collecting items of `elem` bytes, at most
 * `max` of them. */
static void walk_init(struct walk *w, struct ks_pdfdoc *doc, size_t rev, size_t elem, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->doc = doc;
	w->rev = rev;
	w->out.elem = elem;
	w->max = max;
}

/* The items collected, handed to the revision's cache (*v, *n). */
static int walk_finish(struct walk *w, void **v, size_t *n)
{
	if (ks_pd_vec_finish(w->doc, &w->out, v) < 0)
		return -1;
	*n = w->out.n;
	return 0;
}

static void walk_cleanup(struct walk *w)
{
	ks_pd_vec_cleanup(w->doc, &w->out);
	ks_pd_map_cleanup(w->doc, &w->seen);
}

static int page_node(struct walk *w, const struct ks_pdfobj *ref, struct ks_pdfdoc_page inh,
		     size_t depth)
{
	const struct ks_pdfobj *node = NULL, *kids = NULL, *o = NULL, *type;
	size_t i;
	int64_t rot;

	if (depth >= w->doc->lim.max_depth)
		return KS_SET(KS_ERR_LIMIT, "page tree deeper than %zu", w->doc->lim.max_depth);
	if (visit(w->doc, &w->seen, ref, "page tree") < 0 ||
	    ks_pdfdoc_resolve(w->doc, w->rev, ref, &node) < 0)
		return -1;
	if (node == NULL || node->type != KS_PDFOBJ_DICT)
		return KS_SET(KS_ERR_PDF, "page tree node %s is not a dictionary (offset %zu)",
			      ref != NULL && ref->type == KS_PDFOBJ_REF ? "object" : "value",
			      node != NULL ? node->start : 0);
	/* 7.7.3.4: inheritable attributes */
	if ((o = ks_pdfobj_get(node, "Resources")) != NULL)
		inh.resources = o;
	if ((o = ks_pdfobj_get(node, "MediaBox")) != NULL)
		inh.mediabox = o;
	if ((o = ks_pdfobj_get(node, "CropBox")) != NULL)
		inh.cropbox = o;
	if (ks_pdfdoc_dict_get(w->doc, w->rev, node, "Rotate", &o) < 0)
		return -1;
	if (ks_pdfobj_int(o, &rot))
		inh.rotate = rot;
	type = ks_pdfobj_get(node, "Type");
	if (ks_pdfobj_is_name(type, "Pages") ||
	    (!ks_pdfobj_is_name(type, "Page") && ks_pdfobj_get(node, "Kids") != NULL)) {
		if (ks_pdfdoc_dict_get_type(w->doc, w->rev, node, "Kids", KS_PDFOBJ_ARRAY, &kids) <
		    0)
			return -1;
		for (i = 0; kids != NULL && i < kids->u.arr.n; i++)
			if (page_node(w, kids->u.arr.items[i], inh, depth + 1) < 0)
				return -1;
		return 0;
	}
	inh.dict = node;
	inh.num = ref != NULL && ref->type == KS_PDFOBJ_REF ? ref->u.ref.num : 0;
	inh.gen = ref != NULL && ref->type == KS_PDFOBJ_REF ? ref->u.ref.gen : 0;
	if (ks_pdfdoc_resolve(w->doc, w->rev, inh.resources, &inh.resources) < 0 ||
	    ks_pdfdoc_resolve(w->doc, w->rev, inh.mediabox, &inh.mediabox) < 0 ||
	    ks_pdfdoc_resolve(w->doc, w->rev, inh.cropbox, &inh.cropbox) < 0)
		return -1;
	return ks_pd_vec_push(w->doc, &w->out, &inh, w->max);
}

static int load_pages(struct ks_pdfdoc *doc, size_t rev)
{
	struct ks_pd_rev *r = &doc->revs[rev];
	struct walk w;
	struct ks_pdfdoc_page inh;
	const struct ks_pdfobj *cat = NULL;
	void *v = NULL;
	int rc = -1;

	memset(&inh, 0, sizeof(inh));
	walk_init(&w, doc, rev, sizeof(struct ks_pdfdoc_page), doc->lim.max_pages);
	KS_GUARD(ks_pdfdoc_catalog(doc, rev, &cat));
	if (ks_pdfobj_get(cat, "Pages") == NULL)
		KS_BAIL(KS_ERR_PDF, "revision %zu: the catalog has no /Pages", rev);
	if (page_node(&w, ks_pdfobj_get(cat, "Pages"), inh, 0) < 0)
		KS_BAIL(ks_err_code(), "revision %zu: %s", rev, ks_err_msg());
	KS_GUARD(walk_finish(&w, &v, &r->pages.n));
	r->pages.v = v;
	r->pages.done = true;
	rc = 0;
out:
	walk_cleanup(&w);
	return rc;
}

int ks_pdfdoc_page_count(struct ks_pdfdoc *doc, size_t rev, size_t *n)
{
	if (doc == NULL || rev >= doc->nrevs)
		return KS_SET(KS_ERR_ARG, "no revision %zu", rev);
	if (!doc->revs[rev].pages.done && load_pages(doc, rev) < 0)
		return -1;
	*n = doc->revs[rev].pages.n;
	return 0;
}

int ks_pdfdoc_page(struct ks_pdfdoc *doc, size_t rev, size_t idx, const struct ks_pdfdoc_page **out)
{
	size_t n = 0;

	if (ks_pdfdoc_page_count(doc, rev, &n) < 0)
		return -1;
	if (idx >= n)
		return KS_SET(KS_ERR_ARG, "page %zu of %zu", idx, n);
	*out = &doc->revs[rev].pages.v[idx];
	return 0;
}

/* ---------------------------------------------------------------- fields */

struct inherit {
	const struct ks_pdfobj *ft, *v, *vraw;
	int64_t ff;
};

static int field_name(struct ks_pdfdoc *doc, const struct ks_pdfobj *t, const char *parent,
		      char **out)
{
	struct ks_buf b;
	int rc = -1;

	ks_buf_init(&b, doc->lim.max_string);
	if (parent[0] != '\0')
		KS_GUARD(ks_buf_append_str(&b, parent));
	if (t != NULL) {
		if (parent[0] != '\0')
			KS_GUARD(ks_buf_append_byte(&b, '.'));
		KS_GUARD(ks_pdfobj_text_utf8(t, &b));
	}
	KS_GUARD(ks_pd_strndup(doc, b.data != NULL ? b.data : (const uint8_t *)"", b.len, out));
	rc = 0;
out:
	ks_buf_cleanup(&b);
	return rc;
}

static int field_node(struct walk *w, const struct ks_pdfobj *ref, const char *parent,
		      struct inherit inh, size_t depth)
{
	const struct ks_pdfobj *f = NULL, *kids = NULL, *t = NULL, *o, *kid = NULL;
	struct ks_pdfdoc_field out;
	char *name = NULL;
	bool field_kids = false;
	size_t i;
	int64_t ff;

	if (depth >= w->doc->lim.max_depth)
		return KS_SET(KS_ERR_LIMIT, "field tree deeper than %zu", w->doc->lim.max_depth);
	if (visit(w->doc, &w->seen, ref, "field tree") < 0 ||
	    ks_pdfdoc_resolve(w->doc, w->rev, ref, &f) < 0)
		return -1;
	if (f == NULL || f->type == KS_PDFOBJ_NULL)
		return 0; /* a reference to a deleted field */
	if (f->type != KS_PDFOBJ_DICT)
		return KS_SET(KS_ERR_PDF, "form field is a %s (offset %zu)",
			      ks_pdfobj_type_name(f->type), f->start);
	if (ks_pdfdoc_dict_get_type(w->doc, w->rev, f, "T", KS_PDFOBJ_STRING, &t) < 0 ||
	    field_name(w->doc, t, parent, &name) < 0)
		return -1;
	/* 12.7.3.1 Table 220: inheritable FT, Ff, V */
	if ((o = ks_pdfobj_get(f, "FT")) != NULL &&
	    ks_pdfdoc_resolve(w->doc, w->rev, o, &inh.ft) < 0)
		return -1;
	if ((o = ks_pdfobj_get(f, "V")) != NULL) {
		inh.vraw = o;
		if (ks_pdfdoc_resolve(w->doc, w->rev, o, &inh.v) < 0)
			return -1;
	}
	if (ks_pdfdoc_dict_get(w->doc, w->rev, f, "Ff", &o) < 0)
		return -1;
	if (ks_pdfobj_int(o, &ff))
		inh.ff = ff;
	if (ks_pdfdoc_dict_get_type(w->doc, w->rev, f, "Kids", KS_PDFOBJ_ARRAY, &kids) < 0)
		return -1;
	for (i = 0; kids != NULL && i < kids->u.arr.n; i++) {
		if (ks_pdfdoc_resolve(w->doc, w->rev, kids->u.arr.items[i], &kid) < 0)
			return -1;
		/* a kid with /T is a field; one without is a widget (12.7.3.1) */
		if (ks_pdfobj_get(kid, "T") == NULL)
			continue;
		field_kids = true;
		if (field_node(w, kids->u.arr.items[i], name, inh, depth + 1) < 0)
			return -1;
	}
	if (field_kids)
		return 0;
	memset(&out, 0, sizeof(out));
	out.name = name;
	out.dict = f;
	out.num = ref->type == KS_PDFOBJ_REF ? ref->u.ref.num : 0;
	out.gen = ref->type == KS_PDFOBJ_REF ? ref->u.ref.gen : 0;
	out.ft = inh.ft;
	out.v = inh.v;
	out.ff = inh.ff;
	if (ks_pdfobj_is_name(inh.ft, "Sig") && inh.v != NULL && inh.v->type == KS_PDFOBJ_DICT) {
		out.sig = inh.v;
		if (inh.vraw != NULL && inh.vraw->type == KS_PDFOBJ_REF) {
			out.sig_num = inh.vraw->u.ref.num;
			out.sig_gen = inh.vraw->u.ref.gen;
		}
	}
	return ks_pd_vec_push(w->doc, &w->out, &out, w->max);
}

static int load_fields(struct ks_pdfdoc *doc, size_t rev)
{
	struct ks_pd_rev *r = &doc->revs[rev];
	const struct ks_pdfobj *cat = NULL, *form = NULL, *fields = NULL;
	struct inherit inh;
	struct walk w;
	void *v = NULL;
	size_t i;
	int rc = -1;

	memset(&inh, 0, sizeof(inh));
	walk_init(&w, doc, rev, sizeof(struct ks_pdfdoc_field), doc->lim.max_fields);
	KS_GUARD(ks_pdfdoc_catalog(doc, rev, &cat));
	KS_GUARD(ks_pdfdoc_dict_get_type(doc, rev, cat, "AcroForm", KS_PDFOBJ_DICT, &form));
	if (form != NULL)
		KS_GUARD(
		    ks_pdfdoc_dict_get_type(doc, rev, form, "Fields", KS_PDFOBJ_ARRAY, &fields));
	for (i = 0; fields != NULL && i < fields->u.arr.n; i++)
		if (field_node(&w, fields->u.arr.items[i], "", inh, 0) < 0)
			KS_BAIL(ks_err_code(), "revision %zu: %s", rev, ks_err_msg());
	KS_GUARD(walk_finish(&w, &v, &r->fields.n));
	r->fields.v = v;
	r->fields.done = true;
	rc = 0;
out:
	walk_cleanup(&w);
	return rc;
}

int ks_pdfdoc_fields(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfdoc_field **fields,
		     size_t *n)
{
	if (doc == NULL || rev >= doc->nrevs)
		return KS_SET(KS_ERR_ARG, "no revision %zu", rev);
	if (!doc->revs[rev].fields.done && load_fields(doc, rev) < 0)
		return -1;
	*fields = doc->revs[rev].fields.v;
	*n = doc->revs[rev].fields.n;
	return 0;
}
