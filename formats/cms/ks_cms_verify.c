/* Verifying SignerInfos (RFC 5652 5.6) and mapping what is found to the
 * ETSI EN 319 102-1 vocabulary.
 *
 * The order follows the basic signature validation of EN 319 102-1 5.3,
 * with the definitive failures first: format (TOTAL-FAILED /
 * FORMAT_FAILURE), integrity of the content (HASH_FAILURE), identification
 * of the signing certificate (5.2.3: NO_SIGNING_CERTIFICATE_FOUND), the
 * signature value (5.2.7: SIG_CRYPTO_FAILURE), the certificate path
 * (5.2.6: NO_CERTIFICATE_CHAIN_FOUND, OUT_OF_BOUNDS_NO_POE, ...) and the
 * cryptographic constraints (5.2.8: CRYPTO_CONSTRAINTS_FAILURE_NO_POE).
 * The first finding decides. */
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cms/ks_cms_int.h"
#include "ks_size.h"

/* RFC 4055 3.1 defaults when RSASSA-PSS parameters are absent. */
#define PSS_DEFAULT_SALT 20
#define PSS_SALT_MAX 1024
#define RSA_MIN_BITS 2048
#define EC_MIN_BITS 256

struct sigparams {
	enum ks_sig_scheme scheme;
	int md_nid;   /* hash inside the signature */
	int mgf1_nid; /* PSS */
	int saltlen;  /* PSS */
	bool plain;   /* ECDSA value as r || s (BSI TR-03111 5.2.1), not DER */
};

/* BSI TR-03111 ecdsa-plain-signatures: 0.4.0.127.0.7.1.1.4.1.n, n = 2..5
 * for SHA-224 .. SHA-512 (n = 1, SHA-1, and n = 6, RIPEMD-160, are weak
 * and left unsupported).  The DER of the OID prefix, without tag/length. */
static const unsigned char bsi_plain_prefix[] = { 0x04, 0x00, 0x7f, 0x00, 0x07,
						  0x01, 0x01, 0x04, 0x01 };

static int bsi_plain_md(const ASN1_OBJECT *obj)
{
	static const int md[] = { NID_undef,  NID_undef,  NID_sha224,
				  NID_sha256, NID_sha384, NID_sha512 };
	const unsigned char *d = OBJ_get0_data(obj);
	size_t n = OBJ_length(obj);

	if (d == NULL || n != sizeof(bsi_plain_prefix) + 1 ||
	    memcmp(d, bsi_plain_prefix, sizeof(bsi_plain_prefix)) != 0)
		return NID_undef;
	if (d[n - 1] >= sizeof(md) / sizeof(md[0]))
		return NID_undef;
	return md[d[n - 1]];
}

/* "id-data", or the dotted OID of a NID. */
static const char *oid_label(int nid, char *buf, size_t n)
{
	if (nid == NID_pkcs7_data)
		return "id-data";
	if (OBJ_obj2txt(buf, (int)n, OBJ_nid2obj(nid), 1) <= 0)
		snprintf(buf, n, "NID %d", nid);
	return buf;
}

static KS_PRINTF(3, 4) void conclude(struct ks_cms_signer_result *r, enum ks_subindication sub,
				     const char *fmt, ...)
{
	va_list ap;

	if (r->sub != KS_SUB_NONE)
		return;
	r->sub = sub;
	r->indication = ks_subindication_class(sub);
	va_start(ap, fmt);
	if (vsnprintf(r->detail, sizeof(r->detail), fmt, ap) < 0)
		r->detail[0] = '\0';
	va_end(ap);
}

static const char *scheme_label(enum ks_sig_scheme s)
{
	switch (s) {
	case KS_SIG_RSA_PKCS1:
		return "RSA PKCS#1 v1.5";
	case KS_SIG_RSA_PSS:
		return "RSA-PSS";
	case KS_SIG_ECDSA:
		return "ECDSA";
	}
	return "unknown";
}

