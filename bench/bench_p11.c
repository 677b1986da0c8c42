/* Token signatures per second through kyso (ks_p11_key_open +
 * ks_key_sign: session pool, DigestInfo, error handling) against a raw
 * C_SignInit + C_Sign loop on the same SoftHSM2 token and key, measured
 * in the same run.  Prints
 *
 *   p11_sign_ratio <kyso/s> <raw/s> <ratio>      (target >= 0.9)
 *
 * Env: BENCH_SECONDS (default 2, split over alternating rounds),
 * SOFTHSM2_CONF and KYSO_TEST_PIN from build/pki/env.sh,
 * KYSO_SOFTHSM_MODULE (SoftHSM2 library path). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CRYPTOKI_GNU 1
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

#include "ks_key.h"
#include "pkcs11/ks_p11.h"
#include "common.h"

#define ROUNDS 4
#define TOKEN "principal"
#define KEY "tok-principal-rsa"

/* The reference: nothing but C_SignInit + C_Sign with CKM_RSA_PKCS over
 * a DigestInfo prepared once. */
static long raw_loop(struct bench_raw *r, const struct ks_buf *di, double secs)
{
	struct ck_mechanism mech = { CKM_RSA_PKCS, NULL, 0 };
	uint8_t sig[1024];
	double end = bench_now() + secs;
	long n = 0;

	while (bench_now() < end) {
		unsigned long len = sizeof(sig);

		if (r->fl->C_SignInit(r->s, &mech, r->key) != CKR_OK ||
		    r->fl->C_Sign(r->s, di->data, di->len, sig, &len) != CKR_OK)
			return -1;
		n++;
	}
	return n;
}

static long kyso_loop(struct ks_key *key, const uint8_t *dg, double secs)
{
	struct ks_buf sig;
	double end = bench_now() + secs;
	long n = 0;

	ks_buf_init(&sig, 1024);
	while (bench_now() < end) {
		ks_buf_reset(&sig);
		if (ks_key_sign(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, dg, 32, &sig) < 0) {
			n = -1;
			break;
		}
		n++;
	}
	ks_buf_cleanup(&sig);
	return n;
}

int main(void)
{
	const char *module =
	    bench_env_or("KYSO_SOFTHSM_MODULE", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so");
	const char *pin = bench_env_or("KYSO_TEST_PIN", "123456");
	double secs = strtod(bench_env_or("BENCH_SECONDS", "2"), NULL), per, best_raw = 0,
	       best_kyso = 0;
	struct bench_raw r = { 0 };
	struct ks_key *key = NULL;
	struct ks_buf dg, di;
	char uri[512];
	int i, rc = 1;

	if (!(secs > 0))
		secs = 2;
	per = secs / ROUNDS;
	ks_buf_init(&dg, 64);
	ks_buf_init(&di, 256);
	if (ks_md_digest(KS_MD_SHA256, "bench", 5, &dg) < 0 ||
	    ks_digestinfo(KS_MD_SHA256, dg.data, dg.len, &di) < 0)
		goto out;
	snprintf(uri, sizeof(uri),
		 "pkcs11:token=" TOKEN ";object=" KEY ";type=private?pin-value=%s", pin);
	if (ks_p11_key_open(uri, NULL, &key) < 0) {
		fprintf(stderr, "bench_p11: %s\n", ks_err_msg());
		goto out;
	}
	if (bench_raw_open(&r, module, pin, TOKEN, KEY) < 0) {
		fprintf(stderr, "bench_p11: raw PKCS#11 setup failed on '%s'\n", module);
		goto out;
	}
	/* Alternate short rounds so that machine noise hits both alike;
	 * keep each side's best round. */
	for (i = 0; i < ROUNDS; i++) {
		long nr = raw_loop(&r, &di, per / 2);
		long nk = kyso_loop(key, dg.data, per / 2);

		if (nr < 0 || nk < 0) {
			fprintf(stderr, "bench_p11: signing failed: %s\n", ks_err_msg());
			goto out;
		}
		if ((double)nr / (per / 2) > best_raw)
			best_raw = (double)nr / (per / 2);
		if ((double)nk / (per / 2) > best_kyso)
			best_kyso = (double)nk / (per / 2);
	}
	printf("p11_sign_ratio %.1f %.1f %.3f\n", best_kyso, best_raw,
	       best_raw > 0 ? best_kyso / best_raw : 0.0);
	rc = 0;
out:
	bench_raw_close(&r);
	ks_key_free(key);
	ks_p11_shutdown();
	ks_buf_cleanup(&dg);
	ks_buf_cleanup(&di);
	return rc;
}
