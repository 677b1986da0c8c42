/* Unit tests for core/ks_key: digests, DigestInfo, ECDSA conversion, and
 * the file key (PEM and PKCS#12), every signature checked independently
 * with OpenSSL.
 *
 * Key material comes from the test PKI (`make pki`, build/pki or
 * KYSO_PKI_DIR).  When it has not been built, the group setup generates
 * an equivalent throw-away PKI in a temporary directory, so the tests
 * never depend on build order. */
#include "ks_test.h"

#include <fcntl.h>
#include <ftw.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <unistd.h>

#include "ks_io.h"
#include "ks_key.h"

#define PATH_LEN 600

static struct {
	char tmp[256]; /* scratch directory for hostile files */
	bool generated;
	char rsa_key[PATH_LEN], rsa_cert[PATH_LEN], rsa_chain[PATH_LEN], rsa_p12[PATH_LEN];
	char ec_key[PATH_LEN], ec_cert[PATH_LEN], ec_chain[PATH_LEN];
	char teacher_cert[PATH_LEN];
	char p12_pass[128];
} pki;

static const enum ks_md all_mds[] = { KS_MD_SHA256, KS_MD_SHA384, KS_MD_SHA512 };

/* ---- helpers ---- */

static const char *tmp_path(const char *name)
{
	static char path[PATH_LEN];

	snprintf(path, sizeof(path), "%s/%s", pki.tmp, name);
	return path;
}

static void set_path(char *dst, const char *dir, const char *name)
{
	snprintf(dst, PATH_LEN, "%s/%s", dir, name);
}

static bool file_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	if (n > 0)
		assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static X509 *load_cert(const char *path)
{
	STACK_OF(X509) *sk = NULL;
	X509 *x;

	assert_ok(ks_pem_load_certs(path, &sk));
	x = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return x;
}

static int count_certs(const char *path)
{
	STACK_OF(X509) *sk = NULL;
	int n;

	assert_ok(ks_pem_load_certs(path, &sk));
	n = sk_X509_num(sk);
	sk_X509_pop_free(sk, X509_free);
	return n;
}

/* Some fixed, non-trivial digest of the right length. */
static void fill_digest(uint8_t *d, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = (uint8_t)(seed + i * 13);
}

/* Independent check with the OpenSSL API (not through ks_key).  padding 0
 * means ECDSA.  Returns EVP_PKEY_verify's result. */
static int ossl_verify(X509 *cert, int padding, enum ks_md md, const uint8_t *digest, size_t dlen,
		       const uint8_t *sig, size_t slen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(X509_get0_pubkey(cert), NULL);
	const EVP_MD *evp = md == KS_MD_SHA256   ? EVP_sha256()
			    : md == KS_MD_SHA384 ? EVP_sha384()
						 : EVP_sha512();
	int v;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	assert_true(EVP_PKEY_CTX_set_signature_md(ctx, evp) > 0);
	if (padding != 0)
		assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, padding) > 0);
	if (padding == RSA_PKCS1_PSS_PADDING) {
		/* Salt as long as the hash, MGF1 with the same hash. */
		assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, EVP_MD_get_size(evp)) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, evp) > 0);
	}
	v = EVP_PKEY_verify(ctx, sig, slen, digest, dlen);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return v;
}

/* DigestInfo as OpenSSL itself encodes it (X509_SIG is the same ASN.1). */
static void ossl_digestinfo(int nid, const uint8_t *d, size_t n, uint8_t **der, int *len)
{
	X509_SIG *s = X509_SIG_new();
	X509_ALGOR *alg = NULL;
	ASN1_OCTET_STRING *os = NULL;

	assert_non_null(s);
	X509_SIG_getm(s, &alg, &os);
	assert_int_equal(X509_ALGOR_set0(alg, OBJ_nid2obj(nid), V_ASN1_NULL, NULL), 1);
	assert_int_equal(ASN1_OCTET_STRING_set(os, d, (int)n), 1);
	*der = NULL;
	*len = i2d_X509_SIG(s, der);
	assert_true(*len > 0);
	X509_SIG_free(s);
}

/* ---- a throw-away PKI when build/pki is absent ---- */

static X509 *gen_cert(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		      long serial)
{
	X509 *x = X509_new();
	X509_NAME *name;

	if (x == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), serial) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) == NULL)
		goto fail;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
				       0) != 1 ||
	    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) != 1 ||
	    X509_set_pubkey(x, pub) != 1 || X509_sign(x, issuer_key, EVP_sha256()) <= 0)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static int write_key_pem(const char *path, EVP_PKEY *k)
{
	BIO *b = BIO_new_file(path, "w");
	int ok = b != NULL && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1;

	BIO_free(b);
	return ok ? 0 : -1;
}

static int write_certs_pem(const char *path, X509 *a, X509 *b)
{
	BIO *bio = BIO_new_file(path, "w");
	int ok = bio != NULL && PEM_write_bio_X509(bio, a) == 1 &&
		 (b == NULL || PEM_write_bio_X509(bio, b) == 1);

	BIO_free(bio);
	return ok ? 0 : -1;
}

static int write_p12(const char *path, EVP_PKEY *k, X509 *cert, X509 *ca)
{
	STACK_OF(X509) *cas = sk_X509_new_null();
	PKCS12 *p12 = NULL;
	BIO *b = NULL;
	int ok = 0;

	if (cas == NULL || sk_X509_push(cas, ca) <= 0)
		goto out;
	p12 = PKCS12_create(pki.p12_pass, "principal", k, cert, cas, 0, 0, 0, 0, 0);
	b = BIO_new_file(path, "wb");
	ok = p12 != NULL && b != NULL && i2d_PKCS12_bio(b, p12) == 1;
out:
	sk_X509_free(cas); /* not the certificates: the caller owns them */
	PKCS12_free(p12);
	BIO_free(b);
	return ok ? 0 : -1;
}

