/* Validation report: data, signer details from certificates, and the
 * localised texts (rendering is in ks_report_render.c). */
#include "signer/ks_report.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <stdlib.h>
#include <string.h>

#include "ks_codec.h"
#include "ks_cur.h"
#include "ks_size.h"
#include "ks_utf8.h"

int ks_lang_parse(const char *s, enum ks_lang *lang)
{
	if (s != NULL && strcmp(s, "vi") == 0)
		*lang = KS_LANG_VI;
	else if (s != NULL && strcmp(s, "en") == 0)
		*lang = KS_LANG_EN;
	else
		return KS_SET(KS_ERR_USAGE, "language must be 'vi' or 'en'");
	return 0;
}

void ks_report_init(struct ks_report *r)
{
	memset(r, 0, sizeof(*r));
	r->validation_time = time(NULL);
	/* Until the engine decides, nothing is confirmed. */
	r->verdict = KS_VERDICT_INDETERMINATE;
}

static void sig_cleanup(struct ks_report_sig *s)
{
	size_t i;
	char **fields[] = { &s->detail,     &s->signer_name, &s->id_kind,      &s->id_number,
			    &s->uid,        &s->title,       &s->organisation, &s->subject,
			    &s->issuer,     &s->issuer_name, &s->serial,       &s->format,
			    &s->digest_alg, &s->sig_alg,     &s->coverage,     &s->role,
			    &s->revocation, &s->poe_by };

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
	for (i = 0; i < s->n_chain; i++)
		free(s->chain[i]);
	s->n_chain = 0;
	for (i = 0; i < s->n_ts; i++) {
		free(s->ts[i].tsa);
		free(s->ts[i].detail);
	}
	s->n_ts = 0;
	for (i = 0; i < s->n_changes; i++)
		free(s->changes[i].text);
	free(s->changes);
	s->changes = NULL;
	s->n_changes = 0;
}

void ks_report_cleanup(struct ks_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		sig_cleanup(&r->sigs[i]);
	free(r->sigs);
	free(r->document);
	free(r->not_signed);
	free(r->policy);
	free(r->validation_scope);
	memset(r, 0, sizeof(*r));
}

/* Length of the valid UTF-8 sequence at the cursor that is printable
 * (no C0/C1 control or DEL; ks_utf8_peek refuses surrogates and
 * overlong forms), 0 otherwise. */
static size_t printable_utf8(const struct ks_cur *c)
{
	uint32_t cp = 0;
	size_t n = ks_utf8_peek(c, &cp);

	if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n;
}

/* Copy `value`, replacing every byte that is not printable UTF-8 with
 * '?': names come from certificates and documents and end up on a
 * terminal (escape sequences) and in JSON (which must be UTF-8).  For a
 * reason (`why`), the OpenSSL part of an error message (ks_err_set_ossl)
 * is left out: a report is read by a school, a parent or a platform,
 * never by whoever debugs the library.  Names are copied whole, brackets
 * and all. */
static int set_text(char **field, const char *value, bool why)
{
	struct ks_cur c, whole;
	struct ks_buf b;
	size_t n, k;
	const uint8_t *p;
	int rc = -1;

	free(*field);
	*field = NULL;
	if (value == NULL)
		return 0;
	n = strnlen(value, KS_REPORT_STR_MAX + 1);
	if (n > KS_REPORT_STR_MAX)
		return KS_SET(KS_ERR_LIMIT, "report text longer than %zu bytes", KS_REPORT_STR_MAX);
	ks_buf_init(&b, KS_REPORT_STR_MAX + 1);
	KS_GUARD(ks_buf_reserve(&b, n + 1));
	ks_cur_init(&whole, value, n);
	ks_cur_init(&c, value, n);
	while (!ks_cur_eof(&c)) {
		/* OpenSSL's own error strings are for the log, not the report */
		k = why ? ks_err_ossl_part(value + ks_cur_pos(&whole, &c),
					   n - ks_cur_pos(&whole, &c))
			: 0;
		if (k > 0) {
			KS_GUARD(ks_cur_skip(&c, k));
			continue;
		}
		k = printable_utf8(&c);
		if (k == 0) {
			KS_GUARD(ks_buf_append_byte(&b, '?'));
			k = 1;
			KS_GUARD(ks_cur_skip(&c, k));
			continue;
		}
		KS_GUARD(ks_cur_bytes(&c, k, &p));
		KS_GUARD(ks_buf_append(&b, p, k));
	}
	KS_GUARD(ks_buf_append_byte(&b, 0));
	*field = (char *)b.data; /* ownership moves to the field */
	b.data = NULL;
	rc = 0;
out:
	ks_buf_cleanup(&b);
	return rc;
}

