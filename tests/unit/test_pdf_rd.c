/* Unit tests for formats/pdf/ks_pdf_rd (the signer's view of the
 * original: xref tables, xref streams with PNG predictors, object streams,
 * hybrid files) and ks_pdf_val (the value tree an update rewrites), with
 * hostile inputs: missing header, no startxref, offsets out of range,
 * /Prev loops, decompression bombs, deep nesting. */
#include "ks_test.h"

#include <zlib.h>

#include "formats/pdf/ks_pdf_rd.h"
#include "formats/pdf/ks_pdf_val.h"

/* PDF with a classic table from object bodies; extra goes in the trailer. */
static void classic(struct ks_buf *pdf, const char *const *objs, size_t n, const char *extra)
{
	size_t off[16], i, x;

	ks_buf_init(pdf, (size_t)1 << 20);
	assert_ok(ks_buf_append_str(pdf, "%PDF-1.7\n"));
	for (i = 0; i < n; i++) {
		off[i] = pdf->len;
		assert_ok(ks_buf_printf(pdf, "%zu 0 obj\n%s\nendobj\n", i + 1, objs[i]));
	}
	x = pdf->len;
	assert_ok(ks_buf_printf(pdf, "xref\n0 %zu\n0000000000 65535 f \n", n + 1));
	for (i = 0; i < n; i++)
		assert_ok(ks_buf_printf(pdf, "%010zu 00000 n \n", off[i]));
	assert_ok(
	    ks_buf_printf(pdf, "trailer\n<< /Size %zu /Root 1 0 R %s >>\nstartxref\n%zu\n%%%%EOF\n",
			  n + 1, extra, x));
}

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
	classic(&pdf, base_objs, 4,
		"/Info 4 0 R /ID [<0011223344556677> <8899AABBCCDDEEFF>] /Encrypt 9 0 R");
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
 * predictor (/Columns 5: W [1 2 2]). */
