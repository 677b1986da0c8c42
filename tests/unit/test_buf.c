/* Unit tests for core/ks_buf: growable buffers with a hard maximum. */
#include "ks_test.h"

#include "ks_buf.h"

static void assert_contents(const struct ks_buf *b, const void *data, size_t n)
{
	assert_int_equal(b->len, n);
	if (n > 0)
		assert_memory_equal(b->data, data, n);
	/* The capacity always keeps room for the NUL of ks_buf_cstr(). */
	if (b->data != NULL)
		assert_true(b->cap > b->len);
}

static void test_init(void **state)
{
	struct ks_buf b, s;

	(void)state;
	memset(&b, 0xa5, sizeof(b));
	ks_buf_init(&b, 100);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);
	assert_false(b.secret);

	memset(&s, 0xa5, sizeof(s));
	ks_buf_init_secret(&s, 7);
	assert_null(s.data);
	assert_int_equal(s.len, 0);
	assert_int_equal(s.max, 7);
	assert_true(s.secret);

	/* Cleanup of a never-used buffer, twice, and of NULL. */
	ks_buf_cleanup(&b);
	ks_buf_cleanup(&b);
	ks_buf_cleanup(NULL);
	ks_buf_cleanup(&s);
	assert_int_equal(b.max, 100);
}

static void test_append_growth(void **state)
{
	struct ks_buf b;
	size_t i;

	(void)state;
	ks_buf_init(&b, KS_BUF_DEFAULT_MAX);
	for (i = 0; i < 100000; i++)
		assert_ok(ks_buf_append_byte(&b, (uint8_t)(i * 7)));
	assert_int_equal(b.len, 100000);
	assert_true(b.cap > b.len);
	for (i = 0; i < 100000; i++)
		assert_int_equal(b.data[i], (uint8_t)(i * 7));

	assert_ok(ks_buf_append_str(&b, "tail"));
	assert_memory_equal(b.data + 100000, "tail", 4);
	assert_int_equal(b.len, 100004);

	/* Zero bytes, even from NULL, is a no-op; n > 0 from NULL is refused. */
	assert_ok(ks_buf_append(&b, NULL, 0));
	assert_int_equal(b.len, 100004);
	assert_fails_with(ks_buf_append(&b, NULL, 1), KS_ERR_ARG);
	assert_int_equal(b.len, 100004);
	ks_buf_cleanup(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);

	/* Still usable after cleanup. */
	assert_ok(ks_buf_append_str(&b, "again"));
	assert_contents(&b, "again", 5);
	ks_buf_cleanup(&b);
}

static void test_max_exceeded(void **state)
{
	struct ks_buf b;
	uint8_t *data;
	size_t cap;

	(void)state;
	ks_buf_init(&b, 10);
	/* Too big at once: refused before any allocation. */
	assert_fails_with(ks_buf_append(&b, "0123456789A", 11), KS_ERR_LIMIT);
	assert_null(b.data);
	assert_int_equal(b.len, 0);

	assert_ok(ks_buf_append(&b, "0123456789", 10));
	assert_contents(&b, "0123456789", 10);
	/* Never more memory than the maximum plus the NUL. */
	assert_true(b.cap <= 11);
	data = b.data;
	cap = b.cap;

	assert_fails_with(ks_buf_append_byte(&b, 'x'), KS_ERR_LIMIT);
	assert_fails_with(ks_buf_append_str(&b, "xy"), KS_ERR_LIMIT);
	assert_fails_with(ks_buf_printf(&b, "%d", 1), KS_ERR_LIMIT);
	assert_fails_with(ks_buf_reserve(&b, 1), KS_ERR_LIMIT);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.cap, cap);
	assert_contents(&b, "0123456789", 10);

	assert_fails_with(ks_buf_set(&b, "0123456789AB", 12), KS_ERR_LIMIT);
	/* Either the old contents or none, never a mix. */
	assert_true(b.len == 0 || (b.len == 10 && memcmp(b.data, "0123456789", 10) == 0));
	ks_buf_cleanup(&b);

	/* A zero maximum holds only the empty string. */
	ks_buf_init(&b, 0);
	assert_fails_with(ks_buf_append_byte(&b, 'x'), KS_ERR_LIMIT);
	{
		const char *s = NULL;

		assert_ok(ks_buf_cstr(&b, &s));
		assert_string_equal(s, "");
	}
	assert_int_equal(b.len, 0);
	ks_buf_cleanup(&b);
}

