/* ks_ltv: the validation data of the long-term levels (B-LT, B-LTA).
 *
 * For a certificate that must stay verifiable (a signer, the TSA of one
 * of its timestamps), the collector builds the certification path to the
 * trust store's anchors (ks_trust_pool_chain, the one path builder) and
 * obtains, for every certificate of that path but the anchor, an answer
 * about its revocation through ks_rev_check (OCSP first, CRLs when OCSP
 * gives nothing; the cache; the network).  What it keeps is what
 * ETSI EN 319 142-1 5.4.2.2 (PAdES DSS) and EN 319 122-1 5.5.1 (CAdES
 * certificate-values, revocation-values) carry: the certificates of the
 * path, the OCSP responses and CRLs relied on, and the OCSP responder's
 * certificate with, for a delegated responder without id-pkix-ocsp-nocheck,
 * the CRL that covers it.
 *
 * Nothing is ever skipped: a path that does not reach an anchor, a
 * certificate found revoked, or revocation data that cannot be had
 * (responders down, answers stale or forged) fails the collection with an
 * error naming the certificate and each attempt's reason.  A caller asked
 * for B-LT never writes a lower level. */
#ifndef KS_LTV_H
#define KS_LTV_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ks_buf.h"
#include "ks_err.h"
#include "signer/validate/ks_revocation.h"
#include "signer/validate/ks_trust.h"

/* Items of each kind one collection may hold. */
#define KS_LTV_ITEMS_MAX 256
/* Certificates collected for (signers and TSAs) in one call sequence. */
#define KS_LTV_SUBJECTS_MAX 64

/* The data collected, each item DER, without duplicates (same bytes). */
struct ks_ltv {
	struct ks_buf certs[KS_LTV_ITEMS_MAX];
	size_t n_certs;
	struct ks_buf ocsps[KS_LTV_ITEMS_MAX]; /* whole OCSPResponse */
	size_t n_ocsps;
	struct ks_buf crls[KS_LTV_ITEMS_MAX];
	size_t n_crls;
	size_t subjects; /* certificates collected for */
};

struct ks_ltv_opts {
	const struct ks_trust *trust; /* anchors (and intermediates): required */
	struct ks_rev_opts rev;       /* cache, time limits, offline */
	time_t at;                    /* validation time: 0 = now */
};

void ks_ltv_opts_init(struct ks_ltv_opts *o);
void ks_ltv_init(struct ks_ltv *v);
void ks_ltv_cleanup(struct ks_ltv *v);

/* Collect for `cert` (`what` names it in messages: "the signer", "the
 * TSA of the signature timestamp"); `untrusted` (may be NULL) are
 * certificates that may help build its path (those a signature or token
 * carries).  Adds to v.  -1 with KS_ERR_CERT (no path), KS_ERR_POLICY
 * (revoked), KS_ERR_VERIFY (no usable revocation data; the message lists
 * the attempts), KS_ERR_LIMIT or KS_ERR_NOMEM. */
KS_WUR int ks_ltv_collect(struct ks_ltv *v, X509 *cert, STACK_OF(X509) * untrusted,
			  const struct ks_ltv_opts *o, const char *what);

/* An OCSPResponse (as collected) as the BasicOCSPResponse CAdES
 * revocation-values carries (EN 319 122-1 5.5.2.2: ocspVals), appended
 * to out. */
KS_WUR int ks_ltv_basic_ocsp(const struct ks_buf *ocsp_response, struct ks_buf *out);

#endif
