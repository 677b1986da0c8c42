/* POST /v1/sign/batch, /v1/sign/batch/prepare and /v1/sign/batch/complete:
 * many documents in one request (docs/api.md, "Batches").
 *
 * The requests are read by ks_api_batch_read.c (ks_api_batch.h).  Each
 * document goes through the single-document route's code
 * (ks_api_sign.h); a document that fails gets its problem in its place
 * of the results and never stops the others.  The answer
 * is 200 with the results in the order sent once the batch could be
 * read and was allowed; a refusal of the whole batch (authentication,
 * grant, activation, shape) is a problem document as for one document.
 *
 * The documents of a batch are signed by as many threads as there are
 * cores (the request's worker and helpers it starts), each taking the
 * next unsigned document; the results are then put in order by the
 * worker alone. */
#include <jansson.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ks_api_batch.h"
#include "api/ks_api_sign.h"
#include "ks_codec.h"
#include "ks_log.h"

static const char *const batch_sign_known[] = { "key",        "level",   "md",     "format",
						"pss",        "visible", "reason", "role",
						"location",   "certify", "field",  "xml-mode",
						"activation", NULL };
static const char *const batch_prepare_known[] = { "key",         "level",   "md",     "format",
						   "pss",         "visible", "reason", "role",
						   "location",    "certify", "field",  "xml-mode",
						   "certificate", "chain",   NULL };
static const char *const batch_complete_known[] = { "chain", NULL };

/* Add a result object (consumed): its JSON, and when `doc` is given a
 * last member "document" with its base64 text, encoded straight into the
 * answer (base64 needs no escaping, and a batch's answer holds megabytes
 * of it). */
