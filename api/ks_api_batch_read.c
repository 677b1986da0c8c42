/* Reading the requests of the batch routes (ks_api_batch.h). */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ks_api_auth.h"
#include "api/ks_api_batch.h"
#include "api/ks_api_sign.h"
#include "api/ks_api_multipart.h"
#include "ks_codec.h"
#include "ks_log.h"

/* base64 strings of entries this long are lifted out before parsing */
#define LIFT_MIN 1024
#include "signer/ks_http.h"
#include "signer/ks_twophase.h"

void ks_api_batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	ks_api_params_init(&b->ps);
	ks_buf_init(&b->results, KS_API_BATCH_ANSWER_MAX);
}

/* A document's digests (binary, hex), its hash state kept for signing. */
static void doc_hash(struct bdoc *d)
{
	ks_api_doc_hash_init(&d->h, d->data.data, d->data.len);
	memcpy(d->d, d->h.bin, sizeof(d->d));
	memcpy(d->digest, d->h.hex, sizeof(d->digest));
}

void ks_api_batch_cleanup(struct batch *b)
{
	size_t i;

	for (i = 0; b->docs != NULL && i < b->n; i++) {
		ks_buf_cleanup(&b->docs[i].data);
		ks_api_doc_hash_cleanup(&b->docs[i].h);
	}
	for (i = 0; b->items != NULL && i < b->n; i++) {
		ks_buf_cleanup(&b->items[i].sig);
		ks_buf_cleanup(&b->items[i].cert.own);
	}
	free(b->docs);
	free(b->items);
	free(b->ev);
	free(b->refs);
	free(b->activation);
	ks_api_lifted_cleanup(&b->lifted);
	json_decref(b->arr);
	ks_buf_cleanup(&b->results);
	ks_api_params_cleanup(&b->ps);
	memset(b, 0, sizeof(*b));
}

/* A 400 of the given code; always 1 (answered). */
static int bad(const struct ks_api_request *q, struct ks_api_reply *r, const char *code,
	       const char *fmt, ...) KS_PRINTF(4, 5);
