#include "ks_utf8.h"

enum utf8_why {
	UTF8_OK,
	UTF8_EMPTY,
	UTF8_LEAD,
	UTF8_SHORT,
	UTF8_CONT,
	UTF8_VALUE,
};

/* One decoding step shared by every reader: why it failed, or the length
 * and value of the sequence. */
static enum utf8_why decode(const struct ks_cur *c, uint32_t *cp, size_t *len)
{
	uint8_t b0, bx;
	uint32_t v, min;
	size_t n, i;

	if (ks_cur_eof(c))
		return UTF8_EMPTY;
	b0 = c->p[0];
	if (b0 < 0x80) {
		*cp = b0;
		*len = 1;
		return UTF8_OK;
	} else if ((b0 & 0xe0) == 0xc0) {
		n = 2, v = b0 & 0x1fu, min = 0x80;
	} else if ((b0 & 0xf0) == 0xe0) {
		n = 3, v = b0 & 0x0fu, min = 0x800;
	} else if ((b0 & 0xf8) == 0xf0) {
		n = 4, v = b0 & 0x07u, min = 0x10000;
	} else {
		return UTF8_LEAD; /* a continuation byte, or F8..FF */
	}
	for (i = 1; i < n; i++) {
		if (i >= c->left)
			return UTF8_SHORT;
		bx = c->p[i];
		if ((bx & 0xc0) != 0x80)
			return UTF8_CONT;
		v = (v << 6) | (bx & 0x3fu);
	}
	/* RFC 3629 3: shortest form, no surrogates, at most U+10FFFF. */
	if (v < min || v > KS_UTF8_MAX_CP || (v >= 0xd800 && v <= 0xdfff)) {
		*cp = v;
		return UTF8_VALUE;
	}
	*cp = v;
	*len = n;
	return UTF8_OK;
}

size_t ks_utf8_peek(const struct ks_cur *c, uint32_t *cp)
{
	uint32_t v = 0;
	size_t n = 0;

	if (decode(c, &v, &n) != UTF8_OK)
		return 0;
	*cp = v;
	return n;
}

int ks_utf8_next(struct ks_cur *c, uint32_t *cp)
{
	uint32_t v = 0;
	size_t n = 0;

	switch (decode(c, &v, &n)) {
	case UTF8_OK:
		break;
	case UTF8_EMPTY:
		return KS_SET(KS_ERR_TRUNCATED, "input ends, a UTF-8 character expected");
	case UTF8_LEAD:
		return KS_SET(KS_ERR_ENCODING, "invalid UTF-8 lead byte 0x%02x", c->p[0]);
	case UTF8_SHORT:
		return KS_SET(KS_ERR_ENCODING, "truncated UTF-8 sequence");
	case UTF8_CONT:
		return KS_SET(KS_ERR_ENCODING, "invalid UTF-8 continuation byte");
	case UTF8_VALUE:
	default:
		return KS_SET(KS_ERR_ENCODING, "invalid UTF-8 sequence (U+%04X)", (unsigned)v);
	}
	*cp = v;
	c->p += n;
	c->left -= n;
	return 0;
}

bool ks_utf8_valid(const void *s, size_t n)
{
	struct ks_cur c;
	uint32_t cp;
	size_t k;

	ks_cur_init(&c, s, n);
	while (!ks_cur_eof(&c)) {
		k = ks_utf8_peek(&c, &cp);
		if (k == 0 || ks_cur_skip(&c, k) < 0)
			return false;
	}
	return true;
}

size_t ks_utf8_encode(uint32_t cp, uint8_t out[KS_UTF8_MAX_SEQ])
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp > KS_UTF8_MAX_CP)
		return 0;
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

int ks_utf8_put(struct ks_buf *out, uint32_t cp)
{
	uint8_t b[KS_UTF8_MAX_SEQ];
	size_t n = ks_utf8_encode(cp, b);

	if (n == 0)
		return KS_SET(KS_ERR_ENCODING, "U+%04X has no UTF-8 form", (unsigned)cp);
	return ks_buf_append(out, b, n);
}

size_t ks_utf8_cut(const char *s, size_t n)
{
	/* s[n] is the first byte left out: step back while it continues the
	 * sequence before it. */
	size_t k = n;

	while (k > 0 && ((uint8_t)s[k] & 0xc0) == 0x80)
		k--;
	return k;
}
