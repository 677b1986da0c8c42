/* Unit tests for the XAdES long-term properties (formats/xml/ks_xades_ts):
 * what a SignatureTimeStamp and an ArchiveTimeStamp cover, the elements
 * written, and how the verifier reads them back, with broken elements.
 * The format layer does not parse tokens (signer/ does), so the tokens
 * here are marker bytes; the digests are what is checked. */
#include "ks_test.h"

#include "formats/xml/ks_xades.h"
#include "formats/xml/ks_xml.h"
#include "ks_buf.h"
#include "ks_key.h"

static const char record[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<SoDiem xmlns=\"urn:kyso:test:sodiem\" lop=\"10A2\">\n"
    "  <HocSinh Id=\"hs1\"><HoTen>Phạm Minh Đức</HoTen><Diem mon=\"Toán\">7.5</Diem></HocSinh>\n"
    "</SoDiem>\n";

static const uint8_t tok_sig[] = "signature-timestamp-token";
static const uint8_t tok_arc[] = "archive-timestamp-token";
static const uint8_t ocsp[] = "an OCSP response";
static const uint8_t crl[] = "a CRL";

struct lt_arg {
	struct ks_buf sig_digest, arc_digest;
	size_t extra_sig_ts; /* more SignatureTimeStamps to add */
	bool archive;
};

static struct ks_key *file_key(const char *entity)
{
	char k[4200], c[4200], ch[4200];
	struct ks_key *key = NULL;
	const char *base = ks_test_pki(entity);

	assert_non_null(base);
	assert_true(strlen(base) < 4096);
	snprintf(k, sizeof(k), "%.4096s.key.pem", base);
	snprintf(c, sizeof(c), "%.4096s.cert.pem", base);
	snprintf(ch, sizeof(ch), "%.4096s.chain.pem", base);
	assert_ok(ks_filekey_open(k, c, ch, NULL, &key));
	return key;
}

static int add_lt(void *arg, struct ks_xml_doc *d, xmlNodePtr sig)
{
	struct lt_arg *a = arg;
	struct ks_buf crls;
	size_t i;
	int rc;

	if (ks_xades_ts_digest(d, sig, KS_XADES_TS_SIGNATURE, NULL, KS_C14N_EXC, NULL, 0,
			       KS_MD_SHA256, &a->sig_digest) < 0 ||
	    ks_xades_add_timestamp(sig, KS_XADES_TS_SIGNATURE, KS_C14N_EXC, tok_sig,
				   sizeof(tok_sig)) < 0)
		return -1;
	for (i = 0; i < a->extra_sig_ts; i++)
		if (ks_xades_add_timestamp(sig, KS_XADES_TS_SIGNATURE, KS_C14N_EXC, tok_sig,
					   sizeof(tok_sig)) < 0)
			return -1;
	ks_buf_init(&crls, 64);
	rc = ks_buf_set(&crls, crl, sizeof(crl));
	if (rc == 0) {
		struct ks_buf ocsps;

		ks_buf_init(&ocsps, 64);
		rc = ks_buf_set(&ocsps, ocsp, sizeof(ocsp));
		if (rc == 0)
			rc = ks_xades_add_values(sig, NULL, 0, &ocsps, 1, &crls, 1);
		ks_buf_cleanup(&ocsps);
	}
	ks_buf_cleanup(&crls);
	if (rc < 0 || !a->archive)
		return rc;
	if (ks_xades_ts_digest(d, sig, KS_XADES_TS_ARCHIVE, NULL, KS_C14N_EXC, NULL, 0,
			       KS_MD_SHA256, &a->arc_digest) < 0)
		return -1;
	return ks_xades_add_timestamp(sig, KS_XADES_TS_ARCHIVE, KS_C14N_EXC, tok_arc,
				      sizeof(tok_arc));
}

static void sign_lt(struct lt_arg *a, struct ks_buf *out)
{
	struct ks_key *key = file_key("principal-rsa");
	struct ks_xades_sign_opts o;

	ks_buf_init(&a->sig_digest, 64);
	ks_buf_init(&a->arc_digest, 64);
	ks_xades_sign_opts_init(&o);
	o.unsigned_fn = add_lt;
	o.unsigned_arg = a;
	ks_buf_init(out, KS_XADES_OUT_MAX);
	assert_ok(ks_xades_sign(key, (const uint8_t *)record, strlen(record), &o, out));
	ks_key_free(key);
}

static void verify_buf(const struct ks_buf *b, struct ks_xades_result *r)
{
	ks_xades_result_init(r);
	assert_ok(ks_xades_verify_mem(b->data, b->len, NULL, r));
	assert_false(r->unreadable);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->sigs[0].sub, KS_SUB_NONE);
}

