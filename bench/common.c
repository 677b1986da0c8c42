/* What the benchmarks share (common.h). */
#include "common.h"

#include <errno.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_SLOTS_MAX 64
#define BENCH_SIG_MAX 512

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

double bench_cpu(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

double bench_seconds(double def)
{
	const char *s = getenv("BENCH_SECONDS");
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || v <= 0 || v > 3600)
		return def;
	return v;
}

const char *bench_env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : def;
}

long bench_openssl_rsa(EVP_PKEY *pk, double secs, double (*clock)(void))
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	unsigned char digest[32], sig[BENCH_SIG_MAX];
	size_t slen;
	double end = clock() + secs;
	long n = 0;

	memset(digest, 0x5a, sizeof(digest));
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return -1;
	}
	do {
		slen = sizeof(sig);
		if (EVP_PKEY_sign(ctx, sig, &slen, digest, sizeof(digest)) <= 0) {
			n = -1;
			break;
		}
		n++;
	} while (clock() < end);
	EVP_PKEY_CTX_free(ctx);
	return n;
}

int bench_raw_open(struct bench_raw *r, const char *module, const char *pin, const char *token,
		   const char *label)
{
	ck_slot_id_t slots[BENCH_SLOTS_MAX];
	unsigned long ns = BENCH_SLOTS_MAX, i, found = 0;
	ck_object_class_t cls = CKO_PRIVATE_KEY;
	struct ck_attribute t[2] = { { CKA_CLASS, &cls, sizeof(cls) },
				     { CKA_LABEL, (void *)label, strlen(label) } };
	struct ck_token_info ti;
	size_t tl = strlen(token);
	ck_rv_t rv;

	memset(r, 0, sizeof(*r));
	r->fl = p11_kit_module_load(module, 0);
	if (r->fl == NULL || p11_kit_module_initialize(r->fl) != CKR_OK)
		return -1;
	r->init = true;
	if (r->fl->C_GetSlotList(1, slots, &ns) != CKR_OK)
		return -1;
	/* labels are blank-padded to 32 bytes */
	for (i = 0; i < ns; i++)
		if (tl < sizeof(ti.label) && r->fl->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, token, tl) == 0 && ti.label[tl] == ' ')
			break;
	if (i == ns ||
	    r->fl->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &r->s) != CKR_OK)
		return -1;
	/* Login state is per process: kyso's pool may have logged in already. */
	rv = r->fl->C_Login(r->s, CKU_USER, (unsigned char *)pin, strlen(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return -1;
	if (r->fl->C_FindObjectsInit(r->s, t, 2) != CKR_OK ||
	    r->fl->C_FindObjects(r->s, &r->key, 1, &found) != CKR_OK ||
	    r->fl->C_FindObjectsFinal(r->s) != CKR_OK || found != 1)
		return -1;
	return 0;
}

void bench_raw_close(struct bench_raw *r)
{
	if (r->fl == NULL)
		return;
	if (r->init) {
		(void)r->fl->C_CloseSession(r->s);
		(void)p11_kit_module_finalize(r->fl);
	}
	p11_kit_module_release(r->fl);
	r->fl = NULL;
}
