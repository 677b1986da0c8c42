/* ks_pdfdoc stream filters (ISO 32000-1 7.4): FlateDecode with PNG and
 * TIFF predictors, ASCIIHexDecode, ASCII85Decode, RunLengthDecode.  Every
 * stage writes into a buffer whose hard maximum is the smaller of
 * max_stream and what max_ratio allows for the raw length, so a bomb is
 * stopped after `budget` bytes, not after it has been inflated. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "formats/pdf/ks_pdfdoc_int.h"
#include "ks_size.h"

/* More filters than this in one /Filter array is not a real file. */
#define PD_MAX_FILTERS 16
/* Predictor parameters (7.4.4.4 Table 8) accepted. */
#define PD_MAX_COLORS 32
#define PD_MAX_COLUMNS ((int64_t)1 << 24)
#define PD_INFLATE_CHUNK ((size_t)64 << 10)

static int flate(struct ks_cur in, struct ks_buf *out)
{
	uint8_t chunk[PD_INFLATE_CHUNK];
	const uint8_t *p = NULL;
	z_stream z;
	size_t n, produced;
	int zr, rc = -1;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return KS_SET(KS_ERR_NOMEM, "zlib init failed");
	for (;;) {
		if (z.avail_in == 0 && in.left > 0) {
			n = in.left < UINT_MAX ? in.left : UINT_MAX;
			KS_GUARD(ks_cur_bytes(&in, n, &p));
			z.next_in = (Bytef *)(uintptr_t)p; /* zlib does not write input */
			z.avail_in = (uInt)n;
		}
		z.next_out = chunk;
		z.avail_out = (uInt)sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		produced = sizeof(chunk) - z.avail_out;
		if (ks_buf_append(out, chunk, produced) < 0)
			KS_BAIL(KS_ERR_LIMIT, "FlateDecode output beyond %zu bytes", out->max);
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR || (zr == Z_OK && produced == 0 && z.avail_in == 0)) {
			/* The input ended before the end of the deflate stream:
			 * keep what it gave (truncated streams are common). */
			if (z.avail_in == 0 && in.left == 0)
				break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			KS_BAIL(KS_ERR_PDF, "FlateDecode: %s",
				z.msg != NULL ? z.msg : "corrupt data");
	}
	rc = 0;
out:
	inflateEnd(&z);
	return rc;
}

/* 7.4.2 */
static int ascii_hex(struct ks_cur in, struct ks_buf *out)
{
	uint8_t b;
	int hi = -1, h;

	while (!ks_cur_eof(&in) && ks_cur_u8(&in, &b) == 0 && b != '>') {
		if (ks_pdf_is_ws(b))
			continue;
		h = ks_hex_value(b);
		if (h < 0)
			return KS_SET(KS_ERR_PDF, "ASCIIHexDecode: bad byte 0x%02x", b);
		if (hi < 0) {
			hi = h;
		} else {
			if (ks_buf_append_byte(out, (uint8_t)(hi << 4 | h)) < 0)
				return -1;
			hi = -1;
		}
	}
	ks_err_clear();
	if (hi >= 0 && ks_buf_append_byte(out, (uint8_t)(hi << 4)) < 0)
		return -1;
	return 0;
}

/* 7.4.3 */
static int ascii85(struct ks_cur in, struct ks_buf *out)
{
	uint8_t b, tuple[4];
	uint32_t acc = 0;
	size_t n = 0, k;

	while (!ks_cur_eof(&in) && ks_cur_u8(&in, &b) == 0) {
		if (ks_pdf_is_ws(b))
			continue;
		if (b == '~')
			break;
		if (b == 'z' && n == 0) {
			if (ks_buf_append(out, "\0\0\0\0", 4) < 0)
				return -1;
			continue;
		}
		if (b < '!' || b > 'u')
			return KS_SET(KS_ERR_PDF, "ASCII85Decode: bad byte 0x%02x", b);
		if (acc > (UINT32_MAX - (uint32_t)(b - '!')) / 85 && n == 4)
			return KS_SET(KS_ERR_PDF, "ASCII85Decode: group overflows");
		acc = acc * 85 + (uint32_t)(b - '!');
		if (++n == 5) {
			for (k = 0; k < 4; k++)
				tuple[k] = (uint8_t)(acc >> (24 - 8 * k));
			if (ks_buf_append(out, tuple, 4) < 0)
				return -1;
			acc = 0;
			n = 0;
		}
	}
	ks_err_clear();
	if (n == 1)
		return KS_SET(KS_ERR_PDF, "ASCII85Decode: a final group of one character");
	if (n > 1) {
		/* pad with 'u' (84) and keep n-1 bytes */
		for (k = n; k < 5; k++)
			acc = acc * 85 + 84;
		for (k = 0; k < n - 1; k++)
			tuple[k] = (uint8_t)(acc >> (24 - 8 * k));
		if (ks_buf_append(out, tuple, n - 1) < 0)
			return -1;
	}
	return 0;
}

