/* The readers of formats/pdf/ks_pades_ltv: the DSS written by the DSS
 * writer reads back item for item; a document without a DSS has none;
 * hostile DSS dictionaries (wrong types, direct items, empty or
 * undecodable streams, too many items) and signature dictionaries
 * (/Contents missing, not a string, all zero) are refused by name. */
#include <openssl/pem.h>

#include "formats/pdf/ks_pades.h"
#include "formats/pdf/ks_pades_ltv.h"
#include "ks_io.h"
#include "ks_key.h"
#include "ks_test.h"
#include "pdf_build.h"

#define BIG ((size_t)16 << 20)

static void read_file(const char *path, struct ks_buf *b)
{
	ks_buf_init(b, BIG);
	assert_ok(ks_file_read(path, BIG, b));
}

static void der_of(const char *pem, struct ks_buf *out)
{
	FILE *f = fopen(pem, "r");
	X509 *x;
	unsigned char *p = NULL;
	int n;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	n = i2d_X509(x, &p);
	assert_true(n > 0);
	ks_buf_init(out, BIG);
	assert_ok(ks_buf_set(out, p, (size_t)n));
	OPENSSL_free(p);
	X509_free(x);
}

static void sign(const struct ks_buf *pdf, struct ks_buf *out)
{
	struct ks_key *key = NULL;
	struct ks_pades_key_ctx kctx;
	struct ks_pades_cms cms;
	struct ks_pades_opts o;
	char k[4096], c[4096], ch[4096];

	snprintf(k, sizeof(k), "%s", ks_test_pki("principal-rsa.key.pem"));
	snprintf(c, sizeof(c), "%s", ks_test_pki("principal-rsa.cert.pem"));
	snprintf(ch, sizeof(ch), "%s", ks_test_pki("principal-rsa.chain.pem"));
	assert_ok(ks_filekey_open(k, c, ch, NULL, &key));
	ks_pades_cms_from_key(&kctx, key, false, &cms);
	ks_pades_opts_init(&o);
	ks_buf_init(out, BIG);
	assert_ok(ks_pades_sign_mem(pdf->data, pdf->len, &cms, &o, out, NULL));
	ks_key_free(key);
}

static void test_round_trip(void **state)
{
	struct ks_buf pdf, signed_pdf, lt, cert, crl;
	struct ks_pades_dss add;
	struct ks_pades_dss_read d;
	struct ks_pades_sig_list l;
	size_t added = 0;

	(void)state;
	read_file("docs/examples/hocba.pdf", &pdf);
	sign(&pdf, &signed_pdf);
	der_of(ks_test_pki("principal-rsa.cert.pem"), &cert);
	read_file(ks_test_pki("crl/public-ca.crl.der"), &crl);

	ks_pades_dss_read_init(&d);
	assert_ok(ks_pades_dss_read(signed_pdf.data, signed_pdf.len, &d));
	assert_false(d.present);
	assert_int_equal(d.n[KS_PADES_DSS_CERTS], 0);

	memset(&add, 0, sizeof(add));
	add.certs = &cert;
	add.n_certs = 1;
	add.crls = &crl;
	add.n_crls = 1;
	ks_buf_init(&lt, BIG);
	assert_ok(ks_pades_add_dss_mem(signed_pdf.data, signed_pdf.len, &add, &lt, &added));
	assert_int_equal(added, 2);
	assert_ok(ks_pades_dss_read(lt.data, lt.len, &d));
	assert_true(d.present);
	assert_int_equal(d.n[KS_PADES_DSS_CERTS], 1);
	assert_int_equal(d.n[KS_PADES_DSS_OCSPS], 0);
	assert_int_equal(d.n[KS_PADES_DSS_CRLS], 1);
	assert_true(ks_buf_equal(&d.items[KS_PADES_DSS_CERTS][0], &cert));
	assert_true(ks_buf_equal(&d.items[KS_PADES_DSS_CRLS][0], &crl));
	assert_int_equal(d.total, cert.len + crl.len);

	ks_pades_sig_list_init(&l);
	assert_ok(ks_pades_sig_list_read(lt.data, lt.len, &l));
	assert_int_equal(l.n, 1);
	assert_false(l.items[0].doc_timestamp);
	assert_string_equal(l.items[0].field, "Signature1");
	assert_int_equal(l.items[0].der.data[0], 0x30); /* a DER SEQUENCE */
	assert_int_equal(l.items[0].range_end, signed_pdf.len);
	ks_pades_sig_list_cleanup(&l);
	/* The unsigned document has none. */
	assert_ok(ks_pades_sig_list_read(pdf.data, pdf.len, &l));
	assert_int_equal(l.n, 0);

	ks_pades_dss_read_cleanup(&d);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&signed_pdf);
	ks_buf_cleanup(&lt);
	ks_buf_cleanup(&cert);
	ks_buf_cleanup(&crl);
}

