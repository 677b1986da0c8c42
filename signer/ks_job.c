/* The sign job (ks_job.h). */
#include "signer/ks_job.h"

#include <stdio.h>
#include <string.h>

#include "signer/ks_policy.h"
#include "signer/validate/ks_verdict.h"

void ks_sign_job_init(struct ks_sign_job *j)
{
	memset(j, 0, sizeof(*j));
	ks_sign_xml_opts_init(&j->xml);
}

/* The signer certificate before its key is used: validity, key usage,
 * extended key usage, revocation (signer/validate/ks_precheck). */
static int precheck(const struct ks_sign_job *j, struct ks_sign_outcome *res)
{
	struct ks_precheck pc;
	int rc;

	ks_precheck_init(&pc);
	rc = ks_precheck_signer(j->key->cert, j->key->chain, j->trust, j->rev, j->rev_policy, 0,
				&pc);
	snprintf(res->precheck, sizeof(res->precheck), "%s", pc.summary);
	res->rev_confirmed = pc.rev_confirmed;
	ks_precheck_cleanup(&pc);
	return rc;
}

int ks_job_sign(struct ks_sign_job *j, struct ks_sign_outcome *res)
{
	const struct ks_format_ops *ops;
	enum ks_md md = KS_MD_SHA256;

	memset(res, 0, sizeof(*res));
	if ((j->in == NULL && j->in_data == NULL) || (j->out == NULL && j->out_buf == NULL) ||
	    j->key == NULL)
		return KS_SET(KS_ERR_USAGE, "an input, an output and a key are needed");
	if (j->in_data != NULL && j->out_buf == NULL)
		return KS_SET(KS_ERR_USAGE, "a document in memory is signed into memory");
	if (j->format == KS_FORMAT_AUTO)
		j->format = j->in_data != NULL ? ks_format_sniff(j->in_data, j->in_len)
					       : ks_format_of(j->in);
	ops = ks_format_ops(j->format);
	if (ops == NULL)
		return KS_SET(KS_ERR_USAGE, "unknown format");
	if ((j->md != NULL && ks_md_parse(j->md, &md) < 0) || ks_policy_check_md(md) < 0)
		return -1;
	res->format = j->format;
	if (precheck(j, res) < 0)
		return -1;
	return ops->sign(j, md, res);
}

int ks_job_verify(const struct ks_verify_job *j, struct ks_report *rep)
{
	const struct ks_format_ops *ops;
	enum ks_format f = j->format;

	if (j->data == NULL && j->len > 0)
		return KS_SET(KS_ERR_ARG, "no document");
	/* The format comes from the bytes, not the name (DESIGN.md, verify). */
	if (f == KS_FORMAT_AUTO)
		f = ks_format_sniff(j->data, j->len);
	ops = ks_format_ops(f);
	if (ops == NULL)
		return KS_SET(KS_ERR_USAGE, "unknown format");
	if (j->val == NULL)
		return KS_SET(KS_ERR_ARG, "no validation options");
	if (j->name != NULL && ks_report_set_document(rep, j->name) < 0)
		return -1;
	if (ops->verify(j, rep) < 0)
		return -1;
	ks_verdict_decide(rep, &j->val->policy);
	return 0;
}
