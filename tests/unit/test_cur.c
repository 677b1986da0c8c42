/* Unit tests for core/ks_cur: every reader checks before it moves and
 * leaves the cursor unchanged on failure (STYLE rule 6). */
#include "ks_test.h"

#include "ks_cur.h"

static const uint8_t data8[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };

/* Assert a reader failed with `code` and left the cursor where it was. */
#define assert_fails_unmoved(call, cur, code)               \
	do {                                                \
		struct ks_cur saved_ = *(cur);              \
		assert_fails_with(call, code);              \
		assert_ptr_equal((cur)->p, saved_.p);       \
		assert_int_equal((cur)->left, saved_.left); \
	} while (0)

static void test_init(void **state)
{
	struct ks_cur c;
	struct ks_buf b;

	(void)state;
	ks_cur_init(&c, data8, sizeof(data8));
	assert_ptr_equal(c.p, data8);
	assert_int_equal(c.left, 8);
	assert_false(ks_cur_eof(&c));

	/* A NULL pointer never claims bytes. */
	ks_cur_init(&c, NULL, 100);
	assert_int_equal(c.left, 0);
	assert_true(ks_cur_eof(&c));

	ks_buf_init(&b, 16);
	ks_cur_from_buf(&c, &b);
	assert_int_equal(c.left, 0);
	assert_ok(ks_buf_append(&b, "abc", 3));
	ks_cur_from_buf(&c, &b);
	assert_ptr_equal(c.p, b.data);
	assert_int_equal(c.left, 3);
	ks_buf_cleanup(&b);
}

static void test_u8(void **state)
{
	struct ks_cur c;
	uint8_t v = 0xee;

	(void)state;
	ks_cur_init(&c, data8, 1);
	assert_ok(ks_cur_u8(&c, &v));
	assert_int_equal(v, 0x01);
	assert_true(ks_cur_eof(&c));
	v = 0xee;
	assert_fails_unmoved(ks_cur_u8(&c, &v), &c, KS_ERR_TRUNCATED);
	assert_int_equal(v, 0xee);

	ks_cur_init(&c, NULL, 0);
	assert_fails_unmoved(ks_cur_u8(&c, &v), &c, KS_ERR_TRUNCATED);
}

static void test_u16be(void **state)
{
	struct ks_cur c;
	uint16_t v = 0xeeee;

	(void)state;
	ks_cur_init(&c, data8, 2);
	assert_ok(ks_cur_u16be(&c, &v));
	assert_int_equal(v, 0x0102);
	assert_true(ks_cur_eof(&c));

	ks_cur_init(&c, data8, 1);
	v = 0xeeee;
	assert_fails_unmoved(ks_cur_u16be(&c, &v), &c, KS_ERR_TRUNCATED);
	assert_int_equal(v, 0xeeee);

	/* High bit set: no sign extension. */
	{
		static const uint8_t ff[] = { 0xff, 0xfe };

		ks_cur_init(&c, ff, 2);
		assert_ok(ks_cur_u16be(&c, &v));
		assert_int_equal(v, 0xfffe);
	}
}

static void test_u32be(void **state)
{
	struct ks_cur c;
	uint32_t v = 0xeeeeeeee;
	static const uint8_t ff[] = { 0xff, 0x80, 0x00, 0x7f };

	(void)state;
	ks_cur_init(&c, data8, 4);
	assert_ok(ks_cur_u32be(&c, &v));
	assert_int_equal(v, 0x01020304);
	assert_true(ks_cur_eof(&c));

	ks_cur_init(&c, data8, 3);
	v = 0xeeeeeeee;
	assert_fails_unmoved(ks_cur_u32be(&c, &v), &c, KS_ERR_TRUNCATED);
	assert_int_equal(v, 0xeeeeeeee);

	ks_cur_init(&c, ff, 4);
	assert_ok(ks_cur_u32be(&c, &v));
	assert_int_equal(v, 0xff80007fu);

	/* Successive reads walk forward. */
	ks_cur_init(&c, data8, 8);
	assert_ok(ks_cur_u32be(&c, &v));
	assert_ok(ks_cur_u32be(&c, &v));
	assert_int_equal(v, 0x05060708);
	assert_fails_unmoved(ks_cur_u32be(&c, &v), &c, KS_ERR_TRUNCATED);
}

