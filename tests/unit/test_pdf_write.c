/* Unit tests for formats/pdf/ks_pdf_write (object serialization, the
 * incremental update, ByteRange placeholder) and the appearance stream
 * (HarfBuzz shaping and subsetting).  Every written file is also checked
 * with `qpdf --check`. */
#include "ks_test.h"

#include <fcntl.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "formats/pdf/ks_pdf_appear.h"
#include "formats/pdf/ks_pdf_font.h"
#include "formats/pdf/ks_pdf_write.h"
#include "ks_io.h"
#include "pdf_build.h"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kyso-pdfw-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

/* Serialize through `fn` and compare with the expected text. */
#define assert_put(call, buf, expect)                                      \
	do {                                                               \
		ks_buf_reset(&(buf));                                      \
		assert_ok(call);                                           \
		assert_int_equal((buf).len, strlen(expect));               \
		assert_memory_equal((buf).data, (expect), strlen(expect)); \
	} while (0)

static void test_names(void **state)
{
	struct ks_buf b;
	char longname[200];

	(void)state;
	ks_buf_init(&b, 4096);
	assert_put(ks_pdf_put_name(&b, "Type"), b, "/Type");
	/* ISO 32000-1 7.3.5: space, '#', delimiters and non-ASCII as #xx. */
	assert_put(ks_pdf_put_name(&b, "A B#(x)"), b, "/A#20B#23#28x#29");
	assert_put(ks_pdf_put_name(&b, "Chữ ký"), b, "/Ch#E1#BB#AF#20k#C3#BD");
	assert_put(ks_pdf_put_name(&b, "a/b%c[d]<e>{f}"), b, "/a#2Fb#25c#5Bd#5D#3Ce#3E#7Bf#7D");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ks_buf_reset(&b);
	assert_fails_with(ks_pdf_put_name(&b, longname), KS_ERR_LIMIT);
	ks_buf_cleanup(&b);
}

static void test_strings(void **state)
{
	struct ks_buf b;
	static uint8_t big[KS_PDF_MAX_STRING + 1];

	(void)state;
	ks_buf_init(&b, (size_t)1 << 20);
	assert_put(ks_pdf_put_string(&b, "abc", 3), b, "(abc)");
	assert_put(ks_pdf_put_string(&b, "a(b)c\\", 6), b, "(a\\(b\\)c\\\\)");
	/* Line ends and non-printing bytes escaped: \n, \r, \ddd (3 digits). */
	assert_put(ks_pdf_put_string(&b,
				     "\n\r\x01"
				     "9\xc3\xa9",
				     6),
		   b, "(\\n\\r\\0019\\303\\251)");
	assert_put(ks_pdf_put_string(&b, "", 0), b, "()");
	assert_put(ks_pdf_put_hexstring(&b, "\x00\xff\x10", 3), b, "<00FF10>");
	ks_buf_reset(&b);
	assert_fails_with(ks_pdf_put_string(&b, big, sizeof(big)), KS_ERR_LIMIT);
	assert_fails_with(ks_pdf_put_hexstring(&b, big, sizeof(big)), KS_ERR_LIMIT);
	ks_buf_cleanup(&b);
}

static void test_text_strings(void **state)
{
	struct ks_buf b;

	(void)state;
	ks_buf_init(&b, 4096);
	/* Printable ASCII stays a literal string. */
	assert_put(ks_pdf_put_text(&b, "Approved (final)"), b, "(Approved \\(final\\))");
	/* ISO 32000-1 7.9.2.2: otherwise UTF-16BE with the BOM. */
	assert_put(ks_pdf_put_text(&b, "Hiệu trưởng"), b,
		   "<FEFF004800691EC7007500200074007201B01EDF006E0067>");
	/* Precomposed form: ệ is U+1EC7. */
	assert_put(ks_pdf_put_text(&b, "Ký duyệt"), b, "<FEFF004B00FD00200064007500791EC70074>");
	/* Supplementary plane: a surrogate pair. */
	assert_put(ks_pdf_put_text(&b, "\xf0\x9f\x98\x80"), b, "<FEFFD83DDE00>");
	/* A tab is not printable ASCII: UTF-16BE. */
	assert_put(ks_pdf_put_text(&b, "a\tb"), b, "<FEFF006100090062>");
	ks_buf_reset(&b);
	/* Hostile UTF-8: overlong, surrogate, truncated, bad lead, > U+10FFFF. */
	assert_fails_with(ks_pdf_put_text(&b, "\xc0\xaf"), KS_ERR_ENCODING);
	assert_fails_with(ks_pdf_put_text(&b, "\xed\xa0\x80"), KS_ERR_ENCODING);
	assert_fails_with(ks_pdf_put_text(&b, "ab\xe1\xbb"), KS_ERR_ENCODING);
	assert_fails_with(ks_pdf_put_text(&b, "\xff"), KS_ERR_ENCODING);
	assert_fails_with(ks_pdf_put_text(&b, "\xf4\x90\x80\x80"), KS_ERR_ENCODING);
	assert_fails_with(ks_pdf_put_text(&b, "\xe1\x41\x41"), KS_ERR_ENCODING);
	ks_buf_cleanup(&b);
}

