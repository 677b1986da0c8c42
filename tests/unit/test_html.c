/* Unit tests for api/ks_html: escaping attacker text for the
 * verification page. */
#include "ks_test.h"

#include "api/ks_html.h"

static void expect(const char *in, size_t n, const char *want)
{
	struct ks_buf b;

	ks_buf_init(&b, 4096);
	assert_int_equal(ks_html_escape_n(&b, in, n), 0);
	assert_int_equal(b.len, strlen(want));
	if (b.len > 0)
		assert_memory_equal(b.data, want, b.len);
	ks_buf_cleanup(&b);
}

static void test_markup(void **state)
{
	(void)state;
	expect("<script>alert(1)</script>", 25, "&lt;script&gt;alert(1)&lt;/script&gt;");
	expect("a\" onload=\"x", 12, "a&quot; onload=&quot;x");
	expect("O'Brien & Co", 12, "O&#39;Brien &amp; Co");
	/* an existing reference is escaped again, not trusted */
	expect("&lt;", 4, "&amp;lt;");
	expect("", 0, "");
}

static void test_utf8(void **state)
{
	(void)state;
	/* Vietnamese passes unchanged */
	expect("Nguyễn Thị Ánh", strlen("Nguyễn Thị Ánh"), "Nguyễn Thị Ánh");
	/* a lone continuation byte, a truncated sequence, an overlong '<'
	 * (0xc0 0xbc) and a surrogate each become U+FFFD, never '<' */
	expect("a\x80z", 3, "a\xef\xbf\xbdz");
	expect("a\xe1\xba", 3, "a\xef\xbf\xbd\xef\xbf\xbd");
	expect("\xc0\xbc", 2, "\xef\xbf\xbd\xef\xbf\xbd");
	expect("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	expect("\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* a four-byte character at the top of the range is kept */
	expect("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf");
}

static void test_controls(void **state)
{
	(void)state;
	/* NUL, ESC and DEL are dropped; tab and newline kept */
	expect("a\0b\x1b[31m\x7f\tc\n", 12, "ab[31m\tc\n");
}

static void test_limits(void **state)
{
	struct ks_buf b;

	(void)state;
	/* the output buffer's maximum is a clean failure */
	ks_buf_init(&b, 8);
	assert_int_equal(ks_html_escape(&b, "<<<<<<<<"), -1);
	ks_err_clear();
	ks_buf_cleanup(&b);
	/* NULL appends nothing */
	ks_buf_init(&b, 8);
	assert_int_equal(ks_html_escape(&b, NULL), 0);
	assert_int_equal(b.len, 0);
	ks_buf_cleanup(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markup),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
