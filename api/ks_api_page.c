/* The verification page for people (docs/configuration.md, "The
 * verification page"): GET / (the upload form), POST /verify (the
 * result, rendered here: no script needed), GET /v/<id> (the link of a
 * rendered document's QR code) and GET /static/kyso.css.
 *
 * Everything taken from the document or its certificates goes through
 * ks_html_escape.  The uploaded bytes live in the request's body only
 * and are never written anywhere.  Every page carries a strict
 * Content-Security-Policy: no script, styles and images from this
 * origin only, forms posted back here only, never framed. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/ks_api_int.h"
#include "api/ks_api_page_reg.h"
#include "api/ks_html.h"
#include "ks_log.h"
#include "signer/ks_report.h"

#define HTML_TYPE "text/html; charset=utf-8"
#define PAGE_MAX ((size_t)4 << 20)    /* bytes of one rendered page */
#define PAGE_ID_MAX KS_RECORD_REF_MAX /* characters of a document id in /v/<id> */
#define PAGE_AUDIT_ROWS_MAX 16        /* audit rows shown for one digest */
#define PAGE_SHA256_HEX 64

static const char *const page_known[] = { "document", "lang", "id", NULL };

static const char *tr(enum ks_lang l, const char *vi, const char *en)
{
	return l == KS_LANG_EN ? en : vi;
}

/* The language asked for: ?lang=en, or the form's field; Vietnamese
 * otherwise. */
static enum ks_lang lang_of(const char *v)
{
	return v != NULL && strcmp(v, "en") == 0 ? KS_LANG_EN : KS_LANG_VI;
}

/* A document id as the QR link carries it: a record id (1..PAGE_ID_MAX
 * of [A-Za-z0-9_-]), or the hex SHA-256 of a document. */
static bool id_ok(const char *id)
{
	return ks_record_ref_ok(id);
}

static bool is_sha256_hex(const char *id)
{
	size_t i;

	if (strlen(id) != PAGE_SHA256_HEX)
		return false;
	for (i = 0; i < PAGE_SHA256_HEX; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

static void fmt_time(time_t t, enum ks_lang l, char *out, size_t n)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, n, l == KS_LANG_EN ? "%Y-%m-%d %H:%M:%S UTC" : "%d/%m/%Y %H:%M:%S UTC",
		     &tm) == 0)
		snprintf(out, n, "?");
}

/* ---- the frame of every page ---- */

/* `self` is the page's own path (the language link points there). */
static int page_head(struct ks_buf *b, enum ks_lang l, const char *title, const char *self)
{
	int rc = -1;

	KS_GUARD(
	    ks_buf_printf(b,
			  "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
			  "<meta name=\"viewport\" content=\"width=device-width, "
			  "initial-scale=1\">\n<title>",
			  l == KS_LANG_EN ? "en" : "vi"));
	KS_GUARD(ks_html_escape(b, title));
	KS_GUARD(ks_buf_append_str(b,
				   "</title>\n<link rel=\"stylesheet\" href=\"/static/kyso.css\">\n"
				   "</head>\n<body>\n<a class=\"skip\" href=\"#main\">"));
	KS_GUARD(ks_buf_append_str(b, tr(l, "Bỏ qua tới nội dung", "Skip to content")));
	KS_GUARD(ks_buf_append_str(b, "</a>\n<header>\n<nav class=\"lang\"><a href=\""));
	KS_GUARD(ks_html_escape(b, self));
	KS_GUARD(ks_buf_append_str(b, l == KS_LANG_EN ? "?lang=vi\" lang=\"vi\" hreflang=\"vi\">"
							"Tiếng Việt</a>"
						      : "?lang=en\" lang=\"en\" hreflang=\"en\">"
							"English</a>"));
	KS_GUARD(ks_buf_append_str(b, "</nav>\n<p class=\"brand\">kyso</p>\n</header>\n"
				      "<main id=\"main\">\n<h1>"));
	KS_GUARD(ks_html_escape(b, title));
	KS_GUARD(ks_buf_append_str(b, "</h1>\n"));
	rc = 0;
out:
	return rc;
}

