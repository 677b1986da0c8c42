/* ks_revocation: is a certificate revoked?  OCSP (RFC 6960) and CRLs
 * (RFC 5280), from what a document carries, a cache on disk, and the
 * network, with every answer checked before it is believed.
 *
 * Given a certificate, its issuer (the certificate that signed it: the
 * caller's path building found it), a validation time and the revocation
 * data the document carries, ks_rev_check() answers
 *   GOOD         not revoked, per an answer that covers the validation time
 *   REVOKED      revoked (time and reason given): the caller compares the
 *                revocation time with what it can prove about the
 *                signature's time
 *   UNKNOWN      an authorised OCSP responder does not know the
 *                certificate, and no CRL said more
 *   UNAVAILABLE  nothing usable: one reason per attempt says why (peer
 *                down or slow, answer stale, forged, not authorised,
 *                wrong nonce ...)
 * with the evidence it used (its DER, where it came from, its times).
 * A peer that is down, slow or lying never gives GOOD.
 *
 * Order of the sources: the document's OCSP responses, then its CRLs;
 * the cache (OCSP, then CRL); the network (the certificate's OCSP
 * responder, then its CRL distribution points), unless offline.  An
 * OCSP "unknown" goes on to the CRLs.  The first GOOD or REVOKED wins.
 *
 * Checks on an OCSP response (RFC 6960): responseStatus successful; one
 * BasicOCSPResponse whose signature verifies (SHA-256 or stronger, RSA
 * >= 2048 or EC >= 256 bits), signed by the issuer itself or by a
 * responder certificate the issuer issued with id-kp-OCSPSigning (4.2.2.2)
 * and valid at producedAt; such a delegated responder without
 * id-pkix-ocsp-nocheck is itself checked against the issuer's CRL
 * (4.2.2.2.1); a SingleResponse whose CertID (SHA-1 or SHA-2) names this
 * certificate; thisUpdate, nextUpdate and producedAt sane (below); the
 * nonce of a request kyso sent matches (missing: accepted only when
 * allowed, and said).
 *
 * Checks on a CRL (RFC 5280 6.3): issuer name and signature by the
 * issuer (cRLSign when keyUsage is present); indirect CRLs, delta CRLs,
 * partial CRLs (onlySomeReasons, or a scope that leaves this certificate
 * out) and unknown critical extensions are refused with their reason; a
 * full CRL's freshestCRL pointer is ignored (noted).
 *
 * Times (KS_REV_CLOCK_SKEW seconds of allowance for clocks that differ):
 *  - thisUpdate and producedAt not later than now + skew;
 *  - producedAt not before thisUpdate - skew;
 *  - the answer covers the validation time `at`: thisUpdate - skew <= at
 *    <= nextUpdate + skew, or it was issued after `at` (thisUpdate >= at
 *    - skew: a later "not revoked" holds for earlier times too); without
 *    nextUpdate an answer covers KS_REV_NO_NEXT_UPDATE_AGE seconds after
 *    thisUpdate;
 *  - a GOOD issued after the certificate expired is no proof (CAs may
 *    drop expired certificates from CRLs and responders) unless an OCSP
 *    archiveCutoff / CRL expiredCertsOnCRL extension reaches back to the
 *    certificate's notAfter: KS_REV_FAIL_AFTER_EXPIRY;
 *  - a cached answer is never used once its nextUpdate has passed (no
 *    skew), and an answer without nextUpdate is never cached. */
#ifndef KS_REVOCATION_H
#define KS_REVOCATION_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ks_buf.h"
#include "ks_err.h"
#include "signer/ks_http.h"

/* Clock allowance between kyso and a responder or CRL issuer (5 min). */
#define KS_REV_CLOCK_SKEW 300
/* How long an answer without nextUpdate covers (RFC 6960 2.4: newer
 * information is always available; 15 min). */
