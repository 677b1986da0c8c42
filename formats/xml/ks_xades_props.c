/* The XAdES part of a signature's facts (ETSI EN 319 132-1 4.3, 5.2):
 * QualifyingProperties bound to this signature, the signed properties,
 * the certificates carried, and the signer certificate -- only the one
 * SigningCertificateV2 (or v1) names, never "a key found in KeyInfo"
 * (W3C XML Signature Best Practices 3.2): a KeyInfo that designates any
 * other key makes the signature fail. */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "formats/xml/ks_xades.h"
#include "ks_codec.h"
#include "ks_cur.h"

#define SERIAL_DIGITS_MAX 80 /* X509SerialNumber (decimal) */
#define POINT_MAX 160        /* encoded EC public key */
#define TIME_MAX 64          /* xs:dateTime text */

/* ---- time ---- */

static bool two(struct ks_cur *c, size_t digits, uint64_t max, int *v)
{
	uint64_t u;
	const struct ks_cur save = *c;

	if (ks_cur_decimal(c, digits, max, &u) < 0 || (size_t)(save.left - c->left) != digits) {
		ks_err_clear();
		return false;
	}
	*v = (int)u;
	return true;
}

static bool is_ws(uint8_t b)
{
	return b == ' ' || b == '\n' || b == '\t' || b == '\r';
}

static bool is_digit(uint8_t b)
{
	return b >= '0' && b <= '9';
}

/* xs:dateTime: YYYY-MM-DDThh:mm:ss[.fff][Z|(+|-)hh:mm]; no zone = UTC. */
bool ks_xades_parse_time(const char *s, time_t *t)
{
	struct ks_cur c;
	struct tm tm;
	int y, mo, d, h, mi, se, zh = 0, zm = 0, sign = 0;
	uint8_t b;

	memset(&tm, 0, sizeof(tm));
	ks_cur_init(&c, s, strnlen(s, TIME_MAX));
	ks_cur_skip_while(&c, is_ws);
	if (!two(&c, 4, 9999, &y) || !ks_cur_accept(&c, "-", 1) || !two(&c, 2, 12, &mo) ||
	    !ks_cur_accept(&c, "-", 1) || !two(&c, 2, 31, &d) || !ks_cur_accept(&c, "T", 1) ||
	    !two(&c, 2, 23, &h) || !ks_cur_accept(&c, ":", 1) || !two(&c, 2, 59, &mi) ||
	    !ks_cur_accept(&c, ":", 1) || !two(&c, 2, 60, &se) || mo < 1 || d < 1)
		goto bad;
	if (ks_cur_accept(&c, ".", 1))
		ks_cur_skip_while(&c, is_digit);
	if (ks_cur_accept(&c, "Z", 1)) {
		sign = 0;
	} else if (ks_cur_peek(&c, &b) == 0 && (b == '+' || b == '-')) {
		sign = b == '+' ? 1 : -1;
		if (ks_cur_u8(&c, &b) < 0 || !two(&c, 2, 14, &zh) || !ks_cur_accept(&c, ":", 1) ||
		    !two(&c, 2, 59, &zm))
			goto bad;
	}
	ks_cur_skip_while(&c, is_ws);
	if (!ks_cur_eof(&c))
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*t = timegm(&tm) - (time_t)sign * ((time_t)zh * 3600 + (time_t)zm * 60);
	return true;
bad:
	ks_err_clear();
	return false;
}

/* ---- certificates ---- */

int ks_xades_b64(const xmlNode *el, size_t max, struct ks_buf *out, bool *ok)
{
	struct ks_buf t;
	int rc = -1;

	*ok = false;
	ks_buf_init(&t, max * 2 + 1024);
	if (ks_xml_text(el, max * 2 + 1024, &t) < 0 ||
	    ks_base64_decode((const char *)t.data, t.len, true, out) < 0) {
		if (ks_err_code() == KS_ERR_NOMEM)
			goto out;
		ks_err_clear();
		rc = 0;
		goto out;
	}
	*ok = out->len > 0 && out->len <= max;
	rc = 0;
out:
	ks_buf_cleanup(&t);
	return rc;
}

