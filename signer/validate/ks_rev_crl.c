/* CRLs (RFC 5280 5 and 6.3): from the document, the cache and the
 * certificate's distribution points, each checked against the issuer
 * before its list is read. */
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "ks_log.h"
#include "signer/validate/ks_rev_int.h"

/* expiredCertsOnCRL (ITU-T X.509 9.6.2.9; no OpenSSL NID). */
#define OID_EXPIRED_CERTS_ON_CRL "2.5.29.60"

/* What check_crl concluded about one CRL. */
enum relevance { CRL_RELEVANT, CRL_OTHER };

static bool oid_is(const ASN1_OBJECT *obj, const char *dotted)
{
	char buf[64];

	return OBJ_obj2txt(buf, sizeof(buf), obj, 1) > 0 && strcmp(buf, dotted) == 0;
}

/* expiredCertsOnCRL as seconds, 0 when absent or unreadable. */
static time_t expired_certs_on_crl(X509_CRL *crl)
{
	const ASN1_OCTET_STRING *data;
	const unsigned char *p;
	ASN1_GENERALIZEDTIME *gt;
	time_t t = 0;
	int i;

	for (i = 0; i < X509_CRL_get_ext_count(crl); i++) {
		X509_EXTENSION *ext = X509_CRL_get_ext(crl, i);

		if (!oid_is(X509_EXTENSION_get_object(ext), OID_EXPIRED_CERTS_ON_CRL))
			continue;
		data = X509_EXTENSION_get_data(ext);
		p = ASN1_STRING_get0_data(data);
		gt = d2i_ASN1_GENERALIZEDTIME(NULL, &p, ASN1_STRING_length(data));
		if (gt == NULL || !ks_rev_time(gt, &t))
			t = 0;
		ASN1_GENERALIZEDTIME_free(gt);
		break;
	}
	ERR_clear_error();
	return t;
}

/* The CRL's extensions: delta and unknown critical ones refused, a
 * freshestCRL pointer noted. */
static bool check_extensions(X509_CRL *crl, struct ks_rev_answer *a, struct ks_rev_fail *f)
{
	char oid[80];
	int i, nid;

	for (i = 0; i < X509_CRL_get_ext_count(crl); i++) {
		X509_EXTENSION *ext = X509_CRL_get_ext(crl, i);
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);

		nid = OBJ_obj2nid(obj);
		switch (nid) {
		case NID_delta_crl:
			ks_rev_failf(f, KS_REV_FAIL_UNSUPPORTED,
				     "a delta CRL (RFC 5280 5.2.4): only complete CRLs are used");
			return false;
		case NID_freshest_crl:
			a->notes |= KS_REV_NOTE_DELTA_IGNORED;
			continue;
		case NID_authority_key_identifier:
		case NID_crl_number:
		case NID_issuing_distribution_point:
		case NID_info_access:
			continue;
		default:
			break;
		}
		if (oid_is(obj, OID_EXPIRED_CERTS_ON_CRL))
			continue;
		if (X509_EXTENSION_get_critical(ext)) {
			if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
				snprintf(oid, sizeof(oid), "unknown");
			ks_rev_failf(f, KS_REV_FAIL_UNSUPPORTED,
				     "unrecognised critical CRL extension %s", oid);
			return false;
		}
	}
	return true;
}

/* Does a URI of `names` appear among the certificate's distribution
 * points? */
static bool names_match(GENERAL_NAMES *names, char **urls, size_t n)
{
	size_t k;
	int i;

	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const char *u;

		if (gn->type != GEN_URI)
			continue;
		u = (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
		for (k = 0; k < n; k++)
			if (u != NULL && strcmp(u, urls[k]) == 0)
				return true;
	}
	return false;
}

/* RFC 5280 5.2.5 and 6.3.3 (b): the CRL's scope covers this certificate,
 * completely. */