#define KS_REV_NO_NEXT_UPDATE_AGE 900
/* Sizes of what peers and documents hand us. */
#define KS_REV_OCSP_RESP_MAX ((size_t)64 << 10)
#define KS_REV_CRL_MAX ((size_t)10 << 20) /* default; opts.crl_max overrides */
/* Nonce of an OCSP request (RFC 8954: 1..32 octets). */
#define KS_REV_OCSP_NONCE_LEN 32
/* Network time limits (defaults; opts.ocsp_http / opts.crl_http override). */
#define KS_REV_OCSP_TIMEOUT_MS 10000L
#define KS_REV_CRL_TIMEOUT_MS 30000L
#define KS_REV_CONNECT_TIMEOUT_MS 5000L
/* URLs used from one certificate's AIA / CRL distribution points. */
#define KS_REV_URLS_MAX 4
/* Items one document may carry. */
#define KS_REV_DATA_ITEMS_MAX 128
/* Attempts recorded in one result (more are counted). */
#define KS_REV_ATTEMPTS_MAX 16
#define KS_REV_REASON_LEN 300
#define KS_REV_WHERE_LEN 300
/* The cache: default folder, total bytes, files, bytes of one item. */
#define KS_REV_CACHE_DEFAULT_DIR "./var/cache/revocation"
#define KS_REV_CACHE_BYTES_MAX ((size_t)64 << 20)
#define KS_REV_CACHE_FILES_MAX 4096

enum ks_rev_status {
	KS_REV_GOOD = 0,
	KS_REV_REVOKED,
	KS_REV_UNKNOWN,
	KS_REV_UNAVAILABLE,
};

/* Kind of revocation data. */
enum ks_rev_kind {
	KS_REV_OCSP = 0,
	KS_REV_CRL,
};

/* Where an item came from. */
enum ks_rev_source {
	KS_REV_SRC_DOCUMENT = 0, /* carried by the document (ks_rev_data) */
	KS_REV_SRC_CACHE,        /* the cache on disk */
	KS_REV_SRC_OCSP_URL,     /* asked just now from the OCSP responder */
	KS_REV_SRC_CRL_URL,      /* fetched just now from a CRL distribution point */
};

/* Why one attempt gave nothing usable. */
enum ks_rev_failure {
	KS_REV_FAIL_NONE = 0,
	/* nothing to ask or nothing came back: "try later" */
	KS_REV_FAIL_NO_SOURCE,   /* no OCSP URL / CRL distribution point (http) */
	KS_REV_FAIL_OFFLINE,     /* offline: the network was not asked */
	KS_REV_FAIL_NET_DOWN,    /* refused, unreachable, name not resolved */
	KS_REV_FAIL_NET_TIMEOUT, /* connect or total time limit */
	KS_REV_FAIL_NET,         /* HTTP status, content type, size limit, protocol */
	KS_REV_FAIL_RESPONDER,   /* OCSP responseStatus not successful (tryLater ...) */
	/* an answer came, and does not hold */
	KS_REV_FAIL_MALFORMED,      /* not DER of the expected structure, or over a limit */
	KS_REV_FAIL_SIGNATURE,      /* signature does not verify, or too weak */
	KS_REV_FAIL_UNAUTHORISED,   /* signer neither the issuer nor delegated by it */
	KS_REV_FAIL_NONCE,          /* wrong nonce; or missing and not allowed */
	KS_REV_FAIL_NOT_FOR_CERT,   /* about another certificate / issuer / scope */
	KS_REV_FAIL_FUTURE,         /* thisUpdate or producedAt in the future */
	KS_REV_FAIL_STALE,          /* does not cover the validation time (nextUpdate passed) */
	KS_REV_FAIL_AFTER_EXPIRY,   /* GOOD issued after the certificate expired */
	KS_REV_FAIL_UNSUPPORTED,    /* indirect / delta / partial CRL, critical extension */
	KS_REV_FAIL_RESPONDER_CERT, /* delegated responder revoked or unverifiable */
	KS_REV_FAIL__COUNT
};

