/* Roles of objects: how the document, as of one revision, reaches each
 * object number from its trailer.  The modification analysis asks "what
 * is this object" of both the signed revision and the final file: a
 * changed object is judged by every role it has, so an appearance stream
 * that a page also draws is page content, whatever else claims it.
 *
 * Structure (catalog, page tree, pages, /Annots, the form's field tree,
 * signature dictionaries) is walked explicitly; everything below it is
 * walked generically, with the role of where it hangs (a page's
 * /Resources and /Contents are content, a widget's /AP is an appearance,
 * the catalog's unknown keys are "other").  Generic walks do not follow
 * back links (/P, /Parent, ...) and never enter pages, page tree nodes or
 * the catalog: those have their own roles and rules.  Walks are
 * iterative over references (a work list), so long chains cannot exhaust
 * the stack; nested direct objects are bounded by the reader's depth
 * limit. */
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pades_int.h"

struct pv_work {
	const struct ks_pdfobj *v;
	uint32_t role;
	uint32_t owner;
};

/* Keys that point back up or across the structure (ISO 32000-1: /P page
 * of an annotation, /Parent of fields and outline items, /Pg and /Obj of
 * structure elements, /IRT and /Popup between annotations, /Data of a
 * signature reference, /Fields of form actions).  Nothing is drawn
 * through them. */
static bool link_key(const char *k)
{
	static const char *const keys[] = { "P",   "Parent", "Pg",   "Obj",
					    "IRT", "Popup",  "Data", "Fields" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(k, keys[i]) == 0)
			return true;
	return false;
}

static bool fatal(void)
{
	return ks_err_code() == KS_ERR_NOMEM || ks_err_code() == KS_ERR_INTERNAL;
}

static bool spend(struct pv_roles *r)
{
	if (++r->nodes > KS_PADES_DIFF_MAX_NODES) {
		r->exhausted = true;
		return false;
	}
	return true;
}

/* Record `role` for num; *fresh says whether it is new for that role. */
static void mark(struct pv_roles *r, uint32_t num, uint32_t role, uint32_t owner, bool *fresh)
{
	*fresh = false;
	if (num == 0 || num >= r->n)
		return;
	if (role == PV_R_AP) {
		if (r->owner[num] != 0 && r->owner[num] != owner)
			r->bits[num] |= PV_R_SHARED; /* one appearance, two widgets */
		else
			r->owner[num] = owner;
	}
	*fresh = (r->bits[num] & role) == 0;
	r->bits[num] |= role;
}

