/* Unit tests for signer/ks_batch: the list file (hostile lines), a
 * folder's files, output names and clashes, the run (one failure among
 * others, a stop request) and what --resume takes as signed the same way
 * (CMS over a file key from the test PKI). */
#include "ks_test.h"

#include <ftw.h>
#include <sys/stat.h>

#include "ks_io.h"
#include "ks_key.h"
#include "signer/ks_batch.h"

/* Each test works in a fresh temporary directory (tdir.h). */
#define TDIR_PREFIX "kyso-test-batch"
#include "tdir.h"

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, strlen(s), f), strlen(s));
	assert_int_equal(fclose(f), 0);
}

static void test_list(void **state)
{
	struct ks_batch b;
	static const char list[] = "# class 12A3\r\n\r\n/srv/a.pdf\r\nb c.xml\n#\n\nlast.txt";

	(void)state;
	ks_batch_init(&b);
	assert_ok(ks_batch_parse_list(&b, (const uint8_t *)list, sizeof(list) - 1));
	assert_int_equal(b.n, 3);
	assert_string_equal(b.items[0].in, "/srv/a.pdf");
	assert_string_equal(b.items[1].in, "b c.xml");
	assert_string_equal(b.items[2].in, "last.txt");
	assert_int_equal(b.items[0].status, KS_BATCH_PENDING);
	ks_batch_cleanup(&b);

	/* Empty, or only blank and comment lines: nothing, no error. */
	ks_batch_init(&b);
	assert_ok(ks_batch_parse_list(&b, (const uint8_t *)"", 0));
	assert_ok(ks_batch_parse_list(&b, (const uint8_t *)"\n\r\n#x\n", 6));
	assert_int_equal(b.n, 0);
	ks_batch_cleanup(&b);
}

static void test_list_hostile(void **state)
{
	struct ks_batch b;
	char *big;
	size_t i, n;

	(void)state;
	ks_batch_init(&b);
	assert_fails_with(ks_batch_parse_list(&b, (const uint8_t *)"a\nb\0c\n", 6), KS_ERR_PARSE);
	ks_batch_cleanup(&b);

	/* A line of KS_BATCH_LINE_MAX bytes is a path; one more is not. */
	big = malloc(KS_BATCH_LINE_MAX + 3);
	assert_non_null(big);
	memset(big, 'x', KS_BATCH_LINE_MAX + 1);
	big[KS_BATCH_LINE_MAX + 1] = '\n';
	ks_batch_init(&b);
	assert_ok(ks_batch_parse_list(&b, (const uint8_t *)big, KS_BATCH_LINE_MAX));
	assert_int_equal(b.n, 1);
	assert_fails_with(ks_batch_parse_list(&b, (const uint8_t *)big, KS_BATCH_LINE_MAX + 2),
			  KS_ERR_LIMIT);
	ks_batch_cleanup(&b);
	free(big);

	/* More than KS_BATCH_FILES_MAX paths. */
	n = (size_t)(KS_BATCH_FILES_MAX + 1) * 2;
	big = malloc(n);
	assert_non_null(big);
	for (i = 0; i < n; i += 2) {
		big[i] = 'a';
		big[i + 1] = '\n';
	}
	ks_batch_init(&b);
	assert_fails_with(ks_batch_parse_list(&b, (const uint8_t *)big, n), KS_ERR_LIMIT);
	ks_batch_cleanup(&b);
	free(big);
}

static void test_dir(void **state)
{
	struct tdir *t = *state;
	struct ks_batch b;
	char link_target[600];

	write_file(tpath(t, "b.pdf"), "b");
	write_file(tpath(t, "a.xml"), "a");
	write_file(tpath(t, ".hidden.pdf"), "h");
	assert_int_equal(mkdir(tpath(t, "sub"), 0700), 0);
	write_file(tpath(t, "sub/c.pdf"), "c");
	snprintf(link_target, sizeof(link_target), "%s/sub/c.pdf", t->dir);
	assert_int_equal(symlink(link_target, tpath(t, "c-link.pdf")), 0);
	assert_int_equal(symlink("/nonexistent/x", tpath(t, "dangling.pdf")), 0);
	ks_batch_init(&b);
	assert_ok(ks_batch_add_dir(&b, t->dir));
	/* Sorted; no hidden file, no subfolder, no dangling link. */
	assert_int_equal(b.n, 3);
	assert_string_equal(b.items[0].in, tpath(t, "a.xml"));
	assert_string_equal(b.items[1].in, tpath(t, "b.pdf"));
	assert_string_equal(b.items[2].in, tpath(t, "c-link.pdf"));
	ks_batch_cleanup(&b);

	ks_batch_init(&b);
	assert_fails_with(ks_batch_add_dir(&b, tpath(t, "missing")), KS_ERR_IO);
	ks_batch_cleanup(&b);
}

