/* ks_trust: the trust store of validation.  Trust anchors (the roots a
 * deployment trusts: `--trust FILE|DIR`, the configuration's list of
 * paths) and intermediate CA certificates (a configured folder, plus the
 * certificates a document or signature carries, added per validation).
 *
 * A store is built once, then only read: several validations (threads of
 * the daemon) may share it.  What one validation adds lives in its own
 * pool (struct ks_trust_pool), freed when that validation ends.
 *
 * Anchors must be CA certificates (basicConstraints cA=TRUE, and
 * keyCertSign when keyUsage is present): an end-entity certificate given
 * as an anchor is refused and a note says which; the same certificate
 * given twice is kept once and a note says so.  Anchors are trust anchors
 * in the sense of RFC 5280 6.1.1 (d): a path may end at any of them,
 * self-signed or not.
 *
 * Every path building goes through ks_trust_pool_chain(), one function,
 * over core/ks_crypto's path builder. */
#ifndef KS_TRUST_H
#define KS_TRUST_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "formats/cms/ks_etsi.h"
#include "ks_err.h"

/* Certificates in one store: anchors and intermediates together. */
#define KS_TRUST_CERTS_MAX 1000
/* Bytes of one certificate file (PEM bundle or DER). */
#define KS_TRUST_FILE_MAX ((size_t)1 << 20)
/* Directory entries examined in one folder of certificates. */
#define KS_TRUST_DIR_ENTRIES_MAX 4096
/* Notes kept (more are counted, not kept). */
#define KS_TRUST_NOTES_MAX 64
#define KS_TRUST_NOTE_LEN 400
/* Certificates one validation may add (what a document carries). */
#define KS_TRUST_POOL_MAX 256
/* Bytes of one DER certificate taken from a document. */
#define KS_TRUST_CERT_DER_MAX ((size_t)64 << 10)

struct ks_trust; /* opaque */

enum ks_trust_note_kind {
	KS_TRUST_NOTE_DUPLICATE = 1, /* same certificate again: ignored */
	KS_TRUST_NOTE_NOT_CA,        /* not a CA certificate: refused */
	KS_TRUST_NOTE_EXPIRED,       /* outside its validity period now: kept, said */
	KS_TRUST_NOTE_SKIPPED,       /* a file of a directory that is not certificates */
};

struct ks_trust_note {
	enum ks_trust_note_kind kind;
	char text[KS_TRUST_NOTE_LEN]; /* English, names subject and file */
};

/* A new, empty store.  Free with ks_trust_free(). */
KS_WUR int ks_trust_new(struct ks_trust **out);
void ks_trust_free(struct ks_trust *t);

/* Anchors from a file (PEM, any number of certificates, or one DER
 * certificate) or a directory (every *.pem, *.crt, *.cer, *.der in it,
 * not recursive, hidden files skipped, in name order).  A path that
 * yields no anchor at all (nothing readable, or only refused
 * certificates) is an error naming it: KS_ERR_NOT_FOUND, KS_ERR_CERT
 * for a file that is not a certificate, KS_ERR_LIMIT above the limits,
 * KS_ERR_IO.  Refused and duplicate certificates become notes. */
KS_WUR int ks_trust_add_anchors(struct ks_trust *t, const char *path);
/* The same for each of `n` paths (the configuration file's list). */
KS_WUR int ks_trust_add_anchor_paths(struct ks_trust *t, const char *const *paths, size_t n);
/* One anchor already in memory (up-referenced); `source` names where it
 * came from in notes and listings (copied).  A non-CA certificate is
 * KS_ERR_CERT here; a duplicate is a note and 0. */
KS_WUR int ks_trust_add_anchor_cert(struct ks_trust *t, X509 *cert, const char *source);
/* Intermediate CA certificates from a file or directory (as anchors,
 * same formats).  Non-CA certificates are refused with a note. */
KS_WUR int ks_trust_add_intermediates(struct ks_trust *t, const char *path);

size_t ks_trust_anchor_count(const struct ks_trust *t);
/* Anchor i (borrowed, valid while the store lives), and where it came
 * from. */
