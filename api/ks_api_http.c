/* The HTTP transport of `kyso serve` (ks_api_http.h). */
#include "api/ks_api_http.h"
#include "api/ks_api_proxy.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/ks_api_pool.h"
#include "api/ks_mhd.h"
#include "ks_codec.h"
#include "ks_cur.h"
#include "ks_io.h"
#include "ks_log.h"

#define REPLY_MAX ((size_t)512 << 20)
#define TLS_FILE_MAX ((size_t)1 << 20)
#define N_STATUS 17
#define N_BUCKETS 12
#define OTHER_ROUTE KS_API_ROUTES_MAX
/* A declared body this much over the route's limit is read and dropped
 * before the 413 goes out: a client still sending when the connection
 * closed would see it reset instead of the answer.  Larger ones are
 * refused at once. */
#define DRAIN_MAX ((size_t)8 << 20)
/* libmicrohttpd's own threads only move bytes: one per core, at most. */
#define IO_THREADS_MAX 8
/* X-Forwarded-For lines joined: more than a request's headers can hold */
#define XFF_JOINED_MAX ((size_t)64 << 10)

/* The statuses counted one by one; others fall in the last slot. */
static const unsigned statuses[N_STATUS] = { 200, 201, 400, 401, 403, 404, 405, 409, 410,
					     413, 415, 422, 429, 500, 502, 503, 0 };
/* Latency buckets, microseconds (Prometheus "le" in seconds). */
static const uint64_t buckets_us[N_BUCKETS] = {
	1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000
};

struct route_stats {
	atomic_ullong by_status[N_STATUS];
	atomic_ullong le[N_BUCKETS]; /* not cumulative: counted in the first bucket that fits */
	atomic_ullong over;          /* above the last bucket */
	atomic_ullong sum_us;
};

/* A request whose body is complete, waiting for or answered by a
 * worker; its connection is suspended meanwhile. */
struct job {
	struct ks_api_pool_job pj; /* first: the pool's view of it */
	struct ks_api_http *h;
	struct MHD_Connection *conn;
	int route;
	struct ks_api_request q;
	struct ks_api_reply r;
	bool answered; /* r holds the answer (set before the resume) */
};

struct ks_api_http {
	struct ks_mhd mhd;
	struct ks_api_http_cfg cfg;
	struct ks_api_route routes[KS_API_ROUTES_MAX];
	struct ks_buf tls_cert, tls_key;
	struct route_stats stats[KS_API_ROUTES_MAX + 1];
	struct ks_api_pool pool;
};

void ks_api_reply_init(struct ks_api_reply *r)
{
	memset(r, 0, sizeof(*r));
	ks_buf_init(&r->body, REPLY_MAX);
}

void ks_api_reply_cleanup(struct ks_api_reply *r)
{
	ks_buf_cleanup(&r->body);
	memset(r, 0, sizeof(*r));
}

