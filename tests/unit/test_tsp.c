/* Unit tests for formats/tsp (RFC 3161): requests, the responder,
 * responses and tokens, against the test PKI (`make pki`).
 *
 * Every token the responder makes is also checked by OpenSSL's own
 * TS_RESP_verify_response against the test root.  Lying or misconfigured
 * TSAs are played by tokens forged here: a TSTInfo built with OpenSSL's
 * TS API, signed by keys whose certificates are made here with the
 * extended key usage under test. */
#include "ks_test.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include <time.h>
#include <unistd.h>

#include "formats/tsp/ks_tsp.h"
#include "formats/tsp/ks_tsp_int.h"
#include "formats/tsp/ks_tsp_server.h"
#include "ks_key.h"
#include "pkcs11/ks_p11.h"

#define PATH_LEN 4200
#define RESP_MAX ((size_t)1 << 20)
#define SERIALS 20

/* ---- helpers ---- */

static const char *pki(const char *name)
{
	static char slots[8][PATH_LEN];
	static unsigned next;
	char *s = slots[next++ % 8];

	snprintf(s, PATH_LEN, "%s", ks_test_pki(name));
	return s;
}

static struct ks_key *file_key(const char *entity)
{
	struct ks_key *key = NULL;
	char k[128], c[128], ch[128];

	snprintf(k, sizeof(k), "%s.key.pem", entity);
	snprintf(c, sizeof(c), "%s.cert.pem", entity);
	snprintf(ch, sizeof(ch), "%s.chain.pem", entity);
	assert_ok(ks_filekey_open(pki(k), pki(c), pki(ch), NULL, &key));
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

static EVP_PKEY *load_pkey(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	EVP_PKEY *k;

	assert_non_null(b);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
	BIO_free(b);
	assert_non_null(k);
	return k;
}

static struct ks_tsp_server *server(struct ks_key *key, const char *policy, uint64_t accuracy_us)
{
	struct ks_tsp_server_cfg cfg;
	struct ks_tsp_server *s = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.key = key;
	cfg.policy = policy;
	cfg.accuracy_us = accuracy_us;
	cfg.md = KS_MD_SHA256;
	assert_ok(ks_tsp_server_new(&cfg, &s));
	return s;
}

static void digest_of(enum ks_md md, const char *text, struct ks_buf *d)
{
	ks_buf_init(d, EVP_MAX_MD_SIZE);
	assert_ok(ks_md_digest(md, text, strlen(text), d));
}

static void make_req(struct ks_tsp_req *r, enum ks_md md, const char *text)
{
	struct ks_buf d;

	digest_of(md, text, &d);
	assert_ok(ks_tsp_req_init(r, md, d.data, d.len, NULL));
	ks_buf_cleanup(&d);
}

static void respond(struct ks_tsp_server *s, const uint8_t *req, size_t n, struct ks_buf *resp,
		    struct ks_tsp_issued *is)
{
	ks_buf_init(resp, RESP_MAX);
	assert_ok(ks_tsp_server_respond(s, req, n, resp, is));
}

/* The parsed response; the caller cleans it up. */
static void parse_resp(const struct ks_buf *resp, struct ks_tsp_resp *r)
{
	assert_ok(ks_tsp_resp_parse(resp->data, resp->len, r));
}

/* A rejection with exactly this failure bit. */
static void expect_rejection(struct ks_tsp_server *s, const uint8_t *req, size_t n,
			     enum ks_tsp_failure f)
{
	struct ks_buf resp;
	struct ks_tsp_resp r;
	struct ks_tsp_issued is;