static void test_skip(void **state)
{
	struct ks_cur c;

	(void)state;
	ks_cur_init(&c, data8, 8);
	assert_ok(ks_cur_skip(&c, 0));
	assert_int_equal(c.left, 8);
	assert_fails_unmoved(ks_cur_skip(&c, 9), &c, KS_ERR_TRUNCATED);
	assert_fails_unmoved(ks_cur_skip(&c, SIZE_MAX), &c, KS_ERR_TRUNCATED);
	assert_ok(ks_cur_skip(&c, 3));
	assert_ptr_equal(c.p, data8 + 3);
	assert_fails_unmoved(ks_cur_skip(&c, 6), &c, KS_ERR_TRUNCATED);
	assert_ok(ks_cur_skip(&c, 5));
	assert_true(ks_cur_eof(&c));
}

static void test_bytes(void **state)
{
	struct ks_cur c;
	const uint8_t *p = NULL;

	(void)state;
	ks_cur_init(&c, data8, 8);
	assert_fails_unmoved(ks_cur_bytes(&c, 9, &p), &c, KS_ERR_TRUNCATED);
	assert_null(p);
	assert_fails_unmoved(ks_cur_bytes(&c, SIZE_MAX, &p), &c, KS_ERR_TRUNCATED);
	assert_ok(ks_cur_bytes(&c, 8, &p));
	assert_ptr_equal(p, data8);
	assert_true(ks_cur_eof(&c));
}

static void test_copy(void **state)
{
	struct ks_cur c;
	uint8_t out[9];

	(void)state;
	memset(out, 0xee, sizeof(out));
	ks_cur_init(&c, data8, 8);
	assert_fails_unmoved(ks_cur_copy(&c, out, 9), &c, KS_ERR_TRUNCATED);
	assert_int_equal(out[0], 0xee); /* nothing copied */
	assert_fails_unmoved(ks_cur_copy(&c, out, SIZE_MAX), &c, KS_ERR_TRUNCATED);
	assert_ok(ks_cur_copy(&c, out, 0));
	assert_int_equal(c.left, 8);
	assert_ok(ks_cur_copy(&c, out, 8));
	assert_memory_equal(out, data8, 8);
	assert_int_equal(out[8], 0xee);
	assert_true(ks_cur_eof(&c));
}

static void test_sub(void **state)
{
	struct ks_cur c, s = { NULL, 0 };
	uint8_t v;

	(void)state;
	ks_cur_init(&c, data8, 8);
	assert_fails_unmoved(ks_cur_sub(&c, 9, &s), &c, KS_ERR_TRUNCATED);
	assert_null(s.p);
	assert_ok(ks_cur_sub(&c, 3, &s));
	assert_int_equal(s.left, 3);
	assert_int_equal(c.left, 5);
	/* The sub-cursor cannot read past its own end into its parent. */
	assert_ok(ks_cur_skip(&s, 2));
	assert_ok(ks_cur_u8(&s, &v));
	assert_int_equal(v, 0x03);
	assert_fails_unmoved(ks_cur_u8(&s, &v), &s, KS_ERR_TRUNCATED);
	assert_ok(ks_cur_u8(&c, &v));
	assert_int_equal(v, 0x04);
	assert_ok(ks_cur_sub(&c, 4, &s));
	assert_true(ks_cur_eof(&c));
}

static void test_peek(void **state)
{
	struct ks_cur c;
	uint8_t v = 0xee;

	(void)state;
	ks_cur_init(&c, data8, 8);
	assert_ok(ks_cur_peek(&c, &v));
	assert_int_equal(v, 0x01);
	assert_ok(ks_cur_peek_at(&c, 7, &v));
	assert_int_equal(v, 0x08);
	assert_int_equal(c.left, 8);
	v = 0xee;
	assert_fails_unmoved(ks_cur_peek_at(&c, 8, &v), &c, KS_ERR_TRUNCATED);
	assert_fails_unmoved(ks_cur_peek_at(&c, SIZE_MAX, &v), &c, KS_ERR_TRUNCATED);
	assert_int_equal(v, 0xee);

	ks_cur_init(&c, data8, 0);
	assert_fails_unmoved(ks_cur_peek(&c, &v), &c, KS_ERR_TRUNCATED);
}

static void test_at(void **state)
{
	struct ks_cur whole, out = { NULL, 12345 };

	(void)state;
	ks_cur_init(&whole, data8, 8);
	assert_ok(ks_cur_at(&whole, 0, &out));
	assert_ptr_equal(out.p, data8);
	assert_int_equal(out.left, 8);
	assert_ok(ks_cur_at(&whole, 5, &out));
	assert_ptr_equal(out.p, data8 + 5);
	assert_int_equal(out.left, 3);
	/* The very end is a valid (empty) position. */
	assert_ok(ks_cur_at(&whole, 8, &out));
	assert_int_equal(out.left, 0);

	out.p = NULL;
	out.left = 12345;
	assert_fails_with(ks_cur_at(&whole, 9, &out), KS_ERR_TRUNCATED);
	assert_fails_with(ks_cur_at(&whole, SIZE_MAX, &out), KS_ERR_TRUNCATED);
	assert_null(out.p);
	assert_int_equal(out.left, 12345);
	assert_int_equal(whole.left, 8);
}

