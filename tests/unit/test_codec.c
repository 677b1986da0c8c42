/* Unit tests for core/ks_codec: strict base64 (RFC 4648 section 4) and hex. */
#include "ks_test.h"

#include "ks_codec.h"

struct vector {
	const char *plain;
	const char *b64;
	const char *hex;
};

/* RFC 4648 section 10 test vectors (base16 given there in upper case). */
static const struct vector rfc4648[] = {
	{ "", "", "" },
	{ "f", "Zg==", "66" },
	{ "fo", "Zm8=", "666F" },
	{ "foo", "Zm9v", "666F6F" },
	{ "foob", "Zm9vYg==", "666F6F62" },
	{ "fooba", "Zm9vYmE=", "666F6F6261" },
	{ "foobar", "Zm9vYmFy", "666F6F626172" },
};

#define N_VECTORS (sizeof(rfc4648) / sizeof(rfc4648[0]))

static void lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static void test_base64_rfc4648(void **state)
{
	struct ks_buf out;
	size_t i;

	(void)state;
	ks_buf_init(&out, 1024);
	for (i = 0; i < N_VECTORS; i++) {
		const struct vector *v = &rfc4648[i];

		ks_buf_reset(&out);
		assert_ok(ks_base64_encode((const uint8_t *)v->plain, strlen(v->plain), &out));
		assert_int_equal(out.len, strlen(v->b64));
		if (out.len > 0)
			assert_memory_equal(out.data, v->b64, out.len);

		ks_buf_reset(&out);
		assert_ok(ks_base64_decode(v->b64, strlen(v->b64), false, &out));
		assert_int_equal(out.len, strlen(v->plain));
		if (out.len > 0)
			assert_memory_equal(out.data, v->plain, out.len);
	}
	ks_buf_cleanup(&out);
}

static void test_hex_rfc4648(void **state)
{
	struct ks_buf out;
	char low[32];
	size_t i;

	(void)state;
	ks_buf_init(&out, 1024);
	for (i = 0; i < N_VECTORS; i++) {
		const struct vector *v = &rfc4648[i];

		/* The encoder writes lower case. */
		snprintf(low, sizeof(low), "%s", v->hex);
		lower(low);
		ks_buf_reset(&out);
		assert_ok(ks_hex_encode((const uint8_t *)v->plain, strlen(v->plain), &out));
		assert_int_equal(out.len, strlen(low));
		if (out.len > 0)
			assert_memory_equal(out.data, low, out.len);

		/* The decoder takes both cases. */
		ks_buf_reset(&out);
		assert_ok(ks_hex_decode(v->hex, strlen(v->hex), false, &out));
		assert_int_equal(out.len, strlen(v->plain));
		if (out.len > 0)
			assert_memory_equal(out.data, v->plain, out.len);
		ks_buf_reset(&out);
		assert_ok(ks_hex_decode(low, strlen(low), false, &out));
		assert_int_equal(out.len, strlen(v->plain));
		if (out.len > 0)
			assert_memory_equal(out.data, v->plain, out.len);
	}
	ks_buf_reset(&out);
	assert_ok(ks_hex_decode("DeAdBeEf", 8, false, &out));
	assert_memory_equal(out.data, "\xde\xad\xbe\xef", 4);
	ks_buf_cleanup(&out);
}

/* Every byte value, every length modulo 3, through both codecs. */
static void test_round_trip_all_bytes(void **state)
{
	uint8_t in[256];
	struct ks_buf text, back;
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(255 - i);
	ks_buf_init(&text, 4096);
	ks_buf_init(&back, 4096);
	for (n = 0; n <= sizeof(in); n += (n < 8 ? 1 : 61)) {
		ks_buf_reset(&text);
		ks_buf_reset(&back);
		assert_ok(ks_base64_encode(in, n, &text));
		assert_int_equal(text.len, (n + 2) / 3 * 4);
		assert_ok(ks_base64_decode((const char *)text.data, text.len, false, &back));
		assert_int_equal(back.len, n);
		if (n > 0)
			assert_memory_equal(back.data, in, n);

		ks_buf_reset(&text);
		ks_buf_reset(&back);
		assert_ok(ks_hex_encode(in, n, &text));
		assert_int_equal(text.len, 2 * n);
		assert_ok(ks_hex_decode((const char *)text.data, text.len, false, &back));
		assert_int_equal(back.len, n);
		if (n > 0)
			assert_memory_equal(back.data, in, n);
	}
	ks_buf_cleanup(&text);
	ks_buf_cleanup(&back);
}

