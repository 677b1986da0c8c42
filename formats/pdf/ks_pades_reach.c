/* Reachability: every object the document, as of one revision, reaches
 * from its trailer, and the role by which it reaches it.
 *
 * The modification analysis judges what a viewer can show, so it must
 * know every object a viewer could use, whatever key leads to it: an
 * object that was defined but unreachable when the document was signed
 * (planted) and is reachable now is as new as one defined after signing.
 *
 * Two phases.  The structure walk places the objects ISO 32000-1 gives a
 * position: trailer /Root (7.5.5), catalog (7.7.2), page tree and pages
 * (7.7.3), each page's /Annots and its annotations (12.5), the form
 * dictionary, its field tree and widgets (12.7.3), the name dictionary
 * (7.7.4).  Everything hanging below them is then walked generically:
 * every value, every reference, whatever its key, with the role of where
 * it hangs (a page's entries are content, a widget's /AP and /MK its
 * appearance, a field's /V its value, the catalog's other entries
 * "other").  A generic walk stops at a structural object (a /P of an
 * annotation, a /Parent of a field, a structure element's /Obj: that
 * object has its own role and rules), except that what a page draws marks
 * a structural object it reaches as content too.
 *
 * Walks are iterative over a work list; the number of values visited is
 * bounded (KS_PADES_DIFF_MAX_NODES), beyond which the walk is marked
 * exhausted and the analysis cannot conclude "unchanged". */
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pades_int.h"
#include "ks_size.h"

struct ks_pv_work {
	const struct ks_pdfobj *v;
	uint32_t role;
	uint32_t owner;
	const char *via;
};

static bool spend(struct ks_pv_reach *r)
{
	if (++r->nodes > KS_PADES_DIFF_MAX_NODES) {
		r->exhausted = true;
		return false;
	}
	return true;
}

/* ---- the node table: open addressing keyed by object number ---- */

static size_t home(uint32_t num, size_t cap)
{
	return (size_t)((num * 2654435761u) & (uint32_t)(cap - 1));
}

const struct ks_pv_node *ks_pv_reach_get(const struct ks_pv_reach *r, uint32_t num)
{
	size_t i;

	if (r == NULL || r->cap == 0 || num == 0)
		return NULL;
	for (i = home(num, r->cap); r->tab[i].num != 0; i = (i + 1) & (r->cap - 1))
		if (r->tab[i].num == num)
			return &r->tab[i];
	return NULL;
}

static int grow(struct ks_pv_reach *r)
{
	size_t cap = r->cap == 0 ? 256 : r->cap * 2, i, j;
	struct ks_pv_node *tab = calloc(cap, sizeof(*tab));

	if (tab == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < r->cap; i++) {
		if (r->tab[i].num == 0)
			continue;
		for (j = home(r->tab[i].num, cap); tab[j].num != 0; j = (j + 1) & (cap - 1))
			;
		tab[j] = r->tab[i];
	}
	free(r->tab);
	r->tab = tab;
	r->cap = cap;
	return 0;
}

/* The node of num, created (and resolved) on first sight.  *out is NULL
 * when the table is full (the walk is then exhausted). */
static int node(struct ks_pv_reach *r, uint32_t num, uint16_t gen, const char *via,
		struct ks_pv_node **out, bool *created)
{
	struct ks_pdfdoc_indirect ind;
	struct ks_pv_node *n;
	size_t i;

	*out = NULL;
	*created = false;
	if (num == 0)
		return 0;
	n = (struct ks_pv_node *)ks_pv_reach_get(r, num);
	if (n != NULL) {
		*out = n;
		return 0;
	}
	if (r->n >= KS_PADES_DIFF_MAX_NODES) {
		r->exhausted = true;
		return 0;
	}
	if ((r->n + 1) * 2 > r->cap && grow(r) < 0)
		return -1;
	for (i = home(num, r->cap); r->tab[i].num != 0; i = (i + 1) & (r->cap - 1))
		;
	n = &r->tab[i];
	memset(n, 0, sizeof(*n));
	n->num = num;
	n->gen = gen;
	n->via = via;
	r->n++;
	if (ks_pdfdoc_lookup(r->doc, r->rev, num, gen, &ind) < 0) {
		if (ks_err_is_fatal())
			return -1;
		ks_err_clear();
		n->broken = true;
	} else {
		n->defined = (ind.entry.type == KS_PDFDOC_ENTRY_INUSE ||
			      ind.entry.type == KS_PDFDOC_ENTRY_COMPRESSED) &&
			     ind.obj != ks_pdfobj_null();
	}
	*out = n;
	*created = true;
	return 0;
}

