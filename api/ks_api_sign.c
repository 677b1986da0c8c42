/* POST /v1/sign and the helpers the signing routes share (docs/api.md);
 * the two-phase routes are in ks_api_twophase.c. */
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/ks_api_auth.h"
#include "api/ks_api_int.h"
#include "api/ks_api_sign.h"
#include "ks_codec.h"
#include "ks_log.h"
#include "signer/ks_twophase.h"

static const char *const sign_known[] = { "key",      "level",      "md",       "format",
					  "pss",      "visible",    "reason",   "role",
					  "location", "certify",    "field",    "xml-mode",
					  "name",     "activation", "document", NULL };

int ks_api_bad_param(const struct ks_api_request *q, struct ks_api_reply *r, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ks_api_fail(q, r, "bad-parameter", msg, false);
	return 1;
}

/* Read and check the options; 1 when answered (400). */
int ks_api_sign_opts_read(const struct ks_api_request *q, const struct ks_api_params *ps,
			  const char *const *known, struct ks_api_sign_opts *o,
			  struct ks_api_reply *r)
{
	const char *v, *unknown = ks_api_params_unknown(ps, known);
	enum ks_md md;

	memset(o, 0, sizeof(*o));
	ks_sign_xml_opts_init(&o->xml);
	if (unknown != NULL)
		return ks_api_bad_param(q, r, "unknown parameter '%s'", unknown);
	o->key = ks_api_param(ps, "key");
	o->level = ks_api_param(ps, "level");
	o->md = ks_api_param(ps, "md");
	o->format = ks_api_param(ps, "format");
	o->name = ks_api_param(ps, "name");
	if (o->level != NULL && strcmp(o->level, "B-B") != 0 && strcmp(o->level, "B-T") != 0)
		return ks_api_bad_param(
		    q, r, "'%s' must be B-B or B-T (B-LT and B-LTA: kyso extend)", "level");
	if (o->md != NULL && ks_md_parse(o->md, &md) < 0) {
		ks_err_clear();
		return ks_api_bad_param(q, r, "'%s' must be sha256, sha384 or sha512", "md");
	}
	if (ks_api_param_bool(ps, "pss", &o->pss) < 0) {
		ks_err_clear();
		return ks_api_bad_param(q, r, "'%s' must be true or false", "pss");
	}
	o->f = KS_FORMAT_AUTO;
	if (o->format != NULL && ks_format_parse(o->format, &o->f) < 0) {
		ks_err_clear();
		return ks_api_bad_param(q, r, "'%s' must be pdf, xml or cms", "format");
	}
	o->pdf.visible = ks_api_param(ps, "visible");
	o->pdf.reason = ks_api_param(ps, "reason");
	o->pdf.role = ks_api_param(ps, "role");
	o->pdf.location = ks_api_param(ps, "location");
	o->pdf.field = ks_api_param(ps, "field");
	o->xml.role = o->pdf.role;
	v = ks_api_param(ps, "certify");
	if (v != NULL) {
		if (strlen(v) != 1 || v[0] < '1' || v[0] > '3')
			return ks_api_bad_param(q, r, "'%s' must be 1, 2 or 3", "certify");
		o->pdf.certify = v[0] - '0';
	}
	v = ks_api_param(ps, "xml-mode");
	if (v != NULL)
		o->xml.mode = v;
	return 0;
}

/* Is the digest algorithm allowed by the configuration? */
bool ks_api_md_allowed(const struct ks_api_svc *s, const char *md)
{
	enum ks_md m = KS_MD_SHA256;

	if (md != NULL && ks_md_parse(md, &m) < 0) {
		ks_err_clear();
		return false;
	}
	switch (m) {
	case KS_MD_SHA256:
		return (s->conf->digests & KS_CONF_SHA256) != 0;
	case KS_MD_SHA384:
		return (s->conf->digests & KS_CONF_SHA384) != 0;
	case KS_MD_SHA512:
		return (s->conf->digests & KS_CONF_SHA512) != 0;
	}
	return false;
}

enum ks_format ks_api_sign_format(const struct ks_api_request *q, const struct ks_api_sign_opts *o,
				  const uint8_t *doc, size_t n)
{
	if (o->f != KS_FORMAT_AUTO)
		return o->f;
	if (ks_http_type_is(q->content_type, "application/pdf"))
		return KS_FORMAT_PDF;
	if (ks_http_type_is(q->content_type, "application/xml") ||
	    ks_http_type_is(q->content_type, "text/xml"))
		return KS_FORMAT_XML;
	return ks_format_sniff(doc, n);
}