static void test_range(void **state)
{
	struct ks_cur whole, out = { NULL, 12345 };

	(void)state;
	ks_cur_init(&whole, data8, 8);
	assert_ok(ks_cur_range(&whole, 2, 6, &out)); /* off + n == left */
	assert_ptr_equal(out.p, data8 + 2);
	assert_int_equal(out.left, 6);
	assert_ok(ks_cur_range(&whole, 8, 0, &out));
	assert_int_equal(out.left, 0);
	assert_ok(ks_cur_range(&whole, 0, 8, &out));
	assert_int_equal(out.left, 8);

	out.p = NULL;
	out.left = 12345;
	assert_fails_with(ks_cur_range(&whole, 2, 7, &out), KS_ERR_TRUNCATED);
	assert_fails_with(ks_cur_range(&whole, 9, 0, &out), KS_ERR_TRUNCATED);
	/* off + n wraps around to a small number: must not pass. */
	assert_fails_with(ks_cur_range(&whole, 1, SIZE_MAX, &out), KS_ERR_TRUNCATED);
	assert_fails_with(ks_cur_range(&whole, SIZE_MAX, 1, &out), KS_ERR_TRUNCATED);
	assert_fails_with(ks_cur_range(&whole, SIZE_MAX, SIZE_MAX, &out), KS_ERR_TRUNCATED);
	assert_fails_with(ks_cur_range(&whole, 8, SIZE_MAX, &out), KS_ERR_TRUNCATED);
	assert_fails_with(ks_cur_range(&whole, 0, SIZE_MAX, &out), KS_ERR_TRUNCATED);
	assert_null(out.p);
	assert_int_equal(out.left, 12345);
}

static void test_pos(void **state)
{
	struct ks_cur whole, c;

	(void)state;
	ks_cur_init(&whole, data8, 8);
	c = whole;
	assert_int_equal(ks_cur_pos(&whole, &c), 0);
	assert_ok(ks_cur_skip(&c, 5));
	assert_int_equal(ks_cur_pos(&whole, &c), 5);
	assert_ok(ks_cur_skip(&c, 3));
	assert_int_equal(ks_cur_pos(&whole, &c), 8);
}

static void test_expect_accept(void **state)
{
	static const char text[] = "%PDF-1.7\n";
	struct ks_cur c;

	(void)state;
	ks_cur_init(&c, text, sizeof(text) - 1);
	assert_true(ks_cur_starts_with(&c, "%PDF", 4));
	assert_false(ks_cur_starts_with(&c, "%PDX", 4));
	assert_false(ks_cur_starts_with(&c, "%PDF-1.7\nX", 10)); /* longer than input */
	assert_int_equal(c.left, 9);

	/* Mismatch in the last byte: parse error, nothing consumed. */
	assert_fails_unmoved(ks_cur_expect(&c, "%PDX", 4), &c, KS_ERR_PARSE);
	/* Longer than the input: truncated, nothing consumed. */
	assert_fails_unmoved(ks_cur_expect(&c, "%PDF-1.7\n\n", 10), &c, KS_ERR_TRUNCATED);
	assert_ok(ks_cur_expect(&c, "%PDF-", 5));
	assert_int_equal(c.left, 4);

	assert_false(ks_cur_accept(&c, "2.0", 3));
	assert_int_equal(c.left, 4);
	assert_false(ks_cur_accept(&c, "1.7\n+", 5));
	assert_int_equal(c.left, 4);
	assert_true(ks_cur_accept(&c, "1.7", 3));
	assert_int_equal(c.left, 1);
	assert_ok(ks_cur_expect(&c, "\n", 1));
	assert_true(ks_cur_eof(&c));
	assert_fails_unmoved(ks_cur_expect(&c, "x", 1), &c, KS_ERR_TRUNCATED);
	assert_false(ks_cur_accept(&c, "x", 1));
}

static bool is_space(uint8_t ch)
{
	return ch == ' ' || ch == '\n';
}

static void test_skip_while(void **state)
{
	struct ks_cur c;
	uint8_t v;

	(void)state;
	ks_cur_init(&c, "  \n x ", 6);
	assert_int_equal(ks_cur_skip_while(&c, is_space), 4);
	assert_ok(ks_cur_u8(&c, &v));
	assert_int_equal(v, 'x');
	assert_int_equal(ks_cur_skip_while(&c, is_space), 1);
	assert_true(ks_cur_eof(&c));
	assert_int_equal(ks_cur_skip_while(&c, is_space), 0);

	ks_cur_init(&c, "x  ", 3);
	assert_int_equal(ks_cur_skip_while(&c, is_space), 0);
	assert_int_equal(c.left, 3);
}

