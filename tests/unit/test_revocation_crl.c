/* Unit tests for signer/validate revocation, CRL side (RFC 5280 5, 6.3):
 * the test PKI's own CRLs (openssl ca -gencrl) and CRLs made here with
 * the Public CA's key, in every shape that must not be believed:
 * stale, future, delta, indirect, partial, out of scope, weakly or
 * wrongly signed, with critical extensions kyso does not know. */
#include "ks_test.h"

#include <time.h>

#include "ks_io.h"
#include "rev_pki.h"
#include "signer/validate/ks_revocation.h"

static X509 *public_ca, *teacher, *revoked, *expired, *lookalike_ca;
static EVP_PKEY *public_key, *lookalike_key;

static int group_setup(void **state)
{
	(void)state;
	public_ca = rp_load_cert("public-ca.pem");
	public_key = rp_load_key("public-ca.key.pem");
	teacher = rp_load_cert("teacher-rsa.cert.pem");
	revoked = rp_load_cert("revoked-rsa.cert.pem");
	expired = rp_load_cert("expired-rsa.cert.pem");
	lookalike_ca = rp_load_cert("lookalike-public-ca.pem");
	lookalike_key = rp_load_key("lookalike-public-ca.key.pem");
	if (public_ca == NULL || public_key == NULL || lookalike_key == NULL || expired == NULL) {
		fprintf(stderr, "# test PKI missing: run `make pki`\n");
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	X509_free(public_ca);
	X509_free(teacher);
	X509_free(revoked);
	X509_free(expired);
	X509_free(lookalike_ca);
	EVP_PKEY_free(public_key);
	EVP_PKEY_free(lookalike_key);
	return 0;
}

static struct rp_crl_spec crl_base(void)
{
	struct rp_crl_spec s;

	memset(&s, 0, sizeof(s));
	s.issuer = public_ca;
	s.key = public_key;
	s.this_off = -60;
	s.next_off = 86400;
	s.aki = true;
	return s;
}

/* Check cert (issued by issuer) against one CRL, offline, no cache. */
static void check_crl(X509 *cert, X509 *issuer, const struct ks_buf *crl, time_t at,
		      struct ks_rev_result *r)
{
	struct ks_rev_data *d = NULL;
	struct ks_rev_opts o;

	ks_rev_opts_init(&o);
	o.offline = true;
	o.cache_dir = "";
	assert_ok(ks_rev_data_new(&d));
	assert_ok(ks_rev_data_add_crl(d, crl->data, crl->len));
	assert_ok(ks_rev_check(cert, issuer, at, d, &o, r));
	ks_rev_data_free(d);
}

static bool has_attempt(const struct ks_rev_result *r, enum ks_rev_failure fail, const char *words)
{
	size_t i;

	for (i = 0; i < r->n_attempts; i++)
		if (r->attempts[i].source == KS_REV_SRC_DOCUMENT &&
		    r->attempts[i].kind == KS_REV_CRL && r->attempts[i].failure == fail &&
		    (words == NULL || strstr(r->attempts[i].reason, words) != NULL))
			return true;
	for (i = 0; i < r->n_attempts; i++)
		fprintf(stderr, "# attempt %zu: %s %s: %s\n", i, r->attempts[i].where,
			ks_rev_failure_name(r->attempts[i].failure), r->attempts[i].reason);
	return false;
}

/* The CRL made from `s` is rejected for teacher with `fail`. */
static void expect_reject(const struct rp_crl_spec *s, X509 *cert, time_t at,
			  enum ks_rev_failure fail, const char *words)
{
	struct ks_rev_result r;
	struct ks_buf der;

	ks_buf_init(&der, KS_REV_CRL_MAX);
	ks_rev_result_init(&r);
	assert_ok(rp_crl(s, &der));
	check_crl(cert, public_ca, &der, at, &r);
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	if (!has_attempt(&r, fail, words))
		fail_msg("no CRL attempt %s with '%s'", ks_rev_failure_name(fail),
			 words != NULL ? words : "");
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
}

/* The CRL made from `s` answers `status` for cert. */
static void expect_status(const struct rp_crl_spec *s, X509 *cert, time_t at,
			  enum ks_rev_status status, struct ks_rev_result *r)
{
	struct ks_buf der;

	ks_buf_init(&der, KS_REV_CRL_MAX);
	assert_ok(rp_crl(s, &der));
	check_crl(cert, public_ca, &der, at, r);
	assert_int_equal(r->status, status);
	assert_int_equal(r->evidence.kind, KS_REV_CRL);
	assert_int_equal(r->evidence.der.len, der.len);
	ks_buf_cleanup(&der);
}

/* The test PKI's CRL of the Public CA (openssl ca -gencrl). */
static void test_pki_crl(void **state)
{
	struct ks_rev_result r;
	struct ks_buf der;

	(void)state;
	ks_buf_init(&der, KS_REV_CRL_MAX);
	ks_rev_result_init(&r);
	assert_ok(ks_file_read(ks_test_pki("crl/public-ca.crl.der"), KS_REV_CRL_MAX, &der));
	check_crl(teacher, public_ca, &der, 0, &r);
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_int_equal(r.evidence.source, KS_REV_SRC_DOCUMENT);
	assert_int_equal(X509_cmp(r.evidence.signer, public_ca), 0);
	assert_memory_equal(r.evidence.der.data, der.data, der.len);
	assert_int_equal(r.evidence.produced_at, 0);
	check_crl(revoked, public_ca, &der, 0, &r);
	assert_int_equal(r.status, KS_REV_REVOKED);
	assert_string_equal(ks_rev_reason_name(r.reason), "keyCompromise");
	assert_true(r.revocation_time > 0 && r.revocation_time <= r.evidence.this_update);
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
}

/* Another CA's CRL in a document is for another certificate: passed
 * over without a word. */
static void test_other_issuer(void **state)
{
	struct ks_rev_result r;
	struct ks_buf der;
	size_t i;

	(void)state;
	ks_buf_init(&der, KS_REV_CRL_MAX);
	ks_rev_result_init(&r);
	assert_ok(ks_file_read(ks_test_pki("crl/gov-ca.crl.der"), KS_REV_CRL_MAX, &der));
	check_crl(teacher, public_ca, &der, 0, &r);
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	for (i = 0; i < r.n_attempts; i++)
		assert_int_not_equal(r.attempts[i].source, KS_REV_SRC_DOCUMENT);
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
}

static void test_times(void **state)
{
	struct rp_crl_spec s = crl_base();
	struct ks_rev_result r;
	time_t now = time(NULL);

	(void)state;
	ks_rev_result_init(&r);
	s.this_off = -3 * 86400;
	s.next_off = -2 * 86400;
	expect_reject(&s, teacher, 0, KS_REV_FAIL_STALE, "nextUpdate was");
	expect_status(&s, teacher, now - 2 * 86400 - 60, KS_REV_GOOD, &r);
	s.this_off = KS_REV_CLOCK_SKEW + 300;
	s.next_off = 86400;
	expect_reject(&s, teacher, 0, KS_REV_FAIL_FUTURE, "in the future");
	s.this_off = -60;
	s.next_off = RP_NO_NEXT;
	expect_status(&s, teacher, 0, KS_REV_GOOD, &r);
	assert_int_equal(r.evidence.next_update, 0);
	s.this_off = -86400;
	expect_reject(&s, teacher, 0, KS_REV_FAIL_STALE, "without nextUpdate");
	ks_rev_result_cleanup(&r);
}

/* Only complete, direct CRLs whose scope holds the certificate. */
static void test_scope(void **state)
{
	struct rp_crl_spec s = crl_base();
	struct ks_rev_result r;

	(void)state;
	ks_rev_result_init(&r);
	s.delta = true;
	expect_reject(&s, teacher, 0, KS_REV_FAIL_UNSUPPORTED, "delta CRL");
	s = crl_base();
	s.freshest = true;
	expect_status(&s, teacher, 0, KS_REV_GOOD, &r);
	assert_true(r.notes & KS_REV_NOTE_DELTA_IGNORED);
	s = crl_base();
	s.idp = "critical,indirectCRL:TRUE";
	expect_reject(&s, teacher, 0, KS_REV_FAIL_UNSUPPORTED, "indirect CRL");
	s.idp = "critical,onlysomereasons:keyCompromise";
	expect_reject(&s, teacher, 0, KS_REV_FAIL_UNSUPPORTED, "partial CRL");
	s.idp = "critical,onlyCA:TRUE";
	expect_reject(&s, teacher, 0, KS_REV_FAIL_NOT_FOR_CERT, "scope");
	s.idp = "critical,onlyuser:TRUE";
	expect_status(&s, teacher, 0, KS_REV_GOOD, &r);
	s.idp = "critical,fullname:URI:http://127.0.0.1:18080/crl/other.crl.der";
	expect_reject(&s, teacher, 0, KS_REV_FAIL_NOT_FOR_CERT, "distribution point");
	s.idp = "critical,fullname:URI:http://127.0.0.1:18080/crl/public-ca.crl.der";
	expect_status(&s, teacher, 0, KS_REV_GOOD, &r);
	s = crl_base();
	s.crit_unknown = true;
	expect_reject(&s, teacher, 0, KS_REV_FAIL_UNSUPPORTED, "critical CRL extension");
	s = crl_base();
	s.revoked[0] = teacher;
	s.reasons[0] = 1;
	s.n_revoked = 1;
	s.entry_cert_issuer = true;
	expect_reject(&s, teacher, 0, KS_REV_FAIL_UNSUPPORTED, "certificateIssuer");
	ks_rev_result_cleanup(&r);
}

static void test_signature(void **state)
{
	struct rp_crl_spec s = crl_base();
	struct ks_rev_result r;
	struct ks_buf der;
	size_t i;

	(void)state;
	s.md = EVP_sha1();
	expect_reject(&s, teacher, 0, KS_REV_FAIL_SIGNATURE, "SHA-256 or stronger");
	/* The issuer's name, another CA's key, no key identifier. */
	s = crl_base();
	s.key = lookalike_key;
	s.aki = false;
	expect_reject(&s, teacher, 0, KS_REV_FAIL_SIGNATURE, "does not verify");
	/* With that CA's key identifier it is plainly another CA's CRL. */
	s.issuer = lookalike_ca;
	s.aki = true;
	ks_buf_init(&der, KS_REV_CRL_MAX);
	ks_rev_result_init(&r);
	assert_ok(rp_crl(&s, &der));
	check_crl(teacher, public_ca, &der, 0, &r);
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	for (i = 0; i < r.n_attempts; i++)
		assert_int_not_equal(r.attempts[i].source, KS_REV_SRC_DOCUMENT);
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
}

/* A certificate missing from a CRL issued after it expired may simply
 * have been dropped, unless expiredCertsOnCRL says otherwise. */
static void test_after_expiry(void **state)
{
	struct rp_crl_spec s = crl_base();
	struct ks_rev_result r;
	struct tm tm;
	time_t not_after;

	(void)state;
	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notAfter(expired), &tm), 1);
	not_after = timegm(&tm);
	expect_reject(&s, expired, not_after - 86400, KS_REV_FAIL_AFTER_EXPIRY, "expired on");
	ks_rev_result_init(&r);
	s.expired_certs_on_crl = (long)(not_after - time(NULL)) - 86400;
	expect_status(&s, expired, not_after - 86400, KS_REV_GOOD, &r);
	/* A revoked entry stays revoked whenever the CRL was issued. */
	s = crl_base();
	s.revoked[0] = expired;
	s.reasons[0] = -1;
	s.n_revoked = 1;
	expect_status(&s, expired, not_after - 86400, KS_REV_REVOKED, &r);
	assert_int_equal(r.reason, KS_REV_REASON_NONE);
	ks_rev_result_cleanup(&r);
}

