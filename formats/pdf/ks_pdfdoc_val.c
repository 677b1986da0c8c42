/* The values of the PDF reader (ks_pdfdoc.h): the null object, direct
 * accessors, and text strings as UTF-8 (ISO 32000-1 7.9.2.2, PDFDocEncoding
 * Annex D).  No lookup: this file depends on no other part of the reader. */
#include <string.h>

#include "formats/pdf/ks_pdfdoc_int.h"
#include "ks_utf8.h"

const char ks_pd_sentinel[2];

static const struct ks_pdfobj null_obj = { .type = KS_PDFOBJ_NULL };

const struct ks_pdfobj *ks_pdfobj_null(void)
{
	return &null_obj;
}

const struct ks_pdfobj *ks_pdfobj_dict(const struct ks_pdfobj *o)
{
	if (o == NULL)
		return NULL;
	if (o->type == KS_PDFOBJ_STREAM)
		return o->u.stream.dict;
	return o->type == KS_PDFOBJ_DICT ? o : NULL;
}

const struct ks_pdfobj *ks_pdfobj_get(const struct ks_pdfobj *dict, const char *key)
{
	const struct ks_pdfobj *d = ks_pdfobj_dict(dict);
	size_t i, n;

	if (d == NULL || key == NULL)
		return NULL;
	n = strlen(key);
	for (i = 0; i < d->u.dict.n; i++)
		if (d->u.dict.e[i].key_len == n && memcmp(d->u.dict.e[i].key, key, n) == 0)
			return d->u.dict.e[i].val;
	return NULL;
}

bool ks_pdfobj_is_name(const struct ks_pdfobj *o, const char *name)
{
	size_t n = strlen(name);

	return o != NULL && o->type == KS_PDFOBJ_NAME && o->u.name.len == n &&
	       memcmp(o->u.name.s, name, n) == 0;
}

bool ks_pdfobj_int(const struct ks_pdfobj *o, int64_t *v)
{
	if (o == NULL || o->type != KS_PDFOBJ_INT)
		return false;
	*v = o->u.i;
	return true;
}

bool ks_pdfobj_number(const struct ks_pdfobj *o, double *v)
{
	if (o == NULL)
		return false;
	if (o->type == KS_PDFOBJ_INT)
		*v = (double)o->u.i;
	else if (o->type == KS_PDFOBJ_REAL)
		*v = o->u.r;
	else
		return false;
	return true;
}

const char *ks_pdfobj_type_name(enum ks_pdfobj_type t)
{
	static const char *const names[] = { "null",   "bool",  "int",  "real",   "name",
					     "string", "array", "dict", "stream", "ref" };

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

/* ISO 32000-1 D.2: PDFDocEncoding 0x18-0x1f and 0x80-0xa0 where they
 * differ from Latin-1 (0 = undefined). */
static const uint16_t pdfdoc_low[8] = { 0x02d8, 0x02c7, 0x02c6, 0x02d9,
					0x02dd, 0x02db, 0x02da, 0x02dc };
static const uint16_t pdfdoc_high[33] = {
	0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044, 0x2039, 0x203a, 0x2212,
	0x2030, 0x201e, 0x201c, 0x201d, 0x2018, 0x2019, 0x201a, 0x2122, 0xfb01, 0xfb02, 0x0141,
	0x0152, 0x0160, 0x0178, 0x017d, 0x0131, 0x0142, 0x0153, 0x0161, 0x017e, 0,      0x20ac,
};

int ks_pdfobj_text_utf8(const struct ks_pdfobj *str, struct ks_buf *out)
{
	struct ks_cur c;
	uint16_t u, lo;
	uint8_t b;
	uint32_t cp;

	if (str == NULL || str->type != KS_PDFOBJ_STRING)
		return KS_SET(KS_ERR_PDF, "text string expected");
	ks_cur_init(&c, str->u.str.s, str->u.str.len);
	if (ks_cur_accept(&c, "\xfe\xff", 2)) {
		/* 7.9.2.2: UTF-16BE with its byte order mark */
		while (!ks_cur_eof(&c)) {
			if (ks_cur_u16be(&c, &u) < 0)
				return KS_SET(KS_ERR_ENCODING, "odd-length UTF-16 text string");
			cp = u;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (ks_cur_u16be(&c, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return KS_SET(KS_ERR_ENCODING, "bad UTF-16 surrogate pair");
				cp = 0x10000 + ((uint32_t)(u - 0xd800) << 10) + (lo - 0xdc00u);
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				return KS_SET(KS_ERR_ENCODING, "lone UTF-16 surrogate");
			}
			if (ks_utf8_put(out, cp) < 0)
				return -1;
		}
		return 0;
	}
	if (ks_cur_accept(&c, "\xef\xbb\xbf", 3)) {
		/* ISO 32000-2 7.9.2.2.1: UTF-8 with its byte order mark.  An
		 * ill-formed byte becomes U+FFFD, as an undefined PDFDoc code
		 * does below: the output is always well-formed, and the same
		 * bytes always give the same text (field names compare). */
		while (!ks_cur_eof(&c)) {
			size_t k = ks_utf8_peek(&c, &cp);

			if (k == 0) {
				cp = 0xfffd;
				k = 1;
			}
			if (ks_cur_skip(&c, k) < 0 || ks_utf8_put(out, cp) < 0)
				return -1;
		}
		return 0;
	}
	while (!ks_cur_eof(&c)) {
		if (ks_cur_u8(&c, &b) < 0)
			return -1;
		cp = b;
		if (b >= 0x18 && b <= 0x1f)
			cp = pdfdoc_low[b - 0x18];
		else if (b >= 0x80 && b <= 0xa0)
			cp = pdfdoc_high[b - 0x80];
		if (cp == 0)
			cp = 0xfffd;
		if (ks_utf8_put(out, cp) < 0)
			return -1;
	}
	return 0;
}