static void test_out_names(void **state)
{
	struct ks_buf o;

	(void)state;
	ks_buf_init(&o, 4096);
	assert_ok(ks_batch_out_name("/x/y/hb.pdf", KS_FORMAT_PDF, NULL, &o));
	assert_int_equal(o.len, 6);
	assert_memory_equal(o.data, "hb.pdf", 6);
	ks_buf_reset(&o);
	assert_ok(ks_batch_out_name("rec.xml", KS_FORMAT_XML, "enveloped", &o));
	assert_memory_equal(o.data, "rec.xml", 7);
	ks_buf_reset(&o);
	assert_ok(ks_batch_out_name("rec.xml", KS_FORMAT_XML, "detached", &o));
	assert_int_equal(o.len, 15);
	assert_memory_equal(o.data, "rec.xml.sig.xml", 15);
	ks_buf_reset(&o);
	assert_ok(ks_batch_out_name("dir/data.csv", KS_FORMAT_CMS, NULL, &o));
	assert_int_equal(o.len, 12);
	assert_memory_equal(o.data, "data.csv.p7s", 12);
	ks_buf_reset(&o);
	assert_fails_with(ks_batch_out_name("dir/", KS_FORMAT_PDF, NULL, &o), KS_ERR_USAGE);
	assert_fails_with(ks_batch_out_name("dir/..", KS_FORMAT_PDF, NULL, &o), KS_ERR_USAGE);
	ks_buf_cleanup(&o);
}

static void test_plan(void **state)
{
	struct tdir *t = *state;
	struct ks_batch b;

	ks_batch_init(&b);
	assert_ok(ks_batch_add(&b, "one/hb.pdf"));
	assert_ok(ks_batch_add(&b, "two/hb.xml"));
	b.items[0].format = KS_FORMAT_PDF;
	b.items[1].format = KS_FORMAT_XML;
	assert_ok(ks_batch_plan(&b, "/out/", NULL));
	assert_string_equal(b.items[0].out, "/out/hb.pdf");
	assert_string_equal(b.items[1].out, "/out/hb.xml");
	/* Two inputs of one name: refused before anything is signed. */
	assert_ok(ks_batch_add(&b, "three/hb.pdf"));
	b.items[2].format = KS_FORMAT_PDF;
	assert_fails_with(ks_batch_plan(&b, "/out", NULL), KS_ERR_USAGE);
	ks_batch_cleanup(&b);

	/* An output that would replace its input. */
	write_file(tpath(t, "hb.pdf"), "x");
	ks_batch_init(&b);
	assert_ok(ks_batch_add(&b, tpath(t, "hb.pdf")));
	b.items[0].format = KS_FORMAT_PDF;
	assert_fails_with(ks_batch_plan(&b, t->dir, NULL), KS_ERR_USAGE);
	ks_batch_cleanup(&b);
}

static struct ks_key *principal_key(void)
{
	struct ks_key *key = NULL;
	char k[4096], c[4096], ch[4096];

	snprintf(k, sizeof(k), "%s", ks_test_pki("principal-rsa.key.pem"));
	snprintf(c, sizeof(c), "%s", ks_test_pki("principal-rsa.cert.pem"));
	snprintf(ch, sizeof(ch), "%s", ks_test_pki("principal-rsa.chain.pem"));
	assert_ok(ks_filekey_open(k, c, ch, NULL, &key));
	return key;
}

static int pki_setup(void **state)
{
	if (ks_test_pki_ready("principal-rsa.key.pem", "principal-ec.key.pem") < 0)
		return -1;
	return tdir_setup(state);
}

/* Three inputs, the second a folder (cannot be read): two signed, one
 * failed with its reason; a re-run with resume skips the two. */
