/* multipart/form-data bodies (ks_api_multipart.h). */
#include "api/ks_api_multipart.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "ks_cur.h"

#define FORM_DATA "multipart/form-data"

/* RFC 2046 5.1.1 bchars. */
static bool bchar(uint8_t b)
{
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
	       strchr("'()+_,-./:=? ", b) != NULL;
}

static bool ows(uint8_t b)
{
	return b == ' ' || b == '\t';
}

static bool tchar(uint8_t b)
{
	return b > 0x20 && b < 0x7f && strchr("\"(),/:;<=>?@[\\]{}", b) == NULL;
}

/* A parameter value: quoted-string or token, into out (NUL-terminated). */
static int param_value(struct ks_cur *c, char *out, size_t n)
{
	size_t used = 0;
	uint8_t b;

	if (ks_cur_accept(c, "\"", 1)) {
		for (;;) {
			if (ks_cur_u8(c, &b) < 0)
				return KS_SET(KS_ERR_PARSE,
					      "multipart: unterminated quoted string");
			if (b == '"')
				break;
			if (b == '\\' && ks_cur_u8(c, &b) < 0)
				return KS_SET(KS_ERR_PARSE,
					      "multipart: unterminated quoted string");
			if (b < 0x20 || b == 0x7f)
				return KS_SET(KS_ERR_PARSE,
					      "multipart: control character in a value");
			if (used + 1 >= n)
				return KS_SET(KS_ERR_LIMIT, "multipart: a parameter is too long");
			out[used++] = (char)b;
		}
	} else {
		while (ks_cur_peek(c, &b) == 0 && tchar(b)) {
			if (used + 1 >= n)
				return KS_SET(KS_ERR_LIMIT, "multipart: a parameter is too long");
			out[used++] = (char)b;
			if (ks_cur_skip(c, 1) < 0)
				return -1;
		}
		if (used == 0)
			return KS_SET(KS_ERR_PARSE, "multipart: empty parameter value");
	}
	out[used] = '\0';
	return 0;
}

/* ";" OWS name "=" value, repeated; `fn` sees each. */
static int params(struct ks_cur *c, int (*fn)(void *, const char *, const char *), void *arg)
{
	char name[32], value[KS_MP_FILENAME_MAX];
	size_t k;
	uint8_t b;

	for (;;) {
		ks_cur_skip_while(c, ows);
		if (ks_cur_eof(c))
			return 0;
		if (!ks_cur_accept(c, ";", 1))
			return KS_SET(KS_ERR_PARSE, "multipart: expected ';' between parameters");
		ks_cur_skip_while(c, ows);
		for (k = 0; ks_cur_peek(c, &b) == 0 && tchar(b) && b != '='; k++) {
			if (k + 1 >= sizeof(name))
				return KS_SET(KS_ERR_LIMIT, "multipart: parameter name too long");
			name[k] = (char)b;
			if (ks_cur_skip(c, 1) < 0)
				return -1;
		}
		name[k] = '\0';
		ks_cur_skip_while(c, ows);
		if (k == 0 || !ks_cur_accept(c, "=", 1))
			return KS_SET(KS_ERR_PARSE, "multipart: expected name=value");
		ks_cur_skip_while(c, ows);
		if (param_value(c, value, sizeof(value)) < 0 || fn(arg, name, value) < 0)
			return -1;
	}
}

struct ct_arg {
	char *boundary;
	size_t n;
	bool found;
};

static int on_ct_param(void *arg, const char *name, const char *value)
{
	struct ct_arg *a = arg;
	size_t i, len = strlen(value);

	if (strcasecmp(name, "boundary") != 0)
		return 0;
	if (a->found)
		return KS_SET(KS_ERR_PARSE, "multipart: two boundaries");
	if (len == 0 || len > KS_MP_BOUNDARY_MAX || len >= a->n || value[len - 1] == ' ')
		return KS_SET(KS_ERR_PARSE, "multipart: the boundary must be 1 to 70 characters");
	for (i = 0; i < len; i++)
		if (!bchar((uint8_t)value[i]))
			return KS_SET(KS_ERR_PARSE, "multipart: invalid character in the boundary");
	memcpy(a->boundary, value, len + 1);
	a->found = true;
	return 0;
}

int ks_multipart_boundary(const char *content_type, char *boundary, size_t n)
{
	struct ct_arg a = { boundary, n, false };
	struct ks_cur c;
	size_t tl = strlen(FORM_DATA);

	if (content_type == NULL || strlen(content_type) > KS_MP_HEADER_LINE_MAX)
		return KS_SET(KS_ERR_PARSE, "not multipart/form-data");
	ks_cur_init(&c, content_type, strlen(content_type));
	ks_cur_skip_while(&c, ows);
	if (c.left < tl || strncasecmp((const char *)c.p, FORM_DATA, tl) != 0 ||
	    ks_cur_skip(&c, tl) < 0)
		return KS_SET(KS_ERR_PARSE, "not multipart/form-data");
	if (params(&c, on_ct_param, &a) < 0)
		return -1;
	if (!a.found)
		return KS_SET(KS_ERR_PARSE, "multipart/form-data without a boundary");
	return 0;
}

struct cd_arg {
	struct ks_mp_part *part;
	bool name, filename;
};

static int on_cd_param(void *arg, const char *name, const char *value)
{
	struct cd_arg *a = arg;
	size_t len = strlen(value);

	if (strcasecmp(name, "name") == 0) {
		if (a->name || len == 0 || len >= sizeof(a->part->name))
			return KS_SET(KS_ERR_PARSE, "multipart: bad or repeated field name");
		memcpy(a->part->name, value, len + 1);
		a->name = true;
	} else if (strcasecmp(name, "filename") == 0) {
		if (a->filename || len >= sizeof(a->part->filename))
			return KS_SET(KS_ERR_PARSE, "multipart: bad or repeated file name");
		memcpy(a->part->filename, value, len + 1);
		a->filename = true;
	}
	return 0;
}

