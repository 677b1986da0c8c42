/* The HTTP API's parsers and rules without a server: the configuration
 * file (defaults, errors with line numbers), request parameters from
 * query strings, JSON and multipart, client tokens, activations of
 * personal keys, and the problem table. */
#include "ks_test.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <time.h>

#include "api/ks_api_auth.h"
#include "api/ks_api_conf.h"
#include "api/ks_api_multipart.h"
#include "api/ks_api_problem.h"
#include "api/ks_api_req.h"

static int conf_text(const char *text, struct ks_api_conf *c)
{
	if (ks_api_conf_defaults(c) < 0)
		return -1;
	return ks_api_conf_parse((const uint8_t *)text, strlen(text), "t.conf", c);
}

static void test_conf_defaults(void **state)
{
	struct ks_api_conf c;

	(void)state;
	assert_ok(ks_api_conf_load(NULL, &c));
	assert_string_equal(c.listen, "127.0.0.1:8340");
	assert_string_equal(c.dir, "./var");
	assert_string_equal(c.store, "sqlite:./var/kyso.db");
	assert_int_equal(c.prepared_ttl_s, 300);
	assert_int_equal(c.commit_delay_ms, 5);
	assert_int_equal(c.n_keys, 5);
	assert_non_null(ks_api_conf_key(&c, "seal"));
	assert_true(ks_api_conf_key(&c, "principal")->personal);
	assert_false(ks_api_conf_key(&c, "seal")->personal);
	/* a key is also found by its URI */
	assert_ptr_equal(
	    ks_api_conf_key(&c, "pkcs11:token=school-seal;object=tok-seal-rsa;type=private"),
	    ks_api_conf_key(&c, "seal"));
	assert_string_equal(ks_api_conf_key(&c, "principal")->activation_key,
			    "./var/activation/principal.pub.pem");
	ks_api_conf_cleanup(&c);
}

static void test_conf_file(void **state)
{
	struct ks_api_conf c;

	(void)state;
	assert_ok(conf_text("# comment\n[server]\nlisten = 127.0.0.1:9000\nmax-body = 2M\n"
			    "[state]\ndir=/srv/kyso\n[tsa]\nkey-file = /k.pem\ncert = /c.pem\n"
			    "[key \"seal\"]\nkey-file = /s.key\ncert = /s.pem\n",
			    &c));
	assert_string_equal(c.listen, "127.0.0.1:9000");
	assert_int_equal(c.max_body, 2u << 20);
	assert_string_equal(c.store, "sqlite:/srv/kyso/kyso.db");
	assert_null(c.tsa_key);        /* the key file replaces the demo TSA token */
	assert_int_equal(c.n_keys, 1); /* the file's keys replace the demo's */
	ks_api_conf_cleanup(&c);
}

static void test_conf_errors(void **state)
{
	static const char *const bad[] = {
		"[server]\nlisten = 1\nlisten = 2\n",     /* repeated */
		"[server]\nbogus = 1\n",                  /* unknown option */
		"[nosuch]\n",                             /* unknown section */
		"listen = 1\n",                           /* outside a section */
		"[server]\nthreads = 0\n",                /* out of range */
		"[server]\nmax-body = 12X\n",             /* bad suffix */
		"[signing]\ndigests = md5\n",             /* not allowed */
		"[key \"a b\"]\nuri = pkcs11:x\n",        /* bad name */
		"[key \"k\"]\n",                          /* neither uri nor key-file */
		"[server]\ntls-cert = /c.pem\n",          /* without its key */
		"[tsa]\nkey = pkcs11:a\nkey-file = /b\n", /* both */
		"[signing]\nbatch-max = 1001\n",          /* over the batch limit */
		"[state]\ncommit-delay = 101\n",          /* over 100 ms */
		"[key \"k\"]\nuri = pkcs11:x\nsession-activation = yes\n" /* not personal */
	};
	struct ks_api_conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ks_err_clear();
		if (conf_text(bad[i], &c) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(ks_err_code(), KS_ERR_PARSE);
		ks_api_conf_cleanup(&c);
	}
	/* the message names the line */
	assert_int_equal(conf_text("[server]\n\n\nbogus = 1\n", &c), -1);
	assert_non_null(strstr(ks_err_msg(), "line 4"));
	ks_api_conf_cleanup(&c);
}

