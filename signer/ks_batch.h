/* ks_batch: many documents signed with one open key (one PIN entry, one
 * token login), each through the sign job (ks_job.h) exactly as one
 * `kyso sign` would sign it.
 *
 * A batch is a list of items, each an input file and the output file it
 * becomes.  The inputs come from a folder (its regular files, sorted by
 * name) or from a list file (one path a line); the outputs all go to one
 * folder.  One item's failure is recorded with its reason and the next
 * item goes on; only a refused PIN (another login could lock the token)
 * or a request to stop (a signal) ends the run early, leaving the items
 * not reached as not done.  Every output is written atomically by the
 * sign job, so an interrupted run leaves complete outputs only.
 *
 * Resume: an item whose output already holds a signature "made the same
 * way" is skipped (ks_batch_signed_same, below). */
#ifndef KS_BATCH_H
#define KS_BATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_err.h"
#include "signer/ks_job.h"

/* Files in one batch. */
#define KS_BATCH_FILES_MAX 100000
/* Size of a list file. */
#define KS_BATCH_LIST_MAX ((size_t)16 << 20)
/* One line of a list file (a path). */
#define KS_BATCH_LINE_MAX 4000
/* A failure reason kept per item. */
#define KS_BATCH_REASON_MAX 512

enum ks_batch_status {
	KS_BATCH_PENDING = 0, /* not reached (stopped early) */
	KS_BATCH_SIGNED,
	KS_BATCH_SKIPPED, /* --resume: already signed the same way */
	KS_BATCH_FAILED,
};

struct ks_batch_item {
	char *in;  /* owned */
	char *out; /* owned; NULL until planned */
	enum ks_format format;
	enum ks_batch_status status;
	enum ks_err_code err; /* the failure's code */
	char *reason;         /* owned; the failure's message, NULL when none */
	char summary[192];    /* what was written (the sign job's outcome) */
	/* What the check of the certificate before signing found. */
	char precheck[KS_PRECHECK_SUMMARY_LEN];
};

struct ks_batch {
	struct ks_batch_item *items;
	size_t n, cap;
	/* Counts, kept by ks_batch_run and ks_batch_fail. */
	size_t signed_n, skipped_n, failed_n;
	bool stopped;  /* ended early: a signal, or a refused PIN */
	char *out_dir; /* owned; set by ks_batch_plan */
};

void ks_batch_init(struct ks_batch *b);
void ks_batch_cleanup(struct ks_batch *b);

/* Add one input path (copied). */
KS_WUR int ks_batch_add(struct ks_batch *b, const char *in);
/* Add the regular files of a folder (not its subfolders, not names
 * starting with '.'), sorted by name.  A symbolic link to a regular file
 * counts as one. */
KS_WUR int ks_batch_add_dir(struct ks_batch *b, const char *dir);
/* Add the paths of a list: one a line (LF or CRLF), empty lines and lines
 * starting with '#' ignored, paths as given (relative to the current
 * folder).  A NUL byte, a line longer than KS_BATCH_LINE_MAX or more than
 * KS_BATCH_FILES_MAX paths is KS_ERR_PARSE / KS_ERR_LIMIT. */
KS_WUR int ks_batch_parse_list(struct ks_batch *b, const uint8_t *p, size_t n);
/* ks_batch_parse_list over a regular file of at most KS_BATCH_LIST_MAX. */
KS_WUR int ks_batch_add_list(struct ks_batch *b, const char *path);

/* The name of an item's output inside the output folder: the input's own
 * name for a PDF or an enveloped or enveloping XML signature, NAME.p7s for
 * a CMS signature, NAME.sig.xml for a detached XML signature (appended to
 * out). */
KS_WUR int ks_batch_out_name(const char *in, enum ks_format f, const char *xml_mode,
			     struct ks_buf *out);
/* Give every item its output path in `out_dir` (the formats set first).
 * KS_ERR_USAGE when two items would write the same output, or an output
 * would replace an input. */
KS_WUR int ks_batch_plan(struct ks_batch *b, const char *out_dir, const char *xml_mode);

/* Mark an item failed with the current error (ks_err_*). */
KS_WUR int ks_batch_fail(struct ks_batch *b, size_t i);

/* Is `out` a complete signature of `in`, made the same way as `tmpl`
 * would make it?  All of:
 *  - out verifies (ks_job_verify, no trust anchors needed): its last
 *    signature is not TOTAL-FAILED, so its bytes and signature value hold;
 *  - that signature's signer certificate is the key's certificate (same
 *    issuer, serial number and subject);
 *  - its format and level ("PAdES-B-T") are the format of the item and the
 *    level asked (B-B when none), and its digest the one asked (SHA-256
 *    when none);
 *  - it signs `in` exactly: a PDF output starts with every byte of the
 *    input (an incremental update) and nothing was changed after the
 *    signature; an enveloped XML output is the input with one element
 *    inserted, the signature; a CMS (or detached XML) signature verifies
 *    over the input as its content.
 * An enveloping XML signature is never "the same" (the record lies
 * inside it; it is signed again).  False when any check fails or cannot
 * run; never an error. */
bool ks_batch_signed_same(const struct ks_sign_job *tmpl, const struct ks_batch_item *it);

struct ks_batch_run_opts {
	bool resume;
	/* Set (by a signal handler) to stop after the item in progress. */
	const volatile sig_atomic_t *stop;
	/* Called before item i is started and after it is done (done true). */
	void (*progress)(void *ctx, const struct ks_batch *b, size_t i, bool done);
	void *ctx;
};

/* Sign every item not failed already, in order, with a copy of `tmpl`
 * (its key open; in, out and format set per item).  -1 only for an
 * internal error (memory); the items carry their own outcomes.  Stale
 * temporary files of the outputs (a run killed before) are removed in
 * one pass over the output folder first, not once per output. */
KS_WUR int ks_batch_run(struct ks_batch *b, const struct ks_sign_job *tmpl,
			const struct ks_batch_run_opts *o);

const char *ks_batch_status_name(enum ks_batch_status s); /* "signed", "not-done" ... */

#endif