static void test_numbers(void **state)
{
	struct ks_buf b;

	(void)state;
	ks_buf_init(&b, 4096);
	assert_put(ks_pdf_put_int(&b, -42), b, "-42");
	assert_put(ks_pdf_put_int(&b, 0), b, "0");
	assert_put(ks_pdf_put_real(&b, 1.5), b, "1.5");
	assert_put(ks_pdf_put_real(&b, 2.0), b, "2");
	assert_put(ks_pdf_put_real(&b, 595.28), b, "595.28");
	assert_put(ks_pdf_put_real(&b, 0.12345678), b, "0.1235");
	assert_put(ks_pdf_put_real(&b, -0.00001), b, "0");
	assert_put(ks_pdf_put_real(&b, -12.25), b, "-12.25");
	/* No exponent form, ever (7.3.3). */
	assert_put(ks_pdf_put_real(&b, 123456789.0), b, "123456789");
	assert_put(ks_pdf_put_ref(&b, 12, 3), b, "12 3 R");
	ks_buf_reset(&b);
	assert_fails_with(ks_pdf_put_real(&b, NAN), KS_ERR_ARG);
	assert_fails_with(ks_pdf_put_real(&b, INFINITY), KS_ERR_ARG);
	assert_fails_with(ks_pdf_put_real(&b, 1e12), KS_ERR_ARG);
	/* whole numbers keep their zeros, below and above 2^52 */
	assert_put(ks_pdf_put_real_digits(&b, 831100.4, 0, 1e17), b, "831100");
	assert_put(ks_pdf_put_real_digits(&b, 5e16, 0, 1e17), b, "50000000000000000");
	assert_put(ks_pdf_put_real_digits(&b, 5e16, 1, 1e17), b, "50000000000000000");
	ks_buf_cleanup(&b);
}

/* "%.*f" trimmed: what a number was written as before it was formatted
 * without printf. */
static void printf_real(double v, int decimals, char out[64])
{
	int n = snprintf(out, 64, "%.*f", decimals, v);

	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
	if (strcmp(out, "-0") == 0)
		snprintf(out, 64, "0");
}

/* The same digits as printf, near-ties included (values one ulp either
 * side of x.xxxx5), over every size up to the printf fallback. */
static void test_numbers_as_printf(void **state)
{
	static const int places[] = { 1, 2, 4, 6 };
	struct ks_buf b;
	char want[64];
	uint64_t x = 88172645463325252ULL;
	size_t i, k, bad = 0;

	(void)state;
	ks_buf_init(&b, 4096);
	for (i = 0; i < 400000; i++) {
		double v, scale;
		int d = places[i % 4];

		x ^= x << 13; /* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		scale = pow(10, (double)(x % 13) - 3); /* 1e-3 .. 1e9 */
		v = (double)(x >> 11) / 9007199254740992.0 * scale;
		if ((x >> 3) & 1)
			v = -v;
		if (i % 3 == 0) /* a near-tie: k + 0.5 units of the last place */
			v = ((double)(x % 2000000) + 0.5) / pow(10, d);
		for (k = 0; k < 3; k++) {
			double w = k == 0 ? v : k == 1 ? nextafter(v, 0) : nextafter(v, 1e300);

			ks_buf_reset(&b);
			assert_ok(ks_pdf_put_real_digits(&b, w, d, 1e15));
			assert_ok(ks_buf_append_byte(&b, 0));
			printf_real(w, d, want);
			if (strcmp((const char *)b.data, want) != 0 && bad++ < 5)
				print_message("%.17g to %d places: %s, printf %s\n", w, d,
					      (const char *)b.data, want);
		}
	}
	assert_int_equal(bad, 0);
	ks_buf_cleanup(&b);
}

static void test_dates(void **state)
{
	struct ks_buf b;

	(void)state;
	ks_buf_init(&b, 4096);
	/* 7.9.4, shown in Vietnam time (UTC+07:00) or UTC. */
	assert_put(ks_pdf_put_date(&b, 0, 420), b, "(D:19700101070000+07'00')");
	assert_put(ks_pdf_put_date(&b, 1780000000, 0), b, "(D:20260528202640Z)");
	assert_put(ks_pdf_put_date(&b, 1780000000, -330), b, "(D:20260528145640-05'30')");
	ks_buf_reset(&b);
	assert_fails_with(ks_pdf_put_date(&b, 0, 15 * 60), KS_ERR_ARG);
	ks_buf_cleanup(&b);
}

