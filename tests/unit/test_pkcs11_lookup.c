/* Certificate lookup, chains, multi-token URIs and key attributes on
 * SoftHSM2 tokens this test builds for itself (its own SOFTHSM2_CONF in a
 * temporary directory, keys imported with softhsm2-util, certificates
 * written with pkcs11-tool), because each case needs a token laid out in
 * a way the shared test PKI must not be:
 *
 *   token lookup-a: ca (CA certificate), rsa-otherid (certificate under
 *     another CKA_ID: found by public key), ec-otherid (same, EC: the
 *     point comes from the public key object), nocert (certificate only in
 *     the caller's PEM), wrongcert (the certificate with its CKA_ID holds
 *     another key), renewed (an expired and a valid certificate), dup,
 *     nosign (CKA_SIGN false), aauth (CKA_ALWAYS_AUTHENTICATE);
 *   token lookup-b: dup (same label as on lookup-a), only-b. */
#include "ks_test.h"

#include <dlfcn.h>
#include <ftw.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define CRYPTOKI_GNU 1
#include <p11-kit/pkcs11.h>

#include "ks_key.h"
#include "pkcs11/ks_p11.h"

#define PIN "4321"
#define SO_PIN "87654321"

static char dir[] = "/tmp/kyso-p11lookup-XXXXXX";
static const char *module;
static EVP_PKEY *ca_key;
static X509 *ca_cert;
/* Keys and certificates kept to compare with what the lookup finds. */
static X509 *cert_rsa_otherid, *cert_ec_otherid, *cert_nocert, *cert_wrongcert, *cert_valid;

static const char *path_in(const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static int run(const char *fmt, ...) KS_PRINTF(1, 2);
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

static EVP_PKEY *new_key(bool ec)
{
	return ec ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
		  : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
}

/* A certificate for `pub`, issued by the test CA (or self-signed when
 * issuer is NULL), valid from now+from to now+to seconds. */
static X509 *make_cert(EVP_PKEY *pub, const char *cn, long from, long to, bool ca, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	if (x == NULL || name == NULL)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, ca_cert != NULL ? X509_get_subject_name(ca_cert) : name);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, pub);
	X509V3_set_ctx(&ctx, ca_cert != NULL ? ca_cert : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
				  ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
				  ca ? "critical,keyCertSign,cRLSign"
				     : "critical,digitalSignature,nonRepudiation");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, ca_key, EVP_sha256());
	X509_NAME_free(name);
	return x;
}

static void write_key(EVP_PKEY *k, const char *file)
{
	FILE *f = fopen(path_in(file), "w");

	if (f == NULL || PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1)
		abort();
	fclose(f);
}

static void write_cert(X509 *x, const char *file, bool pem)
{
	FILE *f = fopen(path_in(file), "w");

	if (f == NULL || (pem ? PEM_write_X509(f, x) : i2d_X509_fp(f, x)) != 1)
		abort();
	fclose(f);
}

static int import_key(const char *token, EVP_PKEY *k, const char *label, const char *id)
{
	char file[64];

	snprintf(file, sizeof(file), "%s-%s.pem", token, label);
	write_key(k, file);
	return run("softhsm2-util --import %s --token %s --label %s --id %s --pin " PIN
		   " >/dev/null",
		   path_in(file), token, label, id);
}

static int put_cert(const char *token, X509 *x, const char *label, const char *id)
{
	char file[64];

	snprintf(file, sizeof(file), "%s-%s-%s.der", token, label, id);
	write_cert(x, file, false);
	return run("pkcs11-tool --module %s --token-label %s --login --pin " PIN
		   " --write-object %s --type cert --id %s --label %s >/dev/null 2>&1",
		   module, token, path_in(file), id, label);
}

static int delete_pub(const char *token, const char *id)
{
	return run("pkcs11-tool --module %s --token-label %s --login --pin " PIN
		   " --delete-object --type pubkey --id %s >/dev/null 2>&1",
		   module, token, id);
}

