/* The one PDF builder of the unit tests: small PDFs written in memory.
 *
 *  - struct pb: objects appended with their offsets remembered, then a
 *    classic xref table (every object, or those of the revision being
 *    built, with /Prev), a cross-reference stream (W [1 4 2] or
 *    [1 2 2], optionally PNG-predicted) or both (hybrid); object streams;
 *  - pb_classic(): the one-revision file most tests start from, objects
 *    1..n from their bodies;
 *  - pb_append_update(): an incremental update appended to any file (its
 *    last trailer read back with ks_pdfdoc);
 *  - pb_find() / pb_rfind(): where a literal lies in the bytes built. */
#ifndef PDF_BUILD_H
#define PDF_BUILD_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "formats/pdf/ks_pdfdoc.h"
#include "ks_buf.h"
#include "ks_cur.h"
#include "ks_test.h"

#define PB_MAX_OBJ 128
/* Hard maximum of the buffer pb_init() starts. */
#define PB_BUF_MAX ((size_t)64 << 20)

struct pb {
	struct ks_buf b;
	size_t off[PB_MAX_OBJ]; /* offset of "N 0 obj", this revision */
	bool def[PB_MAX_OBJ];   /* defined in the revision being built */
	size_t last_xref;       /* startxref of the previous revision */
	bool has_prev;
};

/* A new file: the header and a comment of four bytes above 127 (ISO
 * 32000-1 7.5.2: the file holds binary data). */
