/* HTML escaping (ks_html.h). */
#include <stdint.h>
#include <string.h>

#include "api/ks_html.h"
#include "ks_cur.h"
#include "ks_utf8.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

int ks_html_escape_n(struct ks_buf *out, const char *s, size_t n)
{
	struct ks_cur c;
	const uint8_t *seq;
	uint32_t cp;
	size_t k;
	uint8_t b = 0;
	int rc = -1;

	if (s == NULL)
		return 0;
	ks_cur_init(&c, (const uint8_t *)s, n);
	while (!ks_cur_eof(&c)) {
		k = ks_utf8_peek(&c, &cp); /* RFC 3629: 0 when not well-formed */
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
