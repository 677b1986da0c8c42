/* libFuzzer harness for reading the record id back from a document
 * (signer/ks_record_ref).  The first byte picks the format ('p' PDF,
 * anything else XML), the rest is the document.  Oracle beyond "no
 * crash": what comes back is "" or a well-formed id, and a failure
 * leaves "". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signer/ks_record_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[KS_RECORD_REF_MAX + 1];
	enum ks_format f;

	if (size < 1)
		return 0;
	f = data[0] == 'p' ? KS_FORMAT_PDF : KS_FORMAT_XML;
	memset(out, 'x', sizeof(out));
	if (ks_record_ref_of(f, data + 1, size - 1, out) < 0) {
		ks_err_clear();
		return 0;
	}
	if (strnlen(out, sizeof(out)) > KS_RECORD_REF_MAX ||
	    (out[0] != '\0' && !ks_record_ref_ok(out)))
		abort();
	return 0;
}
