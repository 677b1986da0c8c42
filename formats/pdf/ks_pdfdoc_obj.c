/* ks_pdfdoc object resolution (ISO 32000-1 7.3.10, 7.5.7): indirect
 * objects by xref entry or file offset, object streams, references. */
#include <string.h>

#include "formats/pdf/ks_pdfdoc_int.h"
#include "ks_size.h"

/* ----------------------------------------------------------- resolution */

static int remember_failure(struct ks_pdfdoc *doc, uint64_t key)
{
	struct ks_pd_failed *f = NULL;
	enum ks_err_code code = ks_err_code();
	char msg[KS_ERR_MSG_MAX];
	size_t n = strlen(ks_err_msg());

	/* A later lookup of the same broken object reports the same error
	 * without parsing it again (fuzzed files reference one object many
	 * times). */
	memcpy(msg, ks_err_msg(), n + 1);
	if (ks_pd_alloc(doc, sizeof(*f), (void **)&f) < 0 ||
	    ks_pd_strndup(doc, msg, n, &f->msg) < 0 || ks_pd_map_put(doc, &doc->failed, key, f) < 0)
		return -1;
	f->code = code;
	ks_err_set(code, __FILE__, __LINE__, "%s", msg);
	return -1;
}

static int check_failed(struct ks_pdfdoc *doc, uint64_t key)
{
	const struct ks_pd_failed *f = ks_pd_map_get(&doc->failed, key);

	if (f == NULL)
		return KS_SET(KS_ERR_PDF, "object at offset %llu failed to parse before",
			      (unsigned long long)(key & ~(1ull << 63)));
	return KS_SET(f->code, "%s", f->msg);
}

/* The indirect object at file offset `off`, parsed once and cached. */
static int object_at(struct ks_pdfdoc *doc, size_t off, size_t rev,
		     const struct ks_pdfdoc_indirect **out)
{
	struct ks_pdfdoc_indirect ind, *p = NULL;
	void *v = ks_pd_map_get(&doc->by_off, off);
	struct ks_pd_lex lx;
	int rc = -1;

	if (v == PD_IN_PROGRESS)
		return KS_SET(KS_ERR_PDF,
			      "reference loop: the object at offset %zu is needed to "
			      "parse itself",
			      off);
	if (v == PD_FAILED)
		return check_failed(doc, off);
	if (v != NULL) {
		*out = v;
		return 0;
	}
	if (doc->depth >= doc->lim.max_indirection)
		return KS_SET(KS_ERR_LIMIT,
			      "object at offset %zu: resolution nested deeper than "
			      "%zu",
			      off, doc->lim.max_indirection);
	if (off >= doc->in.left)
		return KS_SET(KS_ERR_PDF_XREF, "object offset %zu beyond the end of the file", off);
	if (ks_pd_map_put(doc, &doc->by_off, off, PD_IN_PROGRESS) < 0)
		return -1;
	doc->depth++;
	ks_pd_lex_init(&lx, doc, &doc->in, 0, rev);
	if (ks_pd_lex_seek(&lx, off) < 0 || ks_pd_parse_indirect(&lx, &ind) < 0 ||
	    ks_pd_alloc(doc, sizeof(*p), (void **)&p) < 0)
		goto out;
	*p = ind;
	rc = 0;
out:
	doc->depth--;
	if (rc < 0) {
		/* keep the error: the map update below must not replace it */
		(void)remember_failure(doc, off);
		/* the key is present: replacing its value cannot fail */
		if (ks_pd_map_put(doc, &doc->by_off, off, PD_FAILED) < 0)
			return -1;
		return -1;
	}
	if (ks_pd_map_put(doc, &doc->by_off, off, p) < 0)
		return -1;
	*out = p;
	return 0;
}

void ks_pd_objstm_free(struct ks_pd_objstm *os)
{
	if (os != NULL)
		ks_buf_cleanup(&os->data);
}

