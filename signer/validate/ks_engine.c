/* The validation engine (ks_engine.h). */
#include "signer/validate/ks_engine.h"

#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "formats/cms/ks_cms.h"
#include "ks_crypto.h"
#include "signer/validate/ks_eku.h"

/* Room for a revocation description (every failed attempt with its
 * reason) and for a path error. */
#define REV_TEXT_MAX 4096
#define DETAIL_MAX 512

void ks_validation_init(struct ks_validation *v)
{
	memset(v, 0, sizeof(*v));
	v->revocation = true;
	ks_rev_opts_init(&v->rev);
	ks_vpolicy_default(&v->policy);
}

/* What validating one certificate (a signer's or a TSA's) gave. */
struct cert_outcome {
	enum ks_indication ind;
	enum ks_subindication sub;
	char detail[DETAIL_MAX];
	unsigned notes;
	bool rev_checked; /* the signer certificate's answer is in rev */
	/* The path found, signer first, anchor last (common names). */
	char names[KS_REPORT_CHAIN_MAX][128];
	size_t n_names;
	struct ks_rev_result rev; /* the certificate's own (depth 0) */
};

static void outcome_init(struct cert_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->ind = KS_IND_TOTAL_PASSED;
	ks_rev_result_init(&o->rev);
}

static void outcome_fail(struct cert_outcome *o, enum ks_subindication sub, const char *fmt, ...)
    KS_PRINTF(3, 4);

static void outcome_fail(struct cert_outcome *o, enum ks_subindication sub, const char *fmt, ...)
{
	va_list ap;

	if (o->ind != KS_IND_TOTAL_PASSED)
		return;
	o->sub = sub;
	o->ind = ks_subindication_class(sub);
	va_start(ap, fmt);
	if (vsnprintf(o->detail, sizeof(o->detail), fmt, ap) < 0)
		o->detail[0] = '\0';
	va_end(ap);
}

static time_t validation_time(const struct ks_validation *v)
{
	return v->at != 0 ? v->at : time(NULL);
}

static const char *subject_cn(X509 *cert, char *buf, size_t n)
{
	X509_NAME *name = X509_get_subject_name(cert);

	buf[0] = '\0';
	if (name == NULL || X509_NAME_get_text_by_NID(name, NID_commonName, buf, (int)n) < 0) {
		snprintf(buf, n, "?");
	}
	return buf;
}

/* The revocation of one certificate of the path (issued by `issuer`) at
 * `when`; the outcome takes what it means.  `depth` 0 is the
 * certificate being validated. */
static int check_revocation(const struct ks_validation *v, const struct ks_engine_doc *doc,
			    X509 *cert, X509 *issuer, int depth, bool has_poe, time_t poe,
			    struct cert_outcome *o)
{
	struct ks_rev_result tmp, *r = depth == 0 ? &o->rev : &tmp;
	char cn[128];
	char *text = NULL;
	int rc = -1;

