/* ks_pdfdoc document: open / free, the header, the scan for every
 * %%EOF and startxref (ISO 32000-1 7.5.5), and the fallback that rebuilds
 * the object table by scanning for "N G obj" when the xref chain is
 * unusable. */
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdfdoc_int.h"
#include "ks_size.h"

/* 7.5.2: the header should be at byte 0; readers accept it within the
 * first 1024 bytes. */
#define PD_HEADER_WINDOW 1024

void ks_pdfdoc_limits_default(struct ks_pdfdoc_limits *lim)
{
	lim->max_depth = KS_PDFDOC_MAX_DEPTH;
	lim->max_objects = KS_PDFDOC_MAX_OBJECTS;
	lim->max_xref_entries = KS_PDFDOC_MAX_XREF_ENTRIES;
	lim->max_revisions = KS_PDFDOC_MAX_REVISIONS;
	lim->max_stream = KS_PDFDOC_MAX_STREAM;
	lim->max_ratio = KS_PDFDOC_MAX_RATIO;
	lim->ratio_allowance = KS_PDFDOC_RATIO_ALLOWANCE;
	lim->max_string = KS_PDFDOC_MAX_STRING;
	lim->max_name = KS_PDFDOC_MAX_NAME;
	lim->max_array = KS_PDFDOC_MAX_ARRAY;
	lim->max_dict = KS_PDFDOC_MAX_DICT;
	lim->max_indirection = KS_PDFDOC_MAX_INDIRECTION;
	lim->max_memory = KS_PDFDOC_MAX_MEMORY;
	lim->max_pages = KS_PDFDOC_MAX_PAGES;
	lim->max_fields = KS_PDFDOC_MAX_FIELDS;
	lim->allow_repair = true;
	lim->tail = false;
}

static void find_header(struct ks_pdfdoc *doc)
{
	size_t pos = 0, n = doc->in.left < PD_HEADER_WINDOW ? doc->in.left : PD_HEADER_WINDOW;
	uint8_t maj = 0, min = 0;
	struct ks_cur w, v;

	if (ks_cur_range(&doc->in, 0, n, &w) < 0 || !ks_cur_find(&w, "%PDF-", 5, &pos))
		return;
	doc->header_off = pos;
	if (ks_cur_at(&w, pos + 5, &v) == 0 && ks_cur_u8(&v, &maj) == 0 &&
	    ks_cur_accept(&v, ".", 1) && ks_cur_u8(&v, &min) == 0 && maj >= '1' && maj <= '9' &&
	    min >= '0' && min <= '9')
		doc->version = (unsigned)(maj - '0') * 10 + (unsigned)(min - '0');
	ks_err_clear();
}

/* Every "%%EOF" and "startxref" of the file, in file order. */
static int scan_markers(struct ks_pdfdoc *doc)
{
	struct ks_cur v;
	size_t at = 0, cap = 0, end, from = 0;
	uint64_t val = 0;

	/* Tail mode: the window at the end only (see ks_pdfdoc_limits). */
	if (doc->lim.tail && doc->in.left > KS_PDFDOC_TAIL_WINDOW)
		from = doc->in.left - KS_PDFDOC_TAIL_WINDOW;

	for (at = from; ks_cur_find_from(&doc->in, at, "%%EOF", 5, &at); at += 5) {
		if (ks_pd_grow(doc, (void **)&doc->eofs, &cap, doc->neofs + 1, sizeof(*doc->eofs)) <
		    0)
			return -1;
		if (ks_cur_at(&doc->in, at + 5, &v) < 0)
			return -1;
		/* the EOL that ends the marker belongs to the revision */
		if (!ks_cur_accept(&v, "\r\n", 2) && !ks_cur_accept(&v, "\n", 1))
			(void)ks_cur_accept(&v, "\r", 1);
		end = ks_cur_pos(&doc->in, &v);
		doc->eofs[doc->neofs].off = at;
		doc->eofs[doc->neofs].end = end;
		doc->neofs++;
	}
	cap = 0;
	for (at = from; ks_cur_find_from(&doc->in, at, "startxref", 9, &at); at += 9) {
		if (ks_pd_grow(doc, (void **)&doc->sx, &cap, doc->nsx + 1, sizeof(*doc->sx)) < 0 ||
		    ks_cur_at(&doc->in, at + 9, &v) < 0)
			return -1;
		memset(&doc->sx[doc->nsx], 0, sizeof(*doc->sx));
		doc->sx[doc->nsx].off = at;
		ks_cur_skip_while(&v, ks_pdf_is_ws);
		if (ks_cur_decimal(&v, 20, UINT64_MAX, &val) == 0) {
			doc->sx[doc->nsx].valid = true;
			doc->sx[doc->nsx].value = val;
		}
		ks_err_clear();
		doc->nsx++;
	}
	return 0;
}

