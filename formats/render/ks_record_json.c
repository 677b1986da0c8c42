/* Reading the JSON values of a record: the path of the value being read
 * ("students[3].years[0].scores.Toán.hk1") and errors that name it, known
 * keys, text the fonts can print, codes, dates and school years
 * (docs/records.md). */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/render/ks_render_chars.h"
#include "formats/render/ks_record_int.h"
#include "ks_cur.h"
#include "ks_utf8.h"

/* Append ".key" or "[i]" to the path; returns the length to restore. */
size_t ks_rec_path_push(struct ks_rec_ctx *c, const char *fmt, ...)
{
	size_t saved = c->path_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->path + c->path_len, sizeof(c->path) - c->path_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->path_len += (size_t)n < sizeof(c->path) - c->path_len
				   ? (size_t)n
				   : sizeof(c->path) - c->path_len - 1;
	return saved;
}

void ks_rec_path_pop(struct ks_rec_ctx *c, size_t saved)
{
	c->path_len = saved;
	c->path[saved] = '\0';
}

/* "students[3] (Trần Văn B): years[0].scores.Toán.hk1: <message>" */
int ks_rec_fail(const struct ks_rec_ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return KS_SET(KS_ERR_ARG, "%s%s%s%s", c->who, c->path[0] == '.' ? c->path + 1 : c->path,
		      c->path_len > 0 ? ": " : "", msg);
}

/* The key is named in the message only when it is short printable text
 * (a key may hold terminal escapes). */
static int unknown_key(struct ks_rec_ctx *c, const char *key)
{
	struct ks_cur cur;
	uint32_t cp;
	size_t n = strlen(key);

	ks_cur_init(&cur, key, n);
	while (n <= 60 && !ks_cur_eof(&cur))
		if (ks_utf8_next(&cur, &cp) < 0 || !ks_render_char_ok(cp))
			n = SIZE_MAX;
	if (n > 60)
		return ks_rec_fail(c, "unknown field (a key of %zu bytes)", strlen(key));
	return ks_rec_fail(c, "unknown field '%s'", key);
}

int ks_rec_check_keys(struct ks_rec_ctx *c, const json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, key, v)
	{
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return unknown_key(c, key);
	}
	return 0;
}

int ks_rec_want_object(struct ks_rec_ctx *c, const json_t *v)
{
	if (!json_is_object(v))
		return ks_rec_fail(c, "must be an object");
	return 0;
}

/* A text: printable record characters (ks_render_chars.h), at most max
 * bytes, not empty unless optional. */
int ks_rec_check_text(struct ks_rec_ctx *c, const char *s, size_t n, size_t max, int flags)
{
	struct ks_cur cur;
	uint32_t cp;

	if (n > max)
		return ks_rec_fail(c, "%zu bytes, more than %zu", n, max);
	ks_cur_init(&cur, s, n);
	while (!ks_cur_eof(&cur)) {
		if (ks_utf8_next(&cur, &cp) < 0)
			return ks_rec_fail(c, "not UTF-8");
		if (cp >= KS_RENDER_COMBINING_FIRST && cp <= KS_RENDER_COMBINING_LAST)
			return ks_rec_fail(c,
					   "decomposed Unicode (combining mark U+%04X); send "
					   "precomposed (NFC) text",
					   (unsigned)cp);
		if (cp == '\n' && (flags & T_NEWLINES))
			continue;
		if (!ks_render_char_ok(cp))
			return ks_rec_fail(c, "character U+%04X cannot be printed in a record",
					   (unsigned)cp);
	}
	return 0;
}