static bool check_scope(X509_CRL *crl, X509 *cert, struct ks_rev_fail *f)
{
	ISSUING_DIST_POINT *idp;
	char *urls[KS_REV_URLS_MAX];
	size_t n = 0, skipped = 0;
	bool ok = false, ca;
	int crit = -1;

	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
	if (idp == NULL) {
		if (crit != -1) {
			ERR_clear_error();
			ks_rev_failf(f, KS_REV_FAIL_MALFORMED,
				     "unreadable issuingDistributionPoint extension");
			return false;
		}
		return true;
	}
	ca = X509_check_ca(cert) != 0;
	if (idp->indirectCRL > 0) {
		ks_rev_failf(f, KS_REV_FAIL_UNSUPPORTED,
			     "an indirect CRL (RFC 5280 5.2.5): not supported");
	} else if (idp->onlysomereasons != NULL) {
		ks_rev_failf(f, KS_REV_FAIL_UNSUPPORTED,
			     "a partial CRL (onlySomeReasons): not a complete answer");
	} else if (idp->onlyattr > 0 || (idp->onlyuser > 0 && ca) || (idp->onlyCA > 0 && !ca)) {
		ks_rev_failf(f, KS_REV_FAIL_NOT_FOR_CERT,
			     "the CRL's scope (issuingDistributionPoint) leaves this %s out",
			     ca ? "CA certificate" : "certificate");
	} else if (idp->distpoint != NULL && idp->distpoint->type == 0 &&
		   (n = ks_rev_crl_urls(cert, urls, KS_REV_URLS_MAX, &skipped)) > 0 &&
		   !names_match(idp->distpoint->name.fullname, urls, n)) {
		ks_rev_failf(f, KS_REV_FAIL_NOT_FOR_CERT,
			     "the CRL's distribution point is none of the certificate's");
	} else {
		ok = true;
	}
	ks_rev_urls_free(urls, n);
	ISSUING_DIST_POINT_free(idp);
	return ok;
}

/* The revoked entry's reason; its critical extensions understood. */
static bool entry_facts(X509_REVOKED *rev, int *reason, struct ks_rev_fail *f)
{
	const STACK_OF(X509_EXTENSION) *exts = X509_REVOKED_get0_extensions(rev);
	ASN1_ENUMERATED *e;
	int i, nid, crit = -1;
	long v;

	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);

		nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		if (nid == NID_certificate_issuer) {
			ks_rev_failf(f, KS_REV_FAIL_UNSUPPORTED,
				     "an entry of an indirect CRL (certificateIssuer)");
			return false;
		}
		if (nid != NID_crl_reason && nid != NID_invalidity_date &&
		    nid != NID_hold_instruction_code && X509_EXTENSION_get_critical(ext)) {
			ks_rev_failf(f, KS_REV_FAIL_UNSUPPORTED,
				     "unrecognised critical extension in the CRL entry");
			return false;
		}
	}
	*reason = KS_REV_REASON_NONE;
	e = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, NULL);
	if (e == NULL && crit != -1) {
		ERR_clear_error();
		ks_rev_failf(f, KS_REV_FAIL_MALFORMED, "unreadable reasonCode in the CRL entry");
		return false;
	}
	if (e != NULL) {
		v = ASN1_ENUMERATED_get(e);
		*reason = v >= 0 && v <= 10 ? (int)v : 0;
		ASN1_ENUMERATED_free(e);
	}
	return true;
}

/* Check one CRL for `cert`.  *rel says whether it is about cert's issuer
 * at all (a document's CRLs of other CAs are passed over quietly).
 * f->code is KS_REV_FAIL_NONE when `a` holds the answer. */
static void check_crl(const struct ks_rev_env *e, X509_CRL *crl, X509 *cert, X509 *issuer,
		      enum relevance *rel, struct ks_rev_answer *a, struct ks_rev_fail *f)
{
	const ASN1_OCTET_STRING *aki_id = NULL, *ski;
	AUTHORITY_KEYID *aki;
	const X509_ALGOR *alg = NULL;
	const ASN1_BIT_STRING *sig = NULL;
	X509_REVOKED *rev = NULL;
	EVP_PKEY *key = X509_get0_pubkey(issuer);
	char crl_issuer[300], want[300];
	int crit = -1, found;

