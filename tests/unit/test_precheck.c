/* Unit tests for signer/validate/ks_precheck and ks_eku: the signer
 * certificate checked before signing (Circular 15/2025) -- validity, key
 * usage, extended key usage (the test PKI's TSA and OCSP responder
 * certificates refused), revocation under require, prefer and off --
 * with revocation answers placed in a cache folder (the test
 * certificates' responders are not running here). */
#include "ks_test.h"

#include <time.h>
#include <unistd.h>

#include "ks_io.h"
#include "rev_pki.h"
#include "signer/validate/ks_precheck.h"
#include "signer/validate/ks_rev_int.h"

static X509 *public_ca, *ocsp_pub, *teacher, *revoked;
static EVP_PKEY *ocsp_pub_key;
static STACK_OF(X509) * chain; /* the Public CA, as a token carries it */
static char cache[64];

static int setup(void **state)
{
	(void)state;
	public_ca = rp_load_cert("public-ca.pem");
	ocsp_pub = rp_load_cert("ocsp-public.cert.pem");
	ocsp_pub_key = rp_load_key("ocsp-public.key.pem");
	teacher = rp_load_cert("teacher-rsa.cert.pem");
	revoked = rp_load_cert("revoked-rsa.cert.pem");
	if (public_ca == NULL || ocsp_pub_key == NULL || revoked == NULL) {
		fprintf(stderr, "# test PKI missing: run `make pki`\n");
		return -1;
	}
	chain = sk_X509_new_null();
	sk_X509_push(chain, public_ca);
	X509_up_ref(public_ca);
	snprintf(cache, sizeof(cache), "/tmp/kyso-precheck.XXXXXX");
	return mkdtemp(cache) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	X509_free(public_ca);
	X509_free(ocsp_pub);
	X509_free(teacher);
	X509_free(revoked);
	EVP_PKEY_free(ocsp_pub_key);
	sk_X509_pop_free(chain, X509_free);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
	return system(cmd) == 0 ? 0 : -1;
}

static X509 *pki(const char *entity)
{
	char name[128];
	X509 *x;

	snprintf(name, sizeof(name), "%s.cert.pem", entity);
	x = rp_load_cert(name);
	assert_non_null(x);
	return x;
}

static void offline(struct ks_rev_opts *o)
{
	ks_rev_opts_init(o);
	o->offline = true;
	o->cache_dir = cache;
}

/* Put the responder's answer about cert in the cache folder. */
static void cache_answer(X509 *cert, int status)
{
	struct rp_ocsp_spec s;
	struct ks_buf der;
	char name[KS_REV_CACHE_NAME_LEN], path[200];

	memset(&s, 0, sizeof(s));
	s.cert = cert;
	s.issuer = public_ca;
	s.signer = ocsp_pub;
	s.key = ocsp_pub_key;
	s.status = status;
	s.reason = status == V_OCSP_CERTSTATUS_REVOKED ? 1 : -1;
	s.rev_off = -7200;
	s.this_off = -60;
	s.next_off = 3600;
	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX);
	assert_ok(rp_ocsp(&s, false, &der));
	assert_ok(ks_rev_cache_name_ocsp(public_ca, X509_get0_serialNumber(cert), name));
	snprintf(path, sizeof(path), "%s/%s", cache, name);
	assert_ok(ks_file_write_atomic(path, der.data, der.len, 0644));
	ks_buf_cleanup(&der);
}

static void expect_refused(X509 *cert, enum ks_rev_policy pol, const struct ks_rev_opts *o,
			   enum ks_precheck_refusal why, const char *words)
{
	struct ks_precheck p;

	ks_precheck_init(&p);
	assert_fails_with(ks_precheck_signer(cert, chain, NULL, o, pol, 0, &p), KS_ERR_POLICY);
	assert_false(p.may_sign);
	assert_int_equal(p.refusal, why);
	if (strstr(p.summary, words) == NULL || strstr(ks_err_msg(), words) == NULL)
		fail_msg("summary '%s' does not say '%s'", p.summary, words);
	ks_precheck_cleanup(&p);
}

/* The test PKI's TSA and OCSP responder certificates sign no document,
 * whatever the revocation policy. */