static const char *media_type(enum ks_format f)
{
	switch (f) {
	case KS_FORMAT_PDF:
		return "application/pdf";
	case KS_FORMAT_XML:
		return "application/xml";
	default:
		return "application/pkcs7-signature";
	}
}

static const char *extension(enum ks_format f)
{
	return f == KS_FORMAT_PDF ? "pdf" : f == KS_FORMAT_XML ? "xml" : "p7s";
}

/* The grant of a key to the caller: 1 when answered (404/403). */
int ks_api_key_granted(struct ks_api_svc *s, const struct ks_api_request *q,
		       const struct ks_api_caller *who, const char *op, const char *name,
		       struct ks_api_key **k, struct ks_api_reply *r)
{
	size_t i;

	*k = ks_api_key_find(s, name);
	if (*k == NULL) {
		ks_api_fail(q, r, "unknown-key", "no key of that name is configured", false);
		ks_api_audit(s, q, who, op, "", "", "", "unknown-key");
		return 1;
	}
	for (i = 0; i < who->c.n_grants; i++)
		if (strcmp(who->c.grants[i], (*k)->conf->name) == 0 ||
		    strcmp(who->c.grants[i], "*") == 0)
			return 0;
	ks_api_fail(q, r, "forbidden-key", "the client is not granted this key", false);
	ks_api_audit(s, q, who, op, (*k)->conf->name, "", "", "forbidden-key");
	return 1;
}

static int digest_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* Do the activation's digests and the request's form the same multiset? */
static bool same_digests(const struct ks_activation *a, const uint8_t (*d)[32], size_t n)
{
	uint8_t(*x)[32] = NULL, (*y)[32] = NULL;
	bool same = false;

	if (a->n_digests != n || n == 0)
		return false;
	x = calloc(n, 32);
	y = calloc(n, 32);
	if (x != NULL && y != NULL) {
		memcpy(x, a->digests, n * 32);
		memcpy(y, d, n * 32);
		qsort(x, n, 32, digest_cmp);
		qsort(y, n, 32, digest_cmp);
		same = CRYPTO_memcmp(x, y, n * 32) == 0;
	}
	free(x);
	free(y);
	return same;
}

/* A session activation: allowed for this key, within the limits, and
 * n more uses fit (counted in the store).  KS_ERR_VERIFY saying why not;
 * other errors are the store's. */
static int session_allows(struct ks_api_svc *s, const struct ks_api_key *k,
			  const struct ks_activation *a, size_t n, int64_t now)
{
	bool granted = false;
	unsigned used = 0;

	if (!k->conf->session_activation)
		return KS_SET(KS_ERR_VERIFY, "key '%s' does not accept session activations",
			      k->conf->name);
	if (ks_activation_allows_session(a, k->conf->name, now, s->conf->session_ttl_max_s,
					 s->conf->session_signatures_max) < 0)
		return -1;
	if (n > a->uses)
		return KS_SET(KS_ERR_VERIFY, "the session activation allows %u signatures",
			      a->uses);
	if (ks_store_session_use(s->store, a->nonce, a->uses, a->exp, now, (unsigned)n, &granted,
				 &used) < 0)
		return -1;
	if (!granted)
		return KS_SET(KS_ERR_VERIFY, "the session activation's %u signatures are used up",
			      a->uses);
	return 0;
}

int ks_api_activation_check(struct ks_api_svc *s, const struct ks_api_request *q,
			    const struct ks_api_caller *who, struct ks_api_key *k, const char *text,
			    const uint8_t (*d)[32], size_t n, bool exact, const char *op,
			    const char *digest_hex, char session[KS_API_SESSION_MAX],
			    struct ks_api_reply *r)
{
	struct ks_activation a;
	bool fresh = false;
	const char *code = "activation-invalid";
	char detail[KS_PROBLEM_DETAIL_MAX];
	int64_t now = (int64_t)time(NULL);
	int rc = 1;