static int page_foot(struct ks_buf *b, enum ks_lang l)
{
	int rc = -1;

	KS_GUARD(ks_buf_append_str(b, "</main>\n<footer><p>"));
	KS_GUARD(ks_buf_append_str(
	    b, tr(l,
		  "Tệp tải lên chỉ được dùng để kiểm tra và không được lưu lại. Trang này không "
		  "dùng dịch vụ của bên thứ ba.",
		  "The uploaded file is used for this check only and is never stored. This page "
		  "uses no third-party services.")));
	KS_GUARD(ks_buf_append_str(b, "</p></footer>\n</body>\n</html>\n"));
	rc = 0;
out:
	return rc;
}

/* The upload form; `id` (may be NULL) is kept for the result. */
static int page_form(struct ks_buf *b, enum ks_lang l, const char *id)
{
	int rc = -1;

	KS_GUARD(ks_buf_printf(b,
			       "<form class=\"upload\" method=\"post\" action=\"/verify\" "
			       "enctype=\"multipart/form-data\">\n"
			       "<input type=\"hidden\" name=\"lang\" value=\"%s\">\n",
			       l == KS_LANG_EN ? "en" : "vi"));
	if (id != NULL) {
		KS_GUARD(ks_buf_append_str(b, "<input type=\"hidden\" name=\"id\" value=\""));
		KS_GUARD(ks_html_escape(b, id));
		KS_GUARD(ks_buf_append_str(b, "\">\n"));
	}
	KS_GUARD(ks_buf_printf(
	    b,
	    "<label for=\"document\">%s</label>\n"
	    "<input id=\"document\" name=\"document\" type=\"file\" required "
	    "accept=\".pdf,.xml,.p7s,application/pdf,application/xml,text/xml\" "
	    "aria-describedby=\"document-hint\">\n"
	    "<p class=\"hint\" id=\"document-hint\">%s</p>\n"
	    "<button type=\"submit\">%s</button>\n</form>\n",
	    tr(l, "Chọn tệp văn bản đã ký (PDF hoặc XML)", "Choose the signed file (PDF or XML)"),
	    tr(l,
	       "Ví dụ: học bạ, bảng điểm do nhà trường cấp. Tệp không được lưu lại sau khi kiểm "
	       "tra.",
	       "For example a school transcript or gradebook. The file is not kept after the "
	       "check."),
	    tr(l, "Kiểm tra", "Verify")));
	rc = 0;
out:
	return rc;
}

static void page_reply(struct ks_api_reply *r, unsigned status)
{
	r->status = status;
	r->content_type = HTML_TYPE;
	r->csp = KS_API_PAGE_CSP;
}

/* A page with one message and the form again. */
static int page_message(struct ks_api_reply *r, unsigned status, enum ks_lang l, const char *msg,
			const char *id)
{
	const char *title =
	    tr(l, "Kiểm tra văn bản có chữ ký số", "Check a digitally signed document");
	int rc = -1;

	ks_buf_reset(&r->body);
	r->body.max = PAGE_MAX;
	KS_GUARD(page_head(&r->body, l, title, "/"));
	KS_GUARD(ks_buf_append_str(&r->body, "<p class=\"error\" role=\"alert\">"));
	KS_GUARD(ks_html_escape(&r->body, msg));
	KS_GUARD(ks_buf_append_str(&r->body, "</p>\n"));
	KS_GUARD(page_form(&r->body, l, id));
	KS_GUARD(page_foot(&r->body, l));
	page_reply(r, status);
	rc = 0;
out:
	return rc;
}

void ks_api_page_refuse(struct ks_api_svc *s, const struct ks_api_request *q, unsigned status,
			const char *detail, struct ks_api_reply *r)
{
	enum ks_lang l = lang_of(ks_api_param(&q->query, "lang"));
	const char *msg;

	(void)s;
	if (status == 413)
		msg = tr(l, "Tệp quá lớn để kiểm tra tại đây.",
			 "The file is too large to check here.");
	else if (status >= 500)
		msg = tr(l, "Lỗi máy chủ; vui lòng thử lại sau.",
			 "Server error; please try again later.");
	else
		msg = detail;
	if (page_message(r, status, l, msg, NULL) < 0) {
		/* out of memory: the transport answers 500 with what it has */
		ks_err_clear();
		ks_buf_reset(&r->body);
		r->status = status;
		r->content_type = "text/plain; charset=utf-8";
	}
}

