/* PDF verification for the CLI and the API: PAdES result -> report. */
#include "signer/ks_verify_pdf.h"

#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "formats/cms/ks_cms.h"
#include "ks_buf.h"
#include "formats/pdf/ks_pades_ltv.h"
#include "ks_io.h"
#include "signer/ks_verify_docdata.h"
#include "signer/ks_verify_ts.h"

#define CHANGE_TEXT_MAX ((size_t)1024)

/* Pass a failure (already recorded) up from a function without resources. */
#define TRY(call)                  \
	do {                       \
		if ((call) < 0)    \
			return -1; \
	} while (0)

static const char *const what_text[KS_PADES_WHAT__COUNT][2] = {
	[KS_PADES_WHAT_UNUSED] = { "đối tượng không được tài liệu sử dụng", "unused object" },
	[KS_PADES_WHAT_XREF] = { "dữ liệu tham chiếu chéo", "cross-reference data" },
	[KS_PADES_WHAT_CATALOG] = { "danh mục tài liệu (catalog)", "document catalog" },
	[KS_PADES_WHAT_ACROFORM] = { "biểu mẫu tương tác", "interactive form" },
	[KS_PADES_WHAT_SIG_FIELD] = { "trường chữ ký", "signature field" },
	[KS_PADES_WHAT_SIG_DICT] = { "dữ liệu chữ ký", "signature dictionary" },
	[KS_PADES_WHAT_DOC_TIMESTAMP] = { "dấu thời gian tài liệu", "document timestamp" },
	[KS_PADES_WHAT_FORM_FIELD] = { "trường biểu mẫu", "form field" },
	[KS_PADES_WHAT_WIDGET] = { "ô hiển thị của trường biểu mẫu", "form field widget" },
	[KS_PADES_WHAT_APPEARANCE] = { "hình thức hiển thị của trường", "field appearance" },
	[KS_PADES_WHAT_ANNOTATION] = { "chú thích (annotation)", "annotation" },
	[KS_PADES_WHAT_PAGE] = { "trang", "page" },
	[KS_PADES_WHAT_PAGE_TREE] = { "cây trang (thêm, bớt hoặc đổi thứ tự trang)",
				      "page tree (pages added, removed or reordered)" },
	[KS_PADES_WHAT_CONTENT] = { "nội dung hiển thị của trang", "page content" },
	[KS_PADES_WHAT_DSS] = { "kho dữ liệu kiểm tra (DSS)", "document security store (DSS)" },
	[KS_PADES_WHAT_INFO] = { "thông tin tài liệu", "document information" },
	[KS_PADES_WHAT_METADATA] = { "siêu dữ liệu", "metadata" },
	[KS_PADES_WHAT_OTHER] = { "cấu trúc tài liệu", "document structure" },
	[KS_PADES_WHAT_FILE] = { "cấu trúc tệp", "file structure" },
};

const char *ks_verify_pdf_what_text(enum ks_pades_what w, enum ks_lang lang)
{
	if ((unsigned)w >= KS_PADES_WHAT__COUNT)
		return "?";
	return what_text[w][lang == KS_LANG_EN ? 1 : 0];
}

const char *ks_verify_pdf_level_text(enum ks_pades_level l, enum ks_lang lang)
{
	bool en = lang == KS_LANG_EN;

	switch (l) {
	case KS_PADES_LEVEL_NONE:
		return en ? "no effect on the document" : "không ảnh hưởng tới tài liệu";
	case KS_PADES_LEVEL_LTV:
		return en ? "validation data or timestamp" : "dữ liệu kiểm tra hoặc dấu thời gian";
	case KS_PADES_LEVEL_FORM:
		return en ? "form filling or signing" : "điền biểu mẫu hoặc ký";
	case KS_PADES_LEVEL_ANNOT:
		return en ? "annotation" : "chú thích";
	case KS_PADES_LEVEL_OTHER:
		return en ? "modification of the document" : "sửa đổi tài liệu";
	}
	return "?";
}

static const char *op_text(enum ks_pades_op op, enum ks_lang lang)
{
	bool en = lang == KS_LANG_EN;

	switch (op) {
	case KS_PADES_ADDED:
		return en ? "added" : "được thêm";
	case KS_PADES_MODIFIED:
		return en ? "modified" : "bị sửa";
	case KS_PADES_DELETED:
		return en ? "deleted" : "bị xóa";
	}
	return "?";
}

static const char *docmdp_text(int p, enum ks_lang lang)
{
	bool en = lang == KS_LANG_EN;

	switch (p) {
	case 1:
		return en ? "no changes permitted" : "không cho phép thay đổi";
	case 2:
		return en ? "form filling and signing permitted"
			  : "chỉ cho phép điền biểu mẫu và ký";
	default:
		return en ? "form filling, signing and annotations permitted"
			  : "cho phép điền biểu mẫu, ký và thêm chú thích";
	}
}

