/* ks_pdfdoc lexer and object parser (ISO 32000-1 7.2, 7.3). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdfdoc_int.h"
#include "ks_size.h"

/* A number token longer than this is not a number a writer produces. */
#define PD_MAX_NUMBER_CHARS 64

/* ------------------------------------------------------------------ lexer */

void ks_pd_lex_init(struct ks_pd_lex *lx, struct ks_pdfdoc *doc, const struct ks_cur *whole,
		    uint32_t objstm, size_t rev)
{
	lx->doc = doc;
	lx->whole = *whole;
	lx->c = *whole;
	lx->objstm = objstm;
	lx->rev = rev;
}

size_t ks_pd_lex_pos(const struct ks_pd_lex *lx)
{
	return ks_cur_pos(&lx->whole, &lx->c);
}

int ks_pd_lex_seek(struct ks_pd_lex *lx, size_t off)
{
	if (ks_cur_at(&lx->whole, off, &lx->c) < 0)
		return KS_SET(KS_ERR_PDF, "offset %zu beyond the end (%zu bytes)", off,
			      lx->whole.left);
	return 0;
}

static bool is_eol(uint8_t b)
{
	return b == '\r' || b == '\n';
}

static bool not_eol(uint8_t b)
{
	return !is_eol(b);
}

void ks_pd_lex_skip_ws(struct ks_pd_lex *lx)
{
	uint8_t b;

	for (;;) {
		ks_cur_skip_while(&lx->c, ks_pdf_is_ws);
		if (ks_cur_peek(&lx->c, &b) < 0 || b != '%')
			break;
		/* 7.2.3: a comment runs to the end of the line. */
		ks_cur_skip_while(&lx->c, not_eol);
	}
	ks_err_clear();
}

/* Is the byte at index i of c a token boundary (or the end)? */
static bool boundary_at(const struct ks_cur *c, size_t i)
{
	uint8_t b;

	if (ks_cur_peek_at(c, i, &b) < 0) {
		ks_err_clear();
		return true;
	}
	return !ks_pdf_is_regular(b);
}

bool ks_pd_lex_keyword(struct ks_pd_lex *lx, const char *kw)
{
	size_t n = strlen(kw);

	if (!ks_cur_starts_with(&lx->c, kw, n) || !boundary_at(&lx->c, n))
		return false;
	return ks_cur_skip(&lx->c, n) == 0;
}

int ks_pd_lex_uint(struct ks_pd_lex *lx, uint64_t max, uint64_t *v)
{
	struct ks_cur save = lx->c;

	if (ks_cur_decimal(&lx->c, 20, max, v) < 0)
		return KS_SET(KS_ERR_PDF, "number (at most %llu) expected at offset %zu",
			      (unsigned long long)max, ks_pd_lex_pos(lx));
	if (!boundary_at(&lx->c, 0)) {
		lx->c = save;
		return KS_SET(KS_ERR_PDF, "malformed number at offset %zu", ks_pd_lex_pos(lx));
	}
	return 0;
}

/* ---------------------------------------------------------------- values */

static int new_obj(struct ks_pd_lex *lx, enum ks_pdfobj_type t, size_t start,
		   struct ks_pdfobj **out)
{
	void *p = NULL;

	if (ks_pd_alloc(lx->doc, sizeof(struct ks_pdfobj), &p) < 0)
		return -1;
	*out = p;
	(*out)->type = t;
	(*out)->start = start;
	(*out)->objstm = lx->objstm;
	return 0;
}