/* ---------------------------------------------------------------- repair */

/* "N G obj": the generation, the object number and what precedes it,
 * read backwards from the keyword at `at`. */
static bool objdef_before(const struct ks_cur *in, size_t at, struct ks_pdfdoc_objdef *d)
{
	size_t lo = at > KS_PDFDOC_OBJ_LOOKBACK ? at - KS_PDFDOC_OBJ_LOOKBACK : 0, i = at - lo;
	uint64_t gen = 0, num = 0;
	struct ks_cur w;
	uint8_t b;

	if (ks_cur_range(in, lo, at - lo, &w) < 0 ||
	    ks_cur_skip_back_while(&w, &i, ks_pdf_is_ws) == 0 ||
	    ks_cur_decimal_before(&w, &i, 5, 99999, &gen) < 0 ||
	    ks_cur_skip_back_while(&w, &i, ks_pdf_is_ws) == 0 ||
	    ks_cur_decimal_before(&w, &i, 10, UINT32_MAX, &num) < 0)
		return false;
	/* the number starts a token; a window full of header cannot say so */
	if (i > 0 ? ks_cur_peek_before(&w, i, &b) < 0 || ks_pdf_is_regular(b) : lo > 0)
		return false;
	d->num = (uint32_t)num;
	d->gen = (uint32_t)gen;
	d->start = lo + i;
	return true;
}

bool ks_pdfdoc_scan_obj(const struct ks_cur *in, size_t *at, size_t to, struct ks_pdfdoc_objdef *d)
{
	struct ks_cur upto, after;
	size_t hit = 0;
	uint8_t b;
	bool found = false;

	if (to > in->left)
		to = in->left;
	if (ks_cur_range(in, 0, to, &upto) < 0) {
		ks_err_clear();
		return false;
	}
	while (!found && ks_cur_find_from(&upto, *at, "obj", 3, &hit)) {
		*at = hit + 3;
		/* 7.2.1: the keyword ends at white space, a delimiter or the end */
		found = objdef_before(in, hit, d) &&
			(ks_cur_at(in, hit + 3, &after) < 0 || ks_cur_peek(&after, &b) < 0 ||
			 !ks_pdf_is_regular(b));
	}
	if (!found && *at < to)
		*at = to;
	ks_err_clear();
	return found;
}

struct found {
	uint32_t num;
	uint16_t gen;
	size_t off;
};

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int cmp_found_off(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct ks_pd_entry *x = a, *y = b;

	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	/* a direct object beats a copy inside an object stream */
	return (x->type == KS_PDFDOC_ENTRY_INUSE ? 0 : 1) -
	       (y->type == KS_PDFDOC_ENTRY_INUSE ? 0 : 1);
}

/* The scanned object that contains file offset `pos` (the last one
 * starting at or before it), or NULL. */
static const struct found *containing(const struct found *byoff, size_t n, size_t pos)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (byoff[mid].off <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 ? &byoff[lo - 1] : NULL;
}

static int set_entries(struct ks_pdfdoc *doc, struct ks_pd_entry *v, size_t n)
{
	struct ks_pd_rev *r = &doc->revs[0];
	size_t i, k = 0;

	qsort(v, n, sizeof(*v), cmp_entry);
	if (ks_pd_alloc(doc, n * sizeof(*r->e), (void **)&r->e) < 0 ||
	    ks_pd_alloc(doc, n * sizeof(*r->nums), (void **)&r->nums) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (k > 0 && r->e[k - 1].num == v[i].num)
			continue;
		r->e[k] = v[i];
		r->nums[k++] = v[i].num;
	}
	r->n = r->pub.nobjects = k;
	r->maxnum = k > 0 ? r->e[k - 1].num + 1 : 0;
	return 0;
}