static const char *format_of(const struct ks_pades_sig *sig)
{
	if (sig->kind == KS_PADES_DOC_TIMESTAMP)
		return "PAdES document timestamp (RFC 3161)";
	if (strcmp(sig->subfilter, "ETSI.CAdES.detached") == 0)
		return sig->signature_timestamp ? "PAdES-B-T" : "PAdES-B-B";
	if (strcmp(sig->subfilter, "adbe.pkcs7.detached") == 0)
		return "PDF PKCS#7 (adbe.pkcs7.detached)";
	if (strcmp(sig->subfilter, "adbe.pkcs7.sha1") == 0)
		return "PDF PKCS#7 (adbe.pkcs7.sha1)";
	return "PDF signature";
}

static int coverage_text(const struct ks_pades_sig *sig, enum ks_lang lang, struct ks_buf *t)
{
	bool en = lang == KS_LANG_EN;
	size_t later;

	switch (sig->coverage) {
	case KS_PADES_COVER_WHOLE:
		TRY(ks_buf_append_str(t, en ? "the whole document" : "toàn bộ tài liệu"));
		break;
	case KS_PADES_COVER_REVISION:
		later = sig->nrevs - 1 - sig->rev;
		TRY(ks_buf_printf(
		    t,
		    en ? "revision %zu of %zu of the document (%zu later update%s, analysed below)"
		       : "phiên bản %zu/%zu của tài liệu (%zu lần cập nhật sau khi ký, được phân "
			 "tích bên dưới)",
		    sig->rev + 1, sig->nrevs, later, en && later != 1 ? "s" : ""));
		break;
	case KS_PADES_COVER_NONSTANDARD:
		TRY(ks_buf_append_str(
		    t, en ? "non-standard: the signed bytes do not end at the end of a revision"
			  : "không chuẩn: phần được ký không kết thúc ở cuối một phiên bản của tài "
			    "liệu"));
		break;
	case KS_PADES_COVER_NONE:
		TRY(ks_buf_append_str(t, en ? "unknown" : "không xác định được"));
		break;
	}
	if (sig->field[0] != '\0')
		TRY(ks_buf_printf(t, en ? "; signature field \"%s\"" : "; trường chữ ký \"%s\"",
				  sig->field));
	if (sig->docmdp != 0)
		TRY(ks_buf_printf(t,
				  en ? "; certification signature, DocMDP P=%d (%s)"
				     : "; chữ ký chứng nhận, DocMDP P=%d (%s)",
				  sig->docmdp, docmdp_text(sig->docmdp, lang)));
	if (sig->fieldmdp)
		TRY(ks_buf_append_str(t, en ? "; locks form fields (FieldMDP)"
					    : "; khóa các trường biểu mẫu (FieldMDP)"));
	return 0;
}

static const char *level_code(enum ks_pades_level l)
{
	static const char *const codes[] = { "none", "ltv", "form", "annotation", "other" };

	return (unsigned)l < sizeof(codes) / sizeof(codes[0]) ? codes[l] : "other";
}

static int change_text(const struct ks_pades_change *ch, enum ks_lang lang, struct ks_buf *t)
{
	const struct ks_pades_place *pl = &ch->place;
	bool en = lang == KS_LANG_EN;

	if (ch->num != 0)
		TRY(ks_buf_printf(t,
				  en ? "object %u (%s) %s in revision %u: "
				     : "đối tượng %u (%s) %s ở phiên bản %u: ",
				  ch->num, ks_verify_pdf_what_text(ch->what, lang),
				  op_text(ch->op, lang), ch->rev + 1));
	else
		TRY(ks_buf_printf(t, en ? "%s, revision %u: " : "%s, phiên bản %u: ",
				  ks_verify_pdf_what_text(ch->what, lang), ch->rev + 1));
	if (ch->allowed)
		TRY(ks_buf_printf(t, en ? "allowed (%s)" : "được phép (%s)",
				  ks_verify_pdf_level_text(ch->level, lang)));
	else
		TRY(ks_buf_append_str(t, en ? "NOT ALLOWED" : "KHÔNG ĐƯỢC PHÉP"));
	/* Where a viewer shows it: page, then the box from the lower left
	 * corner of the page, in points. */
	if (pl->page != 0 && pl->has_rect)
		TRY(ks_buf_printf(t,
				  en ? ", on page %u at x=%.0f y=%.0f (%.0f x %.0f pt)"
				     : ", ở trang %u tại x=%.0f y=%.0f (%.0f x %.0f pt)",
				  pl->page, pl->rect[0], pl->rect[1], pl->rect[2] - pl->rect[0],
				  pl->rect[3] - pl->rect[1]));
	else if (pl->page != 0)
		TRY(ks_buf_printf(t, en ? ", on page %u" : ", ở trang %u", pl->page));
	if (ch->detail[0] != '\0')
		TRY(ks_buf_printf(t, " [%s]", ch->detail));
	return 0;
}

