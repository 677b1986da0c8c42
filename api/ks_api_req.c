/* Request parameters from query strings, JSON and multipart bodies
 * (ks_api_req.h). */
#include "api/ks_api_req.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/ks_api_multipart.h"
#include "ks_codec.h"
#include "ks_cur.h"

#define CHAIN_MAX 8
#define PEM_HEAD "-----BEGIN"

static const char *const blob_names[] = { "document",    "content", "signature",
					  "certificate", "chain",   NULL };

void ks_api_params_init(struct ks_api_params *ps)
{
	memset(ps, 0, sizeof(*ps));
}

void ks_api_params_cleanup(struct ks_api_params *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		free(ps->p[i].value);
	for (i = 0; i < ps->nb; i++)
		ks_buf_cleanup(&ps->b[i].own);
	memset(ps, 0, sizeof(*ps));
}

bool ks_api_is_blob_name(const char *name)
{
	size_t i;

	for (i = 0; blob_names[i] != NULL; i++)
		if (strcmp(name, blob_names[i]) == 0)
			return true;
	return false;
}

/* Parameter names: [a-z0-9_-], 1..31. */
static int check_name(const char *name, size_t n)
{
	size_t i;

	if (n == 0 || n >= KS_API_PARAM_NAME_MAX)
		return KS_SET(KS_ERR_PARSE, "a parameter name must be 1 to %d characters",
			      KS_API_PARAM_NAME_MAX - 1);
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return KS_SET(KS_ERR_PARSE,
				      "a parameter name is lowercase letters, digits, '_' and '-'");
	}
	return 0;
}

/* Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF) without control characters. */
static bool text_ok(const uint8_t *s, size_t n)
{
	struct ks_cur c;
	uint8_t b, x;

	ks_cur_init(&c, s, n);
	while (ks_cur_u8(&c, &b) == 0) {
		uint32_t cp;
		int more;

		if (b < 0x80) {
			if (b < 0x20 || b == 0x7f)
				return false;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			cp = b & 0x1fu;
			more = 1;
		} else if (b >= 0xe0 && b <= 0xef) {
			cp = b & 0x0fu;
			more = 2;
		} else if (b >= 0xf0 && b <= 0xf4) {
			cp = b & 0x07u;
			more = 3;
		} else {
			return false;
		}
		while (more-- > 0) {
			if (ks_cur_u8(&c, &x) < 0 || (x & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (x & 0x3fu);
		}
		if ((b == 0xe0 && cp < 0x800) || (b == 0xf0 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return false;
	}
	return true;
}

int ks_api_params_add(struct ks_api_params *ps, const char *name, const char *value, size_t n)
{
	size_t i, nl = strlen(name);
	char *v;

	if (check_name(name, nl) < 0)
		return -1;
	if (ks_api_is_blob_name(name))
		return KS_SET(KS_ERR_PARSE,
			      "'%s' is a binary value: send it in a JSON or "
			      "multipart body",
			      name);
	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].name, name) == 0)
			return KS_SET(KS_ERR_PARSE, "parameter '%s' given more than once", name);
	if (ps->n >= KS_API_PARAMS_MAX)
		return KS_SET(KS_ERR_LIMIT, "more than %d parameters", KS_API_PARAMS_MAX);
	if (n > KS_API_PARAM_VALUE_MAX)
		return KS_SET(KS_ERR_LIMIT, "parameter '%s' is longer than %d bytes", name,
			      KS_API_PARAM_VALUE_MAX);
	if (!text_ok((const uint8_t *)value, n))
		return KS_SET(KS_ERR_ENCODING,
			      "parameter '%s' is not UTF-8 text without control characters", name);
	v = malloc(n + 1);
	if (v == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	memcpy(v, value, n);
	v[n] = '\0';
	memcpy(ps->p[ps->n].name, name, nl + 1);
	ps->p[ps->n].value = v;
	ps->n++;
	return 0;
}

int ks_api_params_add_blob(struct ks_api_params *ps, const char *name, const uint8_t *data,
			   size_t n, bool base64)
{
	struct ks_api_blob *b;
	size_t i, same = 0;

	if (!ks_api_is_blob_name(name))
		return KS_SET(KS_ERR_PARSE, "'%s' is not a binary value", name);
	for (i = 0; i < ps->nb; i++)
		if (strcmp(ps->b[i].name, name) == 0)
			same++;
	if (same > 0 && strcmp(name, "chain") != 0)
		return KS_SET(KS_ERR_PARSE, "'%s' given more than once", name);
	if (same >= CHAIN_MAX)
		return KS_SET(KS_ERR_LIMIT, "more than %d chain certificates", CHAIN_MAX);
	if (ps->nb >= KS_API_BLOBS_MAX)
		return KS_SET(KS_ERR_LIMIT, "more than %d binary values", KS_API_BLOBS_MAX);
	b = &ps->b[ps->nb];
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	ks_buf_init(&b->own, n / 4 * 3 + 4);
	if (base64) {
		bool cert = strcmp(name, "certificate") == 0 || strcmp(name, "chain") == 0;

		/* a certificate may also come as PEM text */
		if (cert && n >= strlen(PEM_HEAD) &&
		    memcmp(data, PEM_HEAD, strlen(PEM_HEAD)) == 0) {
			ks_buf_cleanup(&b->own);
			ks_buf_init(&b->own, n);
			if (ks_buf_append(&b->own, data, n) < 0)
				goto fail;
		} else if (ks_base64_decode((const char *)data, n, true, &b->own) < 0) {
			ks_buf_cleanup(&b->own);
			return KS_SET(KS_ERR_ENCODING, "'%s' is not valid base64", name);
		}
		b->data = b->own.len > 0 ? b->own.data : (const uint8_t *)"";
		b->len = b->own.len;
	} else {
		b->data = n > 0 ? data : (const uint8_t *)"";
		b->len = n;
	}
	ps->nb++;
	return 0;
fail:
	ks_buf_cleanup(&b->own);
	return -1;
}

/* ---- query strings (application/x-www-form-urlencoded) ---- */

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode (and '+' to space) a cursor into out. */
static int unescape(struct ks_cur *c, char *out, size_t cap, size_t *n)
{
	uint8_t b, h1, h2;

	*n = 0;
	while (ks_cur_u8(c, &b) == 0) {
		if (b == '%') {
			if (ks_cur_u8(c, &h1) < 0 || ks_cur_u8(c, &h2) < 0 || hexval(h1) < 0 ||
			    hexval(h2) < 0)
				return KS_SET(KS_ERR_ENCODING, "bad %%-escape in the query string");
			b = (uint8_t)(hexval(h1) * 16 + hexval(h2));
		} else if (b == '+') {
			b = ' ';
		}
		if (*n + 1 >= cap)
			return KS_SET(KS_ERR_LIMIT, "a query parameter is too long");
		out[(*n)++] = (char)b;
	}
	out[*n] = '\0';
	return 0;
}

int ks_api_params_from_query(const char *query, size_t n, struct ks_api_params *ps)
{
	char name[KS_API_PARAM_NAME_MAX + 1];
	char *value = NULL;
	struct ks_cur all, pair, k;
	size_t nl, vl, i;
	int rc = -1;

	if (n > KS_API_QUERY_MAX)
		return KS_SET(KS_ERR_LIMIT, "query string longer than %d bytes", KS_API_QUERY_MAX);
	value = malloc(KS_API_PARAM_VALUE_MAX + 1);
	if (value == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	ks_cur_init(&all, query, n);
	while (!ks_cur_eof(&all)) {
		for (i = 0; i < all.left && all.p[i] != '&'; i++)
			;
		KS_GUARD(ks_cur_sub(&all, i, &pair));
		if (!ks_cur_eof(&all))
			KS_GUARD(ks_cur_skip(&all, 1));
		if (pair.left == 0)
			continue;
		for (i = 0; i < pair.left && pair.p[i] != '='; i++)
			;
		if (i == pair.left)
			KS_BAIL(KS_ERR_PARSE, "a query parameter without a value");
		KS_GUARD(ks_cur_sub(&pair, i, &k));
		KS_GUARD(ks_cur_skip(&pair, 1));
		KS_GUARD(unescape(&k, name, sizeof(name), &nl));
		KS_GUARD(unescape(&pair, value, KS_API_PARAM_VALUE_MAX + 1, &vl));
		if (strlen(name) != nl)
			KS_BAIL(KS_ERR_PARSE, "a NUL in a parameter name");
		KS_GUARD(ks_api_params_add(ps, name, value, vl));
	}
	rc = 0;
out:
	free(value);
	return rc;
}

/* ---- JSON ---- */

static int json_member(struct ks_api_params *ps, const char *name, json_t *v)
{
	char num[32];
	size_t i;

	if (ks_api_is_blob_name(name)) {
		if (json_is_string(v))
			return ks_api_params_add_blob(ps, name,
						      (const uint8_t *)json_string_value(v),
						      json_string_length(v), true);
		if (strcmp(name, "chain") == 0 && json_is_array(v)) {
			for (i = 0; i < json_array_size(v); i++) {
				json_t *e = json_array_get(v, i);

				if (!json_is_string(e))
					return KS_SET(KS_ERR_PARSE,
						      "'chain' is an array of base64 certificates");
				if (ks_api_params_add_blob(ps, name,
							   (const uint8_t *)json_string_value(e),
							   json_string_length(e), true) < 0)
					return -1;
			}
			return 0;
		}
		return KS_SET(KS_ERR_PARSE, "'%s' must be a base64 string", name);
	}
	if (json_is_string(v))
		return ks_api_params_add(ps, name, json_string_value(v), json_string_length(v));
	if (json_is_boolean(v))
		return ks_api_params_add(ps, name, json_is_true(v) ? "true" : "false",
					 json_is_true(v) ? 4 : 5);
	if (json_is_integer(v)) {
		int w = snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));

		return ks_api_params_add(ps, name, num, w > 0 ? (size_t)w : 0);
	}
	return KS_SET(KS_ERR_PARSE, "'%s' must be a string, a boolean or an integer", name);
}

int ks_api_params_from_json(const uint8_t *body, size_t n, struct ks_api_params *ps)
{
	json_error_t e;
	json_t *o, *v;
	const char *name;
	int rc = -1;

	o = json_loadb((const char *)body, n, JSON_REJECT_DUPLICATES, &e);
	if (o == NULL)
		return KS_SET(KS_ERR_PARSE, "malformed JSON at line %d, column %d", e.line,
			      e.column);
	if (!json_is_object(o))
		KS_BAIL(KS_ERR_PARSE, "the JSON body must be an object");
	json_object_foreach(o, name, v)
	{
		if (strlen(name) >= KS_API_PARAM_NAME_MAX || check_name(name, strlen(name)) < 0)
			KS_BAIL(KS_ERR_PARSE,
				"a member name must be lowercase letters, digits, "
				"'_' and '-' (at most %d)",
				KS_API_PARAM_NAME_MAX - 1);
		KS_GUARD(json_member(ps, name, v));
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* ---- multipart ---- */

int ks_api_params_from_multipart(const char *content_type, const uint8_t *body, size_t n,
				 struct ks_api_params *ps)
{
	char boundary[KS_MP_BOUNDARY_MAX + 1];
	struct ks_mp_part *parts;
	size_t count = 0, i;
	int rc = -1;

	parts = calloc(KS_MP_PARTS_MAX, sizeof(*parts));
	if (parts == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_multipart_boundary(content_type, boundary, sizeof(boundary)));
	KS_GUARD(ks_multipart_parse(body, n, boundary, parts, KS_MP_PARTS_MAX, &count));
	for (i = 0; i < count; i++) {
		const char *name = strcmp(parts[i].name, "file") == 0 ? "document" : parts[i].name;

		if (check_name(name, strlen(name)) < 0)
			goto out;
		if (ks_api_is_blob_name(name))
			KS_GUARD(
			    ks_api_params_add_blob(ps, name, parts[i].data, parts[i].len, false));
		else
			KS_GUARD(
			    ks_api_params_add(ps, name, (const char *)parts[i].data, parts[i].len));
	}
	rc = 0;
out:
	free(parts);
	return rc;
}

/* ---- lookups ---- */

const char *ks_api_param(const struct ks_api_params *ps, const char *name)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].name, name) == 0)
			return ps->p[i].value;
	return NULL;
}

const struct ks_api_blob *ks_api_blob(const struct ks_api_params *ps, const char *name)
{
	size_t i;

	for (i = 0; i < ps->nb; i++)
		if (strcmp(ps->b[i].name, name) == 0)
			return &ps->b[i];
	return NULL;
}

static bool listed(const char *name, const char *const *known)
{
	size_t i;

	for (i = 0; known[i] != NULL; i++)
		if (strcmp(known[i], name) == 0)
			return true;
	return false;
}

const char *ks_api_params_unknown(const struct ks_api_params *ps, const char *const *known)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (!listed(ps->p[i].name, known))
			return ps->p[i].name;
	for (i = 0; i < ps->nb; i++)
		if (!listed(ps->b[i].name, known))
			return ps->b[i].name;
	return NULL;
}

int ks_api_param_bool(const struct ks_api_params *ps, const char *name, bool *v)
{
	const char *s = ks_api_param(ps, name);

	*v = false;
	if (s == NULL)
		return 0;
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcmp(s, "yes") == 0)
		*v = true;
	else if (strcmp(s, "false") != 0 && strcmp(s, "0") != 0 && strcmp(s, "no") != 0)
		return KS_SET(KS_ERR_PARSE, "'%s' must be true or false", name);
	return 0;
}
