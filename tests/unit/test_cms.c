/* Unit tests for formats/cms (signing, parsing, verification) and the
 * external key (core/ks_extkey.c), against the test PKI (`make pki`).
 *
 * Every signature kyso makes is also checked independently with OpenSSL's
 * CMS_verify (CAdES mode: signingCertificateV2 checked) against the test
 * root.  Hostile and malformed CMS are built here with OpenSSL's own
 * signing (CMS_SignerInfo_sign with the private key) so that only the one
 * defect under test is present. */
#include "ks_test.h"

#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <time.h>
#include <unistd.h>

#include "formats/cms/ks_cms.h"
#include "formats/cms/ks_cms_int.h"
#include "ks_key.h"
#include "pkcs11/ks_p11.h"
#include "verify_job.h"

#define PATH_LEN 4200
static const char content[] = "Học bạ số - Trường THPT Chu Văn An - lớp 12A1\n";

/* ---- helpers ---- */

/* PKI paths; ks_test_pki's buffer is shared, so copy into rotating slots. */
static const char *pki(const char *name)
{
	static char slots[8][PATH_LEN];
	static unsigned next;
	char *s = slots[next++ % 8];

	snprintf(s, PATH_LEN, "%s", ks_test_pki(name));
	return s;
}

static const char *pki_entity(const char *entity, const char *suffix)
{
	char name[128];

	snprintf(name, sizeof(name), "%s.%s", entity, suffix);
	return pki(name);
}

static struct ks_key *file_key(const char *entity)
{
	struct ks_key *key = NULL;

	assert_ok(ks_filekey_open(pki_entity(entity, "key.pem"), pki_entity(entity, "cert.pem"),
				  pki_entity(entity, "chain.pem"), NULL, &key));
	return key;
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

static EVP_PKEY *load_pkey(const char *entity)
{
	BIO *b = BIO_new_file(pki_entity(entity, "key.pem"), "r");
	EVP_PKEY *k;

	assert_non_null(b);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
	BIO_free(b);
	assert_non_null(k);
	return k;
}

static X509_STORE *store_of(const char *path)
{
	STACK_OF(X509) *sk = NULL;
	X509_STORE *st = X509_STORE_new();
	int i;

	assert_non_null(st);
	assert_ok(ks_pem_load_certs(path, &sk));
	for (i = 0; i < sk_X509_num(sk); i++)
		assert_int_equal(X509_STORE_add_cert(st, sk_X509_value(sk, i)), 1);
	sk_X509_pop_free(sk, X509_free);
	return st;
}

static CMS_ContentInfo *d2i_cms(const struct ks_buf *der)
{
	const unsigned char *p = der->data;
	CMS_ContentInfo *ci = d2i_CMS_ContentInfo(NULL, &p, (long)der->len);

	assert_non_null(ci);
	return ci;
}

static void i2d_cms(CMS_ContentInfo *ci, struct ks_buf *out)
{
	unsigned char *der = NULL;
	int len = i2d_CMS_ContentInfo(ci, &der);

	assert_true(len > 0);
	ks_buf_reset(out);
	assert_ok(ks_buf_append(out, der, (size_t)len));
	OPENSSL_free(der);
}

/* OpenSSL's own verdict: detached content, chain to the test root,
 * signingCertificate(V2) checked (CMS_CADES). */
static int ossl_verify(const struct ks_buf *der, const void *data, size_t n)
{
	CMS_ContentInfo *ci = d2i_cms(der);
	X509_STORE *st = store_of(ks_test_pki("root.pem"));
	BIO *in = BIO_new_mem_buf(data, (int)n);
	int v;

	v = CMS_verify(ci, NULL, st, in, NULL, CMS_BINARY | CMS_CADES);
	ERR_clear_error();
	BIO_free(in);
	X509_STORE_free(st);
	CMS_ContentInfo_free(ci);
	return v;
}

/* The engine's anchors from a store the test built. */
static struct ks_trust *trust_of(X509_STORE *st)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(st);
	struct ks_trust *t = NULL;
	int i;

	assert_ok(ks_trust_new(&t));
	for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

		if (x != NULL)
			assert_ok(ks_trust_add_anchor_cert(t, x, "test"));
	}
	return t;
}

/* The whole verification of a CMS signature as `kyso verify` runs it
 * (format module, then the validation engine: path, its trust anchors,
 * validation time at), revocation off: the first entry. */
static void engine_verdict(const struct ks_buf *der, const void *data, size_t n, X509_STORE *trust,
			   time_t at, enum ks_indication *ind, enum ks_subindication *sub,
			   char *detail, size_t dlen)
{
	struct ks_trust *t = trust != NULL ? trust_of(trust) : NULL;
	struct ks_report rep;

	ks_test_verify_cms(der->data, der->len, data, n, t, at, &rep);
	*ind = rep.sigs[0].indication;
	*sub = rep.sigs[0].sub;
	snprintf(detail, dlen, "%s", rep.sigs[0].detail != NULL ? rep.sigs[0].detail : "");
	ks_report_cleanup(&rep);
	ks_trust_free(t);
}

/* kyso's verdict on the one (or first) signer: the format module's own
 * (notes_set among its notes), and, with anchors, the engine's. */
static void kyso_expect(const struct ks_buf *der, const void *data, size_t n, X509_STORE *trust,
			enum ks_indication ind, enum ks_subindication sub, unsigned notes_set)
{
	struct ks_cms *cms = NULL;
	struct ks_cms_verify_opts vo = { 0 };
	struct ks_cms_result r;
	enum ks_indication gi;
	enum ks_subindication gs;
	char detail[256];

	ks_cms_result_init(&r);
	assert_ok(ks_cms_parse(der->data, der->len, false, &cms));
	assert_ok(ks_cms_verify_data(cms, data, n, &vo, &r));
	assert_true(r.n >= 1);
	gi = r.signers[0].indication;
	gs = r.signers[0].sub;
	snprintf(detail, sizeof(detail), "%s", r.signers[0].detail);
	assert_int_equal(r.signers[0].notes & notes_set, notes_set);
	/* The format module never decides trust: what it passes, the
	 * engine decides on. */
	if (trust != NULL)
		engine_verdict(der, data, n, trust, 0, &gi, &gs, detail, sizeof(detail));
	if (gi != ind || gs != sub)
		fail_msg("expected %s/%s, got %s/%s (%s)", ks_indication_name(ind),
			 ks_subindication_name(sub), ks_indication_name(gi),
			 ks_subindication_name(gs), detail);
	ks_cms_result_cleanup(&r);
	ks_cms_free(cms);
}

static X509_STORE *root_store(void)
{
	return store_of(ks_test_pki("root.pem"));
}

static void sign_content(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
			 const struct ks_cms_sign_opts *o, struct ks_buf *der)
{
	ks_buf_init(der, KS_CMS_DER_MAX);
	assert_ok(ks_cms_sign_data(key, scheme, md, content, sizeof(content) - 1, o, der));
}

static CMS_SignerInfo *first_si(CMS_ContentInfo *ci)
{
	return sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(ci), 0);
}

static int group_setup(void **state)
{
	(void)state;
	return ks_test_pki_ready("root.pem", "principal-rsa.key.pem");
}

/* ---- signing: structure and interoperability ---- */

static void check_structure(const struct ks_buf *der, struct ks_key *key, enum ks_md md,
			    int sig_nid, bool signing_time)
{
	CMS_ContentInfo *ci = d2i_cms(der);
	CMS_SignerInfo *si = first_si(ci);
	X509_ALGOR *dig = NULL, *sig = NULL;
	const ASN1_OBJECT *obj;
	ASN1_OCTET_STRING *md_attr;
	ASN1_STRING *ess_v2;
	STACK_OF(X509) * certs;
	struct ks_cms_ess ess;
	unsigned char h[EVP_MAX_MD_SIZE], cd[EVP_MAX_MD_SIZE];
	unsigned int hlen, cdlen;
	bool match;
	const char *why;

	assert_int_equal(OBJ_obj2nid(CMS_get0_type(ci)), NID_pkcs7_signed);
	assert_int_equal(OBJ_obj2nid(CMS_get0_eContentType(ci)), NID_pkcs7_data);
	assert_null(*CMS_get0_content(ci)); /* detached */
	assert_int_equal(sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(ci)), 1);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	X509_ALGOR_get0(&obj, NULL, NULL, dig);
	assert_int_equal(OBJ_obj2nid(obj), ks_cms_md_nid(md));
	X509_ALGOR_get0(&obj, NULL, NULL, sig);
	assert_int_equal(OBJ_obj2nid(obj), sig_nid);
	assert_int_equal(CMS_SignerInfo_cert_cmp(si, key->cert), 0);

	/* Exactly: contentType, messageDigest, signingCertificateV2
	 * [, signingTime] -- no SMIMECapabilities. */
	assert_int_equal(CMS_signed_get_attr_count(si), signing_time ? 4 : 3);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1) >= 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_SMIMECapabilities, -1) < 0);
	assert_int_equal(CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) >= 0,
			 signing_time);
	assert_int_equal(CMS_unsigned_get_attr_count(si), -1);
	md_attr = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
					      V_ASN1_OCTET_STRING);
	assert_non_null(md_attr);
	assert_int_equal(EVP_Digest(content, sizeof(content) - 1, cd, &cdlen, ks_md_evp(md), NULL),
			 1);
	assert_int_equal(ASN1_STRING_length(md_attr), (int)cdlen);
	assert_memory_equal(ASN1_STRING_get0_data(md_attr), cd, cdlen);

	/* ESSCertIDv2: SHA-256 of the certificate DER, with issuerSerial. */
	ess_v2 = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2),
					     -3, V_ASN1_SEQUENCE);
	assert_non_null(ess_v2);
	assert_ok(ks_cms_ess_parse(ASN1_STRING_get0_data(ess_v2),
				   (size_t)ASN1_STRING_length(ess_v2), false, &ess));
	assert_int_equal(ess.hash_nid, NID_sha256);
	assert_true(ess.has_issuer_serial);
	assert_int_equal(X509_digest(key->cert, EVP_sha256(), h, &hlen), 1);
	assert_int_equal(ess.hash.left, hlen);
	assert_memory_equal(ess.hash.p, h, hlen);
	assert_ok(ks_cms_ess_match(&ess, key->cert, &match, &why));
	assert_true(match);

	/* The chain is carried: signer + its issuing CA(s), no duplicates. */
	certs = CMS_get1_certs(ci);
	assert_non_null(certs);
	assert_int_equal(sk_X509_num(certs), 1 + sk_X509_num(key->chain));
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(ci);
}