static int bad(const struct ks_api_request *q, struct ks_api_reply *r, const char *code,
	       const char *fmt, ...)
{
	char msg[KS_PROBLEM_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ks_err_clear();
	ks_api_fail(q, r, code, msg, false);
	return 1;
}

/* What every batch request ends with once read: no unknown option, room
 * for the results.  1 when answered. */
static int batch_ready(const struct ks_api_request *q, const char *const *known, struct batch *b,
		       struct ks_api_reply *r)
{
	const char *unknown = ks_api_params_unknown(&b->ps, known);

	if (unknown != NULL)
		return bad(q, r, "bad-parameter", "unknown parameter '%s'", unknown);
	b->ev = calloc(b->n, sizeof(*b->ev));
	b->refs = calloc(b->n, sizeof(*b->refs));
	if (b->ev == NULL || b->refs == NULL) {
		ks_api_fail(q, r, "internal", "internal error", true);
		return 1;
	}
	return 0;
}

/* Is this text free of control characters? */
static bool text_clean(const char *t, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if ((unsigned char)t[k] < 0x20 || t[k] == 0x7f)
			return false;
	return true;
}

/* A multipart/form-data batch (a browser form with several files): every
 * part "document" (or "file") is a document, named by its file name; the
 * others are options.  1 when answered. */
static int batch_read_multipart(struct ks_api_svc *s, const struct ks_api_request *q,
				struct batch *b, struct ks_api_reply *r)
{
	char boundary[KS_MP_BOUNDARY_MAX + 1];
	struct ks_mp_part *parts;
	size_t max = (size_t)s->conf->batch_max + KS_MP_PARTS_MAX, count = 0, i, d = 0;
	int rc = 1;

	parts = calloc(max, sizeof(*parts));
	b->docs = calloc(s->conf->batch_max, sizeof(*b->docs));
	if (parts == NULL || b->docs == NULL) {
		ks_api_fail(q, r, "internal", "internal error", true);
		goto out;
	}
	if (ks_multipart_boundary(q->content_type, boundary, sizeof(boundary)) < 0 ||
	    ks_multipart_parse(q->body, q->len, boundary, parts, max, &count) < 0) {
		if (ks_err_code() == KS_ERR_LIMIT) {
			ks_api_fail(q, r, "too-large", "more documents than the batch limit",
				    false);
			goto out;
		}
		rc = bad(q, r, "bad-multipart", "%s", ks_err_msg());
		goto out;
	}
	for (i = 0; i < count; i++) {
		const struct ks_mp_part *pt = &parts[i];

		if (strcmp(pt->name, "document") == 0 || strcmp(pt->name, "file") == 0) {
			struct bdoc *doc;

			if (d >= s->conf->batch_max) {
				ks_api_fail(q, r, "too-large",
					    "more documents than the batch limit", false);
				goto out;
			}
			doc = &b->docs[d++];
			b->n = d;
			ks_buf_init(&doc->data, KS_TWOPHASE_DOC_MAX);
			if (pt->len == 0) {
				rc = bad(q, r, "bad-parameter", "document %zu is empty", d);
				goto out;
			}
			if (pt->filename[0] != '\0' &&
			    text_clean(pt->filename, strlen(pt->filename)))
				snprintf(doc->name, sizeof(doc->name), "%s", pt->filename);
			else
				snprintf(doc->name, sizeof(doc->name), "document %zu", d);
			if (ks_buf_set(&doc->data, pt->data, pt->len) < 0) {
				ks_api_fail(q, r, "internal", "internal error", true);
				goto out;
			}
		} else if (strcmp(pt->name, "activation") == 0) {
			if (b->activation != NULL || pt->len == 0 || pt->len > KS_ACT_MAX ||
			    !text_clean((const char *)pt->data, pt->len) ||
			    memchr(pt->data, '\0', pt->len) != NULL) {
				rc = bad(q, r, "bad-parameter",
					 "'activation' must be a kyso activation");
				goto out;
			}
			b->activation = strndup((const char *)pt->data, pt->len);
			if (b->activation == NULL) {
				ks_api_fail(q, r, "internal", "internal error", true);
				goto out;
			}
		} else if ((ks_api_is_blob_name(pt->name)
				? ks_api_params_add_blob(&b->ps, pt->name, pt->data, pt->len, false)
				: ks_api_params_add(&b->ps, pt->name, (const char *)pt->data,
						    pt->len)) < 0) {
			rc = bad(q, r, "bad-multipart", "%s", ks_err_msg());
			goto out;
		}
	}
	if (d == 0) {
		rc = bad(q, r, "bad-parameter", "no part 'document' (or 'file')");
		goto out;
	}
	for (i = 0; i < d; i++)
		doc_hash(&b->docs[i]);
	rc = 0;
out:
	free(parts);
	return rc;
}

/* The JSON body: the array member `list` taken out (1 to batch-max
 * entries), every other member (and the query's parameters) into b->ps
 * through the single-document parser.  1 when answered. */
int ks_api_batch_read(struct ks_api_svc *s, const struct ks_api_request *q, const char *list,
		      const char *const *known, struct batch *b, struct ks_api_reply *r)
{
	json_error_t e;
	json_t *o = NULL, *v;
	char *rest = NULL;
	struct ks_buf lj;
	size_t i;
	int rc = 1;

	ks_buf_init(&lj, 0);
	if (q->query_bad)
		return bad(q, r, "bad-parameter", "%s", q->query_err);
	for (i = 0; i < q->query.n; i++)
		if (ks_api_params_add(&b->ps, q->query.p[i].name, q->query.p[i].value,
				      strlen(q->query.p[i].value)) < 0)
			return bad(q, r, "bad-parameter", "%s", ks_err_msg());
	if (strcmp(list, "documents") == 0 &&
	    ks_http_type_is(q->content_type, "multipart/form-data")) {
		if (batch_read_multipart(s, q, b, r) != 0)
			return 1;
		return batch_ready(q, known, b, r);
	}
	if (!ks_http_type_is(q->content_type, "application/json")) {
		ks_api_fail(q, r, "unsupported-media-type",
			    strcmp(list, "documents") == 0
				? "a batch is application/json or multipart/form-data"
				: "a batch to complete is application/json",
			    false);
		return 1;
	}
	/* the entries' long base64 strings (documents, signatures) are
	 * lifted out: the parser would read megabytes a byte at a time */
	ks_buf_init(&lj, q->len);
	if (ks_api_json_lift(q->body, q->len, 3, LIFT_MIN, &lj, &b->lifted) < 0) {
		if (ks_err_code() == KS_ERR_LIMIT)
			rc = bad(q, r, "bad-json", "%s", ks_err_msg());
		else
			ks_api_fail(q, r, "internal", "internal error", true);
		goto out;
	}
	o = json_loadb((const char *)lj.data, lj.len, JSON_REJECT_DUPLICATES, &e);
	if (o == NULL) {
		/* where in the text as sent */
		json_decref(json_loadb((const char *)q->body, q->len, JSON_REJECT_DUPLICATES, &e));
		rc =
		    bad(q, r, "bad-json", "malformed JSON at line %d, column %d", e.line, e.column);
		goto out;
	}
	if (!json_is_object(o)) {
		rc = bad(q, r, "bad-json", "the JSON body must be an object");
		goto out;
	}
	b->arr = json_object_get(o, list);
	if (!json_is_array(b->arr) || json_array_size(b->arr) == 0) {
		b->arr = NULL;
		rc = bad(q, r, "bad-parameter", "'%s' must be a non-empty array", list);
		goto out;
	}
	b->n = json_array_size(b->arr);
	if (b->n > s->conf->batch_max) {
		ks_api_fail(q, r, "too-large", "more documents than the batch limit", false);
		ks_log(KS_LOG_INFO, "request %s: a batch of %zu, over batch-max %u", q->id, b->n,
		       s->conf->batch_max);
		b->arr = NULL;
		goto out;
	}
	json_incref(b->arr);
	if (json_object_del(o, list) != 0) {
		ks_api_fail(q, r, "internal", "internal error", true);
		goto out;
	}
	/* an activation lists every document: longer than other options */
	v = json_object_get(o, "activation");
	if (v != NULL && strcmp(list, "documents") == 0) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > KS_ACT_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			rc = bad(q, r, "bad-parameter", "'activation' must be a kyso activation");
			goto out;
		}
		b->activation = strdup(json_string_value(v));
		if (b->activation == NULL || json_object_del(o, "activation") != 0) {
			ks_api_fail(q, r, "internal", "internal error", true);
			goto out;
		}
	}
	rest = json_dumps(o, JSON_COMPACT);
	if (rest == NULL) {
		ks_api_fail(q, r, "internal", "internal error", true);
		goto out;
	}
	if (ks_api_params_from_json((const uint8_t *)rest, strlen(rest), &b->ps) < 0) {
		const char *code = "bad-json";

		if (ks_err_code() == KS_ERR_ENCODING && strstr(ks_err_msg(), "base64") != NULL)
			code = "bad-base64";
		rc = bad(q, r, code, "%s", ks_err_msg());
		goto out;
	}
	rc = batch_ready(q, known, b, r);
