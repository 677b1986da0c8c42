/* Signature timestamp facts (ks_verify_ts.h). */
#include "signer/ks_verify_ts.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "formats/cms/ks_cades_ltv.h"
#include "ks_buf.h"

void ks_verify_ts_set_cleanup(struct ks_verify_ts_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		ks_tsp_token_free(s->tok[i]);
	memset(s, 0, sizeof(*s));
}

static void ts_fail(struct ks_engine_ts *t, const char *what, const char *why)
{
	t->indication = KS_IND_TOTAL_FAILED;
	snprintf(t->detail, sizeof(t->detail), "%.60s: %.180s", what, why);
}

/* One token: parse, verify itself, match the signature value. */
static int one_token(const uint8_t *der, size_t n, const struct ks_buf *sigval,
		     struct ks_engine_ts *t, struct ks_verify_ts_set *keep)
{
	struct ks_tsp_token *tok = NULL;
	struct ks_tsp_verdict v;
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	enum ks_md md;

	memset(t, 0, sizeof(*t));
	if (ks_tsp_token_parse(der, n, &tok) < 0) {
		if (ks_err_is_fatal())
			return -1;
		ts_fail(t, "signature timestamp", ks_err_msg());
		return 0;
	}
	keep->tok[keep->n++] = tok;
	t->gen_time = ks_tsp_token_info(tok)->gen_time;
	if (ks_tsp_token_verify(tok, NULL, NULL, &v) < 0)
		return -1;
	if (v.indication != KS_IND_TOTAL_PASSED) {
		ts_fail(t, "signature timestamp", v.detail);
		return 0;
	}
	t->tsa = ks_tsp_token_signer(tok);
	t->certs = ks_tsp_token_certs(tok);
	if (ks_tsp_token_imprint_md(tok, &md) < 0) {
		if (ks_err_is_fatal())
			return -1;
		ts_fail(t, "signature timestamp", ks_err_msg());
		return 0;
	}
	if (EVP_Digest(sigval->data, sigval->len, d, &dlen, ks_md_evp(md), NULL) != 1) {
		ERR_clear_error();
		return KS_SET(KS_ERR_CRYPTO, "hashing a signature value");
	}
	if (ks_tsp_token_match_imprint(tok, md, d, dlen) < 0) {
		if (ks_err_is_fatal())
			return -1;
		ts_fail(t, "signature timestamp does not cover this signature", ks_err_msg());
		return 0;
	}
	t->indication = KS_IND_TOTAL_PASSED;
	return 0;
}

int ks_verify_ts_facts(const struct ks_cms *cms, size_t index, struct ks_engine_sig *e,
		       struct ks_verify_ts_set *keep)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(ks_cms_get0_ci(cms));
	CMS_SignerInfo *si;
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *ty;
	struct ks_buf sigval;
	int pos = -1, k, nv;
	int rc = -1;

	ks_buf_init(&sigval, 64 << 10);
	e->n_ts = 0;
	if (sis == NULL || index >= (size_t)sk_CMS_SignerInfo_num(sis)) {
		rc = 0;
		goto out;
	}
	si = sk_CMS_SignerInfo_value(sis, (int)index);
	while ((pos = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, pos)) >= 0) {
		if (sigval.len == 0)
			KS_GUARD(ks_cms_signature_value(cms, index, &sigval));
		attr = CMS_unsigned_get_attr(si, pos);
		nv = X509_ATTRIBUTE_count(attr);
		for (k = 0; k < nv; k++) {
			struct ks_engine_ts *t;

			if (e->n_ts >= KS_ENGINE_TS_MAX || keep->n >= KS_ENGINE_TS_MAX) {
				e->out->notes |= KS_NOTE_TIMESTAMP_NOT_USED;
				continue;
			}
			t = &e->ts[e->n_ts++];
			ty = X509_ATTRIBUTE_get0_type(attr, k);
			if (ty == NULL || ty->type != V_ASN1_SEQUENCE) {
				memset(t, 0, sizeof(*t));
				ts_fail(t, "signature timestamp", "not a TimeStampToken");
				continue;
			}
			KS_GUARD(one_token(ASN1_STRING_get0_data(ty->value.sequence),
					   (size_t)ASN1_STRING_length(ty->value.sequence), &sigval,
					   t, keep));
		}
	}
	ERR_clear_error();
	rc = 0;
out:
	ks_buf_cleanup(&sigval);
	return rc;
}

/* The digest of the signed content with md: the detached file, or the
 * encapsulated content. */
static int content_digest(const struct ks_cms *cms, const uint8_t *content, size_t clen,
			  enum ks_md md, uint8_t *d, unsigned *dlen)
{
	ASN1_OCTET_STRING **pos;
	const uint8_t *p = content;
	size_t n = clen;

