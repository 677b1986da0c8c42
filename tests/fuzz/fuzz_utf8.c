/* libFuzzer harness for the strict UTF-8 decoder (core/ks_utf8).  Oracle
 * beyond "no crash": the input decodes to the end exactly when it is
 * valid as a whole; what decodes encodes back to the very same bytes (so
 * no overlong or other second form is ever accepted); every cut of valid
 * text is valid; peek and next agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ks_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_cur c;
	struct ks_buf again;
	uint32_t cp, peeked;
	size_t k, n;
	bool all = true;

	ks_buf_init(&again, size + KS_UTF8_MAX_SEQ);
	ks_cur_init(&c, data, size);
	while (!ks_cur_eof(&c)) {
		k = ks_utf8_peek(&c, &peeked);
		if (ks_utf8_next(&c, &cp) < 0) {
			if (k != 0 || c.left == 0)
				abort();
			all = false;
			break;
		}
		if (k == 0 || k > KS_UTF8_MAX_SEQ || cp != peeked || cp > KS_UTF8_MAX_CP ||
		    (cp >= 0xd800 && cp <= 0xdfff) || ks_utf8_put(&again, cp) < 0)
			abort();
	}
	if (all != ks_utf8_valid(data, size))
		abort();
	if (all) {
		if (again.len != size || (size > 0 && memcmp(again.data, data, size) != 0))
			abort();
		for (n = 0; n < size; n++) {
			k = ks_utf8_cut((const char *)data, n);
			if (k > n || !ks_utf8_valid(data, k) || n - k >= KS_UTF8_MAX_SEQ)
				abort();
		}
	}
	ks_buf_cleanup(&again);
	return 0;
}