static void test_run_and_resume(void **state)
{
	struct tdir *t = *state;
	struct ks_batch b;
	struct ks_sign_job tmpl;
	struct ks_batch_run_opts o;
	struct ks_key *key = principal_key();
	char from[600];
	size_t i;

	write_file(tpath(t, "a.txt"), "first record\n");
	assert_int_equal(mkdir(tpath(t, "b.txt"), 0700), 0);
	write_file(tpath(t, "c.txt"), "third record\n");
	assert_int_equal(mkdir(tpath(t, "out"), 0700), 0);
	ks_sign_job_init(&tmpl);
	tmpl.key = key;
	tmpl.format = KS_FORMAT_CMS;
	memset(&o, 0, sizeof(o));
	ks_batch_init(&b);
	assert_ok(ks_batch_add(&b, tpath(t, "a.txt")));
	assert_ok(ks_batch_add(&b, tpath(t, "b.txt")));
	assert_ok(ks_batch_add(&b, tpath(t, "c.txt")));
	for (i = 0; i < b.n; i++)
		b.items[i].format = KS_FORMAT_CMS;
	assert_ok(ks_batch_plan(&b, tpath(t, "out"), NULL));
	assert_ok(ks_batch_run(&b, &tmpl, &o));
	assert_int_equal(b.items[0].status, KS_BATCH_SIGNED);
	assert_int_equal(b.items[1].status, KS_BATCH_FAILED);
	assert_non_null(b.items[1].reason);
	assert_true(strlen(b.items[1].reason) > 0);
	assert_int_equal(b.items[2].status, KS_BATCH_SIGNED);
	assert_int_equal(b.signed_n, 2);
	assert_int_equal(b.failed_n, 1);
	assert_false(b.stopped);
	assert_int_equal(access(tpath(t, "out/b.txt.p7s"), F_OK), -1);

	/* The outputs are signatures of these very inputs by this key. */
	tmpl.format = KS_FORMAT_CMS;
	assert_true(ks_batch_signed_same(&tmpl, &b.items[0]));
	assert_true(ks_batch_signed_same(&tmpl, &b.items[2]));
	/* Another digest asked: not the same. */
	tmpl.md = "sha384";
	assert_false(ks_batch_signed_same(&tmpl, &b.items[0]));
	tmpl.md = NULL;
	/* Another level asked. */
	tmpl.level = "B-T";
	assert_false(ks_batch_signed_same(&tmpl, &b.items[0]));
	tmpl.level = NULL;
	/* The input changed since. */
	write_file(tpath(t, "c.txt"), "third record, changed\n");
	assert_false(ks_batch_signed_same(&tmpl, &b.items[2]));
	/* Another output in its place (the signature of another file). */
	snprintf(from, sizeof(from), "%s", tpath(t, "out/a.txt.p7s"));
	assert_int_equal(rename(from, tpath(t, "out/c.txt.p7s")), 0);
	assert_false(ks_batch_signed_same(&tmpl, &b.items[2]));
	assert_false(ks_batch_signed_same(&tmpl, &b.items[0])); /* gone */
	ks_batch_cleanup(&b);
	ks_key_free(key);
}

static void test_other_key_not_same(void **state)
{
	struct tdir *t = *state;
	struct ks_batch b;
	struct ks_sign_job tmpl;
	struct ks_batch_run_opts o;
	struct ks_key *key = principal_key(), *ec = NULL;
	char k[4096], c[4096];

	write_file(tpath(t, "a.txt"), "record\n");
	ks_sign_job_init(&tmpl);
	tmpl.key = key;
	tmpl.format = KS_FORMAT_CMS;
	memset(&o, 0, sizeof(o));
	ks_batch_init(&b);
	assert_ok(ks_batch_add(&b, tpath(t, "a.txt")));
	b.items[0].format = KS_FORMAT_CMS;
	assert_int_equal(mkdir(tpath(t, "out"), 0700), 0);
	assert_ok(ks_batch_plan(&b, tpath(t, "out"), NULL));
	assert_ok(ks_batch_run(&b, &tmpl, &o));
	assert_int_equal(b.items[0].status, KS_BATCH_SIGNED);
	snprintf(k, sizeof(k), "%s", ks_test_pki("principal-ec.key.pem"));
	snprintf(c, sizeof(c), "%s", ks_test_pki("principal-ec.cert.pem"));
	assert_ok(ks_filekey_open(k, c, NULL, NULL, &ec));
	tmpl.key = ec;
	assert_false(ks_batch_signed_same(&tmpl, &b.items[0]));
	/* Resume with the first key skips it. */
	tmpl.key = key;
	b.items[0].status = KS_BATCH_PENDING;
	b.signed_n = 0;
	o.resume = true;
	assert_ok(ks_batch_run(&b, &tmpl, &o));
	assert_int_equal(b.items[0].status, KS_BATCH_SKIPPED);
	assert_int_equal(b.skipped_n, 1);
	ks_batch_cleanup(&b);
	ks_key_free(ec);
	ks_key_free(key);
}

