/* Unit tests for signer/validate revocation, OCSP side: responses a
 * document carries (made here with OpenSSL, signed by the test PKI's
 * keys: good, revoked, forged, stale ...) and the document data
 * container.  The network and the cache: test_revocation_net.c; CRLs:
 * test_revocation_crl.c. */
#include "ks_test.h"

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ks_io.h"
#include "rev_pki.h"
#include "signer/validate/ks_revocation.h"

static X509 *public_ca, *teacher, *revoked, *expired, *principal, *ocsp_pub, *ocsp_gov, *gov_ca;
static EVP_PKEY *public_key, *ocsp_pub_key, *principal_key, *teacher_key, *ocsp_gov_key;
static X509 *nc_responder; /* issued by the Public CA for OCSP, without ocsp-nocheck */
static EVP_PKEY *nc_key;

/* ---- helpers ----------------------------------------------------------- */

static void doc_opts(struct ks_rev_opts *o)
{
	ks_rev_opts_init(o);
	o->offline = true;
	o->cache_dir = "";
}

/* Check cert against one OCSP item (and maybe one CRL) from a document. */
static void check_doc(X509 *cert, const struct ks_buf *ocsp, bool basic, const struct ks_buf *crl,
		      time_t at, const struct ks_rev_opts *o, struct ks_rev_result *r)
{
	struct ks_rev_data *d = NULL;
	struct ks_rev_opts def;

	assert_ok(ks_rev_data_new(&d));
	if (ocsp != NULL && basic)
		assert_ok(ks_rev_data_add_basic_ocsp(d, ocsp->data, ocsp->len));
	else if (ocsp != NULL)
		assert_ok(ks_rev_data_add_ocsp(d, ocsp->data, ocsp->len));
	if (crl != NULL)
		assert_ok(ks_rev_data_add_crl(d, crl->data, crl->len));
	if (o == NULL) {
		doc_opts(&def);
		o = &def;
	}
	assert_ok(ks_rev_check(cert, public_ca, at, d, o, r));
	ks_rev_data_free(d);
}

/* Some attempt has this source and failure, and its reason these words. */
static void expect_attempt(const struct ks_rev_result *r, enum ks_rev_source src,
			   enum ks_rev_failure fail, const char *words)
{
	size_t i;

	for (i = 0; i < r->n_attempts; i++)
		if (r->attempts[i].source == src && r->attempts[i].failure == fail &&
		    (words == NULL || strstr(r->attempts[i].reason, words) != NULL))
			return;
	for (i = 0; i < r->n_attempts; i++)
		fprintf(stderr, "# attempt %zu: %s %s %s: %s\n", i,
			ks_rev_source_name(r->attempts[i].source), r->attempts[i].where,
			ks_rev_failure_name(r->attempts[i].failure), r->attempts[i].reason);
	fail_msg("no attempt %s/%s with '%s'", ks_rev_source_name(src), ks_rev_failure_name(fail),
		 words != NULL ? words : "");
}

/* The usual answer: about teacher, by the delegated Public CA responder,
 * thisUpdate an hour ago, nextUpdate in a day. */
static struct rp_ocsp_spec spec_good(void)
{
	struct rp_ocsp_spec s;

	memset(&s, 0, sizeof(s));
	s.cert = teacher;
	s.issuer = public_ca;
	s.signer = ocsp_pub;
	s.key = ocsp_pub_key;
	s.status = V_OCSP_CERTSTATUS_GOOD;
	s.reason = -1;
	s.this_off = -3600;
	s.next_off = 86400;
	return s;
}

/* Expect the document item to be rejected for `fail`. */
static void expect_doc_reject(const struct rp_ocsp_spec *s, X509 *cert, time_t at,
			      enum ks_rev_failure fail, const char *words)
{
	struct ks_rev_result r;
	struct ks_buf der;

	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX);
	ks_rev_result_init(&r);
	assert_ok(rp_ocsp(s, false, &der));
	check_doc(cert, &der, false, NULL, at, NULL, &r);
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	expect_attempt(&r, KS_REV_SRC_DOCUMENT, fail, words);
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
}

