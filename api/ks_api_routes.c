/* POST /v1/verify, POST /v1/timestamp, GET /v1/keys, /healthz, /metrics,
 * /v1/openapi.yaml (docs/api.md). */
#include <jansson.h>
#include <sys/socket.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/ks_api_int.h"
#include "ks_log.h"
#include "pkcs11/ks_p11.h"
#include "signer/ks_report.h"

#define JSON_TYPE "application/json"
#define TIMESTAMP_QUERY "application/timestamp-query"

static const char *const verify_known[] = { "document", "content", "lang", "name", NULL };

/* ---- /v1/verify ---- */

int ks_api_verify_run(struct ks_api_svc *s, const uint8_t *doc, size_t n, const uint8_t *content,
		      size_t content_len, const char *name, enum ks_lang lang,
		      struct ks_report *rep)
{
	struct ks_verify_job j;
	bool waits;
	int rc;

	memset(&j, 0, sizeof(j));
	j.name = name != NULL ? name : "document";
	j.data = doc;
	j.len = n;
	j.content = content;
	j.content_len = content_len;
	j.content_name = content != NULL ? "content" : NULL;
	j.format = KS_FORMAT_AUTO;
	j.val = &s->val;
	j.lang = lang;
	/* revocation answers may come from the network: the CPU goes to
	 * other requests meanwhile */
	waits = s->val.revocation && !s->val.rev.offline;
	if (waits)
		ks_api_http_wait_begin();
	rc = ks_job_verify(&j, rep);
	if (waits)
		ks_api_http_wait_end();
	return rc;
}

int ks_api_verify_report(struct ks_api_svc *s, const uint8_t *doc, size_t n, const uint8_t *content,
			 size_t content_len, const char *name, const char *lang,
			 struct ks_buf *json)
{
	struct ks_report rep;
	enum ks_lang l = KS_LANG_VI;
	int rc = -1;

	ks_report_init(&rep);
	if (lang != NULL)
		KS_GUARD(ks_lang_parse(lang, &l));
	KS_GUARD(ks_api_verify_run(s, doc, n, content, content_len, name, l, &rep));
	KS_GUARD(ks_report_json(&rep, l, json));
	rc = 0;
out:
	ks_report_cleanup(&rep);
	return rc;
}

static double mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The network a client's address stands for, as the bytes the rate limit
 * counts by: an IPv4 address (also IPv4-mapped IPv6) on its own, an IPv6
 * address by its /64 (one subscriber's network: its other addresses are
 * the same client), anything else as its text.  The first byte says which. */
static size_t rate_network(const char *addr, uint8_t out[1 + KS_API_ADDR_MAX])
{
	struct ks_api_net a;
	size_t n = strnlen(addr, KS_API_ADDR_MAX - 1);

	if (ks_api_net_addr(addr, n, &a) == 0) {
		out[0] = a.family == AF_INET ? 4 : 6;
		memcpy(out + 1, a.addr, a.family == AF_INET ? 4 : 8);
		return a.family == AF_INET ? 5 : 9;
	}
	ks_err_clear();
	out[0] = 0;
	memcpy(out + 1, addr, n);
	return 1 + n;
}

/* A token bucket per client network (rate per second, burst at once).
 * The table is fixed: networks whose (seeded) hash falls on the same slot
 * share its bucket, so a client never gains a fresh burst by sending
 * from another address, and a flood from many networks slows them all
 * rather than growing the table. */
bool ks_api_rate_ok(struct ks_api_svc *s, const char *addr)
{
	struct ks_api_rate_slot *sl;
	uint8_t net[1 + KS_API_ADDR_MAX];
	uint64_t hsh = 14695981039346656037ull ^ s->rate_seed;
	size_t i, n = rate_network(addr, net);
	double now = mono_now();
	bool ok;

	for (i = 0; i < n; i++)
		hsh = (hsh ^ net[i]) * 1099511628211ull;
	hsh ^= hsh >> 29;
	pthread_mutex_lock(&s->rate_lock);
	sl = &s->rate[hsh % KS_API_RATE_SLOTS];
	if (sl->last == 0) {
		sl->tokens = (double)s->conf->burst;
		sl->last = now;
	}
	sl->tokens += (now - sl->last) * (double)s->conf->rate;
	if (sl->tokens > (double)s->conf->burst)
		sl->tokens = (double)s->conf->burst;
	sl->last = now;
	ok = sl->tokens >= 1.0;
	if (ok)
		sl->tokens -= 1.0;
	pthread_mutex_unlock(&s->rate_lock);
	return ok;
}

