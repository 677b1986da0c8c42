/* ks_pdfdoc on hostile input: truncation at every length, bad xref
 * offsets, /Prev and /Extends loops, self references, nesting, huge and
 * negative sizes, a decompression bomb, broken object streams, page tree
 * cycles.  Each must end fast with a clear error (or a flagged repair). */
#include <time.h>

#include "ks_test.h"

#include "formats/pdf/ks_pdfdoc.h"
#include "ks_io.h"
#include "pdf_build.h"

/* A runaway (quadratic or worse) parse fails the test instead of passing
 * slowly; generous so that a loaded machine or ASan never trips it.  Speed
 * targets live in bench/, not here. */
#define HANG_GUARD_S 30.0

static struct ks_pdfdoc_limits strict(void)
{
	struct ks_pdfdoc_limits lim;

	ks_pdfdoc_limits_default(&lim);
	lim.allow_repair = false;
	return lim;
}

static void small_pdf(struct pb *p)
{
	struct ks_buf z;

	ks_buf_init(&z, 1 << 20);
	pb_init(p);
	pb_obj(p, 1, "<< /Type /Catalog /Pages 2 0 R >>");
	pb_obj(p, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
	pb_obj(p, 3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Contents 4 0 R >>");
	pb_deflate("0 0 m 10 10 l S", 15, &z);
	pb_stream(p, 4, "/Filter /FlateDecode", z.data, z.len);
	(void)pb_xref_table(p, "/Root 1 0 R", 0);
	pb_obj(p, 3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 20 20] >>");
	(void)pb_xref_table(p, "/Root 1 0 R", 0);
	ks_buf_cleanup(&z);
}

/* Everything a verifier would touch, on a document that opened. */
static void touch_all(struct ks_pdfdoc *doc)
{
	size_t r, i, n;
	const uint32_t *nums;
	const struct ks_pdfobj *o;
	const struct ks_pdfdoc_field *f;
	struct ks_buf b;

	ks_buf_init(&b, 1 << 20);
	for (r = 0; r < ks_pdfdoc_rev_count(doc); r++) {
		assert_ok(ks_pdfdoc_rev_objects(doc, r, &nums, &n));
		for (i = 0; i < n; i++)
			if (ks_pdfdoc_get(doc, r, nums[i], 0, &o) == 0 &&
			    o->type == KS_PDFOBJ_STREAM && ks_pdfdoc_stream_decode(doc, o, &b) < 0)
				assert_int_not_equal(ks_err_code(), KS_OK);
		if (ks_pdfdoc_page_count(doc, r, &n) < 0)
			assert_int_not_equal(ks_err_code(), KS_OK);
		if (ks_pdfdoc_fields(doc, r, &f, &n) < 0)
			assert_int_not_equal(ks_err_code(), KS_OK);
	}
	ks_buf_cleanup(&b);
}

static void test_every_prefix(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	struct ks_pdfdoc_limits lim = strict(), rep;
	size_t len, ok = 0, repaired = 0;

	(void)state;
	ks_pdfdoc_limits_default(&rep);
	small_pdf(&p);
	for (len = 0; len <= p.b.len; len++) {
		doc = NULL;
		if (ks_pdfdoc_open(p.b.data, len, &lim, &doc) == 0) {
			ok++;
			touch_all(doc);
			ks_pdfdoc_free(doc);
		} else {
			assert_null(doc);
			assert_true(ks_err_msg()[0] != '\0');
			assert_true(ks_err_code() == KS_ERR_PDF_XREF ||
				    ks_err_code() == KS_ERR_PDF ||
				    ks_err_code() == KS_ERR_TRUNCATED);
		}
		doc = NULL;
		if (ks_pdfdoc_open(p.b.data, len, &rep, &doc) == 0) {
			repaired += ks_pdfdoc_repaired(doc);
			touch_all(doc);
			ks_pdfdoc_free(doc);
		}
	}
	/* the complete file, and cuts inside the last "%%EOF\n", parse */
	assert_true(ok >= 1);
	assert_true(repaired > 0);
	ks_buf_cleanup(&p.b);
}

static void expect_open_fails(const struct ks_buf *b, const struct ks_pdfdoc_limits *lim,
			      enum ks_err_code code, const char *msg_part)
{
	struct ks_pdfdoc *doc = NULL;

	assert_fails_with(ks_pdfdoc_open(b->data, b->len, lim, &doc), code);
	assert_null(doc);
	if (msg_part != NULL && strstr(ks_err_msg(), msg_part) == NULL)
		fail_msg("error '%s' does not mention '%s'", ks_err_msg(), msg_part);
}

static void test_bad_xref_offset(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc = NULL;
	struct ks_pdfdoc_limits lim = strict();
	const struct ks_pdfobj *o = NULL;

	(void)state;
	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog /Pages 2 0 R >>");
	pb_obj(&p, 2, "<< /Type /Pages /Kids [] /Count 0 >>");
	pb_str(&p, "startxref\n999999\n%%EOF\n");
	expect_open_fails(&p.b, &lim, KS_ERR_PDF_XREF, "beyond the end");
	/* with repair: the catalog is found by scanning, and flagged */
	assert_ok(ks_pdfdoc_open(p.b.data, p.b.len, NULL, &doc));
	assert_true(ks_pdfdoc_repaired(doc));
	assert_non_null(strstr(ks_pdfdoc_repair_reason(doc), "beyond"));
	assert_int_equal(ks_pdfdoc_rev_count(doc), 1);
	assert_int_equal(ks_pdfdoc_rev(doc, 0)->kind, KS_PDFDOC_XREF_REPAIRED);
	assert_ok(ks_pdfdoc_catalog(doc, 0, &o));
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);

	/* startxref pointing at an object that is not an xref */
	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog >>");
	pb_startxref(&p, p.off[1], true);
	expect_open_fails(&p.b, &lim, KS_ERR_PDF_XREF, "xref");
	ks_buf_cleanup(&p.b);

	/* an entry pointing at another object */
	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog >>");
	pb_obj(&p, 2, "(two)");
	p.off[2] = p.off[1];
	(void)pb_xref_table(&p, "/Root 1 0 R", 0);
	assert_ok(ks_pdfdoc_open(p.b.data, p.b.len, &lim, &doc));
	assert_fails_with(ks_pdfdoc_get(doc, 0, 2, 0, &o), KS_ERR_PDF_XREF);
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);

	/* no startxref at all, no objects */
	pb_init(&p);
	pb_str(&p, "garbage\n%%EOF\n");
	expect_open_fails(&p.b, NULL, KS_ERR_PDF_XREF, "no startxref");
	ks_buf_cleanup(&p.b);
}