static void test_max_size_max(void **state)
{
	struct ks_buf b;
	uint8_t *data;
	size_t cap, i;

	(void)state;
	/* max + 1 must not wrap the capacity clamp to 0. */
	ks_buf_init(&b, SIZE_MAX);
	for (i = 0; i < 1000; i++)
		assert_ok(ks_buf_append_byte(&b, (uint8_t)i));
	assert_int_equal(b.len, 1000);
	assert_true(b.cap > 1000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(b.data[i], (uint8_t)i);

	data = b.data;
	cap = b.cap;
	/* len + extra + 1 (the NUL) wraps: overflow, nothing changes. */
	assert_fails_with(ks_buf_reserve(&b, SIZE_MAX), KS_ERR_OVERFLOW);
	assert_fails_with(ks_buf_reserve(&b, SIZE_MAX - 1000), KS_ERR_OVERFLOW);
	assert_fails_with(ks_buf_reserve(&b, SIZE_MAX - 999), KS_ERR_OVERFLOW);
	assert_fails_with(ks_buf_append(&b, "x", SIZE_MAX), KS_ERR_OVERFLOW);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.cap, cap);
	assert_int_equal(b.len, 1000);
	ks_buf_cleanup(&b);

	/* max = SIZE_MAX - 1: the clamp is max + 1 = SIZE_MAX. */
	ks_buf_init(&b, SIZE_MAX - 1);
	assert_ok(ks_buf_append(&b, "abc", 3));
	assert_contents(&b, "abc", 3);
	ks_buf_cleanup(&b);
}

/* A huge extra on a small-maximum buffer: overflow is detected before the
 * limit comparison, either way it fails and nothing changes. */
static void test_reserve_overflow(void **state)
{
	struct ks_buf b;

	(void)state;
	ks_buf_init(&b, 100);
	assert_ok(ks_buf_append(&b, "abc", 3));
	assert_fails_with(ks_buf_reserve(&b, SIZE_MAX - 2), KS_ERR_OVERFLOW);
	assert_fails_with(ks_buf_reserve(&b, SIZE_MAX - 3), KS_ERR_OVERFLOW);
	assert_fails_with(ks_buf_reserve(&b, SIZE_MAX - 4), KS_ERR_LIMIT);
	assert_fails_with(ks_buf_reserve(&b, 98), KS_ERR_LIMIT);
	assert_ok(ks_buf_reserve(&b, 97));
	assert_true(b.cap >= 101);
	assert_contents(&b, "abc", 3);
	ks_buf_cleanup(&b);
}

static void test_printf(void **state)
{
	struct ks_buf b;
	const char *s;
	size_t c;

	(void)state;
	ks_buf_init(&b, 20);
	assert_ok(ks_buf_printf(&b, "%d-%s", 42, "ab"));
	assert_ok(ks_buf_printf(&b, "%s", ""));
	assert_ok(ks_buf_printf(&b, "|%03u", 7u));
	assert_contents(&b, "42-ab|007", 9);
	assert_ok(ks_buf_cstr(&b, &s));
	assert_string_equal(s, "42-ab|007");

	/* Exactly up to the maximum is fine; one more is refused whole. */
	assert_ok(ks_buf_printf(&b, "%10s", "x"));
	assert_int_equal(b.len, 19);
	assert_fails_with(ks_buf_printf(&b, "%s", "yz"), KS_ERR_LIMIT);
	assert_int_equal(b.len, 19);
	assert_ok(ks_buf_printf(&b, "%c", 'z'));
	assert_int_equal(b.len, 20);
	assert_ok(ks_buf_cstr(&b, &s));
	assert_string_equal(s, "42-ab|007         xz");
	ks_buf_cleanup(&b);

	/* Output far larger than the maximum. */
	ks_buf_init(&b, 100);
	assert_fails_with(ks_buf_printf(&b, "%5000d", 1), KS_ERR_LIMIT);
	assert_int_equal(b.len, 0);
	ks_buf_cleanup(&b);

	/* Text that fits the room left is formatted in place; text that
	 * does not grows the buffer and is formatted whole. */
	ks_buf_init(&b, 10000);
	assert_ok(ks_buf_append_str(&b, "a"));
	assert_true(b.cap > 8);
	assert_ok(ks_buf_printf(&b, "%u", 123u));
	c = b.cap;
	assert_ok(ks_buf_printf(&b, "%*d", (int)c, 9));
	assert_int_equal(b.len, 4 + c);
	assert_true(b.cap > c);
	assert_int_equal(b.data[b.len - 1], '9');
	assert_memory_equal(b.data, "a123 ", 5);
	ks_buf_cleanup(&b);
}