int ks_report_set(char **field, const char *value)
{
	return set_text(field, value, false);
}

int ks_report_set_why(char **field, const char *value)
{
	return set_text(field, value, true);
}

int ks_report_set_document(struct ks_report *r, const char *name)
{
	return ks_report_set(&r->document, name);
}

int ks_report_add(struct ks_report *r, struct ks_report_sig **out)
{
	*out = NULL;
	if (r->n >= KS_REPORT_SIGS_MAX)
		return KS_SET(KS_ERR_LIMIT, "more than %d signatures", KS_REPORT_SIGS_MAX);
	if (ks_grow((void **)&r->sigs, &r->cap, r->n + 1, sizeof(*r->sigs)) < 0)
		return -1;
	memset(&r->sigs[r->n], 0, sizeof(r->sigs[r->n]));
	r->sigs[r->n].indication = KS_IND_TOTAL_PASSED;
	*out = &r->sigs[r->n++];
	return 0;
}

int ks_report_sig_add_change(struct ks_report_sig *s, const struct ks_report_change *c)
{
	struct ks_report_change *n;
	size_t cap = s->n_changes;

	if (s->n_changes >= KS_REPORT_CHANGES_MAX) {
		s->changes_more++;
		return 0;
	}
	if (ks_grow_to((void **)&s->changes, &cap, s->n_changes + 1, sizeof(*s->changes)) < 0)
		return -1;
	n = &s->changes[s->n_changes];
	*n = *c;
	n->text = NULL;
	if (ks_report_set(&n->text, c->text) < 0)
		return -1;
	s->n_changes++;
	return 0;
}

/* ---- signer details from the certificate ---- */

/* First entry of `nid` in a name, as UTF-8; NULL field when absent or
 * not convertible. */
static int name_entry(const X509_NAME *name, int nid, char **field)
{
	int idx = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *u = NULL;
	int n, rc;

	if (idx < 0)
		return ks_report_set(field, NULL);
	n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
	if (n < 0) {
		ERR_clear_error();
		return ks_report_set(field, NULL);
	}
	/* A NUL inside the value would cut it: keep the prefix, like any
	 * other text (it is only displayed). */
	rc = ks_report_set(field, (const char *)u);
	OPENSSL_free(u);
	return rc;
}

static int name_rfc2253(const X509_NAME *name, char **field)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;
	int rc = -1;
	struct ks_buf tmp;

	ks_buf_init(&tmp, KS_REPORT_STR_MAX);
	if (b == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
		KS_BAIL_OSSL(KS_ERR_CERT, "printing a certificate name");
	n = BIO_get_mem_data(b, &p);
	if (n < 0)
		KS_BAIL(KS_ERR_CERT, "printing a certificate name");
	if ((size_t)n > KS_REPORT_STR_MAX)
		n = (long)KS_REPORT_STR_MAX;
	KS_GUARD(ks_buf_set(&tmp, p, (size_t)n));
	KS_GUARD(ks_buf_append_byte(&tmp, 0));
	KS_GUARD(ks_report_set(field, (const char *)tmp.data));
	rc = 0;
out:
	ks_buf_cleanup(&tmp);
	BIO_free(b);
	return rc;
}

static bool cert_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return false;
	}
	*out = timegm(&tm);
	return true;
}

