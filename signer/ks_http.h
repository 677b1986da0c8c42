/* ks_http: the HTTP client of kyso (libcurl), for the network peers of
 * signing and validation: TSAs (RFC 3161), OCSP responders and CRL
 * distribution points.
 *
 * A peer is hostile or broken until its answer is checked: every
 * request has a connect and a total time limit, the response body has a
 * hard maximum checked while it arrives, only http and https are spoken,
 * redirects are not followed, and the Content-Type must be the one
 * expected.  Each way of failing has its own error code, so callers can
 * tell a peer that is down from one that is slow or lying:
 *   KS_ERR_NET_DOWN     refused, unreachable, name not resolved
 *   KS_ERR_NET_TIMEOUT  connect or total time limit reached
 *   KS_ERR_LIMIT        body larger than max_body
 *   KS_ERR_NET_TYPE     Content-Type other than the expected one
 *   KS_ERR_NET_STATUS   HTTP status other than 200 (a redirect included)
 *   KS_ERR_NET          anything else (TLS, protocol)
 *   KS_ERR_ARG          a URL that is not http(s) or is malformed
 *
 * Connections are kept open per thread and reused for the next request
 * to the same peer; ks_http_thread_cleanup() closes them (a thread's
 * are also closed when it exits). */
#ifndef KS_HTTP_H
#define KS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "ks_buf.h"
#include "ks_err.h"

#define KS_HTTP_CONNECT_TIMEOUT_MS 5000L   /* default */
#define KS_HTTP_TIMEOUT_MS 15000L          /* default, whole exchange */
#define KS_HTTP_BODY_MAX ((size_t)1 << 20) /* default response body limit */
#define KS_HTTP_URL_MAX 2048

struct ks_http_opts {
	long connect_timeout_ms; /* 0: KS_HTTP_CONNECT_TIMEOUT_MS */
	long timeout_ms;         /* 0: KS_HTTP_TIMEOUT_MS */
	size_t max_body;         /* 0: KS_HTTP_BODY_MAX */
	/* Media type the answer must have ("application/timestamp-reply");
	 * parameters (";charset=...") and case are ignored.  NULL: any. */
	const char *accept;
};

void ks_http_opts_init(struct ks_http_opts *o);

/* POST `body` (n bytes, Content-Type `content_type`) to `url`; the
 * response body is appended to `out` (whose own maximum also applies).
 * Only status 200 is success. */
KS_WUR int ks_http_post(const char *url, const char *content_type, const void *body, size_t n,
			const struct ks_http_opts *o, struct ks_buf *out);
/* GET `url` (CRLs, certificates). */
KS_WUR int ks_http_get(const char *url, const struct ks_http_opts *o, struct ks_buf *out);
/* Close the calling thread's connections and free its handle. */
void ks_http_thread_cleanup(void);

/* Does a Content-Type name the media type `want` (type/subtype;
 * parameters and case ignored, RFC 9110 8.3.1)?  false for NULL. */
bool ks_http_type_is(const char *got, const char *want);

#endif
