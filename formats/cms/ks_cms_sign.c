/* Building CAdES-B-B detached SignedData (RFC 5652 5, ETSI EN 319 122-1
 * 5.1-5.2) over a digest, with the signature value from a ks_key.
 *
 * OpenSSL builds the structure (CMS_PARTIAL: nothing is signed by it);
 * we add the signed attributes, encode them as the signature covers them
 * (RFC 5652 5.4), have the key sign their digest, and set the signature
 * value and algorithm ourselves. */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/rsa.h>
#include <string.h>

#include "formats/cms/ks_cms_int.h"
#include "ks_size.h"

/* Largest DER AlgorithmIdentifier a provider gives us (RSASSA-PSS with
 * SHA-512 parameters is 67 bytes). */
#define SIG_ALGID_MAX 256
#define SIG_MAX ((size_t)1024) /* RSA-8192 */

void ks_cms_sign_opts_init(struct ks_cms_sign_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->include_chain = true;
}

/* The signatureAlgorithm for the scheme, as the provider encodes it:
 * sha*WithRSAEncryption, RSASSA-PSS with explicit parameters (hash, MGF1
 * with the same hash, salt = hash length; RFC 4055 3.1), ecdsa-with-SHA*
 * (RFC 5758 3.2). */
static int sig_algid(X509 *cert, enum ks_sig_scheme scheme, enum ks_md md, X509_ALGOR **out)
{
	EVP_PKEY_CTX *ctx = NULL;
	int nid = NID_undef;
	unsigned char buf[SIG_ALGID_MAX];
	const unsigned char *p = buf;
	OSSL_PARAM params[2];
	long len;
	int rc = -1;

	*out = NULL;
	/* PKCS#1 v1.5 and ECDSA identifiers are fixed OIDs (RFC 4055 5 with
	 * NULL parameters, RFC 5758 3.2 without): no provider round trip. */
	if (scheme != KS_SIG_RSA_PSS &&
	    OBJ_find_sigid_by_algs(&nid, ks_cms_md_nid(md),
				   scheme == KS_SIG_ECDSA ? NID_X9_62_id_ecPublicKey
							  : NID_rsaEncryption) == 1) {
		*out = X509_ALGOR_new();
		if (*out == NULL ||
		    X509_ALGOR_set0(*out, OBJ_nid2obj(nid),
				    scheme == KS_SIG_ECDSA ? V_ASN1_UNDEF : V_ASN1_NULL, NULL) != 1)
			KS_BAIL_OSSL(KS_ERR_NOMEM, "signature AlgorithmIdentifier");
		rc = 0;
		goto out;
	}
	ctx = EVP_PKEY_CTX_new(X509_get0_pubkey(cert), NULL);
	if (ctx == NULL || EVP_PKEY_verify_init(ctx) <= 0)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "signature context for the certificate key");
	KS_GUARD(
	    ks_cms_pkey_setup(ctx, scheme, ks_md_evp(md), RSA_PSS_SALTLEN_DIGEST, ks_md_evp(md)));
	params[0] =
	    OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, buf, sizeof(buf));
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_CTX_get_params(ctx, params) <= 0 || !OSSL_PARAM_modified(&params[0]) ||
	    params[0].return_size == 0 || params[0].return_size > sizeof(buf))
		KS_BAIL_OSSL(KS_ERR_UNSUPPORTED, "no AlgorithmIdentifier for %s with %s",
			     ks_md_name(md), EVP_PKEY_get0_type_name(X509_get0_pubkey(cert)));
	len = (long)params[0].return_size;
	*out = d2i_X509_ALGOR(NULL, &p, len);
	if (*out == NULL)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "decoding the signature AlgorithmIdentifier");
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* Wrap the contents of `b` in a DER TLV with `tag` (X.690 8.1). */
static int der_wrap(struct ks_buf *b, uint8_t tag)
{
	struct ks_buf t;
	uint8_t hdr[6];
	size_t h = 0, n = b->len;
	int rc = -1;

	hdr[h++] = tag;
	if (n < 0x80) {
		hdr[h++] = (uint8_t)n;
	} else if (n <= 0xff) {
		hdr[h++] = 0x81;
		hdr[h++] = (uint8_t)n;
	} else if (n <= 0xffff) {
		hdr[h++] = 0x82;
		hdr[h++] = (uint8_t)(n >> 8);
		hdr[h++] = (uint8_t)n;
	} else {
		return KS_SET(KS_ERR_LIMIT, "DER value of %zu bytes", n);
	}
	ks_buf_init(&t, b->max);
	KS_GUARD(ks_buf_reserve(&t, h + n));
	KS_GUARD(ks_buf_append(&t, hdr, h));
	KS_GUARD(ks_buf_append(&t, b->data, n));
	ks_buf_move(b, &t);
	rc = 0;
out:
	ks_buf_cleanup(&t);
	return rc;
}

