/* Verification of every signature of a PDF: discovery in every revision,
 * /ByteRange and /Contents sanity, CMS (ks_pades_cms.c), certification
 * and field locks, then the modification analysis (ks_pades_diff.c).
 * See ks_pades_verify.h for the indications. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/pdf/ks_pades_int.h"
#include "ks_cur.h"
#include "ks_size.h"
#include "ks_utf8.h"

/* A signature dictionary found while walking the fields of a revision. */
struct ks_pv_found {
	uint32_t sig_num, field_num;
	uint16_t sig_gen, field_gen;
	const struct ks_pdfobj *dict;  /* as of the newest revision that has it */
	const struct ks_pdfobj *field; /* the field dictionary there */
	size_t seen_rev;
	char name[128];
	size_t orphan_at; /* not reached by any revision: its offset; else 0 */
};

struct ks_pv_ctx {
	struct ks_pdfdoc *doc;
	struct ks_cur whole;
	size_t len, nrevs;
	const struct ks_pades_verify_opts *opts;
	struct ks_pades_verify_result *res;
	struct ks_pv_found *found;
	size_t nfound;
	struct ks_pv_locks locks;
};

void ks_pades_verify_result_init(struct ks_pades_verify_result *r)
{
	memset(r, 0, sizeof(*r));
}

void ks_pades_verify_result_cleanup(struct ks_pades_verify_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		X509_free(r->sigs[i].cms.cert);
		free(r->sigs[i].changes);
		free(r->sigs[i].cms_der);
		ks_cms_free(r->sigs[i].cms_parsed);
	}
	free(r->sigs);
	memset(r, 0, sizeof(*r));
}

