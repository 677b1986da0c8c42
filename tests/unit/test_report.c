/* Unit tests for signer/ks_report: overall indication and exit codes,
 * signer details from certificates (CCCD/MST from UID), cleaning of
 * hostile text, and the text (vi, en) and JSON renderings. */
#include "ks_test.h"

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <unistd.h>

#include "signer/ks_report.h"
#include "signer/validate/ks_verdict.h"
#include "signer/validate/ks_vpolicy.h"

static X509 *make_cert(const char *cn, const char *uid, const char *org)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(k);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	n = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
						    (const unsigned char *)cn, -1, -1, 0),
			 1);
	if (org != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
							    (const unsigned char *)org, -1, -1, 0),
				 1);
	if (uid != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(n, "UID", MBSTRING_UTF8,
							    (const unsigned char *)uid, -1, -1, 0),
				 1);
	assert_int_equal(X509_set_issuer_name(x, n), 1);
	assert_int_equal(X509_set_pubkey(x, k), 1);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	EVP_PKEY_free(k);
	return x;
}

static void decide(struct ks_report *r)
{
	struct ks_vpolicy p;

	ks_vpolicy_default(&p);
	ks_verdict_decide(r, &p);
}

static void test_indication_and_exit(void **state)
{
	struct ks_report r;
	struct ks_report_sig *s;

	(void)state;
	ks_report_init(&r);
	/* Nothing decided yet: nothing confirmed. */
	assert_int_equal(ks_report_exit_code(&r), 2);
	/* No signature proves nothing, and says so. */
	decide(&r);
	assert_int_equal(ks_report_indication(&r), KS_IND_TOTAL_FAILED);
	assert_int_equal(r.verdict, KS_VERDICT_NOT_SIGNED);
	assert_int_equal(ks_report_exit_code(&r), 1);
	assert_ok(ks_report_add(&r, &s));
	decide(&r);
	assert_int_equal(r.verdict, KS_VERDICT_AUTHENTIC);
	assert_int_equal(ks_report_exit_code(&r), 0);
	assert_ok(ks_report_add(&r, &s));
	s->indication = KS_IND_INDETERMINATE;
	decide(&r);
	assert_int_equal(ks_report_indication(&r), KS_IND_INDETERMINATE);
	assert_int_equal(ks_report_exit_code(&r), 2);
	assert_ok(ks_report_add(&r, &s));
	s->indication = KS_IND_TOTAL_FAILED;
	decide(&r);
	assert_int_equal(r.verdict, KS_VERDICT_NOT_AUTHENTIC);
	assert_int_equal(ks_report_exit_code(&r), 1);
	ks_report_cleanup(&r);

	ks_report_init(&r);
	while (r.n < KS_REPORT_SIGS_MAX)
		assert_ok(ks_report_add(&r, &s));
	assert_fails_with(ks_report_add(&r, &s), KS_ERR_LIMIT);
	ks_report_cleanup(&r);
}

static void add_change(struct ks_report_sig *s, const char *level, const char *what, uint32_t rev,
		       uint32_t page, double x)
{
	struct ks_report_change c = { .text = (char *)"change",
				      .level = level,
				      .what = what,
				      .allowed = true,
				      .revision = rev,
				      .page = page,
				      .has_rect = page != 0,
				      .rect = { x, 10, x + 100, 60 } };

	assert_ok(ks_report_sig_add_change(s, &c));
}

/* Two signatures, the second in revision 3 with its field at x=300 on
 * page 1; then one more change under the first. */
static void two_signatures(struct ks_report *r, const char *level, const char *what, uint32_t rev,
			   double x)
{
	struct ks_report_sig *s;

	ks_report_init(r);
	assert_ok(ks_report_add(r, &s));
	s->revision = 2;
	assert_ok(ks_report_add(r, &s));
	s->revision = 3;
	s = &r->sigs[0];
	add_change(s, "form", "signature field", 3, 1, 300);
	add_change(s, "form", "signature dictionary", 3, 0, 0);
	add_change(s, "form", "field appearance", 3, 1, 300);
	add_change(s, "none", "page", 3, 1, 0);
	if (level != NULL)
		add_change(s, level, what, rev, 1, x);
	decide(r);
}

