/* The CMS of one PDF signature, by /SubFilter (ISO 32000-1 12.8.3.3,
 * ETSI EN 319 142-1 5.1 and 5.4):
 *  - ETSI.CAdES.detached, adbe.pkcs7.detached: a detached SignedData over
 *    the ByteRange (formats/cms does the work; the digest is fed from
 *    the caller's memory, range by range, never copied);
 *  - adbe.pkcs7.sha1: a SignedData whose encapsulated content is the
 *    SHA-1 digest of the ByteRange: checked, then reported as too weak;
 *  - ETSI.RFC3161: a document timestamp, a TimeStampToken whose
 *    messageImprint is the digest of the ByteRange (RFC 3161 2.4.2).  Its
 *    integrity, TSA signature and path to the anchors are checked here;
 *    the rest of timestamp validation belongs to the timestamp module. */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "formats/pdf/ks_pades_int.h"
#include "ks_crypto.h"
#include "ks_size.h"

void ks_pv_fail(struct ks_pades_sig *sig, enum ks_subindication sub, const char *fmt, ...)
{
	va_list ap;

	sig->sub = sub;
	sig->indication = ks_subindication_class(sub);
	va_start(ap, fmt);
	if (vsnprintf(sig->detail, sizeof(sig->detail), fmt, ap) < 0)
		sig->detail[0] = '\0';
	va_end(ap);
}

/* Take SignerInfo `i` of res into sig->cms (ownership of its
 * certificate moves) and adopt its outcome. */
static void adopt_signer(struct ks_cms_result *res, size_t i, struct ks_pades_sig *sig)
{
	sig->cms = res->signers[i];
	res->signers[i].cert = NULL;
	sig->has_cms = true;
	sig->indication = sig->cms.indication;
	sig->sub = sig->cms.sub;
	snprintf(sig->detail, sizeof(sig->detail), "%s", sig->cms.detail);
}

/* The SignerInfo that decides: the worst one (a PDF signature has one;
 * more is not PAdES, ETSI EN 319 142-1 5.1: each is checked). */
static size_t worst_signer(const struct ks_cms_result *res)
{
	size_t i, w = 0;

	for (i = 1; i < res->n; i++)
		if (ks_indication_worst(res->signers[w].indication, res->signers[i].indication) !=
		    res->signers[w].indication)
			w = i;
	return w;
}

static bool has_signature_timestamp(const struct ks_cms *cms)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(ks_cms_get0_ci(cms));
	CMS_SignerInfo *si;

	if (sis == NULL || sk_CMS_SignerInfo_num(sis) < 1)
		return false;
	si = sk_CMS_SignerInfo_value(sis, 0);
	/* id-aa-signatureTimeStampToken, ETSI EN 319 122-1 5.3 */
	return CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1) >= 0;
}

static int digest_ranges(const EVP_MD *md, const struct ks_pv_ranges *rg, uint8_t *out,
			 unsigned *olen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -1;

	if (ctx == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, rg->p1, rg->n1) != 1 ||
	    EVP_DigestUpdate(ctx, rg->p2, rg->n2) != 1 || EVP_DigestFinal_ex(ctx, out, olen) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "hashing the ByteRange");
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int verify_detached(struct ks_cms *cms, const struct ks_pv_ranges *rg,
			   const struct ks_cms_verify_opts *vo, struct ks_pades_sig *sig)
{
	struct ks_cms_content *ct = NULL;
	struct ks_cms_result res;
	int rc = -1;

	ks_cms_result_init(&res);
	if (ks_cms_is_attached(cms)) {
		/* ISO 32000-1 12.8.3.3.1: detached, no encapsulated content. */
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE,
			   "/SubFilter %s is detached but the CMS encapsulates content",
			   sig->subfilter);
		rc = 0;
		goto out;
	}
	KS_GUARD(ks_cms_content_new(cms, &ct));
	KS_GUARD(ks_cms_content_update(ct, rg->p1, rg->n1));
	KS_GUARD(ks_cms_content_update(ct, rg->p2, rg->n2));
	KS_GUARD(ks_cms_verify(cms, ct, vo, &res));
	if (res.n == 0) {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE, "the CMS has no SignerInfo");
		rc = 0;
		goto out;
	}
	adopt_signer(&res, worst_signer(&res), sig);
	sig->signature_timestamp = has_signature_timestamp(cms);
	rc = 0;