/* Set CKA_SIGN false on the key labelled `label` through the module
 * itself (no tool offers it), before the code under test starts. */
static int clear_sign(const char *token, const char *label)
{
	void *h = dlopen(module, RTLD_NOW);
	ck_rv_t (*get)(struct ck_function_list **);
	struct ck_function_list *fl = NULL;
	ck_slot_id_t slots[16];
	unsigned long ns = 16, i, got = 0;
	ck_session_handle_t s;
	ck_object_class_t cls = CKO_PRIVATE_KEY;
	unsigned char no = 0;
	struct ck_attribute t[2] = { { CKA_CLASS, &cls, sizeof(cls) },
				     { CKA_LABEL, (void *)label, strlen(label) } };
	struct ck_attribute set = { CKA_SIGN, &no, 1 };
	ck_object_handle_t obj;
	struct ck_token_info ti;
	int rc = -1;

	if (h == NULL)
		return -1;
	*(void **)&get = dlsym(h, "C_GetFunctionList");
	if (get == NULL || get(&fl) != CKR_OK || fl->C_Initialize(NULL) != CKR_OK)
		goto out;
	if (fl->C_GetSlotList(1, slots, &ns) != CKR_OK)
		goto fin;
	for (i = 0; i < ns; i++) {
		if (fl->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, token, strlen(token)) == 0 && ti.label[strlen(token)] == ' ')
			break;
	}
	if (i == ns || fl->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
					 &s) != CKR_OK)
		goto fin;
	if (fl->C_Login(s, CKU_USER, (unsigned char *)PIN, 4) == CKR_OK &&
	    fl->C_FindObjectsInit(s, t, 2) == CKR_OK &&
	    fl->C_FindObjects(s, &obj, 1, &got) == CKR_OK && fl->C_FindObjectsFinal(s) == CKR_OK &&
	    got == 1 && fl->C_SetAttributeValue(s, obj, &set, 1) == CKR_OK)
		rc = 0;
	fl->C_CloseSession(s);
fin:
	fl->C_Finalize(NULL);
out:
	dlclose(h);
	return rc;
}

