/* ks_extend: raising signed documents to a higher level after signing,
 * including documents kyso did not sign (ETSI EN 319 142-1 5.4 for PDF,
 * EN 319 122-1 5.3-5.5 for CAdES, EN 319 132-1 5.3-5.5 for XAdES), and the
 * document timestamp of `kyso timestamp`.
 *
 *   PDF  B-T    a document timestamp over the whole file (EN 319 142-1:
 *               a signature with no signature timestamp reaches B-T through
 *               a document timestamp that covers it)
 *        B-LT   the validation data of every signature (certificates, OCSP
 *               responses, CRLs) in the DSS
 *        B-LTA  B-LT, then a document timestamp over it
 *   CAdES B-T   a signature-time-stamp on every signer that has none
 *         B-LT  B-T, then certificate-values and revocation-values
 *         B-LTA B-LT, then an archive-time-stamp-v3
 *   XAdES B-T   a SignatureTimeStamp on every top-level signature without one
 *         B-LT  B-T, then CertificateValues and RevocationValues
 *         B-LTA B-LT, then a xades141:ArchiveTimeStamp
 * (B-LT and B-LTA: signer/ks_extend_ltv.h; XAdES: signer/ks_xml_lt.h)
 *
 * Every step is an incremental update (PDF), an unsigned attribute
 * (CAdES) or an unsigned property (XAdES; the signed parts are
 * re-serialized, their canonical form unchanged).  A TSA that fails makes
 * the whole call fail with no output. */
#ifndef KS_EXTEND_H
#define KS_EXTEND_H

#include "formats/pdf/ks_pades.h"
#include "ks_err.h"
#include "signer/ks_job.h"
#include "signer/ks_ltv.h"
#include "signer/ks_tsa_client.h"

/* A document timestamp on the PDF in_path, written to out_path
 * (atomically).  res may be NULL. */
KS_WUR int ks_pdf_doc_timestamp(const char *in_path, const char *out_path,
				const struct ks_tsa_client *tsa, struct ks_pades_result *res);

struct ks_extend_job {
	const char *in, *out;
	enum ks_format format; /* AUTO: recognised */
	const char *level;     /* "B-T", "B-LT", "B-LTA" */
	const struct ks_tsa_client *tsa;
	const char *content; /* the signed file of a detached .p7s or XML signature (B-LTA) */
	const struct ks_ltv_opts *ltv; /* B-LT, B-LTA: trust anchors, revocation options */
};

struct ks_extend_outcome {
	enum ks_format format;
	char summary[192];
};

KS_WUR int ks_job_extend(const struct ks_extend_job *j, struct ks_extend_outcome *res);

#endif
