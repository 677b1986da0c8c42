/* Building CAdES-B-B detached SignedData (RFC 5652 5, ETSI EN 319 122-1
 * 5.1-5.2) over a digest, with the signature value from a ks_key.
 *
 * The DER is written here from its parts (ks_cms_enc.c): the signed
 * attributes encoded as the signature covers them (RFC 5652 5.4), their
 * digest signed by the key, then SignerInfo, the certificates and the
 * ContentInfo around them.  OpenSSL's CMS builder copied and re-encoded
 * every certificate and attribute, twice per PDF signature (sizing, then
 * signing); this costs a few microseconds. */
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

/* Object identifiers, DER-encoded (tag and length included). */
static const uint8_t OID_SIGNED_DATA[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					   0xf7, 0x0d, 0x01, 0x07, 0x02 };
static const uint8_t OID_DATA[] = {
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01
};
static const uint8_t OID_CONTENT_TYPE[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					    0xf7, 0x0d, 0x01, 0x09, 0x03 };
static const uint8_t OID_MESSAGE_DIGEST[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					      0xf7, 0x0d, 0x01, 0x09, 0x04 };
static const uint8_t OID_SIGNING_TIME[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					    0xf7, 0x0d, 0x01, 0x09, 0x05 };
static const uint8_t OID_SIGNING_CERT_V2[] = { 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7,
					       0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f };

#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_OCTET_STRING 0x04
#define DER_UTC_TIME 0x17
#define DER_GENERALIZED_TIME 0x18
#define DER_CTX0 0xa0         /* [0] constructed */
#define DER_DIR_NAME 0xa4     /* GeneralName directoryName [4] EXPLICIT */
#define SIGNED_ATTRS_MAX 4    /* contentType, messageDigest, signingTime, ESS */
#define CERTS_MAX 32          /* signer and chain in one SignedData */
#define KS_CMS_OID_DER_MAX 64 /* an eContentType OID, tag and length included */

/* The hash AlgorithmIdentifier as OpenSSL writes it for the SHA-2
 * family: parameters absent (RFC 5754 2). */
static int digest_algid(enum ks_md md, struct ks_buf *out)
{
	X509_ALGOR *a = X509_ALGOR_new();
	unsigned char *der = NULL;
	int len, rc = -1;

	if (a == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	X509_ALGOR_set_md(a, ks_md_evp(md));
	len = i2d_X509_ALGOR(a, &der);
	if (len <= 0)
		KS_BAIL_OSSL(KS_ERR_CMS, "digest AlgorithmIdentifier");
	KS_GUARD(ks_buf_append(out, der, (size_t)len));
	rc = 0;
out:
	OPENSSL_free(der);
	X509_ALGOR_free(a);
	return rc;
}

/* Attribute ::= SEQUENCE { attrType OID, attrValues SET { value } }
 * with `value` a whole DER TLV. */
static int put_attr(struct ks_buf *b, const uint8_t *oid, size_t oid_len, const uint8_t *value,
		    size_t vlen)
{
	size_t set = ks_der_hdr_len(vlen) + vlen;

	if (ks_der_put_hdr(b, DER_SEQUENCE, oid_len + set) < 0 ||
	    ks_buf_append(b, oid, oid_len) < 0 || ks_der_put_hdr(b, DER_SET, vlen) < 0)
		return -1;
	return ks_buf_append(b, value, vlen);
}

/* The signer certificate's issuer Name (DER, borrowed) and serial number
 * (INTEGER TLV, to be freed with OPENSSL_free). */
static int issuer_serial(X509 *cert, const unsigned char **issuer, size_t *ilen,
			 unsigned char **serial, int *slen)
{
	if (X509_NAME_get0_der(X509_get_issuer_name(cert), issuer, ilen) != 1)
		return ks_err_set_ossl(KS_ERR_CMS, __FILE__, __LINE__, "signer certificate issuer");
	*slen = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), serial);
	if (*slen <= 0)
		return ks_err_set_ossl(KS_ERR_CMS, __FILE__, __LINE__,
				       "signer certificate serial number");
	return 0;
}

/* SigningCertificateV2 (RFC 5035 3, ETSI EN 319 122-1 5.2.2.3): one
 * ESSCertIDv2 with SHA-256 over the certificate DER (the DEFAULT, so the
 * algorithm is left out) and issuerSerial:
 *   SEQUENCE { SEQUENCE { SEQUENCE { OCTET STRING hash,
 *     SEQUENCE { SEQUENCE { [4] issuer Name }, INTEGER serial } } } } */
