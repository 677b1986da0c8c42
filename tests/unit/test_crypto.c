/* Unit tests for core/ks_crypto: the one set of cryptographic minimums
 * and the path builder (test_policy.c shows signing and verification
 * applying them alike). */
#include "ks_test.h"

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include "ks_crypto.h"
#include "ks_key.h"

static int group_setup(void **state)
{
	(void)state;
	return ks_test_pki_ready("principal-rsa.cert.pem", "root.pem");
}

static STACK_OF(X509) * certs_of(const char *name)
{
	STACK_OF(X509) *sk = NULL;

	assert_ok(ks_pem_load_certs(ks_test_pki(name), &sk));
	return sk;
}

static void test_digests(void **state)
{
	static const int ok[] = { NID_sha256,   NID_sha384,   NID_sha512,  NID_sha512_256,
				  NID_sha3_256, NID_sha3_384, NID_sha3_512 };
	static const int weak[] = { NID_md5,      NID_sha1,     NID_sha224, NID_sha512_224,
				    NID_sha3_224, NID_shake256, NID_undef,  NID_rsaEncryption };
	char buf[80];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_true(ks_crypto_md_ok(ok[i]));
		assert_true(ks_crypto_md_known(ok[i]));
	}
	for (i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
		assert_false(ks_crypto_md_ok(weak[i]));
	assert_true(ks_crypto_md_known(NID_md5));
	assert_true(ks_crypto_md_known(NID_sha1));
	assert_false(ks_crypto_md_known(NID_shake256));
	assert_false(ks_crypto_md_known(NID_undef));
	assert_string_equal(ks_crypto_md_label(NID_sha256, buf, sizeof(buf)), "SHA-256");
	assert_string_equal(ks_crypto_md_label(NID_sha1, buf, sizeof(buf)), "SHA-1");
	/* unknown: the dotted OID */
	assert_string_equal(ks_crypto_md_label(NID_shake256, buf, sizeof(buf)),
			    "2.16.840.1.101.3.4.2.12");
	assert_string_equal(ks_crypto_md_label(NID_undef, buf, sizeof(buf)), "unknown");
}

/* RSASSA-PSS-params DER built by OpenSSL for hash/mgf1/salt. */
static ASN1_STRING *pss_der(const EVP_MD *md, const EVP_MD *mgf1, int salt)
{
	RSA_PSS_PARAMS *p = RSA_PSS_PARAMS_new();
	X509_ALGOR *mgf_md = X509_ALGOR_new();
	ASN1_STRING *mgf_der = NULL, *out = NULL;

	assert_non_null(p);
	assert_non_null(mgf_md);
	p->hashAlgorithm = X509_ALGOR_new();
	X509_ALGOR_set_md(p->hashAlgorithm, md);
	X509_ALGOR_set_md(mgf_md, mgf1);
	assert_non_null(ASN1_item_pack(mgf_md, ASN1_ITEM_rptr(X509_ALGOR), &mgf_der));
	p->maskGenAlgorithm = X509_ALGOR_new();
	assert_int_equal(
	    X509_ALGOR_set0(p->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE, mgf_der),
	    1);
	p->saltLength = ASN1_INTEGER_new();
	assert_int_equal(ASN1_INTEGER_set(p->saltLength, salt), 1);
	assert_non_null(ASN1_item_pack(p, ASN1_ITEM_rptr(RSA_PSS_PARAMS), &out));
	RSA_PSS_PARAMS_free(p);
	X509_ALGOR_free(mgf_md);
	return out;
}

static void test_pss_params(void **state)
{
	struct ks_crypto_pss pss;
	ASN1_STRING *s;
	ASN1_OCTET_STRING *junk;

	(void)state;
	/* absent: RFC 4055 defaults, SHA-1 everywhere */
	assert_ok(ks_crypto_pss_params(V_ASN1_UNDEF, NULL, &pss));
	assert_int_equal(pss.md_nid, NID_sha1);
	assert_int_equal(pss.mgf1_nid, NID_sha1);
	assert_int_equal(pss.saltlen, KS_CRYPTO_PSS_DEFAULT_SALT);
	s = pss_der(EVP_sha256(), EVP_sha512(), 32);
	assert_ok(ks_crypto_pss_params(V_ASN1_SEQUENCE, s, &pss));
	assert_int_equal(pss.md_nid, NID_sha256);
	assert_int_equal(pss.mgf1_nid, NID_sha512);
	assert_int_equal(pss.saltlen, 32);
	ASN1_STRING_free(s);
	s = pss_der(EVP_sha256(), EVP_sha256(), KS_CRYPTO_PSS_SALT_MAX + 1);
	assert_fails_with(ks_crypto_pss_params(V_ASN1_SEQUENCE, s, &pss), KS_ERR_PARSE);
	ASN1_STRING_free(s);
	assert_fails_with(ks_crypto_pss_params(V_ASN1_INTEGER, NULL, &pss), KS_ERR_PARSE);
	assert_fails_with(ks_crypto_pss_params(V_ASN1_SEQUENCE, NULL, &pss), KS_ERR_PARSE);
	junk = ASN1_OCTET_STRING_new();
	assert_int_equal(ASN1_OCTET_STRING_set(junk, (const unsigned char *)"\x30\x03\x02\x01", 4),
			 1);
	assert_fails_with(ks_crypto_pss_params(V_ASN1_SEQUENCE, junk, &pss), KS_ERR_PARSE);
	ASN1_OCTET_STRING_free(junk);
}