out:
	free(rest);
	json_decref(o);
	ks_buf_cleanup(&lj);
	return rc;
}

/* A base64 member of an entry into out; 1 when answered (400). */
static int entry_b64(const struct ks_api_request *q, json_t *v, const char *list, size_t i,
		     const char *name, const struct ks_api_lifted *lifted, struct ks_buf *out,
		     struct ks_api_reply *r)
{
	const struct ks_api_span *sp;
	const char *text;
	size_t n;

	if (!json_is_string(v) || json_string_length(v) == 0)
		return bad(q, r, "bad-parameter", "%s[%zu]: '%s' must be a base64 string", list, i,
			   name);
	text = json_string_value(v);
	n = json_string_length(v);
	sp = ks_api_json_lifted(text, n, lifted);
	if (sp != NULL) {
		text = (const char *)sp->p;
		n = sp->n;
	}
	if (ks_base64_decode(text, n, true, out) < 0 || out->len == 0)
		return bad(q, r, "bad-base64", "%s[%zu]: '%s' is not valid base64", list, i, name);
	return 0;
}

/* A text member of an entry: a string without control characters that
 * fits n bytes with its NUL; 1 when answered (400). */
static int entry_text(const struct ks_api_request *q, json_t *v, const char *list, size_t i,
		      const char *name, char *out, size_t n, struct ks_api_reply *r)
{
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= n)
		return bad(q, r, "bad-parameter",
			   "%s[%zu]: '%s' must be a string of 1 to %zu bytes", list, i, name,
			   n - 1);
	if (!text_clean(json_string_value(v), json_string_length(v)))
		return bad(q, r, "bad-parameter", "%s[%zu]: '%s' holds a control character", list,
			   i, name);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* Is every member of the entry among `known`? */