static void test_service_certificates(void **state)
{
	struct ks_rev_opts o;
	X509 *tsa = pki("tsa-rsa"), *tsa_ec = pki("tsa-ec"), *ocsp = pki("ocsp-public");
	char why[KS_EKU_WHY_LEN];

	(void)state;
	offline(&o);
	expect_refused(tsa, KS_REV_POLICY_OFF, &o, KS_PRECHECK_REFUSED_EKU, "time-stamping");
	expect_refused(tsa_ec, KS_REV_POLICY_PREFER, &o, KS_PRECHECK_REFUSED_EKU, "time-stamping");
	expect_refused(ocsp, KS_REV_POLICY_OFF, &o, KS_PRECHECK_REFUSED_EKU, "OCSP signing");
	/* The same decision verification uses. */
	assert_false(ks_eku_document_signer(tsa, why, sizeof(why)));
	assert_false(ks_eku_document_signer(ocsp, why, sizeof(why)));
	assert_non_null(strstr(why, "OCSPSigning"));
	assert_true(ks_eku_document_signer(teacher, why, sizeof(why)));
	assert_string_equal(why, "emailProtection");
	X509_free(tsa);
	X509_free(tsa_ec);
	X509_free(ocsp);
}

/* The EKU table on certificates made here. */
static void test_eku_choices(void **state)
{
	static const struct {
		const char *eku; /* NULL: no extension */
		bool ok;
		const char *why;
	} cases[] = {
		{ NULL, true, "no extendedKeyUsage" },
		{ "clientAuth", true, "clientAuth" },
		{ "serverAuth, clientAuth", true, "clientAuth" },
		{ "1.3.6.1.5.5.7.3.36", true, "id-kp-documentSigning" },
		{ "1.2.840.113583.1.1.5", true, "Adobe" },
		{ "1.3.6.1.4.1.311.10.3.12", true, "Microsoft Document Signing" },
		{ "anyExtendedKeyUsage", true, "anyExtendedKeyUsage" },
		{ "serverAuth", false, "allows no document signing" },
		{ "codeSigning", false, "allows no document signing" },
		{ "emailProtection, timeStamping", false, "time-stamping" },
		{ "critical, clientAuth, OCSPSigning", false, "OCSP signing" },
	};
	struct rp_cert_spec s;
	EVP_PKEY *key = rp_eckey();
	char why[KS_EKU_WHY_LEN];
	size_t i;
	X509 *x;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.cn = "EKU case";
		s.key = key;
		s.eku = cases[i].eku;
		x = rp_cert(&s);
		assert_non_null(x);
		if (ks_eku_document_signer(x, why, sizeof(why)) != cases[i].ok ||
		    strstr(why, cases[i].why) == NULL)
			fail_msg("EKU '%s': got '%s'", cases[i].eku ? cases[i].eku : "(none)", why);
		X509_free(x);
	}
	assert_false(ks_eku_document_signer(NULL, NULL, 0));
	EVP_PKEY_free(key);
}

static void test_certificate_rules(void **state)
{
	struct ks_rev_opts o;
	X509 *exp = pki("expired-rsa"), *noku = pki("nokeyusage-rsa"), *weak = pki("weak-rsa1024");

	(void)state;
	offline(&o);
	expect_refused(exp, KS_REV_POLICY_OFF, &o, KS_PRECHECK_REFUSED_CERT, "expired");
	expect_refused(noku, KS_REV_POLICY_OFF, &o, KS_PRECHECK_REFUSED_CERT, "keyUsage");
	expect_refused(weak, KS_REV_POLICY_OFF, &o, KS_PRECHECK_REFUSED_CERT, "RSA-1024");
	X509_free(exp);
	X509_free(noku);
	X509_free(weak);
}

