/* Unit tests for pkcs11/ against the SoftHSM2 tokens of the test PKI
 * (`make pki`: build/pki/env.sh exports SOFTHSM2_CONF and KYSO_TEST_PIN;
 * token "principal" holds tok-principal-rsa and tok-principal-ec with
 * their certificates).  Every signature is checked with OpenSSL against
 * the certificate, and the certificate against the test root.
 *
 * Covered: listing, URI matching (mismatch, ambiguous: refused), wrong
 * PIN (one attempt, token still usable), PIN sources, PKCS#1 v1.5, PSS,
 * ECDSA, login once per token, 8 threads at once (parallel and
 * serialised pools), and recovery after the token's sessions are closed
 * from outside the pool. */
#include "ks_test.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CRYPTOKI_GNU 1
#include <p11-kit/pkcs11.h>

#include "ks_key.h"
#include "pkcs11/ks_p11.h"

#define THREADS 8
#define SIGNS_PER_THREAD 25

static const char *pin(void)
{
	const char *p = getenv("KYSO_TEST_PIN");

	return p != NULL ? p : "123456";
}

/* "pkcs11:token=principal;<path>?pin-value=<test pin>" (or no PIN). */
static const char *uri_for(const char *path, bool with_pin)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "pkcs11:token=principal%s%s%s%s", *path != '\0' ? ";" : "", path,
		 with_pin ? "?pin-value=" : "", with_pin ? pin() : "");
	return buf;
}

static int setup(void **state)
{
	(void)state;
	if (getenv("SOFTHSM2_CONF") == NULL) {
		fprintf(stderr, "SOFTHSM2_CONF is not set: source build/pki/env.sh (make pki)\n");
		return -1;
	}
	unsetenv("KYSO_PIN");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ks_p11_shutdown();
	return 0;
}

/* Each test starts with no token state: no login, no sessions. */
static int fresh(void **state)
{
	(void)state;
	ks_p11_shutdown();
	ks_err_clear();
	return 0;
}

static X509 *load_root(void)
{
	STACK_OF(X509) *sk = NULL;
	X509 *root;

	if (ks_pem_load_certs(ks_test_pki("root.pem"), &sk) < 0)
		fail_msg("cannot load root.pem: %s", ks_err_msg());
	root = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return root;
}

/* The certificate found on the token chains to the test root through the
 * chain the key carries (plus the PKI's CA file). */
static void assert_chains_to_root(struct ks_key *key)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_dup(key->chain), *cas = NULL;
	X509 *root = load_root();
	int i;

	assert_non_null(st);
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_add_cert(st, root), 1);
	if (access(ks_test_pki("cas.pem"), R_OK) == 0 &&
	    ks_pem_load_certs(ks_test_pki("cas.pem"), &cas) == 0)
		for (i = 0; i < sk_X509_num(cas); i++)
			sk_X509_push(untrusted, sk_X509_value(cas, i));
	assert_int_equal(X509_STORE_CTX_init(ctx, st, key->cert, untrusted), 1);
	if (X509_verify_cert(ctx) != 1)
		fail_msg("token certificate does not chain to root.pem: %s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	X509_free(root);
	sk_X509_free(untrusted);
	sk_X509_pop_free(cas, X509_free);
}

/* Verify with EVP directly (not through ks_key_verify_digest). */
static void evp_verify(X509 *cert, enum ks_sig_scheme scheme, enum ks_md md, const uint8_t *dg,
		       size_t dlen, const struct ks_buf *sig)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(X509_get0_pubkey(cert), NULL);

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	if (scheme != KS_SIG_ECDSA) {
		assert_int_equal(EVP_PKEY_CTX_set_signature_md(ctx, ks_md_evp(md)), 1);
		if (scheme == KS_SIG_RSA_PSS) {
			assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING),
					 1);
			assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, ks_md_evp(md)), 1);
			/* RFC 8017 9.1: salt as long as the hash, exactly. */
			assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)dlen), 1);
		} else {
			assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
		}
	}
	if (EVP_PKEY_verify(ctx, sig->data, sig->len, dg, dlen) != 1)
		fail_msg("OpenSSL rejects the token's signature (scheme %d, %s)", (int)scheme,
			 ks_md_name(md));
	EVP_PKEY_CTX_free(ctx);
}

