/* Unit tests for signer/validate/ks_trust: anchors from files and
 * folders (PEM bundles, DER, refused end-entity certificates, duplicates,
 * limits), the listing's facts (the fingerprint OpenSSL prints), the
 * per-validation pool and path building through the test PKI. */
#include "ks_test.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ks_io.h"
#include "rev_pki.h"
#include "signer/validate/ks_trust.h"

static char dir[64];

static const char *tmp_path(const char *name)
{
	static char slots[4][200];
	static unsigned next;
	char *s = slots[next++ % 4];

	snprintf(s, 200, "%s/%s", dir, name);
	return s;
}

static void copy_file(const char *from, const char *to)
{
	struct ks_buf b;

	ks_buf_init(&b, 1 << 20);
	assert_ok(ks_file_read(from, 1 << 20, &b));
	assert_ok(ks_file_write_atomic(to, b.data, b.len, 0644));
	ks_buf_cleanup(&b);
}

static int setup(void **state)
{
	(void)state;
	if (access(ks_test_pki("root.pem"), R_OK) != 0) {
		fprintf(stderr, "# test PKI missing: run `make pki`\n");
		return -1;
	}
	snprintf(dir, sizeof(dir), "/tmp/kyso-trust.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static bool has_note(const struct ks_trust *t, enum ks_trust_note_kind kind, const char *words)
{
	size_t i;

	for (i = 0; i < ks_trust_note_count(t); i++)
		if (ks_trust_note(t, i)->kind == kind && strstr(ks_trust_note(t, i)->text, words))
			return true;
	return false;
}

static void test_files(void **state)
{
	struct ks_trust *t = NULL;
	struct ks_trust_cert_info info;
	char cmd[4400], line[200];
	FILE *p;

	(void)state;
	assert_ok(ks_trust_new(&t));
	assert_ok(ks_trust_add_anchors(t, ks_test_pki("root.pem")));
	assert_int_equal(ks_trust_anchor_count(t), 1);
	assert_ok(ks_trust_cert_info(ks_trust_anchor(t, 0), 0, &info));
	assert_non_null(strstr(info.subject, "CN = Test National Root CA"));
	assert_true(info.valid_now);
	assert_true(info.not_before < info.not_after);
	assert_string_equal(ks_trust_anchor_source(t, 0), ks_test_pki("root.pem"));
	/* The fingerprint is the one `openssl x509 -fingerprint -sha256` prints. */
	snprintf(cmd, sizeof(cmd), "openssl x509 -noout -fingerprint -sha256 -in '%s'",
		 ks_test_pki("root.pem"));
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	assert_non_null(strchr(line, '='));
	assert_string_equal(strchr(line, '=') + 1, info.sha256);
	/* A bundle of two, and the root again as DER: a duplicate, noted. */
	assert_ok(ks_trust_add_anchors(t, ks_test_pki("cas.pem")));
	assert_ok(ks_trust_add_anchors(t, ks_test_pki("root.der")));
	assert_int_equal(ks_trust_anchor_count(t), 3);
	assert_true(has_note(t, KS_TRUST_NOTE_DUPLICATE, "root.der"));
	/* The configuration's list of paths. */
	{
		const char *paths[] = { ks_test_pki("gov-ca.der"),
					ks_test_pki("lookalike-root.pem") };

		assert_ok(ks_trust_add_anchor_paths(t, paths, 2));
	}
	assert_int_equal(ks_trust_anchor_count(t), 4);
	ks_trust_free(t);
	ks_trust_free(NULL);
}

static void test_refusals(void **state)
{
	struct ks_trust *t = NULL;
	X509 *ee = rp_load_cert("teacher-rsa.cert.pem");
	struct ks_buf big;

	(void)state;
	assert_non_null(ee);
	assert_ok(ks_trust_new(&t));
	/* An end-entity certificate is no anchor. */
	assert_fails_with(ks_trust_add_anchors(t, ks_test_pki("teacher-rsa.cert.pem")),
			  KS_ERR_NOT_FOUND);
	assert_non_null(strstr(ks_err_msg(), "not a CA certificate"));
	assert_true(has_note(t, KS_TRUST_NOTE_NOT_CA, "teacher-rsa.cert.pem"));
	assert_fails_with(ks_trust_add_anchor_cert(t, ee, "memory"), KS_ERR_CERT);
	/* Nothing there, not a certificate, too big, empty folder. */
	assert_fails_with(ks_trust_add_anchors(t, tmp_path("missing.pem")), KS_ERR_IO);
	assert_fails_with(ks_trust_add_anchors(t, ""), KS_ERR_ARG);
	assert_ok(ks_file_write_atomic(tmp_path("junk.pem"), "not a certificate\n", 18, 0644));
	assert_fails_with(ks_trust_add_anchors(t, tmp_path("junk.pem")), KS_ERR_CERT);
	ks_buf_init(&big, KS_TRUST_FILE_MAX + 2);
	while (big.len <= KS_TRUST_FILE_MAX)
		assert_ok(ks_buf_append_byte(&big, 'A'));
	assert_ok(ks_file_write_atomic(tmp_path("big.pem"), big.data, big.len, 0644));
	assert_fails_with(ks_trust_add_anchors(t, tmp_path("big.pem")), KS_ERR_LIMIT);
	ks_buf_cleanup(&big);
	assert_int_equal(mkdir(tmp_path("empty"), 0755), 0);
	assert_fails_with(ks_trust_add_anchors(t, tmp_path("empty")), KS_ERR_NOT_FOUND);
	assert_int_equal(ks_trust_anchor_count(t), 0);
	ks_trust_free(t);
	X509_free(ee);
}

/* A folder: every *.pem, *.crt, *.cer, *.der, in name order; other files
 * and hidden ones ignored; unreadable ones and end entities noted. */
static void test_folder(void **state)
{
	struct ks_trust *t = NULL;
	struct ks_trust_cert_info info;
	struct ks_buf big;

	(void)state;
	assert_int_equal(mkdir(tmp_path("roots"), 0755), 0);
	copy_file(ks_test_pki("root.pem"), tmp_path("roots/b-root.pem"));
	copy_file(ks_test_pki("public-ca.der"), tmp_path("roots/a-public.DER"));
	copy_file(ks_test_pki("gov-ca.pem"), tmp_path("roots/c-gov.crt"));
	copy_file(ks_test_pki("lookalike-root.pem"), tmp_path("roots/.hidden.pem"));
	copy_file(ks_test_pki("lookalike-root.pem"), tmp_path("roots/readme.txt"));
	copy_file(ks_test_pki("teacher-rsa.cert.pem"), tmp_path("roots/d-teacher.cer"));
	copy_file(ks_test_pki("root.key.pem"), tmp_path("roots/e-key.pem"));
	ks_buf_init(&big, KS_TRUST_FILE_MAX + 2);
	while (big.len <= KS_TRUST_FILE_MAX)
		assert_ok(ks_buf_append_byte(&big, 'A'));
	assert_ok(ks_file_write_atomic(tmp_path("roots/f-big.pem"), big.data, big.len, 0644));
	ks_buf_cleanup(&big);
	assert_ok(ks_trust_new(&t));
	assert_ok(ks_trust_add_anchors(t, tmp_path("roots")));
	assert_int_equal(ks_trust_anchor_count(t), 3);
	assert_ok(ks_trust_cert_info(ks_trust_anchor(t, 0), 0, &info));
	assert_non_null(strstr(info.subject, "Test Public CA"));
	assert_non_null(strstr(ks_trust_anchor_source(t, 0), "a-public.DER"));
	assert_true(has_note(t, KS_TRUST_NOTE_NOT_CA, "d-teacher.cer"));
	assert_true(has_note(t, KS_TRUST_NOTE_SKIPPED, "e-key.pem"));
	assert_true(has_note(t, KS_TRUST_NOTE_SKIPPED, "f-big.pem"));
	assert_int_equal(ks_trust_note_count(t), 3);
	assert_null(ks_trust_note(t, 3));
	assert_null(ks_trust_anchor(t, 3));
	ks_trust_free(t);
}

/* Self-signed CA certificates made here, distinct by serial. */
static X509 *make_ca(EVP_PKEY *key, long serial, long from, long to)
{
	struct rp_cert_spec s;

	memset(&s, 0, sizeof(s));
	s.cn = "Made CA";
	s.key = key;
	s.bc = "critical,CA:TRUE";
	s.ku = "critical,keyCertSign,cRLSign";
	s.serial = serial;
	s.from = from;
	s.to = to;
	return rp_cert(&s);
}

static void test_limits(void **state)
{
	struct ks_trust *t = NULL;
	struct ks_trust_pool *pool = NULL;
	EVP_PKEY *key = rp_eckey();
	X509 *x;
	long i;

	(void)state;
	assert_ok(ks_trust_new(&t));
	for (i = 0; i < KS_TRUST_CERTS_MAX; i++) {
		x = make_ca(key, 1000 + i, 0, 0);
		assert_non_null(x);
		assert_ok(ks_trust_add_anchor_cert(t, x, "memory"));
		X509_free(x);
	}
	x = make_ca(key, 5000, 0, 0);
	assert_fails_with(ks_trust_add_anchor_cert(t, x, "memory"), KS_ERR_LIMIT);
	X509_free(x);
	ks_trust_free(t);
	/* One validation adds at most KS_TRUST_POOL_MAX. */
	assert_ok(ks_trust_new(&t));
	assert_ok(ks_trust_pool_new(t, &pool));
	for (i = 0; i < KS_TRUST_POOL_MAX; i++) {
		x = make_ca(key, 7000 + i, 0, 0);
		assert_ok(ks_trust_pool_add(pool, x));
		assert_ok(ks_trust_pool_add(pool, x)); /* again: not counted */
		X509_free(x);
	}
	x = make_ca(key, 9999, 0, 0);
	assert_fails_with(ks_trust_pool_add(pool, x), KS_ERR_LIMIT);
	X509_free(x);
	ks_trust_pool_free(pool);
	/* An anchor outside its validity period is kept, and said to be. */
	x = make_ca(key, 4, -10 * 86400, -86400);
	assert_ok(ks_trust_add_anchor_cert(t, x, "memory"));
	assert_true(has_note(t, KS_TRUST_NOTE_EXPIRED, "Made CA"));
	X509_free(x);
	ks_trust_free(t);
	EVP_PKEY_free(key);
}

static void test_paths(void **state)
{
	struct ks_trust *t = NULL;
	struct ks_trust_pool *pool = NULL;
	struct ks_trust_path path;
	struct ks_buf der;
	X509 *teacher = rp_load_cert("teacher-rsa.cert.pem");
	X509 *look = rp_load_cert("lookalike-rsa.cert.pem");
	X509 *expired = rp_load_cert("expired-rsa.cert.pem");
	X509 *public_ca = rp_load_cert("public-ca.pem");
	STACK_OF(X509) *look_chain = NULL;
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };

	(void)state;
	ks_trust_path_init(&path);
	assert_ok(ks_trust_new(&t));
	assert_ok(ks_trust_add_anchors(t, ks_test_pki("root.pem")));
	assert_ok(ks_trust_pool_new(t, &pool));
	/* No intermediate yet: no path, and no issuer to be found. */
	assert_ok(ks_trust_pool_chain(pool, teacher, 0, &path));
	assert_false(path.ok);
	assert_int_equal(path.error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	assert_null(path.chain);
	assert_null(ks_trust_pool_find_issuer(pool, teacher));
	/* The document carries the Public CA's certificate (DER). */
	ks_buf_init(&der, 1 << 16);
	assert_ok(ks_file_read(ks_test_pki("public-ca.der"), 1 << 16, &der));
	assert_fails_with(ks_trust_pool_add_der(pool, junk, sizeof(junk)), KS_ERR_PARSE);
	assert_fails_with(ks_trust_pool_add_der(pool, der.data, der.len - 1), KS_ERR_PARSE);
	assert_fails_with(ks_trust_pool_add_der(pool, der.data, KS_TRUST_CERT_DER_MAX + 1),
			  KS_ERR_LIMIT);
	assert_ok(ks_trust_pool_add_der(pool, der.data, der.len));
	assert_ok(ks_trust_pool_chain(pool, teacher, 0, &path));
	assert_true(path.ok);
	assert_int_equal(sk_X509_num(path.chain), 3);
	assert_int_equal(X509_cmp(sk_X509_value(path.chain, 0), teacher), 0);
	assert_int_equal(X509_cmp(ks_trust_pool_find_issuer(pool, teacher), public_ca), 0);
	/* The root's own issuer is the root, an anchor. */
	assert_non_null(ks_trust_pool_find_issuer(pool, public_ca));
	/* Expired: no path now, a path at a time it was valid. */
	assert_ok(ks_trust_pool_chain(pool, expired, 0, &path));
	assert_false(path.ok);
	assert_int_equal(path.error, X509_V_ERR_CERT_HAS_EXPIRED);
	assert_ok(ks_trust_pool_chain(pool, expired, 1593561600 /* 2020-07-01 */, &path));
	assert_true(path.ok);
	/* The look-alike chain (same names, other keys) goes nowhere. */
	assert_ok(ks_pem_load_certs(ks_test_pki("lookalike-rsa.chain.pem"), &look_chain));
	assert_ok(ks_trust_pool_add_stack(pool, look_chain));
	assert_ok(ks_trust_pool_chain(pool, look, 0, &path));
	assert_false(path.ok);
	assert_non_null(strstr(path.detail, "certificate path"));
	ks_trust_pool_free(pool);
	/* Intermediates from a configured file; an anchor need not be
	 * self-signed (RFC 5280 6.1.1 (d)). */
	assert_ok(ks_trust_add_intermediates(t, ks_test_pki("cas.pem")));
	assert_int_equal(ks_trust_intermediate_count(t), 2);
	assert_ok(ks_trust_pool_new(t, &pool));
	assert_ok(ks_trust_pool_chain(pool, teacher, 0, &path));
	assert_true(path.ok);
	ks_trust_pool_free(pool);
	ks_trust_free(t);
	assert_ok(ks_trust_new(&t));
	assert_ok(ks_trust_add_anchors(t, ks_test_pki("public-ca.pem")));
	assert_ok(ks_trust_pool_new(t, &pool));
	assert_ok(ks_trust_pool_chain(pool, teacher, 0, &path));
	assert_true(path.ok);
	assert_int_equal(sk_X509_num(path.chain), 2);
	ks_trust_path_cleanup(&path);
	ks_trust_pool_free(pool);
	ks_trust_free(t);
	ks_buf_cleanup(&der);
	sk_X509_pop_free(look_chain, X509_free);
	X509_free(teacher);
	X509_free(look);
	X509_free(expired);
	X509_free(public_ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files),  cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_folder), cmocka_unit_test(test_limits),
		cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
