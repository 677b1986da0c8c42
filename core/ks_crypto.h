/* ks_crypto: the cryptographic minimums and certificate path building,
 * one rule set for signing (signer/ks_policy) and for verification
 * (formats/cms, formats/pdf, formats/tsp, the TSA client): a key or a
 * certificate refused on one side is refused on the other.
 *
 * The floor (Circular 15/2025/TT-BKHCN; ETSI TS 119 312): RSA of at least
 * 2048 bits (PKCS#1 v1.5 or PSS); ECDSA on the named curves P-256, P-384
 * or P-521 only (explicit curve parameters are refused whatever their
 * size: they can describe a weak or trapdoored group); digests SHA-256 or
 * stronger, for the signature itself, for a certificate's signature, and
 * inside RSASSA-PSS both the hash and the MGF1 hash.
 *
 * The checks say why in a caller's buffer; they record no error (a weak
 * algorithm is a finding in a report, or a refusal the caller words). */
#ifndef KS_CRYPTO_H
#define KS_CRYPTO_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ks_err.h"

#define KS_CRYPTO_RSA_MIN_BITS 2048
#define KS_CRYPTO_WHY_MAX 160 /* a reason fits in this many bytes */

/* ---- digests ---- */

/* SHA-256, SHA-384, SHA-512, SHA-512/256, SHA3-256/384/512. */
bool ks_crypto_md_ok(int nid);
/* A digest these rules can name, weak ones included (MD5, SHA-1, ...):
 * the only ones worth looking up to report on. */
bool ks_crypto_md_known(int nid);
/* Display name ("SHA-256"); the dotted OID is written into `buf` for an
 * unknown one ("unknown" when it has none). */
const char *ks_crypto_md_label(int nid, char *buf, size_t n);

/* ---- RSASSA-PSS ---- */

/* RFC 4055 3.1 defaults, taken when parameters are absent. */
#define KS_CRYPTO_PSS_DEFAULT_SALT 20
#define KS_CRYPTO_PSS_SALT_MAX 1024

struct ks_crypto_pss {
	int md_nid;   /* the message hash */
	int mgf1_nid; /* MGF1's hash */
	int saltlen;
};

/* The parameters of an RSASSA-PSS AlgorithmIdentifier (`ptype`/`pval`
 * as X509_ALGOR_get0 gives them).  KS_ERR_PARSE when malformed (not a
 * SEQUENCE, MGF1 without its hash, a salt outside 0..1024, a trailer
 * field other than 1), KS_ERR_UNSUPPORTED for a mask generation other
 * than MGF1.  Absent parameters are all defaults (SHA-1: too weak). */
KS_WUR int ks_crypto_pss_params(int ptype, const void *pval, struct ks_crypto_pss *out);

/* ---- keys and certificates ---- */

/* A public key strong enough to sign with, or to trust a signature of. */
bool ks_crypto_key_ok(EVP_PKEY *pub, char *why, size_t n);
/* A certificate's own signature: its hash (and, for RSASSA-PSS, the MGF1
 * hash) SHA-256 or stronger. */
bool ks_crypto_cert_sig_ok(X509 *cert, char *why, size_t n);
/* Both, for the certificate of a signing key. */
bool ks_crypto_cert_ok(X509 *cert, char *why, size_t n);
/* A certification path: the leaf by ks_crypto_cert_ok, the signature of
 * every CA certificate in `cas` (in any order; NULL for none) by
 * ks_crypto_cert_sig_ok, except a self-signed one, whose own signature
 * nobody relies on.  The reason names which certificate failed. */
bool ks_crypto_path_ok(X509 *leaf, STACK_OF(X509) * cas, char *why, size_t n);

/* ---- path building ---- */

struct ks_crypto_path_req {
	X509_STORE *trust;          /* anchors; required */
	STACK_OF(X509) * carried;   /* certificates the signature carries (may be NULL) */
	STACK_OF(X509) * untrusted; /* more from the caller (may be NULL) */
	time_t at;                  /* validation time; 0 = now */
	int purpose;                /* X509_PURPOSE_*, 0 = none required */
};

struct ks_crypto_path {
	STACK_OF(X509) * chain; /* owned: leaf ... anchor; NULL when none was found */
	int err;                /* X509_V_ERR_* when none was found */
	int depth;              /* where it failed */
};

/* Build and check the path from `cert` to an anchor of req->trust
 * (RFC 5280 6).  Returns 0 whether a path was found or not (then
 * out->chain is NULL and err/depth say why); -1 only when the check
 * could not run (memory, OpenSSL set-up).  Free with
 * ks_crypto_path_cleanup(). */
KS_WUR int ks_crypto_path_build(X509 *cert, const struct ks_crypto_path_req *req,
				struct ks_crypto_path *out);
void ks_crypto_path_cleanup(struct ks_crypto_path *p);
/* The certificate path result as text ("certificate has expired"). */
const char *ks_crypto_path_error(const struct ks_crypto_path *p);

#endif
