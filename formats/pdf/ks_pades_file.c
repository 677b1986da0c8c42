/* File-level findings after a signed revision: what a tolerant (repairing)
 * reader would show but the cross-reference chain does not declare.
 *
 * ISO 32000-1 7.5.6: an incremental update is a body, a cross-reference
 * section and a trailer, ended by startxref and %%EOF.  Readers that
 * rebuild a damaged file by scanning for "N G obj" (most viewers do, when
 * the chain looks wrong) would pick up objects appended without an xref
 * section, or defined twice in an update; a startxref the /Prev chain
 * does not reach names a section some readers take as the newest.  Each
 * of these is reported as a change nobody may make after signing. */
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pades_int.h"
#include "formats/pdf/ks_pdf_chars.h"
#include "ks_size.h"

struct span {
	size_t start, end;
};

struct spans {
	struct span *v;
	size_t n, cap;
};

static int add_span(struct spans *s, size_t start, size_t end)
{
	if (ks_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v)) < 0)
		return -1;
	s->v[s->n].start = start;
	s->v[s->n].end = end > start ? end : start + 1;
	s->n++;
	return 0;
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static bool inside(const struct spans *s, size_t pos)
{
	size_t lo = 0, hi = s->n, mid;

	/* the last span starting at or before pos */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->v[mid].start <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (mid = lo; mid > 0; mid--) {
		if (pos < s->v[mid - 1].end)
			return true;
		if (lo - mid > 8)
			break; /* spans do not nest deeply */
	}
	return false;
}

/* Where the sections and objects of revisions after rs lie. */
static int declared(struct ks_pdfdoc *doc, size_t rs, struct spans *s)
{
	struct ks_pdfdoc_indirect ind;
	struct ks_pdfdoc_entry e;
	const struct ks_pdfdoc_rev *rv;
	const uint32_t *nums;
	size_t k, i, cnt, nrevs = ks_pdfdoc_rev_count(doc);

	for (k = rs + 1; k < nrevs; k++) {
		rv = ks_pdfdoc_rev(doc, k);
		if (add_span(s, rv->xref_off, rv->xref_end) < 0)
			return -1;
		if (rv->xrefstm_off != 0 && ks_pdfdoc_parse_at(doc, rv->xrefstm_off, &ind) == 0 &&
		    add_span(s, ind.start, ind.end) < 0)
			return -1;
		if (ks_pdfdoc_rev_objects(doc, k, &nums, &cnt) < 0)
			continue;
		for (i = 0; i < cnt; i++) {
			if (ks_pdfdoc_xref_entry(doc, k, nums[i], &e) < 0 ||
			    e.type != KS_PDFDOC_ENTRY_INUSE)
				continue;
			if (ks_pdfdoc_parse_at(doc, (size_t)e.offset, &ind) == 0) {
				if (add_span(s, ind.start, ind.end) < 0)
					return -1;
			} else if (e.offset < SIZE_MAX &&
				   add_span(s, (size_t)e.offset, (size_t)e.offset + 1) < 0) {
				return -1;
			}
		}
	}
	ks_err_clear();
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_span);
	return 0;
}

/* Object definitions in [from, to) that no section declares. */
static int stray_objects(struct ks_pdfdoc *doc, size_t rs, size_t from, size_t to,
			 struct ks_pades_sig *sig, bool *incomplete)
{
	struct ks_pdfdoc_objdef d;
	struct ks_cur whole;
	struct spans s = { 0 };
	size_t at;
	int rc = -1;

	ks_pdfdoc_input(doc, &whole);
	if (to > whole.left)
		to = whole.left;
	if (from >= to) {
		rc = 0;
		goto out;
	}
	if (to - from > KS_PADES_DIFF_MAX_SCAN) {
		to = from + KS_PADES_DIFF_MAX_SCAN;
		*incomplete = true; /* the rest is not known to be clean */
	}
	KS_GUARD(declared(doc, rs, &s));
	at = from;
	while (ks_pdfdoc_scan_obj(&whole, &at, to, &d)) {
		if (d.start < from || inside(&s, d.start))
			continue;
		KS_GUARD(ks_pv_add_change(
		    sig, d.num, (uint32_t)ks_pdfdoc_rev_count(doc) - 1, KS_PADES_WHAT_FILE,
		    KS_PADES_ADDED, KS_PADES_LEVEL_OTHER, false, NULL,
		    "object %u defined at offset %zu outside every cross-reference "
		    "section",
		    d.num, d.start));
	}
	rc = 0;
out:
	free(s.v);
	return rc;
}

int ks_pv_file_checks(struct ks_pdfdoc *doc, size_t rs, struct ks_pades_sig *sig, bool *incomplete)
{
	const struct ks_pdfdoc_rev *signed_rev = ks_pdfdoc_rev(doc, rs);
	const struct ks_pdfdoc_rev *last = ks_pdfdoc_rev(doc, ks_pdfdoc_rev_count(doc) - 1);
	const struct ks_pdfdoc_startxref *sx;
	struct ks_cur whole, tail;
	size_t i, n, covered, junk = 0;
	uint8_t b;

	ks_pdfdoc_input(doc, &whole);
	if (signed_rev == NULL || last == NULL)
		return 0;
	/* Bytes the signature itself covers are not after it. */
	covered = sig->has_byte_range ? (size_t)(sig->byte_range[2] + sig->byte_range[3]) : 0;
	if (covered < last->end)
		covered = last->end;
	if (covered < whole.left && ks_cur_at(&whole, covered, &tail) == 0) {
		while (ks_cur_u8(&tail, &b) == 0)
			if (!ks_pdf_is_ws(b))
				junk++;
		if (junk > 0 &&
		    ks_pv_add_change(
			sig, 0, (uint32_t)ks_pdfdoc_rev_count(doc) - 1, KS_PADES_WHAT_FILE,
			KS_PADES_ADDED, KS_PADES_LEVEL_OTHER, false, NULL,
			"%zu bytes after the last %%%%EOF (offset %zu) are not a valid "
			"incremental update",
			whole.left - covered, covered) < 0)
			return -1;
	}
	ks_pdfdoc_startxrefs(doc, &sx, &n);
	for (i = 0; i < n; i++)
		if (sx[i].valid && !sx[i].in_chain && sx[i].off >= signed_rev->end &&
		    sx[i].off < covered &&
		    ks_pv_add_change(sig, 0, (uint32_t)ks_pdfdoc_rev_count(doc) - 1,
				     KS_PADES_WHAT_FILE, KS_PADES_ADDED, KS_PADES_LEVEL_OTHER,
				     false, NULL,
				     "startxref at offset %zu names %llu, a section outside the "
				     "/Prev chain",
				     sx[i].off, (unsigned long long)sx[i].value) < 0)
			return -1;
	return stray_objects(doc, rs, signed_rev->end, whole.left, sig, incomplete);
}
