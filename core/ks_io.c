#include "ks_io.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks_size.h"

int ks_file_read(const char *path, size_t max, struct ks_buf *out)
{
	FILE *f = NULL;
	int rc = -1;
	size_t start = out->len;
	uint8_t chunk[65536];

	if (strcmp(path, "-") == 0) {
		f = stdin;
	} else {
		f = fopen(path, "rb");
		if (f == NULL)
			KS_BAIL(KS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	}
	for (;;) {
		size_t n = fread(chunk, 1, sizeof(chunk), f);

		if (n > 0) {
			if (out->len - start + n > max)
				KS_BAIL(KS_ERR_LIMIT, "'%s' is larger than the limit of %zu bytes",
					path, max);
			KS_GUARD(ks_buf_append(out, chunk, n));
		}
		if (n < sizeof(chunk)) {
			if (ferror(f))
				KS_BAIL(KS_ERR_IO, "read error on '%s'", path);
			break;
		}
	}
	rc = 0;
out:
	if (rc < 0)
		ks_buf_truncate(out, start);
	if (f != NULL && f != stdin)
		fclose(f);
	return rc;
}

int ks_atomic_open(struct ks_atomic_file *af, const char *path, int mode)
{
	struct ks_buf tmp;
	const char *s;

	memset(af, 0, sizeof(*af));
	af->fd = -1;
	ks_buf_init(&tmp, 8192);
	if (ks_buf_printf(&tmp, "%s.tmp.XXXXXX", path) < 0 || ks_buf_cstr(&tmp, &s) < 0)
		goto fail;
	af->tmp_path = strdup(s);
	af->path = strdup(path);
	if (af->tmp_path == NULL || af->path == NULL) {
		KS_SET(KS_ERR_NOMEM, "out of memory");
		goto fail;
	}
	af->fd = mkstemp(af->tmp_path);
	if (af->fd < 0) {
		KS_SET(KS_ERR_IO, "cannot create a temporary file beside '%s': %s", path,
		       strerror(errno));
		free(af->tmp_path);
		af->tmp_path = NULL; /* nothing to unlink */
		goto fail;
	}
	if (fchmod(af->fd, (mode_t)mode) < 0) {
		KS_SET(KS_ERR_IO, "chmod of '%s': %s", af->tmp_path, strerror(errno));
		goto fail;
	}
	af->f = fdopen(af->fd, "wb");
	if (af->f == NULL) {
		KS_SET(KS_ERR_IO, "fdopen: %s", strerror(errno));
		goto fail;
	}
	ks_buf_cleanup(&tmp);
	return 0;
fail:
	ks_buf_cleanup(&tmp);
	ks_atomic_abort(af);
	return -1;
}

int ks_atomic_write(struct ks_atomic_file *af, const void *data, size_t n)
{
	if (n > 0 && fwrite(data, 1, n, af->f) != n)
		return KS_SET(KS_ERR_IO, "write to '%s' failed: %s", af->tmp_path, strerror(errno));
	return 0;
}

int ks_atomic_commit(struct ks_atomic_file *af)
{
	char *dir_copy = NULL;
	int dfd;
	int rc = -1;

	if (fflush(af->f) != 0 || fsync(af->fd) != 0)
		KS_BAIL(KS_ERR_IO, "flushing '%s': %s", af->tmp_path, strerror(errno));
	if (fclose(af->f) != 0) {
		/* fclose() released the descriptor even though it failed: abort
		 * must not close it again (it may already be reused). */
		af->f = NULL;
		af->fd = -1;
		KS_BAIL(KS_ERR_IO, "closing '%s': %s", af->tmp_path, strerror(errno));
	}
	af->f = NULL;
	af->fd = -1;
	if (rename(af->tmp_path, af->path) != 0)
		KS_BAIL(KS_ERR_IO, "renaming onto '%s': %s", af->path, strerror(errno));
	free(af->tmp_path);
	af->tmp_path = NULL;
	dir_copy = strdup(af->path);
	if (dir_copy != NULL) {
		dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	rc = 0;
out:
	free(dir_copy);
	ks_atomic_abort(af);
	return rc;
}

void ks_atomic_abort(struct ks_atomic_file *af)
{
	/* A zeroed struct has fd 0 but no temporary file: never close it. */
	if (af->f != NULL)
		fclose(af->f);
	else if (af->tmp_path != NULL && af->fd >= 0)
		close(af->fd);
	af->f = NULL;
	af->fd = -1;
	if (af->tmp_path != NULL)
		(void)unlink(af->tmp_path);
	free(af->tmp_path);
	free(af->path);
	af->tmp_path = NULL;
	af->path = NULL;
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
