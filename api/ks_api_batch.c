/* POST /v1/sign/batch, /v1/sign/batch/prepare and /v1/sign/batch/complete:
 * many documents in one request (docs/api.md, "Batches").
 *
 * A batch is JSON: the options of the single-document route as members,
 * and an array of documents ("documents": [{"name", "document"}]) or of
 * prepared signatures to complete ("items": [{"id", "signature",
 * "certificate"}]).  Each document goes through the single-document
 * route's code (ks_api_sign.h); a document that fails gets its problem
 * in its place of the results and never stops the others.  The answer
 * is 200 with the results in the order sent once the batch could be
 * read and was allowed; a refusal of the whole batch (authentication,
 * grant, activation, shape) is a problem document as for one document. */
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ks_api_sign.h"
#include "ks_codec.h"
#include "ks_log.h"
#include "signer/ks_http.h"

#define BATCH_NAME_MAX 256 /* bytes of a document's name, with the NUL */

static const char *const batch_sign_known[] = { "key",        "level",   "md",     "format",
						"pss",        "visible", "reason", "role",
						"location",   "certify", "field",  "xml-mode",
						"activation", NULL };
static const char *const batch_prepare_known[] = { "key",         "level",   "md",     "format",
						   "pss",         "visible", "reason", "role",
						   "location",    "certify", "field",  "xml-mode",
						   "certificate", "chain",   NULL };
static const char *const batch_complete_known[] = { "chain", NULL };

/* One document of a batch. */
struct bdoc {
	char name[BATCH_NAME_MAX];
	struct ks_buf data;
	uint8_t d[32];
	char digest[KS_API_DOC_DIGEST_HEX];
};

/* One prepared signature to complete. */
struct bitem {
	char id[KS_STORE_ID_MAX];
	struct ks_buf sig;
	struct ks_api_blob cert; /* len 0: none */
};

struct batch {
	struct ks_api_params ps;
	json_t *arr; /* the "documents" or "items" member */
	size_t n;
	struct bdoc *docs;
	struct bitem *items;
	json_t *results;
	struct ks_audit_event *ev; /* the successes' audit rows, written at the end */
	size_t n_ev;
	char *activation; /* the "activation" member (longer than other options) */
};

static void batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	ks_api_params_init(&b->ps);
}