/* Objects stored in object streams found by scanning for /ObjStm. */
static int add_objstm_members(struct ks_pdfdoc *doc, const struct found *byoff, size_t nf,
			      struct ks_pd_entry **v, size_t *n, size_t *cap)
{
	size_t at, i;
	const struct found *f;
	struct ks_pd_entry pe;
	uint32_t last = UINT32_MAX, num = 0;

	for (at = 0; ks_cur_find_from(&doc->in, at, "/ObjStm", 7, &at); at += 7) {
		f = containing(byoff, nf, at);
		if (f == NULL || f->num == last)
			continue;
		last = f->num;
		for (i = 0; ks_pd_objstm_member(doc, f->num, i, &num) == 0; i++) {
			if (num >= doc->lim.max_objects)
				continue;
			memset(&pe, 0, sizeof(pe));
			pe.num = num;
			pe.type = KS_PDFDOC_ENTRY_COMPRESSED;
			pe.off = f->num;
			pe.index = (uint32_t)i;
			if (*n >= doc->lim.max_xref_entries)
				return KS_SET(KS_ERR_LIMIT, "more than %zu objects",
					      doc->lim.max_xref_entries);
			if (ks_pd_grow(doc, (void **)v, cap, *n + 1, sizeof(**v)) < 0)
				return -1;
			(*v)[(*n)++] = pe;
		}
		ks_err_clear();
	}
	return 0;
}

static bool good_trailer(struct ks_pdfdoc *doc, const struct ks_pdfobj *t)
{
	const struct ks_pdfobj *root = NULL;

	if (ks_pdfdoc_dict_get(doc, 0, t, "Root", &root) < 0 || root == NULL ||
	    root->type != KS_PDFOBJ_DICT) {
		ks_err_clear();
		return false;
	}
	return true;
}

static int find_trailer(struct ks_pdfdoc *doc, const struct found *byoff, size_t nf)
{
	struct ks_pd_lex lx;
	struct ks_pdfobj *t = NULL, *ref = NULL, *best = NULL;
	struct ks_pdfdict_entry *ent = NULL;
	const struct ks_pdfobj *o = NULL;
	size_t i, at;

	/* the last "trailer" dictionary that names a usable /Root */
	for (at = 0; ks_cur_find_from(&doc->in, at, "trailer", 7, &at); at += 7) {
		ks_pd_lex_init(&lx, doc, &doc->in, 0, 0);
		if (ks_pd_lex_seek(&lx, at + 7) == 0 && ks_pd_parse_value(&lx, 0, &t) == 0 &&
		    t->type == KS_PDFOBJ_DICT && good_trailer(doc, t))
			best = t;
		ks_err_clear();
	}
	if (best != NULL) {
		doc->revs[0].pub.trailer = best;
		return 0;
	}
	/* else an xref stream dictionary, else a catalog, newest first */
	for (i = nf; i > 0; i--) {
		if (ks_pdfdoc_get(doc, 0, byoff[i - 1].num, byoff[i - 1].gen, &o) < 0) {
			ks_err_clear();
			continue;
		}
		if (o->type == KS_PDFOBJ_STREAM &&
		    ks_pdfobj_is_name(ks_pdfobj_get(o, "Type"), "XRef") &&
		    good_trailer(doc, o->u.stream.dict)) {
			doc->revs[0].pub.trailer = o->u.stream.dict;
			return 0;
		}
	}
	for (i = nf; i > 0; i--) {
		if (ks_pdfdoc_get(doc, 0, byoff[i - 1].num, byoff[i - 1].gen, &o) < 0) {
			ks_err_clear();
			continue;
		}
		if (o->type != KS_PDFOBJ_DICT ||
		    !ks_pdfobj_is_name(ks_pdfobj_get(o, "Type"), "Catalog"))
			continue;
		if (ks_pd_alloc(doc, sizeof(*t), (void **)&t) < 0 ||
		    ks_pd_alloc(doc, sizeof(*ref), (void **)&ref) < 0 ||
		    ks_pd_alloc(doc, sizeof(*ent), (void **)&ent) < 0)
			return -1;
		ref->type = KS_PDFOBJ_REF;
		ref->u.ref.num = byoff[i - 1].num;
		ref->u.ref.gen = byoff[i - 1].gen;
		ent->key = "Root";
		ent->key_len = 4;
		ent->val = ref;
		t->type = KS_PDFOBJ_DICT;
		t->u.dict.e = ent;
		t->u.dict.n = 1;
		doc->revs[0].pub.trailer = t;
		return 0;
	}
	return KS_SET(KS_ERR_PDF_XREF, "no trailer and no catalog found");
}

