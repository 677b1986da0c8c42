/* ks_extend_ltv: the long-term levels B-LT and B-LTA on a signed PDF or
 * .p7s, after signing or later, for signatures made by any software.
 *
 * PDF (ETSI EN 319 142-1 5.4):
 *   B-LT   the validation data (signer/ks_ltv) of every signature, of
 *          every timestamp inside them and of every document timestamp,
 *          in the DSS, in an incremental update of its own;
 *   B-LTA  B-LT, then a document timestamp (/SubFilter /ETSI.RFC3161)
 *          over the whole file.
 *   A document that already carries a DSS and a document timestamp is
 *   renewed instead: the validation data of the TSA of the newest
 *   document timestamp, then (B-LTA) a new document timestamp over it;
 *   what is already in the DSS is not collected again.
 * CAdES (ETSI EN 319 122-1 5.4, 5.5):
 *   B-LT   on every SignerInfo: a signature-time-stamp when it has none
 *          (needs a TSA), then certificate-values and revocation-values
 *          (signers that carry them already are left as they are);
 *   B-LTA  B-LT, then an archive-time-stamp-v3 with its ats-hash-index-v3
 *          over the signature, the content and everything added.
 *
 * Any certificate whose data cannot be had fails the whole call: no
 * output file, never a lower level. */
#ifndef KS_EXTEND_LTV_H
#define KS_EXTEND_LTV_H

#include <stdbool.h>
#include <stddef.h>

#include "ks_buf.h"
#include "ks_err.h"
#include "signer/ks_ltv.h"
#include "signer/ks_tsa_client.h"

/* Raise the PDF in_path to B-LT (lta false) or B-LTA into out_path
 * (written atomically).  summary (n bytes) says what was added. */
KS_WUR int ks_extend_pdf_ltv(const char *in_path, const char *out_path, bool lta,
			     const struct ks_tsa_client *tsa, const struct ks_ltv_opts *o,
			     char *summary, size_t n);

/* Raise the SignedData in `cms` (replaced in place) to B-LT or B-LTA.
 * `content` is the signed file of a detached signature (B-LTA hashes it;
 * may be NULL otherwise). */
KS_WUR int ks_extend_cms_ltv(struct ks_buf *cms, const char *content, bool lta,
			     const struct ks_tsa_client *tsa, const struct ks_ltv_opts *o,
			     char *summary, size_t n);

#endif
