/* Verifying SignerInfos (RFC 5652 5.6) and mapping what is found to the
 * ETSI EN 319 102-1 vocabulary.
 *
 * The order follows the basic signature validation of EN 319 102-1 5.3,
 * with the definitive failures first: format (TOTAL-FAILED /
 * FORMAT_FAILURE), integrity of the content (HASH_FAILURE), identification
 * of the signing certificate (5.2.3: NO_SIGNING_CERTIFICATE_FOUND), the
 * signature value (5.2.7: SIG_CRYPTO_FAILURE) and the cryptographic
 * constraints (5.2.8: CRYPTO_CONSTRAINTS_FAILURE_NO_POE).  The first
 * finding decides.  The certificate path (5.2.6) is never built here: the
 * validation engine (signer/validate) does it for every format.  The
 * steps live beside this driver: ks_cms_algs.c (algorithms and
 * constraints), ks_cms_attrs.c (signed attributes, signer certificate). */
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cms/ks_cms_int.h"
#include "ks_crypto.h"

static int verify_one(const struct ks_cms *cms, CMS_SignerInfo *si, struct ks_cms_content *content,
		      const struct ks_cms_verify_opts *opts, STACK_OF(X509) * pool,
		      struct ks_cms_signer_result *r)
{
	X509_ALGOR *dig = NULL, *sigalg = NULL;
	const ASN1_OBJECT *obj;
	const unsigned char *cd = NULL;
	unsigned int cdlen = 0;
	struct ks_cms_sigparams sp;
	struct ks_cms_attrs at;
	struct ks_buf attrs_der, h;
	EVP_MD *md = NULL;
	uint32_t ku;
	int dig_nid, rc = -1;
	bool ok;

	ks_buf_init(&attrs_der, KS_CMS_DER_MAX);
	ks_buf_init(&h, EVP_MAX_MD_SIZE);
	r->indication = KS_IND_TOTAL_PASSED;
	r->sub = KS_SUB_NONE;
	r->notes |= KS_CMS_NOTE_REVOCATION_NOT_CHECKED;
	if (cms->attached)
		r->notes |= KS_CMS_NOTE_ATTACHED;
	if (CMS_unsigned_get_attr_count(si) > 0)
		r->notes |= KS_CMS_NOTE_UNSIGNED_ATTRS;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sigalg);
	X509_ALGOR_get0(&obj, NULL, NULL, dig);
	dig_nid = OBJ_obj2nid(obj);
	{
		char buf[sizeof(r->digest_alg)];

		snprintf(r->digest_alg, sizeof(r->digest_alg), "%s",
			 ks_crypto_md_label(dig_nid, buf, sizeof(buf)));
	}
	md = ks_cms_md_fetch(dig_nid);
	if (md == NULL) {
		ks_cms_conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
				"digest algorithm %s is not supported", r->digest_alg);
		goto done;
	}
	if (!ks_cms_sigalg_parse(sigalg, dig_nid, &sp, r))
		goto done;
	if (!ks_cms_attrs_check(
		cms, si, opts->econtent_nid != 0 ? opts->econtent_nid : NID_pkcs7_data, &at, r))
		goto done;

	KS_GUARD(ks_cms_content_digest(content, dig_nid, &cd, &cdlen));
	if (cd == NULL) {
		ks_cms_conclude(r, KS_SUB_SIGNED_DATA_NOT_FOUND,
				"no %s digest of the content was given", r->digest_alg);
		goto done;
	}
	/* RFC 5652 5.6: messageDigest must equal the content digest. */
	if (at.present && ((size_t)ASN1_STRING_length(at.message_digest) != cdlen ||
			   memcmp(ASN1_STRING_get0_data(at.message_digest), cd, cdlen) != 0)) {
		ks_cms_conclude(r, KS_SUB_HASH_FAILURE,
				"messageDigest differs from the content digest");
		goto done;
	}
	if (!ks_cms_signer_identify(si, &at, pool, r))
		goto done;

	/* RFC 5652 5.4: with signed attributes the signature covers their
	 * DER; without, the content digest itself. */
	if (at.present) {
		unsigned char d[EVP_MAX_MD_SIZE];
		unsigned int dlen = 0;

		KS_GUARD(ks_cms_signed_attrs_der(si, false, &attrs_der));
		if (EVP_Digest(attrs_der.data, attrs_der.len, d, &dlen, md, NULL) != 1)
			KS_BAIL_OSSL(KS_ERR_CRYPTO, "hashing signed attributes");
		KS_GUARD(ks_buf_append(&h, d, dlen));
	} else {
		KS_GUARD(ks_buf_append(&h, cd, cdlen));
	}
	KS_GUARD(
	    ks_cms_sig_verify(r->cert, &sp, h.data, h.len, CMS_SignerInfo_get0_signature(si), &ok));
	if (!ok) {
		ks_cms_conclude(r, KS_SUB_SIG_CRYPTO_FAILURE,
				"the signature value does not verify with the signer certificate");
		goto done;
	}

	/* RFC 5280 4.2.1.3: a key whose certificate limits it to other uses
	 * must not be trusted for signatures. */
	ku = X509_get_key_usage(r->cert);
	if (ku != UINT32_MAX && (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0)
		ks_cms_conclude(r, KS_SUB_CHAIN_CONSTRAINTS_FAILURE,
				"the signer certificate's keyUsage does not allow signatures");
	ks_cms_check_constraints(r->cert, dig_nid, &sp, r);
	ks_cms_ess_hash_check(&at, r);
done:
	rc = 0;
out:
	EVP_MD_free(md);
	ks_buf_cleanup(&attrs_der);
	ks_buf_cleanup(&h);
	return rc;
}

