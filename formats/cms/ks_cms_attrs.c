/* Signed attributes of a SignerInfo (RFC 5652 5.3, 11; ETSI EN 319 122-1
 * 5.2): their shape, the content type and digest they state, and the
 * signer certificate they name (RFC 5035 signingCertificateV2, RFC 2634
 * signingCertificate; ETSI EN 319 102-1 5.2.3.4). */
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "formats/cms/ks_cms_int.h"
#include "ks_crypto.h"

/* "id-data", or the dotted OID of a NID. */
static const char *oid_label(int nid, char *buf, size_t n)
{
	if (nid == NID_pkcs7_data)
		return "id-data";
	if (OBJ_obj2txt(buf, (int)n, OBJ_nid2obj(nid), 1) <= 0)
		snprintf(buf, n, "NID %d", nid);
	return buf;
}

/* The one value of a single-valued attribute (RFC 5652 5.3: these
 * attributes MUST have exactly one value), or NULL with a conclusion. */
static ASN1_TYPE *single_value(CMS_SignerInfo *si, int nid, const char *name, int want_type,
			       int want_type2, struct ks_cms_signer_result *r)
{
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;
	int loc = CMS_signed_get_attr_by_NID(si, nid, -1);

	if (loc < 0)
		return NULL;
	if (CMS_signed_get_attr_by_NID(si, nid, loc) >= 0) {
		ks_cms_conclude(r, KS_SUB_FORMAT_FAILURE, "signed attribute %s appears twice",
				name);
		return NULL;
	}
	a = CMS_signed_get_attr(si, loc);
	if (X509_ATTRIBUTE_count(a) != 1) {
		ks_cms_conclude(r, KS_SUB_FORMAT_FAILURE, "signed attribute %s must have one value",
				name);
		return NULL;
	}
	t = X509_ATTRIBUTE_get0_type(a, 0);
	if (t == NULL || (ASN1_TYPE_get(t) != want_type && ASN1_TYPE_get(t) != want_type2)) {
		ks_cms_conclude(r, KS_SUB_FORMAT_FAILURE, "signed attribute %s has the wrong type",
				name);
		return NULL;
	}
	return t;
}

/* Signed attributes: RFC 5652 5.3 and 11, ETSI EN 319 122-1 5.2. */
bool ks_cms_attrs_check(const struct ks_cms *cms, CMS_SignerInfo *si, int want_nid,
			struct ks_cms_attrs *at, struct ks_cms_signer_result *r)
{
	const ASN1_OBJECT *ect = CMS_get0_eContentType(cms->ci);
	char oid[80];
	ASN1_TYPE *t;
	int n = CMS_signed_get_attr_count(si);
	struct tm tm;

	memset(at, 0, sizeof(*at));
	if (n < 0) {
		/* Allowed by RFC 5652 only for id-data content; not CAdES. */
		r->notes |= KS_CMS_NOTE_NO_SIGNED_ATTRS;
		if (OBJ_obj2nid(ect) != NID_pkcs7_data) {
			ks_cms_conclude(
			    r, KS_SUB_FORMAT_FAILURE,
			    "signed attributes are required for content other than id-data");
			return false;
		}
		return true;
	}
	at->present = true;
	if (n == 0 || n > KS_CMS_ATTRS_MAX) {
		ks_cms_conclude(r, KS_SUB_FORMAT_FAILURE, "%d signed attributes", n);
		return false;
	}
	t = single_value(si, NID_pkcs9_contentType, "contentType", V_ASN1_OBJECT, V_ASN1_OBJECT, r);
	if (t == NULL) {
		ks_cms_conclude(r, KS_SUB_FORMAT_FAILURE,
				"contentType attribute missing (RFC 5652 5.3)");
		return false;
	}
	if (OBJ_cmp(t->value.object, ect) != 0) {
		ks_cms_conclude(r, KS_SUB_FORMAT_FAILURE,
				"contentType attribute differs from eContentType");
		return false;
	}
	if (OBJ_obj2nid(ect) != want_nid) {
		ks_cms_conclude(r, KS_SUB_FORMAT_FAILURE, "content type is not %s",
				oid_label(want_nid, oid, sizeof(oid)));
		return false;
	}
	t = single_value(si, NID_pkcs9_messageDigest, "messageDigest", V_ASN1_OCTET_STRING,
			 V_ASN1_OCTET_STRING, r);
	if (t == NULL) {
		ks_cms_conclude(r, KS_SUB_FORMAT_FAILURE,
				"messageDigest attribute missing (RFC 5652 5.3)");
		return false;
	}
	at->message_digest = t->value.octet_string;
	t = single_value(si, NID_pkcs9_signingTime, "signingTime", V_ASN1_UTCTIME,
			 V_ASN1_GENERALIZEDTIME, r);
	if (r->sub != KS_SUB_NONE)
		return false;
	if (t != NULL) {
		if (ASN1_TIME_to_tm(t->value.utctime, &tm) != 1) {
			ERR_clear_error();
			ks_cms_conclude(r, KS_SUB_FORMAT_FAILURE, "malformed signingTime");
			return false;
		}
		r->signing_time = timegm(&tm);
		r->has_signing_time = true;
	}
	t = single_value(si, NID_id_smime_aa_signingCertificateV2, "signingCertificateV2",
			 V_ASN1_SEQUENCE, V_ASN1_SEQUENCE, r);
	if (r->sub != KS_SUB_NONE)
		return false;
	if (t != NULL) {
		at->ess = t->value.sequence;
	} else {
		t = single_value(si, NID_id_smime_aa_signingCertificate, "signingCertificate",
				 V_ASN1_SEQUENCE, V_ASN1_SEQUENCE, r);
		if (r->sub != KS_SUB_NONE)
			return false;
		if (t != NULL) {
			at->ess = t->value.sequence;
			at->ess_v1 = true;
		}
	}
	return true;
}

