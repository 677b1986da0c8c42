/* Internal to formats/tsp: shared by requests, tokens, responses and the
 * responder. */
#ifndef KS_TSP_INT_H
#define KS_TSP_INT_H

#include <openssl/ts.h>

#include "formats/tsp/ks_tsp.h"
#include "ks_cur.h"

struct ks_tsp_token {
	struct ks_cms *cms;
	TS_TST_INFO *tst;
	struct ks_tsp_info info;
	struct ks_buf der;
	X509 *signer; /* after a passed verification */
};

/* DER tags used here. */
#define KS_TSP_TAG_INTEGER 0x02
#define KS_TSP_TAG_BIT_STRING 0x03
#define KS_TSP_TAG_UTF8STRING 0x0c
#define KS_TSP_TAG_SEQUENCE 0x30

/* The NID of a hash AlgorithmIdentifier whose parameters are absent or
 * NULL (RFC 5754 2); NID_undef otherwise. */
int ks_tsp_hash_alg_nid(const X509_ALGOR *alg);
/* NID_sha256 ... of an enum ks_md. */
int ks_tsp_md_nid(enum ks_md md);
/* enum ks_md of a NID; -1 when it is not one of ours. */
KS_WUR int ks_tsp_md_from_nid(int nid, enum ks_md *md);

/* Magnitude octets of a non-negative INTEGER (no leading zero octet;
 * none at all for zero) into buf (cap bytes).  KS_ERR_LIMIT when longer. */
KS_WUR int ks_tsp_int_bytes(const ASN1_INTEGER *v, uint8_t *buf, size_t cap, size_t *len,
			    bool *negative);

/* A GeneralizedTime as RFC 3161 2.4.2 wants it: YYYYMMDDhhmmss, an
 * optional fraction without trailing zeros, then Z. */
KS_WUR int ks_tsp_gentime_parse(const ASN1_GENERALIZEDTIME *t, time_t *secs, uint32_t *us);

/* Append one DER TLV (tag, definite length, value) to out. */
KS_WUR int ks_tsp_der_tlv(struct ks_buf *out, uint8_t tag, const uint8_t *v, size_t n);

#endif