static void test_prev_loop(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc = NULL;
	struct ks_pdfdoc_limits lim = strict();
	size_t x1;
	clock_t t0 = clock();

	(void)state;
	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog >>");
	x1 = p.b.len;
	/* section A at x1 has /Prev to B; B has /Prev back to A */
	assert_ok(ks_buf_printf(&p.b,
				"xref\n0 2\n0000000000 65535 f \n%010zu 00000 n \n"
				"trailer << /Size 2 /Root 1 0 R /Prev %010zu >>\n",
				x1, (size_t)0));
	{
		size_t x2 = p.b.len;
		char num[16];
		char *at;

		assert_ok(ks_buf_printf(&p.b,
					"xref\n0 1\n0000000000 65535 f \n"
					"trailer << /Size 2 /Root 1 0 R /Prev %zu >>\n"
					"startxref\n%zu\n%%%%EOF\n",
					x1, x2));
		/* patch A's /Prev to x2 and its entry for object 1 */
		assert_ok(ks_buf_cstr(&p.b, (const char **)&at));
		at = strstr(at, "/Prev 0000000000");
		assert_non_null(at);
		snprintf(num, sizeof(num), "%010zu", x2);
		memcpy(at + 6, num, 10);
	}
	{
		char *at, num[16];

		assert_ok(ks_buf_cstr(&p.b, (const char **)&at));
		at = strstr(at, "0 2\n0000000000 65535 f \n");
		snprintf(num, sizeof(num), "%010zu", p.off[1]);
		memcpy(at + 24, num, 10);
	}
	expect_open_fails(&p.b, &lim, KS_ERR_PDF_XREF, "loop");
	assert_ok(ks_pdfdoc_open(p.b.data, p.b.len, NULL, &doc));
	assert_true(ks_pdfdoc_repaired(doc));
	ks_pdfdoc_free(doc);
	/* ends (no hang) */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < HANG_GUARD_S);
	ks_buf_cleanup(&p.b);
}

