/* ks_render_doc: one PDF drawn with libharu — fonts, pages, text that
 * fits its box, wrapped paragraphs, rules and boxes, footers, and the
 * save into memory that the form update completes. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/render/ks_render_int.h"
#include "ks_cur.h"
#include "ks_utf8.h"

/* Smallest size a text is shrunk to before it is cut. */
#define FIT_MIN 0.6
/* Bytes of one line of text handled by the fitting and wrapping code. */
#define LINE_MAX_BYTES (KS_REC_MAX_COMMENT + 16)

/* libharu reports errors through a callback; the first one is kept and
 * turned into a kyso error at the next ks_rd_check. */
static void on_hpdf_error(HPDF_STATUS err, HPDF_STATUS detail, void *user)
{
	struct ks_rd *d = user;

	if (d->hpdf_err == 0) {
		d->hpdf_err = err;
		d->hpdf_detail = detail;
	}
}

int ks_rd_check(struct ks_rd *d)
{
	if (d->hpdf_err != 0)
		return KS_SET(KS_ERR_INTERNAL, "libharu error 0x%04lX (detail %lu)", d->hpdf_err,
			      d->hpdf_detail);
	return 0;
}

static int load_font(struct ks_rd *d, const char *dir, const char *file, HPDF_Font *f)
{
	char path[KS_RENDER_MAX_PATH + 64];
	const char *name;
	struct stat st;

	if (dir == NULL || strlen(dir) > KS_RENDER_MAX_PATH)
		return KS_SET(KS_ERR_ARG, "record font directory missing or too long");
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return KS_SET(KS_ERR_IO,
			      "record font %s not found (`make` builds it into build/fonts; "
			      "--font-dir or KYSO_FONT_DIR name another directory)",
			      path);
	if (ks_rd_font_check(path) < 0)
		return -1;
	/* Embedded: the record must print the same everywhere. */
	name = HPDF_LoadTTFontFromFile(d->pdf, path, HPDF_TRUE);
	if (name == NULL)
		return KS_SET(KS_ERR_IO, "libharu cannot load the font %s (error 0x%04lX)", path,
			      d->hpdf_err);
	*f = HPDF_GetFont(d->pdf, name, "UTF-8");
	if (*f == NULL)
		return KS_SET(KS_ERR_INTERNAL, "libharu: no UTF-8 font from %s", path);
	return 0;
}

int ks_rd_open(struct ks_rd *d, const struct ks_render_opts *o, const char *id)
{
	memset(d, 0, sizeof(*d));
	if (strlen(id) > KS_REC_ID_LEN)
		return KS_SET(KS_ERR_ARG, "document identifier too long");
	memcpy(d->doc_id, id, strlen(id) + 1);
	if (ks_render_verify_url(o, id, d->url, sizeof(d->url)) < 0)
		return -1;
	d->pdf = HPDF_New(on_hpdf_error, d);
	if (d->pdf == NULL)
		return KS_SET(KS_ERR_NOMEM, "libharu: cannot create a document");
	if (HPDF_UseUTFEncodings(d->pdf) != HPDF_OK ||
	    HPDF_SetCompressionMode(d->pdf, HPDF_COMP_ALL) != HPDF_OK)
		return ks_rd_check(d) < 0 ? -1 : KS_SET(KS_ERR_INTERNAL, "libharu setup");
	if (load_font(d, o->font_dir, KS_RENDER_FONT_REGULAR, &d->reg) < 0 ||
	    load_font(d, o->font_dir, KS_RENDER_FONT_BOLD, &d->bold) < 0)
		return -1;
	return ks_rd_check(d);
}

void ks_rd_cleanup(struct ks_rd *d)
{
	if (d->pdf != NULL)
		HPDF_Free(d->pdf);
	d->pdf = NULL;
}

int ks_rd_page(struct ks_rd *d)
{
	HPDF_Page p;

	if (d->n_pages >= KS_RENDER_MAX_PAGES)
		return KS_SET(KS_ERR_LIMIT, "document longer than %d pages", KS_RENDER_MAX_PAGES);
	p = HPDF_AddPage(d->pdf);
	if (p == NULL || HPDF_Page_SetWidth(p, (HPDF_REAL)KS_RD_PAGE_W) != HPDF_OK ||
	    HPDF_Page_SetHeight(p, (HPDF_REAL)KS_RD_PAGE_H) != HPDF_OK)
		return ks_rd_check(d) < 0 ? -1 : KS_SET(KS_ERR_INTERNAL, "libharu: new page");
	d->pages[d->n_pages++] = p;
	d->y = KS_RD_TOP;
	return 0;
}

