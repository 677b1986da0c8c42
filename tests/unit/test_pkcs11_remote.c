/* A token on "another machine": the test PKI's "principal" token served
 * by `p11-kit server` on a unix socket and used through p11-kit-client.so
 * (loaded by module-path), exactly as a school's HSM or a principal's
 * token elsewhere is reached.  kyso signs through it unchanged; every
 * signature is checked with OpenSSL.
 *
 * The server is started here (foreground, stopped by its PID) unless
 * P11_KIT_SERVER_ADDRESS is already set (tests/integration/pkcs11_remote.sh
 * runs its own).  Needs SOFTHSM2_CONF and KYSO_TEST_PIN (build/pki/env.sh). */
#include "ks_test.h"

#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ks_key.h"
#include "pkcs11/ks_p11.h"

static char dir[] = "/tmp/kyso-p11remote-XXXXXX";
static pid_t server = -1;
static const char *client;

static const char *pin(void)
{
	const char *p = getenv("KYSO_TEST_PIN");

	return p != NULL ? p : "123456";
}

static const char *remote_uri(const char *path, const char *pinval)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "pkcs11:token=principal%s%s?module-path=%s%s%s",
		 *path != '\0' ? ";" : "", path, client, pinval != NULL ? "&pin-value=" : "",
		 pinval != NULL ? pinval : "");
	return buf;
}

static int start_server(void)
{
	char sock[256], addr[300];
	const char *softhsm = getenv("KYSO_SOFTHSM_MODULE");
	char *argv[9];
	struct stat st;
	int i;

	if (softhsm == NULL)
		softhsm = "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so";
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	argv[0] = (char *)"p11-kit";
	argv[1] = (char *)"server";
	argv[2] = (char *)"-f"; /* foreground: our child, stopped by its PID */
	argv[3] = (char *)"-n";
	argv[4] = sock;
	argv[5] = (char *)"--provider";
	argv[6] = (char *)softhsm;
	argv[7] = (char *)"pkcs11:token=principal"; /* the token to serve */
	argv[8] = NULL;
	server = fork();
	if (server < 0)
		return -1;
	if (server == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* Never outlive the test, even when it crashes. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			close(null);
		}
		execvp("p11-kit", argv);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
			break;
		nanosleep(&ts, NULL);
	}
	if (i == 100) {
		fprintf(stderr, "p11-kit server did not create %s\n", sock);
		return -1;
	}
	snprintf(addr, sizeof(addr), "unix:path=%s", sock);
	setenv("P11_KIT_SERVER_ADDRESS", addr, 1);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	client = getenv("KYSO_P11_CLIENT_MODULE");
	if (client == NULL)
		client = "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so";
	if (getenv("SOFTHSM2_CONF") == NULL) {
		fprintf(stderr, "SOFTHSM2_CONF is not set: source build/pki/env.sh (make pki)\n");
		return -1;
	}
	if (access(client, R_OK) != 0) {
		fprintf(stderr, "%s is missing (Debian package p11-kit-modules)\n", client);
		return -1;
	}
	unsetenv("KYSO_PIN");
	unsetenv("KYSO_PKCS11_REGISTRY");
	unsetenv("KYSO_PKCS11_MODULE");
	if (getenv("P11_KIT_SERVER_ADDRESS") == NULL)
		return start_server();
	return 0;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	(void)state;
	ks_p11_shutdown();
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
		nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	}
	return 0;
}

static int fresh(void **state)
{
	(void)state;
	ks_p11_shutdown();
	return 0;
}

static void sign_check(struct ks_key *key, enum ks_sig_scheme sch, enum ks_md md)
{
	struct ks_buf dg, sig;

	ks_buf_init(&dg, 64);
	ks_buf_init(&sig, 1024);
	assert_ok(ks_md_digest(md, "remote token", 12, &dg));
	assert_ok(ks_key_sign(key, sch, md, dg.data, dg.len, &sig));
	assert_ok(ks_key_verify_digest(key->cert, sch, md, dg.data, dg.len, sig.data, sig.len));
	dg.data[3] ^= 0x40;
	assert_int_equal(
	    ks_key_verify_digest(key->cert, sch, md, dg.data, dg.len, sig.data, sig.len), -1);
	ks_buf_cleanup(&dg);
	ks_buf_cleanup(&sig);
}

static void test_remote_tokens(void **state)
{
	struct ks_p11_token_info *t = NULL;
	size_t n = 0;
	char uri[600];

	(void)state;
	snprintf(uri, sizeof(uri), "pkcs11:?module-path=%s", client);
	assert_ok(ks_p11_list_tokens(uri, &t, &n));
	/* The server exports exactly the one token it was given. */
	assert_int_equal(n, 1);
	assert_string_equal(t[0].label, "principal");
	assert_string_equal(t[0].model, "SoftHSM v2");
	assert_string_equal(t[0].module, client);
	free(t);
}

