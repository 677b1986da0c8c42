/* Recovery after token failures, injected one at a time by a PKCS#11
 * module over SoftHSM2 (tests/p11faults/ks_p11_faults.c, built beside
 * this binary): for every error a pulled-out, reset or confused token
 * gives, in C_SignInit and in C_Sign, the failing signature gets a clear
 * error and the next two signatures work without reopening the key.  A
 * pulled-out token is also played for real: the token's sessions are
 * closed (it forgets the login) before the error is returned.  Every
 * signature is checked against the certificate.  Opening a key while the
 * token is briefly unreadable (another process logging in) is tried again
 * with a bounded back-off; a wrong PIN never is. */
#include "ks_test.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CRYPTOKI_GNU 1
#include <p11-kit/pkcs11.h>

#include "ks_key.h"
#include "ks_log.h"
#include "pkcs11/ks_p11.h"

/* as in ks_p11_faults.c */
enum { F_SIGN_INIT = 1, F_SIGN = 2, F_LOGIN = 4, F_TOKEN_INFO = 5 };

static void (*arm)(int fn, unsigned long rv, int close_all);
static void (*arm_times)(int fn, unsigned long rv, unsigned long times);
static unsigned long (*fired)(void);
static void (*pinpad)(const char *pin);
static unsigned long (*pinpad_logins)(void);
static void *shim;

static const char *pin(void)
{
	const char *p = getenv("KYSO_TEST_PIN");

	return p != NULL ? p : "123456";
}

static int setup(void **state)
{
	static char path[PATH_MAX];
	char *slash;
	ssize_t n;

	(void)state;
	if (getenv("SOFTHSM2_CONF") == NULL) {
		fprintf(stderr, "SOFTHSM2_CONF is not set: source build/pki/env.sh (make pki)\n");
		return -1;
	}
	n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	if (n <= 0)
		return -1;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (slash == NULL)
		return -1;
	snprintf(slash + 1, 32, "p11faults.so");
	shim = dlopen(path, RTLD_NOW);
	if (shim == NULL) {
		fprintf(stderr, "%s: %s\n", path, dlerror());
		return -1;
	}
	*(void **)(&arm) = dlsym(shim, "ks_faults_arm");
	*(void **)(&arm_times) = dlsym(shim, "ks_faults_arm_times");
	*(void **)(&fired) = dlsym(shim, "ks_faults_fired");
	*(void **)(&pinpad) = dlsym(shim, "ks_faults_pinpad");
	*(void **)(&pinpad_logins) = dlsym(shim, "ks_faults_pinpad_logins");
	if (arm == NULL || arm_times == NULL || fired == NULL || pinpad == NULL ||
	    pinpad_logins == NULL)
		return -1;
	/* kyso loads the very same file (dlopen returns the same copy). */
	setenv("KYSO_PKCS11_REGISTRY", "0", 1);
	setenv("KYSO_PKCS11_MODULE", path, 1);
	unsetenv("KYSO_PIN");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ks_p11_shutdown();
	return 0;
}

static int sign_once(struct ks_key *k, const char *text)
{
	struct ks_buf dg, sig;
	enum ks_sig_scheme sc = ks_key_default_scheme(k);
	int rc = -1;

	ks_buf_init(&dg, 64);
	ks_buf_init(&sig, 4096);
	if (ks_md_digest(KS_MD_SHA256, text, strlen(text), &dg) < 0 ||
	    ks_key_sign(k, sc, KS_MD_SHA256, dg.data, dg.len, &sig) < 0)
		goto out;
	if (ks_key_verify_digest(k->cert, sc, KS_MD_SHA256, dg.data, dg.len, sig.data, sig.len) < 0)
		fail_msg("signature does not verify: %s", ks_err_msg());
	rc = 0;
out:
	ks_buf_cleanup(&dg);
	ks_buf_cleanup(&sig);
	return rc;
}

struct fault {
	unsigned long rv;
	const char *name;
	enum ks_err_code code; /* of the failing signature */
};