/* A base64 DER certificate element into f->certs. */
static int add_cert(const xmlNode *el, struct ks_xades_sig_facts *f, struct ks_dsig_problem *p)
{
	struct ks_buf der;
	const unsigned char *q;
	X509 *x = NULL;
	bool ok;
	int rc = -1;

	ks_buf_init(&der, KS_XADES_CERT_DER_MAX + 1);
	KS_GUARD(ks_xades_b64(el, KS_XADES_CERT_DER_MAX, &der, &ok));
	if (ok) {
		q = der.data;
		x = d2i_X509(NULL, &q, (long)der.len);
		ok = x != NULL && q == der.data + der.len;
		ERR_clear_error();
	}
	if (!ok) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "<%s> does not hold a certificate",
			     (const char *)el->name);
	} else if (sk_X509_num(f->certs) >= KS_XADES_CERTS_MAX) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "more than %d certificates",
			     KS_XADES_CERTS_MAX);
	} else {
		if (sk_X509_push(f->certs, x) <= 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		x = NULL;
	}
	rc = 0;
out:
	X509_free(x);
	ks_buf_cleanup(&der);
	return rc;
}

/* An end-entity certificate of a set: one that issued no other
 * certificate of it (test CAs and some signers have CA:TRUE, so the
 * basicConstraints flag alone does not tell). */
static bool issues_another(X509 *x, STACK_OF(X509) * set, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		X509 *y = sk_X509_value(set, i);

		if (y != x && X509_cmp(x, y) != 0 && X509_check_issued(x, y) == X509_V_OK)
			return true;
	}
	return false;
}

/* ---- QualifyingProperties ---- */

static xmlNodePtr find_qp(const xmlNode *sig, size_t *count)
{
	xmlNodePtr obj, qp, found = NULL;

	*count = 0;
	for (obj = ks_xml_first(sig, KS_NS_DS, "Object"); obj != NULL;
	     obj = ks_xml_next(obj, KS_NS_DS, "Object"))
		for (qp = ks_xml_first(obj, KS_NS_XADES, "QualifyingProperties"); qp != NULL;
		     qp = ks_xml_next(qp, KS_NS_XADES, "QualifyingProperties")) {
			if (found == NULL)
				found = qp;
			++*count;
		}
	return found;
}

static void text_into(const xmlNode *el, char *buf, size_t n)
{
	struct ks_buf t;

	ks_buf_init(&t, n - 1);
	if (ks_xml_text(el, n - 1, &t) < 0) {
		ks_err_clear();
		ks_buf_reset(&t);
		if (ks_buf_append_str(&t, "(unreadable)") < 0)
			ks_err_clear();
	}
	snprintf(buf, n, "%.*s", (int)t.len, t.data != NULL ? (const char *)t.data : "");
	ks_buf_cleanup(&t);
}

/* Claimed roles (SignerRoleV2 or SignerRole), joined with "; ". */
static void roles(const xmlNode *sr, struct ks_xades_sig_facts *f)
{
	const xmlNode *cr = ks_xml_first(sr, KS_NS_XADES, "ClaimedRoles"), *r;
	char one[KS_XADES_ROLE_MAX];
	size_t used;

	for (r = ks_xml_first(cr, KS_NS_XADES, "ClaimedRole"); r != NULL;
	     r = ks_xml_next(r, KS_NS_XADES, "ClaimedRole")) {
		text_into(r, one, sizeof(one));
		used = strlen(f->role);
		snprintf(f->role + used, sizeof(f->role) - used, "%s%s", used > 0 ? "; " : "", one);
	}
}

