/* Unit tests for the RFC 7512 URI parser, formatter and matcher
 * (pkcs11/ks_p11_uri.c): valid forms, pct-encoding, bad escapes,
 * duplicates, unknown attributes, limits and hostile input. */
#include "ks_test.h"

#include <stdio.h>

#include "pkcs11/ks_p11.h"

static void parse_ok(const char *text, struct ks_p11_uri *u)
{
	int rc = ks_p11_uri_parse(text, u);

	if (rc != 0)
		fail_msg("parse of '%s' failed: %s", text, ks_err_msg());
}

static void parse_fails(const char *text, enum ks_err_code code)
{
	struct ks_p11_uri u;

	ks_err_clear();
	if (ks_p11_uri_parse(text, &u) == 0) {
		ks_p11_uri_cleanup(&u);
		fail_msg("'%s' was accepted", text);
	}
	if (ks_err_code() != code)
		fail_msg("'%s': expected %s, got %s (%s)", text, ks_err_name(code),
			 ks_err_name(ks_err_code()), ks_err_msg());
	/* A failed parse leaves nothing behind to free. */
	assert_null(u.token);
	assert_null(u.id.data);
	assert_null(u.pin_value.data);
	ks_p11_uri_cleanup(&u);
}

static void test_basic(void **state)
{
	struct ks_p11_uri u;

	(void)state;
	parse_ok("pkcs11:token=principal;object=tok-principal-rsa;type=private", &u);
	assert_string_equal(u.token, "principal");
	assert_string_equal(u.object, "tok-principal-rsa");
	assert_int_equal(u.type, KS_P11_OBJ_PRIVATE);
	assert_false(u.has_id);
	assert_false(u.has_unknown);
	assert_null(u.manufacturer);
	ks_p11_uri_cleanup(&u);

	/* RFC 3986 3.1: the scheme is case-insensitive. */
	parse_ok("PKCS11:serial=0123;model=SoftHSM%20v2;manufacturer=SoftHSM%20project", &u);
	assert_string_equal(u.serial, "0123");
	assert_string_equal(u.model, "SoftHSM v2");
	assert_string_equal(u.manufacturer, "SoftHSM project");
	ks_p11_uri_cleanup(&u);

	/* The empty URI is valid and matches every token. */
	parse_ok("pkcs11:", &u);
	assert_null(u.token);
	assert_int_equal(u.type, KS_P11_OBJ_ANY);
	ks_p11_uri_cleanup(&u);

	parse_ok("pkcs11:type=cert", &u);
	assert_int_equal(u.type, KS_P11_OBJ_CERT);
	ks_p11_uri_cleanup(&u);
	parse_ok("pkcs11:type=secret-key", &u);
	assert_int_equal(u.type, KS_P11_OBJ_SECRET);
	ks_p11_uri_cleanup(&u);
	parse_ok("pkcs11:type=public;type2=x", &u);
	assert_int_equal(u.type, KS_P11_OBJ_PUBLIC);
	assert_true(u.has_unknown);
	ks_p11_uri_cleanup(&u);
}

static void test_library_slot(void **state)
{
	struct ks_p11_uri u;

	(void)state;
	parse_ok("pkcs11:library-manufacturer=SoftHSM;library-description=Implementation%20of%"
		 "20PKCS11;library-version=2.6;slot-id=1177320081;slot-description=x;slot-"
		 "manufacturer=y",
		 &u);
	assert_string_equal(u.library_manufacturer, "SoftHSM");
	assert_string_equal(u.library_description, "Implementation of PKCS11");
	assert_string_equal(u.library_version, "2.6");
	assert_true(u.has_slot_id);
	assert_int_equal(u.slot_id, 1177320081UL);
	assert_string_equal(u.slot_description, "x");
	assert_string_equal(u.slot_manufacturer, "y");
	ks_p11_uri_cleanup(&u);

	parse_ok("pkcs11:library-version=3", &u);
	ks_p11_uri_cleanup(&u);
	parse_fails("pkcs11:library-version=1.x", KS_ERR_PARSE);
	parse_fails("pkcs11:library-version=", KS_ERR_PARSE);
	parse_fails("pkcs11:library-version=.1", KS_ERR_PARSE);
	parse_fails("pkcs11:library-version=1.2.3", KS_ERR_PARSE);
	parse_fails("pkcs11:slot-id=-1", KS_ERR_PARSE);
	parse_fails("pkcs11:slot-id=", KS_ERR_PARSE);
	parse_fails("pkcs11:slot-id=99999999999999999999999", KS_ERR_PARSE);
	parse_fails("pkcs11:slot-id=12a", KS_ERR_PARSE);
	/* attributes in the wrong component (RFC 7512 2.3) */
	parse_fails("pkcs11:object=k?token=teacher", KS_ERR_PARSE);
	parse_fails("pkcs11:object=k?id=%01", KS_ERR_PARSE);
	parse_fails("pkcs11:token=t;pin-value=1234", KS_ERR_PARSE);
	parse_fails("pkcs11:token=t;module-path=/x.so", KS_ERR_PARSE);
}

