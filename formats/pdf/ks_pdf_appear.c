/* ks_pdf_appear: layout and content of the signature appearance. */
#include "ks_pdf_appear.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdf_font.h"
#include "formats/pdf/ks_pdf_write.h"
#include "ks_buf.h"

#define KS_APPEAR_LINES 5
/* Wrapped lines the layout may produce in all. */
#define KS_APPEAR_MAX_WRAPPED 32
/* Baseline-to-baseline distance, in font sizes. */
#define KS_APPEAR_LEADING 1.22
/* Below this size (points) long lines are wrapped instead of shrunk. */
#define KS_APPEAR_WRAP_BELOW 7.0
/* Characters of the time line that change between signatures. */
#define KS_APPEAR_STABLE_CHARS "0123456789/:+-"
/* Largest appearance box accepted (points; a page is at most 14400). */
#define KS_APPEAR_MAX_DIM 14400.0

struct line {
	size_t run;   /* which shaped run */
	size_t start; /* glyph range [start, end) of that run */
	size_t end;
	int32_t width; /* 1/1000 em */
};

/* Is glyph i of r a space (a break opportunity)? */
static bool is_space(const char *text, const struct ks_pdf_glyph *g)
{
	return text[g->cluster] == ' ';
}

/* Greedy word wrap of every run to max_w (1/1000 em).  Returns the number
 * of lines, or 0 when a single word is wider than max_w or there are too
 * many lines. */
static size_t wrap(const struct ks_pdf_run *runs, const char *const *texts, size_t nruns,
		   double max_w, struct line *lines)
{
	size_t n = 0, r, i;

	for (r = 0; r < nruns; r++) {
		const struct ks_pdf_run *run = &runs[r];
		size_t start = 0;

		while (start < run->n) {
			int64_t w = 0, w_at_break = 0;
			size_t brk = 0, end = start;

			/* Skip spaces at the start of a continuation line. */
			while (start < run->n && start > 0 && is_space(texts[r], &run->g[start]))
				start++;
			for (i = start; i < run->n; i++) {
				if (i > start && is_space(texts[r], &run->g[i])) {
					brk = i;
					w_at_break = w;
				}
				w += run->g[i].adv;
				if ((double)w > max_w)
					break;
			}
			if (i == run->n) {
				end = run->n;
			} else if (brk > start) {
				end = brk;
				w = w_at_break;
			} else {
				return 0; /* one word does not fit */
			}
			if (n >= KS_APPEAR_MAX_WRAPPED)
				return 0;
			lines[n].run = r;
			lines[n].start = start;
			lines[n].end = end;
			lines[n].width = (int32_t)w;
			n++;
			start = end;
		}
	}
	return n;
}

static int fmt_time(struct ks_buf *b, time_t t, int tz_min)
{
	struct tm tm;
	time_t local = t + (time_t)tz_min * 60;
	int a = tz_min < 0 ? -tz_min : tz_min;

	if (gmtime_r(&local, &tm) == NULL)
		return KS_SET(KS_ERR_ARG, "signing time out of range");
	return ks_buf_printf(b, "Thời gian: %02d/%02d/%04d %02d:%02d %c%02d:%02d", tm.tm_mday,
			     tm.tm_mon + 1, tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
			     tz_min < 0 ? '-' : '+', a / 60, a % 60);
}

