/* The public endpoints' rate limit (api/ks_api_routes.c ks_api_rate_ok):
 * a token bucket per client network, in a fixed table whose colliding
 * networks share a bucket. */
#include "ks_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/ks_api_int.h"

struct fixture {
	struct ks_api_conf conf;
	struct ks_api_svc svc;
	struct ks_api_rate_slot slots[KS_API_RATE_SLOTS];
};

static struct fixture *fx_new(uint64_t seed)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	/* one request now and then: no refill within a test */
	f->conf.rate = 1;
	f->conf.burst = 3;
	f->svc.conf = &f->conf;
	f->svc.rate = f->slots;
	f->svc.rate_seed = seed;
	pthread_mutex_init(&f->svc.rate_lock, NULL);
	return f;
}

static void fx_free(struct fixture *f)
{
	pthread_mutex_destroy(&f->svc.rate_lock);
	free(f);
}

/* How many requests in a row are let through (at most `most`). */
static int allowed(struct fixture *f, const char *addr, int most)
{
	int n = 0;

	while (n < most && ks_api_rate_ok(&f->svc, addr))
		n++;
	return n;
}

/* The slot an address's network falls on, found from outside: two
 * networks share one when using up the first refuses the second. */
static bool share(uint64_t seed, const char *a, const char *b)
{
	struct fixture *f = fx_new(seed);
	bool shared;

	f->conf.rate = 0;
	(void)allowed(f, a, 10);
	shared = !ks_api_rate_ok(&f->svc, b);
	fx_free(f);
	return shared;
}

/* With no refill, `addr` is let through its burst (3) and then refused. */
static void burst_then_refused(const char *addr)
{
	struct fixture *f = fx_new(7);

	f->conf.rate = 0;
	assert_int_equal(allowed(f, addr, 10), 3);
	assert_false(ks_api_rate_ok(&f->svc, addr));
	fx_free(f);
}

static void test_burst_then_refused(void **state)
{
	(void)state;
	burst_then_refused("192.0.2.1");
}

static void test_refill(void **state)
{
	struct fixture *f = fx_new(7);

	(void)state;
	f->conf.rate = 1000;
	assert_int_equal(allowed(f, "192.0.2.1", 3), 3);
	/* 1000 per second: a few milliseconds give the bucket back */
	usleep(5000);
	assert_true(ks_api_rate_ok(&f->svc, "192.0.2.1"));
	fx_free(f);
}

/* An IPv6 client has a /64 of addresses: they are one client. */
static void test_ipv6_by_network(void **state)
{
	(void)state;
	assert_true(share(7, "2001:db8:1:2::5", "2001:db8:1:2:ffff:1:2:3"));
	assert_true(share(7, "2001:db8:1:2::5", "2001:db8:1:2::6"));
	/* an IPv4-mapped address is that IPv4 address */
	assert_true(share(7, "192.0.2.1", "::ffff:192.0.2.1"));
}

/* Other networks have buckets of their own, unless their hash meets:
 * then they share one, and neither starts a fresh burst by coming after
 * the other (what a table that handed the slot over would give). */
static void test_networks_apart_and_collisions_shared(void **state)
{
	char a[64], b[64];
	int i, j, apart = 0;
	bool found = false;

	(void)state;
	for (i = 1; i <= 20; i++) {
		snprintf(a, sizeof(a), "198.51.100.%d", i);
		apart += !share(7, "192.0.2.1", a);
	}
	/* 20 networks over 4096 slots: at most a rare one meets the first */
	assert_true(apart >= 19);
	assert_false(share(7, "2001:db8:1:2::5", "2001:db8:1:3::5"));
	/* find two IPv4 networks on one slot, and use them in turn */
	for (i = 0; i < 64 && !found; i++)
		for (j = 0; j < 256 && !found; j++) {
			snprintf(b, sizeof(b), "10.%d.%d.1", i, j);
			found = strcmp(b, "10.0.0.1") != 0 && share(7, "10.0.0.1", b);
		}
	assert_true(found);
	{
		struct fixture *f = fx_new(7);

		f->conf.rate = 0;
		assert_true(ks_api_rate_ok(&f->svc, "10.0.0.1"));
		assert_true(ks_api_rate_ok(&f->svc, b));
		assert_true(ks_api_rate_ok(&f->svc, "10.0.0.1"));
		assert_false(ks_api_rate_ok(&f->svc, b));
		assert_false(ks_api_rate_ok(&f->svc, "10.0.0.1"));
		fx_free(f);
	}
	/* another seed puts them apart: which networks meet is not fixed */
	for (i = 0, apart = 0; i < 8; i++)
		apart += !share(1000 + (uint64_t)i, "10.0.0.1", b);
	assert_true(apart >= 7);
}

/* Text that is no address (a transport that could not tell) is counted
 * as itself. */
static void test_unknown_address(void **state)
{
	(void)state;
	burst_then_refused("unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_refused),
		cmocka_unit_test(test_refill),
		cmocka_unit_test(test_ipv6_by_network),
		cmocka_unit_test(test_networks_apart_and_collisions_shared),
		cmocka_unit_test(test_unknown_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