/* ---- GET / ---- */

int ks_api_h_page(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	enum ks_lang l = lang_of(ks_api_param(&q->query, "lang"));
	int rc = -1;

	(void)svc;
	r->body.max = PAGE_MAX;
	KS_GUARD(page_head(
	    &r->body, l,
	    tr(l, "Kiểm tra văn bản có chữ ký số", "Check a digitally signed document"), "/"));
	KS_GUARD(ks_buf_append_str(
	    &r->body,
	    tr(l,
	       "<p class=\"lead\">Tải lên học bạ hoặc văn bản điện tử có chữ ký số để biết văn bản "
	       "có đúng là do người ký phát hành và có bị sửa sau khi ký hay không.</p>\n",
	       "<p class=\"lead\">Upload a signed transcript or electronic record to learn whether "
	       "it really comes from its signers and whether it was changed after "
	       "signing.</p>\n")));
	KS_GUARD(page_form(&r->body, l, NULL));
	KS_GUARD(page_foot(&r->body, l));
	page_reply(r, 200);
	rc = 0;
out:
	return rc;
}

/* ---- POST /verify: the result ---- */

struct verdict_look {
	const char *cls, *mark, *vi, *en;
};

static const struct verdict_look verdict_looks[] = {
	[KS_VERDICT_AUTHENTIC] = { "v-authentic", "&#10004;",
				   "Văn bản xác thực và không bị thay đổi",
				   "Authentic and unchanged" },
	[KS_VERDICT_CHANGED] = { "v-changed", "!",
				 "Chữ ký hợp lệ nhưng văn bản đã bị thay đổi sau khi ký",
				 "Valid signatures, but changed after signing" },
	[KS_VERDICT_NOT_AUTHENTIC] = { "v-bad", "&#10008;", "Văn bản KHÔNG xác thực",
				       "Not authentic" },
	[KS_VERDICT_INDETERMINATE] = { "v-unknown", "?", "Không thể xác nhận",
				       "Cannot be confirmed" },
	[KS_VERDICT_NOT_SIGNED] = { "v-unsigned", "&#8211;", "Văn bản không có chữ ký số",
				    "Not signed" },
};

static int put_banner(struct ks_buf *b, enum ks_lang l, const struct ks_report *rep)
{
	const struct verdict_look *v =
	    &verdict_looks[(unsigned)rep->verdict <= KS_VERDICT_NOT_SIGNED
			       ? rep->verdict
			       : KS_VERDICT_INDETERMINATE];
	int rc = -1;

	KS_GUARD(ks_buf_printf(b,
			       "<section class=\"verdict %s\" role=\"status\" "
			       "aria-labelledby=\"verdict\">\n<h2 id=\"verdict\"><span "
			       "class=\"mark\" aria-hidden=\"true\">%s</span> %s</h2>\n<p>",
			       v->cls, v->mark, tr(l, v->vi, v->en)));
	KS_GUARD(ks_html_escape(b, ks_verdict_text(rep->verdict, l)));
	KS_GUARD(ks_buf_append_str(b, "</p>\n"));
	if (rep->not_signed != NULL) {
		KS_GUARD(ks_buf_append_str(b, "<p>"));
		KS_GUARD(ks_html_escape(b, rep->not_signed));
		KS_GUARD(ks_buf_append_str(b, "</p>\n"));
	}
	if (rep->verdict == KS_VERDICT_CHANGED || rep->verdict == KS_VERDICT_NOT_AUTHENTIC)
		KS_GUARD(ks_api_page_changes(b, l, rep));
	KS_GUARD(ks_buf_append_str(b, "</section>\n"));
	rc = 0;
out:
	return rc;
}

/* <dt>label</dt><dd>escaped value</dd>, nothing when the value is NULL. */
static int put_item(struct ks_buf *b, const char *label, const char *value)
{
	int rc = -1;

	if (value == NULL || value[0] == '\0')
		return 0;
	KS_GUARD(ks_buf_printf(b, "<dt>%s</dt><dd>", label));
	KS_GUARD(ks_html_escape(b, value));
	KS_GUARD(ks_buf_append_str(b, "</dd>\n"));
	rc = 0;
out:
	return rc;
}

