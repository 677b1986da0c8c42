/* ks_api_batch: the requests of the batch routes (ks_api_batch.c), read by
 * ks_api_batch_read.c.  Not for use outside api/.
 *
 * A batch is JSON: the options of the single-document route as members,
 * and an array of documents ("documents": [{"name", "document"}]) or of
 * prepared signatures to complete ("items": [{"id", "signature",
 * "certificate"}]); or, for documents, multipart/form-data with a part
 * "document" (or "file") per document.  The options go through the
 * single-document parser (ks_api_req.h); the documents and items are read
 * here, each refused with a message naming its place. */
#ifndef KS_API_BATCH_H
#define KS_API_BATCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "api/ks_api_jsonlift.h"
#include "api/ks_api_int.h"

#define KS_API_BATCH_NAME_MAX 256                 /* bytes of a document's name, with the NUL */
#define KS_API_BATCH_ANSWER_MAX ((size_t)1 << 31) /* bytes of a batch's answer */

/* One document of a batch. */
struct bdoc {
	char name[KS_API_BATCH_NAME_MAX];
	struct ks_buf data;
	uint8_t d[32];
	char digest[KS_API_DOC_DIGEST_HEX];
	struct ks_api_doc_hash h; /* its state kept for signing it (d and digest are its) */
};

/* One prepared signature to complete. */
struct bitem {
	char id[KS_STORE_ID_MAX];
	struct ks_buf sig;
	struct ks_api_blob cert; /* len 0: none */
};

struct ks_api_signed_ref;

struct batch {
	struct ks_api_params ps;
	json_t *arr; /* the "documents" or "items" member */
	size_t n;
	struct bdoc *docs;
	struct bitem *items;
	struct ks_buf results; /* the results' JSON objects so far, comma-separated */
	size_t n_results, ok;
	struct ks_audit_event *ev;      /* the successes' audit rows, written at the end */
	struct ks_api_signed_ref *refs; /* what each success's row adds (ev[i] borrows refs[i]) */
	size_t n_ev;
	char *activation; /* the "activation" member (longer than other options) */
	struct ks_api_lifted
	    lifted; /* the entries' base64 strings, not parsed (ks_api_jsonlift.h) */
};

void ks_api_batch_init(struct batch *b);
void ks_api_batch_cleanup(struct batch *b);

/* The request's options (the query's and the body's, checked against
 * `known`) into b->ps, and the array `list` ("documents" or "items", 1 to
 * batch-max entries) kept for the next call; a multipart body's documents
 * are read at once.  1 when answered (400, 413, 415). */
int ks_api_batch_read(struct ks_api_svc *s, const struct ks_api_request *q, const char *list,
		      const char *const *known, struct batch *b, struct ks_api_reply *r);
/* The documents (name, bytes, SHA-256); 1 when answered (400). */
int ks_api_batch_docs(const struct ks_api_request *q, struct batch *b, struct ks_api_reply *r);
/* The items to complete (id, signature, certificate); 1 when answered. */
int ks_api_batch_items(const struct ks_api_request *q, struct batch *b, struct ks_api_reply *r);

#endif
