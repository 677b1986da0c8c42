/* Unit tests for signer/ks_policy: the checks Circular 15/2025/TT-BKHCN
 * asks of signing software before it signs.  Certificates come from the
 * test PKI (`make pki`); the cases it does not have (no keyUsage at all,
 * other curves, SHA-224) are made here. */
#include "ks_test.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <time.h>
#include <unistd.h>

#include "ks_key.h"
#include "signer/ks_policy.h"

static X509 *pki_cert(const char *entity)
{
	char name[128];
	STACK_OF(X509) *sk = NULL;
	X509 *x;

	snprintf(name, sizeof(name), "%s.cert.pem", entity);
	assert_ok(ks_pem_load_certs(ks_test_pki(name), &sk));
	x = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return x;
}

/* Refused with KS_ERR_POLICY and a message naming the rule. */
static void expect_refusal(X509 *cert, time_t at, const char *words)
{
	ks_err_clear();
	assert_int_equal(ks_policy_check_cert(cert, at), -1);
	assert_int_equal(ks_err_code(), KS_ERR_POLICY);
	if (strstr(ks_err_msg(), words) == NULL)
		fail_msg("refusal '%s' does not mention '%s'", ks_err_msg(), words);
}

static int group_setup(void **state)
{
	(void)state;
	if (access(ks_test_pki("principal-rsa.cert.pem"), R_OK) != 0) {
		fprintf(stderr, "# test PKI missing: run `make pki`\n");
		return -1;
	}
	return 0;
}

/* A certificate made here: key, validity, keyUsage (0: no extension),
 * signature digest. */
static X509 *make_cert(EVP_PKEY *key, int ku_bits, const EVP_MD *md, long from, long to)
{
	X509 *x = X509_new();
	X509_NAME *n;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	char ku[128];

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 42), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), from));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), to));
	n = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
						    (const unsigned char *)"Thử nghiệm", -1, -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, n), 1);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	if (ku_bits != 0) {
		snprintf(ku, sizeof(ku), "critical%s%s%s",
			 ku_bits & KU_DIGITAL_SIGNATURE ? ",digitalSignature" : "",
			 ku_bits & KU_NON_REPUDIATION ? ",nonRepudiation" : "",
			 ku_bits & KU_KEY_ENCIPHERMENT ? ",keyEncipherment" : "");
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku);
		assert_non_null(ext);
		assert_int_equal(X509_add_ext(x, ext, -1), 1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, key, md) > 0);
	return x;
}

static void test_accepted(void **state)
{
	X509 *rsa = pki_cert("principal-rsa"), *ec = pki_cert("principal-ec");

	(void)state;
	assert_ok(ks_policy_check_cert(rsa, 0));
	assert_ok(ks_policy_check_cert(ec, 0));
	assert_ok(ks_policy_check_cert(rsa, time(NULL) + 86400));
	X509_free(rsa);
	X509_free(ec);
}

static void test_expired(void **state)
{
	X509 *c = pki_cert("expired-rsa");
	X509 *ok = pki_cert("principal-rsa");

	(void)state;
	expect_refusal(c, 0, "expired");
	/* The same rule on a good certificate, checked at other times. */
	expect_refusal(ok, time(NULL) + 20L * 365 * 86400, "expired");
	expect_refusal(ok, time(NULL) - 20L * 365 * 86400, "not valid yet");
	X509_free(c);
	X509_free(ok);
}

static void test_weak_rsa(void **state)
{
	X509 *c = pki_cert("weak-rsa1024");

	(void)state;
	expect_refusal(c, 0, "RSA-1024");
	X509_free(c);
}

static void test_no_signing_key_usage(void **state)
{
	X509 *c = pki_cert("nokeyusage-rsa");
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *none, *sig_only, *nr_only;

	(void)state;
	/* keyUsage without digitalSignature/nonRepudiation. */
	expect_refusal(c, 0, "keyUsage");
	/* No keyUsage extension at all: refused too, with its own reason. */
	assert_non_null(k);
	none = make_cert(k, 0, EVP_sha256(), -60, 86400);
	expect_refusal(none, 0, "no keyUsage extension");
	/* Either bit is enough. */
	sig_only = make_cert(k, KU_DIGITAL_SIGNATURE, EVP_sha256(), -60, 86400);
	nr_only = make_cert(k, KU_NON_REPUDIATION, EVP_sha256(), -60, 86400);
	assert_ok(ks_policy_check_cert(sig_only, 0));
	assert_ok(ks_policy_check_cert(nr_only, 0));
	X509_free(c);
	X509_free(none);
	X509_free(sig_only);
	X509_free(nr_only);
	EVP_PKEY_free(k);
}

