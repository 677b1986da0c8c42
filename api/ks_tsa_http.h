/* ks_tsa_http: RFC 3161 over HTTP (RFC 3161 3.4) in front of the
 * responder of formats/tsp.
 *
 * ks_tsa_http_handle() is the whole of the protocol's HTTP side, free of
 * any server framework: POST only (405), Content-Type
 * application/timestamp-query (415), the request size limit (413), and
 * every request that reaches the responder answered with a
 * TimeStampResp (a malformed one with status rejection, badDataFormat:
 * RFC 3161 2.4.2).  The daemon's POST /v1/timestamp and the standalone
 * `kyso tsa` both use it; the latter through the libmicrohttpd server
 * below, which checks Content-Length before it buffers anything. */
#ifndef KS_TSA_HTTP_H
#define KS_TSA_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "formats/tsp/ks_tsp_server.h"
#include "ks_buf.h"
#include "ks_err.h"

#define KS_TSA_HTTP_REQUEST_DEFAULT ((size_t)4 << 10) /* default request size limit */
#define KS_TSA_HTTP_REQUEST_MAX KS_TSP_REQ_MAX        /* no configuration goes above */
#define KS_TSA_HTTP_THREADS_MAX 64
#define KS_TSA_HTTP_CONNECTIONS_MAX 512
#define KS_TSA_HTTP_IDLE_TIMEOUT_S 10
#define KS_TSA_HTTP_DRAIN_MS 5000 /* default wait for requests in flight at stop */

struct ks_tsa_http_reply {
	unsigned status;          /* HTTP status */
	const char *content_type; /* static text */
	const char *allow;        /* the Allow header of a 405, else NULL */
	struct ks_buf body;
};

void ks_tsa_http_reply_init(struct ks_tsa_http_reply *r);
void ks_tsa_http_reply_cleanup(struct ks_tsa_http_reply *r);

/* Answer one HTTP request whose body (n bytes) is complete and within
 * `max_request`.  -1 only when no reply at all could be made (then the
 * transport answers 500). */
KS_WUR int ks_tsa_http_handle(struct ks_tsp_server *srv, const char *method,
			      const char *content_type, const uint8_t *body, size_t n,
			      size_t max_request, struct ks_tsa_http_reply *r);
/* The same, telling what the responder did with a request that reached
 * it (`issued->status` -1 when none did: a refusal of the HTTP side). */
KS_WUR int ks_tsa_http_answer(struct ks_tsp_server *srv, const char *method,
			      const char *content_type, const uint8_t *body, size_t n,
			      size_t max_request, struct ks_tsa_http_reply *r,
			      struct ks_tsp_issued *issued);

/* ---- standalone server (libmicrohttpd) ---- */

struct ks_tsa_http_cfg {
	const char *listen; /* "127.0.0.1:PORT" or "[::1]:PORT", numeric; port 0: any free */
	size_t max_request; /* 0: KS_TSA_HTTP_REQUEST_DEFAULT */
	unsigned threads;   /* 0 or 1: one thread; more: a pool */
};

struct ks_tsa_http_stats {
	unsigned long granted, rejected, refused_http; /* refused_http: 4xx before the responder */
};

struct ks_tsa_http; /* opaque */

/* Start serving in background threads; `srv` must outlive the server. */
KS_WUR int ks_tsa_http_start(struct ks_tsp_server *srv, const struct ks_tsa_http_cfg *cfg,
			     struct ks_tsa_http **out);
/* The port actually bound (useful with port 0). */
uint16_t ks_tsa_http_port(const struct ks_tsa_http *h);
void ks_tsa_http_stats(const struct ks_tsa_http *h, struct ks_tsa_http_stats *st);
/* Stop accepting, let requests in flight finish (at most drain_ms),
 * close everything and free h; `final` (may be NULL) gets the counts of
 * the whole run.  NULL h is a no-op. */
void ks_tsa_http_stop(struct ks_tsa_http *h, unsigned drain_ms, struct ks_tsa_http_stats *final);

#endif
