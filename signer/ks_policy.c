/* Signing policy (Circular 15/2025/TT-BKHCN): checks on the signer
 * certificate and the algorithms, made before the key is asked to sign. */
#include "signer/ks_policy.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

static void time_text(const ASN1_TIME *t, char *buf, size_t n)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, n, "(unreadable)");
}

static const char *subject_cn(X509 *cert, char *buf, size_t n)
{
	int len = n > 1024 ? 1024 : (int)n;

	if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, len) < 0)
		snprintf(buf, n, "(no common name)");
	ERR_clear_error();
	return buf;
}

static int check_validity(X509 *cert, time_t at, const char *who)
{
	char when[64];
	int c;

	c = X509_cmp_time(X509_get0_notBefore(cert), &at);
	if (c == 0)
		return KS_SET(KS_ERR_POLICY, "certificate of %s: unreadable notBefore", who);
	if (c > 0) {
		time_text(X509_get0_notBefore(cert), when, sizeof(when));
		return KS_SET(KS_ERR_POLICY,
			      "certificate of %s is not valid yet (validity period: from %s)", who,
			      when);
	}
	c = X509_cmp_time(X509_get0_notAfter(cert), &at);
	if (c == 0)
		return KS_SET(KS_ERR_POLICY, "certificate of %s: unreadable notAfter", who);
	if (c < 0) {
		time_text(X509_get0_notAfter(cert), when, sizeof(when));
		return KS_SET(KS_ERR_POLICY, "certificate of %s expired on %s (validity period)",
			      who, when);
	}
	return 0;
}

/* RFC 5280 4.2.1.3: a signing key's certificate must assert
 * digitalSignature or nonRepudiation (contentCommitment).  Without the
 * extension the certificate says nothing about the key's purpose, and
 * signing software must not assume it. */
static int check_key_usage(X509 *cert, const char *who)
{
	uint32_t flags = X509_get_extension_flags(cert);
	uint32_t ku;

	if ((flags & EXFLAG_INVALID) != 0)
		return KS_SET(KS_ERR_POLICY, "certificate of %s has malformed extensions", who);
	if ((flags & EXFLAG_KUSAGE) == 0)
		return KS_SET(KS_ERR_POLICY,
			      "certificate of %s has no keyUsage extension: it is not issued for "
			      "signing (keyUsage digitalSignature or nonRepudiation required)",
			      who);
	ku = X509_get_key_usage(cert);
	if ((ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0)
		return KS_SET(KS_ERR_POLICY,
			      "certificate of %s is not issued for signing: keyUsage lacks "
			      "digitalSignature and nonRepudiation",
			      who);
	return 0;
}

static int check_key_strength(X509 *cert, const char *who)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	char group[64];
	int bits, nid;

	if (pub == NULL) {
		ERR_clear_error();
		return KS_SET(KS_ERR_POLICY, "certificate of %s has no usable public key", who);
	}
	bits = EVP_PKEY_get_bits(pub);
	if (EVP_PKEY_is_a(pub, "RSA") || EVP_PKEY_is_a(pub, "RSA-PSS")) {
		if (bits < KS_POLICY_RSA_MIN_BITS)
			return KS_SET(KS_ERR_POLICY,
				      "key of %s is RSA-%d: at least RSA-%d is required", who, bits,
				      KS_POLICY_RSA_MIN_BITS);
		return 0;
	}
	if (EVP_PKEY_is_a(pub, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), NULL) != 1) {
			ERR_clear_error();
			return KS_SET(KS_ERR_POLICY,
				      "key of %s uses explicit EC parameters: a named curve "
				      "(P-256, P-384, P-521) is required",
				      who);
		}
		nid = OBJ_sn2nid(group);
		if (nid == NID_undef)
			nid = EC_curve_nist2nid(group);
		if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 && nid != NID_secp521r1)
			return KS_SET(KS_ERR_POLICY,
				      "key of %s is on curve %s: P-256, P-384 or P-521 is required",
				      who, group);
		return 0;
	}
	return KS_SET(KS_ERR_POLICY, "key of %s is %s: RSA or ECDSA is required", who,
		      EVP_PKEY_get0_type_name(pub));
}

static bool strong_hash(int nid)
{
	return nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512 ||
	       nid == NID_sha512_256 || nid == NID_sha3_256 || nid == NID_sha3_384 ||
	       nid == NID_sha3_512;
}

static int check_cert_signature(X509 *cert, const char *who)
{
	int mdnid = NID_undef, pknid = NID_undef, secbits = 0;
	uint32_t flags = 0;

	if (X509_get_signature_info(cert, &mdnid, &pknid, &secbits, &flags) != 1) {
		ERR_clear_error();
		return KS_SET(KS_ERR_POLICY,
			      "certificate of %s is signed with an unknown algorithm", who);
	}
	if (!strong_hash(mdnid))
		return KS_SET(KS_ERR_POLICY,
			      "certificate of %s is signed with %s: SHA-256 or stronger is "
			      "required (no MD5 or SHA-1)",
			      who, mdnid != NID_undef ? OBJ_nid2sn(mdnid) : "an unknown hash");
	return 0;
}

int ks_policy_check_cert(X509 *cert, time_t at)
{
	char who[256];

	if (cert == NULL)
		return KS_SET(KS_ERR_POLICY, "no signer certificate");
	if (at == 0)
		at = time(NULL);
	subject_cn(cert, who, sizeof(who));
	if (check_validity(cert, at, who) < 0 || check_key_usage(cert, who) < 0 ||
	    check_key_strength(cert, who) < 0 || check_cert_signature(cert, who) < 0)
		return -1;
	return 0;
}

int ks_policy_check_md(enum ks_md md)
{
	switch (md) {
	case KS_MD_SHA256:
	case KS_MD_SHA384:
	case KS_MD_SHA512:
		return 0;
	}
	return KS_SET(KS_ERR_POLICY, "digest %d is not allowed: SHA-256 or stronger is required",
		      (int)md);
}

int ks_policy_check_key(const struct ks_key *key, enum ks_md md, time_t at)
{
	if (key == NULL)
		return KS_SET(KS_ERR_POLICY, "no signing key");
	if (ks_policy_check_md(md) < 0)
		return -1;
	return ks_policy_check_cert(key->cert, at);
}