static void sign_and_check(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
			   const char *msg)
{
	struct ks_buf dg, sig;

	ks_buf_init(&dg, 64);
	ks_buf_init(&sig, 4096);
	assert_ok(ks_md_digest(md, msg, strlen(msg), &dg));
	assert_ok(ks_key_sign(key, scheme, md, dg.data, dg.len, &sig));
	assert_ok(ks_key_verify_digest(key->cert, scheme, md, dg.data, dg.len, sig.data, sig.len));
	evp_verify(key->cert, scheme, md, dg.data, dg.len, &sig);
	/* A signature over another digest must not verify. */
	dg.data[0] ^= 1;
	assert_int_equal(
	    ks_key_verify_digest(key->cert, scheme, md, dg.data, dg.len, sig.data, sig.len), -1);
	ks_buf_cleanup(&dg);
	ks_buf_cleanup(&sig);
}

static struct ks_key *open_key(const char *uri)
{
	struct ks_key *key = NULL;

	if (ks_p11_key_open(uri, NULL, &key) != 0)
		fail_msg("ks_p11_key_open(%s): %s", uri, ks_err_msg());
	assert_non_null(key);
	assert_string_equal(key->ops->kind, "token");
	/* The label names the key, never the PIN. */
	assert_null(strstr(key->label, "pin"));
	return key;
}

/* ---- listing ---- */

static void test_list_tokens(void **state)
{
	struct ks_p11_token_info *v = NULL;
	size_t n = 0, i;
	bool found = false;

	(void)state;
	assert_ok(ks_p11_init());
	assert_ok(ks_p11_init()); /* idempotent */
	assert_ok(ks_p11_list_tokens(NULL, &v, &n));
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].label, "principal") != 0)
			continue;
		found = true;
		assert_string_equal(v[i].manufacturer, "SoftHSM project");
		assert_string_equal(v[i].model, "SoftHSM v2");
		assert_true(strlen(v[i].serial) > 0);
		assert_true(v[i].flags & CKF_TOKEN_INITIALIZED);
		assert_true(v[i].flags & CKF_LOGIN_REQUIRED);
		assert_false(v[i].flags & CKF_USER_PIN_LOCKED);
		assert_false(v[i].serial_access);
	}
	assert_true(found);
	free(v);

	assert_ok(ks_p11_list_tokens("pkcs11:token=principal", &v, &n));
	assert_int_equal(n, 1);
	free(v);
	assert_ok(ks_p11_list_tokens("pkcs11:token=no-such-token", &v, &n));
	assert_int_equal(n, 0);
	free(v);
	/* Unknown path attribute: matches nothing (RFC 7512 2.3). */
	assert_ok(ks_p11_list_tokens("pkcs11:token=principal;x-slot=1", &v, &n));
	assert_int_equal(n, 0);
	free(v);
	assert_ok(ks_p11_list_tokens("pkcs11:model=SoftHSM%20v2;token=principal", &v, &n));
	assert_int_equal(n, 1);
	free(v);
	assert_fails_with(ks_p11_list_tokens("pkcs11:token=%zz", &v, &n), KS_ERR_PARSE);
	/* A module that is not loaded. */
	assert_fails_with(ks_p11_list_tokens("pkcs11:?module-name=no-such-module", &v, &n),
			  KS_ERR_NOT_FOUND);
	/* a path that does not exist: a usage error, not another module */
	assert_fails_with(ks_p11_list_tokens("pkcs11:?module-path=/nonexistent/x.so", &v, &n),
			  KS_ERR_ARG);
	assert_fails_with(ks_p11_list_tokens("pkcs11:?module-path=libsofthsm2.so", &v, &n),
			  KS_ERR_ARG);
	assert_ok(ks_p11_list_tokens("pkcs11:token=principal?module-name=softhsm2", &v, &n));
	assert_int_equal(n, 1);
	free(v);
}

static __attribute__((returns_nonnull)) const struct ks_p11_key_info *
find_key(const struct ks_p11_key_info *v, size_t n, const char *label)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].label, label) == 0)
			return &v[i];
	fail_msg("key '%s' not listed", label);
	abort();
}

