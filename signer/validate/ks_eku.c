/* The extended key usages that let a certificate sign documents (see
 * ks_eku.h for the choice and its reasons). */
#include "signer/validate/ks_eku.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *oid;
	const char *name;
} allowed[] = {
	{ "1.3.6.1.5.5.7.3.4", "emailProtection" },
	{ "1.3.6.1.5.5.7.3.36", "id-kp-documentSigning" },
	{ "1.2.840.113583.1.1.5", "Adobe Authentic Documents Trust" },
	{ "1.3.6.1.4.1.311.10.3.12", "Microsoft Document Signing" },
	{ "2.5.29.37.0", "anyExtendedKeyUsage" },
	{ "1.3.6.1.5.5.7.3.2", "clientAuth" },
};

static void say(char *why, size_t n, const char *text)
{
	if (why != NULL && n > 0)
		snprintf(why, n, "%s", text);
}

bool ks_eku_document_signer(X509 *cert, char *why, size_t n)
{
	EXTENDED_KEY_USAGE *eku;
	const char *found = NULL;
	char oid[80];
	int crit = -1, i, nid;
	size_t k;

	if (cert == NULL) {
		say(why, n, "no certificate");
		return false;
	}
	eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL);
	if (eku == NULL) {
		ERR_clear_error();
		if (crit == -1) {
			say(why, n, "no extendedKeyUsage");
			return true;
		}
		say(why, n, "malformed or repeated extendedKeyUsage extension");
		return false;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		ASN1_OBJECT *obj = sk_ASN1_OBJECT_value(eku, i);

		nid = OBJ_obj2nid(obj);
		if (nid == NID_time_stamp || nid == NID_OCSP_sign) {
			say(why, n,
			    nid == NID_time_stamp
				? "the certificate is for time-stamping (a TSA's, "
				  "extendedKeyUsage timeStamping): it signs no document"
				: "the certificate is for OCSP signing (a responder's, "
				  "extendedKeyUsage OCSPSigning): it signs no document");
			EXTENDED_KEY_USAGE_free(eku);
			return false;
		}
		if (found != NULL || OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
			continue;
		for (k = 0; k < sizeof(allowed) / sizeof(allowed[0]); k++)
			if (strcmp(oid, allowed[k].oid) == 0)
				found = allowed[k].name;
	}
	EXTENDED_KEY_USAGE_free(eku);
	ERR_clear_error();
	if (found != NULL) {
		say(why, n, found);
		return true;
	}
	say(why, n,
	    "its extendedKeyUsage allows no document signing (emailProtection, "
	    "documentSigning, clientAuth or anyExtendedKeyUsage required)");
	return false;
}