/* 7.5.7: /Extends must lead through object streams without a loop. */
static int check_extends(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *dict)
{
	uint32_t seen[KS_PDFDOC_MAX_INDIRECTION];
	const struct ks_pdfobj *x = ks_pdfobj_get(dict, "Extends"), *s = NULL;
	size_t n = 0, i;

	while (x != NULL) {
		if (x->type != KS_PDFOBJ_REF)
			return KS_SET(KS_ERR_PDF, "object stream /Extends is not a reference");
		for (i = 0; i < n; i++)
			if (seen[i] == x->u.ref.num)
				return KS_SET(KS_ERR_PDF,
					      "object stream /Extends loop at object %u",
					      (unsigned)x->u.ref.num);
		if (n >= doc->lim.max_indirection || n >= KS_PDFDOC_MAX_INDIRECTION)
			return KS_SET(KS_ERR_LIMIT, "object stream /Extends chain longer than %zu",
				      n);
		seen[n++] = x->u.ref.num;
		if (ks_pdfdoc_get(doc, rev, x->u.ref.num, x->u.ref.gen, &s) < 0)
			return -1;
		if (s->type != KS_PDFOBJ_STREAM)
			return KS_SET(KS_ERR_PDF, "object stream /Extends %u is not a stream",
				      (unsigned)x->u.ref.num);
		x = ks_pdfobj_get(s, "Extends");
	}
	return 0;
}

static int objstm_decode(struct ks_pdfdoc *doc, size_t rev, uint32_t num, const struct ks_pdfobj *s,
			 struct ks_pd_objstm *os)
{
	const struct ks_pdfobj *d = ks_pdfobj_dict(s);
	struct ks_pd_lex lx;
	struct ks_cur hdr;
	int64_t n = 0, first = 0;
	uint64_t onum = 0, ooff = 0;
	size_t i;
	int rc = -1;

	if (s->type != KS_PDFOBJ_STREAM || !ks_pdfobj_is_name(ks_pdfobj_get(d, "Type"), "ObjStm"))
		KS_BAIL(KS_ERR_PDF, "object %u is not an object stream", (unsigned)num);
	if (!ks_pdfobj_int(ks_pdfobj_get(d, "N"), &n) || n < 0 || (uint64_t)n > UINT32_MAX ||
	    !ks_pdfobj_int(ks_pdfobj_get(d, "First"), &first) || first < 0)
		KS_BAIL(KS_ERR_PDF, "object stream %u: bad /N or /First", (unsigned)num);
	KS_GUARD(check_extends(doc, rev, d));
	if (ks_pd_stream_decode_rev(doc, rev, s, &os->data) < 0)
		KS_BAIL(ks_err_code(), "object stream %u: %s", (unsigned)num, ks_err_msg());
	KS_GUARD(ks_pd_charge(doc, os->data.len));
	if ((uint64_t)first > os->data.len)
		KS_BAIL(KS_ERR_PDF, "object stream %u: /First %lld beyond its %zu bytes",
			(unsigned)num, (long long)first, os->data.len);
	/* each pair takes at least 4 bytes ("1 2 "): bounds the allocation */
	if ((uint64_t)n > (uint64_t)first / 3 + 1)
		KS_BAIL(KS_ERR_PDF, "object stream %u: /N %lld does not fit /First %lld",
			(unsigned)num, (long long)n, (long long)first);
	os->n = (size_t)n;
	os->first = (size_t)first;
	KS_GUARD(ks_pd_alloc(doc, os->n * sizeof(*os->nums), (void **)&os->nums));
	KS_GUARD(ks_pd_alloc(doc, os->n * sizeof(*os->offs), (void **)&os->offs));
	KS_GUARD(ks_pd_alloc(doc, os->n * sizeof(*os->objs), (void **)&os->objs));
	ks_cur_init(&hdr, os->data.data, os->first);
	ks_pd_lex_init(&lx, doc, &hdr, num, rev);
	for (i = 0; i < os->n; i++) {
		ks_pd_lex_skip_ws(&lx);
		if (ks_pd_lex_uint(&lx, UINT32_MAX, &onum) < 0)
			KS_BAIL(KS_ERR_PDF, "object stream %u: header entry %zu: %s", (unsigned)num,
				i, ks_err_msg());
		ks_pd_lex_skip_ws(&lx);
		if (ks_pd_lex_uint(&lx, os->data.len - os->first, &ooff) < 0)
			KS_BAIL(KS_ERR_PDF, "object stream %u: header offset %zu: %s",
				(unsigned)num, i, ks_err_msg());
		os->nums[i] = (uint32_t)onum;
		os->offs[i] = (size_t)ooff;
	}
	rc = 0;
out:
	return rc;
}

