/* The certificate path of a signer (ETSI EN 319 102-1 5.2.6), built by
 * core/ks_crypto, and what its failure means in the EN 319 102-1
 * vocabulary. */
#include <openssl/x509v3.h>

#include "formats/cms/ks_cms_int.h"
#include "ks_crypto.h"

enum ks_subindication ks_cms_chain_sub(int err)
{
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
	case X509_V_ERR_CERT_CHAIN_TOO_LONG:
		return KS_SUB_NO_CERTIFICATE_CHAIN_FOUND;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
		return KS_SUB_OUT_OF_BOUNDS_NO_POE;
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
	case X509_V_ERR_CA_MD_TOO_WEAK:
		return KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE;
	case X509_V_ERR_INVALID_CA:
	case X509_V_ERR_PATH_LENGTH_EXCEEDED:
	case X509_V_ERR_INVALID_PURPOSE:
	case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
	case X509_V_ERR_INVALID_EXTENSION:
	case X509_V_ERR_INVALID_POLICY_EXTENSION:
	case X509_V_ERR_NO_EXPLICIT_POLICY:
	case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
	case X509_V_ERR_PERMITTED_VIOLATION:
	case X509_V_ERR_EXCLUDED_VIOLATION:
		return KS_SUB_CHAIN_CONSTRAINTS_FAILURE;
	default:
		return KS_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE;
	}
}

/* X.509 path to the trust anchors at the validation time.  `pool` holds
 * the certificates of the signature and the caller's extra ones. */
int ks_cms_chain_check(X509 *cert, STACK_OF(X509) * pool, const struct ks_cms_verify_opts *opts,
		       struct ks_cms_signer_result *r)
{
	struct ks_crypto_path_req req = { 0 };
	struct ks_crypto_path path;

	if (opts->trust == NULL) {
		ks_cms_conclude(r, KS_SUB_NO_CERTIFICATE_CHAIN_FOUND,
				"no trust anchors were given");
		return 0;
	}
	req.trust = opts->trust;
	req.carried = pool;
	req.at = opts->at;
	if (ks_crypto_path_build(cert, &req, &path) < 0)
		return -1;
	if (path.chain != NULL) {
		r->chain = path.chain; /* ownership moves to the result */
		return 0;
	}
	ks_cms_conclude(r, ks_cms_chain_sub(path.err), "certificate path: %s (depth %d)",
			ks_crypto_path_error(&path), path.depth);
	ks_crypto_path_cleanup(&path);
	return 0;
}