/* Encoders and decoders append to what the buffer already holds. */
static void test_append(void **state)
{
	struct ks_buf out;

	(void)state;
	ks_buf_init(&out, 100);
	assert_ok(ks_buf_append_str(&out, "x="));
	assert_ok(ks_base64_encode((const uint8_t *)"fo", 2, &out));
	assert_ok(ks_hex_encode((const uint8_t *)"\x01\xff", 2, &out));
	assert_ok(ks_base64_decode("Zm9v", 4, false, &out));
	assert_ok(ks_hex_decode("2121", 4, false, &out));
	assert_int_equal(out.len, 2 + 4 + 4 + 3 + 2);
	assert_memory_equal(out.data, "x=Zm8=01fffoo!!", out.len);
	ks_buf_cleanup(&out);
}

/* Decoding `in` must fail with `code` and leave `out` exactly as it was. */
static void check_b64_fails(const char *in, size_t n, bool allow_space, enum ks_err_code code)
{
	struct ks_buf out;

	ks_buf_init(&out, 1024);
	assert_ok(ks_buf_append_str(&out, "keep"));
	ks_err_clear();
	if (ks_base64_decode(in, n, allow_space, &out) != -1)
		fail_msg("base64 '%.*s' (allow_space %d) was accepted", (int)n, in, allow_space);
	if (ks_err_code() != code)
		fail_msg("base64 '%.*s': %s, expected %s", (int)n, in, ks_err_name(ks_err_code()),
			 ks_err_name(code));
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "keep", 4);
	ks_buf_cleanup(&out);
}

#define B64_BAD(s, sp) check_b64_fails((s), sizeof(s) - 1, (sp), KS_ERR_ENCODING)

static void check_b64_ok(const char *in, bool allow_space, const char *want)
{
	struct ks_buf out;

	ks_buf_init(&out, 1024);
	if (ks_base64_decode(in, strlen(in), allow_space, &out) != 0)
		fail_msg("base64 '%s' (allow_space %d) refused: %s", in, allow_space, ks_err_msg());
	assert_int_equal(out.len, strlen(want));
	if (out.len > 0)
		assert_memory_equal(out.data, want, out.len);
	ks_buf_cleanup(&out);
}

static void test_base64_rejects(void **state)
{
	(void)state;
	/* Characters outside the alphabet, including base64url's. */
	B64_BAD("Zm9v!A==", false);
	B64_BAD("Zm9-", false);
	B64_BAD("Zm9_", false);
	B64_BAD("Zm9\x80", false);
	B64_BAD("Zm9\xff", false);
	B64_BAD("Zm\0v", false);
	B64_BAD("Zm9vYmFy\0", false);
	B64_BAD(".", false);
	/* Missing padding (RFC 4648 3.2: padding is required here). */
	B64_BAD("Zg", false);
	B64_BAD("Zm8", false);
	B64_BAD("Zm9vYg", false);
	B64_BAD("Zm9vY", false);
	B64_BAD("Z", false);
	B64_BAD("Zg=", false);
	/* '=' in the first two places or in the middle of the data. */
	B64_BAD("=", false);
	B64_BAD("====", false);
	B64_BAD("=Zg=", false);
	B64_BAD("Z===", false);
	B64_BAD("Zm=v", false);
	B64_BAD("Zg=a", false);
	B64_BAD("Zg==Zg==", false);
	B64_BAD("Zm8=Zm8=", false);
	/* Data after the padding. */
	B64_BAD("Zg==x", false);
	B64_BAD("Zg===", false);
	B64_BAD("Zm8==", false);
	B64_BAD("Zg==\n", false);
	B64_BAD("Zg== x", true);
	B64_BAD("Zg==\0", true);
	/* Non-canonical: the unused low bits must be zero (RFC 4648 3.5). */
	B64_BAD("Zh==", false);
	B64_BAD("Zv==", false);
	B64_BAD("Zm9=", false);
	B64_BAD("Zm/=", false);
	B64_BAD("Zm9vYh==", false);
	/* White space only with allow_space. */
	B64_BAD("Zm9v\nYmFy", false);
	B64_BAD(" Zm9v", false);
	B64_BAD("Zm 9v", false);
	B64_BAD("Zm9v\r\n", false);
	B64_BAD("Zm9v\t", false);
	/* Only ASCII white space counts as space. */
	B64_BAD("Zm9v\xa0", true);
	B64_BAD("Zm9v\xc2\xa0", true);
	B64_BAD("  Zm9 ", true);
}

