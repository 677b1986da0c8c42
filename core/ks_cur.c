#include "ks_cur.h"

#include <string.h>

/* ks_cur_find_from: after this many false starts of the first byte ... */
#define KS_CUR_FIND_MISSES 32
/* ... fewer than this many bytes apart on average, memmem() searches. */
#define KS_CUR_FIND_GAP 64

void ks_cur_init(struct ks_cur *c, const void *p, size_t n)
{
	/* An empty buffer has no memory; NULL + 0 is still undefined in C,
	 * so an empty cursor points at a real (empty) object instead. */
	static const uint8_t none[1];

	c->p = p != NULL ? p : none;
	c->left = p == NULL ? 0 : n;
}

void ks_cur_from_buf(struct ks_cur *c, const struct ks_buf *b)
{
	ks_cur_init(c, b->data, b->len);
}

size_t ks_cur_pos(const struct ks_cur *whole, const struct ks_cur *c)
{
	return whole->left - c->left;
}

int ks_cur_at(const struct ks_cur *whole, size_t off, struct ks_cur *out)
{
	if (off > whole->left)
		return KS_SET(KS_ERR_TRUNCATED, "offset %zu beyond end of input (%zu bytes)", off,
			      whole->left);
	out->p = whole->p + off;
	out->left = whole->left - off;
	return 0;
}

int ks_cur_range(const struct ks_cur *whole, size_t off, size_t n, struct ks_cur *out)
{
	if (off > whole->left || n > whole->left - off)
		return KS_SET(KS_ERR_TRUNCATED, "range %zu+%zu beyond end of input (%zu bytes)",
			      off, n, whole->left);
	out->p = whole->p + off;
	out->left = n;
	return 0;
}

int ks_cur_peek(const struct ks_cur *c, uint8_t *v)
{
	return ks_cur_peek_at(c, 0, v);
}

int ks_cur_peek_at(const struct ks_cur *c, size_t i, uint8_t *v)
{
	if (i >= c->left)
		return KS_SET(KS_ERR_TRUNCATED, "input ends before byte %zu", i);
	*v = c->p[i];
	return 0;
}

int ks_cur_u8(struct ks_cur *c, uint8_t *v)
{
	if (c->left < 1)
		return KS_SET(KS_ERR_TRUNCATED, "input ends, 1 byte needed");
	*v = c->p[0];
	c->p++;
	c->left--;
	return 0;
}

