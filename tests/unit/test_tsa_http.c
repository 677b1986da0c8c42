/* Unit tests for api/ks_tsa_http: the HTTP rules of RFC 3161 3.4 and the
 * libmicrohttpd server (limits before buffering, rejection responses,
 * stop with drain). */
#include "ks_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/ks_tsa_http.h"
#include "formats/tsp/ks_tsp.h"
#include "signer/ks_http.h"

#define PATH_LEN 4200
#define QUERY "application/timestamp-query"

static struct ks_key *key;
static struct ks_tsp_server *srv;

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

	(void)state;
	if (ks_filekey_open(pki("tsa-rsa.key.pem"), pki("tsa-rsa.cert.pem"),
			    pki("tsa-rsa.chain.pem"), NULL, &key) < 0) {
		fprintf(stderr, "# test PKI missing: run `make pki` (%s)\n", ks_err_msg());
		return -1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.key = key;
	return ks_tsp_server_new(&cfg, &srv);
}

static int teardown(void **state)
{
	(void)state;
	ks_http_thread_cleanup();
	ks_tsp_server_free(srv);
	ks_key_free(key);
	return 0;
}

static void make_req(struct ks_tsp_req *r)
{
	uint8_t d[32];

	memset(d, 0x42, sizeof(d));
	assert_ok(ks_tsp_req_init(r, KS_MD_SHA256, d, sizeof(d), NULL));
}

static void test_handle(void **state)
{
	struct ks_tsa_http_reply r;
	struct ks_tsp_req req;
	struct ks_tsp_resp resp;
	struct ks_tsp_token *tok = NULL;

	(void)state;
	make_req(&req);
	ks_tsa_http_reply_init(&r);
	assert_ok(ks_tsa_http_handle(srv, "GET", QUERY, NULL, 0, 4096, &r));
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "POST");
	ks_tsa_http_reply_cleanup(&r);

	ks_tsa_http_reply_init(&r);
	assert_ok(ks_tsa_http_handle(srv, "POST", "application/octet-stream", req.der.data,
				     req.der.len, 4096, &r));
	assert_int_equal(r.status, 415);
	ks_tsa_http_reply_cleanup(&r);

	ks_tsa_http_reply_init(&r);
	assert_ok(
	    ks_tsa_http_handle(srv, "POST", QUERY, req.der.data, req.der.len, req.der.len - 1, &r));
	assert_int_equal(r.status, 413);
	ks_tsa_http_reply_cleanup(&r);

	/* Malformed: HTTP 200 with a TimeStampResp saying rejection. */
	ks_tsa_http_reply_init(&r);
	assert_ok(ks_tsa_http_handle(srv, "POST", QUERY, (const uint8_t *)"junk", 4, 4096, &r));
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/timestamp-reply");
	assert_ok(ks_tsp_resp_parse(r.body.data, r.body.len, &resp));
	assert_int_equal(resp.status, KS_TSP_REJECTION);
	assert_int_equal(resp.fail_bits, 1u << KS_TSP_FAIL_BAD_DATA_FORMAT);
	ks_tsp_resp_cleanup(&resp);
	ks_tsa_http_reply_cleanup(&r);

	ks_tsa_http_reply_init(&r);
	assert_ok(ks_tsa_http_handle(srv, "POST", "Application/Timestamp-Query; x=y", req.der.data,
				     req.der.len, 4096, &r));
	assert_int_equal(r.status, 200);
	assert_ok(ks_tsp_resp_check(r.body.data, r.body.len, &req, NULL, NULL, &tok));
	ks_tsp_token_free(tok);
	ks_tsa_http_reply_cleanup(&r);
	ks_tsp_req_cleanup(&req);
}

static void url_of(const struct ks_tsa_http *h, char *buf, size_t n)
{
	snprintf(buf, n, "http://127.0.0.1:%u/", (unsigned)ks_tsa_http_port(h));
}

