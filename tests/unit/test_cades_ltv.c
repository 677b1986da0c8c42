/* formats/cms/ks_cades_ltv: certificate-values and revocation-values
 * encode and parse back item for item; hostile values (truncated, wrong
 * tags, bytes after the value, fields repeated or out of order,
 * otherRevVals, too many items) are refused and leave the caller's lists
 * as they were; the ats-hash-index-v3 of a real SignedData hashes each
 * certificate and each unsigned attribute value, and leaves out the
 * default hash algorithm (DER); a stored index is checked against the
 * signature as it is: values added later pass, a value it covered that
 * was changed fails, malformed indexes are refused. */
#include <openssl/pem.h>

#include "formats/cms/ks_cades_ltv.h"
#include "formats/cms/ks_cms.h"
#include "ks_io.h"
#include "ks_key.h"
#include "ks_test.h"

#define BIG ((size_t)16 << 20)

static void der_of(const char *pem, struct ks_buf *out)
{
	FILE *f = fopen(pem, "r");
	X509 *x;
	unsigned char *p = NULL;
	int n;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	n = i2d_X509(x, &p);
	assert_true(n > 0);
	ks_buf_init(out, KS_CADES_ITEM_MAX);
	assert_ok(ks_buf_set(out, p, (size_t)n));
	OPENSSL_free(p);
	X509_free(x);
}

static void set(struct ks_buf *b, const void *p, size_t n)
{
	ks_buf_init(b, KS_CADES_ITEM_MAX);
	assert_ok(ks_buf_set(b, p, n));
}

