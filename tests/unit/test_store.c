/* The store (api/ks_store.h) over its SQLite backend: clients, prepared
 * signatures claimed once (also by racing threads and a second
 * connection), nonces, the cache, purging, and refused input. */
#include "ks_test.h"

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/ks_store.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kyso-store-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "sqlite:%s/kyso.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct ks_store *open_store(void)
{
	struct ks_store *s = NULL;

	assert_ok(ks_store_open(path, NULL, &s));
	return s;
}

static void client(struct ks_store_client *c, const char *id, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->name, sizeof(c->name), "%s", name);
	memset(c->secret_hash, 0x5a, sizeof(c->secret_hash));
	c->ops = KS_OP_SIGN | KS_OP_PREPARE;
	snprintf(c->grants[0], sizeof(c->grants[0]), "seal");
	snprintf(c->grants[1], sizeof(c->grants[1]), "principal");
	c->n_grants = 2;
	c->created = 1000;
}

static int count_clients(void *arg, const struct ks_store_client *c)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static void test_clients(void **state)
{
	struct ks_store *s = open_store();
	struct ks_store_client c, got;
	int n = 0;

	(void)state;
	assert_ok(ks_store_ping(s));
	client(&c, "c0ffee", "platform");
	assert_ok(ks_store_client_add(s, &c));
	assert_fails_with(ks_store_client_add(s, &c), KS_ERR_ARG); /* same id and name */
	client(&c, "beef", "platform");
	assert_fails_with(ks_store_client_add(s, &c), KS_ERR_ARG); /* same name */
	client(&c, "beef", "bad name");
	assert_fails_with(ks_store_client_add(s, &c), KS_ERR_ARG);
	client(&c, "beef", "lms");
	snprintf(c.grants[0], sizeof(c.grants[0]), "a,b");
	assert_fails_with(ks_store_client_add(s, &c), KS_ERR_ARG);

	assert_ok(ks_store_client_get(s, "c0ffee", &got));
	assert_string_equal(got.name, "platform");
	assert_int_equal(got.ops, KS_OP_SIGN | KS_OP_PREPARE);
	assert_int_equal(got.n_grants, 2);
	assert_string_equal(got.grants[1], "principal");
	assert_int_equal(got.revoked, 0);
	assert_fails_with(ks_store_client_get(s, "nope", &got), KS_ERR_NOT_FOUND);

	client(&c, "d00d", "lms");
	c.n_grants = 0;
	assert_ok(ks_store_client_add(s, &c));
	assert_ok(ks_store_client_list(s, count_clients, &n));
	assert_int_equal(n, 2);
	assert_ok(ks_store_client_revoke(s, "platform", 2000));
	assert_fails_with(ks_store_client_revoke(s, "platform", 2001), KS_ERR_NOT_FOUND);
	assert_ok(ks_store_client_get(s, "c0ffee", &got));
	assert_int_equal(got.revoked, 2000);
	ks_store_close(s);
}

static void prepared(struct ks_store_prepared *p, const char *id, const char *client_id,
		     int64_t expires)
{
	ks_store_prepared_init(p);
	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->client, sizeof(p->client), "%s", client_id);
	memset(p->cert_hash, 0x11, sizeof(p->cert_hash));
	p->created = 100;
	p->expires = expires;
	assert_ok(ks_buf_append_str(&p->meta, "{\"format\":\"pdf\"}"));
	assert_ok(ks_buf_append(&p->doc, "%PDF-1.7 \0binary", 16));
}