/* ---- a small original PDF and helpers ---- */

/* A one-page PDF with a classic xref table; objects 1 catalog, 2 pages,
 * 3 page, 4 content, 5 font, 6 info.  *xref gets the startxref value. */
static void make_pdf(struct ks_buf *pdf, bool final_eol, uint64_t *xref)
{
	static const char *objs[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << "
		"/F1 5 0 R >> >> /Contents 4 0 R >>",
		"<< /Length 44 >>\nstream\nBT /F1 18 Tf 72 760 Td (HOC BA - test) Tj ET\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		"<< /Title (test) >>",
	};
	*xref = pb_classic(pdf, (size_t)1 << 20, objs, 6,
			   "/Info 6 0 R /ID [<00112233445566778899AABBCCDDEEFF> "
			   "<00112233445566778899AABBCCDDEEFF>]",
			   final_eol);
}

static void base_of(const struct ks_buf *pdf, uint64_t xref, struct ks_pdf_update_base *b)
{
	memset(b, 0, sizeof(*b));
	b->orig_len = pdf->len;
	b->prev_xref = xref;
	b->size = 7;
	b->root_num = 1;
	b->info_num = 6;
	memcpy(b->id0, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16);
	b->id0_len = 16;
	b->ends_with_eol = pdf->len > 0 && pdf->data[pdf->len - 1] == '\n';
}

static void write_file(const char *path, const struct ks_buf *b)
{
	assert_ok(ks_file_write_atomic(path, b->data, b->len, 0644));
}

static void assert_qpdf_ok(const struct ks_buf *b)
{
	const char *p = tmp_path("check.pdf");
	char cmd[1024];

	write_file(p, b);
	snprintf(cmd, sizeof(cmd), "qpdf --check '%s' >/dev/null 2>&1", p);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "qpdf --check '%s' >&2", p);
		if (system(cmd) != 0)
			print_message("(could not show the details)\n");
		fail_msg("qpdf --check failed");
	}
}

/* Every classic xref entry of the last section points at "N G obj". */
static void assert_xref_table_ok(const struct ks_buf *out, size_t upd_start)
{
	const uint8_t *x = pb_at(out, upd_start, "\nxref\n");
	char *end;
	unsigned long first, count, k;
	const char *p;

	assert_non_null(x);
	p = (const char *)x + 6;
	while (*p >= '0' && *p <= '9') {
		first = strtoul(p, &end, 10);
		count = strtoul(end + 1, &end, 10);
		assert_true(*end == '\n');
		p = end + 1;
		for (k = 0; k < count; k++, p += 20) {
			char head[32];
			unsigned long long off = strtoull(p, NULL, 10);
			unsigned long gen = strtoul(p + 11, NULL, 10);
			int n = snprintf(head, sizeof(head), "%lu %lu obj", first + k, gen);

			assert_true(p[18] == '\r' && p[19] == '\n');
			assert_true(off + (unsigned)n <= out->len);
			assert_memory_equal(out->data + off, head, (size_t)n);
		}
	}
	assert_memory_equal(p, "trailer", 7);
}

/* Sign-like update on `pdf`: a widget, a rewritten page and catalog and a
 * placeholder of `cmax` bytes; returns the output and the ByteRange
 * digest and range. */
