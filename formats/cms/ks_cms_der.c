/* A strict DER reader over ks_cur, and the signing-certificate attributes
 * (ESS, RFC 2634 5.4 / RFC 5035 5.4) read with it.  OpenSSL parses the
 * attribute too, but exposes none of its fields: to bind the signer
 * certificate we need the hash algorithm, the hash and the issuer/serial
 * of the first entry. */
#include <limits.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <string.h>

#include "formats/cms/ks_cms_int.h"
#include "ks_size.h"

#define DER_TAG_INTEGER 0x02
#define DER_TAG_OCTET_STRING 0x04
#define DER_TAG_NULL 0x05
#define DER_TAG_OID 0x06
#define DER_TAG_SEQUENCE 0x30
#define DER_TAG_DIRECTORY_NAME 0xa4 /* GeneralName [4] EXPLICIT Name */
/* At most 4 length bytes: no DER object we read comes near 4 GiB. */
#define DER_LEN_BYTES_MAX 4
#define ESS_HASH_MAX 64

int ks_der_read(struct ks_cur *c, uint8_t *tag, struct ks_cur *val)
{
	struct ks_cur t = *c;
	uint8_t tg, b;
	size_t len = 0, k, i;

	if (ks_cur_u8(&t, &tg) < 0 || ks_cur_u8(&t, &b) < 0)
		return -1;
	if ((tg & 0x1f) == 0x1f)
		return KS_SET(KS_ERR_PARSE, "DER: high tag numbers are not used here");
	if (b < 0x80) {
		len = b;
	} else {
		k = b & 0x7f;
		if (k == 0)
			return KS_SET(KS_ERR_PARSE, "DER: indefinite length");
		if (k > DER_LEN_BYTES_MAX)
			return KS_SET(KS_ERR_LIMIT, "DER: %zu length bytes", k);
		for (i = 0; i < k; i++) {
			if (ks_cur_u8(&t, &b) < 0)
				return -1;
			if (i == 0 && b == 0)
				return KS_SET(KS_ERR_PARSE, "DER: length not minimal");
			len = (len << 8) | b;
		}
		if (len < 0x80)
			return KS_SET(KS_ERR_PARSE, "DER: long form for a short length");
	}
	if (ks_cur_sub(&t, len, val) < 0)
		return -1;
	*tag = tg;
	*c = t;
	return 0;
}

int ks_der_expect(struct ks_cur *c, uint8_t tag, struct ks_cur *val)
{
	struct ks_cur t = *c;
	uint8_t got;

	if (ks_der_read(&t, &got, val) < 0)
		return -1;
	if (got != tag)
		return KS_SET(KS_ERR_PARSE, "DER: tag 0x%02x where 0x%02x was expected", got, tag);
	*c = t;
	return 0;
}

/* AlgorithmIdentifier of a hash: OID, parameters absent or NULL
 * (RFC 5754 2). */
static int read_hash_alg(struct ks_cur *alg, int *nid)
{
	struct ks_cur before = *alg, oid, params;
	const unsigned char *p;
	ASN1_OBJECT *o = NULL;
	size_t used;
	long len;
	uint8_t tag;

	if (ks_der_expect(alg, DER_TAG_OID, &oid) < 0)
		return -1;
	used = ks_cur_pos(&before, alg);
	if (!ks_cur_eof(alg)) {
		if (ks_der_read(alg, &tag, &params) < 0)
			return -1;
		if (tag != DER_TAG_NULL || !ks_cur_eof(&params) || !ks_cur_eof(alg))
			return KS_SET(KS_ERR_PARSE, "ESS: hash algorithm with parameters");
	}
	if (used > (size_t)LONG_MAX)
		return KS_SET(KS_ERR_OVERFLOW, "ESS: OID too long");
	len = (long)used;
	if (ks_cur_bytes(&before, used, &p) < 0)
		return -1;
	o = d2i_ASN1_OBJECT(NULL, &p, len);
	if (o == NULL) {
		ERR_clear_error();
		return KS_SET(KS_ERR_PARSE, "ESS: bad hash algorithm OID");
	}
	*nid = OBJ_obj2nid(o);
	ASN1_OBJECT_free(o);
	return 0;
}

