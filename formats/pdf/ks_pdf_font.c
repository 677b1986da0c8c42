/* ks_pdf_font: HarfBuzz shaping and subsetting for signature appearances
 * (the font objects are written by ks_pdf_font_emit.c). */
#include "ks_pdf_font.h"
#include "formats/pdf/ks_pdf_font_int.h"

#include <hb-ot.h>
#include <hb-subset.h>
#include <hb.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "formats/pdf/ks_pdf_write.h"
#include "ks_cur.h"
#include "ks_size.h"
#include "ks_utf8.h"

/* Subsets kept for reuse by the process (signatures of one signer in a
 * batch draw the same glyphs). */
#define KS_PDF_FONT_SUBSET_CACHE 16
/* The /W array and the ToUnicode CMap of one subset are at most this
 * large (KS_PDF_FONT_MAX_USED glyphs of a few dozen bytes each). */
#define KS_PDF_FONT_MAX_DERIVED ((size_t)1 << 20)
/* The font file is looked at again (changed: loaded again) when it was
 * last looked at this long ago (milliseconds). */
#define KS_PDF_FONT_RECHECK_MS 1000

int32_t ks_pdf_font_milli(const struct ks_pdf_font *f, hb_position_t v)
{
	return (int32_t)lround((double)v * 1000.0 / (double)f->upem);
}

static void make_ps_name(struct ks_pdf_font *f)
{
	char raw[64];
	unsigned len = sizeof(raw);
	size_t i, j = 0;

	raw[0] = '\0';
	(void)hb_ot_name_get_utf8(f->face, HB_OT_NAME_ID_POSTSCRIPT_NAME, HB_LANGUAGE_INVALID, &len,
				  raw);
	for (i = 0; i < sizeof(raw) && raw[i] != '\0' && j + 1 < sizeof(f->ps_name); i++) {
		char c = raw[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_')
			f->ps_name[j++] = c;
	}
	if (j == 0) {
		memcpy(f->ps_name, "Font", 5);
		return;
	}
	f->ps_name[j] = '\0';
}

/* One font, loaded once and shared by every signature of the process.
 * hb_face_t is reference-counted and immutable once made so: safe to
 * share between threads.  Its preprocessed copy for subsetting
 * (hb_subset_preprocess: each later cut ~8x faster, but making it costs
 * tens of milliseconds, more than a few cuts) is made only when a second
 * subset is cut: a process that signs once, or a batch by one signer
 * whose subset stays the same, never pays for it. */
static pthread_mutex_t face_cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char path[4096];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec checked; /* CLOCK_MONOTONIC_COARSE of the last stat */
	hb_face_t *face;
	hb_face_t *pre; /* NULL until a second cut */
	unsigned cuts;  /* subsets cut from `face` */
} face_cache;

static struct timespec mono_now(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &t) != 0)
		memset(&t, 0, sizeof(t));
	return t;
}

/* The faces of `path` when its file was looked at less than
 * KS_PDF_FONT_RECHECK_MS ago: each signature of a batch would otherwise
 * stat the font file again. */
static bool recent_faces(const char *path, hb_face_t **face)
{
	struct timespec now = mono_now();
	int64_t ms;
	bool hit = false;

	pthread_mutex_lock(&face_cache_mu);
	ms = (int64_t)(now.tv_sec - face_cache.checked.tv_sec) * 1000 +
	     (now.tv_nsec - face_cache.checked.tv_nsec) / 1000000;
	if (face_cache.face != NULL && strcmp(face_cache.path, path) == 0 && ms >= 0 &&
	    ms < KS_PDF_FONT_RECHECK_MS) {
		*face = hb_face_reference(face_cache.face);
		hit = true;
	}
	pthread_mutex_unlock(&face_cache_mu);
	return hit;
}

