/* ks_api_multipart: multipart/form-data request bodies (RFC 7578 over the
 * multipart syntax of RFC 2046 5.1.1), as browser forms send them.
 *
 * The body is complete in memory (the server has checked its size); the
 * parts are views into it, never copies.  Limits on parts, headers and
 * names are named below; anything that breaks the syntax is KS_ERR_PARSE
 * (a missing final boundary included), above a limit KS_ERR_LIMIT. */
#ifndef KS_API_MULTIPART_H
#define KS_API_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "ks_err.h"

#define KS_MP_BOUNDARY_MAX 70 /* RFC 2046 5.1.1 */
#define KS_MP_PARTS_MAX 32
#define KS_MP_HEADERS_MAX 8 /* header lines of one part */
#define KS_MP_HEADER_LINE_MAX 1024
#define KS_MP_NAME_MAX 64      /* a field name, with the NUL */
#define KS_MP_FILENAME_MAX 256 /* with the NUL */
#define KS_MP_TYPE_MAX 128     /* a part's Content-Type, with the NUL */

struct ks_mp_part {
	char name[KS_MP_NAME_MAX];
	char filename[KS_MP_FILENAME_MAX]; /* "" when the part is not a file */
	char content_type[KS_MP_TYPE_MAX]; /* "" when not given */
	const uint8_t *data;               /* into the body */
	size_t len;
};

/* The boundary parameter of a multipart/form-data Content-Type (quoted or
 * not); KS_ERR_PARSE when the type is another or the boundary invalid. */
KS_WUR int ks_multipart_boundary(const char *content_type, char *boundary, size_t n);

/* Split `body` into its parts (at most `max`); *count gets how many.
 * Every part must be form-data with a name. */
KS_WUR int ks_multipart_parse(const uint8_t *body, size_t n, const char *boundary,
			      struct ks_mp_part *parts, size_t max, size_t *count);

#endif