static uint64_t elapsed_us(const struct timespec *t0)
{
	struct timespec t1;
	int64_t us;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = (int64_t)(t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000;
	return us > 0 ? (uint64_t)us : 0;
}

static void count(struct ks_api_http *h, int route, unsigned status, uint64_t us)
{
	struct route_stats *s = &h->stats[route >= 0 ? route : OTHER_ROUTE];
	size_t i;

	for (i = 0; i + 1 < N_STATUS && statuses[i] != status; i++)
		;
	atomic_fetch_add(&s->by_status[i], 1);
	for (i = 0; i < N_BUCKETS && us > buckets_us[i]; i++)
		;
	if (i < N_BUCKETS)
		atomic_fetch_add(&s->le[i], 1);
	else
		atomic_fetch_add(&s->over, 1);
	atomic_fetch_add(&s->sum_us, us);
}

static const char *route_name(const struct ks_api_http *h, size_t i)
{
	return i < h->cfg.n_routes ? h->routes[i].path : "other";
}

int ks_api_http_metrics(const struct ks_api_http *h, struct ks_buf *out)
{
	size_t r, i;
	int rc = -1;

	KS_GUARD(ks_buf_append_str(out, "# HELP kyso_http_requests_total HTTP requests answered, "
					"by route and status.\n"
					"# TYPE kyso_http_requests_total counter\n"));
	for (r = 0; r <= h->cfg.n_routes; r++) {
		const struct route_stats *s = &h->stats[r < h->cfg.n_routes ? r : OTHER_ROUTE];

		for (i = 0; i < N_STATUS; i++) {
			unsigned long long v = atomic_load(&s->by_status[i]);

			if (v == 0)
				continue;
			if (statuses[i] == 0)
				KS_GUARD(ks_buf_printf(out,
						       "kyso_http_requests_total{route=\"%s\","
						       "status=\"other\"} %llu\n",
						       route_name(h, r), v));
			else
				KS_GUARD(ks_buf_printf(out,
						       "kyso_http_requests_total{route=\"%s\","
						       "status=\"%u\"} %llu\n",
						       route_name(h, r), statuses[i], v));
		}
	}
	KS_GUARD(ks_buf_append_str(out, "# HELP kyso_http_request_duration_seconds Time from the "
					"request's headers to its answer.\n"
					"# TYPE kyso_http_request_duration_seconds histogram\n"));
	for (r = 0; r <= h->cfg.n_routes; r++) {
		const struct route_stats *s = &h->stats[r < h->cfg.n_routes ? r : OTHER_ROUTE];
		unsigned long long cum = 0;

		for (i = 0; i < N_BUCKETS; i++) {
			cum += atomic_load(&s->le[i]);
			KS_GUARD(ks_buf_printf(out,
					       "kyso_http_request_duration_seconds_bucket{route="
					       "\"%s\",le=\"%g\"} %llu\n",
					       route_name(h, r), (double)buckets_us[i] / 1e6, cum));
		}
		cum += atomic_load(&s->over);
		KS_GUARD(
		    ks_buf_printf(out,
				  "kyso_http_request_duration_seconds_bucket{route=\"%s\","
				  "le=\"+Inf\"} %llu\n"
				  "kyso_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
				  "kyso_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
				  route_name(h, r), cum, route_name(h, r),
				  (double)atomic_load(&s->sum_us) / 1e6, route_name(h, r), cum));
	}
	KS_GUARD(ks_buf_printf(out,
			       "# HELP kyso_http_in_flight Requests being received or answered.\n"
			       "# TYPE kyso_http_in_flight gauge\n"
			       "kyso_http_in_flight %u\n",
			       atomic_load(&h->mhd.in_flight)));
	rc = 0;
out:
	return rc;
}

static void body_free(void *cls)
{
	struct ks_buf *b = cls;

	ks_buf_cleanup(b);
	free(b);
}

/* The answer's body handed to libmicrohttpd without a copy (freed, wiped
 * when secret, once sent); copied when that cannot be. */
static struct MHD_Response *response_of(struct ks_api_reply *r)
{
	struct MHD_Response *resp;
	struct ks_buf *b;

	if (r->body.len == 0 || (b = malloc(sizeof(*b))) == NULL)
		return MHD_create_response_from_buffer(r->body.len, r->body.data,
						       MHD_RESPMEM_MUST_COPY);
	ks_buf_init(b, r->body.max);
	ks_buf_move(b, &r->body);
	resp =
	    MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->data, body_free, b);
	if (resp == NULL)
		body_free(b);
	return resp;
}

static enum MHD_Result queue(struct ks_api_http *h, struct MHD_Connection *conn,
			     const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;
	char ra[16];
	bool fail;

	resp = response_of(r);
	if (resp == NULL)
		return MHD_NO;
	fail = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				       r->content_type != NULL ? r->content_type : "text/plain") !=
		   MHD_YES ||
	       MHD_add_response_header(resp, "X-Request-Id", q->id) != MHD_YES ||
	       MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
	       MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES;
	if (!fail && r->allow != NULL)
		fail = MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow) != MHD_YES;
	if (!fail && r->retry_after > 0) {
		snprintf(ra, sizeof(ra), "%u", r->retry_after);
		fail = MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra) != MHD_YES;
	}
	if (!fail && r->csp != NULL)
		fail =
		    MHD_add_response_header(resp, "Content-Security-Policy", r->csp) != MHD_YES ||
		    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") != MHD_YES;
	if (!fail && r->cors_origin != NULL)
		fail = MHD_add_response_header(resp, "Access-Control-Allow-Origin",
					       r->cors_origin) != MHD_YES ||
		       MHD_add_response_header(resp, "Vary", "Origin") != MHD_YES ||
		       MHD_add_response_header(resp, "Access-Control-Allow-Methods",
					       "GET, POST, OPTIONS") != MHD_YES ||
		       MHD_add_response_header(resp, "Access-Control-Allow-Headers",
					       "Content-Type") != MHD_YES ||
		       MHD_add_response_header(resp, "Access-Control-Max-Age", "600") != MHD_YES ||
		       /* a public page calling a loopback service (Private
			* Network Access preflight) */
		       MHD_add_response_header(resp, "Access-Control-Allow-Private-Network",
					       "true") != MHD_YES;
	if (!fail && r->disposition[0] != '\0')
		fail = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
					       r->disposition) != MHD_YES;
	/* Stopping, or refused before the body was read: the connection
	 * ends with the answer. */
	if (!fail && (r->status == 413 || atomic_load(&h->mhd.draining)))
		fail =
		    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES;
	if (fail) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ok = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static void new_id(char id[KS_API_REQID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[KS_API_REQID_LEN / 2];
	size_t i;

	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0, sizeof(b));
	for (i = 0; i < sizeof(b); i++) {
		id[2 * i] = hex[b[i] >> 4];
		id[2 * i + 1] = hex[b[i] & 15];
	}
	id[KS_API_REQID_LEN] = '\0';
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);

	return v != NULL && strlen(v) <= KS_API_HEADER_MAX ? v : NULL;
}

