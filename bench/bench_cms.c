/* CMS signatures per second with a file RSA-2048 key (ks_filekey_open +
 * ks_cms_sign_data: digest, signed attributes, SignedData with the chain,
 * DER, self-check of the signature) against OpenSSL's raw RSA-2048
 * private-key signing on the same key (an EVP_PKEY_sign loop, what
 * `openssl speed rsa2048` measures), in the same run, one core.  Prints
 *
 *   cms_file_sign_ratio <kyso/s> <openssl/s> <ratio>      (target >= 0.9)
 *
 * Env: BENCH_SECONDS (default 2 per side, split over alternating rounds),
 * KYSO_PKI_DIR (default build/pki) for principal-rsa's key. */
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formats/cms/ks_cms.h"
#include "ks_key.h"
#include "common.h"

#define ROUNDS 4
#define ENTITY "principal-rsa"

static const char content[] = "Học bạ số - Trường THPT Chu Văn An\n";

static void pki_path(char *buf, size_t n, const char *suffix)
{
	const char *dir = getenv("KYSO_PKI_DIR");

	snprintf(buf, n, "%s/%s.%s", dir != NULL && *dir != '\0' ? dir : "build/pki", ENTITY,
		 suffix);
}

/* kyso: whole CMS signatures; returns how many in `secs`. */
static long run_kyso(struct ks_key *key, double secs)
{
	struct ks_buf der;
	double end = bench_now() + secs;
	long n = 0;

	ks_buf_init(&der, KS_CMS_DER_MAX);
	do {
		ks_buf_reset(&der);
		if (ks_cms_sign_data(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, content,
				     sizeof(content) - 1, NULL, &der) < 0) {
			fprintf(stderr, "bench_cms: %s\n", ks_err_msg());
			n = -1;
			break;
		}
		n++;
	} while (bench_now() < end);
	ks_buf_cleanup(&der);
	return n;
}

int main(void)
{
	char kpath[4096], cpath[4096], chpath[4096];
	struct ks_key *key = NULL;
	EVP_PKEY *pk = NULL;
	BIO *b;
	double secs = bench_seconds(2.0) / ROUNDS, t_kyso = 0, t_ossl = 0, t0;
	long n_kyso = 0, n_ossl = 0, n;
	int i, rc = 1;

	pki_path(kpath, sizeof(kpath), "key.pem");
	pki_path(cpath, sizeof(cpath), "cert.pem");
	pki_path(chpath, sizeof(chpath), "chain.pem");
	if (ks_filekey_open(kpath, cpath, chpath, NULL, &key) < 0) {
		fprintf(stderr, "bench_cms: %s (run `make pki`)\n", ks_err_msg());
		goto out;
	}
	if (key->type != KS_KEY_RSA || key->bits != 2048) {
		fprintf(stderr, "bench_cms: %s is not an RSA-2048 key\n", kpath);
		goto out;
	}
	b = BIO_new_file(kpath, "r");
	pk = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"") : NULL;
	BIO_free(b);
	if (pk == NULL) {
		fprintf(stderr, "bench_cms: cannot read %s\n", kpath);
		goto out;
	}
	/* Warm up both paths, then alternate so that drifts of a shared
	 * machine hit both sides alike. */
	if (run_kyso(key, 0.05) < 0 || bench_openssl_rsa(pk, 0.05, bench_now) < 0)
		goto out;
	for (i = 0; i < ROUNDS; i++) {
		t0 = bench_now();
		n = bench_openssl_rsa(pk, secs, bench_now);
		t_ossl += bench_now() - t0;
		if (n < 0)
			goto out;
		n_ossl += n;
		t0 = bench_now();
		n = run_kyso(key, secs);
		t_kyso += bench_now() - t0;
		if (n < 0)
			goto out;
		n_kyso += n;
	}
	printf("cms_file_sign_ratio %.1f %.1f %.3f\n", (double)n_kyso / t_kyso,
	       (double)n_ossl / t_ossl, ((double)n_kyso / t_kyso) / ((double)n_ossl / t_ossl));
	rc = 0;
out:
	EVP_PKEY_free(pk);
	ks_key_free(key);
	return rc;
}