bool ks_rd_fits(const struct ks_rd *d, double h)
{
	return d->y - h >= KS_RD_BOTTOM;
}

static HPDF_Page page(const struct ks_rd *d)
{
	return d->pages[d->n_pages - 1];
}

double ks_rd_width(struct ks_rd *d, bool bold, double size, const char *s)
{
	HPDF_TextWidth tw;
	size_t n = strlen(s);

	if (n == 0 || n > LINE_MAX_BYTES)
		return 0;
	tw = HPDF_Font_TextWidth(bold ? d->bold : d->reg, (const HPDF_BYTE *)s, (HPDF_UINT)n);
	return (double)tw.width * size / 1000.0;
}

static void show(struct ks_rd *d, bool bold, double size, double x, double y, const char *s)
{
	HPDF_Page p = page(d);

	if (s[0] == '\0')
		return;
	HPDF_Page_BeginText(p);
	HPDF_Page_SetFontAndSize(p, bold ? d->bold : d->reg, (HPDF_REAL)size);
	HPDF_Page_TextOut(p, (HPDF_REAL)x, (HPDF_REAL)y, s);
	HPDF_Page_EndText(p);
}

/* Shorten the UTF-8 text in buf by one character. */
static void drop_last_char(char *buf)
{
	size_t n = strlen(buf);

	if (n > 0)
		buf[ks_utf8_cut(buf, n - 1)] = '\0';
}

void ks_rd_text(struct ks_rd *d, bool bold, double size, double x, double y, enum ks_rd_align al,
		double max_w, const char *s)
{
	char buf[LINE_MAX_BYTES + 4];
	double w = ks_rd_width(d, bold, size, s);

	snprintf(buf, sizeof(buf), "%s", s);
	if (max_w > 0 && w > max_w) {
		if (w * FIT_MIN <= max_w) {
			size = size * max_w / w;
		} else {
			size *= FIT_MIN;
			/* "…" is three bytes: leave room for it. */
			while (buf[0] != '\0') {
				size_t n;

				drop_last_char(buf);
				n = strlen(buf);
				snprintf(buf + n, sizeof(buf) - n, "…");
				if (ks_rd_width(d, bold, size, buf) <= max_w)
					break;
				buf[n] = '\0';
			}
		}
		w = ks_rd_width(d, bold, size, buf);
	}
	if (al == KS_RD_CENTER)
		x -= w / 2;
	else if (al == KS_RD_RIGHT_AL)
		x -= w;
	show(d, bold, size, x, y, buf);
}

/* The next word of s from *pos (spaces skipped before it), or a line
 * break: returns its length, 0 at the end; *brk is set for '\n'. */
static size_t next_word(const char *s, size_t *pos, bool *brk)
{
	size_t start;

	*brk = false;
	while (s[*pos] == ' ')
		(*pos)++;
	if (s[*pos] == '\n') {
		(*pos)++;
		*brk = true;
		return 0;
	}
	start = *pos;
	while (s[*pos] != '\0' && s[*pos] != ' ' && s[*pos] != '\n')
		(*pos)++;
	return *pos - start;
}

static void wrap_emit(struct ks_rd *d, bool bold, double size, double x, double y, double width,
		      double leading, const char *line, bool draw, size_t *lines)
{
	if (*lines >= KS_RD_MAX_LINES)
		return;
	if (draw)
		ks_rd_text(d, bold, size, x, y - (double)*lines * leading, KS_RD_LEFT_AL, width,
			   line);
	(*lines)++;
}

size_t ks_rd_wrap(struct ks_rd *d, bool bold, double size, double x, double y, double width,
		  double leading, const char *s, bool draw)
{
	char line[LINE_MAX_BYTES + 4], trial[LINE_MAX_BYTES + 4];
	size_t pos = 0, lines = 0, wl;
	bool brk;

	line[0] = '\0';
	for (;;) {
		wl = next_word(s, &pos, &brk);
		if (wl > 0) {
			const char *w = s + pos - wl;
			size_t ll = strlen(line);

			if (wl > LINE_MAX_BYTES)
				wl = LINE_MAX_BYTES; /* cannot happen: texts are shorter */
			/* trial = line, a space, the word (when it all fits). */
			if (ll > 0 && ll + 1 + wl < sizeof(trial)) {
				memcpy(trial, line, ll);
				trial[ll] = ' ';
				memcpy(trial + ll + 1, w, wl);
				trial[ll + 1 + wl] = '\0';
			}
			if (ll > 0 && (ll + 1 + wl >= sizeof(trial) ||
				       ks_rd_width(d, bold, size, trial) > width)) {
				/* The word starts the next line. */
				wrap_emit(d, bold, size, x, y, width, leading, line, draw, &lines);
				ll = 0;
			}
			if (ll == 0) {
				memcpy(trial, w, wl);
				trial[wl] = '\0';
			}
			memcpy(line, trial, strlen(trial) + 1);
		} else if (brk) {
			wrap_emit(d, bold, size, x, y, width, leading, line, draw, &lines);
			line[0] = '\0';
		} else {
			if (line[0] != '\0')
				wrap_emit(d, bold, size, x, y, width, leading, line, draw, &lines);
			break;
		}
	}
	return lines;
}