/* Signer certificate: the certificates whose issuer/serial or subject
 * key identifier match sid, narrowed by the signing-certificate
 * attribute when there is one (ETSI EN 319 102-1 5.2.3.4). */
bool ks_cms_signer_identify(CMS_SignerInfo *si, const struct ks_cms_attrs *at,
			    STACK_OF(X509) * pool, struct ks_cms_signer_result *r)
{
	struct ks_cms_ess ess;
	X509 *found = NULL;
	const char *why = "";
	int i, matches = 0;
	bool ok;

	if (at->ess != NULL) {
		if (ks_cms_ess_parse(ASN1_STRING_get0_data(at->ess),
				     (size_t)ASN1_STRING_length(at->ess), at->ess_v1, &ess) < 0) {
			ks_cms_conclude(r, KS_SUB_FORMAT_FAILURE, "malformed %s attribute: %s",
					at->ess_v1 ? "signingCertificate" : "signingCertificateV2",
					ks_err_msg());
			return false;
		}
		if (at->ess_v1)
			r->notes |= KS_CMS_NOTE_ESS_V1;
	} else if (at->present) {
		r->notes |= KS_CMS_NOTE_NO_ESS;
	}
	for (i = 0; i < sk_X509_num(pool); i++) {
		X509 *x = sk_X509_value(pool, i);

		if (CMS_SignerInfo_cert_cmp(si, x) != 0)
			continue;
		if (found != NULL && X509_cmp(found, x) == 0)
			continue;
		if (at->ess != NULL) {
			if (ks_cms_ess_match(&ess, x, &ok, &why) < 0) {
				ks_cms_conclude(r, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
						"signing certificate reference unusable: %s",
						ks_err_msg());
				return false;
			}
			if (!ok)
				continue;
		}
		found = x;
		matches++;
	}
	if (found == NULL) {
		bool by_sid = false;

		for (i = 0; i < sk_X509_num(pool) && !by_sid; i++)
			by_sid = CMS_SignerInfo_cert_cmp(si, sk_X509_value(pool, i)) == 0;
		if (by_sid)
			ks_cms_conclude(r, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
					"%s does not match the certificate named by sid (%s)",
					at->ess_v1 ? "signingCertificate" : "signingCertificateV2",
					why);
		else
			ks_cms_conclude(r, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
					"the certificate named by sid is not in the signature");
		return false;
	}
	if (matches > 1) {
		ks_cms_conclude(r, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
				"several different certificates match sid");
		return false;
	}
	if (X509_up_ref(found) != 1)
		return false;
	r->cert = found;
	return true;
}

/* RFC 5035 lets signingCertificateV2 name any hash; one with known
 * collisions binds no certificate in particular.  (SigningCertificate v1
 * is SHA-1 by definition and is only noted.) */
void ks_cms_ess_hash_check(const struct ks_cms_attrs *at, struct ks_cms_signer_result *r)
{
	struct ks_cms_ess ess;
	char buf[80];

	if (at->ess == NULL || at->ess_v1 ||
	    ks_cms_ess_parse(ASN1_STRING_get0_data(at->ess), (size_t)ASN1_STRING_length(at->ess),
			     false, &ess) < 0)
		return;
	if (!ks_crypto_md_ok(ess.hash_nid))
		ks_cms_conclude(r, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
				"signingCertificateV2 identifies the signer with %s, too weak",
				ks_crypto_md_label(ess.hash_nid, buf, sizeof(buf)));
}
