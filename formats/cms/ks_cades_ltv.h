/* ks_cades_ltv: the unsigned attributes of the long-term CAdES levels
 * (ETSI EN 319 122-1 5.5), built and read.
 *
 *   certificate-values   id-aa-ets-certValues 1.2.840.113549.1.9.16.2.23
 *                        CertificateValues ::= SEQUENCE OF Certificate
 *   revocation-values    id-aa-ets-revocationValues 1.2.840.113549.1.9.16.2.24
 *                        RevocationValues ::= SEQUENCE {
 *                          crlVals  [0] SEQUENCE OF CertificateList OPTIONAL,
 *                          ocspVals [1] SEQUENCE OF BasicOCSPResponse OPTIONAL,
 *                          otherRevVals [2] OtherRevVals OPTIONAL }
 *                        (the CAdES ASN.1 module uses EXPLICIT tags)
 *   archive-time-stamp-v3  id-aa-ets-archiveTimestampV3 0.4.0.1733.2.4: a
 *                        TimeStampToken whose SignerInfo carries the unsigned
 *                        attribute ats-hash-index-v3 (0.4.0.19122.1.5) naming
 *                        what it covers (EN 319 122-1 5.5.2, 5.5.3).
 *
 * The readers take hostile bytes through the cursor (ks_cur) and a strict
 * DER reader; every count and size has a limit below. */
#ifndef KS_CADES_LTV_H
#define KS_CADES_LTV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/cms/ks_cms.h"
#include "ks_buf.h"
#include "ks_err.h"

#define KS_CADES_OID_CERT_VALUES "1.2.840.113549.1.9.16.2.23"
#define KS_CADES_OID_REVOCATION_VALUES "1.2.840.113549.1.9.16.2.24"
#define KS_CADES_OID_ARCHIVE_TS_V3 "0.4.0.1733.2.4"
#define KS_CADES_OID_ATS_HASH_INDEX_V3 "0.4.0.19122.1.5"

/* Items of one kind in one attribute value, and bytes of one item. */
#define KS_CADES_VALUES_MAX 256
#define KS_CADES_ITEM_MAX ((size_t)10 << 20)
/* Hashes in one list of an ATSHashIndexV3 read from a token. */
#define KS_CADES_ATS_INDEX_MAX 4096
/* Values of one unsigned attribute type on one SignerInfo. */
#define KS_CADES_ATTR_VALUES_MAX 16

/* Items read from or written to the attributes, each DER. */
struct ks_cades_values {
	struct ks_buf certs[KS_CADES_VALUES_MAX];
	size_t n_certs;
	struct ks_buf crls[KS_CADES_VALUES_MAX];
	size_t n_crls;
	struct ks_buf ocsps[KS_CADES_VALUES_MAX]; /* BasicOCSPResponse */
	size_t n_ocsps;
};

void ks_cades_values_init(struct ks_cades_values *v);
void ks_cades_values_cleanup(struct ks_cades_values *v);

/* The DER value of certificate-values and of revocation-values for the
 * items given (appended to cert_values and rev_values).  An empty list
 * leaves its field out; n_certs must be at least 1. */
KS_WUR int ks_cades_values_encode(const struct ks_cades_values *v, struct ks_buf *cert_values,
				  struct ks_buf *rev_values);

/* Parse a CertificateValues value (hostile bytes): the certificates are
 * appended to v.  Each must be one DER SEQUENCE; KS_ERR_PARSE /
 * KS_ERR_TRUNCATED / KS_ERR_LIMIT otherwise, and v is unchanged. */
KS_WUR int ks_cades_cert_values_parse(const uint8_t *der, size_t n, struct ks_cades_values *v);
/* Parse a RevocationValues value: CRLs and BasicOCSPResponses appended
 * to v; otherRevVals is refused (KS_ERR_UNSUPPORTED).  v is unchanged on
 * failure. */
KS_WUR int ks_cades_rev_values_parse(const uint8_t *der, size_t n, struct ks_cades_values *v);

/* Read both attributes of SignerInfo `index` of cms (every value of each)
 * into v. */
KS_WUR int ks_cades_values_read(const struct ks_cms *cms, size_t index, struct ks_cades_values *v);

/* The DER of every value of the unsigned attribute `oid` of SignerInfo
 * `index` (signature timestamps, archive timestamps), at most `max`
 * values, into vals[0..*n). */
KS_WUR int ks_cades_unsigned_values(const struct ks_cms *cms, size_t index, const char *oid,
				    struct ks_buf *vals, size_t max, size_t *n);

/* The signer certificate of SignerInfo `index` among the certificates
 * the SignedData carries (borrowed), or NULL. */
X509 *ks_cades_signer_cert(const struct ks_cms *cms, size_t index);

/* ---- archive-time-stamp-v3 ---- */

/* The ATSHashIndexV3 value (DER) for SignerInfo `index` with hash `md`
 * (EN 319 122-1 5.5.2): the hash of every certificate and revocation
 * item of the SignedData and of every unsigned attribute of the
 * SignerInfo. */
KS_WUR int ks_cades_ats_hash_index(const struct ks_cms *cms, size_t index, enum ks_md md,
				   struct ks_buf *out);
/* The digest an archive-time-stamp-v3 timestamps (EN 319 122-1 5.5.3):
 * hash of eContentType, the content's digest `content_digest` (made with
 * `md` over the signed file of a detached signature), the SignerInfo's
 * fields from version to signature, and the ATSHashIndexV3 value. */
KS_WUR int ks_cades_ats_digest(const struct ks_cms *cms, size_t index, enum ks_md md,
			       const uint8_t *content_digest, size_t dlen,
			       const struct ks_buf *hash_index, struct ks_buf *digest);

/* ---- a stored ats-hash-index-v3 against the signature as it is now ----
 *
 * An archive timestamp's index lists what it covered.  Data may be added
 * after it (new values, a newer archive timestamp: not in the index), but
 * nothing it lists may be gone or changed. */

/* The hash algorithm of an ATSHashIndexV3 value (hostile bytes; SHA-256
 * when the field is absent).  KS_ERR_PARSE / KS_ERR_LIMIT /
 * KS_ERR_UNSUPPORTED. */
KS_WUR int ks_cades_ats_index_md(const uint8_t *der, size_t n, enum ks_md *md);
/* 0 when every hash of index `old` is in the same list of index `now`
 * (both ATSHashIndexV3 DER with one algorithm); KS_ERR_VERIFY naming the
 * first one missing; KS_ERR_PARSE / KS_ERR_LIMIT on a malformed index. */
KS_WUR int ks_cades_ats_index_covers(const uint8_t *old, size_t on, const uint8_t *now, size_t nn);
/* ks_cades_ats_index_covers of `stored` (taken from an archive timestamp
 * of SignerInfo `index`) against the index of the signature as it is. */
KS_WUR int ks_cades_ats_index_check(const struct ks_cms *cms, size_t index,
				    const struct ks_buf *stored);

#endif