/* Copy UTF-8 text into a fixed field, cut at a character boundary. */
static void copy_text(char *dst, size_t cap, const char *src, size_t n)
{
	if (src == NULL || n == 0) {
		dst[0] = '\0';
		return;
	}
	if (n >= cap)
		n = ks_utf8_cut(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A text string entry of `dict` (ISO 32000-1 7.9.2.2) as UTF-8. */
static int text_entry(struct ks_pv_ctx *c, size_t rev, const struct ks_pdfobj *dict,
		      const char *key, char *dst, size_t cap)
{
	const struct ks_pdfobj *o = NULL;
	struct ks_buf b;
	int rc = -1;

	dst[0] = '\0';
	ks_buf_init(&b, KS_PADES_VERIFY_TEXT_MAX);
	if (ks_pdfdoc_dict_get(c->doc, rev, dict, key, &o) < 0 || o == NULL ||
	    o->type != KS_PDFOBJ_STRING || ks_pdfobj_text_utf8(o, &b) < 0) {
		rc = ks_err_is_fatal() ? -1 : 0; /* a bad text entry is only not shown */
		goto out;
	}
	copy_text(dst, cap, (const char *)b.data, b.len);
	rc = 0;
out:
	ks_buf_cleanup(&b);
	return rc;
}

/* Two decimal digits, or fail. */
static bool digits(struct ks_cur *cur, size_t n, int *v)
{
	uint64_t x;

	if (ks_cur_decimal(cur, n, 9999, &x) < 0)
		return false;
	*v = (int)x;
	return true;
}

/* PDF date (ISO 32000-1 7.9.4): D:YYYYMMDDHHmmSSOHH'mm' with every part
 * after the year optional.  Returns false when it is not one. */
static bool parse_pdf_date(const uint8_t *s, size_t n, time_t *out)
{
	struct ks_cur cur, part;
	struct tm tm;
	int v[6] = { 0, 1, 1, 0, 0, 0 }, oh = 0, om = 0, sign = 0, i;
	uint8_t ch;
	time_t t;

	ks_cur_init(&cur, s, n);
	(void)ks_cur_accept(&cur, "D:", 2);
	for (i = 0; i < 6; i++) {
		if (ks_cur_peek(&cur, &ch) < 0 || ch < '0' || ch > '9')
			break;
		if (ks_cur_sub(&cur, i == 0 ? 4 : 2, &part) < 0 ||
		    !digits(&part, i == 0 ? 4 : 2, &v[i]) || !ks_cur_eof(&part))
			return false;
	}
	if (i == 0)
		return false;
	if (ks_cur_u8(&cur, &ch) == 0) {
		if (ch == '+')
			sign = 1;
		else if (ch == '-')
			sign = -1;
		if (sign != 0 && ks_cur_sub(&cur, 2, &part) == 0 && digits(&part, 2, &oh)) {
			(void)ks_cur_accept(&cur, "'", 1);
			if (ks_cur_sub(&cur, 2, &part) < 0 || !digits(&part, 2, &om))
				om = 0;
		}
	}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60 ||
	    oh > 23 || om > 59)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	t = timegm(&tm);
	*out = t - (time_t)sign * (time_t)(oh * 3600 + om * 60);
	return true;
}

/* ---- discovery ---- */

static int add_found(struct ks_pv_ctx *c, const struct ks_pdfdoc_field *f, size_t rev)
{
	struct ks_pv_found *p;
	size_t cap;
	size_t i;

	for (i = 0; i < c->nfound; i++) {
		p = &c->found[i];
		if ((f->sig_num != 0 && p->sig_num == f->sig_num) ||
		    (f->sig_num == 0 && p->sig_num == 0 && p->field_num == f->num && f->num != 0))
			goto update;
	}
	if (c->nfound >= KS_PADES_VERIFY_MAX_SIGS) {
		c->res->sigs_dropped++;
		return 0;
	}
	cap = c->nfound;
	if (ks_grow_to((void **)&c->found, &cap, c->nfound + 1, sizeof(*c->found)) < 0)
		return -1;
	p = &c->found[c->nfound++];
	memset(p, 0, sizeof(*p));
update:
	p->sig_num = f->sig_num;
	p->sig_gen = f->sig_gen;
	p->field_num = f->num;
	p->field_gen = f->gen;
	p->dict = f->sig;
	p->field = f->dict;
	p->seen_rev = rev;
	p->orphan_at = 0;
	copy_text(p->name, sizeof(p->name), f->name, strlen(f->name));
	return 0;
}

/* Every signature dictionary any revision's form references: one that a
 * later revision no longer shows is still reported (and its removal is a
 * modification the analysis finds). */
static int discover(struct ks_pv_ctx *c)
{
	const struct ks_pdfdoc_field *fields;
	size_t rev, i, n;

	for (rev = 0; rev < c->nrevs; rev++) {
		if (ks_pdfdoc_fields(c->doc, rev, &fields, &n) < 0) {
			if (ks_err_is_fatal())
				return -1;
			continue; /* a revision without a usable form shows no signature */
		}
		for (i = 0; i < n; i++)
			if (fields[i].sig != NULL && add_found(c, &fields[i], rev) < 0)
				return -1;
	}
	return 0;
}

/* Signature dictionaries after the last revision's %%EOF (a truncated
 * file, an update cut before its xref section): no revision reaches
 * them, yet the file carries a signature, and the report must say why
 * it cannot be checked. */
static int orphans(struct ks_pv_ctx *c)
{
	const struct ks_pdfdoc_rev *last = ks_pdfdoc_rev(c->doc, c->nrevs - 1);
	struct ks_pdfdoc_indirect ind;
	struct ks_pdfdoc_field f;
	const struct ks_pdfobj *d;
	struct ks_pdfdoc_objdef od;
	size_t at = last->end, to = c->len, tries = 0;

	if (to - at > KS_PADES_DIFF_MAX_SCAN)
		to = at + KS_PADES_DIFF_MAX_SCAN;
	while (tries++ < KS_PADES_VERIFY_MAX_SIGS * 16 &&
	       ks_pdfdoc_scan_obj(&c->whole, &at, to, &od)) {
		if (ks_pdfdoc_parse_at(c->doc, od.start, &ind) < 0) {
			if (ks_err_is_fatal())
				return -1;
			continue;
		}
		d = ks_pdfobj_dict(ind.obj);
		if (d == NULL || ks_pdfobj_get(d, "ByteRange") == NULL ||
		    ks_pdfobj_get(d, "Contents") == NULL)
			continue;
		memset(&f, 0, sizeof(f));
		f.name = "";
		f.sig = d;
		f.sig_num = od.num;
		f.sig_gen = ind.gen;
		if (add_found(c, &f, c->nrevs - 1) < 0)
			return -1;
		c->found[c->nfound - 1].orphan_at = od.start;
	}
	ks_err_clear();
	return 0;
}

/* ---- /ByteRange and /Contents ---- */

/* Length of the DER element at the start of s (definite length), or 0
 * when the header is not one (indefinite length, bad encoding). */
static size_t der_total(const uint8_t *s, size_t n)
{
	struct ks_cur cur;
	uint8_t tag, l0, b;
	size_t len = 0, hdr, total, i;

	ks_cur_init(&cur, s, n);
	if (ks_cur_u8(&cur, &tag) < 0 || tag != 0x30 || ks_cur_u8(&cur, &l0) < 0)
		return 0;
	if (l0 < 0x80) {
		len = l0;
		hdr = 2;
	} else {
		if (l0 == 0x80 || (l0 & 0x7f) > sizeof(uint32_t))
			return 0;
		for (i = 0; i < (size_t)(l0 & 0x7f); i++) {
			if (ks_cur_u8(&cur, &b) < 0)
				return 0;
			len = len << 8 | b;
		}
		hdr = 2 + (size_t)(l0 & 0x7f);
	}
	if (ks_add_size(hdr, len, &total) < 0)
		return 0;
	return total;
}

static bool is_zero(uint8_t b)
{
	return b == 0;
}

/* Are the bytes of c from offset `from` on all zero? */
static bool zeros_from(const struct ks_cur *c, size_t from)
{
	struct ks_cur rest;

	if (ks_cur_at(c, from, &rest) < 0) {
		ks_err_clear();
		return false;
	}
	ks_cur_skip_while(&rest, is_zero);
	return ks_cur_eof(&rest);
}

/* The object that holds the signature dictionary, as of `rev`: its span
 * tells whether the revision really contains it. */
static int holder_span(struct ks_pv_ctx *c, const struct ks_pv_found *f, size_t rev, size_t *start,
		       bool *present)
{
	struct ks_pdfdoc_indirect ind;
	uint32_t num = f->sig_num != 0 ? f->sig_num : f->field_num;
	uint16_t gen = f->sig_num != 0 ? f->sig_gen : f->field_gen;

	*present = false;
	if (num == 0) {
		*present = true; /* a direct field inside an array: its container decides */
		*start = 0;
		return 0;
	}
	if (ks_pdfdoc_lookup(c->doc, rev, num, gen, &ind) < 0)
		return ks_err_is_fatal() ? -1 : 0;
	if (ind.entry.type != KS_PDFDOC_ENTRY_INUSE && ind.entry.type != KS_PDFDOC_ENTRY_COMPRESSED)
		return 0;
	*present = true;
	*start = ind.entry.type == KS_PDFDOC_ENTRY_INUSE ? ind.start : SIZE_MAX;
	return 0;
}

/* ETSI EN 319 142-1 5.1 and ISO 32000-1 12.8.1: /ByteRange [0 a b c]
 * covers the whole revision except exactly the /Contents string.  On
 * success fills sig->byte_range, sig->rev, sig->coverage, *contents and
 * the ranges; otherwise records the format failure. */
static int check_coverage(struct ks_pv_ctx *c, const struct ks_pv_found *f,
			  struct ks_pades_sig *sig, const struct ks_pdfobj **contents,
			  struct ks_pv_ranges *rg, bool *ok)
{
	const struct ks_pdfobj *br = NULL, *ct;
	struct ks_cur r1, r2;
	int64_t v[4];
	size_t a, b, cl, end, s_final = 0, s_rev = 0, i;
	const struct ks_pdfdoc_rev *last = ks_pdfdoc_rev(c->doc, c->nrevs - 1);
	bool present = false;
	long idx;

	*ok = false;
	if (ks_pdfdoc_dict_get(c->doc, f->seen_rev, f->dict, "ByteRange", &br) < 0 &&
	    ks_err_is_fatal())
		return -1;
	if (br == NULL || br->type != KS_PDFOBJ_ARRAY || br->u.arr.n != 4) {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE, "/ByteRange is not an array of 4 integers");
		return 0;
	}
	for (i = 0; i < 4; i++) {
		if (!ks_pdfobj_int(br->u.arr.items[i], &v[i]) || v[i] < 0) {
			ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE,
				   "/ByteRange holds a value that is not a non-negative integer");
			return 0;
		}
		sig->byte_range[i] = (uint64_t)v[i];
	}
	sig->has_byte_range = true;
	if (v[0] != 0) {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE, "/ByteRange does not start at offset 0");
		return 0;
	}
	if (v[1] >= v[2]) {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE,
			   "/ByteRange ranges overlap or are out of order");
		return 0;
	}
	if ((uint64_t)v[2] > c->len || (uint64_t)v[3] > c->len - (uint64_t)v[2]) {
		ks_pv_fail(
		    sig, KS_SUB_FORMAT_FAILURE,
		    "/ByteRange runs to offset %llu, beyond the end of the file (%zu bytes): "
		    "truncated or altered",
		    (unsigned long long)(v[2] + v[3]), c->len);
		return 0;
	}
	a = (size_t)v[1];
	b = (size_t)v[2];
	cl = (size_t)v[3];
	end = b + cl;
	ct = ks_pdfobj_get(f->dict, "Contents");
	if (ct == NULL || ct->type != KS_PDFOBJ_STRING) {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE, "/Contents is not a direct string");
		return 0;
	}
	if (ct->objstm != 0) {
		ks_pv_fail(
		    sig, KS_SUB_FORMAT_FAILURE,
		    "the signature dictionary is inside an object stream: /Contents cannot be "
		    "excluded by the ByteRange");
		return 0;
	}
	/* The gap must be exactly the string with its delimiters: anything
	 * else in it is unsigned content (signature wrapping). */
	if (ct->start != a || ct->end != b) {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE,
			   "the ByteRange gap [%zu, %zu) is not exactly the /Contents string [%zu, "
			   "%zu)",
			   a, b, ct->start, ct->end);
		return 0;
	}
	if (!ct->u.str.hex) {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE, "/Contents is not a hexadecimal string");
		return 0;
	}
	idx = ks_pdfdoc_rev_by_end(c->doc, end);
	if (idx < 0 && end == c->len)
		idx = (long)c->nrevs - 1; /* signed through the bytes after the last %%EOF */
	if (idx < 0) {
		sig->coverage = KS_PADES_COVER_NONSTANDARD;
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE,
			   "the ByteRange ends at offset %zu, which is not the end of a revision "
			   "(%%%%EOF): part of the signed revision is not covered",
			   end);
		return 0;
	}
	/* The signature dictionary must belong to the revision it signs, at
	 * the very place the newest revision shows it. */
	if (holder_span(c, f, f->seen_rev, &s_final, &present) < 0)
		return -1;
	if (present && holder_span(c, f, (size_t)idx, &s_rev, &present) < 0)
		return -1;
	if (!present || s_rev != s_final) {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE,
			   "the signature dictionary is not the one of the revision its ByteRange "
			   "covers (revision %ld)",
			   idx + 1);
		return 0;
	}
	if (ks_cur_range(&c->whole, 0, a, &r1) < 0 || ks_cur_range(&c->whole, b, cl, &r2) < 0 ||
	    ks_cur_bytes(&r1, a, &rg->p1) < 0 || ks_cur_bytes(&r2, cl, &rg->p2) < 0)
		return -1;
	rg->n1 = a;
	rg->n2 = cl;
	sig->rev = (size_t)idx;
	sig->coverage = (size_t)idx == c->nrevs - 1 && (end == c->len || end >= last->end)
			    ? KS_PADES_COVER_WHOLE
			    : KS_PADES_COVER_REVISION;
	*contents = ct;
	*ok = true;
	return 0;
}