void ks_rd_rect(struct ks_rd *d, double x, double y, double w, double h, double lw, double fill,
		bool dash)
{
	static const HPDF_UINT16 pattern[] = { 3, 2 };
	HPDF_Page p = page(d);

	HPDF_Page_GSave(p);
	if (fill >= 0) {
		HPDF_Page_SetGrayFill(p, (HPDF_REAL)fill);
		HPDF_Page_Rectangle(p, (HPDF_REAL)x, (HPDF_REAL)y, (HPDF_REAL)w, (HPDF_REAL)h);
		HPDF_Page_Fill(p);
	}
	if (lw > 0) {
		HPDF_Page_SetLineWidth(p, (HPDF_REAL)lw);
		if (dash)
			HPDF_Page_SetDash(p, pattern, 2, 0);
		HPDF_Page_Rectangle(p, (HPDF_REAL)x, (HPDF_REAL)y, (HPDF_REAL)w, (HPDF_REAL)h);
		HPDF_Page_Stroke(p);
	}
	HPDF_Page_GRestore(p);
}

void ks_rd_line(struct ks_rd *d, double x1, double y1, double x2, double y2, double lw)
{
	HPDF_Page p = page(d);

	HPDF_Page_SetLineWidth(p, (HPDF_REAL)lw);
	HPDF_Page_MoveTo(p, (HPDF_REAL)x1, (HPDF_REAL)y1);
	HPDF_Page_LineTo(p, (HPDF_REAL)x2, (HPDF_REAL)y2);
	HPDF_Page_Stroke(p);
}

/* Capital of a record character (ks_render_chars.h); others unchanged. */
static uint32_t upper_cp(uint32_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7))
		return c - 32;
	/* Latin Extended-A pairs (ă, đ, ĩ, ũ): capital first, then small,
	 * except 0x0139-0x0148 and 0x0179-0x017E, which start with a small. */
	if ((c >= 0x0100 && c <= 0x0137) || (c >= 0x014A && c <= 0x0177))
		return (c & 1) ? c - 1 : c;
	if ((c >= 0x0139 && c <= 0x0148) || (c >= 0x0179 && c <= 0x017E))
		return (c & 1) ? c : c - 1;
	if (c == 0x01A1 || c == 0x01B0) /* ơ ư */
		return c - 1;
	/* Latin Extended Additional: capital, small (0x1E96-0x1E9F differ). */
	if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF))
		return (c & 1) ? c - 1 : c;
	return c;
}

void ks_rd_upper(const char *s, char *out, size_t n)
{
	struct ks_cur c;
	uint32_t cp;
	size_t o = 0;

	ks_cur_init(&c, s, strlen(s));
	while (!ks_cur_eof(&c) && ks_utf8_next(&c, &cp) == 0) {
		uint8_t enc[KS_UTF8_MAX_SEQ];
		size_t k = ks_utf8_encode(upper_cp(cp), enc);

		if (k == 0 || o + k >= n)
			break;
		memcpy(out + o, enc, k);
		o += k;
	}
	if (n > 0)
		out[o] = '\0';
}

void ks_rd_school_head(struct ks_rd *d, const struct ks_rec_school *s, double x, double y, double w)
{
	char up[KS_REC_MAX_NAME * 2 + 1];
	double cx = x + w / 2, lw;

	ks_rd_upper(s->authority, up, sizeof(up));
	ks_rd_text(d, false, 9, cx, y, KS_RD_CENTER, w, up);
	ks_rd_upper(s->name, up, sizeof(up));
	ks_rd_text(d, true, 9, cx, y - 12, KS_RD_CENTER, w, up);
	lw = 60;
	ks_rd_line(d, cx - lw / 2, y - 18, cx + lw / 2, y - 18, 0.6);
}

