/* The signer's view of the original PDF, read by the one PDF reader
 * (ks_pdfdoc) in tail mode: the last startxref and the /Prev chain, the
 * objects an update rewrites looked up on demand and copied into the
 * writer's value model (ks_pdf_val).  The reader's rules, limits and
 * encodings are those verification uses, so kyso signs what it can
 * verify. */
#include "formats/pdf/ks_pdf_rd.h"

#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdfdoc.h"

struct ks_pdf_rd {
	struct ks_pdfdoc *doc;
	size_t last; /* the newest revision */
	struct ks_pdf_rd_info info;
};

/* An object defined after the newest revision's %%EOF is an update cut
 * before its cross-reference section (a truncated file, an interrupted
 * save).  No revision reaches it, so an update appended after it would
 * bury it inside the new revision, out of every reader's sight, and a
 * signature it holds would vanish from the report instead of failing:
 * refused like damaged cross-reference data.  Only the tail after the
 * %%EOF is scanned, and tail mode found that %%EOF in its window. */
static int no_cut_update(const uint8_t *p, size_t n, const struct ks_pdfdoc_rev *rev)
{
	struct ks_pdfdoc_objdef od;
	struct ks_cur in;
	size_t at = rev->end, to = n;

	if (!rev->has_eof || at >= n)
		return 0;
	if (to - at > KS_PDFDOC_TAIL_WINDOW)
		to = at + KS_PDFDOC_TAIL_WINDOW;
	ks_cur_init(&in, p, n);
	if (!ks_pdfdoc_scan_obj(&in, &at, to, &od))
		return 0;
	return KS_SET(KS_ERR_PDF_XREF,
		      "the cross-reference data is damaged (object %u at offset %zu follows the "
		      "last %%%%EOF without a cross-reference section: the file is truncated or "
		      "its last update is incomplete): repair the file before signing it",
		      od.num, od.start);
}

/* A copy of a direct value of the reader (a stream gives its dictionary). */
static int copy_val(const struct ks_pdfobj *o, unsigned depth, struct ks_pdf_val **out)
{
	struct ks_pdf_val *v = NULL, *item = NULL;
	size_t i;
	int rc = -1;

	*out = NULL;
	if (depth > KS_PDF_VAL_MAX_DEPTH)
		return KS_SET(KS_ERR_LIMIT, "values nested deeper than %d", KS_PDF_VAL_MAX_DEPTH);
	if (o->type == KS_PDFOBJ_STREAM)
		o = o->u.stream.dict;
	switch (o->type) {
	case KS_PDFOBJ_NULL:
		v = ks_pdf_val_new(KS_PV_NULL);
		break;
	case KS_PDFOBJ_BOOL:
		v = ks_pdf_val_bool(o->u.b);
		break;
	case KS_PDFOBJ_INT:
		v = ks_pdf_val_int((long long)o->u.i);
		break;
	case KS_PDFOBJ_REAL:
		v = ks_pdf_val_real(o->u.r);
		break;
	case KS_PDFOBJ_NAME:
		if (strlen(o->u.name.s) != o->u.name.len)
			KS_BAIL(KS_ERR_PDF, "a name with a NUL byte (#00) at offset %zu", o->start);
		v = ks_pdf_val_name(o->u.name.s);
		break;
	case KS_PDFOBJ_STRING:
		v = ks_pdf_val_string(o->u.str.s, o->u.str.len);
		break;
	case KS_PDFOBJ_REF:
		v = ks_pdf_val_ref(o->u.ref.num, o->u.ref.gen);
		break;
	case KS_PDFOBJ_ARRAY:
		v = ks_pdf_val_new(KS_PV_ARRAY);
		for (i = 0; v != NULL && i < o->u.arr.n; i++) {
			KS_GUARD(copy_val(o->u.arr.items[i], depth + 1, &item));
			KS_GUARD(ks_pdf_val_push(v, item));
			item = NULL;
		}
		break;
	case KS_PDFOBJ_DICT:
		/* Readers disagree on which of two equal keys counts: an
		 * update that rewrites such an object would pick for them. */
		if (o->u.dict.dup)
			KS_BAIL(
			    KS_ERR_PDF,
			    "the dictionary at offset %zu repeats a key (readers disagree on which "
			    "counts)",
			    o->start);
		v = ks_pdf_val_new(KS_PV_DICT);
		for (i = 0; v != NULL && i < o->u.dict.n; i++) {
			if (strlen(o->u.dict.e[i].key) != o->u.dict.e[i].key_len)
				KS_BAIL(KS_ERR_PDF, "a key with a NUL byte (#00) at offset %zu",
					o->start);
			KS_GUARD(copy_val(o->u.dict.e[i].val, depth + 1, &item));
			KS_GUARD(ks_pdf_val_set(v, o->u.dict.e[i].key, item));
			item = NULL;
		}
		break;
	default:
		KS_BAIL(KS_ERR_INTERNAL, "unknown PDF value type %d", (int)o->type);
	}
	if (v == NULL)
		goto out; /* the constructor recorded the error */
	*out = v;
	v = NULL;
	rc = 0;
out:
	ks_pdf_val_free(item);
	ks_pdf_val_free(v);
	return rc;
}

