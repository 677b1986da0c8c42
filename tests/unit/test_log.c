/* Unit tests for core/ks_log: level filtering, and no secret ever
 * reaching the log. */
#include "ks_test.h"

#include <pthread.h>
#include <unistd.h>

#include "ks_codec.h"
#include "ks_io.h"
#include "ks_log.h"

/* Log output captured in memory. */
struct capture {
	FILE *f;
	char *text;
	size_t len;
};

static int capture_setup(void **state)
{
	struct capture *cap = calloc(1, sizeof(*cap));

	if (cap == NULL)
		return -1;
	cap->f = open_memstream(&cap->text, &cap->len);
	if (cap->f == NULL) {
		free(cap);
		return -1;
	}
	ks_log_set_stream(cap->f);
	ks_log_set_level(KS_LOG_WARN);
	*state = cap;
	return 0;
}

static int capture_teardown(void **state)
{
	struct capture *cap = *state;

	ks_log_set_stream(NULL);
	ks_log_set_level(KS_LOG_WARN);
	fclose(cap->f);
	free(cap->text);
	free(cap);
	return 0;
}

/* Everything logged so far, NUL-terminated. */
static const char *captured(struct capture *cap)
{
	assert_int_equal(fflush(cap->f), 0);
	return cap->text != NULL ? cap->text : "";
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

static void test_level_filter(void **state)
{
	struct capture *cap = *state;
	const char *out;

	ks_log_set_level(KS_LOG_WARN);
	assert_int_equal(ks_log_get_level(), KS_LOG_WARN);
	ks_log(KS_LOG_DEBUG, "debug-%d", 1);
	ks_log(KS_LOG_INFO, "info-%d", 1);
	ks_log(KS_LOG_WARN, "warn-%d", 1);
	ks_log(KS_LOG_ERROR, "error-%d", 1);
	out = captured(cap);
	assert_null(strstr(out, "debug-1"));
	assert_null(strstr(out, "info-1"));
	assert_non_null(strstr(out, " kyso warn: warn-1\n"));
	assert_non_null(strstr(out, " kyso error: error-1\n"));
	assert_int_equal(count_lines(out), 2);

	ks_log_set_level(KS_LOG_DEBUG);
	ks_log(KS_LOG_DEBUG, "debug-%d", 2);
	ks_log(KS_LOG_INFO, "info-%d", 2);
	out = captured(cap);
	assert_non_null(strstr(out, " kyso debug: debug-2\n"));
	assert_non_null(strstr(out, " kyso info: info-2\n"));
	assert_int_equal(count_lines(out), 4);

	/* OFF silences everything; OFF is never a level to log at. */
	ks_log_set_level(KS_LOG_OFF);
	ks_log(KS_LOG_ERROR, "error-%d", 3);
	ks_log_set_level(KS_LOG_DEBUG);
	ks_log(KS_LOG_OFF, "off-%d", 3);
	ks_log((enum ks_log_level)99, "bogus-%d", 3);
	out = captured(cap);
	assert_null(strstr(out, "error-3"));
	assert_null(strstr(out, "off-3"));
	assert_null(strstr(out, "bogus-3"));
	assert_int_equal(count_lines(out), 4);
}

/* Lines start with an RFC 3339 UTC time stamp. */
static void test_line_format(void **state)
{
	struct capture *cap = *state;
	const char *out;

	ks_log(KS_LOG_ERROR, "%s %d", "hello", 5);
	out = captured(cap);
	assert_true(strlen(out) > 21);
	assert_int_equal(out[4], '-');
	assert_int_equal(out[10], 'T');
	assert_int_equal(out[19], 'Z');
	assert_int_equal(out[20], ' ');
	assert_string_equal(out + 21, "kyso error: hello 5\n");
}

static void test_level_parse(void **state)
{
	static const char *const names[] = { "debug", "info", "warn", "error", "off" };
	enum ks_log_level lv;
	size_t i;
	char big[300];

	(void)state;
	for (i = 0; i < 5; i++) {
		lv = (enum ks_log_level)77;
		assert_ok(ks_log_level_parse(names[i], &lv));
		assert_int_equal(lv, (int)i);
	}
	lv = KS_LOG_ERROR;
	assert_fails_with(ks_log_level_parse("", &lv), KS_ERR_ARG);
	assert_fails_with(ks_log_level_parse("DEBUG", &lv), KS_ERR_ARG);
	assert_fails_with(ks_log_level_parse("warning", &lv), KS_ERR_ARG);
	assert_fails_with(ks_log_level_parse("info ", &lv), KS_ERR_ARG);
	assert_fails_with(ks_log_level_parse("inf", &lv), KS_ERR_ARG);
	assert_fails_with(ks_log_level_parse("3", &lv), KS_ERR_ARG);
	assert_int_equal(lv, KS_LOG_ERROR);

	/* The message quotes at most a bounded prefix of the input. */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_fails_with(ks_log_level_parse(big, &lv), KS_ERR_ARG);
	assert_true(strlen(ks_err_msg()) < 100);
}

static void test_log_err(void **state)
{
	struct capture *cap = *state;
	const char *out;
	char where[64];
	int line;

	line = __LINE__ + 1;
	(void)KS_SET(KS_ERR_PDF_XREF, "xref offset %d beyond end", 99);
	ks_log_err(KS_LOG_ERROR, "signing");
	out = captured(cap);
	assert_non_null(strstr(out, "signing: xref offset 99 beyond end [pdf-xref]"));
	snprintf(where, sizeof(where), "(%s:%d)", __FILE__, line);
	assert_non_null(strstr(out, where));

	/* Below the level: nothing. */
	ks_log_err(KS_LOG_INFO, "quiet");
	assert_null(strstr(captured(cap), "quiet"));
}

static void test_log_buf_public(void **state)
{
	struct capture *cap = *state;
	struct ks_buf b;

	ks_buf_init(&b, 64);
	assert_ok(ks_buf_append(&b, "\xde\xad\xbe\xef\x00\x7f", 6));
	assert_ok(ks_log_buf(KS_LOG_WARN, "blob", &b));
	assert_non_null(strstr(captured(cap), "blob (6 bytes): deadbeef007f\n"));

	/* Filtered out: succeeds, writes nothing. */
	assert_ok(ks_log_buf(KS_LOG_DEBUG, "hidden", &b));
	assert_null(strstr(captured(cap), "hidden"));

	ks_buf_reset(&b);
	assert_ok(ks_log_buf(KS_LOG_ERROR, "empty", &b));
	assert_non_null(strstr(captured(cap), "empty (0 bytes): \n"));
	ks_buf_cleanup(&b);
}

static void test_log_buf_secret(void **state)
{
	struct capture *cap = *state;
	static const uint8_t key[] = { 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0xc0, 0xff, 0xee, 0x42 };
	struct ks_buf b, hex;
	const char *hs, *out;

	ks_buf_init(&hex, 256);
	assert_ok(ks_hex_encode(key, sizeof(key), &hex));
	assert_ok(ks_buf_cstr(&hex, &hs));

	ks_buf_init_secret(&b, 64);
	assert_ok(ks_buf_append(&b, key, sizeof(key)));
	/* Refused at every level, including the ones that would print. */
	assert_fails_with(ks_log_buf(KS_LOG_ERROR, "pin", &b), KS_ERR_SECRET);
	assert_fails_with(ks_log_buf(KS_LOG_WARN, "pin", &b), KS_ERR_SECRET);
	assert_fails_with(ks_log_buf(KS_LOG_DEBUG, "pin", &b), KS_ERR_SECRET);
	ks_log_set_level(KS_LOG_DEBUG);
	assert_fails_with(ks_log_buf(KS_LOG_DEBUG, "pin", &b), KS_ERR_SECRET);
	ks_log_set_level(KS_LOG_OFF);
	assert_fails_with(ks_log_buf(KS_LOG_ERROR, "pin", &b), KS_ERR_SECRET);

	out = captured(cap);
	/* Neither the hex nor the raw bytes, nor a prefix of them. */
	assert_null(strstr(out, hs));
	assert_null(strstr(out, "313233"));
	assert_null(strstr(out, "123456"));
	assert_null(strstr(out, "c0ffee"));
	/* The refusal itself is visible, by label and size only. */
	assert_non_null(strstr(out, "pin: <secret, 10 bytes, not logged>"));
	/* The error message names the label, not the contents. */
	assert_null(strstr(ks_err_msg(), "123456"));

	/* Even an empty secret buffer is refused. */
	ks_buf_reset(&b);
	assert_fails_with(ks_log_buf(KS_LOG_ERROR, "pin", &b), KS_ERR_SECRET);
	ks_buf_cleanup(&b);
	ks_buf_cleanup(&hex);
}

/* With no stream set, lines go to standard error. */
static void test_default_stderr(void **state)
{
	char path[] = "/tmp/kyso-test-log.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	struct ks_buf got;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	ks_log_set_stream(NULL);
	ks_log_set_level(KS_LOG_INFO);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	ks_log(KS_LOG_INFO, "to-stderr %d", 42);
	ks_log(KS_LOG_DEBUG, "filtered");
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	close(fd);
	ks_log_set_level(KS_LOG_WARN);

	ks_buf_init(&got, 4096);
	assert_ok(ks_file_read(path, 4096, &got));
	unlink(path);
	assert_ok(ks_buf_append_byte(&got, 0));
	assert_non_null(strstr((const char *)got.data, " kyso info: to-stderr 42\n"));
	assert_null(strstr((const char *)got.data, "filtered"));
	ks_buf_cleanup(&got);
}

#define LOG_THREADS 4
#define LOG_LINES 300

static void *log_thread(void *arg)
{
	int id = (int)(intptr_t)arg, i;

	for (i = 0; i < LOG_LINES; i++)
		ks_log(KS_LOG_ERROR, "T%d-%04d-%s-end", id, i,
		       "................................................................");
	return NULL;
}

/* Concurrent lines never interleave inside a line. */
static void test_threads(void **state)
{
	struct capture *cap = *state;
	pthread_t t[LOG_THREADS];
	const char *out, *p;
	size_t lines = 0;
	int i;

	for (i = 0; i < LOG_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, log_thread, (void *)(intptr_t)i), 0);
	for (i = 0; i < LOG_THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	out = captured(cap);
	for (p = out; *p != '\0'; lines++) {
		const char *nl = strchr(p, '\n'), *body = strstr(p, "kyso error: T");

		assert_non_null(nl);
		assert_non_null(body);
		assert_true(body < nl);
		assert_true(nl - body == (ptrdiff_t)strlen("kyso error: T0-0000--end") + 64);
		assert_memory_equal(nl - 4, "-end", 4);
		p = nl + 1;
	}
	assert_int_equal(lines, LOG_THREADS * LOG_LINES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_level_filter, capture_setup, capture_teardown),
		cmocka_unit_test_setup_teardown(test_line_format, capture_setup, capture_teardown),
		cmocka_unit_test(test_level_parse),
		cmocka_unit_test(test_default_stderr),
		cmocka_unit_test_setup_teardown(test_log_err, capture_setup, capture_teardown),
		cmocka_unit_test_setup_teardown(test_log_buf_public, capture_setup,
						capture_teardown),
		cmocka_unit_test_setup_teardown(test_log_buf_secret, capture_setup,
						capture_teardown),
		cmocka_unit_test_setup_teardown(test_threads, capture_setup, capture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