void ks_cms_result_init(struct ks_cms_result *r)
{
	memset(r, 0, sizeof(*r));
}

void ks_cms_result_cleanup(struct ks_cms_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		X509_free(r->signers[i].cert);
	free(r->signers);
	memset(r, 0, sizeof(*r));
}

int ks_cms_verify(const struct ks_cms *cms, struct ks_cms_content *content,
		  const struct ks_cms_verify_opts *opts, struct ks_cms_result *r)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms->ci);
	STACK_OF(X509) *pool = NULL;
	struct ks_cms_verify_opts none;
	size_t i, n = ks_cms_signer_count(cms);
	int j, rc = -1;

	ks_cms_result_cleanup(r);
	if (opts == NULL) {
		memset(&none, 0, sizeof(none));
		opts = &none;
	}
	/* Certificates to look the signer up in and build paths from: the
	 * signature's own, then the caller's (a view, not owned). */
	pool = sk_X509_dup(cms->certs);
	if (pool == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (j = 0; opts->untrusted != NULL && j < sk_X509_num(opts->untrusted); j++)
		if (sk_X509_push(pool, sk_X509_value(opts->untrusted, j)) <= 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	r->signers = calloc(n, sizeof(*r->signers));
	if (r->signers == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	r->n = n;
	for (i = 0; i < n; i++) {
		if (n > 1)
			r->signers[i].notes |= KS_CMS_NOTE_MULTIPLE_SIGNERS;
		KS_GUARD(verify_one(cms, sk_CMS_SignerInfo_value(sis, (int)i), content, opts, pool,
				    &r->signers[i]));
	}
	rc = 0;
out:
	sk_X509_free(pool);
	if (rc < 0)
		ks_cms_result_cleanup(r);
	return rc;
}

int ks_cms_verify_data(const struct ks_cms *cms, const void *data, size_t n,
		       const struct ks_cms_verify_opts *opts, struct ks_cms_result *r)
{
	struct ks_cms_content *c = NULL;
	int rc = -1;

	KS_GUARD(ks_cms_content_new(cms, &c));
	if (cms->attached && n > 0)
		KS_BAIL(KS_ERR_ARG, "the signature carries its own content");
	if (!cms->attached)
		KS_GUARD(ks_cms_content_update(c, data, n));
	KS_GUARD(ks_cms_verify(cms, c, opts, r));
	rc = 0;
out:
	ks_cms_content_free(c);
	return rc;
}

int ks_cms_verify_file(const struct ks_cms *cms, const char *path,
		       const struct ks_cms_verify_opts *opts, struct ks_cms_result *r)
{
	struct ks_cms_content *c = NULL;
	int rc = -1;

	KS_GUARD(ks_cms_content_new(cms, &c));
	if (cms->attached)
		KS_BAIL(KS_ERR_ARG, "the signature carries its own content");
	KS_GUARD(ks_cms_content_file(c, path));
	KS_GUARD(ks_cms_verify(cms, c, opts, r));
	rc = 0;
out:
	ks_cms_content_free(c);
	return rc;
}

int ks_cms_verify_digest(const struct ks_cms *cms, enum ks_md md, const uint8_t *digest, size_t n,
			 const struct ks_cms_verify_opts *opts, struct ks_cms_result *r)
{
	struct ks_cms_content *c = NULL;
	int rc = -1;

	KS_GUARD(ks_cms_content_new(cms, &c));
	if (cms->attached)
		KS_BAIL(KS_ERR_ARG, "the signature carries its own content");
	KS_GUARD(ks_cms_content_set_digest(c, md, digest, n));
	KS_GUARD(ks_cms_verify(cms, c, opts, r));
	rc = 0;
out:
	ks_cms_content_free(c);
	return rc;
}