int ks_rec_get_text(struct ks_rec_ctx *c, const json_t *obj, const char *key, char *out,
		    size_t outsz, int flags)
{
	const json_t *v = json_object_get(obj, key);
	size_t saved = ks_rec_path_push(c, ".%s", key), n;
	int rc = -1;

	out[0] = '\0';
	if (v == NULL || json_is_null(v)) {
		if (!(flags & T_OPTIONAL)) {
			ks_rec_fail(c, "missing");
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (!json_is_string(v)) {
		ks_rec_fail(c, "must be a string");
		goto out;
	}
	n = json_string_length(v);
	KS_GUARD(ks_rec_check_text(c, json_string_value(v), n, outsz - 1, flags));
	if (n == 0 && !(flags & T_OPTIONAL)) {
		ks_rec_fail(c, "empty");
		goto out;
	}
	memcpy(out, json_string_value(v), n);
	out[n] = '\0';
	rc = 0;
out:
	ks_rec_path_pop(c, saved);
	return rc;
}

/* A code: 1 to KS_REC_MAX_CODE ASCII letters, digits, '-' or '_'. */
int ks_rec_get_code(struct ks_rec_ctx *c, const json_t *obj, const char *key, char *out,
		    size_t outsz)
{
	size_t i, saved;

	if (ks_rec_get_text(c, obj, key, out, outsz, 0) < 0)
		return -1;
	for (i = 0; out[i] != '\0'; i++) {
		char ch = out[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= 'a' && ch <= 'z') || ch == '-' || ch == '_')) {
			saved = ks_rec_path_push(c, ".%s", key);
			ks_rec_fail(c, "'%s' may hold only letters A-Z, digits, '-' and '_'", out);
			ks_rec_path_pop(c, saved);
			return -1;
		}
	}
	return 0;
}

bool ks_rec_all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num4(const char *s)
{
	return (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
}

/* "YYYY-MM-DD", a real calendar date from 1900 to 2099. */
int ks_rec_get_date(struct ks_rec_ctx *c, const json_t *obj, const char *key, char out[11])
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	size_t saved;
	int y, m, d;

	if (ks_rec_get_text(c, obj, key, out, 11, 0) < 0)
		return -1;
	saved = ks_rec_path_push(c, ".%s", key);
	if (strlen(out) != 10 || out[4] != '-' || out[7] != '-' || !ks_rec_all_digits(out, 4) ||
	    !ks_rec_all_digits(out + 5, 2) || !ks_rec_all_digits(out + 8, 2))
		goto bad;
	y = num4(out);
	m = (out[5] - '0') * 10 + (out[6] - '0');
	d = (out[8] - '0') * 10 + (out[9] - '0');
	if (y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
	    (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		goto bad;
	ks_rec_path_pop(c, saved);
	return 0;
bad:
	ks_rec_fail(c, "'%s' is not a date YYYY-MM-DD", out);
	ks_rec_path_pop(c, saved);
	return -1;
}

/* "2025-2026": two consecutive years. */
int ks_rec_get_school_year(struct ks_rec_ctx *c, const json_t *obj, const char *key, char out[10])
{
	size_t saved;

	if (ks_rec_get_text(c, obj, key, out, 10, 0) < 0)
		return -1;
	if (strlen(out) == 9 && out[4] == '-' && ks_rec_all_digits(out, 4) &&
	    ks_rec_all_digits(out + 5, 4) && num4(out) >= 1900 && num4(out + 5) == num4(out) + 1 &&
	    num4(out) < 2099)
		return 0;
	saved = ks_rec_path_push(c, ".%s", key);
	ks_rec_fail(c, "'%s' is not a school year like 2025-2026", out);
	ks_rec_path_pop(c, saved);
	return -1;
}

/* One of a fixed list of words. */
int ks_rec_get_word(struct ks_rec_ctx *c, const json_t *obj, const char *key,
		    const char *const *words, char *out, size_t outsz, int flags)
{
	char list[200] = "";
	size_t i, n, saved;

	if (ks_rec_get_text(c, obj, key, out, outsz, flags) < 0)
		return -1;
	if (out[0] == '\0')
		return 0;
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(out, words[i]) == 0)
			return 0;
	for (i = 0; words[i] != NULL; i++) {
		n = strlen(list);
		snprintf(list + n, sizeof(list) - n, "%s%s", i > 0 ? ", " : "", words[i]);
	}
	saved = ks_rec_path_push(c, ".%s", key);
	ks_rec_fail(c, "'%s' is not one of %s", out, list);
	ks_rec_path_pop(c, saved);
	return -1;
}
