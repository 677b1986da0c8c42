/* libFuzzer harness for the lifting of long base64 strings out of a JSON
 * request before it is parsed (api/ks_api_jsonlift.c).  The first byte
 * picks the depth (1 to 4) and the second the shortest string lifted
 * (0 to 63 bytes); the rest is the text.  Oracle beyond "no crash": the
 * lifted text parses exactly when the text does, and once its tags are
 * resolved to their spans it holds the same values; every span lies in
 * the text and holds base64 characters only.  A text that already holds
 * a tag of its own is only checked for the first two. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/ks_api_jsonlift.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_tag(json_t *v)
{
	const char *k;
	json_t *m;
	size_t i;

	if (json_is_string(v))
		return json_string_length(v) >= sizeof(KS_API_LIFT_TAG) - 1 &&
		       memcmp(json_string_value(v), KS_API_LIFT_TAG, sizeof(KS_API_LIFT_TAG) - 1) ==
			   0;
	json_object_foreach(v, k, m) if (has_tag(m)) return true;
	json_array_foreach(v, i, m) if (has_tag(m)) return true;
	return false;
}

/* Does b (lifted, tags resolved through l) hold the values of a? */
static bool same(json_t *a, json_t *b, const struct ks_api_lifted *l)
{
	const struct ks_api_span *sp;
	const char *k;
	json_t *m;
	size_t i;

	if (json_is_string(b) &&
	    (sp = ks_api_json_lifted(json_string_value(b), json_string_length(b), l)) != NULL)
		return json_is_string(a) && json_string_length(a) == sp->n &&
		       memcmp(json_string_value(a), sp->p, sp->n) == 0;
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach(a, k, m) if (json_object_get(b, k) == NULL ||
						 !same(m, json_object_get(b, k), l)) return false;
		return true;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		json_array_foreach(a, i, m) if (!same(m, json_array_get(b, i), l)) return false;
		return true;
	}
	return json_equal(a, b) == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_api_lifted l;
	struct ks_buf out;
	json_error_t e;
	json_t *a, *b;
	unsigned depth;
	size_t min, i, j;

	if (size < 2)
		return 0;
	depth = 1 + data[0] % 4;
	min = data[1] % 64;
	data += 2;
	size -= 2;
	memset(&l, 0, sizeof(l));
	ks_buf_init(&out, size + 1);
	if (ks_api_json_lift(data, size, depth, min, &out, &l) < 0) {
		ks_err_clear();
		goto done;
	}
	for (i = 0; i < l.n; i++) {
		if (l.v[i].p < data || l.v[i].p + l.v[i].n > data + size || l.v[i].n < min)
			abort();
		for (j = 0; j < l.v[i].n; j++)
			if (l.v[i].p[j] == '"' || l.v[i].p[j] == '\\' || l.v[i].p[j] < 0x20)
				abort();
	}
	a = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e);
	b = json_loadb((const char *)out.data, out.len, JSON_REJECT_DUPLICATES, &e);
	if ((a == NULL) != (b == NULL))
		abort();
	if (a != NULL && !has_tag(a) && !same(a, b, &l))
		abort();
	json_decref(a);
	json_decref(b);
done:
	ks_api_lifted_cleanup(&l);
	ks_buf_cleanup(&out);
	return 0;
}
