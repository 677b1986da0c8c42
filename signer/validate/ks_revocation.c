/* ks_rev_check: the order in which revocation sources are asked (see
 * ks_revocation.h). */
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "signer/validate/ks_rev_int.h"

int ks_rev_check(X509 *cert, X509 *issuer, time_t at, const struct ks_rev_data *doc,
		 const struct ks_rev_opts *o, struct ks_rev_result *r)
{
	struct ks_rev_env e;
	EVP_PKEY *key;
	bool issued;

	ks_rev_result_cleanup(r);
	if (cert == NULL || issuer == NULL)
		return KS_SET(KS_ERR_ARG, "revocation check without a certificate or its issuer");
	/* The answers are checked against this issuer: it must be the one. */
	key = X509_get0_pubkey(issuer);
	issued = X509_check_issued(issuer, cert) == X509_V_OK && key != NULL &&
		 X509_verify(cert, key) == 1;
	ERR_clear_error();
	if (!issued)
		return KS_SET(KS_ERR_ARG, "revocation check: the issuer given did not issue the "
					  "certificate");
	if (ks_rev_env_init(&e, o, at) < 0)
		return -1;
	/* What the document carries, then the cache, then the network. */
	if (!e.o->no_ocsp && ks_rev_ocsp_doc(&e, cert, issuer, doc, r) < 0)
		return -1;
	if (!e.o->no_crl && !ks_rev_final(r) && ks_rev_crl_doc(&e, cert, issuer, doc, r) < 0)
		return -1;
	if (!e.o->no_ocsp && !ks_rev_final(r) && ks_rev_ocsp_cache(&e, cert, issuer, doc, r) < 0)
		return -1;
	if (!e.o->no_crl && !ks_rev_final(r) && ks_rev_crl_cache(&e, cert, issuer, r) < 0)
		return -1;
	if (!e.o->no_ocsp && !ks_rev_final(r) && ks_rev_ocsp_net(&e, cert, issuer, doc, r) < 0)
		return -1;
	if (!e.o->no_crl && !ks_rev_final(r) && ks_rev_crl_net(&e, cert, issuer, r) < 0)
		return -1;
	return 0;
}