static void test_sign_rsa_pkcs1(void **state)
{
	struct ks_key *key = file_key("principal-rsa");
	X509_STORE *trust = root_store();
	struct ks_buf der;

	(void)state;
	sign_content(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, NULL, &der);
	check_structure(&der, key, KS_MD_SHA256, NID_sha256WithRSAEncryption, false);
	assert_int_equal(ossl_verify(&der, content, sizeof(content) - 1), 1);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED, KS_SUB_NONE,
		    KS_CMS_NOTE_REVOCATION_NOT_CHECKED);
	ks_buf_cleanup(&der);

	sign_content(key, KS_SIG_RSA_PKCS1, KS_MD_SHA512, NULL, &der);
	check_structure(&der, key, KS_MD_SHA512, NID_sha512WithRSAEncryption, false);
	assert_int_equal(ossl_verify(&der, content, sizeof(content) - 1), 1);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED, KS_SUB_NONE, 0);
	ks_buf_cleanup(&der);
	X509_STORE_free(trust);
	ks_key_free(key);
}

static void test_sign_rsa_pss(void **state)
{
	static const enum ks_md mds[] = { KS_MD_SHA256, KS_MD_SHA384, KS_MD_SHA512 };
	struct ks_key *key = file_key("principal-rsa");
	X509_STORE *trust = root_store();
	CMS_ContentInfo *ci;
	X509_ALGOR *sig = NULL;
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype;
	const unsigned char *p;
	RSA_PSS_PARAMS *pss;
	struct ks_buf der;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		sign_content(key, KS_SIG_RSA_PSS, mds[i], NULL, &der);
		check_structure(&der, key, mds[i], NID_rsassaPss, false);
		/* RFC 4055 3.1: explicit parameters, hash = MGF1 hash = the
		 * digest, salt = hash length. */
		ci = d2i_cms(&der);
		CMS_SignerInfo_get0_algs(first_si(ci), NULL, NULL, NULL, &sig);
		X509_ALGOR_get0(&obj, &ptype, &pval, sig);
		assert_int_equal(ptype, V_ASN1_SEQUENCE);
		p = ASN1_STRING_get0_data(pval);
		pss = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(pval));
		assert_non_null(pss);
		assert_non_null(pss->hashAlgorithm);
		assert_int_equal(OBJ_obj2nid(pss->hashAlgorithm->algorithm), ks_cms_md_nid(mds[i]));
		assert_non_null(pss->maskGenAlgorithm);
		assert_non_null(pss->saltLength);
		assert_int_equal(ASN1_INTEGER_get(pss->saltLength), (long)ks_md_size(mds[i]));
		RSA_PSS_PARAMS_free(pss);
		CMS_ContentInfo_free(ci);
		assert_int_equal(ossl_verify(&der, content, sizeof(content) - 1), 1);
		kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED,
			    KS_SUB_NONE, 0);
		ks_buf_cleanup(&der);
	}
	X509_STORE_free(trust);
	ks_key_free(key);
}

static void test_sign_ecdsa(void **state)
{
	struct ks_key *key = file_key("principal-ec");
	X509_STORE *trust = root_store();
	struct ks_buf der;

	(void)state;
	sign_content(key, KS_SIG_ECDSA, KS_MD_SHA256, NULL, &der);
	check_structure(&der, key, KS_MD_SHA256, NID_ecdsa_with_SHA256, false);
	assert_int_equal(ossl_verify(&der, content, sizeof(content) - 1), 1);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED, KS_SUB_NONE, 0);
	ks_buf_cleanup(&der);
	sign_content(key, KS_SIG_ECDSA, KS_MD_SHA384, NULL, &der);
	check_structure(&der, key, KS_MD_SHA384, NID_ecdsa_with_SHA384, false);
	assert_int_equal(ossl_verify(&der, content, sizeof(content) - 1), 1);
	ks_buf_cleanup(&der);
	X509_STORE_free(trust);
	ks_key_free(key);
}

static void test_sign_options(void **state)
{
	struct ks_key *key = file_key("principal-rsa");
	struct ks_cms_sign_opts o;
	struct ks_cms *cms = NULL;
	struct ks_cms_result r;
	struct ks_buf der, real, dgst;
	CMS_ContentInfo *ci;
	STACK_OF(X509) * certs;
	const time_t at = 1767225600; /* 2026-01-01T00:00:00Z */

	(void)state;
	/* signingTime only when asked, with the given value. */
	ks_cms_sign_opts_init(&o);
	assert_true(o.include_chain);
	assert_false(o.signing_time);
	o.signing_time = true;
	o.signing_time_at = at;
	sign_content(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, &o, &der);
	check_structure(&der, key, KS_MD_SHA256, NID_sha256WithRSAEncryption, true);
	ks_cms_result_init(&r);
	assert_ok(ks_cms_parse(der.data, der.len, false, &cms));
	assert_ok(ks_cms_verify_data(cms, content, sizeof(content) - 1, NULL, &r));
	assert_true(r.signers[0].has_signing_time);
	assert_int_equal(r.signers[0].signing_time, at);
	ks_cms_result_cleanup(&r);
	ks_cms_free(cms);
	cms = NULL;
	ks_buf_cleanup(&der);

	/* Without the chain: the signer certificate only. */
	ks_cms_sign_opts_init(&o);
	o.include_chain = false;
	sign_content(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, &o, &der);
	ci = d2i_cms(&der);
	certs = CMS_get1_certs(ci);
	assert_int_equal(sk_X509_num(certs), 1);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 0), key->cert), 0);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(ci);
	ks_buf_cleanup(&der);

	/* Sizing: never shorter than the real signature. */
	ks_cms_sign_opts_init(&o);
	sign_content(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, &o, &real);
	o.sizing = true;
	ks_buf_init(&dgst, 64);
	assert_ok(ks_buf_append(&dgst, "0123456789abcdef0123456789abcdef", 32));
	ks_buf_init(&der, KS_CMS_DER_MAX);
	assert_ok(
	    ks_cms_sign_digest(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, dgst.data, dgst.len, &o, &der));
	assert_true(der.len >= real.len);
	ks_buf_cleanup(&der);
	ks_buf_cleanup(&real);
	ks_buf_cleanup(&dgst);
	ks_key_free(key);
}

/* The SignedData is DER: OpenSSL, decoding it and encoding it again,
 * gives the same bytes (SET OF orders, lengths, versions), for every
 * shape kyso writes; an encapsulated content of another type makes it
 * version 3 (RFC 5652 5.1). */
static void assert_reencodes(const struct ks_buf *der)
{
	CMS_ContentInfo *ci = d2i_cms(der);
	unsigned char *enc = NULL;
	int len = i2d_CMS_ContentInfo(ci, &enc);

	assert_int_equal(len, der->len);
	assert_memory_equal(enc, der->data, der->len);
	OPENSSL_free(enc);
	CMS_ContentInfo_free(ci);
}

/* SignedData.version: ContentInfo, contentType, [0], SignedData, then
 * the INTEGER. */
static int signed_data_version(const struct ks_buf *der)
{
	const unsigned char *p = der->data, *end = der->data + der->len;
	long len;
	int tag, cls;

	assert_int_equal(ASN1_get_object(&p, &len, &tag, &cls, end - p), V_ASN1_CONSTRUCTED);
	assert_int_equal(ASN1_get_object(&p, &len, &tag, &cls, end - p), 0);
	assert_int_equal(tag, V_ASN1_OBJECT);
	p += len;
	assert_int_equal(ASN1_get_object(&p, &len, &tag, &cls, end - p), V_ASN1_CONSTRUCTED);
	assert_int_equal(ASN1_get_object(&p, &len, &tag, &cls, end - p), V_ASN1_CONSTRUCTED);
	assert_int_equal(ASN1_get_object(&p, &len, &tag, &cls, end - p), 0);
	assert_int_equal(tag, V_ASN1_INTEGER);
	assert_int_equal(len, 1);
	return p[0];
}

static void test_sign_der(void **state)
{
	static const char *const keys[] = { "principal-rsa", "teacher-rsa", "seal-ec" };
	static const uint8_t tst[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	/* 1950-2049 as UTCTime, 2050 on as GeneralizedTime (RFC 5652 11.3). */
	static const time_t times[] = { 1767225600, 2556144000 };
	struct ks_cms_sign_opts o;
	struct ks_buf der, dgst;
	size_t k, m;

	(void)state;
	ks_buf_init(&dgst, 64);
	assert_ok(ks_buf_append(&dgst, "0123456789abcdef0123456789abcdef", 32));
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		struct ks_key *key = file_key(keys[k]);
		enum ks_sig_scheme sc = ks_key_default_scheme(key);

		for (m = 0; m < 16; m++) {
			ks_cms_sign_opts_init(&o);
			o.signing_time = (m & 1) != 0;
			o.signing_time_at = times[(m >> 1) & 1];
			o.include_chain = (m & 4) == 0;
			o.no_certs = (m & 8) != 0;
			ks_buf_init(&der, KS_CMS_DER_MAX);
			assert_ok(ks_cms_sign_digest(key, sc, KS_MD_SHA256, dgst.data, dgst.len, &o,
						     &der));
			assert_reencodes(&der);
			assert_int_equal(signed_data_version(&der), 1);
			ks_buf_reset(&der);
			assert_ok(ks_cms_sign_encap(key, sc, KS_MD_SHA256,
						    "1.2.840.113549.1.9.16.1.4", tst, sizeof(tst),
						    &o, &der));
			assert_reencodes(&der);
			assert_int_equal(signed_data_version(&der), 3);
			ks_buf_cleanup(&der);
		}
		ks_key_free(key);
	}
	ks_buf_cleanup(&dgst);
}

static void test_sign_ec_sizing(void **state)
{
	struct ks_key *key = file_key("principal-ec");
	struct ks_cms_sign_opts o;
	struct ks_buf der, sized;
	uint8_t d[32] = { 0 };
	int i;

	(void)state;
	ks_cms_sign_opts_init(&o);
	o.sizing = true;
	ks_buf_init(&sized, KS_CMS_DER_MAX);
	assert_ok(ks_cms_sign_digest(key, KS_SIG_ECDSA, KS_MD_SHA256, d, 32, &o, &sized));
	/* ECDSA DER signatures vary in length: sizing covers every one. */
	for (i = 0; i < 20; i++) {
		d[0] = (uint8_t)i;
		ks_buf_init(&der, KS_CMS_DER_MAX);
		assert_ok(ks_cms_sign_digest(key, KS_SIG_ECDSA, KS_MD_SHA256, d, 32, NULL, &der));
		assert_true(der.len <= sized.len);
		ks_buf_cleanup(&der);
	}
	ks_buf_cleanup(&sized);
	ks_key_free(key);
}

