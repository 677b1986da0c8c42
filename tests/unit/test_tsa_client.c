/* Unit tests for signer/ks_tsa_client: TSAs tried in order, each answer
 * checked, every failure named; the TSA certificate path helper.  The
 * real TSA is kyso's own (api/ks_tsa_http) on 127.0.0.1; lying and
 * broken ones are tests/unit/http_fake.h replaying canned answers. */
#include "ks_test.h"

#include <openssl/x509_vfy.h>

#include "api/ks_tsa_http.h"
#include "http_fake.h"
#include "signer/ks_tsa_client.h"

#define PATH_LEN 4200

static struct ks_key *key;
static struct ks_tsp_server *srv;
static struct ks_tsa_http *http;
static char tsa_url[64];

static const char *pki(const char *name)
{
	static char slots[4][PATH_LEN];
	static unsigned next;
	char *s = slots[next++ % 4];

	snprintf(s, PATH_LEN, "%s", ks_test_pki(name));
	return s;
}

static int setup(void **state)
{
	struct ks_tsp_server_cfg cfg;
	struct ks_tsa_http_cfg hc = { .listen = "127.0.0.1:0" };

	(void)state;
	if (ks_filekey_open(pki("tsa-rsa.key.pem"), pki("tsa-rsa.cert.pem"),
			    pki("tsa-rsa.chain.pem"), NULL, &key) < 0) {
		fprintf(stderr, "# test PKI missing: run `make pki` (%s)\n", ks_err_msg());
		return -1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.key = key;
	if (ks_tsp_server_new(&cfg, &srv) < 0 || ks_tsa_http_start(srv, &hc, &http) < 0)
		return -1;
	snprintf(tsa_url, sizeof(tsa_url), "http://127.0.0.1:%u/",
		 (unsigned)ks_tsa_http_port(http));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ks_http_thread_cleanup();
	ks_tsa_http_stop(http, 1000, NULL);
	ks_tsp_server_free(srv);
	ks_key_free(key);
	return 0;
}

static const uint8_t digest[32] = {
	1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32
};

static void client(struct ks_tsa_client *c, const char *a, const char *b)
{
	ks_tsa_client_init(c);
	c->http.timeout_ms = 2000;
	assert_ok(ks_tsa_client_add_url(c, a));
	if (b != NULL)
		assert_ok(ks_tsa_client_add_url(c, b));
}

static void test_ok(void **state)
{
	struct ks_tsa_client c;
	struct ks_tsp_token *tok = NULL;
	struct ks_tsp_resp r;
	struct ks_buf resp;
	size_t used = 9;

	(void)state;
	client(&c, tsa_url, NULL);
	ks_buf_init(&resp, KS_TSP_RESP_MAX);
	assert_ok(ks_tsa_timestamp(&c, KS_MD_SHA256, digest, sizeof(digest), &resp, &tok, &used));
	assert_int_equal(used, 0);
	assert_non_null(tok);
	assert_memory_equal(ks_tsp_token_info(tok)->imprint, digest, sizeof(digest));
	assert_int_equal(X509_cmp(ks_tsp_token_signer(tok), key->cert), 0);
	/* resp is the whole TimeStampResp, as a .tsr holds it. */
	assert_ok(ks_tsp_resp_parse(resp.data, resp.len, &r));
	assert_int_equal(r.status, KS_TSP_GRANTED);
	ks_tsp_resp_cleanup(&r);
	ks_tsp_token_free(tok);
	/* Pinned to its own certificate: fine; without keeping the token. */
	ks_buf_reset(&resp);
	c.tsa_cert = key->cert;
	assert_ok(ks_tsa_timestamp(&c, KS_MD_SHA256, digest, sizeof(digest), &resp, NULL, NULL));
	ks_buf_cleanup(&resp);
}

/* The first TSA down: the second answers, and is said to. */
static void test_fallback(void **state)
{
	struct ks_tsa_client c;
	struct ks_buf resp;
	char down[64];
	size_t used = 9;

	(void)state;
	snprintf(down, sizeof(down), "http://127.0.0.1:%u/", (unsigned)closed_port());
	client(&c, down, tsa_url);
	ks_buf_init(&resp, KS_TSP_RESP_MAX);
	assert_ok(ks_tsa_timestamp(&c, KS_MD_SHA256, digest, sizeof(digest), &resp, NULL, &used));
	assert_int_equal(used, 1);
	ks_buf_cleanup(&resp);
}

/* Every TSA fails: no output, an error naming each one's problem. */
static void expect_fail(struct ks_tsa_client *c, enum ks_err_code code, const char *words)
{
	struct ks_tsp_token *tok = NULL;
	struct ks_buf resp;

	ks_buf_init(&resp, KS_TSP_RESP_MAX);
	assert_fails_with(
	    ks_tsa_timestamp(c, KS_MD_SHA256, digest, sizeof(digest), &resp, &tok, NULL), code);
	if (strstr(ks_err_msg(), words) == NULL)
		fail_msg("'%s' not in '%s'", words, ks_err_msg());
	assert_int_equal(resp.len, 0);
	assert_null(tok);
	ks_buf_cleanup(&resp);
}

/* A genuine answer of the real TSA to another request. */
static void canned(const uint8_t *d, struct ks_buf *out)
{
	struct ks_tsp_req req;

	assert_ok(ks_tsp_req_init(&req, KS_MD_SHA256, d, 32, NULL));
	ks_buf_init(out, KS_TSP_RESP_MAX);
	assert_ok(ks_tsp_server_respond(srv, req.der.data, req.der.len, out, NULL));
	ks_tsp_req_cleanup(&req);
}

static void test_lying(void **state)
{
	struct fake_peer f;
	struct ks_tsa_client c;
	struct ks_buf other, same;
	uint8_t d2[32];
	char url[64], down[64];

	(void)state;
	memset(d2, 0x77, sizeof(d2));
	canned(d2, &other);
	canned(digest, &same);
	memset(&f, 0, sizeof(f));
	f.status = 200;
	f.content_type = KS_TSA_REPLY_TYPE;
	assert_int_equal(fake_start(&f), 0);
	fake_url(&f, url, sizeof(url));

	/* A token for other data. */
	f.body = other.data;
	f.body_len = other.len;
	client(&c, url, NULL);
	expect_fail(&c, KS_ERR_TSP, "message imprint differs");
	/* A replayed token for this data (another request's nonce). */
	f.body = same.data;
	f.body_len = same.len;
	expect_fail(&c, KS_ERR_TSP, "nonce differs");
	/* Garbage, a refusal, the wrong type, an HTTP error. */
	f.body = (const unsigned char *)"<html>";
	f.body_len = 6;
	expect_fail(&c, KS_ERR_TRUNCATED, "malformed timestamp response");
	f.content_type = "text/html";
	expect_fail(&c, KS_ERR_NET_TYPE, "Content-Type");
	f.content_type = KS_TSA_REPLY_TYPE;
	f.status = 500;
	expect_fail(&c, KS_ERR_NET_STATUS, "HTTP 500");
	f.status = 200;
	{
		struct ks_buf rej;

		ks_buf_init(&rej, 1024);
		assert_ok(ks_tsp_rejection(KS_TSP_FAIL_TIME_NOT_AVAILABLE, "clock lost", &rej));
		f.body = rej.data;
		f.body_len = rej.len;
		expect_fail(&c, KS_ERR_TSP,
			    "refused the request: rejection (timeNotAvailable): "
			    "clock lost");
		/* Two TSAs, both wrong: both named, in order. */
		snprintf(down, sizeof(down), "http://127.0.0.1:%u/", (unsigned)closed_port());
		client(&c, url, down);
		expect_fail(&c, KS_ERR_NET_DOWN,
			    "no TSA gave a valid timestamp: [1] the TSA "
			    "refused");
		assert_non_null(strstr(ks_err_msg(), "[2] http://127.0.0.1:"));
		ks_buf_cleanup(&rej);
	}
	/* A slow one. */
	f.delay_ms = 10000;
	client(&c, url, NULL);
	c.http.timeout_ms = 300;
	expect_fail(&c, KS_ERR_NET_TIMEOUT, "did not answer in time");
	fake_stop(&f);
	ks_buf_cleanup(&other);
	ks_buf_cleanup(&same);
}

static void test_config(void **state)
{
	struct ks_tsa_client c;
	int i;

	(void)state;
	ks_tsa_client_init(&c);
	expect_fail(&c, KS_ERR_ARG, "no TSA URL");
	assert_fails_with(ks_tsa_client_add_url(&c, "ftp://127.0.0.1/"), KS_ERR_ARG);
	assert_fails_with(ks_tsa_client_add_url(&c, "127.0.0.1:80"), KS_ERR_ARG);
	for (i = 0; i < KS_TSA_URLS_MAX; i++)
		assert_ok(ks_tsa_client_add_url(&c, tsa_url));
	assert_fails_with(ks_tsa_client_add_url(&c, tsa_url), KS_ERR_LIMIT);
}

static X509_STORE *store_of(const char *path)
{
	STACK_OF(X509) *sk = NULL;
	X509_STORE *st = X509_STORE_new();
	int i;

	assert_non_null(st);
	assert_ok(ks_pem_load_certs(path, &sk));
	for (i = 0; i < sk_X509_num(sk); i++)
		assert_int_equal(X509_STORE_add_cert(st, sk_X509_value(sk, i)), 1);
	sk_X509_pop_free(sk, X509_free);
	return st;
}

static void test_chain(void **state)
{
	struct ks_tsa_client c;
	struct ks_tsp_token *tok = NULL, *raw = NULL;
	struct ks_buf resp;
	X509_STORE *root = store_of(pki("root.pem"));
	X509_STORE *lookalike = store_of(pki("lookalike-root.pem"));
	STACK_OF(X509) *chain = NULL;

	(void)state;
	client(&c, tsa_url, NULL);
	ks_buf_init(&resp, KS_TSP_RESP_MAX);
	assert_ok(ks_tsa_timestamp(&c, KS_MD_SHA256, digest, sizeof(digest), &resp, &tok, NULL));
	assert_ok(ks_tsa_verify_chain(tok, root, NULL, 0, &chain));
	assert_int_equal(sk_X509_num(chain), 3); /* TSA, Public CA, root */
	assert_int_equal(X509_cmp(sk_X509_value(chain, 0), key->cert), 0);
	sk_X509_pop_free(chain, X509_free);
	assert_fails_with(ks_tsa_verify_chain(tok, lookalike, NULL, 0, NULL), KS_ERR_CERT);
	/* Long after the TSA certificate expired. */
	assert_fails_with(
	    ks_tsa_verify_chain(tok, root, NULL, time(NULL) + 20 * 365 * 86400L, NULL),
	    KS_ERR_CERT);
	assert_non_null(strstr(ks_err_msg(), "expired"));
	assert_fails_with(ks_tsa_verify_chain(tok, NULL, NULL, 0, NULL), KS_ERR_ARG);
	/* A token not verified yet has no TSA certificate to start from. */
	assert_ok(
	    ks_tsp_token_parse(ks_tsp_token_der(tok)->data, ks_tsp_token_der(tok)->len, &raw));
	assert_fails_with(ks_tsa_verify_chain(raw, root, NULL, 0, NULL), KS_ERR_ARG);
	ks_tsp_token_free(raw);
	ks_tsp_token_free(tok);
	ks_buf_cleanup(&resp);
	X509_STORE_free(root);
	X509_STORE_free(lookalike);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),    cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_lying), cmocka_unit_test(test_config),
		cmocka_unit_test(test_chain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
