/* ks_sign_pdf: signing options -> PAdES signature of a PDF file. */
#include "signer/ks_sign_pdf.h"

#include "signer/ks_sigts.h"

#include "signer/ks_policy.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdf_write.h"
#include "ks_cur.h"
#include "ks_utf8.h"

/* A page number larger than any real document. */
#define KS_SIGN_PDF_MAX_PAGE 1000000UL
/* Largest coordinate accepted (ISO 32000-1 C.2: pages are at most
 * 14,400 units on a side). */
#define KS_SIGN_PDF_MAX_COORD 14400.0
/* Longest --lock value. */
#define KS_SIGN_PDF_MAX_LOCK 4096

static int parse_number(const char **p, bool last, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(*p, &end);
	if (end == *p || errno != 0 || !isfinite(*v) || fabs(*v) > KS_SIGN_PDF_MAX_COORD)
		return KS_SET(KS_ERR_USAGE, "--visible: bad number at '%s'", *p);
	if (last ? *end != '\0' : *end != ',')
		return KS_SET(KS_ERR_USAGE, "--visible wants PAGE,X,Y,W,H");
	*p = last ? end : end + 1;
	return 0;
}

int ks_sign_pdf_parse_visible(const char *s, unsigned *page, double *x, double *y, double *w,
			      double *h)
{
	const char *p = s;
	char *end;
	unsigned long pg;

	if (s == NULL || *s < '0' || *s > '9')
		return KS_SET(KS_ERR_USAGE, "--visible wants PAGE,X,Y,W,H (page from 1)");
	errno = 0;
	pg = strtoul(p, &end, 10);
	if (errno != 0 || end == p || *end != ',' || pg == 0 || pg > KS_SIGN_PDF_MAX_PAGE)
		return KS_SET(KS_ERR_USAGE, "--visible: page must be a number from 1");
	p = end + 1;
	if (parse_number(&p, false, x) < 0 || parse_number(&p, false, y) < 0 ||
	    parse_number(&p, false, w) < 0 || parse_number(&p, true, h) < 0)
		return -1;
	if (*w <= 0 || *h <= 0)
		return KS_SET(KS_ERR_USAGE,
			      "--visible: width and height must be positive (got %gx%g)", *w, *h);
	*page = (unsigned)pg;
	return 0;
}

int ks_sign_pdf_check_text(const char *what, const char *s, size_t max)
{
	struct ks_cur c;
	size_t n;
	uint32_t cp;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n > max)
		return KS_SET(KS_ERR_USAGE, "%s is %zu bytes long; the limit is %zu bytes", what, n,
			      max);
	ks_cur_init(&c, (const uint8_t *)s, n);
	while (c.left > 0) {
		size_t at = n - c.left;

		if (ks_utf8_next(&c, &cp) < 0)
			return KS_SET(KS_ERR_USAGE,
				      "%s is not valid UTF-8 (byte 0x%02x at offset %zu); give the "
				      "text in UTF-8",
				      what, (unsigned)(uint8_t)s[at], at);
		if (cp < 0x20 || cp == 0x7f)
			return KS_SET(KS_ERR_USAGE,
				      "%s holds a control character (U+%04X at offset %zu)", what,
				      (unsigned)cp, at);
	}
	return 0;
}

/* "all" | "include:A,B" | "exclude:A,B" -> lock action and field names
 * (pointers into `copy`, which the caller frees). */
