/* ks_key: the one signing-key interface that formats/ and pkcs11/ meet at
 * (DESIGN.md, layers).  A key signs a digest it is given; it never sees
 * the document.  Implementations: token key (pkcs11/), file key (PEM or
 * PKCS#12, this module), external key (signature supplied later). */
#ifndef KS_KEY_H
#define KS_KEY_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

#include "ks_buf.h"

enum ks_md { KS_MD_SHA256, KS_MD_SHA384, KS_MD_SHA512 };
enum ks_key_type { KS_KEY_RSA, KS_KEY_EC };
enum ks_sig_scheme { KS_SIG_RSA_PKCS1, KS_SIG_RSA_PSS, KS_SIG_ECDSA };

struct ks_key;

struct ks_key_ops {
	const char *kind; /* "token", "file", "external" */
	/* Sign `digest` (the hash of the data, len ks_md_size(md)).  RSA keys
	 * produce the raw signature; EC keys a DER ECDSA-Sig-Value.  PSS uses
	 * MGF1 with the same hash and a salt as long as the hash. */
	int (*sign)(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
		    const uint8_t *digest, size_t dlen, struct ks_buf *sig);
	void (*destroy)(void *impl);
};

struct ks_key {
	const struct ks_key_ops *ops;
	void *impl;
	X509 *cert;              /* owned; signer certificate */
	uint8_t cert_sha256[32]; /* its SHA-256 (ESS signing-certificate-v2) */
	STACK_OF(X509) * chain;  /* owned; issuing CAs, may be empty, never NULL */
	enum ks_key_type type;
	int bits;    /* RSA modulus bits or EC field bits */
	char *label; /* owned; for messages, never secret */
};

/* Allocate a key around `impl` (owned by the key from then on, even on
 * failure).  The certificate is referenced (up-ref), the chain copied. */
KS_WUR int ks_key_new(const struct ks_key_ops *ops, void *impl, X509 *cert, STACK_OF(X509) * chain,
		      const char *label, struct ks_key **out);
void ks_key_free(struct ks_key *key);

KS_WUR int ks_key_sign(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
		       const uint8_t *digest, size_t dlen, struct ks_buf *sig);
/* RSA -> PKCS#1 v1.5, EC -> ECDSA. */
enum ks_sig_scheme ks_key_default_scheme(const struct ks_key *key);
/* "RSA PKCS#1 v1.5", "RSA-PSS", "ECDSA" ("unknown" otherwise). */
const char *ks_sig_scheme_name(enum ks_sig_scheme s);

size_t ks_md_size(enum ks_md md);
const char *ks_md_name(enum ks_md md); /* "SHA-256" ... */
const EVP_MD *ks_md_evp(enum ks_md md);
KS_WUR int ks_md_parse(const char *name, enum ks_md *md); /* "sha256", "SHA-256" ... */
/* One-shot digest into out (appended). */
KS_WUR int ks_md_digest(enum ks_md md, const void *data, size_t n, struct ks_buf *out);

/* DER DigestInfo (PKCS#1 v1.5, RFC 8017 9.2) for CKM_RSA_PKCS-style signing. */
KS_WUR int ks_digestinfo(enum ks_md md, const uint8_t *digest, size_t dlen, struct ks_buf *out);
/* Raw r||s (PKCS#11 CKM_ECDSA output) to DER ECDSA-Sig-Value. */
KS_WUR int ks_ecdsa_raw_to_der(const uint8_t *raw, size_t n, struct ks_buf *out);

/* Verify `sig` over `digest` with the public key of `cert` (tests and
 * self-checks after signing). */
KS_WUR int ks_key_verify_digest(X509 *cert, enum ks_sig_scheme scheme, enum ks_md md,
				const uint8_t *digest, size_t dlen, const uint8_t *sig,
				size_t siglen);

/* File key: `key_path` is a PEM private key (then `cert_path` is required)
 * or a PKCS#12 file (.p12/.pfx; `pass` unlocks it, cert and chain come from
 * it).  `chain_path` (PEM, may be NULL) adds issuing CAs.  `pass` may be
 * NULL; it is not kept. */
KS_WUR int ks_filekey_open(const char *key_path, const char *cert_path, const char *chain_path,
			   const char *pass, struct ks_key **out);

/* Load every certificate of a PEM file, or the one certificate of a DER
 * file, into *out (a new stack).  A regular file of at most 4 MiB. */
KS_WUR int ks_pem_load_certs(const char *path, STACK_OF(X509) * *out);

/* ---- external key (two-phase signing, core/ks_extkey.c) ----
 *
 * The private key is somewhere else (a token on the principal's computer,
 * reached through the HTTP API): the signature arrives later.  Flow:
 *   1. ks_extkey_new() with the signer's certificate (and chain);
 *   2. run the signing operation (e.g. ks_cms_sign_digest): the key's
 *      sign() records the digest it was asked to sign and fails with
 *      KS_ERR_PENDING -- an expected outcome, not a fault;
 *   3. ks_extkey_pending() gives that digest, scheme and hash; the client
 *      signs it;
 *   4. ks_extkey_set_signature() checks the signature against the
 *      certificate and that digest, and keeps it;
 *   5. run the same operation again with the same inputs (fixed signing
 *      time included): sign() asked for exactly that digest returns the
 *      supplied signature; asked for any other it fails with KS_ERR_ARG
 *      (the inputs changed between the two phases).
 * set_signature() may also be called on a fresh key in another process,
 * with the digest saved at step 3. */
KS_WUR int ks_extkey_new(X509 *cert, STACK_OF(X509) * chain, const char *label,
			 struct ks_key **out);
/* Was sign() asked for a digest that has no signature yet? */
bool ks_extkey_is_pending(const struct ks_key *key);
/* The digest sign() was last asked for (appended to `digest`), with its
 * scheme and hash.  KS_ERR_ARG when nothing was asked or `key` is not an
 * external key. */
KS_WUR int ks_extkey_pending(const struct ks_key *key, enum ks_sig_scheme *scheme, enum ks_md *md,
			     struct ks_buf *digest);
/* Supply the signature of `digest`: RSA raw, ECDSA DER or raw r||s
 * (PKCS#11 / WebCrypto form, converted).  Refused (KS_ERR_ARG) unless it
 * verifies with the key's certificate. */
KS_WUR int ks_extkey_set_signature(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
				   const uint8_t *digest, size_t dlen, const uint8_t *sig,
				   size_t siglen);

#endif
