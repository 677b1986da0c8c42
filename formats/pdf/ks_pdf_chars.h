/* ks_pdf_chars: PDF character classes and escapes (ISO 32000-1 7.2.2,
 * 7.3.4.2), shared by the signer's reader and the revision-aware reader. */
#ifndef KS_PDF_CHARS_H
#define KS_PDF_CHARS_H

#include <stdbool.h>
#include <stdint.h>

/* Table 1: white-space characters. */
static inline bool ks_pdf_is_ws(uint8_t b)
{
	return b == 0x00 || b == 0x09 || b == 0x0a || b == 0x0c || b == 0x0d || b == 0x20;
}

/* Table 2: delimiter characters. */
static inline bool ks_pdf_is_delim(uint8_t b)
{
	return b == '(' || b == ')' || b == '<' || b == '>' || b == '[' || b == ']' || b == '{' ||
	       b == '}' || b == '/' || b == '%';
}

static inline bool ks_pdf_is_regular(uint8_t b)
{
	return !ks_pdf_is_ws(b) && !ks_pdf_is_delim(b);
}

/* Table 3: the byte "\e" stands for in a literal string, for every e but
 * EOL (line continuation) and octal digits, which the lexers handle; an
 * unknown escape is the character itself (the backslash is ignored). */
static inline uint8_t ks_pdf_unescape(uint8_t e)
{
	switch (e) {
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	default:
		return e;
	}
}

#endif