static void test_list_keys(void **state)
{
	struct ks_p11_key_info *v = NULL;
	const struct ks_p11_key_info *k;
	size_t n = 0;
	struct ks_key *key;

	(void)state;
	/* Logged in with the URI's PIN: the private keys themselves. */
	assert_ok(ks_p11_list_keys(uri_for("", true), &v, &n));
	assert_int_equal(n, 2);
	k = find_key(v, n, "tok-principal-rsa");
	assert_false(k->inferred);
	assert_int_equal(k->type, KS_KEY_RSA);
	assert_true(k->bits >= 2048);
	assert_non_null(k->cert);
	assert_non_null(strstr(k->uri, "token=principal"));
	assert_non_null(strstr(k->uri, "object=tok-principal-rsa"));
	assert_non_null(strstr(k->uri, "type=private"));
	assert_null(strstr(k->uri, "pin"));
	/* The listed URI opens exactly this key. */
	{
		char u2[2048];

		snprintf(u2, sizeof(u2), "%s?pin-value=%s", k->uri, pin());
		key = open_key(u2);
		assert_int_equal(X509_cmp(key->cert, k->cert), 0);
		ks_key_free(key);
	}
	k = find_key(v, n, "tok-principal-ec");
	assert_int_equal(k->type, KS_KEY_EC);
	assert_true(k->bits >= 256);
	assert_non_null(k->cert);
	ks_p11_key_info_free(v, n);

	/* Filtered. */
	assert_ok(ks_p11_list_keys(uri_for("object=tok-principal-ec", true), &v, &n));
	assert_int_equal(n, 1);
	ks_p11_key_info_free(v, n);
	assert_ok(ks_p11_list_keys(uri_for("object=none", true), &v, &n));
	assert_int_equal(n, 0);
	ks_p11_key_info_free(v, n);
	assert_fails_with(ks_p11_list_keys(uri_for("type=cert", true), &v, &n), KS_ERR_ARG);
}

static void test_list_keys_no_login(void **state)
{
	struct ks_p11_key_info *v = NULL;
	const struct ks_p11_key_info *k;
	size_t n = 0;
	unsigned long before = ks_p11_login_attempts();

	(void)state;
	/* No PIN anywhere: nothing is logged in, the keys are seen through
	 * their public objects. */
	assert_ok(ks_p11_list_keys(uri_for("", false), &v, &n));
	assert_int_equal(ks_p11_login_attempts(), before);
	k = find_key(v, n, "tok-principal-rsa");
	assert_true(k->inferred);
	assert_non_null(k->cert);
	(void)find_key(v, n, "tok-principal-ec");
	ks_p11_key_info_free(v, n);

	/* KYSO_PIN is used when the URI selects a single token... */
	setenv("KYSO_PIN", pin(), 1);
	assert_ok(ks_p11_list_keys(uri_for("", false), &v, &n));
	assert_int_equal(ks_p11_login_attempts(), before + 1);
	k = find_key(v, n, "tok-principal-rsa");
	assert_false(k->inferred);
	ks_p11_key_info_free(v, n);
	ks_p11_shutdown();
	/* ...never tried on every token present. */
	before = ks_p11_login_attempts();
	assert_ok(ks_p11_list_keys(NULL, &v, &n));
	unsetenv("KYSO_PIN");
	ks_p11_key_info_free(v, n);
	{
		struct ks_p11_token_info *t = NULL;
		size_t nt = 0;

		assert_ok(ks_p11_list_tokens(NULL, &t, &nt));
		if (nt > 1)
			assert_int_equal(ks_p11_login_attempts(), before);
		free(t);
	}
}

/* ---- URI matching ---- */

static void test_match_refusals(void **state)
{
	struct ks_key *key = NULL;
	const char *msg;

	(void)state;
	/* Two private keys on the token: refused, both listed. */
	assert_fails_with(ks_p11_key_open(uri_for("type=private", true), NULL, &key),
			  KS_ERR_AMBIGUOUS);
	msg = ks_err_msg();
	assert_non_null(strstr(msg, "tok-principal-rsa"));
	assert_non_null(strstr(msg, "tok-principal-ec"));
	assert_null(strstr(msg, pin()));
	assert_null(key);
	assert_fails_with(ks_p11_key_open(uri_for("", true), NULL, &key), KS_ERR_AMBIGUOUS);
	/* No match. */
	assert_fails_with(ks_p11_key_open(uri_for("object=tok-principal", true), NULL, &key),
			  KS_ERR_NOT_FOUND);
	assert_fails_with(
	    ks_p11_key_open(uri_for("object=tok-principal-rsa;id=%ff%ee", true), NULL, &key),
	    KS_ERR_NOT_FOUND);
	assert_fails_with(
	    ks_p11_key_open("pkcs11:token=no-such-token;object=x?pin-value=1", NULL, &key),
	    KS_ERR_NOT_FOUND);
	assert_fails_with(
	    ks_p11_key_open(uri_for("object=tok-principal-rsa;serial=0", true), NULL, &key),
	    KS_ERR_NOT_FOUND);
	/* An unknown path attribute matches nothing. */
	assert_fails_with(
	    ks_p11_key_open(uri_for("object=tok-principal-rsa;x-a=1", true), NULL, &key),
	    KS_ERR_NOT_FOUND);
	/* A certificate is not a signing key. */
	assert_fails_with(
	    ks_p11_key_open(uri_for("object=tok-principal-rsa;type=cert", true), NULL, &key),
	    KS_ERR_ARG);
	/* Malformed. */
	assert_fails_with(ks_p11_key_open("pkcs11:token=principal;token=x", NULL, &key),
			  KS_ERR_PARSE);
	assert_fails_with(ks_p11_key_open("file:key.pem", NULL, &key), KS_ERR_PARSE);
	assert_null(key);
}

