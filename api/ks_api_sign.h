/* ks_api_sign: what the signing routes share (ks_api_sign.c: POST /v1/sign
 * and these helpers; ks_api_twophase.c: prepare and complete).  Not for use
 * outside api/. */
#ifndef KS_API_SIGN_H
#define KS_API_SIGN_H

#include <stdbool.h>

#include "api/ks_api_int.h"

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

/* The signed document: raw, or JSON with base64 when the request was JSON. */
int ks_api_reply_document(const struct ks_api_request *q, enum ks_format f,
			  const struct ks_buf *signed_doc, const char *summary,
			  struct ks_api_reply *r);

/* The audit row of a signature handed out (POST /v1/sign, complete, and
 * every route that signs documents): `digest` is the document's, and the
 * row also holds the signed document's digest, the record id read from
 * the signed document (ks_record_ref_of; none for CMS) and the common
 * name of `signer`'s certificate (may be NULL).  -1 like ks_api_audit:
 * the signed document must then not be handed out. */
int ks_api_audit_signed(struct ks_api_svc *s, const struct ks_api_request *q,
			const struct ks_api_caller *who, const char *op, const char *key,
			const char *digest, const char *level, enum ks_format f,
			const struct ks_buf *signed_doc, const struct ks_key *signer);

/* A failed sign operation, answered and audited (token errors: 503 with
 * Retry-After). */
void ks_api_sign_failed(struct ks_api_svc *s, const struct ks_api_request *q,
			const struct ks_api_caller *who, const char *op, struct ks_api_key *k,
			const char *digest, const char *level, struct ks_api_reply *r);

#endif
