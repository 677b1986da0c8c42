/* ks_pades_ltv: what a PDF carries for long-term validation, read through
 * the revision-aware reader (ks_pdfdoc) as of the newest revision:
 *
 *  - the Document Security Store (ETSI EN 319 142-1 5.4.2.2, ISO 32000-2
 *    12.8.4.3): /DSS /Certs, /OCSPs and /CRLs, each an array of references
 *    to streams whose decoded data is one DER certificate, OCSPResponse or
 *    CertificateList; returned as DER buffers, nothing checked beyond the
 *    structure (the caller decides what they are worth);
 *  - the signatures: each signature field's signature dictionary with its
 *    kind (signature or document timestamp, /Type /DocTimeStamp) and the
 *    bytes of its /Contents (a CMS SignedData, or a TimeStampToken)
 *    with the placeholder's zero padding (the DER reader finds its end).
 *
 * Hostile input: every count and size has a named limit below; a DSS
 * that is not a dictionary, an array that is not an array, an item that
 * is not a stream or does not decode is an error (KS_ERR_PDF), never
 * skipped silently. */
#ifndef KS_PADES_LTV_H
#define KS_PADES_LTV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_buf.h"
#include "ks_err.h"

/* Items of one kind read from a DSS. */
#define KS_PADES_DSS_READ_ITEMS_MAX 1024
/* Decoded bytes of one item (a CRL may be large; a certificate or an
 * OCSP response is far below). */
#define KS_PADES_DSS_READ_ITEM_MAX ((size_t)10 << 20)
/* Decoded bytes of all items together. */
#define KS_PADES_DSS_READ_TOTAL_MAX ((size_t)64 << 20)
/* Signature dictionaries listed. */
#define KS_PADES_SIGS_MAX 64
/* Bytes of one /Contents. */
#define KS_PADES_CONTENTS_MAX ((size_t)1 << 20)

enum ks_pades_dss_kind {
	KS_PADES_DSS_CERTS = 0,
	KS_PADES_DSS_OCSPS,
	KS_PADES_DSS_CRLS,
	KS_PADES_DSS__KINDS
};

/* The DSS as read: items[k][0..n[k]) for each kind. */
struct ks_pades_dss_read {
	bool present; /* the catalog has a /DSS */
	struct ks_buf *items[KS_PADES_DSS__KINDS];
	size_t n[KS_PADES_DSS__KINDS];
	size_t total; /* decoded bytes */
};

void ks_pades_dss_read_init(struct ks_pades_dss_read *d);
void ks_pades_dss_read_cleanup(struct ks_pades_dss_read *d);
/* Read the DSS of the PDF in memory (newest revision) into d (cleaned
 * first).  No /DSS: 0 with present false. */
KS_WUR int ks_pades_dss_read(const uint8_t *pdf, size_t len, struct ks_pades_dss_read *d);

/* One signature dictionary. */
struct ks_pades_sig_item {
	bool doc_timestamp; /* /Type /DocTimeStamp (/SubFilter ETSI.RFC3161) */
	char field[128];    /* field name (UTF-8, cut) */
	struct ks_buf der;  /* /Contents as stored, zero padding included */
	uint64_t range_end; /* end of the signed revision (ByteRange b + c); 0: unknown */
};

struct ks_pades_sig_list {
	struct ks_pades_sig_item items[KS_PADES_SIGS_MAX];
	size_t n; /* in the order of the fields */
};

void ks_pades_sig_list_init(struct ks_pades_sig_list *l);
void ks_pades_sig_list_cleanup(struct ks_pades_sig_list *l);
/* The signed signature fields of the newest revision (a field without a
 * signature dictionary is left out), into l (cleaned first). */
KS_WUR int ks_pades_sig_list_read(const uint8_t *pdf, size_t len, struct ks_pades_sig_list *l);

#endif
