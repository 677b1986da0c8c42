/* ks_xml_lt: the long-term levels of XAdES (ETSI EN 319 132-1), at
 * signing (the unsigned-properties step of ks_xades_sign) and in
 * kyso extend:
 *
 *   B-T    a SignatureTimeStamp over the canonical ds:SignatureValue
 *          (exclusive C14N, stated in the element)
 *   B-LT   B-T, then CertificateValues and RevocationValues: the paths
 *          and OCSP responses / CRLs (ks_ltv) of the signer and of the
 *          TSA of every signature timestamp
 *   B-LTA  B-LT, then a xades141:ArchiveTimeStamp over the signed data,
 *          the signature and the unsigned properties before it
 *
 * What a signature already has is kept and not added twice, but every
 * B-LTA call adds a new archive timestamp (which renews the earlier
 * ones).  A TSA or a revocation source that fails makes the whole call
 * fail: a caller never gets a lower level than it asked for. */
#ifndef KS_XML_LT_H
#define KS_XML_LT_H

#include <stddef.h>
#include <stdint.h>

#include "formats/xml/ks_xades.h"
#include "ks_err.h"
#include "signer/ks_extend.h"
#include "signer/ks_ltv.h"
#include "signer/ks_tsa_client.h"

enum ks_xml_level { KS_XML_B_B, KS_XML_B_T, KS_XML_B_LT, KS_XML_B_LTA };

struct ks_xml_lt {
	enum ks_xml_level level;
	const struct ks_tsa_client *tsa; /* B-T and above */
	const struct ks_ltv_opts *ltv;   /* B-LT and above */
	const uint8_t *ext;              /* a detached signature's content, or NULL */
	size_t ext_len;
	/* what was done */
	size_t sigs, ts_added, vals_added, ats_added;
};

/* "B-B" (or NULL), "B-T", "B-LT", "B-LTA"; KS_ERR_USAGE otherwise. */
KS_WUR int ks_xml_level_parse(const char *s, enum ks_xml_level *out);
/* KS_ERR_USAGE when the level needs a TSA or trust anchors not given. */
KS_WUR int ks_xml_lt_check(const struct ks_xml_lt *lt, const char *level);

/* A ks_xades_unsigned_fn: raise `signature` to lt->level. */
KS_WUR int ks_xml_lt_apply(void *arg, struct ks_xml_doc *d, xmlNodePtr signature);

/* kyso extend on an XML document: every top-level signature. */
KS_WUR int ks_extend_xml(const struct ks_extend_job *j, struct ks_extend_outcome *res);

#endif