static int repair(struct ks_pdfdoc *doc)
{
	struct ks_pdfdoc_objdef d;
	struct found *all = NULL, *byoff = NULL;
	struct ks_pd_entry *v = NULL;
	size_t at = 0, n = 0, cap = 0, nv = 0, vcap = 0, i, k = 0;
	int rc = -1;

	while (ks_pdfdoc_scan_obj(&doc->in, &at, SIZE_MAX, &d)) {
		if (d.gen > 65535 || d.num >= doc->lim.max_objects)
			continue;
		if (n >= doc->lim.max_xref_entries)
			KS_BAIL(KS_ERR_LIMIT, "more than %zu objects", doc->lim.max_xref_entries);
		KS_GUARD(ks_pd_grow(doc, (void **)&all, &cap, n + 1, sizeof(*all)));
		all[n].num = d.num;
		all[n].gen = (uint16_t)d.gen;
		all[n].off = d.start;
		n++;
	}
	if (n == 0)
		KS_BAIL(KS_ERR_PDF_XREF, "no objects found");
	/* newest (last in the file) definition of each number wins */
	qsort(all, n, sizeof(*all), cmp_found);
	for (i = 0; i < n; i++)
		if (i + 1 == n || all[i + 1].num != all[i].num)
			all[k++] = all[i];
	n = k;
	KS_GUARD(ks_pd_alloc(doc, n * sizeof(*byoff), (void **)&byoff));
	memcpy(byoff, all, n * sizeof(*byoff));
	qsort(byoff, n, sizeof(*byoff), cmp_found_off);
	KS_GUARD(ks_pd_alloc(doc, sizeof(*doc->revs), (void **)&doc->revs));
	doc->nrevs = 1;
	doc->revs[0].pub.kind = KS_PDFDOC_XREF_REPAIRED;
	doc->revs[0].pub.nsections = 1;
	doc->revs[0].pub.startxref_off = SIZE_MAX;
	doc->revs[0].pub.end = doc->in.left;
	if (doc->neofs > 0) {
		doc->revs[0].pub.has_eof = true;
		doc->revs[0].pub.end = doc->eofs[doc->neofs - 1].end;
	}
	for (i = 0; i < n; i++) {
		KS_GUARD(ks_pd_grow(doc, (void **)&v, &vcap, nv + 1, sizeof(*v)));
		memset(&v[nv], 0, sizeof(*v));
		v[nv].num = all[i].num;
		v[nv].gen = all[i].gen;
		v[nv].type = KS_PDFDOC_ENTRY_INUSE;
		v[nv].off = all[i].off;
		nv++;
	}
	KS_GUARD(set_entries(doc, v, nv));
	doc->opening = false;
	KS_GUARD(add_objstm_members(doc, byoff, n, &v, &nv, &vcap));
	KS_GUARD(set_entries(doc, v, nv));
	KS_GUARD(find_trailer(doc, byoff, n));
	rc = 0;
out:
	ks_pd_uncharge(doc, cap * sizeof(*all) + vcap * sizeof(*v));
	free(all);
	free(v);
	return rc;
}

/* -------------------------------------------------------------- document */

int ks_pdfdoc_open(const uint8_t *data, size_t len, const struct ks_pdfdoc_limits *lim,
		   struct ks_pdfdoc **out)
{
	struct ks_pdfdoc *doc = NULL;
	const struct ks_pdfobj *t;
	char reason[KS_ERR_MSG_MAX];
	size_t i;
	int rc = -1;