/* ---- PIN ---- */

static void test_wrong_pin(void **state)
{
	struct ks_key *key = NULL;
	struct ks_p11_token_info *t = NULL;
	unsigned long before;
	size_t n = 0;
	char uri[512];

	(void)state;
	before = ks_p11_login_attempts();
	snprintf(uri, sizeof(uri), "pkcs11:token=principal;object=tok-principal-rsa?pin-value=%s9",
		 pin());
	assert_fails_with(ks_p11_key_open(uri, NULL, &key), KS_ERR_PIN);
	assert_null(key);
	assert_non_null(strstr(ks_err_msg(), "wrong PIN"));
	assert_non_null(strstr(ks_err_msg(), "principal"));
	assert_null(strstr(ks_err_msg(), pin())); /* never in a message */
	/* Exactly one C_Login: no retry loop. */
	assert_int_equal(ks_p11_login_attempts(), before + 1);

	/* The token is not locked and takes the right PIN at once. */
	assert_ok(ks_p11_list_tokens("pkcs11:token=principal", &t, &n));
	assert_int_equal(n, 1);
	assert_false(t[0].flags & CKF_USER_PIN_LOCKED);
	free(t);
	key = open_key(uri_for("object=tok-principal-rsa", true));
	assert_int_equal(ks_p11_login_attempts(), before + 2);
	sign_and_check(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, "after a wrong PIN");
	ks_key_free(key);
}

static void test_pin_sources(void **state)
{
	struct ks_key *key = NULL;
	char dir[] = "/tmp/kyso-p11-XXXXXX", path[128], uri[512];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pin", dir);
	/* pin-source=file:... with a trailing newline (echo PIN > file). */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", pin());
	fclose(f);
	chmod(path, 0600);
	snprintf(uri, sizeof(uri),
		 "pkcs11:token=principal;object=tok-principal-ec?pin-source=file:%s", path);
	key = open_key(uri);
	sign_and_check(key, KS_SIG_ECDSA, KS_MD_SHA256, "pin from a file");
	ks_key_free(key);
	ks_p11_shutdown();
	snprintf(uri, sizeof(uri),
		 "pkcs11:token=principal;object=tok-principal-ec?pin-source=file://%s", path);
	key = open_key(uri);
	ks_key_free(key);
	ks_p11_shutdown();

	/* Missing file, program, relative path: refused before any login. */
	snprintf(uri, sizeof(uri),
		 "pkcs11:token=principal;object=tok-principal-ec?pin-source=file:%s/none", dir);
	assert_fails_with(ks_p11_key_open(uri, NULL, &key), KS_ERR_PIN);
	assert_fails_with(ks_p11_key_open("pkcs11:token=principal;object=tok-principal-ec?pin-"
					  "source=%7Cecho%20123456",
					  NULL, &key),
			  KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_p11_key_open("pkcs11:token=principal;object=tok-principal-ec?pin-"
					  "source=pin.txt",
					  NULL, &key),
			  KS_ERR_ARG);
	/* An empty PIN file. */
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(uri, sizeof(uri),
		 "pkcs11:token=principal;object=tok-principal-ec?pin-source=file:%s", path);
	assert_fails_with(ks_p11_key_open(uri, NULL, &key), KS_ERR_PIN);
	unlink(path);
	rmdir(dir);

	/* Environment. */
	setenv("KYSO_PIN", pin(), 1);
	key = open_key(uri_for("object=tok-principal-ec", false));
	unsetenv("KYSO_PIN");
	ks_key_free(key);
}

/* The prompt: a child process on a fresh pseudo-terminal (its
 * controlling terminal, so /dev/tty is the pty) opens the key with no
 * PIN anywhere; the test answers the prompt and checks the PIN is not
 * echoed back. */