static int result_add(struct batch *b, json_t *o, bool ok, const struct ks_buf *doc)
{
	char *dump = NULL;
	size_t len;
	int rc = -1;

	if (o == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	dump = json_dumps(o, JSON_COMPACT);
	if (dump == NULL || (len = strlen(dump)) < 2)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (b->n_results > 0)
		KS_GUARD(ks_buf_append_byte(&b->results, ','));
	if (doc == NULL) {
		KS_GUARD(ks_buf_append(&b->results, dump, len));
	} else {
		KS_GUARD(ks_buf_append(&b->results, dump, len - 1)); /* without its '}' */
		KS_GUARD(ks_buf_append_str(&b->results, ",\"document\":\""));
		KS_GUARD(ks_base64_encode(doc->data, doc->len, &b->results));
		KS_GUARD(ks_buf_append_str(&b->results, "\"}"));
	}
	b->n_results++;
	b->ok += ok;
	rc = 0;
out:
	free(dump);
	json_decref(o);
	return rc;
}

/* Start the answer: its head, and room for what the documents will
 * take (their base64 and the signatures) so it grows in place. */
static int results_start(const struct ks_api_request *q, struct batch *b, size_t per_doc)
{
	size_t i, expect = 64;

	/* a signed document: its base64, with room for the signature */
	for (i = 0; b->docs != NULL && i < b->n; i++)
		expect += b->docs[i].data.len / 3 * 4 * 2;
	expect += b->n * per_doc;
	if (ks_buf_reserve(&b->results, expect) < 0 ||
	    ks_buf_append_str(&b->results, "{\"request_id\":\"") < 0 ||
	    ks_buf_append_str(&b->results, q->id) < 0 ||
	    ks_buf_append_str(&b->results, "\",\"results\":[") < 0)
		return -1;
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

	p = json_loadb((const char *)scratch->body.data, scratch->body.len, 0, &e);
	if (!json_is_object(p)) {
		json_decref(p);
		p = json_pack("{s:s,s:i}", "type", KS_PROBLEM_TYPE_PREFIX "internal", "status",
			      500);
	} else {
		json_object_del(p, "request_id");
	}
	if (o == NULL || json_object_set_new(o, label_name, json_string(label)) != 0 ||
	    json_object_set_new(o, "status", json_integer(scratch->status)) != 0 ||
	    (digest != NULL && digest[0] != '\0' &&
	     json_object_set_new(o, digest_name, json_string(digest)) != 0) ||
	    json_object_set_new(o, "problem", p) != 0) {
		json_decref(o);
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	return result_add(b, o, false, NULL);
}

static int result_document(struct batch *b, const char *label_name, const char *label,
			   const char *digest, const struct ks_sign_outcome *res,
			   const struct ks_buf *doc)
{
	json_t *o = json_object();

	if (o == NULL || json_object_set_new(o, label_name, json_string(label)) != 0 ||
	    json_object_set_new(o, "status", json_integer(200)) != 0 ||
	    json_object_set_new(o, "digest", json_string(digest)) != 0 ||
	    json_object_set_new(o, "format", json_string(ks_format_name(res->format))) != 0 ||
	    json_object_set_new(o, "summary", json_string(res->summary)) != 0) {
		json_decref(o);
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	return result_add(b, o, true, doc);
}

/* The answer: 200, {"request_id", "results": [...], "ok": N, "failed": M},
 * once the successes' audit rows are written. */
static int batch_reply(struct ks_api_svc *s, const struct ks_api_request *q, struct batch *b,
		       struct ks_api_reply *r)
{
	struct ks_buf t;
	char tail[80];
	int w;

	ks_api_http_turn_done();
	if (ks_api_audit_rows(s, q, b->ev, b->n_ev) < 0) {
		ks_api_fail(q, r, "storage-unavailable", "try again shortly", false);
		return 0;
	}
	w = snprintf(tail, sizeof(tail), "],\"ok\":%zu,\"failed\":%zu}", b->ok,
		     b->n_results - b->ok);
	if (w < 0 || (size_t)w >= sizeof(tail) || ks_buf_append(&b->results, tail, (size_t)w) < 0)
		return -1;
	/* the answer is the buffer the results were written into */
	t = r->body;
	r->body = b->results;
	b->results = t;
	r->status = 200;
	r->content_type = "application/json";
	return 0;
}

/* One document's signature, made by whichever thread took it. */
struct bsigned {
	struct ks_buf out;
	struct ks_sign_outcome res;
	struct ks_api_signed_ref ref;
	bool ok;
	enum ks_err_code code; /* the failure, when !ok */
	char msg[KS_ERR_MSG_MAX];
};

struct bsign_run {
	struct ks_api_svc *s;
	const struct ks_api_request *q;
	const struct ks_api_sign_opts *o;
	struct ks_key *key;
	struct batch *b;
	struct bsigned *sg;
	atomic_size_t next;
};

#define BSIGN_HELPERS_MAX 15

static void bsign_one(struct bsign_run *w, size_t i)
{
	struct bdoc *doc = &w->b->docs[i];
	struct bsigned *g = &w->sg[i];

	if (ks_api_sign_run(w->s, w->q, w->o, w->key, doc->name, doc->data.data, doc->data.len,
			    &doc->h, &g->out, &g->res) < 0) {
		/* the error is this thread's: kept for the worker */
		g->code = ks_err_code();
		snprintf(g->msg, sizeof(g->msg), "%s", ks_err_msg());
		ks_err_clear();
		return;
	}
	ks_api_signed_ref_of(&g->ref, w->q, &g->res, &g->out, w->key, &doc->h);
	g->ok = true;
}

static void *bsign_thread(void *arg)
{
	struct bsign_run *w = arg;
	size_t i;

	while ((i = atomic_fetch_add(&w->next, 1)) < w->b->n)
		bsign_one(w, i);
	return NULL;
}

/* Sign every document of the batch into w->sg: the calling worker and
 * up to a helper per further core (fewer when threads cannot start:
 * the worker then signs the rest). */
static void bsign_all(struct bsign_run *w)
{
	pthread_t th[BSIGN_HELPERS_MAX];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t want = cpus > 1 ? (size_t)cpus - 1 : 0, n = 0, i;

	if (want > BSIGN_HELPERS_MAX)
		want = BSIGN_HELPERS_MAX;
	if (want > w->b->n - 1)
		want = w->b->n - 1;
	for (n = 0; n < want; n++)
		if (pthread_create(&th[n], NULL, bsign_thread, w) != 0)
			break;
	(void)bsign_thread(w);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
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
	struct bsign_run run;
	struct bsigned *sg = NULL;
	uint8_t(*d)[32] = NULL;
	const char *act;
	char session[KS_API_SESSION_MAX] = "";
	size_t i;
	int rc = 0;

	ks_api_batch_init(&b);
	if (ks_api_authenticate(s, q, true, &who, r) != 0 ||
	    ks_api_require_op(s, q, &who, KS_OP_SIGN, "sign", r) != 0 ||
	    ks_api_batch_read(s, q, "documents", batch_sign_known, &b, r) != 0 ||
	    batch_opts(s, q, &b, batch_sign_known, &o, r) != 0 || ks_api_batch_docs(q, &b, r) != 0)
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
	if (results_start(q, &b, 32768) < 0) {
		ks_api_fail(q, r, "internal", "internal error", true);
		goto out;
	}
	sg = calloc(b.n, sizeof(*sg));
	if (sg == NULL) {
		ks_api_fail(q, r, "internal", "internal error", true);
		goto out;
	}
	for (i = 0; i < b.n; i++)
		ks_buf_init(&sg[i].out, KS_TWOPHASE_DOC_MAX);
	run.s = s;
	run.q = q;
	run.o = &o;
	run.key = key;
	run.b = &b;
	run.sg = sg;
	atomic_init(&run.next, 0);
	bsign_all(&run);
	for (i = 0; i < b.n; i++) {
		struct bdoc *doc = &b.docs[i];
		struct bsigned *g = &sg[i];

		if (!g->ok) {
			struct ks_api_reply scratch;

			ks_err_set(g->code, __FILE__, __LINE__, "%s", g->msg);
			ks_api_reply_init(&scratch);
			ks_api_sign_failed(s, q, &who, "sign", k, doc->digest, o.level, &scratch);
			rc = result_problem(&b, "name", doc->name, "digest", doc->digest, &scratch);
			ks_api_reply_cleanup(&scratch);
		} else {
			atomic_fetch_add(&k->signatures, 1);
			b.refs[b.n_ev] = g->ref;
			ks_api_audit_event(&b.ev[b.n_ev], q, &who, "sign", k->conf->name,
					   doc->digest, o.level != NULL ? o.level : "B-B", "ok",
					   session);
			ks_api_audit_event_signed(&b.ev[b.n_ev], &b.refs[b.n_ev]);
			b.n_ev++;
			rc = result_document(&b, "name", doc->name, doc->digest, &g->res, &g->out);
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
	for (i = 0; sg != NULL && i < b.n; i++)
		ks_buf_cleanup(&sg[i].out);
	free(sg);
	free(d);
	ks_api_batch_cleanup(&b);
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
	KS_GUARD(ks_base64_encode(p->tbs.data, p->tbs.len, &b64));
	if (o == NULL || json_object_set_new(o, "name", json_string(doc->name)) != 0 ||
	    json_object_set_new(o, "status", json_integer(200)) != 0 ||
	    json_object_set_new(o, "id", json_string(sp->id)) != 0 ||
	    json_object_set_new(o, "document_digest", json_string(doc->digest)) != 0 ||
	    json_object_set_new(o, "digest", json_stringn((const char *)b64.data, b64.len)) != 0 ||
	    json_object_set_new(o, "algorithm", json_string(ks_md_name(p->md))) != 0 ||
	    json_object_set_new(o, "scheme", json_string(ks_sig_scheme_name(p->scheme))) != 0 ||
	    json_object_set_new(o, "format", json_string(ks_format_name(p->format))) != 0 ||
	    json_object_set_new(o, "expires", json_integer((json_int_t)sp->expires)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	rc = result_add(b, o, true, NULL);
	o = NULL;
out:
	json_decref(o);
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

	ks_api_batch_init(&b);
	if (ks_api_authenticate(s, q, true, &who, r) != 0 ||
	    ks_api_require_op(s, q, &who, KS_OP_PREPARE, "prepare", r) != 0 ||
	    ks_api_batch_read(s, q, "documents", batch_prepare_known, &b, r) != 0 ||
	    batch_opts(s, q, &b, batch_prepare_known, &o, r) != 0 ||
	    ks_api_batch_docs(q, &b, r) != 0)
		goto out;
	if (ks_api_blob(&b.ps, "certificate") == NULL) {
		ks_api_bad_param(q, r, "'%s' is required", "certificate");
		goto out;
	}
	if (ks_api_prepare_cert(s, q, &who, &b.ps, o.key, "", &cert, &chain, &k, r) != 0)
		goto out;
	if (results_start(q, &b, 1024) < 0) {
		ks_api_fail(q, r, "internal", "internal error", true);
		goto out;
	}
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
	ks_api_batch_cleanup(&b);
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

	ks_api_batch_init(&b);
	ks_buf_init(&out, KS_TWOPHASE_DOC_MAX);
	if (ks_api_authenticate(s, q, true, &who, r) != 0 ||
	    ks_api_require_op(s, q, &who, KS_OP_PREPARE, "complete", r) != 0 ||
	    ks_api_batch_read(s, q, "items", batch_complete_known, &b, r) != 0 ||
	    ks_api_batch_items(q, &b, r) != 0)
		goto out;
	digests = calloc(b.n, sizeof(*digests));
	levels = calloc(b.n, sizeof(*levels));
	if (digests == NULL || levels == NULL || results_start(q, &b, 65536) < 0) {
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
					digests[i], levels[i], &b.refs[b.n_ev], &scratch) != 0) {
			rc = result_problem(&b, "id", it->id, "digest", digests[i], &scratch);
		} else {
			ks_api_audit_event(&b.ev[b.n_ev], q, &who, "complete", b.refs[b.n_ev].key,
					   digests[i], levels[i], "ok", NULL);
			ks_api_audit_event_signed(&b.ev[b.n_ev], &b.refs[b.n_ev]);
			b.n_ev++;
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
	ks_api_batch_cleanup(&b);
	return rc;
}
