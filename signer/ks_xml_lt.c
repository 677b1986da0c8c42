/* XAdES B-T, B-LT, B-LTA (ks_xml_lt.h). */
#include "signer/ks_xml_lt.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "formats/tsp/ks_tsp.h"
#include "ks_io.h"

/* The largest signed XML document extended (a detached one's content is
 * read up to the same size). */
#define KS_XML_LT_IN_MAX KS_XML_DOC_MAX

int ks_xml_level_parse(const char *s, enum ks_xml_level *out)
{
	if (s == NULL || strcmp(s, "B-B") == 0)
		*out = KS_XML_B_B;
	else if (strcmp(s, "B-T") == 0)
		*out = KS_XML_B_T;
	else if (strcmp(s, "B-LT") == 0)
		*out = KS_XML_B_LT;
	else if (strcmp(s, "B-LTA") == 0)
		*out = KS_XML_B_LTA;
	else
		return KS_SET(KS_ERR_USAGE, "--level must be B-B, B-T, B-LT or B-LTA");
	return 0;
}

int ks_xml_lt_check(const struct ks_xml_lt *lt, const char *level)
{
	if (lt->level >= KS_XML_B_T && (lt->tsa == NULL || lt->tsa->n_urls == 0))
		return KS_SET(KS_ERR_USAGE,
			      "--level %s needs a time-stamping authority (--tsa URL)", level);
	if (lt->level >= KS_XML_B_LT && (lt->ltv == NULL || lt->ltv->trust == NULL))
		return KS_SET(KS_ERR_USAGE, "--level %s needs trust anchors (--trust)", level);
	return 0;
}

static int stamp(struct ks_xml_lt *lt, struct ks_xml_doc *d, xmlNodePtr sig,
		 enum ks_xades_ts_kind kind)
{
	struct ks_buf dg, resp;
	struct ks_tsp_token *tok = NULL;
	const struct ks_buf *der;
	int rc = -1;

	ks_buf_init(&dg, EVP_MAX_MD_SIZE);
	ks_buf_init(&resp, KS_TSP_RESP_MAX);
	if (lt->tsa == NULL || lt->tsa->n_urls == 0)
		KS_BAIL(KS_ERR_USAGE, "a signature has no timestamp yet: a time-stamping "
				      "authority is needed (--tsa URL)");
	KS_GUARD(ks_xades_ts_digest(d, sig, kind, NULL, KS_C14N_EXC, lt->ext, lt->ext_len,
				    KS_MD_SHA256, &dg));
	KS_GUARD(ks_tsa_timestamp(lt->tsa, KS_MD_SHA256, dg.data, dg.len, &resp, &tok, NULL));
	der = ks_tsp_token_der(tok);
	KS_GUARD(ks_xades_add_timestamp(sig, kind, KS_C14N_EXC, der->data, der->len));
	rc = 0;
out:
	ks_tsp_token_free(tok);
	ks_buf_cleanup(&dg);
	ks_buf_cleanup(&resp);
	return rc;
}

/* The TSA of one of the signature's timestamps, for the collector. */
static int collect_tsa(struct ks_ltv *v, const struct ks_xades_ts_fact *t,
		       const struct ks_ltv_opts *o)
{
	struct ks_tsp_token *tok = NULL;
	struct ks_tsp_verdict vd;
	int rc = -1;

	KS_GUARD(ks_tsp_token_parse(t->token.data, t->token.len, &tok));
	KS_GUARD(ks_tsp_token_verify(tok, NULL, NULL, &vd));
	if (vd.indication != KS_IND_TOTAL_PASSED)
		KS_BAIL(KS_ERR_VERIFY, "a timestamp of the signature does not verify: %s",
			vd.detail);
	KS_GUARD(ks_ltv_collect(v, ks_tsp_token_signer(tok), ks_tsp_token_certs(tok), o,
				t->kind == KS_XADES_TS_ARCHIVE
				    ? "the TSA of the archive timestamp"
				    : "the TSA of the signature timestamp"));
	rc = 0;
out:
	ks_tsp_token_free(tok);
	return rc;
}