static int generate_pki(void)
{
	EVP_PKEY *ca_key = NULL, *rsa = NULL, *ec = NULL, *teacher = NULL;
	X509 *ca = NULL, *rsa_c = NULL, *ec_c = NULL, *teacher_c = NULL;
	int rc = -1;

	ca_key = EVP_EC_gen("P-256");
	rsa = EVP_RSA_gen(2048);
	ec = EVP_EC_gen("P-256");
	teacher = EVP_RSA_gen(2048);
	if (ca_key == NULL || rsa == NULL || ec == NULL || teacher == NULL)
		goto out;
	ca = gen_cert(ca_key, "kyso unit test CA", NULL, ca_key, 1);
	if (ca == NULL)
		goto out;
	rsa_c = gen_cert(rsa, "Hiệu trưởng RSA", ca, ca_key, 2);
	ec_c = gen_cert(ec, "Hiệu trưởng EC", ca, ca_key, 3);
	teacher_c = gen_cert(teacher, "Giáo viên RSA", ca, ca_key, 4);
	if (rsa_c == NULL || ec_c == NULL || teacher_c == NULL)
		goto out;
	set_path(pki.rsa_key, pki.tmp, "principal-rsa.key.pem");
	set_path(pki.rsa_cert, pki.tmp, "principal-rsa.cert.pem");
	set_path(pki.rsa_chain, pki.tmp, "principal-rsa.chain.pem");
	set_path(pki.rsa_p12, pki.tmp, "principal-rsa.p12");
	set_path(pki.ec_key, pki.tmp, "principal-ec.key.pem");
	set_path(pki.ec_cert, pki.tmp, "principal-ec.cert.pem");
	set_path(pki.ec_chain, pki.tmp, "principal-ec.chain.pem");
	set_path(pki.teacher_cert, pki.tmp, "teacher-rsa.cert.pem");
	if (write_key_pem(pki.rsa_key, rsa) < 0 || write_certs_pem(pki.rsa_cert, rsa_c, NULL) < 0 ||
	    write_certs_pem(pki.rsa_chain, ca, NULL) < 0 ||
	    write_p12(pki.rsa_p12, rsa, rsa_c, ca) < 0 || write_key_pem(pki.ec_key, ec) < 0 ||
	    write_certs_pem(pki.ec_cert, ec_c, NULL) < 0 ||
	    write_certs_pem(pki.ec_chain, ca, NULL) < 0 ||
	    write_certs_pem(pki.teacher_cert, teacher_c, NULL) < 0)
		goto out;
	pki.generated = true;
	rc = 0;
out:
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(teacher);
	X509_free(ca);
	X509_free(rsa_c);
	X509_free(ec_c);
	X509_free(teacher_c);
	return rc;
}

