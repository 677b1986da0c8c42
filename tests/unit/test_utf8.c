/* Unit tests for core/ks_utf8: the one strict UTF-8 decoder (RFC 3629)
 * and encoder, with the hostile sequences of RFC 3629 10 and Markus
 * Kuhn's decoder stress cases. */
#include "ks_test.h"

#include "ks_utf8.h"

struct bad {
	const char *s;
	size_t n;
};

/* Every one of these is refused as a whole. */
static const struct bad bad_seqs[] = {
	{ "\x80", 1 },                     /* stray continuation */
	{ "\xbf", 1 },                     /* stray continuation */
	{ "\xc0\xaf", 2 },                 /* overlong '/' (RFC 3629 10) */
	{ "\xc1\xbf", 2 },                 /* overlong U+007F */
	{ "\xe0\x80\xaf", 3 },             /* overlong '/' in three bytes */
	{ "\xe0\x9f\xbf", 3 },             /* overlong U+07FF */
	{ "\xf0\x80\x80\xaf", 4 },         /* overlong '/' in four bytes */
	{ "\xf0\x8f\xbf\xbf", 4 },         /* overlong U+FFFF */
	{ "\xed\xa0\x80", 3 },             /* U+D800, high surrogate */
	{ "\xed\xbf\xbf", 3 },             /* U+DFFF, low surrogate */
	{ "\xed\xa0\xbd\xed\xb8\x80", 6 }, /* CESU-8 pair */
	{ "\xf4\x90\x80\x80", 4 },         /* U+110000 */
	{ "\xf7\xbf\xbf\xbf", 4 },         /* U+1FFFFF */
	{ "\xf8\x88\x80\x80\x80", 5 },     /* five-byte form */
	{ "\xfc\x84\x80\x80\x80\x80", 6 },
	{ "\xfe", 1 },
	{ "\xff", 1 },
	{ "\xc3", 1 },         /* truncated two-byte */
	{ "\xe1\xbb", 2 },     /* truncated three-byte */
	{ "\xf0\x9f\x98", 3 }, /* truncated four-byte */
	{ "\xc3\x41", 2 },     /* continuation missing */
	{ "\xe1\x41\x41", 3 }, /* continuation missing */
	{ "\xe1\xbb\xc3", 3 }, /* a lead where a continuation belongs */
	{ "\xf0\x9f\x98\x41", 4 },
};

static void test_decode_good(void **state)
{
	static const struct {
		const char *s;
		size_t n;
		uint32_t cp;
	} good[] = {
		{ "\x00", 1, 0 },
		{ "A", 1, 'A' },
		{ "\x7f", 1, 0x7f },
		{ "\xc2\x80", 2, 0x80 },       /* smallest two-byte */
		{ "\xc3\xbd", 2, 0xfd },       /* ý */
		{ "\xdf\xbf", 2, 0x7ff },      /* largest two-byte */
		{ "\xe0\xa0\x80", 3, 0x800 },  /* smallest three-byte */
		{ "\xe1\xbb\x87", 3, 0x1ec7 }, /* ệ */
		{ "\xed\x9f\xbf", 3, 0xd7ff }, /* just below the surrogates */
		{ "\xee\x80\x80", 3, 0xe000 }, /* just above them */
		{ "\xef\xbf\xbd", 3, 0xfffd },
		{ "\xef\xbf\xbf", 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 0x10000 }, /* smallest four-byte */
		{ "\xf0\x9f\x98\x80", 4, 0x1f600 },
		{ "\xf4\x8f\xbf\xbf", 4, 0x10ffff }, /* the last code point */
	};
	struct ks_cur c;
	uint32_t cp;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		/* followed by a byte that must stay unread */
		uint8_t in[8];

		memcpy(in, good[i].s, good[i].n);
		in[good[i].n] = 'z';
		ks_cur_init(&c, in, good[i].n + 1);
		cp = 0xdeadbeef;
		assert_int_equal(ks_utf8_peek(&c, &cp), good[i].n);
		assert_int_equal(cp, good[i].cp);
		assert_int_equal(c.left, good[i].n + 1); /* peek does not move */
		cp = 0xdeadbeef;
		assert_ok(ks_utf8_next(&c, &cp));
		assert_int_equal(cp, good[i].cp);
		assert_int_equal(c.left, 1);
		assert_int_equal(c.p[0], 'z');
		assert_true(ks_utf8_valid(good[i].s, good[i].n));
	}
}

