/* Structural comparison of PDF objects across two revisions: what the
 * modification analysis uses instead of bytes (ISO 32000-1 7.3: the same
 * object may be written with other whitespace, another string syntax, a
 * direct value instead of a reference, or other stream filters). */
#include <string.h>

#include "formats/pdf/ks_pades_int.h"

static bool ignored(const char *key, bool stream, bool decoded)
{
	if (!stream)
		return false;
	if (strcmp(key, "Length") == 0)
		return true;
	return decoded && (strcmp(key, "Filter") == 0 || strcmp(key, "DecodeParms") == 0 ||
			   strcmp(key, "DL") == 0);
}

/* Equal dictionaries: same keys (a null value is an absent key, 7.3.7),
 * equal values; the first of duplicate keys counts. */
static bool dict_eq(struct ks_pv_cmp *c, const struct ks_pdfobj *a, const struct ks_pdfobj *b,
		    unsigned depth, bool stream, bool decoded)
{
	const struct ks_pdfobj *av, *bv;
	size_t i;
	const char *k;

	for (i = 0; i < a->u.dict.n; i++) {
		k = a->u.dict.e[i].key;
		if (ignored(k, stream, decoded))
			continue;
		av = ks_pdfobj_get(a, k);
		bv = ks_pdfobj_get(b, k);
		if (!ks_pv_equal(c, av, bv, depth + 1))
			return false;
	}
	for (i = 0; i < b->u.dict.n; i++) {
		k = b->u.dict.e[i].key;
		if (ignored(k, stream, decoded) || ks_pdfobj_get(a, k) != NULL)
			continue;
		if (!ks_pv_equal(c, NULL, ks_pdfobj_get(b, k), depth + 1))
			return false;
	}
	return true;
}

static bool stream_eq(struct ks_pv_cmp *c, const struct ks_pdfobj *a, const struct ks_pdfobj *b,
		      unsigned depth)
{
	struct ks_cur ra, rb;

	if (ks_pdfdoc_stream_raw(c->doc, a, &ra) == 0 &&
	    ks_pdfdoc_stream_raw(c->doc, b, &rb) == 0 && ks_cur_equal(&ra, &rb))
		return dict_eq(c, a->u.stream.dict, b->u.stream.dict, depth, true, false);
	/* Same data under other filters is the same content. */
	if (ks_pdfdoc_stream_decode(c->doc, a, &c->da) < 0 ||
	    ks_pdfdoc_stream_decode(c->doc, b, &c->db) < 0) {
		if (ks_err_is_fatal())
			c->exhausted = true;
		return false;
	}
	if (!ks_buf_equal(&c->da, &c->db))
		return false;
	return dict_eq(c, a->u.stream.dict, b->u.stream.dict, depth, true, true);
}

/* a as of revision ra, b as of rb (the signed and the final one).  References to the
 * same object number are equal here: that object's own change, if any,
 * is judged on its own.  Other references are followed. */
bool ks_pv_equal(struct ks_pv_cmp *c, const struct ks_pdfobj *a, const struct ks_pdfobj *b,
		 unsigned depth)
{
	double x, y;
	size_t i;

	if (++c->nodes > KS_PADES_DIFF_MAX_NODES) {
		c->exhausted = true;
		return false;
	}
	if (depth > KS_PADES_DIFF_MAX_DEPTH)
		return false;
	if (a == NULL)
		a = ks_pdfobj_null();
	if (b == NULL)
		b = ks_pdfobj_null();
	if (a->type == KS_PDFOBJ_REF && b->type == KS_PDFOBJ_REF && a->u.ref.num == b->u.ref.num &&
	    a->u.ref.gen == b->u.ref.gen)
		return true;
	if (a->type == KS_PDFOBJ_REF) {
		if (ks_pdfdoc_resolve(c->doc, c->ra, a, &a) < 0)
			return false;
		return ks_pv_equal(c, a, b, depth + 1);
	}
	if (b->type == KS_PDFOBJ_REF) {
		if (ks_pdfdoc_resolve(c->doc, c->rb, b, &b) < 0)
			return false;
		return ks_pv_equal(c, a, b, depth + 1);
	}
	if (ks_pdfobj_number(a, &x) && ks_pdfobj_number(b, &y))
		return x == y;
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case KS_PDFOBJ_NULL:
		return true;
	case KS_PDFOBJ_BOOL:
		return a->u.b == b->u.b;
	case KS_PDFOBJ_NAME:
		return a->u.name.len == b->u.name.len &&
		       memcmp(a->u.name.s, b->u.name.s, a->u.name.len) == 0;
	case KS_PDFOBJ_STRING:
		return a->u.str.len == b->u.str.len &&
		       memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case KS_PDFOBJ_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return false;
		for (i = 0; i < a->u.arr.n; i++)
			if (!ks_pv_equal(c, a->u.arr.items[i], b->u.arr.items[i], depth + 1))
				return false;
		return true;
	case KS_PDFOBJ_DICT:
		return dict_eq(c, a, b, depth, false, false);
	case KS_PDFOBJ_STREAM:
		return stream_eq(c, a, b, depth);
	default:
		return false;
	}
}

/* Keys whose values differ between dicts a (signed) and b (final). */
size_t ks_pv_diff_keys(struct ks_pv_cmp *c, const struct ks_pdfobj *a, const struct ks_pdfobj *b,
		       const char **keys)
{
	const struct ks_pdfobj *da = ks_pdfobj_dict(a), *db = ks_pdfobj_dict(b);
	size_t i, n = 0;
	const char *k;

	for (i = 0; da != NULL && i < da->u.dict.n && n < PV_KEYS_MAX; i++) {
		k = da->u.dict.e[i].key;
		if (ks_pdfobj_get(da, k) != da->u.dict.e[i].val)
			continue; /* a duplicate: the first one counts */
		if (!ks_pv_equal(c, da->u.dict.e[i].val, ks_pdfobj_get(db, k), 1))
			keys[n++] = k;
	}
	for (i = 0; db != NULL && i < db->u.dict.n && n < PV_KEYS_MAX; i++) {
		k = db->u.dict.e[i].key;
		if (ks_pdfobj_get(da, k) == NULL && ks_pdfobj_get(db, k) == db->u.dict.e[i].val &&
		    !ks_pv_equal(c, NULL, db->u.dict.e[i].val, 1))
			keys[n++] = k;
	}
	/* A stream's data counts as a key of its own. */
	if (a != NULL && b != NULL && a->type == KS_PDFOBJ_STREAM && b->type == KS_PDFOBJ_STREAM &&
	    n < PV_KEYS_MAX && !stream_eq(c, a, b, 1) &&
	    dict_eq(c, a->u.stream.dict, b->u.stream.dict, 1, true, true))
		keys[n++] = "(stream data)";
	return n;
}

void ks_pv_cmp_init(struct ks_pv_cmp *c, struct ks_pdfdoc *doc, size_t ra, size_t rb)
{
	memset(c, 0, sizeof(*c));
	c->doc = doc;
	c->ra = ra;
	c->rb = rb;
	ks_buf_init(&c->da, KS_PDFDOC_MAX_STREAM);
	ks_buf_init(&c->db, KS_PDFDOC_MAX_STREAM);
}

void ks_pv_cmp_cleanup(struct ks_pv_cmp *c)
{
	ks_buf_cleanup(&c->da);
	ks_buf_cleanup(&c->db);
}