static void test_params_query(void **state)
{
	struct ks_api_params ps;
	static const char q[] = "key=seal&level=B-T&reason=X%C3%A1c+nh%E1%BA%ADn&&pss=true";
	bool b = false;

	(void)state;
	ks_api_params_init(&ps);
	assert_ok(ks_api_params_from_query(q, strlen(q), &ps));
	assert_string_equal(ks_api_param(&ps, "key"), "seal");
	assert_string_equal(ks_api_param(&ps, "reason"), "Xác nhận");
	assert_ok(ks_api_param_bool(&ps, "pss", &b));
	assert_true(b);
	ks_api_params_cleanup(&ps);
	/* refused: a repeat, a bad escape, a binary value, a control character */
	ks_api_params_init(&ps);
	assert_fails_with(ks_api_params_from_query("a=1&a=2", 7, &ps), KS_ERR_PARSE);
	ks_api_params_cleanup(&ps);
	ks_api_params_init(&ps);
	assert_fails_with(ks_api_params_from_query("a=%zz", 5, &ps), KS_ERR_ENCODING);
	ks_api_params_cleanup(&ps);
	ks_api_params_init(&ps);
	assert_fails_with(ks_api_params_from_query("document=x", 10, &ps), KS_ERR_PARSE);
	ks_api_params_cleanup(&ps);
	ks_api_params_init(&ps);
	assert_fails_with(ks_api_params_from_query("a=%0a", 5, &ps), KS_ERR_ENCODING);
	ks_api_params_cleanup(&ps);
}

static void test_params_json(void **state)
{
	static const char ok[] = "{\"key\":\"seal\",\"certify\":2,\"pss\":false,"
				 "\"document\":\"aGVsbG8=\",\"chain\":[\"AQI=\",\"AwQ=\"]}";
	struct ks_api_params ps;
	const struct ks_api_blob *b;

	(void)state;
	ks_api_params_init(&ps);
	assert_ok(ks_api_params_from_json((const uint8_t *)ok, strlen(ok), &ps));
	assert_string_equal(ks_api_param(&ps, "certify"), "2");
	assert_string_equal(ks_api_param(&ps, "pss"), "false");
	b = ks_api_blob(&ps, "document");
	assert_non_null(b);
	assert_int_equal(b->len, 5);
	assert_memory_equal(b->data, "hello", 5);
	assert_int_equal(ps.nb, 3);
	ks_api_params_cleanup(&ps);
	ks_api_params_init(&ps);
	assert_fails_with(
	    ks_api_params_from_json((const uint8_t *)"{\"document\":\"!!\"}", 17, &ps),
	    KS_ERR_ENCODING);
	ks_api_params_cleanup(&ps);
	ks_api_params_init(&ps);
	assert_fails_with(ks_api_params_from_json((const uint8_t *)"{\"a\":1,\"a\":2}", 13, &ps),
			  KS_ERR_PARSE);
	ks_api_params_cleanup(&ps);
	ks_api_params_init(&ps);
	assert_fails_with(ks_api_params_from_json((const uint8_t *)"{\"a\":{}}", 8, &ps),
			  KS_ERR_PARSE);
	ks_api_params_cleanup(&ps);
}