static void test_decode_bad(void **state)
{
	struct ks_cur c;
	uint32_t cp = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_seqs) / sizeof(bad_seqs[0]); i++) {
		ks_cur_init(&c, bad_seqs[i].s, bad_seqs[i].n);
		assert_int_equal(ks_utf8_peek(&c, &cp), 0);
		assert_fails_with(ks_utf8_next(&c, &cp), KS_ERR_ENCODING);
		/* unchanged on failure, output untouched */
		assert_ptr_equal(c.p, (const uint8_t *)bad_seqs[i].s);
		assert_int_equal(c.left, bad_seqs[i].n);
		assert_int_equal(cp, 7);
		assert_false(ks_utf8_valid(bad_seqs[i].s, bad_seqs[i].n));
	}
	/* an empty cursor is the end of input, not an encoding error */
	ks_cur_init(&c, NULL, 0);
	assert_int_equal(ks_utf8_peek(&c, &cp), 0);
	assert_fails_with(ks_utf8_next(&c, &cp), KS_ERR_TRUNCATED);
	assert_true(ks_utf8_valid("", 0));
	assert_true(ks_utf8_valid(NULL, 0));
}

/* One bad byte anywhere spoils the whole text. */
static void test_valid_text(void **state)
{
	static const char vi[] = "Nguy\xe1\xbb\x85n V\xc4\x83n A \xe2\x80\x94 Hi\xe1\xbb\x87u "
				 "tr\xc6\xb0\xe1\xbb\x9fng \xf0\x9f\x98\x80";
	char buf[sizeof(vi)];
	size_t i;

	(void)state;
	assert_true(ks_utf8_valid(vi, sizeof(vi) - 1));
	for (i = 0; i < sizeof(vi) - 1; i++) {
		memcpy(buf, vi, sizeof(vi));
		buf[i] = (char)0xff;
		assert_false(ks_utf8_valid(buf, sizeof(vi) - 1));
	}
	/* cut inside the last character */
	assert_false(ks_utf8_valid(vi, sizeof(vi) - 2));
}

static void test_encode(void **state)
{
	uint8_t b[KS_UTF8_MAX_SEQ];
	struct ks_buf out;
	struct ks_cur c;
	uint32_t cp, got;
	size_t n;

	(void)state;
	/* every scalar value round-trips through the decoder */
	for (cp = 0; cp <= KS_UTF8_MAX_CP; cp++) {
		n = ks_utf8_encode(cp, b);
		if (cp >= 0xd800 && cp <= 0xdfff) {
			assert_int_equal(n, 0);
			continue;
		}
		assert_int_equal(n, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
		ks_cur_init(&c, b, n);
		assert_ok(ks_utf8_next(&c, &got));
		assert_int_equal(got, cp);
		assert_true(ks_cur_eof(&c));
	}
	assert_int_equal(ks_utf8_encode(0x110000, b), 0);
	assert_int_equal(ks_utf8_encode(UINT32_MAX, b), 0);

	ks_buf_init(&out, 8);
	assert_ok(ks_utf8_put(&out, 0x1ec7));
	assert_ok(ks_utf8_put(&out, 'x'));
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "\xe1\xbb\x87x", 4);
	assert_fails_with(ks_utf8_put(&out, 0xdc00), KS_ERR_ENCODING);
	assert_fails_with(ks_utf8_put(&out, 0x110000), KS_ERR_ENCODING);
	assert_int_equal(out.len, 4);
	/* the buffer's hard maximum holds */
	assert_ok(ks_utf8_put(&out, 0xe9));
	assert_int_equal(out.len, 6);
	assert_fails_with(ks_utf8_put(&out, 0x1f600), KS_ERR_LIMIT);
	assert_int_equal(out.len, 6);
	ks_buf_cleanup(&out);
}

static void test_cut(void **state)
{
	/* "aệb": 61 e1 bb 87 62 */
	static const char s[] = "a\xe1\xbb\x87"
				"b";

	(void)state;
	assert_int_equal(ks_utf8_cut(s, 0), 0);
	assert_int_equal(ks_utf8_cut(s, 1), 1);
	assert_int_equal(ks_utf8_cut(s, 2), 1); /* would end inside ệ */
	assert_int_equal(ks_utf8_cut(s, 3), 1);
	assert_int_equal(ks_utf8_cut(s, 4), 4);
	assert_int_equal(ks_utf8_cut(s, 5), 5); /* s[5] is the NUL */
	/* a run of continuation bytes never steps before the start */
	assert_int_equal(ks_utf8_cut("\x80\x80\x80\x80\x80", 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_good), cmocka_unit_test(test_decode_bad),
		cmocka_unit_test(test_valid_text),  cmocka_unit_test(test_encode),
		cmocka_unit_test(test_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