/* A PDF whose catalog (object 1) has `dss` and whose other objects are
 * `more`. */
static void build(struct ks_buf *pdf, const char *catalog, const char *const *more, size_t n)
{
	const char *objs[16];
	size_t i;

	assert_true(n + 2 <= 16);
	objs[0] = catalog;
	objs[1] = "<< /Type /Pages /Kids [] /Count 0 >>";
	for (i = 0; i < n; i++)
		objs[i + 2] = more[i];
	(void)pb_classic(pdf, BIG, objs, n + 2, "", true);
}

static void dss_fails(const char *catalog, const char *const *more, size_t n, enum ks_err_code code)
{
	struct ks_buf pdf;
	struct ks_pades_dss_read d;

	build(&pdf, catalog, more, n);
	ks_pades_dss_read_init(&d);
	assert_fails_with(ks_pades_dss_read(pdf.data, pdf.len, &d), code);
	/* Nothing is left behind. */
	assert_false(d.present);
	assert_null(d.items[0]);
	ks_buf_cleanup(&pdf);
}

static void test_dss_hostile(void **state)
{
	static const char *const cert_stream[] = {
		"<< /Length 3 >>\nstream\n0\x01\x05\nendstream",
	};
	static const char *const empty_stream[] = { "<< /Length 0 >>\nstream\n\nendstream" };
	static const char *const bad_flate[] = {
		"<< /Length 4 /Filter /FlateDecode >>\nstream\nxxxx\nendstream",
	};
	static const char *const dss_obj[] = { "<< /Certs [3 0 R] >>" };
	static const char *const not_dict[] = { "[ 1 2 3 ]" };
	struct ks_buf pdf, refs;
	struct ks_pades_dss_read d;
	size_t i;

	(void)state;
	dss_fails("<< /Type /Catalog /Pages 2 0 R /DSS 5 >>", NULL, 0, KS_ERR_PDF);
	dss_fails("<< /Type /Catalog /Pages 2 0 R /DSS << /Certs 7 >> >>", NULL, 0, KS_ERR_PDF);
	dss_fails("<< /Type /Catalog /Pages 2 0 R /DSS << /OCSPs [ (direct) ] >> >>", NULL, 0,
		  KS_ERR_PDF);
	dss_fails("<< /Type /Catalog /Pages 2 0 R /DSS << /CRLs [ 2 0 R ] >> >>", NULL, 0,
		  KS_ERR_PDF);
	dss_fails("<< /Type /Catalog /Pages 2 0 R /DSS << /Certs [ 3 0 R ] >> >>", empty_stream, 1,
		  KS_ERR_PDF);
	dss_fails("<< /Type /Catalog /Pages 2 0 R /DSS << /Certs [ 3 0 R ] >> >>", bad_flate, 1,
		  KS_ERR_PDF);
	/* An indirect DSS that is not a dictionary. */
	dss_fails("<< /Type /Catalog /Pages 2 0 R /DSS 3 0 R >>", not_dict, 1, KS_ERR_PDF);

	/* An indirect DSS with one stream: read. */
	{
		const char *const more[] = { cert_stream[0], dss_obj[0] };

		build(&pdf, "<< /Type /Catalog /Pages 2 0 R /DSS 4 0 R >>", more, 2);
		ks_pades_dss_read_init(&d);
		assert_ok(ks_pades_dss_read(pdf.data, pdf.len, &d));
		assert_true(d.present);
		assert_int_equal(d.n[KS_PADES_DSS_CERTS], 1);
		assert_int_equal(d.items[KS_PADES_DSS_CERTS][0].len, 3);
		ks_pades_dss_read_cleanup(&d);
		ks_buf_cleanup(&pdf);
	}

	/* More items than KS_PADES_DSS_READ_ITEMS_MAX: refused before any is read. */
	ks_buf_init(&refs, BIG);
	assert_ok(ks_buf_append_str(&refs, "<< /Type /Catalog /Pages 2 0 R /DSS << /Certs ["));
	for (i = 0; i <= KS_PADES_DSS_READ_ITEMS_MAX; i++)
		assert_ok(ks_buf_append_str(&refs, " 3 0 R"));
	assert_ok(ks_buf_append_str(&refs, " ] >> >>"));
	assert_ok(ks_buf_append_byte(&refs, 0));
	dss_fails((const char *)refs.data, cert_stream, 1, KS_ERR_LIMIT);
	ks_buf_cleanup(&refs);
}

