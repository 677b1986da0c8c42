/* Long base64 strings lifted out of a JSON text before it is parsed
 * (ks_api_jsonlift.h).
 *
 * The scan knows only what it must: where strings begin and end (a
 * backslash escapes the next byte) and how deep the brackets outside
 * them go.  A string is lifted when it is a value (no ':' follows it),
 * sits at the depth asked for, is at least `min` bytes long and holds
 * nothing but base64 characters (so no escape, no quote, no control
 * character: its text is its value).  Everything else is copied as it
 * is; a text that is not JSON stays not JSON, for the parser to say so. */
#include "api/ks_api_jsonlift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ks_cur.h"

static bool is_b64(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=' || c == '-' || c == '_';
}

static bool is_json_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Does a ':' follow (after white space)?  Then the string was a key. */
static bool key_follows(const struct ks_cur *c)
{
	struct ks_cur v = *c;
	uint8_t ch;

	ks_cur_skip_while(&v, is_json_ws);
	return ks_cur_peek(&v, &ch) == 0 && ch == ':';
}

static int add_span(struct ks_api_lifted *l, const uint8_t *p, size_t n)
{
	struct ks_api_span *grown;
	size_t cap;

	if (l->n == l->cap) {
		if (l->n >= KS_API_LIFT_MAX)
			return KS_SET(KS_ERR_LIMIT, "more than %d long strings", KS_API_LIFT_MAX);
		cap = l->cap == 0 ? 16 : l->cap * 2;
		grown = realloc(l->v, cap * sizeof(*l->v));
		if (grown == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		l->v = grown;
		l->cap = cap;
	}
	l->v[l->n].p = p;
	l->v[l->n].n = n;
	l->n++;
	return 0;
}

/* The rest of a string (its opening quote already copied), copied up
 * to and with its closing quote, escapes kept.  An unterminated string
 * is copied to the end: the parser says what is wrong with it. */
static int copy_string_rest(struct ks_cur *c, struct ks_buf *out)
{
	uint8_t ch;

	while (!ks_cur_eof(c) && ks_cur_u8(c, &ch) == 0) {
		if (ks_buf_append_byte(out, ch) < 0)
			return -1;
		if (ch == '"')
			return 0;
		if (ch == '\\' && !ks_cur_eof(c)) {
			if (ks_cur_u8(c, &ch) < 0 || ks_buf_append_byte(out, ch) < 0)
				return -1;
		}
	}
	return 0;
}

int ks_api_json_lift(const uint8_t *json, size_t len, unsigned depth, size_t min,
		     struct ks_buf *out, struct ks_api_lifted *l)
{
	struct ks_cur c, s;
	const uint8_t *start;
	unsigned at = 0;
	size_t run;
	uint8_t ch;
	char tag[48];
	int w;

	ks_cur_init(&c, json, len);
	while (!ks_cur_eof(&c) && ks_cur_u8(&c, &ch) == 0) {
		if (ch != '"') {
			if (ch == '{' || ch == '[')
				at++;
			else if ((ch == '}' || ch == ']') && at > 0)
				at--;
			if (ks_buf_append_byte(out, ch) < 0)
				return -1;
			continue;
		}
		s = c;
		run = ks_cur_skip_while(&c, is_b64);
		if (at == depth && run >= min && ks_cur_accept(&c, "\"", 1) && !key_follows(&c)) {
			struct ks_cur v = s;

			if (ks_cur_bytes(&v, run, &start) < 0)
				return -1;
			w = snprintf(tag, sizeof(tag), "\"" KS_API_LIFT_TAG_JSON "%zu\"", l->n);
			if (w < 0 || (size_t)w >= sizeof(tag))
				return KS_SET(KS_ERR_INTERNAL, "lifted string tag");
			if (add_span(l, start, run) < 0)
				return -1;
			if (ks_buf_append(out, tag, (size_t)w) < 0)
				return -1;
			continue;
		}
		/* not lifted: copied from its opening quote on */
		c = s;
		if (ks_buf_append_byte(out, '"') < 0)
			return -1;
		if (copy_string_rest(&c, out) < 0)
			return -1;
	}
	return 0;
}

const struct ks_api_span *ks_api_json_lifted(const char *s, size_t n, const struct ks_api_lifted *l)
{
	size_t k = sizeof(KS_API_LIFT_TAG) - 1, i, idx = 0;

	if (l == NULL || n <= k || n > k + 10 || memcmp(s, KS_API_LIFT_TAG, k) != 0)
		return NULL;
	for (i = k; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return NULL;
		idx = idx * 10 + (size_t)(s[i] - '0');
	}
	return idx < l->n ? &l->v[idx] : NULL;
}

void ks_api_lifted_cleanup(struct ks_api_lifted *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
