/* ks_api_int: the service's insides shared by its files (ks_api_svc.c:
 * lifecycle and the shared helpers; ks_api_sign.c and ks_api_twophase.c:
 * the signing routes; ks_api_routes.c: the others).  Not for use outside
 * api/. */
#ifndef KS_API_INT_H
#define KS_API_INT_H

#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "api/ks_api_conf.h"
#include "api/ks_api_http.h"
#include "api/ks_api_proxy.h"
#include "api/ks_api_problem.h"
#include "api/ks_api_req.h"
#include "api/ks_api_svc.h"
#include "api/ks_audit.h"
#include "api/ks_store.h"
#include "api/ks_tsa_http.h"
#include "formats/tsp/ks_tsp_server.h"
#include "signer/ks_http.h"
#include "signer/ks_job.h"
#include "signer/ks_record_ref.h"
#include "signer/ks_tsa_client.h"
#include "signer/validate/ks_engine.h"
#include "signer/validate/ks_precheck.h"
#include "signer/validate/ks_revocation.h"
#include "signer/validate/ks_trust.h"

#define KS_API_RATE_SLOTS 4096
#define KS_API_DOC_DIGEST_HEX 65 /* SHA-256 hex with the NUL */

struct ks_api_key {
	const struct ks_api_key_conf *conf;
	pthread_mutex_t lock; /* opening */
	struct ks_key *key;   /* NULL while it could not be opened */
	EVP_PKEY *act_pub;    /* personal keys: the holder's activation key */
	atomic_ullong signatures, errors;
};

/* A queued audit row (the event's texts copied). */
#define KS_API_AUDIT_BATCH_MAX 1024
struct ks_api_audit_row {
	char op[32], client[KS_STORE_NAME_MAX], key[KS_STORE_NAME_MAX];
	char digest[KS_STORE_DIGEST_MAX], level[16], outcome[48], request[32];
	char addr[KS_API_ADDR_MAX];
	uint64_t count;
	char record[KS_RECORD_REF_MAX + 1], signed_digest[KS_STORE_DIGEST_MAX];
	char signer[KS_AUDIT_FIELD_MAX + 1];
	char session[40];
	struct ks_api_later *later; /* settled after the commit (or NULL) */
};

struct ks_api_auditq {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct ks_api_audit_row *rows, *spare;
	size_t n;
	uint64_t next;      /* the batch that takes the rows queued now */
	uint64_t committed; /* the last batch written (or failed) */
	uint64_t failed;    /* the last batch that failed */
	size_t waiting;     /* requests waiting for their rows' commit */
	bool gathering;     /* the writer waits for more rows (ks_api_auditq.c) */
	bool inited, started, stopping, writer_gone;
	pthread_t th;
};

/* A token bucket of the public endpoints' rate limit (ks_api_rate_ok). */
struct ks_api_rate_slot {
	double tokens;
	double last; /* monotonic seconds; 0: not used yet */
};

struct ks_api_svc {
	const struct ks_api_conf *conf;
	struct ks_store *store;
	struct ks_api_key keys[KS_CONF_KEYS_MAX];
	size_t n_keys;
	bool p11;
	struct ks_trust *trust;   /* anchors of /v1/verify and the pre-signing check */
	struct ks_validation val; /* what /v1/verify validates with */
	struct ks_rev_opts rev;   /* revocation of the pre-signing check */
	enum ks_rev_policy rev_policy;
	struct ks_rev_cache_ops rev_cache; /* the revocation cache in the store */
	/* the built-in TSA: /v1/timestamp and B-T */
	struct ks_key *tsa_key;
	struct ks_tsp_server *tsp;
	struct ks_tsa_http *tsa_http;
	struct ks_tsa_client tsa;
	char tsa_url[96];
	/* the audit log */
	struct ks_key *audit_key;
	struct ks_audit_signer audit;
	struct ks_api_auditq aq;
	atomic_uint busy; /* requests the workers hold (ks_api_http_cfg.busy) */
	struct ks_api_refusals *refusals;
	atomic_ullong audit_errors;
	atomic_ullong audit_commits, audit_rows; /* written by the group commit */
	/* /v1/verify per address */
	pthread_mutex_t rate_lock;
	struct ks_api_proxies proxies; /* [server] trusted-proxies */
	struct ks_api_rate_slot *rate;
	uint64_t rate_seed; /* random: which networks share a slot is not foreseeable */
	atomic_ullong token_errors, rate_limited;
	/* housekeeping */
	pthread_t keeper;
	bool keeper_started;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stopping;
	struct ks_api_http *http;
	struct ks_buf openapi; /* docs/openapi.yaml as read at start */
};