	if (p == NULL) {
		pos = CMS_get0_content(ks_cms_get0_ci(cms));
		if (pos == NULL || *pos == NULL)
			return KS_SET(KS_ERR_CMS, "no content to hash");
		p = ASN1_STRING_get0_data(*pos);
		n = (size_t)ASN1_STRING_length(*pos);
	}
	if (EVP_Digest(p, n, d, dlen, ks_md_evp(md), NULL) != 1) {
		ERR_clear_error();
		return KS_SET(KS_ERR_CRYPTO, "hashing the content");
	}
	return 0;
}

/* One archive timestamp: parse, verify itself, recompute what it covers. */
static int one_archive(const struct ks_cms *cms, size_t index, const uint8_t *content, size_t clen,
		       const struct ks_buf *der, struct ks_engine_ts *t,
		       struct ks_verify_ts_set *keep)
{
	struct ks_tsp_token *tok = NULL;
	struct ks_tsp_verdict v;
	struct ks_buf hidx[1], digest;
	uint8_t cd[EVP_MAX_MD_SIZE];
	unsigned cdlen = 0;
	size_t nidx = 0;
	enum ks_md md;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	t->archive = true;
	ks_buf_init(&hidx[0], KS_CMS_DER_MAX);
	ks_buf_init(&digest, EVP_MAX_MD_SIZE);
	if (ks_tsp_token_parse(der->data, der->len, &tok) < 0) {
		if (ks_err_is_fatal())
			goto out;
		ts_fail(t, "archive timestamp", ks_err_msg());
		rc = 0;
		goto out;
	}
	keep->tok[keep->n++] = tok;
	t->gen_time = ks_tsp_token_info(tok)->gen_time;
	KS_GUARD(ks_tsp_token_verify(tok, NULL, NULL, &v));
	if (v.indication != KS_IND_TOTAL_PASSED) {
		ts_fail(t, "archive timestamp", v.detail);
		rc = 0;
		goto out;
	}
	t->tsa = ks_tsp_token_signer(tok);
	t->certs = ks_tsp_token_certs(tok);
	if (ks_tsp_token_imprint_md(tok, &md) < 0 ||
	    ks_cades_unsigned_values(ks_tsp_token_cms(tok), 0, KS_CADES_OID_ATS_HASH_INDEX_V3, hidx,
				     1, &nidx) < 0 ||
	    nidx != 1 || content_digest(cms, content, clen, md, cd, &cdlen) < 0 ||
	    ks_cades_ats_digest(cms, index, md, cd, cdlen, &hidx[0], &digest) < 0) {
		if (ks_err_is_fatal())
			goto out;
		ts_fail(t, "archive timestamp",
			nidx != 1 ? "no single ats-hash-index-v3 in the token" : ks_err_msg());
		rc = 0;
		goto out;
	}
	if (ks_tsp_token_match_imprint(tok, md, digest.data, digest.len) < 0) {
		if (ks_err_is_fatal())
			goto out;
		ts_fail(t, "archive timestamp does not cover this signature and its data",
			ks_err_msg());
		rc = 0;
		goto out;
	}
	/* What the index lists must still be there: data added later is
	 * not in it, data it covered may not be removed or changed. */
	if (ks_cades_ats_index_check(cms, index, &hidx[0]) < 0) {
		if (ks_err_is_fatal())
			goto out;
		ts_fail(t, "archive timestamp: data it covered was changed", ks_err_msg());
		rc = 0;
		goto out;
	}
	t->indication = KS_IND_TOTAL_PASSED;
	rc = 0;
out:
	ks_buf_cleanup(&hidx[0]);
	ks_buf_cleanup(&digest);
	return rc;
}

int ks_verify_ts_archive(const struct ks_cms *cms, size_t index, const uint8_t *content,
			 size_t clen, struct ks_engine_sig *e, struct ks_verify_ts_set *keep)
{
	struct ks_buf vals[KS_ENGINE_TS_MAX];
	size_t i, n = 0;
	int rc = -1;

	for (i = 0; i < KS_ENGINE_TS_MAX; i++)
		ks_buf_init(&vals[i], KS_CMS_DER_MAX);
	if (ks_cades_unsigned_values(cms, index, KS_CADES_OID_ARCHIVE_TS_V3, vals, KS_ENGINE_TS_MAX,
				     &n) < 0) {
		if (ks_err_is_fatal())
			goto out;
		/* more than can be looked at, or malformed: not used */
		ks_err_clear();
		e->out->notes |= KS_NOTE_TIMESTAMP_NOT_USED;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (e->n_ts >= KS_ENGINE_TS_MAX || keep->n >= KS_ENGINE_TS_MAX) {
			e->out->notes |= KS_NOTE_TIMESTAMP_NOT_USED;
			break;
		}
		KS_GUARD(one_archive(cms, index, content, clen, &vals[i], &e->ts[e->n_ts], keep));
		e->n_ts++;
	}
	rc = 0;
out:
	for (i = 0; i < KS_ENGINE_TS_MAX; i++)
		ks_buf_cleanup(&vals[i]);
	return rc;
}