int ks_cur_u16be(struct ks_cur *c, uint16_t *v)
{
	if (c->left < 2)
		return KS_SET(KS_ERR_TRUNCATED, "input ends, 2 bytes needed, %zu left", c->left);
	*v = (uint16_t)((unsigned)c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->left -= 2;
	return 0;
}

int ks_cur_u32be(struct ks_cur *c, uint32_t *v)
{
	if (c->left < 4)
		return KS_SET(KS_ERR_TRUNCATED, "input ends, 4 bytes needed, %zu left", c->left);
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 |
	     (uint32_t)c->p[3];
	c->p += 4;
	c->left -= 4;
	return 0;
}

int ks_cur_skip(struct ks_cur *c, size_t n)
{
	const uint8_t *p = NULL;

	return ks_cur_bytes(c, n, &p);
}

int ks_cur_bytes(struct ks_cur *c, size_t n, const uint8_t **p)
{
	if (n > c->left)
		return KS_SET(KS_ERR_TRUNCATED, "input ends, %zu bytes needed, %zu left", n,
			      c->left);
	*p = c->p;
	c->p += n;
	c->left -= n;
	return 0;
}

int ks_cur_copy(struct ks_cur *c, void *dst, size_t n)
{
	const uint8_t *p = NULL;

	if (ks_cur_bytes(c, n, &p) < 0)
		return -1;
	if (n > 0)
		memcpy(dst, p, n);
	return 0;
}

int ks_cur_sub(struct ks_cur *c, size_t n, struct ks_cur *sub)
{
	const uint8_t *p = NULL;

	if (ks_cur_bytes(c, n, &p) < 0)
		return -1;
	sub->p = p;
	sub->left = n;
	return 0;
}

bool ks_cur_starts_with(const struct ks_cur *c, const void *lit, size_t n)
{
	return n <= c->left && memcmp(c->p, lit, n) == 0;
}

int ks_cur_expect(struct ks_cur *c, const void *lit, size_t n)
{
	if (n > c->left)
		return KS_SET(KS_ERR_TRUNCATED, "input ends, expected %zu more bytes", n);
	if (memcmp(c->p, lit, n) != 0)
		return KS_SET(KS_ERR_PARSE, "unexpected bytes");
	c->p += n;
	c->left -= n;
	return 0;
}

bool ks_cur_accept(struct ks_cur *c, const void *lit, size_t n)
{
	if (!ks_cur_starts_with(c, lit, n))
		return false;
	c->p += n;
	c->left -= n;
	return true;
}

size_t ks_cur_skip_while(struct ks_cur *c, bool (*pred)(uint8_t))
{
	size_t n = 0;

	while (n < c->left && pred(c->p[n]))
		n++;
	c->p += n;
	c->left -= n;
	return n;
}

int ks_cur_decimal(struct ks_cur *c, size_t max_digits, uint64_t max, uint64_t *v)
{
	uint64_t acc = 0;
	size_t n = 0;

	while (n < c->left && c->p[n] >= '0' && c->p[n] <= '9') {
		unsigned d = (unsigned)(c->p[n] - '0');

		if (n >= max_digits)
			return KS_SET(KS_ERR_LIMIT, "number longer than %zu digits", max_digits);
		if (d > max || acc > (max - d) / 10)
			return KS_SET(KS_ERR_LIMIT, "number exceeds %llu", (unsigned long long)max);
		acc = acc * 10 + d;
		n++;
	}
	if (n == 0)
		return KS_SET(KS_ERR_PARSE, "digit expected");
	c->p += n;
	c->left -= n;
	*v = acc;
	return 0;
}

bool ks_cur_is(const struct ks_cur *c, const void *lit, size_t n)
{
	return c->left == n && (n == 0 || memcmp(c->p, lit, n) == 0);
}

bool ks_cur_equal(const struct ks_cur *a, const struct ks_cur *b)
{
	return ks_cur_is(a, b->p, b->left);
}

/* ---- search ---- */

bool ks_cur_find_from(const struct ks_cur *c, size_t from, const void *lit, size_t n, size_t *pos)
{
	const uint8_t *first = lit, *at, *end, *hit = NULL, *since;
	size_t misses = 0;

	if (n == 0 || from > c->left || c->left - from < n)
		return false;
	/* The one place that turns a pointer into an offset: memchr() and
	 * memmem() only look inside the cursor's bytes.  Candidates start in
	 * [at, end).  The keywords looked for (%%EOF, startxref, trailer)
	 * start with bytes that are rare in a PDF: memchr() on the first byte
	 * and a compare is several times faster there than memmem().  Where
	 * the first byte is common (many false starts close together),
	 * memmem() takes over, which is linear whatever the bytes. */
	at = c->p + from;
	end = c->p + c->left - n + 1;
	since = at;
	while (at < end) {
		if (misses == KS_CUR_FIND_MISSES) {
			if ((size_t)(at - since) < KS_CUR_FIND_MISSES * KS_CUR_FIND_GAP) {
				hit = memmem(at, (size_t)(end - at) + n - 1, lit, n);
				break;
			}
			misses = 0;
			since = at;
		}
		hit = memchr(at, first[0], (size_t)(end - at));
		if (hit == NULL || memcmp(hit, lit, n) == 0)
			break;
		misses++;
		at = hit + 1;
		hit = NULL;
	}
	if (hit == NULL)
		return false;
	*pos = (size_t)(hit - c->p);
	return true;
}

bool ks_cur_find(const struct ks_cur *c, const void *lit, size_t n, size_t *pos)
{
	return ks_cur_find_from(c, 0, lit, n, pos);
}

bool ks_cur_rfind(const struct ks_cur *c, size_t end, const void *lit, size_t n, size_t *pos)
{
	const uint8_t *first = lit, *hit;
	size_t span;

	if (end > c->left)
		end = c->left;
	if (n == 0 || end < n)
		return false;
	/* Candidates start in [0, end - n]; memrchr finds the last one whose
	 * first byte matches, then the rest is compared. */
	span = end - n + 1;
	while (span > 0) {
		hit = memrchr(c->p, first[0], span);
		if (hit == NULL)
			return false;
		span = (size_t)(hit - c->p);
		if (memcmp(hit, lit, n) == 0) {
			*pos = span;
			return true;
		}
	}
	return false;
}

/* ---- backward readers ---- */

int ks_cur_peek_before(const struct ks_cur *c, size_t pos, uint8_t *v)
{
	if (pos == 0 || pos > c->left)
		return KS_SET(KS_ERR_TRUNCATED, "no byte before offset %zu (%zu bytes)", pos,
			      c->left);
	*v = c->p[pos - 1];
	return 0;
}

bool ks_cur_accept_before(const struct ks_cur *c, size_t *pos, const void *lit, size_t n)
{
	if (*pos > c->left || *pos < n || memcmp(c->p + *pos - n, lit, n) != 0)
		return false;
	*pos -= n;
	return true;
}

size_t ks_cur_skip_back_while(const struct ks_cur *c, size_t *pos, bool (*pred)(uint8_t))
{
	size_t i = *pos, n = 0;

	if (*pos > c->left)
		return 0;
	while (i > 0 && pred(c->p[i - 1])) {
		i--;
		n++;
	}
	*pos = i;
	return n;
}

int ks_cur_decimal_before(const struct ks_cur *c, size_t *pos, size_t max_digits, uint64_t max,
			  uint64_t *v)
{
	size_t i, n = 0;
	uint64_t acc = 0, mult = 1;
	bool big = false; /* the place value no longer fits in 64 bits */

	if (*pos > c->left)
		return KS_SET(KS_ERR_TRUNCATED, "offset %zu beyond end of input (%zu bytes)", *pos,
			      c->left);
	for (i = *pos; i > 0 && c->p[i - 1] >= '0' && c->p[i - 1] <= '9'; i--) {
		uint64_t d = (uint64_t)(c->p[i - 1] - '0');

		if (n >= max_digits)
			return KS_SET(KS_ERR_LIMIT, "number longer than %zu digits", max_digits);
		/* a leading zero adds nothing whatever its place value */
		if (d != 0) {
			if (big || mult > max / d || acc > max - d * mult)
				return KS_SET(KS_ERR_LIMIT, "number exceeds %llu",
					      (unsigned long long)max);
			acc += d * mult;
		}
		n++;
		if (mult > UINT64_MAX / 10)
			big = true;
		else
			mult *= 10;
	}
	if (n == 0)
		return KS_SET(KS_ERR_PARSE, "digit expected before offset %zu", *pos);
	*pos = i;
	*v = acc;
	return 0;
}
