/* ks_io: whole-file reads with a hard maximum, and atomic output files.
 *
 * Output is written to a temporary file beside the target, fsync'd and
 * renamed over it only on commit: a failed operation leaves no file. */
#ifndef KS_IO_H
#define KS_IO_H

#include <stdio.h>

#include "ks_buf.h"

/* Read the file at `path` ("-" is stdin) into out; more than `max` bytes
 * is KS_ERR_LIMIT. */
KS_WUR int ks_file_read(const char *path, size_t max, struct ks_buf *out);

struct ks_atomic_file {
	FILE *f;        /* write through this */
	char *tmp_path; /* owned */
	char *path;     /* owned */
	int fd;
};

/* Open a temporary file next to `path` (mode 0644 unless secret: 0600). */
KS_WUR int ks_atomic_open(struct ks_atomic_file *af, const char *path, int mode);
KS_WUR int ks_atomic_write(struct ks_atomic_file *af, const void *data, size_t n);
/* Flush, fsync, rename onto the final path, fsync the directory. */
KS_WUR int ks_atomic_commit(struct ks_atomic_file *af);
/* Remove the temporary file if not committed; free everything.  Safe on
 * a zeroed or already-committed struct. */
void ks_atomic_abort(struct ks_atomic_file *af);
/* One-shot: write data to path atomically. */
KS_WUR int ks_file_write_atomic(const char *path, const void *data, size_t n, int mode);

#endif