/* An authenticated client, or none. */
struct ks_api_caller {
	bool authenticated;
	struct ks_store_client c;
};

/* Answer with a problem, log it with the request id (and the internal
 * error when `internal` is true). */
void ks_api_fail(const struct ks_api_request *q, struct ks_api_reply *r, const char *code,
		 const char *detail, bool internal);
/* Audit one event of this request; returns when the row is durable.
 * -1 (logged and counted) when it could not be written: a result whose
 * row is missing is then not handed out. */
int ks_api_audit(struct ks_api_svc *s, const struct ks_api_request *q,
		 const struct ks_api_caller *who, const char *op, const char *key,
		 const char *digest, const char *level, const char *outcome);
/* The caller of q: 0 with who->authenticated when the token is valid
 * and not revoked; 0 with !authenticated when there is no
 * Authorization header; 1 (answered 401, audited) when a token is
 * given but not valid, or required (`need` true) and absent; -1 on
 * store errors (answered 503). */
int ks_api_authenticate(struct ks_api_svc *s, const struct ks_api_request *q, bool need,
			struct ks_api_caller *who, struct ks_api_reply *r);
/* Is the operation granted?  1 (answered 403, audited) when not. */
int ks_api_require_op(struct ks_api_svc *s, const struct ks_api_request *q,
		      const struct ks_api_caller *who, unsigned op, const char *opname,
		      struct ks_api_reply *r);
/* The request's parameters: the query's, then the body's by its
 * Content-Type (JSON, multipart); a raw body is the "document".  1
 * (answered 400/415) when they cannot be read. */
int ks_api_read_params(const struct ks_api_request *q, struct ks_api_params *ps,
		       const uint8_t **doc, size_t *doclen, struct ks_api_reply *r);
/* A configured key by name, opened on first use; NULL when unknown. */
struct ks_api_key *ks_api_key_find(struct ks_api_svc *s, const char *name);
KS_WUR int ks_api_key_get(struct ks_api_svc *s, struct ks_api_key *k, struct ks_key **out);
/* Open a configured key: a token key (PKCS#11 set up on first use) or a
 * key file (password from KYSO_KEY_PASS). */
KS_WUR int ks_api_open_key(struct ks_api_svc *s, const struct ks_api_key_conf *kc,
			   struct ks_key **out);
KS_WUR int ks_api_open_file_key(const struct ks_api_key_conf *kc, struct ks_key **out);
/* Hex SHA-256 of bytes. */
void ks_api_sha256_hex(const uint8_t *p, size_t n, char out[KS_API_DOC_DIGEST_HEX]);
/* The SHA-256 of a request's document, its state kept: the signature's
 * /ByteRange digest and the signed document's own digest (the same
 * bytes with an update after them) continue from it instead of hashing
 * the document again.  ctx is NULL when it could not be kept (then
 * everything is hashed whole). */
struct ks_api_doc_hash {
	EVP_MD_CTX *ctx;
	const uint8_t *doc;
	size_t n;
	uint8_t bin[32];
	char hex[KS_API_DOC_DIGEST_HEX];
};
void ks_api_doc_hash_init(struct ks_api_doc_hash *h, const uint8_t *doc, size_t n);
void ks_api_doc_hash_cleanup(struct ks_api_doc_hash *h);
/* Hex SHA-256 of `out`: from h's state when out begins with h's
 * document (checked), else of all of it.  h may be NULL. */
void ks_api_doc_hash_of(const struct ks_api_doc_hash *h, const uint8_t *out, size_t len,
			char hex[KS_API_DOC_DIGEST_HEX]);

/* Group commit of audit rows (ks_api_auditq.c): add one and wait until
 * it is durable; add several and wait once until all are. */