static void test_pin_prompt(void **state)
{
	int master, status;
	pid_t pid;
	char out[4096];
	size_t got = 0;
	bool answered = false;
	time_t deadline = time(NULL) + 20;

	(void)state;
	master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ks_key *key = NULL;
		int slave;

		setsid();
		slave = open(ptsname(master), O_RDWR);
		if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
			_exit(10);
		close(master);
		unsetenv("KYSO_PIN");
		if (ks_p11_key_open("pkcs11:token=principal;object=tok-principal-ec", NULL, &key) <
		    0)
			_exit(ks_err_code() == KS_ERR_PIN ? 11 : 12);
		ks_key_free(key);
		ks_p11_shutdown();
		_exit(0);
	}
	for (;;) {
		struct pollfd pfd = { master, POLLIN, 0 };
		ssize_t n;

		assert_true(time(NULL) < deadline);
		if (poll(&pfd, 1, 200) <= 0) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
			continue;
		}
		n = read(master, out + got, sizeof(out) - 1 - got);
		if (n <= 0)
			break; /* the child closed the terminal */
		got += (size_t)n;
		out[got] = '\0';
		if (!answered && strstr(out, "PIN for token 'principal': ") != NULL) {
			char line[64];
			int len = snprintf(line, sizeof(line), "%s\n", pin());

			assert_int_equal(write(master, line, (size_t)len), len);
			answered = true;
		}
	}
	assert_int_equal(waitpid(pid, &status, 0) == pid || errno == ECHILD, 1);
	close(master);
	assert_true(answered);
	/* Echo was off: the PIN never came back on the terminal. */
	assert_null(strstr(out, pin()));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A signal at the prompt ends the process with the terminal's echo back
 * on (the PIN prompt turned it off). */
static void test_pin_prompt_interrupted(void **state)
{
	int master, status = 0, slave;
	pid_t pid;
	char out[4096];
	size_t got = 0;
	bool killed = false;
	struct termios t;
	time_t deadline = time(NULL) + 20;

	(void)state;
	master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ks_key *key = NULL;

		setsid();
		slave = open(ptsname(master), O_RDWR);
		if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
			_exit(10);
		close(master);
		unsetenv("KYSO_PIN");
		if (ks_p11_key_open("pkcs11:token=principal;object=tok-principal-ec", NULL, &key) <
		    0)
			_exit(11);
		_exit(0);
	}
	while (!killed) {
		struct pollfd pfd = { master, POLLIN, 0 };
		ssize_t n;

		assert_true(time(NULL) < deadline);
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(master, out + got, sizeof(out) - 1 - got);
		assert_true(n > 0);
		got += (size_t)n;
		out[got] = '\0';
		if (strstr(out, "PIN for token 'principal': ") != NULL) {
			/* echo is off now */
			slave = open(ptsname(master), O_RDWR | O_NOCTTY);
			assert_true(slave >= 0);
			assert_int_equal(tcgetattr(slave, &t), 0);
			assert_int_equal(t.c_lflag & ECHO, 0);
			close(slave);
			assert_int_equal(kill(pid, SIGTERM), 0);
			killed = true;
		}
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_int_not_equal(t.c_lflag & ECHO, 0);
	close(slave);
	close(master);
}

/* ---- signatures ---- */

static void test_sign_rsa(void **state)
{
	struct ks_key *key = open_key(uri_for("object=tok-principal-rsa", true));
	static const enum ks_md mds[] = { KS_MD_SHA256, KS_MD_SHA384, KS_MD_SHA512 };
	size_t i;

	(void)state;
	assert_int_equal(key->type, KS_KEY_RSA);
	assert_true(key->bits >= 2048);
	assert_chains_to_root(key);
	for (i = 0; i < 3; i++) {
		sign_and_check(key, KS_SIG_RSA_PKCS1, mds[i], "học bạ số — PKCS#1 v1.5");
		sign_and_check(key, KS_SIG_RSA_PSS, mds[i], "học bạ số — PSS");
	}
	/* PKCS#1 v1.5 is deterministic: the token and OpenSSL agree. */
	{
		struct ks_buf dg, a, b;

		ks_buf_init(&dg, 64);
		ks_buf_init(&a, 1024);
		ks_buf_init(&b, 1024);
		assert_ok(ks_md_digest(KS_MD_SHA256, "x", 1, &dg));
		assert_ok(ks_key_sign(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, dg.data, dg.len, &a));
		assert_ok(ks_key_sign(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, dg.data, dg.len, &b));
		assert_true(ks_buf_equal(&a, &b));
		assert_int_equal(a.len, ((size_t)key->bits + 7) / 8);
		/* Wrong digest length and wrong scheme for the key: refused. */
		ks_buf_reset(&a);
		assert_fails_with(
		    ks_key_sign(key, KS_SIG_RSA_PKCS1, KS_MD_SHA384, dg.data, dg.len, &a),
		    KS_ERR_ARG);
		assert_fails_with(ks_key_sign(key, KS_SIG_ECDSA, KS_MD_SHA256, dg.data, dg.len, &a),
				  KS_ERR_UNSUPPORTED);
		ks_buf_cleanup(&dg);
		ks_buf_cleanup(&a);
		ks_buf_cleanup(&b);
	}
	ks_key_free(key);
}