int ks_pdf_rd_open(const uint8_t *p, size_t n, struct ks_pdf_rd **out)
{
	struct ks_pdfdoc_limits lim;
	const struct ks_pdfdoc_rev *rev;
	const struct ks_pdfobj *t, *v;
	struct ks_pdf_rd *rd = NULL;
	int64_t size;
	uint32_t max;
	int rc = -1;

	*out = NULL;
	rd = calloc(1, sizeof(*rd));
	if (rd == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	ks_pdfdoc_limits_default(&lim);
	lim.tail = true;
	lim.allow_repair = false;
	if (ks_pdfdoc_open(p, n, &lim, &rd->doc) < 0) {
		/* Verification would have to rebuild the cross-reference data
		 * by scanning (and then cannot say what any signer saw). */
		if (ks_err_code() == KS_ERR_PDF_XREF)
			KS_SET(KS_ERR_PDF_XREF,
			       "the cross-reference data is damaged (%s): repair the file before "
			       "signing it",
			       ks_err_msg());
		goto out;
	}
	rd->last = ks_pdfdoc_rev_count(rd->doc) - 1;
	rev = ks_pdfdoc_rev(rd->doc, rd->last);
	KS_GUARD(no_cut_update(p, n, rev));
	t = rev->trailer;
	v = ks_pdfobj_get(t, "Root");
	KS_ENSURE(v != NULL && v->type == KS_PDFOBJ_REF, KS_ERR_PDF,
		  "the trailer's /Root is not a reference to the document catalog");
	rd->info.root_num = v->u.ref.num;
	rd->info.root_gen = v->u.ref.gen;
	v = ks_pdfobj_get(t, "Info");
	if (v != NULL && v->type == KS_PDFOBJ_REF) {
		rd->info.info_num = v->u.ref.num;
		rd->info.info_gen = v->u.ref.gen;
	}
	v = ks_pdfobj_get(t, "Size");
	KS_ENSURE(ks_pdfobj_int(v, &size) && size > 0 && size <= KS_PDFDOC_MAX_OBJECTS, KS_ERR_PDF,
		  "the trailer has no valid /Size");
	rd->info.size = (uint32_t)size;
	max = ks_pdfdoc_max_object(rd->doc, rd->last);
	if (max > rd->info.size)
		rd->info.size = max; /* new objects must not reuse a number in use */
	v = ks_pdfobj_get(t, "ID");
	if (v != NULL && v->type == KS_PDFOBJ_ARRAY && v->u.arr.n == 2 &&
	    v->u.arr.items[0]->type == KS_PDFOBJ_STRING &&
	    v->u.arr.items[0]->u.str.len <= sizeof(rd->info.id0)) {
		memcpy(rd->info.id0, v->u.arr.items[0]->u.str.s, v->u.arr.items[0]->u.str.len);
		rd->info.id0_len = v->u.arr.items[0]->u.str.len;
	}
	rd->info.startxref = rev->xref_off;
	rd->info.xref_stream =
	    rev->kind == KS_PDFDOC_XREF_STREAM || rev->kind == KS_PDFDOC_XREF_HYBRID;
	rd->info.encrypted = ks_pdfdoc_encrypted(rd->doc);
	rd->info.repaired = false; /* tail mode never rebuilds */
	*out = rd;
	rd = NULL;
	rc = 0;
out:
	ks_pdf_rd_close(rd);
	return rc;
}

void ks_pdf_rd_close(struct ks_pdf_rd *rd)
{
	if (rd == NULL)
		return;
	ks_pdfdoc_free(rd->doc);
	free(rd);
}

int ks_pdf_rd_info(struct ks_pdf_rd *rd, struct ks_pdf_rd_info *info)
{
	if (rd == NULL || info == NULL)
		return KS_SET(KS_ERR_ARG, "no reader");
	*info = rd->info;
	return 0;
}

int ks_pdf_rd_get(struct ks_pdf_rd *rd, uint32_t num, uint16_t gen, struct ks_pdf_val **out)
{
	const struct ks_pdfobj *o = NULL;

	*out = NULL;
	if (rd == NULL)
		return KS_SET(KS_ERR_ARG, "no reader");
	if (ks_pdfdoc_get(rd->doc, rd->last, num, gen, &o) < 0)
		return -1;
	if (o == NULL || o == ks_pdfobj_null())
		return 0; /* free or undefined: a reference to it is null (7.3.10) */
	return copy_val(o, 0, out);
}

struct ks_pdfdoc *ks_pdf_rd_doc(const struct ks_pdf_rd *rd, size_t *rev)
{
	*rev = rd->last;
	return rd->doc;
}