static void test_sign_errors(void **state)
{
	struct ks_key *rsa = file_key("principal-rsa"), *ec = file_key("principal-ec");
	struct ks_buf der;
	uint8_t d[64] = { 1 };

	(void)state;
	ks_buf_init(&der, KS_CMS_DER_MAX);
	assert_fails_with(
	    ks_cms_sign_digest(rsa, KS_SIG_RSA_PKCS1, KS_MD_SHA256, d, 31, NULL, &der), KS_ERR_ARG);
	assert_fails_with(
	    ks_cms_sign_digest(rsa, KS_SIG_RSA_PKCS1, KS_MD_SHA384, d, 32, NULL, &der), KS_ERR_ARG);
	assert_fails_with(ks_cms_sign_digest(rsa, KS_SIG_ECDSA, KS_MD_SHA256, d, 32, NULL, &der),
			  KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_cms_sign_digest(ec, KS_SIG_RSA_PSS, KS_MD_SHA256, d, 32, NULL, &der),
			  KS_ERR_UNSUPPORTED);
	assert_fails_with(
	    ks_cms_sign_digest(rsa, KS_SIG_RSA_PKCS1, (enum ks_md)9, d, 32, NULL, &der),
	    KS_ERR_UNSUPPORTED);
	assert_fails_with(
	    ks_cms_sign_digest(NULL, KS_SIG_RSA_PKCS1, KS_MD_SHA256, d, 32, NULL, &der),
	    KS_ERR_ARG);
	assert_int_equal(der.len, 0); /* nothing appended on failure */
	assert_fails_with(ks_cms_sign_file(rsa, KS_SIG_RSA_PKCS1, KS_MD_SHA256,
					   "/nonexistent/kyso-test", NULL, &der),
			  KS_ERR_IO);
	/* An output buffer too small: refused, not truncated. */
	ks_buf_cleanup(&der);
	ks_buf_init(&der, 100);
	assert_fails_with(
	    ks_cms_sign_digest(rsa, KS_SIG_RSA_PKCS1, KS_MD_SHA256, d, 32, NULL, &der),
	    KS_ERR_LIMIT);
	assert_int_equal(der.len, 0);
	ks_buf_cleanup(&der);
	ks_key_free(rsa);
	ks_key_free(ec);
}

/* A key that signs garbage (a faulty token) must not yield a CMS. */
static int bad_sign(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
		    const uint8_t *digest, size_t dlen, struct ks_buf *sig)
{
	uint8_t junk[256];

	(void)key;
	(void)scheme;
	(void)md;
	(void)digest;
	(void)dlen;
	memset(junk, 0x5a, sizeof(junk));
	return ks_buf_append(sig, junk, sizeof(junk));
}

static void test_sign_faulty_key(void **state)
{
	static const struct ks_key_ops bad_ops = { .kind = "faulty", .sign = bad_sign };
	X509 *cert = load_cert(pki_entity("principal-rsa", "cert.pem"));
	struct ks_key *key = NULL;
	struct ks_buf der;

	(void)state;
	assert_ok(ks_key_new(&bad_ops, NULL, cert, NULL, "faulty", &key));
	ks_buf_init(&der, KS_CMS_DER_MAX);
	assert_fails_with(ks_cms_sign_data(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, "x", 1, NULL, &der),
			  KS_ERR_CRYPTO);
	assert_int_equal(der.len, 0);
	ks_buf_cleanup(&der);
	ks_key_free(key);
	X509_free(cert);
}

static void test_digest_file(void **state)
{
	char path[] = "/tmp/kyso-test-cms-XXXXXX";
	struct ks_buf a, b;
	struct ks_key *key = file_key("principal-rsa");
	struct ks_buf der;
	uint8_t *big;
	size_t n = 3 * KS_CMS_STREAM_CHUNK + 17, i;
	int fd;
	FILE *f;

	(void)state;
	big = malloc(n);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_int_equal(fwrite(big, 1, n, f), n);
	fclose(f);
	ks_buf_init(&a, 64);
	ks_buf_init(&b, 64);
	assert_ok(ks_cms_digest_file(KS_MD_SHA384, path, &a));
	assert_ok(ks_md_digest(KS_MD_SHA384, big, n, &b));
	assert_true(ks_buf_equal(&a, &b));
	/* A signature over the file verifies over the same bytes in memory
	 * and over the file streamed. */
	ks_buf_init(&der, KS_CMS_DER_MAX);
	assert_ok(ks_cms_sign_file(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, path, NULL, &der));
	assert_int_equal(ossl_verify(&der, big, n), 1);
	{
		struct ks_cms *cms = NULL;
		struct ks_cms_result r;

		ks_cms_result_init(&r);
		assert_ok(ks_cms_parse(der.data, der.len, false, &cms));
		assert_ok(ks_cms_verify_file(cms, path, NULL, &r));
		assert_int_equal(r.signers[0].indication, KS_IND_TOTAL_PASSED);
		assert_int_equal(r.signers[0].sub, KS_SUB_NONE);
		ks_cms_result_cleanup(&r);
		ks_cms_free(cms);
	}
	ks_buf_cleanup(&der);
	assert_fails_with(ks_cms_digest_file(KS_MD_SHA256, "/nonexistent/x", &a), KS_ERR_IO);
	unlink(path);
	free(big);
	ks_buf_cleanup(&a);
	ks_buf_cleanup(&b);
	ks_key_free(key);
}

/* ---- external key: two-phase signing ---- */

static void test_extkey_two_phase(void **state)
{
	static const struct {
		const char *entity;
		enum ks_sig_scheme scheme;
	} cases[] = {
		{ "principal-rsa", KS_SIG_RSA_PKCS1 },
		{ "principal-rsa", KS_SIG_RSA_PSS },
		{ "principal-ec", KS_SIG_ECDSA },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ks_key *signer = file_key(cases[i].entity), *ext = NULL;
		struct ks_cms_sign_opts o;
		struct ks_buf der, digest, sig, cd;
		enum ks_sig_scheme scheme;
		enum ks_md md;

		ks_buf_init(&der, KS_CMS_DER_MAX);
		ks_buf_init(&digest, 64);
		ks_buf_init(&sig, 1024);
		ks_buf_init(&cd, 64);
		assert_ok(ks_md_digest(KS_MD_SHA256, content, sizeof(content) - 1, &cd));
		assert_ok(ks_extkey_new(signer->cert, signer->chain, "client token", &ext));
		assert_string_equal(ext->ops->kind, "external");
		assert_false(ks_extkey_is_pending(ext));
		assert_fails_with(ks_extkey_pending(ext, &scheme, &md, &digest), KS_ERR_ARG);

		/* Phase 1 (prepare): pending, with the digest to sign. */
		ks_cms_sign_opts_init(&o);
		o.signing_time = true;
		o.signing_time_at = 1767225600;
		assert_fails_with(ks_cms_sign_digest(ext, cases[i].scheme, KS_MD_SHA256, cd.data,
						     cd.len, &o, &der),
				  KS_ERR_PENDING);
		assert_int_equal(der.len, 0);
		assert_true(ks_extkey_is_pending(ext));
		assert_ok(ks_extkey_pending(ext, &scheme, &md, &digest));
		assert_int_equal(scheme, cases[i].scheme);
		assert_int_equal(md, KS_MD_SHA256);
		assert_int_equal(digest.len, 32);

		/* The client signs outside kyso's CMS code. */
		assert_ok(ks_key_sign(signer, scheme, md, digest.data, digest.len, &sig));
		/* A wrong signature is refused. */
		sig.data[sig.len / 2] ^= 0x01;
		assert_fails_with(ks_extkey_set_signature(ext, scheme, md, digest.data, digest.len,
							  sig.data, sig.len),
				  KS_ERR_ARG);
		sig.data[sig.len / 2] ^= 0x01;
		/* A signature for another digest is refused. */
		digest.data[0] ^= 0x80;
		assert_fails_with(ks_extkey_set_signature(ext, scheme, md, digest.data, digest.len,
							  sig.data, sig.len),
				  KS_ERR_ARG);
		digest.data[0] ^= 0x80;
		assert_ok(ks_extkey_set_signature(ext, scheme, md, digest.data, digest.len,
						  sig.data, sig.len));
		assert_false(ks_extkey_is_pending(ext));

		/* Phase 2 (complete): same inputs, the supplied signature. */
		assert_ok(ks_cms_sign_digest(ext, cases[i].scheme, KS_MD_SHA256, cd.data, cd.len,
					     &o, &der));
		assert_int_equal(ossl_verify(&der, content, sizeof(content) - 1), 1);

		/* Changed inputs (another signing time) do not get it. */
		ks_buf_reset(&der);
		o.signing_time_at += 1;
		assert_fails_with(ks_cms_sign_digest(ext, cases[i].scheme, KS_MD_SHA256, cd.data,
						     cd.len, &o, &der),
				  KS_ERR_ARG);
		assert_int_equal(der.len, 0);

		ks_key_free(ext);
		ks_key_free(signer);
		ks_buf_cleanup(&der);
		ks_buf_cleanup(&digest);
		ks_buf_cleanup(&sig);
		ks_buf_cleanup(&cd);
	}
}

/* The complete phase in a fresh key (another request or process), with
 * an ECDSA signature in the raw r||s form a token or WebCrypto gives. */
static void test_extkey_fresh_key_raw_ecdsa(void **state)
{
	struct ks_key *signer = file_key("principal-ec"), *ext = NULL, *ext2 = NULL;
	struct ks_cms_sign_opts o;
	struct ks_buf der, digest, sig, cd;
	enum ks_sig_scheme scheme;
	enum ks_md md;
	ECDSA_SIG *es;
	const unsigned char *p;
	uint8_t raw[64];

	(void)state;
	ks_buf_init(&der, KS_CMS_DER_MAX);
	ks_buf_init(&digest, 64);
	ks_buf_init(&sig, 1024);
	ks_buf_init(&cd, 64);
	ks_cms_sign_opts_init(&o);
	assert_ok(ks_md_digest(KS_MD_SHA256, content, sizeof(content) - 1, &cd));
	assert_ok(ks_extkey_new(signer->cert, signer->chain, NULL, &ext));
	assert_fails_with(
	    ks_cms_sign_digest(ext, KS_SIG_ECDSA, KS_MD_SHA256, cd.data, cd.len, &o, &der),
	    KS_ERR_PENDING);
	assert_ok(ks_extkey_pending(ext, &scheme, &md, &digest));
	ks_key_free(ext);

	assert_ok(ks_key_sign(signer, scheme, md, digest.data, digest.len, &sig));
	p = sig.data;
	es = d2i_ECDSA_SIG(NULL, &p, (long)sig.len);
	assert_non_null(es);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32), 32);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32), 32);
	ECDSA_SIG_free(es);

	assert_ok(ks_extkey_new(signer->cert, signer->chain, NULL, &ext2));
	assert_fails_with(
	    ks_extkey_set_signature(ext2, scheme, md, digest.data, digest.len, raw, 63),
	    KS_ERR_ARG);
	assert_ok(ks_extkey_set_signature(ext2, scheme, md, digest.data, digest.len, raw, 64));
	assert_ok(ks_cms_sign_digest(ext2, KS_SIG_ECDSA, KS_MD_SHA256, cd.data, cd.len, &o, &der));
	assert_int_equal(ossl_verify(&der, content, sizeof(content) - 1), 1);
	/* Not an external key. */
	assert_fails_with(
	    ks_extkey_set_signature(signer, scheme, md, digest.data, digest.len, raw, 64),
	    KS_ERR_ARG);
	assert_false(ks_extkey_is_pending(signer));
	ks_key_free(ext2);
	ks_key_free(signer);
	ks_buf_cleanup(&der);
	ks_buf_cleanup(&digest);
	ks_buf_cleanup(&sig);
	ks_buf_cleanup(&cd);
}

