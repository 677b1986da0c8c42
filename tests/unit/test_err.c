/* Unit tests for core/ks_err: the thread-local last error. */
#include "ks_test.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>

static void test_set_and_clear(void **state)
{
	int line;

	(void)state;
	ks_err_clear();
	assert_int_equal(ks_err_code(), KS_OK);
	assert_string_equal(ks_err_msg(), "");
	assert_string_equal(ks_err_file(), "");
	assert_int_equal(ks_err_line(), 0);

	line = __LINE__ + 1;
	assert_int_equal(KS_SET(KS_ERR_PARSE, "bad byte %d at %s", 7, "here"), -1);
	assert_int_equal(ks_err_code(), KS_ERR_PARSE);
	assert_string_equal(ks_err_msg(), "bad byte 7 at here");
	assert_string_equal(ks_err_file(), __FILE__);
	assert_int_equal(ks_err_line(), line);

	/* A later error replaces the earlier one entirely. */
	assert_int_equal(ks_err_set(KS_ERR_IO, "x.c", 42, "second"), -1);
	assert_int_equal(ks_err_code(), KS_ERR_IO);
	assert_string_equal(ks_err_msg(), "second");
	assert_string_equal(ks_err_file(), "x.c");
	assert_int_equal(ks_err_line(), 42);

	ks_err_clear();
	assert_int_equal(ks_err_code(), KS_OK);
	assert_string_equal(ks_err_msg(), "");
	assert_string_equal(ks_err_file(), "");
	assert_int_equal(ks_err_line(), 0);
}

/* A '%' in data passed through "%s" stays literal. */
static void test_message_is_not_reinterpreted(void **state)
{
	(void)state;
	assert_int_equal(KS_SET(KS_ERR_ARG, "%s", "100%d %s %n"), -1);
	assert_string_equal(ks_err_msg(), "100%d %s %n");
}

/* Only out-of-memory and internal errors are fatal: every other code
 * describes the input, and callers may report it as a finding. */
static void test_is_fatal(void **state)
{
	int code;

	(void)state;
	ks_err_clear();
	assert_false(ks_err_is_fatal());
	for (code = KS_OK + 1; code < KS_ERR__COUNT; code++) {
		assert_int_equal(ks_err_set((enum ks_err_code)code, "x.c", 1, "e"), -1);
		if (code == KS_ERR_NOMEM || code == KS_ERR_INTERNAL)
			assert_true(ks_err_is_fatal());
		else
			assert_false(ks_err_is_fatal());
	}
	ks_err_clear();
	assert_false(ks_err_is_fatal());
}

static int bail_helper(int fail_at, int *line)
{
	int rc = -1;

	if (fail_at == 1) {
		*line = __LINE__ + 1;
		KS_BAIL(KS_ERR_LIMIT, "bail %d", fail_at);
	}
	if (fail_at == 2) {
		*line = __LINE__ + 1;
		KS_ENSURE(fail_at != 2, KS_ERR_POLICY, "ensure %d", fail_at);
	}
	KS_ENSURE(fail_at != 99, KS_ERR_INTERNAL, "never");
	rc = 0;
out:
	return rc;
}

static int guard_helper(int fail_at, int *line, int *reached_end)
{
	int rc = -1;

	*reached_end = 0;
	KS_GUARD(bail_helper(fail_at, line));
	*reached_end = 1;
	rc = 0;
out:
	return rc;
}

static void test_bail_guard_ensure(void **state)
{
	int line = 0, end = -1;

	(void)state;
	ks_err_clear();
	assert_int_equal(bail_helper(0, &line), 0);
	assert_int_equal(ks_err_code(), KS_OK);

	assert_int_equal(bail_helper(1, &line), -1);
	assert_int_equal(ks_err_code(), KS_ERR_LIMIT);
	assert_string_equal(ks_err_msg(), "bail 1");
	assert_int_equal(ks_err_line(), line);

	assert_int_equal(bail_helper(2, &line), -1);
	assert_int_equal(ks_err_code(), KS_ERR_POLICY);
	assert_string_equal(ks_err_msg(), "ensure 2");
	assert_int_equal(ks_err_line(), line);

	/* KS_GUARD passes the failure up without touching the record. */
	assert_int_equal(guard_helper(1, &line, &end), -1);
	assert_int_equal(end, 0);
	assert_int_equal(ks_err_code(), KS_ERR_LIMIT);
	assert_int_equal(ks_err_line(), line);
	assert_string_equal(ks_err_file(), __FILE__);

	ks_err_clear();
	assert_int_equal(guard_helper(0, &line, &end), 0);
	assert_int_equal(end, 1);
	assert_int_equal(ks_err_code(), KS_OK);
}

/* Adding context to the current error passes its own message as an
 * argument: the source and the destination of the formatting overlap. */