int ks_report_sig_set_cert(struct ks_report_sig *s, X509 *cert)
{
	static const char *const kinds[] = { "CCCD", "CMND", "HC", "MST" };
	const X509_NAME *subj = X509_get_subject_name(cert);
	const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
	struct ks_buf hex;
	size_t i, k;
	int rc = -1;

	ks_buf_init(&hex, KS_REPORT_STR_MAX);
	KS_GUARD(name_entry(subj, NID_commonName, &s->signer_name));
	KS_GUARD(name_entry(subj, NID_userId, &s->uid));
	KS_GUARD(name_entry(subj, NID_title, &s->title));
	KS_GUARD(name_entry(subj, NID_organizationName, &s->organisation));
	KS_GUARD(name_entry(X509_get_issuer_name(cert), NID_commonName, &s->issuer_name));
	KS_GUARD(name_rfc2253(subj, &s->subject));
	KS_GUARD(name_rfc2253(X509_get_issuer_name(cert), &s->issuer));
	KS_GUARD(ks_hex_encode(ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn), &hex));
	KS_GUARD(ks_buf_append_byte(&hex, 0));
	KS_GUARD(ks_report_set(&s->serial, (const char *)hex.data));
	/* Vietnamese certificates put the holder's number in UID as
	 * "CCCD:<12 digits>" (citizen id), "CMND:" (old id card), "HC:"
	 * (passport) or "MST:<tax code>" (organisations). */
	KS_GUARD(ks_report_set(&s->id_kind, NULL));
	KS_GUARD(ks_report_set(&s->id_number, NULL));
	for (i = 0; s->uid != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		k = strlen(kinds[i]);
		if (strncmp(s->uid, kinds[i], k) == 0 && s->uid[k] == ':') {
			KS_GUARD(ks_report_set(&s->id_kind, kinds[i]));
			KS_GUARD(ks_report_set(&s->id_number, s->uid + k + 1));
		}
	}
	s->has_cert = cert_time(X509_get0_notBefore(cert), &s->cert_not_before) &&
		      cert_time(X509_get0_notAfter(cert), &s->cert_not_after);
	rc = 0;
out:
	ks_buf_cleanup(&hex);
	return rc;
}

static unsigned notes_from_cms(unsigned cms)
{
	static const struct {
		unsigned cms, note;
	} map[] = {
		{ KS_CMS_NOTE_REVOCATION_NOT_CHECKED, KS_NOTE_REVOCATION_NOT_CHECKED },
		{ KS_CMS_NOTE_NO_SIGNED_ATTRS, KS_NOTE_NOT_CADES },
		{ KS_CMS_NOTE_ESS_V1, KS_NOTE_ESS_V1 },
		{ KS_CMS_NOTE_NO_ESS, KS_NOTE_NO_ESS },
		{ KS_CMS_NOTE_MULTIPLE_SIGNERS, KS_NOTE_MULTIPLE_SIGNERS },
		{ KS_CMS_NOTE_UNSIGNED_ATTRS, KS_NOTE_UNSIGNED_ATTRS },
	};
	unsigned n = 0;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (cms & map[i].cms)
			n |= map[i].note;
	return n;
}

int ks_report_add_cms(struct ks_report *r, const struct ks_cms_signer_result *cr,
		      const char *format, struct ks_report_sig **out)
{
	struct ks_report_sig *s = NULL;
	bool cades = (cr->notes &
		      (KS_CMS_NOTE_NO_SIGNED_ATTRS | KS_CMS_NOTE_NO_ESS | KS_CMS_NOTE_ESS_V1)) == 0;

	if (out != NULL)
		*out = NULL;
	if (ks_report_add(r, &s) < 0)
		return -1;
	s->indication = cr->indication;
	s->sub = cr->sub;
	if (ks_report_set_why(&s->detail, cr->detail[0] != '\0' ? cr->detail : NULL) < 0 ||
	    ks_report_set(&s->format, format != NULL ? format
				      : cades        ? "CAdES-B-B"
						     : "CMS") < 0 ||
	    ks_report_set(&s->digest_alg, cr->digest_alg[0] != '\0' ? cr->digest_alg : NULL) < 0 ||
	    ks_report_set(&s->sig_alg, cr->sig_alg[0] != '\0' ? cr->sig_alg : NULL) < 0)
		return -1;
	if (cr->cert != NULL && ks_report_sig_set_cert(s, cr->cert) < 0)
		return -1;
	s->has_signing_time = cr->has_signing_time;
	s->signing_time = cr->signing_time;
	s->notes = notes_from_cms(cr->notes);
	if (cr->has_signing_time)
		s->notes |= KS_NOTE_SIGNING_TIME_CLAIMED;
	if (out != NULL)
		*out = s;
	return 0;
}

enum ks_indication ks_report_indication(const struct ks_report *r)
{
	enum ks_indication ind = KS_IND_TOTAL_PASSED;
	size_t i;

	if (r->n == 0)
		return KS_IND_TOTAL_FAILED;
	for (i = 0; i < r->n; i++)
		ind = ks_indication_worst(ind, r->sigs[i].indication);
	return ind;
}