/* RSASSA-PSS-params (RFC 4055 3.1); absent fields take their defaults. */
static bool parse_pss(int ptype, const void *pval, struct sigparams *sp,
		      struct ks_cms_signer_result *r)
{
	const ASN1_STRING *s = pval;
	const unsigned char *p;
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf_md = NULL;
	long salt;
	bool ok = false;

	sp->scheme = KS_SIG_RSA_PSS;
	sp->md_nid = NID_sha1;
	sp->mgf1_nid = NID_sha1;
	sp->saltlen = PSS_DEFAULT_SALT;
	if (ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL)
		return true; /* all defaults (SHA-1: reported as weak later) */
	if (ptype != V_ASN1_SEQUENCE || s == NULL) {
		conclude(r, KS_SUB_FORMAT_FAILURE, "RSASSA-PSS parameters are not a SEQUENCE");
		return false;
	}
	p = ASN1_STRING_get0_data(s);
	pss = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(s));
	if (pss == NULL) {
		ERR_clear_error();
		conclude(r, KS_SUB_FORMAT_FAILURE, "malformed RSASSA-PSS parameters");
		goto out;
	}
	if (pss->hashAlgorithm != NULL)
		sp->md_nid = OBJ_obj2nid(pss->hashAlgorithm->algorithm);
	if (pss->maskGenAlgorithm != NULL) {
		if (OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1) {
			conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
				 "RSASSA-PSS mask generation other than MGF1 is not supported");
			goto out;
		}
		/* MGF1's parameter is the AlgorithmIdentifier of its hash. */
		if (pss->maskGenAlgorithm->parameter == NULL ||
		    ASN1_TYPE_get(pss->maskGenAlgorithm->parameter) != V_ASN1_SEQUENCE) {
			conclude(r, KS_SUB_FORMAT_FAILURE, "MGF1 without its hash algorithm");
			goto out;
		}
		s = pss->maskGenAlgorithm->parameter->value.sequence;
		p = ASN1_STRING_get0_data(s);
		mgf_md = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(s));
		if (mgf_md == NULL) {
			ERR_clear_error();
			conclude(r, KS_SUB_FORMAT_FAILURE, "malformed MGF1 hash algorithm");
			goto out;
		}
		sp->mgf1_nid = OBJ_obj2nid(mgf_md->algorithm);
	}
	if (pss->saltLength != NULL) {
		salt = ASN1_INTEGER_get(pss->saltLength);
		if (salt < 0 || salt > PSS_SALT_MAX) {
			conclude(r, KS_SUB_FORMAT_FAILURE, "RSASSA-PSS salt length %ld", salt);
			goto out;
		}
		sp->saltlen = (int)salt;
	}
	if (pss->trailerField != NULL && ASN1_INTEGER_get(pss->trailerField) != 1) {
		conclude(r, KS_SUB_FORMAT_FAILURE, "RSASSA-PSS trailer field is not 1");
		goto out;
	}
	ok = true;
out:
	X509_ALGOR_free(mgf_md);
	RSA_PSS_PARAMS_free(pss);
	return ok;
}

/* signatureAlgorithm -> scheme and hashes.  The hash of the signature
 * must be the digestAlgorithm: the signed attributes are hashed with it
 * (RFC 5652 5.4). */
static bool parse_sigalg(const X509_ALGOR *alg, int dig_nid, struct sigparams *sp,
			 struct ks_cms_signer_result *r)
{
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype, nid, mdnid = NID_undef, pknid = NID_undef;
	char oid[80];