	respond(s, req, n, &resp, &is);
	parse_resp(&resp, &r);
	assert_int_equal(r.status, KS_TSP_REJECTION);
	assert_int_equal(r.fail_bits, 1u << f);
	assert_null(r.token);
	assert_true(r.text[0] != '\0');
	assert_int_equal(is.status, KS_TSP_REJECTION);
	assert_int_equal(is.failure, f);
	ks_tsp_resp_cleanup(&r);
	ks_buf_cleanup(&resp);
}

/* OpenSSL's verdict on a response to `req`: signature, chain to the
 * test root, ESS, imprint, nonce. */
static int ossl_verify(const struct ks_tsp_req *req, const struct ks_buf *resp, const char *chain)
{
	const unsigned char *p = req->der.data;
	TS_REQ *tq = d2i_TS_REQ(NULL, &p, (long)req->der.len);
	TS_RESP *tr;
	TS_VERIFY_CTX *ctx;
	X509_STORE *st = X509_STORE_new();
	STACK_OF(X509) *untrusted = NULL;
	X509 *root = load_cert(pki("root.pem"));
	int v;

	assert_non_null(tq);
	p = resp->data;
	tr = d2i_TS_RESP(NULL, &p, (long)resp->len);
	assert_non_null(tr);
	assert_int_equal(X509_STORE_add_cert(st, root), 1);
	assert_ok(ks_pem_load_certs(chain, &untrusted));
	ctx = TS_REQ_to_TS_VERIFY_CTX(tq, NULL);
	assert_non_null(ctx);
	TS_VERIFY_CTX_set_store(ctx, st);        /* owned by ctx */
	TS_VERIFY_CTX_set_certs(ctx, untrusted); /* owned by ctx */
	v = TS_RESP_verify_response(ctx, tr);
	ERR_clear_error();
	TS_VERIFY_CTX_free(ctx);
	TS_RESP_free(tr);
	TS_REQ_free(tq);
	X509_free(root);
	return v;
}

/* A granted TimeStampResp whose token `key` signed over a TSTInfo made
 * here (imprint and nonce as given): what a lying or misconfigured TSA
 * sends. */
static void forge(struct ks_key *key, int imprint_nid, const uint8_t *imprint, size_t ilen,
		  const uint8_t *nonce, size_t nlen, struct ks_buf *resp)
{
	TS_TST_INFO *tst = TS_TST_INFO_new();
	TS_MSG_IMPRINT *imp = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_OBJECT *pol = OBJ_txt2obj("2.999.1", 1);
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	ASN1_GENERALIZEDTIME *gt = ASN1_GENERALIZEDTIME_set(NULL, time(NULL));
	BIGNUM *bn = nonce != NULL ? BN_bin2bn(nonce, (int)nlen, NULL) : NULL;
	ASN1_INTEGER *n = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	struct ks_buf token, body;
	static const uint8_t status[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	unsigned char *der = NULL;
	int len;

	assert_true(tst != NULL && imp != NULL && alg != NULL && pol != NULL && serial != NULL &&
		    gt != NULL);
	assert_int_equal(X509_ALGOR_set0(alg, OBJ_nid2obj(imprint_nid), V_ASN1_UNDEF, NULL), 1);
	assert_int_equal(TS_MSG_IMPRINT_set_algo(imp, alg), 1);
	assert_int_equal(TS_MSG_IMPRINT_set_msg(imp, (unsigned char *)imprint, (int)ilen), 1);
	assert_int_equal(ASN1_INTEGER_set(serial, 42), 1);
	assert_int_equal(TS_TST_INFO_set_version(tst, 1), 1);
	assert_int_equal(TS_TST_INFO_set_policy_id(tst, pol), 1);
	assert_int_equal(TS_TST_INFO_set_msg_imprint(tst, imp), 1);
	assert_int_equal(TS_TST_INFO_set_serial(tst, serial), 1);
	assert_int_equal(TS_TST_INFO_set_time(tst, gt), 1);
	if (n != NULL)
		assert_int_equal(TS_TST_INFO_set_nonce(tst, n), 1);
	len = i2d_TS_TST_INFO(tst, &der);
	assert_true(len > 0);
	ks_buf_init(&token, RESP_MAX);
	ks_buf_init(&body, RESP_MAX);
	assert_ok(ks_cms_sign_encap(key, ks_key_default_scheme(key), KS_MD_SHA256,
				    KS_TSP_OID_TSTINFO, der, (size_t)len, NULL, &token));
	assert_ok(ks_buf_append(&body, status, sizeof(status)));
	assert_ok(ks_buf_append(&body, token.data, token.len));
	ks_buf_init(resp, RESP_MAX);
	assert_ok(ks_tsp_der_tlv(resp, 0x30, body.data, body.len));
	OPENSSL_free(der);
	ks_buf_cleanup(&token);
	ks_buf_cleanup(&body);
	ASN1_INTEGER_free(n);
	BN_free(bn);
	ASN1_GENERALIZEDTIME_free(gt);
	ASN1_INTEGER_free(serial);
	ASN1_OBJECT_free(pol);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(imp);
	TS_TST_INFO_free(tst);
}

/* The token of a forged answer to `req`. */
static void forge_for(struct ks_key *key, const struct ks_tsp_req *req, struct ks_buf *resp)
{
	forge(key, ks_tsp_md_nid(req->md), req->digest, req->dlen, req->nonce, req->nonce_len,
	      resp);
}

/* ---- a key whose certificate is made here (EKU under test) ---- */

static int evp_sign(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
		    const uint8_t *digest, size_t dlen, struct ks_buf *sig)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key->impl, NULL);
	size_t slen = 0;
	int ok;

	(void)scheme;
	ok = ctx != NULL && EVP_PKEY_sign_init(ctx) > 0 &&
	     EVP_PKEY_CTX_set_signature_md(ctx, ks_md_evp(md)) > 0 &&
	     EVP_PKEY_sign(ctx, NULL, &slen, digest, dlen) > 0 && ks_buf_reserve(sig, slen) == 0 &&
	     EVP_PKEY_sign(ctx, sig->data + sig->len, &slen, digest, dlen) > 0;
	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		return KS_SET(KS_ERR_CRYPTO, "test key cannot sign");
	sig->len += slen;
	return 0;
}

static void evp_destroy(void *impl)
{
	EVP_PKEY_free(impl);
}

static const struct ks_key_ops test_ops = { "test", evp_sign, evp_destroy };

static void add_ext(X509 *x, X509 *ca, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&v3, ca, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &v3, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* An EC P-256 key with a certificate from the test Public CA carrying
 * extended key usage `eku` (OpenSSL config syntax; NULL: none). */
static struct ks_key *eku_key(const char *eku)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	EVP_PKEY *cak = load_pkey(pki("public-ca.key.pem"));
	X509 *ca = load_cert(pki("public-ca.pem"));
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct ks_key *key = NULL;

	assert_true(k != NULL && x != NULL && name != NULL && chain != NULL);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(rand() & 0xffff) + 2),
			 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)"EKU test", -1, -1, 0),
			 1);
	assert_int_equal(X509_set_subject_name(x, name), 1);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(ca)), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, k), 1);
	add_ext(x, ca, NID_basic_constraints, "CA:FALSE");
	add_ext(x, ca, NID_key_usage, "critical,digitalSignature");
	if (eku != NULL)
		add_ext(x, ca, NID_ext_key_usage, eku);
	assert_true(X509_sign(x, cak, EVP_sha256()) > 0);
	assert_int_equal(sk_X509_push(chain, ca), 1);
	assert_ok(ks_key_new(&test_ops, k, x, chain, "EKU test", &key));
	sk_X509_pop_free(chain, X509_free);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(cak);
	return key;
}

static int group_setup(void **state)
{
	(void)state;
	return ks_test_pki_ready("root.pem", "tsa-rsa.key.pem");
}

/* ---- requests ---- */