/* ---- verification ---- */

/* Flip the last digit of the signingTime value inside the DER (a change
 * of the signed attributes that keeps them well-formed). */
static void flip_signing_time(struct ks_buf *der)
{
	CMS_ContentInfo *ci = d2i_cms(der);
	ASN1_TYPE *t;
	X509_ATTRIBUTE *a;
	const unsigned char *v;
	int loc, len;
	size_t i;

	loc = CMS_signed_get_attr_by_NID(first_si(ci), NID_pkcs9_signingTime, -1);
	assert_true(loc >= 0);
	a = CMS_signed_get_attr(first_si(ci), loc);
	t = X509_ATTRIBUTE_get0_type(a, 0);
	v = ASN1_STRING_get0_data(t->value.utctime);
	len = ASN1_STRING_length(t->value.utctime);
	for (i = 0; i + (size_t)len <= der->len; i++) {
		if (memcmp(der->data + i, v, (size_t)len) == 0) {
			uint8_t *d = der->data + i + len - 2; /* seconds digit before 'Z' */

			*d = (uint8_t)('0' + (*d - '0' + 1) % 10);
			CMS_ContentInfo_free(ci);
			return;
		}
	}
	fail_msg("signingTime value not found in the DER");
}

static void test_verify_tampered(void **state)
{
	struct ks_key *key = file_key("teacher-rsa");
	X509_STORE *trust = root_store();
	struct ks_cms_sign_opts o;
	struct ks_buf der;
	char altered[sizeof(content)];
	CMS_ContentInfo *ci;
	ASN1_OCTET_STRING *sig;

	(void)state;
	ks_cms_sign_opts_init(&o);
	o.signing_time = true;
	sign_content(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, &o, &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED, KS_SUB_NONE, 0);

	/* Content altered: HASH_FAILURE. */
	memcpy(altered, content, sizeof(content));
	altered[3] ^= 0x20;
	kyso_expect(&der, altered, sizeof(content) - 1, trust, KS_IND_TOTAL_FAILED,
		    KS_SUB_HASH_FAILURE, 0);
	kyso_expect(&der, content, sizeof(content) - 2, trust, KS_IND_TOTAL_FAILED,
		    KS_SUB_HASH_FAILURE, 0);
	assert_int_not_equal(ossl_verify(&der, altered, sizeof(content) - 1), 1);

	/* Signed attributes altered: SIG_CRYPTO_FAILURE. */
	flip_signing_time(&der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_FAILED,
		    KS_SUB_SIG_CRYPTO_FAILURE, 0);
	assert_int_not_equal(ossl_verify(&der, content, sizeof(content) - 1), 1);
	ks_buf_cleanup(&der);

	/* Signature value altered: SIG_CRYPTO_FAILURE. */
	sign_content(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, NULL, &der);
	ci = d2i_cms(&der);
	sig = CMS_SignerInfo_get0_signature(first_si(ci));
	{
		unsigned char *s = (unsigned char *)ASN1_STRING_get0_data(sig);

		s[10] ^= 0x01;
	}
	i2d_cms(ci, &der);
	CMS_ContentInfo_free(ci);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_FAILED,
		    KS_SUB_SIG_CRYPTO_FAILURE, 0);
	ks_buf_cleanup(&der);
	X509_STORE_free(trust);
	ks_key_free(key);
}

static void test_verify_trust(void **state)
{
	struct ks_key *key = file_key("principal-rsa");
	X509_STORE *root = root_store(), *look = store_of(ks_test_pki("lookalike-root.pem"));
	X509_STORE *none = X509_STORE_new();
	struct ks_cms *cms = NULL;
	struct ks_cms_verify_opts vo = { 0 };
	struct ks_cms_result r;
	struct ks_trust *anchors;
	struct ks_report rep;
	enum ks_indication ind;
	enum ks_subindication sub;
	char detail[256];
	struct ks_buf der;

	(void)state;
	assert_non_null(none);
	sign_content(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, NULL, &der);
	/* The format module passes what holds, whatever the anchors: the
	 * path is never its decision. */
	ks_cms_result_init(&r);
	assert_ok(ks_cms_parse(der.data, der.len, false, &cms));
	assert_ok(ks_cms_verify_data(cms, content, sizeof(content) - 1, &vo, &r));
	assert_int_equal(r.signers[0].indication, KS_IND_TOTAL_PASSED);
	assert_int_equal(X509_cmp(r.signers[0].cert, key->cert), 0);
	assert_string_equal(r.signers[0].digest_alg, "SHA-256");
	assert_string_equal(r.signers[0].sig_alg, "RSA PKCS#1 v1.5");
	ks_cms_result_cleanup(&r);
	ks_cms_free(cms);
	/* The engine: no anchors, a look-alike root: no chain. */
	kyso_expect(&der, content, sizeof(content) - 1, none, KS_IND_INDETERMINATE,
		    KS_SUB_NO_CERTIFICATE_CHAIN_FOUND, 0);
	kyso_expect(&der, content, sizeof(content) - 1, look, KS_IND_INDETERMINATE,
		    KS_SUB_NO_CERTIFICATE_CHAIN_FOUND, 0);
	kyso_expect(&der, content, sizeof(content) - 1, root, KS_IND_TOTAL_PASSED, KS_SUB_NONE, 0);

	/* The chain is reported, signer first, anchor last. */
	anchors = trust_of(root);
	ks_test_verify_cms(der.data, der.len, content, sizeof(content) - 1, anchors, 0, &rep);
	assert_int_equal(rep.sigs[0].indication, KS_IND_TOTAL_PASSED);
	assert_true(rep.sigs[0].n_chain >= 2);
	assert_non_null(strstr(rep.sigs[0].chain[0], rep.sigs[0].signer_name));
	ks_report_cleanup(&rep);
	ks_trust_free(anchors);

	/* Validated ten years on: the certificate is out of bounds and no
	 * timestamp proves the signature older. */
	engine_verdict(&der, content, sizeof(content) - 1, root, time(NULL) + 10L * 365 * 86400,
		       &ind, &sub, detail, sizeof(detail));
	assert_int_equal(ind, KS_IND_INDETERMINATE);
	assert_int_equal(sub, KS_SUB_OUT_OF_BOUNDS_NO_POE);
	ks_buf_cleanup(&der);
	X509_STORE_free(root);
	X509_STORE_free(look);
	X509_STORE_free(none);
	ks_key_free(key);
}

/* Add the entity's issuing CAs to a CMS made by OpenSSL (as
 * `openssl cms -sign -certfile CHAIN` does). */
static void add_chain(CMS_ContentInfo *ci, const char *entity)
{
	STACK_OF(X509) *sk = NULL;
	int i;

	assert_ok(ks_pem_load_certs(pki_entity(entity, "chain.pem"), &sk));
	for (i = 0; i < sk_X509_num(sk); i++)
		assert_int_equal(CMS_add1_cert(ci, sk_X509_value(sk, i)), 1);
	sk_X509_pop_free(sk, X509_free);
}

/* A CMS made by OpenSSL itself (CMS_sign), with options. */
static void ossl_sign(const char *entity, const EVP_MD *md, unsigned flags, struct ks_buf *der)
{
	X509 *cert = load_cert(pki_entity(entity, "cert.pem"));
	EVP_PKEY *pk = load_pkey(entity);
	CMS_ContentInfo *ci;
	CMS_SignerInfo *si;
	BIO *in = BIO_new_mem_buf(content, sizeof(content) - 1);

	ci = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY | (flags & CMS_DETACHED));
	assert_non_null(ci);
	si = CMS_add1_signer(ci, cert, pk, md, flags & ~(unsigned)CMS_DETACHED);
	assert_non_null(si);
	if ((flags & CMS_NOCERTS) == 0)
		add_chain(ci, entity);
	assert_int_equal(CMS_final(ci, in, NULL, CMS_BINARY | (flags & CMS_DETACHED)), 1);
	ks_buf_init(der, KS_CMS_DER_MAX);
	i2d_cms(ci, der);
	CMS_ContentInfo_free(ci);
	BIO_free(in);
	EVP_PKEY_free(pk);
	X509_free(cert);
}

/* Like ossl_sign (SHA-256, detached) with a signingCertificateV2 whose
 * ESSCertIDv2 hashes the certificate with ess_md. */
static void ossl_sign_ess(const char *entity, const EVP_MD *ess_md, struct ks_buf *der)
{
	X509 *cert = load_cert(pki_entity(entity, "cert.pem"));
	EVP_PKEY *pk = load_pkey(entity);
	CMS_ContentInfo *ci;
	CMS_SignerInfo *si;
	ESS_SIGNING_CERT_V2 *sc;
	unsigned char *enc = NULL;
	int len;
	BIO *in = BIO_new_mem_buf(content, sizeof(content) - 1);

	ci = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY | CMS_DETACHED);
	assert_non_null(ci);
	si = CMS_add1_signer(ci, cert, pk, EVP_sha256(), CMS_BINARY);
	assert_non_null(si);
	sc = OSSL_ESS_signing_cert_v2_new_init(ess_md, cert, NULL, 1);
	assert_non_null(sc);
	len = i2d_ESS_SIGNING_CERT_V2(sc, &enc);
	assert_true(len > 0);
	assert_int_equal(CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2,
						     V_ASN1_SEQUENCE, enc, len),
			 1);
	add_chain(ci, entity);
	assert_int_equal(CMS_final(ci, in, NULL, CMS_BINARY | CMS_DETACHED), 1);
	ks_buf_init(der, KS_CMS_DER_MAX);
	i2d_cms(ci, der);
	OPENSSL_free(enc);
	ESS_SIGNING_CERT_V2_free(sc);
	CMS_ContentInfo_free(ci);
	BIO_free(in);
	EVP_PKEY_free(pk);
	X509_free(cert);
}

/* signingCertificateV2 may name any hash (RFC 5035); one with known
 * collisions binds no certificate: INDETERMINATE.  A failed signature
 * still shows as failed. */
static void test_verify_weak_ess(void **state)
{
	X509_STORE *trust = root_store();
	struct ks_buf der;

	(void)state;
	ossl_sign_ess("teacher-rsa", EVP_sha512(), &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED, KS_SUB_NONE, 0);
	ks_buf_cleanup(&der);
	ossl_sign_ess("teacher-rsa", EVP_sha1(), &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_INDETERMINATE,
		    KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE, 0);
	kyso_expect(&der, "other", 5, trust, KS_IND_TOTAL_FAILED, KS_SUB_HASH_FAILURE, 0);
	ks_buf_cleanup(&der);
	ossl_sign_ess("teacher-ec", EVP_md5(), &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_INDETERMINATE,
		    KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE, 0);
	ks_buf_cleanup(&der);
	X509_STORE_free(trust);
}