	ks_rev_result_init(&tmp);
	text = malloc(REV_TEXT_MAX);
	if (text == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_rev_check(cert, issuer, has_poe ? poe : validation_time(v),
			      doc != NULL ? doc->rev : NULL, &v->rev, r));
	if (depth == 0)
		o->rev_checked = true;
	switch (r->status) {
	case KS_REV_GOOD:
		break;
	case KS_REV_REVOKED:
		if (has_poe && poe < r->revocation_time) {
			/* EN 319 102-1 5.6.2.1: revoked after the POE. */
			o->notes |= KS_NOTE_REVOKED_AFTER_POE;
			break;
		}
		subject_cn(cert, cn, sizeof(cn));
		if (depth == 0)
			outcome_fail(o, KS_SUB_REVOKED, "the certificate of %s is revoked", cn);
		else
			outcome_fail(o, KS_SUB_REVOKED_CA_NO_POE,
				     "the CA certificate %s of the path is revoked", cn);
		break;
	case KS_REV_UNKNOWN:
	case KS_REV_UNAVAILABLE:
		if (v->policy.level[KS_VC_REVOCATION] != KS_VL_FAIL) {
			o->notes |= KS_NOTE_REVOCATION_UNCONFIRMED;
			break;
		}
		ks_rev_result_describe(r, text, REV_TEXT_MAX);
		subject_cn(cert, cn, sizeof(cn));
		if (r->status == KS_REV_UNKNOWN)
			outcome_fail(o, KS_SUB_TRY_LATER,
				     "the OCSP responder does not know the certificate of %s", cn);
		else if (ks_rev_result_try_later(r))
			outcome_fail(o, KS_SUB_TRY_LATER,
				     "no revocation status could be obtained for %s", cn);
		else if (ks_rev_result_out_of_bounds(r))
			outcome_fail(o, KS_SUB_REVOCATION_OUT_OF_BOUNDS_NO_POE,
				     "no revocation answer for %s covers the validation time", cn);
		else
			outcome_fail(o, KS_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE,
				     "every revocation answer for %s was rejected", cn);
		if (o->ind != KS_IND_TOTAL_PASSED && depth > 0) {
			size_t l = strlen(o->detail);

			snprintf(o->detail + l, sizeof(o->detail) - l, ": %.300s", text);
		}
		break;
	}
	rc = 0;
out:
	free(text);
	ks_rev_result_cleanup(&tmp);
	return rc;
}

/* Path to an anchor and revocation of every certificate but the anchor,
 * for `cert` with the certificates `a` and `b` (may be NULL) and the
 * document's.  has_poe/poe: what proves the time of the signature. */
static int validate_cert(const struct ks_validation *v, const struct ks_engine_doc *doc, X509 *cert,
			 STACK_OF(X509) * a, STACK_OF(X509) * b, bool doc_signer, bool has_poe,
			 time_t poe, struct cert_outcome *o)
{
	char why[KS_CRYPTO_WHY_MAX > KS_EKU_WHY_LEN ? KS_CRYPTO_WHY_MAX : KS_EKU_WHY_LEN];
	struct ks_trust_pool *pool = NULL;
	struct ks_trust_path path;
	int i, n, rc = -1;

	ks_trust_path_init(&path);
	if (v->trust == NULL || ks_trust_anchor_count(v->trust) == 0) {
		o->notes |= KS_NOTE_NO_TRUST_ANCHORS;
		outcome_fail(o, KS_SUB_NO_CERTIFICATE_CHAIN_FOUND, "%s",
			     "no trust anchors were given");
		rc = 0;
		goto out;
	}
	KS_GUARD(ks_trust_pool_new(v->trust, &pool));
	/* Certificates of hostile documents: one that cannot be added (over
	 * the pool's limit) only leaves a path unfound. */
	if ((doc != NULL && doc->certs != NULL && ks_trust_pool_add_stack(pool, doc->certs) < 0) ||
	    (a != NULL && ks_trust_pool_add_stack(pool, a) < 0) ||
	    (b != NULL && ks_trust_pool_add_stack(pool, b) < 0)) {
		if (ks_err_is_fatal())
			goto out;
		ks_err_clear();
	}
	KS_GUARD(ks_trust_pool_chain(pool, cert, validation_time(v), &path));
	if (!path.ok && has_poe && path.error == X509_V_ERR_CERT_HAS_EXPIRED) {
		/* Expired since: valid at the time the timestamp proves? */
		ks_trust_path_cleanup(&path);
		ks_trust_path_init(&path);
		KS_GUARD(ks_trust_pool_chain(pool, cert, poe, &path));
		if (path.ok)
			o->notes |= KS_NOTE_EXPIRED_AFTER_POE;
	}
	if (path.ok) {
		int k, m = sk_X509_num(path.chain);

		for (k = 0; k < m && (size_t)k < KS_REPORT_CHAIN_MAX; k++)
			subject_cn(sk_X509_value(path.chain, k), o->names[k], sizeof(o->names[k]));
		o->n_names = (size_t)k;
	}
	if (!path.ok) {
		outcome_fail(o, ks_trust_path_sub(path.error), "%s", path.detail);
		rc = 0;
		goto out;
	}
	/* EN 319 102-1 5.2.8 on every certificate of the path: the minimums
	 * signing applies (core/ks_crypto). */
	if (!ks_crypto_path_ok(cert, path.chain, why, sizeof(why))) {
		outcome_fail(o, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE, "%s", why);
		rc = 0;
		goto out;
	}
	/* Constraints before revocation: a TSA's or an OCSP responder's
	 * certificate is no document signer, whatever its status. */
	if (doc_signer && !ks_eku_document_signer(cert, why, sizeof(why))) {
		if (v->policy.level[KS_VC_SIGNER_EKU] == KS_VL_FAIL) {
			outcome_fail(o, KS_SUB_CHAIN_CONSTRAINTS_FAILURE,
				     "the signer certificate may not sign documents: %s", why);
			rc = 0;
			goto out;
		}
		o->notes |= KS_NOTE_SIGNER_EKU;
	}
	if (v->revocation) {
		n = sk_X509_num(path.chain);
		for (i = 0; i + 1 < n && o->ind == KS_IND_TOTAL_PASSED; i++)
			KS_GUARD(check_revocation(v, doc, sk_X509_value(path.chain, i),
						  sk_X509_value(path.chain, i + 1), i, has_poe, poe,
						  o));
	} else {
		o->notes |= KS_NOTE_REVOCATION_OFF;
	}
	rc = 0;
out:
	ks_trust_path_cleanup(&path);
	ks_trust_pool_free(pool);
	return rc;
}

