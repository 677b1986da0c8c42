/* ks_pdfdoc cross-reference sections and revisions (ISO 32000-1 7.5.4,
 * 7.5.5, 7.5.6, 7.5.8): the /Prev chain from the last startxref, every
 * section's entries and trailer, grouped into revisions oldest first. */
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdfdoc_int.h"
#include "ks_size.h"

/* xref stream /W field widths beyond 8 bytes cannot hold a 64-bit value. */
#define PD_MAX_W 8
/* The shortest table entry a tolerant reader accepts: "0 0 n" plus EOL. */
#define PD_MIN_TABLE_ENTRY 6

struct ks_pd_section {
	size_t off, end;
	enum ks_pdfdoc_xref_kind kind;
	size_t xrefstm_off;
	const struct ks_pdfobj *trailer;
	struct ks_pd_entry *e; /* table or stream entries, file order */
	size_t n, cap;
	struct ks_pd_entry *xe; /* hybrid: the /XRefStm entries */
	size_t xn, xcap;
	bool xe_prev; /* hybrid: the /XRefStm has a /Prev of its own */
};

static void section_cleanup(struct ks_pdfdoc *doc, struct ks_pd_section *s)
{
	ks_pd_uncharge(doc, (s->cap + s->xcap) * sizeof(struct ks_pd_entry));
	free(s->e);
	free(s->xe);
	s->e = s->xe = NULL;
}

static int push_entry(struct ks_pdfdoc *doc, struct ks_pd_entry **v, size_t *n, size_t *cap,
		      const struct ks_pd_entry *e)
{
	if (e->num >= doc->lim.max_objects)
		return KS_SET(KS_ERR_LIMIT, "object number %u beyond the limit %zu",
			      (unsigned)e->num, doc->lim.max_objects);
	if (doc->total_entries >= doc->lim.max_xref_entries)
		return KS_SET(KS_ERR_LIMIT, "more than %zu xref entries",
			      doc->lim.max_xref_entries);
	if (ks_pd_grow(doc, (void **)v, cap, *n + 1, sizeof(**v)) < 0)
		return -1;
	(*v)[(*n)++] = *e;
	doc->total_entries++;
	return 0;
}

/* ------------------------------------------------------------ xref table */

/* 7.5.4: "nnnnnnnnnn ggggg n" entries; real files vary the whitespace
 * (19- or 21-byte entries, CR, CRLF, spaces), so tokens are read one by
 * one rather than as fixed 20-byte records. */
static int table_entry(struct ks_pd_lex *lx, uint32_t num, struct ks_pd_entry *e)
{
	uint64_t off = 0, gen = 0;
	uint8_t t = 0;
	size_t at;

	ks_cur_skip_while(&lx->c, ks_pdf_is_ws);
	at = ks_pd_lex_pos(lx);
	if (ks_cur_decimal(&lx->c, 20, UINT64_MAX, &off) < 0 ||
	    ks_cur_skip_while(&lx->c, ks_pdf_is_ws) == 0 ||
	    ks_cur_decimal(&lx->c, 10, 65535, &gen) < 0 ||
	    ks_cur_skip_while(&lx->c, ks_pdf_is_ws) == 0 || ks_cur_u8(&lx->c, &t) < 0 ||
	    (t != 'n' && t != 'f'))
		return KS_SET(KS_ERR_PDF_XREF, "bad xref table entry for object %u at offset %zu",
			      (unsigned)num, at);
	memset(e, 0, sizeof(*e));
	e->num = num;
	e->gen = (uint16_t)gen;
	e->off = off;
	e->type = t == 'n' ? KS_PDFDOC_ENTRY_INUSE : KS_PDFDOC_ENTRY_FREE;
	return 0;
}