static int group_setup(void **state)
{
	struct rp_cert_spec cs;

	(void)state;
	public_ca = rp_load_cert("public-ca.pem");
	public_key = rp_load_key("public-ca.key.pem");
	gov_ca = rp_load_cert("gov-ca.pem");
	teacher = rp_load_cert("teacher-rsa.cert.pem");
	teacher_key = rp_load_key("teacher-rsa.key.pem");
	revoked = rp_load_cert("revoked-rsa.cert.pem");
	expired = rp_load_cert("expired-rsa.cert.pem");
	principal = rp_load_cert("principal-rsa.cert.pem");
	principal_key = rp_load_key("principal-rsa.key.pem");
	ocsp_pub = rp_load_cert("ocsp-public.cert.pem");
	ocsp_pub_key = rp_load_key("ocsp-public.key.pem");
	ocsp_gov = rp_load_cert("ocsp-gov.cert.pem");
	ocsp_gov_key = rp_load_key("ocsp-gov.key.pem");
	if (public_ca == NULL || public_key == NULL || ocsp_pub_key == NULL || ocsp_gov == NULL) {
		fprintf(stderr, "# test PKI missing: run `make pki`\n");
		return -1;
	}
	/* A delegated responder of the Public CA without id-pkix-ocsp-nocheck. */
	nc_key = rp_eckey();
	memset(&cs, 0, sizeof(cs));
	cs.cn = "Responder without nocheck";
	cs.issuer = public_ca;
	cs.issuer_key = public_key;
	cs.key = nc_key;
	cs.bc = "CA:FALSE";
	cs.ku = "critical,digitalSignature";
	cs.eku = "OCSPSigning";
	cs.serial = 77001;
	nc_responder = rp_cert(&cs);
	return nc_responder != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	X509_free(public_ca);
	X509_free(gov_ca);
	X509_free(teacher);
	X509_free(revoked);
	X509_free(expired);
	X509_free(principal);
	X509_free(ocsp_pub);
	X509_free(ocsp_gov);
	X509_free(nc_responder);
	EVP_PKEY_free(public_key);
	EVP_PKEY_free(teacher_key);
	EVP_PKEY_free(principal_key);
	EVP_PKEY_free(ocsp_pub_key);
	EVP_PKEY_free(ocsp_gov_key);
	EVP_PKEY_free(nc_key);
	ks_http_thread_cleanup();
	return 0;
}

/* ---- answers a document carries ---------------------------------------- */

static void test_good_delegated(void **state)
{
	struct rp_ocsp_spec s = spec_good();
	struct ks_rev_result r;
	struct ks_buf der;

	(void)state;
	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX);
	ks_rev_result_init(&r);
	assert_ok(rp_ocsp(&s, false, &der));
	check_doc(teacher, &der, false, NULL, 0, NULL, &r);
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_int_equal(r.evidence.kind, KS_REV_OCSP);
	assert_int_equal(r.evidence.source, KS_REV_SRC_DOCUMENT);
	assert_true(r.evidence.delegated);
	assert_false(r.evidence.nonce_matched); /* nothing was asked */
	assert_int_equal(X509_cmp(r.evidence.signer, ocsp_pub), 0);
	assert_int_equal(r.evidence.der.len, der.len);
	assert_memory_equal(r.evidence.der.data, der.data, der.len);
	assert_true(r.evidence.next_update > r.evidence.this_update);
	assert_true(r.evidence.produced_at >= r.evidence.this_update);
	assert_true(r.notes & KS_REV_NOTE_RESPONDER_NOCHECK);
	assert_int_equal(r.n_attempts, 0);
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
}

