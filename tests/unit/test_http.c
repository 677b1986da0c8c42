/* Unit tests for signer/ks_http: each way a peer can fail has its own
 * error, the output is untouched on failure, the limits hold. */
#include "ks_test.h"

#include "http_fake.h"
#include "signer/ks_http.h"

#define TYPE "application/timestamp-reply"

static const unsigned char reply[] = "\x30\x03\x02\x01\x00";

static void opts(struct ks_http_opts *o)
{
	ks_http_opts_init(o);
	o->accept = TYPE;
	o->timeout_ms = 2000;
	o->connect_timeout_ms = 1000;
}

static void start(struct fake_peer *f, int status, const char *type, const void *body, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->status = status;
	f->content_type = type;
	f->body = body;
	f->body_len = n;
	assert_int_equal(fake_start(f), 0);
}

static void test_post_ok(void **state)
{
	struct fake_peer f;
	struct ks_http_opts o;
	struct ks_buf out;
	char url[64];

	(void)state;
	start(&f, 200, TYPE "; charset=binary", reply, sizeof(reply) - 1);
	fake_url(&f, url, sizeof(url));
	opts(&o);
	ks_buf_init(&out, 1024);
	assert_ok(ks_buf_append(&out, "keep", 4));
	assert_ok(ks_http_post(url, "application/timestamp-query", "\x30\x00", 2, &o, &out));
	/* Appended after what was there. */
	assert_int_equal(out.len, 4 + sizeof(reply) - 1);
	assert_memory_equal(out.data + 4, reply, sizeof(reply) - 1);
	/* What the peer saw: a POST with the type, the body, no Expect. */
	assert_int_equal(f.requests, 1);
	assert_true(strncmp(f.head, "POST /tsa HTTP/1.1\r\n", 20) == 0);
	assert_non_null(strcasestr(f.head, "\r\nContent-Type: application/timestamp-query\r\n"));
	assert_non_null(strcasestr(f.head, "\r\nAccept: " TYPE "\r\n"));
	assert_null(strcasestr(f.head, "\r\nExpect:"));
	assert_int_equal(f.req_body_len, 2);
	assert_memory_equal(f.req_body, "\x30\x00", 2);
	/* GET works the same way. */
	ks_buf_reset(&out);
	assert_ok(ks_http_get(url, &o, &out));
	assert_true(strncmp(f.head, "GET /tsa HTTP/1.1\r\n", 19) == 0);
	assert_int_equal(out.len, sizeof(reply) - 1);
	fake_stop(&f);
	ks_buf_cleanup(&out);
}

/* A failure leaves the output as it was. */
static void expect_fail(const char *url, const struct ks_http_opts *o, enum ks_err_code code,
			const char *words)
{
	struct ks_buf out;

	ks_buf_init(&out, 1 << 20);
	assert_ok(ks_buf_append(&out, "keep", 4));
	assert_fails_with(ks_http_post(url, "application/timestamp-query", "x", 1, o, &out), code);
	if (words != NULL && strstr(ks_err_msg(), words) == NULL)
		fail_msg("'%s' not in '%s'", words, ks_err_msg());
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "keep", 4);
	ks_buf_cleanup(&out);
}

static void test_down(void **state)
{
	struct ks_http_opts o;
	char url[64];

	(void)state;
	opts(&o);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)closed_port());
	expect_fail(url, &o, KS_ERR_NET_DOWN, "unreachable");
}

static void test_slow(void **state)
{
	struct fake_peer f;
	struct ks_http_opts o;
	struct timespec t0, t1;
	double secs;
	char url[64];

	(void)state;
	start(&f, 200, TYPE, reply, sizeof(reply) - 1);
	f.delay_ms = 10000;
	fake_url(&f, url, sizeof(url));
	opts(&o);
	o.timeout_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_fail(url, &o, KS_ERR_NET_TIMEOUT, "did not answer in time");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* A hang guard, generous: the 0.3 s limit applied, not the peer's
	 * 10 s delay. */
	assert_true(secs < 5.0);
	fake_stop(&f);
}