static void test_remote_sign(void **state)
{
	struct ks_key *rsa = NULL, *ec = NULL;

	(void)state;
	if (ks_p11_key_open(remote_uri("object=tok-principal-rsa", pin()), NULL, &rsa) != 0)
		fail_msg("remote open: %s", ks_err_msg());
	sign_check(rsa, KS_SIG_RSA_PKCS1, KS_MD_SHA256);
	sign_check(rsa, KS_SIG_RSA_PSS, KS_MD_SHA256);
	sign_check(rsa, KS_SIG_RSA_PKCS1, KS_MD_SHA512);
	/* Same remote token, already logged in: no PIN needed. */
	if (ks_p11_key_open(remote_uri("object=tok-principal-ec", NULL), NULL, &ec) != 0)
		fail_msg("remote open: %s", ks_err_msg());
	sign_check(ec, KS_SIG_ECDSA, KS_MD_SHA256);
	sign_check(ec, KS_SIG_ECDSA, KS_MD_SHA384);
	ks_key_free(rsa);
	ks_key_free(ec);
}

struct job {
	struct ks_key *key;
	int failures;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	int i;

	for (i = 0; i < 10; i++) {
		struct ks_buf dg, sig;

		ks_buf_init(&dg, 64);
		ks_buf_init(&sig, 1024);
		if (ks_md_digest(KS_MD_SHA256, &i, sizeof(i), &dg) < 0 ||
		    ks_key_sign(j->key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, dg.data, dg.len, &sig) <
			0 ||
		    ks_key_verify_digest(j->key->cert, KS_SIG_RSA_PKCS1, KS_MD_SHA256, dg.data,
					 dg.len, sig.data, sig.len) < 0)
			j->failures++;
		ks_buf_cleanup(&dg);
		ks_buf_cleanup(&sig);
	}
	return NULL;
}

static void test_remote_threads(void **state)
{
	struct ks_key *rsa = NULL;
	pthread_t th[8];
	struct job jobs[8];
	int i;

	(void)state;
	if (ks_p11_key_open(remote_uri("object=tok-principal-rsa", pin()), NULL, &rsa) != 0)
		fail_msg("remote open: %s", ks_err_msg());
	for (i = 0; i < 8; i++) {
		jobs[i].key = rsa;
		jobs[i].failures = 0;
		assert_int_equal(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(jobs[i].failures, 0);
	}
	ks_key_free(rsa);
}

static void test_remote_wrong_pin(void **state)
{
	struct ks_key *key = NULL;
	unsigned long before = ks_p11_login_attempts();
	char bad[64];

	(void)state;
	snprintf(bad, sizeof(bad), "%s0", pin());
	assert_fails_with(ks_p11_key_open(remote_uri("object=tok-principal-rsa", bad), NULL, &key),
			  KS_ERR_PIN);
	assert_int_equal(ks_p11_login_attempts(), before + 1);
	if (ks_p11_key_open(remote_uri("object=tok-principal-rsa", pin()), NULL, &key) != 0)
		fail_msg("remote open after a wrong PIN: %s", ks_err_msg());
	sign_check(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256);
	ks_key_free(key);
}

static void test_two_paths_ambiguous(void **state)
{
	struct ks_key *key = NULL;
	char uri[600];

	(void)state;
	/* Load the client module, then name the key without saying which
	 * module: the token is seen twice (locally through the registry's
	 * SoftHSM, remotely through the client), and kyso refuses to guess. */
	if (ks_p11_key_open(remote_uri("object=tok-principal-rsa", pin()), NULL, &key) != 0)
		fail_msg("remote open: %s", ks_err_msg());
	ks_key_free(key);
	key = NULL;
	snprintf(uri, sizeof(uri), "pkcs11:token=principal;object=tok-principal-rsa?pin-value=%s",
		 pin());
	assert_fails_with(ks_p11_key_open(uri, NULL, &key), KS_ERR_AMBIGUOUS);
	assert_non_null(strstr(ks_err_msg(), "p11-kit-client"));
	assert_null(key);
	/* module-name picks one of them. */
	snprintf(
	    uri, sizeof(uri),
	    "pkcs11:token=principal;object=tok-principal-rsa?pin-value=%s&module-name=softhsm2",
	    pin());
	if (ks_p11_key_open(uri, NULL, &key) != 0)
		fail_msg("local open: %s", ks_err_msg());
	assert_null(strstr(key->label, "pin"));
	ks_key_free(key);
}

#define T(f) cmocka_unit_test_setup(f, fresh)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_remote_tokens),    T(test_remote_sign),         T(test_remote_threads),
		T(test_remote_wrong_pin), T(test_two_paths_ambiguous),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