static struct ks_pdfdoc *open_built(struct pb *p)
{
	struct ks_pdfdoc *doc = NULL;
	struct ks_pdfdoc_limits lim = strict();

	(void)pb_xref_table(p, "/Root 1 0 R", 0);
	assert_ok(ks_pdfdoc_open(p->b.data, p->b.len, &lim, &doc));
	return doc;
}

static void test_self_reference(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	const struct ks_pdfobj *o = NULL;
	size_t n;

	(void)state;
	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog /Pages 3 0 R /Self 1 0 R >>");
	pb_obj(&p, 2, "2 0 R"); /* an object that is a reference to itself */
	pb_obj(&p, 3, "<< /Type /Pages /Kids [3 0 R] >>"); /* page tree cycle */
	pb_obj(&p, 4, "5 0 R");
	pb_obj(&p, 5, "4 0 R"); /* two-object reference loop */
	p.off[6] = p.b.len;
	p.def[6] = true;
	pb_str(&p, "6 0 obj\n<< /Length 6 0 R >>\nstream\nabc\nendstream\nendobj\n");
	doc = open_built(&p);
	assert_fails_with(
	    ks_pdfdoc_resolve(doc, 0,
			      &(struct ks_pdfobj){ .type = KS_PDFOBJ_REF, .u.ref = { 2, 0 } }, &o),
	    KS_ERR_LIMIT);
	assert_fails_with(
	    ks_pdfdoc_resolve(doc, 0,
			      &(struct ks_pdfobj){ .type = KS_PDFOBJ_REF, .u.ref = { 4, 0 } }, &o),
	    KS_ERR_LIMIT);
	assert_fails_with(ks_pdfdoc_page_count(doc, 0, &n), KS_ERR_PDF);
	assert_non_null(strstr(ks_err_msg(), "cycle"));
	/* a stream whose /Length is itself */
	assert_fails_with(ks_pdfdoc_get(doc, 0, 6, 0, &o), KS_ERR_PDF);
	assert_non_null(strstr(ks_err_msg(), "loop"));
	/* asking again gives the same error, from the cache */
	assert_fails_with(ks_pdfdoc_get(doc, 0, 6, 0, &o), KS_ERR_PDF);
	assert_non_null(strstr(ks_err_msg(), "loop"));
	/* the catalog's own self reference is harmless: not followed */
	assert_ok(ks_pdfdoc_catalog(doc, 0, &o));
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);
}