static void test_req_build(void **state)
{
	struct ks_tsp_req a, b;
	struct ks_buf d;
	const unsigned char *p;
	TS_REQ *tq;
	uint8_t nb[KS_TSP_NONCE_MAX];
	size_t nlen = 0;
	bool neg = true;

	(void)state;
	make_req(&a, KS_MD_SHA384, "học bạ");
	p = a.der.data;
	tq = d2i_TS_REQ(NULL, &p, (long)a.der.len);
	assert_non_null(tq);
	assert_ptr_equal(p, a.der.data + a.der.len);
	assert_int_equal(TS_REQ_get_version(tq), 1);
	assert_int_equal(TS_REQ_get_cert_req(tq), 1);
	assert_null(TS_REQ_get_policy_id(tq));
	assert_int_equal(ks_tsp_hash_alg_nid(TS_MSG_IMPRINT_get_algo(TS_REQ_get_msg_imprint(tq))),
			 NID_sha384);
	assert_int_equal(ASN1_STRING_length(TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(tq))),
			 48);
	assert_memory_equal(
	    ASN1_STRING_get0_data(TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(tq))), a.digest,
	    48);
	/* The nonce: 64 random bits, as sent. */
	assert_ok(ks_tsp_int_bytes(TS_REQ_get_nonce(tq), nb, sizeof(nb), &nlen, &neg));
	assert_false(neg);
	assert_true(nlen >= 1 && nlen <= KS_TSP_NONCE_BYTES);
	assert_int_equal(nlen, a.nonce_len);
	assert_memory_equal(nb, a.nonce, nlen);
	TS_REQ_free(tq);

	/* Two requests never share a nonce. */
	make_req(&b, KS_MD_SHA384, "học bạ");
	assert_false(a.nonce_len == b.nonce_len && memcmp(a.nonce, b.nonce, a.nonce_len) == 0);
	ks_tsp_req_cleanup(&b);

	digest_of(KS_MD_SHA256, "x", &d);
	assert_ok(ks_tsp_req_init(&b, KS_MD_SHA256, d.data, d.len, "1.2.3.4.5"));
	assert_string_equal(b.policy, "1.2.3.4.5");
	p = b.der.data;
	tq = d2i_TS_REQ(NULL, &p, (long)b.der.len);
	assert_non_null(tq);
	assert_non_null(TS_REQ_get_policy_id(tq));
	TS_REQ_free(tq);
	ks_tsp_req_cleanup(&b);
	assert_fails_with(ks_tsp_req_init(&b, KS_MD_SHA384, d.data, d.len, NULL), KS_ERR_ARG);
	ks_tsp_req_cleanup(&b);
	assert_fails_with(ks_tsp_req_init(&b, KS_MD_SHA256, d.data, d.len, "not an oid"),
			  KS_ERR_ARG);
	ks_tsp_req_cleanup(&b);
	ks_buf_cleanup(&d);
	ks_tsp_req_cleanup(&a);
}

/* ---- the responder, checked by kyso and by OpenSSL ---- */

static void test_roundtrip(void **state)
{
	static const enum ks_md mds[] = { KS_MD_SHA256, KS_MD_SHA384, KS_MD_SHA512 };
	struct ks_key *key = file_key("tsa-rsa");
	struct ks_tsp_server *s = server(key, "2.999.7", 1500);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
		struct ks_tsp_req req;
		struct ks_buf resp;
		struct ks_tsp_token *tok = NULL;
		struct ks_tsp_issued is;
		const struct ks_tsp_info *info;
		STACK_OF(X509) * certs;
		time_t now = time(NULL);

		make_req(&req, mds[i], "Sổ điểm lớp 10A2");
		respond(s, req.der.data, req.der.len, &resp, &is);
		assert_int_equal(is.status, KS_TSP_GRANTED);
		assert_ok(ks_tsp_resp_check(resp.data, resp.len, &req, NULL, NULL, &tok));
		info = ks_tsp_token_info(tok);
		assert_string_equal(info->policy, "2.999.7");
		assert_int_equal(info->imprint_nid, ks_tsp_md_nid(mds[i]));
		assert_memory_equal(info->imprint, req.digest, req.dlen);
		assert_true(info->has_accuracy);
		assert_int_equal(info->accuracy_us, 1500);
		/* 128-bit serials: at least 64 bits, 16 octets, positive. */
		assert_int_equal(info->serial_len, KS_TSP_SERIAL_BYTES);
		assert_true(info->serial[0] >= 0x40 && info->serial[0] <= 0x7f);
		assert_string_equal(info->serial_hex, is.serial_hex);
		assert_string_equal(info->gen_time_text, is.gen_time);
		assert_true(info->gen_time >= now - 5 && info->gen_time <= now + 5);
		assert_true(info->gen_time_us < 1000000);
		assert_true(info->has_nonce);
		assert_false(info->ordering);
		assert_int_equal(X509_cmp(ks_tsp_token_signer(tok), key->cert), 0);
		certs = ks_tsp_token_certs(tok);
		assert_int_equal(sk_X509_num(certs), 2); /* TSA and its CA */
		/* 30 82 LL LL, 30 03 02 01 00, then the token */
		assert_int_equal(ks_tsp_token_der(tok)->len, resp.len - 9);
		assert_memory_equal(ks_tsp_token_der(tok)->data, resp.data + 9, resp.len - 9);
		assert_int_equal(ossl_verify(&req, &resp, pki("tsa-rsa.chain.pem")), 1);
		ks_tsp_token_free(tok);
		ks_buf_cleanup(&resp);
		ks_tsp_req_cleanup(&req);
	}
	ks_tsp_server_free(s);
	ks_key_free(key);
}

