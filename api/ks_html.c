/* HTML escaping (ks_html.h). */
#include <stdint.h>
#include <string.h>

#include "api/ks_html.h"
#include "ks_cur.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* Length of the UTF-8 sequence at the start of c (1..4), or 0 when it is
 * not a well-formed one (RFC 3629 4: no overlongs, no surrogates, at most
 * U+10FFFF). */
static size_t utf8_len(const struct ks_cur *c)
{
	uint8_t b0 = 0, b = 0, lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (ks_cur_peek(c, &b0) < 0)
		return 0;
	if (b0 < 0x80)
		return 1;
	if (b0 >= 0xc2 && b0 <= 0xdf)
		n = 2;
	else if (b0 >= 0xe0 && b0 <= 0xef)
		n = 3;
	else if (b0 >= 0xf0 && b0 <= 0xf4)
		n = 4;
	else
		return 0;
	if (b0 == 0xe0)
		lo = 0xa0;
	else if (b0 == 0xed)
		hi = 0x9f;
	else if (b0 == 0xf0)
		lo = 0x90;
	else if (b0 == 0xf4)
		hi = 0x8f;
	for (i = 1; i < n; i++) {
		if (ks_cur_peek_at(c, i, &b) < 0)
			return 0;
		if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return n;
}

int ks_html_escape_n(struct ks_buf *out, const char *s, size_t n)
{
	struct ks_cur c;
	const uint8_t *seq;
	size_t k;
	uint8_t b = 0;
	int rc = -1;

	if (s == NULL)
		return 0;
	ks_cur_init(&c, (const uint8_t *)s, n);
	while (!ks_cur_eof(&c)) {
		k = utf8_len(&c);
		if (k == 0) {
			KS_GUARD(ks_cur_skip(&c, 1));
			KS_GUARD(ks_buf_append_str(out, REPLACEMENT));
			continue;
		}
		if (k > 1) {
			KS_GUARD(ks_cur_bytes(&c, k, &seq));
			KS_GUARD(ks_buf_append(out, seq, k));
			continue;
		}
		KS_GUARD(ks_cur_u8(&c, &b));
		if (b == '&')
			KS_GUARD(ks_buf_append_str(out, "&amp;"));
		else if (b == '<')
			KS_GUARD(ks_buf_append_str(out, "&lt;"));
		else if (b == '>')
			KS_GUARD(ks_buf_append_str(out, "&gt;"));
		else if (b == '"')
			KS_GUARD(ks_buf_append_str(out, "&quot;"));
		else if (b == '\'')
			KS_GUARD(ks_buf_append_str(out, "&#39;"));
		else if ((b >= 0x20 && b != 0x7f) || b == '\t' || b == '\n')
			KS_GUARD(ks_buf_append_byte(out, b));
		/* other controls are dropped */
	}
	rc = 0;
out:
	return rc;
}

int ks_html_escape(struct ks_buf *out, const char *s)
{
	return s == NULL ? 0 : ks_html_escape_n(out, s, strlen(s));
}