/* signingCertificateV2 (RFC 5035 3, ETSI EN 319 122-1 5.2.2.3): one
 * ESSCertIDv2 with SHA-256 over the certificate DER (the DEFAULT, so the
 * algorithm is left out) and issuerSerial:
 *   SEQUENCE { SEQUENCE { SEQUENCE { OCTET STRING hash,
 *     SEQUENCE { SEQUENCE { [4] issuer Name }, INTEGER serial } } } }
 * Encoded here from the certificate's cached DER: OpenSSL's ESS builder
 * copies and re-encodes the names, several times the cost. */
static int add_signing_cert_v2(CMS_SignerInfo *si, X509 *cert)
{
	struct ks_buf id, is;
	unsigned char h[EVP_MAX_MD_SIZE], *serial = NULL;
	const unsigned char *issuer = NULL;
	unsigned int hlen = 0;
	size_t ilen = 0;
	ASN1_STRING *seq = NULL;
	int slen, len = 0, rc = -1;

	ks_buf_init(&id, KS_CMS_DER_MAX);
	ks_buf_init(&is, KS_CMS_DER_MAX);
	if (X509_digest(cert, EVP_sha256(), h, &hlen) != 1 ||
	    X509_NAME_get0_der(X509_get_issuer_name(cert), &issuer, &ilen) != 1)
		KS_BAIL_OSSL(KS_ERR_CMS, "signer certificate hash and issuer");
	slen = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &serial);
	if (slen <= 0)
		KS_BAIL_OSSL(KS_ERR_CMS, "signer certificate serial number");
	/* IssuerSerial */
	KS_GUARD(ks_buf_append(&is, issuer, ilen));
	KS_GUARD(der_wrap(&is, 0xa4)); /* directoryName [4] EXPLICIT */
	KS_GUARD(der_wrap(&is, 0x30)); /* GeneralNames */
	KS_GUARD(ks_buf_append(&is, serial, (size_t)slen));
	KS_GUARD(der_wrap(&is, 0x30));
	/* ESSCertIDv2 -> certs -> SigningCertificateV2 */
	KS_GUARD(ks_buf_append(&id, h, hlen));
	KS_GUARD(der_wrap(&id, 0x04));
	KS_GUARD(ks_buf_append(&id, is.data, is.len));
	KS_GUARD(der_wrap(&id, 0x30));
	KS_GUARD(der_wrap(&id, 0x30));
	KS_GUARD(der_wrap(&id, 0x30));
	KS_GUARD(ks_size_to_int(id.len, &len));
	seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE);
	if (seq == NULL || ASN1_STRING_set(seq, id.data, len) != 1)
		KS_BAIL_OSSL(KS_ERR_NOMEM, "signingCertificateV2");
	if (CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE,
					seq, -1) != 1)
		KS_BAIL_OSSL(KS_ERR_CMS, "adding signingCertificateV2");
	rc = 0;
out:
	ASN1_STRING_free(seq);
	OPENSSL_free(serial);
	ks_buf_cleanup(&id);
	ks_buf_cleanup(&is);
	return rc;
}