int ks_api_h_verify(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;
	struct ks_api_caller who;
	struct ks_api_params ps;
	const struct ks_api_blob *content;
	const char *lang, *unknown;
	const uint8_t *doc;
	size_t n;
	int rc = 0;

	ks_api_params_init(&ps);
	/* public; a client granted verify is not rate-limited */
	if (ks_api_authenticate(s, q, false, &who, r) != 0)
		goto out;
	if (!(who.authenticated && (who.c.ops & KS_OP_VERIFY) != 0) &&
	    !ks_api_rate_ok(s, q->addr)) {
		atomic_fetch_add(&s->rate_limited, 1);
		ks_api_fail(q, r, "rate-limited", "too many verifications from this address",
			    false);
		r->retry_after = 1;
		goto out;
	}
	if (ks_api_read_params(q, &ps, &doc, &n, r) != 0)
		goto out;
	unknown = ks_api_params_unknown(&ps, verify_known);
	if (unknown != NULL) {
		char msg[96];

		snprintf(msg, sizeof(msg), "unknown parameter '%s'", unknown);
		ks_api_fail(q, r, "bad-parameter", msg, false);
		goto out;
	}
	if (doc == NULL || n == 0) {
		ks_api_fail(q, r, "bad-parameter", "'document' is missing", false);
		goto out;
	}
	lang = ks_api_param(&ps, "lang");
	if (lang != NULL && strcmp(lang, "vi") != 0 && strcmp(lang, "en") != 0) {
		ks_api_fail(q, r, "bad-parameter", "'lang' must be vi or en", false);
		goto out;
	}
	content = ks_api_blob(&ps, "content");
	if (ks_api_verify_report(s, doc, n, content != NULL ? content->data : NULL,
				 content != NULL ? content->len : 0, ks_api_param(&ps, "name"),
				 lang, &r->body) < 0) {
		ks_buf_reset(&r->body);
		/* a detached signature without its file, or a signature that
		 * carries its content sent with one: the caller's to fix */
		if (ks_err_code() == KS_ERR_USAGE)
			ks_api_fail(q, r, "bad-parameter",
				    content == NULL
					? "the signature is detached: send the signed file as "
					  "'content' with it"
					: "the signature carries the content it signs: send it "
					  "without 'content'",
				    false);
		else
			ks_api_fail(q, r, "internal", "the document could not be verified", true);
		goto out;
	}
	r->status = 200;
	r->content_type = JSON_TYPE;
out:
	ks_api_params_cleanup(&ps);
	return rc;
}

/* ---- /v1/timestamp ---- */

int ks_api_h_timestamp(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;
	struct ks_api_caller who;
	struct ks_tsa_http_reply tr;
	struct ks_tsp_issued is;
	const char *code, *detail;
	char digest[KS_API_DOC_DIGEST_HEX];
	int rc = 0;

	if (ks_api_authenticate(s, q, true, &who, r) != 0 ||
	    ks_api_require_op(s, q, &who, KS_OP_TIMESTAMP, "timestamp", r) != 0)
		return 0;
	if (!ks_http_type_is(q->content_type, TIMESTAMP_QUERY)) {
		ks_api_fail(q, r, "unsupported-media-type", "Content-Type must be " TIMESTAMP_QUERY,
			    false);
		return 0;
	}
	if (s->tsp == NULL) {
		ks_api_fail(q, r, "tsa-unavailable", "the built-in TSA is not configured", false);
		return 0;
	}
	ks_api_sha256_hex(q->body, q->len, digest);
	ks_tsa_http_reply_init(&tr);
	if (ks_tsa_http_answer(s->tsp, q->method, q->content_type, q->body, q->len, q->len + 1, &tr,
			       &is) < 0) {
		ks_api_fail(q, r, "tsa-unavailable", "the TSA could not answer", true);
		ks_api_audit(s, q, &who, "timestamp", "tsa", digest, "", "tsa-unavailable");
		goto out;
	}
	/* The TSA's key on a token that failed: like any token error, 503
	 * with Retry-After (RFC 3161's systemFailure is for a TSA without
	 * that way to say "later"), and the next request tries again. */
	code = ks_api_problem_of_error(ks_err_code(), &detail);
	if (is.status == KS_TSP_REJECTION && is.failure == KS_TSP_FAIL_SYSTEM_FAILURE &&
	    strcmp(code, "token-unavailable") == 0) {
		atomic_fetch_add(&s->token_errors, 1);
		ks_log(KS_LOG_WARN, "request %s: timestamp failed: %s", q->id, ks_err_msg());
		ks_err_clear();
		ks_api_fail(q, r, code, detail, false);
		r->retry_after = s->conf->retry_after_s;
		ks_api_audit(s, q, &who, "timestamp", "tsa", digest, "", "token-unavailable");
		goto out;
	}
	ks_err_clear();
	if (ks_api_audit(s, q, &who, "timestamp", "tsa", digest, "",
			 is.status == KS_TSP_GRANTED ? "ok" : "rejected") < 0) {
		ks_api_fail(q, r, "storage-unavailable", "try again shortly", false);
		goto out;
	}
	r->status = tr.status;
	r->content_type = "application/timestamp-reply";
	if (ks_buf_set(&r->body, tr.body.data, tr.body.len) < 0) {
		rc = -1;
		goto out;
	}
out:
	ks_tsa_http_reply_cleanup(&tr);
	return rc;
}