static int group_setup(void **state)
{
	const char *pass = getenv("KYSO_TEST_P12_PASS");
	const char *base = getenv("TMPDIR");
	const char *dir;

	(void)state;
	snprintf(pki.p12_pass, sizeof(pki.p12_pass), "%s", pass != NULL ? pass : "kyso-test");
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(pki.tmp, sizeof(pki.tmp), "%s/kyso-test-key.XXXXXX", base);
	if (mkdtemp(pki.tmp) == NULL)
		return -1;

	/* ks_test_pki() gives build/pki (or KYSO_PKI_DIR) + name; keep its dir. */
	dir = getenv("KYSO_PKI_DIR");
	if (dir == NULL)
		dir = "build/pki";
	set_path(pki.rsa_key, dir, "principal-rsa.key.pem");
	set_path(pki.rsa_cert, dir, "principal-rsa.cert.pem");
	set_path(pki.rsa_chain, dir, "principal-rsa.chain.pem");
	set_path(pki.rsa_p12, dir, "principal-rsa.p12");
	set_path(pki.ec_key, dir, "principal-ec.key.pem");
	set_path(pki.ec_cert, dir, "principal-ec.cert.pem");
	set_path(pki.ec_chain, dir, "principal-ec.chain.pem");
	set_path(pki.teacher_cert, dir, "teacher-rsa.cert.pem");
	if (file_exists(pki.rsa_key) && file_exists(pki.rsa_cert) && file_exists(pki.rsa_chain) &&
	    file_exists(pki.rsa_p12) && file_exists(pki.ec_key) && file_exists(pki.ec_cert) &&
	    file_exists(pki.ec_chain) && file_exists(pki.teacher_cert))
		return 0;
	fprintf(stderr, "# %s: test PKI not built, using a generated one\n", dir);
	return generate_pki();
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(pki.tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* ---- digests ---- */

static void test_md_basics(void **state)
{
	enum ks_md md = KS_MD_SHA512;

	(void)state;
	assert_int_equal(ks_md_size(KS_MD_SHA256), 32);
	assert_int_equal(ks_md_size(KS_MD_SHA384), 48);
	assert_int_equal(ks_md_size(KS_MD_SHA512), 64);
	assert_int_equal(ks_md_size((enum ks_md)42), 0);
	assert_string_equal(ks_md_name(KS_MD_SHA256), "SHA-256");
	assert_string_equal(ks_md_name(KS_MD_SHA384), "SHA-384");
	assert_string_equal(ks_md_name(KS_MD_SHA512), "SHA-512");
	assert_int_equal(EVP_MD_get_type(ks_md_evp(KS_MD_SHA384)), NID_sha384);
	assert_ptr_equal(ks_md_evp(KS_MD_SHA384), ks_md_evp(KS_MD_SHA384)); /* fetched once */
	assert_null(ks_md_evp((enum ks_md)42));

	assert_ok(ks_md_parse("sha256", &md));
	assert_int_equal(md, KS_MD_SHA256);
	assert_ok(ks_md_parse("SHA-384", &md));
	assert_int_equal(md, KS_MD_SHA384);
	assert_ok(ks_md_parse("Sha512", &md));
	assert_int_equal(md, KS_MD_SHA512);
	/* SHA-1 and anything weaker or unknown is refused. */
	assert_fails_with(ks_md_parse("sha1", &md), KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_md_parse("md5", &md), KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_md_parse("", &md), KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_md_parse("sha256 ", &md), KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_md_parse("sha-2566", &md), KS_ERR_UNSUPPORTED);
	assert_int_equal(md, KS_MD_SHA512);
}

/* FIPS 180-2 appendix examples: the digests of "abc". */
static void test_md_digest(void **state)
{
	static const uint8_t abc256[] = { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
					  0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
					  0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
					  0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	static const uint8_t abc384_head[] = { 0xcb, 0x00, 0x75, 0x3f, 0x45, 0xa3, 0x5e, 0x8b };
	static const uint8_t abc512_head[] = { 0xdd, 0xaf, 0x35, 0xa1, 0x93, 0x61, 0x7a, 0xba };
	struct ks_buf out;

	(void)state;
	ks_buf_init(&out, 200);
	assert_ok(ks_buf_append_str(&out, "pre"));
	assert_ok(ks_md_digest(KS_MD_SHA256, "abc", 3, &out));
	assert_int_equal(out.len, 3 + 32);
	assert_memory_equal(out.data + 3, abc256, 32);
	ks_buf_reset(&out);
	assert_ok(ks_md_digest(KS_MD_SHA384, "abc", 3, &out));
	assert_int_equal(out.len, 48);
	assert_memory_equal(out.data, abc384_head, 8);
	ks_buf_reset(&out);
	assert_ok(ks_md_digest(KS_MD_SHA512, "abc", 3, &out));
	assert_int_equal(out.len, 64);
	assert_memory_equal(out.data, abc512_head, 8);
	ks_buf_cleanup(&out);

	/* No room: refused, nothing written. */
	ks_buf_init(&out, 40);
	assert_ok(ks_buf_append_str(&out, "0123456789"));
	assert_fails_with(ks_md_digest(KS_MD_SHA256, "abc", 3, &out), KS_ERR_LIMIT);
	assert_int_equal(out.len, 10);
	ks_buf_cleanup(&out);
}

/* ---- DigestInfo (RFC 8017 9.2) ---- */

static void test_digestinfo(void **state)
{
	static const int nids[] = { NID_sha256, NID_sha384, NID_sha512 };
	static const size_t total[] = { 51, 67, 83 };
	struct ks_buf out;
	uint8_t d[64], *der;
	size_t i;
	int len;

	(void)state;
	ks_buf_init(&out, 200);
	for (i = 0; i < 3; i++) {
		size_t n = ks_md_size(all_mds[i]);

		fill_digest(d, n, (uint8_t)i);
		ks_buf_reset(&out);
		assert_ok(ks_digestinfo(all_mds[i], d, n, &out));
		assert_int_equal(out.len, total[i]);
		ossl_digestinfo(nids[i], d, n, &der, &len);
		assert_int_equal(out.len, (size_t)len);
		assert_memory_equal(out.data, der, out.len);
		OPENSSL_free(der);
		/* The digest is the last n bytes. */
		assert_memory_equal(out.data + out.len - n, d, n);

		/* A digest of another length (e.g. of the wrong algorithm). */
		ks_buf_reset(&out);
		assert_ok(ks_buf_append_str(&out, "keep"));
		assert_fails_with(ks_digestinfo(all_mds[i], d, n - 1, &out), KS_ERR_ARG);
		assert_fails_with(ks_digestinfo(all_mds[i], d, n + 1, &out), KS_ERR_ARG);
		assert_fails_with(ks_digestinfo(all_mds[i], d, 0, &out), KS_ERR_ARG);
		assert_int_equal(out.len, 4);
	}
	assert_fails_with(ks_digestinfo(KS_MD_SHA256, d, 48, &out), KS_ERR_ARG);
	assert_fails_with(ks_digestinfo((enum ks_md)42, d, 32, &out), KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_digestinfo((enum ks_md)42, d, 0, &out), KS_ERR_UNSUPPORTED);
	assert_int_equal(out.len, 4);

	/* Output limit: nothing written on failure. */
	ks_buf_cleanup(&out);
	ks_buf_init(&out, 50);
	assert_fails_with(ks_digestinfo(KS_MD_SHA256, d, 32, &out), KS_ERR_LIMIT);
	assert_int_equal(out.len, 0); /* not even the prefix */
	ks_buf_cleanup(&out);
}

/* ---- ECDSA raw r||s -> DER (PKCS#11 CKM_ECDSA output) ---- */

static void check_raw_to_der(const uint8_t *raw, size_t n, const uint8_t *want, size_t wlen)
{
	struct ks_buf out;

	ks_buf_init(&out, 1024);
	assert_ok(ks_ecdsa_raw_to_der(raw, n, &out));
	assert_int_equal(out.len, wlen);
	assert_memory_equal(out.data, want, wlen);
	ks_buf_cleanup(&out);
}

static void test_ecdsa_raw_vectors(void **state)
{
	/* High bit set: DER INTEGER needs a leading zero to stay positive. */
	static const uint8_t raw1[] = { 0x80, 0x01 };
	static const uint8_t der1[] = { 0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x01 };
	/* Leading zero bytes of r and s are dropped (minimal encoding). */
	static const uint8_t raw2[] = { 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x7f, 0xff };
	static const uint8_t der2[] = { 0x30, 0x07, 0x02, 0x01, 0x05, 0x02, 0x02, 0x7f, 0xff };
	uint8_t big[266];
	struct ks_buf out;

	(void)state;
	check_raw_to_der(raw1, sizeof(raw1), der1, sizeof(der1));
	check_raw_to_der(raw2, sizeof(raw2), der2, sizeof(der2));

	memset(big, 0xff, sizeof(big));
	ks_buf_init(&out, 1024);
	assert_ok(ks_buf_append_str(&out, "keep"));
	/* P-521: 2 * 66 bytes is the largest accepted. */
	assert_ok(ks_ecdsa_raw_to_der(big, 132, &out));
	assert_ok(ks_ecdsa_raw_to_der(big, 264, &out));
	ks_buf_truncate(&out, 4);
	assert_fails_with(ks_ecdsa_raw_to_der(big, 0, &out), KS_ERR_CRYPTO);
	assert_fails_with(ks_ecdsa_raw_to_der(big, 1, &out), KS_ERR_CRYPTO);
	assert_fails_with(ks_ecdsa_raw_to_der(big, 63, &out), KS_ERR_CRYPTO);
	assert_fails_with(ks_ecdsa_raw_to_der(big, 65, &out), KS_ERR_CRYPTO);
	assert_fails_with(ks_ecdsa_raw_to_der(big, 266, &out), KS_ERR_CRYPTO);
	assert_fails_with(ks_ecdsa_raw_to_der(big, SIZE_MAX, &out), KS_ERR_CRYPTO);
	assert_fails_with(ks_ecdsa_raw_to_der(big, SIZE_MAX - 1, &out), KS_ERR_CRYPTO);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "keep", 4);
	ks_buf_cleanup(&out);

	/* Output limit. */
	ks_buf_init(&out, 8);
	assert_fails_with(ks_ecdsa_raw_to_der(raw1, sizeof(raw1), &out), KS_ERR_LIMIT);
	assert_int_equal(out.len, 0);
	ks_buf_cleanup(&out);
}

/* ---- file keys ---- */

static struct ks_key *open_rsa(void)
{
	struct ks_key *key = NULL;

	assert_ok(ks_filekey_open(pki.rsa_key, pki.rsa_cert, pki.rsa_chain, NULL, &key));
	assert_non_null(key);
	return key;
}

static struct ks_key *open_ec(void)
{
	struct ks_key *key = NULL;

	assert_ok(ks_filekey_open(pki.ec_key, pki.ec_cert, pki.ec_chain, NULL, &key));
	assert_non_null(key);
	return key;
}

static void test_filekey_rsa_fields(void **state)
{
	struct ks_key *key = open_rsa();
	X509 *cert = load_cert(pki.rsa_cert);

	(void)state;
	assert_string_equal(key->ops->kind, "file");
	assert_int_equal(key->type, KS_KEY_RSA);
	assert_int_equal(key->bits, EVP_PKEY_get_bits(X509_get0_pubkey(cert)));
	assert_true(key->bits >= 2048);
	assert_int_equal(X509_cmp(key->cert, cert), 0);
	assert_non_null(key->chain);
	/* Extra certificates in the cert file join the chain file's. */
	assert_int_equal(sk_X509_num(key->chain),
			 count_certs(pki.rsa_chain) + count_certs(pki.rsa_cert) - 1);
	assert_string_equal(key->label, pki.rsa_key);
	assert_int_equal(ks_key_default_scheme(key), KS_SIG_RSA_PKCS1);
	X509_free(cert);
	ks_key_free(key);
	ks_key_free(NULL);
}

static void test_rsa_pkcs1(void **state)
{
	struct ks_key *key = open_rsa();
	struct ks_buf sig, di;
	uint8_t d[64], rec[512];
	size_t i, reclen;

	(void)state;
	ks_buf_init(&sig, 4096);
	ks_buf_init(&di, 256);
	for (i = 0; i < 3; i++) {
		enum ks_md md = all_mds[i];
		size_t n = ks_md_size(md);
		EVP_PKEY_CTX *ctx;

		fill_digest(d, n, (uint8_t)(40 + i));
		ks_buf_reset(&sig);
		assert_ok(ks_key_sign(key, KS_SIG_RSA_PKCS1, md, d, n, &sig));
		assert_int_equal(sig.len, (size_t)key->bits / 8);
		assert_ok(
		    ks_key_verify_digest(key->cert, KS_SIG_RSA_PKCS1, md, d, n, sig.data, sig.len));
		assert_int_equal(
		    ossl_verify(key->cert, RSA_PKCS1_PADDING, md, d, n, sig.data, sig.len), 1);

		/* The signature carries exactly our DigestInfo (RFC 8017 8.2). */
		ctx = EVP_PKEY_CTX_new(X509_get0_pubkey(key->cert), NULL);
		assert_non_null(ctx);
		assert_int_equal(EVP_PKEY_verify_recover_init(ctx), 1);
		assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0);
		reclen = sizeof(rec);
		assert_int_equal(EVP_PKEY_verify_recover(ctx, rec, &reclen, sig.data, sig.len), 1);
		EVP_PKEY_CTX_free(ctx);
		ks_buf_reset(&di);
		assert_ok(ks_digestinfo(md, d, n, &di));
		assert_int_equal(reclen, di.len);
		assert_memory_equal(rec, di.data, di.len);

		/* PKCS#1 v1.5 is deterministic. */
		{
			struct ks_buf again;

			ks_buf_init(&again, 4096);
			assert_ok(ks_key_sign(key, KS_SIG_RSA_PKCS1, md, d, n, &again));
			assert_true(ks_buf_equal(&sig, &again));
			ks_buf_cleanup(&again);
		}

		/* Tampered signature, other digest, other algorithm, other scheme. */
		sig.data[sig.len / 2] ^= 0x01;
		assert_fails_with(
		    ks_key_verify_digest(key->cert, KS_SIG_RSA_PKCS1, md, d, n, sig.data, sig.len),
		    KS_ERR_CRYPTO);
		assert_int_not_equal(
		    ossl_verify(key->cert, RSA_PKCS1_PADDING, md, d, n, sig.data, sig.len), 1);
		sig.data[sig.len / 2] ^= 0x01;
		d[0] ^= 0x80;
		assert_fails_with(
		    ks_key_verify_digest(key->cert, KS_SIG_RSA_PKCS1, md, d, n, sig.data, sig.len),
		    KS_ERR_CRYPTO);
		d[0] ^= 0x80;
		assert_fails_with(
		    ks_key_verify_digest(key->cert, KS_SIG_RSA_PSS, md, d, n, sig.data, sig.len),
		    KS_ERR_CRYPTO);
		assert_int_equal(ERR_peek_error(), 0);
		/* Truncated signature. */
		assert_int_equal(ks_key_verify_digest(key->cert, KS_SIG_RSA_PKCS1, md, d, n,
						      sig.data, sig.len - 1),
				 -1);
	}
	ks_buf_cleanup(&sig);
	ks_buf_cleanup(&di);
	ks_key_free(key);
}

static void test_rsa_pss(void **state)
{
	struct ks_key *key = open_rsa();
	struct ks_buf sig, sig2;
	uint8_t d[64];
	size_t i;

	(void)state;
	ks_buf_init(&sig, 4096);
	ks_buf_init(&sig2, 4096);
	for (i = 0; i < 3; i++) {
		enum ks_md md = all_mds[i];
		size_t n = ks_md_size(md);

		fill_digest(d, n, (uint8_t)(90 + i));
		ks_buf_reset(&sig);
		ks_buf_reset(&sig2);
		/* The signature is appended to what the buffer holds. */
		assert_ok(ks_buf_append_str(&sig, "hdr"));
		assert_ok(ks_key_sign(key, KS_SIG_RSA_PSS, md, d, n, &sig));
		assert_int_equal(sig.len, 3 + (size_t)key->bits / 8);
		assert_memory_equal(sig.data, "hdr", 3);
		assert_ok(ks_key_verify_digest(key->cert, KS_SIG_RSA_PSS, md, d, n, sig.data + 3,
					       sig.len - 3));
		/* Independently, with the salt length fixed to the hash length. */
		assert_int_equal(ossl_verify(key->cert, RSA_PKCS1_PSS_PADDING, md, d, n,
					     sig.data + 3, sig.len - 3),
				 1);
		/* Randomised: two signatures differ, both verify. */
		assert_ok(ks_key_sign(key, KS_SIG_RSA_PSS, md, d, n, &sig2));
		assert_true(sig2.len != sig.len - 3 || memcmp(sig2.data, sig.data + 3, sig2.len));
		assert_ok(
		    ks_key_verify_digest(key->cert, KS_SIG_RSA_PSS, md, d, n, sig2.data, sig2.len));

		/* Not a PKCS#1 v1.5 signature; tampering is detected. */
		assert_fails_with(ks_key_verify_digest(key->cert, KS_SIG_RSA_PKCS1, md, d, n,
						       sig2.data, sig2.len),
				  KS_ERR_CRYPTO);
		sig2.data[sig2.len - 1] ^= 0x40;
		assert_fails_with(
		    ks_key_verify_digest(key->cert, KS_SIG_RSA_PSS, md, d, n, sig2.data, sig2.len),
		    KS_ERR_CRYPTO);
		assert_int_not_equal(
		    ossl_verify(key->cert, RSA_PKCS1_PSS_PADDING, md, d, n, sig2.data, sig2.len),
		    1);
	}
	ks_buf_cleanup(&sig);
	ks_buf_cleanup(&sig2);
	ks_key_free(key);
}

/* DER signature -> raw r||s with OpenSSL, then back with ks. */
static void ecdsa_round_trip(const struct ks_buf *der, size_t half)
{
	const unsigned char *p = der->data;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der->len);
	const BIGNUM *r = NULL, *s = NULL;
	uint8_t raw[264];
	struct ks_buf back;

	assert_non_null(es);
	assert_ptr_equal(p, der->data + der->len); /* nothing after the SEQUENCE */
	ECDSA_SIG_get0(es, &r, &s);
	assert_int_equal(BN_bn2binpad(r, raw, (int)half), (int)half);
	assert_int_equal(BN_bn2binpad(s, raw + half, (int)half), (int)half);
	ECDSA_SIG_free(es);

	ks_buf_init(&back, 1024);
	assert_ok(ks_ecdsa_raw_to_der(raw, 2 * half, &back));
	assert_true(ks_buf_equal(&back, der));
	ks_buf_cleanup(&back);
}