static void test_base64_canonical_and_space(void **state)
{
	(void)state;
	/* The canonical forms beside the rejected ones above. */
	check_b64_ok("Zg==", false, "f");
	check_b64_ok("Zm8=", false, "fo");
	check_b64_ok("Zq8=", false, "f\xaf");
	check_b64_ok("//8=", false, "\xff\xff");
	check_b64_ok("/w==", false, "\xff");
	check_b64_ok("QQ==", false, "A");
	/* PEM and XML style line breaks, spaces around and inside. */
	check_b64_ok("Zm9v\nYmFy", true, "foobar");
	check_b64_ok("Zm9v\r\nYmFy\r\n", true, "foobar");
	check_b64_ok(" \t Zm 9v Y g = = \n\f\v", true, "foob");
	check_b64_ok("Zg==\n\n", true, "f");
	check_b64_ok("  \n ", true, "");
	check_b64_ok("", false, "");
	/* An empty input from NULL. */
	{
		struct ks_buf out;

		ks_buf_init(&out, 10);
		assert_ok(ks_base64_decode(NULL, 0, false, &out));
		assert_int_equal(out.len, 0);
		assert_ok(ks_base64_encode(NULL, 0, &out));
		assert_int_equal(out.len, 0);
		assert_ok(ks_hex_decode(NULL, 0, false, &out));
		assert_ok(ks_hex_encode(NULL, 0, &out));
		assert_int_equal(out.len, 0);
		ks_buf_cleanup(&out);
	}
}

/* The decoders write groups as they go: a failure late in the input must
 * still leave the output exactly as it was. */
static void test_base64_truncates_back(void **state)
{
	(void)state;
	B64_BAD("Zm9vYmFyZm9vYmFy!", false);
	B64_BAD("Zm9vYmFyZm9vYh==", false);
	B64_BAD("Zm9vYmFyZm9vYg==Zg==", false);
	B64_BAD("Zm9vYmFyZm9vY", false);
	B64_BAD("Zm9vYmFyZm9vYmE=x", false);
}

static void test_base64_limit(void **state)
{
	struct ks_buf out;

	(void)state;
	/* Decoded size exactly at the maximum passes. */
	ks_buf_init(&out, 6);
	assert_ok(ks_base64_decode("Zm9vYmFy", 8, false, &out));
	assert_int_equal(out.len, 6);
	ks_buf_cleanup(&out);

	/* One byte over, in a middle group, in a padded last group. */
	ks_buf_init(&out, 5);
	assert_ok(ks_buf_append_str(&out, "ab"));
	assert_fails_with(ks_base64_decode("Zm9vYmFy", 8, false, &out), KS_ERR_LIMIT);
	assert_int_equal(out.len, 2);
	assert_memory_equal(out.data, "ab", 2);
	assert_fails_with(ks_base64_decode("Zm9vYg==", 8, false, &out), KS_ERR_LIMIT);
	assert_fails_with(ks_base64_decode("Zm9vYmE=", 8, false, &out), KS_ERR_LIMIT);
	assert_int_equal(out.len, 2);
	assert_memory_equal(out.data, "ab", 2);
	assert_ok(ks_base64_decode("Zm9v", 4, false, &out));
	assert_int_equal(out.len, 5);

	/* Encoding: the whole output must fit, or nothing is written. */
	ks_buf_reset(&out);
	assert_fails_with(ks_base64_encode((const uint8_t *)"foob", 4, &out), KS_ERR_LIMIT);
	assert_int_equal(out.len, 0);
	assert_ok(ks_base64_encode((const uint8_t *)"foo", 3, &out));
	assert_int_equal(out.len, 4);
	ks_buf_cleanup(&out);

	/* An input length whose encoded size overflows size_t. */
	ks_buf_init(&out, SIZE_MAX);
	assert_fails_with(ks_base64_encode((const uint8_t *)"", SIZE_MAX, &out), KS_ERR_OVERFLOW);
	assert_fails_with(ks_hex_encode((const uint8_t *)"", SIZE_MAX / 2 + 1, &out),
			  KS_ERR_OVERFLOW);
	assert_int_equal(out.len, 0);
	ks_buf_cleanup(&out);
}