X509 *ks_trust_anchor(const struct ks_trust *t, size_t i);
const char *ks_trust_anchor_source(const struct ks_trust *t, size_t i);
size_t ks_trust_intermediate_count(const struct ks_trust *t);
/* Notes recorded while loading, in order (borrowed). */
size_t ks_trust_note_count(const struct ks_trust *t);
const struct ks_trust_note *ks_trust_note(const struct ks_trust *t, size_t i);

/* ---- what a listing shows ---------------------------------------------- */

#define KS_TRUST_SUBJECT_LEN 512
#define KS_TRUST_FPR_LEN 96 /* 32 bytes as "AB:CD:...": 95 characters and NUL */

struct ks_trust_cert_info {
	char subject[KS_TRUST_SUBJECT_LEN]; /* "C = VN, O = ..., CN = ...", UTF-8 */
	char sha256[KS_TRUST_FPR_LEN];      /* fingerprint of the DER, colon hex, upper case */
	time_t not_before, not_after;
	bool valid_now; /* not_before <= now <= not_after */
};

/* Facts about a certificate at time `now` (0: the current time). */
KS_WUR int ks_trust_cert_info(X509 *cert, time_t now, struct ks_trust_cert_info *out);

/* ---- one validation ---------------------------------------------------- */

struct ks_trust_pool; /* opaque */

/* A pool for one validation over store `t` (which must outlive it):
 * the store's intermediates, plus what ks_trust_pool_add*() brings. */
KS_WUR int ks_trust_pool_new(const struct ks_trust *t, struct ks_trust_pool **out);
void ks_trust_pool_free(struct ks_trust_pool *p);
/* Add an untrusted certificate (up-referenced; a copy already present
 * is not added twice).  KS_ERR_LIMIT past KS_TRUST_POOL_MAX. */
KS_WUR int ks_trust_pool_add(struct ks_trust_pool *p, X509 *cert);
KS_WUR int ks_trust_pool_add_stack(struct ks_trust_pool *p, STACK_OF(X509) * certs);
/* One DER certificate from a document (hostile bytes: exactly one
 * Certificate, at most KS_TRUST_CERT_DER_MAX bytes).  KS_ERR_PARSE and
 * nothing added when it is not one. */
KS_WUR int ks_trust_pool_add_der(struct ks_trust_pool *p, const unsigned char *der, size_t n);
/* The untrusted certificates (borrowed). */
STACK_OF(X509) * ks_trust_pool_certs(const struct ks_trust_pool *p);

/* The issuer of `cert` among the anchors, then the pool: a certificate
 * whose subject is cert's issuer, that may issue certificates
 * (X509_check_issued) and whose key verifies cert's signature.  NULL
 * when none does (borrowed otherwise). */
X509 *ks_trust_pool_find_issuer(const struct ks_trust_pool *p, X509 *cert);

/* A certification path (RFC 5280 6.1) from `cert` to an anchor. */
struct ks_trust_path {
	bool ok;                /* a valid path was found */
	int error;              /* X509_V_ERR_* when !ok (0 when ok) */
	int error_depth;        /* where in the path it failed */
	char detail[256];       /* English, "" when ok */
	STACK_OF(X509) * chain; /* owned: cert first, anchor last; NULL when !ok */
};

void ks_trust_path_init(struct ks_trust_path *path);
void ks_trust_path_cleanup(struct ks_trust_path *path);
/* Build and validate the path of `cert` at time `at` (0: now) through
 * the pool's certificates to the store's anchors.  Returns 0 when it ran
 * (read path->ok), -1 only when it could not (memory). */
KS_WUR int ks_trust_pool_chain(const struct ks_trust_pool *p, X509 *cert, time_t at,
			       struct ks_trust_path *path);
/* What a path that failed with `x509_err` (X509_V_ERR_*) means in the
 * EN 319 102-1 vocabulary (5.2.6): NO_CERTIFICATE_CHAIN_FOUND,
 * OUT_OF_BOUNDS_NO_POE, CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
 * CHAIN_CONSTRAINTS_FAILURE or CERTIFICATE_CHAIN_GENERAL_FAILURE. */
enum ks_subindication ks_trust_path_sub(int x509_err);

#endif