/* Minimal DER TLV (definite length, up to 4 length bytes). */
static int tlv(struct ks_cur *c, uint8_t *tag, struct ks_cur *val)
{
	uint8_t b, k;
	size_t len = 0;
	struct ks_cur save = *c;

	if (ks_cur_u8(c, tag) < 0 || ks_cur_u8(c, &b) < 0)
		goto bad;
	if (b & 0x80) {
		k = b & 0x7f;
		if (k == 0 || k > 4)
			goto bad;
		while (k-- > 0) {
			if (ks_cur_u8(c, &b) < 0)
				goto bad;
			len = len << 8 | b;
		}
	} else {
		len = b;
	}
	if (ks_cur_sub(c, len, val) < 0)
		goto bad;
	return 0;
bad:
	*c = save;
	ks_err_clear();
	return -1;
}

/* RFC 5035 IssuerSerial against a certificate: a directoryName equal to
 * its issuer and the same serial number. */
static bool issuer_serial_matches(const uint8_t *der, size_t n, X509 *cert)
{
	struct ks_cur c, seq, gns, gn, ser;
	const unsigned char *q;
	X509_NAME *name = NULL;
	ASN1_INTEGER *serial = NULL;
	bool name_ok = false, ok = false;
	uint8_t tag;

	ks_cur_init(&c, der, n);
	if (tlv(&c, &tag, &seq) < 0 || tag != 0x30 || !ks_cur_eof(&c) ||
	    tlv(&seq, &tag, &gns) < 0 || tag != 0x30)
		return false;
	while (!ks_cur_eof(&gns)) {
		if (tlv(&gns, &tag, &gn) < 0)
			return false;
		if (tag != 0xa4)
			continue;
		q = gn.p;
		name = d2i_X509_NAME(NULL, &q, (long)gn.left);
		name_ok = name_ok ||
			  (name != NULL && X509_NAME_cmp(name, X509_get_issuer_name(cert)) == 0);
		X509_NAME_free(name);
		name = NULL;
	}
	ser = seq;
	q = ser.p;
	serial = d2i_ASN1_INTEGER(NULL, &q, (long)ser.left);
	ok = name_ok && serial != NULL && q == ser.p + ser.left &&
	     ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(cert)) == 0;
	ASN1_INTEGER_free(serial);
	ERR_clear_error();
	return ok;
}

static bool serial_matches(const xmlNode *is, X509 *cert)
{
	const xmlNode *sn = ks_xml_first(is, KS_NS_DS, "X509SerialNumber");
	char text[SERIAL_DIGITS_MAX + 1];
	BIGNUM *a = NULL, *b = NULL;
	size_t i, k;
	bool ok = false;

	if (sn == NULL)
		return false;
	text_into(sn, text, sizeof(text));
	for (i = 0, k = 0; text[i] != '\0'; i++)
		if (text[i] != ' ' && text[i] != '\n' && text[i] != '\r' && text[i] != '\t')
			text[k++] = text[i];
	text[k] = '\0';
	if (k == 0 || BN_dec2bn(&a, text) != (int)k)
		goto out;
	b = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	ok = b != NULL && BN_cmp(a, b) == 0;
out:
	BN_free(a);
	BN_free(b);
	ERR_clear_error();
	return ok;
}

/* SigningCertificateV2 / SigningCertificate: the first xades:Cert names
 * the signer certificate (EN 319 132-1 5.2.2). */
static int identify(const xmlNode *sc, bool v1, STACK_OF(X509) * pool, struct ks_xades_sig_facts *f,
		    struct ks_dsig_problem *sp)
{
	const xmlNode *cert = ks_xml_first(sc, KS_NS_XADES, "Cert"), *cd, *dm, *dv, *is;
	const EVP_MD *md;
	struct ks_buf want, isd;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned hl = 0;
	X509 *found = NULL;
	int i, rc = -1;
	bool ok;

