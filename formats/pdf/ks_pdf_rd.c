/* ks_pdf_rd: the signer's view of the original PDF — the latest revision
 * only: cross-reference tables, xref streams (7.5.8), hybrid files and
 * object streams (7.5.7), Flate with PNG predictors.  It reads what a
 * signature update needs (trailer, catalog, pages, form fields) and only
 * those objects: the file is never scanned as a whole, so a 1 GiB PDF
 * costs a few pages of memory.  Verification uses the revision-aware
 * reader instead. */
#include "ks_pdf_rd.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "formats/pdf/ks_pdf_lex.h"
#include "ks_cur.h"
#include "ks_size.h"

/* Cross-reference sections followed through /Prev. */
#define RD_MAX_SECTIONS 1000
/* Object numbers (ISO 32000-1 C.2). */
#define RD_MAX_OBJS 8388608u
/* Where "startxref" is looked for: the last bytes of the file. */
#define RD_TAIL 1024
/* Decoded size of one xref or object stream. */
#define RD_MAX_DECODED ((size_t)64 << 20)
/* Decoded / encoded ratio beyond which a stream is refused (a bomb). */
#define RD_MAX_RATIO 1000
/* Objects in one object stream. */
#define RD_MAX_OBJSTM_N 100000
/* Object streams cached while reading. */
#define RD_OBJSTM_CACHE 8
/* Nesting of /Length references and object stream lookups. */
#define RD_MAX_INDIRECTION 4

enum { ENT_NONE = 0, ENT_FILE, ENT_OBJSTM, ENT_FREE };

struct ent {
	uint8_t type;
	uint16_t gen;
	uint32_t idx; /* index in the object stream */
	uint64_t off; /* file offset, or the object stream's number */
};

struct objstm {
	uint32_t num; /* 0: empty slot */
	struct ks_buf data;
	uint32_t n, first;
};

struct ks_pdf_rd {
	struct ks_cur whole;
	struct ent *ents; /* per object number */
	uint32_t n;
	struct ks_pdf_rd_info info;
	struct ks_pdf_val *trailer; /* of the last section */
	struct objstm cache[RD_OBJSTM_CACHE];
	unsigned next_slot;
};

/* Move over bytes already peeked (cannot fail). */
static void adv(struct ks_cur *c, size_t n)
{
	if (ks_cur_skip(c, n) < 0)
		ks_err_clear();
}

