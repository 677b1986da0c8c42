/* Signing policy (Circular 15/2025/TT-BKHCN): checks on the signer
 * certificate and the algorithms, made before the key is asked to sign. */
#include "signer/ks_policy.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "ks_crypto.h"

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

/* Key strength and the certificate's own signature: the rules every
 * signature kyso verifies is held to as well (core/ks_crypto). */
static int check_crypto(X509 *cert, const char *who)
{
	char why[KS_CRYPTO_WHY_MAX];

	if (!ks_crypto_cert_ok(cert, why, sizeof(why)))
		return KS_SET(KS_ERR_POLICY, "certificate of %s: %s", who, why);
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
	    check_crypto(cert, who) < 0)
		return -1;
	return 0;
}

int ks_policy_check_md(enum ks_md md)
{
	const EVP_MD *e = ks_md_evp(md);

	if (e == NULL || !ks_crypto_md_ok(EVP_MD_get_type(e)))
		return KS_SET(KS_ERR_POLICY,
			      "digest %d is not allowed: SHA-256 or stronger is required", (int)md);
	return 0;
}

int ks_policy_check_key(const struct ks_key *key, enum ks_md md, time_t at)
{
	char why[KS_CRYPTO_WHY_MAX];

	if (key == NULL)
		return KS_SET(KS_ERR_POLICY, "no signing key");
	if (ks_policy_check_md(md) < 0 || ks_policy_check_cert(key->cert, at) < 0)
		return -1;
	/* The issuing CAs the key comes with: a verifier refuses a path
	 * with a weakly signed CA certificate, so signing does too. */
	if (!ks_crypto_path_ok(key->cert, key->chain, why, sizeof(why)))
		return KS_SET(KS_ERR_POLICY, "the certificate path of the signing key: %s", why);
	return 0;
}
