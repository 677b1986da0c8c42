/* ks_render_chars: the characters a record may contain, in one place.
 *
 * Record text is printed with DejaVu Sans through libharu, which has no
 * text shaping: every character must be one precomposed glyph.  This list
 * is what Vietnamese records need (Latin letters with Vietnamese
 * diacritics, punctuation, the đồng sign).  The build (scripts/mkfont.py)
 * reads this very list, keeps exactly these glyphs in the embedded fonts
 * and fails when a font lacks one; the record parser refuses anything
 * else, so a record never prints a missing glyph. */
#ifndef KS_RENDER_CHARS_H
#define KS_RENDER_CHARS_H

#include <stdbool.h>
#include <stdint.h>

/* X(first, last): inclusive ranges of Unicode scalar values, ascending. */
#define KS_RENDER_CHARSET(X)                                            \
	X(0x0020, 0x007E) /* Basic Latin, printable */                  \
	X(0x00A0, 0x00FF) /* Latin-1 Supplement: vowels with accents */ \
	X(0x0100, 0x017F) /* Latin Extended-A: a-breve, d-stroke */     \
	X(0x0180, 0x024F) /* Latin Extended-B: o-horn, u-horn */        \
	X(0x1E00, 0x1EF9) /* Latin Extended Additional: Vietnamese */   \
	X(0x2010, 0x2027) /* General Punctuation: dashes, quotes */     \
	X(0x2030, 0x203A) /* per mille, primes, angle quotes */         \
	X(0x20AB, 0x20AC) /* dong and euro signs */                     \
	X(0x2116, 0x2116) /* numero sign */

/* Combining diacritical marks: decomposed (NFD) text, refused with its
 * own message because libharu would print the marks beside the letters. */
#define KS_RENDER_COMBINING_FIRST 0x0300
#define KS_RENDER_COMBINING_LAST 0x036F

static inline bool ks_render_char_ok(uint32_t cp)
{
#define KS_RENDER_CHAR_TEST(a, b)   \
	if (cp >= (a) && cp <= (b)) \
		return true;
	KS_RENDER_CHARSET(KS_RENDER_CHAR_TEST)
#undef KS_RENDER_CHAR_TEST
	return false;
}

#endif
