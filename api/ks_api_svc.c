/* The signing service: lifecycle and the helpers its handlers share
 * (ks_api_svc.h, ks_api_int.h). */
#include <errno.h>
#include <malloc.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/ks_api_auth.h"
#include "api/ks_api_int.h"
#include "api/ks_api_sign.h"
#include "ks_codec.h"
#include "ks_io.h"
#include "ks_log.h"
#include "pkcs11/ks_p11.h"
#include "signer/ks_policy.h"

#define PATH_MAX_LEN 4096
#define KEY_PASS_MAX 1024
#define AUDIT_CERT_DAYS 3650
#define PURGE_EVERY_S 60
#define KEEP_USED_S 86400
#define TSA_REQUEST_MAX ((size_t)4 << 10)
#define OPENAPI_MAX ((size_t)1 << 20)
/* Allocator thresholds of the daemon (bytes): buffers from 4 MiB up are
 * mapped and unmapped on their own; up to 32 MiB free at an arena's top
 * stays in the heap. */
#define SERVE_MMAP_THRESHOLD (4 << 20)
#define SERVE_TRIM_THRESHOLD (32 << 20)
/* heaps of the allocator (glibc's arenas) per core (tune_allocator) */
#define SERVE_ARENAS_PER_CORE 2

/* ---- state folder and audit key ---- */

int ks_api_state_open(const struct ks_api_conf *c, struct ks_store **out)
{
	struct ks_store_opts o;

	if (mkdir(c->dir, 0700) < 0 && errno != EEXIST)
		return KS_SET(KS_ERR_IO, "cannot create the state folder %s", c->dir);
	ks_store_opts_init(&o);
	o.sync_full = c->sync_full;
	o.connections = c->threads + 2;
	if (o.connections > KS_STORE_CONNECTIONS_MAX)
		o.connections = KS_STORE_CONNECTIONS_MAX;
	return ks_store_open(c->store, &o, out);
}

const char *ks_api_audit_pub_path(const struct ks_api_conf *c)
{
	return c->audit_cert;
}

/* A new EC P-256 audit key with a self-signed certificate. */
static int make_audit_key(const struct ks_api_conf *c)
{
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	X509_NAME *nm;
	BIO *kb = NULL, *cb = NULL;
	char cn[KS_STORE_NAME_MAX + 16];
	BUF_MEM *km, *cm;
	int rc = -1;

	pk = EVP_EC_gen("P-256");
	x = X509_new();
	if (pk == NULL || x == NULL)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "making the audit key");
	snprintf(cn, sizeof(cn), "kyso audit %s", c->instance);
	nm = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL)) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)AUDIT_CERT_DAYS * 86400) == NULL ||
	    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
				       0) != 1 ||
	    X509_set_issuer_name(x, nm) != 1 || X509_set_pubkey(x, pk) != 1 ||
	    X509_sign(x, pk, EVP_sha256()) <= 0)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "making the audit certificate");
	kb = BIO_new(BIO_s_mem());
	cb = BIO_new(BIO_s_mem());
	if (kb == NULL || cb == NULL ||
	    PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_X509(cb, x) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "writing the audit key");
	BIO_get_mem_ptr(kb, &km);
	BIO_get_mem_ptr(cb, &cm);
	KS_GUARD(ks_file_write_atomic(c->audit_key_file, km->data, km->length, 0600));
	KS_GUARD(ks_file_write_atomic(c->audit_cert, cm->data, cm->length, 0644));
	ks_log(KS_LOG_WARN,
	       "made a new audit key %s (certificate %s): publish the certificate "
	       "so anyone can check the audit log",
	       c->audit_key_file, c->audit_cert);
	rc = 0;
out:
	if (kb != NULL)
		BIO_free(kb);
	if (cb != NULL)
		BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc;
}

int ks_api_audit_key_open(const struct ks_api_conf *c, bool create, struct ks_key **out)
{
	struct ks_api_key_conf kc;

	*out = NULL;
	memset(&kc, 0, sizeof(kc));
	if (c->audit_key != NULL) {
		if (ks_p11_init() < 0)
			return -1;
		return ks_p11_key_open(c->audit_key, NULL, out);
	}
	if (access(c->audit_key_file, F_OK) != 0) {
		if (!create)
			return KS_SET(KS_ERR_NOT_FOUND, "no audit key %s (kyso serve makes one)",
				      c->audit_key_file);
		if (make_audit_key(c) < 0)
			return -1;
	}
	kc.key_file = c->audit_key_file;
	kc.cert = c->audit_cert;
	return ks_api_open_file_key(&kc, out);
}

