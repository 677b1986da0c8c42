/* libFuzzer harness for the RFC 7512 URI parser.  Oracle beyond "no
 * crash": a URI that parses is formatted again, and the formatted text
 * must parse to the same token and object attributes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/ks_p11.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_str(const char *a, const char *b)
{
	/* The formatter leaves out empty strings: "" and absent are equal. */
	if (a == NULL || *a == '\0')
		return b == NULL || *b == '\0';
	return b != NULL && strcmp(a, b) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_p11_uri u, v;
	struct ks_buf out;
	const char *s;

	if (ks_p11_uri_parse_mem(data, size, &u) < 0) {
		ks_p11_uri_cleanup(&u);
		return 0;
	}
	ks_buf_init(&out, 64 * 1024);
	if (ks_p11_uri_format(u.token, u.manufacturer, u.serial, u.model, u.object, u.id.data,
			      u.id.len, u.type, &out) < 0 ||
	    ks_buf_cstr(&out, &s) < 0)
		abort();
	/* The formatted form may exceed the input limits (escapes triple
	 * the size); only compare when it is within them. */
	if (out.len <= KS_P11_URI_MAX) {
		if (ks_p11_uri_parse(s, &v) < 0)
			abort();
		if (!same_str(u.token, v.token) || !same_str(u.manufacturer, v.manufacturer) ||
		    !same_str(u.serial, v.serial) || !same_str(u.model, v.model) ||
		    !same_str(u.object, v.object) || u.type != v.type ||
		    (u.id.len > 0) != v.has_id ||
		    (u.id.len > 0 &&
		     (u.id.len != v.id.len || memcmp(u.id.data, v.id.data, u.id.len) != 0)))
			abort();
		ks_p11_uri_cleanup(&v);
	}
	ks_buf_cleanup(&out);
	ks_p11_uri_cleanup(&u);
	return 0;
}