static const struct fault faults[] = {
	{ CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED", KS_ERR_TOKEN },
	{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT", KS_ERR_TOKEN },
	{ CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID", KS_ERR_TOKEN },
	{ CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED", KS_ERR_TOKEN },
	{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN", KS_ERR_TOKEN },
	{ CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID", KS_ERR_TOKEN },
	{ CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID", KS_ERR_TOKEN },
	{ CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE", KS_ERR_PKCS11 },
	{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR", KS_ERR_PKCS11 },
};

static void run_faults(const char *object, int fn, int close_all)
{
	char uri[256];
	struct ks_key *k = NULL;
	unsigned long before;
	size_t i;

	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		ks_p11_shutdown();
		ks_err_clear();
		snprintf(uri, sizeof(uri), "pkcs11:token=principal;object=%s?pin-value=%s", object,
			 pin());
		assert_ok(ks_p11_init());
		if (ks_p11_key_open(uri, NULL, &k) < 0)
			fail_msg("open %s: %s", object, ks_err_msg());
		if (sign_once(k, "before") < 0)
			fail_msg("%s: first signature: %s", faults[i].name, ks_err_msg());
		before = fired();
		arm(fn, faults[i].rv, close_all);
		if (sign_once(k, "injected") == 0)
			fail_msg("%s in %s: the signature did not fail", faults[i].name,
				 fn == F_SIGN ? "C_Sign" : "C_SignInit");
		assert_int_equal(fired(), before + 1);
		if (ks_err_code() != faults[i].code || strstr(ks_err_msg(), "principal") == NULL ||
		    strstr(ks_err_msg(), faults[i].name) == NULL)
			fail_msg("%s: unclear error (code %d): %s", faults[i].name,
				 (int)ks_err_code(), ks_err_msg());
		if (sign_once(k, "next") < 0 || sign_once(k, "next again") < 0)
			fail_msg("%s in %s%s: no recovery: %s", faults[i].name,
				 fn == F_SIGN ? "C_Sign" : "C_SignInit",
				 close_all ? " (sessions closed)" : "", ks_err_msg());
		ks_key_free(k);
		k = NULL;
	}
}

static void test_sign_init_faults(void **state)
{
	(void)state;
	run_faults("tok-principal-rsa", F_SIGN_INIT, 0);
}

static void test_sign_faults(void **state)
{
	(void)state;
	run_faults("tok-principal-rsa", F_SIGN, 0);
}

/* The token really forgets sessions and login, then reports the error. */
static void test_pulled_out(void **state)
{
	(void)state;
	run_faults("tok-principal-rsa", F_SIGN_INIT, 1);
	run_faults("tok-principal-ec", F_SIGN, 1);
}

/* A reader with a PIN pad: no PIN is known to kyso; after the token is
 * pulled out, the next signature logs in on the pad again. */
static void test_pinpad_recovery(void **state)
{
	struct ks_key *k = NULL;

	(void)state;
	ks_p11_shutdown();
	ks_err_clear();
	pinpad(pin());
	assert_ok(ks_p11_init());
	if (ks_p11_key_open("pkcs11:token=principal;object=tok-principal-rsa", NULL, &k) < 0)
		fail_msg("open through the PIN pad: %s", ks_err_msg());
	assert_int_equal(pinpad_logins(), 1);
	assert_ok(sign_once(k, "before"));
	arm(F_SIGN_INIT, CKR_DEVICE_REMOVED, 1);
	assert_int_equal(sign_once(k, "pulled out"), -1);
	assert_int_equal(ks_err_code(), KS_ERR_TOKEN);
	if (sign_once(k, "put back") < 0)
		fail_msg("no recovery on a PIN-pad token: %s", ks_err_msg());
	assert_int_equal(pinpad_logins(), 2);
	assert_ok(sign_once(k, "again"));
	ks_key_free(k);
	ks_p11_shutdown();
	pinpad(NULL);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Lines of the log captured in `f` that contain `what`. */
static int log_count(FILE *f, const char *what)
{
	char line[2048];
	int n = 0;

	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, what) != NULL)
			n++;
	return n;
}

/* SoftHSM2 rewrites its token file at every C_Login; another process
 * reading it meanwhile sees no token, CKR_GENERAL_ERROR in C_Login or
 * C_GetTokenInfo, or no user PIN.  Played here by the fault module:
 * ks_p11_key_open tries again (each retry logged at info level) and
 * succeeds; a failure that lasts ends after the retry budget (about 2 s)
 * with the number of tries; a wrong PIN costs exactly one C_Login. */
static void test_transient_open(void **state)
{
	char uri[256], bad[256];
	struct ks_key *k = NULL;
	unsigned long logins, shots;
	FILE *log = tmpfile();
	long t0, took;

	(void)state;
	assert_non_null(log);
	snprintf(uri, sizeof(uri), "pkcs11:token=principal;object=tok-principal-rsa?pin-value=%s",
		 pin());
	snprintf(bad, sizeof(bad), "pkcs11:token=principal;object=tok-principal-rsa?pin-value=%s0",
		 pin());
	ks_log_set_stream(log);
	ks_log_set_level(KS_LOG_INFO);

	/* C_Login fails once with CKR_GENERAL_ERROR (no PIN was checked). */
	ks_p11_shutdown();
	assert_ok(ks_p11_init());
	shots = fired();
	logins = ks_p11_login_attempts();
	arm(F_LOGIN, CKR_GENERAL_ERROR, 0);
	if (ks_p11_key_open(uri, NULL, &k) < 0)
		fail_msg("open after a transient C_Login failure: %s", ks_err_msg());
	assert_int_equal(fired(), shots + 1);
	assert_int_equal(ks_p11_login_attempts(), logins + 2);
	assert_ok(sign_once(k, "after a retried login"));
	ks_key_free(k);
	k = NULL;
	assert_int_equal(log_count(log, "retrying"), 1);

	/* Every token unreadable during the first two listings: not found,
	 * twice, then found. */
	ks_p11_shutdown();
	assert_ok(ks_p11_init());
	shots = fired();
	arm_times(F_TOKEN_INFO, CKR_GENERAL_ERROR, 8);
	if (ks_p11_key_open(uri, NULL, &k) < 0)
		fail_msg("open after unreadable tokens: %s", ks_err_msg());
	assert_int_equal(fired(), shots + 8);
	assert_ok(sign_once(k, "after retried listings"));
	ks_key_free(k);
	k = NULL;
	assert_true(log_count(log, "retrying") >= 3);

	/* A failure that does not pass: bounded, and the message says so. */
	ks_p11_shutdown();
	assert_ok(ks_p11_init());
	arm_times(F_LOGIN, CKR_GENERAL_ERROR, 1000);
	t0 = now_ms();
	assert_fails_with(ks_p11_key_open(uri, NULL, &k), KS_ERR_PKCS11);
	took = now_ms() - t0;
	arm_times(F_LOGIN, CKR_OK, 0);
	assert_null(k);
	assert_non_null(strstr(ks_err_msg(), "CKR_GENERAL_ERROR"));
	assert_non_null(strstr(ks_err_msg(), "tried"));
	if (took < 1000 || took > 3000)
		fail_msg("retries took %ld ms (budget about 2000)", took);

	/* A wrong PIN: one C_Login, never tried again, even when a listing
	 * error just before made the attempt a retry. */
	ks_p11_shutdown();
	assert_ok(ks_p11_init());
	logins = ks_p11_login_attempts();
	arm(F_TOKEN_INFO, CKR_GENERAL_ERROR, 0);
	t0 = now_ms();
	assert_fails_with(ks_p11_key_open(bad, NULL, &k), KS_ERR_PIN);
	took = now_ms() - t0;
	assert_int_equal(ks_p11_login_attempts(), logins + 1);
	assert_non_null(strstr(ks_err_msg(), "wrong PIN"));
	if (took > 1000)
		fail_msg("a wrong PIN took %ld ms", took);

	ks_p11_shutdown();
	ks_log_set_stream(NULL);
	ks_log_set_level(KS_LOG_WARN);
	fclose(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_init_faults), cmocka_unit_test(test_sign_faults),
		cmocka_unit_test(test_pulled_out),       cmocka_unit_test(test_pinpad_recovery),
		cmocka_unit_test(test_transient_open),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