/* RFC 5280 5.3.1 CRLReason; KS_REV_REASON_NONE when absent. */
#define KS_REV_REASON_NONE (-1)

/* Facts noted about a result (bits). */
enum ks_rev_note {
	KS_REV_NOTE_NO_NONCE = 1u << 0,         /* responder sent no nonce; allowed by the caller */
	KS_REV_NOTE_DELTA_IGNORED = 1u << 1,    /* a full CRL points to delta CRLs: not used */
	KS_REV_NOTE_CACHE_FAILED = 1u << 2,     /* the cache could not be read or written */
	KS_REV_NOTE_ATTEMPTS_DROPPED = 1u << 3, /* more than KS_REV_ATTEMPTS_MAX attempts */
	KS_REV_NOTE_RESPONDER_NOCHECK = 1u << 4, /* delegated responder with ocsp-nocheck */
	KS_REV_NOTE_RESPONDER_CHECKED = 1u << 5, /* delegated responder checked by CRL */
};

/* The answer relied on (GOOD, REVOKED, UNKNOWN). */
struct ks_rev_evidence {
	enum ks_rev_kind kind;
	enum ks_rev_source source;
	char where[KS_REV_WHERE_LEN]; /* URL, cache file, or "document OCSP response 2" */
	/* DER as found: a whole OCSPResponse (a document's bare
	 * BasicOCSPResponse is kept as it was given: basic_only), or a CRL. */
	struct ks_buf der;
	bool basic_only;
	time_t this_update;
	time_t next_update; /* 0 when absent */
	time_t produced_at; /* OCSP; 0 for a CRL */
	bool nonce_matched; /* OCSP asked by kyso just now: the nonce was checked */
	X509 *signer;       /* owned: OCSP responder or CRL issuer certificate */
	bool delegated;     /* OCSP signed by a delegated responder */
};

struct ks_rev_attempt {
	enum ks_rev_kind kind;
	enum ks_rev_source source;
	char where[KS_REV_WHERE_LEN];
	enum ks_rev_failure failure;
	char reason[KS_REV_REASON_LEN]; /* English, one sentence */
};

struct ks_rev_result {
	enum ks_rev_status status;
	time_t revocation_time;          /* REVOKED */
	int reason;                      /* REVOKED: CRLReason code, or KS_REV_REASON_NONE */
	struct ks_rev_evidence evidence; /* valid unless UNAVAILABLE */
	size_t n_attempts;               /* failed attempts, in order */
	struct ks_rev_attempt attempts[KS_REV_ATTEMPTS_MAX];
	unsigned notes; /* enum ks_rev_note bits */
};

void ks_rev_result_init(struct ks_rev_result *r);
void ks_rev_result_cleanup(struct ks_rev_result *r);
/* Did every attempt fail only for want of an answer (network, offline,
 * no source, responder busy)?  Then asking later may help (EN 319 102-1
 * TRY_LATER); otherwise an answer came and was rejected or stale. */
bool ks_rev_result_try_later(const struct ks_rev_result *r);
/* Was some answer rejected only because it does not cover the
 * validation time (STALE, AFTER_EXPIRY: EN 319 102-1
 * REVOCATION_OUT_OF_BOUNDS_NO_POE)? */
bool ks_rev_result_out_of_bounds(const struct ks_rev_result *r);

/* One paragraph for a report (English): the answer and where it came
 * from, or each failed attempt with its reason. */
void ks_rev_result_describe(const struct ks_rev_result *r, char *buf, size_t n);

/* Stable identifiers: "good", "revoked", "unknown", "unavailable";
 * "document", "cache", "ocsp-url", "crl-url"; "ocsp", "crl"; "net-down" ...;
 * "keyCompromise" ... ("unspecified" for 0, "" for KS_REV_REASON_NONE). */
