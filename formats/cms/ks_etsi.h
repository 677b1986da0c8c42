/* ks_etsi: the validation vocabulary of ETSI EN 319 102-1 (5.1.3, Tables
 * 4 and 5): the indication of a signature and its sub-indication.  Every
 * format's verifier (CMS, PAdES, XAdES) speaks it, and the validation
 * report (signer/ks_report) prints it. */
#ifndef KS_ETSI_H
#define KS_ETSI_H

enum ks_indication {
	KS_IND_TOTAL_PASSED = 0,
	KS_IND_TOTAL_FAILED,
	KS_IND_INDETERMINATE,
};

enum ks_subindication {
	KS_SUB_NONE = 0,
	/* with TOTAL-FAILED (Table 5) */
	KS_SUB_FORMAT_FAILURE,
	KS_SUB_HASH_FAILURE,
	KS_SUB_SIG_CRYPTO_FAILURE,
	KS_SUB_REVOKED,
	KS_SUB_EXPIRED,
	KS_SUB_NOT_YET_VALID,
	/* with INDETERMINATE (Table 5) */
	KS_SUB_SIG_CONSTRAINTS_FAILURE,
	KS_SUB_CHAIN_CONSTRAINTS_FAILURE,
	KS_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE,
	KS_SUB_CRYPTO_CONSTRAINTS_FAILURE,
	KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
	KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
	KS_SUB_NO_CERTIFICATE_CHAIN_FOUND,
	KS_SUB_REVOKED_NO_POE,
	KS_SUB_REVOKED_CA_NO_POE,
	KS_SUB_OUT_OF_BOUNDS_NO_POE,
	KS_SUB_OUT_OF_BOUNDS_NOT_REVOKED,
	KS_SUB_TRY_LATER,
	KS_SUB_SIGNED_DATA_NOT_FOUND,
	KS_SUB_NO_POE,
	KS_SUB_REVOCATION_OUT_OF_BOUNDS_NO_POE,
	KS_SUB__COUNT
};

/* "TOTAL-PASSED", "TOTAL-FAILED", "INDETERMINATE". */
const char *ks_indication_name(enum ks_indication ind);
/* "HASH_FAILURE" ...; "" for KS_SUB_NONE, "UNKNOWN" out of range. */
const char *ks_subindication_name(enum ks_subindication sub);
/* The indication a sub-indication belongs to (TOTAL-PASSED for NONE). */
enum ks_indication ks_subindication_class(enum ks_subindication sub);
/* Worse of two indications: TOTAL-FAILED > INDETERMINATE > TOTAL-PASSED. */
enum ks_indication ks_indication_worst(enum ks_indication a, enum ks_indication b);

#endif