/* 7.3.5: '/' then regular characters, #xx escapes. */
static int parse_name(struct ks_pd_lex *lx, struct ks_pdfobj *o)
{
	struct ks_cur start, raw;
	size_t n = 0, i = 0;
	char *s = NULL;
	uint8_t b, h1, h2;

	if (ks_cur_skip(&lx->c, 1) < 0)
		return -1;
	start = lx->c;
	while (ks_cur_peek(&lx->c, &b) == 0 && ks_pdf_is_regular(b)) {
		if (ks_cur_skip(&lx->c, 1) < 0)
			return -1;
		n++;
	}
	ks_err_clear();
	/* An escape shrinks 3 bytes to 1: the raw text may be 3x the limit. */
	if (n / 3 > lx->doc->lim.max_name)
		return KS_SET(KS_ERR_LIMIT, "name longer than %zu bytes at offset %zu",
			      lx->doc->lim.max_name, o->start);
	if (ks_cur_sub(&start, n, &raw) < 0 || ks_pd_alloc(lx->doc, n + 1, (void **)&s) < 0)
		return -1;
	while (!ks_cur_eof(&raw) && ks_cur_u8(&raw, &b) == 0) {
		if (b == '#' && ks_cur_peek_at(&raw, 0, &h1) == 0 &&
		    ks_cur_peek_at(&raw, 1, &h2) == 0 && ks_hex_value(h1) >= 0 &&
		    ks_hex_value(h2) >= 0) {
			b = (uint8_t)(ks_hex_value(h1) << 4 | ks_hex_value(h2));
			if (ks_cur_skip(&raw, 2) < 0)
				return -1;
		}
		s[i++] = (char)b;
	}
	ks_err_clear();
	if (i > lx->doc->lim.max_name)
		return KS_SET(KS_ERR_LIMIT, "name longer than %zu bytes at offset %zu",
			      lx->doc->lim.max_name, o->start);
	o->u.name.s = s;
	o->u.name.len = i;
	return 0;
}

/* 7.3.4.2: find the end of a literal string (balanced parentheses,
 * backslash escapes); returns the raw length between the delimiters. */
static int literal_extent(struct ks_pd_lex *lx, size_t start, size_t *rawlen)
{
	struct ks_cur c = lx->c;
	size_t depth = 1, n = 0;
	uint8_t b;

	for (;;) {
		/* bounded scan: an unbalanced '(' must not read the whole file
		 * for every object that contains one */
		if (n > lx->doc->lim.max_string)
			return KS_SET(KS_ERR_LIMIT, "string longer than %zu bytes at offset %zu",
				      lx->doc->lim.max_string, start);
		if (ks_cur_u8(&c, &b) < 0)
			return KS_SET(KS_ERR_PDF, "unterminated string at offset %zu", start);
		if (b == '\\') {
			if (ks_cur_skip(&c, 1) < 0)
				return KS_SET(KS_ERR_PDF, "unterminated string at offset %zu",
					      start);
			n += 2;
			continue;
		}
		if (b == '(') {
			depth++;
		} else if (b == ')' && --depth == 0) {
			*rawlen = n;
			return 0;
		}
		n++;
	}
}

static int parse_literal(struct ks_pd_lex *lx, struct ks_pdfobj *o)
{
	struct ks_cur raw;
	size_t rawlen = 0, i = 0;
	uint8_t *s = NULL, b, d;
	unsigned v, k;

	if (ks_cur_skip(&lx->c, 1) < 0 || literal_extent(lx, o->start, &rawlen) < 0)
		return -1;
	if (rawlen > lx->doc->lim.max_string)
		return KS_SET(KS_ERR_LIMIT, "string longer than %zu bytes at offset %zu",
			      lx->doc->lim.max_string, o->start);
	if (ks_cur_sub(&lx->c, rawlen, &raw) < 0 || ks_cur_skip(&lx->c, 1) < 0 ||
	    ks_pd_alloc(lx->doc, rawlen + 1, (void **)&s) < 0)
		return -1;
	while (!ks_cur_eof(&raw) && ks_cur_u8(&raw, &b) == 0) {
		if (b == '\r') {
			/* 7.3.4.2: an unescaped EOL is read as a single LF. */
			(void)ks_cur_accept(&raw, "\n", 1);
			b = '\n';
		} else if (b == '\\' && ks_cur_u8(&raw, &b) == 0) {
			switch (b) {
			case '\r':
				(void)ks_cur_accept(&raw, "\n", 1);
				continue; /* line continuation */
			case '\n':
				continue;
			default:
				if (b >= '0' && b <= '7') {
					/* \ddd: up to three octal digits, high bits dropped */
					v = (unsigned)(b - '0');
					for (k = 1; k < 3 && ks_cur_peek(&raw, &d) == 0 &&
						    d >= '0' && d <= '7';
					     k++) {
						v = v * 8 + (unsigned)(d - '0');
						if (ks_cur_skip(&raw, 1) < 0)
							return -1;
					}
					b = (uint8_t)(v & 0xff);
				} else {
					/* n r t b f; any other: the backslash is ignored */
					b = ks_pdf_unescape(b);
				}
				break;
			}
		}
		s[i++] = b;
	}
	ks_err_clear();
	o->u.str.s = s;
	o->u.str.len = i;
	o->u.str.hex = false;
	return 0;
}