static void test_sign_ec(void **state)
{
	struct ks_key *key = open_key(uri_for("object=tok-principal-ec", true));

	(void)state;
	assert_int_equal(key->type, KS_KEY_EC);
	assert_true(key->bits >= 256);
	assert_chains_to_root(key);
	sign_and_check(key, KS_SIG_ECDSA, KS_MD_SHA256, "sổ điểm — ECDSA");
	sign_and_check(key, KS_SIG_ECDSA, KS_MD_SHA384, "sổ điểm — ECDSA");
	sign_and_check(key, KS_SIG_ECDSA, KS_MD_SHA512, "sổ điểm — ECDSA");
	ks_key_free(key);
}

static void test_chain_pem(void **state)
{
	struct ks_key *key = NULL;
	X509 *root = load_root();
	bool have_root = false;
	int i;

	(void)state;
	assert_ok(ks_p11_key_open(uri_for("object=tok-principal-rsa", true),
				  ks_test_pki("root.pem"), &key));
	for (i = 0; i < sk_X509_num(key->chain); i++)
		have_root |= X509_cmp(sk_X509_value(key->chain, i), root) == 0;
	assert_true(have_root);
	ks_key_free(key);
	X509_free(root);
	assert_fails_with(ks_p11_key_open(uri_for("object=tok-principal-rsa", true),
					  "/nonexistent/chain.pem", &key),
			  KS_ERR_IO);
}

static void test_login_once(void **state)
{
	struct ks_key *rsa = open_key(uri_for("object=tok-principal-rsa", true));
	struct ks_key *ec;
	struct ks_p11_key_stats st;
	unsigned long before = ks_p11_login_attempts();
	int i;

	(void)state;
	/* The second key on the same token needs no PIN at all. */
	ec = open_key("pkcs11:token=principal;object=tok-principal-ec");
	assert_int_equal(ks_p11_login_attempts(), before);
	for (i = 0; i < 10; i++) {
		sign_and_check(rsa, KS_SIG_RSA_PKCS1, KS_MD_SHA256, "one login");
		sign_and_check(ec, KS_SIG_ECDSA, KS_MD_SHA256, "one login");
	}
	assert_ok(ks_p11_key_stats(rsa, &st));
	assert_int_equal(st.logins, 1);
	assert_int_equal(ks_p11_login_attempts(), before);
	ks_key_free(rsa);
	ks_key_free(ec);
}

/* ---- concurrency ---- */

struct worker {
	struct ks_key *key;
	pthread_barrier_t *start;
	int id, failures, token_failures;
	char err[256];
};

static void *sign_worker(void *arg)
{
	struct worker *w = arg;
	struct ks_buf dg, sig;
	enum ks_sig_scheme scheme = ks_key_default_scheme(w->key);
	int i;

	ks_buf_init(&dg, 64);
	ks_buf_init(&sig, 4096);
	pthread_barrier_wait(w->start);
	for (i = 0; i < SIGNS_PER_THREAD; i++) {
		char msg[64];

		snprintf(msg, sizeof(msg), "thread %d document %d", w->id, i);
		ks_buf_reset(&dg);
		ks_buf_reset(&sig);
		if (ks_md_digest(KS_MD_SHA256, msg, strlen(msg), &dg) < 0 ||
		    ks_key_sign(w->key, scheme, KS_MD_SHA256, dg.data, dg.len, &sig) < 0 ||
		    ks_key_verify_digest(w->key->cert, scheme, KS_MD_SHA256, dg.data, dg.len,
					 sig.data, sig.len) < 0) {
			if (ks_err_code() == KS_ERR_TOKEN)
				w->token_failures++;
			if (w->failures++ == 0)
				snprintf(w->err, sizeof(w->err), "%s", ks_err_msg());
		}
	}
	ks_buf_cleanup(&dg);
	ks_buf_cleanup(&sig);
	ERR_clear_error();
	return NULL;
}

