/* HTTP client over libcurl with the limits of ks_http.h. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ks_log.h"
#include "ks_size.h"
#include "signer/ks_http.h"

#define CONTENT_TYPE_MAX 128
#define PEER_NAME_MAX 300

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;
/* Each thread keeps one handle, and with it libcurl's cache of open
 * connections: the next request to the same peer (a TSA, an OCSP
 * responder) reuses the connection instead of opening another. */
static pthread_key_t handle_key;
static int handle_key_rc = -1;

static void handle_free(void *h)
{
	curl_easy_cleanup(h);
}

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	handle_key_rc = pthread_key_create(&handle_key, handle_free);
}

void ks_http_thread_cleanup(void)
{
	CURL *c;

	if (handle_key_rc != 0)
		return;
	c = pthread_getspecific(handle_key);
	if (c != NULL) {
		(void)pthread_setspecific(handle_key, NULL);
		curl_easy_cleanup(c);
	}
}

/* This thread's handle, without options (its connections kept). */
static CURL *thread_handle(void)
{
	CURL *c;

	if (handle_key_rc != 0)
		return curl_easy_init();
	c = pthread_getspecific(handle_key);
	if (c != NULL)
		return c;
	c = curl_easy_init();
	if (c != NULL && pthread_setspecific(handle_key, c) != 0) {
		curl_easy_cleanup(c);
		c = NULL;
	}
	return c;
}

void ks_http_opts_init(struct ks_http_opts *o)
{
	memset(o, 0, sizeof(*o));
}

struct sink {
	struct ks_buf *out;
	size_t received, max;
	bool too_big, nomem;
};

/* libcurl write callback: the limit is checked before anything is kept,
 * so an endless body stops at max_body bytes. */
static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n;

	if (size != 1 || s->received > s->max || nmemb > s->max - s->received) {
		s->too_big = true;
		return 0;
	}
	n = nmemb;
	if (ks_buf_append(s->out, p, n) < 0) {
		/* The caller's buffer has its own maximum. */
		if (ks_err_code() == KS_ERR_LIMIT)
			s->too_big = true;
		else
			s->nomem = true;
		return 0;
	}
	s->received += n;
	return n;
}

/* "host:port" of the URL for messages (never the user information or
 * the query); fails with KS_ERR_ARG for a URL that is not http(s). */
static int peer_name(const char *url, char *name, size_t cap)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;

	if (url == NULL || url[0] == '\0')
		KS_BAIL(KS_ERR_ARG, "empty URL");
	if (strnlen(url, KS_HTTP_URL_MAX + 1) > KS_HTTP_URL_MAX)
		KS_BAIL(KS_ERR_ARG, "URL longer than %d characters", KS_HTTP_URL_MAX);
	u = curl_url();
	if (u == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		KS_BAIL(KS_ERR_ARG, "'%.200s' is not a valid URL", url);
	if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
		KS_BAIL(KS_ERR_ARG, "URL scheme '%.16s' is not allowed (http or https only)",
			scheme);
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		KS_BAIL(KS_ERR_ARG, "'%.200s' has no usable port", url);
	snprintf(name, cap, "%s://%.200s:%s", scheme, host, port);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

bool ks_http_type_is(const char *got, const char *want)
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

static int map_curl_error(CURLcode cc, const struct sink *s, const char *peer, const char *detail,
			  const struct ks_http_opts *o)
{
	const char *d = detail[0] != '\0' ? detail : curl_easy_strerror(cc);

	if (s->too_big || cc == CURLE_FILESIZE_EXCEEDED)
		return KS_SET(KS_ERR_LIMIT, "%s: response larger than %zu bytes", peer,
			      o->max_body);
	if (s->nomem)
		return KS_SET(KS_ERR_NOMEM, "%s: out of memory", peer);
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return KS_SET(KS_ERR_NET_DOWN, "%s is unreachable: %s", peer, d);
	case CURLE_OPERATION_TIMEDOUT:
		return KS_SET(KS_ERR_NET_TIMEOUT,
			      "%s did not answer in time (connect %ld ms, total %ld ms): %s", peer,
			      o->connect_timeout_ms, o->timeout_ms, d);
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return KS_SET(KS_ERR_ARG, "%s: %s", peer, d);
	default:
		return KS_SET(KS_ERR_NET, "%s: %s", peer, d);
	}
}