/* Make room for object numbers below `upto`. */
static int ensure_ents(struct ks_pdf_rd *rd, uint64_t upto)
{
	struct ent *ne;
	uint32_t nn;

	if (upto <= rd->n)
		return 0;
	if (upto > RD_MAX_OBJS)
		return KS_SET(KS_ERR_LIMIT, "object number beyond %u", RD_MAX_OBJS);
	nn = (uint32_t)upto;
	ne = realloc(rd->ents, (size_t)nn * sizeof(*ne));
	if (ne == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	memset(ne + rd->n, 0, (size_t)(nn - rd->n) * sizeof(*ne));
	rd->ents = ne;
	rd->n = nn;
	return 0;
}

/* Newest section first: an entry already set wins (7.5.6). */
static int set_ent(struct ks_pdf_rd *rd, uint64_t num, uint8_t type, uint64_t off, uint32_t idx,
		   uint16_t gen)
{
	if (ensure_ents(rd, num + 1) < 0)
		return -1;
	if (rd->ents[num].type != ENT_NONE)
		return 0;
	rd->ents[num].type = type;
	rd->ents[num].off = off;
	rd->ents[num].idx = idx;
	rd->ents[num].gen = gen;
	return 0;
}

static int get_obj(struct ks_pdf_rd *rd, uint32_t num, uint16_t gen, int depth,
		   struct ks_pdf_val **out, struct ks_cur *stream);

/* Decode a stream's data: no filter, or FlateDecode with an optional PNG
 * predictor (7.4.4.4) — what xref and object streams use. */
static int decode_stream(const struct ks_pdf_val *dict, struct ks_cur raw, struct ks_buf *out)
{
	const struct ks_pdf_val *f = ks_pdf_val_get(dict, "Filter"), *dp, *v;
	z_stream z;
	uint8_t chunk[16384];
	long long pred = 1, cols = 1;
	int zr, rc = -1;
	bool zinit = false;

	if (f != NULL && f->type == KS_PV_ARRAY && f->n == 1)
		f = f->items[0];
	dp = ks_pdf_val_get(dict, "DecodeParms");
	if (dp != NULL && dp->type == KS_PV_ARRAY && dp->n == 1)
		dp = dp->items[0];
	if ((v = ks_pdf_val_get(dp, "Predictor")) != NULL && v->type == KS_PV_INT)
		pred = v->i;
	if ((v = ks_pdf_val_get(dp, "Columns")) != NULL && v->type == KS_PV_INT)
		cols = v->i;
	if (f == NULL) {
		KS_GUARD(ks_buf_append(out, raw.p, raw.left));
		rc = 0;
		goto out;
	}
	if (!ks_pdf_val_is_name(f, "FlateDecode"))
		KS_BAIL(KS_ERR_UNSUPPORTED, "stream filter not supported here");
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		KS_BAIL(KS_ERR_NOMEM, "zlib init");
	zinit = true;
	z.next_in = (Bytef *)(uintptr_t)raw.p;
	z.avail_in = raw.left > UINT32_MAX ? UINT32_MAX : (uInt)raw.left;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			KS_BAIL(KS_ERR_PARSE, "corrupt Flate stream");
		KS_GUARD(ks_buf_append(out, chunk, sizeof(chunk) - z.avail_out));
		if (out->len > (raw.left + 64) * RD_MAX_RATIO)
			KS_BAIL(KS_ERR_LIMIT, "stream decompresses more than %dx", RD_MAX_RATIO);
		if (zr == Z_BUF_ERROR && z.avail_in == 0)
			break; /* truncated data: take what decoded */
	} while (zr != Z_STREAM_END);
	if (pred >= 10) {
		/* PNG predictors: each row is a filter byte + cols bytes. */
		size_t row = (size_t)cols, i, r, nrows, w = 0;
		uint8_t *prev = NULL;

		if (cols < 1 || cols > 4096)
			KS_BAIL(KS_ERR_PARSE, "bad predictor /Columns");
		nrows = out->len / (row + 1);
		prev = calloc(1, row);
		if (prev == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		for (r = 0; r < nrows; r++) {
			uint8_t ft = out->data[r * (row + 1)], *cur = out->data + r * (row + 1) + 1;

			for (i = 0; i < row; i++) {
				uint8_t left = i > 0 ? cur[i - 1] : 0, up = prev[i];

				if (ft == 1)
					cur[i] = (uint8_t)(cur[i] + left);
				else if (ft == 2)
					cur[i] = (uint8_t)(cur[i] + up);
				else if (ft == 3)
					cur[i] = (uint8_t)(cur[i] + (left + up) / 2);
				else if (ft == 4) {
					uint8_t ul = i > 0 ? prev[i - 1] : 0;
					int pa = abs(up - ul), pb = abs(left - ul),
					    pc = abs(left + up - 2 * ul);

					cur[i] = (uint8_t)(cur[i] + ((pa <= pb && pa <= pc) ? left
								     : pb <= pc             ? up
											    : ul));
				} else if (ft != 0) {
					free(prev);
					KS_BAIL(KS_ERR_PARSE, "bad PNG predictor row type %u", ft);
				}
			}
			memcpy(prev, cur, row);
			memmove(out->data + w, cur, row);
			w += row;
		}
		free(prev);
		out->len = w;
	} else if (pred != 1) {
		KS_BAIL(KS_ERR_UNSUPPORTED, "predictor %lld not supported here", pred);
	}
	rc = 0;
out:
	if (zinit)
		inflateEnd(&z);
	return rc;
}

/* The stream data after a stream dictionary: "stream" EOL ... /Length. */
static int stream_data(struct ks_pdf_rd *rd, struct ks_cur *c, const struct ks_pdf_val *dict,
		       int depth, struct ks_cur *data)
{
	const struct ks_pdf_val *lv = ks_pdf_val_get(dict, "Length");
	struct ks_pdf_val *ind = NULL;
	long long len = -1;
	uint8_t b;
	int rc = -1;

	ks_pdf_lex_skip_ws(c);
	KS_ENSURE(ks_cur_accept(c, "stream", 6), KS_ERR_PARSE, "stream keyword missing");
	if (ks_cur_peek(c, &b) == 0 && b == '\r')
		adv(c, 1);
	if (ks_cur_peek(c, &b) == 0 && b == '\n')
		adv(c, 1);
	if (lv != NULL && lv->type == KS_PV_INT) {
		len = lv->i;
	} else if (lv != NULL && lv->type == KS_PV_REF && depth < RD_MAX_INDIRECTION) {
		KS_GUARD(get_obj(rd, lv->num, lv->gen, depth + 1, &ind, NULL));
		if (ind != NULL && ind->type == KS_PV_INT)
			len = ind->i;
	}
	KS_ENSURE(len >= 0 && (unsigned long long)len <= c->left, KS_ERR_PARSE,
		  "bad stream /Length");
	KS_GUARD(ks_cur_sub(c, (size_t)len, data));
	rc = 0;
out:
	ks_pdf_val_free(ind);
	return rc;
}

/* A number in the file, read through a cursor over the rest of it (from
 * ks_cur_at on whole): a failure says where ("digit expected at byte N"). */
static int rd_decimal(const struct ks_pdf_rd *rd, struct ks_cur *c, size_t max_digits, uint64_t max,
		      uint64_t *v)
{
	if (ks_cur_decimal(c, max_digits, max, v) == 0)
		return 0;
	return ks_err_set(ks_err_code(), ks_err_file(), ks_err_line(), "%s at byte %zu",
			  ks_err_msg(), rd->whole.left - c->left);
}

/* "num gen obj" at `off`, then the value; a stream's data into *stream. */
static int obj_at(struct ks_pdf_rd *rd, uint64_t off, uint32_t num, uint16_t gen, int depth,
		  struct ks_pdf_val **out, struct ks_cur *stream)
{
	struct ks_cur c;
	uint64_t n, g;
	struct ks_pdf_val *v = NULL;
	int rc = -1;

	*out = NULL;
	if (off > SIZE_MAX)
		KS_BAIL(KS_ERR_PDF_XREF, "offset out of range");
	KS_GUARD(ks_cur_at(&rd->whole, (size_t)off, &c));
	KS_GUARD(rd_decimal(rd, &c, 10, RD_MAX_OBJS, &n));
	ks_pdf_lex_skip_ws(&c);
	KS_GUARD(rd_decimal(rd, &c, 5, 65535, &g));
	ks_pdf_lex_skip_ws(&c);
	if ((num != 0 && (n != num || g != gen)) || !ks_cur_accept(&c, "obj", 3))
		KS_BAIL(KS_ERR_PDF_XREF, "cross-reference entry for object %u does not point at it",
			(unsigned)num);
	KS_GUARD(ks_pdf_lex_value(&c, 0, &v));
	if (stream != NULL) {
		memset(stream, 0, sizeof(*stream));
		ks_pdf_lex_skip_ws(&c);
		if (v->type == KS_PV_DICT && ks_cur_starts_with(&c, "stream", 6))
			KS_GUARD(stream_data(rd, &c, v, depth, stream));
	}
	*out = v;
	v = NULL;
	rc = 0;
out:
	ks_pdf_val_free(v);
	return rc;
}

/* Cross-reference stream at `off` (7.5.8): record its entries. */
static int rd_xref_stream(struct ks_pdf_rd *rd, uint64_t off, struct ks_pdf_val **trailer)
{
	struct ks_pdf_val *d = NULL;
	struct ks_cur raw, rows;
	struct ks_buf dec;
	const struct ks_pdf_val *w, *ix, *sz;
	size_t wd[3], rowlen, k;
	int rc = -1;

	ks_buf_init(&dec, RD_MAX_DECODED);
	*trailer = NULL;
	KS_GUARD(obj_at(rd, off, 0, 0, 0, &d, &raw));
	KS_ENSURE(d->type == KS_PV_DICT && ks_pdf_val_is_name(ks_pdf_val_get(d, "Type"), "XRef"),
		  KS_ERR_PDF_XREF, "no cross-reference at offset %llu", (unsigned long long)off);
	w = ks_pdf_val_get(d, "W");
	sz = ks_pdf_val_get(d, "Size");
	KS_ENSURE(w != NULL && w->type == KS_PV_ARRAY && w->n == 3 && sz != NULL &&
		      sz->type == KS_PV_INT && sz->i > 0 && sz->i <= RD_MAX_OBJS,
		  KS_ERR_PDF_XREF, "bad xref stream /W or /Size");
	for (k = 0; k < 3; k++) {
		KS_ENSURE(w->items[k]->type == KS_PV_INT && w->items[k]->i >= 0 &&
			      w->items[k]->i <= 8,
			  KS_ERR_PDF_XREF, "bad xref stream /W");
		wd[k] = (size_t)w->items[k]->i;
	}
	rowlen = wd[0] + wd[1] + wd[2];
	KS_ENSURE(rowlen > 0, KS_ERR_PDF_XREF, "empty xref stream rows");
	KS_GUARD(decode_stream(d, raw, &dec));
	ks_cur_from_buf(&rows, &dec);
	ix = ks_pdf_val_get(d, "Index");
	for (k = 0; ix == NULL ? k < 1 : k + 1 < ix->n; k += 2) {
		long long first = 0, count = sz->i, j;

		if (ix != NULL) {
			KS_ENSURE(ix->type == KS_PV_ARRAY && ix->items[k]->type == KS_PV_INT &&
				      ix->items[k + 1]->type == KS_PV_INT && ix->items[k]->i >= 0 &&
				      ix->items[k + 1]->i >= 0 &&
				      ix->items[k]->i + ix->items[k + 1]->i <= RD_MAX_OBJS,
				  KS_ERR_PDF_XREF, "bad xref stream /Index");
			first = ix->items[k]->i;
			count = ix->items[k + 1]->i;
		}
		for (j = 0; j < count; j++) {
			uint64_t f[3] = { 1, 0, 0 };
			size_t fi, b;
			uint8_t byte;

			for (fi = 0; fi < 3; fi++) {
				if (wd[fi] == 0)
					continue;
				f[fi] = 0;
				for (b = 0; b < wd[fi]; b++) {
					KS_GUARD(ks_cur_u8(&rows, &byte));
					f[fi] = f[fi] << 8 | byte;
				}
			}
			if (f[0] == 0)
				KS_GUARD(set_ent(rd, (uint64_t)(first + j), ENT_FREE, 0, 0, 0));
			else if (f[0] == 1)
				KS_GUARD(set_ent(rd, (uint64_t)(first + j), ENT_FILE, f[1], 0,
						 (uint16_t)f[2]));
			else if (f[0] == 2 && f[2] <= UINT32_MAX)
				KS_GUARD(set_ent(rd, (uint64_t)(first + j), ENT_OBJSTM, f[1],
						 (uint32_t)f[2], 0));
		}
	}
	*trailer = d;
	d = NULL;
	rc = 0;
out:
	ks_pdf_val_free(d);
	ks_buf_cleanup(&dec);
	return rc;
}

/* Classic cross-reference table at `off` (7.5.4) and its trailer. */
static int rd_xref_table(struct ks_pdf_rd *rd, struct ks_cur c, struct ks_pdf_val **trailer)
{
	uint64_t first, count, k, eoff, egen;
	uint8_t type;
	int rc = -1;

	*trailer = NULL;
	for (;;) {
		ks_pdf_lex_skip_ws(&c);
		if (ks_cur_accept(&c, "trailer", 7))
			break;
		KS_GUARD(rd_decimal(rd, &c, 10, RD_MAX_OBJS, &first));
		ks_pdf_lex_skip_ws(&c);
		KS_GUARD(rd_decimal(rd, &c, 10, RD_MAX_OBJS, &count));
		KS_ENSURE(first + count <= RD_MAX_OBJS, KS_ERR_LIMIT, "too many objects");
		for (k = 0; k < count; k++) {
			ks_pdf_lex_skip_ws(&c);
			KS_GUARD(rd_decimal(rd, &c, 10, UINT64_MAX / 2, &eoff));
			ks_pdf_lex_skip_ws(&c);
			KS_GUARD(rd_decimal(rd, &c, 5, 65535, &egen));
			ks_pdf_lex_skip_ws(&c);
			KS_GUARD(ks_cur_u8(&c, &type));
			KS_ENSURE(type == 'n' || type == 'f', KS_ERR_PDF_XREF, "bad xref entry");
			KS_GUARD(set_ent(rd, first + k, type == 'n' ? ENT_FILE : ENT_FREE, eoff, 0,
					 (uint16_t)egen));
		}
	}
	KS_GUARD(ks_pdf_lex_value(&c, 0, trailer));
	KS_ENSURE((*trailer)->type == KS_PV_DICT, KS_ERR_PARSE, "trailer is not a dictionary");
	rc = 0;
out:
	if (rc < 0) {
		ks_pdf_val_free(*trailer);
		*trailer = NULL;
	}
	return rc;
}

/* One section (table or stream) at `off`; *trailer gets its dictionary. */
static int rd_section(struct ks_pdf_rd *rd, uint64_t off, bool *is_stream,
		      struct ks_pdf_val **trailer)
{
	struct ks_cur c;
	const struct ks_pdf_val *xs;
	struct ks_pdf_val *hy = NULL;
	int rc = -1;

	KS_ENSURE(off < rd->whole.left, KS_ERR_PDF_XREF, "xref offset %llu beyond end of file",
		  (unsigned long long)off);
	KS_GUARD(ks_cur_at(&rd->whole, (size_t)off, &c));
	if (ks_cur_accept(&c, "xref", 4)) {
		*is_stream = false;
		KS_GUARD(rd_xref_table(rd, c, trailer));
		/* Hybrid file (7.5.8.4): the stream fills what the table lacks. */
		xs = ks_pdf_val_get(*trailer, "XRefStm");
		if (xs != NULL && xs->type == KS_PV_INT && xs->i >= 0) {
			*is_stream = true;
			KS_GUARD(rd_xref_stream(rd, (uint64_t)xs->i, &hy));
		}
	} else {
		*is_stream = true;
		KS_GUARD(rd_xref_stream(rd, off, trailer));
	}
	rc = 0;
out:
	ks_pdf_val_free(hy);
	return rc;
}

int ks_pdf_rd_open(const uint8_t *p, size_t n, struct ks_pdf_rd **out)
{
	struct ks_pdf_rd *rd = NULL;
	size_t i, from = n > RD_TAIL ? n - RD_TAIL : 0, at = SIZE_MAX;
	struct ks_cur c;
	uint64_t sx, off;
	struct ks_pdf_val *tr = NULL;
	const struct ks_pdf_val *v;
	int sections = 0, rc = -1;
	bool is_stream = false, more = true;

	*out = NULL;
	rd = calloc(1, sizeof(*rd));
	if (rd == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < RD_OBJSTM_CACHE; i++)
		ks_buf_init(&rd->cache[i].data, RD_MAX_DECODED);
	ks_cur_init(&rd->whole, p, n);
	KS_ENSURE(n >= 8 && memcmp(p, "%PDF-", 5) == 0, KS_ERR_PDF,
		  "not a PDF file (no %%PDF- header)");
	for (i = from; i + 9 <= n; i++)
		if (memcmp(p + i, "startxref", 9) == 0)
			at = i;
	KS_ENSURE(at != SIZE_MAX, KS_ERR_PDF, "no startxref near the end of the file (truncated?)");
	KS_GUARD(ks_cur_at(&rd->whole, at + 9, &c));
	ks_pdf_lex_skip_ws(&c);
	KS_GUARD(rd_decimal(rd, &c, 20, n, &sx));
	rd->info.startxref = sx;
	off = sx;
	/* The newest section, then /Prev back to the first. */
	while (more) {
		bool st;

		KS_ENSURE(++sections <= RD_MAX_SECTIONS, KS_ERR_LIMIT,
			  "more than %d cross-reference sections (a /Prev loop?)", RD_MAX_SECTIONS);
		KS_GUARD(rd_section(rd, off, &st, &tr));
		if (rd->trailer == NULL) {
			rd->trailer = tr;
			is_stream = st;
		}
		v = ks_pdf_val_get(tr, "Prev");
		more = v != NULL && v->type == KS_PV_INT && v->i >= 0;
		if (more) {
			KS_ENSURE((uint64_t)v->i != off, KS_ERR_PDF_XREF, "/Prev points at itself");
			off = (uint64_t)v->i;
		}
		if (tr != rd->trailer)
			ks_pdf_val_free(tr);
		tr = NULL;
	}
	v = ks_pdf_val_get(rd->trailer, "Root");
	KS_ENSURE(v != NULL && v->type == KS_PV_REF, KS_ERR_PDF, "the trailer has no /Root");
	rd->info.root_num = v->num;
	rd->info.root_gen = v->gen;
	v = ks_pdf_val_get(rd->trailer, "Info");
	if (v != NULL && v->type == KS_PV_REF) {
		rd->info.info_num = v->num;
		rd->info.info_gen = v->gen;
	}
	v = ks_pdf_val_get(rd->trailer, "Size");
	KS_ENSURE(v != NULL && v->type == KS_PV_INT && v->i > 0 && v->i <= RD_MAX_OBJS, KS_ERR_PDF,
		  "the trailer has no valid /Size");
	rd->info.size = (uint32_t)v->i;
	if (rd->n > rd->info.size)
		rd->info.size = rd->n;
	v = ks_pdf_val_get(rd->trailer, "ID");
	if (v != NULL && v->type == KS_PV_ARRAY && v->n == 2 && v->items[0]->type == KS_PV_STRING &&
	    v->items[0]->len <= sizeof(rd->info.id0)) {
		memcpy(rd->info.id0, v->items[0]->s, v->items[0]->len);
		rd->info.id0_len = v->items[0]->len;
	}
	rd->info.encrypted = ks_pdf_val_get(rd->trailer, "Encrypt") != NULL;
	rd->info.xref_stream = is_stream;
	rd->info.repaired = false; /* this layer never reconstructs */
	*out = rd;
	rd = NULL;
	rc = 0;
out:
	/* tr may be the trailer the reader already owns. */
	if (rd == NULL || tr != rd->trailer)
		ks_pdf_val_free(tr);
	ks_pdf_rd_close(rd);
	return rc;
}

void ks_pdf_rd_close(struct ks_pdf_rd *rd)
{
	size_t i;

	if (rd == NULL)
		return;
	for (i = 0; i < RD_OBJSTM_CACHE; i++)
		ks_buf_cleanup(&rd->cache[i].data);
	free(rd->ents);
	ks_pdf_val_free(rd->trailer);
	free(rd);
}

int ks_pdf_rd_info(struct ks_pdf_rd *rd, struct ks_pdf_rd_info *info)
{
	*info = rd->info;
	return 0;
}

/* The decoded object stream `num` (7.5.7), cached. */
static int load_objstm(struct ks_pdf_rd *rd, uint32_t num, int depth, struct objstm **out)
{
	struct objstm *s;
	struct ks_pdf_val *d = NULL;
	struct ks_cur raw;
	const struct ks_pdf_val *n, *f;
	size_t i;
	int rc = -1;

	for (i = 0; i < RD_OBJSTM_CACHE; i++) {
		if (rd->cache[i].num == num) {
			*out = &rd->cache[i];
			return 0;
		}
	}
	KS_ENSURE(num < rd->n && rd->ents[num].type == ENT_FILE, KS_ERR_PDF_XREF,
		  "object stream %u is missing", (unsigned)num);
	s = &rd->cache[rd->next_slot];
	rd->next_slot = (rd->next_slot + 1) % RD_OBJSTM_CACHE;
	s->num = 0;
	ks_buf_reset(&s->data);
	KS_GUARD(obj_at(rd, rd->ents[num].off, num, rd->ents[num].gen, depth, &d, &raw));
	n = ks_pdf_val_get(d, "N");
	f = ks_pdf_val_get(d, "First");
	KS_ENSURE(ks_pdf_val_is_name(ks_pdf_val_get(d, "Type"), "ObjStm") && n != NULL &&
		      n->type == KS_PV_INT && n->i >= 0 && n->i <= RD_MAX_OBJSTM_N && f != NULL &&
		      f->type == KS_PV_INT && f->i >= 0,
		  KS_ERR_PDF, "object %u is not a valid object stream", (unsigned)num);
	KS_GUARD(decode_stream(d, raw, &s->data));
	KS_ENSURE((uint64_t)f->i <= s->data.len, KS_ERR_PDF, "object stream /First out of range");
	s->n = (uint32_t)n->i;
	s->first = (uint32_t)f->i;
	s->num = num;
	*out = s;
	rc = 0;
out:
	ks_pdf_val_free(d);
	return rc;
}

static int get_obj(struct ks_pdf_rd *rd, uint32_t num, uint16_t gen, int depth,
		   struct ks_pdf_val **out, struct ks_cur *stream)
{
	const struct ent *e;
	struct objstm *s = NULL;
	struct ks_cur hdr, c, whole;
	uint64_t onum = 0, ooff = 0;
	uint32_t k;
	size_t at;

	*out = NULL;
	if (depth > RD_MAX_INDIRECTION)
		return KS_SET(KS_ERR_LIMIT, "too many levels of indirection");
	if (num >= rd->n)
		return 0;
	e = &rd->ents[num];
	if (e->type == ENT_FILE) {
		if (e->gen != gen)
			return 0;
		return obj_at(rd, e->off, num, gen, depth, out, stream);
	}
	if (e->type != ENT_OBJSTM || gen != 0 || e->off > UINT32_MAX)
		return 0;
	if (load_objstm(rd, (uint32_t)e->off, depth + 1, &s) < 0)
		return -1;
	if (e->idx >= s->n)
		return KS_SET(KS_ERR_PDF, "object %u: index beyond its object stream",
			      (unsigned)num);
	ks_cur_init(&hdr, s->data.data, s->first);
	for (k = 0; k <= e->idx; k++) {
		ks_pdf_lex_skip_ws(&hdr);
		if (ks_cur_decimal(&hdr, 10, RD_MAX_OBJS, &onum) < 0)
			return -1;
		ks_pdf_lex_skip_ws(&hdr);
		if (ks_cur_decimal(&hdr, 20, SIZE_MAX, &ooff) < 0)
			return -1;
	}
	if (onum != num)
		return KS_SET(KS_ERR_PDF, "object stream header does not list object %u",
			      (unsigned)num);
	ks_cur_from_buf(&whole, &s->data);
	if (ks_add_size(s->first, (size_t)ooff, &at) < 0 || ks_cur_at(&whole, at, &c) < 0)
		return -1;
	if (stream != NULL)
		memset(stream, 0, sizeof(*stream));
	return ks_pdf_lex_value(&c, 0, out);
}

int ks_pdf_rd_get(struct ks_pdf_rd *rd, uint32_t num, uint16_t gen, struct ks_pdf_val **out)
{
	return get_obj(rd, num, gen, 0, out, NULL);
}
