/* ks_pdf_lex: PDF direct objects (ISO 32000-1 7.2, 7.3) from bytes into
 * ks_pdf_val trees, through the cursor. */
#include "ks_pdf_lex.h"

#include "formats/pdf/ks_pdf_chars.h"

#include <stdlib.h>
#include <string.h>

/* Move over bytes already peeked (cannot fail). */
static void adv(struct ks_cur *c, size_t n)
{
	if (ks_cur_skip(c, n) < 0)
		ks_err_clear();
}

void ks_pdf_lex_skip_ws(struct ks_cur *c)
{
	uint8_t b;

	for (;;) {
		(void)ks_cur_skip_while(c, ks_pdf_is_ws);
		if (ks_cur_peek(c, &b) < 0 || b != '%')
			return;
		while (ks_cur_peek(c, &b) == 0 && b != '\n' && b != '\r')
			adv(c, 1);
	}
}

static int parse_name(struct ks_cur *c, struct ks_pdf_val **out)
{
	char buf[128];
	size_t n = 0;
	uint8_t b, h1, h2;

	if (ks_cur_skip(c, 1) < 0)
		return -1;
	while (ks_cur_peek(c, &b) == 0 && !ks_pdf_is_ws(b) && !ks_pdf_is_delim(b)) {
		if (n + 1 >= sizeof(buf))
			return KS_SET(KS_ERR_PARSE, "name too long");
		adv(c, 1);
		if (b == '#' && ks_cur_peek_at(c, 0, &h1) == 0 && ks_cur_peek_at(c, 1, &h2) == 0 &&
		    ks_pdf_hexval(h1) >= 0 && ks_pdf_hexval(h2) >= 0) {
			b = (uint8_t)(ks_pdf_hexval(h1) << 4 | ks_pdf_hexval(h2));
			adv(c, 2);
		}
		buf[n++] = (char)b;
	}
	buf[n] = '\0';
	*out = ks_pdf_val_name(buf);
	return *out == NULL ? -1 : 0;
}

static int parse_literal(struct ks_cur *c, struct ks_pdf_val **out)
{
	struct ks_buf s;
	int nest = 1, rc = -1;
	uint8_t b, e;

	ks_buf_init(&s, 65535);
	KS_GUARD(ks_cur_skip(c, 1));
	for (;;) {
		KS_GUARD(ks_cur_u8(c, &b));
		if (b == '(') {
			nest++;
		} else if (b == ')') {
			if (--nest == 0)
				break;
		} else if (b == '\\') {
			KS_GUARD(ks_cur_u8(c, &e));
			switch (e) {
			case '\r':
				if (ks_cur_peek(c, &e) == 0 && e == '\n')
					adv(c, 1);
				continue;
			case '\n':
				continue;
			default:
				if (e >= '0' && e <= '7') {
					unsigned v = (unsigned)(e - '0');
					int k;

					for (k = 0; k < 2 && ks_cur_peek(c, &e) == 0 && e >= '0' &&
						    e <= '7';
					     k++) {
						v = v * 8 + (unsigned)(e - '0');
						adv(c, 1);
					}
					b = (uint8_t)v;
				} else {
					b = ks_pdf_unescape(e);
				}
			}
		}
		KS_GUARD(ks_buf_append_byte(&s, b));
	}
	*out = ks_pdf_val_string(s.data, s.len);
	rc = *out == NULL ? -1 : 0;
out:
	ks_buf_cleanup(&s);
	return rc;
}

static int parse_hex(struct ks_cur *c, struct ks_pdf_val **out)
{
	struct ks_buf s;
	int hi = -1, rc = -1;
	uint8_t b;

	ks_buf_init(&s, 65535);
	KS_GUARD(ks_cur_skip(c, 1));
	for (;;) {
		KS_GUARD(ks_cur_u8(c, &b));
		if (b == '>')
			break;
		if (ks_pdf_is_ws(b))
			continue;
		if (ks_pdf_hexval(b) < 0)
			KS_BAIL(KS_ERR_PARSE, "bad hex string");
		if (hi < 0) {
			hi = ks_pdf_hexval(b);
		} else {
			KS_GUARD(ks_buf_append_byte(&s, (uint8_t)(hi << 4 | ks_pdf_hexval(b))));
			hi = -1;
		}
	}
	if (hi >= 0)
		KS_GUARD(ks_buf_append_byte(&s, (uint8_t)(hi << 4)));
	*out = ks_pdf_val_string(s.data, s.len);
	rc = *out == NULL ? -1 : 0;
out:
	ks_buf_cleanup(&s);
	return rc;
}