static void test_wrap_own_message(void **state)
{
	char big[KS_ERR_MSG_MAX + 10];

	(void)state;
	assert_int_equal(KS_SET(KS_ERR_IO, "cannot open '%s'", "a.pdf"), -1);
	assert_int_equal(KS_SET(ks_err_code(), "signing batch: %s", ks_err_msg()), -1);
	assert_string_equal(ks_err_msg(), "signing batch: cannot open 'a.pdf'");
	assert_int_equal(ks_err_code(), KS_ERR_IO);
	assert_int_equal(KS_SET(KS_ERR_IO, "%s / %s", ks_err_msg(), ks_err_msg()), -1);
	assert_string_equal(ks_err_msg(), "signing batch: cannot open 'a.pdf' / "
					  "signing batch: cannot open 'a.pdf'");

	/* A full message wrapped again stays bounded and keeps its head. */
	memset(big, 'C', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(KS_SET(KS_ERR_IO, "%s", big), -1);
	assert_int_equal(KS_SET(KS_ERR_IO, "ctx: %s", ks_err_msg()), -1);
	assert_int_equal(strlen(ks_err_msg()), KS_ERR_MSG_MAX - 1);
	assert_true(strncmp(ks_err_msg(), "ctx: CCCC", 9) == 0);
	assert_int_equal(ks_err_msg()[KS_ERR_MSG_MAX - 2], 'C');

	/* Same through the OpenSSL variant. */
	assert_int_equal(KS_SET(KS_ERR_CRYPTO, "inner"), -1);
	assert_int_equal(
	    ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "outer: %s", ks_err_msg()), -1);
	assert_string_equal(ks_err_msg(), "outer: inner");
}

/* api/ maps codes by name: every code needs its own stable, non-empty name. */
static void test_names_distinct(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < KS_ERR__COUNT; i++) {
		const char *a = ks_err_name((enum ks_err_code)i);

		assert_non_null(a);
		assert_true(strlen(a) > 0);
		assert_string_not_equal(a, "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(a, ks_err_name((enum ks_err_code)j));
	}
	assert_string_equal(ks_err_name(KS_OK), "ok");
	assert_string_equal(ks_err_name(KS_ERR_IO), "io");
	assert_string_equal(ks_err_name(KS_ERR_LIMIT), "limit-exceeded");
	/* Out of range, either side. */
	assert_string_equal(ks_err_name(KS_ERR__COUNT), "unknown");
	assert_string_equal(ks_err_name((enum ks_err_code)(KS_ERR__COUNT + 1000)), "unknown");
	assert_string_equal(ks_err_name((enum ks_err_code) - 1), "unknown");
}

static void test_message_truncation(void **state)
{
	size_t big = 100000;
	char *s = malloc(big + 1);
	size_t i, n;

	(void)state;
	assert_non_null(s);
	memset(s, 'A', big);
	s[big] = '\0';

	assert_int_equal(KS_SET(KS_ERR_PARSE, "%s", s), -1);
	n = strlen(ks_err_msg());
	assert_int_equal(n, KS_ERR_MSG_MAX - 1);
	for (i = 0; i < n; i++)
		assert_int_equal(ks_err_msg()[i], 'A');

	/* Field widths also produce huge output. */
	assert_int_equal(KS_SET(KS_ERR_PARSE, "%*d|%s", 50000, 1, s), -1);
	assert_int_equal(strlen(ks_err_msg()), KS_ERR_MSG_MAX - 1);
	assert_int_equal(ks_err_msg()[0], ' ');

	/* Exactly the maximum minus the NUL fits untouched. */
	s[KS_ERR_MSG_MAX - 1] = '\0';
	assert_int_equal(KS_SET(KS_ERR_PARSE, "%s", s), -1);
	assert_string_equal(ks_err_msg(), s);
	assert_int_equal(ks_err_code(), KS_ERR_PARSE);
	free(s);
}

/* Put a real error on the OpenSSL queue: parse garbage as a certificate. */
static void push_ossl_error(void)
{
	static const unsigned char garbage[] = { 0x30, 0x82, 0xff, 0xff, 0x01, 0x02, 0x03 };
	const unsigned char *p = garbage;
	X509 *x = d2i_X509(NULL, &p, (long)sizeof(garbage));

	assert_null(x);
	assert_int_not_equal(ERR_peek_error(), 0);
}

static void test_ossl_fold(void **state)
{
	const char *m;

	(void)state;
	ERR_clear_error();
	push_ossl_error();
	assert_int_equal(ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, 7, "reading cert %d", 3), -1);
	m = ks_err_msg();
	assert_int_equal(ks_err_code(), KS_ERR_CRYPTO);
	assert_int_equal(ks_err_line(), 7);
	assert_true(strncmp(m, "reading cert 3 [openssl: ", 25) == 0);
	assert_int_equal(m[strlen(m) - 1], ']');
	assert_int_equal(ks_err_ossl_part(m + 14, strlen(m) - 14), strlen(m) - 14);
	/* ERR_error_string_n format: "error:<hex code>:<lib>:<func>:<reason>". */
	assert_non_null(strstr(m, "error:"));
	/* The queue is drained so a later failure does not inherit it. */
	assert_int_equal(ERR_peek_error(), 0);

	/* Several entries are joined, oldest first. */
	push_ossl_error();
	ERR_raise(ERR_LIB_USER, 1234);
	assert_int_equal(ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "two"), -1);
	assert_non_null(strstr(ks_err_msg(), " | "));
	assert_int_equal(ERR_peek_error(), 0);

	/* Empty queue: the message is left as formatted. */
	assert_int_equal(ks_err_set_ossl(KS_ERR_CERT, __FILE__, __LINE__, "plain"), -1);
	assert_string_equal(ks_err_msg(), "plain");
	assert_int_equal(ks_err_code(), KS_ERR_CERT);
}

