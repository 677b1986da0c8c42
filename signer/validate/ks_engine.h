/* ks_engine: the validation engine, one for every format.
 *
 * A format module (formats/pdf, formats/cms, formats/xml, through the
 * adapters signer/ks_verify_*.c) says what it found about each signature:
 * whether the signed data and the signature value hold (integrity:
 * digest, signature, signed attributes, the signer certificate bound),
 * the signer certificate, the certificates the signature carries, its
 * signature timestamps with their own integrity checked, and, once for
 * the document, the certificates and revocation data the document
 * carries.  It never says more.  The engine decides the rest, in this
 * order (ETSI EN 319 102-1 5.2 and 5.5-5.6):
 *
 *   1. proof of existence (POE): the document timestamps, latest first,
 *      then each signature's own timestamps, are validated like
 *      signatures (their TSA's path and revocation); the earliest valid
 *      timestamp over a signature proves the signature existed then;
 *   2. chain: a path from the signer certificate to a trust anchor
 *      (ks_trust_pool_chain) at the validation time; a certificate of the
 *      path that expired is accepted when a POE before its expiry
 *      exists (the path is then built at the POE);
 *   3. constraints: extended key usage (ks_eku: a TSA's or an OCSP
 *      responder's certificate never passes as a document signer);
 *   4. revocation (ks_revocation) of every certificate of the path but
 *      the anchor, at the POE when there is one (an answer issued after
 *      it proves the status at it), else at the validation time: REVOKED
 *      before the POE (or with none) gives TOTAL-FAILED / REVOKED for the
 *      signer, INDETERMINATE / REVOKED_CA_NO_POE for a CA; no usable
 *      answer gives, per the policy's `revocation` level, INDETERMINATE /
 *      TRY_LATER (nothing came back), REVOCATION_OUT_OF_BOUNDS_NO_POE
 *      (answers came, none covers the time), or a pass with a warning;
 *   5. the report entry: indication, sub-indication, reason, the
 *      revocation answer relied on, the POE and what proved it.
 *
 * With revocation off (`kyso verify --revocation off`) step 4 is skipped
 * and noted; nothing else changes. */
#ifndef KS_ENGINE_H
#define KS_ENGINE_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <time.h>

#include "formats/cms/ks_etsi.h"
#include "ks_err.h"
#include "signer/ks_report.h"
#include "signer/validate/ks_revocation.h"
#include "signer/validate/ks_trust.h"
#include "signer/validate/ks_vpolicy.h"

/* Timestamps (signature and archive) looked at per signature. */
#define KS_ENGINE_TS_MAX 8

/* How the caller wants it validated (shared, read-only). */
struct ks_validation {
	const struct ks_trust *trust; /* anchors and intermediates; NULL: none */
	bool revocation;              /* check revocation (default true) */
	struct ks_rev_opts rev;       /* offline, cache, time limits */
	struct ks_vpolicy policy;
	time_t at; /* validation time; 0: now */
};

void ks_validation_init(struct ks_validation *v);

/* A signature timestamp as the format found it: its own integrity
 * (token signature, TSA certificate bound and with the timeStamping EKU,
 * message imprint over the signature value) already checked. */
struct ks_engine_ts {
	/* An archive timestamp (CAdES archive-time-stamp-v3): it covers the
	 * signature, its timestamps and its validation data. */
	bool archive;
	enum ks_indication indication; /* TOTAL-PASSED: integrity holds */
	char detail[256];
	time_t gen_time;
	X509 *tsa;              /* borrowed; NULL when not identified */
	STACK_OF(X509) * certs; /* borrowed; the token's certificates, may be NULL */
};

/* One signature (or document timestamp) as the format found it. */
struct ks_engine_sig {
	struct ks_report_sig *out; /* its report entry: integrity result set */
	bool doc_timestamp;        /* a document timestamp (covers every earlier entry) */
	X509 *signer;              /* borrowed; NULL: integrity already failed */
	STACK_OF(X509) * certs;    /* borrowed; carried by the signature, may be NULL */
	struct ks_engine_ts ts[KS_ENGINE_TS_MAX];
	size_t n_ts;
};

/* What the document carries for validation (PAdES DSS, CAdES
 * certificate and revocation values); every field may be NULL. */
struct ks_engine_doc {
	STACK_OF(X509) * certs;
	const struct ks_rev_data *rev;
};

/* Validate the signatures of one document, given in document order (a
 * document timestamp covers the entries before it).  Each entry's report
 * is completed; one whose integrity failed (out->indication not
 * TOTAL-PASSED on entry) keeps its result.  -1 only for memory and
 * argument errors. */
KS_WUR int ks_engine_run(const struct ks_validation *v, struct ks_engine_sig *sigs, size_t n,
			 const struct ks_engine_doc *doc, struct ks_report *rep);

#endif