static int parse_lock(const char *s, enum ks_pades_lock *lock, char **copy, const char **names,
		      size_t *n)
{
	const char *list;
	char *p;

	*n = 0;
	*copy = NULL;
	if (strcmp(s, "all") == 0) {
		*lock = KS_PADES_LOCK_ALL;
		return 0;
	}
	if (strncmp(s, "include:", 8) == 0) {
		*lock = KS_PADES_LOCK_INCLUDE;
		list = s + 8;
	} else if (strncmp(s, "exclude:", 8) == 0) {
		*lock = KS_PADES_LOCK_EXCLUDE;
		list = s + 8;
	} else {
		return KS_SET(KS_ERR_USAGE, "--lock wants all, include:F1,F2 or exclude:F1,F2");
	}
	if (strlen(list) > KS_SIGN_PDF_MAX_LOCK)
		return KS_SET(KS_ERR_USAGE, "--lock list too long");
	*copy = strdup(list);
	if (*copy == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	p = *copy;
	for (;;) {
		char *comma = strchr(p, ',');

		if (comma != NULL)
			*comma = '\0';
		if (*p == '\0')
			return KS_SET(KS_ERR_USAGE, "--lock: empty field name");
		if (*n >= KS_PADES_MAX_LOCK_FIELDS)
			return KS_SET(KS_ERR_USAGE, "--lock: more than %d fields",
				      KS_PADES_MAX_LOCK_FIELDS);
		names[(*n)++] = p;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;
}

/* The document from a file (in_path) or memory (in_data), the result to a
 * file (out_path) or appended to out_buf. */
static int sign_pdf_any(struct ks_key *key, const char *in_path, const uint8_t *in_data,
			size_t in_len, const char *out_path, struct ks_buf *out_buf,
			const struct ks_sign_pdf_opts *o, struct ks_pades_result *res)
{
	struct ks_pades_opts po;
	struct ks_pades_key_ctx kctx;
	struct ks_pades_cms cms;
	const char *names[KS_PADES_MAX_LOCK_FIELDS];
	struct ks_sigts_pades tctx;
	char *lock_copy = NULL;
	bool timestamped = false;
	int rc = -1;

	ks_pades_opts_init(&po);
	if (o->level != NULL && strcmp(o->level, "B-B") != 0) {
		if (strcmp(o->level, "B-T") == 0)
			timestamped = true;
		else if (strcmp(o->level, "B-LT") == 0 || strcmp(o->level, "B-LTA") == 0)
			KS_BAIL(KS_ERR_UNSUPPORTED,
				"PAdES level %s is reached after a B-T signature (the sign job "
				"and kyso extend add the validation data)",
				o->level);
		else
			KS_BAIL(KS_ERR_USAGE, "--level must be B-B, B-T, B-LT or B-LTA");
		if (o->tsa == NULL || o->tsa->n_urls == 0)
			KS_BAIL(KS_ERR_USAGE,
				"--level %s needs a time-stamping authority (--tsa URL)", o->level);
	}
	if (o->md != NULL && ks_md_parse(o->md, &po.md) < 0)
		goto out;
	if (o->visible != NULL)
		KS_GUARD(
		    ks_sign_pdf_parse_visible(o->visible, &po.page, &po.x, &po.y, &po.w, &po.h));
	if (o->certify < 0 || o->certify > 3)
		KS_BAIL(KS_ERR_USAGE, "--certify must be 1, 2 or 3");
	po.certify = o->certify;
	if (o->lock != NULL) {
		KS_GUARD(parse_lock(o->lock, &po.lock, &lock_copy, names, &po.n_lock_fields));
		po.lock_fields = names;
	}
	po.field = o->field;
	po.field_must_exist = o->field_must_exist;
	po.reason = o->reason;
	po.role = o->role;
	po.location = o->location;
	po.contact_info = o->contact_info;
	po.rsa_pss = o->rsa_pss;
	po.font_path = o->font_path;
	po.signing_time = o->signing_time;
	po.input_digest = o->input_digest;
	po.info_key = o->info_key;
	/* Circular 15/2025/TT-BKHCN: check the certificate before signing. */
	KS_GUARD(ks_policy_check_key(key, po.md, 0));
	if (o->cms != NULL) {
		cms = *o->cms;
	} else {
		ks_pades_cms_from_key(&kctx, key, o->rsa_pss, &cms);
		if (timestamped) /* B-T: the signature's time proven by a TSA */
			ks_sigts_pades(&tctx, &cms, o->tsa, &cms);
	}
	if (in_data != NULL)
		KS_GUARD(ks_pades_sign_mem(in_data, in_len, &cms, &po, out_buf, res));
	else
		KS_GUARD(ks_pades_sign_file(in_path, out_path, &cms, &po, res));
	rc = 0;
out:
	free(lock_copy);
	return rc;
}

int ks_sign_pdf(struct ks_key *key, const char *in_path, const char *out_path,
		const struct ks_sign_pdf_opts *o, struct ks_pades_result *res)
{
	return sign_pdf_any(key, in_path, NULL, 0, out_path, NULL, o, res);
}

int ks_sign_pdf_mem(struct ks_key *key, const uint8_t *in, size_t len, struct ks_buf *out,
		    const struct ks_sign_pdf_opts *o, struct ks_pades_result *res)
{
	if (in == NULL || out == NULL)
		return KS_SET(KS_ERR_ARG, "no document or no output buffer");
	return sign_pdf_any(key, NULL, in, len, NULL, out, o, res);
}