int ks_report_exit_code(const struct ks_report *r)
{
	switch (r->verdict) {
	case KS_VERDICT_AUTHENTIC:
		return 0;
	case KS_VERDICT_CHANGED:
		return 4;
	case KS_VERDICT_NOT_AUTHENTIC:
	case KS_VERDICT_NOT_SIGNED:
		return 1;
	case KS_VERDICT_INDETERMINATE:
		return 2;
	}
	return 2;
}

static const struct {
	const char *code, *vi, *en;
} verdict_table[] = {
	[KS_VERDICT_AUTHENTIC] = { "authentic",
				   "XÁC THỰC: tài liệu đúng như khi được ký và không bị thay đổi "
				   "sau đó.",
				   "AUTHENTIC: the document is as it was signed and has not been "
				   "changed since." },
	[KS_VERDICT_CHANGED] = { "changed",
				 "CÓ THAY ĐỔI SAU KHI KÝ: các chữ ký hợp lệ, nhưng nội dung hiển "
				 "thị "
				 "của tài liệu đã được thay đổi sau khi ký theo cách chữ ký cho "
				 "phép; "
				 "xem các thay đổi được liệt kê bên dưới.",
				 "CHANGED AFTER SIGNING: the signatures are valid, but what the "
				 "document shows was changed after signing in a way the signature "
				 "permitted; see the changes listed below." },
	[KS_VERDICT_NOT_AUTHENTIC] = { "not-authentic",
				       "KHÔNG XÁC THỰC: chữ ký không hợp lệ hoặc tài liệu đã bị "
				       "sửa theo cách người ký không cho phép. Đừng tin nội dung "
				       "của tài liệu này.",
				       "NOT AUTHENTIC: a signature is not valid, or the document "
				       "was changed in a way its signer did not permit. Do not "
				       "rely on its content." },
	[KS_VERDICT_INDETERMINATE] = { "indeterminate",
				       "CHƯA XÁC NHẬN ĐƯỢC: chưa đủ căn cứ để khẳng định tài liệu "
				       "là xác thực (nguồn gốc chứng thư, tình trạng thu hồi hoặc "
				       "định dạng); xem lý do bên dưới.",
				       "CANNOT BE CONFIRMED: there is not enough to confirm that "
				       "the document is authentic (certificate origin, revocation "
				       "status or format); see the reasons below." },
	[KS_VERDICT_NOT_SIGNED] = { "not-signed",
				    "KHÔNG CÓ CHỮ KÝ SỐ: tệp này không mang chữ ký số nào.",
				    "NOT SIGNED: this file carries no digital signature." },
};

const char *ks_verdict_code(enum ks_verdict v)
{
	return (unsigned)v <= KS_VERDICT_NOT_SIGNED ? verdict_table[v].code : "?";
}

const char *ks_verdict_text(enum ks_verdict v, enum ks_lang lang)
{
	if ((unsigned)v > KS_VERDICT_NOT_SIGNED)
		return "?";
	return lang == KS_LANG_EN ? verdict_table[v].en : verdict_table[v].vi;
}

/* ---- localised texts ---- */

const char *ks_report_indication_text(enum ks_indication ind, enum ks_lang lang)
{
	static const char *const vi[] = { "ĐẠT", "KHÔNG ĐẠT", "CHƯA XÁC ĐỊNH" };
	static const char *const en[] = { "PASSED", "FAILED", "INDETERMINATE" };

	if ((unsigned)ind > KS_IND_INDETERMINATE)
		return "?";
	return lang == KS_LANG_EN ? en[ind] : vi[ind];
}

