/* OCSP (RFC 6960): responses from the document and the cache, and
 * requests to the certificate's responder, each response checked before
 * it is believed. */
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "ks_crypto.h"
#include "ks_log.h"
#include "signer/validate/ks_rev_int.h"

#define OCSP_REQUEST_TYPE "application/ocsp-request" /* RFC 6960 A.1 */

/* The hashes a CertID may use. */
static const EVP_MD *certid_md(int nid)
{
	switch (nid) {
	case NID_sha1:
		return EVP_sha1();
	case NID_sha256:
		return EVP_sha256();
	case NID_sha384:
		return EVP_sha384();
	case NID_sha512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* The SingleResponse about cert (RFC 6960 4.1.1 CertID: issuer name and
 * key hashes, serial), in whatever hash the responder used. */
static OCSP_SINGLERESP *find_single(OCSP_BASICRESP *bs, X509 *cert, X509 *issuer)
{
	ASN1_OBJECT *md_obj = NULL;
	ASN1_INTEGER *serial = NULL;
	OCSP_CERTID *mine;
	const EVP_MD *md;
	int i, n = OCSP_resp_count(bs);
	bool same;

	for (i = 0; i < n; i++) {
		OCSP_SINGLERESP *single = OCSP_resp_get0(bs, i);
		OCSP_CERTID *cid = (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(single);

		if (cid == NULL || OCSP_id_get0_info(NULL, &md_obj, NULL, &serial, cid) != 1 ||
		    serial == NULL || ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(cert)) != 0)
			continue;
		md = certid_md(OBJ_obj2nid(md_obj));
		if (md == NULL)
			continue;
		mine = OCSP_cert_to_id(md, cert, issuer);
		same = mine != NULL && OCSP_id_cmp(mine, cid) == 0;
		OCSP_CERTID_free(mine);
		if (same) {
			ERR_clear_error();
			return single;
		}
	}
	ERR_clear_error();
	return NULL;
}

/* Is `cand` the one the ResponderID names (by name, or by the SHA-1 of
 * its public key: RFC 6960 4.2.1)? */
static bool responder_is(OCSP_BASICRESP *bs, X509 *cand)
{
	const ASN1_OCTET_STRING *keyid = NULL;
	const X509_NAME *name = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (OCSP_resp_get0_id(bs, &keyid, &name) != 1)
		return false;
	if (name != NULL)
		return X509_NAME_cmp(name, X509_get_subject_name(cand)) == 0;
	if (keyid == NULL || X509_pubkey_digest(cand, EVP_sha1(), md, &len) != 1)
		return false;
	return ASN1_STRING_length(keyid) == (int)len &&
	       memcmp(ASN1_STRING_get0_data(keyid), md, len) == 0;
}

static bool signature_holds(OCSP_BASICRESP *bs, X509 *signer, struct ks_rev_fail *f)
{
	EVP_PKEY *key = X509_get0_pubkey(signer);
	char who[300];

	if (!ks_rev_sig_strong(OCSP_resp_get0_tbs_sigalg(bs), key, f))
		return false;
	if (ASN1_item_verify(ASN1_ITEM_rptr(OCSP_RESPDATA), OCSP_resp_get0_tbs_sigalg(bs),
			     OCSP_resp_get0_signature(bs), OCSP_resp_get0_respdata(bs), key) != 1) {
		ERR_clear_error();
		ks_rev_subject(signer, who, sizeof(who));
		ks_rev_failf(f, KS_REV_FAIL_SIGNATURE,
			     "the response's signature does not verify with the key of %s", who);
		return false;
	}
	return true;
}

/* RFC 6960 4.2.2.2.1: a delegated responder's certificate without
 * id-pkix-ocsp-nocheck is checked too, here against the issuer's CRL (an
 * OCSP question about the responder would ask the responder itself). */
static int responder_status(const struct ks_rev_env *e, X509 *resp_cert, X509 *issuer,
			    const struct ks_rev_data *doc, time_t produced_at,
			    struct ks_rev_answer *a, struct ks_rev_fail *f)
{
	struct ks_rev_env sub = *e;
	struct ks_rev_result sr;
	char when[48];
	int rc = -1;

	if (X509_get_ext_by_NID(resp_cert, NID_id_pkix_OCSP_noCheck, -1) >= 0) {
		a->notes |= KS_REV_NOTE_RESPONDER_NOCHECK;
		return 0;
	}
	if (e->depth > 0) {
		ks_rev_failf(f, KS_REV_FAIL_RESPONDER_CERT,
			     "delegated responder inside a responder's own check");
		return 0;
	}
	ks_rev_result_init(&sr);
	sub.depth = 1;
	sub.at = produced_at;
	KS_GUARD(ks_rev_crl_status(&sub, resp_cert, issuer, doc, &sr));
	if (sr.status == KS_REV_GOOD) {
		a->notes |= KS_REV_NOTE_RESPONDER_CHECKED;
	} else if (sr.status == KS_REV_REVOKED) {
		ks_rev_time_text(sr.revocation_time, when, sizeof(when));
		ks_rev_failf(f, KS_REV_FAIL_RESPONDER_CERT,
			     "the delegated responder's certificate is revoked (%s, %s)", when,
			     ks_rev_reason_name(sr.reason));
	} else {
		ks_rev_failf(f, KS_REV_FAIL_RESPONDER_CERT,
			     "the delegated responder's certificate has no id-pkix-ocsp-nocheck "
			     "and its own status is unavailable%s%s",
			     sr.n_attempts > 0 ? ": " : "",
			     sr.n_attempts > 0 ? sr.attempts[0].reason : "");
	}
	rc = 0;
out:
	ks_rev_result_cleanup(&sr);
	return rc;
}

/* RFC 6960 4.2.2.2: signed by the issuer itself, or by a responder
 * certificate the issuer issued for OCSP signing. */
static int authorise(const struct ks_rev_env *e, OCSP_BASICRESP *bs, X509 *issuer,
		     const struct ks_rev_data *doc, time_t produced_at, struct ks_rev_answer *a,
		     struct ks_rev_fail *f)
{
	const STACK_OF(X509) *certs = OCSP_resp_get0_certs(bs);
	X509 *cand = NULL;
	char who[300], iss[300], why[KS_CRYPTO_WHY_MAX];
	uint32_t flags;
	int i;

	if (responder_is(bs, issuer)) {
		if (signature_holds(bs, issuer, f))
			a->signer = issuer;
		return 0;
	}
	for (i = 0; i < sk_X509_num(certs) && cand == NULL; i++)
		if (responder_is(bs, sk_X509_value(certs, i)))
			cand = sk_X509_value(certs, i);
	ks_rev_subject(issuer, iss, sizeof(iss));
	if (cand == NULL) {
		ks_rev_failf(f, KS_REV_FAIL_UNAUTHORISED,
			     "the response is signed neither by the issuer %s nor by a responder "
			     "certificate it carries",
			     iss);
		return 0;
	}
	if (!signature_holds(bs, cand, f))
		return 0;
	ks_rev_subject(cand, who, sizeof(who));
	if (X509_check_issued(issuer, cand) != X509_V_OK ||
	    X509_verify(cand, X509_get0_pubkey(issuer)) != 1) {
		ERR_clear_error();
		ks_rev_failf(f, KS_REV_FAIL_UNAUTHORISED,
			     "the response is signed by %s, which the issuer %s did not certify "
			     "(RFC 6960 4.2.2.2)",
			     who, iss);
		return 0;
	}
	flags = X509_get_extension_flags(cand);
	if ((flags & EXFLAG_XKUSAGE) == 0 ||
	    (X509_get_extended_key_usage(cand) & XKU_OCSP_SIGN) == 0) {
		ks_rev_failf(f, KS_REV_FAIL_UNAUTHORISED,
			     "the response is signed by %s, whose certificate lacks "
			     "id-kp-OCSPSigning: not an authorised responder",
			     who);
		return 0;
	}
	if ((flags & EXFLAG_KUSAGE) != 0 &&
	    (X509_get_key_usage(cand) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
		ks_rev_failf(f, KS_REV_FAIL_UNAUTHORISED,
			     "responder certificate %s: keyUsage does not allow signing", who);
		return 0;
	}
	if (!ks_crypto_cert_sig_ok(cand, why, sizeof(why))) {
		ks_rev_failf(f, KS_REV_FAIL_SIGNATURE, "responder certificate %s %s", who, why);
		return 0;
	}
	if (X509_cmp_time(X509_get0_notBefore(cand), &produced_at) >= 0 ||
	    X509_cmp_time(X509_get0_notAfter(cand), &produced_at) <= 0) {
		ERR_clear_error();
		ks_rev_failf(
		    f, KS_REV_FAIL_UNAUTHORISED,
		    "responder certificate %s was not valid when the response was produced", who);
		return 0;
	}
	if (responder_status(e, cand, issuer, doc, produced_at, a, f) < 0)
		return -1;
	if (f->code == KS_REV_FAIL_NONE) {
		a->signer = cand;
		a->delegated = true;
	}
	return 0;
}

/* Critical extensions must be understood (RFC 5280 4.2, used by RFC 6960
 * 4.4). */
static bool known_ext(int nid)
{
	return nid == NID_id_pkix_OCSP_Nonce || nid == NID_id_pkix_OCSP_CrlID ||
	       nid == NID_id_pkix_OCSP_archiveCutoff || nid == NID_invalidity_date ||
	       nid == NID_hold_instruction_code || nid == NID_id_pkix_OCSP_extendedStatus;
}

static bool extensions_ok(OCSP_BASICRESP *bs, OCSP_SINGLERESP *single, struct ks_rev_fail *f)
{
	X509_EXTENSION *ext;
	int i;

	for (i = 0; i < OCSP_BASICRESP_get_ext_count(bs); i++) {
		ext = OCSP_BASICRESP_get_ext(bs, i);
		if (X509_EXTENSION_get_critical(ext) &&
		    !known_ext(OBJ_obj2nid(X509_EXTENSION_get_object(ext)))) {
			ks_rev_failf(f, KS_REV_FAIL_UNSUPPORTED,
				     "unrecognised critical extension in the response");
			return false;
		}
	}
	for (i = 0; i < OCSP_SINGLERESP_get_ext_count(single); i++) {
		ext = OCSP_SINGLERESP_get_ext(single, i);
		if (X509_EXTENSION_get_critical(ext) &&
		    !known_ext(OBJ_obj2nid(X509_EXTENSION_get_object(ext)))) {
			ks_rev_failf(f, KS_REV_FAIL_UNSUPPORTED,
				     "unrecognised critical extension in the single response");
			return false;
		}
	}
	return true;
}

/* archiveCutoff (RFC 6960 4.4.4), 0 when absent. */
static time_t archive_cutoff(OCSP_BASICRESP *bs, OCSP_SINGLERESP *single)
{
	ASN1_GENERALIZEDTIME *gt;
	time_t t = 0;

	gt = OCSP_SINGLERESP_get1_ext_d2i(single, NID_id_pkix_OCSP_archiveCutoff, NULL, NULL);
	if (gt == NULL)
		gt = OCSP_BASICRESP_get1_ext_d2i(bs, NID_id_pkix_OCSP_archiveCutoff, NULL, NULL);
	if (gt == NULL || !ks_rev_time(gt, &t))
		t = 0;
	ASN1_GENERALIZEDTIME_free(gt);
	ERR_clear_error();
	return t;
}

/* Check one basic response for cert.  *relevant false: it says nothing
 * about cert (another certificate of the document).  `req`: the request
 * kyso just sent (nonce checked), NULL for stored responses.  f->code
 * is KS_REV_FAIL_NONE when `a` holds the answer. */
static int check_basic(const struct ks_rev_env *e, OCSP_BASICRESP *bs, X509 *cert, X509 *issuer,
		       const struct ks_rev_data *doc, OCSP_REQUEST *req, bool *relevant,
		       struct ks_rev_answer *a, struct ks_rev_fail *f)
{
	ASN1_GENERALIZEDTIME *revtime = NULL, *thisupd = NULL, *nextupd = NULL;
	OCSP_SINGLERESP *single;
	int status, reason = KS_REV_REASON_NONE, nonce;
	char when[48];

	memset(a, 0, sizeof(*a));
	ks_rev_failf(f, KS_REV_FAIL_NONE, "%s", "");
	*relevant = true;
	single = find_single(bs, cert, issuer);
	if (single == NULL) {
		*relevant = false;
		ks_rev_failf(f, KS_REV_FAIL_NOT_FOR_CERT,
			     "the response has no answer about this certificate");
		return 0;
	}
	if (!ks_rev_time(OCSP_resp_get0_produced_at(bs), &a->produced_at)) {
		ks_rev_failf(f, KS_REV_FAIL_MALFORMED, "unreadable producedAt");
		return 0;
	}
	if (authorise(e, bs, issuer, doc, a->produced_at, a, f) < 0)
		return -1;
	if (f->code != KS_REV_FAIL_NONE)
		return 0;
	if (req != NULL) {
		/* RFC 8954: the response echoes the request's nonce. */
		nonce = OCSP_check_nonce(req, bs);
		if (nonce == 1) {
			a->nonce_matched = true;
		} else if (nonce == -1 && e->o->allow_no_nonce) {
			a->no_nonce = true;
		} else if (nonce == -1) {
			ks_rev_failf(f, KS_REV_FAIL_NONCE,
				     "the responder answered without the request's nonce "
				     "(a replayed response cannot be told from a fresh one)");
			return 0;
		} else {
			ks_rev_failf(f, KS_REV_FAIL_NONCE,
				     "the response's nonce is not the one sent: a replayed or "
				     "forged response");
			return 0;
		}
	}
	if (!extensions_ok(bs, single, f))
		return 0;
	status = OCSP_single_get0_status(single, &reason, &revtime, &thisupd, &nextupd);
	if (!ks_rev_time(thisupd, &a->this_update) ||
	    (nextupd != NULL && !ks_rev_time(nextupd, &a->next_update))) {
		ks_rev_failf(f, KS_REV_FAIL_MALFORMED, "unreadable thisUpdate or nextUpdate");
		return 0;
	}
	if (a->produced_at > e->now + e->skew) {
		ks_rev_time_text(a->produced_at, when, sizeof(when));
		ks_rev_failf(f, KS_REV_FAIL_FUTURE, "producedAt %s is in the future", when);
		return 0;
	}
	if (!ks_rev_covers(e, a->this_update, a->next_update, f))
		return 0;
	if (a->produced_at + e->skew < a->this_update) {
		ks_rev_failf(f, KS_REV_FAIL_MALFORMED,
			     "producedAt is before thisUpdate: a response cannot precede its "
			     "status");
		return 0;
	}
	switch (status) {
	case V_OCSP_CERTSTATUS_GOOD:
		if (!ks_rev_before_expiry(cert, a->this_update, archive_cutoff(bs, single), f))
			return 0;
		a->status = KS_REV_GOOD;
		break;
	case V_OCSP_CERTSTATUS_REVOKED:
		if (!ks_rev_time(revtime, &a->revocation_time) ||
		    a->revocation_time > a->this_update + e->skew) {
			ks_rev_failf(f, KS_REV_FAIL_MALFORMED,
				     "revocationTime unreadable or after thisUpdate");
			return 0;
		}
		a->reason = reason >= 0 && reason <= 10 ? reason : KS_REV_REASON_NONE;
		a->status = KS_REV_REVOKED;
		break;
	case V_OCSP_CERTSTATUS_UNKNOWN:
		a->status = KS_REV_UNKNOWN;
		break;
	default:
		ks_rev_failf(f, KS_REV_FAIL_MALFORMED, "unrecognised certStatus");
		return 0;
	}
	return 0;
}

int ks_rev_ocsp_doc(const struct ks_rev_env *e, X509 *cert, X509 *issuer,
		    const struct ks_rev_data *doc, struct ks_rev_result *r)
{
	struct ks_rev_answer a;
	struct ks_rev_fail f;
	char where[64];
	size_t i, k = 0;
	bool relevant;

	for (i = 0; doc != NULL && i < doc->n && !ks_rev_final(r); i++) {
		const struct ks_rev_item *it = &doc->items[i];

		if (it->kind != KS_REV_OCSP)
			continue;
		snprintf(where, sizeof(where), "document OCSP response %zu", ++k);
		if (check_basic(e, it->bs, cert, issuer, doc, NULL, &relevant, &a, &f) < 0)
			return -1;
		if (!relevant)
			continue;
		if (f.code != KS_REV_FAIL_NONE) {
			ks_rev_attempt(r, KS_REV_OCSP, KS_REV_SRC_DOCUMENT, where, &f);
			continue;
		}
		if (ks_rev_accept(r, &a, KS_REV_OCSP, KS_REV_SRC_DOCUMENT, where, it->der.data,
				  it->der.len, it->basic_only) < 0)
			return -1;
	}
	return 0;
}

/* A whole OCSPResponse to its basic response; f says why not. */
static OCSP_BASICRESP *basic_of(const uint8_t *der, size_t n, struct ks_rev_fail *f, int *st)
{
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;

	*st = -1;
	if (ks_rev_parse_ocsp(der, n, &resp) < 0) {
		ks_rev_failf(f, KS_REV_FAIL_MALFORMED, "%s", ks_err_msg());
		return NULL;
	}
	*st = OCSP_response_status(resp);
	if (*st != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		ks_rev_failf(f, KS_REV_FAIL_RESPONDER, "the responder answered %s",
			     OCSP_response_status_str(*st));
	} else if ((bs = OCSP_response_get1_basic(resp)) == NULL) {
		ERR_clear_error();
		ks_rev_failf(f, KS_REV_FAIL_MALFORMED, "no BasicOCSPResponse in the response");
	}
	OCSP_RESPONSE_free(resp);
	return bs;
}

int ks_rev_ocsp_cache(const struct ks_rev_env *e, X509 *cert, X509 *issuer,
		      const struct ks_rev_data *doc, struct ks_rev_result *r)
{
	char name[KS_REV_CACHE_NAME_LEN], where[KS_REV_WHERE_LEN];
	OCSP_BASICRESP *bs = NULL;
	struct ks_rev_answer a;
	struct ks_rev_fail f;
	struct ks_buf der;
	bool found, relevant;
	int st, rc = -1;

	if (e->cache_dir == NULL)
		return 0;
	ks_buf_init(&der, KS_REV_OCSP_RESP_MAX);
	KS_GUARD(ks_rev_cache_name_ocsp(issuer, X509_get0_serialNumber(cert), name));
	snprintf(where, sizeof(where), "cache %s", name);
	if (ks_rev_cache_get(e, name, KS_REV_OCSP_RESP_MAX, &der, &found) < 0) {
		ks_log(KS_LOG_WARN, "revocation cache: %s", ks_err_msg());
		r->notes |= KS_REV_NOTE_CACHE_FAILED;
		rc = 0;
		goto out;
	}
	if (!found) {
		rc = 0;
		goto out;
	}
	bs = basic_of(der.data, der.len, &f, &st);
	if (bs != NULL) {
		KS_GUARD(check_basic(e, bs, cert, issuer, doc, NULL, &relevant, &a, &f));
		/* Never beyond nextUpdate, and never without one. */
		if (f.code == KS_REV_FAIL_NONE && (a.next_update == 0 || a.next_update <= e->now))
			ks_rev_failf(&f, KS_REV_FAIL_STALE,
				     "cached response past its nextUpdate: not used");
	}
	if (f.code != KS_REV_FAIL_NONE) {
		ks_rev_attempt(r, KS_REV_OCSP, KS_REV_SRC_CACHE, where, &f);
		ks_rev_cache_drop(e, name);
		rc = 0;
		goto out;
	}
	rc = ks_rev_accept(r, &a, KS_REV_OCSP, KS_REV_SRC_CACHE, where, der.data, der.len, false);
out:
	OCSP_BASICRESP_free(bs);
	ks_buf_cleanup(&der);
	return rc;
}

/* One request to one responder with CertIDs hashed by `md`.  *retry:
 * worth asking again with SHA-256 CertIDs (the responder refused the
 * request or does not know the certificate by its SHA-1 CertID). */
static int ask(const struct ks_rev_env *e, const char *url, const EVP_MD *md, X509 *cert,
	       X509 *issuer, const struct ks_rev_data *doc, struct ks_rev_result *r, bool *retry)
{
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *id = NULL;
	OCSP_BASICRESP *bs = NULL;
	unsigned char *reqder = NULL;
	char name[KS_REV_CACHE_NAME_LEN], where[KS_REV_WHERE_LEN];
	struct ks_rev_answer a;
	struct ks_rev_fail f;
	struct ks_buf body;
	bool relevant;
	int len, st, rc = -1;

	*retry = false;
	ks_buf_init(&body, KS_REV_OCSP_RESP_MAX);
	snprintf(where, sizeof(where), "%s (CertID %s)", url, EVP_MD_get0_name(md));
	req = OCSP_REQUEST_new();
	id = OCSP_cert_to_id(md, cert, issuer);
	if (req == NULL || id == NULL || OCSP_request_add0_id(req, id) == NULL)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "OCSP request");
	id = NULL; /* the request owns it */
	if (OCSP_request_add1_nonce(req, NULL, KS_REV_OCSP_NONCE_LEN) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "OCSP nonce");
	len = i2d_OCSP_REQUEST(req, &reqder);
	if (len <= 0)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "OCSP request encoding");
	if (ks_http_post(url, OCSP_REQUEST_TYPE, reqder, (size_t)len, &e->ocsp_http, &body) < 0) {
		ks_rev_failf(&f, ks_rev_net_failure(), "%s", ks_err_msg());
		ks_rev_attempt(r, KS_REV_OCSP, KS_REV_SRC_OCSP_URL, where, &f);
		rc = 0;
		goto out;
	}
	bs = basic_of(body.data, body.len, &f, &st);
	if (bs == NULL) {
		ks_rev_attempt(r, KS_REV_OCSP, KS_REV_SRC_OCSP_URL, where, &f);
		*retry = st == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST ||
			 st == OCSP_RESPONSE_STATUS_UNAUTHORIZED;
		rc = 0;
		goto out;
	}
	KS_GUARD(check_basic(e, bs, cert, issuer, doc, req, &relevant, &a, &f));
	if (f.code != KS_REV_FAIL_NONE) {
		ks_rev_attempt(r, KS_REV_OCSP, KS_REV_SRC_OCSP_URL, where, &f);
		rc = 0;
		goto out;
	}
	if (a.status == KS_REV_UNKNOWN) {
		*retry = true;
	} else if (ks_rev_cache_name_ocsp(issuer, X509_get0_serialNumber(cert), name) < 0 ||
		   ks_rev_cache_put(e, name, body.data, body.len, a.next_update) < 0) {
		ks_log(KS_LOG_WARN, "revocation cache: %s", ks_err_msg());
		r->notes |= KS_REV_NOTE_CACHE_FAILED;
	}
	rc =
	    ks_rev_accept(r, &a, KS_REV_OCSP, KS_REV_SRC_OCSP_URL, url, body.data, body.len, false);
out:
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	OPENSSL_free(reqder);
	OCSP_BASICRESP_free(bs);
	ks_buf_cleanup(&body);
	return rc;
}

int ks_rev_ocsp_net(const struct ks_rev_env *e, X509 *cert, X509 *issuer,
		    const struct ks_rev_data *doc, struct ks_rev_result *r)
{
	char *urls[KS_REV_URLS_MAX];
	struct ks_rev_fail f;
	size_t n, i;
	bool retry;
	int rc = -1;

	n = ks_rev_ocsp_urls(cert, urls, KS_REV_URLS_MAX);
	if (n == 0) {
		ks_rev_failf(&f, KS_REV_FAIL_NO_SOURCE,
			     "the certificate names no http OCSP responder (authorityInfoAccess)");
		ks_rev_attempt(r, KS_REV_OCSP, KS_REV_SRC_OCSP_URL, "", &f);
	}
	for (i = 0; i < n && !ks_rev_final(r); i++) {
		if (e->o->offline) {
			ks_rev_failf(&f, KS_REV_FAIL_OFFLINE, "not asked: offline");
			ks_rev_attempt(r, KS_REV_OCSP, KS_REV_SRC_OCSP_URL, urls[i], &f);
			continue;
		}
		/* SHA-1 CertIDs first: every responder takes them (RFC 5019
		 * 2.1.1); SHA-256 when the responder asks for more. */
		KS_GUARD(ask(e, urls[i], EVP_sha1(), cert, issuer, doc, r, &retry));
		if (retry && !ks_rev_final(r))
			KS_GUARD(ask(e, urls[i], EVP_sha256(), cert, issuer, doc, r, &retry));
	}
	rc = 0;
out:
	ks_rev_urls_free(urls, n);
	return rc;
}