static void sample_update(const struct ks_buf *pdf, uint64_t xref, bool xstream, bool use_fd,
			  size_t cmax, struct ks_buf *out, uint8_t md[32],
			  struct ks_pdf_byterange *br)
{
	struct ks_pdf_update_base base;
	struct ks_pdf_update *u = NULL;
	struct ks_pdf_source src;
	struct ks_pdf_sink sink = { ks_pdf_sink_buf, out };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint32_t annot, sig;
	char body[512];
	int n, fd = -1;
	unsigned mdlen = 0;
	static const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };

	base_of(pdf, xref, &base);
	base.xref_stream = xstream;
	assert_ok(ks_pdf_update_new(&base, &u));
	assert_ok(ks_pdf_update_alloc(u, &annot));
	assert_int_equal(annot, 7); /* numbering continues from /Size */
	assert_ok(ks_pdf_update_alloc(u, &sig));
	n = snprintf(body, sizeof(body),
		     "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /Rect [0 0 0 0] "
		     "/F 132 /P 3 0 R /V %u 0 R >>",
		     sig);
	assert_ok(ks_pdf_update_put(u, annot, 0, body, (size_t)n));
	n = snprintf(body, sizeof(body),
		     "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << "
		     "/F1 5 0 R >> >> /Contents 4 0 R /Annots [%u 0 R] >>",
		     annot);
	assert_ok(ks_pdf_update_put(u, 3, 0, body, (size_t)n));
	n = snprintf(body, sizeof(body),
		     "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%u 0 R] /SigFlags 3 "
		     ">> >>",
		     annot);
	assert_ok(ks_pdf_update_put(u, 1, 0, body, (size_t)n));
	/* The placeholder object cannot be overwritten by a plain put. */
	assert_ok(ks_pdf_update_put_sig(u, sig,
					"/Type /Sig /Filter /Adobe.PPKLite /SubFilter "
					"/ETSI.CAdES.detached /M (D:20260530080000+07'00')",
					cmax));
	assert_fails_with(ks_pdf_update_put(u, sig, 0, "null", 4), KS_ERR_ARG);
	assert_fails_with(ks_pdf_update_put_sig(u, sig, "", cmax), KS_ERR_ARG);
	/* Numbers not handed out are refused. */
	assert_fails_with(ks_pdf_update_put(u, 100, 0, "null", 4), KS_ERR_ARG);

	src.mem = NULL;
	src.fd = -1;
	src.len = pdf->len;
	if (use_fd) {
		write_file(tmp_path("orig.pdf"), pdf);
		fd = open(tmp_path("orig.pdf"), O_RDONLY);
		assert_true(fd >= 0);
		src.fd = fd;
	} else {
		src.mem = pdf->data;
	}
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_ok(ks_pdf_update_copy_original(u, &src, &sink, ctx, false, br));
	assert_int_equal(EVP_DigestFinal_ex(ctx, md, &mdlen), 1);
	/* Objects cannot be added once laid out. */
	assert_fails_with(ks_pdf_update_alloc(u, &annot), KS_ERR_INTERNAL);
	assert_fails_with(ks_pdf_update_finish(u, der, cmax + 1, &sink), KS_ERR_LIMIT);
	assert_ok(ks_pdf_update_finish(u, der, sizeof(der), &sink));
	assert_int_equal(out->len, pdf->len + ks_pdf_update_len(u));
	ks_pdf_update_free(u);
	EVP_MD_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
}

static void check_sample(const struct ks_buf *pdf, const struct ks_buf *out, const uint8_t md[32],
			 const struct ks_pdf_byterange *br, size_t cmax)
{
	uint8_t want[32];
	unsigned wlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t i;

	/* The original is a byte-exact prefix of the output. */
	assert_true(out->len > pdf->len);
	assert_memory_equal(out->data, pdf->data, pdf->len);
	/* ISO 32000-1 12.8.1: the gap is exactly the /Contents hex string,
	 * delimiters included, and the ranges cover the rest of the file. */
	assert_int_equal(br->r[0], 0);
	assert_int_equal(br->r[2] - br->r[1], 2 * cmax + 2);
	assert_int_equal(br->r[2] + br->r[3], out->len);
	assert_int_equal(out->data[br->r[1]], '<');
	assert_int_equal(out->data[br->r[2] - 1], '>');
	assert_memory_equal(out->data + br->r[1] - 10, "/Contents ", 10);
	assert_memory_equal(out->data + br->r[1] + 1, "3003020105", 10);
	for (i = br->r[1] + 11; i < br->r[2] - 1; i++)
		assert_int_equal(out->data[i], '0');
	/* The digest returned is the digest of the two ranges. */
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, out->data, br->r[1]), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, out->data + br->r[2], br->r[3]), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, want, &wlen), 1);
	assert_memory_equal(md, want, 32);
	EVP_MD_CTX_free(ctx);
	/* The ByteRange written in the file says the same. */
	{
		char expect[128];
		const uint8_t *p = pb_at(out, pdf->len, "/ByteRange [");
		char got[128];
		size_t k = 0;

		assert_non_null(p);
		snprintf(expect, sizeof(expect), "[0 %llu %llu %llu]", (unsigned long long)br->r[1],
			 (unsigned long long)br->r[2], (unsigned long long)br->r[3]);
		/* Collapse the padding spaces. */
		p += 11;
		while (*p != ']' && k + 2 < sizeof(got)) {
			if (!(*p == ' ' && k > 0 && got[k - 1] == ' '))
				got[k++] = (char)*p;
			p++;
		}
		if (k > 0 && got[k - 1] == ' ')
			k--;
		got[k++] = ']';
		got[k] = '\0';
		assert_string_equal(got, expect);
	}
}