static void test_pct_encoding(void **state)
{
	struct ks_p11_uri u;
	static const uint8_t want_id[] = { 0x01, 0x00, 0xff, 'A' };

	(void)state;
	/* UTF-8 labels: "Trường" (a school's token). */
	parse_ok("pkcs11:token=Tr%C6%B0%E1%BB%9Dng;id=%01%00%fFA", &u);
	assert_string_equal(u.token, "Tr\xc6\xb0\xe1\xbb\x9dng");
	assert_true(u.has_id);
	assert_int_equal(u.id.len, sizeof(want_id));
	assert_memory_equal(u.id.data, want_id, sizeof(want_id));
	ks_p11_uri_cleanup(&u);

	/* Literal characters RFC 7512 allows in path values. */
	parse_ok("pkcs11:object=a:b[c]@d!$'()*+,=e&f~g", &u);
	assert_string_equal(u.object, "a:b[c]@d!$'()*+,=e&f~g");
	ks_p11_uri_cleanup(&u);

	/* An empty id is present and empty, unlike an absent one. */
	parse_ok("pkcs11:id=", &u);
	assert_true(u.has_id);
	assert_int_equal(u.id.len, 0);
	ks_p11_uri_cleanup(&u);

	parse_fails("pkcs11:token=%", KS_ERR_PARSE);
	parse_fails("pkcs11:token=%4", KS_ERR_PARSE);
	parse_fails("pkcs11:token=%zz", KS_ERR_PARSE);
	parse_fails("pkcs11:token=%g0", KS_ERR_PARSE);
	parse_fails("pkcs11:token=a%2", KS_ERR_PARSE);
	parse_fails("pkcs11:id=%%41", KS_ERR_PARSE);
	/* Characters that must be escaped. */
	parse_fails("pkcs11:token=a b", KS_ERR_PARSE);
	parse_fails("pkcs11:token=a/b", KS_ERR_PARSE);
	parse_fails("pkcs11:token=a\"b", KS_ERR_PARSE);
	parse_fails("pkcs11:token=a|b", KS_ERR_PARSE);
	parse_fails("pkcs11:token=Tr\xc6\xb0\xe1\xbb\x9dng", KS_ERR_PARSE);
	/* A NUL cannot be part of a string attribute. */
	parse_fails("pkcs11:token=a%00b", KS_ERR_PARSE);
	/* Invalid UTF-8: stray continuation, overlong, surrogate, > U+10FFFF. */
	parse_fails("pkcs11:token=%80", KS_ERR_ENCODING);
	parse_fails("pkcs11:token=%C3%28", KS_ERR_ENCODING);
	parse_fails("pkcs11:object=%C0%AF", KS_ERR_ENCODING);
	parse_fails("pkcs11:object=%E0%80%AF", KS_ERR_ENCODING);
	parse_fails("pkcs11:object=%ED%A0%80", KS_ERR_ENCODING);
	parse_fails("pkcs11:object=%F4%90%80%80", KS_ERR_ENCODING);
	parse_fails("pkcs11:object=%E1%BB", KS_ERR_ENCODING);
}