/* 7.4.5 */
static int run_length(struct ks_cur in, struct ks_buf *out)
{
	uint8_t len, b;
	const uint8_t *p = NULL;
	size_t k;

	while (!ks_cur_eof(&in) && ks_cur_u8(&in, &len) == 0 && len != 128) {
		if (len < 128) {
			if (ks_cur_bytes(&in, (size_t)len + 1, &p) < 0)
				return KS_SET(KS_ERR_PDF, "RunLengthDecode: truncated run");
			if (ks_buf_append(out, p, (size_t)len + 1) < 0)
				return -1;
		} else {
			if (ks_cur_u8(&in, &b) < 0)
				return KS_SET(KS_ERR_PDF, "RunLengthDecode: truncated run");
			for (k = 0; k < 257u - len; k++)
				if (ks_buf_append_byte(out, b) < 0)
					return -1;
		}
	}
	ks_err_clear();
	return 0;
}

/* ------------------------------------------------------------ predictors */

struct pred {
	int64_t predictor, colors, bpc, columns;
	size_t rowbytes, bpp;
};

static int int_param(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *parms,
		     const char *key, int64_t def, int64_t lo, int64_t hi, int64_t *v)
{
	const struct ks_pdfobj *o = NULL;

	*v = def;
	if (parms == NULL)
		return 0;
	if (ks_pd_dict_get(doc, rev, parms, key, &o) < 0)
		return -1;
	if (o == NULL || o->type == KS_PDFOBJ_NULL)
		return 0;
	if (!ks_pdfobj_int(o, v) || *v < lo || *v > hi)
		return KS_SET(KS_ERR_PDF, "/DecodeParms /%s out of range", key);
	return 0;
}

static int pred_params(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *parms,
		       struct pred *p)
{
	uint64_t bits;

	if (int_param(doc, rev, parms, "Predictor", 1, 0, INT32_MAX, &p->predictor) < 0)
		return -1;
	if (p->predictor <= 1)
		return 0;
	if (p->predictor != 2 && (p->predictor < 10 || p->predictor > 15))
		return KS_SET(KS_ERR_UNSUPPORTED, "predictor %lld", (long long)p->predictor);
	if (int_param(doc, rev, parms, "Colors", 1, 1, PD_MAX_COLORS, &p->colors) < 0 ||
	    int_param(doc, rev, parms, "BitsPerComponent", 8, 1, 16, &p->bpc) < 0 ||
	    int_param(doc, rev, parms, "Columns", 1, 1, PD_MAX_COLUMNS, &p->columns) < 0)
		return -1;
	if (p->bpc != 1 && p->bpc != 2 && p->bpc != 4 && p->bpc != 8 && p->bpc != 16)
		return KS_SET(KS_ERR_PDF, "/BitsPerComponent %lld", (long long)p->bpc);
	/* bounded: 32 * 16 * 2^24 fits easily */
	bits = (uint64_t)p->colors * (uint64_t)p->bpc * (uint64_t)p->columns;
	p->rowbytes = (size_t)((bits + 7) / 8);
	p->bpp = (size_t)(((uint64_t)p->colors * (uint64_t)p->bpc + 7) / 8);
	return 0;
}

static uint8_t paeth(uint8_t a, uint8_t b, uint8_t c)
{
	int p = (int)a + (int)b - (int)c;
	int pa = p > a ? p - a : a - p, pb = p > b ? p - b : b - p, pc = p > c ? p - c : c - p;

	if (pa <= pb && pa <= pc)
		return a;
	return pb <= pc ? b : c;
}

