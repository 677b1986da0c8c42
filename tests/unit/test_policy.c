/* Unit tests for signer/ks_policy: the checks Circular 15/2025/TT-BKHCN
 * asks of signing software before it signs.  Certificates come from the
 * test PKI (`make pki`); the cases it does not have (no keyUsage at all,
 * other curves, SHA-224) are made here. */
#include "ks_test.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <time.h>
#include <unistd.h>

#include "formats/cms/ks_cms.h"
#include "ks_key.h"
#include "signer/ks_policy.h"
#include "verify_job.h"

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
	return ks_test_pki_ready("principal-rsa.cert.pem", NULL);
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
	expect_refusal(sha1, 0, "SHA-1");
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

/* ---- signing and verification refuse the same keys and certificates ----
 *
 * Each case is a key, its certificate and (optionally) the CA that issued
 * it, written to files as a user would hold them.  Signing goes through
 * the policy (ks_policy_check_key); verification signs the same digest
 * without the policy (ks_cms_sign_digest) and verifies it with the
 * issuer, or the certificate itself, as the trust anchor: a refusal on
 * one side is CRYPTO_CONSTRAINTS_FAILURE_NO_POE on the other, and an
 * accepted key verifies TOTAL-PASSED. */

static char agree_dir[] = "/tmp/kyso-policy-XXXXXX";

static const char *agree_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", agree_dir, name);
	return path;
}

static void write_key(const char *name, EVP_PKEY *k)
{
	FILE *f = fopen(agree_path(name), "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(f), 0);
}

static void write_cert(const char *name, X509 *x)
{
	FILE *f = fopen(agree_path(name), "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	assert_int_equal(fclose(f), 0);
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate for `key`, issued by issuer/issuer_key (NULL: self-signed)
 * with `md`; with pss_mgf1, signed RSASSA-PSS whose MGF1 uses that hash. */
static X509 *issue(EVP_PKEY *key, const char *cn, bool ca, X509 *issuer, EVP_PKEY *issuer_key,
		   const EVP_MD *md, const EVP_MD *pss_mgf1)
{
	static long serial = 100;
	X509 *x = X509_new();
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	assert_non_null(x);
	assert_non_null(mctx);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
						    (const unsigned char *)cn, -1, -1, 0),
			 1);
	assert_int_equal(
	    X509_set_issuer_name(x, X509_get_subject_name(issuer != NULL ? issuer : x)), 1);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	add_ext(x, issuer != NULL ? issuer : x, NID_subject_key_identifier, "hash");
	if (issuer != NULL)
		add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	add_ext(x, issuer != NULL ? issuer : x, NID_basic_constraints,
		ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(x, issuer != NULL ? issuer : x, NID_key_usage,
		ca ? "critical,keyCertSign,cRLSign,digitalSignature" : "critical,digitalSignature");
	assert_int_equal(
	    EVP_DigestSignInit(mctx, &pctx, md, NULL, issuer_key != NULL ? issuer_key : key), 1);
	if (pss_mgf1 != NULL) {
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, pss_mgf1) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0);
	}
	assert_true(X509_sign_ctx(x, mctx) > 0);
	EVP_MD_CTX_free(mctx);
	return x;
}

/* Sign with the policy and verify without it (the format module, then
 * the validation engine over the path to the anchor); both must agree. */
static void check_agree(const char *what, const char *key_file, const char *cert_file,
			const char *chain_file, const char *anchor_file, bool accept)
{
	static const char data[] = "So diem lop 12A3";
	char kp[256], cp[256], chp[256];
	struct ks_key *key = NULL;
	struct ks_report rep;
	struct ks_trust *trust = NULL;
	struct ks_buf der;

	snprintf(kp, sizeof(kp), "%s", agree_path(key_file));
	snprintf(cp, sizeof(cp), "%s", agree_path(cert_file));
	snprintf(chp, sizeof(chp), "%s", chain_file != NULL ? agree_path(chain_file) : "");
	assert_ok(ks_filekey_open(kp, cp, chain_file != NULL ? chp : NULL, NULL, &key));

	/* signing */
	ks_err_clear();
	if (accept) {
		if (ks_policy_check_key(key, KS_MD_SHA256, 0) != 0)
			fail_msg("%s: signing refused: %s", what, ks_err_msg());
	} else {
		if (ks_policy_check_key(key, KS_MD_SHA256, 0) != -1)
			fail_msg("%s: signing accepted", what);
		assert_int_equal(ks_err_code(), KS_ERR_POLICY);
	}

	/* verification of a signature the same key made */
	ks_buf_init(&der, KS_CMS_DER_MAX);
	assert_ok(ks_cms_sign_data(key, ks_key_default_scheme(key), KS_MD_SHA256, data,
				   sizeof(data) - 1, NULL, &der));
	assert_ok(ks_trust_new(&trust));
	assert_ok(ks_trust_add_anchors(trust, agree_path(anchor_file)));
	ks_test_verify_cms(der.data, der.len, data, sizeof(data) - 1, trust, 0, &rep);
	assert_int_equal(rep.n, 1);
	if (accept && rep.sigs[0].indication != KS_IND_TOTAL_PASSED)
		fail_msg("%s: verification says %s: %s", what,
			 ks_subindication_name(rep.sigs[0].sub),
			 rep.sigs[0].detail != NULL ? rep.sigs[0].detail : "");
	if (!accept && rep.sigs[0].sub != KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE)
		fail_msg("%s: verification says %s (%s), not CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
			 what, ks_subindication_name(rep.sigs[0].sub),
			 rep.sigs[0].detail != NULL ? rep.sigs[0].detail : "");

	ks_report_cleanup(&rep);
	ks_trust_free(trust);
	ks_buf_cleanup(&der);
	ks_key_free(key);
}