static int add_signed_attrs(CMS_SignerInfo *si, X509 *cert, int econtent_nid, const uint8_t *digest,
			    size_t n, const struct ks_cms_sign_opts *opts)
{
	ASN1_TIME *t = NULL;
	int len = 0, rc = -1;

	KS_GUARD(ks_size_to_int(n, &len));
	/* RFC 5652 11.1: contentType is the eContentType. */
	if (CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
					OBJ_nid2obj(econtent_nid), -1) != 1)
		KS_BAIL_OSSL(KS_ERR_CMS, "adding contentType");
	/* RFC 5652 11.2 */
	if (CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, digest,
					len) != 1)
		KS_BAIL_OSSL(KS_ERR_CMS, "adding messageDigest");
	if (opts->signing_time) {
		/* RFC 5652 11.3: UTCTime for 1950-2049, GeneralizedTime
		 * otherwise; ASN1_TIME_set picks the same way. */
		t = ASN1_TIME_set(NULL,
				  opts->signing_time_at != 0 ? opts->signing_time_at : time(NULL));
		if (t == NULL || CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime,
							     ASN1_STRING_type(t), t, -1) != 1)
			KS_BAIL_OSSL(KS_ERR_CMS, "adding signingTime");
	}
	KS_GUARD(add_signing_cert_v2(si, cert));
	rc = 0;
out:
	ASN1_TIME_free(t);
	return rc;
}

/* The signer certificate goes in with CMS_add1_signer; the chain after
 * it, without duplicates (a chain file may repeat the signer). */
