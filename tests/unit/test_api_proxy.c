/* The client's address behind trusted reverse proxies (api/ks_api_proxy.c):
 * the trusted-proxies setting, and X-Forwarded-For read from the right. */
#include "ks_test.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "api/ks_api_proxy.h"

static struct ks_api_proxies px;

static void trust(const char *text)
{
	assert_int_equal(ks_api_proxies_parse(text, &px), 0);
}

/* The client of a request from `peer` with X-Forwarded-For `xff`. */
static const char *client(const char *peer, const char *xff)
{
	static char out[KS_API_ADDR_MAX];
	struct ks_api_net net;

	assert_int_equal(ks_api_net_addr(peer, strlen(peer), &net), 0);
	ks_api_client_addr(&px, &net, xff, xff != NULL ? strlen(xff) : 0, out);
	return out;
}

static void test_setting(void **state)
{
	static const char *const bad[] = { "300.1.1.1",  "10.0.0.0/33", "::1/129",    "abc",
					   "1.2.3.4/",   "1.2.3.4/x",   "1.2.3.4/1x", "/8",
					   "1.2.3.4//8", "[::1]" };
	struct ks_api_proxies p;
	char many[40 * 12];
	size_t i;

	(void)state;
	assert_int_equal(ks_api_proxies_parse(NULL, &p), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(ks_api_proxies_parse(" , ", &p), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(ks_api_proxies_parse("127.0.0.1 ::1,\t10.0.0.0/8, 2001:db8::/32", &p), 0);
	assert_int_equal(p.n, 4);
	assert_int_equal(p.net[0].family, AF_INET);
	assert_int_equal(p.net[1].family, AF_INET6);
	assert_int_equal(p.net[2].prefix, 8);
	assert_int_equal(p.net[3].prefix, 32);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ks_api_proxies_parse(bad[i], &p), -1);
		assert_int_equal(ks_err_code(), KS_ERR_USAGE);
		assert_non_null(strstr(ks_err_msg(), "trusted-proxies"));
	}
	many[0] = '\0';
	for (i = 0; i < KS_API_PROXIES_MAX + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "10.0.0.%zu ", i);
	assert_int_equal(ks_api_proxies_parse(many, &p), -1);
	assert_int_equal(ks_err_code(), KS_ERR_USAGE);
	ks_err_clear();
}

/* Only a trusted peer's header counts. */
static void test_untrusted_peer(void **state)
{
	(void)state;
	trust("127.0.0.1");
	assert_string_equal(client("192.0.2.7", "203.0.113.5"), "192.0.2.7");
	assert_string_equal(client("192.0.2.7", NULL), "192.0.2.7");
	trust(NULL);
	assert_string_equal(client("127.0.0.1", "203.0.113.5"), "127.0.0.1");
}

static void test_from_the_right(void **state)
{
	(void)state;
	trust("127.0.0.1 10.0.0.0/8");
	assert_string_equal(client("127.0.0.1", NULL), "127.0.0.1");
	assert_string_equal(client("127.0.0.1", "203.0.113.5"), "203.0.113.5");
	/* what the client wrote itself (left) proves nothing */
	assert_string_equal(client("127.0.0.1", "198.51.100.1, 203.0.113.5"), "203.0.113.5");
	/* past the trusted hops */
	assert_string_equal(client("127.0.0.1", "203.0.113.5 ,10.1.2.3,  10.9.9.9"), "203.0.113.5");
	/* an IPv4-mapped peer is that IPv4 address */
	assert_string_equal(client("::ffff:127.0.0.1", "203.0.113.5"), "203.0.113.5");
	/* ports, brackets */
	assert_string_equal(client("127.0.0.1", "203.0.113.5:5678"), "203.0.113.5");
	assert_string_equal(client("127.0.0.1", "[2001:db8::1]:443"), "2001:db8::1");
	assert_string_equal(client("127.0.0.1", "2001:db8::1"), "2001:db8::1");
	assert_string_equal(client("127.0.0.1", "::ffff:203.0.113.5"), "203.0.113.5");
	/* nothing but trusted hops: the farthest of them */
	assert_string_equal(client("127.0.0.1", "10.0.0.1, 10.0.0.2"), "10.0.0.1");
}

/* An entry that is no address ends the walk at the last hop trusted. */
static void test_garbage(void **state)
{
	static const char *const junk[] = { "",
					    " ",
					    ",",
					    "unknown",
					    "[::1",
					    "1.2.3.4.5",
					    "300.0.0.1",
					    "_hidden",
					    "[]:80",
					    "\x01",
					    "1.2.3.4:5:6:7:8:9:0:1" };
	size_t i;

	(void)state;
	trust("127.0.0.1 10.0.0.0/8");
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_string_equal(client("127.0.0.1", junk[i]), "127.0.0.1");
	assert_string_equal(client("127.0.0.1", "203.0.113.5, unknown"), "127.0.0.1");
	assert_string_equal(client("127.0.0.1", "unknown, 203.0.113.5"), "203.0.113.5");
	assert_string_equal(client("127.0.0.1", "203.0.113.5, junk, 10.0.0.3"), "10.0.0.3");
	assert_int_equal(ks_err_code(), KS_OK);
}

/* Named limits: of a header past KS_API_XFF_MAX only its right end is
 * read, from the first whole entry on (padding on the client's side hides
 * nothing); of a long chain only the last KS_API_XFF_HOPS_MAX entries are
 * looked at. */
static void test_limits(void **state)
{
	char big[KS_API_XFF_MAX + 64], chain[64 * 16];
	size_t i;

	(void)state;
	trust("127.0.0.1 10.0.0.0/8");
	/* the client's padding, then what the proxies wrote */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big + sizeof(big) - 24, ",203.0.113.5, 10.0.0.1", 23);
	assert_string_equal(client("127.0.0.1", big), "203.0.113.5");
	/* commas in the padding: the cut entry is dropped, not read */
	for (i = 0; i + 1 < sizeof(big) - 24; i += 8)
		big[i] = ',';
	assert_string_equal(client("127.0.0.1", big), "203.0.113.5");
	/* no comma at all within the window: nothing to go by */
	memset(big, '1', sizeof(big) - 1);
	assert_string_equal(client("127.0.0.1", big), "127.0.0.1");
	/* 40 hops: the client, then 39 trusted ones; the client is past the
	 * window, so the farthest trusted hop in it answers */
	snprintf(chain, sizeof(chain), "203.0.113.5");
	for (i = 1; i < 40; i++)
		snprintf(chain + strlen(chain), sizeof(chain) - strlen(chain), ", 10.0.0.%zu", i);
	assert_string_equal(client("127.0.0.1", chain), "10.0.0.8");
	/* 20 hops: the client is found */
	chain[0] = '\0';
	snprintf(chain, sizeof(chain), "203.0.113.5");
	for (i = 1; i < 20; i++)
		snprintf(chain + strlen(chain), sizeof(chain) - strlen(chain), ",10.0.0.%zu", i);
	assert_string_equal(client("127.0.0.1", chain), "203.0.113.5");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setting),        cmocka_unit_test(test_untrusted_peer),
		cmocka_unit_test(test_from_the_right), cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
