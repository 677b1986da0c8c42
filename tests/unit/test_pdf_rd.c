/* Unit tests for formats/pdf/ks_pdf_rd (the signer's view of the
 * original: xref tables, xref streams with PNG predictors, object streams,
 * hybrid files) and ks_pdf_val (the value tree an update rewrites), with
 * hostile inputs: missing header, no startxref, offsets out of range,
 * /Prev loops, decompression bombs, deep nesting. */
#include "ks_test.h"

#include <zlib.h>

#include "formats/pdf/ks_pdf_rd.h"
#include "formats/pdf/ks_pdf_val.h"
#include "pdf_build.h"

static const char *const base_objs[] = {
	"<< /Type /Catalog /Pages 2 0 R >>",
	"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Annots [] >>",
	"<< /Title (T\\(1\\)\\101\\156\\t\\q) /Author <FEFF00410042> /N /A#20B /R 4 5 R /F -1.5 /B "
	"true "
	"/Z null >>",
};

static void test_classic(void **state)
{
	struct ks_buf pdf, out;
	struct ks_pdf_rd *rd = NULL;
	struct ks_pdf_rd_info info;
	struct ks_pdf_val *v = NULL;

	(void)state;
	pb_classic(&pdf, (size_t)1 << 20, base_objs, 4,
		   "/Info 4 0 R /ID [<0011223344556677> <8899AABBCCDDEEFF>] /Encrypt 9 0 R", true);
	assert_ok(ks_pdf_rd_open(pdf.data, pdf.len, &rd));
	assert_ok(ks_pdf_rd_info(rd, &info));
	assert_int_equal(info.root_num, 1);
	assert_int_equal(info.info_num, 4);
	assert_int_equal(info.size, 5);
	assert_int_equal(info.id0_len, 8);
	assert_memory_equal(info.id0, "\x00\x11\x22\x33\x44\x55\x66\x77", 8);
	assert_true(info.encrypted);
	assert_false(info.xref_stream);
	assert_false(info.repaired);
	/* Values decoded: escapes, hex strings, #-names, references. */
	assert_ok(ks_pdf_rd_get(rd, 4, 0, &v));
	assert_non_null(v);
	/* \156 is an octal n, not a newline; \q is q */
	assert_int_equal(ks_pdf_val_get(v, "Title")->len, 8);
	assert_memory_equal(ks_pdf_val_get(v, "Title")->s, "T(1)An\tq", 8);
	assert_int_equal(ks_pdf_val_get(v, "Author")->len, 6);
	assert_true(ks_pdf_val_is_name(ks_pdf_val_get(v, "N"), "A B"));
	assert_int_equal(ks_pdf_val_get(v, "R")->type, KS_PV_REF);
	assert_int_equal(ks_pdf_val_get(v, "R")->num, 4);
	assert_int_equal(ks_pdf_val_get(v, "R")->gen, 5);
	assert_int_equal(ks_pdf_val_get(v, "B")->b, true);
	assert_int_equal(ks_pdf_val_get(v, "Z")->type, KS_PV_NULL);
	/* Serialized back: same meaning, canonical form. */
	ks_buf_init(&out, 4096);
	assert_ok(ks_pdf_val_put(&out, v));
	assert_ok(ks_buf_append_byte(&out, 0));
	assert_string_equal(
	    (const char *)out.data,
	    "<< /Title (T\\(1\\)An\\011q) /Author <FEFF00410042> /N /A#20B /R 4 5 R /F -1.5 "
	    "/B true /Z null >>");
	ks_pdf_val_free(v);
	v = NULL;
	/* Missing objects, wrong generation: null, not an error. */
	assert_ok(ks_pdf_rd_get(rd, 40, 0, &v));
	assert_null(v);
	assert_ok(ks_pdf_rd_get(rd, 1, 1, &v));
	assert_null(v);
	assert_ok(ks_pdf_rd_get(rd, 0, 0, &v));
	assert_null(v);
	ks_pdf_rd_close(rd);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&out);
}

/* An object stream with objects 2 and 3, and an xref stream with a PNG Up
 * predictor and narrow offsets (/Columns 5: W [1 2 2]); with `hybrid`,
 * the xref stream is only named by the /XRefStm of a classic table for
 * objects 1, 4 and 5 (7.5.8.4). */