/* ---- one signature ---- */

static int verify_one(struct ks_pv_ctx *c, const struct ks_pv_found *f, struct ks_pades_sig *sig)
{
	const struct ks_pdfobj *type, *sf, *m, *contents = NULL;
	struct ks_pv_ranges rg = { 0 };
	size_t total, n;
	const uint8_t *s;
	struct ks_cur cs;
	bool ok = false;

	sig->nrevs = c->nrevs;
	sig->rev = SIZE_MAX;
	sig->sig_num = f->sig_num;
	copy_text(sig->field, sizeof(sig->field), f->name, strlen(f->name));
	type = ks_pdfobj_get(f->dict, "Type");
	if (ks_pdfobj_is_name(type, "DocTimeStamp"))
		sig->kind = KS_PADES_DOC_TIMESTAMP;
	sf = ks_pdfobj_get(f->dict, "SubFilter");
	if (sf != NULL && sf->type == KS_PDFOBJ_NAME)
		copy_text(sig->subfilter, sizeof(sig->subfilter), sf->u.name.s, sf->u.name.len);
	m = ks_pdfobj_get(f->dict, "M");
	if (m != NULL && m->type == KS_PDFOBJ_STRING)
		sig->has_m = parse_pdf_date(m->u.str.s, m->u.str.len, &sig->m);
	if (f->orphan_at != 0) {
		ks_pv_fail(
		    sig, KS_SUB_FORMAT_FAILURE,
		    "the signature dictionary (object %u at offset %zu) lies after the last "
		    "complete revision: the file is truncated or its last update is incomplete",
		    f->sig_num, f->orphan_at);
		return 0;
	}
	if (text_entry(c, f->seen_rev, f->dict, "Reason", sig->reason, sizeof(sig->reason)) < 0 ||
	    text_entry(c, f->seen_rev, f->dict, "Name", sig->name, sizeof(sig->name)) < 0 ||
	    text_entry(c, f->seen_rev, f->dict, "Location", sig->location, sizeof(sig->location)) <
		0)
		return -1;
	if (check_coverage(c, f, sig, &contents, &rg, &ok) < 0)
		return -1;
	if (!ok)
		return 0;
	s = contents->u.str.s;
	n = contents->u.str.len;
	ks_cur_init(&cs, s, n);
	if (n == 0 || zeros_from(&cs, 0)) {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE, "/Contents is empty: no signature");
		return 0;
	}
	/* ISO 32000-1 12.8.1: the DER may be followed by zero padding only;
	 * other bytes after it are not signed by anyone. */
	total = der_total(s, n);
	if (total > n) {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE, "the CMS in /Contents is truncated");
		return 0;
	}
	if (total != 0 && !zeros_from(&cs, total)) {
		ks_pv_fail(
		    sig, KS_SUB_FORMAT_FAILURE,
		    "/Contents with extra data: %zu bytes after the CMS are not zero padding",
		    n - total);
		return 0;
	}
	/* An indefinite-length (BER) outer header leaves the end to the CMS
	 * parser, which still refuses anything but zeros after it. */
	if (ks_pv_verify_cms(s, total != 0 ? total : n, total == 0, &rg, sig) < 0)
		return -1;
	if (sig->has_cms) {
		/* An indefinite-length (BER) CMS keeps its zero padding. */
		size_t keep = total != 0 ? total : n;

		sig->cms_der = malloc(keep);
		if (sig->cms_der == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		memcpy(sig->cms_der, s, keep);
		sig->cms_len = keep;
	}
	return ks_pv_transforms(c->doc, sig->rev, f->sig_num, f->dict, f->field, &c->locks, sig);
}