/* Signed by the issuing CA itself, named by key hash, SHA-256 CertID. */
static void test_good_by_issuer(void **state)
{
	struct rp_ocsp_spec s = spec_good();
	struct ks_rev_result r;
	struct ks_buf der;

	(void)state;
	s.signer = public_ca;
	s.key = public_key;
	s.by_key = true;
	s.no_certs = true;
	s.id_md = EVP_sha256();
	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX);
	ks_rev_result_init(&r);
	assert_ok(rp_ocsp(&s, false, &der));
	check_doc(teacher, &der, false, NULL, 0, NULL, &r);
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_false(r.evidence.delegated);
	assert_int_equal(X509_cmp(r.evidence.signer, public_ca), 0);
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
}

static void test_revoked(void **state)
{
	struct rp_ocsp_spec s = spec_good();
	struct ks_rev_result r;
	struct ks_buf der;
	time_t before = time(NULL);

	(void)state;
	s.cert = revoked;
	s.status = V_OCSP_CERTSTATUS_REVOKED;
	s.reason = OCSP_REVOKED_STATUS_KEYCOMPROMISE;
	s.rev_off = -7200;
	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX);
	ks_rev_result_init(&r);
	assert_ok(rp_ocsp(&s, false, &der));
	check_doc(revoked, &der, false, NULL, 0, NULL, &r);
	assert_int_equal(r.status, KS_REV_REVOKED);
	assert_int_equal(r.reason, 1);
	assert_string_equal(ks_rev_reason_name(r.reason), "keyCompromise");
	assert_true(r.revocation_time >= before - 7200 - 5 &&
		    r.revocation_time <= before - 7200 + 5);
	/* Without a reasonCode. */
	ks_buf_reset(&der);
	s.reason = OCSP_REVOKED_STATUS_NOSTATUS;
	assert_ok(rp_ocsp(&s, false, &der));
	check_doc(revoked, &der, false, NULL, 0, NULL, &r);
	assert_int_equal(r.status, KS_REV_REVOKED);
	assert_int_equal(r.reason, KS_REV_REASON_NONE);
	/* Revoked after the status time it asserts: nonsense. */
	ks_buf_reset(&der);
	s.rev_off = 600;
	s.this_off = -3600;
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
	expect_doc_reject(&s, revoked, 0, KS_REV_FAIL_MALFORMED, "revocationTime");
}

/* "unknown": the CRLs are asked next; without one the answer stays UNKNOWN. */
static void test_unknown(void **state)
{
	struct rp_ocsp_spec s = spec_good();
	struct ks_rev_result r;
	struct ks_buf der, crl;

	(void)state;
	s.status = V_OCSP_CERTSTATUS_UNKNOWN;
	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX);
	ks_buf_init(&crl, KS_REV_CRL_MAX);
	ks_rev_result_init(&r);
	assert_ok(rp_ocsp(&s, false, &der));
	check_doc(teacher, &der, false, NULL, 0, NULL, &r);
	assert_int_equal(r.status, KS_REV_UNKNOWN);
	assert_int_equal(r.evidence.kind, KS_REV_OCSP);
	assert_ok(ks_file_read(ks_test_pki("crl/public-ca.crl.der"), KS_REV_CRL_MAX, &crl));
	check_doc(teacher, &der, false, &crl, 0, NULL, &r);
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_int_equal(r.evidence.kind, KS_REV_CRL);
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
	ks_buf_cleanup(&crl);
}

/* RFC 6960 4.2.2.2: only the issuer or a responder it certified for OCSP. */
static void test_unauthorised(void **state)
{
	struct rp_ocsp_spec s = spec_good();

	(void)state;
	/* Another CA's subscriber. */
	s.signer = principal;
	s.key = principal_key;
	expect_doc_reject(&s, teacher, 0, KS_REV_FAIL_UNAUTHORISED, "did not certify");
	/* The same CA's subscriber, without id-kp-OCSPSigning. */
	s.signer = teacher;
	s.key = teacher_key;
	expect_doc_reject(&s, teacher, 0, KS_REV_FAIL_UNAUTHORISED, "id-kp-OCSPSigning");
	/* Another CA's OCSP responder. */
	s.signer = ocsp_gov;
	s.key = ocsp_gov_key;
	expect_doc_reject(&s, teacher, 0, KS_REV_FAIL_UNAUTHORISED, "did not certify");
	/* A delegated responder whose certificate is not in the response. */
	s = spec_good();
	s.no_certs = true;
	expect_doc_reject(&s, teacher, 0, KS_REV_FAIL_UNAUTHORISED, "nor by a responder");
}