static void test_verdict_changes(void **state)
{
	struct ks_report r;
	struct ks_vpolicy p;

	(void)state;
	/* Only the later signature with its own appearance: unchanged. */
	two_signatures(&r, NULL, NULL, 0, 0);
	assert_int_equal(r.verdict, KS_VERDICT_AUTHENTIC);
	ks_report_cleanup(&r);
	/* An annotation drawn after signing: changed, never 0. */
	two_signatures(&r, "annotation", "annotation", 3, 50);
	assert_int_equal(r.verdict, KS_VERDICT_CHANGED);
	assert_int_equal(ks_report_exit_code(&r), 4);
	ks_report_cleanup(&r);
	/* An appearance the signing revision brings outside its field. */
	two_signatures(&r, "form", "field appearance", 3, 50);
	assert_int_equal(r.verdict, KS_VERDICT_CHANGED);
	ks_report_cleanup(&r);
	/* The same appearance in a revision that signs nothing. */
	two_signatures(&r, "form", "field appearance", 4, 300);
	assert_int_equal(r.verdict, KS_VERDICT_CHANGED);
	ks_report_cleanup(&r);
	/* A form value filled in with the signature. */
	two_signatures(&r, "form", "form field", 3, 300);
	assert_int_equal(r.verdict, KS_VERDICT_CHANGED);
	ks_report_cleanup(&r);
	/* Validation data: unchanged. */
	two_signatures(&r, "ltv", "document security store (DSS)", 4, 0);
	assert_int_equal(r.verdict, KS_VERDICT_AUTHENTIC);
	ks_report_cleanup(&r);
	/* A policy that fails permitted visible changes. */
	two_signatures(&r, "annotation", "annotation", 3, 50);
	ks_vpolicy_default(&p);
	p.level[KS_VC_CHANGES] = KS_VL_FAIL;
	ks_verdict_decide(&r, &p);
	assert_int_equal(r.verdict, KS_VERDICT_NOT_AUTHENTIC);
	ks_report_cleanup(&r);
	/* Changes found but not listed count as changes ... */
	two_signatures(&r, NULL, NULL, 0, 0);
	r.sigs[0].changes_more = 1;
	r.sigs[0].changes_level = "form";
	decide(&r);
	assert_int_equal(r.verdict, KS_VERDICT_CHANGED);
	/* ... unless the highest of all is validation data. */
	r.sigs[0].changes_level = "ltv";
	decide(&r);
	assert_int_equal(r.verdict, KS_VERDICT_AUTHENTIC);
	ks_report_cleanup(&r);
	/* A file that is not a signed document. */
	ks_report_init(&r);
	assert_ok(ks_report_set(&r.not_signed, "not a CMS signature"));
	decide(&r);
	assert_int_equal(r.verdict, KS_VERDICT_NOT_SIGNED);
	assert_string_equal(ks_verdict_code(r.verdict), "not-signed");
	assert_non_null(strstr(ks_verdict_text(r.verdict, KS_LANG_VI), "KHÔNG CÓ CHỮ KÝ"));
	ks_report_cleanup(&r);
}

static void test_policy_file(void **state)
{
	struct ks_vpolicy p;
	const char *good = "# school records\nrevocation = warn\n\n changes-after-signing=fail "
			   "# strict\n";

	(void)state;
	assert_ok(ks_vpolicy_parse((const uint8_t *)good, strlen(good), &p));
	assert_int_equal(p.level[KS_VC_REVOCATION], KS_VL_WARN);
	assert_int_equal(p.level[KS_VC_CHANGES], KS_VL_FAIL);
	assert_int_equal(p.level[KS_VC_SIGNER_EKU], KS_VL_FAIL); /* default kept */
	assert_fails_with(ks_vpolicy_parse((const uint8_t *)"revocation = maybe\n", 19, &p),
			  KS_ERR_PARSE);
	assert_int_equal(p.level[KS_VC_REVOCATION], KS_VL_FAIL); /* back to the default */
	assert_fails_with(ks_vpolicy_parse((const uint8_t *)"colour = fail\n", 14, &p),
			  KS_ERR_PARSE);
	assert_fails_with(ks_vpolicy_parse((const uint8_t *)"revocation = warn\nrevocation = "
							    "fail\n",
					   36, &p),
			  KS_ERR_PARSE);
	assert_fails_with(ks_vpolicy_parse((const uint8_t *)"revocation warn\n", 16, &p),
			  KS_ERR_PARSE);
	assert_fails_with(ks_vpolicy_parse((const uint8_t *)"revocation = warn x\n", 20, &p),
			  KS_ERR_PARSE);
	{
		char big[KS_VPOLICY_LINE_MAX + 20];

		memset(big, '#', sizeof(big));
		assert_fails_with(ks_vpolicy_parse((const uint8_t *)big, sizeof(big), &p),
				  KS_ERR_LIMIT);
	}
	assert_string_equal(ks_vcheck_name(KS_VC_CHANGES), "changes-after-signing");
	assert_string_equal(ks_vlevel_name(KS_VL_INFORM), "inform");
}