static void test_verify_openssl_made(void **state)
{
	X509_STORE *trust = root_store();
	struct ks_buf der;

	(void)state;
	/* openssl cms -sign -cades -md sha256 */
	ossl_sign("teacher-ec", EVP_sha256(), CMS_DETACHED | CMS_CADES, &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED, KS_SUB_NONE, 0);
	ks_buf_cleanup(&der);

	/* Without -cades: no signing-certificate reference (flagged). */
	ossl_sign("teacher-rsa", EVP_sha256(), CMS_DETACHED, &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED, KS_SUB_NONE,
		    KS_CMS_NOTE_NO_ESS);
	ks_buf_cleanup(&der);

	/* No signed attributes at all: the signature covers the content
	 * digest (RFC 5652 5.4); a change shows as SIG_CRYPTO_FAILURE. */
	ossl_sign("teacher-rsa", EVP_sha256(), CMS_DETACHED | CMS_NOATTR, &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED, KS_SUB_NONE,
		    KS_CMS_NOTE_NO_SIGNED_ATTRS);
	kyso_expect(&der, "other", 5, trust, KS_IND_TOTAL_FAILED, KS_SUB_SIG_CRYPTO_FAILURE, 0);
	ks_buf_cleanup(&der);

	/* SHA-1 (CAdES with signingCertificate v1): the signature verifies
	 * but SHA-1 is too weak. */
	ossl_sign("teacher-rsa", EVP_sha1(), CMS_DETACHED | CMS_CADES, &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_INDETERMINATE,
		    KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE, KS_CMS_NOTE_ESS_V1);
	kyso_expect(&der, "other", 5, trust, KS_IND_TOTAL_FAILED, KS_SUB_HASH_FAILURE, 0);
	ks_buf_cleanup(&der);

	/* A 1024-bit RSA signer. */
	ossl_sign("weak-rsa1024", EVP_sha256(), CMS_DETACHED | CMS_CADES, &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_INDETERMINATE,
		    KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE, 0);
	ks_buf_cleanup(&der);

	/* A signer whose certificate forbids signing. */
	ossl_sign("nokeyusage-rsa", EVP_sha256(), CMS_DETACHED | CMS_CADES, &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_INDETERMINATE,
		    KS_SUB_CHAIN_CONSTRAINTS_FAILURE, 0);
	ks_buf_cleanup(&der);

	/* Encapsulated content: verified against itself. */
	ossl_sign("teacher-rsa", EVP_sha256(), CMS_CADES, &der);
	kyso_expect(&der, NULL, 0, trust, KS_IND_TOTAL_PASSED, KS_SUB_NONE, KS_CMS_NOTE_ATTACHED);
	{
		struct ks_cms *cms = NULL;
		struct ks_cms_result r;

		ks_cms_result_init(&r);
		assert_ok(ks_cms_parse(der.data, der.len, false, &cms));
		assert_true(ks_cms_is_attached(cms));
		assert_fails_with(ks_cms_verify_data(cms, "x", 1, NULL, &r), KS_ERR_ARG);
		assert_fails_with(ks_cms_verify_file(cms, "/etc/hostname", NULL, &r), KS_ERR_ARG);
		ks_cms_free(cms);
	}
	ks_buf_cleanup(&der);
	X509_STORE_free(trust);
}

/* Sign the SignerInfo's attributes as they are, even when OpenSSL's own
 * CMS_SignerInfo_sign would refuse them (missing or repeated ones). */
/* ECDSA written as plain r || s (BSI TR-03111 ecdsa-plain-SHA256,
 * 0.4.0.127.0.7.1.1.4.1.3), as some European tokens do: an OpenSSL-made
 * ECDSA signature rewritten to that form verifies; one changed byte, a
 * wrong length, or plain SHA-1 (n = 1) does not. */
static void make_plain(const struct ks_buf *in, int last_arc, int flip, int trunc,
		       struct ks_buf *out)
{
	CMS_ContentInfo *ci = d2i_cms(in);
	CMS_SignerInfo *si = first_si(ci);
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	X509_ALGOR *dig = NULL, *alg = NULL;
	const unsigned char *p = ASN1_STRING_get0_data(sig);
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, ASN1_STRING_length(sig));
	unsigned char rs[64];
	char oid[40];
	ASN1_OBJECT *obj;

	assert_non_null(es);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32), 32);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32), 32);
	ECDSA_SIG_free(es);
	rs[40] = (unsigned char)(rs[40] ^ flip);
	assert_int_equal(ASN1_OCTET_STRING_set(sig, rs, 64 - trunc), 1);
	snprintf(oid, sizeof(oid), "0.4.0.127.0.7.1.1.4.1.%d", last_arc);
	obj = OBJ_txt2obj(oid, 1);
	assert_non_null(obj);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &alg);
	assert_int_equal(X509_ALGOR_set0(alg, obj, V_ASN1_UNDEF, NULL), 1);
	ks_buf_init(out, KS_CMS_DER_MAX);
	i2d_cms(ci, out);
	CMS_ContentInfo_free(ci);
}

static void test_verify_plain_ecdsa(void **state)
{
	X509_STORE *trust = root_store();
	struct ks_buf der, plain;

	(void)state;
	ossl_sign("teacher-ec", EVP_sha256(), CMS_DETACHED | CMS_CADES, &der);
	make_plain(&der, 3, 0, 0, &plain);
	kyso_expect(&plain, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED, KS_SUB_NONE,
		    0);
	kyso_expect(&plain, "other", 5, trust, KS_IND_TOTAL_FAILED, KS_SUB_HASH_FAILURE, 0);
	ks_buf_cleanup(&plain);
	make_plain(&der, 3, 0x01, 0, &plain);
	kyso_expect(&plain, content, sizeof(content) - 1, trust, KS_IND_TOTAL_FAILED,
		    KS_SUB_SIG_CRYPTO_FAILURE, 0);
	ks_buf_cleanup(&plain);
	make_plain(&der, 3, 0, 1, &plain);
	kyso_expect(&plain, content, sizeof(content) - 1, trust, KS_IND_TOTAL_FAILED,
		    KS_SUB_SIG_CRYPTO_FAILURE, 0);
	ks_buf_cleanup(&plain);
	/* Plain SHA-1 is refused as an algorithm, whatever the value. */
	make_plain(&der, 1, 0, 0, &plain);
	kyso_expect(&plain, content, sizeof(content) - 1, trust, KS_IND_INDETERMINATE,
		    KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE, 0);
	ks_buf_cleanup(&plain);
	ks_buf_cleanup(&der);
	X509_STORE_free(trust);
}

static void sign_attrs(CMS_SignerInfo *si, EVP_PKEY *pk)
{
	struct ks_buf attrs;
	unsigned char h[32], sig[1024];
	unsigned int hl;
	size_t sl = sizeof(sig);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);

	ks_buf_init(&attrs, KS_CMS_DER_MAX);
	assert_ok(ks_cms_signed_attrs_der(si, true, &attrs));
	assert_int_equal(EVP_Digest(attrs.data, attrs.len, h, &hl, EVP_sha256(), NULL), 1);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_true(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0);
	assert_int_equal(EVP_PKEY_sign(ctx, sig, &sl, h, hl), 1);
	assert_int_equal(ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)sl), 1);
	EVP_PKEY_CTX_free(ctx);
	ks_buf_cleanup(&attrs);
}

/* Built by hand with OpenSSL: signed attributes chosen by the test. */
static void hand_sign(const char *entity, int ess_nid, const char *ess_entity, bool content_type,
		      bool message_digest, bool twice_md, struct ks_buf *der)
{
	X509 *cert = load_cert(pki_entity(entity, "cert.pem"));
	X509 *other = ess_entity != NULL ? load_cert(pki_entity(ess_entity, "cert.pem")) : NULL;
	EVP_PKEY *pk = load_pkey(entity);
	CMS_ContentInfo *ci;
	CMS_SignerInfo *si;
	unsigned char d[32];
	unsigned int dl;
	unsigned char *enc = NULL;
	int elen = 0;
	ASN1_STRING *seq;

	assert_int_equal(EVP_Digest(content, sizeof(content) - 1, d, &dl, EVP_sha256(), NULL), 1);
	ci = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_DETACHED | CMS_BINARY);
	si = CMS_add1_signer(ci, cert, pk, EVP_sha256(), CMS_NOSMIMECAP | CMS_PARTIAL);
	assert_non_null(si);
	add_chain(ci, entity);
	if (content_type)
		assert_int_equal(CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType,
							     V_ASN1_OBJECT,
							     OBJ_nid2obj(NID_pkcs7_data), -1),
				 1);
	if (message_digest)
		assert_int_equal(CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest,
							     V_ASN1_OCTET_STRING, d, 32),
				 1);
	if (twice_md)
		assert_int_equal(CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest,
							     V_ASN1_OCTET_STRING, d, 32),
				 1);
	if (ess_nid == NID_id_smime_aa_signingCertificateV2) {
		ESS_SIGNING_CERT_V2 *sc =
		    OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), other ? other : cert, NULL, 1);

		elen = i2d_ESS_SIGNING_CERT_V2(sc, &enc);
		ESS_SIGNING_CERT_V2_free(sc);
	} else if (ess_nid == NID_id_smime_aa_signingCertificate) {
		ESS_SIGNING_CERT *sc =
		    OSSL_ESS_signing_cert_new_init(other ? other : cert, NULL, 1);

		elen = i2d_ESS_SIGNING_CERT(sc, &enc);
		ESS_SIGNING_CERT_free(sc);
	}
	if (elen > 0) {
		seq = ASN1_STRING_new();
		assert_int_equal(ASN1_STRING_set(seq, enc, elen), 1);
		assert_int_equal(CMS_signed_add1_attr_by_NID(si, ess_nid, V_ASN1_SEQUENCE, seq, -1),
				 1);
		ASN1_STRING_free(seq);
		OPENSSL_free(enc);
	}
	sign_attrs(si, pk);
	ks_buf_init(der, KS_CMS_DER_MAX);
	i2d_cms(ci, der);
	CMS_ContentInfo_free(ci);
	EVP_PKEY_free(pk);
	X509_free(cert);
	X509_free(other);
}