static bool cache_matches(const char *path, const struct stat *st)
{
	return face_cache.face != NULL && strcmp(face_cache.path, path) == 0 &&
	       face_cache.dev == st->st_dev && face_cache.ino == st->st_ino &&
	       face_cache.size == st->st_size && face_cache.mtime.tv_sec == st->st_mtim.tv_sec &&
	       face_cache.mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int shared_face(const char *path, const struct stat *st, hb_face_t **face)
{
	hb_blob_t *blob;
	hb_face_t *nf;

	pthread_mutex_lock(&face_cache_mu);
	if (cache_matches(path, st)) {
		*face = hb_face_reference(face_cache.face);
		face_cache.checked = mono_now();
		pthread_mutex_unlock(&face_cache_mu);
		return 0;
	}
	pthread_mutex_unlock(&face_cache_mu);
	blob = hb_blob_create_from_file_or_fail(path);
	if (blob == NULL)
		return KS_SET(KS_ERR_IO, "cannot read appearance font '%s'", path);
	nf = hb_face_create(blob, 0);
	hb_blob_destroy(blob);
	hb_face_make_immutable(nf);
	*face = hb_face_reference(nf);
	pthread_mutex_lock(&face_cache_mu);
	hb_face_destroy(face_cache.face);
	hb_face_destroy(face_cache.pre);
	snprintf(face_cache.path, sizeof(face_cache.path), "%s", path);
	face_cache.dev = st->st_dev;
	face_cache.ino = st->st_ino;
	face_cache.size = st->st_size;
	face_cache.mtime = st->st_mtim;
	face_cache.checked = mono_now();
	face_cache.face = nf; /* the cache keeps the creation reference */
	face_cache.pre = NULL;
	face_cache.cuts = 0;
	pthread_mutex_unlock(&face_cache_mu);
	return 0;
}

/* The face to cut a subset of f from (a reference): the font's own for
 * the first cut, its preprocessed copy, made now, from the second on. */
static hb_face_t *face_to_cut(const struct ks_pdf_font *f)
{
	hb_face_t *use = NULL, *np;
	bool make = false;

	pthread_mutex_lock(&face_cache_mu);
	if (face_cache.face == f->face) {
		if (face_cache.pre != NULL)
			use = hb_face_reference(face_cache.pre);
		else
			make = face_cache.cuts++ > 0;
	}
	pthread_mutex_unlock(&face_cache_mu);
	if (use != NULL || !make)
		return use != NULL ? use : hb_face_reference(f->face);
	np = hb_subset_preprocess(f->face);
	if (np == NULL || hb_face_get_glyph_count(np) != hb_face_get_glyph_count(f->face)) {
		/* Preprocessing is an optimisation: cut the face itself. */
		hb_face_destroy(np);
		return hb_face_reference(f->face);
	}
	hb_face_make_immutable(np);
	pthread_mutex_lock(&face_cache_mu);
	if (face_cache.face == f->face && face_cache.pre == NULL)
		face_cache.pre = hb_face_reference(np);
	pthread_mutex_unlock(&face_cache_mu);
	return np;
}

int ks_pdf_font_open(const char *path, struct ks_pdf_font **out)
{
	struct ks_pdf_font *f = NULL;
	struct stat st;
	int rc = -1;

	*out = NULL;
	if (path == NULL)
		path = KS_PDF_FONT_DEFAULT_PATH;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	ks_buf_init(&f->ttf, KS_PDF_FONT_MAX_FILE);
	ks_buf_init(&f->zttf, compressBound(KS_PDF_FONT_MAX_FILE));
	ks_buf_init(&f->widths, KS_PDF_FONT_MAX_DERIVED);
	ks_buf_init(&f->ztu, KS_PDF_FONT_MAX_DERIVED);
	if (recent_faces(path, &f->face))
		goto faces;
	if (stat(path, &st) != 0)
		KS_BAIL(KS_ERR_IO, "appearance font '%s' not found (install fonts-dejavu-core)",
			path);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > KS_PDF_FONT_MAX_FILE ||
	    strlen(path) >= sizeof(face_cache.path))
		KS_BAIL(KS_ERR_LIMIT, "appearance font '%s' is not a regular file under %zu bytes",
			path, KS_PDF_FONT_MAX_FILE);
	KS_GUARD(shared_face(path, &st, &f->face));
faces:
	f->upem = hb_face_get_upem(f->face);
	if (hb_face_get_glyph_count(f->face) == 0 || f->upem < 16 || f->upem > 16384)
		KS_BAIL(KS_ERR_PARSE, "'%s' is not a usable TrueType font", path);
	f->font = hb_font_create(f->face);
	f->unicodes = hb_set_create();
	if (!hb_set_allocation_successful(f->unicodes))
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	make_ps_name(f);
	*out = f;
	f = NULL;
	rc = 0;
out:
	ks_pdf_font_free(f);
	return rc;
}