/* ---- the revocation cache in the store ----
 * Several instances over one store share what any of them fetched; the
 * items are checked again when read back, as the folder's are. */

static int rev_get(void *arg, const char *name, size_t max, struct ks_buf *out, bool *found)
{
	struct ks_api_svc *s = arg;
	size_t start = out->len;

	*found = false;
	if (ks_store_cache_get(s->store, name, (int64_t)time(NULL), out) < 0) {
		if (ks_err_code() != KS_ERR_NOT_FOUND)
			return -1;
		ks_err_clear();
		return 0;
	}
	if (out->len - start > max) {
		ks_buf_truncate(out, start);
		return 0;
	}
	*found = true;
	return 0;
}

static int rev_put(void *arg, const char *name, const uint8_t *der, size_t n, time_t expires)
{
	struct ks_api_svc *s = arg;

	return ks_store_cache_put(s->store, name, der, n, (int64_t)expires);
}

static void rev_drop(void *arg, const char *name)
{
	struct ks_api_svc *s = arg;

	/* expired at once: never read again, purged with the others */
	if (ks_store_cache_put(s->store, name, (const uint8_t *)"", 0, 1) < 0)
		ks_err_clear();
}

/* ---- the routes ---- */

static void refuse(void *svc, const struct ks_api_request *q, unsigned status, const char *code,
		   const char *detail, struct ks_api_reply *r)
{
	/* the page's routes answer people with a page */
	if (strcmp(q->path, "/") == 0 || strcmp(q->path, "/verify") == 0 ||
	    strncmp(q->path, "/v/", 3) == 0) {
		if (strcmp(code, "internal") == 0)
			ks_log(KS_LOG_ERROR, "request %s: %s", q->id, ks_err_msg());
		ks_api_page_refuse(svc, q, status, detail, r);
	} else {
		ks_api_fail(q, r, code, detail, strcmp(code, "internal") == 0);
	}
	ks_api_refusal_answered(svc, q, r);
}

/* The routes that can refuse, followed by the audit row of a refusal
 * their handler did not write itself. */
#define AUDITED(h)                                                                                \
	static int audited_##h(void *svc, const struct ks_api_request *q, struct ks_api_reply *r) \
	{                                                                                         \
		int rc = ks_api_h_##h(svc, q, r);                                                 \
		if (rc == 0)                                                                      \
			ks_api_refusal_answered(svc, q, r);                                       \
		return rc;                                                                        \
	}
AUDITED(sign)
AUDITED(prepare)
AUDITED(complete)
AUDITED(sign_batch)
AUDITED(batch_prepare)
AUDITED(batch_complete)
AUDITED(verify)
AUDITED(timestamp)
AUDITED(page_verify)

/* ---- housekeeping ---- */

static void keep(struct ks_api_svc *s, int64_t now, int64_t *last_purge, int64_t *last_ping)
{
	size_t i;

	ks_api_refusal_flush(s, false);
	if (now - *last_purge >= PURGE_EVERY_S) {
		*last_purge = now;
		if (ks_store_purge(s->store, now, KEEP_USED_S) < 0) {
			ks_log(KS_LOG_WARN, "purging expired state: %s", ks_err_msg());
			ks_err_clear();
		}
	}
	if (s->conf->keepalive_s == 0 || now - *last_ping < (int64_t)s->conf->keepalive_s)
		return;
	*last_ping = now;
	for (i = 0; i < s->n_keys; i++) {
		struct ks_api_key *k = &s->keys[i];

		pthread_mutex_lock(&k->lock);
		if (k->key != NULL && k->conf->uri != NULL && ks_p11_key_ping(k->key) < 0) {
			atomic_fetch_add(&s->token_errors, 1);
			ks_log(KS_LOG_WARN, "key '%s': %s", k->conf->name, ks_err_msg());
			ks_err_clear();
		}
		pthread_mutex_unlock(&k->lock);
	}
}