static void test_update_classic(void **state)
{
	struct ks_buf pdf, out;
	uint64_t xref;
	uint8_t md[32];
	struct ks_pdf_byterange br;
	const uint8_t *tr;

	(void)state;
	make_pdf(&pdf, true, &xref);
	ks_buf_init(&out, (size_t)1 << 24);
	sample_update(&pdf, xref, false, false, 1000, &out, md, &br);
	check_sample(&pdf, &out, md, &br, 1000);
	assert_xref_table_ok(&out, pdf.len);
	/* Trailer: /Prev at the previous section, /Size above every number,
	 * /Root and /Info kept, /ID[0] kept. */
	tr = pb_at(&out, pdf.len,
		   "trailer\n<< /Size 9 /Root 1 0 R /Info 6 0 R /ID "
		   "[<00112233445566778899AABBCCDDEEFF><");
	assert_non_null(tr);
	{
		char prev[64];

		snprintf(prev, sizeof(prev), "/Prev %llu >>", (unsigned long long)xref);
		assert_non_null(pb_at(&out, pdf.len, prev));
	}
	assert_memory_equal(out.data + out.len - 6, "%%EOF\n", 6);
	assert_qpdf_ok(&out);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&out);
}

static void test_update_xref_stream(void **state)
{
	struct ks_buf pdf, out;
	uint64_t xref;
	uint8_t md[32], rows[64];
	struct ks_pdf_byterange br;
	const uint8_t *x, *s;
	uLongf rlen = sizeof(rows);
	unsigned long len;
	char *end;

	(void)state;
	make_pdf(&pdf, true, &xref);
	ks_buf_init(&out, (size_t)1 << 24);
	sample_update(&pdf, xref, true, true, 700, &out, md, &br);
	check_sample(&pdf, &out, md, &br, 700);
	/* 7.5.8: an xref stream object 9 covering 1, 3, 7-8 and itself. */
	x = pb_at(&out, pdf.len, "9 0 obj\n<< /Type /XRef /Size 10 /Root 1 0 R /Info 6 0 R");
	assert_non_null(x);
	assert_non_null(pb_at(&out, pdf.len, "/Index [1 1 3 1 7 3] /W [1 2 2]"));
	assert_null(pb_at(&out, pdf.len, "\nxref\n"));
	/* Decode the rows and check each offset. */
	s = pb_at(&out, (size_t)(x - out.data), "/Length ");
	len = strtoul((const char *)s + 8, &end, 10);
	s = pb_at(&out, (size_t)(x - out.data), "stream\n");
	assert_int_equal(uncompress(rows, &rlen, s + 7, len), Z_OK);
	assert_int_equal(rlen, 5 * 5);
	{
		static const unsigned nums[] = { 1, 3, 7, 8, 9 };
		size_t i;

		for (i = 0; i < 5; i++) {
			char head[32];
			unsigned off = (unsigned)rows[5 * i + 1] << 8 | rows[5 * i + 2];
			int n = snprintf(head, sizeof(head), "%u 0 obj", nums[i]);

			assert_int_equal(rows[5 * i], 1);
			assert_memory_equal(out.data + off, head, (size_t)n);
		}
	}
	assert_qpdf_ok(&out);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&out);
}

static void test_update_no_final_eol(void **state)
{
	struct ks_buf pdf, out;
	uint64_t xref;
	uint8_t md[32];
	struct ks_pdf_byterange br;

	(void)state;
	/* An original ending right after %%EOF: the update starts on a new
	 * line, the original is still a prefix. */
	make_pdf(&pdf, false, &xref);
	assert_memory_equal(pdf.data + pdf.len - 5, "%%EOF", 5);
	ks_buf_init(&out, (size_t)1 << 24);
	sample_update(&pdf, xref, false, false, 100, &out, md, &br);
	check_sample(&pdf, &out, md, &br, 100);
	assert_int_equal(out.data[pdf.len], '\n');
	assert_xref_table_ok(&out, pdf.len);
	assert_qpdf_ok(&out);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&out);
}

