/* Unit tests for core/ks_io: bounded reads and atomic output files. */
#include "ks_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks_io.h"

/* Each test works in a fresh temporary directory. */
struct tdir {
	char dir[256];
	char path[512]; /* scratch for tpath() */
};

static int tdir_setup(void **state)
{
	struct tdir *t = calloc(1, sizeof(*t));
	const char *base = getenv("TMPDIR");

	if (t == NULL)
		return -1;
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(t->dir, sizeof(t->dir), "%s/kyso-test-io.XXXXXX", base);
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int tdir_teardown(void **state)
{
	struct tdir *t = *state;
	int rc = nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	free(t);
	return rc == 0 ? 0 : -1;
}

static const char *tpath(struct tdir *t, const char *name)
{
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	return t->path;
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	if (n > 0)
		assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Entries of the test directory (without . and ..), sorted, joined by ' '. */
static size_t list_dir(struct tdir *t, char *out, size_t outlen)
{
	struct dirent **names = NULL;
	int i, n = scandir(t->dir, &names, NULL, alphasort);
	size_t count = 0, used = 0;

	assert_true(n >= 0);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *s = names[i]->d_name;

		if (strcmp(s, ".") != 0 && strcmp(s, "..") != 0) {
			int w = snprintf(out + used, outlen - used, "%s%s", count ? " " : "", s);

			assert_true(w > 0 && (size_t)w < outlen - used);
			used += (size_t)w;
			count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

static void assert_file_is(const char *path, const void *data, size_t n)
{
	struct ks_buf b;

	ks_buf_init(&b, 1 << 20);
	assert_ok(ks_file_read(path, 1 << 20, &b));
	assert_int_equal(b.len, n);
	if (n > 0)
		assert_memory_equal(b.data, data, n);
	ks_buf_cleanup(&b);
}

static void test_read_max(void **state)
{
	struct tdir *t = *state;
	struct ks_buf b;
	char path[512];

	snprintf(path, sizeof(path), "%s", tpath(t, "ten"));
	write_file(path, "0123456789", 10);
	ks_buf_init(&b, 1000);

	/* Exactly max is fine; and reading appends. */
	assert_ok(ks_buf_append_str(&b, "pre:"));
	assert_ok(ks_file_read(path, 10, &b));
	assert_int_equal(b.len, 14);
	assert_memory_equal(b.data, "pre:0123456789", 14);

	/* max counts the file only, not what the buffer held before. */
	ks_buf_truncate(&b, 4);
	assert_fails_with(ks_file_read(path, 9, &b), KS_ERR_LIMIT);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "pre:", 4);
	assert_fails_with(ks_file_read(path, 0, &b), KS_ERR_LIMIT);
	assert_int_equal(b.len, 4);
	assert_non_null(strstr(ks_err_msg(), "ten"));

	/* An empty file under a zero limit. */
	snprintf(path, sizeof(path), "%s", tpath(t, "empty"));
	write_file(path, "", 0);
	assert_ok(ks_file_read(path, 0, &b));
	assert_int_equal(b.len, 4);
	ks_buf_cleanup(&b);
}

/* Files larger than the internal read chunk. */
static void test_read_large(void **state)
{
	struct tdir *t = *state;
	size_t n = 300007, i;
	uint8_t *data = malloc(n);
	struct ks_buf b;
	char path[512];

	assert_non_null(data);
	for (i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 31 + (i >> 9));
	snprintf(path, sizeof(path), "%s", tpath(t, "large"));
	write_file(path, data, n);

	ks_buf_init(&b, KS_BUF_DEFAULT_MAX);
	assert_ok(ks_file_read(path, n, &b));
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, data, n);

	ks_buf_reset(&b);
	assert_fails_with(ks_file_read(path, n - 1, &b), KS_ERR_LIMIT);
	assert_int_equal(b.len, 0);
	/* A limit that falls exactly on a chunk boundary. */
	assert_fails_with(ks_file_read(path, 65536, &b), KS_ERR_LIMIT);
	assert_int_equal(b.len, 0);
	ks_buf_cleanup(&b);

	/* The buffer's own maximum stops the read too, leaving it as it was. */
	ks_buf_init(&b, 1000);
	assert_ok(ks_buf_append_str(&b, "x"));
	assert_fails_with(ks_file_read(path, SIZE_MAX, &b), KS_ERR_LIMIT);
	assert_int_equal(b.len, 1);
	ks_buf_cleanup(&b);
	free(data);
}

static void test_read_errors(void **state)
{
	struct tdir *t = *state;
	struct ks_buf b;

	ks_buf_init(&b, 1000);
	assert_fails_with(ks_file_read(tpath(t, "missing"), 100, &b), KS_ERR_IO);
	assert_non_null(strstr(ks_err_msg(), "missing"));
	assert_int_equal(b.len, 0);
	/* A directory opens but cannot be read. */
	assert_fails_with(ks_file_read(t->dir, 100, &b), KS_ERR_IO);
	assert_int_equal(b.len, 0);
	ks_buf_cleanup(&b);
}

static void test_read_stdin(void **state)
{
	struct tdir *t = *state;
	struct ks_buf b;
	char path[512];

	snprintf(path, sizeof(path), "%s", tpath(t, "in"));
	write_file(path, "from stdin", 10);
	assert_non_null(freopen(path, "rb", stdin));
	ks_buf_init(&b, 100);
	assert_ok(ks_file_read("-", 10, &b));
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.data, "from stdin", 10);
	/* stdin is not closed by the read. */
	assert_int_not_equal(fcntl(0, F_GETFD), -1);

	rewind(stdin);
	ks_buf_reset(&b);
	assert_fails_with(ks_file_read("-", 9, &b), KS_ERR_LIMIT);
	assert_int_equal(b.len, 0);
	ks_buf_cleanup(&b);
	assert_non_null(freopen("/dev/null", "rb", stdin));
}

static void test_write_atomic(void **state)
{
	struct tdir *t = *state;
	char names[256], path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s", tpath(t, "out.pdf"));
	assert_ok(ks_file_write_atomic(path, "%PDF-1.7 signed", 15, 0644));
	assert_file_is(path, "%PDF-1.7 signed", 15);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* No temporary file is left beside it. */
	assert_int_equal(list_dir(t, names, sizeof(names)), 1);
	assert_string_equal(names, "out.pdf");

	/* A secret output gets 0600 whatever the umask. */
	snprintf(path, sizeof(path), "%s", tpath(t, "key.pem"));
	assert_ok(ks_file_write_atomic(path, "k", 1, 0600));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* Empty content is a valid (empty) file. */
	snprintf(path, sizeof(path), "%s", tpath(t, "empty"));
	assert_ok(ks_file_write_atomic(path, NULL, 0, 0644));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(list_dir(t, names, sizeof(names)), 3);
	assert_string_equal(names, "empty key.pem out.pdf");
}

static void test_atomic_abort_leaves_nothing(void **state)
{
	struct tdir *t = *state;
	struct ks_atomic_file af;
	char names[256], path[512];

	snprintf(path, sizeof(path), "%s", tpath(t, "doc.xml"));
	assert_ok(ks_atomic_open(&af, path, 0644));
	/* While open, the only entry is the temporary file, not the target. */
	assert_int_equal(list_dir(t, names, sizeof(names)), 1);
	assert_true(strncmp(names, "doc.xml.tmp.", 12) == 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_ok(ks_atomic_write(&af, "<a/>", 4));
	assert_ok(ks_atomic_write(&af, "<b/>", 4));
	ks_atomic_abort(&af);
	assert_int_equal(list_dir(t, names, sizeof(names)), 0);
	assert_int_equal(access(path, F_OK), -1);
	/* A second abort is harmless. */
	ks_atomic_abort(&af);
	assert_null(af.tmp_path);
	assert_null(af.path);
	assert_null(af.f);
}

static void test_replace_only_on_commit(void **state)
{
	struct tdir *t = *state;
	struct ks_atomic_file af;
	char names[256], path[512];

	snprintf(path, sizeof(path), "%s", tpath(t, "record.pdf"));
	write_file(path, "old", 3);

	assert_ok(ks_atomic_open(&af, path, 0644));
	assert_ok(ks_atomic_write(&af, "new contents", 12));
	/* Before commit, readers still see the old file. */
	assert_file_is(path, "old", 3);
	assert_int_equal(list_dir(t, names, sizeof(names)), 2);
	assert_ok(ks_atomic_commit(&af));
	assert_file_is(path, "new contents", 12);
	assert_int_equal(list_dir(t, names, sizeof(names)), 1);
	assert_string_equal(names, "record.pdf");
	assert_null(af.tmp_path);
	assert_null(af.f);
	/* abort after commit must not remove the committed file. */
	ks_atomic_abort(&af);
	assert_file_is(path, "new contents", 12);

	/* An aborted replacement keeps the old file intact. */
	assert_ok(ks_atomic_open(&af, path, 0644));
	assert_ok(ks_atomic_write(&af, "discarded", 9));
	ks_atomic_abort(&af);
	assert_file_is(path, "new contents", 12);
	assert_int_equal(list_dir(t, names, sizeof(names)), 1);
}

static void test_missing_directory(void **state)
{
	struct tdir *t = *state;
	struct ks_atomic_file af;
	char names[256], path[512];

	snprintf(path, sizeof(path), "%s", tpath(t, "no/such/dir/out.pdf"));
	assert_fails_with(ks_atomic_open(&af, path, 0644), KS_ERR_IO);
	/* The failed open left a struct that abort accepts. */
	assert_null(af.f);
	assert_null(af.tmp_path);
	ks_atomic_abort(&af);
	assert_fails_with(ks_file_write_atomic(path, "x", 1, 0644), KS_ERR_IO);
	assert_int_equal(list_dir(t, names, sizeof(names)), 0);

	/* An absurdly long name is refused before touching the disk. */
	{
		size_t n = 20000;
		char *longp = malloc(n + 1);

		assert_non_null(longp);
		memset(longp, 'a', n);
		memcpy(longp, t->dir, strlen(t->dir));
		longp[strlen(t->dir)] = '/';
		longp[n] = '\0';
		assert_int_equal(ks_atomic_open(&af, longp, 0644), -1);
		assert_true(ks_err_code() == KS_ERR_LIMIT || ks_err_code() == KS_ERR_IO);
		assert_null(af.tmp_path);
		ks_atomic_abort(&af);
		free(longp);
		assert_int_equal(list_dir(t, names, sizeof(names)), 0);
	}
}

/* The rename fails when the target is a directory: commit reports it and
 * removes the temporary file. */
static void test_commit_fails_cleanly(void **state)
{
	struct tdir *t = *state;
	struct ks_atomic_file af;
	char names[256], path[512];

	snprintf(path, sizeof(path), "%s", tpath(t, "target"));
	assert_int_equal(mkdir(path, 0755), 0);
	write_file(tpath(t, "target/inside"), "x", 1);

	assert_ok(ks_atomic_open(&af, path, 0644));
	assert_ok(ks_atomic_write(&af, "data", 4));
	assert_fails_with(ks_atomic_commit(&af), KS_ERR_IO);
	assert_null(af.tmp_path);
	assert_null(af.f);
	ks_atomic_abort(&af);
	assert_int_equal(list_dir(t, names, sizeof(names)), 1);
	assert_string_equal(names, "target");

	assert_fails_with(ks_file_write_atomic(path, "data", 4, 0644), KS_ERR_IO);
	assert_int_equal(list_dir(t, names, sizeof(names)), 1);
}

/* A full disk, simulated with RLIMIT_FSIZE (writes past it fail with
 * EFBIG): the failed write or commit leaves neither target nor temp file. */
static void test_write_failure_leaves_nothing(void **state)
{
	struct tdir *t = *state;
	struct ks_atomic_file af;
	struct rlimit old, lim;
	void (*old_sig)(int);
	char names[256], path[512];
	static uint8_t big[100000];
	int rc_write, rc_big;

	snprintf(path, sizeof(path), "%s", tpath(t, "full.pdf"));
	memset(big, 'z', sizeof(big));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	old_sig = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 4096;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

	/* Buffered writes succeed; the failure surfaces at commit. */
	ks_err_clear();
	rc_write = ks_atomic_open(&af, path, 0644);
	if (rc_write == 0)
		rc_write = ks_atomic_write(&af, big, 3000);
	if (rc_write == 0)
		rc_write = ks_atomic_write(&af, big, 3000);
	if (rc_write == 0)
		rc_write = ks_atomic_commit(&af);
	else
		ks_atomic_abort(&af);
	/* One large write fails in ks_atomic_write itself. */
	rc_big = ks_file_write_atomic(path, big, sizeof(big), 0644);

	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_sig);

	assert_int_equal(rc_write, -1);
	assert_int_equal(rc_big, -1);
	assert_int_equal(ks_err_code(), KS_ERR_IO);
	assert_int_equal(list_dir(t, names, sizeof(names)), 0);
}

/* A zeroed struct has fd 0: abort must not close standard input. */
static void test_abort_zeroed(void **state)
{
	struct ks_atomic_file af;
	int fd;

	(void)state;
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	/* Make sure fd 0 is open so closing it would be observable. */
	if (fcntl(0, F_GETFD) == -1)
		assert_int_equal(dup2(fd, 0), 0);
	memset(&af, 0, sizeof(af));
	ks_atomic_abort(&af);
	assert_int_not_equal(fcntl(0, F_GETFD), -1);
	assert_int_equal(af.fd, -1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_max, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_read_large, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_read_errors, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_read_stdin, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_atomic_abort_leaves_nothing, tdir_setup,
						tdir_teardown),
		cmocka_unit_test_setup_teardown(test_replace_only_on_commit, tdir_setup,
						tdir_teardown),
		cmocka_unit_test_setup_teardown(test_missing_directory, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_commit_fails_cleanly, tdir_setup,
						tdir_teardown),
		cmocka_unit_test_setup_teardown(test_write_failure_leaves_nothing, tdir_setup,
						tdir_teardown),
		cmocka_unit_test(test_abort_zeroed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