static void *keeper(void *arg)
{
	struct ks_api_svc *s = arg;
	int64_t last_purge = 0, last_ping = (int64_t)time(NULL);
	struct timespec until;

	pthread_mutex_lock(&s->stop_lock);
	while (!s->stopping) {
		pthread_mutex_unlock(&s->stop_lock);
		keep(s, (int64_t)time(NULL), &last_purge, &last_ping);
		pthread_mutex_lock(&s->stop_lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		if (!s->stopping)
			pthread_cond_timedwait(&s->stop_cond, &s->stop_lock, &until);
	}
	pthread_mutex_unlock(&s->stop_lock);
	return NULL;
}

/* ---- start and stop ---- */

static int open_keys(struct ks_api_svc *s)
{
	size_t i;
	struct ks_key *k;

	for (i = 0; i < s->conf->n_keys; i++) {
		struct ks_api_key *ak = &s->keys[i];

		ak->conf = &s->conf->keys[i];
		pthread_mutex_init(&ak->lock, NULL);
		s->n_keys++;
		if (ak->conf->personal) {
			if (ks_audit_pubkey_load(ak->conf->activation_key, &ak->act_pub) < 0) {
				/* no holder key: the key cannot be activated */
				ks_log(KS_LOG_WARN,
				       "key '%s' is personal but its activation key is not "
				       "readable (%s): it signs nothing until one is configured",
				       ak->conf->name, ks_err_msg());
				ks_err_clear();
			}
		}
		/* a key that cannot be opened now is tried again at its next use */
		if (ks_api_key_get(s, ak, &k) < 0) {
			ks_log(KS_LOG_WARN, "key '%s' not available: %s", ak->conf->name,
			       ks_err_msg());
			ks_err_clear();
		}
	}
	return 0;
}

static int start_tsa(struct ks_api_svc *s)
{
	const struct ks_api_conf *c = s->conf;
	struct ks_api_key_conf kc;
	struct ks_tsp_server_cfg tc;
	struct ks_tsa_http_cfg hc;
	int rc = -1;

	ks_tsa_client_init(&s->tsa);
	if (c->tsa_key != NULL || c->tsa_key_file != NULL) {
		memset(&kc, 0, sizeof(kc));
		kc.uri = c->tsa_key;
		kc.key_file = c->tsa_key_file;
		kc.cert = c->tsa_cert;
		kc.chain = c->tsa_chain;
		if (ks_api_open_key(s, &kc, &s->tsa_key) < 0 ||
		    ks_policy_check_key(s->tsa_key, KS_MD_SHA256, 0) < 0) {
			ks_log(KS_LOG_WARN, "the built-in TSA is off: %s", ks_err_msg());
			ks_err_clear();
			ks_key_free(s->tsa_key);
			s->tsa_key = NULL;
		}
	}
	if (s->tsa_key != NULL) {
		memset(&tc, 0, sizeof(tc));
		tc.key = s->tsa_key;
		tc.md = KS_MD_SHA256;
		tc.policy = c->tsa_policy;
		KS_GUARD(ks_tsp_server_new(&tc, &s->tsp));
		if (c->tsa_url == NULL) {
			memset(&hc, 0, sizeof(hc));
			hc.listen = c->tsa_listen;
			hc.threads = 2;
			KS_GUARD(ks_tsa_http_start(s->tsp, &hc, &s->tsa_http));
			snprintf(s->tsa_url, sizeof(s->tsa_url), "http://127.0.0.1:%u/",
				 (unsigned)ks_tsa_http_port(s->tsa_http));
		}
	}
	if (c->tsa_url != NULL)
		snprintf(s->tsa_url, sizeof(s->tsa_url), "%s", c->tsa_url);
	if (s->tsa_url[0] != '\0')
		KS_GUARD(ks_tsa_client_add_url(&s->tsa, s->tsa_url));
	rc = 0;
out:
	return rc;
}

/* The allocator, before any thread of the daemon starts.
 *
 * Every request allocates and frees a document's buffers again and again:
 * freed memory stays in the heap (glibc would otherwise give each arena's
 * top back with madvise and fault it in again for the next request, a TLB
 * shootdown on every core each time).  Buffers above the mmap threshold
 * still go back at once.
 *
 * glibc gives each new thread an arena of its own, up to eight per core:
 * with 32 workers that is 16 heaps, each keeping what its busiest moment
 * needed, so the daemon's memory crept up for minutes under a steady load.
 * Only as many workers as cores compute at once (their turns), so two
 * arenas per core keep the threads apart as well and bound the memory.
 * Set before the first thread, since glibc fixes its limit once it has
 * made that many arenas; an administrator's own MALLOC_ARENA_MAX or
 * glibc.malloc.arena_max tunable is left as it is. */
static void tune_allocator(void)
{
	const char *tun = getenv("GLIBC_TUNABLES");
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int arenas = (int)(cores >= 1 && cores <= 64 ? cores : 64) * SERVE_ARENAS_PER_CORE;

	if (mallopt(M_MMAP_THRESHOLD, SERVE_MMAP_THRESHOLD) != 1 ||
	    mallopt(M_TRIM_THRESHOLD, SERVE_TRIM_THRESHOLD) != 1)
		ks_log(KS_LOG_WARN, "serve: the allocator keeps its own thresholds");
	if (getenv("MALLOC_ARENA_MAX") != NULL || (tun != NULL && strstr(tun, "arena_max") != NULL))
		return;
	if (mallopt(M_ARENA_MAX, arenas) != 1)
		ks_log(KS_LOG_WARN, "serve: the allocator keeps its own number of arenas");
}

int ks_api_svc_start(const struct ks_api_conf *c, const char *listen, struct ks_api_svc **out)
{
	static const struct ks_api_route routes[] = {
		{ "POST", "/v1/sign", audited_sign, 1 },
		{ "POST", "/v1/sign/prepare", audited_prepare, 1 },
		{ "POST", "/v1/sign/complete", audited_complete, 1 },
		{ "POST", "/v1/sign/batch", audited_sign_batch, 1 },
		{ "POST", "/v1/sign/batch/prepare", audited_batch_prepare, 1 },
		{ "POST", "/v1/sign/batch/complete", audited_batch_complete, 1 },
		{ "POST", "/v1/verify", audited_verify, 1 },
		{ "POST", "/v1/timestamp", audited_timestamp, TSA_REQUEST_MAX },
		{ "GET", "/v1/keys", ks_api_h_keys, 0 },
		{ "GET", "/healthz", ks_api_h_healthz, 0 },
		{ "GET", "/metrics", ks_api_h_metrics, 0 },
		{ "GET", "/v1/openapi.yaml", ks_api_h_openapi, 0 },
		{ "GET", "/", ks_api_h_page, 0 },
		{ "POST", "/verify", audited_page_verify, 1 },
		{ "GET", "/v/*", ks_api_h_page_doc, 0 },
		{ "GET", "/static/kyso.css", ks_api_h_page_css, 0 },
	};
	struct ks_api_route rt[sizeof(routes) / sizeof(routes[0])];
	struct ks_api_http_cfg hc;
	struct ks_api_svc *s;
	size_t i;
	int rc = -1;

	*out = NULL;
	tune_allocator();
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	s->conf = c;
	pthread_mutex_init(&s->rate_lock, NULL);
	pthread_mutex_init(&s->stop_lock, NULL);
	pthread_cond_init(&s->stop_cond, NULL);
	s->rate = calloc(KS_API_RATE_SLOTS, sizeof(*s->rate));
	if (s->rate == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (RAND_bytes((unsigned char *)&s->rate_seed, sizeof(s->rate_seed)) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "random seed of the rate limit");
	KS_GUARD(ks_api_proxies_parse(c->trusted_proxies, &s->proxies));
	KS_GUARD(ks_api_state_open(c, &s->store));
	KS_GUARD(ks_api_audit_key_open(c, true, &s->audit_key));
	s->audit.key = s->audit_key;
	s->audit.instance = c->instance;
	s->audit.keep_interval = c->checkpoint_keep_s;
	KS_GUARD(ks_trust_new(&s->trust));
	if (c->trust != NULL && ks_trust_add_anchors(s->trust, c->trust) < 0) {
		ks_log(KS_LOG_WARN,
		       "trust anchors %s not loaded (%s): verification reports "
		       "INDETERMINATE at best",
		       c->trust, ks_err_msg());
		ks_err_clear();
	}
	KS_GUARD(ks_rev_policy_parse(c->revocation, &s->rev_policy));
	/* the revocation cache lives in the store, shared by the instances */
	s->rev_cache.arg = s;
	s->rev_cache.get = rev_get;
	s->rev_cache.put = rev_put;
	s->rev_cache.drop = rev_drop;
	ks_rev_opts_init(&s->rev);
	s->rev.cache_ops = &s->rev_cache;
	ks_validation_init(&s->val);
	s->val.trust = s->trust;
	s->val.revocation = c->verify_revocation;
	s->val.rev.cache_ops = &s->rev_cache;
	ks_buf_init(&s->openapi, OPENAPI_MAX);
	if (ks_file_read(c->openapi, OPENAPI_MAX, &s->openapi) < 0) {
		ks_log(KS_LOG_WARN, "%s not readable: /v1/openapi.yaml answers 404", c->openapi);
		ks_err_clear();
		ks_buf_reset(&s->openapi);
	}
	KS_GUARD(ks_api_refusals_new(c, &s->refusals));
	KS_GUARD(ks_api_auditq_start(s));
	KS_GUARD(open_keys(s));
	KS_GUARD(start_tsa(s));
	memcpy(rt, routes, sizeof(routes));
	for (i = 0; i < sizeof(rt) / sizeof(rt[0]); i++)
		if (rt[i].max_body == 1)
			rt[i].max_body = c->max_body;
	memset(&hc, 0, sizeof(hc));
	hc.listen = listen != NULL ? listen : c->listen;
	hc.threads = c->threads;
	hc.max_connections = c->max_connections;
	hc.cpu_turns = true;
	hc.busy = &s->busy;
	hc.settle_failed = ks_api_settle_failed;
	hc.proxies = &s->proxies;
	hc.timeout_s = c->timeout_s;
	hc.tls_cert = c->tls_cert;
	hc.tls_key = c->tls_key;
	hc.routes = rt;
	hc.n_routes = sizeof(rt) / sizeof(rt[0]);
	hc.refuse = refuse;
	hc.svc = s;
	if (pthread_create(&s->keeper, NULL, keeper, s) != 0)
		KS_BAIL(KS_ERR_INTERNAL, "cannot start the housekeeping thread");
	s->keeper_started = true;
	KS_GUARD(ks_api_http_start(&hc, &s->http));
	*out = s;
	s = NULL;
	rc = 0;
out:
	if (s != NULL)
		ks_api_svc_stop(s);
	return rc;
}

uint16_t ks_api_svc_port(const struct ks_api_svc *s)
{
	return ks_api_http_port(s->http);
}

void ks_api_svc_stop(struct ks_api_svc *s)
{
	size_t i;

	if (s == NULL)
		return;
	ks_api_http_stop(s->http, s->conf->drain_s * 1000u);
	if (s->keeper_started) {
		pthread_mutex_lock(&s->stop_lock);
		s->stopping = true;
		pthread_cond_broadcast(&s->stop_cond);
		pthread_mutex_unlock(&s->stop_lock);
		pthread_join(s->keeper, NULL);
	}
	if (s->aq.started)
		ks_api_refusal_flush(s, true);
	ks_api_auditq_stop(s);
	ks_api_refusals_free(s->refusals);
	ks_tsa_http_stop(s->tsa_http, 1000, NULL);
	ks_tsp_server_free(s->tsp);
	ks_key_free(s->tsa_key);
	for (i = 0; i < s->n_keys; i++) {
		ks_key_free(s->keys[i].key);
		EVP_PKEY_free(s->keys[i].act_pub);
		pthread_mutex_destroy(&s->keys[i].lock);
	}
	ks_key_free(s->audit_key);
	ks_trust_free(s->trust);
	ks_store_close(s->store);
	if (s->p11)
		ks_p11_shutdown();
	free(s->rate);
	ks_buf_cleanup(&s->openapi);
	pthread_mutex_destroy(&s->rate_lock);
	pthread_mutex_destroy(&s->stop_lock);
	pthread_cond_destroy(&s->stop_cond);
	free(s);
}