	if (out == NULL || (data == NULL && len > 0))
		return KS_SET(KS_ERR_ARG, "no input");
	*out = NULL;
	doc = calloc(1, sizeof(*doc));
	if (doc == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	ks_cur_init(&doc->in, data, len);
	ks_pdfdoc_limits_default(&doc->lim);
	if (lim != NULL) {
		/* a zero limit means "the default", so a caller that sets one
		 * field of a zeroed struct gets sane values for the others */
#define PD_TAKE(f)                           \
	do {                                 \
		if (lim->f != 0)             \
			doc->lim.f = lim->f; \
	} while (0)
		PD_TAKE(max_depth);
		PD_TAKE(max_objects);
		PD_TAKE(max_xref_entries);
		PD_TAKE(max_revisions);
		PD_TAKE(max_stream);
		PD_TAKE(max_ratio);
		PD_TAKE(ratio_allowance);
		PD_TAKE(max_string);
		PD_TAKE(max_name);
		PD_TAKE(max_array);
		PD_TAKE(max_dict);
		PD_TAKE(max_indirection);
		PD_TAKE(max_memory);
		PD_TAKE(max_pages);
		PD_TAKE(max_fields);
#undef PD_TAKE
		doc->lim.allow_repair = lim->allow_repair;
		doc->lim.tail = lim->tail;
		if (doc->lim.tail)
			doc->lim.allow_repair = false; /* repair scans the whole file */
	}
	doc->opening = true;
	doc->no_endstream_from = SIZE_MAX;
	doc->resolve = ks_pdfdoc_resolve;
	find_header(doc);
	KS_GUARD(scan_markers(doc));
	if (ks_pd_xref_load(doc) == 0) {
		t = doc->revs[doc->nrevs - 1].pub.trailer;
		if (ks_pdfobj_get(t, "Root") != NULL)
			goto loaded;
		KS_SET(KS_ERR_PDF_XREF, "the trailer at offset %zu has no /Root", t->start);
	}
	if (!doc->lim.allow_repair || ks_err_is_fatal())
		goto out;
	memcpy(reason, ks_err_msg(), strlen(ks_err_msg()) + 1);
	KS_GUARD(ks_pd_strndup(doc, reason, strlen(reason), &doc->repair_reason));
	doc->revs = NULL;
	doc->nrevs = 0;
	doc->total_entries = 0;
	for (i = 0; i < doc->nsx; i++)
		doc->sx[i].in_chain = false;
	if (repair(doc) < 0)
		KS_BAIL(ks_err_code(), "xref unusable (%s), and rebuilding it failed: %s", reason,
			ks_err_msg());
	doc->repaired = true;
loaded:
	doc->opening = false;
	doc->encrypted = ks_pdfobj_get(doc->revs[doc->nrevs - 1].pub.trailer, "Encrypt") != NULL;
	ks_err_clear();
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	ks_pdfdoc_free(doc);
	return rc;
}

void ks_pdfdoc_free(struct ks_pdfdoc *doc)
{
	size_t i;

	if (doc == NULL)
		return;
	for (i = 0; i < doc->objstms.cap; i++) {
		void *v = doc->objstms.vals[i];

		if (v != NULL && v != PD_IN_PROGRESS && v != PD_FAILED)
			ks_pd_objstm_free(v);
	}
	ks_pd_map_cleanup(doc, &doc->by_off);
	ks_pd_map_cleanup(doc, &doc->objstms);
	ks_pd_map_cleanup(doc, &doc->failed);
	free(doc->eofs);
	free(doc->sx);
	ks_pd_arena_free(doc->blocks);
	free(doc);
}

void ks_pdfdoc_input(const struct ks_pdfdoc *doc, struct ks_cur *out)
{
	*out = doc->in;
}

size_t ks_pdfdoc_header_offset(const struct ks_pdfdoc *doc)
{
	return doc->header_off;
}

unsigned ks_pdfdoc_version(const struct ks_pdfdoc *doc)
{
	return doc->version;
}

bool ks_pdfdoc_repaired(const struct ks_pdfdoc *doc)
{
	return doc->repaired;
}

const char *ks_pdfdoc_repair_reason(const struct ks_pdfdoc *doc)
{
	return doc->repair_reason != NULL ? doc->repair_reason : "";
}

bool ks_pdfdoc_encrypted(const struct ks_pdfdoc *doc)
{
	return doc->encrypted;
}

void ks_pdfdoc_eof_markers(const struct ks_pdfdoc *doc, const struct ks_pdfdoc_eof **eofs,
			   size_t *n)
{
	*eofs = doc->eofs;
	*n = doc->neofs;
}

void ks_pdfdoc_startxrefs(const struct ks_pdfdoc *doc, const struct ks_pdfdoc_startxref **sx,
			  size_t *n)
{
	*sx = doc->sx;
	*n = doc->nsx;
}
