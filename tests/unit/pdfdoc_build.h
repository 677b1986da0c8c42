/* Builds small PDFs in memory for the ks_pdfdoc tests: objects are
 * appended with their offsets remembered, then a classic xref table or a
 * cross-reference stream (optionally PNG-predicted) closes the revision. */
#ifndef PDFDOC_BUILD_H
#define PDFDOC_BUILD_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "ks_buf.h"
#include "ks_test.h"

#define PB_MAX_OBJ 64

struct pb {
	struct ks_buf b;
	size_t off[PB_MAX_OBJ]; /* offset of "N 0 obj", this revision */
	bool def[PB_MAX_OBJ];   /* defined in the revision being built */
	size_t last_xref;       /* startxref of the previous revision */
	bool has_prev;
};

static inline void pb_init(struct pb *p)
{
	memset(p, 0, sizeof(*p));
	ks_buf_init(&p->b, (size_t)64 << 20);
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
	assert_ok(ks_buf_printf(&p->b, " >>\nstartxref\n%zu\n%%%%EOF\n", x));
	memset(p->def, 0, sizeof(p->def));
	p->last_xref = x;
	p->has_prev = true;
	return x;
}

/* One xref stream row, W [1 4 2]. */
static inline void pb_row(struct ks_buf *rows, unsigned type, uint32_t f2, uint16_t f3)
{
	uint8_t r[7] = { (uint8_t)type,      (uint8_t)(f2 >> 24), (uint8_t)(f2 >> 16),
			 (uint8_t)(f2 >> 8), (uint8_t)f2,         (uint8_t)(f3 >> 8),
			 (uint8_t)f3 };

	assert_ok(ks_buf_append(rows, r, sizeof(r)));
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

/* A cross-reference stream object `num` over `rows` (W [1 4 2], /Index
 * given, predictor 12 when `png`), then startxref and %%EOF unless
 * `hidden` (hybrid: the caller writes the table). Returns its offset. */
static inline size_t pb_xref_stream(struct pb *p, unsigned num, const struct ks_buf *rows,
				    const char *index, const char *trailer, bool png, bool hidden)
{
	struct ks_buf pred, z;
	char dict[512];
	size_t x = p->b.len;

	ks_buf_init(&pred, 1 << 20);
	ks_buf_init(&z, 1 << 20);
	if (png)
		pb_png_up(rows, 7, &pred);
	else
		assert_ok(ks_buf_append(&pred, rows->data, rows->len));
	pb_deflate(pred.data, pred.len, &z);
	snprintf(dict, sizeof(dict),
		 "/Type /XRef /Size %u /W [1 4 2] /Index [%s] /Filter /FlateDecode %s %s",
		 PB_MAX_OBJ, index, png ? "/DecodeParms << /Predictor 12 /Columns 7 >>" : "",
		 trailer);
	if (p->has_prev && !hidden) {
		size_t l = strlen(dict);

		snprintf(dict + l, sizeof(dict) - l, " /Prev %zu", p->last_xref);
	}
	pb_stream(p, num, dict, z.data, z.len);
	if (!hidden) {
		assert_ok(ks_buf_printf(&p->b, "startxref\n%zu\n%%%%EOF\n", x));
		memset(p->def, 0, sizeof(p->def));
		p->last_xref = x;
		p->has_prev = true;
	}
	ks_buf_cleanup(&pred);
	ks_buf_cleanup(&z);
	return x;
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

#endif
