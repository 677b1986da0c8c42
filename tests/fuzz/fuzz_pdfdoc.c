/* libFuzzer harness for formats/pdf/ks_pdfdoc (the revision-aware
 * reader): open from memory, walk every revision, resolve every object
 * number every revision defines (as of that revision and as of the
 * newest), decode every stream within limits, walk pages and form fields,
 * and check the invariants the verifier relies on.
 *
 * Limits are tighter than the defaults so one input stays fast and small;
 * seeds are in tests/fuzz/corpus/pdfdoc/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdfdoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Per input: at most this many objects resolved, streams decoded. */
#define FUZZ_MAX_RESOLVE 4000
#define FUZZ_MAX_DECODE 200

static void check_obj(const struct ks_pdfobj *o, size_t size)
{
	if (o == NULL)
		abort();
	/* spans in the file must lie inside it */
	if (o->objstm == 0 && o != ks_pdfobj_null() && (o->start > o->end || o->end > size))
		abort();
}

static void walk(struct ks_pdfdoc *doc, size_t size)
{
	size_t nrev = ks_pdfdoc_rev_count(doc), r, i, n, budget = FUZZ_MAX_RESOLVE,
	       decodes = FUZZ_MAX_DECODE;
	const struct ks_pdfdoc_eof *eofs;
	const struct ks_pdfdoc_startxref *sx;
	const struct ks_pdfdoc_page *pg;
	const struct ks_pdfdoc_field *fields;
	const struct ks_pdfobj *o, *cat;
	struct ks_pdfdoc_indirect ind;
	struct ks_pdfdoc_entry e, eff;
	const uint32_t *nums;
	struct ks_buf buf;

	if (nrev == 0)
		abort();
	ks_pdfdoc_eof_markers(doc, &eofs, &n);
	for (i = 0; i < n; i++)
		if (eofs[i].end > size || eofs[i].off + 5 > eofs[i].end)
			abort();
	ks_pdfdoc_startxrefs(doc, &sx, &n);
	for (i = 0; i < n; i++)
		if (sx[i].off + 9 > size)
			abort();
	ks_buf_init(&buf, (size_t)4 << 20);
	for (r = 0; r < nrev; r++) {
		const struct ks_pdfdoc_rev *rv = ks_pdfdoc_rev(doc, r);

		if (rv == NULL || rv->trailer == NULL || rv->end > size ||
		    ks_pdfdoc_rev_by_end(doc, rv->end) < 0)
			abort();
		if (ks_pdfdoc_rev_objects(doc, r, &nums, &n) < 0)
			abort();
		for (i = 0; i < n && budget > 0; i++, budget--) {
			if (i > 0 && nums[i] <= nums[i - 1])
				abort(); /* ascending, no duplicates */
			if (ks_pdfdoc_xref_entry(doc, r, nums[i], &e) < 0 ||
			    e.type == KS_PDFDOC_ENTRY_NONE ||
			    ks_pdfdoc_xref_effective(doc, r, nums[i], &eff) < 0 ||
			    memcmp(&e, &eff, sizeof(e)) != 0)
				abort(); /* a revision's own entry is the effective one */
			if (ks_pdfdoc_lookup(doc, r, nums[i], e.gen, &ind) == 0) {
				check_obj(ind.obj, size);
				if (ind.obj->type == KS_PDFOBJ_STREAM && decodes > 0) {
					decodes--;
					if (ks_pdfdoc_stream_decode(doc, ind.obj, &buf) == 0 &&
					    buf.len > ((size_t)4 << 20))
						abort();
				}
			}
			if (ks_pdfdoc_get(doc, nrev - 1, nums[i], e.gen, &o) == 0)
				check_obj(o, size);
		}
		if (ks_pdfdoc_catalog(doc, r, &cat) == 0)
			check_obj(cat, size);
		if (ks_pdfdoc_page_count(doc, r, &n) == 0) {
			for (i = 0; i < n && i < 64; i++)
				if (ks_pdfdoc_page(doc, r, i, &pg) < 0 || pg->dict == NULL)
					abort();
		}
		if (ks_pdfdoc_fields(doc, r, &fields, &n) == 0) {
			for (i = 0; i < n; i++)
				if (fields[i].name == NULL || fields[i].dict == NULL)
					abort();
		}
	}
	ks_buf_cleanup(&buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_pdfdoc_limits lim;
	struct ks_pdfdoc *doc = NULL;

	ks_pdfdoc_limits_default(&lim);
	lim.max_stream = (size_t)4 << 20;
	lim.max_memory = (size_t)256 << 20;
	lim.max_objects = 100000;
	lim.max_xref_entries = 200000;
	lim.max_pages = 10000;
	lim.max_fields = 10000;
	if (ks_pdfdoc_open(data, size, &lim, &doc) == 0) {
		walk(doc, size);
		ks_pdfdoc_free(doc);
	} else if (doc != NULL) {
		abort(); /* failure must leave nothing */
	}
	/* strict mode: no repair */
	lim.allow_repair = false;
	doc = NULL;
	if (ks_pdfdoc_open(data, size, &lim, &doc) == 0) {
		if (ks_pdfdoc_repaired(doc))
			abort();
		ks_pdfdoc_free(doc);
	}
	ks_err_clear();
	return 0;
}
