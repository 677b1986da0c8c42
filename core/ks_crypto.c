/* The cryptographic minimums and path building (ks_crypto.h). */
#include "ks_crypto.h"

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	int nid;
	const char *label;
	bool ok;
} md_table[] = {
	{ NID_md5, "MD5", false },
	{ NID_sha1, "SHA-1", false },
	{ NID_sha224, "SHA-224", false }, /* below the SHA-256 floor */
	{ NID_sha256, "SHA-256", true },
	{ NID_sha384, "SHA-384", true },
	{ NID_sha512, "SHA-512", true },
	{ NID_sha512_224, "SHA-512/224", false },
	{ NID_sha512_256, "SHA-512/256", true },
	{ NID_sha3_224, "SHA3-224", false },
	{ NID_sha3_256, "SHA3-256", true },
	{ NID_sha3_384, "SHA3-384", true },
	{ NID_sha3_512, "SHA3-512", true },
};

static KS_PRINTF(3, 4) bool refuse(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (n == 0)
		return false;
	va_start(ap, fmt);
	if (vsnprintf(why, n, fmt, ap) < 0)
		why[0] = '\0';
	va_end(ap);
	return false;
}

bool ks_crypto_md_ok(int nid)
{
	size_t i;

	for (i = 0; i < sizeof(md_table) / sizeof(md_table[0]); i++)
		if (md_table[i].nid == nid)
			return md_table[i].ok;
	return false;
}

bool ks_crypto_md_known(int nid)
{
	size_t i;

	for (i = 0; i < sizeof(md_table) / sizeof(md_table[0]); i++)
		if (md_table[i].nid == nid)
			return true;
	return false;
}

const char *ks_crypto_md_label(int nid, char *buf, size_t n)
{
	ASN1_OBJECT *o;
	size_t i;

	for (i = 0; i < sizeof(md_table) / sizeof(md_table[0]); i++)
		if (md_table[i].nid == nid)
			return md_table[i].label;
	o = OBJ_nid2obj(nid);
	if (n > 0)
		buf[0] = '\0';
	if (o == NULL || n > (size_t)INT_MAX || OBJ_obj2txt(buf, (int)n, o, 1) <= 0)
		snprintf(buf, n, "unknown");
	ERR_clear_error();
	return buf;
}

int ks_crypto_pss_params(int ptype, const void *pval, struct ks_crypto_pss *out)
{
	const ASN1_STRING *s = pval;
	const unsigned char *p;
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf_md = NULL;
	long salt;
	int rc = -1;

	out->md_nid = NID_sha1;
	out->mgf1_nid = NID_sha1;
	out->saltlen = KS_CRYPTO_PSS_DEFAULT_SALT;
	if (ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL)
		return 0;
	if (ptype != V_ASN1_SEQUENCE || s == NULL)
		return KS_SET(KS_ERR_PARSE, "RSASSA-PSS parameters are not a SEQUENCE");
	p = ASN1_STRING_get0_data(s);
	pss = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(s));
	if (pss == NULL) {
		ERR_clear_error();
		KS_BAIL(KS_ERR_PARSE, "malformed RSASSA-PSS parameters");
	}
	if (pss->hashAlgorithm != NULL)
		out->md_nid = OBJ_obj2nid(pss->hashAlgorithm->algorithm);
	if (pss->maskGenAlgorithm != NULL) {
		if (OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1)
			KS_BAIL(KS_ERR_UNSUPPORTED,
				"RSASSA-PSS mask generation other than MGF1 is not supported");
		/* MGF1's parameter is the AlgorithmIdentifier of its hash. */
		if (pss->maskGenAlgorithm->parameter == NULL ||
		    ASN1_TYPE_get(pss->maskGenAlgorithm->parameter) != V_ASN1_SEQUENCE)
			KS_BAIL(KS_ERR_PARSE, "MGF1 without its hash algorithm");
		s = pss->maskGenAlgorithm->parameter->value.sequence;
		p = ASN1_STRING_get0_data(s);
		mgf_md = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(s));
		if (mgf_md == NULL) {
			ERR_clear_error();
			KS_BAIL(KS_ERR_PARSE, "malformed MGF1 hash algorithm");
		}
		out->mgf1_nid = OBJ_obj2nid(mgf_md->algorithm);
	}
	if (pss->saltLength != NULL) {
		salt = ASN1_INTEGER_get(pss->saltLength);
		if (salt < 0 || salt > KS_CRYPTO_PSS_SALT_MAX)
			KS_BAIL(KS_ERR_PARSE, "RSASSA-PSS salt length %ld", salt);
		out->saltlen = (int)salt;
	}
	if (pss->trailerField != NULL && ASN1_INTEGER_get(pss->trailerField) != 1)
		KS_BAIL(KS_ERR_PARSE, "RSASSA-PSS trailer field is not 1");
	rc = 0;