/* Object stream `num` as of revision rev, decoded once and cached by the
 * file offset of the stream. */
static int objstm_get(struct ks_pdfdoc *doc, size_t rev, uint32_t num, struct ks_pd_objstm **out)
{
	struct ks_pdfdoc_entry e;
	const struct ks_pdfdoc_indirect *ind = NULL;
	struct ks_pd_objstm *os = NULL;
	void *v;
	uint64_t key;
	int rc = -1;

	KS_GUARD(ks_pdfdoc_xref_effective(doc, rev, num, &e));
	if (e.type != KS_PDFDOC_ENTRY_INUSE)
		KS_BAIL(KS_ERR_PDF_XREF, "object stream %u is not an uncompressed object",
			(unsigned)num);
	key = e.offset;
	v = ks_pd_map_get(&doc->objstms, key);
	if (v == PD_IN_PROGRESS)
		KS_BAIL(KS_ERR_PDF, "object stream %u is needed to decode itself", (unsigned)num);
	if (v == PD_FAILED)
		return check_failed(doc, key | (1ull << 63));
	if (v != NULL) {
		*out = v;
		return 0;
	}
	if (e.offset >= doc->in.left)
		KS_BAIL(KS_ERR_PDF_XREF, "object stream %u at offset %llu beyond the end",
			(unsigned)num, (unsigned long long)e.offset);
	KS_GUARD(object_at(doc, (size_t)e.offset, e.rev, &ind));
	if (ind->num != num || ind->gen != e.gen)
		KS_BAIL(KS_ERR_PDF_XREF, "xref entry of object stream %u points at object %u %u",
			(unsigned)num, (unsigned)ind->num, (unsigned)ind->gen);
	KS_GUARD(ks_pd_map_put(doc, &doc->objstms, key, PD_IN_PROGRESS));
	KS_GUARD(ks_pd_alloc(doc, sizeof(*os), (void **)&os));
	ks_buf_init(&os->data, doc->lim.max_stream);
	if (objstm_decode(doc, rev, num, ind->obj, os) < 0) {
		ks_pd_uncharge(doc, os->data.len);
		ks_pd_objstm_free(os);
		(void)remember_failure(doc, key | (1ull << 63));
		if (ks_pd_map_put(doc, &doc->objstms, key, PD_FAILED) < 0)
			return -1;
		return -1;
	}
	KS_GUARD(ks_pd_map_put(doc, &doc->objstms, key, os));
	*out = os;
	rc = 0;
out:
	return rc;
}

int ks_pd_objstm_member(struct ks_pdfdoc *doc, uint32_t objstm, size_t index, uint32_t *num)
{
	struct ks_pd_objstm *os = NULL;

	if (objstm_get(doc, 0, objstm, &os) < 0)
		return -1;
	if (index >= os->n)
		return KS_SET(KS_ERR_NOT_FOUND, "object stream %u has %zu objects",
			      (unsigned)objstm, os->n);
	*num = os->nums[index];
	return 0;
}

static int compressed_object(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfdoc_entry *e,
			     struct ks_pdfdoc_indirect *out)
{
	struct ks_pd_objstm *os = NULL;
	struct ks_pdfdoc_indirect *p = NULL;
	struct ks_pdfobj *val = NULL;
	struct ks_cur whole;
	struct ks_pd_lex lx;
	int rc = -1;