int ks_pdf_appear_build(struct ks_pdf_update *u, const char *font_path,
			const struct ks_pdf_appear_text *t, double w, double h, uint32_t *xobj_num,
			size_t *font_bytes)
{
	struct ks_pdf_font *font = NULL;
	struct ks_buf texts[KS_APPEAR_LINES], content, dict;
	const char *cstr[KS_APPEAR_LINES];
	struct ks_pdf_run runs[KS_APPEAR_LINES];
	struct line lines[KS_APPEAR_MAX_WRAPPED];
	size_t nruns = 0, nlines = 0, i;
	double pad, aw, ah, size = 0, s, y, block;
	int32_t asc, desc;
	int32_t maxw = 0;
	uint32_t font_num, xnum;
	const char *dstr;
	int rc = -1;

	memset(runs, 0, sizeof(runs));
	for (i = 0; i < KS_APPEAR_LINES; i++)
		ks_buf_init(&texts[i], 4096);
	ks_buf_init(&content, (size_t)1 << 20);
	ks_buf_init(&dict, 4096);
	KS_ENSURE(isfinite(w) && isfinite(h) && w > 0 && h > 0 && w <= KS_APPEAR_MAX_DIM &&
		      h <= KS_APPEAR_MAX_DIM,
		  KS_ERR_ARG, "appearance size %gx%g out of range", w, h);
	KS_ENSURE(t->rotate == 0 || t->rotate == 90 || t->rotate == 180 || t->rotate == 270,
		  KS_ERR_ARG, "page rotation %d is not a multiple of 90", t->rotate);
	KS_ENSURE(t->signer != NULL && t->signer[0] != '\0', KS_ERR_ARG,
		  "the appearance needs the signer's name");

	/* The lines, in Vietnamese (labels are fixed text, values UTF-8). */
	KS_GUARD(ks_buf_printf(&texts[nruns++], "Ký bởi: %s", t->signer));
	if (t->role != NULL && t->role[0] != '\0')
		KS_GUARD(ks_buf_printf(&texts[nruns++], "Chức vụ: %s", t->role));
	KS_GUARD(fmt_time(&texts[nruns++], t->when, t->tz_min));
	if (t->reason != NULL && t->reason[0] != '\0')
		KS_GUARD(ks_buf_printf(&texts[nruns++], "Lý do: %s", t->reason));
	if (t->location != NULL && t->location[0] != '\0')
		KS_GUARD(ks_buf_printf(&texts[nruns++], "Nơi ký: %s", t->location));

	KS_GUARD(ks_pdf_font_open(font_path, &font));
	for (i = 0; i < nruns; i++) {
		KS_GUARD(ks_buf_cstr(&texts[i], &cstr[i]));
		KS_GUARD(ks_pdf_font_shape(font, cstr[i], &runs[i]));
		if (runs[i].width > maxw)
			maxw = runs[i].width;
	}
	ks_pdf_font_vmetrics(font, &asc, &desc);

	/* Fit: one line per item at the largest size that fits; only when
	 * that is below KS_APPEAR_WRAP_BELOW, word-wrap at the largest size
	 * (0.25 pt steps) where the wrapped lines fit, if that is larger. */
	pad = fmin(w, h) * 0.05;
	pad = fmax(1.0, fmin(pad, 4.0));
	aw = w - 2 * pad;
	ah = h - 2 * pad;
	{
		double by_h =
		    ah / ((double)(nruns - 1) * KS_APPEAR_LEADING + (double)(asc - desc) / 1000.0);
		double by_w = aw * 1000.0 / (double)(maxw > 0 ? maxw : 1);

		size = fmax(0.5, fmin(KS_PDF_APPEAR_MAX_SIZE, fmin(by_h, by_w)));
		for (i = 0; i < nruns; i++) {
			lines[i].run = i;
			lines[i].start = 0;
			lines[i].end = runs[i].n;
			lines[i].width = runs[i].width;
		}
		nlines = nruns;
	}
	for (s = KS_PDF_APPEAR_MAX_SIZE; size < KS_APPEAR_WRAP_BELOW && s > size; s -= 0.25) {
		struct line wl[KS_APPEAR_MAX_WRAPPED];
		size_t n = wrap(runs, cstr, nruns, aw * 1000.0 / s, wl);

		if (n > 0 && ((double)(n - 1) * KS_APPEAR_LEADING * s +
			      (double)(asc - desc) * s / 1000.0) <= ah) {
			size = s;
			nlines = n;
			memcpy(lines, wl, n * sizeof(*wl));
			break;
		}
	}
	if (t->min_size > 0 && size < t->min_size) {
		/* One line per item at the minimum size, for the message. */
		double need_w = (double)maxw * t->min_size / 1000.0 + 2 * pad;
		double need_h =
		    ((double)(nruns - 1) * KS_APPEAR_LEADING + (double)(asc - desc) / 1000.0) *
			t->min_size +
		    2 * pad;

		KS_BAIL(KS_ERR_ARG,
			"the signature box of %g x %g pt is too small for its text, which would "
			"be %.1f pt high (the minimum is %g pt); about %.0f x %.0f pt holds it",
			w, h, size, t->min_size, fmax(need_w, w), fmax(need_h, h));
	}
	/* Every digit and the time's punctuation: the subset (cut, and its
	 * font objects made, once per glyph set) stays the same from one
	 * minute to the next. */
	KS_GUARD(ks_pdf_font_keep_chars(font, KS_APPEAR_STABLE_CHARS));
	KS_GUARD(ks_pdf_font_subset(font));

	/* Content: a thin blue frame, then the lines top-down. */
	KS_GUARD(ks_buf_append_str(&content, "q 0.13 0.33 0.67 RG 0.6 w "));
	KS_GUARD(ks_pdf_put_real(&content, 0.5));
	KS_GUARD(ks_buf_append_str(&content, " "));
	KS_GUARD(ks_pdf_put_real(&content, 0.5));
	KS_GUARD(ks_buf_append_str(&content, " "));
	KS_GUARD(ks_pdf_put_real(&content, w - 1));
	KS_GUARD(ks_buf_append_str(&content, " "));
	KS_GUARD(ks_pdf_put_real(&content, h - 1));
	KS_GUARD(ks_buf_append_str(&content, " re S Q\nq BT 0 0 0 rg /F1 "));
	KS_GUARD(ks_pdf_put_real(&content, size));
	KS_GUARD(ks_buf_append_str(&content, " Tf\n"));
	/* Centre the block vertically in the box. */
	block =
	    (double)(nlines - 1) * KS_APPEAR_LEADING * size + (double)(asc - desc) * size / 1000.0;
	y = h - pad - fmax(0.0, (ah - block) / 2) - (double)asc * size / 1000.0;
	for (i = 0; i < nlines; i++) {
		struct ks_pdf_run slice;

		slice.g = runs[lines[i].run].g + lines[i].start;
		slice.n = lines[i].end - lines[i].start;
		slice.width = lines[i].width;
		KS_GUARD(ks_buf_append_str(&content, "1 0 0 1 "));
		KS_GUARD(ks_pdf_put_real(&content, pad));
		KS_GUARD(ks_buf_append_str(&content, " "));
		KS_GUARD(ks_pdf_put_real(&content, y));
		KS_GUARD(ks_buf_append_str(&content, " Tm "));
		KS_GUARD(ks_pdf_font_show(font, &slice, size, &content));
		y -= KS_APPEAR_LEADING * size;
	}
	KS_GUARD(ks_buf_append_str(&content, "ET Q\n"));

	KS_GUARD(ks_pdf_font_emit(font, u, &font_num));
	KS_GUARD(ks_pdf_update_alloc(u, &xnum));
	/* Form XObject (ISO 32000-1 8.10). */
	KS_GUARD(ks_buf_append_str(&dict, "/Type /XObject /Subtype /Form /BBox [0 0 "));
	KS_GUARD(ks_pdf_put_real(&dict, w));
	KS_GUARD(ks_buf_append_str(&dict, " "));
	KS_GUARD(ks_pdf_put_real(&dict, h));
	/* A page shown turned clockwise by /Rotate: the form is turned
	 * back by the same angle (ISO 32000-1 8.10.1, 12.5.5: the turned
	 * BBox is then fitted to the widget's /Rect, in page space). */
	KS_GUARD(ks_buf_printf(&dict,
			       "] /Matrix [%s] /Resources << /Font << /F1 %u 0 R >> "
			       "/ProcSet [/PDF /Text] >>",
			       t->rotate == 90    ? "0 1 -1 0 0 0"
			       : t->rotate == 180 ? "-1 0 0 -1 0 0"
			       : t->rotate == 270 ? "0 -1 1 0 0 0"
						  : "1 0 0 1 0 0",
			       (unsigned)font_num));
	KS_GUARD(ks_buf_cstr(&dict, &dstr));
	/* Not deflated: a kilobyte or two of operators, for which zlib costs
	 * more than hashing and writing the bytes it would save. */
	KS_GUARD(ks_pdf_update_put_stream(u, xnum, 0, dstr, content.data, content.len, false));
	*xobj_num = xnum;
	if (font_bytes != NULL)
		*font_bytes = ks_pdf_font_subset_size(font);
	rc = 0;
out:
	for (i = 0; i < KS_APPEAR_LINES; i++) {
		ks_pdf_run_cleanup(&runs[i]);
		ks_buf_cleanup(&texts[i]);
	}
	ks_buf_cleanup(&content);
	ks_buf_cleanup(&dict);
	ks_pdf_font_free(font);
	return rc;
}