void ks_pdf_font_free(struct ks_pdf_font *f)
{
	if (f == NULL)
		return;
	hb_font_destroy(f->font);
	hb_face_destroy(f->face);
	hb_set_destroy(f->unicodes);
	hb_map_destroy(f->new_of);
	free(f->used);
	free(f->old_of);
	free(f->key);
	ks_buf_cleanup(&f->ttf);
	ks_buf_cleanup(&f->zttf);
	ks_buf_cleanup(&f->widths);
	ks_buf_cleanup(&f->ztu);
	free(f);
}

void ks_pdf_run_cleanup(struct ks_pdf_run *run)
{
	if (run == NULL)
		return;
	free(run->g);
	run->g = NULL;
	run->n = 0;
	run->width = 0;
}

void ks_pdf_font_vmetrics(const struct ks_pdf_font *f, int32_t *ascent, int32_t *descent)
{
	hb_font_extents_t e;

	memset(&e, 0, sizeof(e));
	(void)hb_font_get_h_extents(f->font, &e);
	*ascent = ks_pdf_font_milli(f, e.ascender);
	*descent = ks_pdf_font_milli(f, e.descender);
}

/* Record that `gid` is used and stands for the code points of its cluster
 * (the first glyph of a cluster carries the cluster's text). */
static int note_glyph(struct ks_pdf_font *f, uint32_t gid, const uint32_t *cps, size_t ncp)
{
	struct used_glyph *g;
	size_t i;

	for (i = 0; i < f->n_used; i++) {
		if (f->used[i].gid == gid) {
			if (f->used[i].ncp == 0 && ncp > 0) {
				memcpy(f->used[i].cps, cps, ncp * sizeof(*cps));
				f->used[i].ncp = ncp;
			}
			return 0;
		}
	}
	if (f->n_used >= KS_PDF_FONT_MAX_USED)
		return KS_SET(KS_ERR_LIMIT, "appearance text uses more than %zu glyphs",
			      KS_PDF_FONT_MAX_USED);
	if ((f->n_used & 31) == 0) {
		g = realloc(f->used, (f->n_used + 32) * sizeof(*g));
		if (g == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		f->used = g;
	}
	g = &f->used[f->n_used++];
	memset(g, 0, sizeof(*g));
	g->gid = gid;
	memcpy(g->cps, cps, ncp * sizeof(*cps));
	g->ncp = ncp;
	return 0;
}

/* Decode the code points of utf8[from, to) into cps (at most max). */
static size_t cluster_cps(const char *utf8, size_t from, size_t to, uint32_t *cps, size_t max)
{
	struct ks_cur c;
	size_t n = 0;
	uint32_t cp;

	ks_cur_init(&c, utf8 + from, to - from);
	while (!ks_cur_eof(&c) && n < max) {
		if (ks_utf8_next(&c, &cp) < 0)
			break; /* validated before shaping; cannot happen */
		cps[n++] = cp;
	}
	return n;
}

int ks_pdf_font_shape(struct ks_pdf_font *f, const char *utf8, struct ks_pdf_run *run)
{
	struct ks_pdf_shaped *sg = NULL;
	unsigned n = 0, i, j;
	size_t len = strlen(utf8), end;
	struct ks_cur c;
	uint32_t cp, cps[KS_PDF_FONT_MAX_CLUSTER];
	int rc = -1;

	memset(run, 0, sizeof(*run));
	KS_ENSURE(!f->subset_done, KS_ERR_INTERNAL, "text shaped after the font was subset");
	KS_ENSURE(len <= KS_PDF_FONT_MAX_TEXT, KS_ERR_LIMIT,
		  "appearance text line longer than %zu bytes", KS_PDF_FONT_MAX_TEXT);
	ks_cur_init(&c, utf8, len);
	while (!ks_cur_eof(&c)) {
		KS_GUARD(ks_utf8_next(&c, &cp));
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			KS_BAIL(KS_ERR_ENCODING, "control character U+%04X in appearance text",
				(unsigned)cp);
		hb_set_add(f->unicodes, cp);
	}
	KS_GUARD(ks_pdf_font_shaped(f, utf8, len, &sg, &n));
	if (n > 0) {
		run->g = calloc(n, sizeof(*run->g));
		if (run->g == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		size_t ncp = 0;

		/* Left-to-right: clusters (byte offsets) never decrease. */
		if (i == 0 || sg[i].cluster != sg[i - 1].cluster) {
			end = len;
			for (j = i + 1; j < n; j++) {
				if (sg[j].cluster != sg[i].cluster) {
					end = sg[j].cluster;
					break;
				}
			}
			if (end > sg[i].cluster && end <= len)
				ncp = cluster_cps(utf8, sg[i].cluster, end, cps,
						  KS_PDF_FONT_MAX_CLUSTER);
		}
		if (sg[i].gid == 0)
			KS_BAIL(KS_ERR_UNSUPPORTED,
				"the appearance font has no glyph for a character of '%s'", utf8);
		KS_GUARD(note_glyph(f, sg[i].gid, cps, ncp));
		run->g[i].gid = sg[i].gid;
		run->g[i].cluster = sg[i].cluster;
		run->g[i].adv = ks_pdf_font_milli(f, sg[i].x_advance);
		run->g[i].dx = ks_pdf_font_milli(f, sg[i].x_offset);
		run->g[i].dy = ks_pdf_font_milli(f, sg[i].y_offset);
		run->width += run->g[i].adv;
	}
	run->n = n;
	rc = 0;
out:
	if (rc < 0)
		ks_pdf_run_cleanup(run);
	free(sg);
	return rc;
}

int ks_pdf_font_keep_chars(struct ks_pdf_font *f, const char *utf8)
{
	struct ks_cur c;
	hb_codepoint_t gid;
	uint32_t cp;

	if (f->subset_done)
		return KS_SET(KS_ERR_INTERNAL, "characters kept after the font was subset");
	ks_cur_init(&c, utf8, strlen(utf8));
	while (!ks_cur_eof(&c)) {
		if (ks_utf8_next(&c, &cp) < 0)
			return -1;
		/* Its nominal glyph (cmap): what a digit or a punctuation mark
		 * shapes to; a character the font lacks is left out. */
		if (cp < 0x20 || !hb_font_get_nominal_glyph(f->font, cp, &gid) || gid == 0)
			continue;
		hb_set_add(f->unicodes, cp);
		if (note_glyph(f, gid, &cp, 1) < 0)
			return -1;
	}
	return 0;
}

/* Subset tag: six uppercase letters derived from the glyph set, so the
 * same text gives the same name (ISO 32000-1 9.6.4). */
static void make_tag(struct ks_pdf_font *f)
{
	uint8_t md[32];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t i;

	memset(md, 0, sizeof(md));
	if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		for (i = 0; i < f->n_new; i++)
			(void)EVP_DigestUpdate(ctx, &f->old_of[i], sizeof(f->old_of[i]));
		(void)EVP_DigestFinal_ex(ctx, md, &mdlen);
	}
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < 6; i++)
		f->tag[i] = (char)('A' + md[i] % 26);
	f->tag[6] = '\0';
}