static int parse_table(struct ks_pdfdoc *doc, struct ks_pd_lex *lx, struct ks_pd_section *s)
{
	uint64_t first = 0, count = 0, k;
	struct ks_pd_entry e;
	struct ks_pdfobj *trailer = NULL;
	size_t at;
	int rc = -1;

	for (;;) {
		ks_pd_lex_skip_ws(lx);
		if (ks_pd_lex_keyword(lx, "trailer"))
			break;
		at = ks_pd_lex_pos(lx);
		if (ks_pd_lex_uint(lx, UINT32_MAX, &first) < 0 ||
		    ks_cur_skip_while(&lx->c, ks_pdf_is_ws) == 0 ||
		    ks_pd_lex_uint(lx, UINT32_MAX, &count) < 0)
			KS_BAIL(KS_ERR_PDF_XREF,
				"xref subsection header or 'trailer' expected at "
				"offset %zu",
				at);
		if (count > lx->c.left / PD_MIN_TABLE_ENTRY)
			KS_BAIL(KS_ERR_PDF_XREF,
				"xref subsection at offset %zu claims %llu "
				"entries, more than the file holds",
				at, (unsigned long long)count);
		if (first + count > doc->lim.max_objects)
			KS_BAIL(KS_ERR_LIMIT,
				"xref subsection at offset %zu: objects %llu+%llu "
				"beyond the limit %zu",
				at, (unsigned long long)first, (unsigned long long)count,
				doc->lim.max_objects);
		for (k = 0; k < count; k++) {
			KS_GUARD(table_entry(lx, (uint32_t)(first + k), &e));
			/* A common writer bug numbers the first subsection from 1
			 * although it starts with the head of the free list (object
			 * 0, 65535 f): shift it back (as pdf.js, PDFBox do). */
			if (k == 0 && first == 1 && e.type == KS_PDFDOC_ENTRY_FREE &&
			    e.gen == 65535 && e.off == 0) {
				first = 0;
				e.num = 0;
			}
			KS_GUARD(push_entry(doc, &s->e, &s->n, &s->cap, &e));
		}
	}
	KS_GUARD(ks_pd_parse_value(lx, 0, &trailer));
	if (trailer->type != KS_PDFOBJ_DICT)
		KS_BAIL(KS_ERR_PDF_XREF, "trailer at offset %zu is not a dictionary",
			trailer->start);
	s->trailer = trailer;
	s->end = ks_pd_lex_pos(lx);
	rc = 0;
out:
	return rc;
}

/* ----------------------------------------------------------- xref stream */

static int get_uint_field(struct ks_cur *row, size_t w, uint64_t *v)
{
	uint8_t b;
	size_t i;

	*v = 0;
	for (i = 0; i < w; i++) {
		if (ks_cur_u8(row, &b) < 0)
			return -1;
		*v = *v << 8 | b;
	}
	return 0;
}

static int array_uint(const struct ks_pdfobj *a, size_t i, uint64_t max, uint64_t *v)
{
	int64_t x;

	if (a == NULL || a->type != KS_PDFOBJ_ARRAY || i >= a->u.arr.n ||
	    !ks_pdfobj_int(a->u.arr.items[i], &x) || x < 0 || (uint64_t)x > max)
		return -1;
	*v = (uint64_t)x;
	return 0;
}