/* Several instances share no counter: random serials never repeat. */
static void test_serials(void **state)
{
	struct ks_key *key = file_key("tsa-ec");
	struct ks_tsp_server *s = server(key, NULL, 0);
	char seen[SERIALS][2 * KS_TSP_SERIAL_BYTES + 1];
	struct ks_tsp_req req;
	int i, j;

	(void)state;
	make_req(&req, KS_MD_SHA256, "same data");
	for (i = 0; i < SERIALS; i++) {
		struct ks_buf resp;
		struct ks_tsp_issued is;
		struct ks_tsp_token *tok = NULL;

		respond(s, req.der.data, req.der.len, &resp, &is);
		assert_ok(ks_tsp_resp_check(resp.data, resp.len, &req, NULL, NULL, &tok));
		assert_string_equal(ks_tsp_token_info(tok)->policy, KS_TSP_DEFAULT_POLICY);
		assert_false(ks_tsp_token_info(tok)->has_accuracy);
		assert_true(strlen(ks_tsp_token_info(tok)->serial_hex) < sizeof(seen[i]));
		memcpy(seen[i], ks_tsp_token_info(tok)->serial_hex, sizeof(seen[i]));
		assert_int_equal(strlen(seen[i]), 2 * KS_TSP_SERIAL_BYTES);
		for (j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
		ks_tsp_token_free(tok);
		ks_buf_cleanup(&resp);
	}
	ks_tsp_req_cleanup(&req);
	ks_tsp_server_free(s);
	ks_key_free(key);
}

/* Answers that are not answers to this request. */
static void test_mismatch(void **state)
{
	struct ks_key *key = file_key("tsa-rsa");
	struct ks_tsp_server *s = server(key, NULL, 0);
	struct ks_tsp_req a, b, c, d;
	struct ks_buf resp;
	struct ks_tsp_token *tok = NULL;

	(void)state;
	make_req(&a, KS_MD_SHA256, "document A");
	make_req(&b, KS_MD_SHA256, "document B");
	make_req(&c, KS_MD_SHA256, "document A"); /* same imprint, other nonce */
	make_req(&d, KS_MD_SHA512, "document A");
	respond(s, a.der.data, a.der.len, &resp, NULL);
	assert_fails_with(ks_tsp_resp_check(resp.data, resp.len, &b, NULL, NULL, &tok), KS_ERR_TSP);
	assert_non_null(strstr(ks_err_msg(), "message imprint differs"));
	assert_null(tok);
	assert_fails_with(ks_tsp_resp_check(resp.data, resp.len, &c, NULL, NULL, &tok), KS_ERR_TSP);
	assert_non_null(strstr(ks_err_msg(), "nonce differs"));
	assert_fails_with(ks_tsp_resp_check(resp.data, resp.len, &d, NULL, NULL, &tok), KS_ERR_TSP);
	assert_non_null(strstr(ks_err_msg(), "imprint"));
	/* A policy asked for is the policy answered. */
	ks_tsp_req_cleanup(&c);
	assert_ok(ks_tsp_req_init(&c, a.md, a.digest, a.dlen, "2.999.99"));
	memcpy(c.nonce, a.nonce, a.nonce_len);
	c.nonce_len = a.nonce_len;
	assert_fails_with(ks_tsp_resp_check(resp.data, resp.len, &c, NULL, NULL, &tok), KS_ERR_TSP);
	assert_non_null(strstr(ks_err_msg(), "policy"));
	/* The same, right. */
	assert_ok(ks_tsp_resp_check(resp.data, resp.len, &a, NULL, NULL, &tok));
	/* ...but not with another TSA certificate pinned. */
	ks_tsp_token_free(tok);
	tok = NULL;
	{
		X509 *other = load_cert(pki("tsa-ec.cert.pem"));

		assert_fails_with(ks_tsp_resp_check(resp.data, resp.len, &a, other, NULL, &tok),
				  KS_ERR_TSP);
		assert_non_null(strstr(ks_err_msg(), "another certificate"));
		X509_free(other);
	}
	ks_buf_cleanup(&resp);
	ks_tsp_req_cleanup(&a);
	ks_tsp_req_cleanup(&b);
	ks_tsp_req_cleanup(&c);
	ks_tsp_req_cleanup(&d);
	ks_tsp_server_free(s);
	ks_key_free(key);
}

/* A TS_REQ encoded as given (extensions, no nonce, no certReq ...). */
static void encode_req(TS_REQ *tq, struct ks_buf *out)
{
	unsigned char *der = NULL;
	int len = i2d_TS_REQ(tq, &der);

	assert_true(len > 0);
	ks_buf_init(out, RESP_MAX);
	assert_ok(ks_buf_append(out, der, (size_t)len));
	OPENSSL_free(der);
}

static TS_REQ *decode_req(const struct ks_tsp_req *r)
{
	const unsigned char *p = r->der.data;
	TS_REQ *tq = d2i_TS_REQ(NULL, &p, (long)r->der.len);

	assert_non_null(tq);
	return tq;
}

/* RFC 3161 2.4.2: requests the TSA cannot honour get a rejection with
 * the reason, never a token and never silence. */
static void test_rejections(void **state)
{
	struct ks_key *key = file_key("tsa-rsa");
	struct ks_tsp_server *s = server(key, "2.999.1", 0);
	struct ks_tsp_req req;
	struct ks_buf b, big, resp;
	struct ks_tsp_token *tok = NULL;
	TS_REQ *tq;
	X509_ALGOR *alg;
	X509_EXTENSION *ext;
	ASN1_OCTET_STRING *os;
	ASN1_OBJECT *pol;
	uint8_t sha1[20] = { 0 };
	static const uint8_t garbage[] = "POST / HTTP/1.1\r\n";

	(void)state;
	make_req(&req, KS_MD_SHA256, "data");
	expect_rejection(s, garbage, sizeof(garbage) - 1, KS_TSP_FAIL_BAD_DATA_FORMAT);
	expect_rejection(s, NULL, 0, KS_TSP_FAIL_BAD_DATA_FORMAT);
	expect_rejection(s, req.der.data, req.der.len - 1, KS_TSP_FAIL_BAD_DATA_FORMAT);
	/* Extra bytes after the request. */
	ks_buf_init(&b, RESP_MAX);
	assert_ok(ks_buf_append(&b, req.der.data, req.der.len));
	assert_ok(ks_buf_append_byte(&b, 0));
	expect_rejection(s, b.data, b.len, KS_TSP_FAIL_BAD_DATA_FORMAT);
	/* Not DER: the length in long form where the short form fits. */
	ks_buf_reset(&b);
	assert_true(req.der.len < 0x80 + 2);
	assert_ok(ks_buf_append_byte(&b, 0x30));
	assert_ok(ks_buf_append_byte(&b, 0x81));
	assert_ok(ks_buf_append(&b, req.der.data + 1, req.der.len - 1));
	expect_rejection(s, b.data, b.len, KS_TSP_FAIL_BAD_DATA_FORMAT);
	ks_buf_cleanup(&b);
	/* Above the size limit. */
	ks_buf_init(&big, KS_TSP_REQ_MAX + 16);
	assert_ok(ks_buf_reserve(&big, KS_TSP_REQ_MAX + 1));
	memset(big.data, 0x30, KS_TSP_REQ_MAX + 1);
	big.len = KS_TSP_REQ_MAX + 1;
	expect_rejection(s, big.data, big.len, KS_TSP_FAIL_BAD_DATA_FORMAT);
	ks_buf_cleanup(&big);

	/* SHA-1 imprint: badAlg. */
	tq = decode_req(&req);
	alg = X509_ALGOR_new();
	assert_int_equal(X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha1), V_ASN1_NULL, NULL), 1);
	assert_int_equal(TS_MSG_IMPRINT_set_algo(TS_REQ_get_msg_imprint(tq), alg), 1);
	assert_int_equal(TS_MSG_IMPRINT_set_msg(TS_REQ_get_msg_imprint(tq), sha1, 20), 1);
	encode_req(tq, &b);
	expect_rejection(s, b.data, b.len, KS_TSP_FAIL_BAD_ALG);
	ks_buf_cleanup(&b);
	X509_ALGOR_free(alg);
	TS_REQ_free(tq);
	/* An imprint of the wrong length: badDataFormat. */
	tq = decode_req(&req);
	assert_int_equal(TS_MSG_IMPRINT_set_msg(TS_REQ_get_msg_imprint(tq), sha1, 20), 1);
	encode_req(tq, &b);
	expect_rejection(s, b.data, b.len, KS_TSP_FAIL_BAD_DATA_FORMAT);
	ks_buf_cleanup(&b);
	TS_REQ_free(tq);
	/* Version 2: badRequest. */
	tq = decode_req(&req);
	assert_int_equal(TS_REQ_set_version(tq, 2), 1);
	encode_req(tq, &b);
	expect_rejection(s, b.data, b.len, KS_TSP_FAIL_BAD_REQUEST);
	ks_buf_cleanup(&b);
	TS_REQ_free(tq);
	/* An extension: unacceptedExtension. */
	tq = decode_req(&req);
	os = ASN1_OCTET_STRING_new();
	assert_int_equal(ASN1_OCTET_STRING_set(os, (const unsigned char *)"\x05\x00", 2), 1);
	ext = X509_EXTENSION_create_by_NID(NULL, NID_subject_key_identifier, 0, os);
	assert_non_null(ext);
	assert_int_equal(TS_REQ_add_ext(tq, ext, -1), 1);
	encode_req(tq, &b);
	expect_rejection(s, b.data, b.len, KS_TSP_FAIL_UNACCEPTED_EXTENSION);
	ks_buf_cleanup(&b);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	TS_REQ_free(tq);
	/* Another policy: unacceptedPolicy; this TSA's: granted. */
	tq = decode_req(&req);
	pol = OBJ_txt2obj("1.2.3.4", 1);
	assert_int_equal(TS_REQ_set_policy_id(tq, pol), 1);
	encode_req(tq, &b);
	expect_rejection(s, b.data, b.len, KS_TSP_FAIL_UNACCEPTED_POLICY);
	ks_buf_cleanup(&b);
	ASN1_OBJECT_free(pol);
	pol = OBJ_txt2obj("2.999.1", 1);
	assert_int_equal(TS_REQ_set_policy_id(tq, pol), 1);
	encode_req(tq, &b);
	respond(s, b.data, b.len, &resp, NULL);
	assert_ok(ks_tsp_resp_check(resp.data, resp.len, &req, NULL, NULL, &tok));
	ks_tsp_token_free(tok);
	tok = NULL;
	ks_buf_cleanup(&resp);
	ks_buf_cleanup(&b);
	ASN1_OBJECT_free(pol);
	TS_REQ_free(tq);

	/* A client told "rejection" fails, naming the reason. */
	respond(s, garbage, sizeof(garbage) - 1, &resp, NULL);
	assert_fails_with(ks_tsp_resp_check(resp.data, resp.len, &req, NULL, NULL, &tok),
			  KS_ERR_TSP);
	assert_non_null(strstr(ks_err_msg(), "refused"));
	assert_non_null(strstr(ks_err_msg(), "badDataFormat"));
	assert_null(tok);
	ks_buf_cleanup(&resp);
	ks_tsp_req_cleanup(&req);
	ks_tsp_server_free(s);
	ks_key_free(key);
}