/* 7.4.4.4 and the PNG specification, filter types 0-4 per row. */
static int png_unpredict(const struct pred *p, const struct ks_buf *in, struct ks_buf *out)
{
	struct ks_cur c;
	uint8_t *prev = NULL, *row = NULL, tag;
	size_t i, n;
	int rc = -1;

	prev = calloc(1, p->rowbytes);
	row = calloc(1, p->rowbytes);
	if (prev == NULL || row == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory (predictor row of %zu)", p->rowbytes);
	ks_cur_from_buf(&c, in);
	while (!ks_cur_eof(&c) && ks_cur_u8(&c, &tag) == 0) {
		n = c.left < p->rowbytes ? c.left : p->rowbytes; /* a short last row is kept */
		KS_GUARD(ks_cur_copy(&c, row, n));
		for (i = 0; i < n; i++) {
			uint8_t a = i >= p->bpp ? row[i - p->bpp] : 0;
			uint8_t up = prev[i], ul = i >= p->bpp ? prev[i - p->bpp] : 0;

			switch (tag) {
			case 0:
				break;
			case 1:
				row[i] = (uint8_t)(row[i] + a);
				break;
			case 2:
				row[i] = (uint8_t)(row[i] + up);
				break;
			case 3:
				row[i] = (uint8_t)(row[i] + (a + up) / 2);
				break;
			case 4:
				row[i] = (uint8_t)(row[i] + paeth(a, up, ul));
				break;
			default:
				KS_BAIL(KS_ERR_PDF, "PNG predictor: bad row filter type %u", tag);
			}
		}
		KS_GUARD(ks_buf_append(out, row, n));
		memcpy(prev, row, n);
	}
	ks_err_clear();
	rc = 0;
out:
	free(prev);
	free(row);
	return rc;
}

static unsigned get_bits(const uint8_t *row, size_t bitpos, unsigned w)
{
	unsigned byte = row[bitpos / 8], shift = (unsigned)(8 - w - bitpos % 8);

	return (byte >> shift) & ((1u << w) - 1);
}

static void set_bits(uint8_t *row, size_t bitpos, unsigned w, unsigned v)
{
	unsigned shift = (unsigned)(8 - w - bitpos % 8), mask = ((1u << w) - 1) << shift;

	row[bitpos / 8] = (uint8_t)((row[bitpos / 8] & ~mask) | ((v << shift) & mask));
}

/* 7.4.4.4: TIFF Predictor 2, horizontal differencing per component. */
static int tiff_unpredict(const struct pred *p, struct ks_buf *buf)
{
	size_t r, k, samples = (size_t)(p->colors * p->columns), colors = (size_t)p->colors;
	size_t rows = buf->len / p->rowbytes;
	unsigned w = (unsigned)p->bpc, v;
	uint8_t *row;

	for (r = 0; r < rows; r++) {
		row = buf->data + r * p->rowbytes;
		for (k = colors; k < samples; k++) {
			if (w == 16) {
				v = (unsigned)(row[2 * k] << 8 | row[2 * k + 1]) +
				    (unsigned)(row[2 * (k - colors)] << 8 |
					       row[2 * (k - colors) + 1]);
				row[2 * k] = (uint8_t)(v >> 8);
				row[2 * k + 1] = (uint8_t)v;
			} else if (w == 8) {
				row[k] = (uint8_t)(row[k] + row[k - colors]);
			} else {
				v = get_bits(row, k * w, w) + get_bits(row, (k - colors) * w, w);
				set_bits(row, k * w, w, v);
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- chain */

static int one_filter(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *name,
		      const struct ks_pdfobj *parms, struct ks_cur in, struct ks_buf *out)
{
	struct ks_buf tmp;
	struct pred p;
	int rc = -1;

	ks_buf_init(&tmp, out->max);
	memset(&p, 0, sizeof(p));
	if (name == NULL || name->type != KS_PDFOBJ_NAME)
		KS_BAIL(KS_ERR_PDF, "/Filter entry is not a name");
	if (parms != NULL && parms->type != KS_PDFOBJ_DICT && parms->type != KS_PDFOBJ_NULL)
		KS_BAIL(KS_ERR_PDF, "/DecodeParms entry is not a dictionary");
	if (ks_pdfobj_is_name(name, "FlateDecode") || ks_pdfobj_is_name(name, "Fl")) {
		KS_GUARD(pred_params(doc, rev, parms, &p));
		if (p.predictor <= 1) {
			KS_GUARD(flate(in, out));
		} else {
			KS_GUARD(flate(in, &tmp));
			if (p.predictor == 2) {
				KS_GUARD(tiff_unpredict(&p, &tmp));
				ks_buf_move(out, &tmp);
				tmp.max = out->max;
			} else {
				KS_GUARD(png_unpredict(&p, &tmp, out));
			}
		}
	} else if (ks_pdfobj_is_name(name, "ASCIIHexDecode") || ks_pdfobj_is_name(name, "AHx")) {
		KS_GUARD(ascii_hex(in, out));
	} else if (ks_pdfobj_is_name(name, "ASCII85Decode") || ks_pdfobj_is_name(name, "A85")) {
		KS_GUARD(ascii85(in, out));
	} else if (ks_pdfobj_is_name(name, "RunLengthDecode") || ks_pdfobj_is_name(name, "RL")) {
		KS_GUARD(run_length(in, out));
	} else {
		KS_BAIL(KS_ERR_UNSUPPORTED, "unsupported filter /%s", name->u.name.s);
	}
	rc = 0;
out:
	ks_buf_cleanup(&tmp);
	return rc;
}

int ks_pd_stream_decode_rev(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *s,
			    struct ks_buf *out)
{
	const struct ks_pdfobj *d, *filters = NULL, *parms = NULL, *f = NULL, *pa = NULL;
	struct ks_buf a, b;
	struct ks_cur raw, in;
	size_t budget, nf, i, ratio_max, keep_max;
	bool keep_secret;
	int rc = -1;

	if (s == NULL || s->type != KS_PDFOBJ_STREAM)
		return KS_SET(KS_ERR_ARG, "not a stream");
	d = s->u.stream.dict;
	budget = doc->lim.max_stream;
	if (ks_mul_size(s->u.stream.data_len, doc->lim.max_ratio, &ratio_max) == 0) {
		if (ratio_max < doc->lim.ratio_allowance)
			ratio_max = doc->lim.ratio_allowance;
		if (ratio_max < budget)
			budget = ratio_max;
	}
	ks_err_clear();
	ks_buf_init(&a, budget);
	ks_buf_init(&b, budget);
	if (doc->encrypted && !ks_pdfobj_is_name(ks_pdfobj_get(d, "Type"), "XRef"))
		KS_BAIL(KS_ERR_UNSUPPORTED, "stream at offset %zu is encrypted", s->start);
	KS_GUARD(ks_cur_range(&doc->in, s->u.stream.data_off, s->u.stream.data_len, &raw));
	KS_GUARD(ks_pd_dict_get(doc, rev, d, "Filter", &filters));
	KS_GUARD(ks_pd_dict_get(doc, rev, d, "DecodeParms", &parms));
	if (filters != NULL && filters->type == KS_PDFOBJ_NULL)
		filters = NULL;
	if (parms != NULL && parms->type == KS_PDFOBJ_NULL)
		parms = NULL;
	nf = filters == NULL ? 0 : filters->type == KS_PDFOBJ_ARRAY ? filters->u.arr.n : 1;
	if (nf > PD_MAX_FILTERS)
		KS_BAIL(KS_ERR_LIMIT, "stream at offset %zu: more than %d filters", s->start,
			PD_MAX_FILTERS);
	if (parms != NULL && parms->type != KS_PDFOBJ_DICT &&
	    (parms->type != KS_PDFOBJ_ARRAY || filters == NULL || filters->type != KS_PDFOBJ_ARRAY))
		KS_BAIL(KS_ERR_PDF, "stream at offset %zu: bad /DecodeParms", s->start);
	if (nf == 0) {
		struct ks_cur all = raw;
		const uint8_t *p = NULL;

		KS_GUARD(ks_cur_bytes(&all, raw.left, &p));
		KS_GUARD(ks_buf_append(&a, p, raw.left));
	}
	in = raw;
	for (i = 0; i < nf; i++) {
		struct ks_buf *dst = i % 2 == 0 ? &a : &b;

		f = filters->type == KS_PDFOBJ_ARRAY ? filters->u.arr.items[i] : filters;
		pa = parms;
		if (parms != NULL && parms->type == KS_PDFOBJ_ARRAY)
			pa = i < parms->u.arr.n ? parms->u.arr.items[i] : NULL;
		KS_GUARD(ks_pd_resolve(doc, rev, f, &f));
		KS_GUARD(ks_pd_resolve(doc, rev, pa, &pa));
		ks_buf_reset(dst);
		if (one_filter(doc, rev, f, pa, in, dst) < 0) {
			if (ks_err_code() == KS_ERR_LIMIT && budget < doc->lim.max_stream)
				KS_BAIL(KS_ERR_LIMIT,
					"stream at offset %zu: decompression ratio "
					"above %zu:1 (%s)",
					s->start, doc->lim.max_ratio, ks_err_msg());
			KS_BAIL(ks_err_code(), "stream at offset %zu: %s", s->start, ks_err_msg());
		}
		ks_cur_from_buf(&in, dst);
	}
	{
		struct ks_buf *res = nf % 2 == 1 || nf == 0 ? &a : &b;

		if (res->len > out->max)
			KS_BAIL(KS_ERR_LIMIT, "decoded stream of %zu bytes beyond %zu", res->len,
				out->max);
		keep_max = out->max;
		keep_secret = out->secret;
		ks_buf_move(out, res);
		out->max = keep_max;
		out->secret = keep_secret;
	}
	rc = 0;
out:
	ks_buf_cleanup(&a);
	ks_buf_cleanup(&b);
	return rc;
}