static void xref_stream_pdf(struct ks_buf *pdf, bool hybrid)
{
	static const unsigned nums[] = { 2, 3 };
	static const char *const bodies[] = { "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
					      "<< /Type /Page /Parent 2 0 R >>" };
	struct ks_buf rows;
	struct pb p;
	size_t x;
	char tr[128];

	pb_init(&p);
	ks_buf_init(&rows, 1 << 10);
	pb_obj(&p, 1, "<< /Type /Catalog /Pages 2 0 R >>");
	pb_objstm(&p, 4, nums, bodies, 2, "");
	/* rows: 0 free, 1 file, 2-3 in objstm 4, 4 file, 5 (itself) file */
	pb_row_w(&rows, 2, 0, 0, 0);
	pb_row_w(&rows, 2, 1, (uint32_t)p.off[1], 0);
	pb_row_w(&rows, 2, 2, 4, 0);
	pb_row_w(&rows, 2, 2, 4, 1);
	pb_row_w(&rows, 2, 1, (uint32_t)p.off[4], 0);
	pb_row_w(&rows, 2, 1, (uint32_t)p.b.len, 0);
	assert_true(p.b.len < 65536); /* offsets fit two bytes */
	x = pb_xref_stream_w(&p, 5, &rows, 2, 6, NULL, "/Root 1 0 R", true, hybrid);
	if (hybrid) {
		snprintf(tr, sizeof(tr), "/Root 1 0 R /XRefStm %zu", x);
		(void)pb_xref_table(&p, tr, 0);
	}
	ks_buf_init(pdf, (size_t)1 << 20);
	ks_buf_move(pdf, &p.b);
	pdf->max = (size_t)1 << 20;
	ks_buf_cleanup(&rows);
}

static void test_xref_stream(void **state)
{
	struct ks_buf pdf;
	struct ks_pdf_rd *rd = NULL;
	struct ks_pdf_rd_info info;
	struct ks_pdf_val *v = NULL;

	(void)state;
	xref_stream_pdf(&pdf, false);
	assert_ok(ks_pdf_rd_open(pdf.data, pdf.len, &rd));
	assert_ok(ks_pdf_rd_info(rd, &info));
	assert_true(info.xref_stream);
	assert_int_equal(info.size, 6);
	assert_int_equal(info.id0_len, 0);
	assert_ok(ks_pdf_rd_get(rd, 3, 0, &v));
	assert_non_null(v);
	assert_true(ks_pdf_val_is_name(ks_pdf_val_get(v, "Type"), "Page"));
	ks_pdf_val_free(v);
	assert_ok(ks_pdf_rd_get(rd, 2, 0, &v));
	assert_int_equal(ks_pdf_val_get(v, "Count")->i, 1);
	ks_pdf_val_free(v);
	/* An object in an object stream has generation 0 only. */
	assert_ok(ks_pdf_rd_get(rd, 2, 1, &v));
	assert_null(v);
	ks_pdf_rd_close(rd);
	ks_buf_cleanup(&pdf);
}

static void test_hybrid(void **state)
{
	struct ks_buf pdf;
	struct ks_pdf_rd *rd = NULL;
	struct ks_pdf_rd_info info;
	struct ks_pdf_val *v = NULL;

	(void)state;
	xref_stream_pdf(&pdf, true);
	assert_ok(ks_pdf_rd_open(pdf.data, pdf.len, &rd));
	assert_ok(ks_pdf_rd_info(rd, &info));
	/* The update after a hybrid section is written as an xref stream. */
	assert_true(info.xref_stream);
	assert_ok(ks_pdf_rd_get(rd, 3, 0, &v));
	assert_non_null(v);
	assert_true(ks_pdf_val_is_name(ks_pdf_val_get(v, "Type"), "Page"));
	ks_pdf_val_free(v);
	ks_pdf_rd_close(rd);
	ks_buf_cleanup(&pdf);
}