	memset(sp, 0, sizeof(*sp));
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	nid = OBJ_obj2nid(obj);
	sp->md_nid = dig_nid;
	if (nid == NID_rsaEncryption) {
		sp->scheme = KS_SIG_RSA_PKCS1;
	} else if (nid == NID_X9_62_id_ecPublicKey) {
		sp->scheme = KS_SIG_ECDSA;
	} else if (nid == NID_rsassaPss) {
		if (!parse_pss(ptype, pval, sp, r))
			return false;
	} else if ((mdnid = bsi_plain_md(obj)) != NID_undef) {
		sp->scheme = KS_SIG_ECDSA;
		sp->plain = true;
		sp->md_nid = mdnid;
	} else if (nid != NID_undef && OBJ_find_sigid_algs(nid, &mdnid, &pknid) == 1 &&
		   (pknid == NID_rsaEncryption || pknid == NID_X9_62_id_ecPublicKey)) {
		sp->scheme = pknid == NID_rsaEncryption ? KS_SIG_RSA_PKCS1 : KS_SIG_ECDSA;
		sp->md_nid = mdnid;
	} else {
		if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
			snprintf(oid, sizeof(oid), "unknown");
		conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
			 "signature algorithm %s is not supported", oid);
		return false;
	}
	snprintf(r->sig_alg, sizeof(r->sig_alg), "%s%s", scheme_label(sp->scheme),
		 sp->plain ? " (plain r||s)" : "");
	if (sp->md_nid != dig_nid) {
		conclude(r, KS_SUB_FORMAT_FAILURE,
			 "the hash of signatureAlgorithm differs from digestAlgorithm");
		return false;
	}
	return true;
}

/* The one value of a single-valued attribute (RFC 5652 5.3: these
 * attributes MUST have exactly one value), or NULL with a conclusion. */
static ASN1_TYPE *single_value(CMS_SignerInfo *si, int nid, const char *name, int want_type,
			       int want_type2, struct ks_cms_signer_result *r)
{
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;
	int loc = CMS_signed_get_attr_by_NID(si, nid, -1);

	if (loc < 0)
		return NULL;
	if (CMS_signed_get_attr_by_NID(si, nid, loc) >= 0) {
		conclude(r, KS_SUB_FORMAT_FAILURE, "signed attribute %s appears twice", name);
		return NULL;
	}
	a = CMS_signed_get_attr(si, loc);
	if (X509_ATTRIBUTE_count(a) != 1) {
		conclude(r, KS_SUB_FORMAT_FAILURE, "signed attribute %s must have one value", name);
		return NULL;
	}
	t = X509_ATTRIBUTE_get0_type(a, 0);
	if (t == NULL || (ASN1_TYPE_get(t) != want_type && ASN1_TYPE_get(t) != want_type2)) {
		conclude(r, KS_SUB_FORMAT_FAILURE, "signed attribute %s has the wrong type", name);
		return NULL;
	}
	return t;
}

struct attrs {
	bool present;
	const ASN1_OCTET_STRING *message_digest;
	const ASN1_STRING *ess; /* DER of the signing-certificate attribute */
	bool ess_v1;
};

/* Signed attributes: RFC 5652 5.3 and 11, ETSI EN 319 122-1 5.2. */
static bool check_attrs(const struct ks_cms *cms, CMS_SignerInfo *si, int want_nid,
			struct attrs *at, struct ks_cms_signer_result *r)
{
	const ASN1_OBJECT *ect = CMS_get0_eContentType(cms->ci);
	char oid[80];
	ASN1_TYPE *t;
	int n = CMS_signed_get_attr_count(si);
	struct tm tm;