static void test_rejection_encoding(void **state)
{
	static const enum ks_tsp_failure all[] = {
		KS_TSP_FAIL_BAD_ALG,
		KS_TSP_FAIL_BAD_REQUEST,
		KS_TSP_FAIL_BAD_DATA_FORMAT,
		KS_TSP_FAIL_TIME_NOT_AVAILABLE,
		KS_TSP_FAIL_UNACCEPTED_POLICY,
		KS_TSP_FAIL_UNACCEPTED_EXTENSION,
		KS_TSP_FAIL_ADD_INFO_NOT_AVAILABLE,
		KS_TSP_FAIL_SYSTEM_FAILURE,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct ks_buf b;
		struct ks_tsp_resp r;
		const unsigned char *p;
		TS_RESP *tr;
		const ASN1_BIT_STRING *fi;

		ks_buf_init(&b, RESP_MAX);
		assert_ok(ks_tsp_rejection(all[i], "lý do\x01", &b));
		assert_ok(ks_tsp_resp_parse(b.data, b.len, &r));
		assert_int_equal(r.status, KS_TSP_REJECTION);
		assert_int_equal(r.fail_bits, 1u << all[i]);
		/* Kept as printable ASCII. */
		assert_string_equal(r.text, "l?? do?");
		ks_tsp_resp_cleanup(&r);
		/* OpenSSL reads the same bit. */
		p = b.data;
		tr = d2i_TS_RESP(NULL, &p, (long)b.len);
		assert_non_null(tr);
		fi = TS_STATUS_INFO_get0_failure_info(TS_RESP_get_status_info(tr));
		assert_non_null(fi);
		assert_int_equal(ASN1_BIT_STRING_get_bit(fi, (int)all[i]), 1);
		TS_RESP_free(tr);
		ks_buf_cleanup(&b);
		assert_string_not_equal(ks_tsp_failure_name(all[i]), "unknown");
	}
	assert_string_equal(ks_tsp_status_name(KS_TSP_GRANTED_WITH_MODS), "grantedWithMods");
	assert_string_equal(ks_tsp_status_name(9), "unknown");
}