	memset(a, 0, sizeof(*a));
	ks_rev_failf(f, KS_REV_FAIL_NONE, "%s", "");
	*rel = CRL_RELEVANT;
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
		*rel = CRL_OTHER;
		X509_NAME_oneline(X509_CRL_get_issuer(crl), crl_issuer, sizeof(crl_issuer));
		ks_rev_subject(issuer, want, sizeof(want));
		ks_rev_failf(f, KS_REV_FAIL_NOT_FOR_CERT,
			     "CRL issued by %s, not by the certificate's issuer %s", crl_issuer,
			     want);
		return;
	}
	aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
	ski = X509_get0_subject_key_id(issuer);
	if (aki != NULL)
		aki_id = aki->keyid;
	if (aki_id != NULL && ski != NULL && ASN1_OCTET_STRING_cmp(aki_id, ski) != 0) {
		/* Same name, another key: a CA's older key, or an impostor. */
		*rel = CRL_OTHER;
		ks_rev_failf(f, KS_REV_FAIL_NOT_FOR_CERT,
			     "CRL signed by another key of a CA with the issuer's name "
			     "(authorityKeyIdentifier differs)");
		AUTHORITY_KEYID_free(aki);
		ERR_clear_error();
		return;
	}
	AUTHORITY_KEYID_free(aki);
	ERR_clear_error();
	if ((X509_get_extension_flags(issuer) & EXFLAG_KUSAGE) != 0 &&
	    (X509_get_key_usage(issuer) & KU_CRL_SIGN) == 0) {
		ks_rev_failf(f, KS_REV_FAIL_UNAUTHORISED,
			     "the issuer's keyUsage does not allow cRLSign (RFC 5280 4.2.1.3)");
		return;
	}
	X509_CRL_get0_signature(crl, &sig, &alg);
	if (!ks_rev_sig_strong(alg, key, f))
		return;
	if (X509_CRL_verify(crl, key) != 1) {
		ERR_clear_error();
		ks_rev_failf(f, KS_REV_FAIL_SIGNATURE,
			     "the CRL's signature does not verify with the issuer's key");
		return;
	}
	if (!check_extensions(crl, a, f) || !check_scope(crl, cert, f))
		return;
	if (!ks_rev_time(X509_CRL_get0_lastUpdate(crl), &a->this_update)) {
		ks_rev_failf(f, KS_REV_FAIL_MALFORMED, "unreadable thisUpdate");
		return;
	}
	if (X509_CRL_get0_nextUpdate(crl) != NULL &&
	    !ks_rev_time(X509_CRL_get0_nextUpdate(crl), &a->next_update)) {
		ks_rev_failf(f, KS_REV_FAIL_MALFORMED, "unreadable nextUpdate");
		return;
	}
	if (!ks_rev_covers(e, a->this_update, a->next_update, f))
		return;
	a->signer = issuer;
	found = X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(cert));
	ERR_clear_error();
	if (found == 1) {
		if (!entry_facts(rev, &a->reason, f))
			return;
		if (!ks_rev_time(X509_REVOKED_get0_revocationDate(rev), &a->revocation_time) ||
		    a->revocation_time > a->this_update + e->skew) {
			ks_rev_failf(f, KS_REV_FAIL_MALFORMED,
				     "revocationDate unreadable or after the CRL's thisUpdate");
			return;
		}
		a->status = KS_REV_REVOKED;
		return;
	}
	/* Not listed (2 is removeFromCRL, which only a delta CRL carries). */
	if (!ks_rev_before_expiry(cert, a->this_update, expired_certs_on_crl(crl), f))
		return;
	a->status = KS_REV_GOOD;
}

int ks_rev_crl_doc(const struct ks_rev_env *e, X509 *cert, X509 *issuer,
		   const struct ks_rev_data *doc, struct ks_rev_result *r)
{
	struct ks_rev_answer a;
	struct ks_rev_fail f;
	enum relevance rel;
	char where[64];
	size_t i, k = 0;

	for (i = 0; doc != NULL && i < doc->n && !ks_rev_final(r); i++) {
		const struct ks_rev_item *it = &doc->items[i];

		if (it->kind != KS_REV_CRL)
			continue;
		snprintf(where, sizeof(where), "document CRL %zu", ++k);
		check_crl(e, it->crl, cert, issuer, &rel, &a, &f);
		if (rel == CRL_OTHER)
			continue;
		if (f.code != KS_REV_FAIL_NONE) {
			ks_rev_attempt(r, KS_REV_CRL, KS_REV_SRC_DOCUMENT, where, &f);
			continue;
		}
		if (ks_rev_accept(r, &a, KS_REV_CRL, KS_REV_SRC_DOCUMENT, where, it->der.data,
				  it->der.len, false) < 0)
			return -1;
	}
	return 0;
}

int ks_rev_crl_cache(const struct ks_rev_env *e, X509 *cert, X509 *issuer, struct ks_rev_result *r)
{
	char *urls[KS_REV_URLS_MAX], name[KS_REV_CACHE_NAME_LEN], where[KS_REV_WHERE_LEN];
	struct ks_rev_answer a;
	struct ks_rev_fail f;
	struct ks_buf der;
	X509_CRL *crl = NULL;
	enum relevance rel;
	size_t n, i, skipped;
	bool found;
	int rc = -1;

	if (e->cache_dir == NULL)
		return 0;
	ks_buf_init(&der, e->crl_max);
	n = ks_rev_crl_urls(cert, urls, KS_REV_URLS_MAX, &skipped);
	for (i = 0; i < n && !ks_rev_final(r); i++) {
		ks_buf_reset(&der);
		X509_CRL_free(crl);
		crl = NULL;
		KS_GUARD(ks_rev_cache_name_crl(issuer, urls[i], name));
		snprintf(where, sizeof(where), "cache %s (%s)", name, urls[i]);
		if (ks_rev_cache_get(e, name, e->crl_max, &der, &found) < 0) {
			ks_log(KS_LOG_WARN, "revocation cache: %s", ks_err_msg());
			r->notes |= KS_REV_NOTE_CACHE_FAILED;
			continue;
		}
		if (!found)
			continue;
		if (ks_rev_parse_crl(der.data, der.len, e->crl_max, &crl) < 0) {
			ks_rev_failf(&f, KS_REV_FAIL_MALFORMED, "%s", ks_err_msg());
		} else {
			check_crl(e, crl, cert, issuer, &rel, &a, &f);
			if (f.code == KS_REV_FAIL_NONE && a.next_update <= e->now)
				ks_rev_failf(&f, KS_REV_FAIL_STALE,
					     "cached CRL past its nextUpdate: not used");
		}
		if (f.code != KS_REV_FAIL_NONE) {
			ks_rev_attempt(r, KS_REV_CRL, KS_REV_SRC_CACHE, where, &f);
			ks_rev_cache_drop(e, name);
			continue;
		}
		KS_GUARD(ks_rev_accept(r, &a, KS_REV_CRL, KS_REV_SRC_CACHE, where, der.data,
				       der.len, false));
	}
	rc = 0;
out:
	X509_CRL_free(crl);
	ks_buf_cleanup(&der);
	ks_rev_urls_free(urls, n);
	return rc;
}