/* A timestamp of a signature in its report entry, with its own result
 * (`why`: the reason its TSA did not validate). */
static int report_ts(struct ks_report_sig *s, const struct ks_engine_ts *t, bool ok,
		     const char *why)
{
	struct ks_report_ts *rt;
	char cn[128];

	if (s->n_ts >= KS_REPORT_TS_MAX)
		return 0;
	rt = &s->ts[s->n_ts++];
	rt->time = t->gen_time;
	rt->valid = ok;
	rt->archive = t->archive;
	if (t->tsa != NULL && ks_report_set(&rt->tsa, subject_cn(t->tsa, cn, sizeof(cn))) < 0)
		return -1;
	if (!ok && ks_report_set_why(&rt->detail,
				     t->indication != KS_IND_TOTAL_PASSED ? t->detail : why) < 0)
		return -1;
	return 0;
}

/* The signature timestamps of e: the earliest valid one proves the
 * signature's time (when earlier than what later document timestamps
 * prove already). */
static int signature_timestamps(const struct ks_validation *v, const struct ks_engine_doc *doc,
				struct ks_engine_sig *e, bool *has_poe, time_t *poe, char *by,
				size_t byn, bool doc_poe, time_t dpoe)
{
	struct cert_outcome o;
	char cn[128];
	size_t i, k;
	bool have_apoe = false;
	time_t apoe = 0;
	int rc = -1;

	outcome_init(&o);
	/* Archive timestamps first, the latest first: each proves that the
	 * signature, its timestamps and its validation data existed at its
	 * time, and so proves the earlier ones (EN 319 102-1 5.6.2.4). */
	for (k = e->n_ts; k-- > 0;) {
		struct ks_engine_ts *t = &e->ts[k];
		bool ok = t->indication == KS_IND_TOTAL_PASSED && t->tsa != NULL;

		if (!t->archive)
			continue;
		ks_rev_result_cleanup(&o.rev);
		outcome_init(&o);
		if (ok) {
			if (validate_cert(v, doc, t->tsa, t->certs, e->certs, false, true,
					  have_apoe ? apoe
					  : doc_poe ? dpoe
						    : t->gen_time,
					  &o) < 0)
				goto out;
			ok = o.ind == KS_IND_TOTAL_PASSED;
		}
		if (report_ts(e->out, t, ok, o.detail) < 0)
			goto out;
		if (ok && (!have_apoe || t->gen_time < apoe)) {
			have_apoe = true;
			apoe = t->gen_time;
		} else if (!ok) {
			e->out->notes |= KS_NOTE_TIMESTAMP_NOT_USED;
		}
	}
	if (have_apoe && (!doc_poe || apoe < dpoe)) {
		doc_poe = true;
		dpoe = apoe;
		if (!*has_poe || apoe < *poe) {
			*has_poe = true;
			*poe = apoe;
			snprintf(by, byn, "archive timestamp");
		}
	}
	ks_rev_result_cleanup(&o.rev);
	for (i = 0; i < e->n_ts; i++) {
		struct ks_engine_ts *t = &e->ts[i];
		bool ok = t->indication == KS_IND_TOTAL_PASSED && t->tsa != NULL;

		if (t->archive)
			continue;

		outcome_init(&o);
		if (ok) {
			/* The token proves its own time when its TSA's path and
			 * status hold at it (the document carries what shows
			 * that: B-LT); a later document timestamp proves it
			 * more strongly. */
			if (validate_cert(v, doc, t->tsa, t->certs, e->certs, false, true,
					  doc_poe ? dpoe : t->gen_time, &o) < 0)
				goto out;
			ok = o.ind == KS_IND_TOTAL_PASSED;
		}
		if (report_ts(e->out, t, ok, o.detail) < 0)
			goto out;
		if (ok && (!*has_poe || t->gen_time < *poe)) {
			size_t u;

			*has_poe = true;
			*poe = t->gen_time;
			snprintf(by, byn, "signature timestamp by %s",
				 subject_cn(t->tsa, cn, sizeof(cn)));
			for (u = 0; u < e->out->n_ts; u++)
				e->out->ts[u].used = u + 1 == e->out->n_ts;
		} else if (!ok) {
			e->out->notes |= KS_NOTE_TIMESTAMP_NOT_USED;
			if (v->policy.level[KS_VC_TIMESTAMP] == KS_VL_FAIL &&
			    e->out->indication == KS_IND_TOTAL_PASSED) {
				e->out->indication = KS_IND_INDETERMINATE;
				e->out->sub = KS_SUB_NO_POE;
				KS_GUARD(ks_report_set(
				    &e->out->detail,
				    t->indication != KS_IND_TOTAL_PASSED ? t->detail : o.detail));
			}
		}
		ks_rev_result_cleanup(&o.rev);
	}
	return 0;
out:
	ks_rev_result_cleanup(&o.rev);
	return rc;
}