static void test_verify_hand_made(void **state)
{
	X509_STORE *trust = root_store();
	struct ks_buf der;

	(void)state;
	/* The reference case passes. */
	hand_sign("principal-rsa", NID_id_smime_aa_signingCertificateV2, NULL, true, true, false,
		  &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED, KS_SUB_NONE, 0);
	ks_buf_cleanup(&der);
	/* signingCertificateV2 names another certificate than sid. */
	hand_sign("principal-rsa", NID_id_smime_aa_signingCertificateV2, "teacher-rsa", true, true,
		  false, &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_INDETERMINATE,
		    KS_SUB_NO_SIGNING_CERTIFICATE_FOUND, 0);
	ks_buf_cleanup(&der);
	/* Same with the v1 attribute. */
	hand_sign("principal-rsa", NID_id_smime_aa_signingCertificate, "teacher-rsa", true, true,
		  false, &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_INDETERMINATE,
		    KS_SUB_NO_SIGNING_CERTIFICATE_FOUND, 0);
	ks_buf_cleanup(&der);
	/* v1 matching: accepted, flagged. */
	hand_sign("principal-rsa", NID_id_smime_aa_signingCertificate, NULL, true, true, false,
		  &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED, KS_SUB_NONE,
		    KS_CMS_NOTE_ESS_V1);
	ks_buf_cleanup(&der);
	/* RFC 5652 5.3: contentType and messageDigest are required, once. */
	hand_sign("principal-rsa", NID_id_smime_aa_signingCertificateV2, NULL, false, true, false,
		  &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_FAILED,
		    KS_SUB_FORMAT_FAILURE, 0);
	ks_buf_cleanup(&der);
	hand_sign("principal-rsa", NID_id_smime_aa_signingCertificateV2, NULL, true, false, false,
		  &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_FAILED,
		    KS_SUB_FORMAT_FAILURE, 0);
	ks_buf_cleanup(&der);
	hand_sign("principal-rsa", NID_id_smime_aa_signingCertificateV2, NULL, true, true, true,
		  &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_FAILED,
		    KS_SUB_FORMAT_FAILURE, 0);
	ks_buf_cleanup(&der);
	X509_STORE_free(trust);
}

/* The signer certificate left out of the CMS (CMS_NOCERTS): not found,
 * unless the caller supplies it. */
static void test_verify_signer_cert_missing(void **state)
{
	struct ks_key *key = file_key("principal-rsa");
	X509_STORE *trust = root_store();
	struct ks_cms_verify_opts vo = { 0 };
	struct ks_cms *cms = NULL;
	struct ks_cms_result r;
	struct ks_buf der;
	STACK_OF(X509) *extra = sk_X509_new_null();

	(void)state;
	ossl_sign("principal-rsa", EVP_sha256(), CMS_DETACHED | CMS_CADES | CMS_NOCERTS, &der);
	kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_INDETERMINATE,
		    KS_SUB_NO_SIGNING_CERTIFICATE_FOUND, 0);
	ks_cms_result_init(&r);
	assert_ok(ks_cms_parse(der.data, der.len, false, &cms));
	assert_int_equal(sk_X509_num(ks_cms_get0_certs(cms)), 0);
	assert_true(sk_X509_push(extra, key->cert) > 0);
	assert_true(sk_X509_push(extra, sk_X509_value(key->chain, 0)) > 0);
	vo.untrusted = extra;
	assert_ok(ks_cms_verify_data(cms, content, sizeof(content) - 1, &vo, &r));
	if (r.signers[0].indication != KS_IND_TOTAL_PASSED)
		fail_msg("%s: %s", ks_subindication_name(r.signers[0].sub), r.signers[0].detail);
	ks_cms_result_cleanup(&r);
	ks_cms_free(cms);
	sk_X509_free(extra);
	ks_buf_cleanup(&der);
	X509_STORE_free(trust);
	ks_key_free(key);
}

/* OpenSSL's SignedData over `in` by the principal (SHA-256) and a
 * teacher (SHA-384), both chains carried; its DER into der (initialised
 * here). */
static CMS_ContentInfo *two_signers(X509 *c1, EVP_PKEY *k1, X509 *c2, EVP_PKEY *k2, BIO *in,
				    struct ks_buf *der)
{
	CMS_ContentInfo *ci =
	    CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_DETACHED | CMS_BINARY);

	assert_non_null(ci);
	assert_non_null(CMS_add1_signer(ci, c1, k1, EVP_sha256(), CMS_CADES));
	assert_non_null(CMS_add1_signer(ci, c2, k2, EVP_sha384(), CMS_CADES));
	add_chain(ci, "principal-rsa");
	add_chain(ci, "teacher-ec");
	assert_int_equal(CMS_final(ci, in, NULL, CMS_BINARY | CMS_DETACHED), 1);
	ks_buf_init(der, KS_CMS_DER_MAX);
	i2d_cms(ci, der);
	return ci;
}

static void test_verify_two_signers(void **state)
{
	X509 *c1 = load_cert(pki_entity("principal-rsa", "cert.pem"));
	X509 *c2 = load_cert(pki_entity("teacher-ec", "cert.pem"));
	EVP_PKEY *k1 = load_pkey("principal-rsa"), *k2 = load_pkey("teacher-ec");
	X509_STORE *trust = root_store();
	struct ks_cms_verify_opts vo = { 0 };
	BIO *in = BIO_new_mem_buf(content, sizeof(content) - 1);
	CMS_ContentInfo *ci;
	struct ks_cms *cms = NULL;
	struct ks_cms_result r;
	struct ks_buf der;
	int i384;

	(void)state;
	ci = two_signers(c1, k1, c2, k2, in, &der);
	ks_cms_result_init(&r);
	assert_ok(ks_cms_parse(der.data, der.len, false, &cms));
	assert_int_equal(ks_cms_signer_count(cms), 2);
	assert_ok(ks_cms_verify_data(cms, content, sizeof(content) - 1, &vo, &r));
	assert_int_equal(r.n, 2);
	/* SignerInfos is a SET OF: the order on the wire is the DER order. */
	i384 = strcmp(r.signers[0].digest_alg, "SHA-384") == 0 ? 0 : 1;
	assert_string_equal(r.signers[i384].digest_alg, "SHA-384");
	assert_string_equal(r.signers[1 - i384].digest_alg, "SHA-256");
	assert_int_equal(r.signers[0].indication, KS_IND_TOTAL_PASSED);
	assert_int_equal(r.signers[1].indication, KS_IND_TOTAL_PASSED);
	assert_true(r.signers[0].notes & KS_CMS_NOTE_MULTIPLE_SIGNERS);
	assert_true(r.signers[1].notes & KS_CMS_NOTE_MULTIPLE_SIGNERS);
	assert_int_equal(X509_cmp(r.signers[i384].cert, c2), 0);
	assert_int_equal(X509_cmp(r.signers[1 - i384].cert, c1), 0);

	/* Given only a SHA-256 digest, the SHA-384 signer has no data. */
	{
		uint8_t d[32];
		unsigned int dl;

		assert_int_equal(
		    EVP_Digest(content, sizeof(content) - 1, d, &dl, EVP_sha256(), NULL), 1);
		assert_ok(ks_cms_verify_digest(cms, KS_MD_SHA256, d, 32, &vo, &r));
		assert_int_equal(r.signers[1 - i384].indication, KS_IND_TOTAL_PASSED);
		assert_int_equal(r.signers[i384].sub, KS_SUB_SIGNED_DATA_NOT_FOUND);
		assert_fails_with(ks_cms_verify_digest(cms, KS_MD_SHA256, d, 31, &vo, &r),
				  KS_ERR_ARG);
	}
	ks_cms_result_cleanup(&r);
	ks_cms_free(cms);
	ks_buf_cleanup(&der);
	CMS_ContentInfo_free(ci);
	BIO_free(in);
	X509_STORE_free(trust);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	X509_free(c1);
	X509_free(c2);
}

/* Certificates of a SignedData come from the decoded-certificate cache:
 * the same objects for the same bytes in the next one, in the order and
 * number OpenSSL's own reading gives, and the ContentInfo encodes back
 * to the very bytes it was read from. */
static void test_parse_cert_cache(void **state)
{
	X509 *c1 = load_cert(pki_entity("principal-rsa", "cert.pem"));
	X509 *c2 = load_cert(pki_entity("teacher-ec", "cert.pem"));
	EVP_PKEY *k1 = load_pkey("principal-rsa"), *k2 = load_pkey("teacher-ec");
	struct ks_cms_verify_opts vo = { 0 };
	BIO *in = BIO_new_mem_buf(content, sizeof(content) - 1);
	CMS_ContentInfo *ci, *plain;
	STACK_OF(X509) * want;
	struct ks_cms *a = NULL, *b = NULL;
	struct ks_cms_result r;
	struct ks_buf der;
	const unsigned char *p;
	unsigned char *enc = NULL;
	int i, n, elen;

	(void)state;
	ci = two_signers(c1, k1, c2, k2, in, &der);
	p = der.data;
	plain = d2i_CMS_ContentInfo(NULL, &p, (long)der.len);
	assert_non_null(plain);
	want = CMS_get1_certs(plain);
	assert_non_null(want);
	n = sk_X509_num(want);
	assert_true(n >= 4);

	assert_ok(ks_cms_parse(der.data, der.len, false, &a));
	assert_ok(ks_cms_parse(der.data, der.len, false, &b));
	assert_int_equal(sk_X509_num(a->certs), n);
	assert_int_equal(sk_X509_num(b->certs), n);
	for (i = 0; i < n; i++) {
		assert_int_equal(X509_cmp(sk_X509_value(a->certs, i), sk_X509_value(want, i)), 0);
		assert_ptr_equal(sk_X509_value(a->certs, i), sk_X509_value(b->certs, i));
	}
	elen = i2d_CMS_ContentInfo(b->ci, &enc);
	assert_int_equal(elen, (int)der.len);
	assert_memory_equal(enc, der.data, der.len);
	ks_cms_result_init(&r);
	assert_ok(ks_cms_verify_data(b, content, sizeof(content) - 1, &vo, &r));
	assert_int_equal(r.n, 2);
	assert_int_equal(r.signers[0].indication, KS_IND_TOTAL_PASSED);
	assert_int_equal(r.signers[1].indication, KS_IND_TOTAL_PASSED);
	/* a changed certificate byte is not the cached certificate: the
	 * signature no longer verifies with what was read */
	{
		X509 *sc = sk_X509_value(want, 0);
		unsigned char *cd = NULL;
		int cl = i2d_X509(sc, &cd);
		size_t at;
		struct ks_cms *c = NULL;

		assert_true(cl > 0);
		for (at = 0; at + (size_t)cl <= der.len; at++)
			if (memcmp(der.data + at, cd, (size_t)cl) == 0)
				break;
		assert_true(at + (size_t)cl <= der.len);
		/* the last byte of the certificate's signature value */
		der.data[at + (size_t)cl - 1] ^= 0x01;
		if (ks_cms_parse(der.data, der.len, false, &c) == 0) {
			assert_int_not_equal(X509_cmp(sk_X509_value(c->certs, 0), sc), 0);
			ks_cms_free(c);
		}
		ks_err_clear();
		OPENSSL_free(cd);
	}
	OPENSSL_free(enc);
	ks_cms_result_cleanup(&r);
	ks_cms_free(a);
	ks_cms_free(b);
	sk_X509_pop_free(want, X509_free);
	CMS_ContentInfo_free(plain);
	ks_buf_cleanup(&der);
	CMS_ContentInfo_free(ci);
	BIO_free(in);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	X509_free(c1);
	X509_free(c2);
}

