/* A tiny HTTP peer on 127.0.0.1 for the client tests: it reads one
 * request per connection and answers as told (status, Content-Type,
 * body, a delay, a missing Content-Length), so that a down, slow, lying
 * or oversized peer can be played without the network. */
#ifndef KS_HTTP_FAKE_H
#define KS_HTTP_FAKE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FAKE_REQ_MAX 65536
#define FAKE_BODY_MAX ((size_t)4 << 20)

struct fake_peer {
	/* what to answer */
	int status;
	const char *content_type; /* NULL: no header */
	const char *location;     /* Location header, or NULL */
	const unsigned char *body;
	size_t body_len;
	bool no_length;    /* no Content-Length: the body ends at close */
	unsigned delay_ms; /* before answering */
	/* Called once the request is read (head, req_body): may set the
	 * answer from it (an OCSP responder).  NULL: the fixed answer. */
	void (*on_request)(struct fake_peer *f);
	void *user;
	/* what was asked (the last request) */
	char head[4096];
	unsigned char req_body[FAKE_REQ_MAX];
	size_t req_body_len;
	int requests;
	/* plumbing */
	int fd;
	unsigned short port;
	pthread_t thread;
	atomic_bool stop;
};

static inline void fake_sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static inline bool fake_send_all(int c, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = send(c, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

static inline void fake_serve_one(struct fake_peer *f, int c)
{
	char buf[FAKE_REQ_MAX], hdr[1024];
	size_t got = 0, need = 0, hlen;
	char *end, *cl;
	ssize_t r;
	int w;

	/* The head, then Content-Length bytes of body. */
	for (;;) {
		r = recv(c, buf + got, sizeof(buf) - 1 - got, 0);
		if (r <= 0)
			return;
		got += (size_t)r;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end != NULL)
			break;
		if (got >= sizeof(buf) - 1)
			return;
	}
	hlen = (size_t)(end - buf) + 4;
	snprintf(f->head, sizeof(f->head), "%.*s", (int)hlen, buf);
	cl = strcasestr(f->head, "\r\nContent-Length:");
	if (cl != NULL)
		need = strtoul(cl + 17, NULL, 10);
	if (need > sizeof(f->req_body))
		return;
	while (got - hlen < need) {
		r = recv(c, buf + got, sizeof(buf) - 1 - got, 0);
		if (r <= 0)
			return;
		got += (size_t)r;
	}
	memcpy(f->req_body, buf + hlen, need);
	f->req_body_len = need;
	f->requests++;
	if (f->on_request != NULL)
		f->on_request(f);
	/* In small steps, so that fake_stop() does not wait for it. */
	for (unsigned waited = 0; waited < f->delay_ms && !atomic_load(&f->stop); waited += 10)
		fake_sleep_ms(10);
	if (atomic_load(&f->stop))
		return;
	w = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d Fake\r\nConnection: close\r\n", f->status);
	if (f->content_type != NULL)
		w += snprintf(hdr + w, sizeof(hdr) - (size_t)w, "Content-Type: %s\r\n",
			      f->content_type);
	if (f->location != NULL)
		w += snprintf(hdr + w, sizeof(hdr) - (size_t)w, "Location: %s\r\n", f->location);
	if (!f->no_length)
		w += snprintf(hdr + w, sizeof(hdr) - (size_t)w, "Content-Length: %zu\r\n",
			      f->body_len);
	w += snprintf(hdr + w, sizeof(hdr) - (size_t)w, "\r\n");
	if (fake_send_all(c, hdr, (size_t)w) && f->body_len > 0)
		fake_send_all(c, f->body, f->body_len);
}

static inline void *fake_main(void *arg)
{
	struct fake_peer *f = arg;

	while (!atomic_load(&f->stop)) {
		int c = accept(f->fd, NULL, NULL);

		if (c < 0)
			break;
		if (!atomic_load(&f->stop))
			fake_serve_one(f, c);
		close(c);
	}
	return NULL;
}

/* Listen on 127.0.0.1, any free port. */
static inline int fake_start(struct fake_peer *f)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (f->fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(f->fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(f->fd, 8) != 0 ||
	    getsockname(f->fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	f->port = ntohs(a.sin_port);
	atomic_store(&f->stop, false);
	return pthread_create(&f->thread, NULL, fake_main, f) == 0 ? 0 : -1;
}

static inline void fake_stop(struct fake_peer *f)
{
	atomic_store(&f->stop, true);
	shutdown(f->fd, SHUT_RDWR);
	close(f->fd);
	pthread_join(f->thread, NULL);
}

static inline void fake_url(const struct fake_peer *f, char *buf, size_t n)
{
	snprintf(buf, n, "http://127.0.0.1:%u/tsa", (unsigned)f->port);
}

/* A port nobody listens on: bound, then closed. */
static inline unsigned short closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned short p = 0;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		p = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return p;
}

#endif