static int setup(void **state)
{
	EVP_PKEY *k_rsa1, *k_ec, *k_nocert, *k_wrong, *k_renew, *k_dup_a, *k_dup_b, *k_only_b,
	    *k_nosign, *k_aauth;
	X509 *x;
	FILE *f;
	int rc = -1;

	(void)state;
	module = getenv("KYSO_SOFTHSM_MODULE");
	if (module == NULL)
		module = "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so";
	if (mkdtemp(dir) == NULL)
		return -1;
	mkdir(path_in("tokens"), 0700);
	f = fopen(path_in("softhsm2.conf"), "w");
	if (f == NULL)
		return -1;
	fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
		path_in("tokens"));
	fclose(f);
	setenv("SOFTHSM2_CONF", path_in("softhsm2.conf"), 1);
	/* Only SoftHSM, by path: the registry could hold other modules. */
	setenv("KYSO_PKCS11_REGISTRY", "0", 1);
	setenv("KYSO_PKCS11_MODULE", module, 1);
	unsetenv("KYSO_PIN");

	ca_key = new_key(false);
	ca_cert = make_cert(ca_key, "Lookup Test CA", -3600, 86400, true, 1);
	k_rsa1 = new_key(false);
	k_ec = new_key(true);
	k_nocert = new_key(false);
	k_wrong = new_key(false);
	k_renew = new_key(true);
	k_dup_a = new_key(true);
	k_dup_b = new_key(true);
	k_only_b = new_key(true);
	k_nosign = new_key(true);
	k_aauth = new_key(false);
	cert_rsa_otherid = make_cert(k_rsa1, "RSA other id", -60, 86400, false, 2);
	cert_ec_otherid = make_cert(k_ec, "EC other id", -60, 86400, false, 3);
	cert_nocert = make_cert(k_nocert, "Only in PEM", -60, 86400, false, 4);
	cert_wrongcert = make_cert(k_wrong, "Its own certificate", -60, 86400, false, 5);
	cert_valid = make_cert(k_renew, "Renewed (valid)", -60, 86400, false, 7);
	write_cert(ca_cert, "ca.pem", true);
	write_cert(cert_nocert, "nocert.pem", true);

	if (run("softhsm2-util --init-token --free --label lookup-a --pin " PIN " --so-pin " SO_PIN
		" >/dev/null") != 0 ||
	    run("softhsm2-util --init-token --free --label lookup-b --pin " PIN " --so-pin " SO_PIN
		" >/dev/null") != 0)
		goto out;
	if (put_cert("lookup-a", ca_cert, "ca", "ca") != 0 ||
	    import_key("lookup-a", k_rsa1, "rsa-otherid", "01") != 0 ||
	    put_cert("lookup-a", cert_rsa_otherid, "rsa-cert", "99") != 0 ||
	    /* Without the public key object the RSA modulus still comes from
	     * the private key itself. */
	    delete_pub("lookup-a", "01") != 0 ||
	    import_key("lookup-a", k_ec, "ec-otherid", "02") != 0 ||
	    put_cert("lookup-a", cert_ec_otherid, "ec-cert", "98") != 0 ||
	    import_key("lookup-a", k_nocert, "nocert", "03") != 0 ||
	    import_key("lookup-a", k_wrong, "wrongcert", "04") != 0 ||
	    put_cert("lookup-a", cert_rsa_otherid, "wrongcert", "04") != 0 ||
	    put_cert("lookup-a", cert_wrongcert, "own-cert", "97") != 0 ||
	    import_key("lookup-a", k_renew, "renewed", "08") != 0)
		goto out;
	/* Two certificates for one key (renewal): an expired one and the
	 * current one, same CKA_ID. */
	x = make_cert(k_renew, "Renewed (expired)", -7200, -3600, false, 6);
	rc = put_cert("lookup-a", x, "renewed", "08");
	X509_free(x);
	if (rc != 0 || put_cert("lookup-a", cert_valid, "renewed", "08") != 0)
		goto out;
	rc = -1;
	x = make_cert(k_dup_a, "Dup A", -60, 86400, false, 8);
	if (import_key("lookup-a", k_dup_a, "dup", "05") != 0 ||
	    put_cert("lookup-a", x, "dup", "05") != 0)
		goto out;
	X509_free(x);
	x = make_cert(k_nosign, "No sign", -60, 86400, false, 9);
	if (import_key("lookup-a", k_nosign, "nosign", "06") != 0 ||
	    put_cert("lookup-a", x, "nosign", "06") != 0)
		goto out;
	X509_free(x);
	x = make_cert(k_aauth, "Always authenticate", -60, 86400, false, 10);
	write_key(k_aauth, "aauth.pem");
	if (run("cd %s && openssl pkey -in aauth.pem -outform DER -out aauth.der", dir) != 0 ||
	    run("pkcs11-tool --module %s --token-label lookup-a --login --pin " PIN
		" --write-object %s --type privkey --id 0a --label aauth --usage-sign "
		"--always-auth "
		">/dev/null 2>&1",
		module, path_in("aauth.der")) != 0 ||
	    put_cert("lookup-a", x, "aauth", "0a") != 0)
		goto out;
	X509_free(x);
	x = make_cert(k_dup_b, "Dup B", -60, 86400, false, 11);
	if (import_key("lookup-b", k_dup_b, "dup", "05") != 0 ||
	    put_cert("lookup-b", x, "dup", "05") != 0)
		goto out;
	X509_free(x);
	x = make_cert(k_only_b, "Only B", -60, 86400, false, 12);
	if (import_key("lookup-b", k_only_b, "only-b", "07") != 0 ||
	    put_cert("lookup-b", x, "only-b", "07") != 0)
		goto out;
	X509_free(x);
	x = NULL;
	if (clear_sign("lookup-a", "nosign") != 0)
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(k_rsa1);
	EVP_PKEY_free(k_ec);
	EVP_PKEY_free(k_nocert);
	EVP_PKEY_free(k_wrong);
	EVP_PKEY_free(k_renew);
	EVP_PKEY_free(k_dup_a);
	EVP_PKEY_free(k_dup_b);
	EVP_PKEY_free(k_only_b);
	EVP_PKEY_free(k_nosign);
	EVP_PKEY_free(k_aauth);
	return rc;
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
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	X509_free(ca_cert);
	X509_free(cert_rsa_otherid);
	X509_free(cert_ec_otherid);
	X509_free(cert_nocert);
	X509_free(cert_wrongcert);
	X509_free(cert_valid);
	EVP_PKEY_free(ca_key);
	return 0;
}

