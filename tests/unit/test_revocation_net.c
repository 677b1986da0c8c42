/* Unit tests for signer/validate revocation over the network and the
 * cache: a CA made here whose certificates name responders on 127.0.0.1
 * (random ports; tests/unit/http_fake.h playing an OCSP responder that
 * answers each request, one that is slow, a CRL distribution point, and
 * a port nobody listens on), and the cache folder they fill. */
#include "ks_test.h"

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http_fake.h"
#include "ks_io.h"
#include "rev_pki.h"
#include "signer/validate/ks_revocation.h"

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

enum net_mode {
	NET_GOOD,
	NET_WRONG_NONCE,
	NET_NO_NONCE,
	NET_TRYLATER,
	NET_GARBAGE,
	NET_UNKNOWN_SHA1, /* "unknown" for SHA-1 CertIDs, an answer for SHA-256 */
	NET_MALFORMED_SHA1,
	NET_STALE,
};

static struct fake_peer ocsp_peer, crl_peer, slow_peer;
static enum net_mode net_mode;
static X509 *net_ca, *net_ee[3], *down_ee, *slow_ee;
static EVP_PKEY *net_key, *ee_key;
static uint8_t net_body[16384];
static char cache_dir[64];
static int net_sha256_asked;

static X509 *net_cert_by_serial(const ASN1_INTEGER *serial)
{
	size_t i;

	for (i = 0; i < 3; i++)
		if (ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(net_ee[i])) == 0)
			return net_ee[i];
	return NULL;
}

/* The responder: answers the request it got, as net_mode says. */
static void respond(struct fake_peer *f)
{
	const unsigned char *p = f->req_body;
	OCSP_REQUEST *req = d2i_OCSP_REQUEST(NULL, &p, (long)f->req_body_len);
	OCSP_CERTID *id;
	ASN1_OBJECT *md = NULL;
	ASN1_INTEGER *serial = NULL;
	struct rp_ocsp_spec s;
	struct ks_buf out;
	static const unsigned char other[16] = { 1, 2, 3 };
	bool sha1;

	ks_buf_init(&out, sizeof(net_body));
	f->status = 200;
	f->content_type = "application/ocsp-response";
	f->body = net_body;
	f->body_len = 0;
	if (req == NULL || OCSP_request_onereq_count(req) != 1)
		goto out;
	id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0));
	OCSP_id_get0_info(NULL, &md, NULL, &serial, id);
	sha1 = OBJ_obj2nid(md) == NID_sha1;
	if (!sha1)
		net_sha256_asked++;
	memset(&s, 0, sizeof(s));
	s.cert = net_cert_by_serial(serial);
	s.issuer = net_ca;
	s.signer = net_ca;
	s.key = net_key;
	s.status = V_OCSP_CERTSTATUS_GOOD;
	s.reason = -1;
	s.this_off = -60;
	s.next_off = 3600;
	s.id_md = sha1 ? EVP_sha1() : EVP_sha256();
	s.req = req;
	if (s.cert == NULL)
		goto out;
	switch (net_mode) {
	case NET_GOOD:
		break;
	case NET_WRONG_NONCE:
		s.req = NULL;
		s.nonce = other;
		s.nonce_len = sizeof(other);
		break;
	case NET_NO_NONCE:
		s.req = NULL;
		break;
	case NET_TRYLATER:
		if (rp_ocsp_status(OCSP_RESPONSE_STATUS_TRYLATER, &out) < 0)
			goto out;
		goto copy;
	case NET_GARBAGE:
		if (ks_buf_append_str(&out, "<html>not an OCSP response</html>") < 0)
			goto out;
		goto copy;
	case NET_UNKNOWN_SHA1:
		if (sha1)
			s.status = V_OCSP_CERTSTATUS_UNKNOWN;
		break;
	case NET_MALFORMED_SHA1:
		if (sha1) {
			if (rp_ocsp_status(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, &out) < 0)
				goto out;
			goto copy;
		}
		break;
	case NET_STALE:
		s.this_off = -7200;
		s.next_off = -3600;
		break;
	}
	if (rp_ocsp(&s, false, &out) < 0)
		goto out;