	session[0] = '\0';
	if (!k->conf->personal)
		return 0;
	ks_activation_init(&a);
	if (text == NULL) {
		code = "activation-required";
		snprintf(detail, sizeof(detail),
			 "key '%s' is personal: send the holder's activation for %s", k->conf->name,
			 n > 1 ? "these documents" : "this document");
		goto refuse;
	}
	if (k->act_pub == NULL) {
		snprintf(detail, sizeof(detail), "key '%s' has no activation key configured",
			 k->conf->name);
		goto refuse;
	}
	if (ks_activation_parse(text, strlen(text), k->act_pub, &a) < 0)
		goto why;
	if (a.uses > 0) {
		if (session_allows(s, k, &a, n, now) < 0) {
			if (ks_err_code() != KS_ERR_VERIFY) {
				ks_api_fail(q, r, "storage-unavailable", "try again shortly", true);
				rc = -1;
				goto out;
			}
			goto why;
		}
		snprintf(session, KS_API_SESSION_MAX, "%s", a.nonce);
		rc = 0;
		goto out;
	}
	if (ks_activation_allows(&a, k->conf->name, d, n, now, s->conf->activation_ttl_max_s) < 0)
		goto why;
	if (exact && !same_digests(&a, d, n)) {
		snprintf(detail, sizeof(detail),
			 "the activation must list exactly the %zu documents of the batch", n);
		goto refuse;
	}
	if (ks_store_nonce_use(s->store, a.nonce, a.exp, &fresh) < 0) {
		ks_api_fail(q, r, "storage-unavailable", "try again shortly", true);
		rc = -1;
		goto out;
	}
	if (!fresh) {
		snprintf(detail, sizeof(detail), "the activation was already used");
		goto refuse;
	}
	rc = 0;
	goto out;
why:
	snprintf(detail, sizeof(detail), "%s", ks_err_msg());
	ks_err_clear();
refuse:
	ks_api_fail(q, r, code, detail, false);
	ks_api_audit(s, q, who, op, k->conf->name, digest_hex, "", code);
out:
	ks_activation_cleanup(&a);
	return rc;
}

/* A personal key: the holder's activation for this document.  1 when
 * answered (403). */
static int activated(struct ks_api_svc *s, const struct ks_api_request *q,
		     const struct ks_api_caller *who, struct ks_api_key *k,
		     const struct ks_api_params *ps, const uint8_t *doc, size_t n,
		     const char *digest_hex, char session[KS_API_SESSION_MAX],
		     struct ks_api_reply *r)
{
	const char *text = ks_api_param(ps, "activation");
	uint8_t d[1][32];
	unsigned len = 0;

	session[0] = '\0';
	if (!k->conf->personal)
		return 0;
	if (EVP_Digest(doc, n, d[0], &len, EVP_sha256(), NULL) != 1 || len != 32) {
		ks_api_fail(q, r, "internal", "internal error", true);
		return -1;
	}
	return ks_api_activation_check(s, q, who, k, text != NULL ? text : q->activation,
				       (const uint8_t(*)[32])d, 1, false, "sign", digest_hex,
				       session, r);
}

int ks_api_audit_rows(struct ks_api_svc *s, const struct ks_api_request *q,
		      const struct ks_audit_event *ev, size_t n)
{
	if (ks_api_auditq_add_many(s, ev, n) < 0) {
		ks_log(KS_LOG_ERROR, "request %s: %zu audit rows not written: %s", q->id, n,
		       ks_err_msg());
		ks_err_clear();
		atomic_fetch_add(&s->audit_errors, 1);
		return -1;
	}
	return 0;
}

void ks_api_sign_job(struct ks_api_svc *s, const struct ks_api_sign_opts *o, struct ks_key *key,
		     const char *name, enum ks_format f, struct ks_sign_job *j)
{
	ks_sign_job_init(j);
	j->in = name != NULL ? name : o->name != NULL ? o->name : "document";
	j->format = f;
	j->key = key;
	j->md = o->md;
	j->rsa_pss = o->pss;
	j->level = o->level;
	j->tsa = &s->tsa;
	j->trust = s->trust;
	j->rev = &s->rev;
	j->rev_policy = s->rev_policy;
	j->signing_time = f == KS_FORMAT_CMS;
	j->pdf = o->pdf;
	j->xml = o->xml;
	/* for the audit row (ks_api_signed_ref_of) */
	j->want_record = true;
}

bool ks_api_sign_waits(const struct ks_api_svc *s, const struct ks_api_sign_opts *o,
		       const struct ks_key *key)
{
	return (key != NULL && strcmp(key->ops->kind, "file") != 0) ||
	       s->rev_policy != KS_REV_POLICY_OFF ||
	       (o->level != NULL && strcmp(o->level, "B-B") != 0);
}

int ks_api_sign_run(struct ks_api_svc *s, const struct ks_api_request *q,
		    const struct ks_api_sign_opts *o, struct ks_key *key, const char *name,
		    const uint8_t *doc, size_t n, const struct ks_api_doc_hash *in,
		    struct ks_buf *out, struct ks_sign_outcome *res)
{
	struct ks_sign_job j;
	bool waits;
	int rc;