static void check_hex_fails(const char *in, size_t n, bool allow_space, enum ks_err_code code)
{
	struct ks_buf out;

	ks_buf_init(&out, 1024);
	assert_ok(ks_buf_append_str(&out, "keep"));
	ks_err_clear();
	if (ks_hex_decode(in, n, allow_space, &out) != -1)
		fail_msg("hex '%.*s' (allow_space %d) was accepted", (int)n, in, allow_space);
	if (ks_err_code() != code)
		fail_msg("hex '%.*s': %s, expected %s", (int)n, in, ks_err_name(ks_err_code()),
			 ks_err_name(code));
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "keep", 4);
	ks_buf_cleanup(&out);
}

#define HEX_BAD(s, sp) check_hex_fails((s), sizeof(s) - 1, (sp), KS_ERR_ENCODING)

static void test_hex_rejects(void **state)
{
	struct ks_buf out;

	(void)state;
	HEX_BAD("a", false);
	HEX_BAD("abc", false);
	HEX_BAD("deadbeef0", false);
	HEX_BAD("a b c", true); /* odd count of digits, spaces aside */
	HEX_BAD("zz", false);
	HEX_BAD("0g", false);
	HEX_BAD("0x12", false);
	HEX_BAD("12-34", false);
	HEX_BAD("12\0"
		"34",
		false);
	HEX_BAD("\xff\xff", false);
	HEX_BAD("deadbeefXX", false); /* late failure, output truncated back */
	HEX_BAD("de ad", false);
	HEX_BAD("dead\n", false);
	HEX_BAD("de\xa0"
		"ad",
		true);

	ks_buf_init(&out, 100);
	assert_ok(ks_hex_decode(" de ad\nbe\tef\r\n", 14, true, &out));
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "\xde\xad\xbe\xef", 4);
	ks_buf_reset(&out);
	/* Spaces between the two digits of one byte are skipped too. */
	assert_ok(ks_hex_decode("d e", 3, true, &out));
	assert_int_equal(out.len, 1);
	assert_int_equal(out.data[0], 0xde);
	ks_buf_cleanup(&out);
}

/* The one hex digit reader and writer: every byte value checked. */
static void test_hex_digits(void **state)
{
	unsigned v;
	int b;

	(void)state;
	for (b = 0; b < 256; b++) {
		int want = -1;

		if (b >= '0' && b <= '9')
			want = b - '0';
		else if (b >= 'a' && b <= 'f')
			want = b - 'a' + 10;
		else if (b >= 'A' && b <= 'F')
			want = b - 'A' + 10;
		assert_int_equal(ks_hex_value((uint8_t)b), want);
	}
	for (v = 0; v < 16; v++) {
		assert_int_equal(ks_hex_value((uint8_t)ks_hex_digit(v, false)), (int)v);
		assert_int_equal(ks_hex_value((uint8_t)ks_hex_digit(v, true)), (int)v);
	}
	assert_int_equal(ks_hex_digit(10, false), 'a');
	assert_int_equal(ks_hex_digit(15, true), 'F');
	/* only the low nibble counts */
	assert_int_equal(ks_hex_digit(0xab, false), 'b');
	assert_int_equal(ks_hex_digit(~0u, true), 'F');
}

static void test_hex_limit(void **state)
{
	struct ks_buf out;

	(void)state;
	ks_buf_init(&out, 3);
	assert_ok(ks_hex_decode("000102", 6, false, &out));
	assert_int_equal(out.len, 3);
	ks_buf_reset(&out);
	assert_ok(ks_buf_append_byte(&out, 0x55));
	assert_fails_with(ks_hex_decode("000102", 6, false, &out), KS_ERR_LIMIT);
	assert_int_equal(out.len, 1);
	assert_int_equal(out.data[0], 0x55);

	ks_buf_reset(&out);
	assert_fails_with(ks_hex_encode((const uint8_t *)"ab", 2, &out), KS_ERR_LIMIT);
	assert_int_equal(out.len, 0);
	ks_buf_cleanup(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_rfc4648),
		cmocka_unit_test(test_hex_rfc4648),
		cmocka_unit_test(test_round_trip_all_bytes),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_base64_rejects),
		cmocka_unit_test(test_base64_canonical_and_space),
		cmocka_unit_test(test_base64_truncates_back),
		cmocka_unit_test(test_base64_limit),
		cmocka_unit_test(test_hex_rejects),
		cmocka_unit_test(test_hex_limit),
		cmocka_unit_test(test_hex_digits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
