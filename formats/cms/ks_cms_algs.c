/* Signature algorithms of a SignerInfo: what signatureAlgorithm names
 * (RFC 5652 5.3, RFC 4055 for RSASSA-PSS, RFC 5758 and BSI TR-03111 for
 * ECDSA), checking the signature value with it, and the cryptographic
 * constraints of ETSI EN 319 102-1 5.2.8 (core/ks_crypto). */
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>

#include "formats/cms/ks_cms_int.h"
#include "ks_crypto.h"

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

/* RSASSA-PSS-params (RFC 4055 3.1, core/ks_crypto); absent fields take
 * their defaults (SHA-1: reported as weak later). */
static bool parse_pss(int ptype, const void *pval, struct ks_cms_sigparams *sp,
		      struct ks_cms_signer_result *r)
{
	struct ks_crypto_pss pss;

	sp->scheme = KS_SIG_RSA_PSS;
	if (ks_crypto_pss_params(ptype, pval, &pss) < 0) {
		ks_cms_conclude(r,
				ks_err_code() == KS_ERR_UNSUPPORTED
				    ? KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE
				    : KS_SUB_FORMAT_FAILURE,
				"%s", ks_err_msg());
		ks_err_clear();
		return false;
	}
	sp->md_nid = pss.md_nid;
	sp->mgf1_nid = pss.mgf1_nid;
	sp->saltlen = pss.saltlen;
	return true;
}

/* signatureAlgorithm -> scheme and hashes.  The hash of the signature
 * must be the digestAlgorithm: the signed attributes are hashed with it
 * (RFC 5652 5.4). */
bool ks_cms_sigalg_parse(const X509_ALGOR *alg, int dig_nid, struct ks_cms_sigparams *sp,
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
		ks_cms_conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
				"signature algorithm %s is not supported", oid);
		return false;
	}
	snprintf(r->sig_alg, sizeof(r->sig_alg), "%s%s", ks_sig_scheme_name(sp->scheme),
		 sp->plain ? " (plain r||s)" : "");
	if (sp->md_nid != dig_nid) {
		ks_cms_conclude(r, KS_SUB_FORMAT_FAILURE,
				"the hash of signatureAlgorithm differs from digestAlgorithm");
		return false;
	}
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

int ks_cms_sig_verify(X509 *cert, const struct ks_cms_sigparams *sp, const unsigned char *h,
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

void ks_cms_check_constraints(X509 *cert, int dig_nid, const struct ks_cms_sigparams *sp,
			      struct ks_cms_signer_result *r)
{
	char why[KS_CRYPTO_WHY_MAX], buf[80];

	if (!ks_crypto_md_ok(dig_nid)) {
		ks_cms_conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
				"digest algorithm %s is too weak",
				ks_crypto_md_label(dig_nid, buf, sizeof(buf)));
		return;
	}
	if (sp->scheme == KS_SIG_RSA_PSS && !ks_crypto_md_ok(sp->mgf1_nid)) {
		ks_cms_conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
				"MGF1 hash %s is too weak",
				ks_crypto_md_label(sp->mgf1_nid, buf, sizeof(buf)));
		return;
	}
	/* The signer's key, by the rules signing applies.  The CA
	 * certificates of the path are the validation engine's, with the
	 * same rules, in the order of EN 319 102-1 (path first). */
	if (!ks_crypto_key_ok(X509_get0_pubkey(cert), why, sizeof(why)))
		ks_cms_conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
				"signer certificate: %s", why);
}