static void test_ecdsa(void **state)
{
	struct ks_key *key = open_ec();
	struct ks_buf sig;
	uint8_t d[64];
	size_t i, round;
	size_t half;

	(void)state;
	assert_int_equal(key->type, KS_KEY_EC);
	assert_int_equal(ks_key_default_scheme(key), KS_SIG_ECDSA);
	assert_true(key->bits >= 256);
	half = ((size_t)key->bits + 7) / 8;
	ks_buf_init(&sig, 1024);
	for (i = 0; i < 3; i++) {
		enum ks_md md = all_mds[i];
		size_t n = ks_md_size(md);

		fill_digest(d, n, (uint8_t)(7 + i));
		/* Many signatures: r and s vary in length and top bit. */
		for (round = 0; round < 24; round++) {
			ks_buf_reset(&sig);
			assert_ok(ks_key_sign(key, KS_SIG_ECDSA, md, d, n, &sig));
			assert_int_equal(sig.data[0], 0x30);
			assert_ok(ks_key_verify_digest(key->cert, KS_SIG_ECDSA, md, d, n, sig.data,
						       sig.len));
			assert_int_equal(ossl_verify(key->cert, 0, md, d, n, sig.data, sig.len), 1);
			ecdsa_round_trip(&sig, half);
		}
		/* Tampered: last byte of s, and a digest bit. */
		sig.data[sig.len - 1] ^= 0x01;
		assert_fails_with(
		    ks_key_verify_digest(key->cert, KS_SIG_ECDSA, md, d, n, sig.data, sig.len),
		    KS_ERR_CRYPTO);
		assert_int_not_equal(ossl_verify(key->cert, 0, md, d, n, sig.data, sig.len), 1);
		sig.data[sig.len - 1] ^= 0x01;
		/* ECDSA uses only the leftmost bits of the digest, as many as the
		 * group order has (FIPS 186-4 6.4): change the first byte. */
		d[0] ^= 0x01;
		assert_fails_with(
		    ks_key_verify_digest(key->cert, KS_SIG_ECDSA, md, d, n, sig.data, sig.len),
		    KS_ERR_CRYPTO);
		/* Trailing garbage after the DER signature. */
		d[0] ^= 0x01;
		assert_ok(ks_buf_append_byte(&sig, 0));
		assert_int_equal(
		    ks_key_verify_digest(key->cert, KS_SIG_ECDSA, md, d, n, sig.data, sig.len), -1);
	}
	ks_buf_cleanup(&sig);
	ks_key_free(key);
}