/* Streaming in pieces gives the same digests as one call. */
static void test_content_streaming(void **state)
{
	struct ks_key *key = file_key("principal-rsa");
	X509_STORE *trust = root_store();
	struct ks_cms_verify_opts vo = { 0 };
	struct ks_cms *cms = NULL;
	struct ks_cms_content *c = NULL;
	struct ks_cms_result r;
	struct ks_buf der;
	size_t i;

	(void)state;
	sign_content(key, KS_SIG_RSA_PSS, KS_MD_SHA384, NULL, &der);
	ks_cms_result_init(&r);
	assert_ok(ks_cms_parse(der.data, der.len, false, &cms));
	assert_ok(ks_cms_content_new(cms, &c));
	for (i = 0; i < sizeof(content) - 1; i += 5)
		assert_ok(ks_cms_content_update(
		    c, content + i, sizeof(content) - 1 - i < 5 ? sizeof(content) - 1 - i : 5));
	assert_ok(ks_cms_verify(cms, c, &vo, &r));
	assert_int_equal(r.signers[0].indication, KS_IND_TOTAL_PASSED);
	/* Finalised: no more data, no digest replacement. */
	assert_fails_with(ks_cms_content_update(c, "x", 1), KS_ERR_ARG);
	ks_cms_content_free(c);
	c = NULL;
	/* Nothing given at all: no signed data. */
	assert_ok(ks_cms_content_new(cms, &c));
	assert_ok(ks_cms_verify(cms, c, &vo, &r));
	assert_int_equal(r.signers[0].sub, KS_SUB_SIGNED_DATA_NOT_FOUND);
	ks_cms_content_free(c);
	ks_cms_result_cleanup(&r);
	ks_cms_free(cms);
	ks_buf_cleanup(&der);
	X509_STORE_free(trust);
	ks_key_free(key);
}

/* ---- parsing: hostile input ---- */

static void test_parse_hostile(void **state)
{
	struct ks_key *key = file_key("principal-ec");
	struct ks_cms *cms = NULL;
	struct ks_buf der, padded;
	uint8_t *big;
	size_t cut;
	CMS_ContentInfo *data_ci;
	BIO *in;

	(void)state;
	sign_content(key, KS_SIG_ECDSA, KS_MD_SHA256, NULL, &der);
	assert_fails_with(ks_cms_parse(der.data, 0, false, &cms), KS_ERR_TRUNCATED);
	assert_null(cms);
	assert_fails_with(ks_cms_parse(der.data, 1, false, &cms), KS_ERR_TRUNCATED);
	for (cut = 2; cut < der.len; cut += der.len / 7)
		assert_fails_with(ks_cms_parse(der.data, cut, false, &cms), KS_ERR_TRUNCATED);
	assert_fails_with(ks_cms_parse(der.data, der.len - 1, false, &cms), KS_ERR_TRUNCATED);
	assert_fails_with(
	    ks_cms_parse((const uint8_t[]){ 0x04, 0x03, 'a', 'b', 'c' }, 5, false, &cms),
	    KS_ERR_PARSE);
	assert_fails_with(ks_cms_parse((const uint8_t *)"\x30\x03\x02\x01\x01", 5, false, &cms),
			  KS_ERR_PARSE);
	assert_fails_with(
	    ks_cms_parse((const uint8_t *)"\x30\x85\x01\x02\x03\x04\x05", 7, false, &cms),
	    KS_ERR_LIMIT);
	/* Trailing bytes: refused, zeros allowed only with zero_pad. */
	ks_buf_init(&padded, KS_CMS_DER_MAX);
	assert_ok(ks_buf_append(&padded, der.data, der.len));
	assert_ok(ks_buf_append(&padded, "\0\0\0\0", 4));
	assert_fails_with(ks_cms_parse(padded.data, padded.len, false, &cms), KS_ERR_PARSE);
	assert_ok(ks_cms_parse(padded.data, padded.len, true, &cms));
	ks_cms_free(cms);
	cms = NULL;
	assert_ok(ks_buf_append(&padded, "\1", 1));
	assert_fails_with(ks_cms_parse(padded.data, padded.len, true, &cms), KS_ERR_PARSE);
	ks_buf_cleanup(&padded);
	/* Oversized input is refused before parsing. */
	big = calloc(1, KS_CMS_DER_MAX + 1);
	assert_non_null(big);
	assert_fails_with(ks_cms_parse(big, KS_CMS_DER_MAX + 1, false, &cms), KS_ERR_LIMIT);
	free(big);
	/* A ContentInfo that is not SignedData. */
	in = BIO_new_mem_buf("data", 4);
	data_ci = CMS_data_create(in, CMS_BINARY);
	assert_non_null(data_ci);
	i2d_cms(data_ci, &der);
	assert_fails_with(ks_cms_parse(der.data, der.len, false, &cms), KS_ERR_CMS);
	CMS_ContentInfo_free(data_ci);
	BIO_free(in);
	ks_buf_cleanup(&der);
	ks_key_free(key);
}

static void test_ess_parse_hostile(void **state)
{
	/* SEQUENCE { SEQUENCE { SEQUENCE { OCTET STRING (4) } } } */
	static const uint8_t ok_min[] = {
		0x30, 0x0a, 0x30, 0x08, 0x30, 0x06, 0x04, 0x04, 1, 2, 3, 4
	};
	static const uint8_t empty_list[] = { 0x30, 0x02, 0x30, 0x00 };
	static const uint8_t trailing[] = { 0x30, 0x0a, 0x30, 0x08, 0x30, 0x06, 0x04,
					    0x04, 1,    2,    3,    4,    0x00 };
	static const uint8_t indefinite[] = { 0x30, 0x80, 0x30, 0x08, 0x30, 0x06, 0x04,
					      0x04, 1,    2,    3,    4,    0,    0 };
	static const uint8_t not_minimal[] = { 0x30, 0x81, 0x0a, 0x30, 0x08, 0x30, 0x06,
					       0x04, 0x04, 1,    2,    3,    4 };
	static const uint8_t hash_not_octets[] = { 0x30, 0x0a, 0x30, 0x08, 0x30, 0x06,
						   0x02, 0x04, 1,    2,    3,    4 };
	static const uint8_t alg_with_params[] = { 0x30, 0x17, 0x30, 0x15, 0x30, 0x13, 0x30,
						   0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
						   0x65, 0x03, 0x04, 0x02, 0x01, 0x02, 0x00,
						   0x04, 0x02, 1,    2 };
	struct ks_cms_ess e;

	(void)state;
	assert_ok(ks_cms_ess_parse(ok_min, sizeof(ok_min), false, &e));
	assert_int_equal(e.hash_nid, NID_sha256);
	assert_int_equal(e.hash.left, 4);
	assert_false(e.has_issuer_serial);
	assert_ok(ks_cms_ess_parse(ok_min, sizeof(ok_min), true, &e));
	assert_int_equal(e.hash_nid, NID_sha1);
	assert_fails_with(ks_cms_ess_parse(ok_min, sizeof(ok_min) - 1, false, &e),
			  KS_ERR_TRUNCATED);
	assert_fails_with(ks_cms_ess_parse(empty_list, sizeof(empty_list), false, &e),
			  KS_ERR_PARSE);
	assert_fails_with(ks_cms_ess_parse(trailing, sizeof(trailing), false, &e), KS_ERR_PARSE);
	assert_fails_with(ks_cms_ess_parse(indefinite, sizeof(indefinite), false, &e),
			  KS_ERR_PARSE);
	assert_fails_with(ks_cms_ess_parse(not_minimal, sizeof(not_minimal), false, &e),
			  KS_ERR_PARSE);
	assert_fails_with(ks_cms_ess_parse(hash_not_octets, sizeof(hash_not_octets), false, &e),
			  KS_ERR_PARSE);
	assert_fails_with(ks_cms_ess_parse(alg_with_params, sizeof(alg_with_params), false, &e),
			  KS_ERR_PARSE);
	assert_fails_with(ks_cms_ess_parse(ok_min, 0, false, &e), KS_ERR_TRUNCATED);
}

static void test_ess_too_many_ids(void **state)
{
	struct ks_buf b;
	struct ks_cms_ess e;
	size_t i, n = KS_CMS_ESS_IDS_MAX + 1, inner = n * 8;

	(void)state;
	ks_buf_init(&b, 4096);
	/* SEQUENCE { SEQUENCE { n x SEQUENCE { OCTET STRING (4) } } } */
	assert_ok(ks_buf_append(
	    &b, (uint8_t[]){ 0x30, 0x81, (uint8_t)(inner + 3), 0x30, 0x81, (uint8_t)inner }, 6));
	for (i = 0; i < n; i++)
		assert_ok(ks_buf_append(&b, (uint8_t[]){ 0x30, 0x06, 0x04, 0x04, 1, 2, 3, 4 }, 8));
	assert_fails_with(ks_cms_ess_parse(b.data, b.len, false, &e), KS_ERR_LIMIT);
	ks_buf_cleanup(&b);
}

/* ---- unsigned attributes (B-T later) ---- */