static int values(struct ks_xml_lt *lt, struct ks_xml_doc *d, xmlNodePtr sig)
{
	struct ks_xades_sig_facts f;
	struct ks_ltv v;
	size_t i;
	int rc = -1;

	ks_ltv_init(&v);
	memset(&f, 0, sizeof(f));
	KS_GUARD(ks_xades_facts_of(d, sig, lt->ext, lt->ext_len, &f));
	KS_GUARD(ks_ltv_collect(&v, f.signer, f.certs, lt->ltv, "the signer"));
	for (i = 0; i < f.n_ts; i++) {
		if (f.ts[i].problem[0] != '\0')
			KS_BAIL(KS_ERR_XML, "a timestamp of the signature is unusable: %s",
				f.ts[i].problem);
		KS_GUARD(collect_tsa(&v, &f.ts[i], lt->ltv));
	}
	KS_GUARD(
	    ks_xades_add_values(sig, v.certs, v.n_certs, v.ocsps, v.n_ocsps, v.crls, v.n_crls));
	lt->vals_added += v.n_certs + v.n_ocsps + v.n_crls;
	rc = 0;
out:
	ks_xades_sig_facts_cleanup(&f);
	ks_ltv_cleanup(&v);
	return rc;
}

int ks_xml_lt_apply(void *arg, struct ks_xml_doc *d, xmlNodePtr signature)
{
	struct ks_xml_lt *lt = arg;
	xmlNodePtr usp;
	int rc = -1;

	if (lt->level == KS_XML_B_B)
		return 0;
	lt->sigs++;
	KS_GUARD(ks_xades_usp(signature, &usp));
	if (ks_xml_first(usp, KS_NS_XADES, "SignatureTimeStamp") == NULL) {
		KS_GUARD(stamp(lt, d, signature, KS_XADES_TS_SIGNATURE));
		lt->ts_added++;
	}
	if (lt->level >= KS_XML_B_LT &&
	    ks_xml_first(usp, KS_NS_XADES, "CertificateValues") == NULL &&
	    ks_xml_first(usp, KS_NS_XADES, "RevocationValues") == NULL)
		KS_GUARD(values(lt, d, signature));
	if (lt->level == KS_XML_B_LTA) {
		KS_GUARD(stamp(lt, d, signature, KS_XADES_TS_ARCHIVE));
		lt->ats_added++;
	}
	rc = 0;
out:
	return rc;
}

int ks_extend_xml(const struct ks_extend_job *j, struct ks_extend_outcome *res)
{
	struct ks_buf in, content, out;
	struct ks_xml_lt lt;
	int rc = -1;

	memset(&lt, 0, sizeof(lt));
	ks_buf_init(&in, KS_XML_LT_IN_MAX);
	ks_buf_init(&content, KS_XML_LT_IN_MAX);
	ks_buf_init(&out, KS_XADES_OUT_MAX);
	KS_GUARD(ks_xml_level_parse(j->level, &lt.level));
	lt.tsa = j->tsa;
	lt.ltv = j->ltv;
	/* B-LT on signatures that have their timestamp needs no TSA: asked
	 * for only when one is to be made */
	if (lt.level != KS_XML_B_LT || (j->tsa != NULL && j->tsa->n_urls > 0))
		KS_GUARD(ks_xml_lt_check(&lt, j->level));
	else if (lt.ltv == NULL || lt.ltv->trust == NULL)
		KS_BAIL(KS_ERR_USAGE, "--level B-LT needs trust anchors (--trust)");
	KS_GUARD(ks_file_read(j->in, KS_XML_LT_IN_MAX, &in));
	if (j->content != NULL) {
		KS_GUARD(ks_file_read(j->content, KS_XML_LT_IN_MAX, &content));
		lt.ext = content.data;
		lt.ext_len = content.len;
	}
	KS_GUARD(ks_xades_extend(in.data, in.len, NULL, ks_xml_lt_apply, &lt, &out));
	KS_GUARD(ks_file_write_atomic(j->out, out.data, out.len, 0666));
	snprintf(res->summary, sizeof(res->summary),
		 "XAdES-%s: %zu signature(s); %zu signature timestamp(s), %zu validation "
		 "value(s), %zu archive timestamp(s) added",
		 j->level, lt.sigs, lt.ts_added, lt.vals_added, lt.ats_added);
	rc = 0;
out:
	ks_buf_cleanup(&in);
	ks_buf_cleanup(&content);
	ks_buf_cleanup(&out);
	return rc;
}