out:
	ks_cms_content_free(ct);
	ks_cms_result_cleanup(&res);
	return rc;
}

/* adbe.pkcs7.sha1 (ISO 32000-1 12.8.3.3.1): the signed content is the
 * SHA-1 digest of the ByteRange. */
static int verify_sha1(struct ks_cms *cms, const struct ks_pv_ranges *rg,
		       const struct ks_cms_verify_opts *vo, struct ks_pades_sig *sig)
{
	struct ks_cms_result res;
	ASN1_OCTET_STRING **pos;
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	const uint8_t *ec;
	int eclen, rc = -1;

	ks_cms_result_init(&res);
	sig->weak_subfilter = true;
	pos = CMS_get0_content(ks_cms_get0_ci(cms));
	if (!ks_cms_is_attached(cms) || pos == NULL || *pos == NULL) {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE,
			   "adbe.pkcs7.sha1 without the encapsulated SHA-1 digest");
		rc = 0;
		goto out;
	}
	KS_GUARD(ks_cms_verify_data(cms, NULL, 0, vo, &res));
	if (res.n == 0) {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE, "the CMS has no SignerInfo");
		rc = 0;
		goto out;
	}
	adopt_signer(&res, worst_signer(&res), sig);
	KS_GUARD(digest_ranges(EVP_sha1(), rg, d, &dlen));
	ec = ASN1_STRING_get0_data(*pos);
	eclen = ASN1_STRING_length(*pos);
	/* Writers put the 20 bytes either bare or as a DER OCTET STRING. */
	if (eclen == 22 && ec[0] == 0x04 && ec[1] == 20) {
		ec += 2;
		eclen = 20;
	}
	/* A definitive failure of the CMS itself stands; otherwise the
	 * signed digest decides, then the weakness of SHA-1. */
	if (sig->indication != KS_IND_TOTAL_FAILED) {
		if (eclen != (int)dlen || memcmp(ec, d, dlen) != 0)
			ks_pv_fail(sig, KS_SUB_HASH_FAILURE,
				   "the SHA-1 digest inside the signature differs from the "
				   "ByteRange's");
		else
			ks_pv_fail(sig, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
				   "/SubFilter adbe.pkcs7.sha1 signs a SHA-1 digest, which is no "
				   "longer accepted");
	}
	rc = 0;
out:
	ks_cms_result_cleanup(&res);
	return rc;
}

/* The cryptographic minimums on a document timestamp, as on every
 * signature (core/ks_crypto): the messageImprint hash, the digest the
 * TSA signed with, the TSA's key and the path's signatures. */
static void doc_ts_constraints(CMS_ContentInfo *ci, int imprint_nid, struct ks_pades_sig *sig)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(ci);
	X509_ALGOR *dig = NULL;
	const ASN1_OBJECT *obj = NULL;
	char why[KS_CRYPTO_WHY_MAX], buf[80];
	int nid;

	if (sig->indication != KS_IND_TOTAL_PASSED)
		return;
	if (!ks_crypto_md_ok(imprint_nid)) {
		ks_pv_fail(sig, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
			   "messageImprint uses %s, which is no longer accepted",
			   ks_crypto_md_label(imprint_nid, buf, sizeof(buf)));
		return;
	}
	if (sis != NULL && sk_CMS_SignerInfo_num(sis) == 1) {
		CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), NULL, NULL, &dig, NULL);
		X509_ALGOR_get0(&obj, NULL, NULL, dig);
		nid = OBJ_obj2nid(obj);
		if (!ks_crypto_md_ok(nid)) {
			ks_pv_fail(sig, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
				   "the TSA signed the time-stamp token with %s, too weak",
				   ks_crypto_md_label(nid, buf, sizeof(buf)));
			return;
		}
	}
	if (!ks_crypto_key_ok(X509_get0_pubkey(sig->cms.cert), why, sizeof(why)))
		ks_pv_fail(sig, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE, "TSA certificate: %s",
			   why);
}