/* certReq absent: no certificates in the token (RFC 3161 2.4.1); the
 * TSA certificate must then come from elsewhere. */
static void test_no_cert_req(void **state)
{
	struct ks_key *key = file_key("tsa-rsa");
	struct ks_tsp_server *s = server(key, NULL, 0);
	struct ks_tsp_req req;
	struct ks_tsp_resp r;
	struct ks_tsp_verdict v;
	struct ks_tsp_token *t2 = NULL;
	struct ks_buf b, resp;
	STACK_OF(X509) *extra = sk_X509_new_null();
	X509 *other = load_cert(pki("tsa-ec.cert.pem"));
	TS_REQ *tq;

	(void)state;
	make_req(&req, KS_MD_SHA256, "no certReq");
	tq = decode_req(&req);
	assert_int_equal(TS_REQ_set_cert_req(tq, 0), 1);
	encode_req(tq, &b);
	respond(s, b.data, b.len, &resp, NULL);
	parse_resp(&resp, &r);
	assert_int_equal(sk_X509_num(ks_tsp_token_certs(r.token)), 0);
	assert_ok(ks_tsp_token_match(r.token, &req));
	assert_ok(ks_tsp_token_verify(r.token, NULL, NULL, &v));
	assert_int_equal(v.sub, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND);
	assert_null(ks_tsp_token_signer(r.token));
	assert_ok(ks_tsp_token_verify(r.token, other, NULL, &v));
	assert_int_equal(v.indication, KS_IND_INDETERMINATE);
	assert_ok(ks_tsp_token_verify(r.token, key->cert, NULL, &v));
	assert_int_equal(v.indication, KS_IND_TOTAL_PASSED);
	assert_int_equal(sk_X509_push(extra, key->cert), 1);
	assert_ok(ks_tsp_token_verify(r.token, NULL, extra, &v));
	assert_int_equal(v.indication, KS_IND_TOTAL_PASSED);
	assert_int_equal(X509_cmp(ks_tsp_token_signer(r.token), key->cert), 0);
	/* The client asked for the certificate (certReq): a token without
	 * it does not do. */
	assert_fails_with(ks_tsp_resp_check(resp.data, resp.len, &req, key->cert, NULL, &t2),
			  KS_ERR_TSP);
	assert_non_null(strstr(ks_err_msg(), "certReq"));
	assert_null(t2);
	sk_X509_free(extra);
	X509_free(other);
	ks_tsp_resp_cleanup(&r);
	ks_buf_cleanup(&resp);
	ks_buf_cleanup(&b);
	TS_REQ_free(tq);
	ks_tsp_req_cleanup(&req);
	ks_tsp_server_free(s);
	ks_key_free(key);
}

/* RFC 3161 2.3: the TSA certificate's extended key usage is present,
 * critical and timeStamping alone; anything else is refused, by the
 * responder at start and by the client in a token. */
static void test_tsa_eku(void **state)
{
	static const struct {
		const char *eku, *why;
	} cases[] = {
		{ NULL, "no extended key usage" },
		{ "timeStamping", "not critical" },
		{ "critical,timeStamping,emailProtection", "besides timeStamping" },
		{ "critical,emailProtection", "is not timeStamping" },
	};
	struct ks_tsp_server_cfg cfg;
	struct ks_tsp_server *s = NULL;
	struct ks_tsp_req req;
	struct ks_tsp_token *tok = NULL;
	struct ks_buf resp;
	struct ks_key *key;
	size_t i;

	(void)state;
	make_req(&req, KS_MD_SHA256, "eku");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]) + 1; i++) {
		bool principal = i == sizeof(cases) / sizeof(cases[0]);
		const char *why = principal ? "is not timeStamping" : cases[i].why;

		/* ... and the principal's own certificate (emailProtection). */
		key = principal ? file_key("principal-rsa") : eku_key(cases[i].eku);
		assert_fails_with(ks_tsp_check_tsa_cert(key->cert), KS_ERR_CERT);
		assert_non_null(strstr(ks_err_msg(), why));
		memset(&cfg, 0, sizeof(cfg));
		cfg.key = key;
		assert_fails_with(ks_tsp_server_new(&cfg, &s), KS_ERR_CERT);
		assert_null(s);
		forge_for(key, &req, &resp);
		assert_fails_with(ks_tsp_resp_check(resp.data, resp.len, &req, NULL, NULL, &tok),
				  KS_ERR_TSP);
		assert_non_null(strstr(ks_err_msg(), why));
		assert_non_null(strstr(ks_err_msg(), "CHAIN_CONSTRAINTS_FAILURE"));
		assert_null(tok);
		ks_buf_cleanup(&resp);
		ks_key_free(key);
	}
	/* The right one, made the same way, passes: the test key works. */
	key = eku_key("critical,timeStamping");
	assert_ok(ks_tsp_check_tsa_cert(key->cert));
	forge_for(key, &req, &resp);
	assert_ok(ks_tsp_resp_check(resp.data, resp.len, &req, NULL, NULL, &tok));
	ks_tsp_token_free(tok);
	ks_buf_cleanup(&resp);
	ks_key_free(key);
	ks_tsp_req_cleanup(&req);
}

