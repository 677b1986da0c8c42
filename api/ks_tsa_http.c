/* RFC 3161 over HTTP: the request rules, and a libmicrohttpd server for
 * `kyso tsa`. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/ks_tsa_http.h"
#include "ks_cur.h"
#include "ks_log.h"

#define QUERY_TYPE "application/timestamp-query" /* RFC 3161 3.4 */
#define REPLY_TYPE "application/timestamp-reply"
#define TEXT_TYPE "text/plain; charset=utf-8"
#define REPLY_MAX ((size_t)256 << 10)
#define HOST_MAX 64
#define PORT_DIGITS 5
#define DRAIN_POLL_NS 10000000L

void ks_tsa_http_reply_init(struct ks_tsa_http_reply *r)
{
	memset(r, 0, sizeof(*r));
	ks_buf_init(&r->body, REPLY_MAX);
}

void ks_tsa_http_reply_cleanup(struct ks_tsa_http_reply *r)
{
	ks_buf_cleanup(&r->body);
	memset(r, 0, sizeof(*r));
}

/* Media type `want`, parameters and case ignored (RFC 9110 8.3.1). */
static bool type_is(const char *got, const char *want)
{
	size_t n = strlen(want);

	if (got == NULL)
		return false;
	while (*got == ' ' || *got == '\t')
		got++;
	if (strncasecmp(got, want, n) != 0)
		return false;
	got += n;
	while (*got == ' ' || *got == '\t')
		got++;
	return *got == '\0' || *got == ';';
}

static int text_reply(struct ks_tsa_http_reply *r, unsigned status, const char *msg)
{
	r->status = status;
	r->content_type = TEXT_TYPE;
	ks_buf_reset(&r->body);
	return ks_buf_printf(&r->body, "%s\n", msg);
}

static int handle(struct ks_tsp_server *srv, const char *method, const char *content_type,
		  const uint8_t *body, size_t n, size_t max_request, struct ks_tsa_http_reply *r,
		  struct ks_tsp_issued *issued)
{
	char msg[96];

	issued->status = -1;
	if (method == NULL || strcmp(method, "POST") != 0) {
		r->allow = "POST";
		return text_reply(r, 405, "a timestamp request is a POST (RFC 3161 3.4)");
	}
	if (!type_is(content_type, QUERY_TYPE))
		return text_reply(r, 415, "Content-Type must be " QUERY_TYPE);
	if (n > max_request) {
		snprintf(msg, sizeof(msg), "a timestamp request is at most %zu bytes", max_request);
		return text_reply(r, 413, msg);
	}
	ks_buf_reset(&r->body);
	if (ks_tsp_server_respond(srv, body, n, &r->body, issued) < 0)
		return -1;
	r->status = 200;
	r->content_type = REPLY_TYPE;
	if (issued->status == KS_TSP_GRANTED)
		ks_log(KS_LOG_INFO, "tsa: granted serial %s at %s", issued->serial_hex,
		       issued->gen_time);
	else
		ks_log(KS_LOG_INFO, "tsa: rejected (%s): %s", ks_tsp_failure_name(issued->failure),
		       issued->reason);
	return 0;
}

int ks_tsa_http_handle(struct ks_tsp_server *srv, const char *method, const char *content_type,
		       const uint8_t *body, size_t n, size_t max_request,
		       struct ks_tsa_http_reply *r)
{
	struct ks_tsp_issued is;

	return handle(srv, method, content_type, body, n, max_request, r, &is);
}

/* ---- libmicrohttpd server ---- */

struct ks_tsa_http {
	struct MHD_Daemon *d;
	struct ks_tsp_server *srv;
	size_t max_request;
	uint16_t port;
	atomic_bool draining;
	atomic_uint in_flight; /* requests whose body is being read or answered */
	atomic_ulong granted, rejected, refused_http;
};

/* One request being received. */
struct pending {
	struct ks_buf body;
	bool too_big;
};

static enum MHD_Result queue(struct ks_tsa_http *h, struct MHD_Connection *conn,
			     const struct ks_tsa_http_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;

	resp = MHD_create_response_from_buffer(r->body.len, r->body.data, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type) !=
		MHD_YES ||
	    (r->allow != NULL &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow) != MHD_YES) ||
	    /* Refused before the body was read (or while stopping): the
	     * connection ends with the answer. */
	    ((r->status >= 400 || atomic_load(&h->draining)) &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ok = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	if (r->status >= 400)
		atomic_fetch_add(&h->refused_http, 1);
	return ok;
}

