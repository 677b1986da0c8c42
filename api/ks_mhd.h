/* ks_mhd: what kyso's HTTP servers share on libmicrohttpd (the daemon's
 * front, ks_api_http.c, and the TSA's, ks_tsa_http.c): the listening
 * address, starting and draining a server, and a request body that is
 * received within a limit. */
#ifndef KS_MHD_H
#define KS_MHD_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "ks_buf.h"
#include "ks_err.h"

/* "127.0.0.1:8080", "[::1]:8080": a numeric address (dotted quad or
 * IPv6 in brackets, no name lookups) and a port (0: any free). */
KS_WUR int ks_mhd_listen_parse(const char *s, struct sockaddr_storage *ss, bool *v6);

/* One request being received: its body within `limit` bytes (past it the
 * rest is read and dropped, and too_big says so), its route and start. */
struct ks_mhd_pending {
	struct ks_buf body;
	bool too_big;
	uint64_t dropped; /* body bytes read and dropped past the limit */
	int route;
	struct timespec start;
	/* The server's own state of the request once its body is complete
	 * (a job handed to a worker), freed by work_free when the request
	 * ends, whichever way it ends. */
	void *work;
	void (*work_free)(void *work);
};

struct ks_mhd_cfg {
	const char *listen;     /* as ks_mhd_listen_parse reads it */
	const char *log_prefix; /* libmicrohttpd's own messages, logged as warnings */
	unsigned threads;       /* 0 or 1: one thread; more: a pool */
	bool epoll;             /* epoll (Linux) rather than the platform's choice */
	bool suspend;           /* connections may be suspended and resumed */
	unsigned max_connections;
	unsigned timeout_s;   /* idle connections closed after it */
	const char *tls_cert; /* PEM in memory, NUL-terminated; both or neither */
	const char *tls_key;  /* (never logged) */
	MHD_AccessHandlerCallback on_request;
	void *cls; /* on_request's first argument */
};

struct ks_mhd {
	struct MHD_Daemon *d;
	uint16_t port;         /* the bound port */
	atomic_bool draining;  /* stopping: answers close their connection */
	atomic_uint in_flight; /* requests whose body is being read or answered */
	const char *log_prefix;
	bool drained; /* ks_mhd_drain done: no longer listening */
};

/* Start listening; the error names the address when it cannot be bound. */
KS_WUR int ks_mhd_start(struct ks_mhd *m, const struct ks_mhd_cfg *cfg);

/* No new connections, then up to drain_ms for the requests in flight;
 * the server still answers them (once only: later calls return). */
void ks_mhd_drain(struct ks_mhd *m, unsigned drain_ms);

/* Stop: ks_mhd_drain when not done yet, then the server is gone (with
 * suspend, every suspended connection must have been resumed). */
void ks_mhd_stop(struct ks_mhd *m, unsigned drain_ms);

/* Content-Length, when given, as a number (strictly decimal; unreadable
 * or huge reads as SIZE_MAX, too large).  false when absent. */
bool ks_mhd_content_length(struct MHD_Connection *conn, size_t *n);

/* The first call of a request: its pending state, counted in flight.
 * NULL when out of memory. */
struct ks_mhd_pending *ks_mhd_pending_new(struct ks_mhd *m, size_t limit, int route,
					  const struct timespec *start);

/* Take the body bytes of one upload call (*size set to 0). */
void ks_mhd_pending_feed(struct ks_mhd_pending *p, const char *data, size_t *size);

#endif