	ks_api_sign_job(s, o, key, name, ks_api_sign_format(q, o, doc, n), &j);
	j.in_data = doc;
	j.in_len = n;
	j.out_buf = out;
	j.in_digest = in != NULL ? in->ctx : NULL;
	waits = ks_api_sign_waits(s, o, key);
	if (waits)
		ks_api_http_wait_begin();
	rc = ks_job_sign(&j, res);
	if (waits)
		ks_api_http_wait_end();
	return rc;
}

int ks_api_signed_reply(struct ks_api_svc *s, const struct ks_api_request *q,
			struct ks_audit_event *ev, const struct ks_api_signed_ref *ref,
			const struct ks_sign_outcome *res, struct ks_buf *out,
			struct ks_api_reply *r)
{
	struct ks_api_later *t;

	ks_api_audit_event_signed(ev, ref);
	ks_api_http_turn_done();
	t = ks_api_http_defer();
	if (t != NULL) {
		/* The worker goes on; the audit writer settles the answer once
		 * the row is on disk (503 in its place when it could not be).
		 * The answer stays this worker's until it returns. */
		if (ks_api_auditq_add_later(s, ev, t) < 0) {
			ks_log(KS_LOG_ERROR, "request %s: audit row not queued: %s", q->id,
			       ks_err_msg());
			ks_err_clear();
			ks_api_http_settle(t, false);
			return 0;
		}
	} else if (ks_api_audit_rows(s, q, ev, 1) < 0) {
		ks_api_fail(q, r, "storage-unavailable", "try again shortly", false);
		return 0;
	}
	return ks_api_reply_document(q, res->format, out, res->summary, r);
}

void ks_api_settle_failed(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;

	ks_log(KS_LOG_ERROR, "request %s: its audit row was not written", q->id);
	atomic_fetch_add(&s->audit_errors, 1);
	/* the document's answer made meanwhile does not go out */
	ks_api_reply_cleanup(r);
	ks_api_reply_init(r);
	ks_api_fail(q, r, "storage-unavailable", "try again shortly", false);
}

/* The signed document: raw, or JSON with base64 when the request was
 * JSON. */
int ks_api_reply_document(const struct ks_api_request *q, enum ks_format f,
			  struct ks_buf *signed_doc, const char *summary, struct ks_api_reply *r)
{
	json_t *o;
	char *dump = NULL;
	struct ks_buf b64;
	int rc = -1;

