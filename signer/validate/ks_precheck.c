/* The signer certificate checked before signing: policy, EKU, revocation
 * (see ks_precheck.h). */
#include "signer/validate/ks_precheck.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "signer/ks_policy.h"

int ks_rev_policy_parse(const char *s, enum ks_rev_policy *out)
{
	if (s != NULL && strcmp(s, "prefer") == 0)
		*out = KS_REV_POLICY_PREFER;
	else if (s != NULL && strcmp(s, "require") == 0)
		*out = KS_REV_POLICY_REQUIRE;
	else if (s != NULL && strcmp(s, "off") == 0)
		*out = KS_REV_POLICY_OFF;
	else
		return KS_SET(KS_ERR_USAGE, "revocation policy '%.40s': require, prefer or off",
			      s != NULL ? s : "");
	return 0;
}

const char *ks_rev_policy_name(enum ks_rev_policy p)
{
	switch (p) {
	case KS_REV_POLICY_PREFER:
		return "prefer";
	case KS_REV_POLICY_REQUIRE:
		return "require";
	case KS_REV_POLICY_OFF:
		return "off";
	}
	return "?";
}

void ks_precheck_init(struct ks_precheck *p)
{
	memset(p, 0, sizeof(*p));
	ks_rev_result_init(&p->rev);
}

void ks_precheck_cleanup(struct ks_precheck *p)
{
	ks_rev_result_cleanup(&p->rev);
	memset(p, 0, sizeof(*p));
	ks_rev_result_init(&p->rev);
}

static X509 *issuer_in(STACK_OF(X509) * chain, X509 *cert)
{
	EVP_PKEY *key;
	int i;

	for (i = 0; i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);

		key = X509_get0_pubkey(c);
		if (X509_check_issued(c, cert) == X509_V_OK && key != NULL &&
		    X509_verify(cert, key) == 1) {
			ERR_clear_error();
			return c;
		}
	}
	ERR_clear_error();
	return NULL;
}

/* Refuse: the summary is also the error message. */
static int refuse(struct ks_precheck *p, enum ks_precheck_refusal why)
{
	p->may_sign = false;
	p->refusal = why;
	return KS_SET(KS_ERR_POLICY, "%s", p->summary);
}

int ks_precheck_signer(X509 *cert, STACK_OF(X509) * chain, const struct ks_trust *trust,
		       const struct ks_rev_opts *ro, enum ks_rev_policy policy, time_t at,
		       struct ks_precheck *p)
{
	struct ks_trust_pool *pool = NULL;
	char rev[1000], who[300];
	X509 *issuer = NULL;
	int rc = -1;

	ks_precheck_cleanup(p);
	p->policy = policy;
	if (cert == NULL)
		KS_BAIL(KS_ERR_ARG, "no signer certificate");
	if (ks_policy_check_cert(cert, at) < 0) {
		if (ks_err_code() != KS_ERR_POLICY)
			goto out;
		snprintf(p->summary, sizeof(p->summary), "%s", ks_err_msg());
		rc = refuse(p, KS_PRECHECK_REFUSED_CERT);
		goto out;
	}
	if (!ks_eku_document_signer(cert, p->eku, sizeof(p->eku))) {
		snprintf(p->summary, sizeof(p->summary), "not a document-signing certificate: %s",
			 p->eku);
		rc = refuse(p, KS_PRECHECK_REFUSED_EKU);
		goto out;
	}
	if (policy == KS_REV_POLICY_OFF) {
		snprintf(p->summary, sizeof(p->summary),
			 "certificate valid (extendedKeyUsage: %s); revocation not checked "
			 "(revocation policy off)",
			 p->eku);
		p->may_sign = true;
		rc = 0;
		goto out;
	}
	issuer = issuer_in(chain, cert);
	if (issuer == NULL && trust != NULL) {
		KS_GUARD(ks_trust_pool_new(trust, &pool));
		issuer = ks_trust_pool_find_issuer(pool, cert);
	}
	p->issuer_found = issuer != NULL;
	if (issuer != NULL) {
		KS_GUARD(ks_rev_check(cert, issuer, at, NULL, ro, &p->rev));
		ks_rev_result_describe(&p->rev, rev, sizeof(rev));
		p->rev_checked = p->rev.status != KS_REV_UNAVAILABLE;
		p->rev_confirmed = p->rev.status == KS_REV_GOOD;
	} else {
		X509_NAME_oneline(X509_get_issuer_name(cert), who, sizeof(who));
		snprintf(rev, sizeof(rev),
			 "the issuer's certificate (%s) was not found in the key's chain or the "
			 "trust store",
			 who);
	}
	if (p->rev.status == KS_REV_REVOKED) {
		snprintf(p->summary, sizeof(p->summary), "the signer certificate is revoked: %s",
			 rev);
		rc = refuse(p, KS_PRECHECK_REFUSED_REVOKED);
		goto out;
	}
	if (p->rev_confirmed) {
		snprintf(p->summary, sizeof(p->summary),
			 "certificate valid (extendedKeyUsage: %s); revocation checked: %s", p->eku,
			 rev);
		p->may_sign = true;
		rc = 0;
		goto out;
	}
	if (policy == KS_REV_POLICY_REQUIRE) {
		snprintf(p->summary, sizeof(p->summary),
			 "revocation status could not be confirmed and the policy requires it: %s",
			 rev);
		rc = refuse(p, KS_PRECHECK_REFUSED_UNCONFIRMED);
		goto out;
	}
	snprintf(p->summary, sizeof(p->summary),
		 "certificate valid (extendedKeyUsage: %s); REVOCATION NOT CONFIRMED, signed "
		 "anyway under the policy 'prefer': %s",
		 p->eku, rev);
	p->may_sign = true;
	rc = 0;
out:
	ks_trust_pool_free(pool);
	return rc;
}