static const char *const sub_text[KS_SUB__COUNT][2] = {
	[KS_SUB_NONE] = { "Chữ ký hợp lệ", "Valid signature" },
	[KS_SUB_FORMAT_FAILURE] = { "Chữ ký sai cấu trúc hoặc không đúng định dạng",
				    "The signature is malformed or not in the expected format" },
	[KS_SUB_HASH_FAILURE] = { "Nội dung đã bị thay đổi sau khi ký",
				  "The signed content has been changed after signing" },
	[KS_SUB_SIG_CRYPTO_FAILURE] = { "Giá trị chữ ký không khớp với chứng thư số của người ký "
					"(dữ liệu ký đã bị sửa hoặc chữ ký bị giả mạo)",
					"The signature value does not verify with the signer's "
					"certificate (signed data altered or signature forged)" },
	[KS_SUB_REVOKED] = { "Chứng thư số của người ký đã bị thu hồi",
			     "The signer's certificate has been revoked" },
	[KS_SUB_EXPIRED] = { "Chứng thư số đã hết hạn trước thời điểm ký",
			     "The signer's certificate expired before the signing time" },
	[KS_SUB_NOT_YET_VALID] = { "Chứng thư số chưa có hiệu lực tại thời điểm ký",
				   "The signer's certificate was not yet valid at the signing "
				   "time" },
	[KS_SUB_SIG_CONSTRAINTS_FAILURE] = { "Chữ ký không đáp ứng ràng buộc của chính sách "
					     "kiểm tra",
					     "The signature does not meet the validation "
					     "constraints" },
	[KS_SUB_CHAIN_CONSTRAINTS_FAILURE] = { "Chứng thư số không đáp ứng ràng buộc (mục đích "
					       "sử dụng khóa, ràng buộc của CA)",
					       "A certificate does not meet its constraints (key "
					       "usage, CA constraints)" },
	[KS_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE] = { "Lỗi khi kiểm tra chuỗi chứng thư số",
						       "The certificate chain could not be "
						       "validated" },
	[KS_SUB_CRYPTO_CONSTRAINTS_FAILURE] = { "Thuật toán hoặc độ dài khóa không còn đủ an "
						"toàn",
						"An algorithm or key size is no longer considered "
						"secure" },
	[KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE] = { "Thuật toán hoặc độ dài khóa không còn đủ "
						       "an toàn, và không có dấu thời gian chứng "
						       "minh chữ ký được tạo khi chúng còn an toàn",
						       "An algorithm or key size is no longer "
						       "considered secure, and no timestamp proves "
						       "the signature was made while it was" },
	[KS_SUB_NO_SIGNING_CERTIFICATE_FOUND] = { "Không xác định được chứng thư số của người ký",
						  "The signer's certificate could not be "
						  "identified" },
	[KS_SUB_NO_CERTIFICATE_CHAIN_FOUND] = { "Không xây dựng được chuỗi chứng thư số tới một "
						"tổ chức chứng thực gốc tin cậy",
						"No certificate chain to a trusted root "
						"certification authority was found" },
	[KS_SUB_REVOKED_NO_POE] = { "Chứng thư số đã bị thu hồi và không có dấu thời gian chứng "
				    "minh chữ ký được tạo trước đó",
				    "The certificate is revoked and no timestamp proves the "
				    "signature was made before" },
	[KS_SUB_REVOKED_CA_NO_POE] = { "Chứng thư số của một CA trong chuỗi đã bị thu hồi",
				       "A CA certificate in the chain is revoked" },
	[KS_SUB_OUT_OF_BOUNDS_NO_POE] = { "Chứng thư số đã hết hạn hoặc chưa có hiệu lực tại thời "
					  "điểm kiểm tra, và không có dấu thời gian chứng minh chữ "
					  "ký được tạo khi chứng thư còn hiệu lực",
					  "The certificate is expired or not yet valid at "
					  "validation time, and no timestamp proves the signature "
					  "was made while it was valid" },
	[KS_SUB_OUT_OF_BOUNDS_NOT_REVOKED] = { "Chứng thư số đã hết hạn tại thời điểm kiểm tra",
					       "The certificate is expired at validation time" },
	[KS_SUB_TRY_LATER] = { "Chưa có thông tin về tình trạng thu hồi, hãy kiểm tra lại sau",
			       "Revocation information is not available yet; try later" },
	[KS_SUB_SIGNED_DATA_NOT_FOUND] = { "Không tìm thấy dữ liệu đã được ký",
					   "The signed data could not be found" },
	[KS_SUB_NO_POE] = { "Thiếu bằng chứng tồn tại (dấu thời gian) cần thiết",
			    "A required proof of existence (timestamp) is missing" },
	[KS_SUB_REVOCATION_OUT_OF_BOUNDS_NO_POE] = { "Thông tin thu hồi có được không bao trùm "
						     "thời điểm kiểm tra, và không có dấu thời "
						     "gian "
						     "chứng minh chữ ký có trước đó",
						     "The revocation information obtained does not "
						     "cover the validation time, and no "
						     "timestamp proves the signature existed "
						     "before it" },
};