static void test_prepared(void **state)
{
	struct ks_store *s = open_store();
	struct ks_store_prepared p, got;
	enum ks_store_claim why;

	(void)state;
	prepared(&p, "p1", "c0ffee", 400);
	assert_ok(ks_store_prepared_put(s, &p));
	assert_fails_with(ks_store_prepared_put(s, &p), KS_ERR_ARG);
	ks_store_prepared_init(&got);
	assert_ok(ks_store_prepared_get(s, "p1", &got));
	assert_int_equal(got.doc.len, 16);
	assert_memory_equal(got.doc.data, p.doc.data, 16);
	assert_int_equal(got.expires, 400);
	assert_false(got.used);
	assert_memory_equal(got.cert_hash, p.cert_hash, 32);

	/* another client, too late, unknown: nothing changes */
	assert_ok(ks_store_prepared_claim(s, "p1", "d00d", 200, &why));
	assert_int_equal(why, KS_CLAIM_OTHER_CLIENT);
	assert_ok(ks_store_prepared_claim(s, "p1", "c0ffee", 400, &why));
	assert_int_equal(why, KS_CLAIM_EXPIRED);
	assert_ok(ks_store_prepared_claim(s, "nope", "c0ffee", 200, &why));
	assert_int_equal(why, KS_CLAIM_NOT_FOUND);
	/* once */
	assert_ok(ks_store_prepared_claim(s, "p1", "c0ffee", 200, &why));
	assert_int_equal(why, KS_CLAIM_OK);
	assert_ok(ks_store_prepared_claim(s, "p1", "c0ffee", 200, &why));
	assert_int_equal(why, KS_CLAIM_USED);
	assert_ok(ks_store_prepared_get(s, "p1", &got));
	assert_true(got.used);

	/* purge: used documents go, expired states go after the grace */
	assert_ok(ks_store_purge(s, 300, 60));
	assert_ok(ks_store_prepared_get(s, "p1", &got));
	assert_int_equal(got.doc.len, 0);
	assert_ok(ks_store_purge(s, 460, 60));
	assert_fails_with(ks_store_prepared_get(s, "p1", &got), KS_ERR_NOT_FOUND);
	ks_store_prepared_cleanup(&p);
	ks_store_prepared_cleanup(&got);
	ks_store_close(s);
}

/* Racing claims of one prepared signature: exactly one wins, from
 * threads sharing a store and from a second store on the same file (a
 * second process or instance). */
struct racer {
	struct ks_store *s;
	int won;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	enum ks_store_claim why;
	int i;

	for (i = 0; i < 20; i++) {
		char id[16];

		snprintf(id, sizeof(id), "race%d", i);
		if (ks_store_prepared_claim(r->s, id, "c0ffee", 200, &why) == 0 &&
		    why == KS_CLAIM_OK)
			r->won++;
	}
	return NULL;
}

static void test_claim_race(void **state)
{
	struct ks_store *a = open_store(), *b = open_store();
	struct racer r[6];
	pthread_t t[6];
	int i, won = 0;

	(void)state;
	for (i = 0; i < 20; i++) {
		struct ks_store_prepared p;
		char id[16];

		snprintf(id, sizeof(id), "race%d", i);
		prepared(&p, id, "c0ffee", 1000);
		assert_ok(ks_store_prepared_put(a, &p));
		ks_store_prepared_cleanup(&p);
	}
	for (i = 0; i < 6; i++) {
		r[i].s = i % 2 == 0 ? a : b;
		r[i].won = 0;
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		won += r[i].won;
	}
	assert_int_equal(won, 20);
	ks_store_close(a);
	ks_store_close(b);
}

static void test_nonce_cache(void **state)
{
	struct ks_store *s = open_store();
	struct ks_buf v;
	bool fresh;

	(void)state;
	ks_buf_init(&v, 1024);
	assert_ok(ks_store_nonce_use(s, "n1", 500, &fresh));
	assert_true(fresh);
	assert_ok(ks_store_nonce_use(s, "n1", 500, &fresh));
	assert_false(fresh);
	assert_fails_with(ks_store_nonce_use(s, "", 500, &fresh), KS_ERR_ARG);
	assert_ok(
	    ks_store_cache_put(s, "ocsp:abc", (const uint8_t *)"\x30\x03\x0a\x01\x00", 5, 500));
	assert_ok(ks_store_cache_get(s, "ocsp:abc", 400, &v));
	assert_int_equal(v.len, 5);
	assert_fails_with(ks_store_cache_get(s, "ocsp:abc", 500, &v), KS_ERR_NOT_FOUND);
	assert_fails_with(ks_store_cache_get(s, "other", 400, &v), KS_ERR_NOT_FOUND);
	/* purged after expiry: the nonce may be recorded again */
	assert_ok(ks_store_purge(s, 600, 0));
	assert_ok(ks_store_nonce_use(s, "n1", 900, &fresh));
	assert_true(fresh);
	ks_buf_cleanup(&v);
	ks_store_close(s);
}