/* Temporary files left by a killed run: those of the batch's outputs are
 * removed in one pass; another file's, or a non-temporary name, stays. */
static void test_stale_outputs(void **state)
{
	struct tdir *t = *state;
	struct ks_batch b;
	struct ks_sign_job tmpl;
	struct ks_batch_run_opts o;
	struct ks_key *key = principal_key();

	write_file(tpath(t, "a.txt"), "record\n");
	assert_int_equal(mkdir(tpath(t, "out"), 0700), 0);
	write_file(tpath(t, "out/a.txt.p7s.tmp.Ab3dE9"), "half");
	write_file(tpath(t, "out/b.txt.p7s.tmp.Ab3dE9"), "someone else's");
	write_file(tpath(t, "out/a.txt.p7s.tmp.Ab3d"), "not a temporary name");
	ks_sign_job_init(&tmpl);
	tmpl.key = key;
	memset(&o, 0, sizeof(o));
	ks_batch_init(&b);
	assert_ok(ks_batch_add(&b, tpath(t, "a.txt")));
	b.items[0].format = KS_FORMAT_CMS;
	assert_ok(ks_batch_plan(&b, tpath(t, "out"), NULL));
	assert_ok(ks_batch_run(&b, &tmpl, &o));
	assert_int_equal(b.items[0].status, KS_BATCH_SIGNED);
	assert_int_equal(access(tpath(t, "out/a.txt.p7s.tmp.Ab3dE9"), F_OK), -1);
	assert_int_equal(access(tpath(t, "out/b.txt.p7s.tmp.Ab3dE9"), F_OK), 0);
	assert_int_equal(access(tpath(t, "out/a.txt.p7s.tmp.Ab3d"), F_OK), 0);
	assert_int_equal(access(tpath(t, "out/a.txt.p7s"), F_OK), 0);
	ks_batch_cleanup(&b);
	ks_key_free(key);
}

/* A stop request before the run: nothing is done, the batch says so. */
static void test_stop(void **state)
{
	struct tdir *t = *state;
	struct ks_batch b;
	struct ks_sign_job tmpl;
	struct ks_batch_run_opts o;
	static volatile sig_atomic_t stop = 1;
	struct ks_key *key = principal_key();

	write_file(tpath(t, "a.txt"), "record\n");
	ks_sign_job_init(&tmpl);
	tmpl.key = key;
	memset(&o, 0, sizeof(o));
	o.stop = &stop;
	ks_batch_init(&b);
	assert_ok(ks_batch_add(&b, tpath(t, "a.txt")));
	b.items[0].format = KS_FORMAT_CMS;
	assert_int_equal(mkdir(tpath(t, "out"), 0700), 0);
	assert_ok(ks_batch_plan(&b, tpath(t, "out"), NULL));
	assert_ok(ks_batch_run(&b, &tmpl, &o));
	assert_true(b.stopped);
	assert_int_equal(b.items[0].status, KS_BATCH_PENDING);
	assert_string_equal(ks_batch_status_name(b.items[0].status), "not-done");
	assert_int_equal(access(tpath(t, "out/a.txt.p7s"), F_OK), -1);
	ks_batch_cleanup(&b);
	ks_key_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_hostile),
		cmocka_unit_test(test_out_names),
		cmocka_unit_test_setup_teardown(test_dir, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_plan, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_run_and_resume, pki_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_other_key_not_same, pki_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_stale_outputs, pki_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_stop, pki_setup, tdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
