/* ks_api_jsonlift: a JSON request's long base64 strings lifted out before
 * the JSON parser sees it.
 *
 * A batch request carries its documents as base64 strings of megabytes;
 * the JSON parser reads them a byte at a time, checking each, only for
 * the handler to decode them again.  Each string value at one depth of
 * brackets that holds nothing but base64 characters and is at least
 * `min` bytes long is replaced in the copy handed to the parser by a
 * short tag (KS_API_LIFT_TAG, then its number), and kept as a span of
 * the original text; the handler decodes the span where it finds the
 * tag.  Nothing else changes: a text that parses gives the same values
 * once the tags are resolved (the fuzz harness checks this).  A tag a
 * client writes itself names one of its own request's strings, or none:
 * nothing outside the request is reachable through it. */
#ifndef KS_API_JSONLIFT_H
#define KS_API_JSONLIFT_H

#include <stddef.h>
#include <stdint.h>

#include "ks_buf.h"
#include "ks_err.h"

/* The tag as the parser returns it, and as written in JSON. */
#define KS_API_LIFT_TAG "\001kyso-lifted:"
#define KS_API_LIFT_TAG_JSON "\\u0001kyso-lifted:"
#define KS_API_LIFT_MAX 100000 /* strings lifted from one text */

struct ks_api_span {
	const uint8_t *p; /* into the original text */
	size_t n;
};

struct ks_api_lifted {
	struct ks_api_span *v;
	size_t n, cap;
};

/* Copy json into out with its long base64 string values at `depth`
 * (1: members of the top object) lifted into l (zeroed by the caller). */
KS_WUR int ks_api_json_lift(const uint8_t *json, size_t len, unsigned depth, size_t min,
			    struct ks_buf *out, struct ks_api_lifted *l);
/* The span a parsed string names when it is a tag of l; NULL otherwise
 * (l may be NULL). */
const struct ks_api_span *ks_api_json_lifted(const char *s, size_t n,
					     const struct ks_api_lifted *l);
void ks_api_lifted_cleanup(struct ks_api_lifted *l);

#endif