/* The value of a reference as of the walk's revision; NULL (rc 0) when
 * broken or undefined. */
static int value(struct ks_pv_reach *r, const struct ks_pv_node *n, const struct ks_pdfobj **out)
{
	*out = NULL;
	if (n == NULL || n->broken || !n->defined)
		return 0;
	if (ks_pdfdoc_get(r->doc, r->rev, n->num, n->gen, out) < 0) {
		*out = NULL;
		if (ks_err_is_fatal())
			return -1;
		ks_err_clear();
	}
	return 0;
}

/* ---- generic walks ---- */

static int push(struct ks_pv_reach *r, const struct ks_pdfobj *v, uint32_t role, uint32_t owner,
		const char *via)
{
	if (v == NULL || (v->type != KS_PDFOBJ_REF && v->type != KS_PDFOBJ_ARRAY &&
			  v->type != KS_PDFOBJ_DICT && v->type != KS_PDFOBJ_STREAM))
		return 0;
	if (!spend(r))
		return 0;
	if (ks_grow((void **)&r->work, &r->capwork, r->nwork + 1, sizeof(*r->work)) < 0)
		return -1;
	r->work[r->nwork].v = v;
	r->work[r->nwork].role = role;
	r->work[r->nwork].owner = owner;
	r->work[r->nwork].via = via;
	r->nwork++;
	return 0;
}

/* Queue every value of a dictionary, stream dictionary or array. */
static int push_children(struct ks_pv_reach *r, const struct ks_pdfobj *o, uint32_t role,
			 uint32_t owner, const char *via)
{
	const struct ks_pdfobj *d = ks_pdfobj_dict(o);
	size_t i;

	if (o != NULL && o->type == KS_PDFOBJ_ARRAY) {
		for (i = 0; i < o->u.arr.n; i++)
			if (push(r, o->u.arr.items[i], role, owner, via) < 0)
				return -1;
		return 0;
	}
	for (i = 0; d != NULL && i < d->u.dict.n; i++)
		if (push(r, d->u.dict.e[i].val, role, owner, d->u.dict.e[i].key) < 0)
			return -1;
	return 0;
}

/* Add a role to a node; *fresh tells whether the node did not have it. */
static void mark(struct ks_pv_node *n, uint32_t role, uint32_t owner, bool *fresh)
{
	*fresh = (n->roles & role) == 0;
	if (role & (PV_R_AP | PV_R_ANNOT | PV_R_FIELDVAL)) {
		if (n->owner != 0 && n->owner != owner)
			n->roles |= PV_R_SHARED; /* one appearance, two owners */
		else
			n->owner = owner;
	}
	n->roles |= role;
}

static int run_work(struct ks_pv_reach *r)
{
	struct ks_pv_work w;
	const struct ks_pdfobj *o;
	struct ks_pv_node *n;
	bool fresh, created;

	while (r->nwork > 0) {
		w = r->work[--r->nwork];
		o = w.v;
		if (o->type == KS_PDFOBJ_REF) {
			if (node(r, o->u.ref.num, o->u.ref.gen, w.via, &n, &created) < 0)
				return -1;
			if (n == NULL)
				continue;
			if (n->structural) {
				/* Its own rules judge it; only drawing it makes
				 * it content too. */
				if (w.role == PV_R_CONTENT)
					n->roles |= PV_R_CONTENT;
				continue;
			}
			mark(n, w.role, w.owner, &fresh);
			if (!fresh && !created)
				continue;
			if (value(r, n, &o) < 0)
				return -1;
			if (o == NULL)
				continue;
		}
		if (push_children(r, o, w.role, w.owner, w.via) < 0)
			return -1;
	}
	return 0;
}

