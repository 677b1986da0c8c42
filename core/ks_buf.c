#include "ks_buf.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ks_size.h"

void ks_buf_init(struct ks_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->secret = false;
}

void ks_buf_init_secret(struct ks_buf *b, size_t max)
{
	ks_buf_init(b, max);
	b->secret = true;
}

void ks_buf_cleanup(struct ks_buf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL && b->secret)
		OPENSSL_cleanse(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void ks_buf_reset(struct ks_buf *b)
{
	if (b->data != NULL && b->secret)
		OPENSSL_cleanse(b->data, b->cap);
	b->len = 0;
}

int ks_buf_reserve(struct ks_buf *b, size_t extra)
{
	size_t need, ncap;
	uint8_t *nd;

	/* +1 keeps room for the NUL that ks_buf_cstr() adds. */
	if (ks_add_size(b->len, extra, &need) < 0 || ks_add_size(need, 1, &need) < 0)
		return -1;
	if (need - 1 > b->max)
		return KS_SET(KS_ERR_LIMIT, "buffer would grow to %zu bytes, maximum is %zu",
			      need - 1, b->max);
	if (need <= b->cap)
		return 0;
	ncap = b->cap < 64 ? 64 : b->cap;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	if (b->max < SIZE_MAX && ncap > b->max + 1)
		ncap = b->max + 1;
	if (ncap < need)
		ncap = need;
	if (b->secret) {
		/* Never realloc a secret: the old block would be freed unwiped. */
		nd = malloc(ncap);
		if (nd == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory (%zu bytes)", ncap);
		if (b->data != NULL) {
			memcpy(nd, b->data, b->len);
			OPENSSL_cleanse(b->data, b->cap);
			free(b->data);
		}
	} else {
		nd = realloc(b->data, ncap);
		if (nd == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory (%zu bytes)", ncap);
	}
	b->data = nd;
	b->cap = ncap;
	return 0;
}

int ks_buf_append(struct ks_buf *b, const void *data, size_t n)
{
	if (n == 0)
		return 0;
	if (data == NULL)
		return KS_SET(KS_ERR_ARG, "append of %zu bytes from NULL", n);
	if (ks_buf_reserve(b, n) < 0)
		return -1;
	memcpy(b->data + b->len, data, n);
	b->len += n;
	return 0;
}

int ks_buf_append_byte(struct ks_buf *b, uint8_t byte)
{
	return ks_buf_append(b, &byte, 1);
}

int ks_buf_append_fill(struct ks_buf *b, uint8_t byte, size_t n)
{
	if (ks_buf_reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memset(b->data + b->len, byte, n);
	b->len += n;
	return 0;
}

int ks_buf_append_str(struct ks_buf *b, const char *s)
{
	return ks_buf_append(b, s, strlen(s));
}

int ks_buf_append_u64(struct ks_buf *b, uint64_t v, unsigned width)
{
	char d[20];
	size_t n = 0;

	if (width > sizeof(d))
		return KS_SET(KS_ERR_ARG, "number width %u over %zu", width, sizeof(d));
	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n < width)
		d[sizeof(d) - 1 - n++] = '0';
	return ks_buf_append(b, d + sizeof(d) - n, n);
}

int ks_buf_vprintf(struct ks_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	/* Most texts fit the room there is: format once, straight in (cap
	 * never passes max + 1, so what fits is within max). */
	if (b->cap > b->len) {
		va_copy(ap2, ap);
		n = vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap2);
		va_end(ap2);
		if (n >= 0 && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return 0;
		}
	}
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return KS_SET(KS_ERR_ARG, "bad format string");
	if (ks_buf_reserve(b, (size_t)n) < 0)
		return -1;
	/* reserve() guaranteed room for n bytes plus the NUL. */
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int ks_buf_printf(struct ks_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ks_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int ks_buf_set(struct ks_buf *b, const void *data, size_t n)
{
	ks_buf_reset(b);
	return ks_buf_append(b, data, n);
}

void ks_buf_truncate(struct ks_buf *b, size_t n)
{
	if (n >= b->len)
		return;
	if (b->secret)
		OPENSSL_cleanse(b->data + n, b->len - n);
	b->len = n;
}

int ks_buf_cstr(struct ks_buf *b, const char **s)
{
	if (b->len > 0 && memchr(b->data, 0, b->len) != NULL)
		return KS_SET(KS_ERR_ENCODING, "buffer holds a NUL byte, not a string");
	if (ks_buf_reserve(b, 0) < 0)
		return -1;
	b->data[b->len] = 0;
	*s = (const char *)b->data;
	return 0;
}

void ks_buf_move(struct ks_buf *dst, struct ks_buf *src)
{
	ks_buf_cleanup(dst);
	*dst = *src;
	src->data = NULL;
	src->len = 0;
	src->cap = 0;
}

bool ks_buf_equal(const struct ks_buf *a, const struct ks_buf *b)
{
	if (a->len != b->len)
		return false;
	if (a->len == 0)
		return true;
	return CRYPTO_memcmp(a->data, b->data, a->len) == 0;
}