static void sig_fails(const char *sigdict, enum ks_err_code code)
{
	struct ks_buf pdf;
	struct ks_pades_sig_list l;
	const char *const more[] = {
		"<< /Fields [4 0 R] >>",
		"<< /FT /Sig /T (S1) /V 5 0 R >>",
		sigdict,
	};

	build(&pdf, "<< /Type /Catalog /Pages 2 0 R /AcroForm 3 0 R >>", more, 3);
	ks_pades_sig_list_init(&l);
	assert_fails_with(ks_pades_sig_list_read(pdf.data, pdf.len, &l), code);
	assert_int_equal(l.n, 0);
	ks_buf_cleanup(&pdf);
}

static void test_sig_hostile(void **state)
{
	struct ks_buf pdf;
	struct ks_pades_sig_list l;
	const char *const more[] = {
		"<< /Fields [4 0 R] >>",
		"<< /FT /Sig /T (T1) /V 5 0 R >>",
		"<< /Type /DocTimeStamp /SubFilter /ETSI.RFC3161 /ByteRange [0 10 20 30] "
		"/Contents <3003020100000000> >>",
	};

	(void)state;
	sig_fails("<< /Type /Sig >>", KS_ERR_PDF);
	sig_fails("<< /Type /Sig /Contents 12 >>", KS_ERR_PDF);
	sig_fails("<< /Type /Sig /Contents <0000000000> >>", KS_ERR_PDF);
	sig_fails("<< /Type /Sig /Contents <> >>", KS_ERR_PDF);

	/* A document timestamp: kind, field, end of the signed range, and
	 * the padding kept for the DER reader. */
	build(&pdf, "<< /Type /Catalog /Pages 2 0 R /AcroForm 3 0 R >>", more, 3);
	ks_pades_sig_list_init(&l);
	assert_ok(ks_pades_sig_list_read(pdf.data, pdf.len, &l));
	assert_int_equal(l.n, 1);
	assert_true(l.items[0].doc_timestamp);
	assert_string_equal(l.items[0].field, "T1");
	assert_int_equal(l.items[0].range_end, 50);
	assert_int_equal(l.items[0].der.len, 8);
	ks_pades_sig_list_cleanup(&l);
	ks_buf_cleanup(&pdf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_dss_hostile),
		cmocka_unit_test(test_sig_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