/* 7.3.4.3: hex digits and whitespace up to '>'; an odd count ends in 0. */
static int parse_hexstr(struct ks_pd_lex *lx, struct ks_pdfobj *o)
{
	size_t digits = 0, i = 0, rawlen;
	uint8_t *s = NULL, b;
	int hi = -1, h;

	if (ks_cur_skip(&lx->c, 1) < 0)
		return -1;
	if (!ks_cur_find(&lx->c, ">", 1, &rawlen))
		return KS_SET(KS_ERR_PDF, "unterminated hex string at offset %zu", o->start);
	if (rawlen / 2 > lx->doc->lim.max_string)
		return KS_SET(KS_ERR_LIMIT, "string longer than %zu bytes at offset %zu",
			      lx->doc->lim.max_string, o->start);
	if (ks_pd_alloc(lx->doc, rawlen / 2 + 2, (void **)&s) < 0)
		return -1;
	while (!ks_cur_eof(&lx->c) && ks_cur_u8(&lx->c, &b) == 0 && b != '>') {
		if (ks_pdf_is_ws(b))
			continue;
		h = ks_hex_value(b);
		if (h < 0)
			return KS_SET(KS_ERR_PDF, "bad hex digit in string at offset %zu",
				      ks_pd_lex_pos(lx) - 1);
		digits++;
		if (hi < 0) {
			hi = h;
		} else {
			s[i++] = (uint8_t)(hi << 4 | h);
			hi = -1;
		}
	}
	if (hi >= 0)
		s[i++] = (uint8_t)(hi << 4);
	o->u.str.s = s;
	o->u.str.len = i;
	o->u.str.hex = true;
	return 0;
}

/* 7.3.3: integers and reals; sign, digits, one '.'. */
static int parse_number(struct ks_pd_lex *lx, struct ks_pdfobj *o)
{
	char buf[PD_MAX_NUMBER_CHARS + 1];
	size_t n = 0;
	bool dot = false, digit = false;
	uint8_t b;
	char *end = NULL;

	while (ks_cur_peek(&lx->c, &b) == 0 && ks_pdf_is_regular(b)) {
		if (b == '.' && !dot) {
			dot = true;
		} else if ((b == '+' || b == '-') && n == 0) {
			/* sign */
		} else if (b >= '0' && b <= '9') {
			digit = true;
		} else {
			return KS_SET(KS_ERR_PDF, "malformed number at offset %zu", o->start);
		}
		if (n >= PD_MAX_NUMBER_CHARS)
			return KS_SET(KS_ERR_LIMIT,
				      "number longer than %d characters at offset %zu",
				      PD_MAX_NUMBER_CHARS, o->start);
		buf[n++] = (char)b;
		if (ks_cur_skip(&lx->c, 1) < 0)
			return -1;
	}
	ks_err_clear();
	buf[n] = '\0';
	if (!digit)
		return KS_SET(KS_ERR_PDF, "malformed number at offset %zu", o->start);
	errno = 0;
	if (!dot) {
		long long v = strtoll(buf, &end, 10);

		if (errno == 0 && end != NULL && *end == '\0') {
			o->type = KS_PDFOBJ_INT;
			o->u.i = v;
			return 0;
		}
		errno = 0; /* out of int64 range: keep it as a real */
	}
	o->type = KS_PDFOBJ_REAL;
	o->u.r = strtod(buf, &end);
	if (end == NULL || *end != '\0')
		return KS_SET(KS_ERR_PDF, "malformed number at offset %zu", o->start);
	return 0;
}

/* After a non-negative integer: "G R" makes it a reference (7.3.10). */
static bool try_ref(struct ks_pd_lex *lx, struct ks_pdfobj *o)
{
	struct ks_cur save = lx->c;
	uint64_t gen = 0;
	uint8_t b;

	if (o->u.i < 0 || o->u.i > (int64_t)UINT32_MAX || ks_cur_peek(&lx->c, &b) < 0 ||
	    !ks_pdf_is_ws(b))
		goto no;
	ks_pd_lex_skip_ws(lx);
	if (ks_cur_peek(&lx->c, &b) < 0 || b < '0' || b > '9' ||
	    ks_pd_lex_uint(lx, 65535, &gen) < 0)
		goto no;
	ks_pd_lex_skip_ws(lx);
	if (!ks_pd_lex_keyword(lx, "R"))
		goto no;
	o->type = KS_PDFOBJ_REF;
	o->u.ref.num = (uint32_t)o->u.i;
	o->u.ref.gen = (uint16_t)gen;
	return true;
no:
	ks_err_clear();
	lx->c = save;
	return false;
}

