/* A small HTTP/1.1 load client for bench/serve.sh: C connections with
 * keep-alive, each sending the same POST again and again for a while;
 * prints requests, errors (any status but 200, any broken connection),
 * requests per second after the warm-up, the latency percentiles, and
 * the fewest and most requests one connection had answered after the
 * warm-up (a server that serves its connections unevenly shows there
 * before it shows in p99).
 *
 * usage: http_load HOST PORT PATH CONTENT-TYPE BODY-FILE TOKEN|- CONNECTIONS SECONDS WARMUP */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 256
#define HEAD_MAX 8192
/* what one recv may take: the head and most answers at once */
#define RECV_MAX ((size_t)64 << 10)
#define BODY_MAX ((size_t)64 << 20)

static const char *host, *path, *ctype, *token;
static int port;
static uint8_t *body;
static size_t body_len;
static double t_start, t_warm, t_end;
static atomic_ulong errors, total;

struct worker {
	pthread_t th;
	double *lat;
	size_t n, cap;
	unsigned long done;
	char *buf;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int dial(void)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One response: its status; the body is read and dropped.  -1 when the
 * connection broke.  buf holds RECV_MAX bytes. */
static int read_response(int fd, char *buf, bool *closing)
{
	size_t have = 0, head = 0, clen = 0, got;
	char *end = NULL, *p;
	int status;

	while (end == NULL) {
		ssize_t r;

		if (have >= HEAD_MAX)
			return -1;
		r = recv(fd, buf + have, RECV_MAX - 1 - have, 0);
		if (r <= 0)
			return -1;
		buf[have + (size_t)r] = '\0';
		/* the head has no NUL: search from where the last read began,
		 * less the three bytes a terminator may straddle */
		end = strstr(buf + (have > 3 ? have - 3 : 0), "\r\n\r\n");
		have += (size_t)r;
	}
	head = (size_t)(end - buf) + 4;
	end[2] = '\0'; /* the head's fields only */
	if (strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
		return -1;
	status = (int)strtol(buf + 9, NULL, 10);
	p = strcasestr(buf, "\r\ncontent-length:");
	if (p == NULL)
		return -1;
	clen = strtoul(p + 17, NULL, 10);
	*closing = strcasestr(buf, "\r\nconnection: close") != NULL;
	got = have - head;
	while (got < clen) {
		ssize_t r = recv(fd, buf, RECV_MAX, 0);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return status;
}

/* The request's head into buf (cap bytes); its length, as snprintf. */
static int head(char *buf, size_t cap)
{
	return snprintf(buf, cap,
			"POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: %s\r\n"
			"Content-Length: %zu\r\n%s%s%s\r\n",
			path, host, port, ctype, body_len,
			token != NULL ? "Authorization: Bearer " : "", token != NULL ? token : "",
			token != NULL ? "\r\n" : "");
}

static void *run(void *arg)
{
	struct worker *w = arg;
	char *req;
	int fd = -1, n;

	/* the head and the body in one buffer: one send per request */
	n = head(NULL, 0);
	req = n > 0 ? malloc((size_t)n + 1 + body_len) : NULL;
	if (req == NULL)
		abort();
	(void)head(req, (size_t)n + 1);
	memcpy(req + n, body, body_len);
	while (now_s() < t_end) {
		double t0 = now_s(), dt;
		bool closing = false;
		int st;

		if (fd < 0 && (fd = dial()) < 0) {
			atomic_fetch_add(&errors, 1);
			usleep(1000);
			continue;
		}
		if (send_all(fd, req, (size_t)n + body_len) < 0 ||
		    (st = read_response(fd, w->buf, &closing)) < 0) {
			atomic_fetch_add(&errors, 1);
			close(fd);
			fd = -1;
			continue;
		}
		dt = now_s() - t0;
		atomic_fetch_add(&total, 1);
		if (st != 200)
			atomic_fetch_add(&errors, 1);
		if (closing) {
			close(fd);
			fd = -1;
		}
		if (t0 >= t_warm && now_s() < t_end) {
			if (w->n == w->cap) {
				w->cap = w->cap ? 2 * w->cap : 4096;
				w->lat = realloc(w->lat, w->cap * sizeof(*w->lat));
				if (w->lat == NULL)
					abort();
			}
			w->lat[w->n++] = dt;
		}
	}
	if (fd >= 0)
		close(fd);
	free(req);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct worker *ws;
	double *all, secs, warm;
	size_t n = 0, i, conn_min = 0, conn_max = 0;
	int conns;
	FILE *f;

	if (argc != 10) {
		fprintf(stderr, "usage: http_load HOST PORT PATH CONTENT-TYPE BODY-FILE TOKEN|- "
				"CONNECTIONS SECONDS WARMUP\n");
		return 2;
	}
	host = argv[1];
	port = (int)strtol(argv[2], NULL, 10);
	path = argv[3];
	ctype = argv[4];
	token = strcmp(argv[6], "-") == 0 ? NULL : argv[6];
	conns = (int)strtol(argv[7], NULL, 10);
	secs = strtod(argv[8], NULL);
	warm = strtod(argv[9], NULL);
	if (conns < 1 || conns > MAX_CONN || secs <= warm)
		return 2;
	f = fopen(argv[5], "rb");
	body = malloc(BODY_MAX);
	if (f == NULL || body == NULL)
		return 2;
	body_len = fread(body, 1, BODY_MAX, f);
	fclose(f);
	ws = calloc((size_t)conns, sizeof(*ws));
	if (ws == NULL)
		return 2;
	t_start = now_s();
	t_warm = t_start + warm;
	t_end = t_start + secs;
	for (i = 0; i < (size_t)conns; i++) {
		ws[i].buf = malloc(RECV_MAX);
		if (ws[i].buf == NULL || pthread_create(&ws[i].th, NULL, run, &ws[i]) != 0)
			return 2;
	}
	for (i = 0; i < (size_t)conns; i++) {
		pthread_join(ws[i].th, NULL);
		n += ws[i].n;
	}
	all = malloc((n + 1) * sizeof(*all));
	if (all == NULL)
		return 2;
	n = 0;
	for (i = 0; i < (size_t)conns; i++) {
		memcpy(all + n, ws[i].lat, ws[i].n * sizeof(*all));
		n += ws[i].n;
	}
	for (i = 0; i < (size_t)conns; i++) {
		if (i == 0 || ws[i].n < conn_min)
			conn_min = ws[i].n;
		if (ws[i].n > conn_max)
			conn_max = ws[i].n;
	}
	qsort(all, n, sizeof(*all), cmp);
	printf("requests %lu errors %lu rps %.1f p50_ms %.2f p99_ms %.2f max_ms %.2f "
	       "p90_ms %.2f conn_min %zu conn_max %zu\n",
	       atomic_load(&total), atomic_load(&errors), (double)n / (secs - warm),
	       n ? all[n / 2] * 1e3 : 0.0, n ? all[(size_t)((double)n * 0.99)] * 1e3 : 0.0,
	       n ? all[n - 1] * 1e3 : 0.0, n ? all[(size_t)((double)n * 0.9)] * 1e3 : 0.0, conn_min,
	       conn_max);
	return 0;
}
