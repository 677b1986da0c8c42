/* libFuzzer harness for the batch list file (signer/ks_batch.c,
 * ks_batch_parse_list).  Oracle beyond "no crash": a parsed list holds
 * exactly the lines a plain reference splitter keeps (LF or CRLF, empty
 * and '#' lines skipped), each path without NUL, CR at its end or more
 * than KS_BATCH_LINE_MAX bytes; a refused list is refused for a reason
 * the reference sees too (a NUL byte, a line too long, too many paths). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signer/ks_batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_batch b;
	size_t i = 0, kept = 0, len, start;
	bool bad = false;
	int rc;

	ks_batch_init(&b);
	rc = ks_batch_parse_list(&b, data, size);
	/* The reference. */
	while (i < size) {
		start = i;
		while (i < size && data[i] != '\n')
			i++;
		len = i - start;
		if (i < size)
			i++;
		if (len > 0 && data[start + len - 1] == '\r')
			len--;
		if (len == 0 || data[start] == '#')
			continue;
		if (memchr(data + start, '\0', len) != NULL || len > KS_BATCH_LINE_MAX) {
			bad = true;
			break;
		}
		if (kept >= KS_BATCH_FILES_MAX) {
			bad = true;
			break;
		}
		if (rc == 0) {
			if (kept >= b.n || strlen(b.items[kept].in) != len ||
			    memcmp(b.items[kept].in, data + start, len) != 0)
				abort();
		}
		kept++;
	}
	if ((rc == 0) == bad || (rc == 0 && kept != b.n))
		abort();
	ks_batch_cleanup(&b);
	ks_err_clear();
	return 0;
}