static int put_time(struct ks_buf *b, enum ks_lang l, const struct ks_report_sig *g)
{
	char t[64];
	int rc = -1;

	KS_GUARD(ks_buf_printf(b, "<dt>%s</dt><dd>", tr(l, "Thời điểm ký", "Signing time")));
	if (g->has_poe) {
		fmt_time(g->poe, l, t, sizeof(t));
		KS_GUARD(ks_buf_printf(b, "%s <span class=\"ok\">%s</span>", t,
				       tr(l, "được chứng thực bởi dấu thời gian tin cậy",
					  "proven by a trusted timestamp")));
		if (g->poe_by != NULL) {
			KS_GUARD(ks_buf_append_str(b, " ("));
			KS_GUARD(ks_html_escape(b, g->poe_by));
			KS_GUARD(ks_buf_append_str(b, ")"));
		}
	} else if (g->has_signing_time) {
		fmt_time(g->signing_time, l, t, sizeof(t));
		KS_GUARD(
		    ks_buf_printf(b, "%s <span class=\"warn\">%s</span>", t,
				  tr(l, "do người ký tự khai, không có dấu thời gian chứng thực",
				     "as the signer claims; no trusted timestamp proves it")));
	} else {
		KS_GUARD(ks_buf_append_str(b, tr(l, "không rõ", "unknown")));
	}
	KS_GUARD(ks_buf_append_str(b, "</dd>\n"));
	rc = 0;
out:
	return rc;
}

static int put_revocation(struct ks_buf *b, enum ks_lang l, const struct ks_report_sig *g)
{
	int rc = -1;

	KS_GUARD(ks_buf_printf(b, "<dt>%s</dt><dd>",
			       tr(l, "Tình trạng thu hồi chứng thư", "Certificate revocation")));
	if (g->rev_status != NULL && strcmp(g->rev_status, "good") == 0)
		KS_GUARD(ks_buf_printf(b, "<span class=\"ok\">%s</span>",
				       tr(l, "chưa bị thu hồi", "not revoked")));
	else if (g->rev_status != NULL && strcmp(g->rev_status, "revoked") == 0)
		KS_GUARD(ks_buf_printf(b, "<span class=\"bad\">%s</span>",
				       tr(l, "ĐÃ BỊ THU HỒI", "REVOKED")));
	else if (g->rev_status != NULL)
		KS_GUARD(ks_html_escape(b, g->rev_status));
	else if ((g->notes & KS_NOTE_REVOCATION_OFF) != 0)
		KS_GUARD(ks_buf_printf(b, "<span class=\"warn\">%s</span>",
				       tr(l, "không kiểm tra (tắt theo cấu hình của máy chủ)",
					  "not checked (turned off on this server)")));
	else
		KS_GUARD(ks_buf_printf(b, "<span class=\"warn\">%s</span>",
				       tr(l, "chưa kiểm tra được", "could not be checked")));
	if (g->rev_source != NULL) {
		KS_GUARD(ks_buf_append_str(b, " ("));
		KS_GUARD(ks_html_escape(b, g->rev_source));
		KS_GUARD(ks_buf_append_str(b, ")"));
	}
	KS_GUARD(ks_buf_append_str(b, "</dd>\n"));
	rc = 0;
out:
	return rc;
}

/* The chain as the report names it: the signer, its issuer, and whether
 * the path ends at a trusted root. */
