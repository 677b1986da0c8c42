/* What changed after signing, as the verification page's result shows
 * it (ks_api_page_reg.h): a plain sentence for parents, the technical
 * list folded below it. */
#include <string.h>

#include "api/ks_api_page_reg.h"
#include "api/ks_html.h"

static const char *tr(enum ks_lang l, const char *vi, const char *en)
{
	return l == KS_LANG_EN ? en : vi;
}

/* One change after signing: what, on which page, where. */
static int put_change(struct ks_buf *b, enum ks_lang l, const struct ks_report_change *c)
{
	int rc = -1;

	KS_GUARD(ks_buf_append_str(b, "<li>"));
	KS_GUARD(ks_html_escape(b, c->text));
	if (c->page > 0)
		KS_GUARD(ks_buf_printf(b, " &#8212; %s %u", tr(l, "trang", "page"), c->page));
	if (c->has_rect)
		KS_GUARD(ks_buf_printf(b, ", %s (%.0f, %.0f)&#8211;(%.0f, %.0f) pt",
				       tr(l, "vùng", "area"), c->rect[0], c->rect[1], c->rect[2],
				       c->rect[3]));
	if (c->revision > 0)
		KS_GUARD(
		    ks_buf_printf(b, ", %s %u", tr(l, "lần cập nhật", "revision"), c->revision));
	KS_GUARD(ks_buf_printf(b, " <span class=\"tag\">%s</span></li>\n",
			       c->allowed ? tr(l, "được phép", "permitted")
					  : tr(l, "không được phép", "not permitted")));
	rc = 0;
out:
	return rc;
}

/* Is this revision the one that added another signature or timestamp of
 * the document? */
static bool signing_revision(const struct ks_report *rep, uint32_t rev)
{
	size_t i;

	for (i = 0; i < rep->n && rev > 0; i++)
		if (rep->sigs[i].revision == rev)
			return true;
	return false;
}

/* One plain sentence for parents: what kind of thing was added after
 * signing (by the changes not made by adding a later signature), whether
 * the signers permitted it, and what to do. */
static int put_plain(struct ks_buf *b, enum ks_lang l, const struct ks_report *rep,
		     const struct ks_report_sig *most)
{
	bool annot = false, form = false, other = false, tech = false, refused = false;
	bool any = false;
	uint32_t page = 0;
	bool pages = false; /* more than one page */
	const char *sep = " ";
	size_t i;
	int rc = -1;

	for (i = 0; i < most->n_changes; i++) {
		const struct ks_report_change *c = &most->changes[i];

		if (signing_revision(rep, c->revision))
			continue;
		any = true;
		if (!c->allowed)
			refused = true;
		if (c->level != NULL && strcmp(c->level, "annotation") == 0) {
			annot = true;
			if (c->page > 0 && page > 0 && c->page != page)
				pages = true;
			if (c->page > 0)
				page = c->page;
		} else if (c->level != NULL && strcmp(c->level, "form") == 0) {
			form = true;
		} else if (c->level != NULL &&
			   (strcmp(c->level, "ltv") == 0 || strcmp(c->level, "none") == 0)) {
			/* validation data, file structure: nothing a reader sees */
			tech = true;
		} else {
			other = true;
		}
	}
	if (!any && !refused)
		return 0;
	KS_GUARD(ks_buf_append_str(b, "<p class=\"plain\">"));
	KS_GUARD(ks_buf_append_str(
	    b, refused ? tr(l, "Sau khi ký, tệp đã bị sửa theo cách người ký không cho phép:",
			    "After signing, the file was changed in a way its signers did not "
			    "permit:")
		       : tr(l,
			    "Nội dung đã ký không bị sửa, nhưng sau khi ký có người đã thêm vào "
			    "tệp:",
			    "The signed content was not altered, but after signing someone added "
			    "to the file:")));
	if (annot) {
		KS_GUARD(ks_buf_printf(b, "%s%s", sep,
				       tr(l, "ghi chú hoặc hình vẽ", "notes or drawings")));
		if (pages)
			KS_GUARD(
			    ks_buf_printf(b, " %s", tr(l, "trên nhiều trang", "on several pages")));
		else if (page > 0)
			KS_GUARD(ks_buf_printf(b, " %s %u", tr(l, "trên trang", "on page"), page));
		sep = "; ";
	}
	if (form) {
		KS_GUARD(ks_buf_printf(b, "%s%s", sep,
				       tr(l, "nội dung điền vào biểu mẫu", "form entries")));
		sep = "; ";
	}
	if (other)
		KS_GUARD(ks_buf_printf(b, "%s%s", sep, tr(l, "thay đổi khác", "other changes")));
	else if (tech && !annot && !form)
		KS_GUARD(ks_buf_printf(b, "%s%s", sep,
				       tr(l, "dữ liệu kỹ thuật không đổi nội dung hiển thị",
					  "technical data that does not change what is shown")));
	KS_GUARD(ks_buf_printf(
	    b, ". %s</p>\n",
	    refused ? tr(l, "Đừng dựa vào nội dung tệp đang hiển thị; hãy xin nhà trường bản gốc.",
			 "Do not rely on what the file shows now; ask the school for the "
			 "original.")
		    : tr(l,
			 "Những phần thêm đó không phải của người ký: chỉ nội dung gốc có giá "
			 "trị, hãy hỏi nhà trường nếu còn băn khoăn.",
			 "Those additions are not the signers': only the original content "
			 "counts; ask the school if in doubt.")));
	rc = 0;
out:
	return rc;
}

