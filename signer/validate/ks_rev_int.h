/* Internals shared by the revocation files (not for other modules).
 *
 * Files and who calls whom (no loops):
 *   ks_revocation.c  ks_rev_check: the order of sources
 *     -> ks_rev_ocsp.c   OCSP: document, cache, responder
 *     -> ks_rev_crl.c    CRLs: document, cache, distribution points
 *          (ks_rev_ocsp.c also calls it for a delegated responder)
 *     -> ks_rev_cache.c  files under the cache folder
 *     -> ks_rev_common.c parsing, document data, times, algorithms,
 *                        results */
#ifndef KS_REV_INT_H
#define KS_REV_INT_H

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "signer/validate/ks_revocation.h"

/* One item a document carries, parsed once. */
struct ks_rev_item {
	enum ks_rev_kind kind;
	OCSP_BASICRESP *bs; /* OCSP: the basic response */
	X509_CRL *crl;      /* CRL */
	struct ks_buf der;  /* as given */
	bool basic_only;    /* OCSP given as a bare BasicOCSPResponse */
};

struct ks_rev_data {
	struct ks_rev_item items[KS_REV_DATA_ITEMS_MAX];
	size_t n;
};

/* Options with their defaults resolved, and the times of one check. */
struct ks_rev_env {
	const struct ks_rev_opts *o;
	time_t now;            /* the clock */
	time_t at;             /* validation time */
	long skew;             /* seconds */
	const char *cache_dir; /* NULL: no cache (KS_REV_CACHE_OPS_DIR: cache_ops) */
	const struct ks_rev_cache_ops *cache_ops;
	size_t cache_max, crl_max;
	struct ks_http_opts ocsp_http, crl_http;
	int depth; /* 1 inside a delegated responder's own check */
};

/* What one checked item says. */
struct ks_rev_answer {
	enum ks_rev_status status; /* GOOD, REVOKED or UNKNOWN */
	time_t revocation_time;
	int reason;
	time_t this_update, next_update, produced_at;
	X509 *signer; /* borrowed from the item */
	bool delegated, nonce_matched, no_nonce;
	unsigned notes;
};

/* One failure of an item: code and sentence. */
struct ks_rev_fail {
	enum ks_rev_failure code;
	char why[KS_REV_REASON_LEN];
};

KS_PRINTF(3, 4)
void ks_rev_failf(struct ks_rev_fail *f, enum ks_rev_failure code, const char *fmt, ...);

/* ---- common (ks_rev_common.c) ---- */

KS_WUR int ks_rev_env_init(struct ks_rev_env *e, const struct ks_rev_opts *o, time_t at);
/* ASN1 time to seconds; false when unreadable. */
bool ks_rev_time(const ASN1_TIME *t, time_t *out);
/* "2026-12-04 16:11:59 UTC" */
void ks_rev_time_text(time_t t, char *buf, size_t n);
/* The subject of a certificate, one line, for messages. */
void ks_rev_subject(X509 *cert, char *buf, size_t n);
/* Does [this, next] cover e->at, and are the times sane against the
 * clock?  `next` 0: none.  On failure f says why. */
bool ks_rev_covers(const struct ks_rev_env *e, time_t this_update, time_t next_update,
		   struct ks_rev_fail *f);
/* A GOOD issued after cert expired is no proof unless `cutoff` (0:
 * none; archiveCutoff or expiredCertsOnCRL) reaches back to notAfter. */
bool ks_rev_before_expiry(X509 *cert, time_t this_update, time_t cutoff, struct ks_rev_fail *f);
/* Signature algorithm and key strong enough (core/ks_crypto's rules). */
bool ks_rev_sig_strong(const X509_ALGOR *alg, EVP_PKEY *key, struct ks_rev_fail *f);
/* A ks_http failure (current error) as an attempt failure. */
enum ks_rev_failure ks_rev_net_failure(void);
/* Exactly one DER SEQUENCE of n bytes (definite lengths). */
KS_WUR int ks_rev_der_one(const uint8_t *der, size_t n, size_t max, const char *what);
KS_WUR int ks_rev_parse_ocsp(const uint8_t *der, size_t n, OCSP_RESPONSE **out);
KS_WUR int ks_rev_parse_basic(const uint8_t *der, size_t n, OCSP_BASICRESP **out);
KS_WUR int ks_rev_parse_crl(const uint8_t *der, size_t n, size_t max, X509_CRL **out);
/* Record a failed attempt. */
void ks_rev_attempt(struct ks_rev_result *r, enum ks_rev_kind kind, enum ks_rev_source source,
		    const char *where, const struct ks_rev_fail *f);
