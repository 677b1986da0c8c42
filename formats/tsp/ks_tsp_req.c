/* Building a TimeStampReq (RFC 3161 2.4.1) for the client side. */
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <string.h>

#include "formats/tsp/ks_tsp_int.h"
#include "ks_size.h"

void ks_tsp_req_cleanup(struct ks_tsp_req *r)
{
	ks_buf_cleanup(&r->der);
	memset(r, 0, sizeof(*r));
}

/* 64 random bits as the big-endian magnitude of a positive INTEGER,
 * without leading zero octets (the form tokens are compared in). */
static int random_nonce(struct ks_tsp_req *r)
{
	uint8_t raw[KS_TSP_NONCE_BYTES];
	size_t skip = 0;

	if (RAND_bytes(raw, (int)sizeof(raw)) != 1)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "random nonce");
	while (skip < sizeof(raw) - 1 && raw[skip] == 0)
		skip++;
	r->nonce_len = sizeof(raw) - skip;
	memcpy(r->nonce, raw + skip, r->nonce_len);
	return 0;
}

int ks_tsp_req_init(struct ks_tsp_req *r, enum ks_md md, const uint8_t *digest, size_t n,
		    const char *policy)
{
	TS_REQ *req = NULL;
	TS_MSG_IMPRINT *imp = NULL;
	X509_ALGOR *alg = NULL;
	ASN1_OBJECT *pol = NULL;
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = NULL;
	unsigned char *der = NULL;
	int len = 0, rc = -1;

	memset(r, 0, sizeof(*r));
	ks_buf_init(&r->der, KS_TSP_REQ_MAX);
	if (ks_md_evp(md) == NULL)
		KS_BAIL(KS_ERR_UNSUPPORTED, "unknown digest %d", (int)md);
	if (digest == NULL || n != ks_md_size(md))
		KS_BAIL(KS_ERR_ARG, "%s digest must be %zu bytes, got %zu", ks_md_name(md),
			ks_md_size(md), n);
	r->md = md;
	memcpy(r->digest, digest, n);
	r->dlen = n;
	KS_GUARD(random_nonce(r));
	if (policy != NULL) {
		if (strlen(policy) >= sizeof(r->policy))
			KS_BAIL(KS_ERR_LIMIT, "policy OID too long");
		pol = OBJ_txt2obj(policy, 1);
		if (pol == NULL)
			KS_BAIL_OSSL(KS_ERR_ARG, "'%.64s' is not a dotted OID", policy);
		memcpy(r->policy, policy, strlen(policy) + 1);
	}

	req = TS_REQ_new();
	imp = TS_MSG_IMPRINT_new();
	alg = X509_ALGOR_new();
	bn = BN_bin2bn(r->nonce, (int)r->nonce_len, NULL);
	nonce = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	if (req == NULL || imp == NULL || alg == NULL || nonce == NULL)
		KS_BAIL_OSSL(KS_ERR_NOMEM, "TimeStampReq");
	/* RFC 5754 2: SHA-2 AlgorithmIdentifiers leave the parameters out. */
	if (X509_ALGOR_set0(alg, OBJ_nid2obj(ks_tsp_md_nid(md)), V_ASN1_UNDEF, NULL) != 1)
		KS_BAIL_OSSL(KS_ERR_NOMEM, "hash AlgorithmIdentifier");
	KS_GUARD(ks_size_to_int(n, &len));
	if (TS_REQ_set_version(req, 1) != 1 || TS_MSG_IMPRINT_set_algo(imp, alg) != 1 ||
	    TS_MSG_IMPRINT_set_msg(imp, r->digest, len) != 1 ||
	    TS_REQ_set_msg_imprint(req, imp) != 1 || TS_REQ_set_nonce(req, nonce) != 1 ||
	    TS_REQ_set_cert_req(req, 1) != 1 ||
	    (pol != NULL && TS_REQ_set_policy_id(req, pol) != 1))
		KS_BAIL_OSSL(KS_ERR_NOMEM, "TimeStampReq");
	len = i2d_TS_REQ(req, &der);
	if (len <= 0)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "encoding the TimeStampReq");
	KS_GUARD(ks_buf_append(&r->der, der, (size_t)len));
	rc = 0;
out:
	OPENSSL_free(der);
	BN_free(bn);
	ASN1_INTEGER_free(nonce);
	ASN1_OBJECT_free(pol);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(imp);
	TS_REQ_free(req);
	return rc;
}
