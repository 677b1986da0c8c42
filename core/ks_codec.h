/* Base64 (RFC 4648, standard alphabet) and hex, strict; the one hex
 * digit reader and writer every module uses. */
#ifndef KS_CODEC_H
#define KS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_buf.h"

/* Append the base64 text of in[0..n) to out (no line breaks). */
KS_WUR int ks_base64_encode(const uint8_t *in, size_t n, struct ks_buf *out);
/* Decode base64 text.  Padding is required; with allow_space, ASCII white
 * space (as in PEM or XML) is skipped; anything else outside the alphabet,
 * misplaced '=', or non-zero trailing bits is KS_ERR_ENCODING. */
KS_WUR int ks_base64_decode(const char *in, size_t n, bool allow_space, struct ks_buf *out);
/* Lowercase hex. */
KS_WUR int ks_hex_encode(const uint8_t *in, size_t n, struct ks_buf *out);
/* Hex of either case; an odd count or a non-hex char is KS_ERR_ENCODING.
 * With allow_space, white space between digits is skipped. */
KS_WUR int ks_hex_decode(const char *in, size_t n, bool allow_space, struct ks_buf *out);
/* Value of one hex digit of either case, -1 for any other byte. */
int ks_hex_value(uint8_t c);
/* The hex digit of v & 15: lowercase, or uppercase with `upper` (inline:
 * the PDF writer calls it for every byte of a signature). */
static inline char ks_hex_digit(unsigned v, bool upper)
{
	v &= 15;
	return (char)(v < 10 ? '0' + v : (upper ? 'A' : 'a') + v - 10);
}

#endif
