/* ks_api_http: the HTTP transport of `kyso serve` on libmicrohttpd (a
 * thread pool over epoll, one thread per core) and a pool of `threads`
 * workers.
 *
 * libmicrohttpd's threads only read requests and write answers; a
 * request whose body is complete waits, its connection suspended, in one
 * queue that the workers take in order.  So every request waits its turn
 * rather than the turn of the connections that happened to share its
 * libmicrohttpd thread (one such thread serves many connections, and a
 * thread that accepted several at once would otherwise answer them one
 * after another while other threads sit idle).
 *
 * It knows routes, not what they do: each route (method, path) has a
 * handler, a body limit and a kind of body it accepts.  The transport
 * refuses what can be refused before a byte of the body is buffered (an
 * unknown path 404, another method 405, a declared Content-Length above
 * the route's limit 413), gathers the body within the limit (a chunked
 * body past it is read and dropped, then 413), gives every request an
 * id (also the X-Request-Id header of the answer), counts requests and
 * latencies by route and status for /metrics, and on stop lets requests
 * in flight finish. */
#ifndef KS_API_HTTP_H
#define KS_API_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/ks_api_req.h"
#include "ks_buf.h"
#include "ks_err.h"

#define KS_API_ROUTES_MAX 16
#define KS_API_REQID_LEN 16 /* hex digits of a request id */
#define KS_API_ADDR_MAX 64  /* text of a peer address, with the NUL */
#define KS_API_THREADS_MAX 256
#define KS_API_HEADER_MAX 8192 /* bytes of one header value looked at */

struct ks_api_request {
	const char *method, *path;
	const char *content_type;   /* NULL when absent */
	const char *authorization;  /* NULL when absent */
	const char *activation;     /* the Kyso-Activation header, NULL when absent */
	char addr[KS_API_ADDR_MAX]; /* the peer's address */
	char id[KS_API_REQID_LEN + 1];
	const uint8_t *body;
	size_t len;
	struct ks_api_params query; /* the query string's parameters */
	bool query_bad;             /* the query string could not be read */
	char query_err[200];
	/* Origin, Host and Referer, NULL when absent (the signing agent
	 * checks them on every request). */
	const char *origin, *host, *referer;
};

struct ks_api_reply {
	unsigned status;
	const char *content_type; /* static text */
	struct ks_buf body;
	unsigned retry_after;  /* seconds; 0: no Retry-After */
	char disposition[160]; /* Content-Disposition, "" for none */
	const char *allow;     /* static, for 405 */
	/* Pages for browsers: a static Content-Security-Policy, sent with
	 * Referrer-Policy no-referrer; NULL for the API's answers. */
	const char *csp;
	/* CORS: the origin allowed to read the answer (sent as
	 * Access-Control-Allow-Origin with Vary: Origin and the methods and
	 * headers allowed); NULL for none. */
	const char *cors_origin;
};

/* A handler answers into r (status, type, body); -1 only when nothing
 * at all could be answered (the transport then sends 500). */
typedef int (*ks_api_handler)(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
/* Answer a failure decided by the transport (404, 405, 413, 500) as the
 * service's error bodies say: code is a problem code of ks_api_problem. */
typedef void (*ks_api_refuse_fn)(void *svc, const struct ks_api_request *q, unsigned status,
				 const char *code, const char *detail, struct ks_api_reply *r);

struct ks_api_route {
	const char *method;
	const char *path; /* exact; ending in "/" "*": every path under it */
	ks_api_handler fn;
	size_t max_body; /* 0: no body taken (GET) */
};

struct ks_api_proxies;

struct ks_api_http_cfg {
	const char *listen; /* "127.0.0.1:PORT" or "[::1]:PORT"; port 0: any free */
	unsigned threads;
	unsigned max_connections;
	unsigned timeout_s;
	const char *tls_cert, *tls_key; /* PEM files; both or neither */
	const struct ks_api_route *routes;
	size_t n_routes;
	ks_api_refuse_fn refuse;
	void *svc;
	/* Bodies may hold a secret (the signing agent's PIN form): kept in
	 * secret buffers, wiped when the request ends. */
	bool secret_bodies;
	/* Workers take turns on the CPU, one per core (handlers mark their
	 * waits with ks_api_http_wait_begin/_end); false: every worker
	 * runs at once (handlers that may wait unmarked, e.g. for a PIN
	 * typed at a terminal). */
	bool cpu_turns;
	/* Optional: kept at the number of requests handed to the workers
	 * and not answered yet (queued or running; a deferred one counts
	 * until it defers). */
	atomic_uint *busy;
	/* Optional: makes ks_api_http_defer available.  Rewrites the
	 * answer of a deferred request settled as failed (any thread). */
	void (*settle_failed)(void *svc, const struct ks_api_request *q, struct ks_api_reply *r);
	/* Optional: reverse proxies whose X-Forwarded-For names the client
	 * (ks_api_proxy.h); kept by the caller while the server runs. */
	const struct ks_api_proxies *proxies;
};

struct ks_api_http;

KS_WUR int ks_api_http_start(const struct ks_api_http_cfg *cfg, struct ks_api_http **out);
uint16_t ks_api_http_port(const struct ks_api_http *h);
unsigned ks_api_http_in_flight(const struct ks_api_http *h);
/* Prometheus text of the transport's counters (requests, latencies,
 * in flight) appended to out. */
KS_WUR int ks_api_http_metrics(const struct ks_api_http *h, struct ks_buf *out);
/* Stop accepting, wait for requests in flight (at most drain_ms), stop.
 * NULL is a no-op. */
void ks_api_http_stop(struct ks_api_http *h, unsigned drain_ms);

/* A handler is about to wait for something other than the CPU (its
 * audit row's commit, a token, a network peer): its worker lends its
 * turn on the CPU to the next request meanwhile.  ..._end takes a turn
 * back (before newer requests).  Both are no-ops outside a worker. */
void ks_api_http_wait_begin(void);
void ks_api_http_wait_end(void);
/* What is left of the request is short (its audit row's commit, then
 * copying the answer): the worker gives up its turn for good, so it
 * need not queue for one again after the wait.  Waits marked after
 * this are no-ops. */
void ks_api_http_turn_done(void);

/* Answering later.  A handler whose answer waits only for another
 * thread (its audit row's commit) defers it instead of waiting: it
 * calls ks_api_http_defer(), leaves in r the answer as it will go out if
 * all goes well, hands the returned request to that thread and returns
 * 0; its worker takes the next request at once.  That thread calls
 * ks_api_http_settle(t, ok) exactly once: with ok false the answer is
 * rewritten first (cfg.settle_failed).  The answer leaves only once both
 * the handler has returned and the request is settled.  NULL (answer
 * now) outside a worker or without cfg.settle_failed. */
struct ks_api_later;
struct ks_api_later *ks_api_http_defer(void);
void ks_api_http_settle(struct ks_api_later *t, bool ok);

void ks_api_reply_init(struct ks_api_reply *r);
void ks_api_reply_cleanup(struct ks_api_reply *r);

#endif