	r->status = 200;
	if (!ks_http_type_is(q->content_type, "application/json")) {
		r->content_type = media_type(f);
		snprintf(r->disposition, sizeof(r->disposition),
			 "attachment; filename=\"signed.%s\"", extension(f));
		/* the document itself becomes the body: no copy */
		ks_buf_move(&r->body, signed_doc);
		return 0;
	}
	ks_buf_init(&b64, signed_doc->len / 3 * 4 + 8);
	o = json_object();
	KS_GUARD(ks_base64_encode(signed_doc->data, signed_doc->len, &b64));
	if (o == NULL || json_object_set_new(o, "format", json_string(ks_format_name(f))) != 0 ||
	    json_object_set_new(o, "summary", json_string(summary)) != 0 ||
	    json_object_set_new(o, "request_id", json_string(q->id)) != 0 ||
	    json_object_set_new(o, "document", json_stringn((const char *)b64.data, b64.len)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	dump = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (dump == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	r->content_type = "application/json";
	KS_GUARD(ks_buf_append_str(&r->body, dump));
	rc = 0;
out:
	free(dump);
	json_decref(o);
	ks_buf_cleanup(&b64);
	return rc;
}

/* A failed sign operation: token errors 503 with Retry-After. */
void ks_api_sign_failed(struct ks_api_svc *s, const struct ks_api_request *q,
			const struct ks_api_caller *who, const char *op, struct ks_api_key *k,
			const char *digest, const char *level, struct ks_api_reply *r)
{
	enum ks_err_code e = ks_err_code();
	const char *detail, *code = ks_api_problem_of_error(e, &detail);

	if (k != NULL)
		atomic_fetch_add(&k->errors, 1);
	if (strcmp(code, "token-unavailable") == 0) {
		atomic_fetch_add(&s->token_errors, 1);
		r->retry_after = s->conf->retry_after_s;
	}
	ks_log(KS_LOG_WARN, "request %s: %s failed: %s", q->id, op, ks_err_msg());
	ks_api_fail(q, r, code, detail, false);
	if (strcmp(code, "token-unavailable") == 0)
		r->retry_after = s->conf->retry_after_s;
	ks_api_audit(s, q, who, op, k != NULL ? k->conf->name : "", digest, level, code);
}

int ks_api_h_sign(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;
	struct ks_api_caller who;
	struct ks_api_params ps;
	struct ks_api_sign_opts o;
	struct ks_api_key *k = NULL;
	struct ks_sign_outcome res;
	struct ks_audit_event ev;
	struct ks_api_signed_ref ref;
	struct ks_api_doc_hash dh = { 0 };
	struct ks_buf out;
	struct ks_key *key = NULL;
	const uint8_t *doc;
	size_t n;
	char digest[KS_API_DOC_DIGEST_HEX] = "", session[KS_API_SESSION_MAX] = "";
	int rc = 0;

	ks_api_params_init(&ps);
	ks_buf_init(&out, KS_TWOPHASE_DOC_MAX);
	if (ks_api_authenticate(s, q, true, &who, r) != 0 ||
	    ks_api_require_op(s, q, &who, KS_OP_SIGN, "sign", r) != 0 ||
	    ks_api_read_params(q, &ps, &doc, &n, r) != 0 ||
	    ks_api_sign_opts_read(q, &ps, sign_known, &o, r) != 0)
		goto out;
	if (doc == NULL || n == 0) {
		ks_api_bad_param(q, r,
				 "'%s' is missing (the body, or a part or member of that name)",
				 "document");
		goto out;
	}
	ks_api_doc_hash_init(&dh, doc, n);
	memcpy(digest, dh.hex, sizeof(digest));
	if (o.key == NULL) {
		ks_api_bad_param(q, r, "'%s' is missing: name the signing key", "key");
		goto out;
	}
	if (!ks_api_md_allowed(s, o.md)) {
		ks_api_bad_param(q, r, "the digest algorithm '%s' is not allowed here",
				 o.md != NULL ? o.md : "sha256");
		goto out;
	}
	if (ks_api_key_granted(s, q, &who, "sign", o.key, &k, r) != 0 ||
	    activated(s, q, &who, k, &ps, doc, n, digest, session, r) != 0)
		goto out;
	if (ks_api_key_get(s, k, &key) < 0) {
		ks_api_key_failed(s, q, &who, "sign", k, digest, o.level, r);
		goto out;
	}
	if (ks_api_sign_run(s, q, &o, key, NULL, doc, n, &dh, &out, &res) < 0) {
		ks_api_sign_failed(s, q, &who, "sign", k, digest, o.level, r);
		goto out;
	}
	atomic_fetch_add(&k->signatures, 1);
	ks_log(KS_LOG_INFO, "request %s: client %s signed %s with '%s'%s%s: %s", q->id, who.c.name,
	       digest, k->conf->name, session[0] != '\0' ? " in session " : "", session,
	       res.summary);
	ks_api_signed_ref_of(&ref, q, &res, &out, key, &dh);
	ks_api_audit_event(&ev, q, &who, "sign", k->conf->name, digest,
			   o.level != NULL ? o.level : "B-B", "ok", session);
	rc = ks_api_signed_reply(s, q, &ev, &ref, &res, &out, r);
out:
	ks_api_doc_hash_cleanup(&dh);
	ks_buf_cleanup(&out);
	ks_api_params_cleanup(&ps);
	return rc;
}

/* The key could not be opened (token absent, not found): a token error,
 * whatever the cause. */
void ks_api_key_failed(struct ks_api_svc *s, const struct ks_api_request *q,
		       const struct ks_api_caller *who, const char *op, struct ks_api_key *k,
		       const char *digest, const char *level, struct ks_api_reply *r)
{
	char why[256];

	snprintf(why, sizeof(why), "%s", ks_err_msg());
	ks_err_set(KS_ERR_TOKEN, __FILE__, __LINE__, "key '%s': %s", k->conf->name, why);
	ks_api_sign_failed(s, q, who, op, k, digest, level, r);
}

void ks_api_audit_event(struct ks_audit_event *ev, const struct ks_api_request *q,
			const struct ks_api_caller *who, const char *op, const char *key,
			const char *digest, const char *level, const char *outcome,
			const char *session)
{
	memset(ev, 0, sizeof(*ev));
	ev->op = op;
	ev->client = who != NULL && who->authenticated ? who->c.name : "";
	ev->key = key;
	ev->digest = digest;
	ev->level = level;
	ev->outcome = outcome;
	ev->request = q->id;
	ev->session = session;
}