static int add_sig(const struct ks_pades_sig *sig, enum ks_lang lang, struct ks_report *rep)
{
	struct ks_report_sig *s;
	struct ks_buf t;
	const char *text;
	size_t i;
	int rc = -1;

	ks_buf_init(&t, CHANGE_TEXT_MAX);
	if (sig->has_cms)
		KS_GUARD(ks_report_add_cms(rep, &sig->cms, format_of(sig), &s));
	else {
		KS_GUARD(ks_report_add(rep, &s));
		KS_GUARD(ks_report_set(&s->format, format_of(sig)));
	}
	s->indication = sig->indication;
	s->sub = sig->sub;
	if (sig->coverage == KS_PADES_COVER_WHOLE || sig->coverage == KS_PADES_COVER_REVISION)
		s->revision = (uint32_t)sig->rev + 1;
	s->timestamp = sig->kind == KS_PADES_DOC_TIMESTAMP;
	KS_GUARD(ks_report_set_why(&s->detail, sig->detail[0] != '\0' ? sig->detail : NULL));
	if (sig->kind == KS_PADES_DOC_TIMESTAMP) {
		/* The time of a timestamp is the TSA's, not a claim. */
		s->notes &= ~(unsigned)KS_NOTE_SIGNING_TIME_CLAIMED;
	} else if (!s->has_signing_time && sig->has_m) {
		/* ETSI EN 319 142-1 5.4.3: PAdES puts the claimed time in /M. */
		s->has_signing_time = true;
		s->signing_time = sig->m;
		s->notes |= KS_NOTE_SIGNING_TIME_CLAIMED;
	}
	KS_GUARD(coverage_text(sig, lang, &t));
	KS_GUARD(ks_buf_cstr(&t, &text));
	KS_GUARD(ks_report_set(&s->coverage, text));
	for (i = 0; i < sig->n_changes; i++) {
		const struct ks_pades_change *ch = &sig->changes[i];
		struct ks_report_change rc_ = {
			.level = level_code(ch->level),
			.what = ks_pades_what_name(ch->what),
			.allowed = ch->allowed,
			.object = ch->num,
			.revision = ch->rev + 1,
			.page = ch->place.page,
			.has_rect = ch->place.has_rect,
		};

		ks_buf_reset(&t);
		KS_GUARD(change_text(ch, lang, &t));
		KS_GUARD(ks_buf_cstr(&t, &text));
		rc_.text = (char *)text;
		memcpy(rc_.rect, ch->place.rect, sizeof(rc_.rect));
		KS_GUARD(ks_report_sig_add_change(s, &rc_));
	}
	s->changes_more += sig->changes_dropped;
	if (sig->n_changes > 0 || sig->changes_dropped > 0)
		s->changes_level = level_code(sig->level);
	rc = 0;
out:
	ks_buf_cleanup(&t);
	return rc;
}

int ks_verify_pdf_report(const struct ks_pades_verify_result *res, enum ks_lang lang,
			 struct ks_report *rep)
{
	struct ks_report_sig *s;
	size_t i;

	if (res->unreadable) {
		/* A file that is no PDF at all: nothing in it is signed. */
		char why[320];

		snprintf(why, sizeof(why), "not a readable PDF (%s)", res->detail);
		return ks_report_set_why(&rep->not_signed, why);
	}
	for (i = 0; i < res->n; i++)
		if (add_sig(&res->sigs[i], lang, rep) < 0)
			return -1;
	if (res->sigs_dropped > 0) {
		/* Signatures beyond the limit were not checked: the document
		 * cannot pass. */
		char text[128];

		if (ks_report_add(rep, &s) < 0)
			return -1;
		s->indication = KS_IND_INDETERMINATE;
		s->sub = KS_SUB_SIG_CONSTRAINTS_FAILURE;
		snprintf(text, sizeof(text), "%zu more signatures than the %d kyso verifies",
			 res->sigs_dropped, KS_PADES_VERIFY_MAX_SIGS);
		return ks_report_set_why(&s->detail, text);
	}
	return 0;
}

/* The engine's facts of the PDF's signatures (entries first..first+n of
 * rep), then the engine. */
