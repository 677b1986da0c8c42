#include "ks_codec.h"

#include "ks_cur.h"
#include "ks_size.h"

static const char b64_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(uint8_t ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

static bool is_space(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f' || ch == '\v';
}

int ks_base64_encode(const uint8_t *in, size_t n, struct ks_buf *out)
{
	size_t groups, olen, i;
	struct ks_cur c;

	groups = n / 3 + (n % 3 != 0);
	if (ks_mul_size(groups, 4, &olen) < 0 || ks_buf_reserve(out, olen) < 0)
		return -1;
	ks_cur_init(&c, in, n);
	while (c.left > 0) {
		uint8_t t[3] = { 0, 0, 0 };
		size_t take = c.left < 3 ? c.left : 3;
		uint32_t v;
		char q[4];

		if (ks_cur_copy(&c, t, take) < 0)
			return -1;
		v = (uint32_t)t[0] << 16 | (uint32_t)t[1] << 8 | t[2];
		q[0] = b64_alpha[v >> 18 & 63];
		q[1] = b64_alpha[v >> 12 & 63];
		q[2] = take > 1 ? b64_alpha[v >> 6 & 63] : '=';
		q[3] = take > 2 ? b64_alpha[v & 63] : '=';
		for (i = 0; i < 4; i++)
			out->data[out->len++] = (uint8_t)q[i];
	}
	return 0;
}

int ks_base64_decode(const char *in, size_t n, bool allow_space, struct ks_buf *out)
{
	struct ks_cur c;
	uint32_t acc = 0;
	int quad = 0, pad = 0;
	size_t start = out->len;
	uint8_t ch;

	ks_cur_init(&c, in, n);
	while (!ks_cur_eof(&c) && ks_cur_u8(&c, &ch) == 0) {
		int v;

		if (is_space(ch)) {
			if (!allow_space)
				goto bad_char;
			continue;
		}
		if (ch == '=') {
			/* '=' only in the last one or two places of a quad. */
			if (quad < 2)
				goto bad_pad;
			pad++;
			quad++;
			if (quad == 4) {
				if (pad == 2) {
					/* 12 bits read, 8 used: the low 4 must be
					 * zero (RFC 4648 3.5). */
					if ((acc & 0xf) != 0)
						goto bad_bits;
					if (ks_buf_append_byte(out, (uint8_t)(acc >> 4)) < 0)
						goto fail;
				} else {
					if ((acc & 0x3) != 0)
						goto bad_bits;
					if (ks_buf_append_byte(out, (uint8_t)(acc >> 10)) < 0 ||
					    ks_buf_append_byte(out, (uint8_t)(acc >> 2)) < 0)
						goto fail;
				}
				/* Only white space may follow the padding. */
				while (!ks_cur_eof(&c) && ks_cur_u8(&c, &ch) == 0) {
					if (!(allow_space && is_space(ch)))
						goto bad_trail;
				}
				return 0;
			}
			continue;
		}
		if (pad > 0)
			goto bad_pad;
		v = b64_value(ch);
		if (v < 0)
			goto bad_char;
		acc = acc << 6 | (uint32_t)v;
		quad++;
		if (quad == 4) {
			uint8_t t[3] = { (uint8_t)(acc >> 16), (uint8_t)(acc >> 8), (uint8_t)acc };

			if (ks_buf_append(out, t, 3) < 0)
				goto fail;
			quad = 0;
			acc = 0;
		}
	}
	if (quad != 0) {
		KS_SET(KS_ERR_ENCODING, "base64 input ends inside a group");
		goto fail;
	}
	return 0;
bad_char:
	KS_SET(KS_ERR_ENCODING, "invalid base64 character 0x%02x", ch);
	goto fail;
bad_pad:
	KS_SET(KS_ERR_ENCODING, "misplaced base64 padding");
	goto fail;
bad_bits:
	KS_SET(KS_ERR_ENCODING, "non-canonical base64 (trailing bits set)");
	goto fail;
bad_trail:
	KS_SET(KS_ERR_ENCODING, "data after base64 padding");
fail:
	ks_buf_truncate(out, start);
	return -1;
}

int ks_hex_value(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int ks_hex_encode(const uint8_t *in, size_t n, struct ks_buf *out)
{
	size_t olen, i;

	if (ks_mul_size(n, 2, &olen) < 0 || ks_buf_reserve(out, olen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		out->data[out->len++] = (uint8_t)ks_hex_digit(in[i] >> 4, false);
		out->data[out->len++] = (uint8_t)ks_hex_digit(in[i], false);
	}
	return 0;
}

int ks_hex_decode(const char *in, size_t n, bool allow_space, struct ks_buf *out)
{
	struct ks_cur c;
	size_t start = out->len;
	int hi = -1;
	uint8_t ch;

	ks_cur_init(&c, in, n);
	while (!ks_cur_eof(&c) && ks_cur_u8(&c, &ch) == 0) {
		int v;

		if (allow_space && is_space(ch))
			continue;
		v = ks_hex_value(ch);
		if (v < 0) {
			KS_SET(KS_ERR_ENCODING, "invalid hex character 0x%02x", ch);
			goto fail;
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (ks_buf_append_byte(out, (uint8_t)(hi << 4 | v)) < 0)
			goto fail;
		hi = -1;
	}
	if (hi >= 0) {
		KS_SET(KS_ERR_ENCODING, "odd number of hex digits");
		goto fail;
	}
	return 0;
fail:
	ks_buf_truncate(out, start);
	return -1;
}