static void test_scheme_and_length_mismatch(void **state)
{
	struct ks_key *rsa = open_rsa(), *ec = open_ec();
	struct ks_buf sig, pk1;
	uint8_t d[64];

	(void)state;
	fill_digest(d, sizeof(d), 3);
	ks_buf_init(&sig, 4096);
	ks_buf_init(&pk1, 4096);
	assert_ok(ks_buf_append_str(&sig, "keep"));
	assert_fails_with(ks_key_sign(rsa, KS_SIG_ECDSA, KS_MD_SHA256, d, 32, &sig),
			  KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_key_sign(ec, KS_SIG_RSA_PKCS1, KS_MD_SHA256, d, 32, &sig),
			  KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_key_sign(ec, KS_SIG_RSA_PSS, KS_MD_SHA256, d, 32, &sig),
			  KS_ERR_UNSUPPORTED);
	/* A digest of the wrong length for the named algorithm. */
	assert_fails_with(ks_key_sign(rsa, KS_SIG_RSA_PKCS1, KS_MD_SHA256, d, 48, &sig),
			  KS_ERR_ARG);
	assert_fails_with(ks_key_sign(rsa, KS_SIG_RSA_PKCS1, KS_MD_SHA512, d, 32, &sig),
			  KS_ERR_ARG);
	assert_fails_with(ks_key_sign(ec, KS_SIG_ECDSA, KS_MD_SHA384, d, 0, &sig), KS_ERR_ARG);
	assert_int_equal(sig.len, 4);

	/* Verification does not accept a signature under another scheme than
	 * the one asked for, nor a key of the wrong type. */
	assert_ok(ks_key_sign(rsa, KS_SIG_RSA_PKCS1, KS_MD_SHA256, d, 32, &pk1));
	assert_fails_with(
	    ks_key_verify_digest(rsa->cert, KS_SIG_ECDSA, KS_MD_SHA256, d, 32, pk1.data, pk1.len),
	    KS_ERR_UNSUPPORTED);
	ks_buf_reset(&sig);
	assert_ok(ks_key_sign(ec, KS_SIG_ECDSA, KS_MD_SHA256, d, 32, &sig));
	assert_fails_with(ks_key_verify_digest(ec->cert, KS_SIG_RSA_PKCS1, KS_MD_SHA256, d, 32,
					       sig.data, sig.len),
			  KS_ERR_UNSUPPORTED);
	assert_int_equal(
	    ks_key_verify_digest(rsa->cert, KS_SIG_ECDSA, KS_MD_SHA256, d, 32, sig.data, sig.len),
	    -1);
	/* Wrong digest length at verification. */
	assert_int_equal(ks_key_verify_digest(rsa->cert, KS_SIG_RSA_PKCS1, KS_MD_SHA256, d, 31,
					      pk1.data, pk1.len),
			 -1);
	/* Values outside the enums (a caller bug or a corrupted request). */
	ks_buf_reset(&sig);
	assert_fails_with(ks_key_sign(rsa, (enum ks_sig_scheme)7, KS_MD_SHA256, d, 32, &sig),
			  KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_key_sign(rsa, KS_SIG_RSA_PKCS1, (enum ks_md)42, d, 0, &sig),
			  KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_key_sign(ec, KS_SIG_ECDSA, (enum ks_md)42, d, 0, &sig),
			  KS_ERR_UNSUPPORTED);
	assert_int_equal(sig.len, 0);
	assert_int_equal(ks_key_verify_digest(rsa->cert, (enum ks_sig_scheme)7, KS_MD_SHA256, d, 32,
					      pk1.data, pk1.len),
			 -1);
	/* A certificate is required. */
	assert_fails_with(
	    ks_key_verify_digest(NULL, KS_SIG_RSA_PKCS1, KS_MD_SHA256, d, 32, pk1.data, pk1.len),
	    KS_ERR_CERT);
	ERR_clear_error();
	ks_buf_cleanup(&sig);
	ks_buf_cleanup(&pk1);
	ks_key_free(rsa);
	ks_key_free(ec);
}

