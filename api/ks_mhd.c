/* The shared libmicrohttpd plumbing (ks_mhd.h). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/ks_mhd.h"
#include "ks_cur.h"
#include "ks_log.h"

#define HOST_MAX 64
#define PORT_DIGITS 5
#define DRAIN_POLL_NS 10000000L
#define MHD_LOG_LINE_MAX 256
#define MHD_OPTS_MAX 4

int ks_mhd_listen_parse(const char *s, struct sockaddr_storage *ss, bool *v6)
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

static KS_PRINTF(2, 0) void on_log(void *cls, const char *fmt, va_list ap)
{
	const struct ks_mhd *m = cls;
	char msg[MHD_LOG_LINE_MAX];

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	msg[strcspn(msg, "\n")] = '\0';
	ks_log(KS_LOG_WARN, "%s: %s", m->log_prefix, msg);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct ks_mhd *m = cls;
	struct ks_mhd_pending *p = *con_cls;

	(void)conn;
	(void)toe;
	if (p == NULL)
		return;
	if (p->work != NULL && p->work_free != NULL)
		p->work_free(p->work);
	ks_buf_cleanup(&p->body);
	free(p);
	*con_cls = NULL;
	atomic_fetch_sub(&m->in_flight, 1);
}

static void opt_set(struct MHD_OptionItem *o, enum MHD_OPTION what, intptr_t v, void *ptr)
{
	o->option = what;
	o->value = v;
	o->ptr_value = ptr;
}

int ks_mhd_start(struct ks_mhd *m, const struct ks_mhd_cfg *cfg)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem opt[MHD_OPTS_MAX + 1];
	unsigned flags = MHD_USE_ITC | MHD_USE_ERROR_LOG;
	size_t n = 0;
	bool v6 = false;

	memset(m, 0, sizeof(*m));
	m->log_prefix = cfg->log_prefix != NULL ? cfg->log_prefix : "http";
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		return KS_SET(KS_ERR_USAGE, "a TLS certificate and key go together");
	if (ks_mhd_listen_parse(cfg->listen, &ss, &v6) < 0)
		return -1;
	flags |= cfg->epoll ? MHD_USE_EPOLL_INTERNAL_THREAD
			    : MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD;
	if (v6)
		flags |= MHD_USE_IPv6;
	if (cfg->suspend)
		flags |= MHD_ALLOW_SUSPEND_RESUME;
	/* The pool size only when there is a pool (MHD warns about 0 or 1). */
	if (cfg->threads > 1)
		opt_set(&opt[n++], MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)cfg->threads, NULL);
	if (cfg->tls_cert != NULL) {
		flags |= MHD_USE_TLS;
		opt_set(&opt[n++], MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert);
		opt_set(&opt[n++], MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key);
	}
	opt_set(&opt[n], MHD_OPTION_END, 0, NULL);
	/* The logger first: MHD reports through it from then on. */
	m->d = MHD_start_daemon(
	    flags, 0, NULL, NULL, cfg->on_request, cfg->cls, MHD_OPTION_EXTERNAL_LOGGER, on_log, m,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
	    cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, m, MHD_OPTION_ARRAY, opt, MHD_OPTION_END);
	if (m->d == NULL)
		return KS_SET(KS_ERR_IO,
			      "cannot listen on %s (in use, not an address of this host%s)",
			      cfg->listen, cfg->tls_cert != NULL ? ", or TLS not usable" : "");
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
	m->port = info != NULL ? info->port : 0;
	return 0;
}

void ks_mhd_drain(struct ks_mhd *m, unsigned drain_ms)
{
	struct timespec pause = { 0, DRAIN_POLL_NS };
	MHD_socket fd;
	unsigned waited = 0;

	if (m->d == NULL || m->drained)
		return;
	m->drained = true;
	atomic_store(&m->draining, true);
	/* No new connections; requests in flight are answered (with
	 * "Connection: close"); idle keep-alive connections are closed by
	 * the stop itself. */
	fd = MHD_quiesce_daemon(m->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	while (waited < drain_ms && atomic_load(&m->in_flight) > 0) {
		nanosleep(&pause, NULL);
		waited += (unsigned)(DRAIN_POLL_NS / 1000000L);
	}
}

void ks_mhd_stop(struct ks_mhd *m, unsigned drain_ms)
{
	if (m->d == NULL)
		return;
	ks_mhd_drain(m, drain_ms);
	MHD_stop_daemon(m->d);
	m->d = NULL;
}

bool ks_mhd_content_length(struct MHD_Connection *conn, size_t *n)
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

struct ks_mhd_pending *ks_mhd_pending_new(struct ks_mhd *m, size_t limit, int route,
					  const struct timespec *start)
{
	struct ks_mhd_pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	ks_buf_init(&p->body, limit);
	p->route = route;
	if (start != NULL)
		p->start = *start;
	atomic_fetch_add(&m->in_flight, 1);
	return p;
}

void ks_mhd_pending_feed(struct ks_mhd_pending *p, const char *data, size_t *size)
{
	/* Without Content-Length (chunked) the limit is checked as the body
	 * arrives; the rest is read and dropped. */
	if (!p->too_big && ks_buf_append(&p->body, data, *size) < 0) {
		ks_err_clear();
		p->too_big = true;
		p->dropped = p->body.len;
		ks_buf_cleanup(&p->body);
	}
	if (p->too_big)
		p->dropped += *size;
	*size = 0;
}