const char *ks_report_sub_text(enum ks_subindication sub, enum ks_lang lang)
{
	if ((unsigned)sub >= KS_SUB__COUNT || sub_text[sub][0] == NULL)
		return "?";
	return sub_text[sub][lang == KS_LANG_EN ? 1 : 0];
}

static const struct {
	const char *code, *vi, *en;
} note_table[KS_NOTE__COUNT] = {
	{ "revocation-not-checked", "Chưa kiểm tra tình trạng thu hồi của chứng thư số (OCSP/CRL).",
	  "The revocation status of the certificate was not checked (OCSP/CRL)." },
	{ "no-trust-anchors",
	  "Chưa cung cấp chứng thư gốc tin cậy (--trust): không xác nhận được nguồn gốc chứng thư "
	  "số.",
	  "No trust anchors were given (--trust): the certificate's origin cannot be confirmed." },
	{ "signing-time-claimed",
	  "Thời điểm ký do người ký tự khai; không có dấu thời gian xác nhận.",
	  "The signing time is claimed by the signer; no trusted timestamp confirms it." },
	{ "not-cades", "Chữ ký không có thuộc tính được ký (CMS cơ bản, không phải CAdES).",
	  "The signature has no signed attributes (plain CMS, not CAdES)." },
	{ "signing-certificate-v1",
	  "Chứng thư số của người ký được tham chiếu bằng SHA-1 (signingCertificate phiên bản 1).",
	  "The signer's certificate is referenced with SHA-1 (signingCertificate version 1)." },
	{ "no-signing-certificate-reference",
	  "Chữ ký không gắn với chứng thư số của người ký (thiếu thuộc tính signingCertificateV2).",
	  "The signature does not bind the signer's certificate (no signingCertificateV2 "
	  "attribute)." },
	{ "multiple-signers", "Có nhiều chữ ký trong cùng một tệp; mỗi chữ ký được kiểm tra riêng.",
	  "The file holds several signatures; each is validated on its own." },
	{ "unsigned-attributes",
	  "Có thuộc tính không được ký (ví dụ dấu thời gian) chưa được kiểm tra.",
	  "Unsigned attributes (e.g. a timestamp) are present and were not checked." },
	{ "revocation-unconfirmed",
	  "Không lấy được tình trạng thu hồi của chứng thư số; chính sách kiểm tra chỉ cảnh báo.",
	  "The revocation status of the certificate could not be obtained; the validation "
	  "policy only warns." },
	{ "expired-after-poe",
	  "Chứng thư số đã hết hạn, nhưng dấu thời gian chứng minh chữ ký có trước khi hết hạn.",
	  "The certificate has expired, but a timestamp proves the signature existed before it "
	  "expired." },
	{ "revoked-after-poe",
	  "Chứng thư số bị thu hồi sau thời điểm mà dấu thời gian chứng minh chữ ký đã tồn tại.",
	  "The certificate was revoked after the time a timestamp proves the signature existed." },
	{ "timestamp-not-used",
	  "Có dấu thời gian không hợp lệ; nó không được dùng làm bằng chứng thời điểm ký.",
	  "A timestamp did not validate; it is not used as proof of the signing time." },
	{ "signer-eku",
	  "Mục đích sử dụng mở rộng (EKU) của chứng thư số không dành cho ký tài liệu.",
	  "The certificate's extended key usage is not meant for signing documents." },
	{ "revocation-off",
	  "Không kiểm tra tình trạng thu hồi (--revocation off): kết quả chỉ nói về tính toàn "
	  "vẹn và nguồn gốc.",
	  "Revocation was not checked on purpose (--revocation off): the result speaks of "
	  "integrity and origin only." },
};

static int note_index(enum ks_report_note note)
{
	int i;

	for (i = 0; i < KS_NOTE__COUNT; i++)
		if ((unsigned)note == 1u << i)
			return i;
	return -1;
}

const char *ks_report_note_text(enum ks_report_note note, enum ks_lang lang)
{
	int i = note_index(note);

	if (i < 0)
		return "?";
	return lang == KS_LANG_EN ? note_table[i].en : note_table[i].vi;
}

const char *ks_report_note_code(enum ks_report_note note)
{
	int i = note_index(note);

	return i < 0 ? "unknown" : note_table[i].code;
}
