/* Unit tests for the signing agent's checks and readers (api/ks_agent*):
 * the configured origins and listening address, document labels, and the
 * confirmation form that carries the PIN. */
#include "ks_test.h"

#include "api/ks_agent.h"
#include "api/ks_agent_int.h"

static void test_origins(void **state)
{
	(void)state;
	assert_ok(ks_agent_origin_check("https://truong.example.vn"));
	assert_ok(ks_agent_origin_check("http://127.0.0.1:8080"));
	assert_ok(ks_agent_origin_check("https://[::1]:8443"));
	/* a wildcard, "null", a path, a trailing slash, upper case, no host,
	 * another scheme, user info: each refused */
	assert_fails_with(ks_agent_origin_check("*"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_origin_check("null"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_origin_check("https://truong.example.vn/"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_origin_check("https://truong.example.vn/ky"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_origin_check("https://Truong.example.vn"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_origin_check("https://"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_origin_check("https://:443"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_origin_check("ftp://truong.example.vn"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_origin_check("https://a@truong.example.vn"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_origin_check("https://*.example.vn"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_origin_check(""), KS_ERR_USAGE);
}

static void test_listen(void **state)
{
	(void)state;
	assert_ok(ks_agent_listen_check("127.0.0.1:8341"));
	assert_ok(ks_agent_listen_check("127.0.0.1:0"));
	assert_fails_with(ks_agent_listen_check("0.0.0.0:8341"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_listen_check("[::]:8341"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_listen_check("192.168.1.10:8341"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_listen_check("127.0.0.10:8341"), KS_ERR_USAGE);
	assert_fails_with(ks_agent_listen_check(NULL), KS_ERR_USAGE);
}

static bool label(const char *s)
{
	return ks_agent_label_ok(s, strlen(s));
}

static void test_labels(void **state)
{
	char big[KS_AGENT_LABEL_MAX + 2];

	(void)state;
	assert_true(label("Học bạ lớp 12A1 - Nguyễn Văn An"));
	assert_false(label(""));
	assert_false(label("a\nb"));      /* a line that looks like another item */
	assert_false(label("a\x1b[2Jb")); /* a terminal escape (tty prompt) */
	assert_false(label("a\xe2\x80\xae"
			   "b")); /* U+202E right-to-left override */
	assert_false(label("a\xe2\x81\xa6"
			   "b")); /* U+2066 isolate */
	assert_false(label("a\xc2\x85"
			   "b"));      /* C1 control NEL */
	assert_false(label("a\x80z")); /* not UTF-8 */
	assert_false(ks_agent_label_ok("a\0b", 3));
	memset(big, 'x', sizeof(big));
	assert_true(ks_agent_label_ok(big, KS_AGENT_LABEL_MAX));
	assert_false(ks_agent_label_ok(big, KS_AGENT_LABEL_MAX + 1));
}

static int form(const char *body, struct ks_agent_form *f)
{
	memset(f, 0, sizeof(*f));
	ks_buf_init_secret(&f->pin, KS_AGENT_FIELD_MAX);
	return ks_agent_form_parse((const uint8_t *)body, strlen(body), f);
}

static void test_form(void **state)
{
	struct ks_agent_form f;

	(void)state;
	assert_ok(form("nonce=0123abcd&pin=12%2534+5&action=approve&x=y", &f));
	assert_string_equal(f.nonce, "0123abcd");
	assert_string_equal(f.action, "approve");
	assert_true(f.pin.secret);
	assert_int_equal(f.pin.len, 7);
	assert_memory_equal(f.pin.data, "12%34 5", 7);
	ks_buf_cleanup(&f.pin);
	/* no pin, an empty field, a pair without '=' */
	assert_ok(form("action=refuse&pin=&junk&nonce=", &f));
	assert_string_equal(f.action, "refuse");
	assert_int_equal(f.pin.len, 0);
	ks_buf_cleanup(&f.pin);
	assert_ok(form("", &f));
	ks_buf_cleanup(&f.pin);
	/* hostile: bad escapes, a NUL, values past their limits */
	assert_fails_with(form("pin=%4", &f), KS_ERR_PARSE);
	ks_buf_cleanup(&f.pin);
	assert_fails_with(form("pin=%zz", &f), KS_ERR_PARSE);
	ks_buf_cleanup(&f.pin);
	assert_fails_with(form("action=%00approve", &f), KS_ERR_PARSE);
	ks_buf_cleanup(&f.pin);
	assert_fails_with(form("action=approveapproveapprove", &f), KS_ERR_PARSE);
	ks_buf_cleanup(&f.pin);
	assert_fails_with(form("nonce=0123456789abcdef0123456789abcdef0", &f), KS_ERR_PARSE);
	ks_buf_cleanup(&f.pin);
	{
		char body[KS_AGENT_FIELD_MAX + 16];

		memcpy(body, "pin=", 4);
		memset(body + 4, '1', KS_AGENT_FIELD_MAX + 1);
		body[4 + KS_AGENT_FIELD_MAX + 1] = '\0';
		assert_fails_with(form(body, &f), KS_ERR_LIMIT);
		ks_buf_cleanup(&f.pin);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_origins),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