/* RFC 5280 4.2.1.3: a CA whose keyUsage lacks cRLSign signs no CRL. */
static void test_no_crl_sign(void **state)
{
	struct rp_cert_spec cs;
	struct rp_crl_spec s;
	struct ks_rev_result r;
	struct ks_buf der;
	EVP_PKEY *ca_key = rp_eckey(), *ee_key = rp_eckey();
	X509 *ca, *ee;

	(void)state;
	memset(&cs, 0, sizeof(cs));
	cs.cn = "CA without cRLSign";
	cs.key = ca_key;
	cs.bc = "critical,CA:TRUE";
	cs.ku = "critical,keyCertSign";
	ca = rp_cert(&cs);
	memset(&cs, 0, sizeof(cs));
	cs.cn = "Its subscriber";
	cs.issuer = ca;
	cs.issuer_key = ca_key;
	cs.key = ee_key;
	cs.bc = "CA:FALSE";
	cs.serial = 555;
	ee = rp_cert(&cs);
	assert_non_null(ca);
	assert_non_null(ee);
	memset(&s, 0, sizeof(s));
	s.issuer = ca;
	s.key = ca_key;
	s.this_off = -60;
	s.next_off = 86400;
	ks_buf_init(&der, KS_REV_CRL_MAX);
	ks_rev_result_init(&r);
	assert_ok(rp_crl(&s, &der));
	check_crl(ee, ca, &der, 0, &r);
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	assert_true(has_attempt(&r, KS_REV_FAIL_UNAUTHORISED, "cRLSign"));
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
	X509_free(ca);
	X509_free(ee);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(ee_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pki_crl),     cmocka_unit_test(test_other_issuer),
		cmocka_unit_test(test_times),       cmocka_unit_test(test_scope),
		cmocka_unit_test(test_signature),   cmocka_unit_test(test_after_expiry),
		cmocka_unit_test(test_no_crl_sign),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