	ks_buf_init(&want, EVP_MAX_MD_SIZE);
	ks_buf_init(&isd, 1 << 16);
	f->signer_v1 = v1;
	cd = ks_xml_first(cert, KS_NS_XADES, "CertDigest");
	dm = ks_xml_first(cd, KS_NS_DS, "DigestMethod");
	dv = ks_xml_first(cd, KS_NS_DS, "DigestValue");
	f->signer_ref_md_nid = dm != NULL ? ks_dsig_md_nid(ks_xml_attr(dm, "Algorithm")) : 0;
	md = f->signer_ref_md_nid != NID_undef ? EVP_get_digestbynid(f->signer_ref_md_nid) : NULL;
	if (cert == NULL || dv == NULL || md == NULL) {
		ks_dsig_fail(sp, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
			     "SigningCertificate%s has no usable CertDigest", v1 ? "" : "V2");
		goto done;
	}
	KS_GUARD(ks_xades_b64(dv, EVP_MAX_MD_SIZE, &want, &ok));
	if (!ok || want.len != (size_t)EVP_MD_get_size(md)) {
		ks_dsig_fail(sp, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
			     "the CertDigest of SigningCertificate%s is malformed", v1 ? "" : "V2");
		goto done;
	}
	for (i = 0; i < sk_X509_num(pool) && found == NULL; i++) {
		if (X509_digest(sk_X509_value(pool, i), md, h, &hl) != 1)
			KS_BAIL_OSSL(KS_ERR_CRYPTO, "certificate digest");
		if (hl == want.len && CRYPTO_memcmp(h, want.data, hl) == 0)
			found = sk_X509_value(pool, i);
	}
	if (found == NULL) {
		ks_dsig_fail(sp, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
			     "no certificate carried by the signature has the digest "
			     "SigningCertificate%s names",
			     v1 ? "" : "V2");
		goto done;
	}
	if (!v1 && (is = ks_xml_first(cert, KS_NS_XADES, "IssuerSerialV2")) != NULL) {
		KS_GUARD(ks_xades_b64(is, 1 << 15, &isd, &ok));
		if (!ok || !issuer_serial_matches(isd.data, isd.len, found)) {
			ks_dsig_fail(sp, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
				     "IssuerSerialV2 does not name the certificate of CertDigest");
			goto done;
		}
	}
	if (v1 && (is = ks_xml_first(cert, KS_NS_XADES, "IssuerSerial")) != NULL &&
	    !serial_matches(is, found)) {
		ks_dsig_fail(sp, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
			     "IssuerSerial does not name the certificate of CertDigest");
		goto done;
	}
	if (X509_up_ref(found) != 1)
		KS_BAIL(KS_ERR_INTERNAL, "certificate reference");
	f->signer = found;
	f->signer_bound = true;
done:
	rc = 0;
out:
	ks_buf_cleanup(&want);
	ks_buf_cleanup(&isd);
	return rc;
}

/* ---- KeyInfo ---- */

static bool bn_of(const xmlNode *el, BIGNUM **bn)
{
	struct ks_buf b;
	bool ok = false;

	ks_buf_init(&b, 2048);
	if (el != NULL && ks_xades_b64(el, 2048, &b, &ok) == 0 && ok)
		*bn = BN_bin2bn(b.data, (int)b.len, NULL);
	ks_buf_cleanup(&b);
	ks_err_clear();
	return ok && *bn != NULL;
}

/* Does a KeyValue hold the public key of `cert`? */
static bool key_value_matches(const xmlNode *kv, X509 *cert)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	const xmlNode *rsa = ks_xml_first(kv, KS_NS_DS, "RSAKeyValue");
	const xmlNode *ec = ks_xml_first(kv, KS_NS_DS11, "ECKeyValue");
	BIGNUM *n = NULL, *e = NULL, *cn = NULL, *ce = NULL;
	unsigned char pt[POINT_MAX];
	size_t ptlen = 0;
	struct ks_buf b;
	bool ok = false;

	ks_buf_init(&b, POINT_MAX);
	if (pub == NULL)
		goto out;
	if (rsa != NULL) {
		ok = bn_of(ks_xml_first(rsa, KS_NS_DS, "Modulus"), &n) &&
		     bn_of(ks_xml_first(rsa, KS_NS_DS, "Exponent"), &e) &&
		     EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &cn) == 1 &&
		     EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &ce) == 1 &&
		     BN_cmp(n, cn) == 0 && BN_cmp(e, ce) == 0;
	} else if (ec != NULL) {
		ok = ks_xades_b64(ks_xml_first(ec, KS_NS_DS11, "PublicKey"), POINT_MAX, &b, &ok) ==
			 0 &&
		     ok &&
		     EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
						     sizeof(pt), &ptlen) == 1 &&
		     ptlen == b.len && CRYPTO_memcmp(pt, b.data, ptlen) == 0;
	}