/* 7.5.8: a cross-reference stream at `off`; entries go to (v, n, cap). */
static int parse_xref_stream(struct ks_pdfdoc *doc, size_t off, struct ks_pd_section *s,
			     bool hidden)
{
	struct ks_pd_lex lx;
	struct ks_pdfdoc_indirect ind;
	const struct ks_pdfobj *d, *wo, *idx;
	struct ks_buf data;
	struct ks_cur c, row;
	uint64_t w[3], size = 0, first, count, k, f1, f2, f3;
	size_t rowlen, i, nsub;
	struct ks_pd_entry e;
	int64_t isize;
	int rc = -1;

	ks_buf_init(&data, doc->lim.max_stream);
	ks_pd_lex_init(&lx, doc, &doc->in, 0, 0);
	KS_GUARD(ks_pd_lex_seek(&lx, off));
	if (ks_pd_parse_indirect(&lx, &ind) < 0)
		KS_BAIL(KS_ERR_PDF_XREF, "no xref stream at offset %zu: %s", off, ks_err_msg());
	if (ind.obj->type != KS_PDFOBJ_STREAM)
		KS_BAIL(KS_ERR_PDF_XREF, "object at offset %zu is not an xref stream", off);
	d = ind.obj->u.stream.dict;
	if (!ks_pdfobj_is_name(ks_pdfobj_get(d, "Type"), "XRef"))
		KS_BAIL(KS_ERR_PDF_XREF, "stream at offset %zu is not /Type /XRef", off);
	/* 7.5.8.4: the table's trailer chains the sections; a reader that
	 * follows the stream's own /Prev sees other sections. */
	if (hidden && ks_pdfobj_get(d, "Prev") != NULL)
		s->xe_prev = true;
	if (!ks_pdfobj_int(ks_pdfobj_get(d, "Size"), &isize) || isize < 0)
		KS_BAIL(KS_ERR_PDF_XREF, "xref stream at offset %zu: bad /Size", off);
	size = (uint64_t)isize;
	if (size > doc->lim.max_objects)
		KS_BAIL(KS_ERR_LIMIT, "xref stream at offset %zu: /Size %llu beyond the limit", off,
			(unsigned long long)size);
	wo = ks_pdfobj_get(d, "W");
	if (wo == NULL || wo->type != KS_PDFOBJ_ARRAY || wo->u.arr.n < 3 ||
	    array_uint(wo, 0, PD_MAX_W, &w[0]) < 0 || array_uint(wo, 1, PD_MAX_W, &w[1]) < 0 ||
	    array_uint(wo, 2, PD_MAX_W, &w[2]) < 0)
		KS_BAIL(KS_ERR_PDF_XREF, "xref stream at offset %zu: bad /W", off);
	rowlen = (size_t)(w[0] + w[1] + w[2]);
	if (rowlen == 0)
		KS_BAIL(KS_ERR_PDF_XREF, "xref stream at offset %zu: empty /W", off);
	idx = ks_pdfobj_get(d, "Index");
	if (idx != NULL && (idx->type != KS_PDFOBJ_ARRAY || idx->u.arr.n % 2 != 0))
		KS_BAIL(KS_ERR_PDF_XREF, "xref stream at offset %zu: bad /Index", off);
	if (ks_pd_stream_decode_rev(doc, 0, ind.obj, &data) < 0)
		KS_BAIL(ks_err_code(), "xref stream at offset %zu: %s", off, ks_err_msg());
	ks_cur_from_buf(&c, &data);
	nsub = idx != NULL ? idx->u.arr.n / 2 : 1;
	for (i = 0; i < nsub; i++) {
		first = 0;
		count = size;
		if (idx != NULL && (array_uint(idx, 2 * i, UINT32_MAX, &first) < 0 ||
				    array_uint(idx, 2 * i + 1, UINT32_MAX, &count) < 0))
			KS_BAIL(KS_ERR_PDF_XREF, "xref stream at offset %zu: bad /Index", off);
		if (first + count > doc->lim.max_objects)
			KS_BAIL(KS_ERR_LIMIT,
				"xref stream at offset %zu: objects %llu+%llu beyond "
				"the limit",
				off, (unsigned long long)first, (unsigned long long)count);
		for (k = 0; k < count; k++) {
			if (ks_cur_sub(&c, rowlen, &row) < 0)
				KS_BAIL(KS_ERR_PDF_XREF,
					"xref stream at offset %zu: data ends at "
					"object %llu",
					off, (unsigned long long)(first + k));
			f1 = 1; /* 7.5.8.3: type 1 when the first field is absent */
			if ((w[0] > 0 && get_uint_field(&row, (size_t)w[0], &f1) < 0) ||
			    get_uint_field(&row, (size_t)w[1], &f2) < 0 ||
			    get_uint_field(&row, (size_t)w[2], &f3) < 0)
				KS_BAIL(KS_ERR_INTERNAL, "xref row");
			memset(&e, 0, sizeof(e));
			e.num = (uint32_t)(first + k);
			e.from_xrefstm = hidden;
			if (f1 == 1) {
				if (f3 > 65535)
					KS_BAIL(KS_ERR_PDF_XREF,
						"xref stream at offset %zu: "
						"generation %llu",
						off, (unsigned long long)f3);
				e.type = KS_PDFDOC_ENTRY_INUSE;
				e.off = f2;
				e.gen = (uint16_t)f3;
			} else if (f1 == 2) {
				if (f2 > UINT32_MAX || f3 > UINT32_MAX)
					KS_BAIL(KS_ERR_PDF_XREF,
						"xref stream at offset %zu: bad "
						"compressed entry",
						off);
				e.type = KS_PDFDOC_ENTRY_COMPRESSED;
				e.off = f2;
				e.index = (uint32_t)f3;
			} else {
				/* type 0, and unknown types, which 7.5.8.3 says
				 * reference the null object */
				e.type = KS_PDFDOC_ENTRY_FREE;
				e.off = f2;
				e.gen = (uint16_t)(f3 > 65535 ? 65535 : f3);
			}
			if (hidden)
				KS_GUARD(push_entry(doc, &s->xe, &s->xn, &s->xcap, &e));
			else
				KS_GUARD(push_entry(doc, &s->e, &s->n, &s->cap, &e));
		}
	}
	if (!hidden) {
		s->trailer = d;
		s->end = ind.end;
	} else if (ind.end > s->end) {
		s->end = ind.end;
	}
	rc = 0;
out:
	ks_buf_cleanup(&data);
	return rc;
}

