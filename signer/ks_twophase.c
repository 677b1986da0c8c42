/* Two-phase signing (ks_twophase.h). */
#include "signer/ks_twophase.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "formats/cms/ks_cms.h"
#include "formats/pdf/ks_pades.h"
#include "ks_codec.h"
#include "ks_size.h"
#include "signer/ks_policy.h"
#include "signer/ks_sigts.h"

#define CMS_OUT_MAX ((size_t)1 << 20)
#define SIG_ID_RANDOM 12

void ks_prepared_init(struct ks_prepared *p)
{
	memset(p, 0, sizeof(*p));
	ks_buf_init(&p->tbs, EVP_MAX_MD_SIZE);
	ks_buf_init(&p->doc, KS_TWOPHASE_DOC_MAX);
	ks_buf_init(&p->digest, EVP_MAX_MD_SIZE);
}

void ks_prepared_cleanup(struct ks_prepared *p)
{
	ks_buf_cleanup(&p->tbs);
	ks_buf_cleanup(&p->doc);
	ks_buf_cleanup(&p->digest);
}

static bool is_external(const struct ks_key *key)
{
	return key != NULL && key->ops != NULL && strcmp(key->ops->kind, "external") == 0;
}

/* B-B or B-T (with a TSA); the other levels come after signing. */
static int level_of(const struct ks_sign_job *j, bool *ts)
{
	*ts = false;
	if (j->level == NULL || strcmp(j->level, "B-B") == 0)
		return 0;
	if (strcmp(j->level, "B-T") != 0) {
		if (strcmp(j->level, "B-LT") == 0 || strcmp(j->level, "B-LTA") == 0)
			return KS_SET(KS_ERR_UNSUPPORTED,
				      "level %s is reached by kyso extend after signing", j->level);
		return KS_SET(KS_ERR_USAGE, "the level must be B-B, B-T, B-LT or B-LTA");
	}
	if (j->tsa == NULL || j->tsa->n_urls == 0)
		return KS_SET(KS_ERR_USAGE, "level B-T needs a time-stamping authority");
	*ts = true;
	return 0;
}

static int scheme_of(const struct ks_sign_job *j, enum ks_sig_scheme *scheme)
{
	*scheme = ks_key_default_scheme(j->key);
	if (j->rsa_pss) {
		if (j->key->type != KS_KEY_RSA)
			return KS_SET(KS_ERR_USAGE, "RSA-PSS needs an RSA key");
		*scheme = KS_SIG_RSA_PSS;
	}
	return 0;
}

/* The external key was asked for its signature: keep what it was asked. */
static int capture(int r, const struct ks_key *key, struct ks_prepared *p)
{
	enum ks_md md;

	if (r == 0)
		return KS_SET(KS_ERR_INTERNAL, "an external key gave a signature in phase 1");
	if (ks_err_code() != KS_ERR_PENDING)
		return -1;
	ks_err_clear();
	ks_buf_reset(&p->tbs);
	if (ks_extkey_pending(key, &p->scheme, &md, &p->tbs) < 0)
		return -1;
	if (md != p->md)
		return KS_SET(KS_ERR_INTERNAL, "the pending digest is %s, not %s", ks_md_name(md),
			      ks_md_name(p->md));
	return 0;
}

/* ---- CMS (any file) ---- */

static void cms_opts(const struct ks_sign_job *j, const struct ks_prepared *p,
		     struct ks_cms_sign_opts *co)
{
	ks_cms_sign_opts_init(co);
	co->signing_time = j->signing_time;
	co->signing_time_at = p->signing_time;
}

static int prepare_cms(const struct ks_sign_job *j, struct ks_prepared *p)
{
	struct ks_cms_sign_opts co;
	struct ks_buf der;
	enum ks_sig_scheme scheme;
	int rc = -1;

	ks_buf_init(&der, CMS_OUT_MAX);
	KS_GUARD(ks_policy_check_key(j->key, p->md, 0));
	KS_GUARD(scheme_of(j, &scheme));
	KS_GUARD(ks_md_digest(p->md, j->in_data, j->in_len, &p->digest));
	cms_opts(j, p, &co);
	KS_GUARD(capture(
	    ks_cms_sign_digest(j->key, scheme, p->md, p->digest.data, p->digest.len, &co, &der),
	    j->key, p));
	rc = 0;
out:
	ks_buf_cleanup(&der);
	return rc;
}