static int put_chain(struct ks_buf *b, enum ks_lang l, const struct ks_report_sig *g)
{
	bool trusted = g->has_cert && g->sub != KS_SUB_NO_CERTIFICATE_CHAIN_FOUND &&
		       g->sub != KS_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE &&
		       g->sub != KS_SUB_CHAIN_CONSTRAINTS_FAILURE &&
		       g->sub != KS_SUB_NO_SIGNING_CERTIFICATE_FOUND;
	int rc = -1;

	if (!g->has_cert)
		return 0;
	if (g->n_chain > 0) {
		/* The validated path, up to the trusted root, by name. */
		size_t i;

		KS_GUARD(ks_buf_printf(b, "<dt>%s</dt><dd><ol class=\"chain\">\n",
				       tr(l, "Chuỗi chứng thư", "Certificate chain")));
		for (i = 0; i < g->n_chain; i++) {
			KS_GUARD(ks_buf_append_str(b, i + 1 == g->n_chain ? "<li class=\"ok\">"
									  : "<li>"));
			KS_GUARD(ks_html_escape(b, g->chain[i]));
			if (i + 1 == g->n_chain)
				KS_GUARD(ks_buf_printf(
				    b, " (%s)", tr(l, "chứng thư gốc tin cậy", "trusted root")));
			KS_GUARD(ks_buf_append_str(b, "</li>\n"));
		}
		KS_GUARD(ks_buf_append_str(b, "</ol></dd>\n"));
		rc = 0;
		goto out;
	}
	KS_GUARD(ks_buf_printf(b, "<dt>%s</dt><dd><ol class=\"chain\">\n<li>",
			       tr(l, "Chuỗi chứng thư", "Certificate chain")));
	KS_GUARD(ks_html_escape(b, g->signer_name != NULL ? g->signer_name : g->subject));
	KS_GUARD(ks_buf_append_str(b, "</li>\n<li>"));
	KS_GUARD(ks_html_escape(b, g->issuer_name != NULL ? g->issuer_name : g->issuer));
	KS_GUARD(ks_buf_printf(b, "</li>\n<li class=\"%s\">%s</li>\n</ol></dd>\n",
			       trusted ? "ok" : "bad",
			       trusted ? tr(l, "dẫn tới chứng thư gốc tin cậy của máy chủ",
					    "leads to a root this server trusts")
				       : tr(l, "KHÔNG dẫn tới chứng thư gốc tin cậy",
					    "does NOT lead to a trusted root")));
	rc = 0;
out:
	return rc;
}

static int put_signer(struct ks_buf *b, enum ks_lang l, size_t i, const struct ks_report_sig *g)
{
	char idtext[160];
	int rc = -1;

	KS_GUARD(ks_buf_printf(b, "<section class=\"signer %s\">\n<h3>%s %zu: ",
			       g->indication == KS_IND_TOTAL_PASSED   ? "s-ok"
			       : g->indication == KS_IND_TOTAL_FAILED ? "s-bad"
								      : "s-unknown",
			       g->timestamp ? tr(l, "Dấu thời gian", "Timestamp")
					    : tr(l, "Chữ ký", "Signature"),
			       i + 1));
	KS_GUARD(ks_html_escape(b, g->signer_name != NULL ? g->signer_name
							  : tr(l, "(không rõ)", "(unknown)")));
	KS_GUARD(ks_buf_append_str(b, "</h3>\n<dl>\n"));
	KS_GUARD(
	    put_item(b, tr(l, "Kết quả", "Result"), ks_report_indication_text(g->indication, l)));
	if (g->sub != KS_SUB_NONE)
		KS_GUARD(put_item(b, tr(l, "Lý do", "Reason"), ks_report_sub_text(g->sub, l)));
	KS_GUARD(put_item(b, tr(l, "Chức danh", "Title"), g->title));
	KS_GUARD(put_item(b, tr(l, "Vai trò", "Role"), g->role));
	KS_GUARD(put_item(b, tr(l, "Đơn vị", "Organisation"), g->organisation));
	if (g->id_kind != NULL && g->id_number != NULL) {
		snprintf(idtext, sizeof(idtext), "%s %s", g->id_kind, g->id_number);
		KS_GUARD(put_item(b, tr(l, "Số định danh", "Identity number"), idtext));
	}
	KS_GUARD(put_time(b, l, g));
	KS_GUARD(put_revocation(b, l, g));
	KS_GUARD(put_chain(b, l, g));
	KS_GUARD(put_item(b, tr(l, "Phạm vi ký", "Covers"), g->coverage));
	KS_GUARD(put_item(b, tr(l, "Định dạng", "Format"), g->format));
	KS_GUARD(put_item(b, tr(l, "Chi tiết kỹ thuật", "Technical detail"), g->detail));
	KS_GUARD(ks_buf_append_str(b, "</dl>\n</section>\n"));
	rc = 0;
out:
	return rc;
}

/* `reg` (may be NULL): the registration of `id`, compared with the
 * upload's digest `digest`. */