static void test_nesting(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	struct ks_buf deep;
	const struct ks_pdfobj *o = NULL;
	size_t i;

	(void)state;
	ks_buf_init(&deep, 1 << 20);
	for (i = 0; i < 200; i++)
		assert_ok(ks_buf_append_str(&deep, i % 2 ? "<< /a " : "["));
	for (i = 200; i > 0; i--)
		assert_ok(ks_buf_append_str(&deep, (i - 1) % 2 ? ">>" : "]"));
	assert_ok(ks_buf_append_byte(&deep, 0));
	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog >>");
	pb_obj(&p, 2, (const char *)deep.data);
	pb_obj(&p, 3, "[[[[[[[[[[1]]]]]]]]]]");
	doc = open_built(&p);
	assert_fails_with(ks_pdfdoc_get(doc, 0, 2, 0, &o), KS_ERR_LIMIT);
	assert_non_null(strstr(ks_err_msg(), "nested"));
	assert_ok(ks_pdfdoc_get(doc, 0, 3, 0, &o));
	ks_pdfdoc_free(doc);
	/* a zeroed limits struct with one field set: the rest are defaults */
	{
		struct ks_pdfdoc_limits z;

		memset(&z, 0, sizeof(z));
		z.max_depth = 8;
		assert_ok(ks_pdfdoc_open(p.b.data, p.b.len, &z, &doc));
		assert_fails_with(ks_pdfdoc_get(doc, 0, 3, 0, &o), KS_ERR_LIMIT);
		assert_ok(ks_pdfdoc_catalog(doc, 0, &o));
		ks_pdfdoc_free(doc);
	}
	ks_buf_cleanup(&p.b);
	ks_buf_cleanup(&deep);
}

static void test_lengths(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	const struct ks_pdfobj *o = NULL;
	struct ks_buf out;
	size_t start;

	(void)state;
	ks_buf_init(&out, 1 << 20);
	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog >>");
	start = p.b.len;
	pb_str(&p, "2 0 obj\n<< /Length 99999999999999 >>\nstream\nabc\nendstream\nendobj\n");
	p.off[2] = start;
	p.def[2] = true;
	start = p.b.len;
	pb_str(&p, "3 0 obj\n<< /Length -5 >>\nstream\r\nxyz\r\nendstream\nendobj\n");
	p.off[3] = start;
	p.def[3] = true;
	start = p.b.len;
	pb_str(&p, "4 0 obj\n<< /Length 3 >>\nstream\nabcdef\nendobj\n"); /* no endstream */
	p.off[4] = start;
	p.def[4] = true;
	doc = open_built(&p);
	/* wrong /Length: the data is found by its endstream, and flagged */
	assert_ok(ks_pdfdoc_get(doc, 0, 2, 0, &o));
	assert_true(o->u.stream.length_repaired);
	assert_ok(ks_pdfdoc_stream_decode(doc, o, &out));
	assert_int_equal(out.len, 3);
	assert_ok(ks_pdfdoc_get(doc, 0, 3, 0, &o));
	assert_true(o->u.stream.length_repaired);
	assert_int_equal(o->u.stream.data_len, 3);
	assert_fails_with(ks_pdfdoc_get(doc, 0, 4, 0, &o), KS_ERR_PDF);
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);

	/* negative or absurd sizes in the xref */
	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog >>");
	start = p.b.len;
	assert_ok(ks_buf_printf(&p.b,
				"xref\n0 -3\ntrailer << /Root 1 0 R >>\nstartxref\n%zu\n"
				"%%%%EOF\n",
				start));
	{
		struct ks_pdfdoc_limits lim = strict();

		expect_open_fails(&p.b, &lim, KS_ERR_PDF_XREF, NULL);
	}
	ks_buf_cleanup(&p.b);
	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog >>");
	start = p.b.len;
	assert_ok(ks_buf_printf(&p.b,
				"xref\n0 4000000000\n0000000000 65535 f \ntrailer << >>\n"
				"startxref\n%zu\n%%%%EOF\n",
				start));
	{
		struct ks_pdfdoc_limits lim = strict();

		expect_open_fails(&p.b, &lim, KS_ERR_PDF_XREF, "more than the file holds");
	}
	ks_buf_cleanup(&p.b);
	ks_buf_cleanup(&out);
}