out:
	BN_free(n);
	BN_free(e);
	BN_free(cn);
	BN_free(ce);
	ks_buf_cleanup(&b);
	ks_err_clear();
	ERR_clear_error();
	return ok;
}

static void common_name(X509 *x, char *buf, size_t n)
{
	const X509_NAME *nm = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
	unsigned char *u = NULL;
	int len =
	    i < 0 ? -1
		  : ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i)));

	snprintf(buf, n, "%.*s", len > 0 ? len : 1, len > 0 ? (const char *)u : "?");
	OPENSSL_free(u);
	ERR_clear_error();
}

/* Every key KeyInfo designates must be the signer's: a KeyValue of
 * another key, or an end-entity certificate that is not the signer's,
 * is a substitution attempt. */
static void check_key_info(const xmlNode *ki, size_t n_ki_certs, struct ks_xades_sig_facts *f,
			   struct ks_dsig_problem *p)
{
	const xmlNode *kv;
	char name[256];
	int i;

	for (kv = ks_xml_first(ki, KS_NS_DS, "KeyValue"); kv != NULL;
	     kv = ks_xml_next(kv, KS_NS_DS, "KeyValue"))
		if (!key_value_matches(kv, f->signer)) {
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
				     "KeyInfo holds a KeyValue that is not the key of the signer "
				     "certificate SigningCertificateV2 names");
			return;
		}
	for (i = 0; i < (int)n_ki_certs && i < sk_X509_num(f->certs); i++) {
		X509 *x = sk_X509_value(f->certs, i);

		if (X509_cmp(x, f->signer) == 0 || issues_another(x, f->certs, (int)n_ki_certs))
			continue;
		common_name(x, name, sizeof(name));
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "KeyInfo carries an end-entity certificate (CN=%.80s) that is not the "
			     "certificate SigningCertificateV2 names",
			     name);
		return;
	}
}

/* Plain XMLDSig: the one end-entity certificate of KeyInfo. */
static int signer_from_key_info(const xmlNode *ki, size_t n_ki, struct ks_xades_sig_facts *f,
				struct ks_dsig_problem *sp)
{
	X509 *leaf = NULL;
	int i, leaves = 0;

	ERR_set_mark();
	for (i = 0; i < (int)n_ki; i++) {
		X509 *x = sk_X509_value(f->certs, i);

		if (!issues_another(x, f->certs, (int)n_ki)) {
			leaf = x;
			leaves++;
		}
	}
	ERR_pop_to_mark();
	if (leaves != 1) {
		ks_dsig_fail(sp, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
			     leaves == 0 && ks_xml_first(ki, KS_NS_DS, "KeyValue") != NULL
				 ? "the signature names its key only by a bare KeyValue, without a "
				   "certificate"
			     : leaves == 0 ? "the signature carries no signer certificate"
					   : "KeyInfo carries several end-entity certificates: the "
					     "signer cannot be told");
		return 0;
	}
	if (X509_up_ref(leaf) != 1)
		return KS_SET(KS_ERR_INTERNAL, "certificate reference");
	f->signer = leaf;
	check_key_info(ki, n_ki, f, sp);
	return 0;
}