static int page_result(struct ks_buf *b, enum ks_lang l, const struct ks_report *rep,
		       const char *id, const struct ks_api_reg *reg, const char *digest)
{
	size_t i;
	int rc = -1;

	KS_GUARD(page_head(b, l, tr(l, "Kết quả kiểm tra", "Verification result"), "/"));
	KS_GUARD(put_banner(b, l, rep));
	if (reg != NULL && reg->n > 0)
		KS_GUARD(ks_api_reg_compare(b, l, reg, digest));
	if (id != NULL) {
		KS_GUARD(ks_buf_printf(b, "<p>%s: <code>", tr(l, "Mã văn bản", "Document id")));
		KS_GUARD(ks_html_escape(b, id));
		KS_GUARD(ks_buf_append_str(b, "</code></p>\n"));
		if (reg != NULL && reg->n == 0)
			KS_GUARD(ks_buf_printf(
			    b, "<p>%s</p>\n",
			    tr(l,
			       "Máy chủ chưa có thông tin đăng ký cho mã này: kết quả trên chỉ dựa "
			       "vào các chữ ký trong tệp.",
			       "This server holds no registration for this id: the result above "
			       "rests "
			       "on the signatures in the file alone.")));
	}
	if (rep->n > 0)
		KS_GUARD(ks_buf_printf(b, "<h2>%s</h2>\n", tr(l, "Người ký", "Signers")));
	for (i = 0; i < rep->n; i++)
		KS_GUARD(put_signer(b, l, i, &rep->sigs[i]));
	KS_GUARD(ks_buf_printf(b, "<p><a class=\"again\" href=\"/?lang=%s\">%s</a></p>\n",
			       l == KS_LANG_EN ? "en" : "vi",
			       tr(l, "Kiểm tra tệp khác", "Check another file")));
	KS_GUARD(page_foot(b, l));
	rc = 0;
out:
	return rc;
}

