/* The sign job (ks_job.h). */
#include "signer/ks_job.h"

#include <string.h>

#include "signer/ks_policy.h"

void ks_sign_job_init(struct ks_sign_job *j)
{
	memset(j, 0, sizeof(*j));
	ks_sign_xml_opts_init(&j->xml);
}

int ks_job_sign(struct ks_sign_job *j, struct ks_sign_outcome *res)
{
	const struct ks_format_ops *ops;
	enum ks_md md = KS_MD_SHA256;

	memset(res, 0, sizeof(*res));
	if (j->in == NULL || j->out == NULL || j->key == NULL)
		return KS_SET(KS_ERR_USAGE, "an input, an output and a key are needed");
	if (j->format == KS_FORMAT_AUTO)
		j->format = ks_format_of(j->in);
	ops = ks_format_ops(j->format);
	if (ops == NULL)
		return KS_SET(KS_ERR_USAGE, "unknown format");
	if ((j->md != NULL && ks_md_parse(j->md, &md) < 0) || ks_policy_check_md(md) < 0)
		return -1;
	res->format = j->format;
	return ops->sign(j, md, res);
}