static void test_multipart(void **state)
{
	static const char body[] = "preamble\r\n--B\r\nContent-Disposition: form-data; name=\"key\""
				   "\r\n\r\nseal\r\n--B\r\nContent-Disposition: form-data; "
				   "name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: "
				   "application/pdf\r\n\r\n%PDF\r\n\r\n--B--\r\nepilogue";
	struct ks_api_params ps;
	const struct ks_api_blob *b;
	char bd[KS_MP_BOUNDARY_MAX + 1];

	(void)state;
	assert_ok(ks_multipart_boundary("multipart/form-data; boundary=\"B\"", bd, sizeof(bd)));
	assert_string_equal(bd, "B");
	ks_api_params_init(&ps);
	assert_ok(ks_api_params_from_multipart("multipart/form-data; boundary=B",
					       (const uint8_t *)body, strlen(body), &ps));
	assert_string_equal(ks_api_param(&ps, "key"), "seal");
	b = ks_api_blob(&ps, "document"); /* "file" is the document */
	assert_non_null(b);
	assert_int_equal(b->len, 6);
	assert_memory_equal(b->data, "%PDF\r\n", 6);
	ks_api_params_cleanup(&ps);
	/* no closing delimiter; no boundary; another type */
	ks_api_params_init(&ps);
	assert_fails_with(ks_api_params_from_multipart("multipart/form-data; boundary=B",
						       (const uint8_t *)body, 60, &ps),
			  KS_ERR_PARSE);
	ks_api_params_cleanup(&ps);
	assert_fails_with(ks_multipart_boundary("multipart/form-data", bd, sizeof(bd)),
			  KS_ERR_PARSE);
	assert_fails_with(ks_multipart_boundary("text/plain; boundary=B", bd, sizeof(bd)),
			  KS_ERR_PARSE);
}

static void test_tokens(void **state)
{
	struct ks_store_client c;
	struct ks_buf tok;
	char id[KS_STORE_ID_MAX], id2[KS_STORE_ID_MAX], hdr[128];
	uint8_t h2[KS_STORE_HASH_LEN];

	(void)state;
	memset(&c, 0, sizeof(c));
	ks_buf_init_secret(&tok, 128);
	assert_ok(ks_api_token_new(&tok, c.id, c.secret_hash));
	assert_int_equal(tok.len, KS_TOKEN_LEN);
	snprintf(hdr, sizeof(hdr), "Bearer %.*s", (int)tok.len, (const char *)tok.data);
	assert_ok(ks_api_token_parse(hdr, id, h2));
	assert_string_equal(id, c.id);
	assert_true(ks_api_token_matches(&c, h2));
	/* one character of the secret changed: same id, no match */
	hdr[strlen(hdr) - 1] = hdr[strlen(hdr) - 1] == 'A' ? 'B' : 'A';
	assert_ok(ks_api_token_parse(hdr, id2, h2));
	assert_string_equal(id2, c.id);
	assert_false(ks_api_token_matches(&c, h2));
	assert_fails_with(ks_api_token_parse("Basic abc", id, h2), KS_ERR_PARSE);
	assert_fails_with(ks_api_token_parse("Bearer kyso_short", id, h2), KS_ERR_PARSE);
	ks_buf_cleanup(&tok);
}

static void test_activations(void **state)
{
	EVP_PKEY *holder = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	uint8_t d[2][32];
	struct ks_buf act;
	struct ks_activation a;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	assert_non_null(holder);
	assert_non_null(other);
	memset(d[0], 1, 32);
	memset(d[1], 2, 32);
	ks_buf_init(&act, KS_ACT_MAX);
	ks_activation_init(&a);
	assert_ok(ks_activation_make(holder, "principal", (const uint8_t(*)[32])d, 1, 60, &act));
	assert_ok(ks_activation_parse((const char *)act.data, act.len, holder, &a));
	assert_ok(ks_activation_allows(&a, "principal", (const uint8_t(*)[32])d, 1, now, 600));
	/* another key, another document, expired, too long-lived */
	assert_fails_with(ks_activation_allows(&a, "teacher", (const uint8_t(*)[32])d, 1, now, 600),
			  KS_ERR_VERIFY);
	assert_fails_with(
	    ks_activation_allows(&a, "principal", (const uint8_t(*)[32])d + 1, 1, now, 600),
	    KS_ERR_VERIFY);
	assert_fails_with(
	    ks_activation_allows(&a, "principal", (const uint8_t(*)[32])d, 1, now + 61, 600),
	    KS_ERR_VERIFY);
	assert_fails_with(
	    ks_activation_allows(&a, "principal", (const uint8_t(*)[32])d, 1, now, 30),
	    KS_ERR_VERIFY);
	/* signed by someone else */
	assert_fails_with(ks_activation_parse((const char *)act.data, act.len, other, &a),
			  KS_ERR_VERIFY);
	/* one byte of the payload changed */
	act.data[strlen(KS_ACT_PREFIX) + 3] ^= 1;
	assert_int_equal(ks_activation_parse((const char *)act.data, act.len, holder, &a), -1);
	ks_activation_cleanup(&a);
	ks_buf_cleanup(&act);
	EVP_PKEY_free(holder);
	EVP_PKEY_free(other);
}