static void test_unsigned_attr(void **state)
{
	struct ks_key *key = file_key("principal-rsa");
	X509_STORE *trust = root_store();
	struct ks_buf der, out, sigv;
	struct ks_cms *cms = NULL;
	CMS_ContentInfo *ci;
	/* A stand-in TimeStampToken value: any SEQUENCE. */
	static const uint8_t value[] = { 0x30, 0x06, 0x06, 0x01, 0x2a, 0x04, 0x01, 0x00 };
	static const char *tst_oid = "1.2.840.113549.1.9.16.2.14";

	(void)state;
	sign_content(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, NULL, &der);
	ks_buf_init(&out, KS_CMS_DER_MAX);
	assert_ok(
	    ks_cms_add_unsigned_attr(der.data, der.len, 0, tst_oid, value, sizeof(value), &out));
	ci = d2i_cms(&out);
	assert_int_equal(CMS_unsigned_get_attr_count(first_si(ci)), 1);
	assert_true(
	    CMS_unsigned_get_attr_by_NID(first_si(ci), NID_id_smime_aa_timeStampToken, -1) >= 0);
	CMS_ContentInfo_free(ci);
	/* The signed part is untouched: still valid for both verifiers. */
	assert_int_equal(ossl_verify(&out, content, sizeof(content) - 1), 1);
	kyso_expect(&out, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED, KS_SUB_NONE,
		    KS_CMS_NOTE_UNSIGNED_ATTRS);
	/* The signature value a timestamp would cover. */
	ks_buf_init(&sigv, 1024);
	assert_ok(ks_cms_parse(out.data, out.len, false, &cms));
	assert_ok(ks_cms_signature_value(cms, 0, &sigv));
	assert_int_equal(sigv.len, 256);
	assert_fails_with(ks_cms_signature_value(cms, 1, &sigv), KS_ERR_ARG);
	ks_cms_free(cms);

	ks_buf_reset(&out);
	assert_fails_with(ks_cms_add_unsigned_attr(der.data, der.len, 0, "1.2.840.113549.1.9.4",
						   value, sizeof(value), &out),
			  KS_ERR_ARG);
	assert_fails_with(
	    ks_cms_add_unsigned_attr(der.data, der.len, 1, tst_oid, value, sizeof(value), &out),
	    KS_ERR_ARG);
	assert_fails_with(ks_cms_add_unsigned_attr(der.data, der.len, 0, "not an oid", value,
						   sizeof(value), &out),
			  KS_ERR_ARG);
	assert_fails_with(
	    ks_cms_add_unsigned_attr(der.data, der.len, 0, tst_oid, value, sizeof(value) - 1, &out),
	    KS_ERR_PARSE);
	assert_fails_with(ks_cms_add_unsigned_attr(der.data, der.len, 0, tst_oid, value, 0, &out),
			  KS_ERR_LIMIT);
	assert_fails_with(
	    ks_cms_add_unsigned_attr(der.data, der.len - 3, 0, tst_oid, value, sizeof(value), &out),
	    KS_ERR_TRUNCATED);
	assert_int_equal(out.len, 0);
	/* A BER input (non-minimal outer length) parses, but adding an
	 * attribute would re-encode its signed parts: refused. */
	{
		struct ks_buf ber;

		assert_int_equal(der.data[0], 0x30);
		assert_int_equal(der.data[1], 0x82);
		ks_buf_init(&ber, KS_CMS_DER_MAX);
		assert_ok(ks_buf_append(&ber, (uint8_t[]){ 0x30, 0x83, 0x00 }, 3));
		assert_ok(ks_buf_append(&ber, der.data + 2, der.len - 2));
		assert_ok(ks_cms_parse(ber.data, ber.len, false, &cms));
		ks_cms_free(cms);
		cms = NULL;
		assert_fails_with(ks_cms_add_unsigned_attr(ber.data, ber.len, 0, tst_oid, value,
							   sizeof(value), &out),
				  KS_ERR_PARSE);
		ks_buf_cleanup(&ber);
	}
	ks_buf_cleanup(&sigv);
	ks_buf_cleanup(&out);
	ks_buf_cleanup(&der);
	X509_STORE_free(trust);
	ks_key_free(key);
}

static void test_etsi_names(void **state)
{
	(void)state;
	assert_string_equal(ks_indication_name(KS_IND_TOTAL_PASSED), "TOTAL-PASSED");
	assert_string_equal(ks_indication_name(KS_IND_TOTAL_FAILED), "TOTAL-FAILED");
	assert_string_equal(ks_indication_name(KS_IND_INDETERMINATE), "INDETERMINATE");
	assert_string_equal(ks_subindication_name(KS_SUB_HASH_FAILURE), "HASH_FAILURE");
	assert_string_equal(ks_subindication_name(KS_SUB_NO_CERTIFICATE_CHAIN_FOUND),
			    "NO_CERTIFICATE_CHAIN_FOUND");
	assert_string_equal(ks_subindication_name(KS_SUB__COUNT), "UNKNOWN");
	assert_int_equal(ks_subindication_class(KS_SUB_SIG_CRYPTO_FAILURE), KS_IND_TOTAL_FAILED);
	assert_int_equal(ks_subindication_class(KS_SUB_OUT_OF_BOUNDS_NO_POE), KS_IND_INDETERMINATE);
	assert_int_equal(ks_subindication_class(KS_SUB_NONE), KS_IND_TOTAL_PASSED);
	assert_int_equal(ks_indication_worst(KS_IND_TOTAL_PASSED, KS_IND_INDETERMINATE),
			 KS_IND_INDETERMINATE);
	assert_int_equal(ks_indication_worst(KS_IND_TOTAL_FAILED, KS_IND_INDETERMINATE),
			 KS_IND_TOTAL_FAILED);
}

/* ---- encapsulated content of another type (what a TSA signs) ---- */

static void test_sign_encap(void **state)
{
	struct ks_key *key = file_key("principal-ec");
	X509_STORE *trust = root_store();
	struct ks_cms_verify_opts vo = { 0 };
	struct ks_cms_sign_opts o;
	struct ks_cms_result r;
	struct ks_cms *cms = NULL;
	struct ks_buf der;
	CMS_ContentInfo *ci;
	ASN1_OCTET_STRING **pos;
	BIO *out;
	static const uint8_t tst[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	const char *oid = "1.2.840.113549.1.9.16.1.4"; /* id-ct-TSTInfo */

	(void)state;
	ks_buf_init(&der, KS_CMS_DER_MAX);
	assert_ok(
	    ks_cms_sign_encap(key, KS_SIG_ECDSA, KS_MD_SHA256, oid, tst, sizeof(tst), NULL, &der));
	/* OpenSSL: attached, that content type, the content itself, valid. */
	ci = d2i_cms(&der);
	assert_int_equal(OBJ_obj2nid(CMS_get0_eContentType(ci)), NID_id_smime_ct_TSTInfo);
	pos = CMS_get0_content(ci);
	assert_true(pos != NULL && *pos != NULL);
	assert_int_equal(ASN1_STRING_length(*pos), sizeof(tst));
	assert_memory_equal(ASN1_STRING_get0_data(*pos), tst, sizeof(tst));
	out = BIO_new(BIO_s_mem());
	assert_int_equal(CMS_verify(ci, NULL, trust, NULL, out, CMS_BINARY | CMS_CADES), 1);
	BIO_free(out);
	CMS_ContentInfo_free(ci);
	/* kyso: refused as id-data, passed as what it is. */
	assert_ok(ks_cms_parse(der.data, der.len, false, &cms));
	assert_true(ks_cms_is_attached(cms));
	ks_cms_result_init(&r);
	assert_ok(ks_cms_verify_data(cms, NULL, 0, &vo, &r));
	assert_int_equal(r.signers[0].sub, KS_SUB_FORMAT_FAILURE);
	assert_non_null(strstr(r.signers[0].detail, "not id-data"));
	vo.econtent_nid = NID_id_smime_ct_TSTInfo;
	assert_ok(ks_cms_verify_data(cms, NULL, 0, &vo, &r));
	assert_int_equal(r.signers[0].indication, KS_IND_TOTAL_PASSED);
	ks_cms_result_cleanup(&r);
	ks_cms_free(cms);
	cms = NULL;
	/* Without certificates (RFC 3161 2.4.1, no certReq). */
	ks_cms_sign_opts_init(&o);
	o.no_certs = true;
	ks_buf_reset(&der);
	assert_ok(
	    ks_cms_sign_encap(key, KS_SIG_ECDSA, KS_MD_SHA256, oid, tst, sizeof(tst), &o, &der));
	assert_ok(ks_cms_parse(der.data, der.len, false, &cms));
	assert_int_equal(sk_X509_num(ks_cms_get0_certs(cms)), 0);
	ks_cms_free(cms);
	/* Refusals. */
	assert_fails_with(ks_cms_sign_encap(key, KS_SIG_ECDSA, KS_MD_SHA256, "1.2.840.113549.1.7.1",
					    tst, sizeof(tst), NULL, &der),
			  KS_ERR_UNSUPPORTED);
	assert_fails_with(
	    ks_cms_sign_encap(key, KS_SIG_ECDSA, KS_MD_SHA256, oid, tst, 0, NULL, &der),
	    KS_ERR_ARG);
	assert_fails_with(
	    ks_cms_sign_encap(key, KS_SIG_ECDSA, KS_MD_SHA256, "x.y", tst, sizeof(tst), NULL, &der),
	    KS_ERR_ARG);
	ks_buf_cleanup(&der);
	X509_STORE_free(trust);
	ks_key_free(key);
}

/* ---- token key (SoftHSM from `make pki`) ---- */

static void test_token_key(void **state)
{
	static const char *const uris[] = { "KYSO_URI_PRINCIPAL_RSA", "KYSO_URI_PRINCIPAL_EC" };
	X509_STORE *trust = root_store();
	size_t i;

	(void)state;
	if (getenv("SOFTHSM2_CONF") == NULL || getenv(uris[0]) == NULL)
		fail_msg("SoftHSM test tokens not configured: source build/pki/env.sh");
	setenv("KYSO_PIN", getenv("KYSO_TEST_PIN") ? getenv("KYSO_TEST_PIN") : "123456", 1);
	assert_ok(ks_p11_init());
	for (i = 0; i < 2; i++) {
		struct ks_key *key = NULL;
		struct ks_buf der;
		enum ks_sig_scheme scheme;

		assert_ok(ks_p11_key_open(getenv(uris[i]), ks_test_pki("cas.pem"), &key));
		assert_string_equal(key->ops->kind, "token");
		scheme = ks_key_default_scheme(key);
		sign_content(key, scheme, KS_MD_SHA256, NULL, &der);
		assert_int_equal(ossl_verify(&der, content, sizeof(content) - 1), 1);
		kyso_expect(&der, content, sizeof(content) - 1, trust, KS_IND_TOTAL_PASSED,
			    KS_SUB_NONE, 0);
		ks_buf_cleanup(&der);
		if (key->type == KS_KEY_RSA) {
			sign_content(key, KS_SIG_RSA_PSS, KS_MD_SHA256, NULL, &der);
			assert_int_equal(ossl_verify(&der, content, sizeof(content) - 1), 1);
			ks_buf_cleanup(&der);
		}
		ks_key_free(key);
	}
	ks_p11_shutdown();
	X509_STORE_free(trust);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_rsa_pkcs1),
		cmocka_unit_test(test_sign_rsa_pss),
		cmocka_unit_test(test_sign_ecdsa),
		cmocka_unit_test(test_sign_options),
		cmocka_unit_test(test_sign_ec_sizing),
		cmocka_unit_test(test_sign_errors),
		cmocka_unit_test(test_sign_faulty_key),
		cmocka_unit_test(test_digest_file),
		cmocka_unit_test(test_extkey_two_phase),
		cmocka_unit_test(test_extkey_fresh_key_raw_ecdsa),
		cmocka_unit_test(test_verify_tampered),
		cmocka_unit_test(test_verify_trust),
		cmocka_unit_test(test_verify_openssl_made),
		cmocka_unit_test(test_verify_weak_ess),
		cmocka_unit_test(test_verify_plain_ecdsa),
		cmocka_unit_test(test_verify_hand_made),
		cmocka_unit_test(test_verify_signer_cert_missing),
		cmocka_unit_test(test_verify_two_signers),
		cmocka_unit_test(test_parse_cert_cache),
		cmocka_unit_test(test_content_streaming),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_ess_parse_hostile),
		cmocka_unit_test(test_ess_too_many_ids),
		cmocka_unit_test(test_unsigned_attr),
		cmocka_unit_test(test_etsi_names),
		cmocka_unit_test(test_sign_encap),
		cmocka_unit_test(test_sign_der),
		cmocka_unit_test(test_token_key),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