/* Run THREADS signers at once; returns the number of KS_ERR_TOKEN
 * failures, which only `lossy` runs may have (one per thread at most). */
static int run_threads_ex(struct ks_key *key, bool lossy)
{
	pthread_t th[THREADS];
	struct worker w[THREADS];
	pthread_barrier_t start;
	int i, lost = 0;

	assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
	for (i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].key = key;
		w[i].start = &start;
		w[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, sign_worker, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&start);
	for (i = 0; i < THREADS; i++) {
		if (lossy && w[i].failures == w[i].token_failures && w[i].failures <= 1) {
			lost += w[i].failures;
			continue;
		}
		if (w[i].failures > 0)
			fail_msg("thread %d: %d failures, first: %s", i, w[i].failures, w[i].err);
	}
	return lost;
}

static void run_threads(struct ks_key *key)
{
	assert_int_equal(run_threads_ex(key, false), 0);
}

static void test_threads_parallel(void **state)
{
	struct ks_key *key = open_key(uri_for("object=tok-principal-rsa", true));
	struct ks_key *ec = open_key(uri_for("object=tok-principal-ec", false));
	struct ks_p11_key_stats st;

	(void)state;
	run_threads(key);
	run_threads(ec);
	assert_ok(ks_p11_key_stats(key, &st));
	/* SoftHSM allows many sessions: the pool grew past one, up to the
	 * default limit, and logged in once. */
	assert_int_equal(st.sessions_max, 8);
	assert_true(st.sessions_open >= 2);
	assert_true(st.sessions_open <= 8);
	assert_int_equal(st.logins, 1);
	ks_key_free(key);
	ks_key_free(ec);
}

static void test_threads_serial(void **state)
{
	struct ks_key *key;
	struct ks_p11_key_stats st;

	(void)state;
	/* A token that must be used one operation at a time (a USB token):
	 * every thread still succeeds, through a single session. */
	setenv("KYSO_P11_SERIAL", "principal", 1);
	key = open_key(uri_for("object=tok-principal-rsa", true));
	unsetenv("KYSO_P11_SERIAL");
	run_threads(key);
	assert_ok(ks_p11_key_stats(key, &st));
	assert_int_equal(st.sessions_max, 1);
	assert_int_equal(st.sessions_open, 1);
	ks_key_free(key);

	ks_p11_shutdown();
	assert_ok(ks_p11_set_max_sessions(3));
	key = open_key(uri_for("object=tok-principal-rsa", true));
	run_threads(key);
	assert_ok(ks_p11_key_stats(key, &st));
	assert_int_equal(st.sessions_max, 3);
	assert_true(st.sessions_open <= 3);
	ks_key_free(key);
	assert_ok(ks_p11_set_max_sessions(8));
	assert_fails_with(ks_p11_set_max_sessions(0), KS_ERR_ARG);
	assert_fails_with(ks_p11_set_max_sessions(100000), KS_ERR_ARG);
}

/* ---- recovery ---- */

/* Close every session of the slot behind the pool's back, through the
 * module's own entry point (a second handle on the same library, as a
 * second application component would have): what a token pulled out and
 * put back looks like to the sessions. */
static void close_all_sessions(unsigned long slot)
{
	const char *path = getenv("KYSO_SOFTHSM_MODULE");
	void *h;
	ck_rv_t (*get)(struct ck_function_list **);
	struct ck_function_list *fl = NULL;

	if (path == NULL)
		path = "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so";
	h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (h == NULL)
		h = dlopen(path, RTLD_NOW);
	assert_non_null(h);
	*(void **)&get = dlsym(h, "C_GetFunctionList");
	assert_non_null(get);
	assert_int_equal(get(&fl), CKR_OK);
	assert_int_equal(fl->C_CloseAllSessions(slot), CKR_OK);
	dlclose(h);
}

