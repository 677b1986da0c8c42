/* libFuzzer harness for the HTML escaper (api/ks_html) that every text of
 * an uploaded document passes through on the verification page.  Oracle
 * beyond "no crash": the output is valid UTF-8; it holds no '<', '>', '"'
 * or '\'' and no control character but tab and newline; every '&' starts
 * one of the five references the escaper writes; and an input that is
 * valid UTF-8 without markup characters or controls comes out unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/ks_html.h"
#include "ks_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool plain(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '&' || p[i] == '<' || p[i] == '>' || p[i] == '"' || p[i] == '\'' ||
		    (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n') || p[i] == 0x7f)
			return false;
	return ks_utf8_valid(p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const refs[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	struct ks_buf out;
	size_t i, k;
	bool known;

	/* at most 6 bytes out per byte in ("&quot;"; U+FFFD is 3) */
	ks_buf_init(&out, size * 6 + 1);
	if (ks_html_escape_n(&out, (const char *)data, size) < 0)
		abort();
	if (!ks_utf8_valid(out.data, out.len))
		abort();
	for (i = 0; i < out.len; i++) {
		uint8_t b = out.data[i];

		if (b == '<' || b == '>' || b == '"' || b == '\'' || b == 0x7f ||
		    (b < 0x20 && b != '\t' && b != '\n'))
			abort();
		if (b != '&')
			continue;
		known = false;
		for (k = 0; k < sizeof(refs) / sizeof(refs[0]); k++)
			if (out.len - i >= strlen(refs[k]) &&
			    memcmp(out.data + i, refs[k], strlen(refs[k])) == 0)
				known = true;
		if (!known)
			abort();
	}
	if (plain(data, size) &&
	    (out.len != size || (size > 0 && memcmp(out.data, data, size) != 0)))
		abort();
	ks_buf_cleanup(&out);
	return 0;
}