/* The response's signature must verify (one byte of it changed), and be
 * strong enough (SHA-1). */
static void test_signature(void **state)
{
	struct rp_ocsp_spec s = spec_good();
	struct ks_rev_result r;
	struct ks_buf der;

	(void)state;
	s.signer = public_ca;
	s.key = public_key;
	s.no_certs = true; /* the signature is the last thing in the DER */
	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX);
	ks_rev_result_init(&r);
	assert_ok(rp_ocsp(&s, false, &der));
	der.data[der.len - 1] ^= 0x01;
	check_doc(teacher, &der, false, NULL, 0, NULL, &r);
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	expect_attempt(&r, KS_REV_SRC_DOCUMENT, KS_REV_FAIL_SIGNATURE, "does not verify");
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
	s = spec_good();
	s.sign_md = EVP_sha1();
	expect_doc_reject(&s, teacher, 0, KS_REV_FAIL_SIGNATURE, "SHA-256 or stronger");
}

static void test_times(void **state)
{
	struct rp_ocsp_spec s = spec_good();
	struct ks_rev_opts o;
	struct ks_rev_result r;
	struct ks_buf der;
	time_t now = time(NULL);

	(void)state;
	/* Past nextUpdate. */
	s.this_off = -3 * 86400;
	s.next_off = -2 * 86400;
	expect_doc_reject(&s, teacher, 0, KS_REV_FAIL_STALE, "nextUpdate was");
	/* ... yet it covers a validation time inside its interval. */
	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX);
	ks_rev_result_init(&r);
	assert_ok(rp_ocsp(&s, false, &der));
	check_doc(teacher, &der, false, NULL, now - 2 * 86400 - 3600, NULL, &r);
	assert_int_equal(r.status, KS_REV_GOOD);
	/* ... and a later "good" covers an earlier validation time. */
	check_doc(teacher, &der, false, NULL, now - 10 * 86400, NULL, &r);
	assert_int_equal(r.status, KS_REV_GOOD);
	/* Within the clock allowance past nextUpdate: still fresh. */
	s.this_off = -86400;
	s.next_off = -(KS_REV_CLOCK_SKEW - 60);
	ks_buf_reset(&der);
	assert_ok(rp_ocsp(&s, false, &der));
	check_doc(teacher, &der, false, NULL, 0, NULL, &r);
	assert_int_equal(r.status, KS_REV_GOOD);
	/* thisUpdate in the future beyond the allowance. */
	s = spec_good();
	s.this_off = KS_REV_CLOCK_SKEW + 600;
	s.next_off = 86400;
	expect_doc_reject(&s, teacher, 0, KS_REV_FAIL_FUTURE, "thisUpdate");
	/* producedAt (now) in the future of a clock an hour behind. */
	s = spec_good();
	s.this_off = -7200;
	ks_buf_reset(&der);
	assert_ok(rp_ocsp(&s, false, &der));
	doc_opts(&o);
	o.now = now - 3600;
	check_doc(teacher, &der, false, NULL, 0, &o, &r);
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	expect_attempt(&r, KS_REV_SRC_DOCUMENT, KS_REV_FAIL_FUTURE, "producedAt");
	/* thisUpdate half an hour after producedAt (a clock half an hour
	 * ahead lets it pass the future check): a response cannot be made
	 * before the status it gives. */
	s = spec_good();
	s.this_off = 1800;
	ks_buf_reset(&der);
	assert_ok(rp_ocsp(&s, false, &der));
	o.now = now + 3600;
	check_doc(teacher, &der, false, NULL, 0, &o, &r);
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	expect_attempt(&r, KS_REV_SRC_DOCUMENT, KS_REV_FAIL_MALFORMED, "producedAt is before");
	/* Without nextUpdate: fresh for KS_REV_NO_NEXT_UPDATE_AGE only. */
	s = spec_good();
	s.next_off = RP_NO_NEXT;
	s.this_off = -60;
	ks_buf_reset(&der);
	assert_ok(rp_ocsp(&s, false, &der));
	check_doc(teacher, &der, false, NULL, 0, NULL, &r);
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_int_equal(r.evidence.next_update, 0);
	s.this_off = -(KS_REV_NO_NEXT_UPDATE_AGE + KS_REV_CLOCK_SKEW + 60);
	expect_doc_reject(&s, teacher, 0, KS_REV_FAIL_STALE, "without nextUpdate");
	/* nextUpdate before thisUpdate. */
	s = spec_good();
	s.next_off = -7200;
	expect_doc_reject(&s, teacher, 0, KS_REV_FAIL_MALFORMED, "nextUpdate is before");
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
}