/* Session counts from threads on two handles of the same database. */
static void *session_race(void *arg)
{
	struct racer *r = arg;
	bool granted;
	unsigned used;
	int i;

	for (i = 0; i < 10; i++)
		if (ks_store_session_use(r->s, "sess-race", 25, 1000, 100, 1, &granted, &used) ==
			0 &&
		    granted)
			r->won++;
	return NULL;
}

static void test_sessions(void **state)
{
	struct ks_store *a = open_store(), *b = open_store();
	struct racer r[6];
	pthread_t t[6];
	bool granted;
	unsigned used;
	int i, won = 0;

	(void)state;
	assert_ok(ks_store_session_use(a, "s1", 5, 500, 100, 3, &granted, &used));
	assert_true(granted);
	assert_int_equal(used, 3);
	assert_ok(ks_store_session_use(a, "s1", 5, 500, 100, 3, &granted, &used));
	assert_false(granted); /* 3 more do not fit: nothing counted */
	assert_ok(ks_store_session_use(b, "s1", 5, 500, 100, 2, &granted, &used));
	assert_true(granted);
	assert_int_equal(used, 5);
	assert_ok(ks_store_session_use(a, "s1", 5, 500, 100, 1, &granted, &used));
	assert_false(granted);
	/* more than the session allows at once */
	assert_ok(ks_store_session_use(a, "s2", 2, 500, 100, 3, &granted, &used));
	assert_false(granted);
	assert_fails_with(ks_store_session_use(a, "", 2, 500, 100, 1, &granted, &used), KS_ERR_ARG);
	assert_fails_with(ks_store_session_use(a, "s3", 2, 500, 100, 0, &granted, &used),
			  KS_ERR_ARG);
	/* 60 attempts from 6 threads on a session of 25 uses: 25 granted */
	for (i = 0; i < 6; i++) {
		r[i].s = i % 2 == 0 ? a : b;
		r[i].won = 0;
		assert_int_equal(pthread_create(&t[i], NULL, session_race, &r[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		won += r[i].won;
	}
	assert_int_equal(won, 25);
	ks_store_close(a);
	ks_store_close(b);
}

static void test_open_refusals(void **state)
{
	struct ks_store *s = NULL;
	struct stat st;
	char db[160];
	unsigned ops;
	char text[64];

	(void)state;
	assert_fails_with(ks_store_open("postgresql://db/kyso", NULL, &s), KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_store_open("mysql:x", NULL, &s), KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_store_open("", NULL, &s), KS_ERR_ARG);
	assert_fails_with(ks_store_open("sqlite:/nonexistent-dir/x/kyso.db", NULL, &s), KS_ERR_IO);
	assert_null(s);
	/* the database holds secrets' hashes: owner only */
	s = open_store();
	ks_store_close(s);
	snprintf(db, sizeof(db), "%s/kyso.db", dir);
	assert_int_equal(stat(db, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	assert_ok(ks_store_ops_parse("sign,timestamp", &ops));
	assert_int_equal(ops, KS_OP_SIGN | KS_OP_TIMESTAMP);
	ks_store_ops_text(ops, text, sizeof(text));
	assert_string_equal(text, "sign,timestamp");
	assert_fails_with(ks_store_ops_parse("sign,delete", &ops), KS_ERR_ARG);
	assert_fails_with(ks_store_ops_parse("", &ops), KS_ERR_ARG);
	assert_true(ks_store_name_ok("school-seal_2025.v1"));
	assert_false(ks_store_name_ok("a b"));
	assert_false(ks_store_name_ok(""));
	assert_false(ks_store_name_ok("x/y"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clients),       cmocka_unit_test(test_prepared),
		cmocka_unit_test(test_claim_race),    cmocka_unit_test(test_nonce_cache),
		cmocka_unit_test(test_open_refusals), cmocka_unit_test(test_sessions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