static void test_update_without_signature(void **state)
{
	struct ks_buf pdf, out;
	struct ks_pdf_update_base base;
	struct ks_pdf_update *u = NULL;
	struct ks_pdf_source src;
	struct ks_pdf_sink sink = { ks_pdf_sink_buf, &out };
	uint64_t xref;
	uint32_t n;

	(void)state;
	/* A DSS-like update: objects only, no placeholder. */
	make_pdf(&pdf, true, &xref);
	ks_buf_init(&out, (size_t)1 << 24);
	base_of(&pdf, xref, &base);
	base.id0_len = 0; /* the original has no /ID: one is made */
	assert_ok(ks_pdf_update_new(&base, &u));
	/* An empty update is refused. */
	src.mem = pdf.data;
	src.fd = -1;
	src.len = pdf.len;
	assert_fails_with(ks_pdf_update_copy_original(u, &src, &sink, NULL, false, NULL),
			  KS_ERR_ARG);
	assert_ok(ks_pdf_update_alloc(u, &n));
	assert_ok(ks_pdf_update_put_stream(u, n, 0, "/Type /Metadata", "hello", 5, false));
	/* A second put replaces the first. */
	assert_ok(ks_pdf_update_put_stream(u, n, 0, "/Type /Metadata", "hello world", 11, true));
	assert_ok(ks_pdf_update_copy_original(u, &src, &sink, NULL, false, NULL));
	assert_ok(ks_pdf_update_finish(u, NULL, 0, &sink));
	assert_int_equal(out.len, pdf.len + ks_pdf_update_len(u));
	assert_memory_equal(out.data, pdf.data, pdf.len);
	assert_non_null(pb_at(&out, pdf.len, "/Type /Metadata /Length"));
	assert_null(pb_at(&out, pdf.len, "hello"));
	assert_xref_table_ok(&out, pdf.len);
	assert_qpdf_ok(&out);
	ks_pdf_update_free(u);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&out);
}

static void test_update_bad_base(void **state)
{
	struct ks_pdf_update_base base;
	struct ks_pdf_update *u = NULL;
	struct ks_buf pdf;
	uint64_t xref;
	uint32_t n;

	(void)state;
	make_pdf(&pdf, true, &xref);
	base_of(&pdf, xref, &base);
	base.root_num = 0;
	assert_fails_with(ks_pdf_update_new(&base, &u), KS_ERR_ARG);
	base_of(&pdf, xref, &base);
	base.prev_xref = pdf.len;
	assert_fails_with(ks_pdf_update_new(&base, &u), KS_ERR_ARG);
	base_of(&pdf, xref, &base);
	base.size = KS_PDF_MAX_OBJ_NUM + 1;
	assert_fails_with(ks_pdf_update_new(&base, &u), KS_ERR_ARG);
	/* Object numbers stop at the ISO 32000-1 limit. */
	base_of(&pdf, xref, &base);
	base.size = KS_PDF_MAX_OBJ_NUM - 1;
	assert_ok(ks_pdf_update_new(&base, &u));
	assert_ok(ks_pdf_update_alloc(u, &n));
	assert_fails_with(ks_pdf_update_alloc(u, &n), KS_ERR_LIMIT);
	/* A reservation out of range. */
	assert_fails_with(ks_pdf_update_put_sig(u, n, "/Type /Sig", 0), KS_ERR_LIMIT);
	assert_fails_with(ks_pdf_update_put_sig(u, n, "/Type /Sig", (size_t)1 << 30), KS_ERR_LIMIT);
	/* Finishing before copying. */
	assert_fails_with(ks_pdf_update_finish(u, NULL, 0, NULL), KS_ERR_INTERNAL);
	ks_pdf_update_free(u);
	ks_pdf_update_free(NULL);
	ks_buf_cleanup(&pdf);
}

/* A source file that shrinks under the writer is an I/O error. */
static void test_update_short_source(void **state)
{
	struct ks_buf pdf, out;
	struct ks_pdf_update_base base;
	struct ks_pdf_update *u = NULL;
	struct ks_pdf_source src;
	struct ks_pdf_sink sink = { ks_pdf_sink_buf, &out };
	uint64_t xref;
	uint32_t n;
	int fd;
	struct ks_buf half;

	(void)state;
	make_pdf(&pdf, true, &xref);
	ks_buf_init(&out, (size_t)1 << 24);
	ks_buf_init(&half, pdf.len);
	assert_ok(ks_buf_append(&half, pdf.data, pdf.len / 2));
	write_file(tmp_path("half.pdf"), &half);
	fd = open(tmp_path("half.pdf"), O_RDONLY);
	assert_true(fd >= 0);
	base_of(&pdf, xref, &base);
	assert_ok(ks_pdf_update_new(&base, &u));
	assert_ok(ks_pdf_update_alloc(u, &n));
	assert_ok(ks_pdf_update_put(u, n, 0, "null", 4));
	src.mem = NULL;
	src.fd = fd;
	src.len = pdf.len;
	assert_fails_with(ks_pdf_update_copy_original(u, &src, &sink, NULL, false, NULL),
			  KS_ERR_IO);
	/* A length different from the base is refused up front. */
	src.len = pdf.len - 1;
	assert_fails_with(ks_pdf_update_copy_original(u, &src, &sink, NULL, false, NULL),
			  KS_ERR_ARG);
	close(fd);
	ks_pdf_update_free(u);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&half);
	ks_buf_cleanup(&out);
}