/* Raw bytes to the server; the status line's code back. */
static int raw_exchange(unsigned short port, const char *head, const void *body, size_t n)
{
	struct sockaddr_in a;
	char buf[1024];
	ssize_t r;
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), code = -1;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_true(send(fd, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head));
	if (n > 0)
		(void)send(fd, body, n, MSG_NOSIGNAL); /* may be cut short by a 413 */
	while (got < sizeof(buf) - 1 && (r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	if (strncmp(buf, "HTTP/1.1 ", 9) == 0)
		code = (int)strtol(buf + 9, NULL, 10);
	close(fd);
	return code;
}

static void test_server(void **state)
{
	struct ks_tsa_http_cfg cfg = { .listen = "127.0.0.1:0", .max_request = 512 };
	struct ks_tsa_http *h = NULL;
	struct ks_tsa_http_stats st;
	struct ks_http_opts o;
	struct ks_tsp_req req;
	struct ks_tsp_token *tok = NULL;
	struct ks_buf out;
	char url[64], head[256];
	unsigned char big[2048];
	int i;

	(void)state;
	assert_ok(ks_tsa_http_start(srv, &cfg, &h));
	assert_true(ks_tsa_http_port(h) > 0);
	url_of(h, url, sizeof(url));
	ks_http_opts_init(&o);
	o.accept = "application/timestamp-reply";
	ks_buf_init(&out, 1 << 20);
	make_req(&req);
	for (i = 0; i < 3; i++) {
		ks_buf_reset(&out);
		assert_ok(ks_http_post(url, QUERY, req.der.data, req.der.len, &o, &out));
		assert_ok(ks_tsp_resp_check(out.data, out.len, &req, NULL, NULL, &tok));
		ks_tsp_token_free(tok);
		tok = NULL;
	}
	/* Declared too large: 413 from the headers alone. */
	memset(big, 0x30, sizeof(big));
	assert_fails_with(ks_http_post(url, QUERY, big, sizeof(big), &o, &out), KS_ERR_NET_STATUS);
	assert_non_null(strstr(ks_err_msg(), "413"));
	snprintf(head, sizeof(head),
		 "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " QUERY
		 "\r\nContent-Length: 99999999999\r\n\r\n");
	assert_int_equal(raw_exchange(ks_tsa_http_port(h), head, NULL, 0), 413);
	/* Not declared (chunked): counted as it arrives. */
	{
		char chunked[1200];
		int w = snprintf(chunked, sizeof(chunked),
				 "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " QUERY
				 "\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n");

		assert_true(w > 0 && (size_t)w + 0x400 + 8 <= sizeof(chunked));
		memset(chunked + w, 'A', 0x400);
		memcpy(chunked + w + 0x400, "\r\n0\r\n\r\n", 8);
		assert_int_equal(raw_exchange(ks_tsa_http_port(h), chunked, NULL, 0), 413);
	}
	/* Wrong method, wrong type. */
	assert_int_equal(
	    raw_exchange(ks_tsa_http_port(h), "GET / HTTP/1.1\r\nHost: x\r\n\r\n", NULL, 0), 405);
	assert_int_equal(raw_exchange(ks_tsa_http_port(h),
				      "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
				      "Content-Length: 1\r\n\r\nx",
				      NULL, 0),
			 415);
	/* Malformed query: 200, a rejection. */
	ks_buf_reset(&out);
	assert_ok(ks_http_post(url, QUERY, "junk", 4, &o, &out));
	{
		struct ks_tsp_resp r;

		assert_ok(ks_tsp_resp_parse(out.data, out.len, &r));
		assert_int_equal(r.status, KS_TSP_REJECTION);
		assert_int_equal(r.fail_bits, 1u << KS_TSP_FAIL_BAD_DATA_FORMAT);
		ks_tsp_resp_cleanup(&r);
	}
	ks_tsa_http_stop(h, KS_TSA_HTTP_DRAIN_MS, &st);
	assert_int_equal(st.granted, 3);
	assert_int_equal(st.rejected, 1);
	assert_true(st.refused_http >= 4);
	/* Stopped: nothing listens any more. */
	assert_fails_with(ks_http_post(url, QUERY, req.der.data, req.der.len, &o, &out),
			  KS_ERR_NET_DOWN);
	ks_buf_cleanup(&out);
	ks_tsp_req_cleanup(&req);
}

static void test_listen(void **state)
{
	static const char *const bad[] = { "127.0.0.1",    "127.0.0.1:",     ":80",
					   "localhost:80", "127.0.0.1:x",    "127.0.0.1:70000",
					   "[::1:80",      "1.2.3:80",       "127.0.0.1:123456",
					   "[]:80",        "[:80",           "[127.0.0.1]:80",
					   "::1:80",       "127.0.0.1:80:80" };
	struct ks_tsa_http_cfg cfg = { .listen = NULL };
	struct ks_tsa_http *h = NULL, *h2 = NULL;
	char addr[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.listen = bad[i];
		assert_fails_with(ks_tsa_http_start(srv, &cfg, &h), KS_ERR_USAGE);
		assert_null(h);
	}
	cfg.listen = "127.0.0.1:0";
	cfg.max_request = KS_TSA_HTTP_REQUEST_MAX + 1;
	assert_fails_with(ks_tsa_http_start(srv, &cfg, &h), KS_ERR_USAGE);
	cfg.max_request = 0;
	cfg.threads = 2;
	assert_ok(ks_tsa_http_start(srv, &cfg, &h));
	/* The same port twice. */
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)ks_tsa_http_port(h));
	cfg.listen = addr;
	assert_fails_with(ks_tsa_http_start(srv, &cfg, &h2), KS_ERR_IO);
	ks_tsa_http_stop(h, 100, NULL);
	ks_tsa_http_stop(NULL, 0, NULL);
	/* IPv6 loopback, when the host has it. */
	cfg.listen = "[::1]:0";
	if (ks_tsa_http_start(srv, &cfg, &h) == 0)
		ks_tsa_http_stop(h, 0, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handle),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_listen),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