static int exchange(const char *url, const char *content_type, const void *body, size_t n,
		    const struct ks_http_opts *opts, struct ks_buf *out)
{
	struct ks_http_opts o;
	struct curl_slist *hdrs = NULL, *h;
	struct sink sink;
	CURL *c = NULL;
	CURLcode cc;
	char peer[PEER_NAME_MAX], err[CURL_ERROR_SIZE], line[CONTENT_TYPE_MAX + 32];
	char *ctype = NULL, *location = NULL;
	long status = 0;
	size_t start = out->len;
	int rc = -1;

	err[0] = '\0';
	if (opts != NULL)
		o = *opts;
	else
		ks_http_opts_init(&o);
	if (o.connect_timeout_ms <= 0)
		o.connect_timeout_ms = KS_HTTP_CONNECT_TIMEOUT_MS;
	if (o.timeout_ms <= 0)
		o.timeout_ms = KS_HTTP_TIMEOUT_MS;
	if (o.max_body == 0)
		o.max_body = KS_HTTP_BODY_MAX;
	KS_GUARD(peer_name(url, peer, sizeof(peer)));
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		KS_BAIL(KS_ERR_NET, "libcurl: %s", curl_easy_strerror(curl_init_rc));
	c = thread_handle();
	if (c == NULL)
		KS_BAIL(KS_ERR_NOMEM, "libcurl handle");
	memset(&sink, 0, sizeof(sink));
	sink.out = out;
	sink.max = o.max_body;
	/* No "Expect: 100-continue" round trip; the types spelled out. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (hdrs == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %.*s", CONTENT_TYPE_MAX, content_type);
		h = curl_slist_append(hdrs, line);
		if (h == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		hdrs = h;
	}
	if (o.accept != NULL) {
		snprintf(line, sizeof(line), "Accept: %.*s", CONTENT_TYPE_MAX, o.accept);
		h = curl_slist_append(hdrs, line);
		if (h == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		hdrs = h;
	}
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o.timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o.max_body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "kyso/" KS_VERSION) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err) != CURLE_OK)
		KS_BAIL(KS_ERR_NET, "libcurl options");
	if (body != NULL) {
		if (curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n) != CURLE_OK)
			KS_BAIL(KS_ERR_NET, "libcurl options");
	}
	ks_log(KS_LOG_DEBUG, "http: %s %s (%zu bytes)", body != NULL ? "POST" : "GET", peer, n);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		map_curl_error(cc, &sink, peer, err, &o);
		goto out;
	}
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		KS_BAIL(KS_ERR_NET, "%s: no HTTP status", peer);
	if (status != 200) {
		if (status >= 300 && status < 400 &&
		    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location) == CURLE_OK &&
		    location != NULL)
			KS_BAIL(KS_ERR_NET_STATUS,
				"%s answered HTTP %ld, a redirect (not followed)", peer, status);
		KS_BAIL(KS_ERR_NET_STATUS, "%s answered HTTP %ld", peer, status);
	}
	if (o.accept != NULL) {
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype) != CURLE_OK)
			ctype = NULL;
		if (!ks_http_type_is(ctype, o.accept))
			KS_BAIL(KS_ERR_NET_TYPE, "%s answered Content-Type '%.64s', not %s", peer,
				ctype != NULL ? ctype : "(none)", o.accept);
	}
	rc = 0;
out:
	if (rc < 0)
		ks_buf_truncate(out, start);
	/* The handle must not keep pointers to this call's header list,
	 * error buffer, body and sink: reset drops every option (and
	 * keeps the connections). */
	if (c != NULL && handle_key_rc != 0)
		curl_easy_cleanup(c); /* not kept */
	else if (c != NULL)
		curl_easy_reset(c);
	curl_slist_free_all(hdrs);
	return rc;
}

int ks_http_post(const char *url, const char *content_type, const void *body, size_t n,
		 const struct ks_http_opts *o, struct ks_buf *out)
{
	static const uint8_t empty[1];

	return exchange(url, content_type, body != NULL ? body : empty, n, o, out);
}

int ks_http_get(const char *url, const struct ks_http_opts *o, struct ks_buf *out)
{
	return exchange(url, NULL, NULL, 0, o, out);
}