static int parse_array(struct ks_pd_lex *lx, size_t depth, struct ks_pdfobj *o)
{
	struct ks_pd_vec v = { NULL, 0, 0, sizeof(struct ks_pdfobj *) };
	struct ks_pdfobj *item = NULL;
	void *items = NULL;
	uint8_t b;
	int rc = -1;

	KS_GUARD(ks_cur_skip(&lx->c, 1));
	for (;;) {
		ks_pd_lex_skip_ws(lx);
		if (ks_cur_peek(&lx->c, &b) < 0)
			KS_BAIL(KS_ERR_PDF, "unterminated array at offset %zu", o->start);
		if (b == ']')
			break;
		KS_GUARD(ks_pd_parse_value(lx, depth + 1, &item));
		if (ks_pd_vec_push(lx->doc, &v, &item, lx->doc->lim.max_array) < 0)
			KS_BAIL(ks_err_code(), "array at offset %zu: %s", o->start, ks_err_msg());
	}
	KS_GUARD(ks_cur_skip(&lx->c, 1));
	KS_GUARD(ks_pd_vec_finish(lx->doc, &v, &items));
	o->u.arr.items = items;
	o->u.arr.n = v.n;
	rc = 0;
out:
	ks_pd_vec_cleanup(lx->doc, &v);
	return rc;
}