/* Tokens from the wild: truncated, padded, altered, not a token. */
static void test_token_hostile(void **state)
{
	struct ks_key *key = file_key("tsa-rsa");
	struct ks_tsp_server *s = server(key, NULL, 0);
	struct ks_tsp_req req;
	struct ks_tsp_resp r;
	struct ks_tsp_token *tok = NULL;
	struct ks_tsp_verdict v;
	struct ks_buf resp, t, p7s;
	const struct ks_buf *der;
	size_t i, k;
	bool found = false;

	(void)state;
	make_req(&req, KS_MD_SHA256, "hostile");
	respond(s, req.der.data, req.der.len, &resp, NULL);
	parse_resp(&resp, &r);
	der = ks_tsp_token_der(r.token);
	ks_buf_init(&t, RESP_MAX);
	assert_ok(ks_buf_append(&t, der->data, der->len));

	/* Every truncation fails cleanly. */
	for (i = 0; i < t.len; i++) {
		ks_err_clear();
		assert_int_equal(ks_tsp_token_parse(t.data, i, &tok), -1);
		assert_null(tok);
		assert_int_not_equal(ks_err_code(), KS_OK);
	}
	/* Extra bytes, oversize, nothing. */
	assert_ok(ks_buf_append_byte(&t, 0));
	assert_fails_with(ks_tsp_token_parse(t.data, t.len, &tok), KS_ERR_PARSE);
	ks_buf_truncate(&t, t.len - 1);
	assert_fails_with(ks_tsp_token_parse(t.data, KS_TSP_TOKEN_MAX + 1, &tok), KS_ERR_LIMIT);
	assert_fails_with(ks_tsp_token_parse(t.data, 0, &tok), KS_ERR_TRUNCATED);

	/* A CMS signature that is not a timestamp token. */
	ks_buf_init(&p7s, RESP_MAX);
	assert_ok(ks_cms_sign_data(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, "x", 1, NULL, &p7s));
	assert_fails_with(ks_tsp_token_parse(p7s.data, p7s.len, &tok), KS_ERR_TSP);
	assert_non_null(strstr(ks_err_msg(), "id-ct-TSTInfo"));
	ks_buf_cleanup(&p7s);

	/* The nonce changed inside the signed TSTInfo: still parses, no
	 * longer matches, and the signature no longer covers it. */
	for (k = 0; k + req.nonce_len <= t.len && !found; k++)
		found = memcmp(t.data + k, req.nonce, req.nonce_len) == 0;
	assert_true(found);
	t.data[k - 1 + req.nonce_len - 1] ^= 0x01;
	assert_ok(ks_tsp_token_parse(t.data, t.len, &tok));
	assert_fails_with(ks_tsp_token_match(tok, &req), KS_ERR_TSP);
	assert_ok(ks_tsp_token_verify(tok, NULL, NULL, &v));
	assert_int_equal(v.sub, KS_SUB_HASH_FAILURE);
	ks_tsp_token_free(tok);
	tok = NULL;
	t.data[k - 1 + req.nonce_len - 1] ^= 0x01;
	/* The last byte is in the signature value. */
	t.data[t.len - 1] ^= 0x01;
	assert_ok(ks_tsp_token_parse(t.data, t.len, &tok));
	assert_ok(ks_tsp_token_verify(tok, NULL, NULL, &v));
	assert_int_equal(v.sub, KS_SUB_SIG_CRYPTO_FAILURE);
	assert_null(ks_tsp_token_signer(tok));
	ks_tsp_token_free(tok);
	tok = NULL;
	t.data[t.len - 1] ^= 0x01;
	assert_ok(ks_tsp_token_parse(t.data, t.len, &tok));
	assert_ok(ks_tsp_token_verify(tok, NULL, NULL, &v));
	assert_int_equal(v.indication, KS_IND_TOTAL_PASSED);
	ks_tsp_token_free(tok);

	ks_buf_cleanup(&t);
	ks_tsp_resp_cleanup(&r);
	ks_buf_cleanup(&resp);
	ks_tsp_req_cleanup(&req);
	ks_tsp_server_free(s);
	ks_key_free(key);
}

static void resp_fails(const uint8_t *d, size_t n, enum ks_err_code code)
{
	struct ks_tsp_resp r;

	assert_fails_with(ks_tsp_resp_parse(d, n, &r), code);
	assert_null(r.token);
}