static void test_append_u64(void **state)
{
	struct ks_buf b;

	(void)state;
	ks_buf_init(&b, 100);
	assert_ok(ks_buf_append_u64(&b, 0, 0));
	assert_ok(ks_buf_append_u64(&b, 7, 5));
	assert_ok(ks_buf_append_u64(&b, 1234567890, 10));
	assert_ok(ks_buf_append_u64(&b, 42, 1));
	assert_ok(ks_buf_append_u64(&b, UINT64_MAX, 20));
	assert_contents(&b,
			"000007123456789042"
			"18446744073709551615",
			38);
	assert_fails_with(ks_buf_append_u64(&b, 1, 21), KS_ERR_ARG);
	ks_buf_cleanup(&b);
	/* the maximum holds */
	ks_buf_init(&b, 3);
	assert_fails_with(ks_buf_append_u64(&b, 1000, 0), KS_ERR_LIMIT);
	ks_buf_cleanup(&b);
}

static void test_set(void **state)
{
	struct ks_buf b;

	(void)state;
	ks_buf_init(&b, 64);
	assert_ok(ks_buf_set(&b, "first contents", 14));
	assert_ok(ks_buf_set(&b, "2nd", 3));
	assert_contents(&b, "2nd", 3);
	assert_ok(ks_buf_set(&b, NULL, 0));
	assert_int_equal(b.len, 0);
	ks_buf_cleanup(&b);
}

static void test_cstr(void **state)
{
	struct ks_buf b;
	const char *s = NULL;

	(void)state;
	ks_buf_init(&b, 3);
	/* Empty buffer: a valid empty string, not NULL. */
	assert_ok(ks_buf_cstr(&b, &s));
	assert_non_null(s);
	assert_string_equal(s, "");

	/* Full to the maximum: the NUL still fits (it is not counted). */
	assert_ok(ks_buf_append(&b, "abc", 3));
	assert_ok(ks_buf_cstr(&b, &s));
	assert_string_equal(s, "abc");
	assert_int_equal(b.len, 3);

	/* An embedded NUL would silently cut the string: refused. */
	ks_buf_truncate(&b, 0);
	assert_ok(ks_buf_append(&b, "a\0b", 3));
	s = "untouched";
	assert_fails_with(ks_buf_cstr(&b, &s), KS_ERR_ENCODING);
	assert_string_equal(s, "untouched");
	assert_ok(ks_buf_set(&b, "\0", 1));
	assert_fails_with(ks_buf_cstr(&b, &s), KS_ERR_ENCODING);
	assert_ok(ks_buf_set(&b, "ab\0", 3));
	assert_fails_with(ks_buf_cstr(&b, &s), KS_ERR_ENCODING);
	ks_buf_cleanup(&b);
}

static void test_truncate(void **state)
{
	struct ks_buf b;

	(void)state;
	ks_buf_init(&b, 64);
	assert_ok(ks_buf_append_str(&b, "hello world"));
	ks_buf_truncate(&b, 20); /* longer: no-op */
	assert_contents(&b, "hello world", 11);
	ks_buf_truncate(&b, 11); /* same: no-op */
	assert_contents(&b, "hello world", 11);
	ks_buf_truncate(&b, 5);
	assert_contents(&b, "hello", 5);
	assert_ok(ks_buf_append_str(&b, "!"));
	assert_contents(&b, "hello!", 6);
	ks_buf_truncate(&b, 0);
	assert_int_equal(b.len, 0);
	ks_buf_cleanup(&b);

	/* Truncating an empty, unallocated buffer. */
	ks_buf_init(&b, 64);
	ks_buf_truncate(&b, 0);
	ks_buf_reset(&b);
	assert_null(b.data);
	ks_buf_cleanup(&b);
}

static void test_move(void **state)
{
	struct ks_buf a, b;
	uint8_t *data;

	(void)state;
	ks_buf_init(&a, 100);
	ks_buf_init_secret(&b, 50);
	assert_ok(ks_buf_append_str(&a, "source"));
	assert_ok(ks_buf_append_str(&b, "old destination contents"));
	data = a.data;

	ks_buf_move(&b, &a);
	assert_ptr_equal(b.data, data);
	assert_contents(&b, "source", 6);
	/* The destination takes the source's maximum and secrecy. */
	assert_int_equal(b.max, 100);
	assert_false(b.secret);
	assert_null(a.data);
	assert_int_equal(a.len, 0);
	assert_int_equal(a.cap, 0);
	assert_int_equal(a.max, 100);

	/* The emptied source is reusable. */
	assert_ok(ks_buf_append_str(&a, "new"));
	assert_contents(&a, "new", 3);
	ks_buf_cleanup(&a);

	/* Moving an empty buffer empties the destination. */
	ks_buf_move(&b, &a);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	ks_buf_cleanup(&a);
	ks_buf_cleanup(&b);
}