/* ---- appearance ---- */

static void appearance_pdf(const struct ks_pdf_appear_text *t, double w, double h,
			   struct ks_buf *out, size_t *font_bytes)
{
	struct ks_buf pdf;
	struct ks_pdf_update_base base;
	struct ks_pdf_update *u = NULL;
	struct ks_pdf_source src;
	struct ks_pdf_sink sink = { ks_pdf_sink_buf, out };
	uint64_t xref;
	uint32_t x, annot;
	char body[512];
	int n;

	make_pdf(&pdf, true, &xref);
	base_of(&pdf, xref, &base);
	assert_ok(ks_pdf_update_new(&base, &u));
	assert_ok(ks_pdf_appear_build(u, NULL, t, w, h, &x, font_bytes));
	assert_ok(ks_pdf_update_alloc(u, &annot));
	n = snprintf(body, sizeof(body),
		     "<< /Type /Annot /Subtype /Widget /FT /Sig /T (S) /Rect [300 60 %g %g] /F 132 "
		     "/P 3 0 R /AP << /N %u 0 R >> >>",
		     300 + w, 60 + h, x);
	assert_ok(ks_pdf_update_put(u, annot, 0, body, (size_t)n));
	n = snprintf(body, sizeof(body),
		     "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << "
		     "/F1 5 0 R >> >> /Contents 4 0 R /Annots [%u 0 R] >>",
		     annot);
	assert_ok(ks_pdf_update_put(u, 3, 0, body, (size_t)n));
	n = snprintf(body, sizeof(body),
		     "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%u 0 R] >> >>", annot);
	assert_ok(ks_pdf_update_put(u, 1, 0, body, (size_t)n));
	src.mem = pdf.data;
	src.fd = -1;
	src.len = pdf.len;
	assert_ok(ks_pdf_update_copy_original(u, &src, &sink, NULL, false, NULL));
	assert_ok(ks_pdf_update_finish(u, NULL, 0, &sink));
	ks_pdf_update_free(u);
	ks_buf_cleanup(&pdf);
}

/* pdftotext of the written file contains `want` (UTF-8). */
static void assert_text_extracts(const struct ks_buf *out, const char *const *want, size_t n)
{
	struct ks_buf txt;
	size_t i;
	const char *p = tmp_path("ap.pdf");
	char cmd[1024];

	write_file(p, out);
	snprintf(cmd, sizeof(cmd), "pdftotext -enc UTF-8 '%s' '%s/ap.txt'", p, tmpdir);
	assert_int_equal(system(cmd), 0);
	ks_buf_init(&txt, (size_t)1 << 20);
	assert_ok(ks_file_read(tmp_path("ap.txt"), (size_t)1 << 20, &txt));
	for (i = 0; i < n; i++)
		if (pb_at(&txt, 0, want[i]) == NULL)
			fail_msg("'%s' not extracted; got: %.*s", want[i], (int)txt.len,
				 (const char *)txt.data);
	ks_buf_cleanup(&txt);
}

static void test_appearance_vietnamese(void **state)
{
	struct ks_buf out;
	size_t font_bytes = 0;
	struct ks_pdf_appear_text t = { "Nguyễn Thị Hồng Nhung",
					"Hiệu trưởng",
					"Ký duyệt học bạ",
					NULL,
					1780000000,
					420,
					0,
					0 };
	static const char *const want[] = { "Ký bởi: Nguyễn Thị Hồng Nhung", "Chức vụ: Hiệu trưởng",
					    "Lý do: Ký duyệt học bạ",
					    "Thời gian: 29/05/2026 03:26 +07:00" };

	(void)state;
	ks_buf_init(&out, (size_t)1 << 24);
	appearance_pdf(&t, 220, 70, &out, &font_bytes);
	assert_qpdf_ok(&out);
	assert_text_extracts(&out, want, 4);
	/* Only the glyphs used: a few KB, not DejaVu Sans' 750 KB. */
	assert_true(font_bytes > 1000);
	assert_true(font_bytes < 20000);
	/* Type 0 / CIDFontType2, Identity-H, subset tag, ToUnicode. */
	assert_non_null(pb_at(&out, 0, "/Subtype /Type0"));
	assert_non_null(pb_at(&out, 0, "/Encoding /Identity-H"));
	assert_non_null(pb_at(&out, 0, "/Subtype /CIDFontType2"));
	assert_non_null(pb_at(&out, 0, "/CIDToGIDMap /Identity"));
	assert_non_null(pb_at(&out, 0, "/ToUnicode"));
	assert_non_null(pb_at(&out, 0, "+DejaVuSans"));
	assert_non_null(pb_at(&out, 0, "/FontFile2"));
	ks_buf_cleanup(&out);
}