static void test_query(void **state)
{
	struct ks_p11_uri u;

	(void)state;
	parse_ok("pkcs11:token=principal?pin-value=12%2034&module-path=/usr/lib/x86_64-linux-gnu/"
		 "softhsm/libsofthsm2.so",
		 &u);
	assert_true(u.has_pin_value);
	assert_true(u.pin_value.secret);
	assert_int_equal(u.pin_value.len, 5);
	assert_memory_equal(u.pin_value.data, "12 34", 5);
	assert_string_equal(u.module_path, "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so");
	ks_p11_uri_cleanup(&u);

	parse_ok("pkcs11:?pin-source=file:/run/pin?x&module-name=softhsm2&x-vendor=whatever", &u);
	assert_string_equal(u.pin_source, "file:/run/pin?x");
	assert_string_equal(u.module_name, "softhsm2");
	/* Unknown query attributes are ignored (RFC 7512 2.3). */
	assert_false(u.has_unknown);
	ks_p11_uri_cleanup(&u);

	/* ';' ends nothing in the query: it is not a query character. */
	parse_fails("pkcs11:?pin-value=1;2", KS_ERR_PARSE);
	parse_fails("pkcs11:?pin-value=1&pin-value=2", KS_ERR_PARSE);
	parse_fails("pkcs11:?module-path=/a&module-path=/b", KS_ERR_PARSE);
	parse_fails("pkcs11:?pin-value=1&pin-source=file:/x", KS_ERR_PARSE);
	parse_fails("pkcs11:?pin-value=1%002", KS_ERR_PARSE);
	parse_fails("pkcs11:?pin-value", KS_ERR_PARSE);
	parse_fails("pkcs11:?&", KS_ERR_PARSE);
}

static void test_duplicates_and_shape(void **state)
{
	(void)state;
	/* RFC 7512 2.3: an attribute appears at most once in the path. */
	parse_fails("pkcs11:token=a;token=a", KS_ERR_PARSE);
	parse_fails("pkcs11:token=a;object=b;token=c", KS_ERR_PARSE);
	parse_fails("pkcs11:id=%01;id=%01", KS_ERR_PARSE);
	parse_fails("pkcs11:type=private;type=private", KS_ERR_PARSE);
	parse_fails("pkcs11:slot-id=1;slot-id=2", KS_ERR_PARSE);
	parse_fails("pkcs11:library-version=1;library-version=1", KS_ERR_PARSE);
	/* Shape. */
	parse_fails("pkcs11:token", KS_ERR_PARSE);
	parse_fails("pkcs11:=a", KS_ERR_PARSE);
	parse_fails("pkcs11:token=a;", KS_ERR_PARSE);
	parse_fails("pkcs11:;token=a", KS_ERR_PARSE);
	parse_fails("pkcs11:token=a;;object=b", KS_ERR_PARSE);
	parse_fails("pkcs11:to%6Ben=a", KS_ERR_PARSE);
	parse_fails("pkcs11:tok.en=a", KS_ERR_PARSE);
	parse_fails("pkcs11:type=key", KS_ERR_PARSE);
	parse_fails("pkcs11:type=Private", KS_ERR_PARSE);
	parse_fails("pkcs11:type=", KS_ERR_PARSE);
	/* Not a PKCS#11 URI at all. */
	parse_fails("", KS_ERR_PARSE);
	parse_fails("pkcs11", KS_ERR_PARSE);
	parse_fails("pkcs1:token=a", KS_ERR_PARSE);
	parse_fails("http://example.org/", KS_ERR_PARSE);
	parse_fails(" pkcs11:token=a", KS_ERR_PARSE);
}

static void test_unknown_attribute(void **state)
{
	struct ks_p11_uri u;
	struct ks_p11_token_info t;

	(void)state;
	/* RFC 7512 2.3: an unknown path attribute is not an error, but the
	 * URI then matches nothing. */
	parse_ok("pkcs11:token=principal;x-vendor-slot=7", &u);
	assert_true(u.has_unknown);
	memset(&t, 0, sizeof(t));
	snprintf(t.label, sizeof(t.label), "principal");
	assert_false(ks_p11_uri_match_token(&u, &t));
	assert_false(ks_p11_uri_match_object(&u, "x", NULL, 0, KS_P11_OBJ_PRIVATE));
	ks_p11_uri_cleanup(&u);

	parse_ok("pkcs11:token=principal;future-attribute=1", &u);
	assert_true(u.has_unknown);
	assert_false(ks_p11_uri_match_token(&u, &t));
	ks_p11_uri_cleanup(&u);

	/* Unknown attributes still follow the grammar. */
	parse_fails("pkcs11:x-vendor=a b", KS_ERR_PARSE);
	parse_fails("pkcs11:x-vendor=%q1", KS_ERR_PARSE);
}