static void test_hostile(void **state)
{
	struct ks_buf pdf, b;
	struct ks_pdf_rd *rd = NULL;
	char *p;
	size_t i;

	(void)state;
	pb_classic(&pdf, (size_t)1 << 20, base_objs, 4, "", true);
	/* Not a PDF; truncated before startxref. */
	assert_fails_with(ks_pdf_rd_open((const uint8_t *)"hello", 5, &rd), KS_ERR_PDF_XREF);
	assert_fails_with(ks_pdf_rd_open(pdf.data, pdf.len - 30, &rd), KS_ERR_PDF_XREF);
	assert_null(rd);
	/* startxref beyond the end. */
	ks_buf_init(&b, 1 << 20);
	assert_ok(ks_buf_append(&b, pdf.data, pdf.len));
	p = strstr((char *)b.data, "startxref\n") + 10;
	memcpy(p, "99999", 5);
	assert_int_equal(ks_pdf_rd_open(b.data, b.len, &rd), -1);
	/* A /Prev pointing at itself. */
	ks_buf_cleanup(&pdf);
	{
		size_t x;

		pb_classic(&pdf, (size_t)1 << 20, base_objs, 4, "", true);
		x = (size_t)(strstr((char *)pdf.data, "xref\n") - (char *)pdf.data);
		ks_buf_cleanup(&b);
		ks_buf_init(&b, 1 << 20);
		assert_ok(ks_buf_append(&b, pdf.data, pdf.len));
		p = strstr((char *)b.data, "/Root 1 0 R ");
		/* "/Root 1 0 R " -> "/Prev NNNN " keeps nothing else; rebuild. */
		ks_buf_cleanup(&b);
		ks_buf_init(&b, 1 << 20);
		assert_ok(ks_buf_append(
		    &b, pdf.data,
		    (size_t)(strstr((char *)pdf.data, "trailer") - (char *)pdf.data)));
		assert_ok(ks_buf_printf(
		    &b, "trailer\n<< /Size 5 /Root 1 0 R /Prev %zu >>\nstartxref\n%zu\n%%%%EOF\n",
		    x, x));
		assert_fails_with(ks_pdf_rd_open(b.data, b.len, &rd), KS_ERR_PDF_XREF);
		(void)p;
	}
	/* An xref entry that points at the wrong object. */
	ks_buf_cleanup(&b);
	ks_buf_init(&b, 1 << 20);
	assert_ok(ks_buf_append(&b, pdf.data, pdf.len));
	p = strstr((char *)b.data, "2 0 obj");
	p[0] = '7';
	assert_ok(ks_pdf_rd_open(b.data, b.len, &rd));
	{
		struct ks_pdf_val *v = NULL;

		assert_fails_with(ks_pdf_rd_get(rd, 2, 0, &v), KS_ERR_PDF_XREF);
		assert_null(v);
	}
	ks_pdf_rd_close(rd);
	rd = NULL;
	/* Nesting deeper than the limit. */
	{
		struct ks_buf deep;
		const char *objs[4];
		struct ks_pdf_val *v = NULL;

		ks_buf_init(&deep, 1 << 20);
		for (i = 0; i < 200; i++)
			assert_ok(ks_buf_append_byte(&deep, '['));
		for (i = 0; i < 200; i++)
			assert_ok(ks_buf_append_byte(&deep, ']'));
		assert_ok(ks_buf_append_byte(&deep, 0));
		objs[0] = base_objs[0];
		objs[1] = base_objs[1];
		objs[2] = base_objs[2];
		objs[3] = (const char *)deep.data;
		ks_buf_cleanup(&b);
		pb_classic(&b, (size_t)1 << 20, objs, 4, "", true);
		assert_ok(ks_pdf_rd_open(b.data, b.len, &rd));
		assert_fails_with(ks_pdf_rd_get(rd, 4, 0, &v), KS_ERR_LIMIT);
		ks_pdf_rd_close(rd);
		rd = NULL;
		ks_buf_cleanup(&deep);
	}
	/* A decompression bomb in an xref stream. */
	{
		static uint8_t zeros[(size_t)70 << 20];
		uLongf zl = compressBound(sizeof(zeros));
		uint8_t *z = malloc(zl);
		struct pb pbd;

		assert_non_null(z);
		assert_int_equal(compress2(z, &zl, zeros, sizeof(zeros), 9), Z_OK);
		pb_init(&pbd);
		pb_stream(&pbd, 1,
			  "/Type /XRef /Size 2 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode", z, zl);
		pb_startxref(&pbd, pbd.off[1], true);
		assert_fails_with(ks_pdf_rd_open(pbd.b.data, pbd.b.len, &rd), KS_ERR_LIMIT);
		ks_buf_cleanup(&pbd.b);
		free(z);
	}
	/* No /Root. */
	ks_buf_cleanup(&b);
	{
		struct pb pbd;

		pb_init(&pbd);
		pb_obj(&pbd, 1, "<< >>");
		(void)pb_xref_table(&pbd, "", 0);
		assert_fails_with(ks_pdf_rd_open(pbd.b.data, pbd.b.len, &rd), KS_ERR_PDF_XREF);
		ks_buf_cleanup(&pbd.b);
	}
	ks_buf_cleanup(&pdf);
}

