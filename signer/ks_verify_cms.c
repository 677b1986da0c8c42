/* CMS/CAdES signature files -> report (ks_verify_cms.h). */
#include "signer/ks_verify_cms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cms/ks_cms.h"
#include "formats/cms/ks_cades_ltv.h"
#include "signer/ks_verify_docdata.h"
#include "signer/ks_verify_ts.h"

/* Signers whose timestamps are looked at (more are validated without). */
#define KS_VERIFY_CMS_SIGNERS_MAX 16

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
		      const char *content_name, const struct ks_validation *val, enum ks_lang lang,
		      struct ks_report *rep)
{
	/* Integrity here; the path, trust and revocation in the engine. */
	struct ks_cms_verify_opts vo = { 0 };
	struct ks_verify_ts_set keep[KS_VERIFY_CMS_SIGNERS_MAX];
	struct ks_engine_sig *es = NULL;
	struct ks_verify_docdata dd;
	struct ks_cades_values *cv = NULL;
	struct ks_cms_result res;
	struct ks_report_sig *s;
	struct ks_cms *cms = NULL;
	size_t i, n_es = 0, first;
	char why[300];
	int rc = -1;

	memset(keep, 0, sizeof(keep));
	ks_cms_result_init(&res);
	if (ks_verify_docdata_init(&dd) < 0)
		return -1;
	if (n > KS_CMS_DER_MAX) {
		/* Too large to be a signature: not a signed document. */
		snprintf(why, sizeof(why), "larger than the limit of %zu bytes for a signature",
			 KS_CMS_DER_MAX);
		KS_GUARD(ks_report_set_why(&rep->not_signed, why));
		rc = 0;
		goto out;
	}
	if (ks_cms_parse(der, n, false, &cms) < 0) {
		if (ks_err_is_fatal())
			goto out;
		snprintf(why, sizeof(why), "not a CMS signature (%s)", ks_err_msg());
		KS_GUARD(ks_report_set_why(&rep->not_signed, why));
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
	es = calloc(res.n > 0 ? res.n : 1, sizeof(*es));
	if (es == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	first = rep->n;
	for (i = 0; i < res.n; i++) {
		KS_GUARD(ks_report_add_cms(rep, &res.signers[i], NULL, &s));
		KS_GUARD(coverage(content_name, clen, ks_cms_is_attached(cms), lang, s));
	}
	/* Entries may move while being added: point at them once all are. */
	for (i = 0; i < res.n; i++) {
		struct ks_engine_sig *e = &es[n_es++];

		e->out = &rep->sigs[first + i];
		e->signer = res.signers[i].cert;
		e->certs = ks_cms_get0_certs(cms);
		if (i < KS_VERIFY_CMS_SIGNERS_MAX) {
			KS_GUARD(ks_verify_ts_facts(cms, i, e, &keep[i]));
			KS_GUARD(ks_verify_ts_archive(
			    cms, i, ks_cms_is_attached(cms) ? NULL : content, clen, e, &keep[i]));
		}
		if (e->n_ts > 0)
			e->out->notes &= ~(unsigned)KS_NOTE_UNSIGNED_ATTRS;
	}
	/* What the signature carries for validation: its certificates and,
	 * per signer, certificate-values and revocation-values (B-LT). */
	for (i = 0; i < (size_t)sk_X509_num(ks_cms_get0_certs(cms)); i++) {
		X509 *x = sk_X509_value(ks_cms_get0_certs(cms), (int)i);

		if (X509_up_ref(x) != 1 || sk_X509_push(dd.certs, x) <= 0) {
			X509_free(x);
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		}
	}
	cv = calloc(1, sizeof(*cv));
	if (cv == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < res.n && i < KS_VERIFY_CMS_SIGNERS_MAX; i++) {
		size_t k;

		ks_cades_values_init(cv);
		if (ks_cades_values_read(cms, i, cv) < 0) {
			ks_cades_values_cleanup(cv);
			if (ks_err_is_fatal())
				goto out;
			ks_err_clear();
			continue;
		}
		for (k = 0; k < cv->n_certs; k++)
			KS_GUARD(ks_verify_docdata_cert(&dd, &cv->certs[k]));
		for (k = 0; k < cv->n_ocsps; k++)
			KS_GUARD(ks_verify_docdata_ocsp(&dd, &cv->ocsps[k], true));
		for (k = 0; k < cv->n_crls; k++)
			KS_GUARD(ks_verify_docdata_crl(&dd, &cv->crls[k]));
		ks_cades_values_cleanup(cv);
	}
	KS_GUARD(ks_engine_run(val, es, n_es, &dd.doc, rep));
	rc = 0;
out:
	for (i = 0; i < KS_VERIFY_CMS_SIGNERS_MAX; i++)
		ks_verify_ts_set_cleanup(&keep[i]);
	free(es);
	if (cv != NULL)
		ks_cades_values_cleanup(cv);
	free(cv);
	ks_verify_docdata_cleanup(&dd);
	ks_cms_result_cleanup(&res);
	ks_cms_free(cms);
	return rc;
}