static inline void pb_init(struct pb *p)
{
	memset(p, 0, sizeof(*p));
	ks_buf_init(&p->b, PB_BUF_MAX);
	assert_ok(ks_buf_append_str(&p->b, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"));
}

static inline void pb_raw(struct pb *p, const void *data, size_t n)
{
	assert_ok(ks_buf_append(&p->b, data, n));
}

static inline void pb_str(struct pb *p, const char *s)
{
	pb_raw(p, s, strlen(s));
}

static inline void pb_obj(struct pb *p, unsigned num, const char *body)
{
	assert_true(num < PB_MAX_OBJ);
	p->off[num] = p->b.len;
	p->def[num] = true;
	assert_ok(ks_buf_printf(&p->b, "%u 0 obj\n%s\nendobj\n", num, body));
}

/* A stream object; `dict` goes inside << >> after /Length. */
static inline void pb_stream(struct pb *p, unsigned num, const char *dict, const void *data,
			     size_t n)
{
	assert_true(num < PB_MAX_OBJ);
	p->off[num] = p->b.len;
	p->def[num] = true;
	assert_ok(ks_buf_printf(&p->b, "%u 0 obj\n<< /Length %zu %s >>\nstream\n", num, n, dict));
	pb_raw(p, data, n);
	pb_str(p, "\nendstream\nendobj\n");
}

static inline void pb_deflate(const void *in, size_t n, struct ks_buf *out)
{
	uLongf dlen = compressBound((uLong)n);

	assert_ok(ks_buf_reserve(out, dlen));
	assert_int_equal(compress2(out->data, &dlen, in, (uLong)n, 9), Z_OK);
	out->len = dlen;
}

/* "startxref", the offset and "%%EOF" (with its end of line unless
 * `final_eol` is false: a file may end right after the marker). */
static inline void pb_startxref(struct pb *p, size_t x, bool final_eol)
{
	assert_ok(ks_buf_printf(&p->b, "startxref\n%zu\n%%%%EOF%s", x, final_eol ? "\n" : ""));
}

/* Classic table for the objects defined since the last xref (plus entry
 * 0 in the first revision, and `free_num` as a free entry when nonzero),
 * trailer with `trailer` inside << >>, startxref, %%EOF. */
static inline size_t pb_xref_table(struct pb *p, const char *trailer, unsigned free_num)
{
	size_t x = p->b.len, size = 0;
	unsigned i, j;

	pb_str(p, "xref\n");
	if (!p->has_prev)
		pb_str(p, "0 1\n0000000000 65535 f\r\n");
	for (i = 1; i < PB_MAX_OBJ; i++) {
		if (!p->def[i] && i != free_num)
			continue;
		for (j = i; j < PB_MAX_OBJ && (p->def[j] || j == free_num); j++)
			;
		assert_ok(ks_buf_printf(&p->b, "%u %u\n", i, j - i));
		for (; i < j; i++) {
			if (i == free_num)
				assert_ok(ks_buf_printf(&p->b, "0000000000 00001 f\r\n"));
			else
				assert_ok(ks_buf_printf(&p->b, "%010zu 00000 n\r\n", p->off[i]));
			size = i + 1;
		}
	}
	(void)size;
	assert_ok(ks_buf_printf(&p->b, "trailer\n<< /Size %u %s", PB_MAX_OBJ, trailer));
	if (p->has_prev)
		assert_ok(ks_buf_printf(&p->b, " /Prev %zu", p->last_xref));
	assert_ok(ks_buf_printf(&p->b, " >>\n"));
	pb_startxref(p, x, true);
	memset(p->def, 0, sizeof(p->def));
	p->last_xref = x;
	p->has_prev = true;
	return x;
}

/* One classic table for objects 1..n (all of them: a first revision),
 * trailer << /Size n+1 /Root 1 0 R `extra` >>, startxref, %%EOF.
 * Returns the table's offset. */
static inline size_t pb_xref_all(struct pb *p, size_t n, const char *extra, bool final_eol)
{
	size_t x = p->b.len, i;

	assert_true(n < PB_MAX_OBJ);
	assert_ok(ks_buf_printf(&p->b, "xref\n0 %zu\n0000000000 65535 f \n", n + 1));
	for (i = 1; i <= n; i++)
		assert_ok(ks_buf_printf(&p->b, "%010zu 00000 n \n", p->off[i]));
	assert_ok(ks_buf_printf(&p->b, "trailer\n<< /Size %zu /Root 1 0 R %s >>\n", n + 1, extra));
	pb_startxref(p, x, final_eol);
	memset(p->def, 0, sizeof(p->def));
	p->last_xref = x;
	p->has_prev = true;
	return x;
}

/* A one-revision PDF from object bodies (objs[i] is object i+1) with one
 * classic table (pb_xref_all), in `pdf` (initialised here, hard maximum
 * `max`).  Returns the startxref value. */
static inline size_t pb_classic(struct ks_buf *pdf, size_t max, const char *const *objs, size_t n,
				const char *extra, bool final_eol)
{
	struct pb p;
	size_t i, x;

	pb_init(&p);
	for (i = 0; i < n; i++)
		pb_obj(&p, (unsigned)(i + 1), objs[i]);
	x = pb_xref_all(&p, n, extra, final_eol);
	assert_true(p.b.len <= max);
	ks_buf_init(pdf, max);
	ks_buf_move(pdf, &p.b);
	pdf->max = max;
	return x;
}

/* One xref stream row: type, field 2 of `w2` bytes (2 or 4), field 3 of
 * two bytes, big-endian (ISO 32000-1 7.5.8.2). */
static inline void pb_row_w(struct ks_buf *rows, unsigned w2, unsigned type, uint32_t f2,
			    uint16_t f3)
{
	uint8_t r[7];
	size_t n = 0;
	unsigned k;

	assert_true(w2 == 2 || w2 == 4);
	r[n++] = (uint8_t)type;
	for (k = w2; k-- > 0;)
		r[n++] = (uint8_t)(f2 >> (8 * k));
	r[n++] = (uint8_t)(f3 >> 8);
	r[n++] = (uint8_t)f3;
	assert_ok(ks_buf_append(rows, r, n));
}

/* One xref stream row, W [1 4 2]. */
static inline void pb_row(struct ks_buf *rows, unsigned type, uint32_t f2, uint16_t f3)
{
	pb_row_w(rows, 4, type, f2, f3);
}

/* PNG "Up" (filter type 2) over rows of `cols` bytes: /Predictor 12. */
static inline void pb_png_up(const struct ks_buf *in, size_t cols, struct ks_buf *out)
{
	size_t r, i, rows = in->len / cols;

	for (r = 0; r < rows; r++) {
		assert_ok(ks_buf_append_byte(out, 2));
		for (i = 0; i < cols; i++) {
			uint8_t up = r > 0 ? in->data[(r - 1) * cols + i] : 0;

			assert_ok(ks_buf_append_byte(out, (uint8_t)(in->data[r * cols + i] - up)));
		}
	}
}

/* A cross-reference stream object `num` over `rows` of W [1 `w2` 2] (w2
 * 2 or 4), /Size `size`, /Index [`index`] unless index is NULL, predictor
 * 12 when `png`, then startxref and %%EOF unless `hidden` (hybrid: the
 * caller writes the table).  Returns its offset. */
static inline size_t pb_xref_stream_w(struct pb *p, unsigned num, const struct ks_buf *rows,
				      unsigned w2, size_t size, const char *index,
				      const char *trailer, bool png, bool hidden)
{
	struct ks_buf pred, z;
	char dict[512], idx[256] = "", parms[64] = "";
	size_t x = p->b.len, cols = 3 + w2;

	ks_buf_init(&pred, 1 << 20);
	ks_buf_init(&z, 1 << 20);
	if (png) {
		pb_png_up(rows, cols, &pred);
		snprintf(parms, sizeof(parms), "/DecodeParms << /Predictor 12 /Columns %zu >>",
			 cols);
	} else {
		assert_ok(ks_buf_append(&pred, rows->data, rows->len));
	}
	if (index != NULL)
		snprintf(idx, sizeof(idx), "/Index [%s]", index);
	pb_deflate(pred.data, pred.len, &z);
	snprintf(dict, sizeof(dict),
		 "/Type /XRef /Size %zu /W [1 %u 2] %s /Filter /FlateDecode %s %s", size, w2, idx,
		 parms, trailer);
	if (p->has_prev && !hidden) {
		size_t l = strlen(dict);

		snprintf(dict + l, sizeof(dict) - l, " /Prev %zu", p->last_xref);
	}
	pb_stream(p, num, dict, z.data, z.len);
	if (!hidden) {
		pb_startxref(p, x, true);
		memset(p->def, 0, sizeof(p->def));
		p->last_xref = x;
		p->has_prev = true;
	}
	ks_buf_cleanup(&pred);
	ks_buf_cleanup(&z);
	return x;
}

/* The same with W [1 4 2] and /Size PB_MAX_OBJ. */
static inline size_t pb_xref_stream(struct pb *p, unsigned num, const struct ks_buf *rows,
				    const char *index, const char *trailer, bool png, bool hidden)
{
	return pb_xref_stream_w(p, num, rows, 4, PB_MAX_OBJ, index, trailer, png, hidden);
}

/* An object stream `num` holding objects nums[i] with bodies[i]. */
static inline void pb_objstm(struct pb *p, unsigned num, const unsigned *nums,
			     const char *const *bodies, size_t n, const char *extra)
{
	struct ks_buf hdr, body, all, z;
	char dict[256];
	size_t i;

	ks_buf_init(&hdr, 1 << 20);
	ks_buf_init(&body, 1 << 20);
	ks_buf_init(&all, 1 << 20);
	ks_buf_init(&z, 1 << 20);
	for (i = 0; i < n; i++) {
		assert_ok(ks_buf_printf(&hdr, "%u %zu ", nums[i], body.len));
		assert_ok(ks_buf_printf(&body, "%s\n", bodies[i]));
	}
	assert_ok(ks_buf_append(&all, hdr.data, hdr.len));
	assert_ok(ks_buf_append(&all, body.data, body.len));
	pb_deflate(all.data, all.len, &z);
	snprintf(dict, sizeof(dict), "/Type /ObjStm /N %zu /First %zu /Filter /FlateDecode %s", n,
		 hdr.len, extra);
	pb_stream(p, num, dict, z.data, z.len);
	ks_buf_cleanup(&hdr);
	ks_buf_cleanup(&body);
	ks_buf_cleanup(&all);
	ks_buf_cleanup(&z);
}

/* ---- incremental updates ---- */

struct pb_upd {
	uint32_t num;
	const char *body; /* NULL: the entry points at `off` instead */
	size_t off;
};

#define PB_UPD_MAX 8

/* Append an update (ISO 32000-1 7.5.6) defining the given objects with a
 * classic xref section: the last trailer's /Root and /Info are kept,
 * /Size grows to cover the new numbers, /Prev names the last section. */
static inline void pb_append_update(struct ks_buf *pdf, const struct pb_upd *u, size_t n)
{
	struct ks_pdfdoc *doc;
	const struct ks_pdfdoc_rev *rv;
	const struct ks_pdfobj *root, *info, *size;
	uint32_t rootn, infon = 0;
	int64_t sz;
	size_t prev, off[PB_UPD_MAX], i, xref;

	assert_true(n <= PB_UPD_MAX);
	assert_ok(ks_pdfdoc_open(pdf->data, pdf->len, NULL, &doc));
	rv = ks_pdfdoc_rev(doc, ks_pdfdoc_rev_count(doc) - 1);
	root = ks_pdfobj_get(rv->trailer, "Root");
	info = ks_pdfobj_get(rv->trailer, "Info");
	size = ks_pdfobj_get(rv->trailer, "Size");
	assert_true(ks_pdfobj_int(size, &sz));
	rootn = root->u.ref.num;
	if (info != NULL)
		infon = info->u.ref.num;
	prev = rv->xref_off;
	ks_pdfdoc_free(doc);
	for (i = 0; i < n; i++) {
		off[i] = u[i].off;
		if (u[i].body != NULL) {
			off[i] = pdf->len;
			assert_ok(
			    ks_buf_printf(pdf, "%u 0 obj\n%s\nendobj\n", u[i].num, u[i].body));
		}
		if ((int64_t)u[i].num >= sz)
			sz = u[i].num + 1;
	}
	xref = pdf->len;
	assert_ok(ks_buf_append_str(pdf, "xref\n"));
	for (i = 0; i < n; i++)
		assert_ok(ks_buf_printf(pdf, "%u 1\n%010zu 00000 n \n", u[i].num, off[i]));
	assert_ok(ks_buf_printf(pdf, "trailer\n<< /Size %lld /Root %u 0 R", (long long)sz, rootn));
	if (infon != 0)
		assert_ok(ks_buf_printf(pdf, " /Info %u 0 R", infon));
	assert_ok(ks_buf_printf(pdf, " /Prev %zu >>\nstartxref\n%zu\n%%%%EOF\n", prev, xref));
}

/* ---- finding bytes ---- */

/* Offset of the first `lit` at or after `from` in b; SIZE_MAX if none. */
static inline size_t pb_find(const struct ks_buf *b, size_t from, const char *lit)
{
	struct ks_cur c;
	size_t at = SIZE_MAX;

	ks_cur_from_buf(&c, b);
	return ks_cur_find_from(&c, from, lit, strlen(lit), &at) ? at : SIZE_MAX;
}

/* Offset of the last `lit` in b; SIZE_MAX if none. */
static inline size_t pb_rfind(const struct ks_buf *b, const char *lit)
{
	struct ks_cur c;
	size_t at = SIZE_MAX;

	ks_cur_from_buf(&c, b);
	return ks_cur_rfind(&c, SIZE_MAX, lit, strlen(lit), &at) ? at : SIZE_MAX;
}

/* The bytes at the first `lit` at or after `from` in b, or NULL. */
static inline const uint8_t *pb_at(const struct ks_buf *b, size_t from, const char *lit)
{
	size_t at = pb_find(b, from, lit);

	return at == SIZE_MAX ? NULL : b->data + at;
}

/* The same, failing the test when `lit` is not there. */
static inline size_t pb_must_find(const struct ks_buf *b, size_t from, const char *lit)
{
	size_t at = pb_find(b, from, lit);

	if (at == SIZE_MAX)
		fail_msg("'%s' not found", lit);
	return at;
}

static inline size_t pb_must_rfind(const struct ks_buf *b, const char *lit)
{
	size_t at = pb_rfind(b, lit);

	if (at == SIZE_MAX)
		fail_msg("'%s' not found", lit);
	return at;
}

#endif