	if (doc->depth >= doc->lim.max_indirection)
		KS_BAIL(KS_ERR_LIMIT, "object %u: resolution nested deeper than %zu",
			(unsigned)e->num, doc->lim.max_indirection);
	doc->depth++;
	rc = objstm_get(doc, rev, e->objstm, &os);
	doc->depth--;
	if (rc < 0)
		goto out;
	rc = -1;
	if (e->index >= os->n)
		KS_BAIL(KS_ERR_PDF_XREF,
			"object %u: index %u beyond the %zu objects of object "
			"stream %u",
			(unsigned)e->num, (unsigned)e->index, os->n, (unsigned)e->objstm);
	if (os->nums[e->index] != e->num)
		KS_BAIL(KS_ERR_PDF_XREF, "object stream %u index %u holds object %u, not %u",
			(unsigned)e->objstm, (unsigned)e->index, (unsigned)os->nums[e->index],
			(unsigned)e->num);
	if (os->objs[e->index] == NULL) {
		ks_cur_from_buf(&whole, &os->data);
		ks_pd_lex_init(&lx, doc, &whole, e->objstm, rev);
		if (os->offs[e->index] > os->data.len - os->first)
			KS_BAIL(KS_ERR_PDF, "object stream %u: offset of object %u beyond its data",
				(unsigned)e->objstm, (unsigned)e->num);
		KS_GUARD(ks_pd_lex_seek(&lx, os->first + os->offs[e->index]));
		if (ks_pd_parse_value(&lx, 0, &val) < 0)
			KS_BAIL(ks_err_code(), "object %u in object stream %u: %s",
				(unsigned)e->num, (unsigned)e->objstm, ks_err_msg());
		KS_GUARD(ks_pd_alloc(doc, sizeof(*p), (void **)&p));
		p->num = e->num;
		p->obj = val;
		p->start = val->start;
		p->end = val->end;
		os->objs[e->index] = p;
	}
	*out = *os->objs[e->index];
	rc = 0;
out:
	return rc;
}

int ks_pd_load_entry(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfdoc_entry *e,
		     struct ks_pdfdoc_indirect *out)
{
	const struct ks_pdfdoc_indirect *ind = NULL;

	memset(out, 0, sizeof(*out));
	out->num = e->num;
	out->gen = e->gen;
	out->obj = ks_pdfobj_null();
	if (e->type == KS_PDFDOC_ENTRY_INUSE) {
		if (e->offset >= doc->in.left)
			return KS_SET(KS_ERR_PDF_XREF,
				      "object %u: offset %llu beyond the end of "
				      "the file",
				      (unsigned)e->num, (unsigned long long)e->offset);
		if (object_at(doc, (size_t)e->offset, e->rev, &ind) < 0)
			return -1;
		/* 7.5.4: the entry must lead to that very object */
		if (ind->num != e->num || ind->gen != e->gen)
			return KS_SET(KS_ERR_PDF_XREF,
				      "xref entry of object %u %u points at object "
				      "%u %u (offset %llu)",
				      (unsigned)e->num, (unsigned)e->gen, (unsigned)ind->num,
				      (unsigned)ind->gen, (unsigned long long)e->offset);
		*out = *ind;
	} else if (e->type == KS_PDFDOC_ENTRY_COMPRESSED) {
		if (compressed_object(doc, rev, e, out) < 0)
			return -1;
	}
	out->entry = *e;
	return 0;
}

int ks_pdfdoc_lookup(struct ks_pdfdoc *doc, size_t rev, uint32_t num, uint16_t gen,
		     struct ks_pdfdoc_indirect *out)
{
	struct ks_pdfdoc_entry e;

