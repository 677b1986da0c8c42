/* Timestamps per second of the built-in TSA with the test TSA's RSA-2048
 * file key: in-process (ks_tsp_server_respond: request parsed, TSTInfo,
 * SignedData, response) and over HTTP on loopback (api/ks_tsa_http
 * served in this process, signer/ks_http as the client, which keeps its
 * connection open between requests), each against OpenSSL's raw RSA-2048
 * private-key signing on the same key (an EVP_PKEY_sign loop, what
 * `openssl speed rsa2048` measures), in the same run, one core (run.sh
 * pins it).  Prints
 *
 *   tsa_inproc_ratio <kyso/s> <openssl/s> <ratio>
 *   tsa_http_ratio   <kyso/s> <openssl/s> <ratio>   (target >= 0.5)
 *
 * Rates are per second of CPU time of this process (all its threads), as
 * `openssl speed` counts: on a shared machine wall time would charge
 * other processes' work to whichever side ran then, and would give the
 * two threads of the HTTP case (client and server) two shares of the
 * core against one for the reference.
 *
 * Env: BENCH_SECONDS (default 2 per measurement, split over alternating
 * rounds), KYSO_PKI_DIR (default build/pki). */
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/ks_tsa_http.h"
#include "formats/tsp/ks_tsp_server.h"
#include "signer/ks_http.h"
#include "common.h"

#define ROUNDS 4
#define ENTITY "tsa-rsa"

static void pki_path(char *buf, size_t n, const char *suffix)
{
	const char *dir = getenv("KYSO_PKI_DIR");

	snprintf(buf, n, "%s/%s.%s", dir != NULL && *dir != '\0' ? dir : "build/pki", ENTITY,
		 suffix);
}

struct ctx {
	struct ks_tsp_server *srv;
	struct ks_tsp_req req;
	char url[64];
	struct ks_buf out;
};

static long run_inproc(struct ctx *c, double secs)
{
	struct ks_tsp_issued is;
	double end = bench_cpu() + secs;
	long n = 0;

	do {
		ks_buf_reset(&c->out);
		if (ks_tsp_server_respond(c->srv, c->req.der.data, c->req.der.len, &c->out, &is) <
			0 ||
		    is.status != KS_TSP_GRANTED) {
			fprintf(stderr, "bench_tsa: %s\n", ks_err_msg());
			return -1;
		}
		n++;
	} while (bench_cpu() < end);
	return n;
}

static long run_http(struct ctx *c, double secs)
{
	struct ks_http_opts o;
	double end = bench_cpu() + secs;
	long n = 0;

	ks_http_opts_init(&o);
	o.accept = "application/timestamp-reply";
	do {
		ks_buf_reset(&c->out);
		if (ks_http_post(c->url, "application/timestamp-query", c->req.der.data,
				 c->req.der.len, &o, &c->out) < 0 ||
		    c->out.len < 100) {
			fprintf(stderr, "bench_tsa: %s\n", ks_err_msg());
			return -1;
		}
		n++;
	} while (bench_cpu() < end);
	return n;
}

/* Alternate rounds of `fn` and the reference; rates per second. */
static int measure(long (*fn)(struct ctx *, double), struct ctx *c, EVP_PKEY *pk, double secs,
		   double *kyso, double *ossl)
{
	double t_k = 0, t_o = 0, t0;
	long n_k = 0, n_o = 0, n;
	int i;

	if (fn(c, 0.05) < 0 || bench_openssl_rsa(pk, 0.05, bench_cpu) < 0)
		return -1;
	for (i = 0; i < ROUNDS; i++) {
		t0 = bench_cpu();
		n = bench_openssl_rsa(pk, secs, bench_cpu);
		t_o += bench_cpu() - t0;
		if (n < 0)
			return -1;
		n_o += n;
		t0 = bench_cpu();
		n = fn(c, secs);
		t_k += bench_cpu() - t0;
		if (n < 0)
			return -1;
		n_k += n;
	}
	*kyso = (double)n_k / t_k;
	*ossl = (double)n_o / t_o;
	return 0;
}

int main(void)
{
	char kpath[4096], cpath[4096], chpath[4096];
	struct ks_key *key = NULL;
	struct ks_tsp_server_cfg cfg;
	struct ks_tsa_http_cfg hc = { .listen = "127.0.0.1:0" };
	struct ks_tsa_http *http = NULL;
	struct ctx c;
	EVP_PKEY *pk = NULL;
	BIO *b;
	uint8_t digest[32];
	double secs = bench_seconds(2.0) / ROUNDS, k, o;
	int rc = 1;

	memset(&c, 0, sizeof(c));
	ks_buf_init(&c.out, KS_TSP_RESP_MAX);
	pki_path(kpath, sizeof(kpath), "key.pem");
	pki_path(cpath, sizeof(cpath), "cert.pem");
	pki_path(chpath, sizeof(chpath), "chain.pem");
	if (ks_filekey_open(kpath, cpath, chpath, NULL, &key) < 0) {
		fprintf(stderr, "bench_tsa: %s (run `make pki`)\n", ks_err_msg());
		goto out;
	}
	if (key->type != KS_KEY_RSA || key->bits != 2048) {
		fprintf(stderr, "bench_tsa: %s is not an RSA-2048 key\n", kpath);
		goto out;
	}
	b = BIO_new_file(kpath, "r");
	pk = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"") : NULL;
	BIO_free(b);
	if (pk == NULL) {
		fprintf(stderr, "bench_tsa: cannot read %s\n", kpath);
		goto out;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.key = key;
	cfg.accuracy_us = 1000000;
	memset(digest, 0x11, sizeof(digest));
	if (ks_tsp_server_new(&cfg, &c.srv) < 0 ||
	    ks_tsp_req_init(&c.req, KS_MD_SHA256, digest, sizeof(digest), NULL) < 0 ||
	    ks_tsa_http_start(c.srv, &hc, &http) < 0) {
		fprintf(stderr, "bench_tsa: %s\n", ks_err_msg());
		goto out;
	}
	snprintf(c.url, sizeof(c.url), "http://127.0.0.1:%u/", (unsigned)ks_tsa_http_port(http));

	if (measure(run_inproc, &c, pk, secs, &k, &o) < 0)
		goto out;
	printf("tsa_inproc_ratio %.1f %.1f %.3f\n", k, o, k / o);
	if (measure(run_http, &c, pk, secs, &k, &o) < 0)
		goto out;
	printf("tsa_http_ratio %.1f %.1f %.3f\n", k, o, k / o);
	rc = 0;
out:
	ks_http_thread_cleanup();
	ks_tsa_http_stop(http, 1000, NULL);
	ks_tsp_req_cleanup(&c.req);
	ks_tsp_server_free(c.srv);
	ks_buf_cleanup(&c.out);
	EVP_PKEY_free(pk);
	ks_key_free(key);
	return rc;
}