/* Parse `s` as a decimal; on success check the value and what is left. */
static void check_decimal(const char *s, size_t max_digits, uint64_t max, uint64_t want,
			  size_t want_left)
{
	struct ks_cur c;
	uint64_t v = 0;

	ks_cur_init(&c, s, strlen(s));
	assert_ok(ks_cur_decimal(&c, max_digits, max, &v));
	assert_true(v == want);
	assert_int_equal(c.left, want_left);
}

static void check_decimal_fails(const char *s, size_t max_digits, uint64_t max,
				enum ks_err_code code)
{
	struct ks_cur c;
	uint64_t v = 77;

	ks_cur_init(&c, s, strlen(s));
	assert_fails_unmoved(ks_cur_decimal(&c, max_digits, max, &v), &c, code);
	assert_true(v == 77);
}

static void test_decimal(void **state)
{
	(void)state;
	check_decimal("0", 1, 0, 0, 0);
	check_decimal("123 obj", 10, 1000, 123, 4);
	check_decimal("42", 2, 42, 42, 0);
	/* Stops at the first non-digit: sign and dot are not part of it. */
	check_decimal("7-1", 5, 100, 7, 2);
	check_decimal("3.5", 5, 100, 3, 2);

	/* Digit count: exactly max_digits passes, one more fails. */
	check_decimal("99999", 5, UINT64_MAX, 99999, 0);
	check_decimal_fails("100000", 5, UINT64_MAX, KS_ERR_LIMIT);
	/* Leading zeros count as digits (a hostile run of zeros is bounded). */
	check_decimal("00001", 5, 10, 1, 0);
	check_decimal_fails("000001", 5, 10, KS_ERR_LIMIT);
	check_decimal_fails("1", 0, 10, KS_ERR_LIMIT);

	/* Value: exactly max passes, max + 1 fails. */
	check_decimal("255", 3, 255, 255, 0);
	check_decimal_fails("256", 3, 255, KS_ERR_LIMIT);
	check_decimal_fails("1000", 10, 999, KS_ERR_LIMIT);
	check_decimal_fails("1", 10, 0, KS_ERR_LIMIT);

	/* The largest uint64 and one past it (which would wrap). */
	check_decimal("18446744073709551615", 20, UINT64_MAX, UINT64_MAX, 0);
	check_decimal_fails("18446744073709551616", 20, UINT64_MAX, KS_ERR_LIMIT);
	check_decimal_fails("18446744073709551620", 20, UINT64_MAX, KS_ERR_LIMIT);
	check_decimal_fails("99999999999999999999", 20, UINT64_MAX, KS_ERR_LIMIT);
	check_decimal_fails("184467440737095516150", 30, UINT64_MAX, KS_ERR_LIMIT);
	check_decimal_fails("99999999999999999999999999999", 100, UINT64_MAX, KS_ERR_LIMIT);

	/* A single digit above a small max: (max - d) must not wrap. */
	check_decimal_fails("7", 5, 5, KS_ERR_LIMIT);
	check_decimal("5", 5, 5, 5, 0);
	check_decimal_fails("57", 5, 56, KS_ERR_LIMIT);
	check_decimal("56", 5, 56, 56, 0);

	/* No digit at all. */
	check_decimal_fails("", 5, 100, KS_ERR_PARSE);
	check_decimal_fails("x1", 5, 100, KS_ERR_PARSE);
	check_decimal_fails("-1", 5, 100, KS_ERR_PARSE);
	check_decimal_fails("+1", 5, 100, KS_ERR_PARSE);
	check_decimal_fails(" 1", 5, 100, KS_ERR_PARSE);
}

/* The digit scan must stop at the cursor's end even when the memory
 * behind it holds more digits. */
static void test_decimal_bounded_by_cursor(void **state)
{
	static const char digits[] = "12345678";
	struct ks_cur c;
	uint64_t v = 0;

	(void)state;
	ks_cur_init(&c, digits, 3);
	assert_ok(ks_cur_decimal(&c, 20, UINT64_MAX, &v));
	assert_true(v == 123);
	assert_true(ks_cur_eof(&c));

	ks_cur_init(&c, digits, 0);
	assert_fails_unmoved(ks_cur_decimal(&c, 20, UINT64_MAX, &v), &c, KS_ERR_PARSE);
}

/* An empty cursor over NULL (an empty buffer never allocated) accepts
 * every zero-length operation and fails every one that needs a byte. */
