/* Unit tests for core/ks_size.h: checked size arithmetic (STYLE rule 7). */
#include "ks_test.h"

#include <limits.h>

#include "ks_size.h"

static void test_add(void **state)
{
	size_t r = 0;

	(void)state;
	assert_ok(ks_add_size(0, 0, &r));
	assert_int_equal(r, 0);
	assert_ok(ks_add_size(2, 3, &r));
	assert_int_equal(r, 5);
	assert_ok(ks_add_size(SIZE_MAX - 1, 1, &r));
	assert_true(r == SIZE_MAX);
	assert_ok(ks_add_size(SIZE_MAX, 0, &r));
	assert_true(r == SIZE_MAX);

	assert_fails_with(ks_add_size(SIZE_MAX, 1, &r), KS_ERR_OVERFLOW);
	assert_fails_with(ks_add_size(1, SIZE_MAX, &r), KS_ERR_OVERFLOW);
	assert_fails_with(ks_add_size(SIZE_MAX, SIZE_MAX, &r), KS_ERR_OVERFLOW);
	assert_fails_with(ks_add_size(SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1, &r), KS_ERR_OVERFLOW);
	/* The message names the operands. */
	assert_non_null(strstr(ks_err_msg(), "+"));
}

static void test_mul(void **state)
{
	size_t r = 0;

	(void)state;
	assert_ok(ks_mul_size(0, SIZE_MAX, &r));
	assert_int_equal(r, 0);
	assert_ok(ks_mul_size(SIZE_MAX, 1, &r));
	assert_true(r == SIZE_MAX);
	assert_ok(ks_mul_size(SIZE_MAX / 4, 4, &r));
	assert_true(r == SIZE_MAX - 3);
	assert_ok(ks_mul_size((size_t)1 << 31, (size_t)1 << 31, &r)); /* 64-bit size_t */
	assert_true(r == (size_t)1 << 62);

	assert_fails_with(ks_mul_size(SIZE_MAX, 2, &r), KS_ERR_OVERFLOW);
	assert_fails_with(ks_mul_size(SIZE_MAX / 4 + 1, 4, &r), KS_ERR_OVERFLOW);
	assert_fails_with(ks_mul_size((size_t)1 << 32, (size_t)1 << 32, &r), KS_ERR_OVERFLOW);
	/* Products that wrap to a small value (the classic bypass). */
	assert_fails_with(ks_mul_size(SIZE_MAX / 3 + 1, 3, &r), KS_ERR_OVERFLOW);
	assert_fails_with(ks_mul_size(((size_t)1 << 63) + 1, 2, &r), KS_ERR_OVERFLOW);
	assert_non_null(strstr(ks_err_msg(), "*"));
}

static void test_sub(void **state)
{
	size_t r = 77;

	(void)state;
	assert_ok(ks_sub_size(5, 5, &r));
	assert_int_equal(r, 0);
	assert_ok(ks_sub_size(SIZE_MAX, 1, &r));
	assert_true(r == SIZE_MAX - 1);
	assert_ok(ks_sub_size(SIZE_MAX, SIZE_MAX, &r));
	assert_int_equal(r, 0);

	r = 77;
	assert_fails_with(ks_sub_size(4, 5, &r), KS_ERR_OVERFLOW);
	assert_fails_with(ks_sub_size(0, 1, &r), KS_ERR_OVERFLOW);
	assert_fails_with(ks_sub_size(0, SIZE_MAX, &r), KS_ERR_OVERFLOW);
	/* Underflow does not store a wrapped value. */
	assert_int_equal(r, 77);
}

static void test_size_to_int(void **state)
{
	int r = 77;

	(void)state;
	assert_ok(ks_size_to_int(0, &r));
	assert_int_equal(r, 0);
	assert_ok(ks_size_to_int((size_t)INT_MAX, &r));
	assert_int_equal(r, INT_MAX);
	assert_ok(ks_size_to_int((size_t)INT_MAX - 1, &r));
	assert_int_equal(r, INT_MAX - 1);

	r = 77;
	assert_fails_with(ks_size_to_int((size_t)INT_MAX + 1, &r), KS_ERR_OVERFLOW);
	/* UINT_MAX would become -1 through a plain cast. */
	assert_fails_with(ks_size_to_int((size_t)UINT_MAX, &r), KS_ERR_OVERFLOW);
	assert_fails_with(ks_size_to_int(SIZE_MAX, &r), KS_ERR_OVERFLOW);
	assert_fails_with(ks_size_to_int(((size_t)1 << 32) + 5, &r), KS_ERR_OVERFLOW);
	assert_int_equal(r, 77);
}

static void test_int_to_size(void **state)
{
	size_t r = 77;

	(void)state;
	assert_ok(ks_int_to_size(0, &r));
	assert_int_equal(r, 0);
	assert_ok(ks_int_to_size(LLONG_MAX, &r));
	assert_true(r == (size_t)LLONG_MAX);

	r = 77;
	/* A negative length from a library (e.g. -1 for error) is no size. */
	assert_fails_with(ks_int_to_size(-1, &r), KS_ERR_OVERFLOW);
	assert_fails_with(ks_int_to_size(LLONG_MIN, &r), KS_ERR_OVERFLOW);
	assert_int_equal(r, 77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add),         cmocka_unit_test(test_mul),
		cmocka_unit_test(test_sub),         cmocka_unit_test(test_size_to_int),
		cmocka_unit_test(test_int_to_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