	if (doc == NULL || out == NULL || rev >= doc->nrevs)
		return KS_SET(KS_ERR_ARG, "no revision %zu", rev);
	if (ks_pdfdoc_xref_effective(doc, rev, num, &e) < 0)
		return -1;
	/* 7.3.10: a reference to a free or undefined object (or with another
	 * generation) is the null object. */
	if ((e.type == KS_PDFDOC_ENTRY_INUSE && e.gen != gen) ||
	    (e.type == KS_PDFDOC_ENTRY_COMPRESSED && gen != 0)) {
		memset(out, 0, sizeof(*out));
		out->num = num;
		out->gen = gen;
		out->obj = ks_pdfobj_null();
		return 0;
	}
	return ks_pd_load_entry(doc, rev, &e, out);
}

int ks_pdfdoc_get(struct ks_pdfdoc *doc, size_t rev, uint32_t num, uint16_t gen,
		  const struct ks_pdfobj **out)
{
	struct ks_pdfdoc_indirect ind;

	if (ks_pdfdoc_lookup(doc, rev, num, gen, &ind) < 0)
		return -1;
	*out = ind.obj;
	return 0;
}

int ks_pdfdoc_parse_at(struct ks_pdfdoc *doc, size_t off, struct ks_pdfdoc_indirect *out)
{
	const struct ks_pdfdoc_indirect *ind = NULL;

	if (doc == NULL || out == NULL || doc->nrevs == 0)
		return KS_SET(KS_ERR_ARG, "no document");
	if (object_at(doc, off, doc->nrevs - 1, &ind) < 0)
		return -1;
	*out = *ind;
	memset(&out->entry, 0, sizeof(out->entry));
	return 0;
}

int ks_pdfdoc_resolve(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *o,
		      const struct ks_pdfobj **out)
{
	size_t hops = 0;

	while (o != NULL && o->type == KS_PDFOBJ_REF) {
		if (hops++ >= doc->lim.max_indirection)
			return KS_SET(KS_ERR_LIMIT,
				      "reference chain from object %u longer than %zu",
				      (unsigned)o->u.ref.num, doc->lim.max_indirection);
		if (ks_pdfdoc_get(doc, rev, o->u.ref.num, o->u.ref.gen, &o) < 0)
			return -1;
	}
	*out = o;
	return 0;
}

int ks_pdfdoc_dict_get(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *dict,
		       const char *key, const struct ks_pdfobj **out)
{
	return ks_pdfdoc_resolve(doc, rev, ks_pdfobj_get(dict, key), out);
}

int ks_pdfdoc_dict_get_type(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *dict,
			    const char *key, enum ks_pdfobj_type type, const struct ks_pdfobj **out)
{
	const struct ks_pdfobj *o = NULL;

	if (ks_pdfdoc_dict_get(doc, rev, dict, key, &o) < 0)
		return -1;
	if (o != NULL && o->type == KS_PDFOBJ_NULL)
		o = NULL; /* 7.3.7: a null value is the same as an absent key */
	if (o != NULL && o->type != type)
		return KS_SET(KS_ERR_PDF, "/%s is a %s, not a %s (offset %zu)", key,
			      ks_pdfobj_type_name(o->type), ks_pdfobj_type_name(type), o->start);
	*out = o;
	return 0;
}

int ks_pdfdoc_stream_raw(const struct ks_pdfdoc *doc, const struct ks_pdfobj *stream,
			 struct ks_cur *out)
{
	if (doc == NULL || stream == NULL || stream->type != KS_PDFOBJ_STREAM)
		return KS_SET(KS_ERR_ARG, "not a stream");
	return ks_cur_range(&doc->in, stream->u.stream.data_off, stream->u.stream.data_len, out);
}

int ks_pdfdoc_stream_decode(struct ks_pdfdoc *doc, const struct ks_pdfobj *stream,
			    struct ks_buf *out)
{
	if (doc == NULL || stream == NULL || stream->type != KS_PDFOBJ_STREAM)
		return KS_SET(KS_ERR_ARG, "not a stream");
	return ks_pd_stream_decode_rev(doc, stream->u.stream.rev, stream, out);
}
