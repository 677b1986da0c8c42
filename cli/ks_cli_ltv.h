/* The command-line options of the long-term levels, shared by kyso sign
 * and kyso extend: --trust FILE|DIR (repeatable), --cache DIR,
 * --no-cache, --allow-no-nonce, --timeout SECONDS. */
#ifndef KS_CLI_LTV_H
#define KS_CLI_LTV_H

#include <stdbool.h>
#include <stddef.h>

#include "ks_err.h"
#include "signer/ks_ltv.h"
#include "signer/validate/ks_trust.h"

#define KS_CLI_LTV_TRUST_MAX 32
#define KS_CLI_LTV_TIMEOUT_MAX 600

struct ks_cli_ltv {
	const char *trust[KS_CLI_LTV_TRUST_MAX];
	size_t n_trust;
	const char *cache;
	bool no_cache;
	bool allow_no_nonce;
	long timeout_s; /* 0: the defaults */
	struct ks_trust *store;
	struct ks_ltv_opts opts;
};

/* The usage lines of these options. */
#define KS_CLI_LTV_USAGE                                                                   \
	"  --trust    B-LT, B-LTA: trust anchors (PEM or DER file, or a directory;\n"      \
	"             repeatable): every certificate is followed to one of them and its\n" \
	"             OCSP responses or CRLs are fetched; without them the level fails\n"  \
	"  --cache DIR  revocation cache folder (default " KS_REV_CACHE_DEFAULT_DIR "),\n" \
	"  --no-cache   neither read nor write it; --allow-no-nonce accept OCSP answers\n" \
	"             without the request's nonce; --timeout SECONDS per request\n"

void ks_cli_ltv_init(struct ks_cli_ltv *l);
/* Is `name` one of these options?  Then take `arg` (1), or fail (-1);
 * 0 when it is not one. */
KS_WUR int ks_cli_ltv_option(struct ks_cli_ltv *l, const char *name, const char *arg);
/* Load the trust store; *out is the options (NULL when no --trust was
 * given: the long-term levels then refuse with a usage error). */
KS_WUR int ks_cli_ltv_open(struct ks_cli_ltv *l, const struct ks_ltv_opts **out);
void ks_cli_ltv_close(struct ks_cli_ltv *l);

#endif