out:
	ERR_clear_error();
	X509_ALGOR_free(mgf_md);
	RSA_PSS_PARAMS_free(pss);
	return rc;
}

/* ---- keys and certificates ---- */

static bool ec_key_ok(EVP_PKEY *pub, char *why, size_t n)
{
	char group[64], enc[32];
	int nid;

	/* OpenSSL names the group of explicit parameters that happen to
	 * match a known curve: the encoding says what the key really is. */
	if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_EC_ENCODING, enc, sizeof(enc),
					   NULL) == 1 &&
	    strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) != 0) {
		ERR_clear_error();
		return refuse(why, n,
			      "key uses explicit EC parameters: a named curve (P-256, P-384, "
			      "P-521) is required");
	}
	if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   NULL) != 1) {
		ERR_clear_error();
		return refuse(why, n,
			      "key uses explicit EC parameters: a named curve (P-256, P-384, "
			      "P-521) is required");
	}
	nid = OBJ_sn2nid(group);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(group);
	if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 && nid != NID_secp521r1)
		return refuse(why, n, "key is on curve %s: P-256, P-384 or P-521 is required",
			      group);
	return true;
}

bool ks_crypto_key_ok(EVP_PKEY *pub, char *why, size_t n)
{
	const char *type;
	int bits;

	if (pub == NULL)
		return refuse(why, n, "no usable public key");
	bits = EVP_PKEY_get_bits(pub);
	if (EVP_PKEY_is_a(pub, "RSA") || EVP_PKEY_is_a(pub, "RSA-PSS")) {
		if (bits < KS_CRYPTO_RSA_MIN_BITS)
			return refuse(why, n, "key is RSA-%d: at least RSA-%d is required", bits,
				      KS_CRYPTO_RSA_MIN_BITS);
		return true;
	}
	if (EVP_PKEY_is_a(pub, "EC"))
		return ec_key_ok(pub, why, n);
	type = EVP_PKEY_get0_type_name(pub);
	return refuse(why, n, "key is %s: RSA or ECDSA is required",
		      type != NULL ? type : "of an unknown type");
}

bool ks_crypto_cert_sig_ok(X509 *cert, char *why, size_t n)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	const void *pval = NULL;
	struct ks_crypto_pss pss;
	int ptype = 0, mdnid = NID_undef, pknid = NID_undef, secbits = 0;
	uint32_t flags = 0;
	char buf[80];

	X509_get0_signature(NULL, &alg, cert);
	if (alg == NULL)
		return refuse(why, n, "has no signature algorithm");
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if (OBJ_obj2nid(obj) == NID_rsassaPss) {
		/* RFC 4055 3.1: the hash and the mask's hash both count. */
		if (ks_crypto_pss_params(ptype, pval, &pss) < 0) {
			refuse(why, n, "is signed with RSASSA-PSS: %s", ks_err_msg());
			ks_err_clear();
			return false;
		}
		if (!ks_crypto_md_ok(pss.md_nid))
			return refuse(why, n,
				      "is signed with RSASSA-PSS over %s: SHA-256 or stronger is "
				      "required",
				      ks_crypto_md_label(pss.md_nid, buf, sizeof(buf)));
		if (!ks_crypto_md_ok(pss.mgf1_nid))
			return refuse(why, n,
				      "is signed with RSASSA-PSS whose MGF1 uses %s: SHA-256 or "
				      "stronger is required",
				      ks_crypto_md_label(pss.mgf1_nid, buf, sizeof(buf)));
		return true;
	}
	if (X509_get_signature_info(cert, &mdnid, &pknid, &secbits, &flags) != 1) {
		ERR_clear_error();
		return refuse(why, n, "is signed with an unknown algorithm");
	}
	/* EdDSA hashes inside the algorithm (SHA-512, SHAKE256). */
	if (mdnid == NID_undef && (pknid == NID_ED25519 || pknid == NID_ED448))
		return true;
	if (!ks_crypto_md_ok(mdnid))
		return refuse(why, n, "is signed with %s: SHA-256 or stronger is required",
			      mdnid != NID_undef ? ks_crypto_md_label(mdnid, buf, sizeof(buf))
						 : "an unknown hash");
	return true;
}