static int signing_cert_v2(const struct ks_key *key, struct ks_buf *out)
{
	X509 *cert = key->cert;
	const unsigned char *h = key->cert_sha256, *issuer = NULL;
	unsigned char *serial = NULL;
	size_t hlen = sizeof(key->cert_sha256), ilen = 0, dn, is, id, certs, all;
	int slen, rc = -1;

	KS_GUARD(issuer_serial(cert, &issuer, &ilen, &serial, &slen));
	/* Content lengths, innermost first. */
	dn = ks_der_hdr_len(ilen) + ilen;                           /* [4] Name */
	is = ks_der_hdr_len(dn) + dn + (size_t)slen;                /* IssuerSerial */
	id = ks_der_hdr_len(hlen) + hlen + ks_der_hdr_len(is) + is; /* ESSCertIDv2 */
	certs = ks_der_hdr_len(id) + id;                            /* certs */
	all = ks_der_hdr_len(certs) + certs;                        /* SigningCertificateV2 */
	KS_GUARD(ks_buf_reserve(out, ks_der_hdr_len(all) + all));
	KS_GUARD(ks_der_put_hdr(out, DER_SEQUENCE, all));
	KS_GUARD(ks_der_put_hdr(out, DER_SEQUENCE, certs));
	KS_GUARD(ks_der_put_hdr(out, DER_SEQUENCE, id));
	KS_GUARD(ks_der_put(out, DER_OCTET_STRING, h, hlen));
	KS_GUARD(ks_der_put_hdr(out, DER_SEQUENCE, is)); /* IssuerSerial */
	KS_GUARD(ks_der_put_hdr(out, DER_SEQUENCE, dn)); /* GeneralNames */
	KS_GUARD(ks_der_put(out, DER_DIR_NAME, issuer, ilen));
	KS_GUARD(ks_buf_append(out, serial, (size_t)slen));
	rc = 0;
out:
	OPENSSL_free(serial);
	return rc;
}
/* Zeros as long as the longest signature the key can make: the modulus
 * for RSA, the largest ECDSA-Sig-Value DER for EC. */
static int sizing_signature(const struct ks_key *key, struct ks_buf *sig)
{
	int max = EVP_PKEY_get_size(X509_get0_pubkey(key->cert));

	if (max <= 0 || (size_t)max > SIG_MAX)
		return KS_SET(KS_ERR_CRYPTO, "cannot size the signature of '%s'", key->label);
	return ks_buf_append_fill(sig, 0, (size_t)max);
}

static bool needs_self_check(const struct ks_key *key)
{
	const char *kind = key->ops != NULL ? key->ops->kind : NULL;

	return kind == NULL || (strcmp(kind, "file") != 0 && strcmp(kind, "external") != 0);
}

/* The content the SignedData encapsulates (ks_cms_sign_encap): its type
 * (an OID TLV) and, for an attached signature, the content itself. */
struct encap {
	const uint8_t *oid;
	size_t oid_len;
	const uint8_t *data; /* NULL: detached */
	size_t len;
};

/* The signed attributes, each one DER Attribute in `b`:
 * contentType (RFC 5652 11.1, the eContentType), messageDigest (11.2),
 * signingTime when asked (11.3: UTCTime for 1950-2049, GeneralizedTime
 * otherwise) and signingCertificateV2. */
static int signed_attrs(const struct ks_key *key, const struct encap *ec, const uint8_t *digest,
			size_t n, const struct ks_cms_sign_opts *opts, struct ks_buf *b,
			struct ks_der_piece *p, size_t *np)
{
	size_t at[SIGNED_ATTRS_MAX + 1], k = 0, i;
	uint8_t v[EVP_MAX_MD_SIZE + 2];
	struct ks_buf ess;
	int rc = -1;