static void patch(struct ks_buf *b, const char *from, const char *to)
{
	char *hit;
	size_t a = strlen(from), z = strlen(to), tail;

	assert_ok(ks_buf_reserve(b, z + 1));
	assert_ok(ks_buf_append_byte(b, 0));
	b->len--;
	hit = strstr((char *)b->data, from);
	assert_non_null(hit);
	tail = b->len - (size_t)(hit + a - (char *)b->data);
	memmove(hit + z, hit + a, tail + 1);
	memcpy(hit, to, z);
	b->len = b->len - a + z;
}

static bool same(const struct ks_xades_ts_fact *t, const struct ks_buf *want)
{
	return t->digest_len[KS_MD_SHA256] == want->len &&
	       memcmp(t->digest[KS_MD_SHA256], want->data, want->len) == 0;
}

/* What is written is read back: the tokens, the digests of what each
 * timestamp covers, the revocation values, the presence bits. */
static void test_roundtrip(void **state)
{
	struct lt_arg a = { .archive = true };
	struct ks_xades_result r;
	struct ks_xades_sig_facts *f;
	struct ks_buf out;

	(void)state;
	sign_lt(&a, &out);
	assert_ok(ks_buf_append_byte(&out, 0));
	out.len--;
	assert_non_null(strstr((const char *)out.data, "<xades:SignatureTimeStamp>"));
	assert_non_null(strstr((const char *)out.data, "xmlns:xades141=\"" KS_NS_XADES141 "\""));
	assert_non_null(strstr((const char *)out.data, "<xades:EncapsulatedOCSPValue>"));
	assert_non_null(strstr((const char *)out.data, "<xades:EncapsulatedCRLValue>"));
	verify_buf(&out, &r);
	f = &r.sigs[0];
	assert_true((f->unsigned_props & KS_XADES_U_SIG_TIMESTAMP) != 0);
	assert_true((f->unsigned_props & KS_XADES_U_REV_VALUES) != 0);
	assert_true((f->unsigned_props & KS_XADES_U_ARCHIVE_TIMESTAMP) != 0);
	assert_true((f->unsigned_props & KS_XADES_U_OTHER) == 0);
	assert_int_equal(f->n_ts, 2);
	assert_int_equal(f->ts[0].kind, KS_XADES_TS_SIGNATURE);
	assert_int_equal(f->ts[1].kind, KS_XADES_TS_ARCHIVE);
	assert_string_equal(f->ts[0].problem, "");
	assert_string_equal(f->ts[1].problem, "");
	assert_int_equal(f->ts[0].token.len, sizeof(tok_sig));
	assert_memory_equal(f->ts[0].token.data, tok_sig, sizeof(tok_sig));
	assert_memory_equal(f->ts[1].token.data, tok_arc, sizeof(tok_arc));
	assert_true(same(&f->ts[0], &a.sig_digest));
	assert_true(same(&f->ts[1], &a.arc_digest));
	assert_int_equal(f->ts[0].digest_len[KS_MD_SHA384], 48);
	assert_int_equal(f->ts[0].digest_len[KS_MD_SHA512], 64);
	assert_int_equal(f->n_vals, 2);
	assert_int_equal(f->vals[0].kind, KS_XADES_VAL_OCSP);
	assert_memory_equal(f->vals[0].der.data, ocsp, sizeof(ocsp));
	assert_int_equal(f->vals[1].kind, KS_XADES_VAL_CRL);
	ks_xades_result_cleanup(&r);
	ks_buf_cleanup(&out);
	ks_buf_cleanup(&a.sig_digest);
	ks_buf_cleanup(&a.arc_digest);
}

/* The archive timestamp covers the unsigned properties before it and the
 * signed data: a changed validation value or a changed record changes
 * its digest; the signature timestamp's digest only follows the
 * SignatureValue. */
static void test_coverage(void **state)
{
	struct lt_arg a = { .archive = true };
	struct ks_xades_result r;
	struct ks_buf out;
	char *p;

	(void)state;
	sign_lt(&a, &out);
	assert_ok(ks_buf_append_byte(&out, 0));
	out.len--;
	/* the CRL's base64 ("YSBDUkwA") changed */
	p = strstr((char *)out.data, "YSBDUkwA");
	assert_non_null(p);
	p[1] = 'T';
	verify_buf(&out, &r);
	assert_true(same(&r.sigs[0].ts[0], &a.sig_digest));
	assert_false(same(&r.sigs[0].ts[1], &a.arc_digest));
	ks_xades_result_cleanup(&r);
	ks_buf_cleanup(&out);
	ks_buf_cleanup(&a.sig_digest);
	ks_buf_cleanup(&a.arc_digest);
}

/* Broken timestamp elements: each one reported with its reason, the
 * signature itself untouched. */