/* An answer decided from the headers alone (405, 415, 413). */
static enum MHD_Result early(struct ks_tsa_http *h, struct MHD_Connection *conn, const char *method,
			     const char *ctype, size_t n)
{
	struct ks_tsa_http_reply r;
	struct ks_tsp_issued is;
	enum MHD_Result ok = MHD_NO;

	ks_tsa_http_reply_init(&r);
	/* With an empty body the responder is not reached: method, type
	 * and size decide. */
	if (handle(h->srv, method, ctype, NULL, n, h->max_request, &r, &is) == 0)
		ok = queue(h, conn, &r);
	ks_tsa_http_reply_cleanup(&r);
	return ok;
}

/* Content-Length, when given, as a number (strictly decimal). */
static bool content_length(struct MHD_Connection *conn, size_t *n)
{
	const char *v =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	struct ks_cur c;
	uint64_t x = 0;

	if (v == NULL)
		return false;
	ks_cur_init(&c, v, strlen(v));
	if (ks_cur_decimal(&c, 19, UINT64_MAX / 10, &x) < 0 || !ks_cur_eof(&c)) {
		ks_err_clear();
		*n = SIZE_MAX; /* unreadable or huge: too large */
		return true;
	}
	*n = x > SIZE_MAX ? SIZE_MAX : (size_t)x;
	return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct ks_tsa_http *h = cls;
	struct pending *p = *con_cls;
	struct ks_tsa_http_reply r;
	struct ks_tsp_issued is;
	const char *ctype =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	enum MHD_Result ok = MHD_NO;
	size_t clen = 0;

	(void)url; /* any path: a TSA URL is whatever the deployment publishes */
	(void)version;
	if (p == NULL) {
		/* Headers only so far: refuse what can be refused before a
		 * byte of the body is read (a declared size above the limit
		 * included). */
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0 || !type_is(ctype, QUERY_TYPE))
			return early(h, conn, method, ctype, 0);
		if (content_length(conn, &clen) && clen > h->max_request)
			return early(h, conn, method, ctype, clen);
		p = calloc(1, sizeof(*p));
		if (p == NULL)
			return MHD_NO;
		ks_buf_init(&p->body, h->max_request);
		*con_cls = p;
		atomic_fetch_add(&h->in_flight, 1);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		/* Without Content-Length (chunked) the limit is checked as
		 * the body arrives; the rest is read and dropped. */
		if (!p->too_big && ks_buf_append(&p->body, upload_data, *upload_data_size) < 0) {
			ks_err_clear();
			p->too_big = true;
			ks_buf_cleanup(&p->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (p->too_big)
		return early(h, conn, method, ctype, h->max_request + 1);
	ks_tsa_http_reply_init(&r);
	if (handle(h->srv, method, ctype, p->body.data, p->body.len, h->max_request, &r, &is) ==
	    0) {
		if (is.status == KS_TSP_GRANTED)
			atomic_fetch_add(&h->granted, 1);
		else if (is.status == KS_TSP_REJECTION)
			atomic_fetch_add(&h->rejected, 1);
		ok = queue(h, conn, &r);
	} else {
		ks_log(KS_LOG_ERROR, "tsa: %s", ks_err_msg());
	}
	ks_tsa_http_reply_cleanup(&r);
	return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct ks_tsa_http *h = cls;
	struct pending *p = *con_cls;

	(void)conn;
	(void)toe;
	if (p == NULL)
		return;
	ks_buf_cleanup(&p->body);
	free(p);
	*con_cls = NULL;
	atomic_fetch_sub(&h->in_flight, 1);
}

static KS_PRINTF(2, 0) void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	msg[strcspn(msg, "\n")] = '\0';
	ks_log(KS_LOG_WARN, "tsa http: %s", msg);
}

/* "127.0.0.1:8080", "[::1]:8080": a numeric address (dotted quad or
 * IPv6 in brackets, no name lookups) and a port. */
int ks_tsa_http_listen_parse(const char *s, struct sockaddr_storage *ss, bool *v6)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct ks_cur all, hostc, c;
	char host[HOST_MAX];
	uint64_t port = 0;
	size_t colon = 0, hl;
	bool bracket;

	if (s != NULL)
		ks_cur_init(&all, s, strlen(s));
	if (s == NULL || !ks_cur_rfind(&all, SIZE_MAX, ":", 1, &colon))
		return KS_SET(KS_ERR_USAGE, "--listen must be ADDRESS:PORT (e.g. 127.0.0.1:8318)");
	/* the port after the last colon; the host before it, in brackets
	 * for IPv6 */
	if (ks_cur_range(&all, 0, colon, &hostc) < 0 || ks_cur_at(&all, colon + 1, &c) < 0)
		return -1;
	hl = colon;
	bracket = hl >= 2 && ks_cur_starts_with(&hostc, "[", 1) &&
		  ks_cur_accept_before(&hostc, &hl, "]", 1);
	if (bracket) {
		hl = colon - 2;
		if (ks_cur_skip(&hostc, 1) < 0)
			return -1;
	}
	if (hl == 0 || hl >= sizeof(host) || ks_cur_decimal(&c, PORT_DIGITS, 65535, &port) < 0 ||
	    !ks_cur_eof(&c) || ks_cur_copy(&hostc, host, hl) < 0)
		return KS_SET(KS_ERR_USAGE, "--listen must be ADDRESS:PORT with a port up to "
					    "65535 (e.g. 127.0.0.1:8318)");
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	*v6 = bracket;
	if (bracket && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
	} else if (!bracket && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
	} else {
		return KS_SET(KS_ERR_USAGE,
			      "--listen: '%s' is not a numeric IPv4 address or [IPv6] address",
			      host);
	}
	return 0;
}