/* A "good" issued after the certificate expired proves nothing, unless
 * archiveCutoff reaches back to its notAfter (RFC 6960 4.4.4). */
static void test_after_expiry(void **state)
{
	struct rp_ocsp_spec s = spec_good();
	struct ks_rev_result r;
	struct ks_buf der;
	time_t not_after;
	struct tm tm;

	(void)state;
	s.cert = expired;
	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notAfter(expired), &tm), 1);
	not_after = timegm(&tm);
	expect_doc_reject(&s, expired, not_after - 86400, KS_REV_FAIL_AFTER_EXPIRY, "expired on");
	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX);
	ks_rev_result_init(&r);
	s.archive_cutoff = (long)(not_after - time(NULL)) - 86400;
	assert_ok(rp_ocsp(&s, false, &der));
	check_doc(expired, &der, false, NULL, not_after - 86400, NULL, &r);
	assert_int_equal(r.status, KS_REV_GOOD);
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
}

/* A document's responses about other certificates are passed over
 * quietly: they are for the rest of its chain. */
static void test_other_certificate(void **state)
{
	struct rp_ocsp_spec s = spec_good();
	struct ks_rev_result r;
	struct ks_buf der;
	size_t i;

	(void)state;
	s.cert = revoked;
	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX);
	ks_rev_result_init(&r);
	assert_ok(rp_ocsp(&s, false, &der));
	check_doc(teacher, &der, false, NULL, 0, NULL, &r);
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	for (i = 0; i < r.n_attempts; i++)
		assert_int_not_equal(r.attempts[i].source, KS_REV_SRC_DOCUMENT);
	/* Offline: the network attempts say so, and asking later may help. */
	expect_attempt(&r, KS_REV_SRC_OCSP_URL, KS_REV_FAIL_OFFLINE, NULL);
	expect_attempt(&r, KS_REV_SRC_CRL_URL, KS_REV_FAIL_OFFLINE, NULL);
	assert_true(ks_rev_result_try_later(&r));
	assert_false(ks_rev_result_out_of_bounds(&r));
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
}

static void test_critical_extension(void **state)
{
	struct rp_ocsp_spec s = spec_good();

	(void)state;
	s.crit_unknown_ext = true;
	expect_doc_reject(&s, teacher, 0, KS_REV_FAIL_UNSUPPORTED, "critical extension");
}

/* CAdES RevocationValues carry BasicOCSPResponses. */
static void test_basic_only(void **state)
{
	struct rp_ocsp_spec s = spec_good();
	struct ks_rev_result r;
	struct ks_buf der;

	(void)state;
	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX);
	ks_rev_result_init(&r);
	assert_ok(rp_ocsp(&s, true, &der));
	check_doc(teacher, &der, true, NULL, 0, NULL, &r);
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_true(r.evidence.basic_only);
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
}