static void test_equal(void **state)
{
	struct ks_buf a, b;

	(void)state;
	ks_buf_init(&a, 100);
	ks_buf_init(&b, 100);
	assert_true(ks_buf_equal(&a, &b)); /* both empty, both NULL */
	assert_ok(ks_buf_append_str(&a, "x"));
	ks_buf_truncate(&a, 0);
	assert_true(ks_buf_equal(&a, &b)); /* empty, one allocated */

	assert_ok(ks_buf_set(&a, "secret-token-1", 14));
	assert_ok(ks_buf_set(&b, "secret-token-1", 14));
	assert_true(ks_buf_equal(&a, &b));
	assert_true(ks_buf_equal(&a, &a));
	assert_ok(ks_buf_set(&b, "secret-token-2", 14));
	assert_false(ks_buf_equal(&a, &b));
	assert_ok(ks_buf_set(&b, "Secret-token-1", 14));
	assert_false(ks_buf_equal(&a, &b));
	/* A prefix is not equal. */
	assert_ok(ks_buf_set(&b, "secret-token-", 13));
	assert_false(ks_buf_equal(&a, &b));
	assert_false(ks_buf_equal(&b, &a));
	ks_buf_truncate(&b, 0);
	assert_false(ks_buf_equal(&a, &b));
	ks_buf_cleanup(&a);
	ks_buf_cleanup(&b);
}

/* A secret buffer keeps its contents across growth, and grows by copying
 * into a new block, never by realloc (which would free the old block
 * unwiped).  The new block is allocated while the old one is still live,
 * so every growth must move the data: realloc usually grows in place. */
static void test_secret_growth(void **state)
{
	struct ks_buf b;
	size_t i, grows = 0, cap;
	uint8_t *prev;

	(void)state;
	ks_buf_init_secret(&b, 1 << 20);
	assert_ok(ks_buf_append_byte(&b, 0));
	prev = b.data;
	cap = b.cap;
	for (i = 1; i < 300000; i++) {
		assert_ok(ks_buf_append_byte(&b, (uint8_t)(i ^ (i >> 8))));
		if (b.cap != cap) {
			assert_ptr_not_equal(b.data, prev);
			grows++;
			prev = b.data;
			cap = b.cap;
		}
	}
	assert_true(grows >= 10); /* it really grew many times */
	assert_true(b.secret);
	for (i = 1; i < b.len; i++)
		assert_int_equal(b.data[i], (uint8_t)(i ^ (i >> 8)));
	assert_int_equal(b.data[0], 0);

	/* The limit applies to secret buffers too. */
	ks_buf_cleanup(&b);
	ks_buf_init_secret(&b, 4);
	assert_ok(ks_buf_append(&b, "1234", 4));
	assert_fails_with(ks_buf_append_byte(&b, '5'), KS_ERR_LIMIT);
	assert_contents(&b, "1234", 4);
	ks_buf_cleanup(&b);
	assert_null(b.data);
	assert_true(b.secret);
}

static int all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* reset and truncate keep the memory, so the wipe can be observed. */
static void test_secret_wiped(void **state)
{
	struct ks_buf b;
	static const char pin[] = "123456-correct-horse";
	size_t n = sizeof(pin) - 1;

	(void)state;
	ks_buf_init_secret(&b, 256);
	assert_ok(ks_buf_append(&b, pin, n));
	ks_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_non_null(b.data);
	assert_true(all_zero(b.data, n));

	/* truncate wipes exactly the removed tail. */
	assert_ok(ks_buf_append(&b, pin, n));
	ks_buf_truncate(&b, 6);
	assert_memory_equal(b.data, "123456", 6);
	assert_true(all_zero(b.data + 6, n - 6));

	/* set() goes through reset: the longer old value is gone. */
	assert_ok(ks_buf_set(&b, pin, n));
	assert_ok(ks_buf_set(&b, "ab", 2));
	assert_memory_equal(b.data, "ab", 2);
	assert_true(all_zero(b.data + 2, n - 2));

	/* The struct is reusable and still secret after cleanup. */
	ks_buf_cleanup(&b);
	assert_null(b.data);
	assert_true(b.secret);
	assert_ok(ks_buf_append(&b, pin, n));
	assert_contents(&b, pin, n);
	ks_buf_cleanup(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_append_growth),
		cmocka_unit_test(test_max_exceeded),
		cmocka_unit_test(test_max_size_max),
		cmocka_unit_test(test_reserve_overflow),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_append_u64),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_cstr),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_move),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_secret_growth),
		cmocka_unit_test(test_secret_wiped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
