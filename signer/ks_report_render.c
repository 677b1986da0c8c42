/* Validation report as text (Vietnamese or English) and JSON (jansson).
 * The layout is documented in docs/validation-report.md. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "signer/ks_report.h"

#define VN_UTC_OFFSET (7 * 3600) /* Vietnam: UTC+7, no daylight saving */

/* Times: Vietnamese text in Vietnam time (dd/mm/yyyy), English text and
 * JSON in UTC (ISO 8601). */
static void fmt_time(time_t t, enum ks_lang lang, char *buf, size_t n)
{
	struct tm tm;
	time_t local = t;

	if (lang == KS_LANG_VI)
		local = t + VN_UTC_OFFSET;
	if (gmtime_r(&local, &tm) == NULL ||
	    strftime(buf, n,
		     lang == KS_LANG_VI ? "%d/%m/%Y %H:%M:%S (giờ Việt Nam, UTC+7)"
					: "%Y-%m-%d %H:%M:%S UTC",
		     &tm) == 0)
		snprintf(buf, n, "?");
}

static void fmt_iso(time_t t, char *buf, size_t n)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "?");
}

static const char *id_label(const char *kind, enum ks_lang lang)
{
	static const struct {
		const char *kind, *vi, *en;
	} t[] = {
		{ "CCCD", "Số CCCD", "Citizen ID (CCCD)" },
		{ "CMND", "Số CMND", "ID card (CMND)" },
		{ "HC", "Số hộ chiếu", "Passport" },
		{ "MST", "Mã số thuế", "Tax code (MST)" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(kind, t[i].kind) == 0)
			return lang == KS_LANG_EN ? t[i].en : t[i].vi;
	return kind;
}

struct labels {
	const char *document, *validated, *result, *count, *signature, *signer, *title, *org,
	    *issuer, *uid, *time, *time_none, *format, *algs, *coverage, *changes, *note, *reason,
	    *detail, *cert_valid, *to, *more, *role, *verdict, *why_unsigned, *revocation, *poe,
	    *poe_none, *timestamp, *archive_ts, *chain, *anchor;
};

static const struct labels vi_labels = {
	.document = "Tài liệu",
	.validated = "Thời điểm kiểm tra",
	.result = "Kết quả",
	.count = "Số chữ ký",
	.signature = "Chữ ký",
	.signer = "Người ký",
	.title = "Chức danh",
	.org = "Tổ chức",
	.issuer = "Tổ chức cấp chứng thư số",
	.uid = "Định danh",
	.time = "Thời điểm ký (người ký khai)",
	.time_none = "không ghi",
	.format = "Định dạng",
	.algs = "Thuật toán",
	.coverage = "Phạm vi được ký",
	.changes = "Thay đổi sau khi ký",
	.note = "Lưu ý",
	.reason = "Lý do",
	.detail = "Chi tiết kỹ thuật",
	.cert_valid = "Hiệu lực chứng thư số",
	.to = "đến",
	.more = "thay đổi khác không liệt kê",
	.role = "Vai trò (người ký khai)",
	.verdict = "KẾT LUẬN",
	.why_unsigned = "Lý do",
	.revocation = "Tình trạng thu hồi",
	.poe = "Thời điểm ký được chứng minh bởi dấu thời gian",
	.poe_none = "không có",
	.timestamp = "Dấu thời gian",
	.archive_ts = "Dấu thời gian lưu trữ",
	.chain = "Chuỗi chứng thư",
	.anchor = "chứng thư gốc tin cậy ở cuối",
};

static const struct labels en_labels = {
	.document = "Document",
	.validated = "Validated at",
	.result = "Result",
	.count = "Signatures",
	.signature = "Signature",
	.signer = "Signer",
	.title = "Title",
	.org = "Organisation",
	.issuer = "Certificate issued by",
	.uid = "Identifier",
	.time = "Signing time (claimed by the signer)",
	.time_none = "not stated",
	.format = "Format",
	.algs = "Algorithms",
	.coverage = "Signed scope",
	.changes = "Changes after signing",
	.note = "Note",
	.reason = "Reason",
	.detail = "Technical detail",
	.cert_valid = "Certificate validity",
	.to = "to",
	.more = "more changes not listed",
	.role = "Role (claimed by the signer)",
	.verdict = "VERDICT",
	.why_unsigned = "Why",
	.revocation = "Revocation status",
	.poe = "Signing time proven by a timestamp",
	.poe_none = "none",
	.timestamp = "Timestamp",
	.archive_ts = "Archive timestamp",
	.chain = "Certificate chain",
	.anchor = "the trusted root last",
};

static int line(struct ks_buf *out, const char *label, const char *value)
{
	if (value == NULL)
		return 0;
	return ks_buf_printf(out, "  %s: %s\n", label, value);
}

static int sig_text(const struct ks_report_sig *s, size_t idx, enum ks_lang lang,
		    const struct labels *L, struct ks_buf *out)
{
	char t1[96], t2[96];
	size_t i;
	int n;

	if (ks_buf_printf(out, "\n%s %zu: %s\n", L->signature, idx + 1,
			  s->indication == KS_IND_TOTAL_PASSED
			      ? ks_report_sub_text(KS_SUB_NONE, lang)
			  : s->indication == KS_IND_TOTAL_FAILED
			      ? (lang == KS_LANG_EN ? "Invalid signature" : "Chữ ký không hợp lệ")
			      : (lang == KS_LANG_EN ? "Validity could not be determined"
						    : "Chưa xác định được tính hợp lệ")) < 0 ||
	    ks_buf_printf(out, "  %s: %s (%s)\n", L->result,
			  ks_report_indication_text(s->indication, lang),
			  ks_indication_name(s->indication)) < 0)
		return -1;
	if (s->sub != KS_SUB_NONE &&
	    ks_buf_printf(out, "  %s: %s (%s)\n", L->reason, ks_report_sub_text(s->sub, lang),
			  ks_subindication_name(s->sub)) < 0)
		return -1;
	if (line(out, L->signer, s->signer_name) < 0)
		return -1;
	if (s->id_kind != NULL && s->id_number != NULL) {
		if (line(out, id_label(s->id_kind, lang), s->id_number) < 0)
			return -1;
	} else if (line(out, L->uid, s->uid) < 0) {
		return -1;
	}
	if (line(out, L->title, s->title) < 0 || line(out, L->role, s->role) < 0 ||
	    line(out, L->org, s->organisation) < 0 ||
	    line(out, L->issuer, s->issuer_name != NULL ? s->issuer_name : s->issuer) < 0)
		return -1;
	if (s->has_cert) {
		fmt_time(s->cert_not_before, lang, t1, sizeof(t1));
		fmt_time(s->cert_not_after, lang, t2, sizeof(t2));
		if (ks_buf_printf(out, "  %s: %s %s %s\n", L->cert_valid, t1, L->to, t2) < 0)
			return -1;
	}
	if (s->has_signing_time)
		fmt_time(s->signing_time, lang, t1, sizeof(t1));
	if (line(out, L->time, s->has_signing_time ? t1 : L->time_none) < 0 ||
	    line(out, L->format, s->format) < 0)
		return -1;
	if (s->digest_alg != NULL || s->sig_alg != NULL) {
		n = ks_buf_printf(out, "  %s: %s%s%s\n", L->algs,
				  s->digest_alg != NULL ? s->digest_alg : "",
				  s->digest_alg != NULL && s->sig_alg != NULL ? ", " : "",
				  s->sig_alg != NULL ? s->sig_alg : "");
		if (n < 0)
			return -1;
	}
	if (line(out, L->coverage, s->coverage) < 0)
		return -1;
	if (s->n_chain > 0) {
		if (ks_buf_printf(out, "  %s: ", L->chain) < 0)
			return -1;
		for (i = 0; i < s->n_chain; i++)
			if (ks_buf_printf(out, "%s%s", i > 0 ? " → " : "", s->chain[i]) < 0)
				return -1;
		if (ks_buf_printf(out, " (%s)\n", L->anchor) < 0)
			return -1;
	}
	if (s->rev_status != NULL &&
	    ks_buf_printf(out, "  %s: %s%s%s\n", L->revocation, s->rev_status,
			  s->revocation != NULL ? " - " : "",
			  s->revocation != NULL ? s->revocation : "") < 0)
		return -1;
	if (s->has_poe) {
		fmt_time(s->poe, lang, t1, sizeof(t1));
		if (ks_buf_printf(out, "  %s: %s (%s)\n", L->poe, t1,
				  s->poe_by != NULL ? s->poe_by : "") < 0)
			return -1;
	}
	for (i = 0; i < s->n_ts; i++) {
		const struct ks_report_ts *ts = &s->ts[i];
		bool en = lang == KS_LANG_EN;

		fmt_time(ts->time, lang, t1, sizeof(t1));
		if (ks_buf_printf(
			out, "  %s: %s, %s%s%s%s\n", ts->archive ? L->archive_ts : L->timestamp, t1,
			ts->tsa != NULL ? ts->tsa : "?",
			ts->valid ? (en ? " - valid" : " - hợp lệ")
				  : (en ? " - NOT VALID: " : " - KHÔNG HỢP LỆ: "),
			ts->valid || ts->detail == NULL ? "" : ts->detail,
			ts->used
			    ? (en ? " (proves the signing time)" : " (chứng minh thời điểm ký)")
			    : "") < 0)
			return -1;
	}
	for (i = 0; i < s->n_changes; i++)
		if (line(out, L->changes, s->changes[i].text) < 0)
			return -1;
	if (s->changes_more > 0 &&
	    ks_buf_printf(out, "  %s: ... %zu %s\n", L->changes, s->changes_more, L->more) < 0)
		return -1;
	for (i = 0; i < KS_NOTE__COUNT; i++)
		if ((s->notes & (1u << i)) != 0 &&
		    line(out, L->note, ks_report_note_text((enum ks_report_note)(1u << i), lang)) <
			0)
			return -1;
	return line(out, L->detail, s->detail);
}

int ks_report_text(const struct ks_report *r, enum ks_lang lang, struct ks_buf *out)
{
	const struct labels *L = lang == KS_LANG_EN ? &en_labels : &vi_labels;
	enum ks_indication ind = ks_report_indication(r);
	char t[96];
	size_t i;

	fmt_time(r->validation_time, lang, t, sizeof(t));
	/* The verdict first, in words a parent acts on. */
	if (ks_buf_printf(out, "%s: %s\n", L->verdict, ks_verdict_text(r->verdict, lang)) < 0 ||
	    (r->not_signed != NULL &&
	     ks_buf_printf(out, "%s: %s\n", L->why_unsigned, r->not_signed) < 0))
		return -1;
	if ((r->document != NULL && ks_buf_printf(out, "%s: %s\n", L->document, r->document) < 0) ||
	    ks_buf_printf(out, "%s: %s\n", L->validated, t) < 0 ||
	    ks_buf_printf(out, "%s: %s (%s)\n", L->result, ks_report_indication_text(ind, lang),
			  ks_indication_name(ind)) < 0 ||
	    ks_buf_printf(out, "%s: %zu\n", L->count, r->n) < 0)
		return -1;
	for (i = 0; i < r->n; i++)
		if (sig_text(&r->sigs[i], i, lang, L, out) < 0)
			return -1;
	return 0;
}

/* ---- JSON ---- */

/* jansson refuses invalid UTF-8; report strings come from certificates
 * already converted to UTF-8, so a failure here is a bug, not input. */
static int set_str(json_t *obj, const char *key, const char *value)
{
	json_t *v = value != NULL ? json_string(value) : json_null();

	if (v == NULL)
		v = json_string("(invalid UTF-8)");
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		return KS_SET(KS_ERR_NOMEM, "building JSON");
	return 0;
}

static int set_time(json_t *obj, const char *key, bool have, time_t t)
{
	char buf[40];

	if (!have)
		return set_str(obj, key, NULL);
	fmt_iso(t, buf, sizeof(buf));
	return set_str(obj, key, buf);
}

static int set_int(json_t *obj, const char *key, json_int_t v)
{
	if (json_object_set_new(obj, key, json_integer(v)) != 0)
		return KS_SET(KS_ERR_NOMEM, "building JSON");
	return 0;
}

/* {"text", "level", "allowed", "object", "revision", "page", "rect"}:
 * object, revision and page are null when unknown, rect [x1,y1,x2,y2]. */
static int change_json(const struct ks_report_change *c, json_t *arr)
{
	json_t *o = json_object(), *rect = NULL;
	size_t i;
	int rc = -1;

	if (o == NULL || json_array_append(arr, o) != 0)
		KS_BAIL(KS_ERR_NOMEM, "building JSON");
	KS_GUARD(set_str(o, "text", c->text));
	KS_GUARD(set_str(o, "level", c->level));
	KS_GUARD(set_str(o, "what", c->what));
	if (json_object_set_new(o, "allowed", json_boolean(c->allowed)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "building JSON");
	if (c->object != 0)
		KS_GUARD(set_int(o, "object", c->object));
	else
		KS_GUARD(set_str(o, "object", NULL));
	if (c->revision != 0)
		KS_GUARD(set_int(o, "revision", c->revision));
	else
		KS_GUARD(set_str(o, "revision", NULL));
	if (c->page != 0)
		KS_GUARD(set_int(o, "page", c->page));
	else
		KS_GUARD(set_str(o, "page", NULL));
	if (c->has_rect) {
		rect = json_array();
		for (i = 0; rect != NULL && i < 4; i++)
			if (json_array_append_new(rect, json_real(c->rect[i])) != 0)
				KS_BAIL(KS_ERR_NOMEM, "building JSON");
		if (rect == NULL || json_object_set(o, "rect", rect) != 0)
			KS_BAIL(KS_ERR_NOMEM, "building JSON");
	} else {
		KS_GUARD(set_str(o, "rect", NULL));
	}
	rc = 0;
out:
	json_decref(rect);
	json_decref(o);
	return rc;
}

static int ts_json(const struct ks_report_sig *s, json_t *o)
{
	json_t *tss = json_array();
	size_t i;

	if (tss == NULL || json_object_set_new(o, "timestamps", tss) != 0)
		return KS_SET(KS_ERR_NOMEM, "building JSON");
	for (i = 0; i < s->n_ts; i++) {
		json_t *t = json_object();

		if (t == NULL || json_array_append_new(tss, t) != 0)
			return KS_SET(KS_ERR_NOMEM, "building JSON");
		if (set_time(t, "time", true, s->ts[i].time) < 0 ||
		    set_str(t, "tsa", s->ts[i].tsa) < 0 ||
		    json_object_set_new(t, "valid", json_boolean(s->ts[i].valid)) != 0 ||
		    json_object_set_new(t, "proves_signing_time", json_boolean(s->ts[i].used)) !=
			0 ||
		    json_object_set_new(t, "archive", json_boolean(s->ts[i].archive)) != 0 ||
		    set_str(t, "detail", s->ts[i].detail) < 0)
			return KS_SET(KS_ERR_NOMEM, "building JSON");
	}
	return 0;
}

static int sig_json(const struct ks_report_sig *s, size_t idx, enum ks_lang lang, json_t *arr)
{
	json_t *o = json_object(), *signer = json_object(), *changes = json_array(),
	       *notes = json_array();
	size_t i;
	int rc = -1;

	if (o == NULL || signer == NULL || changes == NULL || notes == NULL)
		KS_BAIL(KS_ERR_NOMEM, "building JSON");
	if (json_object_set_new(o, "index", json_integer((json_int_t)idx + 1)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "building JSON");
	KS_GUARD(set_str(o, "indication", ks_indication_name(s->indication)));
	KS_GUARD(set_str(o, "subindication",
			 s->sub != KS_SUB_NONE ? ks_subindication_name(s->sub) : NULL));
	KS_GUARD(set_str(o, "message", ks_report_sub_text(s->sub, lang)));
	KS_GUARD(set_str(o, "detail", s->detail));
	KS_GUARD(set_str(signer, "name", s->signer_name));
	KS_GUARD(set_str(signer, "id_type", s->id_kind));
	KS_GUARD(set_str(signer, "id", s->id_number));
	KS_GUARD(set_str(signer, "uid", s->uid));
	KS_GUARD(set_str(signer, "title", s->title));
	KS_GUARD(set_str(signer, "organisation", s->organisation));
	KS_GUARD(set_str(signer, "subject", s->subject));
	KS_GUARD(set_str(signer, "issuer", s->issuer));
	KS_GUARD(set_str(signer, "serial", s->serial));
	KS_GUARD(set_time(signer, "not_before", s->has_cert, s->cert_not_before));
	KS_GUARD(set_time(signer, "not_after", s->has_cert, s->cert_not_after));
	KS_GUARD(set_time(o, "signing_time", s->has_signing_time, s->signing_time));
	KS_GUARD(set_str(o, "format", s->format));
	KS_GUARD(set_str(o, "digest_algorithm", s->digest_alg));
	KS_GUARD(set_str(o, "signature_algorithm", s->sig_alg));
	KS_GUARD(set_str(o, "coverage", s->coverage));
	KS_GUARD(set_str(o, "role", s->role));
	if (s->rev_status != NULL) {
		json_t *rv = json_object();

		if (rv == NULL || json_object_set_new(o, "revocation", rv) != 0)
			KS_BAIL(KS_ERR_NOMEM, "building JSON");
		KS_GUARD(set_str(rv, "status", s->rev_status));
		KS_GUARD(set_str(rv, "source", s->rev_source));
		KS_GUARD(set_str(rv, "detail", s->revocation));
	}
	if (s->has_poe) {
		json_t *pv = json_object();

		if (pv == NULL || json_object_set_new(o, "proof_of_existence", pv) != 0)
			KS_BAIL(KS_ERR_NOMEM, "building JSON");
		KS_GUARD(set_time(pv, "time", true, s->poe));
		KS_GUARD(set_str(pv, "by", s->poe_by));
	}
	if (json_object_set_new(o, "document_timestamp", json_boolean(s->timestamp)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "building JSON");
	KS_GUARD(ts_json(s, o));
	{
		json_t *ch = json_array();

		if (ch == NULL || json_object_set_new(o, "chain", ch) != 0)
			KS_BAIL(KS_ERR_NOMEM, "building JSON");
		for (i = 0; i < s->n_chain; i++)
			if (json_array_append_new(ch, json_string(s->chain[i])) != 0)
				KS_BAIL(KS_ERR_NOMEM, "building JSON");
	}
	for (i = 0; i < s->n_changes; i++)
		KS_GUARD(change_json(&s->changes[i], changes));
	if (json_object_set_new(o, "changes_not_listed",
				json_integer((json_int_t)s->changes_more)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "building JSON");
	for (i = 0; i < KS_NOTE__COUNT; i++) {
		enum ks_report_note nt = (enum ks_report_note)(1u << i);
		json_t *n;

		if ((s->notes & (1u << i)) == 0)
			continue;
		n = json_object();
		if (n == NULL || json_array_append_new(notes, n) != 0)
			KS_BAIL(KS_ERR_NOMEM, "building JSON");
		KS_GUARD(set_str(n, "code", ks_report_note_code(nt)));
		KS_GUARD(set_str(n, "message", ks_report_note_text(nt, lang)));
	}
	if (json_object_set(o, "signer", signer) != 0 ||
	    json_object_set(o, "changes", changes) != 0 ||
	    json_object_set(o, "notes", notes) != 0 || json_array_append(arr, o) != 0)
		KS_BAIL(KS_ERR_NOMEM, "building JSON");
	rc = 0;
out:
	json_decref(o);
	json_decref(signer);
	json_decref(changes);
	json_decref(notes);
	return rc;
}

int ks_report_json(const struct ks_report *r, enum ks_lang lang, struct ks_buf *out)
{
	json_t *root = json_object(), *arr = json_array();
	char *text = NULL;
	size_t i;
	int rc = -1;

	if (root == NULL || arr == NULL)
		KS_BAIL(KS_ERR_NOMEM, "building JSON");
	KS_GUARD(set_str(root, "verdict", ks_verdict_code(r->verdict)));
	KS_GUARD(set_str(root, "verdict_text", ks_verdict_text(r->verdict, lang)));
	KS_GUARD(set_str(root, "not_signed", r->not_signed));
	KS_GUARD(set_str(root, "indication", ks_indication_name(ks_report_indication(r))));
	KS_GUARD(set_str(root, "policy", r->policy));
	KS_GUARD(set_str(root, "document", r->document));
	KS_GUARD(set_time(root, "validation_time", true, r->validation_time));
	KS_GUARD(set_str(root, "lang", lang == KS_LANG_EN ? "en" : "vi"));
	for (i = 0; i < r->n; i++)
		KS_GUARD(sig_json(&r->sigs[i], i, lang, arr));
	if (json_object_set(root, "signatures", arr) != 0)
		KS_BAIL(KS_ERR_NOMEM, "building JSON");
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text == NULL)
		KS_BAIL(KS_ERR_NOMEM, "encoding JSON");
	KS_GUARD(ks_buf_append_str(out, text));
	KS_GUARD(ks_buf_append_byte(out, '\n'));
	rc = 0;
out:
	free(text);
	json_decref(arr);
	json_decref(root);
	return rc;
}