static int asn1_gt_to_time(const ASN1_GENERALIZEDTIME *t, time_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return -1;
	}
	*out = timegm(&tm);
	return 0;
}

/* Document timestamp (ETSI EN 319 142-1 5.4, RFC 3161). */
static int verify_doc_ts(struct ks_cms *cms, const struct ks_pv_ranges *rg,
			 struct ks_pades_sig *sig)
{
	CMS_ContentInfo *ci = ks_cms_get0_ci(cms);
	STACK_OF(X509) *signers = NULL;
	TS_TST_INFO *tst = NULL;
	ASN1_OCTET_STRING **pos;
	const ASN1_OBJECT *obj;
	const EVP_MD *md;
	TS_MSG_IMPRINT *imp;
	ASN1_OCTET_STRING *want;
	const unsigned char *p;
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	int nid, rc = -1;

	sig->has_cms = true;
	sig->cms.notes |= KS_CMS_NOTE_REVOCATION_NOT_CHECKED;
	snprintf(sig->cms.sig_alg, sizeof(sig->cms.sig_alg), "RFC 3161 time-stamp token");
	pos = CMS_get0_content(ci);
	if (OBJ_obj2nid(CMS_get0_eContentType(ci)) != NID_id_smime_ct_TSTInfo || pos == NULL ||
	    *pos == NULL) {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE,
			   "document timestamp without TSTInfo content (RFC 3161 2.4.2)");
		rc = 0;
		goto out;
	}
	p = ASN1_STRING_get0_data(*pos);
	tst = d2i_TS_TST_INFO(NULL, &p, ASN1_STRING_length(*pos));
	if (tst == NULL) {
		ERR_clear_error();
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE, "malformed TSTInfo");
		rc = 0;
		goto out;
	}
	if (asn1_gt_to_time(TS_TST_INFO_get_time(tst), &sig->cms.signing_time) == 0)
		sig->cms.has_signing_time = true;
	imp = TS_TST_INFO_get_msg_imprint(tst);
	X509_ALGOR_get0(&obj, NULL, NULL, TS_MSG_IMPRINT_get_algo(imp));
	nid = OBJ_obj2nid(obj);
	{
		char buf[sizeof(sig->cms.digest_alg)];

		snprintf(sig->cms.digest_alg, sizeof(sig->cms.digest_alg), "%s",
			 ks_crypto_md_label(nid, buf, sizeof(buf)));
	}
	md = EVP_get_digestbynid(nid);
	if (md == NULL) {
		ks_pv_fail(sig, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
			   "messageImprint algorithm %s is not supported", sig->cms.digest_alg);
		rc = 0;
		goto out;
	}
	KS_GUARD(digest_ranges(md, rg, d, &dlen));
	want = TS_MSG_IMPRINT_get_msg(imp);
	if (ASN1_STRING_length(want) != (int)dlen ||
	    memcmp(ASN1_STRING_get0_data(want), d, dlen) != 0) {
		ks_pv_fail(sig, KS_SUB_HASH_FAILURE,
			   "messageImprint differs from the digest of the ByteRange");
		rc = 0;
		goto out;
	}
	/* RFC 5652 5.6: messageDigest and the TSA's signature value. */
	if (CMS_verify(ci, NULL, NULL, NULL, NULL, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		unsigned long e = ERR_peek_last_error();

		ERR_clear_error();
		ks_pv_fail(sig, KS_SUB_SIG_CRYPTO_FAILURE,
			   "time-stamp token signature does not verify (%s)",
			   e != 0 ? ERR_reason_error_string(e) : "unknown");
		rc = 0;
		goto out;
	}
	signers = CMS_get0_signers(ci);
	if (signers == NULL || sk_X509_num(signers) != 1) {
		ERR_clear_error();
		ks_pv_fail(sig, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
			   "TSA certificate not identified");
		rc = 0;
		goto out;
	}
	sig->cms.cert = sk_X509_value(signers, 0);
	if (X509_up_ref(sig->cms.cert) != 1) {
		sig->cms.cert = NULL;
		KS_BAIL(KS_ERR_INTERNAL, "X509_up_ref failed");
	}
	doc_ts_constraints(ci, nid, sig);
	rc = 0;
out:
	sk_X509_free(signers);
	TS_TST_INFO_free(tst);
	return rc;
}