int ks_cms_ess_parse(const uint8_t *der, size_t n, bool v1, struct ks_cms_ess *out)
{
	struct ks_cur all, sc, certs, id, hash, is, names, rest;
	uint8_t tag;
	size_t count = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	ks_cur_init(&all, der, n);
	/* SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ...,
	 * policies SEQUENCE OF PolicyInformation OPTIONAL } */
	KS_GUARD(ks_der_expect(&all, DER_TAG_SEQUENCE, &sc));
	KS_ENSURE(ks_cur_eof(&all), KS_ERR_PARSE, "ESS: bytes after the attribute value");
	KS_GUARD(ks_der_expect(&sc, DER_TAG_SEQUENCE, &certs));
	if (!ks_cur_eof(&sc)) {
		KS_GUARD(ks_der_expect(&sc, DER_TAG_SEQUENCE, &rest));
		KS_ENSURE(ks_cur_eof(&sc), KS_ERR_PARSE, "ESS: bytes after policies");
	}
	KS_ENSURE(!ks_cur_eof(&certs), KS_ERR_PARSE, "ESS: empty certificate list");
	/* The first entry names the signer certificate (RFC 5035 5.4); the
	 * others (issuing CAs) are only checked for shape and counted. */
	KS_GUARD(ks_der_expect(&certs, DER_TAG_SEQUENCE, &id));
	for (count = 1; !ks_cur_eof(&certs); count++) {
		KS_ENSURE(count < KS_CMS_ESS_IDS_MAX, KS_ERR_LIMIT, "ESS: more than %d entries",
			  KS_CMS_ESS_IDS_MAX);
		KS_GUARD(ks_der_expect(&certs, DER_TAG_SEQUENCE, &rest));
	}
	out->v1 = v1;
	out->hash_nid = v1 ? NID_sha1 : NID_sha256; /* v2 DEFAULT id-sha256 */
	KS_GUARD(ks_der_read(&id, &tag, &hash));
	if (!v1 && tag == DER_TAG_SEQUENCE) {
		KS_GUARD(read_hash_alg(&hash, &out->hash_nid));
		KS_GUARD(ks_der_read(&id, &tag, &hash));
	}
	KS_ENSURE(tag == DER_TAG_OCTET_STRING, KS_ERR_PARSE,
		  "ESS: certHash is not an OCTET STRING");
	KS_ENSURE(hash.left > 0 && hash.left <= ESS_HASH_MAX, KS_ERR_PARSE,
		  "ESS: certHash of %zu bytes", hash.left);
	out->hash = hash;
	if (!ks_cur_eof(&id)) {
		/* IssuerSerial ::= SEQUENCE { issuer GeneralNames,
		 * serialNumber CertificateSerialNumber } */
		struct ks_cur before;

		KS_GUARD(ks_der_expect(&id, DER_TAG_SEQUENCE, &is));
		KS_ENSURE(ks_cur_eof(&id), KS_ERR_PARSE, "ESS: bytes after issuerSerial");
		KS_GUARD(ks_der_expect(&is, DER_TAG_SEQUENCE, &names));
		before = is;
		KS_GUARD(ks_der_expect(&is, DER_TAG_INTEGER, &rest));
		KS_ENSURE(rest.left > 0, KS_ERR_PARSE, "ESS: empty serial number");
		KS_ENSURE(ks_cur_eof(&is), KS_ERR_PARSE, "ESS: bytes after serialNumber");
		KS_GUARD(ks_cur_range(&before, 0, ks_cur_pos(&before, &is), &out->serial));
		out->issuer_names = names;
		out->has_issuer_serial = true;
	}
	rc = 0;
out:
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* Is `issuer` (DER Name) one of the directoryName entries of GeneralNames? */
static int names_contain(struct ks_cur names, const unsigned char *issuer, size_t ilen, bool *found)
{
	struct ks_cur gn;
	uint8_t tag;

	*found = false;
	while (!ks_cur_eof(&names)) {
		if (ks_der_read(&names, &tag, &gn) < 0)
			return -1;
		if (tag == DER_TAG_DIRECTORY_NAME && ks_cur_is(&gn, issuer, ilen))
			*found = true;
	}
	return 0;
}

int ks_cms_ess_match(const struct ks_cms_ess *e, X509 *cert, bool *match, const char **why)
{
	unsigned char h[EVP_MAX_MD_SIZE], *sdera = NULL;
	const unsigned char *ider = NULL;
	unsigned int hlen = 0;
	size_t ilen = 0;
	EVP_MD *md = NULL;
	int slen, rc = -1;
	bool found;

	*match = false;
	*why = "";
	md = ks_cms_md_fetch(e->hash_nid);
	if (md == NULL)
		KS_BAIL(KS_ERR_UNSUPPORTED, "ESS: unsupported certificate hash algorithm");
	if (X509_digest(cert, md, h, &hlen) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "hashing the signer certificate");
	if (!ks_cur_is(&e->hash, h, hlen)) {
		*why = "certificate hash differs";
		rc = 0;
		goto out;
	}
	if (e->has_issuer_serial) {
		slen = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &sdera);
		if (slen <= 0)
			KS_BAIL_OSSL(KS_ERR_CRYPTO, "encoding the serial number");
		if (!ks_cur_is(&e->serial, sdera, (size_t)slen)) {
			*why = "serial number differs";
			rc = 0;
			goto out;
		}
		if (X509_NAME_get0_der(X509_get_issuer_name(cert), &ider, &ilen) != 1)
			KS_BAIL_OSSL(KS_ERR_CRYPTO, "encoding the issuer name");
		KS_GUARD(names_contain(e->issuer_names, ider, ilen, &found));
		if (!found) {
			*why = "issuer name differs";
			rc = 0;
			goto out;
		}
	}
	*match = true;
	rc = 0;
out:
	OPENSSL_free(sdera);
	EVP_MD_free(md);
	return rc;
}