static void xref_stream_dict_fails(const char *dict, enum ks_err_code code, const char *msg_part)
{
	struct pb p;
	struct ks_pdfdoc_limits lim = strict();
	size_t x;

	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog >>");
	x = p.b.len;
	assert_ok(ks_buf_printf(&p.b, "2 0 obj\n<< /Type /XRef %s /Length 7 >>\nstream\n", dict));
	pb_raw(&p, "\x01\x00\x00\x00\x0f\x00\x00", 7);
	assert_ok(ks_buf_printf(&p.b, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", x));
	expect_open_fails(&p.b, &lim, code, msg_part);
	ks_buf_cleanup(&p.b);
}

static void test_xref_stream_fields(void **state)
{
	(void)state;
	xref_stream_dict_fails("/Size -1 /W [1 4 2] /Root 1 0 R", KS_ERR_PDF_XREF, "/Size");
	xref_stream_dict_fails("/Size 2 /W [-1 4 2] /Root 1 0 R", KS_ERR_PDF_XREF, "/W");
	xref_stream_dict_fails("/Size 2 /W [1 40 2] /Root 1 0 R", KS_ERR_PDF_XREF, "/W");
	xref_stream_dict_fails("/Size 2 /W [1 4] /Root 1 0 R", KS_ERR_PDF_XREF, "/W");
	xref_stream_dict_fails("/Size 2 /W [0 0 0] /Root 1 0 R", KS_ERR_PDF_XREF, "/W");
	xref_stream_dict_fails("/Size 2 /W [1 4 2] /Index [0] /Root 1 0 R", KS_ERR_PDF_XREF,
			       "/Index");
	xref_stream_dict_fails("/Size 2 /W [1 4 2] /Index [0 -2] /Root 1 0 R", KS_ERR_PDF_XREF,
			       "/Index");
	xref_stream_dict_fails("/Size 3 /W [1 4 2] /Root 1 0 R", KS_ERR_PDF_XREF, "data ends");
	xref_stream_dict_fails("/Size 2000000 /W [1 4 2] /Root 1 0 R", KS_ERR_LIMIT, "limit");
}

static void test_zip_bomb(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc = NULL;
	struct ks_pdfdoc_limits lim = strict();
	const struct ks_pdfobj *o = NULL;
	struct ks_buf zeros, z, out;
	clock_t t0 = clock();

	(void)state;
	ks_buf_init(&zeros, (size_t)32 << 20);
	ks_buf_init(&z, (size_t)32 << 20);
	ks_buf_init(&out, (size_t)64 << 20);
	assert_ok(ks_buf_reserve(&zeros, (size_t)16 << 20));
	memset(zeros.data, 0, (size_t)16 << 20);
	zeros.len = (size_t)16 << 20;
	pb_deflate(zeros.data, zeros.len, &z);
	assert_true(z.len < 64 * 1024); /* > 250:1 */
	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog >>");
	pb_stream(&p, 2, "/Filter /FlateDecode", z.data, z.len);
	(void)pb_xref_table(&p, "/Root 1 0 R", 0);
	lim.max_ratio = 100;
	lim.ratio_allowance = 64 * 1024;
	assert_ok(ks_pdfdoc_open(p.b.data, p.b.len, &lim, &doc));
	assert_ok(ks_pdfdoc_get(doc, 0, 2, 0, &o));
	assert_fails_with(ks_pdfdoc_stream_decode(doc, o, &out), KS_ERR_LIMIT);
	assert_non_null(strstr(ks_err_msg(), "ratio"));
	ks_pdfdoc_free(doc);
	/* with the ratio allowed, the size limit still holds */
	lim.max_ratio = 100000;
	lim.max_stream = (size_t)8 << 20;
	assert_ok(ks_pdfdoc_open(p.b.data, p.b.len, &lim, &doc));
	assert_ok(ks_pdfdoc_get(doc, 0, 2, 0, &o));
	assert_fails_with(ks_pdfdoc_stream_decode(doc, o, &out), KS_ERR_LIMIT);
	assert_null(strstr(ks_err_msg(), "ratio"));
	ks_pdfdoc_free(doc);
	/* defaults: zeros deflate at ~1030:1, just above the default ratio */
	lim = strict();
	assert_ok(ks_pdfdoc_open(p.b.data, p.b.len, &lim, &doc));
	assert_ok(ks_pdfdoc_get(doc, 0, 2, 0, &o));
	assert_fails_with(ks_pdfdoc_stream_decode(doc, o, &out), KS_ERR_LIMIT);
	ks_pdfdoc_free(doc);
	lim.max_ratio = 2000;
	assert_ok(ks_pdfdoc_open(p.b.data, p.b.len, &lim, &doc));
	assert_ok(ks_pdfdoc_get(doc, 0, 2, 0, &o));
	assert_ok(ks_pdfdoc_stream_decode(doc, o, &out));
	assert_int_equal(out.len, (size_t)16 << 20);
	/* the caller's buffer maximum is respected too */
	out.max = 1024;
	assert_fails_with(ks_pdfdoc_stream_decode(doc, o, &out), KS_ERR_LIMIT);
	ks_pdfdoc_free(doc);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < HANG_GUARD_S);
	ks_buf_cleanup(&zeros);
	ks_buf_cleanup(&z);
	ks_buf_cleanup(&out);
	ks_buf_cleanup(&p.b);
}

/* Object streams: wrong /First, /N, index, /Extends loop. */
static void objstm_case(const char *dict_extra, unsigned index, unsigned want, int code,
			const char *msg_part)
{
	static const unsigned nums[] = { 5, 6 };
	static const char *const bodies[] = { "(five)", "(six)" };
	struct pb p;
	struct ks_pdfdoc *doc = NULL;
	struct ks_pdfdoc_limits lim = strict();
	const struct ks_pdfobj *o = NULL;
	struct ks_buf rows;
	unsigned i;

	ks_buf_init(&rows, 1 << 16);
	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog >>");
	pb_stream(&p, 2, "/Type /ObjStm /N 0 /First 0 /Extends 3 0 R", "", 0);
	pb_objstm(&p, 3, nums, bodies, 2, dict_extra);
	pb_row(&rows, 0, 0, 65535);
	pb_row(&rows, 1, (uint32_t)p.off[1], 0);
	pb_row(&rows, 1, (uint32_t)p.off[2], 0);
	pb_row(&rows, 1, (uint32_t)p.off[3], 0);
	pb_row(&rows, 1, (uint32_t)p.b.len, 0);
	for (i = 5; i <= 6; i++)
		pb_row(&rows, 2, 3, (uint16_t)(i == want ? index : 1 - index));
	(void)pb_xref_stream(&p, 4, &rows, "0 7", "/Root 1 0 R", true, false);
	assert_ok(ks_pdfdoc_open(p.b.data, p.b.len, &lim, &doc));
	if (code == KS_OK) {
		assert_ok(ks_pdfdoc_get(doc, 0, want, 0, &o));
		assert_int_equal(o->type, KS_PDFOBJ_STRING);
	} else {
		assert_fails_with(ks_pdfdoc_get(doc, 0, want, 0, &o), code);
		if (msg_part != NULL && strstr(ks_err_msg(), msg_part) == NULL)
			fail_msg("error '%s' does not mention '%s'", ks_err_msg(), msg_part);
	}
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);
	ks_buf_cleanup(&rows);
}