copy:
	if (out.len <= sizeof(net_body)) {
		memcpy(net_body, out.data, out.len);
		f->body_len = out.len;
	}
out:
	ks_buf_cleanup(&out);
	OCSP_REQUEST_free(req);
}

static void net_opts(struct ks_rev_opts *o)
{
	ks_rev_opts_init(o);
	o->cache_dir = cache_dir;
	o->ocsp_http.timeout_ms = 2000;
	o->crl_http.timeout_ms = 2000;
}

static void clear_cache(void)
{
	DIR *d = opendir(cache_dir);
	struct dirent *e;
	char path[400];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", cache_dir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
}

/* Files in the cache and their total size. */
static size_t cache_files(size_t *bytes)
{
	DIR *d = opendir(cache_dir);
	struct dirent *e;
	struct stat st;
	char path[400];
	size_t n = 0;

	*bytes = 0;
	while (d != NULL && (e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", cache_dir, e->d_name);
		if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		n++;
		*bytes += (size_t)st.st_size;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

static int net_setup(void **state)
{
	struct rp_cert_spec cs;
	struct rp_crl_spec crl;
	struct ks_buf der;
	char ocsp_url[64], crl_url[64], down_url[64], slow_url[64];
	static uint8_t crl_body[4096];
	unsigned short down = closed_port();
	size_t i;

	(void)state;
	memset(&ocsp_peer, 0, sizeof(ocsp_peer));
	memset(&crl_peer, 0, sizeof(crl_peer));
	memset(&slow_peer, 0, sizeof(slow_peer));
	ocsp_peer.on_request = respond;
	slow_peer.status = 200;
	slow_peer.content_type = "application/ocsp-response";
	slow_peer.delay_ms = 3000;
	if (fake_start(&ocsp_peer) < 0 || fake_start(&crl_peer) < 0 || fake_start(&slow_peer) < 0)
		return -1;
	snprintf(ocsp_url, sizeof(ocsp_url), "http://127.0.0.1:%u/ocsp", (unsigned)ocsp_peer.port);
	snprintf(crl_url, sizeof(crl_url), "http://127.0.0.1:%u/net.crl", (unsigned)crl_peer.port);
	snprintf(down_url, sizeof(down_url), "http://127.0.0.1:%u/", (unsigned)down);
	snprintf(slow_url, sizeof(slow_url), "http://127.0.0.1:%u/", (unsigned)slow_peer.port);
	net_key = rp_eckey();
	ee_key = rp_eckey();
	memset(&cs, 0, sizeof(cs));
	cs.cn = "Net CA";
	cs.key = net_key;
	cs.bc = "critical,CA:TRUE";
	cs.ku = "critical,keyCertSign,cRLSign";
	net_ca = rp_cert(&cs);
	for (i = 0; i < 3; i++) {
		memset(&cs, 0, sizeof(cs));
		cs.cn = "Net subscriber";
		cs.issuer = net_ca;
		cs.issuer_key = net_key;
		cs.key = ee_key;
		cs.bc = "CA:FALSE";
		cs.ku = "critical,digitalSignature";
		cs.ocsp = ocsp_url;
		cs.crl = crl_url;
		cs.serial = 9100 + (long)i;
		net_ee[i] = rp_cert(&cs);
	}
	cs.ocsp = down_url;
	cs.crl = down_url;
	cs.serial = 9200;
	down_ee = rp_cert(&cs);
	cs.ocsp = slow_url;
	cs.serial = 9201;
	slow_ee = rp_cert(&cs);
	/* The CA's CRL: net_ee[2] revoked. */
	memset(&crl, 0, sizeof(crl));
	crl.issuer = net_ca;
	crl.key = net_key;
	crl.this_off = -60;
	crl.next_off = 86400;
	crl.revoked[0] = net_ee[2];
	crl.reasons[0] = 4; /* superseded */
	crl.n_revoked = 1;
	crl.aki = true;
	ks_buf_init(&der, sizeof(crl_body));
	if (net_ca == NULL || net_ee[2] == NULL || down_ee == NULL || slow_ee == NULL ||
	    rp_crl(&crl, &der) < 0 || der.len > sizeof(crl_body))
		return -1;
	memcpy(crl_body, der.data, der.len);
	crl_peer.status = 200;
	crl_peer.content_type = "application/pkix-crl";
	crl_peer.body = crl_body;
	crl_peer.body_len = der.len;
	ks_buf_cleanup(&der);
	snprintf(cache_dir, sizeof(cache_dir), "/tmp/kyso-revcache.XXXXXX");
	return mkdtemp(cache_dir) != NULL ? 0 : -1;
}

static int net_teardown(void **state)
{
	size_t i;

	(void)state;
	ks_http_thread_cleanup();
	fake_stop(&ocsp_peer);
	fake_stop(&crl_peer);
	fake_stop(&slow_peer);
	clear_cache();
	rmdir(cache_dir);
	X509_free(net_ca);
	for (i = 0; i < 3; i++)
		X509_free(net_ee[i]);
	X509_free(down_ee);
	X509_free(slow_ee);
	EVP_PKEY_free(net_key);
	EVP_PKEY_free(ee_key);
	return 0;
}

static void test_net_good_and_cache(void **state)
{
	struct ks_rev_opts o;
	struct ks_rev_result r;
	size_t bytes;
	struct stat st;
	char path[400];

	(void)state;
	clear_cache();
	net_mode = NET_GOOD;
	net_opts(&o);
	ks_rev_result_init(&r);
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_int_equal(r.evidence.source, KS_REV_SRC_OCSP_URL);
	assert_true(r.evidence.nonce_matched);
	assert_int_equal(r.n_attempts, 0);
	/* Cached, expiring at nextUpdate. */
	assert_int_equal(cache_files(&bytes), 1);
	assert_int_equal(bytes, r.evidence.der.len);
	{
		DIR *d = opendir(cache_dir);
		struct dirent *e;

		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				snprintf(path, sizeof(path), "%s/%s", cache_dir, e->d_name);
		closedir(d);
	}
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mtime, r.evidence.next_update);
	/* Offline, the responder gone quiet: from the cache. */
	o.offline = true;
	ocsp_peer.requests = 0;
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_int_equal(r.evidence.source, KS_REV_SRC_CACHE);
	assert_false(r.evidence.nonce_matched);
	assert_int_equal(ocsp_peer.requests, 0);
	/* Online too, the cache answers first. */
	o.offline = false;
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.evidence.source, KS_REV_SRC_CACHE);
	assert_int_equal(ocsp_peer.requests, 0);
	/* Past its nextUpdate the cached item is not used, and goes. */
	o.offline = true;
	o.now = r.evidence.next_update + 1;
	assert_ok(ks_rev_check(net_ee[0], net_ca, r.evidence.next_update + 1, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	expect_attempt(&r, KS_REV_SRC_CACHE, KS_REV_FAIL_STALE, NULL);
	assert_int_equal(cache_files(&bytes), 0);
	/* No cache at all: nothing is written. */
	o.now = 0;
	o.offline = false;
	o.cache_dir = "";
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_int_equal(cache_files(&bytes), 0);
	ks_rev_result_cleanup(&r);
}

/* The CA's revoked subscriber, through the network: REVOKED by OCSP. */
static void test_net_revoked_crl(void **state)
{
	struct ks_rev_opts o;
	struct ks_rev_result r;

	(void)state;
	clear_cache();
	net_opts(&o);
	o.no_ocsp = true;
	ks_rev_result_init(&r);
	assert_ok(ks_rev_check(net_ee[2], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_REVOKED);
	assert_int_equal(r.reason, 4);
	assert_int_equal(r.evidence.source, KS_REV_SRC_CRL_URL);
	/* The CRL is cached too, and serves offline. */
	o.offline = true;
	assert_ok(ks_rev_check(net_ee[1], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_int_equal(r.evidence.source, KS_REV_SRC_CACHE);
	assert_int_equal(r.evidence.kind, KS_REV_CRL);
	/* The responder refuses (tryLater): the CRL answers. */
	clear_cache();
	o.offline = false;
	o.no_ocsp = false;
	net_mode = NET_TRYLATER;
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_int_equal(r.evidence.source, KS_REV_SRC_CRL_URL);
	expect_attempt(&r, KS_REV_SRC_OCSP_URL, KS_REV_FAIL_RESPONDER, "trylater");
	/* A CRL larger than allowed. */
	clear_cache();
	o.no_ocsp = true;
	o.crl_max = 100;
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	expect_attempt(&r, KS_REV_SRC_CRL_URL, KS_REV_FAIL_NET, NULL);
	ks_rev_result_cleanup(&r);
}

static void test_net_nonce(void **state)
{
	struct ks_rev_opts o;
	struct ks_rev_result r;

	(void)state;
	net_opts(&o);
	o.cache_dir = "";
	o.no_crl = true;
	ks_rev_result_init(&r);
	net_mode = NET_WRONG_NONCE;
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	expect_attempt(&r, KS_REV_SRC_OCSP_URL, KS_REV_FAIL_NONCE, "not the one sent");
	assert_false(ks_rev_result_try_later(&r));
	/* Allowing a missing nonce never allows a wrong one. */
	o.allow_no_nonce = true;
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	net_mode = NET_NO_NONCE;
	o.allow_no_nonce = false;
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	expect_attempt(&r, KS_REV_SRC_OCSP_URL, KS_REV_FAIL_NONCE, "without the request's nonce");
	o.allow_no_nonce = true;
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_true(r.notes & KS_REV_NOTE_NO_NONCE);
	assert_false(r.evidence.nonce_matched);
	ks_rev_result_cleanup(&r);
}

/* Down, slow, lying: never GOOD, each failure named. */
static void test_net_failures(void **state)
{
	struct ks_rev_opts o;
	struct ks_rev_result r;
	struct timespec t0, t1;
	double secs;

	(void)state;
	net_opts(&o);
	o.cache_dir = "";
	ks_rev_result_init(&r);
	assert_ok(ks_rev_check(down_ee, net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	expect_attempt(&r, KS_REV_SRC_OCSP_URL, KS_REV_FAIL_NET_DOWN, NULL);
	expect_attempt(&r, KS_REV_SRC_CRL_URL, KS_REV_FAIL_NET_DOWN, NULL);
	assert_true(ks_rev_result_try_later(&r));
	/* Slow: the time limit holds. */
	o.ocsp_http.timeout_ms = 700;
	o.no_crl = true;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_ok(ks_rev_check(slow_ee, net_ca, 0, NULL, &o, &r));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	expect_attempt(&r, KS_REV_SRC_OCSP_URL, KS_REV_FAIL_NET_TIMEOUT, NULL);
	assert_true(secs < 2.5);
	/* Garbage with the right content type. */
	o.ocsp_http.timeout_ms = 2000;
	net_mode = NET_GARBAGE;
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	expect_attempt(&r, KS_REV_SRC_OCSP_URL, KS_REV_FAIL_MALFORMED, NULL);
	/* A stale answer, fresh nonce or not. */
	net_mode = NET_STALE;
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_UNAVAILABLE);
	expect_attempt(&r, KS_REV_SRC_OCSP_URL, KS_REV_FAIL_STALE, NULL);
	assert_true(ks_rev_result_out_of_bounds(&r));
	ks_rev_result_cleanup(&r);
}

/* A responder that wants SHA-256 CertIDs is asked again with them. */
static void test_net_certid_retry(void **state)
{
	struct ks_rev_opts o;
	struct ks_rev_result r;

	(void)state;
	net_opts(&o);
	o.cache_dir = "";
	o.no_crl = true;
	ks_rev_result_init(&r);
	net_mode = NET_UNKNOWN_SHA1;
	net_sha256_asked = 0;
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_int_equal(net_sha256_asked, 1);
	net_mode = NET_MALFORMED_SHA1;
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(r.status, KS_REV_GOOD);
	assert_int_equal(net_sha256_asked, 2);
	expect_attempt(&r, KS_REV_SRC_OCSP_URL, KS_REV_FAIL_RESPONDER, "malformedrequest");
	ks_rev_result_cleanup(&r);
}

/* The cache keeps within its size; a planted file that does not hold is
 * dropped. */
static void test_cache_bounds(void **state)
{
	struct ks_rev_opts o;
	struct ks_rev_result r;
	size_t bytes, one, i, bad;
	char path[400];
	DIR *d;
	struct dirent *e;

	(void)state;
	clear_cache();
	net_mode = NET_GOOD;
	net_opts(&o);
	o.no_crl = true;
	ks_rev_result_init(&r);
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	assert_int_equal(cache_files(&one), 1);
	o.cache_max_bytes = 2 * one + one / 2; /* room for two */
	for (i = 1; i < 3; i++) {
		assert_ok(ks_rev_check(net_ee[i], net_ca, 0, NULL, &o, &r));
		assert_true(r.status == KS_REV_GOOD || r.status == KS_REV_REVOKED);
	}
	assert_int_equal(cache_files(&bytes), 2);
	assert_true(bytes <= o.cache_max_bytes);
	/* Corrupt the remaining items: read, refused, removed. */
	d = opendir(cache_dir);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", cache_dir, e->d_name);
		assert_ok(ks_file_write_atomic(path, "\x30\x00", 2, 0644));
	}
	closedir(d);
	/* (Which one was dropped depends on nextUpdates equal to the second.) */
	o.offline = true;
	for (i = 0, bad = 0; i < 3; i++) {
		assert_ok(ks_rev_check(net_ee[i], net_ca, 0, NULL, &o, &r));
		assert_int_equal(r.status, KS_REV_UNAVAILABLE);
		if (r.n_attempts > 0 && r.attempts[0].source == KS_REV_SRC_CACHE) {
			expect_attempt(&r, KS_REV_SRC_CACHE, KS_REV_FAIL_MALFORMED, NULL);
			bad++;
		}
	}
	assert_int_equal(bad, 2);
	assert_int_equal(cache_files(&bytes), 0);
	ks_rev_result_cleanup(&r);
}

static void test_describe(void **state)
{
	struct ks_rev_opts o;
	struct ks_rev_result r;
	char text[1000];

	(void)state;
	net_opts(&o);
	o.cache_dir = "";
	ks_rev_result_init(&r);
	assert_ok(ks_rev_check(down_ee, net_ca, 0, NULL, &o, &r));
	ks_rev_result_describe(&r, text, sizeof(text));
	assert_non_null(strstr(text, "unavailable:"));
	assert_non_null(strstr(text, "ocsp ocsp-url"));
	assert_non_null(strstr(text, "crl crl-url"));
	net_mode = NET_GOOD;
	assert_ok(ks_rev_check(net_ee[0], net_ca, 0, NULL, &o, &r));
	ks_rev_result_describe(&r, text, sizeof(text));
	assert_non_null(strstr(text, "good per ocsp from ocsp-url"));
	ks_rev_result_cleanup(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_good_and_cache), cmocka_unit_test(test_net_revoked_crl),
		cmocka_unit_test(test_net_nonce),          cmocka_unit_test(test_net_failures),
		cmocka_unit_test(test_net_certid_retry),   cmocka_unit_test(test_cache_bounds),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, net_setup, net_teardown);
}
