/* ks_api_sign: what the signing routes share (ks_api_sign.c: POST /v1/sign
 * and these helpers; ks_api_twophase.c: prepare and complete).  Not for use
 * outside api/. */
#ifndef KS_API_SIGN_H
#define KS_API_SIGN_H

#include <openssl/x509.h>
#include <stdbool.h>

#include "api/ks_api_auth.h"
#include "api/ks_api_int.h"
#include "signer/ks_twophase.h"

/* A session activation's nonce, with the NUL. */
#define KS_API_SESSION_MAX (KS_ACT_NONCE_HEX + 1)

/* The options of a signature, from the request's parameters. */
struct ks_api_sign_opts {
	const char *key, *level, *md, *format, *name;
	bool pss;
	struct ks_sign_pdf_opts pdf;
	struct ks_sign_xml_opts xml;
	enum ks_format f;
};

/* A 400 bad-parameter answer; always 1 (answered). */
int ks_api_bad_param(const struct ks_api_request *q, struct ks_api_reply *r, const char *fmt, ...)
    KS_PRINTF(3, 4);

/* Read and check the options against the route's known names; 1 when
 * answered (400). */
int ks_api_sign_opts_read(const struct ks_api_request *q, const struct ks_api_params *ps,
			  const char *const *known, struct ks_api_sign_opts *o,
			  struct ks_api_reply *r);

/* Is the digest algorithm allowed by the configuration? */
bool ks_api_md_allowed(const struct ks_api_svc *s, const char *md);

/* The format: the option, else the content type, else sniffed. */
enum ks_format ks_api_sign_format(const struct ks_api_request *q, const struct ks_api_sign_opts *o,
				  const uint8_t *doc, size_t n);

/* The grant of a key to the caller: 1 when answered (404/403). */
int ks_api_key_granted(struct ks_api_svc *s, const struct ks_api_request *q,
		       const struct ks_api_caller *who, const char *op, const char *name,
		       struct ks_api_key **k, struct ks_api_reply *r);

/* The signed document: raw (moved into the answer, signed_doc left
 * empty), or JSON with base64 when the request was JSON. */
int ks_api_reply_document(const struct ks_api_request *q, enum ks_format f,
			  struct ks_buf *signed_doc, const char *summary, struct ks_api_reply *r);

/* What the audit row of a signature handed out adds (POST /v1/sign,
 * complete, and every route that signs documents; ks_api_record.c): the
 * signed document's digest, its record id (the one res read while signing,
 * else ks_record_ref_of over the signed document; none for CMS) and the common name of `signer`'s certificate (may be
 * NULL).  The row's own `digest` stays the document's. */
#define KS_API_SIGNER_NAME_MAX 128
struct ks_api_signed_ref {
	char record[KS_RECORD_REF_MAX + 1];
	char digest[KS_API_DOC_DIGEST_HEX];
	char signer[KS_API_SIGNER_NAME_MAX + 1];
	char key[KS_CONF_NAME_MAX]; /* a two-phase signature's key named at prepare; "" */
};
void ks_api_signed_ref_of(struct ks_api_signed_ref *ref, const struct ks_api_request *q,
			  const struct ks_sign_outcome *res, const struct ks_buf *signed_doc,
			  const struct ks_key *signer, const struct ks_api_doc_hash *in);
/* The event's record, signed and signer fields, borrowed from ref. */
void ks_api_audit_event_signed(struct ks_audit_event *ev, const struct ks_api_signed_ref *ref);
/* Answer with the signed document (out, moved into the answer when sent
 * raw) once its audit row (ev with ref's
 * fields) is written: never one without the other (503 when the row could
 * not be written).  In a worker the answer is deferred (the writer
 * settles it after the commit); elsewhere this waits for the commit. */
int ks_api_signed_reply(struct ks_api_svc *s, const struct ks_api_request *q,
			struct ks_audit_event *ev, const struct ks_api_signed_ref *ref,
			const struct ks_sign_outcome *res, struct ks_buf *out,
			struct ks_api_reply *r);

/* A failed sign operation, answered and audited (token errors: 503 with
 * Retry-After). */
void ks_api_sign_failed(struct ks_api_svc *s, const struct ks_api_request *q,
			const struct ks_api_caller *who, const char *op, struct ks_api_key *k,
			const char *digest, const char *level, struct ks_api_reply *r);

/* A key that could not be opened: answered and audited as a token error
 * (503). */
void ks_api_key_failed(struct ks_api_svc *s, const struct ks_api_request *q,
		       const struct ks_api_caller *who, const char *op, struct ks_api_key *k,
		       const char *digest, const char *level, struct ks_api_reply *r);

