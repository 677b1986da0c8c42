/* ks_vpolicy: the validation policy, what each check weighs when a
 * signature or a document is judged.  Per check one level, the shape of
 * the constraints of EU DSS's policies:
 *
 *   fail     the check decides: the signature (or the document) does not
 *            pass when it fails;
 *   warn     it passes, and the report says so among the warnings;
 *   inform   it passes, and the report mentions it.
 *
 * The built-in default is the policy for school records (docs/policy.md);
 * a policy file changes some checks and leaves the others at their
 * default.  A file is lines of `check = level`, `#` starts a comment,
 * blank lines are ignored; an unknown check, an unknown level, a check
 * named twice, a line or a file over its limit is refused with the line
 * number (a policy that does not say what its author meant must not be
 * half applied). */
#ifndef KS_VPOLICY_H
#define KS_VPOLICY_H

#include <stddef.h>
#include <stdint.h>

#include "ks_err.h"

#define KS_VPOLICY_FILE_MAX ((size_t)16 << 10)
#define KS_VPOLICY_LINE_MAX 256
#define KS_VPOLICY_LINES_MAX 200

enum ks_vlevel {
	KS_VL_FAIL = 0,
	KS_VL_WARN,
	KS_VL_INFORM,
};

enum ks_vcheck {
	/* The revocation status of a certificate of the path could not be
	 * obtained (or no answer covers the validation time): fail gives
	 * INDETERMINATE / TRY_LATER or REVOCATION_OUT_OF_BOUNDS_NO_POE. */
	KS_VC_REVOCATION = 0,
	/* The signer certificate's extended key usage does not allow
	 * document signing (ks_eku): fail gives INDETERMINATE /
	 * CHAIN_CONSTRAINTS_FAILURE. */
	KS_VC_SIGNER_EKU,
	/* A signature timestamp does not validate (its TSA's path, its
	 * revocation): fail gives INDETERMINATE / NO_POE; otherwise the
	 * timestamp is only not used as proof of time. */
	KS_VC_TIMESTAMP,
	/* What the document shows was changed after a signature in a way the
	 * signature permitted (annotations, form values, extra widgets):
	 * fail makes the document "not authentic"; warn and inform give the
	 * verdict "changed afterwards" (never "authentic and unchanged"). */
	KS_VC_CHANGES,
	/* The signing time is only claimed by the signer (no timestamp). */
	KS_VC_CLAIMED_TIME,
	KS_VC__COUNT
};

struct ks_vpolicy {
	enum ks_vlevel level[KS_VC__COUNT];
	char name[64]; /* "built-in" or the file's name (shortened) */
};

/* The built-in policy for school records. */
void ks_vpolicy_default(struct ks_vpolicy *p);
/* Parse a policy text over the default.  KS_ERR_PARSE / KS_ERR_LIMIT
 * naming the line; p is then the default. */
KS_WUR int ks_vpolicy_parse(const uint8_t *text, size_t n, struct ks_vpolicy *p);
/* Read and parse a policy file (a regular file, at most
 * KS_VPOLICY_FILE_MAX bytes). */
KS_WUR int ks_vpolicy_load(const char *path, struct ks_vpolicy *p);

/* "revocation", "signer-eku", ...; "fail", "warn", "inform". */
const char *ks_vcheck_name(enum ks_vcheck c);
const char *ks_vlevel_name(enum ks_vlevel l);

#endif