static void test_broken(void **state)
{
	static const struct {
		const char *from, *to, *why;
	} cases[] = {
		{ "c2lnbmF0dXJlLXRpbWVzdGFtcC10b2tlbgA=", "!!not base64!!", "base64" },
		{ "c2lnbmF0dXJlLXRpbWVzdGFtcC10b2tlbgA=", "", "base64" },
		{ "Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><xades:Encapsulated",
		  "Algorithm=\"urn:unknown\"/><xades:Encapsulated", "canonicalization" },
		{ "<xades:EncapsulatedTimeStamp>",
		  "<xades:EncapsulatedTimeStamp>AAAA</xades:EncapsulatedTimeStamp>"
		  "<xades:EncapsulatedTimeStamp>",
		  "one EncapsulatedTimeStamp" },
		{ "<xades:EncapsulatedTimeStamp>",
		  "<xades:Include URI=\"#x\"/><xades:EncapsulatedTimeStamp>", "Include" },
	};
	struct lt_arg a = { .archive = false };
	struct ks_xades_result r;
	struct ks_buf out, copy;
	size_t i;

	(void)state;
	sign_lt(&a, &out);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ks_buf_init(&copy, KS_XADES_OUT_MAX);
		assert_ok(ks_buf_set(&copy, out.data, out.len));
		patch(&copy, cases[i].from, cases[i].to);
		verify_buf(&copy, &r);
		assert_int_equal(r.sigs[0].n_ts, 1);
		assert_non_null(strstr(r.sigs[0].ts[0].problem, cases[i].why));
		ks_xades_result_cleanup(&r);
		ks_buf_cleanup(&copy);
	}
	/* no CanonicalizationMethod: C14N 1.0 (the XAdES default), which
	 * gives another digest than the exclusive form the token was over */
	ks_buf_init(&copy, KS_XADES_OUT_MAX);
	assert_ok(ks_buf_set(&copy, out.data, out.len));
	patch(&copy,
	      "<ds:CanonicalizationMethod "
	      "Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><xades:Encapsulated",
	      "<xades:Encapsulated");
	verify_buf(&copy, &r);
	assert_string_equal(r.sigs[0].ts[0].problem, "");
	assert_false(same(&r.sigs[0].ts[0], &a.sig_digest));
	ks_xades_result_cleanup(&r);
	ks_buf_cleanup(&copy);
	ks_buf_cleanup(&out);
	ks_buf_cleanup(&a.sig_digest);
	ks_buf_cleanup(&a.arc_digest);
}

/* More timestamps than are looked at: the first KS_XADES_TS_MAX, the rest
 * counted. */
static void test_too_many(void **state)
{
	struct lt_arg a = { .archive = false, .extra_sig_ts = KS_XADES_TS_MAX };
	struct ks_xades_result r;
	struct ks_buf out;

	(void)state;
	sign_lt(&a, &out);
	verify_buf(&out, &r);
	assert_int_equal(r.sigs[0].n_ts, KS_XADES_TS_MAX);
	assert_int_equal(r.sigs[0].ts_dropped, 1);
	ks_xades_result_cleanup(&r);
	ks_buf_cleanup(&out);
	ks_buf_cleanup(&a.sig_digest);
	ks_buf_cleanup(&a.arc_digest);
}

/* A detached signature's archive timestamp covers the content: without
 * it no digest can be made. */
static void test_detached_needs_content(void **state)
{
	struct ks_key *key = file_key("principal-rsa");
	struct ks_xades_sign_opts o;
	struct ks_xml_doc *d = NULL;
	struct ks_buf out, dg;

	(void)state;
	ks_xades_sign_opts_init(&o);
	o.mode = KS_XADES_DETACHED;
	o.detached_uri = "record.xml";
	ks_buf_init(&out, KS_XADES_OUT_MAX);
	ks_buf_init(&dg, 64);
	assert_ok(ks_xades_sign(key, (const uint8_t *)record, strlen(record), &o, &out));
	assert_ok(ks_xml_parse(out.data, out.len, &d));
	assert_fails_with(ks_xades_ts_digest(d, d->sigs[0], KS_XADES_TS_ARCHIVE, NULL, KS_C14N_EXC,
					     NULL, 0, KS_MD_SHA256, &dg),
			  KS_ERR_ARG);
	assert_ok(ks_xades_ts_digest(d, d->sigs[0], KS_XADES_TS_ARCHIVE, NULL, KS_C14N_EXC,
				     (const uint8_t *)record, strlen(record), KS_MD_SHA256, &dg));
	assert_int_equal(dg.len, 32);
	ks_xml_doc_free(d);
	ks_buf_cleanup(&out);
	ks_buf_cleanup(&dg);
	ks_key_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_coverage),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_detached_needs_content),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