static int validate(struct ks_pades_verify_result *res, const uint8_t *pdf, size_t len,
		    size_t first, const struct ks_validation *val, struct ks_report *rep)
{
	struct ks_pades_dss_read dss;
	struct ks_verify_docdata dd;
	struct ks_engine_sig *es = NULL;
	struct ks_verify_ts_set *keep = NULL;
	struct ks_cms **cms = NULL;
	size_t i, n = res->n;
	int rc = -1;

	if (n == 0 || rep->n < first + n)
		return ks_engine_run(val, NULL, 0, NULL, rep);
	ks_pades_dss_read_init(&dss);
	if (ks_verify_docdata_init(&dd) < 0) {
		ks_pades_dss_read_cleanup(&dss);
		return -1;
	}
	/* The DSS: certificates, OCSP responses and CRLs for every
	 * signature (ETSI EN 319 142-1 5.4.2).  A DSS that cannot be read
	 * leaves the engine to the network and the cache. */
	if (ks_pades_dss_read(pdf, len, &dss) < 0) {
		if (ks_err_is_fatal())
			goto out;
		ks_err_clear();
	}
	for (i = 0; i < dss.n[KS_PADES_DSS_CERTS]; i++)
		KS_GUARD(ks_verify_docdata_cert(&dd, &dss.items[KS_PADES_DSS_CERTS][i]));
	for (i = 0; i < dss.n[KS_PADES_DSS_OCSPS]; i++)
		KS_GUARD(ks_verify_docdata_ocsp(&dd, &dss.items[KS_PADES_DSS_OCSPS][i], false));
	for (i = 0; i < dss.n[KS_PADES_DSS_CRLS]; i++)
		KS_GUARD(ks_verify_docdata_crl(&dd, &dss.items[KS_PADES_DSS_CRLS][i]));
	es = calloc(n, sizeof(*es));
	keep = calloc(n, sizeof(*keep));
	cms = calloc(n, sizeof(*cms));
	if (es == NULL || keep == NULL || cms == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		struct ks_pades_sig *sig = &res->sigs[i];
		struct ks_engine_sig *e = &es[i];

		e->out = &rep->sigs[first + i];
		e->doc_timestamp = sig->kind == KS_PADES_DOC_TIMESTAMP;
		e->signer = sig->has_cms ? sig->cms.cert : NULL;
		if (sig->cms_der == NULL)
			continue;
		/* the CMS the format check parsed, else parsed now */
		cms[i] = sig->cms_parsed;
		sig->cms_parsed = NULL;
		if (cms[i] == NULL && ks_cms_parse(sig->cms_der, sig->cms_len, true, &cms[i]) < 0) {
			if (ks_err_is_fatal())
				goto out;
			ks_err_clear();
			continue;
		}
		e->certs = ks_cms_get0_certs(cms[i]);
		if (!e->doc_timestamp)
			KS_GUARD(ks_verify_ts_facts(cms[i], 0, e, &keep[i]));
		if (e->n_ts > 0) /* the timestamps are checked now */
			e->out->notes &= ~(unsigned)KS_NOTE_UNSIGNED_ATTRS;
	}
	KS_GUARD(ks_engine_run(val, es, n, &dd.doc, rep));
	rc = 0;
out:
	ks_pades_dss_read_cleanup(&dss);
	ks_verify_docdata_cleanup(&dd);
	for (i = 0; cms != NULL && i < n; i++)
		ks_cms_free(cms[i]);
	for (i = 0; keep != NULL && i < n; i++)
		ks_verify_ts_set_cleanup(&keep[i]);
	free(cms);
	free(keep);
	free(es);
	return rc;
}

int ks_verify_pdf_mem(const uint8_t *pdf, size_t len, const struct ks_validation *val,
		      enum ks_lang lang, struct ks_report *rep)
{
	struct ks_pades_verify_opts opts = { 0 };
	struct ks_pades_verify_result res;
	size_t first = rep->n;
	int rc = -1;

	ks_pades_verify_result_init(&res);
	KS_GUARD(ks_pades_verify_mem(pdf, len, &opts, &res));
	KS_GUARD(ks_verify_pdf_report(&res, lang, rep));
	KS_GUARD(validate(&res, pdf, len, first, val, rep));
	rc = 0;
out:
	ks_pades_verify_result_cleanup(&res);
	return rc;
}

int ks_verify_pdf_file(const char *path, const struct ks_validation *val, enum ks_lang lang,
		       struct ks_report *rep)
{
	struct ks_file_map m;
	int rc;

	if (ks_file_map(path, &m) < 0)
		return -1;
	rc = ks_verify_pdf_mem(m.data, m.len, val, lang, rep);
	ks_file_unmap(&m);
	return rc;
}
