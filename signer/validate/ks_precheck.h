/* ks_precheck: the checks on the signer certificate before its key signs
 * (Circular 15/2025/TT-BKHCN: signing software checks the certificate's
 * validity, revocation included, before it signs).
 *
 *   1. validity period, keyUsage, key and certificate-signature strength
 *      (signer/ks_policy: ks_policy_check_cert);
 *   2. extended key usage: ks_eku_document_signer (a TSA or OCSP
 *      responder certificate never signs a document);
 *   3. revocation, per the policy:
 *        require  sign only when an authorised answer says GOOD;
 *        prefer   (default) sign unless REVOKED; when no answer could be
 *                 had, sign and say so clearly;
 *        off      not checked (said in the summary).
 *      A REVOKED answer always refuses.  The issuer, needed to check
 *      answers, is looked for in the key's chain, then in the trust store
 *      (anchors and intermediates). */
#ifndef KS_PRECHECK_H
#define KS_PRECHECK_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <time.h>

#include "ks_err.h"
#include "signer/validate/ks_eku.h"
#include "signer/validate/ks_revocation.h"
#include "signer/validate/ks_trust.h"

enum ks_rev_policy {
	KS_REV_POLICY_PREFER = 0,
	KS_REV_POLICY_REQUIRE,
	KS_REV_POLICY_OFF,
};

/* "require", "prefer", "off" (KS_ERR_USAGE otherwise). */
KS_WUR int ks_rev_policy_parse(const char *s, enum ks_rev_policy *out);
const char *ks_rev_policy_name(enum ks_rev_policy p);

enum ks_precheck_refusal {
	KS_PRECHECK_NOT_REFUSED = 0,
	KS_PRECHECK_REFUSED_CERT,        /* validity, keyUsage, strength */
	KS_PRECHECK_REFUSED_EKU,         /* not a document-signing certificate */
	KS_PRECHECK_REFUSED_REVOKED,     /* revoked */
	KS_PRECHECK_REFUSED_UNCONFIRMED, /* require, and no GOOD answer */
};

#define KS_PRECHECK_SUMMARY_LEN 1400

struct ks_precheck {
	enum ks_rev_policy policy;
	bool may_sign;
	enum ks_precheck_refusal refusal;
	/* Revocation: checked (an answer came: rev.status), and confirmed
	 * (GOOD).  Under prefer, may_sign && !rev_confirmed means "signed
	 * without knowing": the report must say so. */
	bool rev_checked;
	bool rev_confirmed;
	bool issuer_found;
	struct ks_rev_result rev;
	char eku[KS_EKU_WHY_LEN];              /* the EKU decision */
	char summary[KS_PRECHECK_SUMMARY_LEN]; /* English, for the signing report */
};

void ks_precheck_init(struct ks_precheck *p);
void ks_precheck_cleanup(struct ks_precheck *p);

/* Check `cert` before it signs at time `at` (0: now).  `chain` (the
 * key's issuing CAs; may be NULL) and `trust` (may be NULL) are where
 * its issuer is looked for; `ro` the revocation options (NULL:
 * defaults).  Returns 0 when signing may go ahead (p->summary says what
 * was and was not checked); -1 with KS_ERR_POLICY and p->summary when it
 * must not; -1 with another code when the check itself failed (memory). */
KS_WUR int ks_precheck_signer(X509 *cert, STACK_OF(X509) * chain, const struct ks_trust *trust,
			      const struct ks_rev_opts *ro, enum ks_rev_policy policy, time_t at,
			      struct ks_precheck *p);

#endif
