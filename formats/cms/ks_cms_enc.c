/* A DER writer for the structures kyso builds itself (X.690 8, 10, 11):
 * headers of definite length, and SET OF in the order DER requires. */
#include <stdlib.h>
#include <string.h>

#include "formats/cms/ks_cms_int.h"

/* At most 4 length bytes, as the reader (ks_der_read). */
#define DER_LEN_MAX ((size_t)0xffffffff)

size_t ks_der_hdr_len(size_t len)
{
	if (len < 0x80)
		return 2;
	if (len <= 0xff)
		return 3;
	if (len <= 0xffff)
		return 4;
	if (len <= 0xffffff)
		return 5;
	return 6;
}

int ks_der_put_hdr(struct ks_buf *b, uint8_t tag, size_t len)
{
	uint8_t h[6];
	size_t n = 0, k = ks_der_hdr_len(len) - 2, i;

	if (len > DER_LEN_MAX)
		return KS_SET(KS_ERR_LIMIT, "DER value of %zu bytes", len);
	h[n++] = tag;
	if (k == 0) {
		h[n++] = (uint8_t)len;
	} else {
		h[n++] = (uint8_t)(0x80 | k);
		for (i = k; i > 0; i--)
			h[n++] = (uint8_t)(len >> (8 * (i - 1)));
	}
	return ks_buf_append(b, h, n);
}

int ks_der_put(struct ks_buf *b, uint8_t tag, const void *val, size_t len)
{
	if (ks_buf_reserve(b, ks_der_hdr_len(len) + len) < 0 || ks_der_put_hdr(b, tag, len) < 0)
		return -1;
	return ks_buf_append(b, val, len);
}

/* X.690 11.6: ascending order of the encodings compared as octet
 * strings; where one is a prefix of the other, the shorter first (the
 * order OpenSSL's encoder produces, so that a re-encoding matches). */
static int cmp_piece(const void *a, const void *b)
{
	const struct ks_der_piece *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->der, y->der, n);

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

int ks_der_put_set(struct ks_buf *b, uint8_t tag, struct ks_der_piece *p, size_t n)
{
	size_t len = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i].len > DER_LEN_MAX - len)
			return KS_SET(KS_ERR_LIMIT, "DER SET of more than 4 GiB");
		len += p[i].len;
	}
	qsort(p, n, sizeof(*p), cmp_piece);
	if (ks_buf_reserve(b, ks_der_hdr_len(len) + len) < 0 || ks_der_put_hdr(b, tag, len) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (ks_buf_append(b, p[i].der, p[i].len) < 0)
			return -1;
	return 0;
}