static int parse_section(struct ks_pdfdoc *doc, size_t off, struct ks_pd_section *s)
{
	struct ks_pd_lex lx;
	const struct ks_pdfobj *xs;
	int64_t v;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	s->off = off;
	ks_pd_lex_init(&lx, doc, &doc->in, 0, 0);
	if (off >= doc->in.left)
		KS_BAIL(KS_ERR_PDF_XREF, "xref offset %zu beyond the end of the file (%zu bytes)",
			off, doc->in.left);
	KS_GUARD(ks_pd_lex_seek(&lx, off));
	ks_pd_lex_skip_ws(&lx);
	if (ks_pd_lex_keyword(&lx, "xref")) {
		s->kind = KS_PDFDOC_XREF_TABLE;
		KS_GUARD(parse_table(doc, &lx, s));
		xs = ks_pdfobj_get(s->trailer, "XRefStm");
		if (xs != NULL) {
			/* 7.5.8.4 hybrid-reference file */
			if (!ks_pdfobj_int(xs, &v) || v < 0 || (uint64_t)v >= doc->in.left)
				KS_BAIL(KS_ERR_PDF_XREF, "bad /XRefStm in trailer at offset %zu",
					s->trailer->start);
			s->kind = KS_PDFDOC_XREF_HYBRID;
			s->xrefstm_off = (size_t)v;
			KS_GUARD(parse_xref_stream(doc, s->xrefstm_off, s, true));
		}
	} else {
		s->kind = KS_PDFDOC_XREF_STREAM;
		KS_GUARD(parse_xref_stream(doc, off, s, false));
	}
	rc = 0;
out:
	return rc;
}

/* -------------------------------------------------------------- revisions */

struct ranked {
	struct ks_pd_entry e;
	uint32_t rank;
	size_t seq;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->e.num != y->e.num)
		return x->e.num < y->e.num ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Two entries for one object in the same hybrid section, one from the
 * table and one from its /XRefStm, other than free + compressed. */
static bool hybrid_conflict(const struct ranked *a, const struct ranked *b)
{
	const struct ranked *t, *x;

	if (a->rank / 3 != b->rank / 3 || (a->rank % 3 == 1) == (b->rank % 3 == 1))
		return false;
	t = a->rank % 3 == 1 ? b : a;
	x = a->rank % 3 == 1 ? a : b;
	return !(t->e.type == KS_PDFDOC_ENTRY_FREE && x->e.type == KS_PDFDOC_ENTRY_COMPRESSED);
}