static void test_empty_null_cursor(void **state)
{
	struct ks_cur c, s;
	const uint8_t *p = NULL;
	uint8_t v, dst[1];
	uint64_t d;

	(void)state;
	ks_cur_init(&c, NULL, 0);
	assert_non_null(c.p); /* NULL + 0 would be undefined behaviour */
	assert_ok(ks_cur_skip(&c, 0));
	assert_ok(ks_cur_bytes(&c, 0, &p));
	assert_ok(ks_cur_copy(&c, dst, 0));
	assert_ok(ks_cur_sub(&c, 0, &s));
	assert_int_equal(s.left, 0);
	assert_ok(ks_cur_expect(&c, "", 0));
	assert_true(ks_cur_accept(&c, "", 0));
	assert_true(ks_cur_starts_with(&c, "", 0));
	assert_ok(ks_cur_at(&c, 0, &s));
	assert_ok(ks_cur_range(&c, 0, 0, &s));
	assert_int_equal(ks_cur_skip_while(&c, is_space), 0);
	assert_int_equal(ks_cur_pos(&c, &c), 0);
	assert_fails_unmoved(ks_cur_u8(&c, &v), &c, KS_ERR_TRUNCATED);
	assert_fails_unmoved(ks_cur_skip(&c, 1), &c, KS_ERR_TRUNCATED);
	assert_fails_unmoved(ks_cur_expect(&c, "a", 1), &c, KS_ERR_TRUNCATED);
	assert_fails_unmoved(ks_cur_decimal(&c, 5, 10, &d), &c, KS_ERR_PARSE);
	assert_fails_with(ks_cur_range(&c, 0, 1, &s), KS_ERR_TRUNCATED);
	assert_fails_with(ks_cur_at(&c, 1, &s), KS_ERR_TRUNCATED);
	{
		size_t pos = 0;

		assert_false(ks_cur_find(&c, "a", 1, &pos));
		assert_false(ks_cur_rfind(&c, SIZE_MAX, "a", 1, &pos));
		assert_false(ks_cur_accept_before(&c, &pos, "a", 1));
		assert_true(ks_cur_accept_before(&c, &pos, "", 0));
		assert_int_equal(ks_cur_skip_back_while(&c, &pos, is_space), 0);
		assert_fails_with(ks_cur_peek_before(&c, 0, &v), KS_ERR_TRUNCATED);
		assert_fails_with(ks_cur_decimal_before(&c, &pos, 5, 10, &d), KS_ERR_PARSE);
		assert_true(ks_cur_is(&c, "", 0));
		assert_int_equal(pos, 0);
	}
	assert_int_equal(c.left, 0);

	/* Same for a cursor over an empty, never allocated buffer. */
	{
		struct ks_buf b;

		ks_buf_init(&b, 10);
		ks_cur_from_buf(&c, &b);
		assert_non_null(c.p);
		assert_int_equal(c.left, 0);
		assert_ok(ks_cur_expect(&c, "", 0));
		assert_ok(ks_cur_skip(&c, 0));
	}
}

/* A copy of exactly n bytes on the heap, so that a read one byte before
 * or after it is caught by the sanitizers (make asan). */