static void test_keys(void **state)
{
	char why[KS_CRYPTO_WHY_MAX];
	EVP_PKEY *k;

	(void)state;
	assert_false(ks_crypto_key_ok(NULL, why, sizeof(why)));
	k = EVP_RSA_gen(1024);
	assert_false(ks_crypto_key_ok(k, why, sizeof(why)));
	assert_non_null(strstr(why, "RSA-1024"));
	EVP_PKEY_free(k);
	k = EVP_EC_gen("secp256k1");
	assert_false(ks_crypto_key_ok(k, why, sizeof(why)));
	assert_non_null(strstr(why, "secp256k1"));
	EVP_PKEY_free(k);
	k = EVP_EC_gen("P-521");
	assert_true(ks_crypto_key_ok(k, why, sizeof(why)));
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_false(ks_crypto_key_ok(k, why, sizeof(why)));
	assert_non_null(strstr(why, "RSA or ECDSA"));
	EVP_PKEY_free(k);
	/* a reason never overflows its buffer */
	k = EVP_RSA_gen(1024);
	memset(why, 'x', sizeof(why));
	assert_false(ks_crypto_key_ok(k, why, 8));
	assert_int_equal(strlen(why), 7);
	EVP_PKEY_free(k);
	ERR_clear_error();
}

static void test_path(void **state)
{
	STACK_OF(X509) *leaf = certs_of("principal-rsa.cert.pem"),
		       *chain = certs_of("principal-rsa.chain.pem"), *roots = certs_of("root.pem"),
		       *sha1 = certs_of("sha1-rsa.cert.pem"),
		       *sha1_chain = certs_of("sha1-rsa.chain.pem");
	struct ks_crypto_path_req req = { 0 };
	struct ks_crypto_path p;
	X509_STORE *trust = X509_STORE_new();
	char why[KS_CRYPTO_WHY_MAX];
	int i;

	(void)state;
	assert_non_null(trust);
	for (i = 0; i < sk_X509_num(roots); i++)
		assert_int_equal(X509_STORE_add_cert(trust, sk_X509_value(roots, i)), 1);
	/* no anchors: a caller's mistake */
	assert_fails_with(ks_crypto_path_build(sk_X509_value(leaf, 0), &req, &p), KS_ERR_ARG);
	req.trust = trust;
	/* without the intermediates: no path, and why */
	assert_ok(ks_crypto_path_build(sk_X509_value(leaf, 0), &req, &p));
	assert_null(p.chain);
	assert_int_equal(p.err, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	assert_non_null(ks_crypto_path_error(&p));
	ks_crypto_path_cleanup(&p);
	/* with them: leaf ... anchor */
	req.carried = chain;
	assert_ok(ks_crypto_path_build(sk_X509_value(leaf, 0), &req, &p));
	assert_non_null(p.chain);
	assert_true(sk_X509_num(p.chain) >= 2);
	assert_int_equal(X509_cmp(sk_X509_value(p.chain, 0), sk_X509_value(leaf, 0)), 0);
	assert_true(ks_crypto_path_ok(sk_X509_value(leaf, 0), p.chain, why, sizeof(why)));
	ks_crypto_path_cleanup(&p);
	/* at a time the leaf was not valid */
	req.at = time(NULL) + 30L * 365 * 86400;
	assert_ok(ks_crypto_path_build(sk_X509_value(leaf, 0), &req, &p));
	assert_null(p.chain);
	assert_int_equal(p.err, X509_V_ERR_CERT_HAS_EXPIRED);
	ks_crypto_path_cleanup(&p);
	/* a purpose the path does not allow */
	req.at = 0;
	req.purpose = X509_PURPOSE_TIMESTAMP_SIGN;
	assert_ok(ks_crypto_path_build(sk_X509_value(leaf, 0), &req, &p));
	assert_null(p.chain);
	ks_crypto_path_cleanup(&p);
	/* a leaf signed with SHA-1 is refused with the path's words */
	assert_false(ks_crypto_path_ok(sk_X509_value(sha1, 0), sha1_chain, why, sizeof(why)));
	assert_non_null(strstr(why, "signer certificate"));
	assert_non_null(strstr(why, "SHA-1"));
	X509_STORE_free(trust);
	sk_X509_pop_free(leaf, X509_free);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(roots, X509_free);
	sk_X509_pop_free(sha1, X509_free);
	sk_X509_pop_free(sha1_chain, X509_free);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_pss_params),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_path),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
