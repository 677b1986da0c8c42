/* What the benchmarks share: clocks, the BENCH_SECONDS setting, and the
 * two references they measure kyso against in the same run (OpenSSL's
 * raw RSA signing, as `openssl speed rsa2048` does it, and a raw
 * C_SignInit + C_Sign loop on a PKCS#11 token). */
#ifndef KS_BENCH_COMMON_H
#define KS_BENCH_COMMON_H

#include <openssl/evp.h>
#include <stdbool.h>

#define CRYPTOKI_GNU 1
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

/* Monotonic wall-clock seconds. */
double bench_now(void);

/* CPU seconds of this process (user and system): what `openssl speed`
 * divides by, and what other programs on a shared machine do not
 * inflate. */
double bench_cpu(void);

/* BENCH_SECONDS when it is a number in (0, 3600], else `def`. */
double bench_seconds(double def);

/* The environment variable, or `def` when unset or empty. */
const char *bench_env_or(const char *name, const char *def);

/* The reference: RSA private-key operations with PKCS#1 v1.5 padding of
 * a SHA-256 digest on one context, for `secs` seconds of `clock`; how
 * many, or -1. */
long bench_openssl_rsa(EVP_PKEY *pk, double secs, double (*clock)(void));

/* A token key opened without kyso: the module, a logged-in session on
 * the token labelled `token`, the private key labelled `label`. */
struct bench_raw {
	CK_FUNCTION_LIST *fl;
	ck_session_handle_t s;
	ck_object_handle_t key;
	bool init;
};

int bench_raw_open(struct bench_raw *r, const char *module, const char *pin, const char *token,
		   const char *label);
void bench_raw_close(struct bench_raw *r);

#endif