int ks_api_h_page_verify(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;
	struct ks_api_params ps;
	struct ks_api_reply dummy;
	struct ks_report rep;
	struct ks_api_reg *reg = NULL;
	const uint8_t *doc;
	const char *id;
	enum ks_lang l = lang_of(ks_api_param(&q->query, "lang"));
	char digest[KS_API_DOC_DIGEST_HEX] = "";
	size_t n;
	int rc = -1;

	ks_api_params_init(&ps);
	ks_report_init(&rep);
	ks_api_reply_init(&dummy);
	if (!ks_api_rate_ok(s, q->addr)) {
		atomic_fetch_add(&s->rate_limited, 1);
		r->retry_after = 1;
		KS_GUARD(
		    page_message(r, 429, l,
				 tr(l, "Quá nhiều lượt kiểm tra; vui lòng thử lại sau giây lát.",
				    "Too many checks; please try again in a moment."),
				 NULL));
		rc = 0;
		goto out;
	}
	if (!ks_http_type_is(q->content_type, "multipart/form-data") ||
	    ks_api_read_params(q, &ps, &doc, &n, &dummy) != 0) {
		ks_err_clear();
		KS_GUARD(page_message(
		    r, 400, l,
		    tr(l, "Không đọc được biểu mẫu gửi lên.", "The form could not be read."),
		    NULL));
		rc = 0;
		goto out;
	}
	l = lang_of(ks_api_param(&ps, "lang"));
	id = ks_api_param(&ps, "id");
	if (id != NULL && !id_ok(id))
		id = NULL;
	if (ks_api_params_unknown(&ps, page_known) != NULL || doc == NULL || n == 0) {
		KS_GUARD(page_message(
		    r, 400, l,
		    tr(l, "Hãy chọn một tệp để kiểm tra.", "Please choose a file to check."), id));
		rc = 0;
		goto out;
	}
	if (ks_api_verify_run(s, doc, n, NULL, 0, "document", l, &rep) < 0) {
		/* the page takes one file: a detached signature alone is not
		 * something it can check, and the parent is told so */
		bool detached = ks_err_code() == KS_ERR_USAGE;

		ks_log(detached ? KS_LOG_INFO : KS_LOG_ERROR, "request %s: %s", q->id,
		       ks_err_msg());
		ks_err_clear();
		KS_GUARD(page_message(
		    r, detached ? 422 : 500, l,
		    detached
			? tr(l,
			     "Tệp này chỉ chứa chữ ký (chữ ký tách rời), không chứa văn bản "
			     "được ký, nên không thể kiểm tra riêng.",
			     "This file holds only a signature (a detached signature), not the "
			     "document it signs, so it cannot be checked on its own.")
			: tr(l, "Không kiểm tra được tệp này.", "This file could not be checked."),
		    id));
		rc = 0;
		goto out;
	}
	if (id != NULL) {
		/* the file against the id's registration, when the daemon
		 * signed documents carrying it */
		ks_api_sha256_hex(doc, n, digest);
		reg = malloc(sizeof(*reg));
		if (reg == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		if (ks_api_reg_load(s, id, reg) < 0) {
			ks_log(KS_LOG_WARN, "request %s: registration lookup: %s", q->id,
			       ks_err_msg());
			ks_err_clear();
			free(reg);
			reg = NULL;
		}
	}
	r->body.max = PAGE_MAX;
	KS_GUARD(page_result(&r->body, l, &rep, id, reg, digest));
	page_reply(r, 200);
	rc = 0;
out:
	free(reg);
	ks_api_reply_cleanup(&dummy);
	ks_report_cleanup(&rep);
	ks_api_params_cleanup(&ps);
	return rc;
}

/* ---- GET /v/<id>: the QR link ---- */

struct audit_hits {
	uint64_t seqs[PAGE_AUDIT_ROWS_MAX];
	size_t n;
	json_t *rows[PAGE_AUDIT_ROWS_MAX];
	size_t found;
};

static int audit_row(void *arg, uint64_t seq, const char *digest, const uint8_t *entry, size_t n)
{
	struct audit_hits *h = arg;
	size_t i;

	(void)digest;
	for (i = 0; i < h->n && h->found < PAGE_AUDIT_ROWS_MAX; i++)
		if (h->seqs[i] == seq) {
			json_t *o = json_loadb((const char *)entry, n, 0, NULL);

			if (o != NULL)
				h->rows[h->found++] = o;
			break;
		}
	return 0;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "";
}

/* The signatures the audit log holds for a digest: one row each. */
static int put_registered(struct ks_buf *b, enum ks_lang l, const char *digest,
			  struct audit_hits *h, bool *any)
{
	size_t i;
	int rc = -1;

	*any = false;
	for (i = 0; i < h->found; i++)
		if (strcmp(jstr(h->rows[i], "op"), "sign") == 0 &&
		    strcmp(jstr(h->rows[i], "outcome"), "ok") == 0)
			*any = true;
	if (!*any)
		return 0;
	KS_GUARD(ks_buf_printf(
	    b,
	    "<section class=\"verdict v-authentic\" role=\"status\" aria-labelledby=\"verdict\">\n"
	    "<h2 id=\"verdict\"><span class=\"mark\" aria-hidden=\"true\">&#10004;</span> %s</h2>\n"
	    "<p>%s</p>\n<dl>\n<dt>%s</dt><dd><code class=\"digest\">",
	    tr(l, "Văn bản đã được đăng ký tại máy chủ này", "Registered with this server"),
	    tr(l, "Nhật ký kiểm toán của máy chủ ghi nhận đã ký văn bản có mã băm này.",
	       "This server's audit log records signing the document with this digest."),
	    tr(l, "Mã băm SHA-256 đã đăng ký", "Registered SHA-256 digest")));
	KS_GUARD(ks_html_escape(b, digest));
	KS_GUARD(ks_buf_append_str(b, "</code></dd>\n</dl>\n<ul class=\"events\">\n"));
	for (i = 0; i < h->found; i++) {
		json_t *o = h->rows[i];

		if (strcmp(jstr(o, "op"), "sign") != 0)
			continue;
		KS_GUARD(ks_buf_printf(b, "<li>%s ", tr(l, "Ký lúc", "Signed at")));
		KS_GUARD(ks_html_escape(b, jstr(o, "time")));
		KS_GUARD(ks_buf_printf(b, ", %s ", tr(l, "khóa", "key")));
		KS_GUARD(ks_html_escape(b, jstr(o, "key")));
		KS_GUARD(ks_buf_printf(b, ", %s ", tr(l, "mức", "level")));
		KS_GUARD(ks_html_escape(b, jstr(o, "level")));
		KS_GUARD(ks_buf_printf(b, ", %s: ", tr(l, "trạng thái", "status")));
		KS_GUARD(ks_html_escape(b, jstr(o, "outcome")));
		KS_GUARD(ks_buf_printf(b, " (%s %lld)</li>\n",
				       tr(l, "mục nhật ký số", "audit entry"),
				       (long long)json_integer_value(json_object_get(o, "seq"))));
	}
	KS_GUARD(ks_buf_append_str(b, "</ul>\n</section>\n"));
	rc = 0;
out:
	return rc;
}

int ks_api_h_page_doc(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	struct ks_api_svc *s = svc;
	struct audit_hits h;
	struct ks_api_reg *reg = NULL;
	enum ks_lang l = lang_of(ks_api_param(&q->query, "lang"));
	const char *id = q->path + 3; /* after "/v/" (the route matched it) */
	bool any = false, lookup_failed = false;
	size_t i;
	int rc = -1;

	memset(&h, 0, sizeof(h));
	if (!id_ok(id)) {
		/* never echoed: the page says only that it is not an id */
		KS_GUARD(page_message(r, 400, l,
				      tr(l, "Mã văn bản không hợp lệ.", "Not a valid document id."),
				      NULL));
		rc = 0;
		goto out;
	}
	/* the record id's registration: an exact lookup, nothing else */
	reg = malloc(sizeof(*reg));
	if (reg == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (ks_api_reg_load(s, id, reg) < 0) {
		ks_log(KS_LOG_WARN, "request %s: registration lookup: %s", q->id, ks_err_msg());
		ks_err_clear();
		reg->n = 0;
		lookup_failed = true;
	}
	if (reg->n == 0 && is_sha256_hex(id)) {
		if (ks_store_audit_find(s->store, s->conf->instance, id, h.seqs,
					PAGE_AUDIT_ROWS_MAX, &h.n) < 0 ||
		    (h.n > 0 &&
		     ks_store_audit_scan(s->store, s->conf->instance, audit_row, &h) < 0)) {
			ks_log(KS_LOG_WARN, "request %s: audit lookup: %s", q->id, ks_err_msg());
			ks_err_clear();
			h.n = 0;
		}
	}
	r->body.max = PAGE_MAX;
	{
		char self[PAGE_ID_MAX + 4];

		snprintf(self, sizeof(self), "/v/%s", id);
		KS_GUARD(page_head(
		    &r->body, l,
		    tr(l, "Kiểm tra văn bản có chữ ký số", "Check a digitally signed document"),
		    self));
	}
	if (reg->n > 0) {
		KS_GUARD(ks_api_reg_put(&r->body, l, reg));
		any = true;
	} else {
		KS_GUARD(put_registered(&r->body, l, id, &h, &any));
	}
	KS_GUARD(ks_buf_printf(&r->body, "<p>%s: <code>", tr(l, "Mã văn bản", "Document id")));
	KS_GUARD(ks_html_escape(&r->body, id));
	KS_GUARD(ks_buf_append_str(&r->body, "</code></p>\n<p class=\"lead\">"));
	KS_GUARD(ks_buf_append_str(
	    &r->body,
	    any ? tr(l,
		     "Để chắc chắn tệp bạn đang có đúng là văn bản này và chưa bị sửa, hãy tải "
		     "tệp lên để so sánh.",
		     "To be sure the file you hold is this document, unchanged, upload it to "
		     "compare.")
	    : lookup_failed
		? tr(l,
		     "Lúc này không tra cứu được thông tin đăng ký. Hãy tải tệp bạn nhận được "
		     "lên để kiểm tra chữ ký.",
		     "The registration could not be looked up just now. Upload the file you "
		     "received to check its signatures.")
		: tr(l,
		     "Máy chủ chưa có thông tin đăng ký cho mã này. Hãy tải tệp bạn nhận được "
		     "lên để kiểm tra chữ ký.",
		     "This server holds no registration for this id. Upload the file you received "
		     "to check its signatures.")));
	KS_GUARD(ks_buf_append_str(&r->body, "</p>\n"));
	KS_GUARD(page_form(&r->body, l, id));
	KS_GUARD(page_foot(&r->body, l));
	page_reply(r, 200);
	rc = 0;
out:
	free(reg);
	for (i = 0; i < h.found; i++)
		json_decref(h.rows[i]);
	return rc;
}