static void test_round_trip(void **state)
{
	static const uint8_t fake_ocsp[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
	struct ks_cades_values v, back;
	struct ks_buf cv, rv, crl;

	(void)state;
	ks_cades_values_init(&v);
	der_of(ks_test_pki("principal-rsa.cert.pem"), &v.certs[0]);
	der_of(ks_test_pki("gov-ca.pem"), &v.certs[1]);
	v.n_certs = 2;
	ks_buf_init(&crl, BIG);
	assert_ok(ks_file_read(ks_test_pki("crl/root.crl.der"), BIG, &crl));
	set(&v.crls[0], crl.data, crl.len);
	v.n_crls = 1;
	set(&v.ocsps[0], fake_ocsp, sizeof(fake_ocsp));
	v.n_ocsps = 1;
	ks_buf_init(&cv, BIG);
	ks_buf_init(&rv, BIG);
	assert_ok(ks_cades_values_encode(&v, &cv, &rv));

	ks_cades_values_init(&back);
	assert_ok(ks_cades_cert_values_parse(cv.data, cv.len, &back));
	assert_ok(ks_cades_rev_values_parse(rv.data, rv.len, &back));
	assert_int_equal(back.n_certs, 2);
	assert_int_equal(back.n_crls, 1);
	assert_int_equal(back.n_ocsps, 1);
	assert_true(ks_buf_equal(&back.certs[0], &v.certs[0]));
	assert_true(ks_buf_equal(&back.certs[1], &v.certs[1]));
	assert_true(ks_buf_equal(&back.crls[0], &v.crls[0]));
	assert_true(ks_buf_equal(&back.ocsps[0], &v.ocsps[0]));
	/* EXPLICIT tags: [0] then a SEQUENCE OF. */
	assert_int_equal(rv.data[0], 0x30);
	ks_cades_values_cleanup(&back);

	/* Only OCSP: crlVals left out. */
	ks_buf_cleanup(&v.crls[0]);
	v.n_crls = 0;
	ks_buf_reset(&cv);
	ks_buf_reset(&rv);
	assert_ok(ks_cades_values_encode(&v, &cv, &rv));
	ks_cades_values_init(&back);
	assert_ok(ks_cades_rev_values_parse(rv.data, rv.len, &back));
	assert_int_equal(back.n_crls, 0);
	assert_int_equal(back.n_ocsps, 1);
	ks_cades_values_cleanup(&back);

	/* No certificate: refused. */
	v.n_certs = 0;
	assert_fails_with(ks_cades_values_encode(&v, &cv, &rv), KS_ERR_ARG);
	v.n_certs = 2;
	ks_cades_values_cleanup(&v);
	ks_buf_cleanup(&cv);
	ks_buf_cleanup(&rv);
	ks_buf_cleanup(&crl);
}

static void rev_fails(const uint8_t *p, size_t n, enum ks_err_code code)
{
	struct ks_cades_values v;

	ks_cades_values_init(&v);
	assert_fails_with(ks_cades_rev_values_parse(p, n, &v), code);
	assert_int_equal(v.n_crls + v.n_ocsps + v.n_certs, 0);
}

static void cert_fails(const uint8_t *p, size_t n, enum ks_err_code code)
{
	struct ks_cades_values v;

	ks_cades_values_init(&v);
	assert_fails_with(ks_cades_cert_values_parse(p, n, &v), code);
	assert_int_equal(v.n_certs, 0);
}

static void test_hostile(void **state)
{
	/* SEQUENCE { [0] SEQUENCE { SEQUENCE{} } } is fine: one empty "CRL". */
	static const uint8_t ok_crl[] = { 0x30, 0x06, 0xa0, 0x04, 0x30, 0x02, 0x30, 0x00 };
	static const uint8_t truncated[] = { 0x30, 0x06, 0xa0, 0x04, 0x30, 0x02, 0x30 };
	static const uint8_t trailing[] = { 0x30, 0x00, 0x00 };
	static const uint8_t other[] = { 0x30, 0x04, 0xa2, 0x02, 0x30, 0x00 };
	static const uint8_t order[] = {
		0x30, 0x08, 0xa1, 0x02, 0x30, 0x00, 0xa0, 0x02, 0x30, 0x00
	};
	static const uint8_t twice[] = {
		0x30, 0x08, 0xa0, 0x02, 0x30, 0x00, 0xa0, 0x02, 0x30, 0x00
	};
	static const uint8_t not_seq[] = { 0x30, 0x06, 0xa0, 0x04, 0x30, 0x02, 0x04, 0x00 };
	static const uint8_t bad_tag[] = { 0x30, 0x02, 0x05, 0x00 };
	static const uint8_t indefinite[] = { 0x30, 0x80, 0x00, 0x00 };
	/* One CRL good, the second item not a SEQUENCE: nothing kept. */
	static const uint8_t half[] = {
		0x30, 0x08, 0xa0, 0x06, 0x30, 0x04, 0x30, 0x00, 0x02, 0x00
	};
	/* ocspVals read, then a second [1]: the OCSP items read go too. */
	static const uint8_t ocsp_twice[] = { 0x30, 0x0c, 0xa1, 0x04, 0x30, 0x02, 0x30,
					      0x00, 0xa1, 0x04, 0x30, 0x02, 0x30, 0x00 };
	static const uint8_t cert_not_seq[] = { 0x30, 0x02, 0x02, 0x00 };
	static const uint8_t cert_after[] = { 0x30, 0x02, 0x30, 0x00, 0x30 };
	struct ks_cades_values v;
	struct ks_buf many;
	size_t i;

	(void)state;
	ks_cades_values_init(&v);
	assert_ok(ks_cades_rev_values_parse(ok_crl, sizeof(ok_crl), &v));
	assert_int_equal(v.n_crls, 1);
	ks_cades_values_cleanup(&v);

	rev_fails(truncated, sizeof(truncated), KS_ERR_TRUNCATED);
	rev_fails(trailing, sizeof(trailing), KS_ERR_PARSE);
	rev_fails(other, sizeof(other), KS_ERR_UNSUPPORTED);
	rev_fails(order, sizeof(order), KS_ERR_PARSE);
	rev_fails(twice, sizeof(twice), KS_ERR_PARSE);
	rev_fails(not_seq, sizeof(not_seq), KS_ERR_PARSE);
	rev_fails(bad_tag, sizeof(bad_tag), KS_ERR_PARSE);
	rev_fails(indefinite, sizeof(indefinite), KS_ERR_PARSE);
	rev_fails(half, sizeof(half), KS_ERR_PARSE);
	rev_fails(ocsp_twice, sizeof(ocsp_twice), KS_ERR_PARSE);
	rev_fails(NULL, 0, KS_ERR_TRUNCATED);
	cert_fails(cert_not_seq, sizeof(cert_not_seq), KS_ERR_PARSE);
	cert_fails(cert_after, sizeof(cert_after), KS_ERR_PARSE);
	cert_fails(trailing, sizeof(trailing), KS_ERR_PARSE);

	/* KS_CADES_VALUES_MAX + 1 empty certificates. */
	ks_buf_init(&many, BIG);
	assert_ok(ks_buf_append(&many, "\x30\x82", 2));
	assert_ok(ks_buf_append_byte(&many, (uint8_t)(((KS_CADES_VALUES_MAX + 1) * 2) >> 8)));
	assert_ok(ks_buf_append_byte(&many, (uint8_t)(((KS_CADES_VALUES_MAX + 1) * 2) & 0xff)));
	for (i = 0; i <= KS_CADES_VALUES_MAX; i++)
		assert_ok(ks_buf_append(&many, "\x30\x00", 2));
	cert_fails(many.data, many.len, KS_ERR_LIMIT);
	ks_buf_cleanup(&many);
}

/* Count the OCTET STRINGs of the SEQUENCE OF at `c`. */
static size_t count_hashes(struct ks_cur *c, size_t hlen)
{
	struct ks_cur seq, os;
	size_t n = 0;

	assert_ok(ks_der_expect(c, 0x30, &seq));
	while (seq.left > 0) {
		assert_ok(ks_der_expect(&seq, 0x04, &os));
		assert_int_equal(os.left, hlen);
		n++;
	}
	return n;
}

static void test_hash_index(void **state)
{
	static const char data[] = "học bạ";
	struct ks_key *key = NULL;
	struct ks_cms_sign_opts o;
	struct ks_cms *cms = NULL;
	struct ks_buf der, idx, digest, cd;
	struct ks_cur c, body;
	char k[4096], ce[4096], ch[4096];
	size_t certs;

	(void)state;
	snprintf(k, sizeof(k), "%s", ks_test_pki("principal-rsa.key.pem"));
	snprintf(ce, sizeof(ce), "%s", ks_test_pki("principal-rsa.cert.pem"));
	snprintf(ch, sizeof(ch), "%s", ks_test_pki("principal-rsa.chain.pem"));
	assert_ok(ks_filekey_open(k, ce, ch, NULL, &key));
	ks_cms_sign_opts_init(&o);
	ks_buf_init(&der, BIG);
	assert_ok(ks_cms_sign_data(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, data, sizeof(data) - 1, &o,
				   &der));
	assert_ok(ks_cms_parse(der.data, der.len, false, &cms));
	certs = (size_t)sk_X509_num(ks_cms_get0_certs(cms));
	assert_true(certs >= 2);
	assert_non_null(ks_cades_signer_cert(cms, 0));
	assert_null(ks_cades_signer_cert(cms, 1));

	ks_buf_init(&idx, BIG);
	assert_ok(ks_cades_ats_hash_index(cms, 0, KS_MD_SHA256, &idx));
	ks_cur_init(&c, idx.data, idx.len);
	assert_ok(ks_der_expect(&c, 0x30, &body));
	assert_int_equal(c.left, 0);
	/* SHA-256 is the default: no AlgorithmIdentifier first. */
	assert_int_equal(count_hashes(&body, 32), certs);
	assert_int_equal(count_hashes(&body, 32), 0); /* no CRLs */
	assert_int_equal(count_hashes(&body, 32), 0); /* no unsigned attributes yet */
	assert_int_equal(body.left, 0);

	/* SHA-384: the algorithm is named. */
	ks_buf_reset(&idx);
	assert_ok(ks_cades_ats_hash_index(cms, 0, KS_MD_SHA384, &idx));
	ks_cur_init(&c, idx.data, idx.len);
	assert_ok(ks_der_expect(&c, 0x30, &body));
	assert_ok(ks_der_expect(&body, 0x30, &c)); /* AlgorithmIdentifier */
	assert_int_equal(count_hashes(&body, 48), certs);

	/* The digest over it: SHA-256 long; a wrong content digest length refused. */
	ks_buf_init(&cd, 64);
	assert_ok(ks_md_digest(KS_MD_SHA256, data, sizeof(data) - 1, &cd));
	ks_buf_init(&digest, 64);
	assert_ok(ks_cades_ats_digest(cms, 0, KS_MD_SHA256, cd.data, cd.len, &idx, &digest));
	assert_int_equal(digest.len, 32);
	assert_fails_with(ks_cades_ats_digest(cms, 0, KS_MD_SHA256, cd.data, 20, &idx, &digest),
			  KS_ERR_ARG);
	assert_fails_with(ks_cades_ats_hash_index(cms, 3, KS_MD_SHA256, &idx), KS_ERR_ARG);

	ks_cms_free(cms);
	ks_key_free(key);
	ks_buf_cleanup(&der);
	ks_buf_cleanup(&idx);
	ks_buf_cleanup(&digest);
	ks_buf_cleanup(&cd);
}

/* sd with one more unsigned attribute (revocation-values OID, value v). */
static void with_attr(const struct ks_buf *sd, const uint8_t *v, size_t n, struct ks_buf *out,
		      struct ks_cms **cms)
{
	ks_buf_init(out, BIG);
	assert_ok(ks_cms_add_unsigned_attr(sd->data, sd->len, 0, KS_CADES_OID_REVOCATION_VALUES, v,
					   n, out));
	assert_ok(ks_cms_parse(out->data, out->len, false, cms));
}

static void test_index_check(void **state)
{
	static const char data[] = "học bạ";
	static const uint8_t v1[] = { 0x30, 0x00 }, v2[] = { 0x30, 0x02, 0x05, 0x00 };
	/* hashIndAlgorithm SHA-1: not one kyso reads */
	static const uint8_t sha1_idx[] = { 0x30, 0x0f, 0x30, 0x07, 0x06, 0x05, 0x2b, 0x0e, 0x03,
					    0x02, 0x1a, 0x30, 0x00, 0x30, 0x00, 0x30, 0x00 };
	static const uint8_t short_hash[] = { 0x30, 0x0a, 0x30, 0x04, 0x04, 0x02,
					      0xaa, 0xbb, 0x30, 0x00, 0x30, 0x00 };
	static const uint8_t two_lists[] = { 0x30, 0x04, 0x30, 0x00, 0x30, 0x00 };
	static const uint8_t five[] = { 0x30, 0x0a, 0x30, 0x00, 0x30, 0x00,
					0x30, 0x00, 0x30, 0x00, 0x30, 0x00 };
	struct ks_key *key = NULL;
	struct ks_cms_sign_opts o;
	struct ks_cms *c0 = NULL, *c1 = NULL, *c2 = NULL, *c12 = NULL;
	struct ks_buf d0, d1, d2, d12, i0, i1, i384;
	char k[4096], ce[4096], ch[4096];
	enum ks_md md;

	(void)state;
	snprintf(k, sizeof(k), "%s", ks_test_pki("principal-rsa.key.pem"));
	snprintf(ce, sizeof(ce), "%s", ks_test_pki("principal-rsa.cert.pem"));
	snprintf(ch, sizeof(ch), "%s", ks_test_pki("principal-rsa.chain.pem"));
	assert_ok(ks_filekey_open(k, ce, ch, NULL, &key));
	ks_cms_sign_opts_init(&o);
	ks_buf_init(&d0, BIG);
	assert_ok(
	    ks_cms_sign_data(key, KS_SIG_RSA_PKCS1, KS_MD_SHA256, data, sizeof(data) - 1, &o, &d0));
	assert_ok(ks_cms_parse(d0.data, d0.len, false, &c0));
	with_attr(&d0, v1, sizeof(v1), &d1, &c1);   /* the value v1 */
	with_attr(&d0, v2, sizeof(v2), &d2, &c2);   /* v2 in its place */
	with_attr(&d1, v2, sizeof(v2), &d12, &c12); /* v1, then v2 added */
	ks_buf_init(&i0, BIG);
	ks_buf_init(&i1, BIG);
	ks_buf_init(&i384, BIG);
	assert_ok(ks_cades_ats_hash_index(c0, 0, KS_MD_SHA256, &i0));
	assert_ok(ks_cades_ats_hash_index(c1, 0, KS_MD_SHA256, &i1));
	assert_ok(ks_cades_ats_hash_index(c1, 0, KS_MD_SHA384, &i384));

	/* An index covers the signature it was made of, and what was added later. */
	assert_ok(ks_cades_ats_index_check(c0, 0, &i0));
	assert_ok(ks_cades_ats_index_check(c1, 0, &i0));
	assert_ok(ks_cades_ats_index_check(c1, 0, &i1));
	assert_ok(ks_cades_ats_index_check(c12, 0, &i1));
	assert_ok(ks_cades_ats_index_check(c12, 0, &i384));
	assert_ok(ks_cades_ats_index_md(i384.data, i384.len, &md));
	assert_int_equal(md, KS_MD_SHA384);
	assert_ok(ks_cades_ats_index_md(i1.data, i1.len, &md));
	assert_int_equal(md, KS_MD_SHA256);
	/* A value it covered, changed or gone. */
	assert_fails_with(ks_cades_ats_index_check(c2, 0, &i1), KS_ERR_VERIFY);
	assert_fails_with(ks_cades_ats_index_check(c0, 0, &i1), KS_ERR_VERIFY);
	assert_fails_with(ks_cades_ats_index_check(c0, 0, &i384), KS_ERR_VERIFY);
	/* Indexes of two algorithms do not compare. */
	assert_fails_with(ks_cades_ats_index_covers(i1.data, i1.len, i384.data, i384.len),
			  KS_ERR_ARG);
	/* Malformed stored indexes. */
	assert_fails_with(ks_cades_ats_index_md(sha1_idx, sizeof(sha1_idx), &md),
			  KS_ERR_UNSUPPORTED);
	assert_fails_with(ks_cades_ats_index_check(c1, 0,
						   &(struct ks_buf){ .data = (uint8_t *)short_hash,
								     .len = sizeof(short_hash) }),
			  KS_ERR_PARSE);
	assert_fails_with(ks_cades_ats_index_md(two_lists, sizeof(two_lists), &md), KS_ERR_PARSE);
	assert_fails_with(ks_cades_ats_index_md(five, sizeof(five), &md), KS_ERR_PARSE);
	assert_fails_with(ks_cades_ats_index_md(i1.data, i1.len - 1, &md), KS_ERR_TRUNCATED);

	ks_cms_free(c0);
	ks_cms_free(c1);
	ks_cms_free(c2);
	ks_cms_free(c12);
	ks_key_free(key);
	ks_buf_cleanup(&d0);
	ks_buf_cleanup(&d1);
	ks_buf_cleanup(&d2);
	ks_buf_cleanup(&d12);
	ks_buf_cleanup(&i0);
	ks_buf_cleanup(&i1);
	ks_buf_cleanup(&i384);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_hash_index),
		cmocka_unit_test(test_index_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