/* Rank an entry within a revision: sections newest first; inside a hybrid
 * section an in-use table entry, then the /XRefStm entry, then a free
 * table entry (7.5.8.4); inside one section the first definition wins. */
static int collect(struct ks_pdfdoc *doc, struct ks_pd_rev *r, struct ks_pd_section *secs,
		   size_t lo, size_t hi)
{
	struct ranked *all = NULL;
	size_t total = 0, k = 0, i, j, bytes = 0;
	uint32_t *nums = NULL;
	struct ks_pd_entry *ents = NULL;
	int rc = -1;

	for (i = lo; i < hi; i++)
		total += secs[i].n + secs[i].xn;
	KS_GUARD(ks_mul_size(total, sizeof(*all), &bytes));
	KS_GUARD(ks_pd_charge(doc, bytes));
	all = malloc(bytes > 0 ? bytes : 1);
	if (all == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory (xref)");
	for (i = lo; i < hi; i++) {
		uint32_t base = (uint32_t)(i - lo) * 3;

		for (j = 0; j < secs[i].n; j++, k++) {
			all[k].e = secs[i].e[j];
			all[k].rank = base + (all[k].e.type == KS_PDFDOC_ENTRY_FREE ? 2 : 0);
			all[k].seq = k;
		}
		for (j = 0; j < secs[i].xn; j++, k++) {
			all[k].e = secs[i].xe[j];
			all[k].rank = base + 1;
			all[k].seq = k;
		}
	}
	qsort(all, total, sizeof(*all), cmp_ranked);
	KS_GUARD(ks_pd_alloc(doc, total * sizeof(*ents), (void **)&ents));
	KS_GUARD(ks_pd_alloc(doc, total * sizeof(*nums), (void **)&nums));
	for (i = 0, k = 0; i < total; i++) {
		for (j = i; j > 0 && all[j - 1].e.num == all[i].e.num; j--)
			if (hybrid_conflict(&all[j - 1], &all[i]) && r->pub.xref_conflicts++ == 0)
				r->pub.xref_conflict_num = all[i].e.num;
		if (k > 0 && ents[k - 1].num == all[i].e.num)
			continue;
		ents[k] = all[i].e;
		nums[k] = all[i].e.num;
		k++;
	}
	r->e = ents;
	r->nums = nums;
	r->n = k;
	r->pub.nobjects = k;
	rc = 0;
out:
	ks_pd_uncharge(doc, bytes);
	free(all);
	return rc;
}

static void find_end(struct ks_pdfdoc *doc, struct ks_pd_rev *r, size_t xref_end)
{
	size_t i, limit;

	r->pub.has_eof = false;
	r->pub.end = doc->in.left;
	r->pub.startxref_off = SIZE_MAX;
	for (i = 0; i < doc->neofs; i++) {
		if (doc->eofs[i].off >= xref_end) {
			r->pub.has_eof = true;
			r->pub.end = doc->eofs[i].end;
			r->pub.eof_off = doc->eofs[i].off;
			break;
		}
	}
	limit = r->pub.has_eof ? doc->eofs[i].off : doc->in.left;
	for (i = 0; i < doc->nsx; i++)
		if (doc->sx[i].off >= xref_end && doc->sx[i].off < limit && doc->sx[i].valid &&
		    doc->sx[i].value == r->pub.xref_off)
			r->pub.startxref_off = doc->sx[i].off;
}

/* Sections come newest first; revisions are built oldest first.  A
 * section lying before its /Prev section in the file (the first-page
 * section of a linearized file, Annex F) joins that older revision. */
static int build_revs(struct ks_pdfdoc *doc, struct ks_pd_section *secs, size_t nsec)
{
	size_t i, hi, lo, nrev = 0, xend, k;
	struct ks_pd_rev *revs = NULL;
	int rc = -1;

	KS_GUARD(ks_pd_alloc(doc, nsec * sizeof(*revs), (void **)&revs));
	hi = nsec; /* secs[lo, hi) form the revision being built */
	while (hi > 0) {
		lo = hi - 1;
		while (lo > 0 && secs[lo - 1].off < secs[lo].off)
			lo--;
		/* secs[lo] is the newest section of this revision */
		struct ks_pd_rev *r = &revs[nrev];

		r->pub.xref_off = secs[lo].off;
		r->pub.kind = secs[lo].kind;
		r->pub.xrefstm_off = secs[lo].xrefstm_off;
		r->pub.trailer = secs[lo].trailer;
		r->pub.nsections = hi - lo;
		KS_GUARD(collect(doc, r, secs, lo, hi));
		xend = 0;
		for (k = lo; k < hi; k++) {
			if (secs[k].end > xend)
				xend = secs[k].end;
			r->pub.xrefstm_prev = r->pub.xrefstm_prev || secs[k].xe_prev;
		}
		r->pub.xref_end = secs[lo].end;
		find_end(doc, r, xend);
		r->maxnum = nrev > 0 ? revs[nrev - 1].maxnum : 0;
		if (r->n > 0 && r->e[r->n - 1].num + 1 > r->maxnum)
			r->maxnum = r->e[r->n - 1].num + 1;
		nrev++;
		hi = lo;
	}
	doc->revs = revs;
	doc->nrevs = nrev;
	for (k = 0; k < doc->nsx; k++)
		for (i = 0; i < nsec; i++)
			if (doc->sx[k].valid && doc->sx[k].value == secs[i].off)
				doc->sx[k].in_chain = true;
	rc = 0;
out:
	return rc;
}

int ks_pd_xref_load(struct ks_pdfdoc *doc)
{
	struct ks_pd_section *secs = NULL;
	size_t nsec = 0, cap = 0, i, off;
	const struct ks_pdfobj *prev;
	bool have = false;
	int64_t v;
	int rc = -1;

	for (i = doc->nsx; i > 0; i--) {
		if (doc->sx[i - 1].valid) {
			if (doc->sx[i - 1].value >= doc->in.left)
				KS_BAIL(KS_ERR_PDF_XREF,
					"startxref at offset %zu names offset %llu "
					"beyond the end of the file",
					doc->sx[i - 1].off,
					(unsigned long long)doc->sx[i - 1].value);
			off = (size_t)doc->sx[i - 1].value;
			have = true;
			break;
		}
	}
	if (!have && doc->nsx > 0)
		KS_BAIL(KS_ERR_PDF_XREF,
			"the startxref keyword at byte %zu is not followed by the offset of a "
			"cross-reference section: the file is damaged",
			doc->sx[doc->nsx - 1].off);
	if (!have)
		KS_BAIL(KS_ERR_PDF_XREF, "no startxref found: not a PDF file, or a truncated one");
	while (have) {
		for (i = 0; i < nsec; i++)
			if (secs[i].off == off)
				KS_BAIL(KS_ERR_PDF_XREF,
					"xref /Prev loop: offset %zu reached twice", off);
		if (nsec >= doc->lim.max_revisions)
			KS_BAIL(KS_ERR_LIMIT, "more than %zu xref sections",
				doc->lim.max_revisions);
		KS_GUARD(ks_grow((void **)&secs, &cap, nsec + 1, sizeof(*secs)));
		if (parse_section(doc, off, &secs[nsec]) < 0) {
			section_cleanup(doc, &secs[nsec]);
			goto out;
		}
		nsec++;
		prev = ks_pdfobj_get(secs[nsec - 1].trailer, "Prev");
		have = prev != NULL;
		if (have) {
			if (!ks_pdfobj_int(prev, &v) || v < 0 || (uint64_t)v >= doc->in.left)
				KS_BAIL(KS_ERR_PDF_XREF,
					"bad /Prev in the trailer of the xref at "
					"offset %zu",
					off);
			off = (size_t)v;
		}
	}
	KS_GUARD(build_revs(doc, secs, nsec));
	rc = 0;
out:
	for (i = 0; i < nsec; i++)
		section_cleanup(doc, &secs[i]);
	free(secs);
	return rc;
}

/* ----------------------------------------------------------------- access */

const struct ks_pd_entry *ks_pd_rev_find(const struct ks_pd_rev *r, uint32_t num)
{
	size_t lo = 0, hi = r->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->e[mid].num == num)
			return &r->e[mid];
		if (r->e[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void ks_pd_entry_export(const struct ks_pd_entry *e, size_t rev, struct ks_pdfdoc_entry *out)
{
	memset(out, 0, sizeof(*out));
	if (e == NULL)
		return;
	out->type = (enum ks_pdfdoc_entry_type)e->type;
	out->num = e->num;
	out->rev = (uint32_t)rev;
	out->from_xrefstm = e->from_xrefstm;
	if (e->type == KS_PDFDOC_ENTRY_COMPRESSED) {
		out->objstm = (uint32_t)e->off;
		out->index = e->index;
	} else {
		out->gen = e->gen;
		out->offset = e->off;
	}
}

int ks_pdfdoc_xref_entry(const struct ks_pdfdoc *doc, size_t rev, uint32_t num,
			 struct ks_pdfdoc_entry *out)
{
	if (doc == NULL || rev >= doc->nrevs || out == NULL)
		return KS_SET(KS_ERR_ARG, "no revision %zu", rev);
	ks_pd_entry_export(ks_pd_rev_find(&doc->revs[rev], num), rev, out);
	out->num = num;
	return 0;
}

int ks_pdfdoc_xref_effective(const struct ks_pdfdoc *doc, size_t rev, uint32_t num,
			     struct ks_pdfdoc_entry *out)
{
	const struct ks_pd_entry *e = NULL;
	size_t r;

	if (doc == NULL || rev >= doc->nrevs || out == NULL)
		return KS_SET(KS_ERR_ARG, "no revision %zu", rev);
	for (r = rev + 1; r > 0; r--) {
		e = ks_pd_rev_find(&doc->revs[r - 1], num);
		if (e != NULL)
			break;
	}
	ks_pd_entry_export(e, e != NULL ? r - 1 : 0, out);
	out->num = num;
	return 0;
}

int ks_pdfdoc_rev_objects(const struct ks_pdfdoc *doc, size_t rev, const uint32_t **nums, size_t *n)
{
	if (doc == NULL || rev >= doc->nrevs)
		return KS_SET(KS_ERR_ARG, "no revision %zu", rev);
	*nums = doc->revs[rev].nums;
	*n = doc->revs[rev].n;
	return 0;
}

uint32_t ks_pdfdoc_max_object(const struct ks_pdfdoc *doc, size_t rev)
{
	if (doc == NULL || doc->nrevs == 0)
		return 0;
	if (rev >= doc->nrevs)
		rev = doc->nrevs - 1;
	return doc->revs[rev].maxnum;
}

size_t ks_pdfdoc_rev_count(const struct ks_pdfdoc *doc)
{
	return doc != NULL ? doc->nrevs : 0;
}

const struct ks_pdfdoc_rev *ks_pdfdoc_rev(const struct ks_pdfdoc *doc, size_t rev)
{
	if (doc == NULL || rev >= doc->nrevs)
		return NULL;
	return &doc->revs[rev].pub;
}

long ks_pdfdoc_rev_by_end(const struct ks_pdfdoc *doc, size_t end)
{
	size_t i;

	if (doc == NULL)
		return -1;
	for (i = 0; i < doc->nrevs; i++)
		if (doc->revs[i].pub.end == end ||
		    (doc->revs[i].pub.has_eof && doc->revs[i].pub.eof_off + 5 == end))
			return (long)i;
	return -1;
}