bool ks_crypto_cert_ok(X509 *cert, char *why, size_t n)
{
	if (cert == NULL)
		return refuse(why, n, "no certificate");
	return ks_crypto_key_ok(X509_get0_pubkey(cert), why, n) &&
	       ks_crypto_cert_sig_ok(cert, why, n);
}

static const char *cn_of(X509 *x, char *buf, size_t n)
{
	int len = n > INT_MAX ? INT_MAX : (int)n;

	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, len) < 0)
		snprintf(buf, n, "(no common name)");
	ERR_clear_error();
	return buf;
}

bool ks_crypto_path_ok(X509 *leaf, STACK_OF(X509) * cas, char *why, size_t n)
{
	char inner[KS_CRYPTO_WHY_MAX], name[64];
	int i;

	if (!ks_crypto_cert_ok(leaf, inner, sizeof(inner)))
		return refuse(why, n, "signer certificate: %s", inner);
	for (i = 0; cas != NULL && i < sk_X509_num(cas); i++) {
		X509 *ca = sk_X509_value(cas, i);

		if (X509_cmp(ca, leaf) == 0 || (X509_get_extension_flags(ca) & EXFLAG_SS) != 0)
			continue;
		if (!ks_crypto_cert_sig_ok(ca, inner, sizeof(inner)))
			return refuse(why, n, "CA certificate '%s' %s",
				      cn_of(ca, name, sizeof(name)), inner);
	}
	return true;
}

/* ---- path building ---- */

static int push_all(STACK_OF(X509) * dst, STACK_OF(X509) * src)
{
	int i;

	for (i = 0; src != NULL && i < sk_X509_num(src); i++)
		if (sk_X509_push(dst, sk_X509_value(src, i)) <= 0)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
	return 0;
}

int ks_crypto_path_build(X509 *cert, const struct ks_crypto_path_req *req,
			 struct ks_crypto_path *out)
{
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *pool = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (cert == NULL || req->trust == NULL)
		return KS_SET(KS_ERR_ARG, "path building needs a certificate and trust anchors");
	pool = sk_X509_new_null(); /* a view: the certificates are not owned */
	if (pool == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(push_all(pool, req->carried));
	KS_GUARD(push_all(pool, req->untrusted));
	ctx = X509_STORE_CTX_new();
	if (ctx == NULL || X509_STORE_CTX_init(ctx, req->trust, cert, pool) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "certificate path context");
	/* e.g. RFC 3161 2.3: every certificate of a TSA's path allows
	 * time-stamping (extKeyUsage). */
	if (req->purpose != 0 && X509_STORE_CTX_set_purpose(ctx, req->purpose) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "certificate path purpose");
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
				   req->at != 0 ? req->at : time(NULL));
	if (X509_verify_cert(ctx) == 1) {
		out->chain = X509_STORE_CTX_get1_chain(ctx);
		if (out->chain == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	} else {
		out->err = X509_STORE_CTX_get_error(ctx);
		out->depth = X509_STORE_CTX_get_error_depth(ctx);
		if (out->err == X509_V_OK)
			out->err = X509_V_ERR_UNSPECIFIED;
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_free(pool);
	return rc;
}

void ks_crypto_path_cleanup(struct ks_crypto_path *p)
{
	sk_X509_pop_free(p->chain, X509_free);
	memset(p, 0, sizeof(*p));
}

const char *ks_crypto_path_error(const struct ks_crypto_path *p)
{
	return X509_verify_cert_error_string(p->err);
}