static int complete_cms(const struct ks_sign_job *j, const struct ks_prepared *p,
			struct ks_buf *out, struct ks_sign_outcome *res)
{
	struct ks_cms_sign_opts co;
	struct ks_buf der;
	int rc = -1;

	ks_buf_init(&der, CMS_OUT_MAX);
	cms_opts(j, p, &co);
	KS_GUARD(
	    ks_cms_sign_digest(j->key, p->scheme, p->md, p->digest.data, p->digest.len, &co, &der));
	if (p->timestamped)
		KS_GUARD(ks_sigts_add(j->tsa, p->md, der.data, der.len, 0, out, NULL));
	else
		KS_GUARD(ks_buf_append(out, der.data, der.len));
	snprintf(res->summary, sizeof(res->summary), "CAdES-%s signature (%s)",
		 p->timestamped ? "B-T" : "B-B", ks_md_name(p->md));
	rc = 0;
out:
	ks_buf_cleanup(&der);
	return rc;
}

/* ---- PDF ---- */

/* The CMS producer of phase 1: sizing as the real signature will be (the
 * TSA's token included for B-T); at the real call it records the
 * ByteRange digest and what the external key was asked, and writes the
 * sized placeholder into /Contents. */
struct prep_pdf {
	struct ks_pades_key_ctx kctx;
	struct ks_sigts_pades tctx;
	struct ks_pades_cms key_cms, sized;
	struct ks_prepared *p;
	const struct ks_key *key;
	bool captured;
};

static int prep_produce(void *vctx, enum ks_md md, const uint8_t *digest, size_t dlen, bool sizing,
			struct ks_buf *der)
{
	struct prep_pdf *c = vctx;
	struct ks_buf none;
	int r;

	if (sizing)
		return c->sized.produce(c->sized.ctx, md, digest, dlen, true, der);
	ks_buf_init(&none, CMS_OUT_MAX);
	ks_buf_reset(&c->p->digest);
	r = ks_buf_append(&c->p->digest, digest, dlen);
	if (r == 0)
		r = capture(c->key_cms.produce(c->key_cms.ctx, md, digest, dlen, false, &none),
			    c->key, c->p);
	ks_buf_cleanup(&none);
	if (r < 0)
		return -1;
	c->captured = true;
	return c->sized.produce(c->sized.ctx, md, digest, dlen, true, der);
}

static int prepare_pdf(const struct ks_sign_job *j, struct ks_prepared *p)
{
	struct ks_sign_pdf_opts o = j->pdf;
	struct ks_pades_result r;
	struct ks_pades_cms cms;
	struct prep_pdf c;
	uint64_t a, b;

	if (j->signing_time)
		return KS_SET(KS_ERR_USAGE, "the signing-time attribute does not apply to PDF");
	if (j->rsa_pss && j->key->type != KS_KEY_RSA)
		return KS_SET(KS_ERR_USAGE, "RSA-PSS needs an RSA key");
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.key = j->key;
	ks_pades_cms_from_key(&c.kctx, j->key, j->rsa_pss, &c.key_cms);
	c.sized = c.key_cms;
	if (p->timestamped)
		ks_sigts_pades(&c.tctx, &c.key_cms, j->tsa, &c.sized);
	cms.produce = prep_produce;
	cms.ctx = &c;
	cms.cert = j->key->cert;
	o.level = j->level;
	o.tsa = j->tsa;
	o.md = j->md;
	o.rsa_pss = j->rsa_pss;
	o.signing_time = p->signing_time;
	o.cms = &cms;
	if (ks_sign_pdf_mem(j->key, j->in_data, j->in_len, &p->doc, &o, &r) < 0)
		return -1;
	if (!c.captured)
		return KS_SET(KS_ERR_INTERNAL, "the PDF was prepared without its digest");
	/* ISO 32000-1 12.8.1: /Contents is the one gap of the ByteRange, its
	 * hex string's delimiters included. */
	a = r.byte_range[1];
	b = r.byte_range[2];
	if (b < a + 2 || b > p->doc.len || p->doc.data[a] != '<' || p->doc.data[b - 1] != '>')
		return KS_SET(KS_ERR_INTERNAL, "the prepared /Contents is not where it should be");
	p->contents_off = a + 1;
	p->contents_len = b - a - 2;
	return 0;
}