/* ---- /v1/keys ---- */

static int cert_days_left(X509 *x, int *days)
{
	int d = 0, sec = 0;

	if (ASN1_TIME_diff(&d, &sec, NULL, X509_get0_notAfter(x)) != 1)
		return KS_SET(KS_ERR_CERT, "certificate time");
	/* ended less than a day ago: expired all the same */
	*days = d == 0 && sec < 0 ? -1 : d;
	return 0;
}

static json_t *key_json(struct ks_api_key *k, struct ks_key *key)
{
	json_t *o = json_object();
	char subject[256];
	int days = 0;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "name", json_string(k->conf->name));
	json_object_set_new(o, "personal", json_boolean(k->conf->personal));
	json_object_set_new(o, "kind", json_string(k->conf->uri != NULL ? "token" : "file"));
	json_object_set_new(o, "available", json_boolean(key != NULL));
	if (key != NULL && key->cert != NULL) {
		BIO *b = BIO_new(BIO_s_mem());
		int len;

		if (b != NULL && X509_NAME_print_ex(b, X509_get_subject_name(key->cert), 0,
						    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
			len = BIO_read(b, subject, (int)sizeof(subject) - 1);
			subject[len > 0 ? len : 0] = '\0';
			json_object_set_new(o, "subject", json_string(subject));
		}
		BIO_free(b);
		if (cert_days_left(key->cert, &days) == 0)
			json_object_set_new(o, "days_left", json_integer(days));
		else
			ks_err_clear();
	}
	return o;
}

