/* The validation policy (ks_vpolicy.h). */
#include "signer/validate/ks_vpolicy.h"

#include <stdio.h>
#include <string.h>

#include "ks_buf.h"
#include "ks_cur.h"
#include "ks_io.h"

static const char *const check_names[KS_VC__COUNT] = {
	[KS_VC_REVOCATION] = "revocation",
	[KS_VC_SIGNER_EKU] = "signer-eku",
	[KS_VC_TIMESTAMP] = "timestamp",
	[KS_VC_CHANGES] = "changes-after-signing",
	[KS_VC_CLAIMED_TIME] = "claimed-signing-time",
};

static const char *const level_names[] = { "fail", "warn", "inform" };

const char *ks_vcheck_name(enum ks_vcheck c)
{
	return (unsigned)c < KS_VC__COUNT ? check_names[c] : "?";
}

const char *ks_vlevel_name(enum ks_vlevel l)
{
	return (unsigned)l < 3 ? level_names[l] : "?";
}

void ks_vpolicy_default(struct ks_vpolicy *p)
{
	memset(p, 0, sizeof(*p));
	p->level[KS_VC_REVOCATION] = KS_VL_FAIL;
	p->level[KS_VC_SIGNER_EKU] = KS_VL_FAIL;
	p->level[KS_VC_TIMESTAMP] = KS_VL_WARN;
	p->level[KS_VC_CHANGES] = KS_VL_WARN;
	p->level[KS_VC_CLAIMED_TIME] = KS_VL_INFORM;
	snprintf(p->name, sizeof(p->name), "built-in");
}

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_word(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* The word at c (lower-case letters, digits, '-'), at most n-1 bytes. */
static int word(struct ks_cur *c, char *out, size_t n, size_t line)
{
	size_t len = 0;
	uint8_t b;

	while (ks_cur_peek(c, &b) == 0 && is_word(b)) {
		if (len + 1 >= n)
			return KS_SET(KS_ERR_LIMIT, "policy line %zu: a name is too long", line);
		out[len++] = (char)b;
		if (ks_cur_skip(c, 1) < 0)
			return -1;
	}
	out[len] = '\0';
	if (len == 0)
		return KS_SET(KS_ERR_PARSE, "policy line %zu: a check name was expected", line);
	return 0;
}

static int parse_line(struct ks_cur *ln, size_t line, struct ks_vpolicy *p, bool *seen)
{
	char check[64], level[16];
	size_t i, ci = KS_VC__COUNT, li = 3;
	uint8_t b;

	ks_cur_skip_while(ln, is_blank);
	if (ks_cur_eof(ln) || (ks_cur_peek(ln, &b) == 0 && b == '#'))
		return 0;
	if (word(ln, check, sizeof(check), line) < 0)
		return -1;
	ks_cur_skip_while(ln, is_blank);
	if (!ks_cur_accept(ln, "=", 1))
		return KS_SET(KS_ERR_PARSE, "policy line %zu: '=' expected after '%s'", line,
			      check);
	ks_cur_skip_while(ln, is_blank);
	if (word(ln, level, sizeof(level), line) < 0)
		return -1;
	ks_cur_skip_while(ln, is_blank);
	if (!ks_cur_eof(ln) && !(ks_cur_peek(ln, &b) == 0 && b == '#'))
		return KS_SET(KS_ERR_PARSE, "policy line %zu: unexpected text after the level",
			      line);
	for (i = 0; i < KS_VC__COUNT; i++)
		if (strcmp(check, check_names[i]) == 0)
			ci = i;
	for (i = 0; i < 3; i++)
		if (strcmp(level, level_names[i]) == 0)
			li = i;
	if (ci == KS_VC__COUNT)
		return KS_SET(KS_ERR_PARSE, "policy line %zu: unknown check '%s'", line, check);
	if (li == 3)
		return KS_SET(KS_ERR_PARSE,
			      "policy line %zu: unknown level '%s' (fail, warn or inform)", line,
			      level);
	if (seen[ci])
		return KS_SET(KS_ERR_PARSE, "policy line %zu: '%s' is set twice", line, check);
	seen[ci] = true;
	p->level[ci] = (enum ks_vlevel)li;
	return 0;
}

int ks_vpolicy_parse(const uint8_t *text, size_t n, struct ks_vpolicy *p)
{
	bool seen[KS_VC__COUNT] = { false };
	struct ks_cur all, ln;
	size_t line = 0, pos, len;

	ks_vpolicy_default(p);
	if (n > KS_VPOLICY_FILE_MAX)
		return KS_SET(KS_ERR_LIMIT, "a policy is at most %zu bytes", KS_VPOLICY_FILE_MAX);
	ks_cur_init(&all, text, n);
	while (!ks_cur_eof(&all)) {
		if (++line > KS_VPOLICY_LINES_MAX)
			goto bad_limit;
		len = ks_cur_find(&all, "\n", 1, &pos) ? pos : all.left;
		if (len > KS_VPOLICY_LINE_MAX) {
			ks_vpolicy_default(p);
			return KS_SET(KS_ERR_LIMIT, "policy line %zu is longer than %d bytes", line,
				      KS_VPOLICY_LINE_MAX);
		}
		if (ks_cur_sub(&all, len, &ln) < 0)
			return -1;
		(void)ks_cur_accept(&all, "\n", 1);
		if (parse_line(&ln, line, p, seen) < 0) {
			ks_vpolicy_default(p);
			return -1;
		}
	}
	return 0;
bad_limit:
	ks_vpolicy_default(p);
	return KS_SET(KS_ERR_LIMIT, "a policy has at most %d lines", KS_VPOLICY_LINES_MAX);
}

int ks_vpolicy_load(const char *path, struct ks_vpolicy *p)
{
	struct ks_buf b;
	const char *base;
	int rc = -1;

	ks_buf_init(&b, KS_VPOLICY_FILE_MAX);
	ks_vpolicy_default(p);
	if (ks_file_read(path, KS_VPOLICY_FILE_MAX, &b) < 0)
		goto out;
	if (ks_vpolicy_parse(b.data, b.len, p) < 0) {
		char why[KS_VPOLICY_LINE_MAX];

		snprintf(why, sizeof(why), "%s", ks_err_msg());
		KS_SET(ks_err_code(), "%s: %s", path, why);
		goto out;
	}
	base = strrchr(path, '/');
	snprintf(p->name, sizeof(p->name), "%.63s", base != NULL ? base + 1 : path);
	rc = 0;
out:
	ks_buf_cleanup(&b);
	return rc;
}
