/* Resume: is an existing output a complete signature of its input, made
 * the way this batch would make it (ks_batch.h, ks_batch_signed_same)? */
#include <string.h>
#include <strings.h>

#include "ks_io.h"
#include "signer/ks_batch.h"
#include "signer/ks_report.h"
#include "signer/validate/ks_engine.h"

/* Places tried for an ambiguous XML insertion point. */
#define KS_BATCH_XML_SHIFT_MAX 64

/* The format name a report gives a signature of format f. */
static const char *family(enum ks_format f)
{
	switch (f) {
	case KS_FORMAT_PDF:
		return "PAdES-";
	case KS_FORMAT_XML:
		return "XAdES-";
	case KS_FORMAT_CMS:
		return "CAdES-";
	case KS_FORMAT_AUTO:
		break;
	}
	return NULL;
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Is ins[0, n) one element named Signature (any prefix), with white
 * space around it: "<" [prefix ":"] "Signature" (space | ">") ...
 * "Signature>"? */
static bool is_sig_element(const uint8_t *ins, size_t n)
{
	static const char name[] = "Signature";
	const size_t nl = sizeof(name) - 1;
	size_t a = 0, z = n, k;

	while (a < z && is_space(ins[a]))
		a++;
	while (z > a && is_space(ins[z - 1]))
		z--;
	if (z - a < 2 * nl + 4 || ins[a] != '<' || memcmp(ins + z - nl - 1, name, nl) != 0 ||
	    ins[z - 1] != '>')
		return false;
	for (k = a + 1; k < z && ins[k] != ':' && ins[k] != ' ' && ins[k] != '>'; k++)
		;
	k = k < z && ins[k] == ':' ? k + 1 : a + 1;
	return z - k > nl && memcmp(ins + k, name, nl) == 0 &&
	       (is_space(ins[k + nl]) || ins[k + nl] == '>');
}

/* Does `out` hold `in` with exactly one element inserted, a signature?
 * Where the inserted bytes begin like the bytes after them ("<"), the
 * insertion point is ambiguous: the few places it may be are tried. */
static bool xml_one_insert(const struct ks_file_map *in, const struct ks_file_map *out)
{
	size_t pre = 0, suf = 0, n, shift;

	if (out->len <= in->len)
		return false;
	while (pre < in->len && in->data[pre] == out->data[pre])
		pre++;
	while (suf < in->len - pre && in->data[in->len - 1 - suf] == out->data[out->len - 1 - suf])
		suf++;
	if (pre + suf != in->len)
		return false;
	n = out->len - in->len;
	/* out = in[0, pre) ins in[pre, ...): moving the insertion one byte
	 * left keeps that true while out[pre - 1] == out[pre - 1 + n]. */
	for (shift = 0; shift <= KS_BATCH_XML_SHIFT_MAX; shift++) {
		if (is_sig_element(out->data + pre, n))
			return true;
		if (pre == 0 || out->data[pre - 1] != out->data[pre - 1 + n])
			break;
		pre--;
	}
	return false;
}

/* Is the report's signature `s` one of `cert`, by the same names? */
static bool same_signer(const struct ks_report_sig *s, X509 *cert)
{
	struct ks_report mine;
	struct ks_report_sig *m;
	bool same = false;

	ks_report_init(&mine);
	if (!s->has_cert || ks_report_add(&mine, &m) < 0 || ks_report_sig_set_cert(m, cert) < 0)
		goto out;
	same = m->issuer != NULL && s->issuer != NULL && strcmp(m->issuer, s->issuer) == 0 &&
	       m->serial != NULL && s->serial != NULL && strcmp(m->serial, s->serial) == 0 &&
	       m->subject != NULL && s->subject != NULL && strcmp(m->subject, s->subject) == 0;
out:
	ks_report_cleanup(&mine);
	return same;
}

static bool as_asked(const struct ks_sign_job *j, const struct ks_report_sig *s)
{
	const char *fam = family(j->format), *level = j->level != NULL ? j->level : "B-B";
	enum ks_md md = KS_MD_SHA256;
	size_t fl, ll;

	if (fam == NULL || s->format == NULL || s->digest_alg == NULL)
		return false;
	if (j->md != NULL && ks_md_parse(j->md, &md) < 0)
		return false;
	fl = strlen(fam);
	ll = strlen(level);
	/* "XAdES-B-B (enveloped)": the level, then the end or a note. */
	return strncmp(s->format, fam, fl) == 0 && strncasecmp(s->format + fl, level, ll) == 0 &&
	       (s->format[fl + ll] == '\0' || s->format[fl + ll] == ' ') &&
	       strcmp(s->digest_alg, ks_md_name(md)) == 0;
}

bool ks_batch_signed_same(const struct ks_sign_job *tmpl, const struct ks_batch_item *it)
{
	struct ks_file_map in, out;
	struct ks_verify_job vj;
	struct ks_validation val;
	struct ks_report rep;
	const struct ks_report_sig *last;
	const char *mode = tmpl->xml.mode != NULL ? tmpl->xml.mode : "enveloped";
	bool detached = tmpl->format == KS_FORMAT_CMS ||
			(tmpl->format == KS_FORMAT_XML && strcmp(mode, "detached") == 0);
	bool same = false;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.fd = out.fd = -1;
	ks_report_init(&rep);
	if (tmpl->key == NULL || it->out == NULL || tmpl->format == KS_FORMAT_AUTO)
		goto out;
	if (tmpl->format == KS_FORMAT_XML &&
	    (strcmp(mode, "enveloping") == 0 || tmpl->xml.counter_sign))
		goto out;
	if (ks_file_map(it->out, &out) < 0 || ks_file_map(it->in, &in) < 0)
		goto out;
	if (tmpl->format == KS_FORMAT_PDF &&
	    (out.len <= in.len || memcmp(out.data, in.data, in.len) != 0))
		goto out;
	if (tmpl->format == KS_FORMAT_XML && !detached && !xml_one_insert(&in, &out))
		goto out;
	/* Integrity and signer only: no anchors, no revocation (no network). */
	ks_validation_init(&val);
	val.trust = NULL;
	val.revocation = false;
	memset(&vj, 0, sizeof(vj));
	vj.val = &val;
	vj.name = it->out;
	vj.data = out.data;
	vj.len = out.len;
	vj.format = tmpl->format;
	if (detached) {
		vj.content = in.data;
		vj.content_len = in.len;
		vj.content_name = it->in;
	}
	if (ks_job_verify(&vj, &rep) < 0 || rep.n == 0)
		goto out;
	last = &rep.sigs[rep.n - 1];
	/* TOTAL-FAILED: the bytes or the signature value do not hold.
	 * INDETERMINATE is expected: no trust anchors are given here. */
	if (last->indication == KS_IND_TOTAL_FAILED)
		goto out;
	if (tmpl->format == KS_FORMAT_PDF && (last->n_changes > 0 || last->changes_more > 0))
		goto out;
	same = same_signer(last, tmpl->key->cert) && as_asked(tmpl, last);
out:
	ks_report_cleanup(&rep);
	ks_file_unmap(&in);
	ks_file_unmap(&out);
	ks_err_clear();
	return same;
}
