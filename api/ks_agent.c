/* The signing agent's HTTP side (ks_agent.h): the checks every request
 * passes (Host, Origin), CORS, and the JSON endpoints (docs/agent.md). */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ks_agent_int.h"
#include "ks_codec.h"
#include "ks_log.h"
#include "pkcs11/ks_p11.h"

#define JSON_TYPE "application/json"
#define PROBLEM_TYPE "application/problem+json"
#define HTTP_THREADS 4
#define HTTP_CONNECTIONS 64
#define HTTP_TIMEOUT_S 30
#define DRAIN_MS 2000
#define TIME_TEXT 32

/* ---- configuration checks ---- */

static bool origin_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	       c == '[' || c == ']' || c == ':';
}

int ks_agent_origin_check(const char *origin)
{
	const char *host;
	size_t i, n = strlen(origin);

	if (n == 0 || n >= KS_AGENT_ORIGIN_MAX)
		return KS_SET(KS_ERR_USAGE, "an origin is 1 to %d bytes", KS_AGENT_ORIGIN_MAX - 1);
	if (strncmp(origin, "https://", 8) == 0)
		host = origin + 8;
	else if (strncmp(origin, "http://", 7) == 0)
		host = origin + 7;
	else
		return KS_SET(KS_ERR_USAGE,
			      "origin '%s': give scheme and host, e.g. https://truong.example.vn",
			      origin);
	if (*host == '\0' || *host == ':')
		return KS_SET(KS_ERR_USAGE, "origin '%s' has no host", origin);
	for (i = 0; host[i] != '\0'; i++)
		if (!origin_char((uint8_t)host[i]))
			return KS_SET(KS_ERR_USAGE,
				      "origin '%s': only scheme://host[:port] in lower case, no "
				      "path, no wildcard",
				      origin);
	return 0;
}

int ks_agent_listen_check(const char *listen)
{
	if (listen == NULL || strncmp(listen, "127.0.0.1:", 10) != 0)
		return KS_SET(KS_ERR_USAGE,
			      "the agent listens on 127.0.0.1 only (--listen 127.0.0.1:PORT), "
			      "not on '%s'",
			      listen != NULL ? listen : "");
	return 0;
}

/* ---- answers ---- */