static void test_p12(void **state)
{
	struct ks_key *key = NULL;
	X509 *cert = load_cert(pki.rsa_cert);
	struct ks_buf sig;
	uint8_t d[32];

	(void)state;
	assert_ok(ks_filekey_open(pki.rsa_p12, NULL, NULL, pki.p12_pass, &key));
	assert_int_equal(key->type, KS_KEY_RSA);
	assert_int_equal(X509_cmp(key->cert, cert), 0);
	assert_non_null(key->chain);
	fill_digest(d, sizeof(d), 11);
	ks_buf_init(&sig, 4096);
	assert_ok(ks_key_sign(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, d, 32, &sig));
	assert_int_equal(
	    ossl_verify(cert, RSA_PKCS1_PADDING, KS_MD_SHA256, d, 32, sig.data, sig.len), 1);
	ks_buf_reset(&sig);
	assert_ok(ks_key_sign(key, KS_SIG_RSA_PSS, KS_MD_SHA256, d, 32, &sig));
	assert_int_equal(
	    ossl_verify(cert, RSA_PKCS1_PSS_PADDING, KS_MD_SHA256, d, 32, sig.data, sig.len), 1);
	ks_buf_cleanup(&sig);
	ks_key_free(key);

	/* Wrong, empty and absent passwords. */
	key = (struct ks_key *)&key;
	assert_fails_with(ks_filekey_open(pki.rsa_p12, NULL, NULL, "wrong-password", &key),
			  KS_ERR_PIN);
	assert_null(key);
	assert_fails_with(ks_filekey_open(pki.rsa_p12, NULL, NULL, "", &key), KS_ERR_PIN);
	assert_fails_with(ks_filekey_open(pki.rsa_p12, NULL, NULL, NULL, &key), KS_ERR_PIN);
	assert_fails_with(ks_filekey_open(pki.rsa_p12, NULL, NULL, "pw-NOT-IN-MSG", &key),
			  KS_ERR_PIN);
	assert_null(strstr(ks_err_msg(), "pw-NOT-IN-MSG"));

	/* A separate certificate file overrides the one inside (and must match). */
	assert_fails_with(ks_filekey_open(pki.rsa_p12, pki.teacher_cert, NULL, pki.p12_pass, &key),
			  KS_ERR_CERT);
	assert_ok(ks_filekey_open(pki.rsa_p12, pki.rsa_cert, NULL, pki.p12_pass, &key));
	ks_key_free(key);
	X509_free(cert);
}

/* Copy the first n bytes of src (all when n is SIZE_MAX) to a scratch
 * file; returns its path. */
static const char *scratch_copy(const char *src, size_t n, const char *name)
{
	struct ks_buf b;
	const char *path = tmp_path(name);

	ks_buf_init(&b, 1 << 20);
	assert_ok(ks_file_read(src, 1 << 20, &b));
	write_bytes(path, b.data, n < b.len ? n : b.len);
	ks_buf_cleanup(&b);
	return path;
}