/* Every X-Forwarded-For line, in order, joined with commas: a proxy may
 * add a line of its own after the client's rather than append to it. */
static enum MHD_Result on_xff(void *cls, enum MHD_ValueKind kind, const char *key,
			      const char *value)
{
	struct ks_buf *b = cls;

	(void)kind;
	if (key == NULL || value == NULL || strcasecmp(key, "X-Forwarded-For") != 0)
		return MHD_YES;
	if ((b->len > 0 && ks_buf_append_str(b, ",") < 0) || ks_buf_append_str(b, value) < 0) {
		/* past the bound (more than libmicrohttpd lets a request's
		 * headers hold): none of it is believed */
		ks_err_clear();
		b->len = 0;
		return MHD_NO;
	}
	return MHD_YES;
}

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
			      const char *value, size_t value_size)
{
	struct ks_api_request *q = cls;

	(void)kind;
	if (q->query_bad)
		return MHD_NO;
	if (strlen(key) != key_size || (value != NULL && strlen(value) != value_size)) {
		snprintf(q->query_err, sizeof(q->query_err), "a NUL byte in the query string");
		q->query_bad = true;
		return MHD_NO;
	}
	if (ks_api_params_add(&q->query, key, value != NULL ? value : "",
			      value != NULL ? value_size : 0) < 0) {
		snprintf(q->query_err, sizeof(q->query_err), "%s", ks_err_msg());
		ks_err_clear();
		q->query_bad = true;
		return MHD_NO;
	}
	return MHD_YES;
}

/* The request as handlers see it (query parameters parsed). */
static void request_fill(const struct ks_api_http *h, struct MHD_Connection *conn, const char *url,
			 const char *method, struct ks_api_request *q)
{
	const union MHD_ConnectionInfo *ci;

	memset(q, 0, sizeof(*q));
	ks_api_params_init(&q->query);
	q->method = method;
	q->path = url;
	q->content_type = header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
	q->authorization = header(conn, MHD_HTTP_HEADER_AUTHORIZATION);
	q->activation = header(conn, "Kyso-Activation");
	q->origin = header(conn, "Origin");
	q->host = header(conn, MHD_HTTP_HEADER_HOST);
	q->referer = header(conn, MHD_HTTP_HEADER_REFERER);
	new_id(q->id);
	snprintf(q->addr, sizeof(q->addr), "unknown");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;
		char peer[KS_API_ADDR_MAX] = "";
		struct ks_api_net net;
		struct ks_buf xff;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET,
				  &((const struct sockaddr_in *)(const void *)sa)->sin_addr, peer,
				  sizeof(peer));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, peer,
				  sizeof(peer));
		/* behind a trusted reverse proxy: the client it names */
		if (peer[0] != '\0' && ks_api_net_addr(peer, strlen(peer), &net) == 0) {
			ks_buf_init(&xff, XFF_JOINED_MAX);
			if (ks_api_proxies_has(h->cfg.proxies, &net))
				(void)MHD_get_connection_values(conn, MHD_HEADER_KIND, on_xff,
								&xff);
			ks_api_client_addr(h->cfg.proxies, &net,
					   xff.len > 0 ? (const char *)xff.data : NULL, xff.len,
					   q->addr);
			ks_buf_cleanup(&xff);
		} else if (peer[0] != '\0') {
			ks_err_clear();
			snprintf(q->addr, sizeof(q->addr), "%s", peer);
		}
	}
	MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, on_arg, q);
}