static int cmp_entry_key(const void *a, const void *b)
{
	const struct ks_pdfdict_entry *x = *(const struct ks_pdfdict_entry *const *)a;
	const struct ks_pdfdict_entry *y = *(const struct ks_pdfdict_entry *const *)b;
	int r = memcmp(x->key, y->key, x->key_len < y->key_len ? x->key_len : y->key_len);

	if (r != 0)
		return r;
	return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

/* Mark a dictionary with a repeated key: pairwise for small ones, sorted
 * otherwise (a dictionary may hold KS_PDFDOC_MAX_DICT entries). */
static int find_dup_keys(struct ks_pdfobj *o)
{
	const struct ks_pdfdict_entry *x, *y;
	const struct ks_pdfdict_entry **idx;
	size_t i, j, n = o->u.dict.n;

	o->u.dict.dup = false;
	if (n <= 32) {
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++) {
				x = &o->u.dict.e[i];
				y = &o->u.dict.e[j];
				if (x->key_len == y->key_len &&
				    memcmp(x->key, y->key, x->key_len) == 0)
					o->u.dict.dup = true;
			}
		return 0;
	}
	idx = calloc(n, sizeof(*idx));
	if (idx == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory (dictionary keys)");
	for (i = 0; i < n; i++)
		idx[i] = &o->u.dict.e[i];
	qsort(idx, n, sizeof(*idx), cmp_entry_key);
	for (i = 1; i < n; i++)
		if (cmp_entry_key(&idx[i - 1], &idx[i]) == 0)
			o->u.dict.dup = true;
	free(idx);
	return 0;
}

static int parse_dict(struct ks_pd_lex *lx, size_t depth, struct ks_pdfobj *o)
{
	struct ks_pd_vec v = { NULL, 0, 0, sizeof(struct ks_pdfdict_entry) };
	struct ks_pdfdict_entry ent;
	struct ks_pdfobj *key = NULL;
	void *items = NULL;
	uint8_t b;
	int rc = -1;

	KS_GUARD(ks_cur_skip(&lx->c, 2));
	for (;;) {
		ks_pd_lex_skip_ws(lx);
		if (ks_cur_peek(&lx->c, &b) < 0)
			KS_BAIL(KS_ERR_PDF, "unterminated dictionary at offset %zu", o->start);
		if (b == '>') {
			if (!ks_cur_accept(&lx->c, ">>", 2))
				KS_BAIL(KS_ERR_PDF, "'>>' expected at offset %zu",
					ks_pd_lex_pos(lx));
			break;
		}
		if (b != '/')
			KS_BAIL(KS_ERR_PDF, "dictionary key expected at offset %zu",
				ks_pd_lex_pos(lx));
		KS_GUARD(ks_pd_parse_value(lx, depth + 1, &key));
		ks_pd_lex_skip_ws(lx);
		if (ks_cur_starts_with(&lx->c, ">>", 2))
			KS_BAIL(KS_ERR_PDF, "dictionary key without value at offset %zu",
				key->start);
		ent.key = key->u.name.s;
		ent.key_len = key->u.name.len;
		KS_GUARD(ks_pd_parse_value(lx, depth + 1, &ent.val));
		if (ks_pd_vec_push(lx->doc, &v, &ent, lx->doc->lim.max_dict) < 0)
			KS_BAIL(ks_err_code(), "dictionary at offset %zu: %s", o->start,
				ks_err_msg());
	}
	KS_GUARD(ks_pd_vec_finish(lx->doc, &v, &items));
	o->u.dict.e = items;
	o->u.dict.n = v.n;
	KS_GUARD(find_dup_keys(o));
	rc = 0;
out:
	ks_pd_vec_cleanup(lx->doc, &v);
	return rc;
}

int ks_pd_parse_value(struct ks_pd_lex *lx, size_t depth, struct ks_pdfobj **out)
{
	struct ks_pdfobj *o = NULL;
	size_t start;
	uint8_t b, b2;

	if (depth >= lx->doc->lim.max_depth)
		return KS_SET(KS_ERR_LIMIT, "objects nested deeper than %zu at offset %zu",
			      lx->doc->lim.max_depth, ks_pd_lex_pos(lx));
	ks_pd_lex_skip_ws(lx);
	start = ks_pd_lex_pos(lx);
	if (ks_cur_peek(&lx->c, &b) < 0)
		return KS_SET(KS_ERR_PDF, "object expected at offset %zu, input ends", start);
	if (new_obj(lx, KS_PDFOBJ_NULL, start, &o) < 0)
		return -1;
	switch (b) {
	case '/':
		o->type = KS_PDFOBJ_NAME;
		if (parse_name(lx, o) < 0)
			return -1;
		break;
	case '(':
		o->type = KS_PDFOBJ_STRING;
		if (parse_literal(lx, o) < 0)
			return -1;
		break;
	case '<':
		if (ks_cur_peek_at(&lx->c, 1, &b2) == 0 && b2 == '<') {
			o->type = KS_PDFOBJ_DICT;
			if (parse_dict(lx, depth, o) < 0)
				return -1;
		} else {
			ks_err_clear();
			o->type = KS_PDFOBJ_STRING;
			if (parse_hexstr(lx, o) < 0)
				return -1;
		}
		break;
	case '[':
		o->type = KS_PDFOBJ_ARRAY;
		if (parse_array(lx, depth, o) < 0)
			return -1;
		break;
	default:
		if ((b >= '0' && b <= '9') || b == '+' || b == '-' || b == '.') {
			if (parse_number(lx, o) < 0)
				return -1;
			if (o->type == KS_PDFOBJ_INT && b >= '0' && b <= '9')
				(void)try_ref(lx, o);
		} else if (ks_pd_lex_keyword(lx, "true") || ks_pd_lex_keyword(lx, "false")) {
			o->type = KS_PDFOBJ_BOOL;
			o->u.b = b == 't';
		} else if (ks_pd_lex_keyword(lx, "null")) {
			o->type = KS_PDFOBJ_NULL;
		} else {
			return KS_SET(KS_ERR_PDF, "unexpected byte 0x%02x at offset %zu", b, start);
		}
		break;
	}
	o->end = ks_pd_lex_pos(lx);
	*out = o;
	return 0;
}

/* ------------------------------------------------------- indirect objects */

/* 7.3.8.1: the stream data length, from /Length when it leads to
 * "endstream", else by searching for the keyword (length_repaired). */
static int stream_extent(struct ks_pd_lex *lx, const struct ks_pdfobj *dict, size_t data_off,
			 size_t *len, bool *repaired)
{
	const struct ks_pdfobj *lo = ks_pdfobj_get(dict, "Length");
	struct ks_cur rest, after;
	size_t pos = 0;
	int64_t v = -1;

	*repaired = false;
	if (lo != NULL && lo->type == KS_PDFOBJ_REF && !lx->doc->opening &&
	    ks_pd_resolve(lx->doc, lx->rev, lo, &lo) < 0)
		return -1;
	if (lo != NULL && ks_pdfobj_int(lo, &v) && v >= 0 &&
	    ks_cur_range(&lx->whole, data_off, (size_t)v, &rest) == 0 &&
	    ks_cur_at(&lx->whole, data_off + (size_t)v, &after) == 0) {
		/* an EOL (and, tolerated, other whitespace) before the keyword */
		ks_cur_skip_while(&after, ks_pdf_is_ws);
		if (ks_cur_starts_with(&after, "endstream", 9)) {
			*len = (size_t)v;
			return 0;
		}
	}
	ks_err_clear();
	/* A search that failed from offset X fails from any later offset:
	 * remembering X keeps many broken streams from costing n^2. */
	if (data_off >= lx->doc->no_endstream_from || ks_cur_at(&lx->whole, data_off, &rest) < 0 ||
	    !ks_cur_find(&rest, "endstream", 9, &pos)) {
		if (data_off < lx->doc->no_endstream_from)
			lx->doc->no_endstream_from = data_off;
		return KS_SET(KS_ERR_PDF, "stream at offset %zu has no endstream", data_off);
	}
	/* The EOL before "endstream" is not data (7.3.8.1). */
	(void)ks_cur_accept_before(&rest, &pos, "\n", 1);
	(void)ks_cur_accept_before(&rest, &pos, "\r", 1);
	*len = pos;
	*repaired = true;
	return 0;
}

int ks_pd_parse_indirect(struct ks_pd_lex *lx, struct ks_pdfdoc_indirect *out)
{
	struct ks_pdfobj *val = NULL, *st = NULL;
	uint64_t num = 0, gen = 0;
	size_t start, end, data_off, data_len = 0;
	bool repaired = false;

	ks_pd_lex_skip_ws(lx);
	start = ks_pd_lex_pos(lx);
	if (ks_pd_lex_uint(lx, UINT32_MAX, &num) < 0)
		return KS_SET(KS_ERR_PDF, "object number expected at offset %zu", start);
	ks_pd_lex_skip_ws(lx);
	if (ks_pd_lex_uint(lx, 65535, &gen) < 0)
		return KS_SET(KS_ERR_PDF, "generation expected at offset %zu", ks_pd_lex_pos(lx));
	ks_pd_lex_skip_ws(lx);
	if (!ks_pd_lex_keyword(lx, "obj"))
		return KS_SET(KS_ERR_PDF, "'obj' expected at offset %zu", ks_pd_lex_pos(lx));
	if (ks_pd_parse_value(lx, 0, &val) < 0)
		return -1;
	end = ks_pd_lex_pos(lx);
	ks_pd_lex_skip_ws(lx);
	if (val->type == KS_PDFOBJ_DICT && ks_pd_lex_keyword(lx, "stream")) {
		if (lx->objstm != 0)
			return KS_SET(KS_ERR_PDF, "stream inside object stream %u",
				      (unsigned)lx->objstm);
		/* 7.3.8.1: "stream" then CRLF or LF (a lone CR is tolerated). */
		if (!ks_cur_accept(&lx->c, "\r\n", 2) && !ks_cur_accept(&lx->c, "\n", 1))
			(void)ks_cur_accept(&lx->c, "\r", 1);
		data_off = ks_pd_lex_pos(lx);
		if (stream_extent(lx, val, data_off, &data_len, &repaired) < 0 ||
		    ks_pd_lex_seek(lx, data_off + data_len) < 0)
			return -1;
		ks_pd_lex_skip_ws(lx);
		if (!ks_pd_lex_keyword(lx, "endstream"))
			return KS_SET(KS_ERR_PDF, "'endstream' expected at offset %zu",
				      ks_pd_lex_pos(lx));
		if (new_obj(lx, KS_PDFOBJ_STREAM, val->start, &st) < 0)
			return -1;
		st->u.stream.dict = val;
		st->u.stream.data_off = data_off;
		st->u.stream.data_len = data_len;
		st->u.stream.length_repaired = repaired;
		st->u.stream.rev = (uint32_t)lx->rev;
		st->end = end = ks_pd_lex_pos(lx);
		val = st;
		ks_pd_lex_skip_ws(lx);
	}
	/* A missing "endobj" is tolerated, as by every common reader. */
	if (ks_pd_lex_keyword(lx, "endobj"))
		end = ks_pd_lex_pos(lx);
	else if (ks_pd_lex_seek(lx, end) < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->num = (uint32_t)num;
	out->gen = (uint16_t)gen;
	out->obj = val;
	out->start = start;
	out->end = end;
	return 0;
}