/* A long message plus a long queue stays within the bound, and the whole
 * queue is still drained. */
static void test_ossl_fold_truncation(void **state)
{
	char s[KS_ERR_MSG_MAX + 64];
	int i;

	(void)state;
	memset(s, 'B', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	for (i = 0; i < 200; i++)
		ERR_raise(ERR_LIB_USER, 1000 + i);
	assert_int_equal(ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "x%s", s), -1);
	assert_int_equal(strlen(ks_err_msg()), KS_ERR_MSG_MAX - 1);
	assert_int_equal(ERR_peek_error(), 0);

	/* Message one short of full: no room for the whole opening, so the
	 * message stays as formatted (no half-opened part) and the queue is
	 * still drained. */
	s[KS_ERR_MSG_MAX - 3] = '\0';
	push_ossl_error();
	assert_int_equal(ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "%s", s), -1);
	assert_string_equal(ks_err_msg(), s);
	assert_int_equal(ERR_peek_error(), 0);

	/* Medium message and a full queue (OpenSSL keeps the last 16 entries):
	 * the entries fill the message up to the bound. */
	s[600] = '\0';
	for (i = 0; i < 200; i++)
		ERR_raise(ERR_LIB_USER, 1000 + i);
	assert_int_equal(ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "%s", s), -1);
	assert_int_equal(strlen(ks_err_msg()), KS_ERR_MSG_MAX - 1);
	assert_true(strncmp(ks_err_msg() + 600, " [openssl: error:", 17) == 0);
	/* cut short, the part still ends with its bracket */
	assert_int_equal(ks_err_msg()[KS_ERR_MSG_MAX - 2], ']');
	assert_int_equal(ks_err_ossl_part(ks_err_msg() + 600, KS_ERR_MSG_MAX - 1 - 600),
			 KS_ERR_MSG_MAX - 1 - 600);
	assert_int_equal(ERR_peek_error(), 0);
}

struct thread_case {
	pthread_barrier_t *barrier;
	enum ks_err_code code;
	const char *msg;
	int line;
	/* what the thread saw after the other one had set its error */
	enum ks_err_code seen_code;
	char seen_msg[64];
	int seen_line;
};

static void *thread_main(void *arg)
{
	struct thread_case *tc = arg;

	ks_err_clear();
	(void)ks_err_set(tc->code, "thread.c", tc->line, "%s", tc->msg);
	/* Both threads have set their error before either looks. */
	pthread_barrier_wait(tc->barrier);
	tc->seen_code = ks_err_code();
	snprintf(tc->seen_msg, sizeof(tc->seen_msg), "%s", ks_err_msg());
	tc->seen_line = ks_err_line();
	pthread_barrier_wait(tc->barrier);
	return NULL;
}

static void test_thread_local(void **state)
{
	pthread_barrier_t barrier;
	pthread_t t1, t2;
	struct thread_case a = { .code = KS_ERR_PIN, .msg = "thread one", .line = 11 };
	struct thread_case b = { .code = KS_ERR_XML, .msg = "thread two", .line = 22 };

	(void)state;
	assert_int_equal(KS_SET(KS_ERR_TOKEN, "main thread"), -1);
	assert_int_equal(pthread_barrier_init(&barrier, NULL, 2), 0);
	a.barrier = b.barrier = &barrier;
	assert_int_equal(pthread_create(&t1, NULL, thread_main, &a), 0);
	assert_int_equal(pthread_create(&t2, NULL, thread_main, &b), 0);
	assert_int_equal(pthread_join(t1, NULL), 0);
	assert_int_equal(pthread_join(t2, NULL), 0);
	pthread_barrier_destroy(&barrier);

	assert_int_equal(a.seen_code, KS_ERR_PIN);
	assert_string_equal(a.seen_msg, "thread one");
	assert_int_equal(a.seen_line, 11);
	assert_int_equal(b.seen_code, KS_ERR_XML);
	assert_string_equal(b.seen_msg, "thread two");
	assert_int_equal(b.seen_line, 22);
	/* The main thread's own error is untouched. */
	assert_int_equal(ks_err_code(), KS_ERR_TOKEN);
	assert_string_equal(ks_err_msg(), "main thread");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_and_clear),
		cmocka_unit_test(test_message_is_not_reinterpreted),
		cmocka_unit_test(test_is_fatal),
		cmocka_unit_test(test_bail_guard_ensure),
		cmocka_unit_test(test_names_distinct),
		cmocka_unit_test(test_message_truncation),
		cmocka_unit_test(test_wrap_own_message),
		cmocka_unit_test(test_ossl_fold),
		cmocka_unit_test(test_ossl_fold_truncation),
		cmocka_unit_test(test_thread_local),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