static int reply_json(struct ks_api_reply *r, unsigned status, json_t *o)
{
	char *dump = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (dump == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	r->status = status;
	r->content_type = JSON_TYPE;
	rc = ks_buf_append_str(&r->body, dump);
	free(dump);
	return rc;
}

int ks_api_h_keys(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;
	json_t *o = json_object(), *arr = json_array();
	struct ks_key *key;
	size_t i;
	int rc = -1;

	(void)q;
	if (o == NULL || arr == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < s->n_keys; i++) {
		if (ks_api_key_get(s, &s->keys[i], &key) < 0) {
			ks_err_clear();
			key = NULL;
		}
		if (json_array_append_new(arr, key_json(&s->keys[i], key)) != 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	if (json_object_set(o, "keys", arr) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(reply_json(r, 200, o));
	rc = 0;
out:
	json_decref(arr);
	json_decref(o);
	return rc;
}

/* ---- /healthz ---- */

int ks_api_h_healthz(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;
	json_t *o = json_object(), *checks = json_object(), *left = json_object();
	struct ks_key *key;
	bool ok = true, maint;
	size_t i;
	int days, rc = -1;

	(void)q;
	if (o == NULL || checks == NULL || left == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	maint = access(s->conf->maintenance_file, F_OK) == 0;
	if (ks_store_ping(s->store) < 0) {
		ks_log(KS_LOG_WARN, "healthz: storage: %s", ks_err_msg());
		ks_err_clear();
		ok = false;
		json_object_set_new(checks, "storage", json_string("failed"));
	} else {
		json_object_set_new(checks, "storage", json_string("ok"));
	}
	for (i = 0; i < s->n_keys; i++) {
		struct ks_api_key *k = &s->keys[i];
		const char *st = "ok";

		if (ks_api_key_get(s, k, &key) < 0 || key == NULL) {
			st = "unavailable";
		} else {
			pthread_mutex_lock(&k->lock);
			if (k->conf->uri != NULL && ks_p11_key_ping(key) < 0)
				st = "token-error";
			pthread_mutex_unlock(&k->lock);
			if (strcmp(st, "ok") == 0) {
				if (cert_days_left(key->cert, &days) < 0) {
					st = "certificate-expired";
				} else {
					json_object_set_new(left, k->conf->name,
							    json_integer(days));
					if (days < 0)
						st = "certificate-expired";
					else if (days < (int)s->conf->cert_warn_days)
						st = "certificate-expiring";
				}
			}
		}
		if (strcmp(st, "ok") != 0) {
			ks_log(KS_LOG_WARN, "healthz: key '%s': %s %s", k->conf->name, st,
			       ks_err_msg());
			ks_err_clear();
		}
		/* an expiring certificate warns; the others fail the check */
		if (strcmp(st, "ok") != 0 && strcmp(st, "certificate-expiring") != 0)
			ok = false;
		json_object_set_new(checks, k->conf->name, json_string(st));
	}
	json_object_set_new(o, "status",
			    json_string(maint ? "maintenance"
					: ok  ? "ok"
					      : "degraded"));
	json_object_set(o, "checks", checks);
	/* what the certificates have left, so a monitor warns long before */
	json_object_set(o, "certificate_days", left);
	json_object_set_new(o, "instance", json_string(s->conf->instance));
	KS_GUARD(reply_json(r, maint || !ok ? 503 : 200, o));
	rc = 0;
out:
	json_decref(left);
	json_decref(checks);
	json_decref(o);
	return rc;
}

/* ---- /metrics ---- */

int ks_api_h_metrics(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;
	size_t i;
	int rc = -1;

	(void)q;
	KS_GUARD(ks_api_http_metrics(s->http, &r->body));
	KS_GUARD(ks_buf_append_str(&r->body,
				   "# HELP kyso_signatures_total Signatures made, by key.\n"
				   "# TYPE kyso_signatures_total counter\n"));
	for (i = 0; i < s->n_keys; i++)
		KS_GUARD(ks_buf_printf(&r->body, "kyso_signatures_total{key=\"%s\"} %llu\n",
				       s->keys[i].conf->name, atomic_load(&s->keys[i].signatures)));
	KS_GUARD(ks_buf_append_str(&r->body,
				   "# HELP kyso_sign_errors_total Failed signatures, by key.\n"
				   "# TYPE kyso_sign_errors_total counter\n"));
	for (i = 0; i < s->n_keys; i++)
		KS_GUARD(ks_buf_printf(&r->body, "kyso_sign_errors_total{key=\"%s\"} %llu\n",
				       s->keys[i].conf->name, atomic_load(&s->keys[i].errors)));
	KS_GUARD(ks_buf_printf(
	    &r->body,
	    "# HELP kyso_token_errors_total Token errors (signing, keep-alive).\n"
	    "# TYPE kyso_token_errors_total counter\n"
	    "kyso_token_errors_total %llu\n"
	    "# HELP kyso_verify_rate_limited_total Verifications refused by the rate limit.\n"
	    "# TYPE kyso_verify_rate_limited_total counter\n"
	    "kyso_verify_rate_limited_total %llu\n"
	    "# HELP kyso_audit_errors_total Audit rows that could not be written.\n"
	    "# TYPE kyso_audit_errors_total counter\n"
	    "kyso_audit_errors_total %llu\n"
	    "# HELP kyso_audit_commits_total Audit commits (each one fsync and signed "
	    "checkpoint).\n"
	    "# TYPE kyso_audit_commits_total counter\n"
	    "kyso_audit_commits_total %llu\n"
	    "# HELP kyso_audit_rows_total Audit rows committed.\n"
	    "# TYPE kyso_audit_rows_total counter\n"
	    "kyso_audit_rows_total %llu\n",
	    atomic_load(&s->token_errors), atomic_load(&s->rate_limited),
	    atomic_load(&s->audit_errors), atomic_load(&s->audit_commits),
	    atomic_load(&s->audit_rows)));
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	rc = 0;
out:
	return rc;
}

/* ---- /v1/openapi.yaml ---- */

int ks_api_h_openapi(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;

	if (s->openapi.len == 0) {
		ks_api_fail(q, r, "not-found", "the API description is not installed", false);
		return 0;
	}
	r->status = 200;
	r->content_type = "application/yaml";
	return ks_buf_set(&r->body, s->openapi.data, s->openapi.len);
}
