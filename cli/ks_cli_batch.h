/* kyso sign --batch: many documents, one key opened once (cli_batch.c). */
#ifndef KS_CLI_BATCH_H
#define KS_CLI_BATCH_H

#include <stdbool.h>

#include "signer/ks_job.h"
#include "signer/ks_keyres.h"

/* Exit status of a batch beyond the common ones (docs/cli.md). */
#define KS_EXIT_BATCH_SOME_FAILED 5 /* the others are signed */
#define KS_EXIT_BATCH_STOPPED 6     /* SIGINT/SIGTERM or a refused PIN: not all done */

struct ks_cli_batch {
	const char *batch;   /* a folder, or a list file */
	const char *out_dir; /* created when missing */
	bool resume;
	bool json;
	/* The format an input is signed in under the options given, or an
	 * error when an option does not fit it (as `kyso sign` decides). */
	int (*format_of)(const void *ctx, const char *in, enum ks_format *f);
	const void *ctx;
};

/* Run the batch: every option of `tmpl` applies to every file.  Returns
 * the exit status. */
int ks_cli_sign_batch(const struct ks_cli_batch *o, const struct ks_keyres *key,
		      const struct ks_sign_job *tmpl);

#endif