int ks_pv_verify_cms(const uint8_t *der, size_t n, bool zero_pad, const struct ks_pv_ranges *rg,
		     struct ks_pades_sig *sig)
{
	struct ks_cms_verify_opts vo = { 0 };
	struct ks_cms *cms = NULL;
	int rc = -1;

	if (ks_cms_parse(der, n, zero_pad, &cms) < 0) {
		if (ks_err_is_fatal())
			goto out;
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE, "/Contents is not a CMS SignedData: %s",
			   ks_err_msg());
		rc = 0;
		goto out;
	}
	if (sig->kind == KS_PADES_DOC_TIMESTAMP || strcmp(sig->subfilter, "ETSI.RFC3161") == 0) {
		if (sig->kind != KS_PADES_DOC_TIMESTAMP ||
		    strcmp(sig->subfilter, "ETSI.RFC3161") != 0) {
			/* ETSI EN 319 142-1 5.4: /Type /DocTimeStamp goes with
			 * /SubFilter /ETSI.RFC3161, and only with it. */
			ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE,
				   "/Type and /SubFilter disagree (document timestamp: %s)",
				   sig->subfilter);
			rc = 0;
			goto out;
		}
		KS_GUARD(verify_doc_ts(cms, rg, sig));
	} else if (strcmp(sig->subfilter, "ETSI.CAdES.detached") == 0 ||
		   strcmp(sig->subfilter, "adbe.pkcs7.detached") == 0) {
		KS_GUARD(verify_detached(cms, rg, &vo, sig));
	} else if (strcmp(sig->subfilter, "adbe.pkcs7.sha1") == 0) {
		KS_GUARD(verify_sha1(cms, rg, &vo, sig));
	} else {
		ks_pv_fail(sig, KS_SUB_FORMAT_FAILURE, "unsupported /SubFilter '%s'",
			   sig->subfilter);
	}
	/* kept for the caller's validation, which would parse the same
	 * bytes again (the certificates' keys are the costly part) */
	if (sig->has_cms && sig->cms_parsed == NULL) {
		sig->cms_parsed = cms;
		cms = NULL;
	}
	rc = 0;
out:
	ks_cms_free(cms);
	return rc;
}

int ks_pv_identify(const uint8_t *der, size_t n, bool zero_pad, struct ks_pades_sig *sig)
{
	STACK_OF(CMS_SignerInfo) * sis;
	STACK_OF(X509) * certs;
	struct ks_cms *cms = NULL;
	CMS_SignerInfo *si;
	X509 *x;
	int i;

	if (ks_cms_parse(der, n, zero_pad, &cms) < 0)
		return ks_err_is_fatal() ? -1 : 0;
	sis = CMS_get0_SignerInfos(ks_cms_get0_ci(cms));
	certs = ks_cms_get0_certs(cms);
	if (sis != NULL && sk_CMS_SignerInfo_num(sis) > 0) {
		si = sk_CMS_SignerInfo_value(sis, 0);
		for (i = 0; i < sk_X509_num(certs); i++) {
			x = sk_X509_value(certs, i);
			/* RFC 5652 5.3: sid names the signer's certificate */
			if (CMS_SignerInfo_cert_cmp(si, x) == 0 && X509_up_ref(x) == 1) {
				sig->cms.cert = x;
				if (!sig->has_cms) {
					sig->has_cms = true;
					sig->cms.indication = sig->indication;
					sig->cms.sub = sig->sub;
					snprintf(sig->cms.detail, sizeof(sig->cms.detail), "%s",
						 sig->detail);
				}
				break;
			}
		}
	}
	ERR_clear_error();
	ks_cms_free(cms);
	return 0;
}