/* number, or "num gen R" */
static int parse_number(struct ks_cur *c, struct ks_pdf_val **out)
{
	char tok[64];
	size_t n = 0;
	uint8_t b;
	char *end;
	bool real = false;
	struct ks_cur save;

	while (ks_cur_peek(c, &b) == 0 && ks_pdf_is_regular(b)) {
		if (n + 1 >= sizeof(tok))
			return KS_SET(KS_ERR_PARSE, "number too long");
		tok[n++] = (char)b;
		real |= b == '.';
		adv(c, 1);
	}
	tok[n] = '\0';
	if (real) {
		double d = strtod(tok, &end);

		if (*end != '\0')
			return KS_SET(KS_ERR_PARSE, "bad number '%s'", tok);
		*out = ks_pdf_val_real(d);
		return *out == NULL ? -1 : 0;
	}
	{
		long long v = strtoll(tok, &end, 10);

		if (*end != '\0' || n == 0)
			return KS_SET(KS_ERR_PARSE, "bad token '%s'", tok);
		/* Lookahead for "gen R". */
		save = *c;
		if (v >= 0 && v <= 8388607) {
			uint64_t g;

			ks_pdf_lex_skip_ws(c);
			if (ks_cur_decimal(c, 5, 65535, &g) == 0) {
				ks_pdf_lex_skip_ws(c);
				if (ks_cur_accept(c, "R", 1) &&
				    (ks_cur_peek(c, &b) < 0 || !ks_pdf_is_regular(b))) {
					*out = ks_pdf_val_ref((uint32_t)v, (uint16_t)g);
					return *out == NULL ? -1 : 0;
				}
			}
			ks_err_clear();
		}
		*c = save;
		*out = ks_pdf_val_int(v);
		return *out == NULL ? -1 : 0;
	}
}

int ks_pdf_lex_value(struct ks_cur *c, int depth, struct ks_pdf_val **out)
{
	uint8_t b, b2;
	struct ks_pdf_val *v = NULL, *item = NULL;
	int rc = -1;

	*out = NULL;
	if (depth > KS_PDF_VAL_MAX_DEPTH)
		KS_BAIL(KS_ERR_LIMIT, "nesting too deep");
	ks_pdf_lex_skip_ws(c);
	KS_GUARD(ks_cur_peek(c, &b));
	if (b == '/') {
		KS_GUARD(parse_name(c, &v));
	} else if (b == '(') {
		KS_GUARD(parse_literal(c, &v));
	} else if (b == '<' && ks_cur_peek_at(c, 1, &b2) == 0 && b2 == '<') {
		KS_GUARD(ks_cur_skip(c, 2));
		v = ks_pdf_val_new(KS_PV_DICT);
		if (v == NULL)
			goto out;
		for (;;) {
			struct ks_pdf_val *key = NULL;

			ks_pdf_lex_skip_ws(c);
			if (ks_cur_accept(c, ">>", 2))
				break;
			KS_GUARD(ks_cur_peek(c, &b));
			if (b != '/')
				KS_BAIL(KS_ERR_PARSE, "dictionary key is not a name");
			KS_GUARD(parse_name(c, &key));
			if (ks_pdf_lex_value(c, depth + 1, &item) < 0) {
				ks_pdf_val_free(key);
				goto out;
			}
			if (ks_pdf_val_set(v, (const char *)key->s, item) < 0) {
				item = NULL;
				ks_pdf_val_free(key);
				goto out;
			}
			item = NULL;
			ks_pdf_val_free(key);
		}
	} else if (b == '<') {
		KS_GUARD(parse_hex(c, &v));
	} else if (b == '[') {
		KS_GUARD(ks_cur_skip(c, 1));
		v = ks_pdf_val_new(KS_PV_ARRAY);
		if (v == NULL)
			goto out;
		for (;;) {
			ks_pdf_lex_skip_ws(c);
			if (ks_cur_accept(c, "]", 1))
				break;
			KS_GUARD(ks_pdf_lex_value(c, depth + 1, &item));
			KS_GUARD(ks_pdf_val_push(v, item));
			item = NULL;
		}
	} else if (ks_cur_accept(c, "true", 4)) {
		v = ks_pdf_val_bool(true);
	} else if (ks_cur_accept(c, "false", 5)) {
		v = ks_pdf_val_bool(false);
	} else if (ks_cur_accept(c, "null", 4)) {
		v = ks_pdf_val_new(KS_PV_NULL);
	} else if ((b >= '0' && b <= '9') || b == '-' || b == '+' || b == '.') {
		KS_GUARD(parse_number(c, &v));
	} else {
		KS_BAIL(KS_ERR_PARSE, "unexpected byte 0x%02x", b);
	}
	if (v == NULL)
		goto out;
	*out = v;
	v = NULL;
	rc = 0;
out:
	ks_pdf_val_free(v);
	ks_pdf_val_free(item);
	return rc;
}