static void batch_cleanup(struct batch *b)
{
	size_t i;

	for (i = 0; b->docs != NULL && i < b->n; i++)
		ks_buf_cleanup(&b->docs[i].data);
	for (i = 0; b->items != NULL && i < b->n; i++) {
		ks_buf_cleanup(&b->items[i].sig);
		ks_buf_cleanup(&b->items[i].cert.own);
	}
	free(b->docs);
	free(b->items);
	free(b->ev);
	free(b->activation);
	json_decref(b->arr);
	json_decref(b->results);
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

/* The JSON body: the array member `list` taken out (1 to batch-max
 * entries), every other member (and the query's parameters) into b->ps
 * through the single-document parser.  1 when answered. */
static int batch_read(struct ks_api_svc *s, const struct ks_api_request *q, const char *list,
		      const char *const *known, struct batch *b, struct ks_api_reply *r)
{
	json_error_t e;
	json_t *o = NULL, *v;
	char *rest = NULL;
	const char *unknown;
	size_t i;
	int rc = 1;

	if (q->query_bad)
		return bad(q, r, "bad-parameter", "%s", q->query_err);
	if (!ks_http_type_is(q->content_type, "application/json")) {
		ks_api_fail(q, r, "unsupported-media-type",
			    "a batch is application/json (see the API description)", false);
		return 1;
	}
	for (i = 0; i < q->query.n; i++)
		if (ks_api_params_add(&b->ps, q->query.p[i].name, q->query.p[i].value,
				      strlen(q->query.p[i].value)) < 0) {
			rc = bad(q, r, "bad-parameter", "%s", ks_err_msg());
			goto out;
		}
	o = json_loadb((const char *)q->body, q->len, JSON_REJECT_DUPLICATES, &e);
	if (o == NULL) {
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
	unknown = ks_api_params_unknown(&b->ps, known);
	if (unknown != NULL) {
		rc = bad(q, r, "bad-parameter", "unknown parameter '%s'", unknown);
		goto out;
	}
	b->results = json_array();
	b->ev = calloc(b->n, sizeof(*b->ev));
	if (b->results == NULL || b->ev == NULL) {
		ks_api_fail(q, r, "internal", "internal error", true);
		goto out;
	}
	rc = 0;
out:
	free(rest);
	json_decref(o);
	return rc;
}

/* A base64 member of an entry into out; 1 when answered (400). */
static int entry_b64(const struct ks_api_request *q, json_t *v, const char *list, size_t i,
		     const char *name, struct ks_buf *out, struct ks_api_reply *r)
{
	if (!json_is_string(v) || json_string_length(v) == 0)
		return bad(q, r, "bad-parameter", "%s[%zu]: '%s' must be a base64 string", list, i,
			   name);
	if (ks_base64_decode(json_string_value(v), json_string_length(v), true, out) < 0 ||
	    out->len == 0)
		return bad(q, r, "bad-base64", "%s[%zu]: '%s' is not valid base64", list, i, name);
	return 0;
}

/* A text member of an entry: a string without control characters that
 * fits n bytes with its NUL; 1 when answered (400). */
static int entry_text(const struct ks_api_request *q, json_t *v, const char *list, size_t i,
		      const char *name, char *out, size_t n, struct ks_api_reply *r)
{
	const char *t;
	size_t len, k;

	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= n)
		return bad(q, r, "bad-parameter",
			   "%s[%zu]: '%s' must be a string of 1 to %zu bytes", list, i, name,
			   n - 1);
	t = json_string_value(v);
	len = json_string_length(v);
	for (k = 0; k < len; k++)
		if ((unsigned char)t[k] < 0x20 || t[k] == 0x7f)
			return bad(q, r, "bad-parameter", "%s[%zu]: '%s' holds a control character",
				   list, i, name);
	memcpy(out, t, len + 1);
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
static int batch_docs(const struct ks_api_request *q, struct batch *b, struct ks_api_reply *r)
{
	static const char *const known[] = { "name", "document", NULL };
	size_t i;
	unsigned len = 0;

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
			      &d->data, r) != 0)
			return 1;
		if (EVP_Digest(d->data.data, d->data.len, d->d, &len, EVP_sha256(), NULL) != 1 ||
		    len != 32) {
			ks_api_fail(q, r, "internal", "internal error", true);
			return 1;
		}
		ks_api_sha256_hex(d->data.data, d->data.len, d->digest);
	}
	return 0;
}

/* The "items": [{"id", "signature", "certificate"}]; 1 when answered. */
static int batch_items(const struct ks_api_request *q, struct batch *b, struct ks_api_reply *r)
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
		    entry_b64(q, json_object_get(e, "signature"), "items", i, "signature", &it->sig,
			      r) != 0)
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
			} else if (entry_b64(q, v, "items", i, "certificate", &it->cert.own, r) !=
				   0) {
				return 1;
			}
			snprintf(it->cert.name, sizeof(it->cert.name), "certificate");
			it->cert.data = it->cert.own.data;
			it->cert.len = it->cert.own.len;
		}
	}
	return 0;
}

/* Append a failed result: the member `label_name` (name or id), the
 * document's SHA-256 as `digest_name` when known, and the problem the
 * scratch reply holds. */
static int result_problem(struct batch *b, const char *label_name, const char *label,
			  const char *digest_name, const char *digest,
			  const struct ks_api_reply *scratch)
{
	json_error_t e;
	json_t *o = json_object(), *p;

	if (o == NULL || json_array_append_new(b->results, o) != 0)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	p = json_loadb((const char *)scratch->body.data, scratch->body.len, 0, &e);
	if (!json_is_object(p)) {
		json_decref(p);
		p = json_pack("{s:s,s:i}", "type", KS_PROBLEM_TYPE_PREFIX "internal", "status",
			      500);
	} else {
		json_object_del(p, "request_id");
	}
	if (json_object_set_new(o, label_name, json_string(label)) != 0 ||
	    json_object_set_new(o, "status", json_integer(scratch->status)) != 0 ||
	    (digest != NULL && digest[0] != '\0' &&
	     json_object_set_new(o, digest_name, json_string(digest)) != 0) ||
	    json_object_set_new(o, "problem", p) != 0)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	return 0;
}