/* One header line of a part (without its CRLF). */
static int header(struct ks_cur *line, struct ks_mp_part *part, bool *disposition)
{
	static const char cd[] = "content-disposition:", ct[] = "content-type:";
	struct cd_arg a = { part, false, false };
	size_t i;

	for (i = 0; i < line->left; i++)
		if (line->p[i] < 0x20 && line->p[i] != '\t')
			return KS_SET(KS_ERR_PARSE, "multipart: control character in a header");
	if (line->left >= sizeof(cd) - 1 &&
	    strncasecmp((const char *)line->p, cd, sizeof(cd) - 1) == 0) {
		if (*disposition)
			return KS_SET(KS_ERR_PARSE, "multipart: two Content-Disposition headers");
		*disposition = true;
		if (ks_cur_skip(line, sizeof(cd) - 1) < 0)
			return -1;
		ks_cur_skip_while(line, ows);
		if (line->left < 9 || strncasecmp((const char *)line->p, "form-data", 9) != 0 ||
		    ks_cur_skip(line, 9) < 0)
			return KS_SET(KS_ERR_PARSE, "multipart: a part is not form-data");
		if (params(line, on_cd_param, &a) < 0)
			return -1;
		if (!a.name)
			return KS_SET(KS_ERR_PARSE, "multipart: a part without a name");
		return 0;
	}
	if (line->left >= sizeof(ct) - 1 &&
	    strncasecmp((const char *)line->p, ct, sizeof(ct) - 1) == 0) {
		if (ks_cur_skip(line, sizeof(ct) - 1) < 0)
			return -1;
		ks_cur_skip_while(line, ows);
		if (line->left >= sizeof(part->content_type))
			return KS_SET(KS_ERR_LIMIT, "multipart: Content-Type too long");
		memcpy(part->content_type, line->p, line->left);
		part->content_type[line->left] = '\0';
	}
	/* others (Content-Transfer-Encoding is deprecated by RFC 7578 4.7)
	 * are ignored */
	return 0;
}

static int headers(struct ks_cur *c, struct ks_mp_part *part)
{
	struct ks_cur line;
	bool disposition = false;
	size_t n = 0;
	const uint8_t *eol;

	for (;;) {
		eol = memmem(
		    c->p, c->left < KS_MP_HEADER_LINE_MAX + 2 ? c->left : KS_MP_HEADER_LINE_MAX + 2,
		    "\r\n", 2);
		if (eol == NULL)
			return KS_SET(c->left > KS_MP_HEADER_LINE_MAX ? KS_ERR_LIMIT : KS_ERR_PARSE,
				      "multipart: a header line does not end");
		if (ks_cur_sub(c, (size_t)(eol - c->p), &line) < 0 || ks_cur_skip(c, 2) < 0)
			return -1;
		if (line.left == 0)
			break;
		if (++n > KS_MP_HEADERS_MAX)
			return KS_SET(KS_ERR_LIMIT, "multipart: more than %d headers in a part",
				      KS_MP_HEADERS_MAX);
		if (header(&line, part, &disposition) < 0)
			return -1;
	}
	if (!disposition)
		return KS_SET(KS_ERR_PARSE, "multipart: a part without Content-Disposition");
	return 0;
}

int ks_multipart_parse(const uint8_t *body, size_t n, const char *boundary,
		       struct ks_mp_part *parts, size_t max, size_t *count)
{
	char delim[KS_MP_BOUNDARY_MAX + 5];
	size_t bl = strlen(boundary), dl;
	struct ks_cur c, data;
	const uint8_t *at;

	*count = 0;
	if (bl == 0 || bl > KS_MP_BOUNDARY_MAX)
		return KS_SET(KS_ERR_PARSE, "multipart: bad boundary");
	/* delimiter = CRLF "--" boundary; the first may start the body */
	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, boundary, bl);
	dl = bl + 4;
	ks_cur_init(&c, body, n);
	if (!ks_cur_accept(&c, delim + 2, dl - 2)) {
		at = memmem(c.p, c.left, delim, dl);
		if (at == NULL || ks_cur_skip(&c, (size_t)(at - c.p) + dl) < 0)
			return KS_SET(KS_ERR_PARSE, "multipart: no boundary in the body");
	}
	for (;;) {
		struct ks_mp_part *p;

		if (ks_cur_accept(&c, "--", 2))
			return 0; /* close-delimiter; the epilogue is ignored */
		ks_cur_skip_while(&c, ows);
		if (!ks_cur_accept(&c, "\r\n", 2))
			return KS_SET(KS_ERR_PARSE, "multipart: a boundary line does not end");
		if (*count >= max || *count >= KS_MP_PARTS_MAX)
			return KS_SET(KS_ERR_LIMIT, "multipart: more than %zu parts",
				      max < KS_MP_PARTS_MAX ? max : (size_t)KS_MP_PARTS_MAX);
		p = &parts[*count];
		memset(p, 0, sizeof(*p));
		if (headers(&c, p) < 0)
			return -1;
		at = memmem(c.p, c.left, delim, dl);
		if (at == NULL)
			return KS_SET(KS_ERR_PARSE, "multipart: a part does not end (no boundary)");
		if (ks_cur_sub(&c, (size_t)(at - c.p), &data) < 0 || ks_cur_skip(&c, dl) < 0)
			return -1;
		p->data = data.left > 0 ? data.p : (const uint8_t *)"";
		p->len = data.left;
		(*count)++;
	}
}