static int add_chain(CMS_ContentInfo *ci, const struct ks_key *key)
{
	STACK_OF(X509) *seen = NULL;
	int i, j, rc = -1;

	seen = sk_X509_new_null();
	if (seen == NULL || sk_X509_push(seen, key->cert) <= 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < sk_X509_num(key->chain); i++) {
		X509 *c = sk_X509_value(key->chain, i);
		bool dup = false;

		for (j = 0; j < sk_X509_num(seen) && !dup; j++)
			dup = X509_cmp(c, sk_X509_value(seen, j)) == 0;
		if (dup)
			continue;
		if (CMS_add1_cert(ci, c) != 1)
			KS_BAIL_OSSL(KS_ERR_CMS, "adding a chain certificate");
		if (sk_X509_push(seen, c) <= 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	rc = 0;
out:
	sk_X509_free(seen); /* a view: the certificates are the key's */
	return rc;
}

/* Zeros as long as the longest signature the key can make: the modulus
 * for RSA, the largest ECDSA-Sig-Value DER for EC. */
static int sizing_signature(const struct ks_key *key, struct ks_buf *sig)
{
	int max = EVP_PKEY_get_size(X509_get0_pubkey(key->cert));

	if (max <= 0 || (size_t)max > SIG_MAX)
		return KS_SET(KS_ERR_CRYPTO, "cannot size the signature of '%s'", key->label);
	if (ks_buf_reserve(sig, (size_t)max) < 0)
		return -1;
	memset(sig->data + sig->len, 0, (size_t)max);
	sig->len += (size_t)max;
	return 0;
}

static bool needs_self_check(const struct ks_key *key)
{
	const char *kind = key->ops != NULL ? key->ops->kind : NULL;

	return kind == NULL || (strcmp(kind, "file") != 0 && strcmp(kind, "external") != 0);
}

/* The content the SignedData encapsulates (ks_cms_sign_encap); NULL data
 * for a detached id-data signature. */
struct encap {
	int nid;
	const uint8_t *data;
	size_t len;
};

static int sign_signed_data(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
			    const uint8_t *content_digest, size_t n, const struct encap *ec,
			    const struct ks_cms_sign_opts *opts, struct ks_buf *der_out)
{
	ASN1_OCTET_STRING **econtent;
	struct ks_cms_sign_opts defaults;
	CMS_ContentInfo *ci = NULL;
	CMS_SignerInfo *si;
	X509_ALGOR *alg = NULL, *si_alg = NULL;
	struct ks_buf attrs, tbs, sig;
	unsigned char *der = NULL;
	int len = 0, slen = 0, rc = -1;

	ks_buf_init(&attrs, KS_CMS_DER_MAX);
	ks_buf_init(&tbs, EVP_MAX_MD_SIZE);
	ks_buf_init(&sig, SIG_MAX);
	if (opts == NULL) {
		ks_cms_sign_opts_init(&defaults);
		opts = &defaults;
	}
	if (key == NULL || key->cert == NULL)
		KS_BAIL(KS_ERR_ARG, "no signing key");
	if (ks_md_evp(md) == NULL)
		KS_BAIL(KS_ERR_UNSUPPORTED, "unknown digest %d", (int)md);
	if (n != ks_md_size(md))
		KS_BAIL(KS_ERR_ARG, "%s content digest must be %zu bytes, got %zu", ks_md_name(md),
			ks_md_size(md), n);
	if ((scheme == KS_SIG_ECDSA) != (key->type == KS_KEY_EC))
		KS_BAIL(KS_ERR_UNSUPPORTED, "signature scheme does not match the %s key",
			key->type == KS_KEY_EC ? "EC" : "RSA");
	KS_GUARD(sig_algid(key->cert, scheme, md, &alg));

	ci = CMS_sign(NULL, NULL, NULL, NULL,
		      CMS_PARTIAL | CMS_BINARY | (ec->data == NULL ? CMS_DETACHED : 0));
	if (ci == NULL)
		KS_BAIL_OSSL(KS_ERR_CMS, "creating SignedData");
	if (ec->data != NULL) {
		/* RFC 5652 5.2: eContentType and the content itself; OpenSSL
		 * left an empty eContent for an attached structure. */
		KS_GUARD(ks_size_to_int(ec->len, &len));
		econtent = CMS_get0_content(ci);
		if (econtent == NULL || *econtent == NULL ||
		    CMS_set1_eContentType(ci, OBJ_nid2obj(ec->nid)) != 1 ||
		    ASN1_OCTET_STRING_set(*econtent, ec->data, len) != 1)
			KS_BAIL_OSSL(KS_ERR_CMS, "setting the encapsulated content");
	}
	/* The public key stands in for the private one: OpenSSL only
	 * checks that it matches the certificate, and never signs. */
	si = CMS_add1_signer(ci, key->cert, X509_get0_pubkey(key->cert), ks_md_evp(md),
			     CMS_NOSMIMECAP | CMS_PARTIAL | (opts->no_certs ? CMS_NOCERTS : 0));
	if (si == NULL)
		KS_BAIL_OSSL(KS_ERR_CMS, "adding the SignerInfo");
	if (opts->include_chain && !opts->no_certs)
		KS_GUARD(add_chain(ci, key));
	KS_GUARD(add_signed_attrs(si, key->cert, ec->nid, content_digest, n, opts));

	/* RFC 5652 5.4: the signature covers the DER of the signed
	 * attributes with the SET OF tag. */
	KS_GUARD(ks_cms_signed_attrs_der(si, true, &attrs));
	KS_GUARD(ks_md_digest(md, attrs.data, attrs.len, &tbs));
	if (opts->sizing) {
		KS_GUARD(sizing_signature(key, &sig));
	} else {
		KS_GUARD(ks_key_sign(key, scheme, md, tbs.data, tbs.len, &sig));
		/* A faulty signature (token bug, RSA-CRT fault) must not leave
		 * the process: it would be invalid, and may leak the key.
		 * Not repeated where it is already done: OpenSSL checks its own
		 * RSA-CRT results (file keys), and an external key's signature
		 * was verified when it was supplied. */
		if (needs_self_check(key) && ks_key_verify_digest(key->cert, scheme, md, tbs.data,
								  tbs.len, sig.data, sig.len) < 0)
			KS_BAIL(KS_ERR_CRYPTO,
				"the signature made by '%s' does not verify with its certificate",
				key->label);
	}
	KS_GUARD(ks_size_to_int(sig.len, &slen));
	if (ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig.data, slen) != 1)
		KS_BAIL_OSSL(KS_ERR_NOMEM, "setting the signature value");
	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &si_alg);
	if (si_alg == NULL || X509_ALGOR_copy(si_alg, alg) != 1)
		KS_BAIL_OSSL(KS_ERR_CMS, "setting the signature algorithm");

	len = i2d_CMS_ContentInfo(ci, &der);
	if (len <= 0)
		KS_BAIL_OSSL(KS_ERR_CMS, "encoding SignedData");
	KS_GUARD(ks_buf_append(der_out, der, (size_t)len));
	rc = 0;
out:
	OPENSSL_free(der);
	X509_ALGOR_free(alg);
	CMS_ContentInfo_free(ci);
	ks_buf_cleanup(&attrs);
	ks_buf_cleanup(&tbs);
	ks_buf_cleanup(&sig);
	return rc;
}

