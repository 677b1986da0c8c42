/* ks_pdf_font_shape: HarfBuzz shaping of one line, with the lines shaped
 * before kept for reuse.  The lines of a signer's appearance ("Ký bởi:
 * name", "Chức vụ: role", the reason) are the same on every document of
 * a batch: shaping them again gives the same glyphs and costs more than
 * the rest of the line's work. */
#include "formats/pdf/ks_pdf_font_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Shaped lines kept by the process (a signer's four or five lines, a few
 * signers). */
#define KS_PDF_SHAPE_CACHE 32

struct shape_entry {
	hb_face_t *face; /* a reference: its address is not reused while kept */
	char *text;      /* NUL-terminated */
	size_t len;
	struct ks_pdf_shaped *g;
	unsigned n;
	uint64_t used_at;
};

static pthread_mutex_t shape_cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct shape_entry shape_cache[KS_PDF_SHAPE_CACHE];
static uint64_t shape_tick;

/* The glyphs of utf8 (len bytes) shaped with f; *g is the caller's to
 * free (NULL when n is 0). */
static int shape_now(struct ks_pdf_font *f, const char *utf8, size_t len, struct ks_pdf_shaped **g,
		     unsigned *n)
{
	hb_buffer_t *buf = hb_buffer_create();
	hb_glyph_info_t *info;
	hb_glyph_position_t *pos;
	unsigned i, cnt = 0;
	int rc = -1;

	*g = NULL;
	*n = 0;
	hb_buffer_add_utf8(buf, utf8, (int)len, 0, (int)len);
	hb_buffer_set_direction(buf, HB_DIRECTION_LTR);
	hb_buffer_set_language(buf, hb_language_from_string("vi", -1));
	hb_buffer_guess_segment_properties(buf);
	hb_shape(f->font, buf, NULL, 0);
	if (!hb_buffer_allocation_successful(buf))
		KS_BAIL(KS_ERR_NOMEM, "out of memory shaping text");
	info = hb_buffer_get_glyph_infos(buf, &cnt);
	pos = hb_buffer_get_glyph_positions(buf, &cnt);
	if (cnt > 0) {
		*g = calloc(cnt, sizeof(**g));
		if (*g == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < cnt; i++) {
		(*g)[i].gid = info[i].codepoint;
		(*g)[i].cluster = info[i].cluster;
		(*g)[i].x_advance = pos[i].x_advance;
		(*g)[i].x_offset = pos[i].x_offset;
		(*g)[i].y_offset = pos[i].y_offset;
	}
	*n = cnt;
	rc = 0;
out:
	hb_buffer_destroy(buf);
	return rc;
}

static struct shape_entry *shape_find(const hb_face_t *face, const char *utf8, size_t len)
{
	size_t i;

	for (i = 0; i < KS_PDF_SHAPE_CACHE; i++)
		if (shape_cache[i].face == face && shape_cache[i].len == len &&
		    memcmp(shape_cache[i].text, utf8, len) == 0)
			return &shape_cache[i];
	return NULL;
}

/* Keep a copy of a line just shaped (a cache: failing to keep is no error). */
static void shape_keep(struct ks_pdf_font *f, const char *utf8, size_t len,
		       const struct ks_pdf_shaped *g, unsigned n)
{
	struct shape_entry *e = &shape_cache[0];
	char *text = malloc(len + 1);
	struct ks_pdf_shaped *copy = malloc(n > 0 ? n * sizeof(*copy) : 1);
	size_t i;

	if (text == NULL || copy == NULL) {
		free(text);
		free(copy);
		return;
	}
	memcpy(text, utf8, len);
	text[len] = '\0';
	if (n > 0)
		memcpy(copy, g, n * sizeof(*copy));
	pthread_mutex_lock(&shape_cache_mu);
	for (i = 1; i < KS_PDF_SHAPE_CACHE; i++)
		if (shape_cache[i].used_at < e->used_at)
			e = &shape_cache[i];
	hb_face_destroy(e->face);
	free(e->text);
	free(e->g);
	e->face = hb_face_reference(f->face);
	e->text = text;
	e->len = len;
	e->g = copy;
	e->n = n;
	e->used_at = ++shape_tick;
	pthread_mutex_unlock(&shape_cache_mu);
}

int ks_pdf_font_shaped(struct ks_pdf_font *f, const char *utf8, size_t len,
		       struct ks_pdf_shaped **g, unsigned *n)
{
	struct shape_entry *e;

	*g = NULL;
	*n = 0;
	pthread_mutex_lock(&shape_cache_mu);
	e = shape_find(f->face, utf8, len);
	if (e != NULL) {
		e->used_at = ++shape_tick;
		*g = malloc(e->n > 0 ? e->n * sizeof(**g) : 1);
		if (*g != NULL) {
			if (e->n > 0)
				memcpy(*g, e->g, e->n * sizeof(**g));
			*n = e->n;
		}
	}
	pthread_mutex_unlock(&shape_cache_mu);
	if (e != NULL)
		return *g != NULL ? 0 : KS_SET(KS_ERR_NOMEM, "out of memory");
	if (shape_now(f, utf8, len, g, n) < 0)
		return -1;
	shape_keep(f, utf8, len, *g, *n);
	return 0;
}