/* The report fields of the signer certificate's revocation answer. */
static int set_revocation(const struct cert_outcome *o, struct ks_report_sig *s)
{
	char *text;
	int rc;

	if (!o->rev_checked)
		return 0;
	s->rev_status = ks_rev_status_name(o->rev.status);
	if (o->rev.status != KS_REV_UNAVAILABLE)
		s->rev_source = ks_rev_source_name(o->rev.evidence.source);
	text = malloc(REV_TEXT_MAX);
	if (text == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	ks_rev_result_describe(&o->rev, text, REV_TEXT_MAX);
	rc = ks_report_set_why(&s->revocation, text);
	free(text);
	return rc;
}

static int validate_one(const struct ks_validation *v, const struct ks_engine_doc *doc,
			struct ks_engine_sig *e, bool doc_poe, time_t dpoe, const char *doc_by)
{
	struct ks_report_sig *s = e->out;
	struct cert_outcome o;
	char by[256];
	bool has_poe = doc_poe, crypto_pending;
	time_t poe = dpoe;
	size_t k;
	int rc = -1;

	outcome_init(&o);
	snprintf(by, sizeof(by), "%s", doc_by);
	/* Integrity failed: that is the result.  Weak algorithms (found by
	 * the format) come after the path in EN 319 102-1 (5.2.6 before
	 * 5.2.8): a path that fails is reported first. */
	crypto_pending = s->indication == KS_IND_INDETERMINATE &&
			 s->sub == KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE && e->signer != NULL;
	if (s->indication != KS_IND_TOTAL_PASSED && !crypto_pending) {
		rc = 0;
		goto out;
	}
	if (e->signer == NULL) {
		s->indication = KS_IND_INDETERMINATE;
		s->sub = KS_SUB_NO_SIGNING_CERTIFICATE_FOUND;
		rc = 0;
		goto out;
	}
	if (!crypto_pending) {
		KS_GUARD(
		    signature_timestamps(v, doc, e, &has_poe, &poe, by, sizeof(by), doc_poe, dpoe));
		if (s->indication != KS_IND_TOTAL_PASSED) {
			rc = 0; /* a timestamp the policy requires failed */
			goto out;
		}
	}
	if (e->doc_timestamp && !has_poe && s->has_signing_time)
		/* A document timestamp, like a signature timestamp, at its own
		 * time when nothing later proves it. */
		KS_GUARD(validate_cert(v, doc, e->signer, e->certs, NULL, false, true,
				       s->signing_time, &o));
	else
		KS_GUARD(validate_cert(v, doc, e->signer, e->certs, NULL, !e->doc_timestamp,
				       has_poe, poe, &o));
	if (crypto_pending) {
		/* The path's finding first; else the algorithms'. */
		if (o.ind != KS_IND_TOTAL_PASSED) {
			s->indication = o.ind;
			s->sub = o.sub;
			KS_GUARD(ks_report_set_why(&s->detail, o.detail));
		}
		rc = 0;
		goto out;
	}
	s->notes |= o.notes;
	s->notes &= ~(unsigned)KS_NOTE_REVOCATION_NOT_CHECKED;
	if (!v->revocation)
		s->notes |= KS_NOTE_REVOCATION_NOT_CHECKED;
	if (o.ind != KS_IND_TOTAL_PASSED) {
		s->indication = o.ind;
		s->sub = o.sub;
		KS_GUARD(ks_report_set_why(&s->detail, o.detail));
	}
	KS_GUARD(set_revocation(&o, s));
	for (k = 0; k < o.n_names && s->n_chain < KS_REPORT_CHAIN_MAX; k++)
		KS_GUARD(ks_report_set(&s->chain[s->n_chain++], o.names[k]));
	if (has_poe) {
		s->has_poe = true;
		s->poe = poe;
		s->notes &= ~(unsigned)KS_NOTE_SIGNING_TIME_CLAIMED;
		KS_GUARD(ks_report_set(&s->poe_by, by));
	} else if (!e->doc_timestamp && s->indication == KS_IND_TOTAL_PASSED &&
		   v->policy.level[KS_VC_CLAIMED_TIME] == KS_VL_FAIL) {
		s->indication = KS_IND_INDETERMINATE;
		s->sub = KS_SUB_NO_POE;
		KS_GUARD(ks_report_set_why(&s->detail, "no timestamp proves the signing time"));
	}
	rc = 0;
out:
	ks_rev_result_cleanup(&o.rev);
	return rc;
}

int ks_engine_run(const struct ks_validation *v, struct ks_engine_sig *sigs, size_t n,
		  const struct ks_engine_doc *doc, struct ks_report *rep)
{
	char doc_by[256] = "";
	bool doc_poe = false;
	time_t dpoe = 0;
	size_t k;

	if (v == NULL || (sigs == NULL && n > 0))
		return KS_SET(KS_ERR_ARG, "no validation options");
	rep->validation_time = validation_time(v);
	if (ks_report_set(&rep->policy, v->policy.name) < 0)
		return -1;
	/* Latest first: a document timestamp proves the time of everything
	 * before it, and is itself proven by the ones after it. */
	for (k = n; k-- > 0;) {
		struct ks_engine_sig *e = &sigs[k];
		struct ks_report_sig *s = e->out;

		if (validate_one(v, doc, e, doc_poe, dpoe, doc_by) < 0)
			return -1;
		if (e->doc_timestamp && s->indication == KS_IND_TOTAL_PASSED &&
		    s->has_signing_time && (!doc_poe || s->signing_time < dpoe)) {
			doc_poe = true;
			dpoe = s->signing_time;
			snprintf(doc_by, sizeof(doc_by), "document timestamp of revision %u",
				 s->revision);
		}
	}
	return 0;
}