static void unsigned_props(const xmlNode *qp, struct ks_xades_sig_facts *f)
{
	const xmlNode *up = ks_xml_first(qp, KS_NS_XADES, "UnsignedProperties"), *usp, *c;

	usp = ks_xml_first(up, KS_NS_XADES, "UnsignedSignatureProperties");
	if (up != NULL && ks_xml_first(up, NULL, NULL) != usp)
		f->unsigned_props |= KS_XADES_U_OTHER;
	for (c = ks_xml_first(usp, NULL, NULL); c != NULL; c = ks_xml_next(c, NULL, NULL)) {
		if (ks_xml_is(c, KS_NS_XADES, "SignatureTimeStamp"))
			f->unsigned_props |= KS_XADES_U_SIG_TIMESTAMP;
		else if (ks_xml_is(c, KS_NS_XADES, "CertificateValues"))
			f->unsigned_props |= KS_XADES_U_CERT_VALUES;
		else if (ks_xml_is(c, KS_NS_XADES, "RevocationValues"))
			f->unsigned_props |= KS_XADES_U_REV_VALUES;
		else if (ks_xml_is(c, KS_NS_XADES141, "ArchiveTimeStamp"))
			f->unsigned_props |= KS_XADES_U_ARCHIVE_TIMESTAMP;
		else if (ks_xml_is(c, KS_NS_XADES, "CounterSignature"))
			f->unsigned_props |= KS_XADES_U_COUNTER_SIG;
		else
			f->unsigned_props |= KS_XADES_U_OTHER;
	}
}

/* SignedProperties of this signature: referenced once from this
 * SignedInfo with the SignedProperties Type, inside this signature's
 * QualifyingProperties, whose Target names this signature. */
static const xmlNode *bound_props(const struct ks_dsig *s, const xmlNode *qp,
				  struct ks_dsig_problem *p)
{
	const char *target = ks_xml_attr(qp, "Target"), *sid = ks_xml_attr(s->sig, "Id");
	const xmlNode *sp = ks_xml_first(qp, KS_NS_XADES, "SignedProperties");
	size_t i, refs = 0;

	if (sid == NULL || target == NULL || target[0] != '#' || strcmp(target + 1, sid) != 0) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "QualifyingProperties Target does not point at this signature");
		return NULL;
	}
	if (sp == NULL || ks_xml_next(sp, KS_NS_XADES, "SignedProperties") != NULL) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "QualifyingProperties must hold one SignedProperties");
		return NULL;
	}
	for (i = 0; i < s->n_refs; i++) {
		const struct ks_dsig_ref *r = &s->refs[i];
		bool typed = r->type != NULL && strcmp(r->type, KS_XADES_SP_TYPE) == 0;

		if (r->target == sp) {
			if (!typed) {
				ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
					     "the reference to SignedProperties lacks Type=\"%s\"",
					     KS_XADES_SP_TYPE);
				return NULL;
			}
			refs++;
		} else if (typed) {
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
				     "a SignedProperties reference points at other properties than "
				     "this signature's");
			return NULL;
		}
	}
	if (refs != 1) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     refs == 0 ? "SignedProperties is not signed: no reference to it from "
					 "SignedInfo"
				       : "SignedProperties is referenced more than once");
		return NULL;
	}
	return sp;
}

static void signed_sig_props(const xmlNode *sp, struct ks_xades_sig_facts *f,
			     struct ks_dsig_problem *p)
{
	const xmlNode *ssp = ks_xml_first(sp, KS_NS_XADES, "SignedSignatureProperties"), *c, *id;
	char when[TIME_MAX];

	c = ks_xml_first(ssp, KS_NS_XADES, "SigningTime");
	if (c != NULL) {
		text_into(c, when, sizeof(when));
		if (!ks_xades_parse_time(when, &f->signing_time)) {
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "malformed SigningTime '%.40s'",
				     when);
			return;
		}
		f->has_signing_time = true;
	}
	c = ks_xml_first(ssp, KS_NS_XADES, "SignaturePolicyIdentifier");
	id = ks_xml_first(ks_xml_first(ks_xml_first(c, KS_NS_XADES, "SignaturePolicyId"),
				       KS_NS_XADES, "SigPolicyId"),
			  KS_NS_XADES, "Identifier");
	if (id != NULL)
		text_into(id, f->policy, sizeof(f->policy));
	else if (c != NULL)
		snprintf(f->policy, sizeof(f->policy), "(implied)");
	c = ks_xml_first(ssp, KS_NS_XADES, "SignerRoleV2");
	if (c == NULL)
		c = ks_xml_first(ssp, KS_NS_XADES, "SignerRole");
	if (c != NULL)
		roles(c, f);
}