/* Answer a refusal decided by the transport. */
static enum MHD_Result refuse(struct ks_api_http *h, struct MHD_Connection *conn,
			      struct ks_api_request *q, int route, unsigned status,
			      const char *code, const char *detail, const struct timespec *t0)
{
	struct ks_api_reply r;
	enum MHD_Result ok;

	ks_api_reply_init(&r);
	h->cfg.refuse(h->cfg.svc, q, status, code, detail, &r);
	if (status == 405)
		r.allow = route >= 0 && h->routes[route].max_body > 0 ? "POST" : "GET, HEAD";
	ok = queue(h, conn, q, &r);
	count(h, route, r.status, elapsed_us(t0));
	ks_api_reply_cleanup(&r);
	return ok;
}

/* Does a route's path take this one?  One ending in "/" "*" takes that
 * prefix and whatever follows it. */
static bool path_matches(const char *route, const char *url)
{
	size_t n = strlen(route);

	if (n >= 2 && route[n - 1] == '*' && route[n - 2] == '/')
		return strncmp(route, url, n - 1) == 0;
	return strcmp(route, url) == 0;
}

/* The route of a path: its index, and whether the method matches. */
static int find_route(const struct ks_api_http *h, const char *url, const char *method,
		      bool *method_ok)
{
	size_t i;
	int found = -1;

	*method_ok = false;
	for (i = 0; i < h->cfg.n_routes; i++) {
		if (!path_matches(h->routes[i].path, url))
			continue;
		found = (int)i;
		if (strcmp(h->routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(h->routes[i].method, "GET") == 0)) {
			*method_ok = true;
			return found;
		}
	}
	return found;
}

static void job_free(void *arg)
{
	struct job *j = arg;

	ks_api_reply_cleanup(&j->r);
	ks_api_params_cleanup(&j->q.query);
	free(j);
}

/* A worker's part: the route's handler (500 when it cannot answer). */
static void job_run(struct ks_api_pool_job *pj)
{
	struct job *j = (struct job *)pj;
	struct ks_api_http *h = j->h;

	if (h->routes[j->route].fn(h->cfg.svc, &j->q, &j->r) < 0) {
		ks_log(KS_LOG_ERROR, "request %s: %s", j->q.id, ks_err_msg());
		ks_err_clear();
		ks_api_reply_cleanup(&j->r);
		ks_api_reply_init(&j->r);
		h->cfg.refuse(h->cfg.svc, &j->q, 500, "internal", "internal error", &j->r);
	}
	j->answered = true;
}

/* The resumed connection's part: send what the worker answered. */
static enum MHD_Result answer(struct ks_api_http *h, struct MHD_Connection *conn,
			      struct ks_mhd_pending *p)
{
	struct job *j = p->work;
	enum MHD_Result ok = MHD_NO;

	if (j->answered) {
		ok = queue(h, conn, &j->q, &j->r);
		count(h, j->route, j->r.status, elapsed_us(&p->start));
	}
	p->work = NULL;
	job_free(j);
	return ok;
}

/* The pool's part: hand the job back to its connection.  A deferred
 * one settled as failed has its answer rewritten first. */
static void job_done(struct ks_api_pool_job *pj, bool settled_ok)
{
	struct job *j = (struct job *)pj;
	struct ks_api_http *h = j->h;

	if (!pj->deferred) {
		if (h->cfg.busy != NULL)
			atomic_fetch_sub(h->cfg.busy, 1);
	} else if (!settled_ok) {
		h->cfg.settle_failed(h->cfg.svc, &j->q, &j->r);
	}
	/* the job belongs to the connection again from here */
	MHD_resume_connection(j->conn);
}

struct ks_api_later *ks_api_http_defer(void)
{
	struct job *j = (struct job *)ks_api_pool_current();