KS_WUR int ks_api_auditq_add(struct ks_api_svc *s, const struct ks_audit_event *ev);
/* The same for n rows at once (one wait). */
KS_WUR int ks_api_auditq_add_many(struct ks_api_svc *s, const struct ks_audit_event *ev, size_t n);
/* Queue one row without waiting: `later` (a deferred request) is settled
 * by the writer once the row is committed, ok or not.  -1 (nothing
 * queued, `later` not settled) when the service is stopping. */
KS_WUR int ks_api_auditq_add_later(struct ks_api_svc *s, const struct ks_audit_event *ev,
				   struct ks_api_later *later);
KS_WUR int ks_api_auditq_start(struct ks_api_svc *s);
void ks_api_auditq_stop(struct ks_api_svc *s);

/* Audit rows of refusals (ks_api_refusal.c): rationed per address and
 * window, the rest counted in aggregated rows (docs/audit.md). */
struct ks_api_refusals;
KS_WUR int ks_api_refusals_new(const struct ks_api_conf *c, struct ks_api_refusals **out);
void ks_api_refusals_free(struct ks_api_refusals *rf);
/* The row of one refusal (ev->addr set): its own, durable on return, or
 * counted for an aggregated row. */
KS_WUR int ks_api_refusal_audit(struct ks_api_svc *s, const struct ks_audit_event *ev);
/* Write the aggregated rows of a window that has ended (all: every
 * counted refusal, at stop). */
void ks_api_refusal_flush(struct ks_api_svc *s, bool all);
/* After a handler answered: the row of a refusal (400, 401, 403, 413,
 * 415, 429) no row was written for yet. */
void ks_api_refusal_answered(struct ks_api_svc *s, const struct ks_api_request *q,
			     const struct ks_api_reply *r);
/* The operation named in the audit for a route's path. */
const char *ks_api_route_op(const char *path);
/* What the request's handling noted so far (ks_api_refusal.c; per
 * thread, keyed by the request id): an audit row written, the problem
 * answered, the authenticated client ("" when none). */
bool ks_api_req_audited(const struct ks_api_request *q);
void ks_api_req_mark_audited(const struct ks_api_request *q);
const char *ks_api_req_problem(const struct ks_api_request *q);
const char *ks_api_req_client(const struct ks_api_request *q);
void ks_api_req_note_problem(const struct ks_api_request *q, const char *code);
void ks_api_req_note_client(const struct ks_api_request *q, const char *name);

/* Handlers. */
int ks_api_h_sign(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
int ks_api_h_prepare(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
int ks_api_h_complete(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
int ks_api_h_verify(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
int ks_api_h_timestamp(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
int ks_api_h_keys(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
int ks_api_h_healthz(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
int ks_api_h_metrics(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
int ks_api_h_openapi(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
/* The verification page (ks_api_page.c, ks_api_page_css.c): no script,
 * styles and images from this origin only, forms posted back here only,
 * never framed. */
#define KS_API_PAGE_CSP                                                                    \
	"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " \
	"frame-ancestors 'none'; base-uri 'none'"
int ks_api_h_page(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
int ks_api_h_page_verify(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
int ks_api_h_page_doc(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
int ks_api_h_page_css(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
/* The page's answer to a refusal of the transport (413, 500) on its
 * routes: HTML instead of a problem document. */
void ks_api_page_refuse(struct ks_api_svc *s, const struct ks_api_request *q, unsigned status,
			const char *detail, struct ks_api_reply *r);
/* Is one more verification from this address within the rate limit
 * ([verify] rate, burst)? */
bool ks_api_rate_ok(struct ks_api_svc *s, const char *addr);

/* The verification behind POST /v1/verify: the report of the document
 * (and a detached signature's content) as JSON, in `lang`.  One place
 * that calls the verify job. */
/* The verify job over a document, its report into rep (initialised by
 * the caller). */
KS_WUR int ks_api_verify_run(struct ks_api_svc *s, const uint8_t *doc, size_t n,
			     const uint8_t *content, size_t content_len, const char *name,
			     enum ks_lang lang, struct ks_report *rep);
KS_WUR int ks_api_verify_report(struct ks_api_svc *s, const uint8_t *doc, size_t n,
				const uint8_t *content, size_t content_len, const char *name,
				const char *lang, struct ks_buf *json);

#endif