	memset(at, 0, sizeof(*at));
	if (n < 0) {
		/* Allowed by RFC 5652 only for id-data content; not CAdES. */
		r->notes |= KS_CMS_NOTE_NO_SIGNED_ATTRS;
		if (OBJ_obj2nid(ect) != NID_pkcs7_data) {
			conclude(r, KS_SUB_FORMAT_FAILURE,
				 "signed attributes are required for content other than id-data");
			return false;
		}
		return true;
	}
	at->present = true;
	if (n == 0 || n > KS_CMS_ATTRS_MAX) {
		conclude(r, KS_SUB_FORMAT_FAILURE, "%d signed attributes", n);
		return false;
	}
	t = single_value(si, NID_pkcs9_contentType, "contentType", V_ASN1_OBJECT, V_ASN1_OBJECT, r);
	if (t == NULL) {
		conclude(r, KS_SUB_FORMAT_FAILURE, "contentType attribute missing (RFC 5652 5.3)");
		return false;
	}
	if (OBJ_cmp(t->value.object, ect) != 0) {
		conclude(r, KS_SUB_FORMAT_FAILURE,
			 "contentType attribute differs from eContentType");
		return false;
	}
	if (OBJ_obj2nid(ect) != want_nid) {
		conclude(r, KS_SUB_FORMAT_FAILURE, "content type is not %s",
			 oid_label(want_nid, oid, sizeof(oid)));
		return false;
	}
	t = single_value(si, NID_pkcs9_messageDigest, "messageDigest", V_ASN1_OCTET_STRING,
			 V_ASN1_OCTET_STRING, r);
	if (t == NULL) {
		conclude(r, KS_SUB_FORMAT_FAILURE,
			 "messageDigest attribute missing (RFC 5652 5.3)");
		return false;
	}
	at->message_digest = t->value.octet_string;
	t = single_value(si, NID_pkcs9_signingTime, "signingTime", V_ASN1_UTCTIME,
			 V_ASN1_GENERALIZEDTIME, r);
	if (r->sub != KS_SUB_NONE)
		return false;
	if (t != NULL) {
		if (ASN1_TIME_to_tm(t->value.utctime, &tm) != 1) {
			ERR_clear_error();
			conclude(r, KS_SUB_FORMAT_FAILURE, "malformed signingTime");
			return false;
		}
		r->signing_time = timegm(&tm);
		r->has_signing_time = true;
	}
	t = single_value(si, NID_id_smime_aa_signingCertificateV2, "signingCertificateV2",
			 V_ASN1_SEQUENCE, V_ASN1_SEQUENCE, r);
	if (r->sub != KS_SUB_NONE)
		return false;
	if (t != NULL) {
		at->ess = t->value.sequence;
	} else {
		t = single_value(si, NID_id_smime_aa_signingCertificate, "signingCertificate",
				 V_ASN1_SEQUENCE, V_ASN1_SEQUENCE, r);
		if (r->sub != KS_SUB_NONE)
			return false;
		if (t != NULL) {
			at->ess = t->value.sequence;
			at->ess_v1 = true;
		}
	}
	return true;
}

/* Signer certificate: the certificates whose issuer/serial or subject
 * key identifier match sid, narrowed by the signing-certificate
 * attribute when there is one (ETSI EN 319 102-1 5.2.3.4). */
static bool identify_signer(CMS_SignerInfo *si, const struct attrs *at, STACK_OF(X509) * pool,
			    struct ks_cms_signer_result *r)
{
	struct ks_cms_ess ess;
	X509 *found = NULL;
	const char *why = "";
	int i, matches = 0;
	bool ok;