int ks_xades_props(const struct ks_xml_doc *d, const struct ks_dsig *s,
		   const struct ks_xades_verify_opts *o, struct ks_xades_sig_facts *f,
		   struct ks_dsig_problem *p, struct ks_dsig_problem *signer_p)
{
	const xmlNode *qp, *sp = NULL, *ssp, *c, *x, *usp;
	STACK_OF(X509) *pool = NULL;
	size_t n_qp, n_ki, i;
	int j, rc = -1;

	(void)d;
	/* certificates: KeyInfo first, then CertificateValues */
	for (x = ks_xml_first(s->key_info, KS_NS_DS, "X509Data"); x != NULL;
	     x = ks_xml_next(x, KS_NS_DS, "X509Data"))
		for (c = ks_xml_first(x, KS_NS_DS, "X509Certificate"); c != NULL;
		     c = ks_xml_next(c, KS_NS_DS, "X509Certificate"))
			KS_GUARD(add_cert(c, f, p));
	n_ki = (size_t)sk_X509_num(f->certs);
	qp = find_qp(s->sig, &n_qp);
	if (qp != NULL) {
		usp = ks_xml_first(ks_xml_first(qp, KS_NS_XADES, "UnsignedProperties"), KS_NS_XADES,
				   "UnsignedSignatureProperties");
		for (c = ks_xml_first(ks_xml_first(usp, KS_NS_XADES, "CertificateValues"),
				      KS_NS_XADES, "EncapsulatedX509Certificate");
		     c != NULL; c = ks_xml_next(c, KS_NS_XADES, "EncapsulatedX509Certificate"))
			KS_GUARD(add_cert(c, f, p));
		unsigned_props(qp, f);
	}
	pool = sk_X509_dup(f->certs);
	if (pool == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (j = 0; o != NULL && o->extra_certs != NULL && j < sk_X509_num(o->extra_certs); j++)
		if (sk_X509_push(pool, sk_X509_value(o->extra_certs, j)) <= 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (n_qp > 1) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "more than one QualifyingProperties");
		goto done;
	}
	if (qp == NULL) {
		/* plain XMLDSig: no SignedProperties may be referenced */
		for (i = 0; i < s->n_refs; i++)
			if (s->refs[i].type != NULL &&
			    strcmp(s->refs[i].type, KS_XADES_SP_TYPE) == 0)
				ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
					     "a SignedProperties reference points outside this "
					     "signature");
		KS_GUARD(signer_from_key_info(s->key_info, n_ki, f, signer_p));
		goto done;
	}
	sp = bound_props(s, qp, p);
	if (sp == NULL)
		goto done;
	f->xades = true;
	signed_sig_props(sp, f, p);
	ssp = ks_xml_first(sp, KS_NS_XADES, "SignedSignatureProperties");
	if ((c = ks_xml_first(ssp, KS_NS_XADES, "SigningCertificateV2")) != NULL)
		KS_GUARD(identify(c, false, pool, f, signer_p));
	else if ((c = ks_xml_first(ssp, KS_NS_XADES, "SigningCertificate")) != NULL)
		KS_GUARD(identify(c, true, pool, f, signer_p));
	else
		ks_dsig_fail(signer_p, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
			     "no SigningCertificateV2: the signature does not bind its signer "
			     "certificate (KeyInfo alone can be replaced)");
	if (f->signer != NULL)
		check_key_info(s->key_info, n_ki, f, signer_p);
done:
	rc = 0;
out:
	sk_X509_free(pool);
	return rc;
}