static void test_cert_signature_hash(void **state)
{
	X509 *sha1 = pki_cert("sha1-rsa");
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *c224, *c384;

	(void)state;
	expect_refusal(sha1, 0, "SHA1");
	assert_non_null(k);
	c224 = make_cert(k, KU_DIGITAL_SIGNATURE, EVP_sha224(), -60, 86400);
	expect_refusal(c224, 0, "SHA-256 or stronger");
	c384 = make_cert(k, KU_DIGITAL_SIGNATURE, EVP_sha384(), -60, 86400);
	assert_ok(ks_policy_check_cert(c384, 0));
	X509_free(sha1);
	X509_free(c224);
	X509_free(c384);
	EVP_PKEY_free(k);
}

static void test_curves(void **state)
{
	static const struct {
		const char *curve;
		bool ok;
	} cases[] = {
		{ "P-256", true },
		{ "P-384", true },
		{ "P-521", true },
		{ "secp256k1", false },
		{ "brainpoolP256r1", false },
		{ "prime192v1", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EVP_PKEY *k = EVP_EC_gen(cases[i].curve);
		X509 *c;

		assert_non_null(k);
		c = make_cert(k, KU_DIGITAL_SIGNATURE, EVP_sha256(), -60, 86400);
		if (cases[i].ok)
			assert_ok(ks_policy_check_cert(c, 0));
		else
			expect_refusal(c, 0, "P-256, P-384 or P-521");
		X509_free(c);
		EVP_PKEY_free(k);
	}
}

static void test_other_key_types(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *c;

	(void)state;
	assert_non_null(k);
	c = make_cert(k, KU_DIGITAL_SIGNATURE, NULL, -60, 86400);
	expect_refusal(c, 0, "RSA or ECDSA is required");
	X509_free(c);
	EVP_PKEY_free(k);
	ERR_clear_error();
}

static void test_md_and_key(void **state)
{
	struct ks_key *key = NULL, *weak = NULL;
	char k[4200], c[4200];

	(void)state;
	assert_ok(ks_policy_check_md(KS_MD_SHA256));
	assert_ok(ks_policy_check_md(KS_MD_SHA384));
	assert_ok(ks_policy_check_md(KS_MD_SHA512));
	assert_fails_with(ks_policy_check_md((enum ks_md)7), KS_ERR_POLICY);
	assert_fails_with(ks_policy_check_cert(NULL, 0), KS_ERR_POLICY);
	assert_fails_with(ks_policy_check_key(NULL, KS_MD_SHA256, 0), KS_ERR_POLICY);

	snprintf(k, sizeof(k), "%s", ks_test_pki("principal-ec.key.pem"));
	snprintf(c, sizeof(c), "%s", ks_test_pki("principal-ec.cert.pem"));
	assert_ok(ks_filekey_open(k, c, NULL, NULL, &key));
	assert_ok(ks_policy_check_key(key, KS_MD_SHA256, 0));
	assert_fails_with(ks_policy_check_key(key, (enum ks_md)7, 0), KS_ERR_POLICY);
	snprintf(k, sizeof(k), "%s", ks_test_pki("weak-rsa1024.key.pem"));
	snprintf(c, sizeof(c), "%s", ks_test_pki("weak-rsa1024.cert.pem"));
	assert_ok(ks_filekey_open(k, c, NULL, NULL, &weak));
	assert_fails_with(ks_policy_check_key(weak, KS_MD_SHA256, 0), KS_ERR_POLICY);
	ks_key_free(key);
	ks_key_free(weak);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_weak_rsa),
		cmocka_unit_test(test_no_signing_key_usage),
		cmocka_unit_test(test_cert_signature_hash),
		cmocka_unit_test(test_curves),
		cmocka_unit_test(test_other_key_types),
		cmocka_unit_test(test_md_and_key),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