/* The holder's activation `text` (NULL: none) for the n document digests
 * d of a request with the personal key k (docs/api.md, "Personal
 * keys"): a digests-bound activation listing them (exactly them, no
 * more, when `exact`), used once; or, when the key accepts them, a
 * session activation with n uses left (counted).  0 when allowed, with
 * `session` the session's nonce ("" for a digests-bound activation or a
 * key that is not personal); 1 when refused (403, audited as `op` with
 * digest_hex); -1 when the store failed (503). */
int ks_api_activation_check(struct ks_api_svc *s, const struct ks_api_request *q,
			    const struct ks_api_caller *who, struct ks_api_key *k, const char *text,
			    const uint8_t (*d)[32], size_t n, bool exact, const char *op,
			    const char *digest_hex, char session[KS_API_SESSION_MAX],
			    struct ks_api_reply *r);

/* A sign job with the service's settings (TSA, trust, revocation) and
 * the request's options; the caller sets the input and output. */
void ks_api_sign_job(struct ks_api_svc *s, const struct ks_api_sign_opts *o, struct ks_key *key,
		     const char *name, enum ks_format f, struct ks_sign_job *j);

/* Does signing with this key and these options wait for a device or a
 * peer (a token, a revocation check, a timestamp)?  Then the caller
 * marks the wait (ks_api_http_wait_begin/_end) and the CPU goes to other
 * requests meanwhile; a file key without those only computes. */
bool ks_api_sign_waits(const struct ks_api_svc *s, const struct ks_api_sign_opts *o,
		       const struct ks_key *key);

/* Sign one document with an opened key and the request's options (the
 * job of POST /v1/sign and of each document of a batch); `name` (NULL:
 * the option's) names it in messages. */
KS_WUR int ks_api_sign_run(struct ks_api_svc *s, const struct ks_api_request *q,
			   const struct ks_api_sign_opts *o, struct ks_key *key, const char *name,
			   const uint8_t *doc, size_t n, const struct ks_api_doc_hash *in,
			   struct ks_buf *out, struct ks_sign_outcome *res);

/* An audit event of this request (texts borrowed). */
void ks_api_audit_event(struct ks_audit_event *ev, const struct ks_api_request *q,
			const struct ks_api_caller *who, const char *op, const char *key,
			const char *digest, const char *level, const char *outcome,
			const char *session);
/* A signed document's answer whose audit row was not written: 503
 * storage-unavailable instead (ks_api_http_cfg.settle_failed; logged and
 * counted). */
void ks_api_settle_failed(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
/* Audit several events at once, durable when it returns; -1 (logged and
 * counted) when they could not be written. */
int ks_api_audit_rows(struct ks_api_svc *s, const struct ks_api_request *q,
		      const struct ks_audit_event *ev, size_t n);

/* ---- two-phase signing (ks_api_twophase.c) ---- */

#define KS_API_LEVEL_MAX 16

/* The signer's certificate and chain of a prepare request ('certificate',
 * 'chain'), and the named key (NULL: none) granted, whose certificate it
 * must be.  1 when answered (400, 403, 404). */
int ks_api_prepare_cert(struct ks_api_svc *s, const struct ks_api_request *q,
			const struct ks_api_caller *who, const struct ks_api_params *ps,
			const char *keyname, const char *digest, X509 **cert,
			STACK_OF(X509) * *chain, struct ks_api_key **k, struct ks_api_reply *r);
/* Phase 1 of one document (digest: its SHA-256 hex): prepared, and its
 * state stored bound to the caller and the certificate (sp, p).  1 when
 * answered (refusals audited), -1 when answered 500. */
int ks_api_prepare_run(struct ks_api_svc *s, const struct ks_api_request *q,
		       const struct ks_api_caller *who, struct ks_api_key *k,
		       const struct ks_api_sign_opts *o, X509 *cert, STACK_OF(X509) * chain,
		       const char *name, const uint8_t *doc, size_t n, const char *digest,
		       struct ks_store_prepared *sp, struct ks_prepared *p, struct ks_api_reply *r);
/* Phase 2 of the prepared signature `id`: the signature checked against
 * the certificate (cb: one the client gives, which must be the prepared
 * one; ps: a replacement 'chain', or NULL), the document built into
 * `out`, the state claimed.  0 with the document's digest and level (its
 * audit row is the caller's); 1 when answered (refusals audited). */
int ks_api_complete_run(struct ks_api_svc *s, const struct ks_api_request *q,
			const struct ks_api_caller *who, const char *id, const uint8_t *sig,
			size_t siglen, const struct ks_api_blob *cb, const struct ks_api_params *ps,
			struct ks_buf *out, struct ks_sign_outcome *res,
			char digest[KS_API_DOC_DIGEST_HEX], char level[KS_API_LEVEL_MAX],
			struct ks_api_signed_ref *ref, struct ks_api_reply *r);

/* The batch routes (ks_api_batch.c). */
int ks_api_h_sign_batch(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
int ks_api_h_batch_prepare(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
int ks_api_h_batch_complete(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);

#endif
