/* signer/ks_ltv, the validation data collector, where no network is
 * needed: without trust anchors it refuses; a certificate without a path
 * to an anchor is refused by name; offline with an empty cache there is
 * no revocation data, and the collection fails saying so (never a
 * lower level); an OCSPResponse that is not one is refused.  The
 * collection against real responders is tests/integration/ltv.sh. */
#include <openssl/pem.h>

#include "ks_key.h"
#include "ks_test.h"
#include "signer/ks_ltv.h"

static X509 *load(const char *name, STACK_OF(X509) * *rest)
{
	STACK_OF(X509) *certs = NULL;
	X509 *first;

	assert_ok(ks_pem_load_certs(ks_test_pki(name), &certs));
	first = sk_X509_shift(certs);
	if (rest != NULL)
		*rest = certs;
	else
		sk_X509_pop_free(certs, X509_free);
	return first;
}

static void test_collect_refusals(void **state)
{
	struct ks_ltv v;
	struct ks_ltv_opts o;
	struct ks_trust *t = NULL;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = load("principal-rsa.cert.pem", NULL);
	X509 *tmp;

	(void)state;
	tmp = load("principal-rsa.chain.pem", &chain);
	assert_ok(sk_X509_unshift(chain, tmp) > 0 ? 0 : -1);
	ks_ltv_init(&v);
	ks_ltv_opts_init(&o);
	assert_fails_with(ks_ltv_collect(&v, cert, chain, &o, "the signer"), KS_ERR_USAGE);

	assert_ok(ks_trust_new(&t));
	assert_ok(ks_trust_add_anchors(t, ks_test_pki("root.pem")));
	o.trust = t;
	o.rev.offline = true;
	o.rev.cache_dir = "";
	/* The issuing CA is neither an anchor nor given: no path. */
	assert_fails_with(ks_ltv_collect(&v, cert, NULL, &o, "the signer"), KS_ERR_CERT);
	assert_non_null(strstr(ks_err_msg(), "the signer: no certification path"));
	/* A path, but offline and no cache: no revocation data. */
	assert_fails_with(ks_ltv_collect(&v, cert, chain, &o, "the signer"), KS_ERR_VERIFY);
	assert_non_null(strstr(ks_err_msg(), "no revocation data"));
	assert_non_null(strstr(ks_err_msg(), "offline"));
	/* What the failed collection saw stays: the certificates of the
	 * path; no revocation data at all. */
	assert_int_equal(v.n_ocsps + v.n_crls, 0);
	assert_int_equal(v.subjects, 0);

	ks_ltv_cleanup(&v);
	ks_trust_free(t);
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
}

static void test_basic_ocsp(void **state)
{
	static const uint8_t junk[] = { 0x30, 0x03, 0x0a, 0x01, 0x00 };
	struct ks_buf in, out;

	(void)state;
	ks_buf_init(&in, 1024);
	ks_buf_init(&out, 1024);
	assert_ok(ks_buf_set(&in, junk, sizeof(junk)));
	/* successful status without a responseBytes: no BasicOCSPResponse */
	assert_fails_with(ks_ltv_basic_ocsp(&in, &out), KS_ERR_PARSE);
	assert_ok(ks_buf_set(&in, "\x30\x00\x00", 3));
	assert_fails_with(ks_ltv_basic_ocsp(&in, &out), KS_ERR_PARSE);
	assert_int_equal(out.len, 0);
	ks_buf_cleanup(&in);
	ks_buf_cleanup(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect_refusals),
		cmocka_unit_test(test_basic_ocsp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
