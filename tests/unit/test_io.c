/* Unit tests for core/ks_io: inputs opened once and refused unless regular,
 * bounded reads, and atomic output files (what they replace and refuse,
 * their mode, standard output, stale temporary files, signals). */
#include "ks_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ks_io.h"

/* Each test works in a fresh temporary directory (tdir.h). */
#define TDIR_PREFIX "kyso-test-io"
#include "tdir.h"

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

	mode_t old = umask(022);

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
	umask(old);
}

/* Two pieces in one write, after what stdio holds; empty pieces; the
 * temporary files of one target all have their own names. */
static void test_atomic_write2(void **state)
{
	struct tdir *t = *state;
	struct ks_atomic_file af, more[8];
	char path[512];
	size_t i, j;

	snprintf(path, sizeof(path), "%s", tpath(t, "two.pdf"));
	assert_ok(ks_atomic_open(&af, path, 0644));
	assert_ok(ks_atomic_write(&af, "head-", 5));
	assert_ok(ks_atomic_write2(&af, "original", 8, "+update", 7));
	assert_ok(ks_atomic_write2(&af, "", 0, "!", 1));
	assert_ok(ks_atomic_write2(&af, "?", 1, NULL, 0));
	assert_ok(ks_atomic_commit(&af));
	assert_file_is(path, "head-original+update!?", 22);
	for (i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		assert_ok(ks_atomic_open(&more[i], path, 0644));
	for (i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		for (j = 0; j < i; j++)
			assert_string_not_equal(more[i].tmp_path, more[j].tmp_path);
	for (i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		ks_atomic_abort(&more[i]);
	assert_file_is(path, "head-original+update!?", 22);
}

/* Deferred folder syncs (a batch): every commit still leaves the whole
 * output under its name at once, in one folder or in more folders than
 * are noted (the rest synced at once), and the deferral ends with the
 * sync. */
static void test_atomic_deferred_dir_sync(void **state)
{
	struct tdir *t = *state;
	struct ks_buf b;
	char path[1024], name[64];
	int i;

	ks_buf_init(&b, 1000);
	ks_atomic_defer_dir_sync();
	for (i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		assert_int_equal(mkdir(tpath(t, name), 0700), 0);
		snprintf(path, sizeof(path), "%s/out.pdf", tpath(t, name));
		assert_ok(ks_file_write_atomic(path, "signed", 6, 0644));
		snprintf(path, sizeof(path), "%s/out2.pdf", tpath(t, name));
		assert_ok(ks_file_write_atomic(path, "signed2", 7, 0644));
		ks_buf_reset(&b);
		assert_ok(ks_file_read(path, 100, &b));
		assert_int_equal(b.len, 7);
		assert_memory_equal(b.data, "signed2", 7);
	}
	ks_atomic_sync_dirs();
	/* Nothing else but the two outputs in a folder. */
	snprintf(name, sizeof(name), "d%d", 3);
	{
		DIR *d = opendir(tpath(t, name));
		struct dirent *e;
		int n = 0;

		assert_non_null(d);
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				n++;
		closedir(d);
		assert_int_equal(n, 2);
	}
	/* After the sync commits sync their folder again, and work. */
	snprintf(path, sizeof(path), "%s/after.pdf", tpath(t, "d0"));
	assert_ok(ks_file_write_atomic(path, "x", 1, 0644));
	ks_buf_reset(&b);
	assert_ok(ks_file_read(path, 10, &b));
	assert_int_equal(b.len, 1);
	ks_buf_cleanup(&b);
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

/* The target is a directory: refused before anything is written, and
 * left as it was. */
static void test_commit_fails_cleanly(void **state)
{
	struct tdir *t = *state;
	struct ks_atomic_file af;
	char names[256], path[512];

	snprintf(path, sizeof(path), "%s", tpath(t, "target"));
	assert_int_equal(mkdir(path, 0755), 0);
	write_file(tpath(t, "target/inside"), "x", 1);

	assert_fails_with(ks_atomic_open(&af, path, 0644), KS_ERR_IO);
	assert_non_null(strstr(ks_err_msg(), "not a regular file but a directory"));
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

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Inputs: a FIFO nobody writes to, a device, a directory are refused at
 * once, saying what they are; a symbolic link to a regular file is read. */
static void test_input_not_regular(void **state)
{
	struct tdir *t = *state;
	struct ks_file_map m;
	struct ks_buf b;
	uint64_t size;
	char fifo[512], dir[512], link[512];
	long t0;
	int fd;

	snprintf(fifo, sizeof(fifo), "%s", tpath(t, "fifo"));
	snprintf(dir, sizeof(dir), "%s", tpath(t, "dir"));
	snprintf(link, sizeof(link), "%s", tpath(t, "link"));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_file(tpath(t, "doc"), "hello", 5);
	assert_int_equal(symlink("doc", link), 0);
	ks_buf_init(&b, 1 << 20);

	t0 = now_ms();
	assert_fails_with(ks_file_open_input(fifo, &fd, &size), KS_ERR_IO);
	assert_non_null(strstr(ks_err_msg(), "FIFO"));
	assert_int_equal(fd, -1);
	assert_fails_with(ks_file_read(fifo, 100, &b), KS_ERR_IO);
	assert_fails_with(ks_file_map(fifo, &m), KS_ERR_IO);
	ks_file_unmap(&m);
	assert_fails_with(ks_file_read("/dev/zero", 100, &b), KS_ERR_IO);
	assert_non_null(strstr(ks_err_msg(), "character device"));
	assert_fails_with(ks_file_read(dir, 100, &b), KS_ERR_IO);
	assert_non_null(strstr(ks_err_msg(), "directory"));
	assert_true(now_ms() - t0 < 1000);
	assert_int_equal(b.len, 0);

	assert_ok(ks_file_open_input(link, &fd, &size));
	assert_int_equal(size, 5);
	/* The descriptor is blocking again. */
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	assert_ok(ks_file_read(link, 5, &b));
	assert_memory_equal(b.data, "hello", 5);
	ks_buf_cleanup(&b);
}

static void test_file_map(void **state)
{
	struct tdir *t = *state;
	struct ks_file_map m;
	char path[512];

	snprintf(path, sizeof(path), "%s", tpath(t, "doc.pdf"));
	write_file(path, "%PDF-1.7 x", 10);
	assert_ok(ks_file_map(path, &m));
	assert_int_equal(m.len, 10);
	assert_memory_equal(m.data, "%PDF-1.7 x", 10);
	assert_true(m.fd >= 0);
	ks_file_unmap(&m);
	assert_int_equal(m.fd, -1);
	assert_null(m.map);
	ks_file_unmap(&m);

	write_file(path, "", 0);
	assert_ok(ks_file_map(path, &m));
	assert_int_equal(m.len, 0);
	assert_non_null(m.data);
	ks_file_unmap(&m);

	assert_fails_with(ks_file_map(tpath(t, "missing"), &m), KS_ERR_IO);
	ks_file_unmap(&m);
	/* A zeroed struct: nothing to close (fd 0 stays open). */
	memset(&m, 0, sizeof(m));
	ks_file_unmap(&m);
	assert_int_not_equal(fcntl(0, F_GETFD), -1);
}

/* Outputs that are not regular files are refused and left alone, at
 * once; a link to a regular file has its target replaced, a dangling link
 * is refused. */
static void test_output_not_regular(void **state)
{
	struct tdir *t = *state;
	struct ks_atomic_file af;
	struct stat st;
	char p[512], names[512];
	long t0 = now_ms();

	snprintf(p, sizeof(p), "%s", tpath(t, "fifo.pdf"));
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_fails_with(ks_atomic_open(&af, p, 0666), KS_ERR_IO);
	assert_non_null(strstr(ks_err_msg(), "FIFO"));
	ks_atomic_abort(&af);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));

	/* A device node of our own (never the system's /dev/null). */
	snprintf(p, sizeof(p), "%s", tpath(t, "null"));
	if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0) {
		assert_fails_with(ks_file_write_atomic(p, "x", 1, 0666), KS_ERR_IO);
		assert_non_null(strstr(ks_err_msg(), "character device"));
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
		assert_int_equal(symlink("null", tpath(t, "to-null")), 0);
		assert_fails_with(ks_file_write_atomic(tpath(t, "to-null"), "x", 1, 0666),
				  KS_ERR_IO);
		assert_int_equal(lstat(tpath(t, "null"), &st), 0);
		assert_true(S_ISCHR(st.st_mode));
		assert_int_equal(lstat(tpath(t, "to-null"), &st), 0);
		assert_true(S_ISLNK(st.st_mode));
		unlink(tpath(t, "to-null"));
		unlink(tpath(t, "null"));
	}
	assert_true(now_ms() - t0 < 1000);

	/* A link to a regular file: the target is replaced, the link kept. */
	write_file(tpath(t, "real.pdf"), "old", 3);
	assert_int_equal(symlink("real.pdf", tpath(t, "link.pdf")), 0);
	assert_ok(ks_file_write_atomic(tpath(t, "link.pdf"), "new", 3, 0666));
	assert_file_is(tpath(t, "real.pdf"), "new", 3);
	assert_int_equal(lstat(tpath(t, "link.pdf"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* A dangling link is refused; nothing is created where it points. */
	assert_int_equal(symlink("nowhere.pdf", tpath(t, "dangling.pdf")), 0);
	assert_fails_with(ks_file_write_atomic(tpath(t, "dangling.pdf"), "x", 1, 0666), KS_ERR_IO);
	assert_int_equal(access(tpath(t, "nowhere.pdf"), F_OK), -1);
	assert_int_equal(list_dir(t, names, sizeof(names)), 4);
	assert_string_equal(names, "dangling.pdf fifo.pdf link.pdf real.pdf");
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* A new file: the creation mode minus the umask.  A replaced file: its
 * own mode (a secret never gains group or other bits from it). */
static void test_output_mode(void **state)
{
	struct tdir *t = *state;
	char p[512];
	mode_t old = umask(077);

	snprintf(p, sizeof(p), "%s", tpath(t, "a.pdf"));
	assert_ok(ks_file_write_atomic(p, "x", 1, 0666));
	assert_int_equal(mode_of(p), 0600);
	umask(027);
	snprintf(p, sizeof(p), "%s", tpath(t, "b.pdf"));
	assert_ok(ks_file_write_atomic(p, "x", 1, 0666));
	assert_int_equal(mode_of(p), 0640);
	umask(022);
	snprintf(p, sizeof(p), "%s", tpath(t, "c.pdf"));
	assert_ok(ks_file_write_atomic(p, "x", 1, 0666));
	assert_int_equal(mode_of(p), 0644);
	/* Replaced: 0600 and 0664 kept under umask 022. */
	assert_int_equal(chmod(p, 0600), 0);
	assert_ok(ks_file_write_atomic(p, "y", 1, 0666));
	assert_int_equal(mode_of(p), 0600);
	assert_int_equal(chmod(p, 0664), 0);
	assert_ok(ks_file_write_atomic(p, "z", 1, 0666));
	assert_int_equal(mode_of(p), 0664);
	assert_file_is(p, "z", 1);
	/* A secret replacing a readable file stays the owner's. */
	assert_ok(ks_file_write_atomic(p, "k", 1, 0600));
	assert_int_equal(mode_of(p), 0600);
	umask(old);
}

/* "-": the finished result on standard output, no file named "-"; a
 * write error there (a full device) is an error. */
static void test_output_stdout(void **state)
{
	struct tdir *t = *state;
	struct ks_atomic_file af;
	char p[512], cwd[512], names[512];
	int saved = dup(1), fd;

	assert_true(saved >= 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(t->dir), 0);
	snprintf(p, sizeof(p), "%s", tpath(t, "captured"));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stdout);
	assert_int_equal(dup2(fd, 1), 1);
	close(fd);
	assert_ok(ks_atomic_open(&af, "-", 0666));
	assert_null(af.tmp_path);
	assert_ok(ks_atomic_write(&af, "signed ", 7));
	/* Nothing reaches standard output before the commit. */
	assert_int_equal(lseek(1, 0, SEEK_CUR), 0);
	assert_ok(ks_atomic_write(&af, "bytes", 5));
	assert_ok(ks_atomic_commit(&af));
	/* Aborted: nothing at all. */
	assert_ok(ks_atomic_open(&af, "-", 0666));
	assert_ok(ks_atomic_write(&af, "discarded", 9));
	ks_atomic_abort(&af);
	/* A full device. */
	fd = open("/dev/full", O_WRONLY);
	if (fd >= 0) {
		assert_int_equal(dup2(fd, 1), 1);
		close(fd);
		assert_ok(ks_atomic_open(&af, "-", 0666));
		assert_ok(ks_atomic_write(&af, "x", 1));
		assert_fails_with(ks_atomic_commit(&af), KS_ERR_IO);
		assert_non_null(strstr(ks_err_msg(), "standard output"));
	}
	assert_int_equal(dup2(saved, 1), 1);
	close(saved);
	assert_int_equal(chdir(cwd), 0);
	assert_file_is(p, "signed bytes", 12);
	assert_int_equal(list_dir(t, names, sizeof(names)), 1);
	assert_string_equal(names, "captured");
}

/* A temporary file left by a killed run (no lock on it) is removed by the
 * next open of the same output; one a live writer holds is not, nor are
 * files of other outputs or other names. */
static void test_stale_temporaries(void **state)
{
	struct tdir *t = *state;
	struct ks_atomic_file af;
	char p[512], names[512];
	int held;

	write_file(tpath(t, "out.pdf.tmp.AbC123"), "stale", 5);
	write_file(tpath(t, "out.pdf.tmp.LIVE99"), "live", 4);
	write_file(tpath(t, "out.pdf.tmp.toolong7"), "x", 1);
	write_file(tpath(t, "other.pdf.tmp.AbC123"), "x", 1);
	held = open(tpath(t, "out.pdf.tmp.LIVE99"), O_RDONLY);
	assert_true(held >= 0);
	assert_int_equal(flock(held, LOCK_EX), 0);
	snprintf(p, sizeof(p), "%s", tpath(t, "out.pdf"));
	assert_ok(ks_file_write_atomic(p, "new", 3, 0666));
	assert_int_equal(list_dir(t, names, sizeof(names)), 4);
	assert_string_equal(names,
			    "other.pdf.tmp.AbC123 out.pdf out.pdf.tmp.LIVE99 out.pdf.tmp.toolong7");
	close(held);
	/* Its writer gone, the next run takes it away. */
	assert_ok(ks_file_write_atomic(p, "newer", 5, 0666));
	assert_int_equal(list_dir(t, names, sizeof(names)), 3);
	assert_string_equal(names, "other.pdf.tmp.AbC123 out.pdf out.pdf.tmp.toolong7");
	/* An open output's own temporary file is locked. */
	assert_ok(ks_atomic_open(&af, p, 0666));
	held = open(af.tmp_path, O_RDONLY);
	assert_true(held >= 0);
	assert_int_equal(flock(held, LOCK_EX | LOCK_NB), -1);
	close(held);
	ks_atomic_abort(&af);
}

/* In a child: open an output, write, then take `sig`.  Exit status 0 when
 * the signal did not end it (it was ignored). */
static void child_signal(const char *path, int sig, bool ignore)
{
	struct ks_atomic_file af;

	if (ignore)
		signal(sig, SIG_IGN);
	ks_io_cleanup_on_signals();
	if (ks_atomic_open(&af, path, 0666) < 0 || ks_atomic_write(&af, "partial", 7) < 0)
		_exit(2);
	raise(sig);
	ks_atomic_abort(&af);
	_exit(0);
}

/* A fatal signal removes the temporary file, then ends the process by
 * that signal; an ignored signal stays ignored. */
static void test_signal_cleanup(void **state)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct tdir *t = *state;
	char p[512], names[512];
	struct rlimit no_core = { 0, 0 };
	size_t i;
	pid_t pid;
	int st;

	snprintf(p, sizeof(p), "%s", tpath(t, "big.pdf"));
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			(void)setrlimit(RLIMIT_CORE, &no_core);
			signal(sigs[i], SIG_DFL);
			child_signal(p, sigs[i], false);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), sigs[i]);
		assert_int_equal(list_dir(t, names, sizeof(names)), 0);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_signal(p, SIGHUP, true);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(list_dir(t, names, sizeof(names)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_max, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_atomic_deferred_dir_sync, tdir_setup,
						tdir_teardown),
		cmocka_unit_test_setup_teardown(test_read_large, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_read_errors, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_read_stdin, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write2, tdir_setup, tdir_teardown),
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
		cmocka_unit_test_setup_teardown(test_input_not_regular, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_file_map, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_output_not_regular, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_output_mode, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_output_stdout, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_stale_temporaries, tdir_setup, tdir_teardown),
		cmocka_unit_test_setup_teardown(test_signal_cleanup, tdir_setup, tdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
