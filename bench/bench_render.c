/* Rendering time of kyso render, in process, against libharu alone.
 *
 *   render_transcript_ms  one transcript (docs/examples/hocba.json: three
 *                         school years, two pages), parsed once, rendered
 *                         again and again;
 *   render_class40_ms     a class of 40 one-page transcripts (the students
 *                         of docs/examples/lop-12a3.json repeated with their
 *                         own codes), one call per student as `--out-dir`
 *                         does.
 *
 * The reference is the floor under any libharu layout: libharu writing the
 * same number of A4 pages of plain text, the same number of text runs per
 * page, in the same two embedded UTF-8 record fonts, saved to memory.  The
 * ratio is what kyso's layout, tables, QR code, the form update (reading
 * libharu's output back and appending the signature fields) cost above
 * libharu's own font embedding and compression.  pdftoppm or qpdf are not
 * references: they read PDFs, they do not write them.  Prints
 *
 *   render_transcript_ms <kyso ms> <libharu ms> <ratio>   (target <= 3)
 *   render_class40_ms    <kyso ms> <libharu ms> <ratio>   (target <= 3)
 *
 * Env: BENCH_SECONDS (default 2 per measurement), KYSO_BUILD (fonts in
 * $KYSO_BUILD/fonts, default build/fonts). */
#include <errno.h>
#include <hpdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formats/render/ks_render.h"
#include "ks_io.h"
#include "common.h"

#define CLASS_SIZE 40
/* Text runs per page of a rendered transcript (counted from the layout:
 * headings, identity, about 90 table cells, comment, footer). */
#define RUNS_PER_PAGE 130

static const char line[] = "Nguyễn Thị Hồng Nhung — Toán 8.5 · Ngữ văn 7.0 · Hóa học 9.1";

static struct ks_record *load(const char *path)
{
	struct ks_buf b;
	struct ks_record *r = NULL;

	ks_buf_init(&b, KS_REC_MAX_INPUT);
	if (ks_file_read(path, KS_REC_MAX_INPUT, &b) < 0 || ks_record_parse(b.data, b.len, &r) < 0)
		fprintf(stderr, "bench_render: %s: %s\n", path, ks_err_msg());
	ks_buf_cleanup(&b);
	return r;
}

/* The class: the sample's students repeated, each with its own code. */
static struct ks_record *class40(const struct ks_record *src)
{
	struct ks_record *r = calloc(1, sizeof(*r));
	size_t i;

	if (r == NULL)
		return NULL;
	*r = *src;
	r->students = calloc(CLASS_SIZE, sizeof(*r->students));
	r->n_students = 0;
	if (r->students == NULL)
		return r;
	for (i = 0; i < CLASS_SIZE; i++) {
		struct ks_rec_student *st = &r->students[i];

		*st = src->students[i % src->n_students];
		st->years = calloc(st->n_years, sizeof(*st->years));
		if (st->years == NULL)
			break;
		memcpy(st->years, src->students[i % src->n_students].years,
		       st->n_years * sizeof(*st->years));
		snprintf(st->code, sizeof(st->code), "01019%05zu", i);
		r->n_students++;
	}
	return r;
}