static void test_objstm(void **state)
{
	(void)state;
	objstm_case("", 0, 5, KS_OK, NULL);
	objstm_case("", 1, 6, KS_OK, NULL);
	/* the entry's index holds another object */
	objstm_case("", 1, 5, KS_ERR_PDF_XREF, "holds object");
	/* 7.5.7 /Extends: a loop, a dangling reference, a wrong type */
	objstm_case("/Extends 2 0 R", 0, 5, KS_ERR_PDF, "/Extends loop");
	objstm_case("/Extends 9 0 R", 0, 5, KS_ERR_PDF, "not a stream");
	objstm_case("/Extends (x)", 0, 5, KS_ERR_PDF, "not a reference");
}

static void test_objstm_first(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc = NULL;
	struct ks_pdfdoc_limits lim = strict();
	const struct ks_pdfobj *o = NULL;
	struct ks_buf rows;
	static const char *const dicts[] = {
		"/Type /ObjStm /N 1 /First 999", /* beyond the data */
		"/Type /ObjStm /N 1 /First 2",   /* inside the header */
		"/Type /ObjStm /N -1 /First 4",  /* negative */
		"/Type /ObjStm /N 900 /First 4", /* more pairs than fit */
		"/Type /ObjStm /N 1",            /* no /First */
		"/Type /Foo /N 1 /First 4",      /* not an object stream */
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(dicts) / sizeof(dicts[0]); k++) {
		ks_buf_init(&rows, 1 << 16);
		pb_init(&p);
		pb_obj(&p, 1, "<< /Type /Catalog >>");
		pb_stream(&p, 2, dicts[k], "5 0 (five)", 10);
		pb_row(&rows, 0, 0, 65535);
		pb_row(&rows, 1, (uint32_t)p.off[1], 0);
		pb_row(&rows, 1, (uint32_t)p.off[2], 0);
		pb_row(&rows, 1, (uint32_t)p.b.len, 0);
		pb_row(&rows, 0, 0, 1);
		pb_row(&rows, 2, 2, 0);
		(void)pb_xref_stream(&p, 3, &rows, "0 6", "/Root 1 0 R", false, false);
		assert_ok(ks_pdfdoc_open(p.b.data, p.b.len, &lim, &doc));
		ks_err_clear();
		assert_int_equal(ks_pdfdoc_get(doc, 0, 5, 0, &o), -1);
		assert_true(ks_err_code() == KS_ERR_PDF || ks_err_code() == KS_ERR_PDF_XREF);
		ks_pdfdoc_free(doc);
		ks_buf_cleanup(&p.b);
		ks_buf_cleanup(&rows);
	}
}