static void test_clean_text(void **state)
{
	char *f = NULL;
	char *big;

	(void)state;
	assert_ok(ks_report_set(&f, "Nguyễn Văn A"));
	assert_string_equal(f, "Nguyễn Văn A");
	/* Terminal escapes (C0, C1 CSI) and broken UTF-8 become '?'. */
	assert_ok(ks_report_set(&f, "a\x1b[31mb\nc"));
	assert_string_equal(f, "a?[31mb?c");
	assert_ok(ks_report_set(&f, "x\xc2\x9b"
				    "2Jy"));
	assert_string_equal(f, "x??"
			       "2Jy");
	assert_ok(ks_report_set(&f, "\xff\xfe ok \xe1\xbb"));
	assert_string_equal(f, "?? ok ??");
	assert_ok(ks_report_set(&f, "\xc0\xaf overlong, \xed\xa0\x80 surrogate"));
	assert_string_equal(f, "?? overlong, ??? surrogate");
	/* OpenSSL's error strings stay in the log: in a reason each bracketed
	 * part goes, and a part cut short (no bracket) goes to the end. */
	assert_ok(ks_report_set_why(&f, "not a CMS signature (bad DER [openssl: "
					"error:0680007B:asn1 encoding routines::header too "
					"long | error:0688010A:asn1 encoding routines::nested "
					"asn1 error])"));
	assert_string_equal(f, "not a CMS signature (bad DER)");
	assert_ok(ks_report_set_why(&f, "a [openssl: x] b [openssl: y]"));
	assert_string_equal(f, "a b");
	assert_ok(ks_report_set_why(&f, "cut [openssl: error:0680007B:asn1 enc"));
	assert_string_equal(f, "cut");
	assert_ok(ks_report_set_why(&f, "[openssl] and [x] stay"));
	assert_string_equal(f, "[openssl] and [x] stay");
	ERR_raise(ERR_LIB_ASN1, ASN1_R_HEADER_TOO_LONG);
	assert_int_equal(ks_err_set_ossl(KS_ERR_CMS, __FILE__, __LINE__, "reading it"), -1);
	assert_non_null(strstr(ks_err_msg(), "openssl"));
	assert_ok(ks_report_set_why(&f, ks_err_msg()));
	assert_string_equal(f, "reading it");
	ks_err_clear();
	/* a name is a name: a certificate's CN with such text keeps it */
	assert_ok(ks_report_set(&f, "Hiệu trưởng [openssl: x] Nguyễn Văn A"));
	assert_string_equal(f, "Hiệu trưởng [openssl: x] Nguyễn Văn A");
	assert_ok(ks_report_set(&f, NULL));
	assert_null(f);
	big = malloc(KS_REPORT_STR_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', KS_REPORT_STR_MAX + 1);
	big[KS_REPORT_STR_MAX + 1] = '\0';
	assert_fails_with(ks_report_set(&f, big), KS_ERR_LIMIT);
	assert_null(f);
	free(big);
}

static void test_signer_from_cert(void **state)
{
	X509 *a = make_cert("Nguyễn Thị Hồng Nhung", "CCCD:001185012345", "Trường THPT Chu Văn An");
	X509 *b = make_cert("Trường THPT Chu Văn An", "MST:0101234567", NULL);
	X509 *c = make_cert("Evil\x1b[2J", "something", NULL);
	struct ks_report r;
	struct ks_report_sig *s;

	(void)state;
	ks_report_init(&r);
	assert_ok(ks_report_add(&r, &s));
	assert_ok(ks_report_sig_set_cert(s, a));
	assert_string_equal(s->signer_name, "Nguyễn Thị Hồng Nhung");
	assert_string_equal(s->id_kind, "CCCD");
	assert_string_equal(s->id_number, "001185012345");
	assert_string_equal(s->organisation, "Trường THPT Chu Văn An");
	assert_non_null(strstr(s->subject, "Nguyễn"));
	assert_non_null(s->serial);
	assert_true(s->has_cert);
	assert_ok(ks_report_add(&r, &s));
	assert_ok(ks_report_sig_set_cert(s, b));
	assert_string_equal(s->id_kind, "MST");
	assert_string_equal(s->id_number, "0101234567");
	assert_null(s->organisation);
	assert_ok(ks_report_add(&r, &s));
	assert_ok(ks_report_sig_set_cert(s, c));
	assert_null(s->id_kind);
	assert_string_equal(s->uid, "something");
	assert_string_equal(s->signer_name, "Evil?[2J");
	ks_report_cleanup(&r);
	X509_free(a);
	X509_free(b);
	X509_free(c);
}

static void fill_sample(struct ks_report *r, X509 *cert)
{
	struct ks_cms_signer_result cr;
	struct ks_report_sig *s;

	memset(&cr, 0, sizeof(cr));
	cr.indication = KS_IND_TOTAL_PASSED;
	cr.cert = cert;
	cr.has_signing_time = true;
	cr.signing_time = 1767225600; /* 2026-01-01T00:00:00Z = 07:00 in Hà Nội */
	cr.notes = KS_CMS_NOTE_REVOCATION_NOT_CHECKED;
	snprintf(cr.digest_alg, sizeof(cr.digest_alg), "SHA-256");
	snprintf(cr.sig_alg, sizeof(cr.sig_alg), "ECDSA");
	assert_ok(ks_report_set_document(r, "hocba.p7s"));
	assert_ok(ks_report_add_cms(r, &cr, NULL, &s));
	assert_string_equal(s->format, "CAdES-B-B");
	assert_true(s->notes & KS_NOTE_SIGNING_TIME_CLAIMED);
	assert_ok(ks_report_set(&s->coverage, "toàn bộ tệp hocba.pdf"));

	cr.indication = KS_IND_TOTAL_FAILED;
	cr.sub = KS_SUB_HASH_FAILURE;
	cr.has_signing_time = false;
	cr.notes |= KS_CMS_NOTE_NO_SIGNED_ATTRS;
	snprintf(cr.detail, sizeof(cr.detail), "messageDigest differs");
	assert_ok(ks_report_add_cms(r, &cr, NULL, &s));
	assert_string_equal(s->format, "CMS");
	assert_true(s->notes & KS_NOTE_NOT_CADES);
	{
		struct ks_report_change c = { .text = (char *)"trang 2: thêm chú thích\x1b[2J",
					      .level = "annotation",
					      .allowed = true,
					      .object = 12,
					      .revision = 3,
					      .page = 2,
					      .has_rect = true,
					      .rect = { 10, 20, 110, 70 } };

		assert_ok(ks_report_sig_add_change(s, &c));
		/* the text is copied and cleaned (no escape reaches a terminal) */
		assert_ptr_not_equal(s->changes[0].text, c.text);
		assert_null(strchr(s->changes[0].text, 0x1b));
	}
}

static void test_text(void **state)
{
	X509 *cert = make_cert("Nguyễn Văn A", "CCCD:001185012345", "Trường THPT");
	struct ks_report r;
	struct ks_buf out;
	const char *t;

	(void)state;
	ks_report_init(&r);
	fill_sample(&r, cert);
	ks_buf_init(&out, 1 << 20);
	assert_ok(ks_report_text(&r, KS_LANG_VI, &out));
	assert_ok(ks_buf_cstr(&out, &t));
	assert_non_null(strstr(t, "Kết quả: KHÔNG ĐẠT (TOTAL-FAILED)"));
	assert_non_null(strstr(t, "Chữ ký 1: Chữ ký hợp lệ"));
	assert_non_null(strstr(t, "Kết quả: ĐẠT (TOTAL-PASSED)"));
	assert_non_null(strstr(t, "Số CCCD: 001185012345"));
	assert_non_null(strstr(t, "01/01/2026 07:00:00 (giờ Việt Nam"));
	assert_non_null(strstr(t, "Nội dung đã bị thay đổi sau khi ký (HASH_FAILURE)"));
	assert_non_null(strstr(t, "Thay đổi sau khi ký: trang 2: thêm chú thích"));
	assert_non_null(strstr(t, "Chưa kiểm tra tình trạng thu hồi"));
	ks_buf_reset(&out);
	assert_ok(ks_report_text(&r, KS_LANG_EN, &out));
	assert_ok(ks_buf_cstr(&out, &t));
	assert_non_null(strstr(t, "Result: FAILED (TOTAL-FAILED)"));
	assert_non_null(strstr(t, "Signature 1: Valid signature"));
	assert_non_null(strstr(t, "Citizen ID (CCCD): 001185012345"));
	assert_non_null(strstr(t, "2026-01-01 00:00:00 UTC"));
	assert_non_null(strstr(t, "changed after signing (HASH_FAILURE)"));
	assert_null(strstr(t, "Kết quả"));
	ks_buf_cleanup(&out);
	ks_report_cleanup(&r);
	X509_free(cert);
}

static void test_json(void **state)
{
	X509 *cert = make_cert("Nguyễn Văn A", "CCCD:001185012345", "Trường THPT");
	struct ks_report r;
	struct ks_buf out;
	json_t *root, *sigs, *s0, *s1;
	json_error_t err;

	(void)state;
	ks_report_init(&r);
	fill_sample(&r, cert);
	ks_buf_init(&out, 1 << 20);
	assert_ok(ks_report_json(&r, KS_LANG_EN, &out));
	root = json_loadb((const char *)out.data, out.len, 0, &err);
	if (root == NULL)
		fail_msg("bad JSON: %s", err.text);
	assert_string_equal(json_string_value(json_object_get(root, "indication")), "TOTAL-FAILED");
	assert_string_equal(json_string_value(json_object_get(root, "document")), "hocba.p7s");
	sigs = json_object_get(root, "signatures");
	assert_int_equal(json_array_size(sigs), 2);
	s0 = json_array_get(sigs, 0);
	s1 = json_array_get(sigs, 1);
	assert_string_equal(json_string_value(json_object_get(s0, "indication")), "TOTAL-PASSED");
	assert_true(json_is_null(json_object_get(s0, "subindication")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(s0, "signer"), "id")),
			    "001185012345");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(s0, "signer"), "id_type")), "CCCD");
	assert_string_equal(json_string_value(json_object_get(s0, "signing_time")),
			    "2026-01-01T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(s1, "subindication")),
			    "HASH_FAILURE");
	assert_int_equal(json_array_size(json_object_get(s1, "changes")), 1);
	{
		json_t *c = json_array_get(json_object_get(s1, "changes"), 0);

		assert_int_equal(json_integer_value(json_object_get(c, "page")), 2);
		assert_int_equal(json_integer_value(json_object_get(c, "object")), 12);
		assert_true(json_is_true(json_object_get(c, "allowed")));
		assert_string_equal(json_string_value(json_object_get(c, "level")), "annotation");
		assert_int_equal(json_array_size(json_object_get(c, "rect")), 4);
		assert_int_equal(json_integer_value(json_object_get(s1, "changes_not_listed")), 0);
	}
	assert_true(json_array_size(json_object_get(s1, "notes")) >= 2);
	json_decref(root);
	ks_buf_cleanup(&out);
	ks_report_cleanup(&r);
	X509_free(cert);
}