/* The anchor of the cases below: a CA of today's strength. */
static EVP_PKEY *agree_root_key;
static X509 *agree_root;

/* A case made here from a generated key: its certificate issued by the
 * anchor with `md` (and MGF1 `pss_mgf1`: RSASSA-PSS). */
static void agree_issued(const char *what, EVP_PKEY *k, const EVP_MD *md, const EVP_MD *pss_mgf1,
			 bool accept)
{
	X509 *x;

	assert_non_null(k);
	x = issue(k, what, false, agree_root, agree_root_key, md, pss_mgf1);
	write_key("k.pem", k);
	write_cert("c.pem", x);
	check_agree(what, "k.pem", "c.pem", NULL, "agree-root.pem", accept);
	X509_free(x);
	EVP_PKEY_free(k);
}

static int run(const char *cmd)
{
	char full[1024];

	snprintf(full, sizeof(full), "cd '%s' && %s >/dev/null 2>&1", agree_dir, cmd);
	return system(full);
}

static void test_sign_verify_agree(void **state)
{
	EVP_PKEY *root_key, *ca_key, *leaf_key;
	X509 *root, *ca, *leaf;

	(void)state;
	assert_non_null(mkdtemp(agree_dir));
	agree_root_key = EVP_RSA_gen(2048);
	assert_non_null(agree_root_key);
	agree_root = issue(agree_root_key, "Agree Root", true, NULL, NULL, EVP_sha256(), NULL);
	write_cert("agree-root.pem", agree_root);
	write_key("agree-root.key.pem", agree_root_key);

	/* An EC key of 256 bits with explicit curve parameters (the very
	 * values of P-256), made by openssl as a user would: verification
	 * used to accept it (256 bits), signing refused it. */
	assert_int_equal(run("openssl ecparam -name prime256v1 -param_enc explicit -genkey "
			     "-noout -out explicit.key.pem"),
			 0);
	assert_int_equal(
	    run("printf 'keyUsage=critical,digitalSignature\\n' >ext.cnf && "
		"openssl req -new -key explicit.key.pem -subj /CN=explicit | "
		"openssl x509 -req -CA agree-root.pem -CAkey agree-root.key.pem "
		"-set_serial 7 -days 2 -sha256 -extfile ext.cnf -out explicit.cert.pem"),
	    0);
	assert_int_equal(run("openssl x509 -in explicit.cert.pem -noout -text | grep -q "
			     "'Field Type: prime-field'"),
			 0);
	check_agree("EC P-256, explicit parameters", "explicit.key.pem", "explicit.cert.pem", NULL,
		    "agree-root.pem", false);

	agree_issued("EC P-256", EVP_EC_gen("P-256"), EVP_sha256(), NULL, true);
	agree_issued("EC P-384", EVP_EC_gen("P-384"), EVP_sha384(), NULL, true);
	/* 256 bits on curves other than P-256: verification used to accept */
	agree_issued("EC secp256k1", EVP_EC_gen("secp256k1"), EVP_sha256(), NULL, false);
	agree_issued("EC brainpoolP256r1", EVP_EC_gen("brainpoolP256r1"), EVP_sha256(), NULL,
		     false);
	agree_issued("EC P-224", EVP_EC_gen("P-224"), EVP_sha256(), NULL, false);
	agree_issued("RSA-2048", EVP_RSA_gen(2048), EVP_sha256(), NULL, true);
	agree_issued("RSA-1024", EVP_RSA_gen(1024), EVP_sha256(), NULL, false);
	agree_issued("RSA-2048 signed with SHA-224", EVP_RSA_gen(2048), EVP_sha224(), NULL, false);
	agree_issued("RSA-2048 signed RSASSA-PSS SHA-256/MGF1 SHA-256", EVP_RSA_gen(2048),
		     EVP_sha256(), EVP_sha256(), true);
	/* the MGF1 hash counts too: both sides used to accept */
	agree_issued("RSA-2048 signed RSASSA-PSS SHA-256/MGF1 SHA-1", EVP_RSA_gen(2048),
		     EVP_sha256(), EVP_sha1(), false);

	/* A path: a good leaf under a CA whose own certificate the root
	 * signed with SHA-1 (the root's self-signature is not relied on). */
	root_key = EVP_RSA_gen(2048);
	ca_key = EVP_RSA_gen(2048);
	leaf_key = EVP_EC_gen("P-256");
	assert_non_null(root_key);
	assert_non_null(ca_key);
	assert_non_null(leaf_key);
	root = issue(root_key, "Root", true, NULL, NULL, EVP_sha1(), NULL);
	ca = issue(ca_key, "CA", true, root, root_key, EVP_sha1(), NULL);
	leaf = issue(leaf_key, "Leaf", false, ca, ca_key, EVP_sha256(), NULL);
	write_cert("root.pem", root);
	write_cert("ca.pem", ca);
	write_cert("leaf.pem", leaf);
	write_key("leaf.key.pem", leaf_key);
	check_agree("leaf under a CA signed with SHA-1", "leaf.key.pem", "leaf.pem", "ca.pem",
		    "root.pem", false);
	X509_free(ca);
	ca = issue(ca_key, "CA", true, root, root_key, EVP_sha256(), NULL);
	write_cert("ca.pem", ca);
	check_agree("leaf under a CA signed with SHA-256 (SHA-1 self-signed root)", "leaf.key.pem",
		    "leaf.pem", "ca.pem", "root.pem", true);
	X509_free(root);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	X509_free(agree_root);
	EVP_PKEY_free(agree_root_key);
	assert_int_equal(run("rm -f *.pem ext.cnf"), 0);
	assert_int_equal(rmdir(agree_dir), 0);
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
		cmocka_unit_test(test_sign_verify_agree),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