int ks_cms_sign_digest(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
		       const uint8_t *content_digest, size_t n, const struct ks_cms_sign_opts *opts,
		       struct ks_buf *der_out)
{
	const struct encap detached = { NID_pkcs7_data, NULL, 0 };

	return sign_signed_data(key, scheme, md, content_digest, n, &detached, opts, der_out);
}

int ks_cms_sign_encap(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
		      const char *econtent_type, const uint8_t *content, size_t n,
		      const struct ks_cms_sign_opts *opts, struct ks_buf *der_out)
{
	struct encap ec = { NID_undef, content, n };
	struct ks_buf d;
	ASN1_OBJECT *obj = NULL;
	int rc = -1;

	ks_buf_init(&d, EVP_MAX_MD_SIZE);
	if (content == NULL || n == 0)
		KS_BAIL(KS_ERR_ARG, "no content to encapsulate");
	if (n > KS_CMS_DER_MAX)
		KS_BAIL(KS_ERR_LIMIT, "content of %zu bytes to encapsulate", n);
	obj = OBJ_txt2obj(econtent_type, 1);
	if (obj == NULL)
		KS_BAIL_OSSL(KS_ERR_ARG, "'%.64s' is not a dotted OID", econtent_type);
	ec.nid = OBJ_obj2nid(obj);
	/* Only content types OpenSSL knows by NID can be set this way;
	 * id-data is what ks_cms_sign_digest is for. */
	if (ec.nid == NID_undef || ec.nid == NID_pkcs7_data)
		KS_BAIL(KS_ERR_UNSUPPORTED, "content type %.64s cannot be encapsulated",
			econtent_type);
	if (ks_md_evp(md) == NULL)
		KS_BAIL(KS_ERR_UNSUPPORTED, "unknown digest %d", (int)md);
	KS_GUARD(ks_md_digest(md, content, n, &d));
	KS_GUARD(sign_signed_data(key, scheme, md, d.data, d.len, &ec, opts, der_out));
	rc = 0;
out:
	ASN1_OBJECT_free(obj);
	ks_buf_cleanup(&d);
	return rc;
}

int ks_cms_sign_data(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md, const void *data,
		     size_t n, const struct ks_cms_sign_opts *opts, struct ks_buf *der_out)
{
	struct ks_buf d;
	int rc = -1;

	ks_buf_init(&d, EVP_MAX_MD_SIZE);
	if (ks_md_evp(md) == NULL)
		KS_BAIL(KS_ERR_UNSUPPORTED, "unknown digest %d", (int)md);
	KS_GUARD(ks_md_digest(md, data, n, &d));
	KS_GUARD(ks_cms_sign_digest(key, scheme, md, d.data, d.len, opts, der_out));
	rc = 0;
out:
	ks_buf_cleanup(&d);
	return rc;
}

static int feed_md(void *ctx, const uint8_t *p, size_t n)
{
	if (EVP_DigestUpdate(ctx, p, n) != 1)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "digest update");
	return 0;
}