/* Hostile items are refused one by one, with a reason, nothing kept. */
static void test_data_parsing(void **state)
{
	struct rp_ocsp_spec s = spec_good();
	struct ks_rev_data *d = NULL;
	struct ks_buf der, big, status;
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	size_t i;

	(void)state;
	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX + 16);
	ks_buf_init(&big, KS_REV_CRL_MAX + 16);
	ks_buf_init(&status, 64);
	assert_ok(ks_rev_data_new(&d));
	assert_ok(rp_ocsp(&s, false, &der));
	assert_fails_with(ks_rev_data_add_ocsp(d, NULL, 0), KS_ERR_PARSE);
	assert_fails_with(ks_rev_data_add_ocsp(d, junk, sizeof(junk)), KS_ERR_PARSE);
	assert_fails_with(ks_rev_data_add_ocsp(d, der.data, der.len - 1), KS_ERR_PARSE);
	assert_fails_with(ks_rev_data_add_basic_ocsp(d, der.data, der.len), KS_ERR_PARSE);
	assert_fails_with(ks_rev_data_add_crl(d, der.data, der.len), KS_ERR_PARSE);
	assert_ok(ks_buf_append(&der, "\0", 1));
	assert_fails_with(ks_rev_data_add_ocsp(d, der.data, der.len), KS_ERR_PARSE);
	assert_ok(rp_ocsp_status(OCSP_RESPONSE_STATUS_TRYLATER, &status));
	assert_fails_with(ks_rev_data_add_ocsp(d, status.data, status.len), KS_ERR_PARSE);
	assert_true(strstr(ks_err_msg(), "trylater") != NULL);
	/* Over the limits. */
	assert_ok(ks_buf_append(&big, "\x30\x84\x00\xa0\x00\x00", 6));
	while (big.len < KS_REV_CRL_MAX + 8)
		assert_ok(ks_buf_append_byte(&big, 0));
	assert_fails_with(ks_rev_data_add_ocsp(d, big.data, KS_REV_OCSP_RESP_MAX + 1),
			  KS_ERR_LIMIT);
	assert_fails_with(ks_rev_data_add_crl(d, big.data, big.len), KS_ERR_LIMIT);
	assert_int_equal(ks_rev_data_count(d, KS_REV_OCSP), 0);
	assert_int_equal(ks_rev_data_count(d, KS_REV_CRL), 0);
	/* At most KS_REV_DATA_ITEMS_MAX items. */
	ks_buf_truncate(&der, der.len - 1);
	for (i = 0; i < KS_REV_DATA_ITEMS_MAX; i++)
		assert_ok(ks_rev_data_add_ocsp(d, der.data, der.len));
	assert_fails_with(ks_rev_data_add_ocsp(d, der.data, der.len), KS_ERR_LIMIT);
	assert_int_equal(ks_rev_data_count(d, KS_REV_OCSP), KS_REV_DATA_ITEMS_MAX);
	ks_rev_data_free(d);
	ks_rev_data_free(NULL);
	ks_buf_cleanup(&der);
	ks_buf_cleanup(&big);
	ks_buf_cleanup(&status);
}

/* RFC 6960 4.2.2.2.1: a delegated responder without ocsp-nocheck is
 * itself checked against the issuer's CRL. */