static uint8_t *exact(const char *s, size_t n)
{
	uint8_t *p = malloc(n > 0 ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

static void test_find(void **state)
{
	static const char text[] = "startxref 12 %%EOF startxref 34 %%EOF";
	struct ks_cur c, sub;
	size_t pos = 99, n = sizeof(text) - 1;
	uint8_t *p = exact(text, n);

	(void)state;
	ks_cur_init(&c, p, n);
	assert_true(ks_cur_find(&c, "startxref", 9, &pos));
	assert_int_equal(pos, 0);
	assert_true(ks_cur_find(&c, "%%EOF", 5, &pos));
	assert_int_equal(pos, 13);
	assert_true(ks_cur_find_from(&c, 1, "startxref", 9, &pos));
	assert_int_equal(pos, 19);
	assert_true(ks_cur_find_from(&c, 19, "startxref", 9, &pos));
	assert_int_equal(pos, 19);
	/* the last bytes of the input, and nothing past them */
	assert_true(ks_cur_find_from(&c, n - 5, "%%EOF", 5, &pos));
	assert_int_equal(pos, n - 5);
	pos = 99;
	assert_false(ks_cur_find_from(&c, n - 4, "%%EOF", 5, &pos));
	assert_false(ks_cur_find_from(&c, n, "F", 1, &pos));
	assert_false(ks_cur_find_from(&c, n + 1, "F", 1, &pos));
	assert_false(ks_cur_find_from(&c, SIZE_MAX, "F", 1, &pos));
	assert_false(ks_cur_find(&c, "startxref 99", 12, &pos));
	assert_false(ks_cur_find(&c, "", 0, &pos)); /* an empty literal is never found */
	assert_int_equal(pos, 99);
	/* no move */
	assert_ptr_equal(c.p, p);
	assert_int_equal(c.left, n);

	/* A literal that runs past the end of a sub-view is not found, even
	 * though the memory behind the view holds the rest of it. */
	assert_ok(ks_cur_range(&c, 0, 16, &sub)); /* "startxref 12 %%E" */
	assert_false(ks_cur_find(&sub, "%%EOF", 5, &pos));
	assert_true(ks_cur_find(&sub, "%%E", 3, &pos));
	assert_int_equal(pos, 13);
	/* Offsets count from the view's start. */
	assert_ok(ks_cur_at(&c, 10, &sub));
	assert_true(ks_cur_find(&sub, "startxref", 9, &pos));
	assert_int_equal(pos, 9);
	free(p);
}

/* Inputs where the literal's first byte is everywhere (the search hands
 * over to memmem) or far apart: every match found, at its offset, and
 * the same as a plain scan. */
static void test_find_false_starts(void **state)
{
	static uint8_t b[20000];
	struct ks_cur c;
	size_t pos = 0, i, want;
	bool found;

	(void)state;
	/* "sssss...startxref" with the match near the end, then none. */
	memset(b, 's', sizeof(b));
	memcpy(b + sizeof(b) - 20, "startxref", 9);
	ks_cur_init(&c, b, sizeof(b));
	assert_true(ks_cur_find(&c, "startxref", 9, &pos));
	assert_int_equal(pos, sizeof(b) - 20);
	assert_false(ks_cur_find_from(&c, pos + 1, "startxref", 9, &pos));
	/* At the very end, after every kind of false start. */
	for (i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i % 7 == 0 ? '%' : i % 3 == 0 ? 'x' : ' ');
	memcpy(b + sizeof(b) - 5, "%%EOF", 5);
	ks_cur_init(&c, b, sizeof(b));
	assert_true(ks_cur_find(&c, "%%EOF", 5, &pos));
	assert_int_equal(pos, sizeof(b) - 5);
	/* Sparse first bytes: each candidate, one after another. */
	memset(b, '.', sizeof(b));
	for (i = 100; i + 3 < sizeof(b); i += 997)
		memcpy(b + i, i % 2 ? "obj" : "obx", 3);
	ks_cur_init(&c, b, sizeof(b));
	for (want = 0, i = 0;; i = pos + 1) {
		found = ks_cur_find_from(&c, i, "obj", 3, &pos);
		while (want < sizeof(b) && (want < 100 || (want - 100) % 997 != 0 ||
					    want % 2 == 0 || want + 3 >= sizeof(b)))
			want++;
		if (want >= sizeof(b)) {
			assert_false(found);
			break;
		}
		assert_true(found);
		assert_int_equal(pos, want);
		want++;
	}
}

static void test_rfind(void **state)
{
	static const char text[] = "obj 1 obj 2 obj";
	struct ks_cur c, sub;
	size_t pos = 99, n = sizeof(text) - 1;
	uint8_t *p = exact(text, n), *big;

	(void)state;
	ks_cur_init(&c, p, n);
	assert_true(ks_cur_rfind(&c, n, "obj", 3, &pos));
	assert_int_equal(pos, 12);
	assert_true(ks_cur_rfind(&c, SIZE_MAX, "obj", 3, &pos)); /* end clamps to the input */
	assert_int_equal(pos, 12);
	/* wholly before end: "obj" at 12 ends at 15 */
	assert_true(ks_cur_rfind(&c, 14, "obj", 3, &pos));
	assert_int_equal(pos, 6);
	assert_true(ks_cur_rfind(&c, 9, "obj", 3, &pos));
	assert_int_equal(pos, 6);
	assert_true(ks_cur_rfind(&c, 8, "obj", 3, &pos));
	assert_int_equal(pos, 0);
	assert_true(ks_cur_rfind(&c, 3, "obj", 3, &pos));
	assert_int_equal(pos, 0);
	pos = 99;
	assert_false(ks_cur_rfind(&c, 2, "obj", 3, &pos));
	assert_false(ks_cur_rfind(&c, 0, "o", 1, &pos));
	assert_false(ks_cur_rfind(&c, n, "", 0, &pos));
	assert_false(ks_cur_rfind(&c, n, "obj 3", 5, &pos));
	/* first byte matches everywhere, the rest nowhere */
	assert_false(ks_cur_rfind(&c, n, "o!", 2, &pos));
	assert_int_equal(pos, 99);
	/* a sub-view never looks before its own start */
	assert_ok(ks_cur_at(&c, 1, &sub));
	assert_true(ks_cur_rfind(&sub, 8, "obj", 3, &pos));
	assert_int_equal(pos, 5);
	assert_false(ks_cur_rfind(&sub, 4, "obj", 3, &pos));
	assert_ok(ks_cur_range(&c, 0, 14, &sub)); /* "obj" at 12 is cut */
	assert_true(ks_cur_rfind(&sub, SIZE_MAX, "obj", 3, &pos));
	assert_int_equal(pos, 6);
	free(p);

	/* hostile: a megabyte of near-misses, and the one match at byte 0 */
	big = malloc(1 << 20);
	assert_non_null(big);
	memset(big, 'a', 1 << 20);
	big[1] = 'b';
	ks_cur_init(&c, big, 1 << 20);
	assert_true(ks_cur_rfind(&c, SIZE_MAX, "ab", 2, &pos));
	assert_int_equal(pos, 0);
	assert_false(ks_cur_rfind(&c, SIZE_MAX, "aab", 3, &pos));
	assert_true(ks_cur_find(&c, "ab", 2, &pos));
	assert_int_equal(pos, 0);
	assert_false(ks_cur_find_from(&c, 1, "ab", 2, &pos));
	free(big);
}

static bool is_digit(uint8_t b)
{
	return b >= '0' && b <= '9';
}

static void test_backward(void **state)
{
	static const char text[] = "12 0 obj";
	struct ks_cur c, sub;
	size_t pos, n = sizeof(text) - 1;
	uint8_t *p = exact(text, n), v = 0;

	(void)state;
	ks_cur_init(&c, p, n);
	assert_ok(ks_cur_peek_before(&c, n, &v));
	assert_int_equal(v, 'j');
	assert_ok(ks_cur_peek_before(&c, 1, &v));
	assert_int_equal(v, '1');
	v = 7;
	assert_fails_with(ks_cur_peek_before(&c, 0, &v), KS_ERR_TRUNCATED);
	assert_fails_with(ks_cur_peek_before(&c, n + 1, &v), KS_ERR_TRUNCATED);
	assert_fails_with(ks_cur_peek_before(&c, SIZE_MAX, &v), KS_ERR_TRUNCATED);
	assert_int_equal(v, 7);

	/* "N G obj" read backwards from the keyword, as a repairing reader
	 * does */
	pos = n;
	assert_true(ks_cur_accept_before(&c, &pos, "obj", 3));
	assert_int_equal(pos, 5);
	assert_false(ks_cur_accept_before(&c, &pos, "obj", 3));
	assert_int_equal(pos, 5);
	assert_int_equal(ks_cur_skip_back_while(&c, &pos, is_space), 1);
	assert_int_equal(pos, 4);
	assert_int_equal(ks_cur_skip_back_while(&c, &pos, is_space), 0);
	{
		uint64_t gen = 9, num = 9;

		assert_ok(ks_cur_decimal_before(&c, &pos, 5, 65535, &gen));
		assert_true(gen == 0);
		assert_int_equal(pos, 3);
		assert_int_equal(ks_cur_skip_back_while(&c, &pos, is_space), 1);
		assert_ok(ks_cur_decimal_before(&c, &pos, 10, UINT32_MAX, &num));
		assert_true(num == 12);
		assert_int_equal(pos, 0);
		/* nothing before the start */
		assert_fails_with(ks_cur_decimal_before(&c, &pos, 10, UINT32_MAX, &num),
				  KS_ERR_PARSE);
		assert_int_equal(pos, 0);
		assert_int_equal(ks_cur_skip_back_while(&c, &pos, is_digit), 0);
		assert_false(ks_cur_accept_before(&c, &pos, "1", 1));
		assert_false(ks_cur_accept_before(&c, &pos, "", 1));
		assert_true(num == 12);
	}
	/* past the input: nothing read, nothing moved */
	pos = n + 1;
	assert_false(ks_cur_accept_before(&c, &pos, "j", 1));
	assert_int_equal(ks_cur_skip_back_while(&c, &pos, is_digit), 0);
	assert_fails_with(ks_cur_decimal_before(&c, &pos, 5, 10, &(uint64_t){ 0 }),
			  KS_ERR_TRUNCATED);
	assert_int_equal(pos, n + 1);
	pos = SIZE_MAX;
	assert_false(ks_cur_accept_before(&c, &pos, "j", 1));
	assert_int_equal(pos, SIZE_MAX);

	/* A sub-view starting inside "12" reads only its own "2". */
	assert_ok(ks_cur_at(&c, 1, &sub));
	pos = 1;
	assert_ok(ks_cur_decimal_before(&sub, &pos, 10, UINT32_MAX, &(uint64_t){ 0 }));
	assert_int_equal(pos, 0);
	pos = 1;
	assert_int_equal(ks_cur_skip_back_while(&sub, &pos, is_digit), 1);
	assert_fails_with(ks_cur_peek_before(&sub, 0, &v), KS_ERR_TRUNCATED);
	free(p);
}

static void check_decimal_before(const char *s, size_t max_digits, uint64_t max, uint64_t want,
				 size_t want_pos)
{
	size_t n = strlen(s), pos = n;
	uint8_t *p = exact(s, n);
	struct ks_cur c;
	uint64_t v = 0;

	ks_cur_init(&c, p, n);
	assert_ok(ks_cur_decimal_before(&c, &pos, max_digits, max, &v));
	assert_true(v == want);
	assert_int_equal(pos, want_pos);
	free(p);
}

static void check_decimal_before_fails(const char *s, size_t max_digits, uint64_t max,
				       enum ks_err_code code)
{
	size_t n = strlen(s), pos = n;
	uint8_t *p = exact(s, n);
	struct ks_cur c;
	uint64_t v = 42;

	ks_cur_init(&c, p, n);
	assert_fails_with(ks_cur_decimal_before(&c, &pos, max_digits, max, &v), code);
	assert_int_equal(pos, n);
	assert_true(v == 42);
	free(p);
}

/* The backward decimal agrees with the forward one on every limit. */
static void test_decimal_before(void **state)
{
	(void)state;
	check_decimal_before("0", 1, 0, 0, 0);
	check_decimal_before("x7", 1, 9, 7, 1);
	check_decimal_before("startxref\n4096", 20, UINT64_MAX, 4096, 10);
	check_decimal_before("18446744073709551615", 20, UINT64_MAX, UINT64_MAX, 0);
	check_decimal_before("4294967295", 10, UINT32_MAX, UINT32_MAX, 0);
	check_decimal_before("65535", 5, 65535, 65535, 0);
	/* leading zeros count as digits and add nothing */
	check_decimal_before("00000000000000000000000000001", 40, 1, 1, 0);
	check_decimal_before("0000000000000000000000000000000", 40, 0, 0, 0);
	check_decimal_before_fails("", 5, 10, KS_ERR_PARSE);
	check_decimal_before_fails("12 ", 5, 100, KS_ERR_PARSE);
	check_decimal_before_fails("-", 5, 100, KS_ERR_PARSE);
	check_decimal_before_fails("18446744073709551616", 20, UINT64_MAX, KS_ERR_LIMIT);
	check_decimal_before_fails("99999999999999999999", 20, UINT64_MAX, KS_ERR_LIMIT);
	check_decimal_before_fails("4294967296", 10, UINT32_MAX, KS_ERR_LIMIT);
	check_decimal_before_fails("65536", 5, 65535, KS_ERR_LIMIT);
	check_decimal_before_fails("123456", 5, UINT64_MAX, KS_ERR_LIMIT);
	check_decimal_before_fails("0000000000000000000000000000", 5, 0, KS_ERR_LIMIT);
	/* 1 followed by 25 zeros: the place value itself no longer fits */
	check_decimal_before_fails("10000000000000000000000000", 40, UINT64_MAX, KS_ERR_LIMIT);
	check_decimal_before_fails("10000000000000000000", 40, UINT64_MAX / 2, KS_ERR_LIMIT);
}

static void test_is_equal(void **state)
{
	struct ks_cur a, b, e;

	(void)state;
	ks_cur_init(&a, "abc", 3);
	ks_cur_init(&b, "abcd", 3);
	ks_cur_init(&e, NULL, 0);
	assert_true(ks_cur_is(&a, "abc", 3));
	assert_false(ks_cur_is(&a, "ab", 2));
	assert_false(ks_cur_is(&a, "abcd", 4));
	assert_false(ks_cur_is(&a, "abd", 3));
	assert_true(ks_cur_is(&e, "", 0));
	assert_false(ks_cur_is(&e, "a", 1));
	assert_true(ks_cur_equal(&a, &b));
	assert_true(ks_cur_equal(&e, &e));
	assert_false(ks_cur_equal(&a, &e));
	ks_cur_init(&b, "abcd", 4);
	assert_false(ks_cur_equal(&a, &b));
	assert_false(ks_cur_equal(&b, &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_u8),
		cmocka_unit_test(test_u16be),
		cmocka_unit_test(test_u32be),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_sub),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_at),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_pos),
		cmocka_unit_test(test_expect_accept),
		cmocka_unit_test(test_skip_while),
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_decimal_bounded_by_cursor),
		cmocka_unit_test(test_empty_null_cursor),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_find_false_starts),
		cmocka_unit_test(test_rfind),
		cmocka_unit_test(test_backward),
		cmocka_unit_test(test_decimal_before),
		cmocka_unit_test(test_is_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
