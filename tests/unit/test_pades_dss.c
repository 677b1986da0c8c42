/* The DSS writer (ks_pades_dss.c): validation data added in an update of
 * its own keeps every signature valid, even under DocMDP P=1; data the
 * store already holds is not added twice; hostile inputs are refused. */
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pades.h"
#include "formats/pdf/ks_pades_verify.h"
#include "ks_io.h"
#include "ks_key.h"
#include "ks_test.h"

static const char *pki(const char *name)
{
	static char path[4][1024];
	static int k;
	const char *dir = getenv("KYSO_PKI_DIR");

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", dir != NULL ? dir : "build/pki", name);
	return path[k];
}

static void read_file(const char *path, struct ks_buf *b)
{
	ks_buf_init(b, (size_t)16 << 20);
	assert_ok(ks_file_read(path, (size_t)16 << 20, b));
}

/* The DER of every certificate of a PEM file. */
static size_t certs_der(const char *path, struct ks_buf *out, size_t max)
{
	FILE *f = fopen(path, "r");
	X509 *x;
	unsigned char *p;
	int n;
	size_t k = 0;

	assert_non_null(f);
	while (k < max && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		n = i2d_X509(x, NULL);
		assert_true(n > 0);
		ks_buf_init(&out[k], (size_t)n);
		assert_ok(ks_buf_reserve(&out[k], (size_t)n));
		p = out[k].data;
		assert_int_equal(i2d_X509(x, &p), n);
		out[k].len = (size_t)n;
		k++;
		X509_free(x);
	}
	fclose(f);
	return k;
}

static void sign(const struct ks_buf *pdf, int certify, struct ks_buf *out)
{
	struct ks_key *key = NULL;
	struct ks_pades_key_ctx kctx;
	struct ks_pades_cms cms;
	struct ks_pades_opts o;

	assert_ok(ks_filekey_open(pki("principal-rsa.key.pem"), pki("principal-rsa.cert.pem"),
				  pki("principal-rsa.chain.pem"), NULL, &key));
	ks_pades_cms_from_key(&kctx, key, false, &cms);
	ks_pades_opts_init(&o);
	o.certify = certify;
	ks_buf_init(out, (size_t)16 << 20);
	assert_ok(ks_pades_sign_mem(pdf->data, pdf->len, &cms, &o, out, NULL));
	ks_key_free(key);
}

/* Every signature's indication, and that the DSS change is allowed. */
static void check(const struct ks_buf *pdf, size_t nsigs, bool dss_listed)
{
	struct ks_pades_verify_result r;
	size_t i, k;
	bool saw = false;

	ks_pades_verify_result_init(&r);
	assert_ok(ks_pades_verify_mem(pdf->data, pdf->len, NULL, &r));
	assert_int_equal(r.n, nsigs);
	for (i = 0; i < r.n; i++) {
		/* No trust anchors: INDETERMINATE at best, never FAILED. */
		assert_int_not_equal(r.sigs[i].indication, KS_IND_TOTAL_FAILED);
		for (k = 0; k < r.sigs[i].n_changes; k++) {
			assert_true(r.sigs[i].changes[k].allowed);
			if (r.sigs[i].changes[k].what == KS_PADES_WHAT_DSS)
				saw = true;
		}
	}
	assert_true(saw == dss_listed);
	ks_pades_verify_result_cleanup(&r);
}

static void test_dss_added_and_merged(void **state)
{
	struct ks_buf pdf, signed_pdf, lt, lt2, certs[8], crl;
	struct ks_pades_dss add;
	size_t n, added = 0, i;

	(void)state;
	read_file("docs/examples/hocba.pdf", &pdf);
	sign(&pdf, 1, &signed_pdf); /* P=1: validation data is still allowed */
	n = certs_der(pki("principal-rsa.chain.pem"), certs, 8);
	assert_true(n >= 1);
	read_file(pki("crl/public-ca.crl.der"), &crl);
	memset(&add, 0, sizeof(add));
	add.certs = certs;
	add.n_certs = n;
	add.crls = &crl;
	add.n_crls = 1;
	ks_buf_init(&lt, (size_t)16 << 20);
	assert_ok(ks_pades_add_dss_mem(signed_pdf.data, signed_pdf.len, &add, &lt, &added));
	assert_int_equal(added, n + 1);
	assert_true(lt.len > signed_pdf.len);
	assert_memory_equal(lt.data, signed_pdf.data, signed_pdf.len); /* incremental */
	check(&lt, 1, true);
	/* The same data again: nothing new; the store stays one. */
	ks_buf_init(&lt2, (size_t)16 << 20);
	assert_ok(ks_pades_add_dss_mem(lt.data, lt.len, &add, &lt2, &added));
	assert_int_equal(added, 0);
	check(&lt2, 1, true);
	for (i = 0; i < n; i++)
		ks_buf_cleanup(&certs[i]);
	ks_buf_cleanup(&crl);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&signed_pdf);
	ks_buf_cleanup(&lt);
	ks_buf_cleanup(&lt2);
}

static void test_dss_refusals(void **state)
{
	struct ks_buf out, junk;
	struct ks_pades_dss add;
	static const char text[] = "not a PDF at all";

	(void)state;
	memset(&add, 0, sizeof(add));
	ks_buf_init(&out, 1 << 20);
	assert_int_equal(
	    ks_pades_add_dss_mem((const uint8_t *)text, sizeof(text) - 1, &add, &out, NULL), -1);
	assert_int_equal(out.len, 0); /* nothing half-written */
	add.n_certs = KS_PADES_DSS_MAX_ITEMS + 1;
	ks_buf_init(&junk, 16);
	add.certs = &junk;
	read_file("docs/examples/hocba.pdf", &junk);
	assert_fails_with(ks_pades_add_dss_mem(junk.data, junk.len, &add, &out, NULL),
			  KS_ERR_LIMIT);
	assert_int_equal(out.len, 0);
	ks_buf_cleanup(&junk);
	ks_buf_cleanup(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dss_added_and_merged),
		cmocka_unit_test(test_dss_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