/* ---- the structure walk ---- */

/* Enter a structural value: mark its node (when indirect) with `role`
 * and resolve it.  *fresh is false when the node already had the role
 * (a cycle or a shared node: do not walk it again). */
static int enter(struct ks_pv_reach *r, const struct ks_pdfobj *v, uint32_t role, const char *via,
		 struct ks_pv_node **np, bool *fresh, const struct ks_pdfobj **out)
{
	struct ks_pv_node *n = NULL;
	bool created;

	*out = NULL;
	*fresh = true;
	if (np != NULL)
		*np = NULL;
	if (v == NULL || !spend(r))
		return 0;
	if (v->type != KS_PDFOBJ_REF) {
		*out = v;
		return 0;
	}
	if (node(r, v->u.ref.num, v->u.ref.gen, via, &n, &created) < 0)
		return -1;
	if (n == NULL)
		return 0;
	n->structural = true;
	mark(n, role, 0, fresh);
	if (np != NULL)
		*np = n;
	return value(r, n, out);
}

/* Resolve a value for a look before entering it; NULL when broken. */
static int peek(struct ks_pv_reach *r, const struct ks_pdfobj *v, const struct ks_pdfobj **out)
{
	*out = NULL;
	if (ks_pdfdoc_resolve(r->doc, r->rev, v, out) < 0) {
		*out = NULL;
		if (ks_err_is_fatal())
			return -1;
		ks_err_clear();
	}
	return 0;
}

static bool is_widget(const struct ks_pdfobj *d)
{
	return ks_pdfobj_is_name(ks_pdfobj_get(d, "Subtype"), "Widget");
}

/* Keys of a field dictionary (ISO 32000-1 Tables 220-232): the field
 * walk places them; a widget walk leaves them alone. */
static bool field_key(const char *k)
{
	static const char *const keys[] = { "FT",  "Parent", "Kids", "T",      "TU",   "TM", "Ff",
					    "V",   "DV",     "AA",   "DA",     "Q",    "DS", "RV",
					    "Opt", "TI",     "I",    "MaxLen", "Lock", "SV", "DR" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(k, keys[i]) == 0)
			return true;
	return false;
}

/* A widget annotation (12.5.6.19): its appearance (/AP, and /MK from
 * which viewers draw it again) belongs to it; its actions and other
 * annotation entries are "other". */
static int walk_widget(struct ks_pv_reach *r, uint32_t num, const struct ks_pdfobj *d)
{
	const char *k;
	size_t i;

	d = ks_pdfobj_dict(d);
	for (i = 0; d != NULL && i < d->u.dict.n; i++) {
		k = d->u.dict.e[i].key;
		if (strcmp(k, "AP") == 0 || strcmp(k, "MK") == 0) {
			if (push(r, d->u.dict.e[i].val, PV_R_AP, num, k) < 0)
				return -1;
		} else if (strcmp(k, "P") == 0 || field_key(k)) {
			continue; /* the page, or the field walk's */
		} else if (push(r, d->u.dict.e[i].val, PV_R_OTHER, 0, k) < 0) {
			return -1;
		}
	}
	return 0;
}

/* One annotation of page `page` (1-based). */
static int walk_annot(struct ks_pv_reach *r, const struct ks_pdfobj *item, uint32_t page)
{
	const struct ks_pdfobj *a;
	struct ks_pv_node *n;
	uint32_t num;
	bool fresh, widget;

	if (peek(r, item, &a) < 0)
		return -1;
	widget = is_widget(a);
	if (enter(r, item, widget ? PV_R_WIDGET : PV_R_ANNOT, "Annots", &n, &fresh, &a) < 0)
		return -1;
	if (a == NULL || ks_pdfobj_dict(a) == NULL)
		return 0;
	num = n != NULL ? n->num : 0;
	if (n != NULL) {
		if (n->page == 0)
			n->page = page;
		if (!widget)
			n->owner = num;
		if (!fresh)
			return 0;
	}
	if (widget)
		return walk_widget(r, num, a);
	return push_children(r, a, PV_R_ANNOT, num, "Annots");
}