/* The changes the signature that saw the most reports (the earliest one
 * sees every later update): a plain-language sentence, then folded (a
 * plain <details>, no script) the technical list: first those not made
 * by adding a later signature, what a reader needs, then every change
 * the engine lists. */
int ks_api_page_changes(struct ks_buf *b, enum ks_lang l, const struct ks_report *rep)
{
	const struct ks_report_sig *most = NULL;
	size_t i, shown = 0;
	int rc = -1;

	for (i = 0; i < rep->n; i++)
		if (most == NULL || rep->sigs[i].n_changes + rep->sigs[i].changes_more >
					most->n_changes + most->changes_more)
			most = &rep->sigs[i];
	if (most == NULL || most->n_changes == 0)
		return 0;
	KS_GUARD(
	    ks_buf_printf(b, "<h3>%s</h3>\n",
			  tr(l, "Những gì đã thay đổi sau khi ký", "What changed after signing")));
	KS_GUARD(put_plain(b, l, rep, most));
	KS_GUARD(
	    ks_buf_printf(b, "<details>\n<summary>%s (%zu)</summary>\n<ul class=\"changes\">\n",
			  tr(l, "Mọi thay đổi (chi tiết kỹ thuật)", "Every change (technical)"),
			  most->n_changes + most->changes_more));
	for (i = 0; i < most->n_changes; i++) {
		if (signing_revision(rep, most->changes[i].revision))
			continue;
		KS_GUARD(put_change(b, l, &most->changes[i]));
		shown++;
	}
	if (shown == 0)
		KS_GUARD(ks_buf_printf(
		    b, "<li>%s</li>\n",
		    tr(l, "chỉ có thêm các chữ ký sau", "only later signatures added")));
	KS_GUARD(ks_buf_printf(b, "</ul>\n<p>%s</p>\n<ul>\n",
			       tr(l, "Kể cả những gì các chữ ký sau đã thêm:",
				  "Including what the later signatures added:")));
	for (i = 0; i < most->n_changes; i++)
		KS_GUARD(put_change(b, l, &most->changes[i]));
	if (most->changes_more > 0)
		KS_GUARD(ks_buf_printf(b, "<li>%s: %zu</li>\n",
				       tr(l, "Thay đổi khác", "Other changes"),
				       most->changes_more));
	KS_GUARD(ks_buf_append_str(b, "</ul>\n</details>\n"));
	rc = 0;
out:
	return rc;
}
