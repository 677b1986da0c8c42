/* Raising documents to a higher level after signing: see ks_extend.h. */
#include "signer/ks_extend.h"

#include <stdio.h>
#include <string.h>

#include "formats/cms/ks_cms.h"
#include "formats/tsp/ks_tsp.h"
#include "ks_io.h"
#include "signer/ks_extend_ltv.h"
#include "signer/ks_sigts.h"
#include "signer/ks_xml_lt.h"

/* The largest .p7s extended in memory. */
#define KS_EXTEND_CMS_MAX KS_CMS_DER_MAX

int ks_pdf_doc_timestamp(const char *in_path, const char *out_path, const struct ks_tsa_client *tsa,
			 struct ks_pades_result *res)
{
	struct ks_docts_pades ctx;
	struct ks_pades_cms cms;
	struct ks_pades_opts o;

	if (tsa == NULL || tsa->n_urls == 0)
		return KS_SET(KS_ERR_USAGE, "a document timestamp needs a time-stamping authority "
					    "(--tsa URL)");
	ks_pades_opts_init(&o);
	o.doc_timestamp = true;
	ks_docts_pades(&ctx, tsa, &cms);
	return ks_pades_sign_file(in_path, out_path, &cms, &o, res);
}

/* CAdES B-T: a signature-time-stamp on every signer that has none. */
static int extend_cms(const struct ks_extend_job *j, struct ks_extend_outcome *res)
{
	struct ks_buf cur, next;
	struct ks_cms *cms = NULL;
	size_t i, n, have, added = 0;
	int rc = -1;

	ks_buf_init(&cur, KS_EXTEND_CMS_MAX);
	ks_buf_init(&next, KS_EXTEND_CMS_MAX);
	KS_GUARD(ks_file_read(j->in, KS_EXTEND_CMS_MAX, &cur));
	if (strcmp(j->level, "B-T") != 0) {
		KS_GUARD(ks_extend_cms_ltv(&cur, j->content, strcmp(j->level, "B-LTA") == 0, j->tsa,
					   j->ltv, res->summary, sizeof(res->summary)));
		KS_GUARD(ks_file_write_atomic(j->out, cur.data, cur.len, 0666));
		rc = 0;
		goto out;
	}
	KS_GUARD(ks_cms_parse(cur.data, cur.len, false, &cms));
	n = ks_cms_signer_count(cms);
	for (i = 0; i < n; i++) {
		KS_GUARD(
		    ks_cms_unsigned_attr_count(cms, i, KS_TSP_OID_SIGNATURE_TIME_STAMP, &have));
		if (have > 0)
			continue;
		ks_buf_reset(&next);
		KS_GUARD(ks_sigts_add(j->tsa, KS_MD_SHA256, cur.data, cur.len, i, &next, NULL));
		KS_GUARD(ks_buf_set(&cur, next.data, next.len));
		ks_cms_free(cms);
		cms = NULL;
		KS_GUARD(ks_cms_parse(cur.data, cur.len, false, &cms));
		added++;
	}
	KS_GUARD(ks_file_write_atomic(j->out, cur.data, cur.len, 0666));
	snprintf(res->summary, sizeof(res->summary),
		 "CAdES-B-T: %zu signature timestamp(s) added, %zu signer(s) had one", added,
		 n - added);
	rc = 0;
out:
	ks_cms_free(cms);
	ks_buf_cleanup(&cur);
	ks_buf_cleanup(&next);
	return rc;
}

static int extend_pdf(const struct ks_extend_job *j, struct ks_extend_outcome *res)
{
	struct ks_pades_result r;

	if (strcmp(j->level, "B-T") != 0)
		return ks_extend_pdf_ltv(j->in, j->out, strcmp(j->level, "B-LTA") == 0, j->tsa,
					 j->ltv, res->summary, sizeof(res->summary));
	if (ks_pdf_doc_timestamp(j->in, j->out, j->tsa, &r) < 0)
		return -1;
	snprintf(res->summary, sizeof(res->summary),
		 "PAdES-B-T: document timestamp in field '%.100s'", r.field);
	return 0;
}

int ks_job_extend(const struct ks_extend_job *j, struct ks_extend_outcome *res)
{
	enum ks_format f = j->format;

	memset(res, 0, sizeof(*res));
	if (j->in == NULL || j->out == NULL || j->level == NULL)
		return KS_SET(KS_ERR_USAGE, "--in, --out and --level are required");
	if (strcmp(j->level, "B-T") != 0 && strcmp(j->level, "B-LT") != 0 &&
	    strcmp(j->level, "B-LTA") != 0)
		return KS_SET(KS_ERR_USAGE, "--level must be B-T, B-LT or B-LTA");
	if (strcmp(j->level, "B-T") != 0 && j->ltv == NULL)
		return KS_SET(KS_ERR_USAGE, "--level %s needs trust anchors (--trust)", j->level);
	if (j->tsa == NULL || j->tsa->n_urls == 0)
		if (strcmp(j->level, "B-LT") != 0)
			return KS_SET(KS_ERR_USAGE,
				      "--level %s needs a time-stamping authority "
				      "(--tsa URL)",
				      j->level);
	if (f == KS_FORMAT_AUTO)
		f = ks_format_of(j->in);
	res->format = f;
	switch (f) {
	case KS_FORMAT_PDF:
		return extend_pdf(j, res);
	case KS_FORMAT_CMS:
		return extend_cms(j, res);
	case KS_FORMAT_XML:
		return ks_extend_xml(j, res);
	default:
		return KS_SET(KS_ERR_UNSUPPORTED, "extending %s signatures is not available",
			      ks_format_name(f));
	}
}