static void test_resp_hostile(void **state)
{
	static const uint8_t granted_no_token[] = { 0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00 };
	static const uint8_t status9[] = { 0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x09 };
	static const uint8_t status_long[] = { 0x30, 0x06, 0x30, 0x04, 0x02, 0x02, 0x00, 0x02 };
	static const uint8_t trailing[] = { 0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02, 0x00 };
	static const uint8_t big_bits[] = { 0x30, 0x0d, 0x30, 0x0b, 0x02, 0x01, 0x02, 0x03,
					    0x06, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05 };
	static const uint8_t empty_text[] = {
		0x30, 0x07, 0x30, 0x05, 0x02, 0x01, 0x02, 0x30, 0x00
	};
	static const uint8_t text_wrong_type[] = { 0x30, 0x09, 0x30, 0x07, 0x02, 0x01,
						   0x02, 0x30, 0x02, 0x04, 0x00 };
	static const uint8_t indefinite[] = { 0x30, 0x80, 0x30, 0x03, 0x02, 0x01, 0x02, 0, 0 };
	struct ks_key *key = file_key("tsa-rsa");
	struct ks_tsp_server *s = server(key, NULL, 0);
	struct ks_tsp_req req;
	struct ks_buf resp, b;
	struct ks_tsp_resp r;
	size_t i;

	(void)state;
	resp_fails(granted_no_token, sizeof(granted_no_token), KS_ERR_TSP);
	resp_fails(status9, sizeof(status9), KS_ERR_PARSE);
	resp_fails(status_long, sizeof(status_long), KS_ERR_PARSE);
	resp_fails(trailing, sizeof(trailing), KS_ERR_PARSE);
	resp_fails(big_bits, sizeof(big_bits), KS_ERR_LIMIT);
	resp_fails(empty_text, sizeof(empty_text), KS_ERR_PARSE);
	resp_fails(text_wrong_type, sizeof(text_wrong_type), KS_ERR_PARSE);
	resp_fails(indefinite, sizeof(indefinite), KS_ERR_PARSE);
	resp_fails(NULL, 0, KS_ERR_TRUNCATED);

	make_req(&req, KS_MD_SHA256, "resp");
	respond(s, req.der.data, req.der.len, &resp, NULL);
	for (i = 0; i < resp.len; i++) {
		ks_err_clear();
		assert_int_equal(ks_tsp_resp_parse(resp.data, i, &r), -1);
		assert_null(r.token);
	}
	resp_fails(resp.data, KS_TSP_RESP_MAX + 1, KS_ERR_LIMIT);
	/* A token with status rejection. */
	ks_buf_init(&b, RESP_MAX);
	assert_ok(ks_buf_append(&b, resp.data, resp.len));
	assert_int_equal(b.data[8], KS_TSP_GRANTED); /* 30 82 LL LL 30 03 02 01 00 */
	b.data[8] = KS_TSP_REJECTION;
	resp_fails(b.data, b.len, KS_ERR_TSP);
	b.data[8] = KS_TSP_GRANTED_WITH_MODS;
	assert_ok(ks_tsp_resp_parse(b.data, b.len, &r));
	assert_int_equal(r.status, KS_TSP_GRANTED_WITH_MODS);
	ks_tsp_resp_cleanup(&r);
	ks_buf_cleanup(&b);
	ks_buf_cleanup(&resp);
	ks_tsp_req_cleanup(&req);
	ks_tsp_server_free(s);
	ks_key_free(key);
}

static int gentime(const char *text, time_t *secs, uint32_t *us)
{
	ASN1_GENERALIZEDTIME *t = ASN1_STRING_type_new(V_ASN1_GENERALIZEDTIME);
	int rc;

	assert_non_null(t);
	assert_int_equal(ASN1_STRING_set(t, text, -1), 1);
	ks_err_clear();
	rc = ks_tsp_gentime_parse(t, secs, us);
	ASN1_STRING_free(t);
	return rc;
}

/* RFC 3161 2.4.2: UTC, seconds always, a fraction without trailing
 * zeros. */
static void test_gentime(void **state)
{
	static const char *const bad[] = {
		"20250101120000",
		"202501011200Z",
		"20250101120000.Z",
		"20250101120000.50Z",
		"20250101120000+0700",
		"20250230120000Z",
		"20251301120000Z",
		"20250101240000Z",
		"20250101126000Z",
		"2025010112000aZ",
		"19490101000000Z",
		"20250101120000Z ",
		"",
	};
	time_t t = 0;
	uint32_t us = 0;
	size_t i;

	(void)state;
	assert_ok(gentime("20250101120000Z", &t, &us));
	assert_int_equal(t, 1735732800);
	assert_int_equal(us, 0);
	assert_ok(gentime("20250101120000.5Z", &t, &us));
	assert_int_equal(us, 500000);
	assert_ok(gentime("20250101120000.000123Z", &t, &us));
	assert_int_equal(us, 123);
	assert_ok(gentime("20250101120000.123456789Z", &t, &us));
	assert_int_equal(us, 123456);
	assert_ok(gentime("20240229235959Z", &t, &us));
	assert_int_equal(gentime("20250101120000.1234567891Z", &t, &us), -1);
	assert_int_equal(ks_err_code(), KS_ERR_LIMIT);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (gentime(bad[i], &t, &us) != -1)
			fail_msg("genTime '%s' accepted", bad[i]);
		assert_int_not_equal(ks_err_code(), KS_OK);
	}
}

/* The TSA key on a PKCS#11 token (SoftHSM, `make pki`). */
static void test_token_key(void **state)
{
	const char *uri = getenv("KYSO_URI_TSA_RSA");
	struct ks_key *key = NULL;
	struct ks_tsp_server *s;
	struct ks_tsp_req req;
	struct ks_tsp_token *tok = NULL;
	struct ks_buf resp;

	(void)state;
	if (getenv("SOFTHSM2_CONF") == NULL || uri == NULL)
		fail_msg("SoftHSM test tokens not configured: source build/pki/env.sh");
	setenv("KYSO_PIN", getenv("KYSO_TEST_PIN") ? getenv("KYSO_TEST_PIN") : "123456", 1);
	assert_ok(ks_p11_init());
	assert_ok(ks_p11_key_open(uri, NULL, &key));
	assert_string_equal(key->ops->kind, "token");
	s = server(key, NULL, 1000000);
	make_req(&req, KS_MD_SHA512, "token");
	respond(s, req.der.data, req.der.len, &resp, NULL);
	assert_ok(ks_tsp_resp_check(resp.data, resp.len, &req, NULL, NULL, &tok));
	assert_int_equal(X509_cmp(ks_tsp_token_signer(tok), key->cert), 0);
	assert_int_equal(ks_tsp_token_info(tok)->accuracy_us, 1000000);
	assert_int_equal(ossl_verify(&req, &resp, pki("tok-tsa-rsa.chain.pem")), 1);
	ks_tsp_token_free(tok);
	ks_buf_cleanup(&resp);
	ks_tsp_req_cleanup(&req);
	ks_tsp_server_free(s);
	ks_key_free(key);
	ks_p11_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_build),     cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_serials),       cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_rejections),    cmocka_unit_test(test_rejection_encoding),
		cmocka_unit_test(test_no_cert_req),   cmocka_unit_test(test_tsa_eku),
		cmocka_unit_test(test_token_hostile), cmocka_unit_test(test_resp_hostile),
		cmocka_unit_test(test_gentime),       cmocka_unit_test(test_token_key),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
