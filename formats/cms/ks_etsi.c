#include "formats/cms/ks_etsi.h"

#include <stddef.h>

static const char *const sub_names[KS_SUB__COUNT] = {
	[KS_SUB_NONE] = "",
	[KS_SUB_FORMAT_FAILURE] = "FORMAT_FAILURE",
	[KS_SUB_HASH_FAILURE] = "HASH_FAILURE",
	[KS_SUB_SIG_CRYPTO_FAILURE] = "SIG_CRYPTO_FAILURE",
	[KS_SUB_REVOKED] = "REVOKED",
	[KS_SUB_EXPIRED] = "EXPIRED",
	[KS_SUB_NOT_YET_VALID] = "NOT_YET_VALID",
	[KS_SUB_SIG_CONSTRAINTS_FAILURE] = "SIG_CONSTRAINTS_FAILURE",
	[KS_SUB_CHAIN_CONSTRAINTS_FAILURE] = "CHAIN_CONSTRAINTS_FAILURE",
	[KS_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE] = "CERTIFICATE_CHAIN_GENERAL_FAILURE",
	[KS_SUB_CRYPTO_CONSTRAINTS_FAILURE] = "CRYPTO_CONSTRAINTS_FAILURE",
	[KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE] = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
	[KS_SUB_NO_SIGNING_CERTIFICATE_FOUND] = "NO_SIGNING_CERTIFICATE_FOUND",
	[KS_SUB_NO_CERTIFICATE_CHAIN_FOUND] = "NO_CERTIFICATE_CHAIN_FOUND",
	[KS_SUB_REVOKED_NO_POE] = "REVOKED_NO_POE",
	[KS_SUB_REVOKED_CA_NO_POE] = "REVOKED_CA_NO_POE",
	[KS_SUB_OUT_OF_BOUNDS_NO_POE] = "OUT_OF_BOUNDS_NO_POE",
	[KS_SUB_OUT_OF_BOUNDS_NOT_REVOKED] = "OUT_OF_BOUNDS_NOT_REVOKED",
	[KS_SUB_TRY_LATER] = "TRY_LATER",
	[KS_SUB_SIGNED_DATA_NOT_FOUND] = "SIGNED_DATA_NOT_FOUND",
	[KS_SUB_NO_POE] = "NO_POE",
	[KS_SUB_REVOCATION_OUT_OF_BOUNDS_NO_POE] = "REVOCATION_OUT_OF_BOUNDS_NO_POE",
};

const char *ks_indication_name(enum ks_indication ind)
{
	switch (ind) {
	case KS_IND_TOTAL_PASSED:
		return "TOTAL-PASSED";
	case KS_IND_TOTAL_FAILED:
		return "TOTAL-FAILED";
	case KS_IND_INDETERMINATE:
		return "INDETERMINATE";
	}
	return "UNKNOWN";
}

const char *ks_subindication_name(enum ks_subindication sub)
{
	if ((unsigned)sub >= KS_SUB__COUNT || sub_names[sub] == NULL)
		return "UNKNOWN";
	return sub_names[sub];
}

enum ks_indication ks_subindication_class(enum ks_subindication sub)
{
	switch (sub) {
	case KS_SUB_NONE:
		return KS_IND_TOTAL_PASSED;
	case KS_SUB_FORMAT_FAILURE:
	case KS_SUB_HASH_FAILURE:
	case KS_SUB_SIG_CRYPTO_FAILURE:
	case KS_SUB_REVOKED:
	case KS_SUB_EXPIRED:
	case KS_SUB_NOT_YET_VALID:
		return KS_IND_TOTAL_FAILED;
	default:
		return KS_IND_INDETERMINATE;
	}
}

static int rank(enum ks_indication i)
{
	switch (i) {
	case KS_IND_TOTAL_PASSED:
		return 0;
	case KS_IND_INDETERMINATE:
		return 1;
	case KS_IND_TOTAL_FAILED:
		return 2;
	}
	return 2;
}

enum ks_indication ks_indication_worst(enum ks_indication a, enum ks_indication b)
{
	return rank(a) >= rank(b) ? a : b;
}