	if (j == NULL || j->h->cfg.settle_failed == NULL || !ks_api_pool_defer(&j->h->pool, &j->pj))
		return NULL;
	/* not the workers' any more: a writer gathering rows need not wait
	 * for this one */
	if (j->h->cfg.busy != NULL)
		atomic_fetch_sub(j->h->cfg.busy, 1);
	return (struct ks_api_later *)j;
}

void ks_api_http_settle(struct ks_api_later *t, bool ok)
{
	struct job *j = (struct job *)t;

	ks_api_pool_settle(&j->h->pool, &j->pj, ok);
}

/* 413 for a body over its route's limit, read (or dropped) so far. */
static enum MHD_Result too_large(struct ks_api_http *h, struct MHD_Connection *conn,
				 const char *url, const char *method,
				 const struct ks_mhd_pending *p)
{
	struct ks_api_request q;
	enum MHD_Result ok;
	char msg[128];

	request_fill(h, conn, url, method, &q);
	snprintf(msg, sizeof(msg), "the body is larger than %zu bytes",
		 h->routes[p->route].max_body);
	ok = refuse(h, conn, &q, p->route, 413, "too-large", msg, &p->start);
	ks_api_params_cleanup(&q.query);
	return ok;
}

/* The connection waits suspended for its worker: called before the job
 * is queued, so before any worker can resume it. */
static void suspend(void *conn)
{
	MHD_suspend_connection(conn);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct ks_api_http *h = cls;
	struct ks_mhd_pending *p = *con_cls;
	struct ks_api_request q;
	struct job *j;
	enum MHD_Result ok = MHD_NO;
	struct timespec t0;
	size_t clen = 0;
	bool method_ok;
	int route;
	char msg[128];

	(void)version;
	if (p == NULL) {
		/* Headers only so far: refuse what can be refused before a
		 * byte of the body is read. */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		route = find_route(h, url, method, &method_ok);
		if (route < 0 || !method_ok) {
			request_fill(h, conn, url, method, &q);
			ok =
			    refuse(h, conn, &q, route, route < 0 ? 404 : 405,
				   route < 0 ? "not-found" : "method-not-allowed",
				   route < 0 ? "no such endpoint" : "method not allowed here", &t0);
			ks_api_params_cleanup(&q.query);
			return ok;
		}
		if (ks_mhd_content_length(conn, &clen) && clen > h->routes[route].max_body &&
		    clen - h->routes[route].max_body > DRAIN_MAX) {
			request_fill(h, conn, url, method, &q);
			snprintf(msg, sizeof(msg), "the body is larger than %zu bytes",
				 h->routes[route].max_body);
			ok = refuse(h, conn, &q, route, 413, "too-large", msg, &t0);
			ks_api_params_cleanup(&q.query);
			return ok;
		}
		p = ks_mhd_pending_new(&h->mhd, h->routes[route].max_body, route, &t0);
		if (p == NULL)
			return MHD_NO;
		/* Over the limit but within DRAIN_MAX: nothing is kept, the
		 * body is read and dropped, then 413. */
		if (clen > h->routes[route].max_body)
			p->too_big = true;
		/* The body may hold a PIN (the signing agent's form): kept in a
		 * secret buffer, wiped when the request ends.  Still empty here. */
		if (h->cfg.secret_bodies)
			ks_buf_init_secret(&p->body, h->routes[route].max_body);
		*con_cls = p;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		ks_mhd_pending_feed(p, upload_data, upload_data_size);
		if (!p->too_big || p->dropped <= DRAIN_MAX)
			return MHD_YES;
		/* A body without a length that goes on far past the limit:
		 * answered now, the connection closed after the answer. */
		return too_large(h, conn, url, method, p);
	}
	if (p->work != NULL)
		return answer(h, conn, p);
	if (p->too_big)
		return too_large(h, conn, url, method, p);
	/* The body is complete: a worker answers it, the connection waits
	 * suspended (suspended before the worker can resume it). */
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return MHD_NO;
	j->h = h;
	j->conn = conn;
	j->route = p->route;
	request_fill(h, conn, url, method, &j->q);
	j->q.body = p->body.len > 0 ? p->body.data : (const uint8_t *)"";
	j->q.len = p->body.len;
	ks_api_reply_init(&j->r);
	p->work = j;
	p->work_free = job_free;
	if (h->cfg.busy != NULL)
		atomic_fetch_add(h->cfg.busy, 1);
	if (!ks_api_pool_push(&h->pool, &j->pj, suspend, conn)) {
		/* The workers are gone (stopping, past the drain): answered
		 * here, never left suspended for libmicrohttpd's stop. */
		if (h->cfg.busy != NULL)
			atomic_fetch_sub(h->cfg.busy, 1);
		p->work = NULL;
		ok = refuse(h, conn, &j->q, j->route, 503, "stopping", "the service is stopping",
			    &p->start);
		job_free(j);
		return ok;
	}
	return MHD_YES;
}