static int result_document(struct batch *b, const char *label_name, const char *label,
			   const char *digest, const struct ks_sign_outcome *res,
			   const struct ks_buf *doc)
{
	json_t *o = json_object();
	struct ks_buf b64;
	int rc = -1;

	ks_buf_init(&b64, doc->len / 3 * 4 + 8);
	if (o == NULL || json_array_append_new(b->results, o) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_base64_encode(doc->data, doc->len, &b64));
	if (json_object_set_new(o, label_name, json_string(label)) != 0 ||
	    json_object_set_new(o, "status", json_integer(200)) != 0 ||
	    json_object_set_new(o, "digest", json_string(digest)) != 0 ||
	    json_object_set_new(o, "format", json_string(ks_format_name(res->format))) != 0 ||
	    json_object_set_new(o, "summary", json_string(res->summary)) != 0 ||
	    json_object_set_new(o, "document", json_stringn((const char *)b64.data, b64.len)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	rc = 0;
out:
	ks_buf_cleanup(&b64);
	return rc;
}

/* The answer: 200, {"request_id", "ok": N, "failed": M, "results": [...]},
 * once the successes' audit rows are written. */
static int batch_reply(struct ks_api_svc *s, const struct ks_api_request *q, struct batch *b,
		       struct ks_api_reply *r)
{
	json_t *o = json_object(), *v;
	char *dump = NULL;
	size_t i, ok = 0;
	int rc = -1;

	if (ks_api_audit_rows(s, q, b->ev, b->n_ev) < 0) {
		ks_api_fail(q, r, "storage-unavailable", "try again shortly", false);
		json_decref(o);
		return 0;
	}
	json_array_foreach(b->results, i, v) ok +=
	    json_integer_value(json_object_get(v, "status")) == 200;
	if (o == NULL || json_object_set_new(o, "request_id", json_string(q->id)) != 0 ||
	    json_object_set_new(o, "ok", json_integer((json_int_t)ok)) != 0 ||
	    json_object_set_new(o, "failed", json_integer((json_int_t)(b->n - ok))) != 0 ||
	    json_object_set(o, "results", b->results) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	dump = json_dumps(o, JSON_COMPACT);
	if (dump == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	r->status = 200;
	r->content_type = "application/json";
	KS_GUARD(ks_buf_append_str(&r->body, dump));
	rc = 0;
out:
	free(dump);
	json_decref(o);
	return rc;
}

/* The options of a batch: 1 when answered (400). */
static int batch_opts(struct ks_api_svc *s, const struct ks_api_request *q, struct batch *b,
		      const char *const *known, struct ks_api_sign_opts *o, struct ks_api_reply *r)
{
	if (ks_api_sign_opts_read(q, &b->ps, known, o, r) != 0)
		return 1;
	if (!ks_api_md_allowed(s, o->md))
		return ks_api_bad_param(q, r, "the digest algorithm '%s' is not allowed here",
					o->md != NULL ? o->md : "sha256");
	return 0;
}

int ks_api_h_sign_batch(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;
	struct ks_api_caller who;
	struct ks_api_sign_opts o;
	struct ks_api_key *k = NULL;
	struct ks_key *key = NULL;
	struct batch b;
	struct ks_buf out;
	uint8_t(*d)[32] = NULL;
	const char *act;
	char session[KS_API_SESSION_MAX] = "";
	size_t i;
	int rc = 0;

	batch_init(&b);
	ks_buf_init(&out, KS_TWOPHASE_DOC_MAX);
	if (ks_api_authenticate(s, q, true, &who, r) != 0 ||
	    ks_api_require_op(s, q, &who, KS_OP_SIGN, "sign", r) != 0 ||
	    batch_read(s, q, "documents", batch_sign_known, &b, r) != 0 ||
	    batch_opts(s, q, &b, batch_sign_known, &o, r) != 0 || batch_docs(q, &b, r) != 0)
		goto out;
	if (o.key == NULL) {
		ks_api_bad_param(q, r, "'%s' is missing: name the signing key", "key");
		goto out;
	}
	if (ks_api_key_granted(s, q, &who, "sign", o.key, &k, r) != 0)
		goto out;
	/* a personal key: one activation of the holder covers exactly
	 * these documents (or a session with enough uses left) */
	d = calloc(b.n, sizeof(*d));
	if (d == NULL) {
		ks_api_fail(q, r, "internal", "internal error", true);
		goto out;
	}
	for (i = 0; i < b.n; i++)
		memcpy(d[i], b.docs[i].d, 32);
	act = b.activation != NULL ? b.activation : ks_api_param(&b.ps, "activation");
	if (ks_api_activation_check(s, q, &who, k, act != NULL ? act : q->activation,
				    (const uint8_t(*)[32])d, b.n, true, "sign-batch", "", session,
				    r) != 0)
		goto out;
	if (ks_api_key_get(s, k, &key) < 0) {
		ks_api_key_failed(s, q, &who, "sign-batch", k, "", o.level, r);
		goto out;
	}
	for (i = 0; i < b.n; i++) {
		struct bdoc *doc = &b.docs[i];
		struct ks_sign_outcome res;

		ks_buf_reset(&out);
		if (ks_api_sign_run(s, q, &o, key, doc->name, doc->data.data, doc->data.len, &out,
				    &res) < 0) {
			struct ks_api_reply scratch;

			ks_api_reply_init(&scratch);
			ks_api_sign_failed(s, q, &who, "sign", k, doc->digest, o.level, &scratch);
			rc = result_problem(&b, "name", doc->name, "digest", doc->digest, &scratch);
			ks_api_reply_cleanup(&scratch);
		} else {
			atomic_fetch_add(&k->signatures, 1);
			ks_api_audit_event(&b.ev[b.n_ev++], q, &who, "sign", k->conf->name,
					   doc->digest, o.level != NULL ? o.level : "B-B", "ok",
					   session);
			rc = result_document(&b, "name", doc->name, doc->digest, &res, &out);
		}
		if (rc < 0) {
			ks_api_fail(q, r, "internal", "internal error", true);
			goto out;
		}
	}
	ks_log(KS_LOG_INFO, "request %s: client %s signed %zu of %zu documents with '%s'%s%s",
	       q->id, who.c.name, b.n_ev, b.n, k->conf->name,
	       session[0] != '\0' ? " in session " : "", session);
	rc = batch_reply(s, q, &b, r);
out:
	free(d);
	ks_buf_cleanup(&out);
	batch_cleanup(&b);
	return rc;
}

/* One prepared document's entry of the answer. */
static int result_prepared(struct batch *b, const struct bdoc *doc,
			   const struct ks_store_prepared *sp, const struct ks_prepared *p)
{
	json_t *o = json_object();
	struct ks_buf b64;
	int rc = -1;

	ks_buf_init(&b64, p->tbs.len / 3 * 4 + 8);
	if (o == NULL || json_array_append_new(b->results, o) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_base64_encode(p->tbs.data, p->tbs.len, &b64));
	if (json_object_set_new(o, "name", json_string(doc->name)) != 0 ||
	    json_object_set_new(o, "status", json_integer(200)) != 0 ||
	    json_object_set_new(o, "id", json_string(sp->id)) != 0 ||
	    json_object_set_new(o, "document_digest", json_string(doc->digest)) != 0 ||
	    json_object_set_new(o, "digest", json_stringn((const char *)b64.data, b64.len)) != 0 ||
	    json_object_set_new(o, "algorithm", json_string(ks_md_name(p->md))) != 0 ||
	    json_object_set_new(o, "scheme", json_string(ks_sig_scheme_name(p->scheme))) != 0 ||
	    json_object_set_new(o, "format", json_string(ks_format_name(p->format))) != 0 ||
	    json_object_set_new(o, "expires", json_integer((json_int_t)sp->expires)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	rc = 0;
out:
	ks_buf_cleanup(&b64);
	return rc;
}

int ks_api_h_batch_prepare(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;
	struct ks_api_caller who;
	struct ks_api_sign_opts o;
	struct ks_api_key *k = NULL;
	struct batch b;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	size_t i;
	int rc = 0;

	batch_init(&b);
	if (ks_api_authenticate(s, q, true, &who, r) != 0 ||
	    ks_api_require_op(s, q, &who, KS_OP_PREPARE, "prepare", r) != 0 ||
	    batch_read(s, q, "documents", batch_prepare_known, &b, r) != 0 ||
	    batch_opts(s, q, &b, batch_prepare_known, &o, r) != 0 || batch_docs(q, &b, r) != 0)
		goto out;
	if (ks_api_blob(&b.ps, "certificate") == NULL) {
		ks_api_bad_param(q, r, "'%s' is required", "certificate");
		goto out;
	}
	if (ks_api_prepare_cert(s, q, &who, &b.ps, o.key, "", &cert, &chain, &k, r) != 0)
		goto out;
	for (i = 0; i < b.n; i++) {
		struct bdoc *doc = &b.docs[i];
		struct ks_store_prepared sp;
		struct ks_prepared p;
		struct ks_api_reply scratch;
		int one;

		ks_store_prepared_init(&sp);
		ks_prepared_init(&p);
		ks_api_reply_init(&scratch);
		one = ks_api_prepare_run(s, q, &who, k, &o, cert, chain, doc->name, doc->data.data,
					 doc->data.len, doc->digest, &sp, &p, &scratch);
		if (one != 0) {
			rc = result_problem(&b, "name", doc->name, "document_digest", doc->digest,
					    &scratch);
		} else {
			ks_api_audit_event(&b.ev[b.n_ev++], q, &who, "prepare",
					   k != NULL ? k->conf->name : "", doc->digest,
					   o.level != NULL ? o.level : "B-B", "ok", NULL);
			rc = result_prepared(&b, doc, &sp, &p);
		}
		ks_api_reply_cleanup(&scratch);
		ks_prepared_cleanup(&p);
		ks_store_prepared_cleanup(&sp);
		if (rc < 0) {
			ks_api_fail(q, r, "internal", "internal error", true);
			goto out;
		}
	}
	rc = batch_reply(s, q, &b, r);
out:
	X509_free(cert);
	if (chain != NULL)
		sk_X509_pop_free(chain, X509_free);
	batch_cleanup(&b);
	return rc;
}

int ks_api_h_batch_complete(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;
	struct ks_api_caller who;
	struct batch b;
	struct ks_buf out;
	size_t i;
	int rc = 0;
	/* the rows' texts must live until they are written */
	char(*digests)[KS_API_DOC_DIGEST_HEX] = NULL;
	char(*levels)[KS_API_LEVEL_MAX] = NULL;

	batch_init(&b);
	ks_buf_init(&out, KS_TWOPHASE_DOC_MAX);
	if (ks_api_authenticate(s, q, true, &who, r) != 0 ||
	    ks_api_require_op(s, q, &who, KS_OP_PREPARE, "complete", r) != 0 ||
	    batch_read(s, q, "items", batch_complete_known, &b, r) != 0 ||
	    batch_items(q, &b, r) != 0)
		goto out;
	digests = calloc(b.n, sizeof(*digests));
	levels = calloc(b.n, sizeof(*levels));
	if (digests == NULL || levels == NULL) {
		ks_api_fail(q, r, "internal", "internal error", true);
		goto out;
	}
	for (i = 0; i < b.n; i++) {
		struct bitem *it = &b.items[i];
		struct ks_sign_outcome res;
		struct ks_api_reply scratch;

		ks_buf_reset(&out);
		ks_api_reply_init(&scratch);
		if (ks_api_complete_run(s, q, &who, it->id, it->sig.data, it->sig.len,
					it->cert.len > 0 ? &it->cert : NULL, &b.ps, &out, &res,
					digests[i], levels[i], &scratch) != 0) {
			rc = result_problem(&b, "id", it->id, "digest", digests[i], &scratch);
		} else {
			ks_api_audit_event(&b.ev[b.n_ev++], q, &who, "complete", "", digests[i],
					   levels[i], "ok", NULL);
			rc = result_document(&b, "id", it->id, digests[i], &res, &out);
		}
		ks_api_reply_cleanup(&scratch);
		if (rc < 0) {
			ks_api_fail(q, r, "internal", "internal error", true);
			goto out;
		}
	}
	rc = batch_reply(s, q, &b, r);
out:
	free(digests);
	free(levels);
	ks_buf_cleanup(&out);
	batch_cleanup(&b);
	return rc;
}