/* The signature's signer, for the report, when its structure failed
 * before the CMS could be checked: identification only. */
static int identify_only(const struct ks_pv_found *f, struct ks_pades_sig *sig)
{
	const struct ks_pdfobj *ct = ks_pdfobj_get(f->dict, "Contents");
	size_t total;

	if ((sig->has_cms && sig->cms.cert != NULL) || ct == NULL || ct->type != KS_PDFOBJ_STRING ||
	    ct->u.str.len == 0)
		return 0;
	total = der_total(ct->u.str.s, ct->u.str.len);
	if (total > ct->u.str.len)
		return 0;
	return ks_pv_identify(ct->u.str.s, total != 0 ? total : ct->u.str.len, total == 0, sig);
}

static int cmp_sig(const void *pa, const void *pb)
{
	const struct ks_pades_sig *a = pa, *b = pb;

	if (a->rev != b->rev)
		return a->rev < b->rev ? -1 : 1;
	if (a->byte_range[2] != b->byte_range[2])
		return a->byte_range[2] < b->byte_range[2] ? -1 : 1;
	return 0;
}

/* ISO 32000-1 12.8.2.2.1: the certification signature is the first one;
 * its P governs every change after it.  Locks (12.8.2.4) bind the changes
 * after the signature that set them. */
