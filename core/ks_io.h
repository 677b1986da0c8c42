/* ks_io: input files opened once and checked, whole-file reads with a hard
 * maximum, and atomic output files.
 *
 * Inputs are regular files.  The open itself cannot block (O_NONBLOCK, so
 * a FIFO without a writer or a device is refused at once, then cleared),
 * and anything that is not a regular file is refused with a message naming
 * what it is.  Only "-" (standard input) is read as a stream, up to a
 * limit.
 *
 * Output is written to a temporary file beside the target, fsync'd and
 * renamed over it only on commit: a failed operation leaves no file.  The
 * target must be a regular file or not exist; a symbolic link is followed
 * to an existing regular file, whose place is taken (the link stays); a
 * device, FIFO, socket, directory or dangling link is refused.  "-" is
 * standard output: the result goes there only once complete.  A new file
 * is created with `mode` minus the umask; a replaced file keeps its
 * permission bits (and, where allowed, its owner and group).
 *
 * Temporary files are named TARGET.tmp.XXXXXX and locked (flock) while
 * their writer lives.  ks_io_cleanup_on_signals() makes a fatal signal
 * remove them before the process ends; one left by a process that could
 * not clean up (SIGKILL, power loss) is removed by the next ks_atomic_open
 * of the same target. */
#ifndef KS_IO_H
#define KS_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ks_buf.h"

/* Temporary names tried before giving up (each 62^6 random). */
#define KS_IO_TMP_TRIES 16
/* Temporary files a signal handler removes, per process. */
#define KS_IO_PENDING_MAX 16
/* Directory entries examined when looking for stale temporary files. */
#define KS_IO_STALE_SCAN_MAX 65536
/* Longest output path accepted. */
#define KS_IO_PATH_MAX 4000

/* Open `path` for reading, once: a regular file only.  *fd is the
 * caller's to close; *size its size in bytes. */
KS_WUR int ks_file_open_input(const char *path, int *fd, uint64_t *size);

/* Read the file at `path` ("-" is stdin) into out; more than `max` bytes
 * is KS_ERR_LIMIT.  A path must name a regular file. */
KS_WUR int ks_file_read(const char *path, size_t max, struct ks_buf *out);

/* A read-only view of a whole regular file (opened once, mapped, never
 * copied).  ks_file_unmap() is safe on a zeroed or failed struct. */
struct ks_file_map {
	const uint8_t *data; /* "" for an empty file */
	size_t len;
	void *map; /* NULL when nothing is mapped */
	int fd;
};
KS_WUR int ks_file_map(const char *path, struct ks_file_map *m);
void ks_file_unmap(struct ks_file_map *m);

struct ks_atomic_file {
	FILE *f;        /* write through this */
	char *tmp_path; /* owned; NULL when writing to standard output */
	char *path;     /* owned; the file replaced (a link's target), or "-" */
	int fd;
	int slot;       /* signal clean-up slot, -1 for none */
	bool to_stdout; /* "-": copied to standard output on commit */
	bool chown_to;  /* give the result the replaced file's owner and group */
	uid_t uid;      /* of the replaced file */
	gid_t gid;
};

/* Open a temporary file for `path` ("-": standard output).  `mode` is the
 * creation mode before the umask: 0666 for documents, 0600 for secrets
 * (a replaced file then keeps its bits, but never more than the owner's). */
KS_WUR int ks_atomic_open(struct ks_atomic_file *af, const char *path, int mode);
KS_WUR int ks_atomic_write(struct ks_atomic_file *af, const void *data, size_t n);
/* Two pieces, one after the other, in one system call where the kernel
 * takes them whole (a result made of an unchanged original and what
 * follows it need not be copied into one buffer first). */
KS_WUR int ks_atomic_write2(struct ks_atomic_file *af, const void *a, size_t an, const void *b,
			    size_t bn);
/* Flush, fsync, rename onto the final path, fsync the directory; or, for
 * "-", copy the finished result to standard output. */
KS_WUR int ks_atomic_commit(struct ks_atomic_file *af);
/* Remove the temporary file if not committed; free everything.  Safe on
 * a zeroed or already-committed struct. */
void ks_atomic_abort(struct ks_atomic_file *af);
/* One-shot: write data to path atomically. */
KS_WUR int ks_file_write_atomic(const char *path, const void *data, size_t n, int mode);

/* Many outputs in one folder (a batch): each ks_atomic_open looks
 * through the target's folder for stale temporary files, which costs
 * O(entries) per output.  A batch writer instead removes them in one pass
 * with ks_io_clean_stale_dir (the stale TARGET.tmp.XXXXXX of the targets
 * `want` accepts: the target's name and its length), turns the per-output
 * look off with ks_io_set_stale_scan(false) for the process, and back on
 * when done. */
void ks_io_clean_stale_dir(const char *dir, bool (*want)(const char *name, size_t n, void *ctx),
			   void *ctx);
void ks_io_set_stale_scan(bool on);

/* Many outputs in one folder, again: each commit syncs the file, renames
 * it, then syncs its folder so that the new name lasts a power loss.
 * Between ks_atomic_defer_dir_sync() and ks_atomic_sync_dirs() the
 * commits of the calling thread leave the folder sync to the latter,
 * which syncs each folder written once (a batch: one folder sync at its
 * end instead of one per file).  Each file is still complete before its
 * rename: an interruption leaves whole outputs or none; a power loss
 * before the final sync may lose the newest names (a resumed batch signs
 * those again). */
void ks_atomic_defer_dir_sync(void);
void ks_atomic_sync_dirs(void);

/* Install handlers for the signals that end a process by default (HUP,
 * INT, QUIT, TERM, PIPE, ALRM, USR1, USR2, XCPU, XFSZ) which remove the
 * pending temporary files, then end the process by the same signal.  A
 * signal that is ignored or already handled is left alone. */
void ks_io_cleanup_on_signals(void);

#endif