/* ---- subsets already cut, by face and glyph set ---- */

struct subset_entry {
	hb_face_t *face; /* the font's face (a reference); NULL: empty slot */
	uint32_t *key;   /* sorted gids, UINT32_MAX, sorted code points */
	size_t nkey;
	uint8_t *ttf;
	size_t ttf_len;
	uint8_t *zttf; /* ttf deflated: a batch of documents signed by one
			* signer embeds the same subset, compressed once */
	size_t zttf_len;
	uint32_t *old_of;
	uint32_t n_new;
	char tag[7];
	uint8_t *widths; /* the /W widths and the deflated ToUnicode CMap: */
	size_t widths_len;
	uint8_t *ztu; /* written as they are by every later signature */
	size_t ztu_len;
	uint64_t used_at;
};

static pthread_mutex_t subset_cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct subset_entry subset_cache[KS_PDF_FONT_SUBSET_CACHE];
static uint64_t subset_tick;

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_used(const void *a, const void *b)
{
	return cmp_u32(&((const struct used_glyph *)a)->gid, &((const struct used_glyph *)b)->gid);
}

/* What a subset and what is made from it depend on: the glyphs kept, the
 * text each stands for (its ToUnicode entry) and the code points mapped.
 * f->used is sorted by glyph id first, so the order the text was shaped
 * in does not matter. */