static void xref_stream_pdf(struct ks_buf *pdf)
{
	static const char objs[] = "2 0 3 42 "
				   "<< /Type /Pages /Kids [3 0 R] /Count 1 >> "
				   "<< /Type /Page /Parent 2 0 R >>";
	uint8_t z[4096], rows[6 * 6], raw[6 * 5];
	uLongf zl = sizeof(z), zr = sizeof(z);
	size_t off1, off4, offx, i;
	uint8_t zx[4096];

	/* 42 = offset of the second object after /First (9). */
	assert_memory_equal(objs + 9 + 42, "<< /Type /Page ", 15);
	ks_buf_init(pdf, (size_t)1 << 20);
	assert_ok(ks_buf_append_str(pdf, "%PDF-1.5\n"));
	off1 = pdf->len;
	assert_ok(ks_buf_append_str(pdf, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"));
	assert_int_equal(compress(z, &zl, (const uint8_t *)objs, sizeof(objs) - 1), Z_OK);
	off4 = pdf->len;
	assert_ok(ks_buf_printf(pdf,
				"4 0 obj\n<< /Type /ObjStm /N 2 /First 9 /Length %lu /Filter "
				"/FlateDecode >>\nstream\n",
				(unsigned long)zl));
	assert_ok(ks_buf_append(pdf, z, zl));
	assert_ok(ks_buf_append_str(pdf, "\nendstream\nendobj\n"));
	offx = pdf->len;
	/* rows: 0 free, 1 file, 2-3 in objstm 4, 4 file, 5 (itself) file */
	memset(raw, 0, sizeof(raw));
	raw[5] = 1, raw[6] = (uint8_t)(off1 >> 8), raw[7] = (uint8_t)off1;
	raw[10] = 2, raw[12] = 4, raw[14] = 0;
	raw[15] = 2, raw[17] = 4, raw[19] = 1;
	raw[20] = 1, raw[21] = (uint8_t)(off4 >> 8), raw[22] = (uint8_t)off4;
	raw[25] = 1, raw[26] = (uint8_t)(offx >> 8), raw[27] = (uint8_t)offx;
	for (i = 0; i < 6; i++) {
		size_t k;

		rows[i * 6] = 2; /* PNG Up */
		for (k = 0; k < 5; k++)
			rows[i * 6 + 1 + k] =
			    (uint8_t)(raw[i * 5 + k] - (i > 0 ? raw[(i - 1) * 5 + k] : 0));
	}
	assert_int_equal(compress(zx, &zr, rows, sizeof(rows)), Z_OK);
	assert_ok(ks_buf_printf(pdf,
				"5 0 obj\n<< /Type /XRef /Size 6 /W [1 2 2] /Root 1 0 R /Filter "
				"/FlateDecode /DecodeParms << /Predictor 12 /Columns 5 >> /Length "
				"%lu >>\nstream\n",
				(unsigned long)zr));
	assert_ok(ks_buf_append(pdf, zx, zr));
	assert_ok(ks_buf_printf(pdf, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", offx));
}

static void test_xref_stream(void **state)
{
	struct ks_buf pdf;
	struct ks_pdf_rd *rd = NULL;
	struct ks_pdf_rd_info info;
	struct ks_pdf_val *v = NULL;

	(void)state;
	xref_stream_pdf(&pdf);
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

/* A hybrid file (7.5.8.4): a classic table for objects 1, 4 and 5 whose
 * trailer's /XRefStm names the xref stream that has objects 2 and 3. */
static void hybrid_pdf(struct ks_buf *pdf)
{
	struct ks_buf x;
	const char *base, *tail;
	size_t off1, off4, offx, xt;

	xref_stream_pdf(&x);
	base = (const char *)x.data;
	/* memmem: the compressed streams hold NUL bytes. */
	tail = memmem(base, x.len, "startxref", 9);
	assert_non_null(tail);
	off1 = (size_t)((const char *)memmem(base, x.len, "1 0 obj", 7) - base);
	off4 = (size_t)((const char *)memmem(base, x.len, "4 0 obj", 7) - base);
	offx = (size_t)((const char *)memmem(base, x.len, "5 0 obj", 7) - base);
	ks_buf_init(pdf, (size_t)1 << 20);
	assert_ok(ks_buf_append(pdf, x.data, (size_t)(tail - base)));
	xt = pdf->len;
	assert_ok(
	    ks_buf_printf(pdf,
			  "xref\n0 2\n0000000000 65535 f \n%010zu 00000 n \n4 2\n%010zu 00000 n "
			  "\n%010zu 00000 n \ntrailer\n<< /Size 6 /Root 1 0 R /XRefStm %zu >>\n"
			  "startxref\n%zu\n%%%%EOF\n",
			  off1, off4, offx, offx, xt));
	ks_buf_cleanup(&x);
}

static void test_hybrid(void **state)
{
	struct ks_buf pdf;
	struct ks_pdf_rd *rd = NULL;
	struct ks_pdf_rd_info info;
	struct ks_pdf_val *v = NULL;

	(void)state;
	hybrid_pdf(&pdf);
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
	classic(&pdf, base_objs, 4, "");
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

		classic(&pdf, base_objs, 4, "");
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
		classic(&b, objs, 4, "");
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

		assert_non_null(z);
		assert_int_equal(compress2(z, &zl, zeros, sizeof(zeros), 9), Z_OK);
		ks_buf_cleanup(&b);
		ks_buf_init(&b, (size_t)8 << 20);
		assert_ok(ks_buf_printf(&b,
					"%%PDF-1.5\n1 0 obj\n<< /Type /XRef /Size 2 /W [1 4 2] "
					"/Root 1 0 R /Filter /FlateDecode /Length %lu >>\nstream\n",
					(unsigned long)zl));
		assert_ok(ks_buf_append(&b, z, zl));
		assert_ok(ks_buf_append_str(&b, "\nendstream\nendobj\nstartxref\n9\n%%EOF\n"));
		assert_fails_with(ks_pdf_rd_open(b.data, b.len, &rd), KS_ERR_LIMIT);
		free(z);
	}
	/* No /Root. */
	ks_buf_cleanup(&b);
	{
		static const char *objs[] = { "<< >>" };
		size_t x;

		ks_buf_init(&b, 4096);
		assert_ok(ks_buf_append_str(&b, "%PDF-1.7\n1 0 obj\n<< >>\nendobj\n"));
		x = b.len;
		assert_ok(ks_buf_printf(&b,
					"xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \n"
					"trailer\n<< /Size 2 >>\nstartxref\n%zu\n%%%%EOF\n",
					x));
		assert_fails_with(ks_pdf_rd_open(b.data, b.len, &rd), KS_ERR_PDF_XREF);
		(void)objs;
	}
	ks_buf_cleanup(&b);
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
		cmocka_unit_test(test_classic), cmocka_unit_test(test_xref_stream),
		cmocka_unit_test(test_hybrid),  cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