static void test_limits(void **state)
{
	char *big;
	struct ks_buf b;
	const uint8_t nul_uri[] = "pkcs11:token=a\0b";
	struct ks_p11_uri u;
	int i;

	(void)state;
	/* Whole URI above KS_P11_URI_MAX. */
	big = malloc(KS_P11_URI_MAX + 100);
	assert_non_null(big);
	memcpy(big, "pkcs11:object=", 14);
	memset(big + 14, 'a', KS_P11_URI_MAX + 100 - 15);
	big[KS_P11_URI_MAX + 99] = '\0';
	parse_fails(big, KS_ERR_LIMIT);
	/* One value above KS_P11_URI_VALUE_MAX, the URI itself short enough. */
	big[14 + KS_P11_URI_VALUE_MAX + 1] = '\0';
	parse_fails(big, KS_ERR_LIMIT);
	/* Exactly at the value limit is fine. */
	big[14 + KS_P11_URI_VALUE_MAX] = '\0';
	parse_ok(big, &u);
	assert_int_equal(strlen(u.object), KS_P11_URI_VALUE_MAX);
	ks_p11_uri_cleanup(&u);
	free(big);

	/* Too many attributes (unknown ones count too). */
	ks_buf_init(&b, 65536);
	assert_ok(ks_buf_append_str(&b, "pkcs11:"));
	for (i = 0; i <= KS_P11_URI_ATTRS_MAX; i++)
		assert_ok(ks_buf_printf(&b, "%sx-a%d=1", i > 0 ? ";" : "", i));
	{
		const char *s;

		assert_ok(ks_buf_cstr(&b, &s));
		parse_fails(s, KS_ERR_LIMIT);
	}
	ks_buf_cleanup(&b);

	/* Pct-encoded bytes count once decoded, escapes three times raw: a
	 * 1025-byte id is over the limit even when well formed. */
	ks_buf_init(&b, 65536);
	assert_ok(ks_buf_append_str(&b, "pkcs11:id="));
	for (i = 0; i < KS_P11_URI_VALUE_MAX + 1; i++)
		assert_ok(ks_buf_append_str(&b, "%41"));
	{
		const char *s;

		assert_ok(ks_buf_cstr(&b, &s));
		parse_fails(s, KS_ERR_LIMIT);
	}
	ks_buf_cleanup(&b);

	/* An embedded NUL in length-delimited input is just a bad character. */
	assert_fails_with(ks_p11_uri_parse_mem(nul_uri, sizeof(nul_uri) - 1, &u), KS_ERR_PARSE);
	ks_p11_uri_cleanup(&u);
	/* Truncated input: every prefix of a valid URI parses or fails
	 * cleanly. */
	{
		static const char full[] = "pkcs11:token=Tr%C6%B0%E1%BB%9Dng;id=%01%02?pin-value=1";
		size_t n;

		for (n = 0; n < sizeof(full) - 1; n++) {
			if (ks_p11_uri_parse_mem((const uint8_t *)full, n, &u) == 0)
				ks_p11_uri_cleanup(&u);
		}
	}
}

static void test_format_roundtrip(void **state)
{
	struct ks_buf out;
	struct ks_p11_uri u;
	const char *s;
	static const uint8_t id[] = { 0x00, 0x41, 0xfe };

	(void)state;
	ks_buf_init(&out, KS_P11_URI_MAX);
	assert_ok(ks_p11_uri_format("Trường THPT A", "SoftHSM project", "abc", "SoftHSM v2",
				    "key;1/x?", id, sizeof(id), KS_P11_OBJ_PRIVATE, &out));
	assert_ok(ks_buf_cstr(&out, &s));
	assert_string_equal(s, "pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;serial="
			       "abc;token=Tr%C6%B0%E1%BB%9Dng%20THPT%20A;object=key%3B1%2Fx%3F;"
			       "id=%00%41%FE;type=private");
	parse_ok(s, &u);
	assert_string_equal(u.token, "Trường THPT A");
	assert_string_equal(u.object, "key;1/x?");
	assert_string_equal(u.manufacturer, "SoftHSM project");
	assert_int_equal(u.id.len, 3);
	assert_memory_equal(u.id.data, id, 3);
	assert_int_equal(u.type, KS_P11_OBJ_PRIVATE);
	ks_p11_uri_cleanup(&u);

	/* Absent parts are left out. */
	ks_buf_reset(&out);
	assert_ok(ks_p11_uri_format("t", NULL, "", NULL, NULL, NULL, 0, KS_P11_OBJ_ANY, &out));
	assert_ok(ks_buf_cstr(&out, &s));
	assert_string_equal(s, "pkcs11:token=t");
	ks_buf_cleanup(&out);
}

