/* The registration of a record id on the verification page
 * (ks_api_page_reg.h; docs/api.md, "The QR link").  Everything read from
 * an audit entry is checked again here (the store's index is only a
 * lookup) and escaped on output. */
#include "api/ks_api_page_reg.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "api/ks_html.h"

#define HEX_SHA256 64

static const char *tr(enum ks_lang l, const char *vi, const char *en)
{
	return l == KS_LANG_EN ? en : vi;
}

static bool hex64(const char *s)
{
	size_t i;

	if (strlen(s) != HEX_SHA256)
		return false;
	for (i = 0; i < HEX_SHA256; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* A string member copied when it fits; false otherwise. */
static bool take(json_t *o, const char *k, char *out, size_t n)
{
	json_t *v = json_object_get(o, k);
	const char *s = json_string_value(v);

	if (s == NULL || json_string_length(v) >= n || strlen(s) != json_string_length(v))
		return false;
	memcpy(out, s, strlen(s) + 1);
	return true;
}

struct load {
	struct ks_api_reg *reg;
};

static int load_row(void *arg, uint64_t seq, const char *digest, const uint8_t *entry, size_t n)
{
	struct load *ld = arg;
	struct ks_api_reg *reg = ld->reg;
	struct ks_api_reg_sig *g;
	char record[KS_RECORD_REF_MAX + 1], outcome[16];
	json_t *o;

	(void)digest;
	if (reg->n >= KS_API_REG_ROWS_MAX || n > KS_STORE_ENTRY_MAX)
		return 0;
	o = json_loadb((const char *)entry, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o))
		goto skip;
	g = &reg->sigs[reg->n];
	memset(g, 0, sizeof(*g));
	g->seq = seq;
	if (!take(o, "record", record, sizeof(record)) || strcmp(record, reg->id) != 0 ||
	    !take(o, "outcome", outcome, sizeof(outcome)) || strcmp(outcome, "ok") != 0 ||
	    !take(o, "op", g->op, sizeof(g->op)) ||
	    (strcmp(g->op, "sign") != 0 && strcmp(g->op, "complete") != 0) ||
	    !take(o, "signed", g->signed_digest, sizeof(g->signed_digest)) ||
	    !hex64(g->signed_digest) || !take(o, "time", g->time, sizeof(g->time)))
		goto skip;
	/* who and how: absent or too long is shown as unknown */
	if (!take(o, "digest", g->digest, sizeof(g->digest)))
		g->digest[0] = '\0';
	if (!take(o, "key", g->key, sizeof(g->key)))
		g->key[0] = '\0';
	if (!take(o, "level", g->level, sizeof(g->level)))
		g->level[0] = '\0';
	if (!take(o, "signer", g->signer, sizeof(g->signer)))
		g->signer[0] = '\0';
	reg->n++;
skip:
	json_decref(o);
	return 0;
}

int ks_api_reg_load(struct ks_api_svc *s, const char *id, struct ks_api_reg *reg)
{
	struct load ld = { reg };

	memset(reg, 0, sizeof(*reg));
	if (!ks_record_ref_ok(id))
		return KS_SET(KS_ERR_ARG, "not a record id");
	memcpy(reg->id, id, strlen(id) + 1);
	/* a few more than shown: rows the checks above skip */
	return ks_store_audit_record(s->store, s->conf->instance, id, KS_API_REG_ROWS_MAX * 2,
				     load_row, &ld);
}

/* "2026-05-30T08:00:00.123Z" as 30/05/2026 08:00:00 UTC (Vietnamese) or
 * 2026-05-30 08:00:00 UTC; anything else as it is (escaped). */
static int put_time(struct ks_buf *b, enum ks_lang l, const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; shape[i] != '\0'; i++)
		if (t[i] == '\0' ||
		    (shape[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != shape[i]))
			return ks_html_escape(b, t);
	if (l == KS_LANG_EN)
		return ks_buf_printf(b, "%.10s %.8s UTC", t, t + 11);
	return ks_buf_printf(b, "%.2s/%.2s/%.4s %.8s UTC", t + 8, t + 5, t, t + 11);
}

static int put_who(struct ks_buf *b, enum ks_lang l, const struct ks_api_reg_sig *g)
{
	int rc = -1;

	KS_GUARD(ks_buf_append_str(b, "<strong>"));
	if (g->signer[0] != '\0')
		KS_GUARD(ks_html_escape(b, g->signer));
	else if (g->key[0] != '\0')
		KS_GUARD(ks_html_escape(b, g->key));
	else
		KS_GUARD(ks_buf_append_str(b, tr(l, "(không rõ)", "(unknown)")));
	KS_GUARD(ks_buf_append_str(b, "</strong>"));
	if (g->key[0] != '\0' && g->signer[0] != '\0') {
		KS_GUARD(ks_buf_printf(b, " (%s ", tr(l, "khóa", "key")));
		KS_GUARD(ks_html_escape(b, g->key));
		KS_GUARD(ks_buf_append_str(b, ")"));
	} else if (g->key[0] == '\0' && strcmp(g->op, "complete") == 0) {
		KS_GUARD(ks_buf_printf(
		    b, " (%s)",
		    tr(l, "ký từ máy của người ký", "signed on the signer's computer")));
	}
	rc = 0;
out:
	return rc;
}

int ks_api_reg_put(struct ks_buf *b, enum ks_lang l, const struct ks_api_reg *reg)
{
	const struct ks_api_reg_sig *last = &reg->sigs[0];
	size_t i;
	int rc = -1;

	if (reg->n == 0)
		return 0;
	KS_GUARD(ks_buf_printf(
	    b,
	    "<section class=\"verdict v-authentic\" role=\"status\" aria-labelledby=\"verdict\">\n"
	    "<h2 id=\"verdict\"><span class=\"mark\" aria-hidden=\"true\">&#10004;</span> %s</h2>\n"
	    "<p>",
	    tr(l, "Văn bản đã được đăng ký tại máy chủ này", "Registered with this server")));
	KS_GUARD(ks_buf_printf(
	    b, "%s %zu%s ",
	    tr(l, "Máy chủ này đã ký văn bản mang mã này",
	       "This server signed the "
	       "document with this id"),
	    reg->n,
	    tr(l, " lần; lần gần nhất lúc", reg->n == 1 ? " time, last at" : " times, last at")));
	KS_GUARD(put_time(b, l, last->time));
	KS_GUARD(ks_buf_printf(b, ".</p>\n<dl>\n<dt>%s</dt><dd><span class=\"ok\">%s</span></dd>\n",
			       tr(l, "Trạng thái", "Status"),
			       tr(l, "đã ký và ghi trong nhật ký kiểm toán",
				  "signed, and recorded in the audit log")));
	KS_GUARD(ks_buf_printf(b, "<dt>%s</dt><dd>", tr(l, "Người ký gần nhất", "Latest signer")));
	KS_GUARD(put_who(b, l, last));
	KS_GUARD(
	    ks_buf_printf(b, "</dd>\n<dt>%s</dt><dd><code class=\"digest\">%s</code></dd>\n</dl>\n",
			  tr(l, "Mã băm SHA-256 của bản đã ký mới nhất",
			     "SHA-256 digest of the latest signed version"),
			  last->signed_digest));
	KS_GUARD(ks_buf_printf(b, "<h3>%s</h3>\n<ul class=\"events\">\n",
			       tr(l, "Các chữ ký đã đăng ký (mới nhất trước)",
				  "Registered signatures (newest first)")));
	for (i = 0; i < reg->n; i++) {
		const struct ks_api_reg_sig *g = &reg->sigs[i];

		KS_GUARD(ks_buf_append_str(b, "<li>"));
		KS_GUARD(put_time(b, l, g->time));
		KS_GUARD(ks_buf_append_str(b, ": "));
		KS_GUARD(put_who(b, l, g));
		if (g->level[0] != '\0') {
			KS_GUARD(ks_buf_printf(b, ", %s ", tr(l, "mức", "level")));
			KS_GUARD(ks_html_escape(b, g->level));
		}
		KS_GUARD(ks_buf_printf(b, "; %s <code>%s</code> (%s %llu)</li>\n",
				       tr(l, "mã băm bản đã ký", "signed version's digest"),
				       g->signed_digest, tr(l, "mục nhật ký số", "audit entry"),
				       (unsigned long long)g->seq));
	}
	KS_GUARD(ks_buf_append_str(b, "</ul>\n</section>\n"));
	rc = 0;
out:
	return rc;
}

int ks_api_reg_compare(struct ks_buf *b, enum ks_lang l, const struct ks_api_reg *reg,
		       const char *digest)
{
	size_t i, j = 0;
	int rc = -1;

	if (reg->n == 0)
		return 0;
	for (i = 0; i < reg->n; i++)
		if (strcmp(reg->sigs[i].signed_digest, digest) == 0)
			break;
	/* a newer registered signature over this very file? */
	if (i < reg->n)
		for (j = 0; j < i; j++)
			if (strcmp(reg->sigs[j].digest, digest) == 0)
				break;
	if (i < reg->n && j == i) {
		KS_GUARD(ks_buf_printf(
		    b,
		    "<section class=\"registry r-match\" aria-labelledby=\"registry\">\n<h2 "
		    "id=\"registry\"><span class=\"mark\" aria-hidden=\"true\">&#10004;</span> "
		    "%s</h2>\n<p>%s ",
		    tr(l, "Đây đúng là văn bản đã đăng ký", "This is the registered document"),
		    tr(l, "Mã băm của tệp trùng với bản đã ký mà máy chủ này ghi nhận (ký lúc",
		       "The file's digest equals that of the signed version this server recorded "
		       "(signed at")));
		KS_GUARD(put_time(b, l, reg->sigs[i].time));
		KS_GUARD(ks_buf_append_str(b, ").</p>\n"));
	} else if (i < reg->n) {
		KS_GUARD(ks_buf_printf(
		    b,
		    "<section class=\"registry r-old\" aria-labelledby=\"registry\">\n<h2 "
		    "id=\"registry\"><span class=\"mark\" aria-hidden=\"true\">!</span> %s</h2>\n"
		    "<p>%s ",
		    tr(l, "Đây là một bản cũ hơn của văn bản đã đăng ký",
		       "This is an earlier version of the registered document"),
		    tr(l, "Tệp trùng với bản ký lúc", "The file is the version signed at")));
		KS_GUARD(put_time(b, l, reg->sigs[i].time));
		KS_GUARD(ks_buf_printf(
		    b, "; %s ",
		    tr(l, "sau đó văn bản được ký tiếp lúc", "it was signed again at")));
		KS_GUARD(put_time(b, l, reg->sigs[j].time));
		KS_GUARD(ks_buf_printf(b, ". %s</p>\n",
				       tr(l, "Hãy xin nhà trường bản mới nhất.",
					  "Ask the school for the latest version.")));
	} else {
		KS_GUARD(ks_buf_printf(
		    b,
		    "<section class=\"registry r-other\" aria-labelledby=\"registry\">\n<h2 "
		    "id=\"registry\"><span class=\"mark\" aria-hidden=\"true\">&#10008;</span> "
		    "%s</h2>\n<p>%s</p>\n",
		    tr(l, "Tệp này KHÔNG phải văn bản đã đăng ký",
		       "This file is NOT the registered document"),
		    tr(l,
		       "Mã băm của tệp khác với mọi bản đã ký mà máy chủ này ghi nhận cho mã văn "
		       "bản này.",
		       "The file's digest differs from every signed version this server recorded "
		       "for this document id.")));
	}
	KS_GUARD(ks_buf_printf(
	    b,
	    "<dl>\n<dt>%s</dt><dd><code>%s</code></dd>\n<dt>%s</dt><dd><code "
	    "class=\"digest\">%s</code></dd>\n</dl>\n</section>\n",
	    tr(l, "Mã băm SHA-256 của tệp tải lên", "SHA-256 of the uploaded file"), digest,
	    tr(l, "Mã băm SHA-256 đã đăng ký (bản mới nhất)",
	       "Registered SHA-256 (latest version)"),
	    reg->sigs[0].signed_digest));
	rc = 0;
out:
	return rc;
}