int ks_tsa_http_start(struct ks_tsp_server *srv, const struct ks_tsa_http_cfg *cfg,
		      struct ks_tsa_http **out)
{
	struct ks_tsa_http *h = NULL;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem pool[2];
	unsigned threads = cfg->threads > 1 ? cfg->threads : 1;
	unsigned flags =
	    MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	bool v6 = false;
	int rc = -1;

	*out = NULL;
	if (srv == NULL)
		KS_BAIL(KS_ERR_ARG, "no responder");
	if (cfg->max_request > KS_TSA_HTTP_REQUEST_MAX)
		KS_BAIL(KS_ERR_USAGE, "request size limit above %zu bytes",
			KS_TSA_HTTP_REQUEST_MAX);
	if (threads > KS_TSA_HTTP_THREADS_MAX)
		KS_BAIL(KS_ERR_USAGE, "more than %d threads", KS_TSA_HTTP_THREADS_MAX);
	KS_GUARD(ks_tsa_http_listen_parse(cfg->listen, &ss, &v6));
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	h->srv = srv;
	h->max_request = cfg->max_request != 0 ? cfg->max_request : KS_TSA_HTTP_REQUEST_DEFAULT;
	if (v6)
		flags |= MHD_USE_IPv6;
	/* The logger first: MHD reports through it from then on.  The pool
	 * size only when there is a pool (MHD warns about 0 or 1). */
	pool[0].option = threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END;
	pool[0].value = (intptr_t)threads;
	pool[0].ptr_value = NULL;
	pool[1].option = MHD_OPTION_END;
	pool[1].value = 0;
	pool[1].ptr_value = NULL;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
				on_mhd_log, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)KS_TSA_HTTP_CONNECTIONS_MAX,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)KS_TSA_HTTP_IDLE_TIMEOUT_S,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_ARRAY,
				pool, MHD_OPTION_END);
	if (h->d == NULL)
		KS_BAIL(KS_ERR_IO, "cannot listen on %s (in use, or not an address of this host)",
			cfg->listen);
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL ? info->port : 0;
	*out = h;
	h = NULL;
	rc = 0;
out:
	if (h != NULL) {
		if (h->d != NULL)
			MHD_stop_daemon(h->d);
		free(h);
	}
	return rc;
}

uint16_t ks_tsa_http_port(const struct ks_tsa_http *h)
{
	return h->port;
}

void ks_tsa_http_stats(const struct ks_tsa_http *h, struct ks_tsa_http_stats *st)
{
	st->granted = atomic_load(&h->granted);
	st->rejected = atomic_load(&h->rejected);
	st->refused_http = atomic_load(&h->refused_http);
}

void ks_tsa_http_stop(struct ks_tsa_http *h, unsigned drain_ms, struct ks_tsa_http_stats *final)
{
	struct timespec pause = { 0, DRAIN_POLL_NS };
	MHD_socket fd;
	unsigned waited = 0;

	if (h == NULL)
		return;
	atomic_store(&h->draining, true);
	/* No new connections; requests in flight are answered (with
	 * "Connection: close"); idle keep-alive connections are closed by
	 * the stop itself. */
	fd = MHD_quiesce_daemon(h->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	while (waited < drain_ms && atomic_load(&h->in_flight) > 0) {
		nanosleep(&pause, NULL);
		waited += (unsigned)(DRAIN_POLL_NS / 1000000L);
	}
	MHD_stop_daemon(h->d);
	if (final != NULL)
		ks_tsa_http_stats(h, final);
	free(h);
}