static void test_delegated_without_nocheck(void **state)
{
	struct rp_ocsp_spec s = spec_good();
	struct rp_crl_spec cs;
	struct rp_cert_spec rs;
	struct ks_rev_result r;
	struct ks_buf der, crl;
	X509 *old;
	EVP_PKEY *old_key;

	(void)state;
	s.signer = nc_responder;
	s.key = nc_key;
	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX);
	ks_buf_init(&crl, KS_REV_CRL_MAX);
	ks_rev_result_init(&r);
	assert_ok(rp_ocsp(&s, false, &der));
	/* No CRL to hand, offline: the responder cannot be vouched for. */
	check_doc(teacher, &der, false, NULL, 0, NULL, &r);
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	expect_attempt(&r, KS_REV_SRC_DOCUMENT, KS_REV_FAIL_RESPONDER_CERT, "nocheck");
	/* The CA's CRL, which does not list it. */
	assert_ok(ks_file_read(ks_test_pki("crl/public-ca.crl.der"), KS_REV_CRL_MAX, &crl));
	check_doc(teacher, &der, false, &crl, 0, NULL, &r);
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_int_equal(r.evidence.kind, KS_REV_OCSP);
	assert_true(r.notes & KS_REV_NOTE_RESPONDER_CHECKED);
	/* A CRL that lists it. */
	memset(&cs, 0, sizeof(cs));
	cs.issuer = public_ca;
	cs.key = public_key;
	cs.this_off = -60;
	cs.next_off = 86400;
	cs.revoked[0] = nc_responder;
	cs.reasons[0] = 1;
	cs.n_revoked = 1;
	cs.aki = true;
	ks_buf_reset(&crl);
	assert_ok(rp_crl(&cs, &crl));
	check_doc(teacher, &der, false, &crl, 0, NULL, &r);
	expect_attempt(&r, KS_REV_SRC_DOCUMENT, KS_REV_FAIL_RESPONDER_CERT, "revoked");
	/* (That CRL then answers for the teacher itself.) */
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_int_equal(r.evidence.kind, KS_REV_CRL);
	/* A responder certificate not valid when the response was produced. */
	memset(&rs, 0, sizeof(rs));
	rs.cn = "Expired responder";
	rs.issuer = public_ca;
	rs.issuer_key = public_key;
	rs.key = old_key = rp_eckey();
	rs.bc = "CA:FALSE";
	rs.eku = "OCSPSigning";
	rs.nocheck = true;
	rs.from = -10 * 86400;
	rs.to = -86400;
	rs.serial = 77002;
	old = rp_cert(&rs);
	assert_non_null(old);
	s.signer = old;
	s.key = old_key;
	ks_rev_result_cleanup(&r);
	ks_buf_cleanup(&der);
	ks_buf_cleanup(&crl);
	expect_doc_reject(&s, teacher, 0, KS_REV_FAIL_UNAUTHORISED, "not valid when");
	X509_free(old);
	EVP_PKEY_free(old_key);
}

static void test_arguments(void **state)
{
	struct ks_rev_result r;

	(void)state;
	ks_rev_result_init(&r);
	assert_fails_with(ks_rev_check(NULL, public_ca, 0, NULL, NULL, &r), KS_ERR_ARG);
	assert_fails_with(ks_rev_check(teacher, NULL, 0, NULL, NULL, &r), KS_ERR_ARG);
	/* An issuer that did not issue it: answers would be checked
	 * against the wrong key. */
	assert_fails_with(ks_rev_check(teacher, gov_ca, 0, NULL, NULL, &r), KS_ERR_ARG);
	assert_fails_with(ks_rev_check(teacher, teacher, 0, NULL, NULL, &r), KS_ERR_ARG);
	assert_string_equal(ks_rev_status_name(KS_REV_REVOKED), "revoked");
	assert_string_equal(ks_rev_failure_name(KS_REV_FAIL_NONCE), "nonce");
	assert_string_equal(ks_rev_failure_name(KS_REV_FAIL__COUNT), "?");
	assert_string_equal(ks_rev_reason_name(7), "unrecognised");
	assert_string_equal(ks_rev_reason_name(KS_REV_REASON_NONE), "");
	assert_string_equal(ks_rev_source_name(KS_REV_SRC_CRL_URL), "crl-url");
	ks_rev_result_cleanup(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_delegated),
		cmocka_unit_test(test_good_by_issuer),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_unauthorised),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_after_expiry),
		cmocka_unit_test(test_other_certificate),
		cmocka_unit_test(test_critical_extension),
		cmocka_unit_test(test_basic_only),
		cmocka_unit_test(test_data_parsing),
		cmocka_unit_test(test_delegated_without_nocheck),
		cmocka_unit_test(test_arguments),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