static void test_recovery(void **state)
{
	struct ks_key *key = open_key(uri_for("object=tok-principal-rsa", true));
	struct ks_key *ec = open_key(uri_for("object=tok-principal-ec", false));
	struct ks_p11_key_stats st;
	struct ks_buf dg, sig;

	(void)state;
	ks_buf_init(&dg, 64);
	ks_buf_init(&sig, 1024);
	assert_ok(ks_md_digest(KS_MD_SHA256, "before", 6, &dg));
	sign_and_check(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, "before removal");
	sign_and_check(ec, KS_SIG_ECDSA, KS_MD_SHA256, "before removal");
	assert_ok(ks_p11_key_stats(key, &st));
	assert_int_equal(st.recoveries, 0);
	assert_int_equal(st.logins, 1);

	close_all_sessions(st.slot_id);

	/* The request in flight fails with a clear error... */
	assert_fails_with(ks_key_sign(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, dg.data, dg.len, &sig),
			  KS_ERR_TOKEN);
	assert_non_null(strstr(ks_err_msg(), "principal"));
	assert_non_null(strstr(ks_err_msg(), "CKR_SESSION_HANDLE_INVALID"));
	assert_int_equal(sig.len, 0);
	/* ...and the next ones recover: token found again, logged in again
	 * with the kept PIN, both keys usable, no restart. */
	sign_and_check(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, "after removal");
	sign_and_check(ec, KS_SIG_ECDSA, KS_MD_SHA256, "after removal");
	sign_and_check(key, KS_SIG_RSA_PSS, KS_MD_SHA256, "after removal");
	assert_ok(ks_p11_key_stats(key, &st));
	assert_int_equal(st.recoveries, 1);
	assert_int_equal(st.logins, 2);

	/* Again with 8 threads: the ones holding a lost session fail once
	 * with KS_ERR_TOKEN, every later signature succeeds. */
	close_all_sessions(st.slot_id);
	{
		int lost = run_threads_ex(key, true);

		assert_true(lost >= 1 && lost <= THREADS);
	}
	run_threads(key);
	ks_buf_cleanup(&dg);
	ks_buf_cleanup(&sig);
	ks_key_free(key);
	ks_key_free(ec);
}

static void test_recovery_under_load(void **state)
{
	struct ks_key *key = open_key(uri_for("object=tok-principal-rsa", true));
	struct ks_p11_key_stats st;
	struct ks_buf dg, sig;
	int i, ok = 0, lost = 0;

	(void)state;
	ks_buf_init(&dg, 64);
	ks_buf_init(&sig, 1024);
	assert_ok(ks_md_digest(KS_MD_SHA256, "x", 1, &dg));
	assert_ok(ks_p11_key_stats(key, &st));
	/* Several losses in a row: every failure is KS_ERR_TOKEN, at most one
	 * per loss, and signing always comes back. */
	for (i = 0; i < 5; i++) {
		close_all_sessions(st.slot_id);
		ks_buf_reset(&sig);
		if (ks_key_sign(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, dg.data, dg.len, &sig) == 0)
			ok++;
		else if (ks_err_code() == KS_ERR_TOKEN)
			lost++;
		else
			fail_msg("unexpected error: %s", ks_err_msg());
		ks_buf_reset(&sig);
		assert_ok(ks_key_sign(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, dg.data, dg.len, &sig));
		assert_ok(ks_key_verify_digest(key->cert, KS_SIG_RSA_PKCS1, KS_MD_SHA256, dg.data,
					       dg.len, sig.data, sig.len));
	}
	assert_int_equal(lost, 5);
	assert_int_equal(ok, 0);
	ks_buf_cleanup(&dg);
	ks_buf_cleanup(&sig);
	ks_key_free(key);
}

static void test_after_shutdown(void **state)
{
	struct ks_key *key = open_key(uri_for("object=tok-principal-rsa", true));
	struct ks_buf dg, sig;

	(void)state;
	ks_buf_init(&dg, 64);
	ks_buf_init(&sig, 1024);
	assert_ok(ks_md_digest(KS_MD_SHA256, "x", 1, &dg));
	ks_p11_shutdown();
	/* A key kept past shutdown fails cleanly and can still be freed. */
	assert_fails_with(ks_key_sign(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, dg.data, dg.len, &sig),
			  KS_ERR_TOKEN);
	ks_key_free(key);
	ks_buf_cleanup(&dg);
	ks_buf_cleanup(&sig);
}

#define T(f) cmocka_unit_test_setup(f, fresh)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_list_tokens),        T(test_list_keys),
		T(test_list_keys_no_login), T(test_match_refusals),
		T(test_wrong_pin),          T(test_pin_sources),
		T(test_pin_prompt),         T(test_pin_prompt_interrupted),
		T(test_sign_rsa),           T(test_sign_ec),
		T(test_chain_pem),          T(test_login_once),
		T(test_threads_parallel),   T(test_threads_serial),
		T(test_recovery),           T(test_recovery_under_load),
		T(test_after_shutdown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