static int subset_key(struct ks_pdf_font *f, uint32_t **key, size_t *nkey)
{
	hb_codepoint_t cp = HB_SET_VALUE_INVALID;
	size_t n = 0, cap, i, k2;
	uint32_t *k;

	if (f->n_used > 1)
		qsort(f->used, f->n_used, sizeof(*f->used), cmp_used);
	/* n_used <= KS_PDF_FONT_MAX_USED: no overflow. */
	cap = f->n_used * (2 + KS_PDF_FONT_MAX_CLUSTER) + 2 + hb_set_get_population(f->unicodes);
	k = malloc(cap * sizeof(*k));
	if (k == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	k[n++] = 0; /* .notdef */
	for (i = 0; i < f->n_used; i++) {
		k[n++] = f->used[i].gid;
		k[n++] = (uint32_t)f->used[i].ncp;
		for (k2 = 0; k2 < f->used[i].ncp; k2++)
			k[n++] = f->used[i].cps[k2];
	}
	k[n++] = UINT32_MAX;
	while (hb_set_next(f->unicodes, &cp) && n < cap)
		k[n++] = cp;
	*key = k;
	*nkey = n;
	return 0;
}

static struct subset_entry *subset_find(const struct ks_pdf_font *f, const uint32_t *key,
					size_t nkey)
{
	size_t i;

	for (i = 0; i < KS_PDF_FONT_SUBSET_CACHE; i++)
		if (subset_cache[i].face == f->face && subset_cache[i].nkey == nkey &&
		    memcmp(subset_cache[i].key, key, nkey * sizeof(*key)) == 0)
			return &subset_cache[i];
	return NULL;
}

static void subset_entry_clear(struct subset_entry *e)
{
	hb_face_destroy(e->face);
	free(e->key);
	free(e->ttf);
	free(e->zttf);
	free(e->old_of);
	free(e->widths);
	free(e->ztu);
	memset(e, 0, sizeof(*e));
}

/* Keep f's finished subset under key (which the cache takes). */
static void subset_keep(const struct ks_pdf_font *f, uint32_t *key, size_t nkey)
{
	struct subset_entry *e = &subset_cache[0];
	uint8_t *ttf = malloc(f->ttf.len);
	uint8_t *zttf = malloc(f->zttf.len > 0 ? f->zttf.len : 1);
	uint32_t *old_of = malloc(f->n_new * sizeof(*old_of));
	size_t i;

	if (ttf == NULL || zttf == NULL || old_of == NULL) {
		free(ttf);
		free(zttf);
		free(old_of);
		free(key);
		return; /* a cache, not a need */
	}
	memcpy(ttf, f->ttf.data, f->ttf.len);
	if (f->zttf.len > 0)
		memcpy(zttf, f->zttf.data, f->zttf.len);
	memcpy(old_of, f->old_of, f->n_new * sizeof(*old_of));
	pthread_mutex_lock(&subset_cache_mu);
	for (i = 1; i < KS_PDF_FONT_SUBSET_CACHE; i++)
		if (subset_cache[i].used_at < e->used_at)
			e = &subset_cache[i];
	subset_entry_clear(e);
	e->face = hb_face_reference(f->face);
	e->key = key;
	e->nkey = nkey;
	e->ttf = ttf;
	e->ttf_len = f->ttf.len;
	e->zttf = zttf;
	e->zttf_len = f->zttf.len;
	e->old_of = old_of;
	e->n_new = f->n_new;
	memcpy(e->tag, f->tag, sizeof(e->tag));
	e->used_at = ++subset_tick;
	pthread_mutex_unlock(&subset_cache_mu);
}

void ks_pdf_font_keep_derived(const struct ks_pdf_font *f)
{
	struct subset_entry *e;
	uint8_t *widths, *ztu;

	if (f->key == NULL || f->widths.len == 0 || f->ztu.len == 0)
		return;
	widths = malloc(f->widths.len);
	ztu = malloc(f->ztu.len);
	if (widths == NULL || ztu == NULL) {
		free(widths);
		free(ztu);
		return; /* a cache, not a need */
	}
	memcpy(widths, f->widths.data, f->widths.len);
	memcpy(ztu, f->ztu.data, f->ztu.len);
	pthread_mutex_lock(&subset_cache_mu);
	e = subset_find(f, f->key, f->nkey);
	if (e != NULL && e->widths == NULL) {
		e->widths = widths;
		e->widths_len = f->widths.len;
		e->ztu = ztu;
		e->ztu_len = f->ztu.len;
		widths = NULL;
		ztu = NULL;
	}
	pthread_mutex_unlock(&subset_cache_mu);
	free(widths);
	free(ztu);
}

/* Take a subset cut before for the same glyphs: true when found. */
static int subset_reuse(struct ks_pdf_font *f, const uint32_t *key, size_t nkey, bool *found)
{
	struct subset_entry *e;
	uint32_t i;
	int rc = -1;

	*found = false;
	pthread_mutex_lock(&subset_cache_mu);
	e = subset_find(f, key, nkey);
	if (e == NULL) {
		rc = 0;
		goto out;
	}
	e->used_at = ++subset_tick;
	f->old_of = malloc(e->n_new * sizeof(*f->old_of));
	f->new_of = hb_map_create();
	if (f->old_of == NULL || !hb_map_allocation_successful(f->new_of)) {
		KS_SET(KS_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (ks_buf_set(&f->ttf, e->ttf, e->ttf_len) < 0 ||
	    ks_buf_set(&f->zttf, e->zttf, e->zttf_len) < 0 ||
	    (e->widths != NULL && (ks_buf_set(&f->widths, e->widths, e->widths_len) < 0 ||
				   ks_buf_set(&f->ztu, e->ztu, e->ztu_len) < 0)))
		goto out;
	memcpy(f->old_of, e->old_of, e->n_new * sizeof(*f->old_of));
	f->n_new = e->n_new;
	for (i = 0; i < f->n_new; i++)
		hb_map_set(f->new_of, f->old_of[i], i);
	memcpy(f->tag, e->tag, sizeof(f->tag));
	f->subset_done = true;
	*found = true;
	rc = 0;
out:
	pthread_mutex_unlock(&subset_cache_mu);
	return rc;
}

static int subset_cut(struct ks_pdf_font *f);

int ks_pdf_font_zip(const uint8_t *p, size_t n, struct ks_buf *out)
{
	uLongf zlen;
	uint8_t *z;
	int rc = -1;

	if (n > KS_PDF_FONT_MAX_FILE)
		return KS_SET(KS_ERR_LIMIT, "font data too large");
	zlen = compressBound((uLong)n);
	z = malloc(zlen);
	if (z == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	if (compress2(z, &zlen, p, (uLong)n, 6) != Z_OK)
		KS_BAIL(KS_ERR_INTERNAL, "zlib compression failed");
	KS_GUARD(ks_buf_set(out, z, zlen));
	rc = 0;
out:
	free(z);
	return rc;
}

/* The subset program deflated, once (zlib level 6, as every stream). */
int ks_pdf_font_deflate(struct ks_pdf_font *f)
{
	if (f->zttf.len > 0)
		return 0;
	return ks_pdf_font_zip(f->ttf.data, f->ttf.len, &f->zttf);
}

int ks_pdf_font_subset(struct ks_pdf_font *f)
{
	uint32_t *key = NULL;
	size_t nkey = 0;
	bool found = false;

	if (f->subset_done)
		return KS_SET(KS_ERR_INTERNAL, "font subset twice");
	if (subset_key(f, &key, &nkey) < 0)
		return -1;
	f->key = malloc(nkey * sizeof(*key));
	if (f->key == NULL) {
		free(key);
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	memcpy(f->key, key, nkey * sizeof(*key));
	f->nkey = nkey;
	if (subset_reuse(f, key, nkey, &found) < 0 || found) {
		free(key);
		return found ? 0 : -1;
	}
	if (subset_cut(f) < 0 || ks_pdf_font_deflate(f) < 0) {
		free(key);
		return -1;
	}
	subset_keep(f, key, nkey);
	return 0;
}

static int subset_cut(struct ks_pdf_font *f)
{
	hb_subset_input_t *in = NULL;
	hb_subset_plan_t *plan = NULL;
	hb_face_t *sub = NULL, *cut = NULL;
	hb_blob_t *blob = NULL;
	const hb_map_t *n2o;
	const char *data;
	unsigned len = 0, i;
	int rc = -1;
	static const hb_tag_t drop[] = { HB_TAG('G', 'S', 'U', 'B'), HB_TAG('G', 'P', 'O', 'S'),
					 HB_TAG('G', 'D', 'E', 'F'), HB_TAG('k', 'e', 'r', 'n'),
					 HB_TAG('h', 'd', 'm', 'x'), HB_TAG('V', 'D', 'M', 'X'),
					 HB_TAG('L', 'T', 'S', 'H'), HB_TAG('g', 'a', 's', 'p') };

	in = hb_subset_input_create_or_fail();
	if (in == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	hb_set_add(hb_subset_input_glyph_set(in), 0); /* .notdef stays glyph 0 */
	for (i = 0; i < f->n_used; i++)
		hb_set_add(hb_subset_input_glyph_set(in), f->used[i].gid);
	hb_set_union(hb_subset_input_unicode_set(in), f->unicodes);
	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		hb_set_add(hb_subset_input_set(in, HB_SUBSET_SETS_DROP_TABLE_TAG), drop[i]);
	/* Hinting instructions are most of DejaVu's size and unused at the
	 * sizes an appearance is shown. */
	hb_subset_input_set_flags(in, HB_SUBSET_FLAGS_NO_HINTING);
	cut = face_to_cut(f);
	plan = hb_subset_plan_create_or_fail(cut, in);
	if (plan == NULL)
		KS_BAIL(KS_ERR_INTERNAL, "font subset plan failed");
	n2o = hb_subset_plan_new_to_old_glyph_mapping(plan);
	f->n_new = hb_map_get_population(n2o);
	KS_ENSURE(f->n_new > 0 && f->n_new <= 65535, KS_ERR_INTERNAL, "bad subset glyph count");
	f->old_of = calloc(f->n_new, sizeof(*f->old_of));
	f->new_of = hb_map_create();
	if (f->old_of == NULL || !hb_map_allocation_successful(f->new_of))
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < f->n_new; i++) {
		KS_ENSURE(hb_map_has(n2o, i), KS_ERR_INTERNAL, "subset glyph ids are not dense");
		f->old_of[i] = hb_map_get(n2o, i);
		hb_map_set(f->new_of, f->old_of[i], i);
	}
	sub = hb_subset_plan_execute_or_fail(plan);
	if (sub == NULL)
		KS_BAIL(KS_ERR_INTERNAL, "font subsetting failed");
	blob = hb_face_reference_blob(sub);
	data = hb_blob_get_data(blob, &len);
	KS_ENSURE(data != NULL && len > 0, KS_ERR_INTERNAL, "empty font subset");
	KS_GUARD(ks_buf_set(&f->ttf, data, len));
	make_tag(f);
	f->subset_done = true;
	rc = 0;
out:
	hb_blob_destroy(blob);
	hb_face_destroy(sub);
	hb_subset_plan_destroy(plan);
	hb_face_destroy(cut);
	hb_subset_input_destroy(in);
	return rc;
}

size_t ks_pdf_font_subset_size(const struct ks_pdf_font *f)
{
	return f->ttf.len;
}