static int read_tls(struct ks_api_http *h)
{
	if (h->cfg.tls_cert == NULL)
		return 0;
	ks_buf_init(&h->tls_cert, TLS_FILE_MAX);
	ks_buf_init_secret(&h->tls_key, TLS_FILE_MAX);
	if (ks_file_read(h->cfg.tls_cert, TLS_FILE_MAX - 1, &h->tls_cert) < 0 ||
	    ks_file_read(h->cfg.tls_key, TLS_FILE_MAX - 1, &h->tls_key) < 0 ||
	    ks_buf_append_byte(&h->tls_cert, 0) < 0 || ks_buf_append_byte(&h->tls_key, 0) < 0)
		return -1;
	return 0;
}

int ks_api_http_start(const struct ks_api_http_cfg *cfg, struct ks_api_http **out)
{
	struct ks_api_http *h = NULL;
	struct ks_mhd_cfg mc;
	unsigned io, workers;
	long ncpu;
	int rc = -1;

	*out = NULL;
	if (cfg->n_routes > KS_API_ROUTES_MAX || cfg->refuse == NULL)
		KS_BAIL(KS_ERR_ARG, "bad route table");
	if (cfg->threads > KS_API_THREADS_MAX)
		KS_BAIL(KS_ERR_USAGE, "more than %d threads", KS_API_THREADS_MAX);
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		KS_BAIL(KS_ERR_USAGE, "a TLS certificate and key go together");
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	h->cfg = *cfg;
	memcpy(h->routes, cfg->routes, cfg->n_routes * sizeof(*h->routes));
	h->cfg.routes = h->routes;
	KS_GUARD(read_tls(h));
	memset(&mc, 0, sizeof(mc));
	mc.listen = cfg->listen;
	mc.log_prefix = "http";
	/* libmicrohttpd's threads read requests and write answers; the
	 * workers (cfg->threads) answer them */
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	io = ncpu > 0 ? (unsigned)ncpu : 1;
	io = io > IO_THREADS_MAX ? IO_THREADS_MAX : io;
	workers = cfg->threads > 0 ? cfg->threads : 1;
	mc.threads = io < workers ? io : workers;
	mc.epoll = true;
	mc.suspend = true;
	mc.max_connections = cfg->max_connections;
	mc.timeout_s = cfg->timeout_s;
	if (cfg->tls_cert != NULL) {
		mc.tls_cert = (const char *)h->tls_cert.data;
		mc.tls_key = (const char *)h->tls_key.data;
	}
	mc.on_request = on_request;
	mc.cls = h;
	KS_GUARD(ks_api_pool_start(&h->pool, workers, cfg->cpu_turns ? mc.threads : workers,
				   job_run, job_done));
	KS_GUARD(ks_mhd_start(&h->mhd, &mc));
	*out = h;
	h = NULL;
	rc = 0;
out:
	if (h != NULL) {
		ks_api_pool_cleanup(&h->pool);
		ks_buf_cleanup(&h->tls_cert);
		ks_buf_cleanup(&h->tls_key);
		free(h);
	}
	return rc;
}

uint16_t ks_api_http_port(const struct ks_api_http *h)
{
	return h->mhd.port;
}

unsigned ks_api_http_in_flight(const struct ks_api_http *h)
{
	return atomic_load(&h->mhd.in_flight);
}

void ks_api_http_stop(struct ks_api_http *h, unsigned drain_ms)
{
	if (h == NULL)
		return;
	/* the requests in flight answered (their connections resumed)
	 * before libmicrohttpd stops */
	ks_mhd_drain(&h->mhd, drain_ms);
	ks_api_pool_stop(&h->pool);
	ks_mhd_stop(&h->mhd, 0);
	/* libmicrohttpd's threads, which push jobs, are gone */
	ks_api_pool_cleanup(&h->pool);
	ks_buf_cleanup(&h->tls_cert);
	ks_buf_cleanup(&h->tls_key);
	free(h);
}