	if (at->ess != NULL) {
		if (ks_cms_ess_parse(ASN1_STRING_get0_data(at->ess),
				     (size_t)ASN1_STRING_length(at->ess), at->ess_v1, &ess) < 0) {
			conclude(r, KS_SUB_FORMAT_FAILURE, "malformed %s attribute: %s",
				 at->ess_v1 ? "signingCertificate" : "signingCertificateV2",
				 ks_err_msg());
			return false;
		}
		if (at->ess_v1)
			r->notes |= KS_CMS_NOTE_ESS_V1;
	} else if (at->present) {
		r->notes |= KS_CMS_NOTE_NO_ESS;
	}
	for (i = 0; i < sk_X509_num(pool); i++) {
		X509 *x = sk_X509_value(pool, i);

		if (CMS_SignerInfo_cert_cmp(si, x) != 0)
			continue;
		if (found != NULL && X509_cmp(found, x) == 0)
			continue;
		if (at->ess != NULL) {
			if (ks_cms_ess_match(&ess, x, &ok, &why) < 0) {
				conclude(r, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
					 "signing certificate reference unusable: %s",
					 ks_err_msg());
				return false;
			}
			if (!ok)
				continue;
		}
		found = x;
		matches++;
	}
	if (found == NULL) {
		bool by_sid = false;

		for (i = 0; i < sk_X509_num(pool) && !by_sid; i++)
			by_sid = CMS_SignerInfo_cert_cmp(si, sk_X509_value(pool, i)) == 0;
		if (by_sid)
			conclude(r, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
				 "%s does not match the certificate named by sid (%s)",
				 at->ess_v1 ? "signingCertificate" : "signingCertificateV2", why);
		else
			conclude(r, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
				 "the certificate named by sid is not in the signature");
		return false;
	}
	if (matches > 1) {
		conclude(r, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
			 "several different certificates match sid");
		return false;
	}
	if (X509_up_ref(found) != 1)
		return false;
	r->cert = found;
	return true;
}

/* A plain ECDSA value (r || s, each exactly the size of the group order,
 * BSI TR-03111 5.2.1) as the DER ECDSA-Sig-Value OpenSSL verifies. */
static int plain_to_der(EVP_PKEY *pub, const ASN1_OCTET_STRING *sig, struct ks_buf *der)
{
	int len = ASN1_STRING_length(sig), bits = EVP_PKEY_get_bits(pub);

	if (bits <= 0 || len != 2 * ((bits + 7) / 8))
		return -1;
	return ks_ecdsa_raw_to_der(ASN1_STRING_get0_data(sig), (size_t)len, der);
}

/* Is `sig` a valid signature of digest h under the certificate's key? */
static int check_signature(X509 *cert, const struct sigparams *sp, const unsigned char *h,
			   size_t hlen, const ASN1_OCTET_STRING *sig, bool *ok)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD *md = NULL, *mgf = NULL;
	struct ks_buf der;
	int rc = -1;

	*ok = false;
	ks_buf_init(&der, 512); /* DER of r, s up to 66 bytes each */
	if (pub == NULL) {
		ERR_clear_error();
		return 0;
	}
	/* An EC key with an RSA scheme or the reverse cannot verify. */
	if ((sp->scheme == KS_SIG_ECDSA) != (EVP_PKEY_is_a(pub, "EC") != 0))
		return 0;
	md = ks_cms_md_fetch(sp->md_nid);
	if (sp->scheme == KS_SIG_RSA_PSS)
		mgf = ks_cms_md_fetch(sp->mgf1_nid);
	if (md == NULL || (sp->scheme == KS_SIG_RSA_PSS && mgf == NULL)) {
		rc = 0;
		goto out;
	}
	ctx = EVP_PKEY_CTX_new(pub, NULL);
	if (ctx == NULL || EVP_PKEY_verify_init(ctx) <= 0)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "verify init");
	if (ks_cms_pkey_setup(ctx, sp->scheme, md, sp->saltlen, mgf) < 0) {
		/* Parameters the provider refuses (e.g. a salt too long for
		 * the modulus) cannot verify. */
		rc = 0;
		goto out;
	}
	if (sp->plain) {
		if (plain_to_der(pub, sig, &der) < 0) {
			ks_err_clear();
			rc = 0; /* not r || s of this curve: cannot verify */
			goto out;
		}
		*ok = EVP_PKEY_verify(ctx, der.data, der.len, h, hlen) == 1;
	} else {
		*ok = EVP_PKEY_verify(ctx, ASN1_STRING_get0_data(sig),
				      (size_t)ASN1_STRING_length(sig), h, hlen) == 1;
	}
	rc = 0;
out:
	ks_buf_cleanup(&der);
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	EVP_MD_free(md);
	EVP_MD_free(mgf);
	return rc;
}

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

/* X.509 path to the trust anchors at the validation time (EN 319 102-1
 * 5.2.6).  `untrusted` holds the certificates of the signature and the
 * caller's extra ones. */