static int reply_json(struct ks_api_reply *r, unsigned status, json_t *o)
{
	char *dump = json_dumps(o, JSON_COMPACT);
	int rc = -1;

	if (dump == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	ks_buf_reset(&r->body);
	KS_GUARD(ks_buf_append_str(&r->body, dump));
	r->status = status;
	r->content_type = JSON_TYPE;
	rc = 0;
out:
	free(dump);
	return rc;
}

/* RFC 9457 problem, as the daemon answers. */
static int problem(struct ks_api_reply *r, unsigned status, const char *code, const char *detail)
{
	char type[80];
	json_t *o;
	int rc;

	snprintf(type, sizeof(type), "urn:kyso:problem:%s", code);
	o = json_pack("{s:s,s:s,s:i,s:s}", "type", type, "title", code, "status", (int)status,
		      "detail", detail);

	if (o == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	rc = reply_json(r, status, o);
	r->content_type = PROBLEM_TYPE;
	json_decref(o);
	return rc;
}

/* ---- the checks of every request ---- */

static bool host_ok(const struct ks_agent *a, const struct ks_api_request *q)
{
	return q->host != NULL &&
	       (strcmp(q->host, a->host[0]) == 0 || strcmp(q->host, a->host[1]) == 0);
}

static const char *platform_origin(const struct ks_agent *a, const char *origin)
{
	size_t i;

	if (origin == NULL)
		return NULL;
	for (i = 0; i < a->conf.n_origins; i++)
		if (strcmp(origin, a->conf.origins[i]) == 0)
			return a->conf.origins[i];
	return NULL;
}

static bool own_origin(const struct ks_agent *a, const char *origin)
{
	return origin != NULL && (strcmp(origin, a->own[0]) == 0 || strcmp(origin, a->own[1]) == 0);
}

/* A Referer on our own confirmation page (a browser that sends no
 * Origin on a same-origin form). */
static bool own_referer(const struct ks_agent *a, const char *referer)
{
	size_t i, n;

	if (referer == NULL)
		return false;
	for (i = 0; i < 2; i++) {
		n = strlen(a->own[i]);
		if (strncmp(referer, a->own[i], n) == 0 &&
		    strncmp(referer + n, "/confirm/", 9) == 0)
			return true;
	}
	return false;
}

/* ---- GET /v1/version ---- */

static int h_version(struct ks_agent *a, struct ks_api_reply *r)
{
	json_t *o =
	    json_pack("{s:s,s:s,s:i,s:s,s:i}", "name", "kyso agent", "version", KS_VERSION, "api",
		      1, "prompt", a->conf.prompt == KS_AGENT_PROMPT_TTY ? "tty" : "page",
		      "session_ttl", (int)a->conf.session_ttl_s);
	int rc;

	if (o == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	rc = reply_json(r, 200, o);
	json_decref(o);
	return rc;
}

/* ---- GET /v1/certificates ---- */

static int name_text(X509_NAME *n, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long got;

	out[0] = '\0';
	if (b == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
		BIO_free(b);
		return KS_SET(KS_ERR_CRYPTO, "certificate name");
	}
	got = BIO_get_mem_data(b, &p);
	snprintf(out, len, "%.*s", got > 0 ? (int)(got < (long)len ? got : (long)len - 1) : 0,
		 p != NULL ? p : "");
	BIO_free(b);
	return 0;
}

static int time_text(const ASN1_TIME *t, char out[TIME_TEXT])
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return KS_SET(KS_ERR_CERT, "certificate time");
	if (strftime(out, TIME_TEXT, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return KS_SET(KS_ERR_INTERNAL, "time text");
	return 0;
}

static int cert_pem(X509 *x, struct ks_buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long got;
	int rc = -1;

	KS_ENSURE(b != NULL, KS_ERR_NOMEM, "out of memory");
	KS_ENSURE(PEM_write_bio_X509(b, x) == 1, KS_ERR_CRYPTO, "PEM of a certificate");
	got = BIO_get_mem_data(b, &p);
	KS_ENSURE(got > 0, KS_ERR_CRYPTO, "PEM of a certificate");
	KS_GUARD(ks_buf_append(out, p, (size_t)got));
	rc = 0;
out:
	BIO_free(b);
	return rc;
}

static int serial_hex(X509 *x, struct ks_buf *out)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = NULL;
	int rc = -1;

	KS_ENSURE(bn != NULL && (h = BN_bn2hex(bn)) != NULL, KS_ERR_CRYPTO, "serial number");
	KS_GUARD(ks_buf_append_str(out, h));
	rc = 0;
out:
	OPENSSL_free(h);
	BN_free(bn);
	return rc;
}

/* One certificate as the API shows it. */
static json_t *cert_json(const struct ks_p11_key_info *k)
{
	char subject[KS_AGENT_SUBJECT_MAX], issuer[KS_AGENT_SUBJECT_MAX];
	char nb[TIME_TEXT], na[TIME_TEXT], id[KS_AGENT_CERT_ID_HEX + 1];
	struct ks_buf pem, serial;
	const char *ps, *ss;
	json_t *o = NULL;

	ks_buf_init(&pem, 65536);
	ks_buf_init(&serial, 256);
	if (ks_agent_cert_id(k->cert, id) < 0 ||
	    name_text(X509_get_subject_name(k->cert), subject, sizeof(subject)) < 0 ||
	    name_text(X509_get_issuer_name(k->cert), issuer, sizeof(issuer)) < 0 ||
	    time_text(X509_get0_notBefore(k->cert), nb) < 0 ||
	    time_text(X509_get0_notAfter(k->cert), na) < 0 || cert_pem(k->cert, &pem) < 0 ||
	    serial_hex(k->cert, &serial) < 0 || ks_buf_cstr(&pem, &ps) < 0 ||
	    ks_buf_cstr(&serial, &ss) < 0)
		goto out;
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:b,s:s}", "id", id, "subject",
		      subject, "issuer", issuer, "serial", ss, "not_before", nb, "not_after", na,
		      "key_uri", k->uri, "token", k->token.label, "key_type",
		      k->type == KS_KEY_EC ? "EC" : "RSA", "bits", k->bits, "pinpad",
		      ks_p11_token_pinpad(&k->token), "pem", ps);
	if (o == NULL)
		KS_SET(KS_ERR_NOMEM, "out of memory");
out:
	ks_buf_cleanup(&pem);
	ks_buf_cleanup(&serial);
	return o;
}

static int h_certificates(struct ks_agent *a, struct ks_api_reply *r)
{
	struct ks_p11_key_info *keys = NULL;
	json_t *arr = json_array(), *o = NULL;
	size_t n = 0, i;
	int rc = -1;

	KS_ENSURE(arr != NULL, KS_ERR_NOMEM, "out of memory");
	if (ks_p11_init() < 0 || ks_p11_list_keys(a->conf.key_uri, &keys, &n) < 0) {
		ks_log_err(KS_LOG_WARN, "agent: listing the tokens");
		ks_err_clear();
		rc = problem(r, 503, "token-unavailable",
			     "the tokens cannot be read; insert the token and try again");
		goto out;
	}
	for (i = 0; i < n; i++) {
		json_t *c;

		if (keys[i].cert == NULL)
			continue; /* nothing a principal could recognise */
		c = cert_json(&keys[i]);
		KS_ENSURE(c != NULL, ks_err_code(), "%s", ks_err_msg());
		KS_ENSURE(json_array_append_new(arr, c) == 0, KS_ERR_NOMEM, "out of memory");
	}
	o = json_pack("{s:O}", "certificates", arr);
	KS_ENSURE(o != NULL, KS_ERR_NOMEM, "out of memory");
	rc = reply_json(r, 200, o);
out:
	ks_p11_key_info_free(keys, n);
	json_decref(arr);
	json_decref(o);
	return rc;
}

/* ---- POST /v1/sign ---- */

static int scheme_parse(const char *s, enum ks_key_type t, enum ks_sig_scheme *out)
{
	if (s == NULL) {
		*out = t == KS_KEY_EC ? KS_SIG_ECDSA : KS_SIG_RSA_PKCS1;
		return 0;
	}
	if (t == KS_KEY_RSA && strcmp(s, "RSA PKCS#1 v1.5") == 0)
		*out = KS_SIG_RSA_PKCS1;
	else if (t == KS_KEY_RSA && strcmp(s, "RSA-PSS") == 0)
		*out = KS_SIG_RSA_PSS;
	else if (t == KS_KEY_EC && strcmp(s, "ECDSA") == 0)
		*out = KS_SIG_ECDSA;
	else
		return -1;
	return 0;
}

/* Read one item; a message for the platform in err on refusal. */
static int item_read(json_t *it, enum ks_key_type kt, struct ks_agent_item *out, char *err,
		     size_t errlen, size_t i)
{
	const char *label = NULL, *digest = NULL, *alg = NULL, *scheme = NULL;
	size_t llen = 0, dlen = 0;
	json_error_t e;

	if (json_unpack_ex(it, &e, JSON_STRICT, "{s:s%,s:s%,s:s,s?s}", "label", &label, &llen,
			   "digest", &digest, &dlen, "algorithm", &alg, "scheme", &scheme) != 0) {
		snprintf(
		    err, errlen,
		    "item %zu: give label, digest and algorithm (scheme optional), nothing else",
		    i + 1);
		return -1;
	}
	if (!ks_agent_label_ok(label, llen)) {
		snprintf(err, errlen,
			 "item %zu: the label must be 1 to %d bytes of UTF-8 text without control "
			 "characters",
			 i + 1, KS_AGENT_LABEL_MAX);
		return -1;
	}
	if (ks_md_parse(alg, &out->md) < 0) {
		ks_err_clear();
		snprintf(err, errlen, "item %zu: unknown digest algorithm", i + 1);
		return -1;
	}
	if (scheme_parse(scheme, kt, &out->scheme) < 0) {
		snprintf(err, errlen, "item %zu: the scheme does not suit this key", i + 1);
		return -1;
	}
	if (ks_base64_decode(digest, dlen, false, &out->tbs) < 0 ||
	    out->tbs.len != ks_md_size(out->md)) {
		ks_err_clear();
		snprintf(err, errlen, "item %zu: the digest is not %zu bytes of base64", i + 1,
			 ks_md_size(out->md));
		return -1;
	}
	out->label = strndup(label, llen);
	if (out->label == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	return 0;
}

/* The key offered under this certificate id. */
static int key_by_cert_id(struct ks_agent *a, const char *cert_id, struct ks_agent_req *rq,
			  enum ks_key_type *kt, bool *found)
{
	struct ks_p11_key_info *keys = NULL;
	char id[KS_AGENT_CERT_ID_HEX + 1];
	size_t n = 0, i;
	int rc = -1;

	*found = false;
	KS_GUARD(ks_p11_init());
	KS_GUARD(ks_p11_list_keys(a->conf.key_uri, &keys, &n));
	for (i = 0; i < n && !*found; i++) {
		if (keys[i].cert == NULL)
			continue;
		KS_GUARD(ks_agent_cert_id(keys[i].cert, id));
		if (strcmp(id, cert_id) != 0)
			continue;
		*found = true;
		*kt = keys[i].type;
		rq->pinpad = ks_p11_token_pinpad(&keys[i].token);
		snprintf(rq->cert_id, sizeof(rq->cert_id), "%s", id);
		KS_GUARD(name_text(X509_get_subject_name(keys[i].cert), rq->subject,
				   sizeof(rq->subject)));
		rq->key_uri = strdup(keys[i].uri);
		KS_ENSURE(rq->key_uri != NULL, KS_ERR_NOMEM, "out of memory");
	}
	rc = 0;
out:
	ks_p11_key_info_free(keys, n);
	return rc;
}

static int h_sign(struct ks_agent *a, const char *origin, const struct ks_api_request *q,
		  struct ks_api_reply *r)
{
	struct ks_agent_req rq, *slot = NULL;
	json_t *root = NULL, *items = NULL, *o = NULL;
	json_error_t e;
	const char *key = NULL;
	enum ks_key_type kt = KS_KEY_RSA;
	char err[200], url[KS_AGENT_OWN_MAX + 64], poll[64];
	size_t i;
	bool found = false;
	int rc = -1;

	memset(&rq, 0, sizeof(rq));
	if (q->content_type == NULL || strncmp(q->content_type, JSON_TYPE, strlen(JSON_TYPE)) != 0)
		return problem(r, 415, "unsupported-media-type", "send application/json");
	root = json_loadb((const char *)q->body, q->len, JSON_REJECT_DUPLICATES, &e);
	if (root == NULL ||
	    json_unpack_ex(root, &e, JSON_STRICT, "{s:s,s:o}", "key", &key, "items", &items) != 0 ||
	    !json_is_array(items)) {
		rc = problem(r, 400, "bad-request",
			     "give {\"key\": certificate id, \"items\": [{label, digest, "
			     "algorithm}]} and nothing else");
		goto out;
	}
	if (json_array_size(items) == 0 || json_array_size(items) > KS_AGENT_ITEMS_MAX) {
		snprintf(err, sizeof(err), "a batch holds 1 to %d items", KS_AGENT_ITEMS_MAX);
		rc = problem(r, 400, "bad-request", err);
		goto out;
	}
	if (strlen(key) != KS_AGENT_CERT_ID_HEX) {
		rc = problem(r, 400, "bad-request",
			     "key: the id of a certificate from GET /v1/certificates");
		goto out;
	}
	if (key_by_cert_id(a, key, &rq, &kt, &found) < 0) {
		ks_log_err(KS_LOG_WARN, "agent: finding the key");
		ks_err_clear();
		rc = problem(r, 503, "token-unavailable",
			     "the tokens cannot be read; insert the token and try again");
		goto out;
	}
	if (!found) {
		rc = problem(r, 404, "unknown-key",
			     "no certificate with this id on the tokens present");
		goto out;
	}
	rq.items = calloc(json_array_size(items), sizeof(*rq.items));
	KS_ENSURE(rq.items != NULL, KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < json_array_size(items); i++) {
		ks_buf_init(&rq.items[i].tbs, 64);
		ks_buf_init(&rq.items[i].sig, 1024);
		rq.n++;
		if (item_read(json_array_get(items, i), kt, &rq.items[i], err, sizeof(err), i) <
		    0) {
			if (ks_err_code() == KS_ERR_NOMEM)
				goto out;
			rc = problem(r, 400, "bad-request", err);
			goto out;
		}
	}
	rq.origin = origin;
	rq.st = KS_AGENT_PENDING;
	rq.created = ks_agent_now();
	rq.used = true;
	ks_agent_random_hex(rq.id);
	ks_agent_random_hex(rq.nonce);
	pthread_mutex_lock(&a->lock);
	for (i = 0; i < KS_AGENT_PENDING_MAX && slot == NULL; i++)
		if (!a->reqs[i].used)
			slot = &a->reqs[i];
	if (slot != NULL) {
		*slot = rq;
		memset(&rq, 0, sizeof(rq));
		pthread_cond_broadcast(&a->cond);
	}
	pthread_mutex_unlock(&a->lock);
	if (slot == NULL) {
		r->retry_after = 30;
		rc = problem(r, 429, "busy", "too many batches wait for the principal");
		goto out;
	}
	snprintf(url, sizeof(url), "%s/confirm/%s", a->own[0], slot->id);
	snprintf(poll, sizeof(poll), "/v1/sign/%s", slot->id);
	ks_log(KS_LOG_INFO,
	       "agent: batch %.8s from %s: %zu documents for %s, waiting for the "
	       "principal",
	       slot->id, origin, json_array_size(items), slot->subject);
	o = json_pack("{s:s,s:s,s:i,s:s,s:s}", "id", slot->id, "status", "pending", "count",
		      (int)json_array_size(items), "poll", poll, "prompt",
		      a->conf.prompt == KS_AGENT_PROMPT_TTY ? "tty" : "page");
	KS_ENSURE(o != NULL, KS_ERR_NOMEM, "out of memory");
	if (a->conf.prompt == KS_AGENT_PROMPT_PAGE)
		KS_ENSURE(json_object_set_new(o, "confirm_url", json_string(url)) == 0,
			  KS_ERR_NOMEM, "out of memory");
	rc = reply_json(r, 202, o);
out:
	ks_agent_req_clear(&rq);
	json_decref(root);
	json_decref(o);
	return rc;
}

/* ---- GET /v1/sign/<id> ---- */

static const char *status_name(enum ks_agent_status s)
{
	switch (s) {
	case KS_AGENT_PENDING:
		return "pending";
	case KS_AGENT_SIGNING:
		return "signing";
	case KS_AGENT_DONE:
		return "done";
	case KS_AGENT_FAILED:
		return "failed";
	case KS_AGENT_REFUSED:
		return "refused";
	}
	return "failed";
}

static int h_poll(struct ks_agent *a, const char *origin, const char *id, struct ks_api_reply *r)
{
	struct ks_agent_req *rq;
	json_t *o = NULL, *sigs = NULL;
	struct ks_buf b64;
	const char *s;
	size_t i;
	int rc = -1;

	ks_buf_init(&b64, 8192);
	pthread_mutex_lock(&a->lock);
	rq = ks_agent_find(a, id);
	/* Another platform's batch is not shown: as if unknown. */
	if (rq == NULL || rq->origin != origin) {
		pthread_mutex_unlock(&a->lock);
		ks_buf_cleanup(&b64);
		return problem(r, 404, "not-found", "no such batch");
	}
	o = json_pack("{s:s,s:s,s:i}", "id", rq->id, "status", status_name(rq->st), "count",
		      (int)rq->n);
	KS_ENSURE(o != NULL, KS_ERR_NOMEM, "out of memory");
	if (rq->st == KS_AGENT_DONE) {
		sigs = json_array();
		KS_ENSURE(sigs != NULL, KS_ERR_NOMEM, "out of memory");
		for (i = 0; i < rq->n; i++) {
			ks_buf_reset(&b64);
			KS_GUARD(
			    ks_base64_encode(rq->items[i].sig.data, rq->items[i].sig.len, &b64));
			KS_GUARD(ks_buf_cstr(&b64, &s));
			KS_ENSURE(json_array_append_new(sigs, json_pack("{s:s,s:s}", "label",
									rq->items[i].label,
									"signature", s)) == 0,
				  KS_ERR_NOMEM, "out of memory");
		}
		KS_ENSURE(json_object_set(o, "signatures", sigs) == 0, KS_ERR_NOMEM,
			  "out of memory");
	}
	if (rq->err_code[0] != '\0')
		KS_ENSURE(json_object_set_new(o, "error",
					      json_pack("{s:s,s:s}", "code", rq->err_code,
							"message", rq->err_msg)) == 0,
			  KS_ERR_NOMEM, "out of memory");
	pthread_mutex_unlock(&a->lock);
	rc = reply_json(r, 200, o);
	goto done;
out:
	pthread_mutex_unlock(&a->lock);
done:
	json_decref(o);
	json_decref(sigs);
	ks_buf_cleanup(&b64);
	return rc;
}

/* ---- the one entry of every request ---- */

static int handle(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_agent *a = svc;
	const char *origin;
	bool get = strcmp(q->method, "GET") == 0 || strcmp(q->method, "HEAD") == 0;
	bool post = strcmp(q->method, "POST") == 0;

	/* A page on a name that resolves to 127.0.0.1 (DNS rebinding) is
	 * same-origin with that name, not with us: its Host gives it away. */
	if (!host_ok(a, q)) {
		ks_log(KS_LOG_WARN, "agent: refused %s %s: Host is not 127.0.0.1:%u", q->method,
		       q->path, (unsigned)a->port);
		return problem(r, 403, "host-refused", "this agent answers on 127.0.0.1 only");
	}
	if (strncmp(q->path, "/v1/", 4) == 0) {
		origin = platform_origin(a, q->origin);
		if (origin == NULL) {
			ks_log(KS_LOG_WARN, "agent: refused %s %s from origin '%.100s'", q->method,
			       q->path, q->origin != NULL ? q->origin : "(none)");
			return problem(r, 403, "origin-refused",
				       "this page's origin is not a platform this agent serves");
		}
		r->cors_origin = origin;
		if (strcmp(q->method, "OPTIONS") == 0) {
			r->status = 204;
			r->content_type = "text/plain";
			return 0;
		}
		if (get && strcmp(q->path, "/v1/version") == 0)
			return h_version(a, r);
		if (get && strcmp(q->path, "/v1/certificates") == 0)
			return h_certificates(a, r);
		if (post && strcmp(q->path, "/v1/sign") == 0)
			return h_sign(a, origin, q, r);
		if (get && strncmp(q->path, "/v1/sign/", 9) == 0)
			return h_poll(a, origin, q->path + 9, r);
		return problem(r, 404, "not-found", "no such endpoint");
	}
	/* The agent's own pages: a navigation (no Origin) or our own origin;
	 * a form is posted from our own page only. */
	if ((q->origin != NULL || post) && !own_origin(a, q->origin) &&
	    !(q->origin == NULL && own_referer(a, q->referer))) {
		ks_log(KS_LOG_WARN, "agent: refused %s %s from origin '%.100s'", q->method, q->path,
		       q->origin != NULL ? q->origin : "(none)");
		return problem(r, 403, "origin-refused",
			       "the confirmation is given on the agent's own page only");
	}
	if (get && strcmp(q->path, "/static/agent.css") == 0)
		return ks_agent_css(r);
	if (strncmp(q->path, "/confirm/", 9) == 0 && a->conf.prompt == KS_AGENT_PROMPT_PAGE) {
		if (get)
			return ks_agent_confirm_get(a, q->path + 9, r);
		if (post)
			return ks_agent_confirm_post(a, q->path + 9, q, r);
	}
	return problem(r, 404, "not-found", "no such page");
}

static void refuse(void *svc, const struct ks_api_request *q, unsigned status, const char *code,
		   const char *detail, struct ks_api_reply *r)
{
	(void)svc;
	(void)q;
	if (problem(r, status, code, detail) < 0) {
		ks_err_clear();
		r->status = status;
	}
}

int ks_agent_start(const struct ks_agent_conf *conf, struct ks_agent **out)
{
	static const struct ks_api_route routes[] = {
		{ "GET", "/v1/*", handle, 0 },
		{ "POST", "/v1/*", handle, KS_AGENT_BODY_MAX },
		{ "OPTIONS", "/v1/*", handle, 0 },
		{ "GET", "/confirm/*", handle, 0 },
		{ "POST", "/confirm/*", handle, KS_AGENT_FORM_MAX },
		{ "GET", "/static/agent.css", handle, 0 },
	};
	struct ks_api_http_cfg hc;
	struct ks_agent *a = NULL;
	size_t i;
	int rc = -1;

	*out = NULL;
	KS_GUARD(ks_agent_listen_check(conf->listen));
	KS_ENSURE(conf->n_origins > 0 && conf->n_origins <= KS_AGENT_ORIGINS_MAX, KS_ERR_USAGE,
		  "give 1 to %d platform origins (--origin)", KS_AGENT_ORIGINS_MAX);
	for (i = 0; i < conf->n_origins; i++)
		KS_GUARD(ks_agent_origin_check(conf->origins[i]));
	KS_ENSURE(conf->session_ttl_s <= KS_AGENT_SESSION_TTL_MAX, KS_ERR_USAGE,
		  "--session-ttl is at most %u seconds", KS_AGENT_SESSION_TTL_MAX);
	a = calloc(1, sizeof(*a));
	KS_ENSURE(a != NULL, KS_ERR_NOMEM, "out of memory");
	a->conf = *conf;
	if (a->conf.request_ttl_s == 0)
		a->conf.request_ttl_s = KS_AGENT_REQUEST_TTL_DEFAULT;
	pthread_mutex_init(&a->lock, NULL);
	pthread_mutex_init(&a->sign_lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	memset(&hc, 0, sizeof(hc));
	hc.listen = conf->listen;
	hc.threads = HTTP_THREADS;
	hc.max_connections = HTTP_CONNECTIONS;
	hc.timeout_s = HTTP_TIMEOUT_S;
	hc.routes = routes;
	hc.n_routes = sizeof(routes) / sizeof(routes[0]);
	hc.refuse = refuse;
	hc.svc = a;
	hc.secret_bodies = true;
	/* The port is known once listening; nothing is answered before the
	 * Host names are set (a request that early fails the Host check). */
	KS_GUARD(ks_api_http_start(&hc, &a->http));
	a->port = ks_api_http_port(a->http);
	snprintf(a->own[0], sizeof(a->own[0]), "http://127.0.0.1:%u", (unsigned)a->port);
	snprintf(a->own[1], sizeof(a->own[1]), "http://localhost:%u", (unsigned)a->port);
	snprintf(a->host[0], sizeof(a->host[0]), "127.0.0.1:%u", (unsigned)a->port);
	snprintf(a->host[1], sizeof(a->host[1]), "localhost:%u", (unsigned)a->port);
	KS_ENSURE(pthread_create(&a->worker, NULL, ks_agent_worker, a) == 0, KS_ERR_INTERNAL,
		  "cannot start the agent's worker");
	a->worker_started = true;
	*out = a;
	a = NULL;
	rc = 0;
out:
	ks_agent_stop(a);
	return rc;
}

uint16_t ks_agent_port(const struct ks_agent *a)
{
	return a->port;
}

void ks_agent_stop(struct ks_agent *a)
{
	size_t i;

	if (a == NULL)
		return;
	ks_api_http_stop(a->http, DRAIN_MS);
	pthread_mutex_lock(&a->lock);
	a->stopping = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	if (a->worker_started)
		pthread_join(a->worker, NULL);
	pthread_mutex_lock(&a->sign_lock);
	ks_agent_session_end(a, "the agent stops");
	pthread_mutex_unlock(&a->sign_lock);
	for (i = 0; i < KS_AGENT_PENDING_MAX; i++)
		ks_agent_req_clear(&a->reqs[i]);
	pthread_mutex_destroy(&a->lock);
	pthread_mutex_destroy(&a->sign_lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}