/* The scan for "N G obj" that repair and the file checks share: what
 * counts as a definition, and that it never reads outside its input. */
static bool scan_one(const char *text, size_t from, size_t to, struct ks_pdfdoc_objdef *d,
		     size_t *at_out)
{
	size_t n = strlen(text), at = from;
	uint8_t *p = malloc(n > 0 ? n : 1); /* exact size: ASan sees any overread */
	struct ks_cur in;
	bool found;

	assert_non_null(p);
	memcpy(p, text, n);
	ks_cur_init(&in, p, n);
	found = ks_pdfdoc_scan_obj(&in, &at, to, d);
	if (at_out != NULL)
		*at_out = at;
	free(p);
	return found;
}

static void test_scan_obj(void **state)
{
	struct ks_pdfdoc_objdef d;
	size_t at = 0;
	char longws[128];

	(void)state;
	assert_true(scan_one("1 0 obj", 0, SIZE_MAX, &d, &at));
	assert_int_equal(d.num, 1);
	assert_int_equal(d.gen, 0);
	assert_int_equal(d.start, 0);
	assert_int_equal(at, 7);
	assert_true(scan_one("junk\n12 3 obj<<>>", 0, SIZE_MAX, &d, NULL));
	assert_int_equal(d.num, 12);
	assert_int_equal(d.gen, 3);
	assert_int_equal(d.start, 5);
	assert_true(scan_one(">4294967295 99999 obj ", 0, SIZE_MAX, &d, NULL));
	assert_int_equal(d.num, UINT32_MAX);
	assert_int_equal(d.gen, 99999);
	assert_int_equal(d.start, 1);
	/* the second of two: the first is not a definition */
	assert_true(scan_one("x1 0 obj 2 0 obj", 0, SIZE_MAX, &d, NULL));
	assert_int_equal(d.num, 2);
	/* not definitions */
	assert_false(scan_one("x1 0 obj", 0, SIZE_MAX, &d, NULL)); /* number inside a token */
	assert_false(scan_one("1 0 objx", 0, SIZE_MAX, &d, NULL)); /* keyword inside a token */
	assert_false(scan_one("1 0obj", 0, SIZE_MAX, &d, NULL));   /* no white space */
	assert_false(scan_one("10 obj", 0, SIZE_MAX, &d, NULL));   /* no generation */
	assert_false(scan_one("obj", 0, SIZE_MAX, &d, NULL));      /* nothing before */
	assert_false(scan_one("1 123456 obj", 0, SIZE_MAX, &d, NULL));
	assert_false(scan_one("4294967296 0 obj", 0, SIZE_MAX, &d, NULL));
	assert_false(scan_one("12345678901 0 obj", 0, SIZE_MAX, &d, NULL));
	assert_false(scan_one("1 -0 obj", 0, SIZE_MAX, &d, NULL));
	assert_false(scan_one("", 0, SIZE_MAX, &d, NULL));
	/* a header longer than the look-back window cannot be told apart
	 * from the tail of a longer token */
	memset(longws, ' ', sizeof(longws));
	memcpy(longws, "1", 1);
	memcpy(longws + KS_PDFDOC_OBJ_LOOKBACK, "0 obj", 6);
	assert_false(scan_one(longws, 0, SIZE_MAX, &d, NULL));
	memcpy(longws, " 1", 2);
	memcpy(longws + KS_PDFDOC_OBJ_LOOKBACK - 4, "0 obj", 6);
	assert_true(scan_one(longws, 0, SIZE_MAX, &d, NULL));
	assert_int_equal(d.start, 1);
	/* only keywords that lie wholly in [at, to) count */
	assert_false(scan_one("1 0 obj", 0, 6, &d, &at));
	assert_int_equal(at, 6);
	assert_false(scan_one("1 0 obj", 5, SIZE_MAX, &d, NULL));
	assert_true(scan_one("1 0 obj", 4, 7, &d, NULL));
	assert_false(scan_one("1 0 obj", 8, SIZE_MAX, &d, &at));
	/* the header before `at` still counts: it is read backwards */
	assert_true(scan_one("1 0 obj 2 0 obj", 1, SIZE_MAX, &d, &at));
	assert_int_equal(d.num, 1);
	assert_true(scan_one("1 0 obj 2 0 obj", at, SIZE_MAX, &d, &at));
	assert_int_equal(d.num, 2);
	assert_int_equal(at, 15);
	assert_false(scan_one("1 0 obj 2 0 obj", at, SIZE_MAX, &d, NULL));
}