static int complete_pdf(const struct ks_sign_job *j, const struct ks_prepared *p,
			struct ks_buf *out, struct ks_sign_outcome *res)
{
	struct ks_pades_key_ctx kctx;
	struct ks_pades_cms cms;
	struct ks_buf der, ts, hex;
	const struct ks_buf *final;
	size_t end, pad;
	int rc = -1;

	ks_buf_init(&der, CMS_OUT_MAX);
	ks_buf_init(&ts, CMS_OUT_MAX);
	ks_buf_init(&hex, 2 * CMS_OUT_MAX);
	KS_ENSURE(p->contents_off > 0 && p->contents_len <= p->doc.len &&
		      p->contents_off <= p->doc.len - p->contents_len,
		  KS_ERR_ARG, "the prepared document does not hold its /Contents");
	end = (size_t)(p->contents_off + p->contents_len);
	KS_ENSURE(p->doc.data[p->contents_off - 1] == '<' && p->doc.data[end] == '>', KS_ERR_ARG,
		  "the prepared document does not hold its /Contents");
	ks_pades_cms_from_key(&kctx, j->key, p->scheme == KS_SIG_RSA_PSS, &cms);
	kctx.scheme = p->scheme;
	KS_GUARD(cms.produce(cms.ctx, p->md, p->digest.data, p->digest.len, false, &der));
	final = &der;
	if (p->timestamped) {
		KS_GUARD(ks_sigts_add(j->tsa, p->md, der.data, der.len, 0, &ts, NULL));
		final = &ts;
	}
	KS_GUARD(ks_hex_encode(final->data, final->len, &hex));
	if (hex.len > p->contents_len)
		KS_BAIL(KS_ERR_LIMIT,
			"the signature (%zu bytes) is larger than the room prepared for it (%zu)",
			final->len, (size_t)p->contents_len / 2);
	pad = (size_t)p->contents_len - hex.len;
	KS_GUARD(ks_buf_reserve(out, p->doc.len));
	KS_GUARD(ks_buf_append(out, p->doc.data, (size_t)p->contents_off));
	KS_GUARD(ks_buf_append(out, hex.data, hex.len));
	while (pad-- > 0)
		KS_GUARD(ks_buf_append_byte(out, '0'));
	KS_GUARD(ks_buf_append(out, p->doc.data + end, p->doc.len - end));
	snprintf(res->summary, sizeof(res->summary), "PAdES-%s signature (%s)",
		 p->timestamped ? "B-T" : "B-B", ks_md_name(p->md));
	rc = 0;
out:
	ks_buf_cleanup(&der);
	ks_buf_cleanup(&ts);
	ks_buf_cleanup(&hex);
	return rc;
}

/* ---- XML ---- */

static void xml_opts(const struct ks_sign_job *j, const struct ks_prepared *p,
		     struct ks_sign_xml_opts *o)
{
	*o = j->xml;
	o->level = j->level;
	o->md = j->md;
	o->rsa_pss = j->rsa_pss;
	o->signing_time = p->signing_time;
	o->sig_id = p->sig_id;
}