static void test_revocation_policies(void **state)
{
	struct ks_rev_opts o;
	struct ks_precheck p;
	enum ks_rev_policy pol;

	(void)state;
	offline(&o);
	ks_precheck_init(&p);
	/* off: signs, and says revocation was not checked. */
	assert_ok(ks_precheck_signer(teacher, chain, NULL, &o, KS_REV_POLICY_OFF, 0, &p));
	assert_true(p.may_sign);
	assert_false(p.rev_checked);
	assert_non_null(strstr(p.summary, "revocation not checked"));
	/* Nothing to be had (offline, empty cache): prefer signs and says
	 * so loudly; require refuses. */
	assert_ok(ks_precheck_signer(teacher, chain, NULL, &o, KS_REV_POLICY_PREFER, 0, &p));
	assert_true(p.may_sign);
	assert_false(p.rev_confirmed);
	assert_int_equal(p.rev.status, KS_REV_UNAVAILABLE);
	assert_non_null(strstr(p.summary, "REVOCATION NOT CONFIRMED"));
	assert_non_null(strstr(p.summary, "offline"));
	expect_refused(teacher, KS_REV_POLICY_REQUIRE, &o, KS_PRECHECK_REFUSED_UNCONFIRMED,
		       "could not be confirmed");
	/* A good answer at hand: both sign, confirmed. */
	cache_answer(teacher, V_OCSP_CERTSTATUS_GOOD);
	assert_ok(ks_precheck_signer(teacher, chain, NULL, &o, KS_REV_POLICY_REQUIRE, 0, &p));
	assert_true(p.may_sign);
	assert_true(p.rev_confirmed);
	assert_int_equal(p.rev.evidence.source, KS_REV_SRC_CACHE);
	assert_non_null(strstr(p.summary, "revocation checked: good"));
	/* Revoked: refused under every policy that looks. */
	cache_answer(revoked, V_OCSP_CERTSTATUS_REVOKED);
	expect_refused(revoked, KS_REV_POLICY_PREFER, &o, KS_PRECHECK_REFUSED_REVOKED, "revoked");
	expect_refused(revoked, KS_REV_POLICY_REQUIRE, &o, KS_PRECHECK_REFUSED_REVOKED,
		       "keyCompromise");
	/* The policy names. */
	assert_ok(ks_rev_policy_parse("require", &pol));
	assert_int_equal(pol, KS_REV_POLICY_REQUIRE);
	assert_ok(ks_rev_policy_parse("prefer", &pol));
	assert_int_equal(pol, KS_REV_POLICY_PREFER);
	assert_ok(ks_rev_policy_parse("off", &pol));
	assert_string_equal(ks_rev_policy_name(pol), "off");
	assert_fails_with(ks_rev_policy_parse("maybe", &pol), KS_ERR_USAGE);
	assert_fails_with(ks_rev_policy_parse(NULL, &pol), KS_ERR_USAGE);
	ks_precheck_cleanup(&p);
}

/* The issuer from the trust store when the key carries no chain. */
static void test_issuer_lookup(void **state)
{
	struct ks_rev_opts o;
	struct ks_precheck p;
	struct ks_trust *t = NULL;

	(void)state;
	offline(&o);
	ks_precheck_init(&p);
	cache_answer(teacher, V_OCSP_CERTSTATUS_GOOD);
	assert_ok(ks_precheck_signer(teacher, NULL, NULL, &o, KS_REV_POLICY_PREFER, 0, &p));
	assert_true(p.may_sign);
	assert_false(p.issuer_found);
	assert_non_null(strstr(p.summary, "was not found"));
	assert_fails_with(ks_precheck_signer(teacher, NULL, NULL, &o, KS_REV_POLICY_REQUIRE, 0, &p),
			  KS_ERR_POLICY);
	assert_ok(ks_trust_new(&t));
	assert_ok(ks_trust_add_anchors(t, ks_test_pki("root.pem")));
	assert_ok(ks_trust_add_intermediates(t, ks_test_pki("cas.pem")));
	assert_ok(ks_precheck_signer(teacher, NULL, t, &o, KS_REV_POLICY_REQUIRE, 0, &p));
	assert_true(p.issuer_found);
	assert_true(p.rev_confirmed);
	assert_fails_with(ks_precheck_signer(NULL, NULL, t, &o, KS_REV_POLICY_OFF, 0, &p),
			  KS_ERR_ARG);
	ks_trust_free(t);
	ks_precheck_cleanup(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_certificates),
		cmocka_unit_test(test_eku_choices),
		cmocka_unit_test(test_certificate_rules),
		cmocka_unit_test(test_revocation_policies),
		cmocka_unit_test(test_issuer_lookup),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