static const char *entry_unknown(json_t *e, const char *const *known)
{
	const char *name;
	json_t *v;
	size_t k;

	json_object_foreach(e, name, v)
	{
		bool found = false;

		(void)v;
		for (k = 0; known[k] != NULL && !found; k++)
			found = strcmp(name, known[k]) == 0;
		if (!found)
			return name;
	}
	return NULL;
}

/* The "documents": [{"name", "document"}]; 1 when answered (400). */
int ks_api_batch_docs(const struct ks_api_request *q, struct batch *b, struct ks_api_reply *r)
{
	static const char *const known[] = { "name", "document", NULL };
	size_t i;

	if (b->docs != NULL)
		return 0; /* read with a multipart body */
	b->docs = calloc(b->n, sizeof(*b->docs));
	if (b->docs == NULL) {
		ks_api_fail(q, r, "internal", "internal error", true);
		return 1;
	}
	for (i = 0; i < b->n; i++)
		ks_buf_init(&b->docs[i].data, KS_TWOPHASE_DOC_MAX);
	for (i = 0; i < b->n; i++) {
		struct bdoc *d = &b->docs[i];
		json_t *e = json_array_get(b->arr, i), *v;
		const char *unknown;

		if (!json_is_object(e))
			return bad(q, r, "bad-parameter",
				   "documents[%zu] must be an object {\"name\", \"document\"}", i);
		unknown = entry_unknown(e, known);
		if (unknown != NULL)
			return bad(q, r, "bad-parameter", "documents[%zu]: unknown member '%.40s'",
				   i, unknown);
		v = json_object_get(e, "name");
		if (v != NULL) {
			if (entry_text(q, v, "documents", i, "name", d->name, sizeof(d->name), r) !=
			    0)
				return 1;
		} else {
			snprintf(d->name, sizeof(d->name), "document %zu", i + 1);
		}
		if (entry_b64(q, json_object_get(e, "document"), "documents", i, "document",
			      &b->lifted, &d->data, r) != 0)
			return 1;
		doc_hash(d);
	}
	return 0;
}

/* The "items": [{"id", "signature", "certificate"}]; 1 when answered. */
int ks_api_batch_items(const struct ks_api_request *q, struct batch *b, struct ks_api_reply *r)
{
	static const char *const known[] = { "id", "signature", "certificate", NULL };
	size_t i;

	b->items = calloc(b->n, sizeof(*b->items));
	if (b->items == NULL) {
		ks_api_fail(q, r, "internal", "internal error", true);
		return 1;
	}
	for (i = 0; i < b->n; i++) {
		ks_buf_init(&b->items[i].sig, 64 << 10);
		ks_buf_init(&b->items[i].cert.own, 64 << 10);
	}
	for (i = 0; i < b->n; i++) {
		struct bitem *it = &b->items[i];
		json_t *e = json_array_get(b->arr, i), *v;
		const char *unknown;

		if (!json_is_object(e))
			return bad(q, r, "bad-parameter",
				   "items[%zu] must be an object {\"id\", \"signature\"}", i);
		unknown = entry_unknown(e, known);
		if (unknown != NULL)
			return bad(q, r, "bad-parameter", "items[%zu]: unknown member '%.40s'", i,
				   unknown);
		if (entry_text(q, json_object_get(e, "id"), "items", i, "id", it->id,
			       sizeof(it->id), r) != 0 ||
		    entry_b64(q, json_object_get(e, "signature"), "items", i, "signature",
			      &b->lifted, &it->sig, r) != 0)
			return 1;
		v = json_object_get(e, "certificate");
		if (v != NULL) {
			static const char pem[] = "-----BEGIN";

			if (json_is_string(v) && json_string_length(v) > strlen(pem) &&
			    memcmp(json_string_value(v), pem, strlen(pem)) == 0) {
				if (ks_buf_set(&it->cert.own, json_string_value(v),
					       json_string_length(v)) < 0)
					return bad(q, r, "bad-parameter",
						   "items[%zu]: 'certificate' is too large", i);
			} else if (entry_b64(q, v, "items", i, "certificate", &b->lifted,
					     &it->cert.own, r) != 0) {
				return 1;
			}
			snprintf(it->cert.name, sizeof(it->cert.name), "certificate");
			it->cert.data = it->cert.own.data;
			it->cert.len = it->cert.own.len;
		}
	}
	return 0;
}
