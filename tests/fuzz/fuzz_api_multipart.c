/* libFuzzer harness for multipart/form-data request bodies (ks_api_multipart,
 * ks_api_req).  The first line of the input is the Content-Type header,
 * the rest the body.  Oracle beyond "no crash": every part lies inside
 * the body, within the limits, with a name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/ks_api_multipart.h"
#include "api/ks_api_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CT_MAX 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ct[CT_MAX + 1], boundary[KS_MP_BOUNDARY_MAX + 1];
	struct ks_mp_part parts[KS_MP_PARTS_MAX];
	struct ks_api_params ps;
	const uint8_t *nl = memchr(data, '\n', size < CT_MAX ? size : CT_MAX);
	const uint8_t *body;
	size_t n, count = 0, i;

	if (nl == NULL)
		return 0;
	memcpy(ct, data, (size_t)(nl - data));
	ct[nl - data] = '\0';
	body = nl + 1;
	n = size - (size_t)(nl - data) - 1;
	if (ks_multipart_boundary(ct, boundary, sizeof(boundary)) == 0 &&
	    ks_multipart_parse(body, n, boundary, parts, KS_MP_PARTS_MAX, &count) == 0) {
		if (count > KS_MP_PARTS_MAX)
			abort();
		for (i = 0; i < count; i++) {
			if (parts[i].name[0] == '\0' ||
			    (parts[i].len > 0 &&
			     (parts[i].data < body || parts[i].data + parts[i].len > body + n)))
				abort();
		}
	}
	ks_api_params_init(&ps);
	if (ks_api_params_from_multipart(ct, body, n, &ps) == 0 &&
	    (ps.n > KS_API_PARAMS_MAX || ps.nb > KS_API_BLOBS_MAX))
		abort();
	ks_api_params_cleanup(&ps);
	return 0;
}