const char *ks_rev_status_name(enum ks_rev_status s);
const char *ks_rev_source_name(enum ks_rev_source s);
const char *ks_rev_kind_name(enum ks_rev_kind k);
const char *ks_rev_failure_name(enum ks_rev_failure f);
const char *ks_rev_reason_name(int reason);

/* ---- what a document carries ------------------------------------------ */

struct ks_rev_data; /* opaque: parsed OCSP responses and CRLs */

KS_WUR int ks_rev_data_new(struct ks_rev_data **out);
void ks_rev_data_free(struct ks_rev_data *d);
/* Add one item (hostile bytes, copied).  A whole OCSPResponse (PAdES DSS
 * /OCSPs), a bare BasicOCSPResponse (CAdES RevocationValues ocspVals), a
 * CertificateList (CRL).  -1 when it is not exactly one DER structure of
 * that type within its limit (KS_ERR_PARSE / KS_ERR_LIMIT); nothing is
 * added then and the caller may go on with the others. */
KS_WUR int ks_rev_data_add_ocsp(struct ks_rev_data *d, const uint8_t *der, size_t n);
KS_WUR int ks_rev_data_add_basic_ocsp(struct ks_rev_data *d, const uint8_t *der, size_t n);
KS_WUR int ks_rev_data_add_crl(struct ks_rev_data *d, const uint8_t *der, size_t n);
size_t ks_rev_data_count(const struct ks_rev_data *d, enum ks_rev_kind kind);

/* ---- options ------------------------------------------------------------ */

/* Somewhere else to keep the cache than a folder: a shared store, so
 * that several daemons use one cache.  Items are named as the folder's
 * files are; what comes back is checked like any other item, so the
 * store is no more trusted than the folder. */
struct ks_rev_cache_ops {
	void *arg;
	/* The item (at most max bytes) into out; *found false when absent
	 * or past its expiry. */
	int (*get)(void *arg, const char *name, size_t max, struct ks_buf *out, bool *found);
	/* Keep the item until `expires` (its nextUpdate). */
	int (*put)(void *arg, const char *name, const uint8_t *der, size_t n, time_t expires);
	/* Forget an item found unusable. */
	void (*drop)(void *arg, const char *name);
};

struct ks_rev_opts {
	bool offline;        /* only the document's data and the cache */
	bool allow_no_nonce; /* accept an OCSP answer without nonce (noted) */
	bool no_ocsp;        /* skip OCSP (document, cache, network) */
	bool no_crl;         /* skip CRLs */
	/* Cache folder; NULL: KS_REV_CACHE_DEFAULT_DIR; "": no cache. */
	const char *cache_dir;
	/* The cache through these instead of cache_dir (NULL: the folder). */
	const struct ks_rev_cache_ops *cache_ops;
	size_t cache_max_bytes; /* 0: KS_REV_CACHE_BYTES_MAX */
	size_t crl_max;         /* 0: KS_REV_CRL_MAX */
	/* Time limits; 0 fields take the KS_REV_* defaults. */
	struct ks_http_opts ocsp_http;
	struct ks_http_opts crl_http;
	long skew;  /* seconds; 0: KS_REV_CLOCK_SKEW; negative: none */
	time_t now; /* the clock; 0: time(NULL) (tests move it) */
};

void ks_rev_opts_init(struct ks_rev_opts *o);

/* ---- the check ------------------------------------------------------ */

/* Status of `cert`, issued by `issuer`, at validation time `at` (0 =
 * now), from `doc` (may be NULL) and, per `o` (NULL: defaults), the cache
 * and the network.  r must have been initialised (it is cleaned first).
 * Returns 0 when the check ran, whatever its answer (read r->status);
 * -1 only for bad arguments or no memory.  The issuer must have issued
 * cert (name and signature), else -1 with KS_ERR_ARG. */
KS_WUR int ks_rev_check(X509 *cert, X509 *issuer, time_t at, const struct ks_rev_data *doc,
			const struct ks_rev_opts *o, struct ks_rev_result *r);

#endif