int ks_cms_digest_file(enum ks_md md, const char *path, struct ks_buf *out)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	int rc = -1;

	if (ks_md_evp(md) == NULL)
		KS_BAIL(KS_ERR_UNSUPPORTED, "unknown digest %d", (int)md);
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, ks_md_evp(md), NULL) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "digest init");
	KS_GUARD(ks_cms_stream_file(path, feed_md, ctx));
	if (EVP_DigestFinal_ex(ctx, d, &dlen) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "digest final");
	KS_GUARD(ks_buf_append(out, d, dlen));
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ks_cms_sign_file(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md, const char *path,
		     const struct ks_cms_sign_opts *opts, struct ks_buf *der_out)
{
	struct ks_buf d;
	int rc = -1;

	ks_buf_init(&d, EVP_MAX_MD_SIZE);
	KS_GUARD(ks_cms_digest_file(md, path, &d));
	KS_GUARD(ks_cms_sign_digest(key, scheme, md, d.data, d.len, opts, der_out));
	rc = 0;
out:
	ks_buf_cleanup(&d);
	return rc;
}

/* Attributes that RFC 5652 11 allows only as signed attributes. */
static bool signed_only(int nid)
{
	return nid == NID_pkcs9_contentType || nid == NID_pkcs9_messageDigest ||
	       nid == NID_pkcs9_signingTime;
}

int ks_cms_add_unsigned_attr(const uint8_t *der, size_t n, size_t index, const char *oid,
			     const uint8_t *value, size_t vlen, struct ks_buf *out)
{
	struct ks_cms *cms = NULL;
	ASN1_OBJECT *obj = NULL;
	ASN1_TYPE *t = NULL;
	CMS_SignerInfo *si;
	const unsigned char *p = value;
	unsigned char *enc = NULL;
	long vl;
	int len = 0, rc = -1;

	if (vlen == 0 || vlen > KS_CMS_UNSIGNED_VALUE_MAX)
		KS_BAIL(KS_ERR_LIMIT, "unsigned attribute value of %zu bytes", vlen);
	obj = OBJ_txt2obj(oid, 1);
	if (obj == NULL)
		KS_BAIL_OSSL(KS_ERR_ARG, "'%.64s' is not a dotted OID", oid);
	if (signed_only(OBJ_obj2nid(obj)))
		KS_BAIL(KS_ERR_ARG, "%s may only be a signed attribute (RFC 5652 11)", oid);
	vl = (long)vlen;
	t = d2i_ASN1_TYPE(NULL, &p, vl);
	if (t == NULL || p != value + vlen)
		KS_BAIL_OSSL(KS_ERR_PARSE, "the attribute value is not one DER value");
	if (ASN1_TYPE_get(t) == V_ASN1_BOOLEAN || ASN1_TYPE_get(t) == V_ASN1_NULL)
		KS_BAIL(KS_ERR_UNSUPPORTED, "attribute values of that type are not supported");
	KS_GUARD(ks_cms_parse(der, n, false, &cms));
	if (index >= ks_cms_signer_count(cms))
		KS_BAIL(KS_ERR_ARG, "no SignerInfo %zu", index);
	/* OpenSSL re-encodes what it parsed: only an input that is already
	 * DER comes out unchanged (a BER signed part would no longer match
	 * its signature). */
	len = i2d_CMS_ContentInfo(cms->ci, &enc);
	if (len <= 0)
		KS_BAIL_OSSL(KS_ERR_CMS, "encoding SignedData");
	if ((size_t)len != n || memcmp(enc, der, n) != 0)
		KS_BAIL(KS_ERR_PARSE, "the SignedData is not DER-encoded: adding an attribute "
				      "would change its signed parts");
	OPENSSL_free(enc);
	enc = NULL;
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms->ci), (int)index);
	if (CMS_unsigned_add1_attr_by_OBJ(si, obj, ASN1_TYPE_get(t), t->value.ptr, -1) != 1)
		KS_BAIL_OSSL(KS_ERR_CMS, "adding the unsigned attribute");
	len = i2d_CMS_ContentInfo(cms->ci, &enc);
	if (len <= 0)
		KS_BAIL_OSSL(KS_ERR_CMS, "encoding SignedData");
	KS_GUARD(ks_buf_append(out, enc, (size_t)len));
	rc = 0;
out:
	OPENSSL_free(enc);
	ASN1_TYPE_free(t);
	ASN1_OBJECT_free(obj);
	ks_cms_free(cms);
	return rc;
}
