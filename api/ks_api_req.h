/* ks_api_req: the parameters of one API request, however they came
 * (docs/openapi.yaml, "Request bodies"):
 *   - a raw body (application/pdf, application/xml,
 *     application/octet-stream, ...): the body is the document, the
 *     options are query parameters (?key=seal&level=B-T);
 *   - application/json: an object whose members are the options, the
 *     document and other binary values in base64 ("document", "content",
 *     "signature", "certificate", "chain" (an array));
 *   - multipart/form-data: a part per option, the document as the part
 *     "document" (or "file").
 * The result is the same either way: text parameters (name, value) and
 * binary values (name, bytes).  A repeated name, an unknown kind of
 * value, bad base64, bad escapes, anything past a limit: refused
 * (KS_ERR_PARSE / KS_ERR_ENCODING / KS_ERR_LIMIT), with a message that
 * may be shown to the client (it names the parameter, never echoes
 * bytes). */
#ifndef KS_API_REQ_H
#define KS_API_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_buf.h"
#include "ks_err.h"

#define KS_API_PARAMS_MAX 32
#define KS_API_PARAM_NAME_MAX 32    /* with the NUL */
#define KS_API_PARAM_VALUE_MAX 4096 /* bytes of one text value */
#define KS_API_BLOBS_MAX 12
#define KS_API_QUERY_MAX 16384 /* bytes of a query string */
#define KS_API_JSON_DEPTH 4

struct ks_api_param {
	char name[KS_API_PARAM_NAME_MAX];
	char *value; /* owned, NUL-terminated UTF-8 without control characters */
};

struct ks_api_blob {
	char name[KS_API_PARAM_NAME_MAX];
	const uint8_t *data; /* into the request body, or own.data */
	size_t len;
	struct ks_buf own; /* decoded base64 */
};

struct ks_api_params {
	struct ks_api_param p[KS_API_PARAMS_MAX];
	size_t n;
	struct ks_api_blob b[KS_API_BLOBS_MAX];
	size_t nb;
};

void ks_api_params_init(struct ks_api_params *ps);
void ks_api_params_cleanup(struct ks_api_params *ps);

/* Is `name` one of the binary values ("document", "content",
 * "signature", "certificate", "chain")? */
bool ks_api_is_blob_name(const char *name);

/* The query string (after '?', without it; may be empty). */
KS_WUR int ks_api_params_from_query(const char *query, size_t n, struct ks_api_params *ps);
/* A JSON object body. */
KS_WUR int ks_api_params_from_json(const uint8_t *body, size_t n, struct ks_api_params *ps);
/* A multipart/form-data body (Content-Type gives the boundary).  Blobs
 * point into `body`, which must outlive ps. */
KS_WUR int ks_api_params_from_multipart(const char *content_type, const uint8_t *body, size_t n,
					struct ks_api_params *ps);

/* Lookups: NULL when absent. */
const char *ks_api_param(const struct ks_api_params *ps, const char *name);
const struct ks_api_blob *ks_api_blob(const struct ks_api_params *ps, const char *name);
/* The name of a parameter not among `known` (a NULL-terminated list), or
 * NULL when all are known. */
const char *ks_api_params_unknown(const struct ks_api_params *ps, const char *const *known);

/* "true"/"false" (also "1"/"0", "yes"/"no"); KS_ERR_PARSE otherwise. */
KS_WUR int ks_api_param_bool(const struct ks_api_params *ps, const char *name, bool *v);

/* Add a value (used by the parsers; exposed for tests). */
KS_WUR int ks_api_params_add(struct ks_api_params *ps, const char *name, const char *value,
			     size_t n);
KS_WUR int ks_api_params_add_blob(struct ks_api_params *ps, const char *name, const uint8_t *data,
				  size_t n, bool base64);

#endif