static int check_chain(X509 *cert, STACK_OF(X509) * untrusted,
		       const struct ks_cms_verify_opts *opts, struct ks_cms_signer_result *r)
{
	X509_STORE_CTX *ctx = NULL;
	int v, err, rc = -1;

	if (opts->trust == NULL) {
		conclude(r, KS_SUB_NO_CERTIFICATE_CHAIN_FOUND, "no trust anchors were given");
		return 0;
	}
	ctx = X509_STORE_CTX_new();
	if (ctx == NULL || X509_STORE_CTX_init(ctx, opts->trust, cert, untrusted) != 1)
		KS_BAIL_OSSL(KS_ERR_NOMEM, "certificate path context");
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
				   opts->at != 0 ? opts->at : time(NULL));
	v = X509_verify_cert(ctx);
	if (v == 1) {
		r->chain = X509_STORE_CTX_get1_chain(ctx);
		if (r->chain == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	} else {
		err = X509_STORE_CTX_get_error(ctx);
		conclude(r, ks_cms_chain_sub(err), "certificate path: %s (depth %d)",
			 X509_verify_cert_error_string(err), X509_STORE_CTX_get_error_depth(ctx));
	}
	ERR_clear_error();
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	return rc;
}

/* EN 319 102-1 5.2.8 with the floor of Circular 15/2025/TT-BKHCN:
 * SHA-256 or stronger, RSA >= 2048 bits, EC >= 256 bits. */
/* The hash a certificate was signed with, when it is one of the known
 * too weak ones (SHA-1, MD5 ...): a collision makes another certificate
 * with the same signature (Circular 15/2025: no SHA-1). */
static bool cert_hash_weak(X509 *cert, char *buf, size_t cap)
{
	const char *label;
	int mdnid = NID_undef, pknid = NID_undef, secbits = 0;
	uint32_t flags = 0;

	if (X509_get_signature_info(cert, &mdnid, &pknid, &secbits, &flags) != 1 ||
	    mdnid == NID_undef)
		return false; /* EdDSA and the like: no separate hash */
	if (ks_cms_md_acceptable(mdnid))
		return false;
	label = ks_cms_md_label(mdnid, buf, cap);
	if (label != buf)
		snprintf(buf, cap, "%s", label);
	return true;
}

static void check_constraints(X509 *cert, int dig_nid, const struct sigparams *sp,
			      struct ks_cms_signer_result *r)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	char buf[80];
	int bits, i, n;

	if (!ks_cms_md_acceptable(dig_nid)) {
		conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
			 "digest algorithm %s is too weak",
			 ks_cms_md_label(dig_nid, buf, sizeof(buf)));
		return;
	}
	if (sp->scheme == KS_SIG_RSA_PSS && !ks_cms_md_acceptable(sp->mgf1_nid)) {
		conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE, "MGF1 hash %s is too weak",
			 ks_cms_md_label(sp->mgf1_nid, buf, sizeof(buf)));
		return;
	}
	if (cert_hash_weak(cert, buf, sizeof(buf))) {
		conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
			 "the signer certificate is signed with %s, too weak", buf);
		return;
	}
	/* The CA certificates of the path (the trust anchor's own signature
	 * is not relied on). */
	n = r->chain != NULL ? sk_X509_num(r->chain) : 0;
	for (i = 1; i < n - 1; i++) {
		if (cert_hash_weak(sk_X509_value(r->chain, i), buf, sizeof(buf))) {
			conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
				 "a CA certificate of the path is signed with %s, too weak", buf);
			return;
		}
	}
	if (pub == NULL)
		return;
	bits = EVP_PKEY_get_bits(pub);
	if (EVP_PKEY_is_a(pub, "EC") ? bits < EC_MIN_BITS : bits < RSA_MIN_BITS)
		conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
			 "signer key of %d bits is too weak", bits);
}