static void test_too_big(void **state)
{
	struct fake_peer f;
	struct ks_http_opts o;
	unsigned char *big = calloc(1, 100000);
	char url[64];

	(void)state;
	assert_non_null(big);
	opts(&o);
	o.max_body = 1000;
	/* Announced by Content-Length, refused before reading it. */
	start(&f, 200, TYPE, big, 100000);
	fake_url(&f, url, sizeof(url));
	expect_fail(url, &o, KS_ERR_LIMIT, "larger than 1000 bytes");
	fake_stop(&f);
	/* Not announced: stopped while it arrives. */
	start(&f, 200, TYPE, big, 100000);
	f.no_length = true;
	fake_url(&f, url, sizeof(url));
	expect_fail(url, &o, KS_ERR_LIMIT, "larger than 1000 bytes");
	/* Exactly the limit is fine. */
	f.body_len = 1000;
	{
		struct ks_buf out;

		ks_buf_init(&out, 4096);
		assert_ok(ks_http_post(url, "application/timestamp-query", "x", 1, &o, &out));
		assert_int_equal(out.len, 1000);
		ks_buf_cleanup(&out);
	}
	fake_stop(&f);
	free(big);
}

static void test_wrong_type(void **state)
{
	static const char *const types[] = { "text/html", "application/timestamp-reply-x",
					     "application/json; x=application/timestamp-reply",
					     NULL };
	struct fake_peer f;
	struct ks_http_opts o;
	char url[64];
	size_t i;

	(void)state;
	opts(&o);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		start(&f, 200, types[i], reply, sizeof(reply) - 1);
		fake_url(&f, url, sizeof(url));
		expect_fail(url, &o, KS_ERR_NET_TYPE, "Content-Type");
		fake_stop(&f);
	}
	/* Case and parameters do not matter. */
	start(&f, 200, "Application/TimeStamp-Reply ; q=1", reply, sizeof(reply) - 1);
	fake_url(&f, url, sizeof(url));
	{
		struct ks_buf out;

		ks_buf_init(&out, 4096);
		assert_ok(ks_http_post(url, "application/timestamp-query", "x", 1, &o, &out));
		ks_buf_cleanup(&out);
	}
	fake_stop(&f);
}

static void test_status(void **state)
{
	struct fake_peer f;
	struct ks_http_opts o;
	char url[64], target[80];

	(void)state;
	opts(&o);
	start(&f, 503, TYPE, reply, sizeof(reply) - 1);
	fake_url(&f, url, sizeof(url));
	expect_fail(url, &o, KS_ERR_NET_STATUS, "HTTP 503");
	fake_stop(&f);
	/* Redirects are not followed, even to the same scheme. */
	start(&f, 302, TYPE, reply, sizeof(reply) - 1);
	fake_url(&f, url, sizeof(url));
	snprintf(target, sizeof(target), "http://127.0.0.1:%u/elsewhere", (unsigned)f.port);
	f.location = target;
	expect_fail(url, &o, KS_ERR_NET_STATUS, "redirect");
	assert_int_equal(f.requests, 1);
	fake_stop(&f);
}

static void test_urls(void **state)
{
	static const char *const bad[] = { "ftp://127.0.0.1/x",
					   "file:///etc/passwd",
					   "gopher://127.0.0.1/",
					   "not a url",
					   "",
					   "http://" };
	struct ks_http_opts o;
	char longurl[KS_HTTP_URL_MAX + 32];
	size_t i;

	(void)state;
	opts(&o);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fail(bad[i], &o, KS_ERR_ARG, NULL);
	memset(longurl, 'a', sizeof(longurl) - 1);
	memcpy(longurl, "http://", 7);
	longurl[sizeof(longurl) - 1] = '\0';
	expect_fail(longurl, &o, KS_ERR_ARG, "longer");
	/* The user part of a URL never reaches a message. */
	{
		char url[80];

		snprintf(url, sizeof(url), "http://user:secret@127.0.0.1:%u/",
			 (unsigned)closed_port());
		expect_fail(url, &o, KS_ERR_NET_DOWN, NULL);
		assert_null(strstr(ks_err_msg(), "secret"));
	}
}

static int teardown(void **state)
{
	(void)state;
	ks_http_thread_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post_ok),    cmocka_unit_test(test_down),
		cmocka_unit_test(test_slow),       cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_wrong_type), cmocka_unit_test(test_status),
		cmocka_unit_test(test_urls),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