static int push(struct pv_roles *r, const struct ks_pdfobj *v, uint32_t role, uint32_t owner)
{
	struct pv_work *grown;
	size_t cap;

	if (v == NULL || (v->type != KS_PDFOBJ_REF && v->type != KS_PDFOBJ_ARRAY &&
			  v->type != KS_PDFOBJ_DICT && v->type != KS_PDFOBJ_STREAM))
		return 0;
	if (!spend(r))
		return 0;
	if (r->nwork == r->capwork) {
		cap = r->capwork == 0 ? 64 : r->capwork * 2;
		grown = realloc(r->work, cap * sizeof(*grown));
		if (grown == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		r->work = grown;
		r->capwork = cap;
	}
	r->work[r->nwork].v = v;
	r->work[r->nwork].role = role;
	r->work[r->nwork].owner = owner;
	r->nwork++;
	return 0;
}

/* Queue every value of a dict (or stream dict) but back links. */
static int push_children(struct pv_roles *r, const struct ks_pdfobj *o, uint32_t role,
			 uint32_t owner)
{
	const struct ks_pdfobj *d = ks_pdfobj_dict(o);
	size_t i;

	if (o != NULL && o->type == KS_PDFOBJ_ARRAY) {
		for (i = 0; i < o->u.arr.n; i++)
			if (push(r, o->u.arr.items[i], role, owner) < 0)
				return -1;
		return 0;
	}
	if (d == NULL)
		return 0;
	for (i = 0; i < d->u.dict.n; i++)
		if (!link_key(d->u.dict.e[i].key) && push(r, d->u.dict.e[i].val, role, owner) < 0)
			return -1;
	return 0;
}

/* Resolve a reference for a walk; NULL (and rc 0) when it is broken. */
static int resolve(struct pv_roles *r, const struct ks_pdfobj *v, const struct ks_pdfobj **out)
{
	*out = NULL;
	if (ks_pdfdoc_resolve(r->doc, r->rev, v, out) < 0) {
		*out = NULL;
		return fatal() ? -1 : 0;
	}
	return 0;
}

static bool structural(const struct pv_roles *r, uint32_t num)
{
	return num < r->n && (r->bits[num] & (PV_R_PAGE | PV_R_PAGETREE | PV_R_CATALOG)) != 0;
}

static int run_work(struct pv_roles *r)
{
	struct pv_work w;
	const struct ks_pdfobj *o;
	bool fresh;

	while (r->nwork > 0) {
		w = r->work[--r->nwork];
		o = w.v;
		if (o->type == KS_PDFOBJ_REF) {
			if (structural(r, o->u.ref.num))
				continue;
			mark(r, o->u.ref.num, w.role, w.owner, &fresh);
			if (!fresh)
				continue;
			if (resolve(r, o, &o) < 0)
				return -1;
			if (o == NULL)
				continue;
		}
		if (push_children(r, o, w.role, w.owner) < 0)
			return -1;
	}
	return 0;
}

/* Mark a reference with a structural role and resolve it. */
static int enter(struct pv_roles *r, const struct ks_pdfobj *v, uint32_t role, uint32_t *num,
		 bool *fresh, const struct ks_pdfobj **out)
{
	*num = 0;
	*fresh = true;
	*out = NULL;
	if (v == NULL || !spend(r))
		return 0;
	if (v->type == KS_PDFOBJ_REF) {
		*num = v->u.ref.num;
		mark(r, *num, role, 0, fresh);
	}
	return resolve(r, v, out);
}

static int walk_sig(struct pv_roles *r, const struct ks_pdfobj *v)
{
	const struct ks_pdfobj *d;
	uint32_t num, role;
	bool fresh;

	if (resolve(r, v, &d) < 0)
		return -1;
	role =
	    ks_pdfobj_is_name(ks_pdfobj_get(d, "Type"), "DocTimeStamp") ? PV_R_DOCTS : PV_R_SIGDICT;
	if (enter(r, v, role, &num, &fresh, &d) < 0)
		return -1;
	if (!fresh || d == NULL)
		return 0;
	return push_children(r, d, role, num);
}

/* A widget annotation: its appearance; its field keys belong to the
 * field walk. */
static int walk_widget(struct pv_roles *r, uint32_t num, const struct ks_pdfobj *d)
{
	static const char *const drawn[] = { "MK", "A", "AA", "BS", "Border", "BE", "C", "OC" };
	const struct ks_pdfobj *v;
	bool fresh;
	size_t i;

	mark(r, num, PV_R_WIDGET, 0, &fresh);
	if (push(r, ks_pdfobj_get(d, "AP"), PV_R_AP, num) < 0)
		return -1;
	for (i = 0; i < sizeof(drawn) / sizeof(drawn[0]); i++) {
		v = ks_pdfobj_get(d, drawn[i]);
		if (v != NULL && push(r, v, PV_R_OTHER, 0) < 0)
			return -1;
	}
	return 0;
}

static int walk_field(struct pv_roles *r, const struct ks_pdfobj *v, bool sig_inherited,
		      unsigned depth)
{
	const struct ks_pdfobj *d, *ft, *kids = NULL, *val;
	uint32_t num;
	bool sig, fresh;
	size_t i;
	const char *k;

	if (depth > KS_PDFDOC_MAX_DEPTH) {
		r->exhausted = true;
		return 0;
	}
	if (resolve(r, v, &d) < 0)
		return -1;
	ft = ks_pdfobj_get(d, "FT");
	sig = ft != NULL ? ks_pdfobj_is_name(ft, "Sig") : sig_inherited;
	if (enter(r, v, sig ? PV_R_SIGFIELD : PV_R_FIELD, &num, &fresh, &d) < 0)
		return -1;
	if (!fresh || d == NULL || ks_pdfobj_dict(d) == NULL)
		return 0;
	if (ks_pdfobj_is_name(ks_pdfobj_get(d, "Subtype"), "Widget") && walk_widget(r, num, d) < 0)
		return -1;
	d = ks_pdfobj_dict(d);
	for (i = 0; i < d->u.dict.n; i++) {
		k = d->u.dict.e[i].key;
		val = d->u.dict.e[i].val;
		if (strcmp(k, "Kids") == 0) {
			uint32_t an;

			if (enter(r, val, sig ? PV_R_SIGFIELD : PV_R_FIELD, &an, &fresh, &kids) < 0)
				return -1;
			if (kids == NULL || kids->type != KS_PDFOBJ_ARRAY)
				continue;
			for (size_t j = 0; j < kids->u.arr.n; j++)
				if (walk_field(r, kids->u.arr.items[j], sig, depth + 1) < 0)
					return -1;
		} else if (strcmp(k, "V") == 0) {
			if (sig ? walk_sig(r, val) < 0 : push(r, val, PV_R_FIELDVAL, num) < 0)
				return -1;
		} else if (strcmp(k, "Lock") == 0) {
			if (push(r, val, PV_R_SIGDICT, num) < 0)
				return -1;
		} else if (strcmp(k, "AP") == 0 || link_key(k) || strcmp(k, "MK") == 0 ||
			   strcmp(k, "A") == 0 || strcmp(k, "AA") == 0) {
			continue; /* the widget walk has them */
		} else if (push(r, val, PV_R_OTHER, 0) < 0) {
			return -1;
		}
	}
	return 0;
}

static int walk_acroform(struct pv_roles *r, const struct ks_pdfobj *v)
{
	const struct ks_pdfobj *d, *fields = NULL, *val;
	uint32_t num;
	bool fresh;
	size_t i;
	const char *k;

	if (enter(r, v, PV_R_ACROFORM, &num, &fresh, &d) < 0)
		return -1;
	d = ks_pdfobj_dict(d);
	if (!fresh || d == NULL)
		return 0;
	for (i = 0; i < d->u.dict.n; i++) {
		k = d->u.dict.e[i].key;
		val = d->u.dict.e[i].val;
		if (strcmp(k, "Fields") == 0) {
			if (enter(r, val, PV_R_ACROFORM, &num, &fresh, &fields) < 0)
				return -1;
			if (fields == NULL || fields->type != KS_PDFOBJ_ARRAY)
				continue;
			for (size_t j = 0; j < fields->u.arr.n; j++)
				if (walk_field(r, fields->u.arr.items[j], false, 0) < 0)
					return -1;
		} else if (strcmp(k, "DR") == 0) {
			const struct ks_pdfobj *dr = NULL;

			if (push(r, val, PV_R_DR, 0) < 0)
				return -1;
			/* The fonts a viewer draws field values with. */
			if (resolve(r, val, &dr) < 0)
				return -1;
			if (push(r, ks_pdfobj_get(ks_pdfobj_dict(dr), "Font"), PV_R_DRFONT, 0) < 0)
				return -1;
		} else if (strcmp(k, "CO") == 0) {
			continue; /* calculation order: references to fields */
		} else if (push(r, val, PV_R_OTHER, 0) < 0) {
			return -1;
		}
	}
	return 0;
}

static int walk_annots(struct pv_roles *r, const struct ks_pdfobj *v)
{
	const struct ks_pdfobj *arr, *a, *item;
	uint32_t num, an;
	bool fresh;
	size_t i;

	if (enter(r, v, PV_R_ANNOTS, &num, &fresh, &arr) < 0)
		return -1;
	if (arr == NULL || arr->type != KS_PDFOBJ_ARRAY)
		return 0;
	for (i = 0; i < arr->u.arr.n; i++) {
		item = arr->u.arr.items[i];
		if (resolve(r, item, &a) < 0)
			return -1;
		an = item->type == KS_PDFOBJ_REF ? item->u.ref.num : 0;
		if (a == NULL || ks_pdfobj_dict(a) == NULL)
			continue;
		if (ks_pdfobj_is_name(ks_pdfobj_get(a, "Subtype"), "Widget")) {
			if (walk_widget(r, an, a) < 0)
				return -1;
			continue;
		}
		mark(r, an, PV_R_ANNOT, 0, &fresh);
		if (fresh && push_children(r, a, PV_R_ANNOT, 0) < 0)
			return -1;
	}
	return 0;
}

static int walk_pages(struct pv_roles *r, const struct ks_pdfobj *v, unsigned depth)
{
	const struct ks_pdfobj *d, *kids = NULL;
	uint32_t num, kn;
	bool fresh, node;
	size_t i;
	const char *k;

	if (depth > KS_PDFDOC_MAX_DEPTH) {
		r->exhausted = true;
		return 0;
	}
	if (resolve(r, v, &d) < 0)
		return -1;
	d = ks_pdfobj_dict(d);
	if (d == NULL)
		return 0;
	/* ISO 32000-1 7.7.3: an intermediate node has /Kids. */
	node = ks_pdfobj_get(d, "Kids") != NULL &&
	       !ks_pdfobj_is_name(ks_pdfobj_get(d, "Type"), "Page");
	if (v->type == KS_PDFOBJ_REF && v->u.ref.num < r->n &&
	    (r->bits[v->u.ref.num] & (PV_R_PAGE | PV_R_PAGETREE)) != 0)
		return 0; /* reached twice: a cycle or a shared node */
	if (enter(r, v, node ? PV_R_PAGETREE : PV_R_PAGE, &num, &fresh, &d) < 0)
		return -1;
	d = ks_pdfobj_dict(d);
	if (d == NULL)
		return 0;
	for (i = 0; i < d->u.dict.n; i++) {
		k = d->u.dict.e[i].key;
		if (strcmp(k, "Parent") == 0 || strcmp(k, "Type") == 0 || strcmp(k, "Count") == 0)
			continue;
		if (node && strcmp(k, "Kids") == 0) {
			if (enter(r, d->u.dict.e[i].val, PV_R_PAGETREE, &kn, &fresh, &kids) < 0)
				return -1;
			if (kids == NULL || kids->type != KS_PDFOBJ_ARRAY)
				continue;
			for (size_t j = 0; j < kids->u.arr.n; j++)
				if (walk_pages(r, kids->u.arr.items[j], depth + 1) < 0)
					return -1;
		} else if (!node && strcmp(k, "Annots") == 0) {
			continue; /* after every page is known */
		} else if (push(r, d->u.dict.e[i].val, PV_R_CONTENT, 0) < 0) {
			return -1;
		}
	}
	return 0;
}

/* /Annots of every page found (pages first, so that no annotation walk
 * can claim a page). */
static int walk_all_annots(struct pv_roles *r)
{
	const struct ks_pdfobj *d;
	uint32_t num;
	int g;

	for (num = 1; num < r->n; num++) {
		if ((r->bits[num] & PV_R_PAGE) == 0)
			continue;
		g = ks_pdfdoc_get(r->doc, r->rev, num, 0, &d);
		if (g < 0 || ks_pdfobj_dict(d) == NULL) {
			struct ks_pdfdoc_entry e;

			/* generation other than 0: look the entry up */
			if (g < 0 && fatal())
				return -1;
			if (ks_pdfdoc_xref_effective(r->doc, r->rev, num, &e) < 0 ||
			    ks_pdfdoc_get(r->doc, r->rev, num, e.gen, &d) < 0) {
				if (fatal())
					return -1;
				continue;
			}
		}
		if (walk_annots(r, ks_pdfobj_get(d, "Annots")) < 0)
			return -1;
	}
	return 0;
}

/* The name dictionary (ISO 32000-1 7.7.4): its /AP tree holds annotation
 * appearances (Acrobat adds one with its comment icons); every other
 * tree (JavaScript, embedded files, destinations, ...) is "other". */
static int walk_names(struct pv_roles *r, const struct ks_pdfobj *v)
{
	const struct ks_pdfobj *d;
	uint32_t num;
	bool fresh;
	size_t i;

	if (enter(r, v, PV_R_NAMES, &num, &fresh, &d) < 0)
		return -1;
	d = ks_pdfobj_dict(d);
	for (i = 0; fresh && d != NULL && i < d->u.dict.n; i++)
		if (push(r, d->u.dict.e[i].val,
			 strcmp(d->u.dict.e[i].key, "AP") == 0 ? PV_R_ANNOT : PV_R_OTHER, 0) < 0)
			return -1;
	return 0;
}

int pv_roles_build(struct ks_pdfdoc *doc, size_t rev, uint32_t n, struct pv_roles *r)
{
	const struct ks_pdfdoc_rev *rv = ks_pdfdoc_rev(doc, rev);
	const struct ks_pdfobj *root, *cat = NULL, *val;
	uint32_t num;
	bool fresh;
	size_t i;
	const char *k;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->doc = doc;
	r->rev = rev;
	r->n = n;
	r->bits = calloc((size_t)n + 1, sizeof(*r->bits));
	r->owner = calloc((size_t)n + 1, sizeof(*r->owner));
	if (r->bits == NULL || r->owner == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (rv == NULL || rv->trailer == NULL) {
		rc = 0;
		goto out;
	}
	root = ks_pdfobj_get(rv->trailer, "Root");
	KS_GUARD(enter(r, root, PV_R_CATALOG, &num, &fresh, &cat));
	r->catalog = num;
	KS_GUARD(push(r, ks_pdfobj_get(rv->trailer, "Info"), PV_R_INFO, 0));
	KS_GUARD(push(r, ks_pdfobj_get(rv->trailer, "Encrypt"), PV_R_OTHER, 0));
	cat = ks_pdfobj_dict(cat);
	if (cat == NULL) {
		KS_GUARD(run_work(r));
		rc = 0;
		goto out;
	}
	KS_GUARD(walk_pages(r, ks_pdfobj_get(cat, "Pages"), 0));
	KS_GUARD(walk_all_annots(r));
	for (i = 0; i < cat->u.dict.n; i++) {
		k = cat->u.dict.e[i].key;
		val = cat->u.dict.e[i].val;
		if (strcmp(k, "Pages") == 0 || strcmp(k, "Type") == 0)
			continue;
		if (strcmp(k, "AcroForm") == 0) {
			KS_GUARD(walk_acroform(r, val));
		} else if (strcmp(k, "Perms") == 0) {
			const struct ks_pdfobj *perms;

			KS_GUARD(resolve(r, val, &perms));
			perms = ks_pdfobj_dict(perms);
			for (size_t j = 0; perms != NULL && j < perms->u.dict.n; j++)
				KS_GUARD(walk_sig(r, perms->u.dict.e[j].val));
		} else if (strcmp(k, "Names") == 0) {
			KS_GUARD(walk_names(r, val));
		} else if (strcmp(k, "DSS") == 0) {
			KS_GUARD(push(r, val, PV_R_DSS, 0));
		} else if (strcmp(k, "Metadata") == 0 || strcmp(k, "Extensions") == 0) {
			KS_GUARD(push(r, val, PV_R_META, 0));
		} else {
			KS_GUARD(push(r, val, PV_R_OTHER, 0));
		}
	}
	KS_GUARD(run_work(r));
	rc = 0;
out:
	free(r->work);
	r->work = NULL;
	r->nwork = r->capwork = 0;
	if (rc < 0)
		pv_roles_free(r);
	return rc;
}

void pv_roles_free(struct pv_roles *r)
{
	free(r->bits);
	free(r->owner);
	free(r->work);
	memset(r, 0, sizeof(*r));
}