/* RFC 5035 lets signingCertificateV2 name any hash; one with known
 * collisions binds no certificate in particular.  (SigningCertificate v1
 * is SHA-1 by definition and is only noted.) */
static void check_ess_hash(const struct attrs *at, struct ks_cms_signer_result *r)
{
	struct ks_cms_ess ess;
	char buf[80];

	if (at->ess == NULL || at->ess_v1 ||
	    ks_cms_ess_parse(ASN1_STRING_get0_data(at->ess), (size_t)ASN1_STRING_length(at->ess),
			     false, &ess) < 0)
		return;
	if (!ks_cms_md_acceptable(ess.hash_nid))
		conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
			 "signingCertificateV2 identifies the signer with %s, too weak",
			 ks_cms_md_label(ess.hash_nid, buf, sizeof(buf)));
}

static int verify_one(const struct ks_cms *cms, CMS_SignerInfo *si, struct ks_cms_content *content,
		      const struct ks_cms_verify_opts *opts, STACK_OF(X509) * pool,
		      struct ks_cms_signer_result *r)
{
	X509_ALGOR *dig = NULL, *sigalg = NULL;
	const ASN1_OBJECT *obj;
	const unsigned char *cd = NULL;
	unsigned int cdlen = 0;
	struct sigparams sp;
	struct attrs at;
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
	if (opts->trust == NULL && !opts->skip_chain)
		r->notes |= KS_CMS_NOTE_NO_TRUST_ANCHORS;
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
			 ks_cms_md_label(dig_nid, buf, sizeof(buf)));
	}
	md = ks_cms_md_fetch(dig_nid);
	if (md == NULL) {
		conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
			 "digest algorithm %s is not supported", r->digest_alg);
		goto done;
	}
	if (!parse_sigalg(sigalg, dig_nid, &sp, r))
		goto done;
	if (!check_attrs(cms, si, opts->econtent_nid != 0 ? opts->econtent_nid : NID_pkcs7_data,
			 &at, r))
		goto done;

	KS_GUARD(ks_cms_content_digest(content, dig_nid, &cd, &cdlen));
	if (cd == NULL) {
		conclude(r, KS_SUB_SIGNED_DATA_NOT_FOUND, "no %s digest of the content was given",
			 r->digest_alg);
		goto done;
	}
	/* RFC 5652 5.6: messageDigest must equal the content digest. */
	if (at.present && ((size_t)ASN1_STRING_length(at.message_digest) != cdlen ||
			   memcmp(ASN1_STRING_get0_data(at.message_digest), cd, cdlen) != 0)) {
		conclude(r, KS_SUB_HASH_FAILURE, "messageDigest differs from the content digest");
		goto done;
	}
	if (!identify_signer(si, &at, pool, r))
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
	    check_signature(r->cert, &sp, h.data, h.len, CMS_SignerInfo_get0_signature(si), &ok));
	if (!ok) {
		conclude(r, KS_SUB_SIG_CRYPTO_FAILURE,
			 "the signature value does not verify with the signer certificate");
		goto done;
	}

	if (opts->skip_chain)
		r->notes |= KS_CMS_NOTE_CHAIN_NOT_CHECKED;
	else
		KS_GUARD(check_chain(r->cert, pool, opts, r));
	/* RFC 5280 4.2.1.3: a key whose certificate limits it to other uses
	 * must not be trusted for signatures. */
	ku = X509_get_key_usage(r->cert);
	if (ku != UINT32_MAX && (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0)
		conclude(r, KS_SUB_CHAIN_CONSTRAINTS_FAILURE,
			 "the signer certificate's keyUsage does not allow signatures");
	check_constraints(r->cert, dig_nid, &sp, r);
	check_ess_hash(&at, r);
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

	for (i = 0; i < r->n; i++) {
		X509_free(r->signers[i].cert);
		sk_X509_pop_free(r->signers[i].chain, X509_free);
	}
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
