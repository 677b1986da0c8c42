/* CMS/CAdES signature files -> report (ks_verify_cms.h). */
#include "signer/ks_verify_cms.h"

#include "formats/cms/ks_cms.h"

/* What a CMS signature covers: its content, inside or beside it. */
static int coverage(const char *content_name, size_t clen, bool attached, enum ks_lang lang,
		    struct ks_report_sig *s)
{
	struct ks_buf t;
	const char *text;
	bool en = lang == KS_LANG_EN;
	int rc = -1;

	ks_buf_init(&t, KS_REPORT_STR_MAX);
	if (attached)
		KS_GUARD(ks_buf_append_str(&t, en ? "the content carried inside the signature"
						  : "nội dung nằm trong tệp chữ ký"));
	else
		KS_GUARD(ks_buf_printf(
		    &t, en ? "the whole file %s (%zu bytes)" : "toàn bộ tệp %s (%zu byte)",
		    content_name != NULL ? content_name : "", clen));
	KS_GUARD(ks_buf_cstr(&t, &text));
	KS_GUARD(ks_report_set(&s->coverage, text));
	rc = 0;
out:
	ks_buf_cleanup(&t);
	return rc;
}

int ks_verify_cms_mem(const uint8_t *der, size_t n, const uint8_t *content, size_t clen,
		      const char *content_name, X509_STORE *trust, enum ks_lang lang,
		      struct ks_report *rep)
{
	struct ks_cms_verify_opts vo = { .trust = trust };
	struct ks_cms_result res;
	struct ks_report_sig *s;
	struct ks_cms *cms = NULL;
	size_t i;
	int rc = -1;

	ks_cms_result_init(&res);
	if (n > KS_CMS_DER_MAX) {
		/* Too large to be a signature: a format failure, not an I/O one. */
		KS_SET(KS_ERR_LIMIT, "larger than the limit of %zu bytes for a signature",
		       KS_CMS_DER_MAX);
	} else if (ks_cms_parse(der, n, false, &cms) < 0 &&
		   (ks_err_code() == KS_ERR_NOMEM || ks_err_code() == KS_ERR_INTERNAL)) {
		goto out;
	}
	if (cms == NULL) {
		KS_GUARD(ks_report_add(rep, &s));
		s->indication = KS_IND_TOTAL_FAILED;
		s->sub = KS_SUB_FORMAT_FAILURE;
		KS_GUARD(ks_report_set(&s->detail, ks_err_msg()));
		rc = 0;
		goto out;
	}
	if (ks_cms_is_attached(cms) && content != NULL)
		KS_BAIL(KS_ERR_USAGE, "the signature carries its content: do not pass --content");
	if (!ks_cms_is_attached(cms) && content == NULL)
		KS_BAIL(KS_ERR_USAGE,
			"detached signature: give the signed file with --content FILE");
	KS_GUARD(ks_cms_verify_data(cms, ks_cms_is_attached(cms) ? NULL : content,
				    ks_cms_is_attached(cms) ? 0 : clen, &vo, &res));
	for (i = 0; i < res.n; i++) {
		KS_GUARD(ks_report_add_cms(rep, &res.signers[i], NULL, &s));
		KS_GUARD(coverage(content_name, clen, ks_cms_is_attached(cms), lang, s));
	}
	rc = 0;
out:
	ks_cms_result_cleanup(&res);
	ks_cms_free(cms);
	return rc;
}