static struct ks_key *open_ok(const char *uri, const char *chain)
{
	struct ks_key *key = NULL;

	if (ks_p11_key_open(uri, chain, &key) != 0)
		fail_msg("open %s: %s", uri, ks_err_msg());
	return key;
}

static void sign_check(struct ks_key *key)
{
	struct ks_buf dg, sig;
	enum ks_sig_scheme sch = ks_key_default_scheme(key);

	ks_buf_init(&dg, 64);
	ks_buf_init(&sig, 1024);
	assert_ok(ks_md_digest(KS_MD_SHA256, "lookup", 6, &dg));
	assert_ok(ks_key_sign(key, sch, KS_MD_SHA256, dg.data, dg.len, &sig));
	assert_ok(
	    ks_key_verify_digest(key->cert, sch, KS_MD_SHA256, dg.data, dg.len, sig.data, sig.len));
	ks_buf_cleanup(&dg);
	ks_buf_cleanup(&sig);
}

static bool chain_has(struct ks_key *key, X509 *x)
{
	int i;

	for (i = 0; i < sk_X509_num(key->chain); i++)
		if (X509_cmp(sk_X509_value(key->chain, i), x) == 0)
			return true;
	return false;
}

#define A(path) ("pkcs11:token=lookup-a;" path "?pin-value=" PIN)

static void test_cert_by_public_key(void **state)
{
	struct ks_key *key;

	(void)state;
	/* RSA: no certificate with CKA_ID 01, no public key object: the
	 * modulus of the private key finds it. */
	key = open_ok(A("object=rsa-otherid"), NULL);
	assert_int_equal(X509_cmp(key->cert, cert_rsa_otherid), 0);
	/* The CA certificate on the token is the chain. */
	assert_true(chain_has(key, ca_cert));
	sign_check(key);
	ks_key_free(key);
	/* EC: the point comes from the public key object. */
	key = open_ok(A("object=ec-otherid"), NULL);
	assert_int_equal(X509_cmp(key->cert, cert_ec_otherid), 0);
	sign_check(key);
	ks_key_free(key);
}

static void test_cert_mismatched_id(void **state)
{
	struct ks_key *key;

	(void)state;
	/* The certificate under the key's CKA_ID belongs to another key:
	 * not taken; the key's own certificate is found by public key. */
	key = open_ok(A("object=wrongcert"), NULL);
	assert_int_equal(X509_cmp(key->cert, cert_wrongcert), 0);
	sign_check(key);
	ks_key_free(key);
}