/* The page tree (7.7.3): nodes and pages get their structural role; every
 * other entry of either (resources, contents, boxes, and whatever else a
 * page holds) is content.  /Annots waits until every page is placed. */
struct ks_pv_pages {
	uint32_t *v; /* object numbers of the pages, in order */
	size_t n, cap;
};

static int add_page(struct ks_pv_pages *p, uint32_t num)
{
	if (ks_grow((void **)&p->v, &p->cap, p->n + 1, sizeof(*p->v)) < 0)
		return -1;
	p->v[p->n++] = num;
	return 0;
}

static int walk_pages(struct ks_pv_reach *r, const struct ks_pdfobj *v, unsigned depth,
		      struct ks_pv_pages *pages)
{
	const struct ks_pdfobj *d, *kids = NULL, *peeked;
	struct ks_pv_node *n, *kn;
	bool fresh, leaf;
	const char *k;
	size_t i, j;

	if (depth > KS_PDFDOC_MAX_DEPTH) {
		r->exhausted = true;
		return 0;
	}
	if (peek(r, v, &peeked) < 0)
		return -1;
	/* ISO 32000-1 7.7.3: an intermediate node has /Kids. */
	leaf = ks_pdfobj_is_name(ks_pdfobj_get(peeked, "Type"), "Page") ||
	       ks_pdfobj_get(peeked, "Kids") == NULL;
	if (enter(r, v, leaf ? PV_R_PAGE : PV_R_PAGETREE, "Kids", &n, &fresh, &d) < 0)
		return -1;
	d = ks_pdfobj_dict(d);
	if (!fresh || d == NULL)
		return 0; /* reached twice: a cycle or a shared node */
	if (leaf) {
		if (r->npages >= KS_PDFDOC_MAX_PAGES) {
			r->exhausted = true;
			return 0;
		}
		r->npages++;
		if (n != NULL) {
			n->page = (uint32_t)r->npages;
			if (add_page(pages, n->num) < 0)
				return -1;
		}
	}
	for (i = 0; i < d->u.dict.n; i++) {
		k = d->u.dict.e[i].key;
		if (strcmp(k, "Parent") == 0 || (leaf && strcmp(k, "Annots") == 0))
			continue;
		if (!leaf && strcmp(k, "Kids") == 0) {
			if (enter(r, d->u.dict.e[i].val, PV_R_PAGETREE, k, &kn, &fresh, &kids) < 0)
				return -1;
			if (!fresh || kids == NULL || kids->type != KS_PDFOBJ_ARRAY)
				continue;
			for (j = 0; j < kids->u.arr.n; j++)
				if (walk_pages(r, kids->u.arr.items[j], depth + 1, pages) < 0)
					return -1;
		} else if (push(r, d->u.dict.e[i].val, PV_R_CONTENT, 0, k) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Each page's /Annots, in page order. */
static int walk_all_annots(struct ks_pv_reach *r, const struct ks_pv_pages *pages)
{
	const struct ks_pdfobj *pg, *arr;
	const struct ks_pv_node *pn;
	struct ks_pv_node *an;
	bool fresh;
	size_t i, j;

	uint32_t page;

	for (i = 0; i < pages->n; i++) {
		/* Node pointers move when the table grows: keep what is needed. */
		pn = ks_pv_reach_get(r, pages->v[i]);
		if (pn == NULL)
			continue;
		page = pn->page;
		if (value(r, pn, &pg) < 0)
			return -1;
		if (pg == NULL)
			continue;
		if (enter(r, ks_pdfobj_get(pg, "Annots"), PV_R_ANNOTS, "Annots", &an, &fresh,
			  &arr) < 0)
			return -1;
		if (an != NULL && an->owner == 0) {
			an->owner = pages->v[i]; /* the page that holds it */
			an->page = page;
		}
		if (!fresh || arr == NULL || arr->type != KS_PDFOBJ_ARRAY)
			continue;
		for (j = 0; j < arr->u.arr.n; j++)
			if (walk_annot(r, arr->u.arr.items[j], page) < 0)
				return -1;
	}
	return 0;
}

/* A field of the form's tree (12.7.3.1) and, when merged, its widget. */
static int walk_field(struct ks_pv_reach *r, const struct ks_pdfobj *v, bool sig_inherited,
		      unsigned depth)
{
	const struct ks_pdfobj *d, *ft, *kids, *val, *peeked;
	struct ks_pv_node *n, *kn;
	uint32_t num, role;
	bool sig, fresh;
	const char *k;
	size_t i, j;

	if (depth > KS_PDFDOC_MAX_DEPTH) {
		r->exhausted = true;
		return 0;
	}
	if (peek(r, v, &peeked) < 0)
		return -1;
	ft = ks_pdfobj_get(peeked, "FT");
	sig = ft != NULL ? ks_pdfobj_is_name(ft, "Sig") : sig_inherited;
	if (enter(r, v, sig ? PV_R_SIGFIELD : PV_R_FIELD, "Fields", &n, &fresh, &d) < 0)
		return -1;
	d = ks_pdfobj_dict(d);
	if (!fresh || d == NULL)
		return 0;
	if (n != NULL && is_widget(d))
		n->roles |= PV_R_WIDGET; /* merged with its widget (12.7.3.1) */
	num = n != NULL ? n->num : 0;
	if (is_widget(d) && walk_widget(r, num, d) < 0)
		return -1;
	for (i = 0; i < d->u.dict.n; i++) {
		k = d->u.dict.e[i].key;
		val = d->u.dict.e[i].val;
		if (strcmp(k, "Kids") == 0) {
			if (enter(r, val, sig ? PV_R_SIGFIELD : PV_R_FIELD, k, &kn, &fresh, &kids) <
			    0)
				return -1;
			if (!fresh || kids == NULL || kids->type != KS_PDFOBJ_ARRAY)
				continue;
			for (j = 0; j < kids->u.arr.n; j++)
				if (walk_field(r, kids->u.arr.items[j], sig, depth + 1) < 0)
					return -1;
		} else if (strcmp(k, "V") == 0) {
			const struct ks_pdfobj *sv = NULL;

			if (sig && peek(r, val, &sv) < 0)
				return -1;
			role = !sig ? PV_R_FIELDVAL
			       : ks_pdfobj_is_name(ks_pdfobj_get(sv, "Type"), "DocTimeStamp")
				   ? PV_R_SIGDICT | PV_R_DOCTS
				   : PV_R_SIGDICT;
			if (push(r, val, role, num, k) < 0)
				return -1;
		} else if (strcmp(k, "Lock") == 0) {
			if (push(r, val, PV_R_LOCK, num, k) < 0)
				return -1;
		} else if (strcmp(k, "DR") == 0) {
			if (push(r, val, PV_R_DR, 0, k) < 0)
				return -1;
		} else if (strcmp(k, "Parent") == 0 || (!field_key(k) && is_widget(d))) {
			continue; /* the parent (structural), or the widget walk's */
		} else if (push(r, val, PV_R_OTHER, 0, k) < 0) {
			return -1;
		}
	}
	return 0;
}

static int walk_acroform(struct ks_pv_reach *r, const struct ks_pdfobj *v)
{
	const struct ks_pdfobj *d, *fields, *val, *dr;
	struct ks_pv_node *n;
	bool fresh;
	const char *k;
	size_t i, j;

	if (enter(r, v, PV_R_ACROFORM, "AcroForm", &n, &fresh, &d) < 0)
		return -1;
	d = ks_pdfobj_dict(d);
	if (!fresh || d == NULL)
		return 0;
	for (i = 0; i < d->u.dict.n; i++) {
		k = d->u.dict.e[i].key;
		val = d->u.dict.e[i].val;
		if (strcmp(k, "Fields") == 0) {
			if (enter(r, val, PV_R_ACROFORM, k, &n, &fresh, &fields) < 0)
				return -1;
			if (!fresh || fields == NULL || fields->type != KS_PDFOBJ_ARRAY)
				continue;
			for (j = 0; j < fields->u.arr.n; j++)
				if (walk_field(r, fields->u.arr.items[j], false, 0) < 0)
					return -1;
		} else if (strcmp(k, "DR") == 0) {
			/* The fonts a viewer draws field values with first. */
			if (peek(r, val, &dr) < 0 ||
			    push(r, ks_pdfobj_get(ks_pdfobj_dict(dr), "Font"), PV_R_DRFONT, 0,
				 "Font") < 0 ||
			    push(r, val, PV_R_DR, 0, k) < 0)
				return -1;
		} else if (push(r, val, PV_R_OTHER, 0, k) < 0) {
			return -1;
		}
	}
	return 0;
}

/* The name dictionary (7.7.4): its /AP tree holds annotation appearances;
 * every other tree (JavaScript, embedded files, destinations...) is
 * "other". */
static int walk_names(struct ks_pv_reach *r, const struct ks_pdfobj *v)
{
	const struct ks_pdfobj *d;
	struct ks_pv_node *n;
	bool fresh, ap;
	size_t i;

	if (enter(r, v, PV_R_NAMES, "Names", &n, &fresh, &d) < 0)
		return -1;
	d = ks_pdfobj_dict(d);
	for (i = 0; fresh && d != NULL && i < d->u.dict.n; i++) {
		ap = strcmp(d->u.dict.e[i].key, "AP") == 0;
		if (push(r, d->u.dict.e[i].val, ap ? PV_R_ANNOT : PV_R_OTHER, 0,
			 d->u.dict.e[i].key) < 0)
			return -1;
	}
	return 0;
}

static int walk_catalog(struct ks_pv_reach *r, const struct ks_pdfobj *cat)
{
	struct ks_pv_pages pages = { 0 };
	const struct ks_pdfobj *val;
	const char *k;
	size_t i;
	int rc = -1;

	KS_GUARD(walk_pages(r, ks_pdfobj_get(cat, "Pages"), 0, &pages));
	KS_GUARD(walk_all_annots(r, &pages));
	for (i = 0; i < cat->u.dict.n; i++) {
		k = cat->u.dict.e[i].key;
		val = cat->u.dict.e[i].val;
		if (strcmp(k, "Pages") == 0)
			continue;
		if (strcmp(k, "AcroForm") == 0)
			KS_GUARD(walk_acroform(r, val));
		else if (strcmp(k, "Names") == 0)
			KS_GUARD(walk_names(r, val));
		else if (strcmp(k, "DSS") == 0)
			KS_GUARD(push(r, val, PV_R_DSS, 0, k));
		else if (strcmp(k, "Metadata") == 0 || strcmp(k, "Extensions") == 0)
			KS_GUARD(push(r, val, PV_R_META, 0, k));
		else
			KS_GUARD(push(r, val, PV_R_OTHER, 0, k));
	}
	rc = 0;
out:
	free(pages.v);
	return rc;
}

int ks_pv_reach_build(struct ks_pdfdoc *doc, size_t rev, struct ks_pv_reach *r)
{
	const struct ks_pdfdoc_rev *rv = ks_pdfdoc_rev(doc, rev);
	const struct ks_pdfobj *cat = NULL;
	struct ks_pv_node *n;
	bool fresh;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->doc = doc;
	r->rev = rev;
	if (rv == NULL || rv->trailer == NULL)
		return 0;
	KS_GUARD(
	    enter(r, ks_pdfobj_get(rv->trailer, "Root"), PV_R_CATALOG, "Root", &n, &fresh, &cat));
	r->catalog = n != NULL ? n->num : 0;
	KS_GUARD(push(r, ks_pdfobj_get(rv->trailer, "Info"), PV_R_INFO, 0, "Info"));
	KS_GUARD(push(r, ks_pdfobj_get(rv->trailer, "Encrypt"), PV_R_OTHER, 0, "Encrypt"));
	cat = ks_pdfobj_dict(cat);
	if (cat != NULL && cat->type == KS_PDFOBJ_DICT)
		KS_GUARD(walk_catalog(r, cat));
	KS_GUARD(run_work(r));
	rc = 0;
out:
	free(r->work);
	r->work = NULL;
	r->nwork = r->capwork = 0;
	if (rc < 0)
		ks_pv_reach_free(r);
	return rc;
}

void ks_pv_reach_free(struct ks_pv_reach *r)
{
	free(r->tab);
	free(r->work);
	memset(r, 0, sizeof(*r));
}