static int prepare_xml(const struct ks_sign_job *j, struct ks_prepared *p)
{
	struct ks_sign_xml_opts o;
	struct ks_buf none, hex;
	uint8_t rnd[SIG_ID_RANDOM];
	int rc = -1;

	ks_buf_init(&none, KS_XADES_OUT_MAX);
	ks_buf_init(&hex, 2 * SIG_ID_RANDOM);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "random signature Id");
	KS_GUARD(ks_hex_encode(rnd, sizeof(rnd), &hex));
	snprintf(p->sig_id, sizeof(p->sig_id), "S%.*s", (int)hex.len, (const char *)hex.data);
	xml_opts(j, p, &o);
	KS_GUARD(
	    capture(ks_sign_xml_mem(j->key, j->in_data, j->in_len, j->in, &none, &o), j->key, p));
	KS_GUARD(ks_buf_set(&p->doc, j->in_data, j->in_len));
	rc = 0;
out:
	ks_buf_cleanup(&none);
	ks_buf_cleanup(&hex);
	return rc;
}

static int complete_xml(const struct ks_sign_job *j, const struct ks_prepared *p,
			struct ks_buf *out, struct ks_sign_outcome *res)
{
	struct ks_sign_xml_opts o;

	xml_opts(j, p, &o);
	if (ks_sign_xml_mem(j->key, p->doc.data, p->doc.len, j->in, out, &o) < 0)
		return -1;
	snprintf(res->summary, sizeof(res->summary), "%s (%s)",
		 o.counter_sign ? "XAdES counter-signature" : "XAdES-B-B signature",
		 ks_md_name(p->md));
	return 0;
}

/* ---- the two phases ---- */

int ks_twophase_prepare(const struct ks_sign_job *j, struct ks_prepared *p)
{
	enum ks_format f = j->format;
	enum ks_md md = KS_MD_SHA256;

	if (j->in_data == NULL || !is_external(j->key))
		return KS_SET(KS_ERR_ARG, "two-phase signing needs a document in memory and an "
					  "external key");
	if (f == KS_FORMAT_AUTO)
		f = ks_format_sniff(j->in_data, j->in_len);
	if ((j->md != NULL && ks_md_parse(j->md, &md) < 0) || ks_policy_check_md(md) < 0)
		return -1;
	p->format = f;
	p->md = md;
	p->signing_time = time(NULL);
	if (level_of(j, &p->timestamped) < 0)
		return -1;
	switch (f) {
	case KS_FORMAT_PDF:
		return prepare_pdf(j, p);
	case KS_FORMAT_XML:
		return prepare_xml(j, p);
	case KS_FORMAT_CMS:
		return prepare_cms(j, p);
	case KS_FORMAT_AUTO:
		break;
	}
	return KS_SET(KS_ERR_USAGE, "unknown format");
}

int ks_twophase_complete(const struct ks_sign_job *j, const struct ks_prepared *p,
			 const uint8_t *sig, size_t siglen, struct ks_buf *out,
			 struct ks_sign_outcome *res)
{
	memset(res, 0, sizeof(*res));
	if (!is_external(j->key))
		return KS_SET(KS_ERR_ARG, "two-phase signing needs an external key");
	if (p->tbs.len == 0)
		return KS_SET(KS_ERR_ARG, "nothing was prepared");
	if (p->timestamped && (j->tsa == NULL || j->tsa->n_urls == 0))
		return KS_SET(KS_ERR_USAGE, "level B-T needs a time-stamping authority");
	/* Checked against the certificate and the prepared digest before
	 * anything is built. */
	if (ks_extkey_set_signature(j->key, p->scheme, p->md, p->tbs.data, p->tbs.len, sig,
				    siglen) < 0)
		return -1;
	res->format = p->format;
	switch (p->format) {
	case KS_FORMAT_PDF:
		return complete_pdf(j, p, out, res);
	case KS_FORMAT_XML:
		return complete_xml(j, p, out, res);
	case KS_FORMAT_CMS:
		return complete_cms(j, p, out, res);
	case KS_FORMAT_AUTO:
		break;
	}
	return KS_SET(KS_ERR_ARG, "unknown format");
}