/* "Trang i/n" and the identifier with its URL at the foot of each page. */
static void footers(struct ks_rd *d)
{
	char left[KS_RENDER_MAX_URL + 64], right[64];
	size_t i, keep = d->n_pages;

	snprintf(left, sizeof(left), "Mã tài liệu: %s · Xác minh tại: %s", d->doc_id, d->url);
	for (i = 0; i < keep; i++) {
		/* Draw on page i: page() is the last page, so narrow the view. */
		d->n_pages = i + 1;
		ks_rd_line(d, KS_RD_LEFT, 34, KS_RD_RIGHT, 34, 0.4);
		ks_rd_text(d, false, 7, KS_RD_LEFT, 24, KS_RD_LEFT_AL, KS_RD_WIDTH - 70, left);
		snprintf(right, sizeof(right), "Trang %zu/%zu", i + 1, keep);
		ks_rd_text(d, false, 7.5, KS_RD_RIGHT, 24, KS_RD_RIGHT_AL, 0, right);
	}
	d->n_pages = keep;
}

int ks_rd_finish(struct ks_rd *d, struct ks_buf *out)
{
	struct ks_buf base;
	HPDF_UINT32 size;
	int rc = -1;

	ks_buf_init(&base, KS_RENDER_MAX_OUTPUT);
	footers(d);
	KS_GUARD(ks_rd_check(d));
	if (HPDF_SaveToStream(d->pdf) != HPDF_OK)
		KS_BAIL(KS_ERR_INTERNAL, "libharu cannot save the document (0x%04lX)", d->hpdf_err);
	size = HPDF_GetStreamSize(d->pdf);
	if ((size_t)size > KS_RENDER_MAX_OUTPUT)
		KS_BAIL(KS_ERR_LIMIT, "document of %lu bytes is larger than %zu",
			(unsigned long)size, KS_RENDER_MAX_OUTPUT);
	KS_GUARD(ks_buf_reserve(&base, (size_t)size));
	while (base.len < (size_t)size) {
		HPDF_UINT32 n = (HPDF_UINT32)((size_t)size - base.len);
		HPDF_STATUS st = HPDF_ReadFromStream(d->pdf, base.data + base.len, &n);

		if (n == 0 || (st != HPDF_OK && st != HPDF_STREAM_EOF))
			KS_BAIL(KS_ERR_INTERNAL, "libharu: reading the saved document");
		base.len += n;
	}
	KS_GUARD(ks_rd_form_update(base.data, base.len, d->fields, d->n_fields, &d->meta, out));
	rc = 0;
out:
	ks_buf_cleanup(&base);
	return rc;
}

/* "Hà Nội, ngày 05 tháng 02 năm 2026": days below 10 and the months
 * January and February take a leading zero (Decree 30/2020/NĐ-CP,
 * appendix I). */
static void place_date(const char *place, const char *iso, char *out, size_t n)
{
	int day = (iso[8] - '0') * 10 + (iso[9] - '0');
	int month = (iso[5] - '0') * 10 + (iso[6] - '0');

	snprintf(out, n, "%s, ngày %02d tháng %s%d năm %.4s", place, day, month <= 2 ? "0" : "",
		 month, iso);
}

int ks_rd_sign_block(struct ks_rd *d, const char *place, const char *date,
		     const struct ks_rd_signer signers[KS_RD_MAX_FIELDS])
{
	char line[KS_REC_MAX_NAME + 64];
	const double gap = 12, colw = (KS_RD_WIDTH - 2 * gap) / KS_RD_MAX_FIELDS, boxh = 64;
	double top, bx;
	size_t i;

	if (!ks_rd_fits(d, KS_RD_SIGN_BLOCK_H) && ks_rd_page(d) < 0)
		return -1;
	top = d->y - 10;
	place_date(place, date, line, sizeof(line));
	ks_rd_text(d, false, 9.5, KS_RD_RIGHT, top, KS_RD_RIGHT_AL, KS_RD_WIDTH, line);
	for (i = 0; i < KS_RD_MAX_FIELDS; i++) {
		struct ks_rd_field *f = &d->fields[i];
		double cx;

		bx = KS_RD_LEFT + (double)i * (colw + gap);
		cx = bx + colw / 2;
		ks_rd_text(d, true, 9, cx, top - 20, KS_RD_CENTER, colw, signers[i].caption);
		ks_rd_text(d, false, 7.5, cx, top - 31, KS_RD_CENTER, colw, signers[i].hint);
		ks_rd_rect(d, bx, top - 38 - boxh, colw, boxh, 0.6, -1, true);
		ks_rd_text(d, true, 9.5, cx, top - 38 - boxh - 13, KS_RD_CENTER, colw,
			   signers[i].name);
		f->name = signers[i].field;
		f->tooltip = signers[i].tooltip;
		f->page = d->n_pages - 1;
		f->x = bx;
		f->y = top - 38 - boxh;
		f->w = colw;
		f->h = boxh;
	}
	d->n_fields = KS_RD_MAX_FIELDS;
	d->y = top - 38 - boxh - 18;
	return ks_rd_check(d);
}