static int analyse(struct ks_pv_ctx *c)
{
	struct ks_pades_verify_result *r = c->res;
	struct ks_pv_lock *in_force = NULL;
	struct ks_pv_reach final;
	struct ks_pv_diff_in in;
	size_t i, j, k, nl;
	int permitted, rc = -1;

	memset(&final, 0, sizeof(final));
	in_force = calloc(c->locks.n + 1, sizeof(*in_force));
	if (in_force == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	/* What a viewer of the final file can reach: the same for every
	 * signature's analysis. */
	if (r->n > 0 && c->nrevs > 1)
		KS_GUARD(ks_pv_reach_build(c->doc, c->nrevs - 1, &final));
	for (i = 0; i < r->n; i++) {
		struct ks_pades_sig *s = &r->sigs[i];

		if (s->coverage != KS_PADES_COVER_WHOLE && s->coverage != KS_PADES_COVER_REVISION)
			continue;
		permitted = 0;
		for (j = 0; j < r->n && permitted == 0; j++)
			if (r->sigs[j].docmdp != 0 && r->sigs[j].rev <= s->rev &&
			    (r->sigs[j].coverage == KS_PADES_COVER_WHOLE ||
			     r->sigs[j].coverage == KS_PADES_COVER_REVISION))
				permitted = r->sigs[j].docmdp;
		s->permitted = permitted;
		nl = 0;
		for (k = 0; k < c->locks.n; k++)
			if (c->locks.v[k].rev <= s->rev)
				in_force[nl++] = c->locks.v[k];
		in.doc = c->doc;
		in.rev = s->rev;
		in.permitted = permitted;
		in.locks = in_force;
		in.n_locks = nl;
		in.final = &final;
		KS_GUARD(ks_pv_diff(&in, s));
	}
	rc = 0;
out:
	ks_pv_reach_free(&final);
	free(in_force);
	return rc;
}

int ks_pades_verify_mem(const uint8_t *pdf, size_t len, const struct ks_pades_verify_opts *opts,
			struct ks_pades_verify_result *res)
{
	struct ks_pv_ctx c;
	size_t i;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	ks_pades_verify_result_cleanup(res);
	if (pdf == NULL && len != 0)
		return KS_SET(KS_ERR_ARG, "no input");
	c.opts = opts;
	c.res = res;
	c.len = len;
	if (ks_pdfdoc_open(pdf, len, opts != NULL ? opts->lim : NULL, &c.doc) < 0) {
		if (ks_err_is_fatal())
			goto out;
		res->unreadable = true;
		snprintf(res->detail, sizeof(res->detail), "not a readable PDF: %s", ks_err_msg());
		rc = 0;
		goto out;
	}
	ks_pdfdoc_input(c.doc, &c.whole);
	c.nrevs = ks_pdfdoc_rev_count(c.doc);
	res->nrevs = c.nrevs;
	res->repaired = ks_pdfdoc_repaired(c.doc);
	KS_GUARD(discover(&c));
	if (!res->repaired)
		KS_GUARD(orphans(&c));
	if (c.nfound > 0) {
		res->sigs = calloc(c.nfound, sizeof(*res->sigs));
		if (res->sigs == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < c.nfound; i++) {
		struct ks_pades_sig *s = &res->sigs[res->n++];

		if (res->repaired) {
			/* Without the revisions' own xref data nothing says what
			 * the signer saw. */
			s->nrevs = c.nrevs;
			s->rev = SIZE_MAX;
			copy_text(s->field, sizeof(s->field), c.found[i].name,
				  strlen(c.found[i].name));
			ks_pv_fail(
			    s, KS_SUB_FORMAT_FAILURE,
			    "the cross-reference data is damaged and was rebuilt by scanning "
			    "(%s): the signed revision cannot be established",
			    ks_pdfdoc_repair_reason(c.doc));
			continue;
		}
		KS_GUARD(verify_one(&c, &c.found[i], s));
		if (s->indication != KS_IND_TOTAL_PASSED)
			KS_GUARD(identify_only(&c.found[i], s));
	}
	if (res->n > 1)
		qsort(res->sigs, res->n, sizeof(*res->sigs), cmp_sig);
	KS_GUARD(analyse(&c));
	rc = 0;
out:
	ks_pv_locks_free(&c.locks);
	free(c.found);
	ks_pdfdoc_free(c.doc);
	return rc;
}

int ks_pades_verify_file(const char *path, const struct ks_pades_verify_opts *opts,
			 struct ks_pades_verify_result *res)
{
	struct stat st;
	void *map = MAP_FAILED;
	size_t len = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return KS_SET(KS_ERR_IO, "cannot open '%s'", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		KS_BAIL(KS_ERR_IO, "'%s' is not a regular file", path);
	if (st.st_size > 0) {
		len = (size_t)st.st_size;
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			KS_BAIL(KS_ERR_IO, "cannot map '%s'", path);
	}
	rc = ks_pades_verify_mem(map == MAP_FAILED ? (const uint8_t *)"" : map, len, opts, res);
out:
	if (map != MAP_FAILED)
		munmap(map, len);
	close(fd);
	return rc;
}