static void test_appearance_nfd_and_wrap(void **state)
{
	struct ks_buf out;
	size_t font_bytes = 0;
	/* Decomposed input (as macOS produces): HarfBuzz composes it to the
	 * font's precomposed glyphs; a long reason wraps in a narrow box. */
	struct ks_pdf_appear_text t = {
		"Nguye\xcc\x82\xcc\x83n Thi\xcc\xa3 Ho\xcc\x82\xcc\x80ng Nhung",
		"Giáo viên chủ nhiệm",
		"Xác nhận kết quả học tập và rèn luyện của học sinh năm học 2025-2026",
		"Hà Nội",
		1780000000,
		420,
		0,
		0
	};
	static const char *const want[] = { "Nơi ký: Hà Nội", "Giáo viên chủ nhiệm" };

	(void)state;
	ks_buf_init(&out, (size_t)1 << 24);
	appearance_pdf(&t, 150, 90, &out, &font_bytes);
	assert_qpdf_ok(&out);
	assert_text_extracts(&out, want, 2);
	ks_buf_cleanup(&out);
}

static void test_appearance_refusals(void **state)
{
	struct ks_buf pdf;
	struct ks_pdf_update_base base;
	struct ks_pdf_update *u = NULL;
	uint64_t xref;
	uint32_t x;
	struct ks_pdf_appear_text t = { "Nguyễn Văn A", NULL, NULL, NULL, 0, 420, 0, 0 };
	struct ks_pdf_font *f = NULL;

	(void)state;
	make_pdf(&pdf, true, &xref);
	base_of(&pdf, xref, &base);
	assert_ok(ks_pdf_update_new(&base, &u));
	assert_fails_with(ks_pdf_appear_build(u, NULL, &t, 0, 50, &x, NULL), KS_ERR_ARG);
	assert_fails_with(ks_pdf_appear_build(u, NULL, &t, 100, -1, &x, NULL), KS_ERR_ARG);
	assert_fails_with(ks_pdf_appear_build(u, NULL, &t, NAN, 50, &x, NULL), KS_ERR_ARG);
	/* No glyph in DejaVu Sans (CJK): a clear error, not a blank box. */
	t.signer = "漢字";
	assert_fails_with(ks_pdf_appear_build(u, NULL, &t, 100, 50, &x, NULL), KS_ERR_UNSUPPORTED);
	/* Control characters and invalid UTF-8 in a value. */
	t.signer = "a\x01"
		   "b";
	assert_fails_with(ks_pdf_appear_build(u, NULL, &t, 100, 50, &x, NULL), KS_ERR_ENCODING);
	t.signer = "a\xc3";
	assert_fails_with(ks_pdf_appear_build(u, NULL, &t, 100, 50, &x, NULL), KS_ERR_ENCODING);
	t.signer = "";
	assert_fails_with(ks_pdf_appear_build(u, NULL, &t, 100, 50, &x, NULL), KS_ERR_ARG);
	/* With a minimum size: a box whose text would be smaller is refused,
	 * saying how large a box would hold it; without, it is drawn. */
	t.signer = "Nguyễn Văn A";
	t.min_size = KS_PDF_APPEAR_MIN_SIZE;
	assert_fails_with(ks_pdf_appear_build(u, NULL, &t, 30, 8, &x, NULL), KS_ERR_ARG);
	assert_non_null(strstr(ks_err_msg(), "too small"));
	assert_non_null(strstr(ks_err_msg(), "holds it"));
	assert_ok(ks_pdf_appear_build(u, NULL, &t, 150, 40, &x, NULL));
	t.min_size = 0;
	assert_ok(ks_pdf_appear_build(u, NULL, &t, 30, 8, &x, NULL));
	/* A missing or non-font file. */
	t.signer = "A";
	assert_fails_with(ks_pdf_appear_build(u, "/nonexistent.ttf", &t, 100, 50, &x, NULL),
			  KS_ERR_IO);
	assert_fails_with(ks_pdf_font_open("/etc/hostname", &f), KS_ERR_PARSE);
	ks_pdf_update_free(u);
	ks_buf_cleanup(&pdf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_text_strings),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_numbers_as_printf),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_update_classic),
		cmocka_unit_test(test_update_xref_stream),
		cmocka_unit_test(test_update_no_final_eol),
		cmocka_unit_test(test_update_without_signature),
		cmocka_unit_test(test_update_bad_base),
		cmocka_unit_test(test_update_short_source),
		cmocka_unit_test(test_appearance_vietnamese),
		cmocka_unit_test(test_appearance_nfd_and_wrap),
		cmocka_unit_test(test_appearance_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