/* libharu alone: pages of plain text in the record fonts. */
static int plain_pages(const char *font_dir, size_t pages, size_t *bytes)
{
	char reg[4200], bold[4200];
	HPDF_Doc pdf = HPDF_New(NULL, NULL);
	HPDF_Font f[2];
	size_t p, i;
	int rc = -1;

	if (pdf == NULL)
		return -1;
	snprintf(reg, sizeof(reg), "%s/%s", font_dir, KS_RENDER_FONT_REGULAR);
	snprintf(bold, sizeof(bold), "%s/%s", font_dir, KS_RENDER_FONT_BOLD);
	HPDF_UseUTFEncodings(pdf);
	HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
	f[0] = HPDF_GetFont(pdf, HPDF_LoadTTFontFromFile(pdf, reg, HPDF_TRUE), "UTF-8");
	f[1] = HPDF_GetFont(pdf, HPDF_LoadTTFontFromFile(pdf, bold, HPDF_TRUE), "UTF-8");
	if (f[0] == NULL || f[1] == NULL)
		goto out;
	for (p = 0; p < pages; p++) {
		HPDF_Page pg = HPDF_AddPage(pdf);

		HPDF_Page_SetSize(pg, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
		for (i = 0; i < RUNS_PER_PAGE; i++) {
			HPDF_Page_BeginText(pg);
			HPDF_Page_SetFontAndSize(pg, f[i % 7 == 0], 9);
			HPDF_Page_TextOut(pg, 40 + (HPDF_REAL)(i % 2) * 260,
					  (HPDF_REAL)(800 - (double)(i / 2) * 11.5), line);
			HPDF_Page_EndText(pg);
		}
	}
	if (HPDF_SaveToStream(pdf) != HPDF_OK)
		goto out;
	*bytes = HPDF_GetStreamSize(pdf);
	rc = 0;
out:
	HPDF_Free(pdf);
	return rc;
}

/* Milliseconds per batch of `n` documents, averaged over `secs`. */
static double time_kyso(const struct ks_record *r, size_t n, const struct ks_render_opts *o,
			double secs, size_t *bytes)
{
	struct ks_buf b;
	double start = bench_now(), end = start + secs;
	long rounds = 0;
	size_t i;

	ks_buf_init(&b, KS_RENDER_MAX_OUTPUT);
	do {
		for (i = 0; i < n; i++) {
			ks_buf_reset(&b);
			if (ks_render_transcript(r, i, o, &b) < 0) {
				fprintf(stderr, "bench_render: %s\n", ks_err_msg());
				ks_buf_cleanup(&b);
				return -1;
			}
		}
		rounds++;
	} while (bench_now() < end);
	*bytes = b.len;
	ks_buf_cleanup(&b);
	return (bench_now() - start) * 1000 / (double)rounds;
}

static double time_plain(const char *font_dir, size_t n, size_t pages, double secs, size_t *bytes)
{
	double start = bench_now(), end = start + secs;
	long rounds = 0;
	size_t i;

	do {
		for (i = 0; i < n; i++)
			if (plain_pages(font_dir, pages, bytes) < 0)
				return -1;
		rounds++;
	} while (bench_now() < end);
	return (bench_now() - start) * 1000 / (double)rounds;
}

int main(void)
{
	const char *b = getenv("KYSO_BUILD");
	char fonts[4096];
	struct ks_render_opts o;
	struct ks_record *one = load("docs/examples/hocba.json");
	struct ks_record *cls = load("docs/examples/lop-12a3.json"), *c40 = NULL;
	double secs = bench_seconds(2.0), k1, p1, k40, p40;
	size_t kb = 0, pb = 0;
	int status = 1;

	snprintf(fonts, sizeof(fonts), "%s/fonts", b != NULL && *b != '\0' ? b : "build");
	memset(&o, 0, sizeof(o));
	o.font_dir = fonts;
	if (one == NULL || cls == NULL || (c40 = class40(cls)) == NULL ||
	    c40->n_students != CLASS_SIZE)
		goto out;
	/* A warm-up of each, then the measurements. */
	if (time_kyso(one, 1, &o, 0.2, &kb) < 0 || time_plain(fonts, 1, 2, 0.2, &pb) < 0)
		goto out;
	k1 = time_kyso(one, 1, &o, secs / 2, &kb);
	p1 = time_plain(fonts, 1, 2, secs / 2, &pb);
	if (k1 <= 0 || p1 <= 0)
		goto out;
	printf("render_transcript_ms %.2f %.2f %.2f   (target <= 3; %zu vs %zu bytes)\n", k1, p1,
	       k1 / p1, kb, pb);
	k40 = time_kyso(c40, CLASS_SIZE, &o, secs, &kb);
	p40 = time_plain(fonts, CLASS_SIZE, 1, secs, &pb);
	if (k40 <= 0 || p40 <= 0)
		goto out;
	printf("render_class40_ms %.1f %.1f %.2f   (target <= 3; %.2f ms per transcript)\n", k40,
	       p40, k40 / p40, k40 / CLASS_SIZE);
	status = 0;
out:
	if (status != 0)
		fprintf(stderr, "bench_render: failed%s%s\n", ks_err_msg()[0] ? ": " : "",
			ks_err_msg());
	ks_record_free(c40);
	ks_record_free(cls);
	ks_record_free(one);
	return status;
}