/* An update cut before its cross-reference section: objects after the
 * last %%EOF refuse the file (an update appended after them would hide
 * them); other bytes there (padding, a stray word) do not. */
static void test_cut_update(void **state)
{
	static const char *const tails[] = {
		"5 0 obj\n<< /Type /Sig /ByteRange [0 1 2 3] /Contents <00> >>\nendobj\n",
		"\r\n12 0 obj<</Type/Annot>>",
		"junk\n7 0 obj\n",
	};
	static const char *const harmless[] = {
		"\n\n   \r\n",
		"%% a comment\n1 0 ob\nobject 2 0\n",
		"\0\0\0\0",
	};
	struct ks_buf pdf, b;
	struct ks_pdf_rd *rd = NULL;
	size_t i;

	(void)state;
	pb_classic(&pdf, (size_t)1 << 20, base_objs, 4, "", true);
	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		ks_buf_init(&b, 1 << 20);
		assert_ok(ks_buf_append(&b, pdf.data, pdf.len));
		assert_ok(ks_buf_append_str(&b, tails[i]));
		assert_fails_with(ks_pdf_rd_open(b.data, b.len, &rd), KS_ERR_PDF_XREF);
		assert_null(rd);
		assert_non_null(strstr(ks_err_msg(), "follows the last %%EOF"));
		ks_buf_cleanup(&b);
	}
	for (i = 0; i < sizeof(harmless) / sizeof(harmless[0]); i++) {
		ks_buf_init(&b, 1 << 20);
		assert_ok(ks_buf_append(&b, pdf.data, pdf.len));
		assert_ok(ks_buf_append(&b, harmless[i], i == 2 ? 4 : strlen(harmless[i])));
		assert_ok(ks_pdf_rd_open(b.data, b.len, &rd));
		ks_pdf_rd_close(rd);
		rd = NULL;
		ks_buf_cleanup(&b);
	}
	ks_buf_cleanup(&pdf);
}

static void test_values(void **state)
{
	struct ks_pdf_val *d = ks_pdf_val_new(KS_PV_DICT), *a = ks_pdf_val_new(KS_PV_ARRAY), *c;
	struct ks_buf out;
	static const uint8_t bin[] = { 0, 1, 2, 0xff };

	(void)state;
	ks_buf_init(&out, 4096);
	assert_ok(ks_pdf_val_set(d, "Type", ks_pdf_val_name("Annot")));
	assert_ok(ks_pdf_val_set(d, "F", ks_pdf_val_int(4)));
	assert_ok(ks_pdf_val_set(d, "F", ks_pdf_val_int(132))); /* replaces, keeps order */
	assert_ok(ks_pdf_val_push(a, ks_pdf_val_real(0.5)));
	assert_ok(ks_pdf_val_push(a, ks_pdf_val_ref(7, 0)));
	assert_ok(ks_pdf_val_push(a, ks_pdf_val_string(bin, sizeof(bin))));
	assert_ok(ks_pdf_val_set(d, "A", a));
	assert_ok(ks_pdf_val_set(d, "Gone", ks_pdf_val_bool(false)));
	ks_pdf_val_del(d, "Gone");
	ks_pdf_val_del(d, "Absent");
	c = ks_pdf_val_dup(d);
	assert_non_null(c);
	assert_ok(ks_pdf_val_put(&out, c));
	assert_ok(ks_buf_append_byte(&out, 0));
	assert_string_equal((const char *)out.data,
			    "<< /Type /Annot /F 132 /A [0.5 7 0 R <000102FF>] >>");
	/* Wrong container types are refused (and the value freed). */
	assert_fails_with(ks_pdf_val_push(d, ks_pdf_val_int(1)), KS_ERR_INTERNAL);
	assert_fails_with(ks_pdf_val_set(a, "X", ks_pdf_val_int(1)), KS_ERR_INTERNAL);
	assert_int_equal(ks_pdf_val_set(d, "X", NULL), -1);
	assert_null(ks_pdf_val_get(a, "X"));
	assert_null(ks_pdf_val_get(NULL, "X"));
	ks_pdf_val_free(c);
	ks_pdf_val_free(d);
	ks_pdf_val_free(NULL);
	ks_buf_cleanup(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classic),    cmocka_unit_test(test_xref_stream),
		cmocka_unit_test(test_hybrid),     cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_cut_update), cmocka_unit_test(test_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