static void test_cert_from_pem(void **state)
{
	struct ks_key *key = NULL;
	char chain[600];

	(void)state;
	assert_fails_with(ks_p11_key_open(A("object=nocert"), NULL, &key), KS_ERR_NOT_FOUND);
	assert_non_null(strstr(ks_err_msg(), "no certificate"));
	/* The caller's PEM holds the certificate (and the CA). */
	snprintf(chain, sizeof(chain), "%s", path_in("nocert.pem"));
	key = open_ok(A("object=nocert"), chain);
	assert_int_equal(X509_cmp(key->cert, cert_nocert), 0);
	assert_true(chain_has(key, ca_cert)); /* from the token */
	sign_check(key);
	ks_key_free(key);
}

static void test_renewed_cert(void **state)
{
	struct ks_key *key;

	(void)state;
	key = open_ok(A("object=renewed"), NULL);
	/* Of two certificates for the key, the one valid now. */
	assert_int_equal(X509_cmp(key->cert, cert_valid), 0);
	ks_key_free(key);
}

static void test_multi_token(void **state)
{
	struct ks_key *key = NULL;
	const char *msg;

	(void)state;
	/* "dup" exists on both tokens: refused, both tokens named. */
	assert_fails_with(ks_p11_key_open("pkcs11:object=dup?pin-value=" PIN, NULL, &key),
			  KS_ERR_AMBIGUOUS);
	msg = ks_err_msg();
	assert_non_null(strstr(msg, "lookup-a"));
	assert_non_null(strstr(msg, "lookup-b"));
	assert_null(key);
	/* Named with its token: fine. */
	key = open_ok("pkcs11:token=lookup-b;object=dup?pin-value=" PIN, NULL);
	sign_check(key);
	ks_key_free(key);
	/* A label on one token only needs no token= (found without login
	 * through its certificate). */
	key = open_ok("pkcs11:object=only-b;type=private?pin-value=" PIN, NULL);
	assert_non_null(strstr(key->label, "token=lookup-b"));
	ks_key_free(key);
	assert_fails_with(ks_p11_key_open("pkcs11:object=nowhere?pin-value=" PIN, NULL, &key),
			  KS_ERR_AMBIGUOUS);
	/* Tokens listed. */
	{
		struct ks_p11_token_info *t = NULL;
		size_t n = 0;

		assert_ok(ks_p11_list_tokens(NULL, &t, &n));
		assert_true(n >= 2);
		free(t);
	}
}

static void test_key_attributes(void **state)
{
	struct ks_key *key = NULL;

	(void)state;
	assert_fails_with(ks_p11_key_open(A("object=nosign"), NULL, &key), KS_ERR_UNSUPPORTED);
	assert_non_null(strstr(ks_err_msg(), "CKA_SIGN"));
	/* CKA_ALWAYS_AUTHENTICATE: a context-specific login before every
	 * signature, with the PIN kept from the first login. */
	key = open_ok(A("object=aauth"), NULL);
	sign_check(key);
	sign_check(key);
	ks_key_free(key);
}

static void test_list_lookup(void **state)
{
	struct ks_p11_key_info *v = NULL;
	size_t n = 0, i;
	bool seen_nocert = false, seen_rsa = false;

	(void)state;
	assert_ok(ks_p11_list_keys("pkcs11:token=lookup-a?pin-value=" PIN, &v, &n));
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].label, "nocert") == 0) {
			seen_nocert = true;
			assert_null(v[i].cert);
			assert_int_equal(v[i].type, KS_KEY_RSA);
		}
		if (strcmp(v[i].label, "rsa-otherid") == 0) {
			seen_rsa = true;
			assert_non_null(v[i].cert);
			assert_int_equal(X509_cmp(v[i].cert, cert_rsa_otherid), 0);
		}
	}
	assert_true(seen_nocert);
	assert_true(seen_rsa);
	ks_p11_key_info_free(v, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_by_public_key),
		cmocka_unit_test(test_cert_mismatched_id),
		cmocka_unit_test(test_cert_from_pem),
		cmocka_unit_test(test_renewed_cert),
		cmocka_unit_test(test_multi_token),
		cmocka_unit_test(test_key_attributes),
		cmocka_unit_test(test_list_lookup),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
