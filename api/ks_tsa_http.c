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

#include "api/ks_mhd.h"
#include "api/ks_tsa_http.h"
#include "signer/ks_http.h"
#include "ks_cur.h"
#include "ks_log.h"

#define QUERY_TYPE "application/timestamp-query" /* RFC 3161 3.4 */
#define REPLY_TYPE "application/timestamp-reply"
#define TEXT_TYPE "text/plain; charset=utf-8"
#define REPLY_MAX ((size_t)256 << 10)

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
	if (!ks_http_type_is(content_type, QUERY_TYPE))
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

int ks_tsa_http_answer(struct ks_tsp_server *srv, const char *method, const char *content_type,
		       const uint8_t *body, size_t n, size_t max_request,
		       struct ks_tsa_http_reply *r, struct ks_tsp_issued *issued)
{
	return handle(srv, method, content_type, body, n, max_request, r, issued);
}

/* ---- libmicrohttpd server ---- */

struct ks_tsa_http {
	struct ks_mhd mhd;
	struct ks_tsp_server *srv;
	size_t max_request;
	atomic_ulong granted, rejected, refused_http;
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
	    ((r->status >= 400 || atomic_load(&h->mhd.draining)) &&
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct ks_tsa_http *h = cls;
	struct ks_mhd_pending *p = *con_cls;
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
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0 ||
		    !ks_http_type_is(ctype, QUERY_TYPE))
			return early(h, conn, method, ctype, 0);
		if (ks_mhd_content_length(conn, &clen) && clen > h->max_request)
			return early(h, conn, method, ctype, clen);
		p = ks_mhd_pending_new(&h->mhd, h->max_request, 0, NULL);
		if (p == NULL)
			return MHD_NO;
		*con_cls = p;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		ks_mhd_pending_feed(p, upload_data, upload_data_size);
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

int ks_tsa_http_start(struct ks_tsp_server *srv, const struct ks_tsa_http_cfg *cfg,
		      struct ks_tsa_http **out)
{
	struct ks_tsa_http *h = NULL;
	struct ks_mhd_cfg mc;
	int rc = -1;

	*out = NULL;
	if (srv == NULL)
		KS_BAIL(KS_ERR_ARG, "no responder");
	if (cfg->max_request > KS_TSA_HTTP_REQUEST_MAX)
		KS_BAIL(KS_ERR_USAGE, "request size limit above %zu bytes",
			KS_TSA_HTTP_REQUEST_MAX);
	if (cfg->threads > KS_TSA_HTTP_THREADS_MAX)
		KS_BAIL(KS_ERR_USAGE, "more than %d threads", KS_TSA_HTTP_THREADS_MAX);
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	h->srv = srv;
	h->max_request = cfg->max_request != 0 ? cfg->max_request : KS_TSA_HTTP_REQUEST_DEFAULT;
	memset(&mc, 0, sizeof(mc));
	mc.listen = cfg->listen;
	mc.log_prefix = "tsa http";
	mc.threads = cfg->threads;
	mc.max_connections = KS_TSA_HTTP_CONNECTIONS_MAX;
	mc.timeout_s = KS_TSA_HTTP_IDLE_TIMEOUT_S;
	mc.on_request = on_request;
	mc.cls = h;
	KS_GUARD(ks_mhd_start(&h->mhd, &mc));
	*out = h;
	h = NULL;
	rc = 0;
out:
	free(h);
	return rc;
}

uint16_t ks_tsa_http_port(const struct ks_tsa_http *h)
{
	return h->mhd.port;
}

void ks_tsa_http_stats(const struct ks_tsa_http *h, struct ks_tsa_http_stats *st)
{
	st->granted = atomic_load(&h->granted);
	st->rejected = atomic_load(&h->rejected);
	st->refused_http = atomic_load(&h->refused_http);
}

void ks_tsa_http_stop(struct ks_tsa_http *h, unsigned drain_ms, struct ks_tsa_http_stats *final)
{
	if (h == NULL)
		return;
	ks_mhd_stop(&h->mhd, drain_ms);
	if (final != NULL)
		ks_tsa_http_stats(h, final);
	free(h);
}