static void test_session_activations(void **state)
{
	EVP_PKEY *holder = EVP_EC_gen("P-256");
	uint8_t d[1][32];
	struct ks_buf act;
	struct ks_activation a;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	assert_non_null(holder);
	memset(d[0], 1, 32);
	ks_buf_init(&act, KS_ACT_MAX);
	ks_activation_init(&a);
	assert_ok(ks_activation_make_session(holder, "teacher", 40, 3600, &act));
	assert_ok(ks_activation_parse((const char *)act.data, act.len, holder, &a));
	assert_int_equal(a.uses, 40);
	assert_int_equal(a.n_digests, 0);
	assert_ok(ks_activation_allows_session(&a, "teacher", now, 8 * 3600, 200));
	/* another key, expired, too long-lived, too many uses */
	assert_fails_with(ks_activation_allows_session(&a, "principal", now, 8 * 3600, 200),
			  KS_ERR_VERIFY);
	assert_fails_with(ks_activation_allows_session(&a, "teacher", now + 3601, 8 * 3600, 200),
			  KS_ERR_VERIFY);
	assert_fails_with(ks_activation_allows_session(&a, "teacher", now, 600, 200),
			  KS_ERR_VERIFY);
	assert_fails_with(ks_activation_allows_session(&a, "teacher", now, 8 * 3600, 39),
			  KS_ERR_VERIFY);
	/* a session activation never passes as a digests-bound one, nor
	 * the other way round */
	assert_fails_with(ks_activation_allows(&a, "teacher", (const uint8_t(*)[32])d, 1, now, 600),
			  KS_ERR_VERIFY);
	ks_buf_reset(&act);
	assert_ok(ks_activation_make(holder, "teacher", (const uint8_t(*)[32])d, 1, 60, &act));
	assert_ok(ks_activation_parse((const char *)act.data, act.len, holder, &a));
	assert_int_equal(a.uses, 0);
	assert_fails_with(ks_activation_allows_session(&a, "teacher", now, 8 * 3600, 200),
			  KS_ERR_VERIFY);
	assert_fails_with(ks_activation_make_session(holder, "teacher", 0, 60, &act), KS_ERR_ARG);
	ks_activation_cleanup(&a);
	ks_buf_cleanup(&act);
	EVP_PKEY_free(holder);
}

static void test_problems(void **state)
{
	const char *const *codes = ks_api_problem_codes();
	struct ks_api_reply r;
	const char *detail;
	size_t i;

	(void)state;
	for (i = 0; codes[i] != NULL; i++) {
		unsigned st = ks_api_problem_status(codes[i]);

		assert_true(st >= 400 && st < 600);
	}
	assert_int_equal(ks_api_problem_status("unauthorized"), 401);
	assert_int_equal(ks_api_problem_status("too-large"), 413);
	assert_string_equal(ks_api_problem_of_error(KS_ERR_TOKEN, &detail), "token-unavailable");
	ks_api_reply_init(&r);
	ks_api_problem(&r, "0123456789abcdef", "forbidden-key", "not \"granted\"");
	assert_int_equal(r.status, 403);
	assert_string_equal(r.content_type, "application/problem+json");
	assert_non_null(
	    strstr((const char *)r.body.data, "\"type\":\"urn:kyso:problem:forbidden-key\""));
	assert_non_null(strstr((const char *)r.body.data, "\"detail\":\"not \\\"granted\\\"\""));
	assert_non_null(strstr((const char *)r.body.data, "\"request_id\":\"0123456789abcdef\""));
	ks_api_reply_cleanup(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_defaults), cmocka_unit_test(test_conf_file),
		cmocka_unit_test(test_conf_errors),   cmocka_unit_test(test_params_query),
		cmocka_unit_test(test_params_json),   cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_tokens),        cmocka_unit_test(test_activations),
		cmocka_unit_test(test_problems),      cmocka_unit_test(test_session_activations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