static void fill_token(struct ks_p11_token_info *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->label, sizeof(t->label), "principal");
	snprintf(t->manufacturer, sizeof(t->manufacturer), "SoftHSM project");
	snprintf(t->model, sizeof(t->model), "SoftHSM v2");
	snprintf(t->serial, sizeof(t->serial), "0123456789abcdef");
	snprintf(t->library_manufacturer, sizeof(t->library_manufacturer), "SoftHSM");
	snprintf(t->library_description, sizeof(t->library_description),
		 "Implementation of PKCS11");
	t->library_major = 2;
	t->library_minor = 6;
	t->slot_id = 42;
}

static bool tok_match(const char *uri, const struct ks_p11_token_info *t)
{
	struct ks_p11_uri u;
	bool r;

	parse_ok(uri, &u);
	r = ks_p11_uri_match_token(&u, t);
	ks_p11_uri_cleanup(&u);
	return r;
}

static void test_match(void **state)
{
	struct ks_p11_token_info t;
	struct ks_p11_uri u;
	static const uint8_t id1[] = { 0x01 }, id12[] = { 0x01, 0x02 };

	(void)state;
	fill_token(&t);
	assert_true(tok_match("pkcs11:", &t));
	assert_true(tok_match("pkcs11:token=principal", &t));
	assert_true(
	    tok_match("pkcs11:token=principal;serial=0123456789abcdef;model=SoftHSM%20v2", &t));
	assert_true(tok_match("pkcs11:library-version=2.6;slot-id=42", &t));
	assert_true(tok_match("pkcs11:object=anything;type=cert", &t)); /* object part ignored */
	/* Mismatches: exact comparison, no prefixes, no case folding. */
	assert_false(tok_match("pkcs11:token=princip", &t));
	assert_false(tok_match("pkcs11:token=Principal", &t));
	assert_false(tok_match("pkcs11:token=principal;serial=0123", &t));
	assert_false(tok_match("pkcs11:token=principal;manufacturer=OpenSC", &t));
	assert_false(tok_match("pkcs11:library-version=2", &t));
	assert_false(tok_match("pkcs11:library-version=2.7", &t));
	assert_false(tok_match("pkcs11:slot-id=43", &t));
	assert_false(tok_match("pkcs11:library-description=Implementation", &t));

	parse_ok("pkcs11:token=principal;object=tok-principal-rsa;id=%01;type=private", &u);
	assert_true(ks_p11_uri_match_object(&u, "tok-principal-rsa", id1, 1, KS_P11_OBJ_PRIVATE));
	assert_false(ks_p11_uri_match_object(&u, "tok-principal-rsa", id1, 1, KS_P11_OBJ_CERT));
	assert_false(ks_p11_uri_match_object(&u, "tok-principal-ec", id1, 1, KS_P11_OBJ_PRIVATE));
	assert_false(ks_p11_uri_match_object(&u, "tok-principal-rsa", id12, 2, KS_P11_OBJ_PRIVATE));
	assert_false(ks_p11_uri_match_object(&u, "tok-principal-rsa", NULL, 0, KS_P11_OBJ_PRIVATE));
	ks_p11_uri_cleanup(&u);

	/* No object part: everything matches (the caller then refuses when
	 * that is more than one key). */
	parse_ok("pkcs11:token=principal", &u);
	assert_true(ks_p11_uri_match_object(&u, "a", NULL, 0, KS_P11_OBJ_PRIVATE));
	assert_true(ks_p11_uri_match_object(&u, "", id12, 2, KS_P11_OBJ_CERT));
	ks_p11_uri_cleanup(&u);

	/* An empty id matches only an empty CKA_ID. */
	parse_ok("pkcs11:id=", &u);
	assert_true(ks_p11_uri_match_object(&u, "a", NULL, 0, KS_P11_OBJ_PRIVATE));
	assert_false(ks_p11_uri_match_object(&u, "a", id1, 1, KS_P11_OBJ_PRIVATE));
	ks_p11_uri_cleanup(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_library_slot),
		cmocka_unit_test(test_pct_encoding),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_duplicates_and_shape),
		cmocka_unit_test(test_unknown_attribute),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