/* Take an answer as the result (GOOD / REVOKED replace anything;
 * UNKNOWN only replaces UNAVAILABLE).  The DER is copied. */
KS_WUR int ks_rev_accept(struct ks_rev_result *r, const struct ks_rev_answer *a,
			 enum ks_rev_kind kind, enum ks_rev_source source, const char *where,
			 const uint8_t *der, size_t n, bool basic_only);
/* Has r a final answer (GOOD or REVOKED)? */
bool ks_rev_final(const struct ks_rev_result *r);
/* http(s) URLs: the OCSP responders of cert's AIA, or its CRL
 * distribution points (fullName URIs; a point with a cRLIssuer or
 * reasons is skipped and counted in *skipped).  Each is malloc'd. */
size_t ks_rev_ocsp_urls(X509 *cert, char **urls, size_t max);
size_t ks_rev_crl_urls(X509 *cert, char **urls, size_t max, size_t *skipped);
void ks_rev_urls_free(char **urls, size_t n);

/* ---- cache (ks_rev_cache.c) ---- */

#define KS_REV_CACHE_NAME_LEN 80 /* "ocsp-" / "crl-" + 64 hex + ".der" */
/* What cache_dir says (in "where" texts) when the cache is cache_ops. */
#define KS_REV_CACHE_OPS_DIR "(shared store)"

/* File names: OCSP by issuer (name and key) and serial; CRL by URL and
 * issuer. */
KS_WUR int ks_rev_cache_name_ocsp(X509 *issuer, const ASN1_INTEGER *serial, char *out);
KS_WUR int ks_rev_cache_name_crl(X509 *issuer, const char *url, char *out);
/* Read one item (at most max bytes); *found false when absent. */
KS_WUR int ks_rev_cache_get(const struct ks_rev_env *e, const char *name, size_t max,
			    struct ks_buf *out, bool *found);
/* Store one item atomically, valid until next_update; then keep the
 * folder within its bounds (expired items first, then those expiring
 * soonest). */
KS_WUR int ks_rev_cache_put(const struct ks_rev_env *e, const char *name, const uint8_t *der,
			    size_t n, time_t next_update);
/* Remove an item found unusable. */
void ks_rev_cache_drop(const struct ks_rev_env *e, const char *name);

/* ---- CRL (ks_rev_crl.c) ---- */

KS_WUR int ks_rev_crl_doc(const struct ks_rev_env *e, X509 *cert, X509 *issuer,
			  const struct ks_rev_data *doc, struct ks_rev_result *r);
KS_WUR int ks_rev_crl_cache(const struct ks_rev_env *e, X509 *cert, X509 *issuer,
			    struct ks_rev_result *r);
KS_WUR int ks_rev_crl_net(const struct ks_rev_env *e, X509 *cert, X509 *issuer,
			  struct ks_rev_result *r);
/* All three, in order, until an answer (a delegated OCSP responder's
 * own status). */
KS_WUR int ks_rev_crl_status(const struct ks_rev_env *e, X509 *cert, X509 *issuer,
			     const struct ks_rev_data *doc, struct ks_rev_result *r);

/* ---- OCSP (ks_rev_ocsp.c) ---- */

KS_WUR int ks_rev_ocsp_doc(const struct ks_rev_env *e, X509 *cert, X509 *issuer,
			   const struct ks_rev_data *doc, struct ks_rev_result *r);
KS_WUR int ks_rev_ocsp_cache(const struct ks_rev_env *e, X509 *cert, X509 *issuer,
			     const struct ks_rev_data *doc, struct ks_rev_result *r);
KS_WUR int ks_rev_ocsp_net(const struct ks_rev_env *e, X509 *cert, X509 *issuer,
			   const struct ks_rev_data *doc, struct ks_rev_result *r);

#endif