static void assert_open_fails(const char *key, const char *cert, const char *chain,
			      const char *pass, enum ks_err_code code)
{
	struct ks_key *k = (struct ks_key *)&k; /* must be reset to NULL */

	ks_err_clear();
	if (ks_filekey_open(key, cert, chain, pass, &k) != -1)
		fail_msg("opening %s / %s was accepted", key, cert ? cert : "-");
	if (ks_err_code() != code)
		fail_msg("opening %s / %s: %s (%s), expected %s", key, cert ? cert : "-",
			 ks_err_name(ks_err_code()), ks_err_msg(), ks_err_name(code));
	assert_null(k);
	/* Nothing stale is left on the OpenSSL queue for the next error. */
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_p12_hostile(void **state)
{
	struct ks_buf b;
	const char *path;
	size_t size;

	(void)state;
	assert_open_fails(tmp_path("missing.p12"), NULL, NULL, "x", KS_ERR_IO);
	/* A PEM certificate named .p12; an empty .pfx (suffix is case-blind). */
	path = scratch_copy(pki.rsa_cert, SIZE_MAX, "pem.p12");
	assert_open_fails(path, NULL, NULL, pki.p12_pass, KS_ERR_PARSE);
	write_bytes(tmp_path("empty.PFX"), "", 0);
	assert_open_fails(tmp_path("empty.PFX"), NULL, NULL, pki.p12_pass, KS_ERR_PARSE);

	ks_buf_init(&b, 1 << 20);
	assert_ok(ks_file_read(pki.rsa_p12, 1 << 20, &b));
	size = b.len;
	/* Truncated anywhere: refused, never a crash or a partial key. */
	path = scratch_copy(pki.rsa_p12, size / 2, "half.p12");
	assert_open_fails(path, NULL, NULL, pki.p12_pass, KS_ERR_PARSE);
	path = scratch_copy(pki.rsa_p12, size - 1, "short.p12");
	assert_open_fails(path, NULL, NULL, pki.p12_pass, KS_ERR_PARSE);
	/* The MAC at the end is damaged: the integrity check fails like a
	 * wrong password would (PKCS#12 cannot tell them apart). */
	b.data[size - 30] ^= 0x01;
	write_bytes(tmp_path("badmac.p12"), b.data, size);
	{
		struct ks_key *k = NULL;

		assert_int_equal(
		    ks_filekey_open(tmp_path("badmac.p12"), NULL, NULL, pki.p12_pass, &k), -1);
		assert_null(k);
		assert_true(ks_err_code() == KS_ERR_PIN || ks_err_code() == KS_ERR_PARSE);
		assert_int_equal(ERR_peek_error(), 0);
	}
	ks_buf_cleanup(&b);
}

static void test_filekey_errors(void **state)
{
	char empty[PATH_LEN];

	(void)state;
	snprintf(empty, sizeof(empty), "%s", tmp_path("empty.pem"));
	write_bytes(empty, "", 0);
	assert_open_fails(tmp_path("missing.key.pem"), pki.rsa_cert, NULL, NULL, KS_ERR_IO);
	assert_open_fails(pki.rsa_key, NULL, NULL, NULL, KS_ERR_USAGE);
	/* The principal's key with the teacher's certificate. */
	assert_open_fails(pki.rsa_key, pki.teacher_cert, NULL, NULL, KS_ERR_CERT);
	assert_open_fails(pki.ec_key, pki.rsa_cert, NULL, NULL, KS_ERR_CERT);
	assert_open_fails(pki.rsa_key, pki.ec_cert, NULL, NULL, KS_ERR_CERT);
	assert_open_fails(pki.rsa_key, tmp_path("missing.cert.pem"), NULL, NULL, KS_ERR_IO);
	/* A key file given as certificate holds no certificate. */
	assert_open_fails(pki.rsa_key, pki.rsa_key, NULL, NULL, KS_ERR_CERT);
	assert_open_fails(pki.rsa_key, empty, NULL, NULL, KS_ERR_CERT);
	assert_open_fails(pki.rsa_key, pki.rsa_cert, tmp_path("missing.chain.pem"), NULL,
			  KS_ERR_IO);
	assert_open_fails(pki.rsa_key, pki.rsa_cert, empty, NULL, KS_ERR_CERT);
	/* A certificate given as key, an empty key file. */
	assert_open_fails(pki.rsa_cert, pki.rsa_cert, NULL, NULL, KS_ERR_PARSE);
	assert_open_fails(empty, pki.rsa_cert, NULL, NULL, KS_ERR_PARSE);
}

static void test_pem_load_certs(void **state)
{
	STACK_OF(X509) *sk = (STACK_OF(X509) *)&sk;
	struct ks_buf b, f;
	const char *path;
	int n;

	(void)state;
	n = count_certs(pki.rsa_chain);
	assert_true(n >= 1);
	assert_int_equal(ERR_peek_error(), 0);

	assert_fails_with(ks_pem_load_certs(tmp_path("nope.pem"), &sk), KS_ERR_IO);
	assert_null(sk);
	ERR_clear_error();

	ks_buf_init(&b, 1 << 20);
	ks_buf_init(&f, 1 << 20);
	assert_ok(ks_file_read(pki.rsa_cert, 1 << 20, &b));

	/* Text around the PEM blocks is skipped, as in many CA bundles. */
	assert_ok(ks_buf_append_str(&f, "Subject: principal\nissuer: whoever\n"));
	assert_ok(ks_buf_append(&f, b.data, b.len));
	assert_ok(ks_buf_append_str(&f, "\ntrailing notes\n"));
	path = tmp_path("notes.pem");
	write_bytes(path, f.data, f.len);
	assert_int_equal(count_certs(path), count_certs(pki.rsa_cert));
	assert_int_equal(ERR_peek_error(), 0);

	/* A good certificate followed by a truncated one. */
	ks_buf_reset(&f);
	assert_ok(ks_buf_append(&f, b.data, b.len));
	assert_ok(ks_buf_append(&f, b.data, b.len / 2));
	path = tmp_path("trunc.pem");
	write_bytes(path, f.data, f.len);
	sk = (STACK_OF(X509) *)&sk;
	assert_fails_with(ks_pem_load_certs(path, &sk), KS_ERR_CERT);
	assert_null(sk);
	assert_int_equal(ERR_peek_error(), 0);

	/* Bad base64 inside the block, and good base64 of a non-certificate. */
	path = tmp_path("badb64.pem");
	write_bytes(path, "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n",
		    strlen("-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n"));
	assert_fails_with(ks_pem_load_certs(path, &sk), KS_ERR_CERT);
	assert_null(sk);
	path = tmp_path("notder.pem");
	write_bytes(path, "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n",
		    strlen("-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n"));
	assert_fails_with(ks_pem_load_certs(path, &sk), KS_ERR_CERT);
	assert_null(sk);
	assert_int_equal(ERR_peek_error(), 0);
	ks_buf_cleanup(&b);
	ks_buf_cleanup(&f);
}

/* A key implementation written by another module (pkcs11/, external). */
struct fake_impl {
	int signs, destroys;
	enum ks_sig_scheme scheme;
	enum ks_md md;
};

static int fake_sign(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
		     const uint8_t *digest, size_t dlen, struct ks_buf *sig)
{
	struct fake_impl *f = key->impl;

	(void)digest;
	(void)dlen;
	f->signs++;
	f->scheme = scheme;
	f->md = md;
	return ks_buf_append_str(sig, "SIG");
}

static void fake_destroy(void *impl)
{
	((struct fake_impl *)impl)->destroys++;
}

static const struct ks_key_ops fake_ops = {
	.kind = "external",
	.sign = fake_sign,
	.destroy = fake_destroy,
};

static void test_key_new(void **state)
{
	struct fake_impl f = { 0 };
	struct ks_key *key = (struct ks_key *)&key;
	X509 *ec_cert = load_cert(pki.ec_cert), *other = load_cert(pki.rsa_cert);
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct ks_buf sig;
	uint8_t d[48] = { 0 };

	(void)state;
	/* No certificate: refused, and the implementation is released. */
	assert_fails_with(ks_key_new(&fake_ops, &f, NULL, NULL, "x", &key), KS_ERR_CERT);
	assert_null(key);
	assert_int_equal(f.destroys, 1);

	assert_non_null(chain);
	assert_true(sk_X509_push(chain, other) > 0);
	assert_ok(ks_key_new(&fake_ops, &f, ec_cert, chain, NULL, &key));
	/* The key holds its own references: the caller's may go. */
	sk_X509_pop_free(chain, X509_free);
	X509_free(ec_cert);
	assert_string_equal(key->label, "");
	assert_int_equal(key->type, KS_KEY_EC);
	assert_int_equal(sk_X509_num(key->chain), 1);
	assert_non_null(X509_get_subject_name(sk_X509_value(key->chain, 0)));
	assert_non_null(X509_get0_pubkey(key->cert));

	ks_buf_init(&sig, 64);
	assert_ok(ks_key_sign(key, KS_SIG_ECDSA, KS_MD_SHA384, d, 48, &sig));
	assert_int_equal(f.signs, 1);
	assert_int_equal(f.scheme, KS_SIG_ECDSA);
	assert_int_equal(f.md, KS_MD_SHA384);
	assert_memory_equal(sig.data, "SIG", 3);
	/* Checks happen before the implementation is called. */
	assert_fails_with(ks_key_sign(key, KS_SIG_RSA_PKCS1, KS_MD_SHA384, d, 48, &sig),
			  KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_key_sign(key, KS_SIG_ECDSA, KS_MD_SHA384, d, 32, &sig), KS_ERR_ARG);
	assert_int_equal(f.signs, 1);
	ks_buf_cleanup(&sig);
	ks_key_free(key);
	assert_int_equal(f.destroys, 2);
}

/* A certificate whose key is neither RSA nor EC. */
static void test_key_new_unsupported_type(void **state)
{
	struct fake_impl f = { 0 };
	struct ks_key *key = (struct ks_key *)&key;
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x = X509_new();

	(void)state;
	assert_non_null(ed);
	assert_non_null(x);
	assert_int_equal(X509_set_pubkey(x, ed), 1);
	assert_fails_with(ks_key_new(&fake_ops, &f, x, NULL, "ed", &key), KS_ERR_UNSUPPORTED);
	assert_null(key);
	assert_int_equal(f.destroys, 1);
	X509_free(x);
	EVP_PKEY_free(ed);
}

/* An encrypted PEM key: the password unlocks it; without one it fails
 * instead of prompting on a terminal (the daemon has none). */
static void test_encrypted_pem(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x;
	BIO *bio;
	struct ks_key *key = NULL;
	char kpath[PATH_LEN], cpath[PATH_LEN];
	static const char pass[] = "correct horse battery";

	(void)state;
	assert_non_null(k);
	x = gen_cert(k, "encrypted", NULL, k, 9);
	assert_non_null(x);
	snprintf(kpath, sizeof(kpath), "%s", tmp_path("enc.key.pem"));
	snprintf(cpath, sizeof(cpath), "%s", tmp_path("enc.cert.pem"));
	bio = BIO_new_file(kpath, "w");
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_256_cbc(), pass,
						       (int)strlen(pass), NULL, NULL),
			 1);
	BIO_free(bio);
	assert_int_equal(write_certs_pem(cpath, x, NULL), 0);

	assert_ok(ks_filekey_open(kpath, cpath, NULL, pass, &key));
	assert_int_equal(key->type, KS_KEY_EC);
	ks_key_free(key);
	key = NULL;
	/* The password must not reach the message.  (Not "wrong" as the
	 * probe: OpenSSL's own reasons use the word, "maybe wrong password"
	 * or "wrong tag", depending on how the decryption fails.) */
	assert_int_equal(ks_filekey_open(kpath, cpath, NULL, "Xq7-not-the-pass", &key), -1);
	assert_null(key);
	assert_null(strstr(ks_err_msg(), "Xq7-not-the-pass"));
	/* No password: with standard input and error redirected, the open must
	 * fail without asking for one. */
	{
		int in = dup(0), err = dup(2), rc;
		int devnull = open("/dev/null", O_RDONLY);
		int out = open(tmp_path("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		struct ks_buf said;

		assert_true(in >= 0 && err >= 0 && devnull >= 0 && out >= 0);
		fflush(stderr);
		assert_int_equal(dup2(devnull, 0), 0);
		assert_int_equal(dup2(out, 2), 2);
		rc = ks_filekey_open(kpath, cpath, NULL, NULL, &key);
		fflush(stderr);
		assert_int_equal(dup2(in, 0), 0);
		assert_int_equal(dup2(err, 2), 2);
		close(in);
		close(err);
		close(devnull);
		close(out);
		assert_int_equal(rc, -1);
		assert_null(key);
		ks_buf_init(&said, 4096);
		assert_ok(ks_file_read(tmp_path("stderr.txt"), 4096, &said));
		assert_int_equal(said.len, 0);
		ks_buf_cleanup(&said);
	}
	assert_int_equal(ks_filekey_open(kpath, cpath, NULL, "", &key), -1);
	assert_null(key);
	assert_int_equal(ERR_peek_error(), 0);
	X509_free(x);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md_basics),
		cmocka_unit_test(test_md_digest),
		cmocka_unit_test(test_digestinfo),
		cmocka_unit_test(test_ecdsa_raw_vectors),
		cmocka_unit_test(test_filekey_rsa_fields),
		cmocka_unit_test(test_rsa_pkcs1),
		cmocka_unit_test(test_rsa_pss),
		cmocka_unit_test(test_ecdsa),
		cmocka_unit_test(test_scheme_and_length_mismatch),
		cmocka_unit_test(test_p12),
		cmocka_unit_test(test_p12_hostile),
		cmocka_unit_test(test_filekey_errors),
		cmocka_unit_test(test_pem_load_certs),
		cmocka_unit_test(test_key_new),
		cmocka_unit_test(test_key_new_unsupported_type),
		cmocka_unit_test(test_encrypted_pem),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