static void test_corpus_infinite_loop(void **state)
{
	struct ks_buf b;
	struct ks_pdfdoc *doc = NULL;
	struct ks_pdfdoc_limits lim = strict();
	const char *corpus = getenv("KYSO_PADES_CORPUS");
	char path[4096];
	clock_t t0;

	(void)state;
	if (corpus == NULL)
		fail_msg("KYSO_PADES_CORPUS is not set (scripts/run-tests.sh finds the corpus)");
	snprintf(path, sizeof(path),
		 "%s/dss/dss-pades/src/test/resources/validation/pades_infinite_loop.pdf", corpus);
	ks_buf_init(&b, 1 << 20);
	if (ks_file_read(path, 1 << 20, &b) < 0)
		fail_msg("%s: %s", path, ks_err_msg());
	t0 = clock();
	expect_open_fails(&b, &lim, KS_ERR_PDF_XREF, "beyond the end");
	assert_ok(ks_pdfdoc_open(b.data, b.len, NULL, &doc));
	assert_true(ks_pdfdoc_repaired(doc));
	touch_all(doc);
	ks_pdfdoc_free(doc);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < HANG_GUARD_S);
	ks_buf_cleanup(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_bad_xref_offset),
		cmocka_unit_test(test_prev_loop),
		cmocka_unit_test(test_self_reference),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_xref_stream_fields),
		cmocka_unit_test(test_zip_bomb),
		cmocka_unit_test(test_objstm),
		cmocka_unit_test(test_objstm_first),
		cmocka_unit_test(test_corpus_infinite_loop),
		cmocka_unit_test(test_scan_obj),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