	ks_buf_init(&ess, KS_CMS_DER_MAX);
	at[k++] = b->len;
	KS_GUARD(put_attr(b, OID_CONTENT_TYPE, sizeof(OID_CONTENT_TYPE), ec->oid, ec->oid_len));
	at[k++] = b->len;
	v[0] = DER_OCTET_STRING;
	v[1] = (uint8_t)n; /* n <= EVP_MAX_MD_SIZE < 0x80 */
	memcpy(v + 2, digest, n);
	KS_GUARD(put_attr(b, OID_MESSAGE_DIGEST, sizeof(OID_MESSAGE_DIGEST), v, n + 2));
	if (opts->signing_time) {
		time_t now = opts->signing_time_at != 0 ? opts->signing_time_at : time(NULL);
		struct tm tm;
		char t[32];
		int len, y;

		if (gmtime_r(&now, &tm) == NULL)
			KS_BAIL(KS_ERR_ARG, "signing time out of range");
		y = tm.tm_year + 1900;
		if (y >= 1950 && y < 2050)
			len = snprintf(t + 2, sizeof(t) - 2, "%02d%02d%02d%02d%02d%02dZ", y % 100,
				       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		else if (y >= 0 && y <= 9999)
			len = snprintf(t + 2, sizeof(t) - 2, "%04d%02d%02d%02d%02d%02dZ", y,
				       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		else
			KS_BAIL(KS_ERR_ARG, "signing time out of range");
		t[0] = y >= 1950 && y < 2050 ? DER_UTC_TIME : DER_GENERALIZED_TIME;
		t[1] = (char)len;
		at[k++] = b->len;
		KS_GUARD(put_attr(b, OID_SIGNING_TIME, sizeof(OID_SIGNING_TIME), (const uint8_t *)t,
				  (size_t)len + 2));
	}
	KS_GUARD(signing_cert_v2(key, &ess));
	at[k++] = b->len;
	KS_GUARD(put_attr(b, OID_SIGNING_CERT_V2, sizeof(OID_SIGNING_CERT_V2), ess.data, ess.len));
	at[k] = b->len;
	for (i = 0; i < k; i++) {
		p[i].der = b->data + at[i];
		p[i].len = at[i + 1] - at[i];
	}
	*np = k;
	rc = 0;
out:
	ks_buf_cleanup(&ess);
	return rc;
}

/* The DER of every certificate to carry (signer first, then the chain
 * without repeats; a chain file may hold the signer too) into `b`, one
 * piece each. */
static int cert_pieces(const struct ks_key *key, bool chain, struct ks_buf *b,
		       struct ks_der_piece *p, size_t *np)
{
	size_t at[CERTS_MAX + 1], k = 0, i;
	int c, j, len;
	bool dup;

	for (c = -1; c < (chain ? sk_X509_num(key->chain) : 0); c++) {
		X509 *x = c < 0 ? key->cert : sk_X509_value(key->chain, c);
		unsigned char *w;

		dup = false;
		for (j = -1; j < c && !dup; j++)
			dup = X509_cmp(x, j < 0 ? key->cert : sk_X509_value(key->chain, j)) == 0;
		if (dup)
			continue;
		if (k == CERTS_MAX)
			return KS_SET(KS_ERR_LIMIT, "more than %d certificates to carry",
				      CERTS_MAX);
		len = i2d_X509(x, NULL);
		if (len <= 0 || ks_buf_reserve(b, (size_t)len) < 0)
			return ks_err_set_ossl(KS_ERR_CMS, __FILE__, __LINE__,
					       "encoding a certificate");
		w = b->data + b->len;
		if (i2d_X509(x, &w) != len)
			return ks_err_set_ossl(KS_ERR_CMS, __FILE__, __LINE__,
					       "encoding a certificate");
		at[k++] = b->len;
		b->len += (size_t)len;
	}
	at[k] = b->len;
	for (i = 0; i < k; i++) {
		p[i].der = b->data + at[i];
		p[i].len = at[i + 1] - at[i];
	}
	*np = k;
	return 0;
}

/* SignerInfo (RFC 5652 5.3), version 1 with issuerAndSerialNumber. */
static int signer_info(X509 *cert, const struct ks_buf *dalg, const struct ks_buf *attrs,
		       const struct ks_buf *salg, const struct ks_buf *sig, struct ks_buf *out)
{
	static const uint8_t v1[] = { 0x02, 0x01, 0x01 };
	const unsigned char *issuer = NULL;
	unsigned char *serial = NULL;
	size_t ilen = 0, sid, all, ah;
	int slen, rc = -1;

	KS_GUARD(issuer_serial(cert, &issuer, &ilen, &serial, &slen));
	sid = ilen + (size_t)slen;
	/* attrs is the SET OF with its tag: [0] IMPLICIT replaces the tag. */
	ah = attrs->len;
	all = sizeof(v1) + ks_der_hdr_len(sid) + sid + dalg->len + ah + salg->len +
	      ks_der_hdr_len(sig->len) + sig->len;
	KS_GUARD(ks_buf_reserve(out, ks_der_hdr_len(all) + all));
	KS_GUARD(ks_der_put_hdr(out, DER_SEQUENCE, all));
	KS_GUARD(ks_buf_append(out, v1, sizeof(v1)));
	KS_GUARD(ks_der_put_hdr(out, DER_SEQUENCE, sid));
	KS_GUARD(ks_buf_append(out, issuer, ilen));
	KS_GUARD(ks_buf_append(out, serial, (size_t)slen));
	KS_GUARD(ks_buf_append(out, dalg->data, dalg->len));
	KS_GUARD(ks_buf_append_byte(out, DER_CTX0));
	KS_GUARD(ks_buf_append(out, attrs->data + 1, attrs->len - 1));
	KS_GUARD(ks_buf_append(out, salg->data, salg->len));
	KS_GUARD(ks_der_put(out, DER_OCTET_STRING, sig->data, sig->len));
	rc = 0;
out:
	OPENSSL_free(serial);
	return rc;
}

/* ContentInfo { signedData, [0] SignedData } (RFC 5652 3, 5.1) from its
 * parts: version 1 for detached id-data, 3 for another eContentType. */
static int content_info(const struct encap *ec, const struct ks_buf *dalg,
			struct ks_der_piece *certs, size_t ncerts, bool with_certs,
			const struct ks_buf *si, struct ks_buf *out)
{
	uint8_t version[] = { 0x02, 0x01, 0x01 };
	size_t eci, econ = 0, cset = 0, sd, ctx, ci, i;

	if (ec->oid_len != sizeof(OID_DATA) || memcmp(ec->oid, OID_DATA, sizeof(OID_DATA)) != 0)
		version[2] = 3;
	if (ec->data != NULL)
		econ = ks_der_hdr_len(ec->len) + ec->len; /* OCTET STRING */
	eci = ec->oid_len + (ec->data != NULL ? ks_der_hdr_len(econ) + econ : 0);
	for (i = 0; i < ncerts; i++)
		cset += certs[i].len;
	sd = sizeof(version) + ks_der_hdr_len(dalg->len) + dalg->len + ks_der_hdr_len(eci) + eci +
	     (with_certs ? ks_der_hdr_len(cset) + cset : 0) + ks_der_hdr_len(si->len) + si->len;
	ctx = ks_der_hdr_len(sd) + sd;
	ci = sizeof(OID_SIGNED_DATA) + ks_der_hdr_len(ctx) + ctx;
	if (ks_buf_reserve(out, ks_der_hdr_len(ci) + ci) < 0 ||
	    ks_der_put_hdr(out, DER_SEQUENCE, ci) < 0 ||
	    ks_buf_append(out, OID_SIGNED_DATA, sizeof(OID_SIGNED_DATA)) < 0 ||
	    ks_der_put_hdr(out, DER_CTX0, ctx) < 0 || ks_der_put_hdr(out, DER_SEQUENCE, sd) < 0 ||
	    ks_buf_append(out, version, sizeof(version)) < 0 ||
	    ks_der_put(out, DER_SET, dalg->data, dalg->len) < 0 ||
	    ks_der_put_hdr(out, DER_SEQUENCE, eci) < 0 ||
	    ks_buf_append(out, ec->oid, ec->oid_len) < 0)
		return -1;
	if (ec->data != NULL && (ks_der_put_hdr(out, DER_CTX0, econ) < 0 ||
				 ks_der_put(out, DER_OCTET_STRING, ec->data, ec->len) < 0))
		return -1;
	if (with_certs && ks_der_put_set(out, DER_CTX0, certs, ncerts) < 0)
		return -1;
	return ks_der_put(out, DER_SET, si->data, si->len);
}

static int sign_signed_data(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
			    const uint8_t *content_digest, size_t n, const struct encap *ec,
			    const struct ks_cms_sign_opts *opts, struct ks_buf *der_out)
{
	struct ks_cms_sign_opts defaults;
	struct ks_der_piece ap[SIGNED_ATTRS_MAX], cp[CERTS_MAX];
	struct ks_buf abuf, attrs, tbs, sig, dalg, salg, si, cbuf;
	X509_ALGOR *alg = NULL;
	unsigned char *sa = NULL;
	size_t na = 0, nc = 0;
	int len, rc = -1;

	ks_buf_init(&abuf, KS_CMS_DER_MAX);
	ks_buf_init(&attrs, KS_CMS_DER_MAX);
	ks_buf_init(&tbs, EVP_MAX_MD_SIZE);
	ks_buf_init(&sig, SIG_MAX);
	ks_buf_init(&dalg, SIG_ALGID_MAX);
	ks_buf_init(&salg, SIG_ALGID_MAX);
	ks_buf_init(&si, KS_CMS_DER_MAX);
	ks_buf_init(&cbuf, KS_CMS_DER_MAX);
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
	len = i2d_X509_ALGOR(alg, &sa);
	if (len <= 0)
		KS_BAIL_OSSL(KS_ERR_CMS, "signature AlgorithmIdentifier");
	KS_GUARD(ks_buf_append(&salg, sa, (size_t)len));
	KS_GUARD(digest_algid(md, &dalg));

	/* RFC 5652 5.4: the signature covers the DER of the signed
	 * attributes with the SET OF tag. */
	KS_GUARD(signed_attrs(key, ec, content_digest, n, opts, &abuf, ap, &na));
	KS_GUARD(ks_der_put_set(&attrs, DER_SET, ap, na));
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
	KS_GUARD(signer_info(key->cert, &dalg, &attrs, &salg, &sig, &si));
	if (!opts->no_certs)
		KS_GUARD(cert_pieces(key, opts->include_chain, &cbuf, cp, &nc));
	KS_GUARD(content_info(ec, &dalg, cp, nc, !opts->no_certs, &si, der_out));
	rc = 0;
out:
	OPENSSL_free(sa);
	X509_ALGOR_free(alg);
	ks_buf_cleanup(&abuf);
	ks_buf_cleanup(&attrs);
	ks_buf_cleanup(&tbs);
	ks_buf_cleanup(&sig);
	ks_buf_cleanup(&dalg);
	ks_buf_cleanup(&salg);
	ks_buf_cleanup(&si);
	ks_buf_cleanup(&cbuf);
	return rc;
}

int ks_cms_sign_digest(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
		       const uint8_t *content_digest, size_t n, const struct ks_cms_sign_opts *opts,
		       struct ks_buf *der_out)
{
	const struct encap detached = { OID_DATA, sizeof(OID_DATA), NULL, 0 };

	return sign_signed_data(key, scheme, md, content_digest, n, &detached, opts, der_out);
}

int ks_cms_sign_encap(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
		      const char *econtent_type, const uint8_t *content, size_t n,
		      const struct ks_cms_sign_opts *opts, struct ks_buf *der_out)
{
	struct encap ec = { NULL, 0, content, n };
	uint8_t oid[KS_CMS_OID_DER_MAX];
	unsigned char *w = oid;
	struct ks_buf d;
	ASN1_OBJECT *obj = NULL;
	int len, rc = -1;

	ks_buf_init(&d, EVP_MAX_MD_SIZE);
	if (content == NULL || n == 0)
		KS_BAIL(KS_ERR_ARG, "no content to encapsulate");
	if (n > KS_CMS_DER_MAX)
		KS_BAIL(KS_ERR_LIMIT, "content of %zu bytes to encapsulate", n);
	obj = OBJ_txt2obj(econtent_type, 1);
	if (obj == NULL)
		KS_BAIL_OSSL(KS_ERR_ARG, "'%.64s' is not a dotted OID", econtent_type);
	/* id-data is what ks_cms_sign_digest is for. */
	if (OBJ_obj2nid(obj) == NID_pkcs7_data)
		KS_BAIL(KS_ERR_UNSUPPORTED, "content type %.64s cannot be encapsulated",
			econtent_type);
	len = i2d_ASN1_OBJECT(obj, NULL);
	if (len <= 0 || (size_t)len > sizeof(oid) || i2d_ASN1_OBJECT(obj, &w) != len)
		KS_BAIL(KS_ERR_LIMIT, "content type OID '%.64s' too long", econtent_type);
	ec.oid = oid;
	ec.oid_len = (size_t)len;
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