static void test_texts_complete(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < KS_SUB__COUNT; i++) {
		assert_string_not_equal(ks_report_sub_text((enum ks_subindication)i, KS_LANG_VI),
					"?");
		assert_string_not_equal(ks_report_sub_text((enum ks_subindication)i, KS_LANG_EN),
					"?");
	}
	for (i = 0; i < KS_NOTE__COUNT; i++) {
		assert_string_not_equal(ks_report_note_code((enum ks_report_note)(1u << i)),
					"unknown");
		assert_string_not_equal(
		    ks_report_note_text((enum ks_report_note)(1u << i), KS_LANG_VI), "?");
	}
	assert_string_equal(ks_report_sub_text(KS_SUB__COUNT, KS_LANG_VI), "?");
	{
		enum ks_lang l = KS_LANG_EN;

		assert_ok(ks_lang_parse("vi", &l));
		assert_int_equal(l, KS_LANG_VI);
		assert_ok(ks_lang_parse("en", &l));
		assert_int_equal(l, KS_LANG_EN);
		assert_fails_with(ks_lang_parse("fr", &l), KS_ERR_USAGE);
		assert_fails_with(ks_lang_parse(NULL, &l), KS_ERR_USAGE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_indication_and_exit),
		cmocka_unit_test(test_verdict_changes),
		cmocka_unit_test(test_policy_file),
		cmocka_unit_test(test_clean_text),
		cmocka_unit_test(test_signer_from_cert),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_texts_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