int ks_rev_crl_net(const struct ks_rev_env *e, X509 *cert, X509 *issuer, struct ks_rev_result *r)
{
	char *urls[KS_REV_URLS_MAX], name[KS_REV_CACHE_NAME_LEN];
	struct ks_rev_answer a;
	struct ks_rev_fail f;
	struct ks_buf der;
	X509_CRL *crl = NULL;
	enum relevance rel;
	size_t n, i, skipped = 0;
	int rc = -1;

	ks_buf_init(&der, e->crl_max);
	n = ks_rev_crl_urls(cert, urls, KS_REV_URLS_MAX, &skipped);
	if (n == 0) {
		ks_rev_failf(&f, KS_REV_FAIL_NO_SOURCE,
			     "the certificate names no http CRL distribution point%s",
			     skipped > 0 ? " (only indirect or partial ones, not supported)" : "");
		ks_rev_attempt(r, KS_REV_CRL, KS_REV_SRC_CRL_URL, "", &f);
	}
	for (i = 0; i < n && !ks_rev_final(r); i++) {
		ks_buf_reset(&der);
		X509_CRL_free(crl);
		crl = NULL;
		if (e->o->offline) {
			ks_rev_failf(&f, KS_REV_FAIL_OFFLINE, "not fetched: offline");
			ks_rev_attempt(r, KS_REV_CRL, KS_REV_SRC_CRL_URL, urls[i], &f);
			continue;
		}
		if (ks_http_get(urls[i], &e->crl_http, &der) < 0) {
			ks_rev_failf(&f, ks_rev_net_failure(), "%s", ks_err_msg());
			ks_rev_attempt(r, KS_REV_CRL, KS_REV_SRC_CRL_URL, urls[i], &f);
			continue;
		}
		if (ks_rev_parse_crl(der.data, der.len, e->crl_max, &crl) < 0) {
			ks_rev_failf(&f, KS_REV_FAIL_MALFORMED, "%s", ks_err_msg());
			ks_rev_attempt(r, KS_REV_CRL, KS_REV_SRC_CRL_URL, urls[i], &f);
			continue;
		}
		check_crl(e, crl, cert, issuer, &rel, &a, &f);
		if (f.code != KS_REV_FAIL_NONE) {
			ks_rev_attempt(r, KS_REV_CRL, KS_REV_SRC_CRL_URL, urls[i], &f);
			continue;
		}
		if (ks_rev_cache_name_crl(issuer, urls[i], name) < 0 ||
		    ks_rev_cache_put(e, name, der.data, der.len, a.next_update) < 0) {
			ks_log(KS_LOG_WARN, "revocation cache: %s", ks_err_msg());
			r->notes |= KS_REV_NOTE_CACHE_FAILED;
		}
		KS_GUARD(ks_rev_accept(r, &a, KS_REV_CRL, KS_REV_SRC_CRL_URL, urls[i], der.data,
				       der.len, false));
	}
	rc = 0;
out:
	X509_CRL_free(crl);
	ks_buf_cleanup(&der);
	ks_rev_urls_free(urls, n);
	return rc;
}

int ks_rev_crl_status(const struct ks_rev_env *e, X509 *cert, X509 *issuer,
		      const struct ks_rev_data *doc, struct ks_rev_result *r)
{
	if (ks_rev_crl_doc(e, cert, issuer, doc, r) < 0)
		return -1;
	if (!ks_rev_final(r) && ks_rev_crl_cache(e, cert, issuer, r) < 0)
		return -1;
	if (!ks_rev_final(r) && ks_rev_crl_net(e, cert, issuer, r) < 0)
		return -1;
	return 0;
}
