#include "ks_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ks_log.h"
#include "ks_size.h"

#define IO_CHUNK 65536

/* What a file that is not regular is, for messages. */
static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a FIFO (named pipe)";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISLNK(m))
		return "a symbolic link";
	return "of an unknown kind";
}

/* ---- inputs -------------------------------------------------------- */

int ks_file_open_input(const char *path, int *fd_out, uint64_t *size)
{
	struct stat st;
	int fd = -1, rc = -1;

	*fd_out = -1;
	*size = 0;
	/* Look before opening: opening some devices has effects of its own. */
	if (stat(path, &st) != 0)
		KS_BAIL(KS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		KS_BAIL(KS_ERR_IO, "'%s' is not a regular file but %s; give a regular file", path,
			kind_of(st.st_mode));
	/* O_NONBLOCK: if the name was swapped for a FIFO meanwhile, the open
	 * still cannot wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		KS_BAIL(KS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0)
		KS_BAIL(KS_ERR_IO, "cannot examine '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		KS_BAIL(KS_ERR_IO, "'%s' is not a regular file but %s; give a regular file", path,
			kind_of(st.st_mode));
	/* Reads block again.  Of the flags F_SETFL changes (O_APPEND,
	 * O_NONBLOCK, O_DIRECT, O_NOATIME, O_ASYNC) the open set only
	 * O_NONBLOCK: clearing them all needs no F_GETFL first. */
	if (fcntl(fd, F_SETFL, 0) < 0)
		KS_BAIL(KS_ERR_IO, "fcntl on '%s': %s", path, strerror(errno));
	*size = (uint64_t)st.st_size;
	*fd_out = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Read all of `fd` (or of stdin) into out, at most max bytes. */
static int read_all(int fd, FILE *stream, const char *path, size_t max, struct ks_buf *out)
{
	uint8_t chunk[IO_CHUNK];
	size_t start = out->len;
	ssize_t got;
	size_t n;
	int rc = -1;

	for (;;) {
		if (stream != NULL) {
			n = fread(chunk, 1, sizeof(chunk), stream);
			if (n == 0 && ferror(stream))
				KS_BAIL(KS_ERR_IO, "read error on '%s'", path);
		} else {
			got = read(fd, chunk, sizeof(chunk));
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				KS_BAIL(KS_ERR_IO, "read error on '%s': %s", path, strerror(errno));
			n = (size_t)got;
		}
		if (n == 0)
			break;
		if (out->len - start + n > max)
			KS_BAIL(KS_ERR_LIMIT, "'%s' is larger than the limit of %zu bytes", path,
				max);
		KS_GUARD(ks_buf_append(out, chunk, n));
	}
	rc = 0;
out:
	/* The chunk may have held key material. */
	explicit_bzero(chunk, sizeof(chunk));
	if (rc < 0)
		ks_buf_truncate(out, start);
	return rc;
}

int ks_file_read(const char *path, size_t max, struct ks_buf *out)
{
	uint64_t size;
	int fd = -1, rc = -1;

	if (strcmp(path, "-") == 0)
		return read_all(-1, stdin, path, max, out);
	KS_GUARD(ks_file_open_input(path, &fd, &size));
	if (size > max)
		KS_BAIL(KS_ERR_LIMIT, "'%s' is larger than the limit of %zu bytes", path, max);
	KS_GUARD(read_all(fd, NULL, path, max, out));
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int ks_file_map(const char *path, struct ks_file_map *m)
{
	uint64_t size;
	void *p;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->data = (const uint8_t *)"";
	if (ks_file_open_input(path, &m->fd, &size) < 0)
		return -1;
	if (size > SIZE_MAX) {
		ks_file_unmap(m);
		return KS_SET(KS_ERR_LIMIT, "'%s' is too large to map", path);
	}
	if (size == 0)
		return 0;
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, m->fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		ks_file_unmap(m);
		return KS_SET(KS_ERR_IO, "cannot map '%s': %s", path, strerror(e));
	}
	m->map = p;
	m->data = p;
	m->len = (size_t)size;
	return 0;
}

void ks_file_unmap(struct ks_file_map *m)
{
	if (m->map != NULL)
		munmap(m->map, m->len);
	/* A zeroed struct has fd 0: only close what ks_file_map opened. */
	if (m->fd > 0 || (m->fd == 0 && m->map != NULL))
		close(m->fd);
	m->map = NULL;
	m->data = (const uint8_t *)"";
	m->len = 0;
	m->fd = -1;
}

/* ---- temporary files removed on a fatal signal ---------------------- */

/* 0 free, 1 being filled, 2 armed.  Plain ints with lock-free atomics:
 * the handler may read them at any moment. */
static int pending_state[KS_IO_PENDING_MAX];
static char pending_path[KS_IO_PENDING_MAX][PATH_MAX];

static int pending_add(const char *path)
{
	char cwd[PATH_MAX];
	size_t n = strlen(path), c = 0, i;

	/* An absolute name: the handler must not depend on the directory. */
	if (path[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return -1;
		c = strlen(cwd);
	}
	if (c + 1 + n >= PATH_MAX)
		return -1;
	for (i = 0; i < KS_IO_PENDING_MAX; i++) {
		int expect = 0;

		if (!__atomic_compare_exchange_n(&pending_state[i], &expect, 1, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		if (c > 0) {
			memcpy(pending_path[i], cwd, c);
			pending_path[i][c] = '/';
			memcpy(pending_path[i] + c + 1, path, n + 1);
		} else {
			memcpy(pending_path[i], path, n + 1);
		}
		__atomic_store_n(&pending_state[i], 2, __ATOMIC_RELEASE);
		return (int)i;
	}
	return -1;
}

static void pending_remove(int slot)
{
	if (slot >= 0 && slot < KS_IO_PENDING_MAX)
		__atomic_store_n(&pending_state[slot], 0, __ATOMIC_RELEASE);
}

/* Async-signal-safe: unlink(), signal() and raise() only.  With the
 * default action back, the signal stays blocked until the handler returns
 * and then ends the process as it would have. */
static void on_fatal_signal(int sig)
{
	int saved = errno;
	size_t i;

	for (i = 0; i < KS_IO_PENDING_MAX; i++)
		if (__atomic_load_n(&pending_state[i], __ATOMIC_ACQUIRE) == 2)
			(void)unlink(pending_path[i]);
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
	errno = saved;
}

void ks_io_cleanup_on_signals(void)
{
	static const int sigs[] = { SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGPIPE,
				    SIGALRM, SIGUSR1, SIGUSR2, SIGXCPU, SIGXFSZ };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* Ignored (nohup, a background job's SIGINT) or handled by
		 * someone else: not ours to change. */
		if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
		    (old.sa_flags & SA_SIGINFO))
			continue;
		(void)sigaction(sigs[i], &sa, NULL);
	}
}

/* ---- temporary files ------------------------------------------------ */

static bool tmp_suffix_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Six characters for a temporary name: unpredictable to other users (a
 * name they guess they could take first), from a per-thread generator
 * seeded once from the kernel (splitmix64) rather than a system call per
 * file (a child process seeds its own).  -1 when the kernel gives no
 * seed. */
static _Thread_local uint64_t tmp_state;
static _Thread_local bool tmp_seeded;
static pthread_once_t tmp_once = PTHREAD_ONCE_INIT;

static void tmp_forked(void)
{
	tmp_seeded = false;
}

static void tmp_at_fork(void)
{
	(void)pthread_atfork(NULL, NULL, tmp_forked);
}

static int tmp_random(uint8_t r[6])
{
	uint64_t z;

	(void)pthread_once(&tmp_once, tmp_at_fork);
	if (!tmp_seeded) {
		if (getrandom(&tmp_state, sizeof(tmp_state), 0) != (ssize_t)sizeof(tmp_state))
			return -1;
		tmp_seeded = true;
	}
	tmp_state += 0x9E3779B97F4A7C15ull;
	z = tmp_state;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	memcpy(r, &z, 6);
	return 0;
}

/* Create and lock TARGET.tmp.XXXXXX.  The lock (flock, released when the
 * process ends however it ends) tells a live temporary file from a stale
 * one; a file removed by a cleaner between creation and locking has no
 * link left and is not used. */
static int tmp_create(const char *target, mode_t cmode, char **tmp_out, int *fd_out)
{
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	struct stat st;
	size_t n = strlen(target), cap, i;
	uint8_t r[6];
	char *t = NULL;
	int fd = -1, tries, e = 0, rc = -1;

	*tmp_out = NULL;
	*fd_out = -1;
	KS_GUARD(ks_add_size(n, sizeof(".tmp.XXXXXX"), &cap));
	t = malloc(cap);
	KS_ENSURE(t != NULL, KS_ERR_NOMEM, "out of memory");
	for (tries = 0; tries < KS_IO_TMP_TRIES; tries++) {
		KS_ENSURE(tmp_random(r) == 0, KS_ERR_IO, "no random bytes for a temporary name: %s",
			  strerror(errno));
		memcpy(t, target, n);
		memcpy(t + n, ".tmp.", 5);
		for (i = 0; i < sizeof(r); i++)
			t[n + 5 + i] = alnum[r[i] % (sizeof(alnum) - 1)];
		t[n + 5 + sizeof(r)] = '\0';
		fd = open(t, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, cmode);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0) {
			e = errno;
			KS_BAIL(KS_ERR_IO, "cannot create a temporary file beside '%s': %s", target,
				strerror(e));
		}
		while (flock(fd, LOCK_EX) != 0) {
			if (errno != EINTR) {
				e = errno;
				(void)unlink(t);
				KS_BAIL(KS_ERR_IO, "cannot lock '%s': %s", t, strerror(e));
			}
		}
		if (fstat(fd, &st) == 0 && st.st_nlink > 0) {
			*tmp_out = t;
			*fd_out = fd;
			t = NULL;
			fd = -1;
			rc = 0;
			goto out;
		}
		close(fd);
		fd = -1;
	}
	KS_BAIL(KS_ERR_IO, "cannot create a temporary file beside '%s' (%d names taken)", target,
		KS_IO_TMP_TRIES);
out:
	if (fd >= 0)
		close(fd);
	free(t);
	return rc;
}

/* Does `name` end in ".tmp." and six letters or digits?  *blen: the
 * length of the target's name before it. */
static bool tmp_name(const char *name, size_t *blen)
{
	size_t n = strlen(name), i;

	if (n < 12 || strncmp(name + n - 11, ".tmp.", 5) != 0)
		return false;
	for (i = n - 6; i < n; i++)
		if (!tmp_suffix_char(name[i]))
			return false;
	*blen = n - 11;
	return true;
}

/* Remove the TARGET.tmp.XXXXXX files of `dir` that no live process
 * holds: left by a run that was killed (SIGKILL cannot be caught) or lost
 * power.  Only the caller's own files, of the targets named `base` (or,
 * base NULL, those `want` accepts); a file someone holds locked is being
 * written. */
static void clean_stale_in(const char *dir, const char *base,
			   bool (*want)(const char *name, size_t n, void *ctx), void *ctx)
{
	const char *name;
	struct dirent *e;
	struct stat st, now;
	DIR *d = opendir(dir);
	size_t blen, scanned = 0;
	int fd;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && scanned++ < KS_IO_STALE_SCAN_MAX) {
		name = e->d_name;
		if (!tmp_name(name, &blen))
			continue;
		if (base != NULL ? strlen(base) != blen || strncmp(name, base, blen) != 0
				 : want == NULL || !want(name, blen, ctx))
			continue;
		fd = openat(dirfd(d), name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			continue;
		/* Locked here, the name still the same file: nobody writes it. */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    fstatat(dirfd(d), name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_dev == st.st_dev && now.st_ino == st.st_ino &&
		    unlinkat(dirfd(d), name, 0) == 0)
			ks_log(
			    KS_LOG_INFO,
			    "removed the stale temporary file '%s/%s' left by an interrupted run",
			    dir, name);
		close(fd);
	}
	closedir(d);
}

static bool stale_scan_off;

void ks_io_set_stale_scan(bool on)
{
	__atomic_store_n(&stale_scan_off, !on, __ATOMIC_RELEASE);
}

void ks_io_clean_stale_dir(const char *dir, bool (*want)(const char *name, size_t n, void *ctx),
			   void *ctx)
{
	clean_stale_in(dir, NULL, want, ctx);
}

static void clean_stale(const char *target)
{
	char *dcopy = strdup(target), *bcopy = strdup(target);

	if (dcopy != NULL && bcopy != NULL && !__atomic_load_n(&stale_scan_off, __ATOMIC_ACQUIRE))
		clean_stale_in(dirname(dcopy), basename(bcopy), NULL, NULL);
	free(dcopy);
	free(bcopy);
}

/* Where the output goes: a regular file or nothing yet; a symbolic link
 * is followed to an existing regular file.  *st is the existing file's. */
static int resolve_target(const char *path, char **target, bool *exists, struct stat *st)
{
	struct stat lst;
	char *real = NULL;

	*target = NULL;
	*exists = false;
	if (lstat(path, &lst) != 0) {
		if (errno != ENOENT)
			return KS_SET(KS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
		*target = strdup(path);
		return *target != NULL ? 0 : KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	if (S_ISLNK(lst.st_mode)) {
		real = realpath(path, NULL);
		if (real == NULL)
			return KS_SET(
			    KS_ERR_IO,
			    "'%s' is a symbolic link to a file that cannot be reached (%s); "
			    "kyso follows a link only to an existing regular file",
			    path, strerror(errno));
		if (stat(real, st) != 0) {
			KS_SET(KS_ERR_IO, "cannot write '%s' (a link to '%s'): %s", path, real,
			       strerror(errno));
			free(real);
			return -1;
		}
		if (!S_ISREG(st->st_mode)) {
			KS_SET(KS_ERR_IO,
			       "'%s' leads to '%s', which is not a regular file but %s; the output "
			       "must be a regular file (or '-' for standard output), and it was "
			       "left as it is",
			       path, real, kind_of(st->st_mode));
			free(real);
			return -1;
		}
		*target = real;
		*exists = true;
		return 0;
	}
	if (!S_ISREG(lst.st_mode))
		return KS_SET(KS_ERR_IO,
			      "'%s' is not a regular file but %s; the output must be a regular "
			      "file (or '-' for standard output), and it was left as it is",
			      path, kind_of(lst.st_mode));
	*st = lst;
	*exists = true;
	*target = strdup(path);
	return *target != NULL ? 0 : KS_SET(KS_ERR_NOMEM, "out of memory");
}

/* "-": an unnamed file in TMPDIR, copied to standard output on commit. */
static int open_stdout_tmp(struct ks_atomic_file *af)
{
	const char *dir = getenv("TMPDIR");
	char *base = NULL, *t = NULL;
	size_t n;
	int rc = -1;

	if (dir == NULL || dir[0] != '/')
		dir = "/tmp";
	af->to_stdout = true;
	af->path = strdup("-");
	KS_ENSURE(af->path != NULL, KS_ERR_NOMEM, "out of memory");
	af->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (af->fd < 0) {
		/* A file system without O_TMPFILE: a named file, unlinked at once. */
		KS_GUARD(ks_add_size(strlen(dir), sizeof("/kyso-stdout"), &n));
		base = malloc(n);
		KS_ENSURE(base != NULL, KS_ERR_NOMEM, "out of memory");
		snprintf(base, n, "%s/kyso-stdout", dir);
		KS_GUARD(tmp_create(base, 0600, &t, &af->fd));
		(void)unlink(t);
	}
	rc = 0;
out:
	free(base);
	free(t);
	return rc;
}

int ks_atomic_open(struct ks_atomic_file *af, const char *path, int mode)
{
	struct stat st;
	bool exists = false;
	char *target = NULL;
	mode_t keep;

	memset(af, 0, sizeof(*af));
	af->fd = -1;
	af->slot = -1;
	if (strlen(path) > KS_IO_PATH_MAX) {
		KS_SET(KS_ERR_LIMIT, "output path longer than %d bytes", KS_IO_PATH_MAX);
		goto fail;
	}
	if (strcmp(path, "-") == 0) {
		if (open_stdout_tmp(af) < 0)
			goto fail;
	} else {
		if (resolve_target(path, &target, &exists, &st) < 0)
			goto fail;
		af->path = target;
		clean_stale(target);
		/* New: the umask applies.  Replaced: its permission bits, never
		 * more than the owner's for a secret. */
		if (tmp_create(target, exists ? 0600 : (mode_t)mode, &af->tmp_path, &af->fd) < 0)
			goto fail;
		af->slot = pending_add(af->tmp_path);
		if (exists) {
			keep = st.st_mode & 0777;
			if ((mode & 077) == 0)
				keep &= 0700;
			if (fchmod(af->fd, keep) < 0) {
				KS_SET(KS_ERR_IO, "chmod of '%s': %s", af->tmp_path,
				       strerror(errno));
				goto fail;
			}
			af->chown_to = st.st_uid != geteuid() || st.st_gid != getegid();
			af->uid = st.st_uid;
			af->gid = st.st_gid;
		}
	}
	af->f = fdopen(af->fd, "wb");
	if (af->f == NULL) {
		KS_SET(KS_ERR_IO, "fdopen: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	ks_atomic_abort(af);
	return -1;
}

int ks_atomic_write(struct ks_atomic_file *af, const void *data, size_t n)
{
	if (n > 0 && fwrite(data, 1, n, af->f) != n)
		return KS_SET(KS_ERR_IO, "write to '%s' failed: %s",
			      af->to_stdout ? "a temporary file" : af->tmp_path, strerror(errno));
	return 0;
}

int ks_atomic_write2(struct ks_atomic_file *af, const void *a, size_t an, const void *b, size_t bn)
{
	struct iovec v[2] = { { (void *)a, an }, { (void *)b, bn } };
	int first = 0;
	ssize_t k;

	/* what stdio holds goes first */
	if (fflush(af->f) != 0)
		return KS_SET(KS_ERR_IO, "write to '%s' failed: %s",
			      af->to_stdout ? "a temporary file" : af->tmp_path, strerror(errno));
	while (first < 2) {
		if (v[first].iov_len == 0) {
			first++;
			continue;
		}
		k = writev(af->fd, v + first, 2 - first);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return KS_SET(KS_ERR_IO, "write to '%s' failed: %s",
				      af->to_stdout ? "a temporary file" : af->tmp_path,
				      k < 0 ? strerror(errno) : "nothing written");
		while (first < 2 && (size_t)k >= v[first].iov_len) {
			k -= (ssize_t)v[first].iov_len;
			v[first].iov_len = 0;
			first++;
		}
		if (first < 2) {
			v[first].iov_base = (uint8_t *)v[first].iov_base + k;
			v[first].iov_len -= (size_t)k;
		}
	}
	return 0;
}

/* The finished result, from the unnamed file to standard output. */
static int copy_to_stdout(struct ks_atomic_file *af)
{
	uint8_t chunk[IO_CHUNK];
	off_t off = 0;
	ssize_t got, put;
	size_t done;

	if (fflush(stdout) != 0)
		return KS_SET(KS_ERR_IO, "writing to standard output: %s", strerror(errno));
	for (;;) {
		got = pread(af->fd, chunk, sizeof(chunk), off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return KS_SET(KS_ERR_IO, "reading back the result: %s", strerror(errno));
		if (got == 0)
			return 0;
		for (done = 0; done < (size_t)got;) {
			put = write(STDOUT_FILENO, chunk + done, (size_t)got - done);
			if (put < 0 && errno == EINTR)
				continue;
			if (put <= 0)
				return KS_SET(KS_ERR_IO, "writing to standard output: %s",
					      put < 0 ? strerror(errno) : "nothing written");
			done += (size_t)put;
		}
		off += got;
	}
}

/* The folders whose sync ks_atomic_sync_dirs owes, per thread. */
#define DEFER_DIRS_MAX 8
static _Thread_local struct {
	bool on;
	size_t n;
	char *dirs[DEFER_DIRS_MAX];
} deferred;

static void sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}

void ks_atomic_defer_dir_sync(void)
{
	deferred.on = true;
}

void ks_atomic_sync_dirs(void)
{
	size_t i;

	for (i = 0; i < deferred.n; i++) {
		sync_dir(deferred.dirs[i]);
		free(deferred.dirs[i]);
		deferred.dirs[i] = NULL;
	}
	deferred.n = 0;
	deferred.on = false;
}

/* Sync `dir` now, or note it for ks_atomic_sync_dirs (takes dir). */
static void commit_dir(char *dir)
{
	size_t i;

	if (deferred.on) {
		for (i = 0; i < deferred.n; i++)
			if (strcmp(deferred.dirs[i], dir) == 0) {
				free(dir);
				return;
			}
		if (deferred.n < DEFER_DIRS_MAX) {
			deferred.dirs[deferred.n++] = dir;
			return;
		}
	}
	sync_dir(dir);
	free(dir);
}

int ks_atomic_commit(struct ks_atomic_file *af)
{
	char *dir_copy = NULL;
	int rc = -1;

	if (fflush(af->f) != 0)
		KS_BAIL(KS_ERR_IO, "writing '%s': %s", af->path, strerror(errno));
	if (af->to_stdout) {
		KS_GUARD(copy_to_stdout(af));
		rc = 0;
		goto out;
	}
	if (fsync(af->fd) != 0)
		KS_BAIL(KS_ERR_IO, "flushing '%s': %s", af->tmp_path, strerror(errno));
	/* Root replacing another user's file gives it back to that user. */
	if (af->chown_to && fchown(af->fd, af->uid, af->gid) != 0)
		ks_log(KS_LOG_DEBUG, "'%s' keeps the owner of the process: %s", af->path,
		       strerror(errno));
	/* Renamed while still open and locked: a cleaner never takes a
	 * temporary file between its last write and the rename. */
	if (rename(af->tmp_path, af->path) != 0)
		KS_BAIL(KS_ERR_IO, "renaming onto '%s': %s", af->path, strerror(errno));
	pending_remove(af->slot);
	af->slot = -1;
	free(af->tmp_path);
	af->tmp_path = NULL;
	dir_copy = strdup(af->path);
	if (dir_copy != NULL) {
		char *dir = strdup(dirname(dir_copy));

		if (dir != NULL)
			commit_dir(dir);
	}
	rc = 0;
out:
	free(dir_copy);
	ks_atomic_abort(af);
	return rc;
}

void ks_atomic_abort(struct ks_atomic_file *af)
{
	/* A zeroed struct has fd 0 but nothing open: never close it.  The
	 * data was flushed and synced before a commit renamed it, so a
	 * failing close there loses nothing. */
	if (af->f != NULL)
		(void)fclose(af->f);
	else if ((af->tmp_path != NULL || af->to_stdout) && af->fd >= 0)
		close(af->fd);
	af->f = NULL;
	af->fd = -1;
	/* Unlinked before it leaves the signal table: no moment where a
	 * signal would find it unregistered but present.  (A zeroed struct
	 * has slot 0 and no temporary file: the table is not touched.) */
	if (af->tmp_path != NULL) {
		(void)unlink(af->tmp_path);
		pending_remove(af->slot);
	}
	af->slot = -1;
	free(af->tmp_path);
	free(af->path);
	af->tmp_path = NULL;
	af->path = NULL;
	af->to_stdout = false;
}

int ks_file_write_atomic(const char *path, const void *data, size_t n, int mode)
{
	struct ks_atomic_file af;

	if (ks_atomic_open(&af, path, mode) < 0)
		return -1;
	if (ks_atomic_write(&af, data, n) < 0) {
		ks_atomic_abort(&af);
		return -1;
	}
	return ks_atomic_commit(&af);
}
