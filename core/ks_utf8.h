/* ks_utf8: the one strict UTF-8 decoder and encoder (RFC 3629).
 *
 * Well-formed means: shortest form (no overlongs such as C0 AF), no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, and every
 * continuation byte present.  Readers work on a cursor and leave it
 * unchanged on failure. */
#ifndef KS_UTF8_H
#define KS_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_buf.h"
#include "ks_cur.h"
#include "ks_err.h"

#define KS_UTF8_MAX_CP 0x10ffffu
/* Longest encoding of one code point, in bytes. */
#define KS_UTF8_MAX_SEQ 4

/* Length (1-4) of the well-formed sequence at the cursor, its code point
 * in *cp; 0 when there is none (empty, stray continuation, bad lead,
 * truncated, overlong, surrogate, beyond U+10FFFF).  No move, and no
 * error recorded: for callers that replace bad bytes. */
size_t ks_utf8_peek(const struct ks_cur *c, uint32_t *cp);
/* Decode one code point and move past it.  KS_ERR_TRUNCATED on an empty
 * cursor, KS_ERR_ENCODING (saying why) on anything ill-formed. */
KS_WUR int ks_utf8_next(struct ks_cur *c, uint32_t *cp);
/* Is s[0..n) well-formed UTF-8 as a whole? */
bool ks_utf8_valid(const void *s, size_t n);

/* Encode cp into out; returns its length (1-4), 0 for a surrogate or a
 * value beyond U+10FFFF (nothing written). */
size_t ks_utf8_encode(uint32_t cp, uint8_t out[KS_UTF8_MAX_SEQ]);
/* Append the encoding of cp; KS_ERR_ENCODING when cp has none. */
KS_WUR int ks_utf8_put(struct ks_buf *out, uint32_t cp);
/* Where to cut well-formed text s to at most n bytes without splitting
 * a sequence: the largest length <= n that ends on a character boundary.
 * s[n] must be readable (s is longer than n, or NUL-terminated at n). */
size_t ks_utf8_cut(const char *s, size_t n);

#endif
