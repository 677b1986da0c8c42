/* XAdES baseline B-B signing (ETSI EN 319 132-1 4 and 5.2; XMLDSig 1.1).
 *
 * The signature is built in the libxml2 tree where it will live, so that
 * every canonical form kyso hashes is the one a verifier recomputes after
 * parsing the output: data reference, SignedProperties, then SignedInfo,
 * whose hash the key signs.  An enveloped signature is serialized alone
 * and inserted into the record's own bytes before the root's end tag;
 * the record is otherwise kept byte for byte. */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "formats/xml/ks_xades.h"
#include "ks_codec.h"
#include "ks_size.h"

#define ID_MAX 64
#define SIG_OUT_MAX ((size_t)1 << 20) /* one serialized ds:Signature */
#define CERT_B64_MAX (KS_XADES_CERT_DER_MAX * 2)

struct build {
	struct ks_xml_doc *d;
	struct ks_key *key;
	const struct ks_xades_sign_opts *o;
	xmlNodePtr sig, signed_info, sig_value;
	xmlNsPtr ds;
	char sig_id[ID_MAX / 2], sp_id[ID_MAX], ref_id[ID_MAX], sv_id[ID_MAX];
	/* the data reference */
	struct ks_dsig_ref data;
	xmlNodePtr data_dv;
	const uint8_t *ext; /* DETACHED content */
	size_t ext_len;
	struct ks_dsig_ref props;
	xmlNodePtr props_dv;
};

void ks_xades_sign_opts_init(struct ks_xades_sign_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = KS_XADES_ENVELOPED;
	o->md = KS_MD_SHA256;
	o->scheme = KS_SIG_RSA_PKCS1;
	o->policy_md = KS_MD_SHA256;
}

static xmlNodePtr el(xmlNodePtr parent, xmlNsPtr ns, const char *name)
{
	return xmlNewChild(parent, ns, (const xmlChar *)name, NULL);
}

static xmlNodePtr text_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	return xmlNewTextChild(parent, ns, (const xmlChar *)name, (const xmlChar *)text);
}

static int set_attr(xmlNodePtr n, const char *name, const char *value)
{
	if (n == NULL || xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)value) == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	return 0;
}

static int b64_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, const uint8_t *p, size_t n,
		  xmlNodePtr *made)
{
	struct ks_buf t;
	const char *s;
	xmlNodePtr e;
	int rc = -1;

	ks_buf_init(&t, CERT_B64_MAX);
	KS_GUARD(ks_base64_encode(p, n, &t));
	KS_GUARD(ks_buf_cstr(&t, &s));
	e = text_el(parent, ns, name, s);
	if (e == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (made != NULL)
		*made = e;
	rc = 0;
out:
	ks_buf_cleanup(&t);
	return rc;
}

/* ds:DigestMethod + ds:DigestValue (empty until filled). */
static int digest_pair(xmlNodePtr parent, xmlNsPtr ds, enum ks_md md, xmlNodePtr *dv)
{
	xmlNodePtr dm = el(parent, ds, "DigestMethod");

	if (dm == NULL || set_attr(dm, "Algorithm", ks_dsig_md_uri(md)) < 0)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	*dv = el(parent, ds, "DigestValue");
	return *dv == NULL ? KS_SET(KS_ERR_NOMEM, "out of memory") : 0;
}

static int set_b64_text(xmlNodePtr n, const uint8_t *p, size_t len)
{
	struct ks_buf t;
	const char *s;
	int rc = -1;

	ks_buf_init(&t, SIG_OUT_MAX);
	KS_GUARD(ks_base64_encode(p, len, &t));
	KS_GUARD(ks_buf_cstr(&t, &s));
	xmlNodeSetContent(n, (const xmlChar *)s);
	rc = 0;
out:
	ks_buf_cleanup(&t);
	return rc;
}

void ks_xades_format_time(time_t t, char *buf, size_t n)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "1970-01-01T00:00:00Z");
}

/* RFC 5035 IssuerSerial: SEQUENCE { GeneralNames (one directoryName),
 * INTEGER }, DER. */
static int der_header(struct ks_buf *out, uint8_t tag, size_t len)
{
	uint8_t h[6];
	size_t k = 0;

	h[k++] = tag;
	if (len < 0x80) {
		h[k++] = (uint8_t)len;
	} else if (len < 0x100) {
		h[k++] = 0x81;
		h[k++] = (uint8_t)len;
	} else if (len < 0x10000) {
		h[k++] = 0x82;
		h[k++] = (uint8_t)(len >> 8);
		h[k++] = (uint8_t)len;
	} else {
		return KS_SET(KS_ERR_CERT, "issuer name too long");
	}
	return ks_buf_append(out, h, k);
}

int ks_xades_issuer_serial_der(X509 *cert, struct ks_buf *out)
{
	unsigned char *name = NULL, *serial = NULL;
	int nlen, slen, rc = -1;
	struct ks_buf gn, seq;

	ks_buf_init(&gn, 1 << 16);
	ks_buf_init(&seq, 1 << 16);
	nlen = i2d_X509_NAME(X509_get_issuer_name(cert), &name);
	slen = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &serial);
	if (nlen <= 0 || slen <= 0)
		KS_BAIL_OSSL(KS_ERR_CERT, "encoding issuer and serial");
	/* [4] EXPLICIT Name inside GeneralNames */
	KS_GUARD(der_header(&gn, 0xa4, (size_t)nlen));
	KS_GUARD(ks_buf_append(&gn, name, (size_t)nlen));
	KS_GUARD(der_header(&seq, 0x30, gn.len));
	KS_GUARD(ks_buf_append(&seq, gn.data, gn.len));
	KS_GUARD(ks_buf_append(&seq, serial, (size_t)slen));
	KS_GUARD(der_header(out, 0x30, seq.len));
	KS_GUARD(ks_buf_append(out, seq.data, seq.len));
	rc = 0;
out:
	OPENSSL_free(name);
	OPENSSL_free(serial);
	ks_buf_cleanup(&gn);
	ks_buf_cleanup(&seq);
	return rc;
}

static int cert_der(X509 *x, struct ks_buf *out)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der), rc;

	if (n <= 0)
		return KS_SET(KS_ERR_CERT, "encoding a certificate");
	rc = ks_buf_append(out, der, (size_t)n);
	OPENSSL_free(der);
	return rc;
}

/* EN 319 132-1 5.2.2.2 SigningCertificateV2: the signer certificate's
 * digest and IssuerSerialV2. */
static int signing_cert(const struct build *b, xmlNodePtr ssp, xmlNsPtr xa)
{
	xmlNodePtr sc, cert, cd, dv;
	struct ks_buf der, h, is;
	int rc = -1;

	ks_buf_init(&der, KS_XADES_CERT_DER_MAX);
	ks_buf_init(&h, EVP_MAX_MD_SIZE);
	ks_buf_init(&is, 1 << 16);
	sc = el(ssp, xa, "SigningCertificateV2");
	cert = el(sc, xa, "Cert");
	cd = el(cert, xa, "CertDigest");
	if (cd == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(digest_pair(cd, b->ds, b->o->md, &dv));
	KS_GUARD(cert_der(b->key->cert, &der));
	KS_GUARD(ks_md_digest(b->o->md, der.data, der.len, &h));
	KS_GUARD(set_b64_text(dv, h.data, h.len));
	KS_GUARD(ks_xades_issuer_serial_der(b->key->cert, &is));
	KS_GUARD(b64_el(cert, xa, "IssuerSerialV2", is.data, is.len, NULL));
	rc = 0;
out:
	ks_buf_cleanup(&der);
	ks_buf_cleanup(&h);
	ks_buf_cleanup(&is);
	return rc;
}

static int policy(const struct build *b, xmlNodePtr ssp, xmlNsPtr xa)
{
	const struct ks_xades_sign_opts *o = b->o;
	xmlNodePtr spi, spid, id, hash, dv;

	spi = el(ssp, xa, "SignaturePolicyIdentifier");
	spid = el(spi, xa, "SignaturePolicyId");
	id = el(spid, xa, "SigPolicyId");
	if (id == NULL || text_el(id, xa, "Identifier", o->policy_id) == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	hash = el(spid, xa, "SigPolicyHash");
	if (hash == NULL || digest_pair(hash, b->ds, o->policy_md, &dv) < 0)
		return -1;
	if (o->policy_digest == NULL || o->policy_digest_len != ks_md_size(o->policy_md))
		return KS_SET(KS_ERR_ARG, "signature policy without the digest of its document");
	return set_b64_text(dv, o->policy_digest, o->policy_digest_len);
}

/* ds:Object/xades:QualifyingProperties/xades:SignedProperties. */
static int qualifying_props(struct build *b)
{
	const struct ks_xades_sign_opts *o = b->o;
	xmlNodePtr obj, qp, sp, ssp, sdop, dof, roles;
	xmlNsPtr xa;
	char when[32], target[ID_MAX + 1];

	obj = el(b->sig, b->ds, "Object");
	qp = xmlNewChild(obj, NULL, (const xmlChar *)"QualifyingProperties", NULL);
	if (qp == NULL ||
	    (xa = xmlNewNs(qp, (const xmlChar *)KS_NS_XADES, (const xmlChar *)"xades")) == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	xmlSetNs(qp, xa);
	snprintf(target, sizeof(target), "#%s", b->sig_id);
	if (set_attr(qp, "Target", target) < 0)
		return -1;
	sp = el(qp, xa, "SignedProperties");
	if (set_attr(sp, "Id", b->sp_id) < 0 || ks_xml_add_id(b->d, b->sp_id, sp) < 0)
		return -1;
	ssp = el(sp, xa, "SignedSignatureProperties");
	ks_xades_format_time(o->signing_time != 0 ? o->signing_time : time(NULL), when,
			     sizeof(when));
	if (ssp == NULL || text_el(ssp, xa, "SigningTime", when) == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	if (signing_cert(b, ssp, xa) < 0)
		return -1;
	if (o->policy_id != NULL && policy(b, ssp, xa) < 0)
		return -1;
	if (o->role != NULL) {
		roles = el(el(ssp, xa, "SignerRoleV2"), xa, "ClaimedRoles");
		if (roles == NULL || text_el(roles, xa, "ClaimedRole", o->role) == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	sdop = el(sp, xa, "SignedDataObjectProperties");
	dof = el(sdop, xa, "DataObjectFormat");
	snprintf(target, sizeof(target), "#%s", b->ref_id);
	if (set_attr(dof, "ObjectReference", target) < 0)
		return -1;
	if (text_el(dof, xa, "MimeType",
		    o->mime_type != NULL                               ? o->mime_type
		    : o->mode == KS_XADES_DETACHED && !o->counter_sign ? "application/octet-stream"
								       : "text/xml") == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	b->props.node = NULL;
	b->props.kind = KS_DSIG_REF_ELEMENT;
	b->props.target = sp;
	b->props.has_c14n = true;
	b->props.c14n = KS_C14N_EXC;
	b->props.md_nid = ks_dsig_md_to_nid(o->md);
	return 0;
}

static int transform(xmlNodePtr trs, xmlNsPtr ds, const char *alg, xmlNodePtr *made)
{
	xmlNodePtr t = el(trs, ds, "Transform");

	if (t == NULL || set_attr(t, "Algorithm", alg) < 0)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	if (made != NULL)
		*made = t;
	return 0;
}

/* One ds:Reference; `uri` NULL for the SignedProperties one. */
static int reference(struct build *b, const char *id, const char *type, const char *uri,
		     const struct ks_dsig_ref *r, xmlNodePtr *dv)
{
	xmlNodePtr ref = el(b->signed_info, b->ds, "Reference"), trs, t, xp;
	xmlNsPtr xns;

	if (ref == NULL || (id != NULL && set_attr(ref, "Id", id) < 0) ||
	    (type != NULL && set_attr(ref, "Type", type) < 0) || set_attr(ref, "URI", uri) < 0)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	if (r->enveloped || r->exclude_sigs || r->has_c14n) {
		trs = el(ref, b->ds, "Transforms");
		if (trs == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		if (r->enveloped && transform(trs, b->ds, KS_DSIG_ENVELOPED, NULL) < 0)
			return -1;
		if (r->exclude_sigs) {
			/* XPath Filter 2.0: subtract every ds:Signature */
			if (transform(trs, b->ds, KS_DSIG_XPF2, &t) < 0)
				return -1;
			xp = xmlNewTextChild(t, NULL, (const xmlChar *)"XPath",
					     (const xmlChar *)"/descendant::ds:Signature");
			xns = xp != NULL ? xmlNewNs(xp, (const xmlChar *)KS_NS_XPF2,
						    (const xmlChar *)"dsig-xpath")
					 : NULL;
			if (xns == NULL || set_attr(xp, "Filter", "subtract") < 0)
				return KS_SET(KS_ERR_NOMEM, "out of memory");
			xmlSetNs(xp, xns);
		}
		if (r->has_c14n && transform(trs, b->ds, ks_c14n_uri(r->c14n), NULL) < 0)
			return -1;
	}
	return digest_pair(ref, b->ds, b->o->md, dv);
}

static int key_info(struct build *b)
{
	xmlNodePtr ki = el(b->sig, b->ds, "KeyInfo"), xd = el(ki, b->ds, "X509Data");
	struct ks_buf der;
	int i, rc = -1;

	ks_buf_init(&der, KS_XADES_CERT_DER_MAX);
	if (xd == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(cert_der(b->key->cert, &der));
	KS_GUARD(b64_el(xd, b->ds, "X509Certificate", der.data, der.len, NULL));
	for (i = 0; i < sk_X509_num(b->key->chain); i++) {
		ks_buf_reset(&der);
		KS_GUARD(cert_der(sk_X509_value(b->key->chain, i), &der));
		KS_GUARD(b64_el(xd, b->ds, "X509Certificate", der.data, der.len, NULL));
	}
	rc = 0;
out:
	ks_buf_cleanup(&der);
	return rc;
}

/* A caller's Id: an NCName of the safe ASCII kind, not used yet. */
static int fixed_id(const struct ks_xml_doc *d, const char *id, char *buf, size_t n)
{
	size_t i, len = strlen(id);
	bool dup;

	if (len == 0 || len >= n ||
	    !((id[0] >= 'A' && id[0] <= 'Z') || (id[0] >= 'a' && id[0] <= 'z')))
		return KS_SET(KS_ERR_ARG,
			      "signature Id must start with a letter and be shorter than "
			      "%zu bytes",
			      n);
	for (i = 0; i < len; i++)
		if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= '0' && id[i] <= '9') || id[i] == '-' || id[i] == '_' ||
		      id[i] == '.'))
			return KS_SET(KS_ERR_ARG,
				      "signature Id '%s' has a character other than "
				      "letters, digits, '-', '_' and '.'",
				      id);
	if (ks_xml_by_id(d, id, &dup) != NULL || dup)
		return KS_SET(KS_ERR_ARG, "ID '%s' is already used in the document", id);
	memcpy(buf, id, len + 1);
	return 0;
}

/* The ds:Signature skeleton under `parent` (or as the root when
 * `as_root`), inserted before `before` when not NULL. */
static int skeleton(struct build *b, xmlNodePtr parent, xmlNodePtr before)
{
	xmlNodePtr cm, sm;

	if (b->o->sig_id != NULL)
		KS_GUARD(fixed_id(b->d, b->o->sig_id, b->sig_id, sizeof(b->sig_id)));
	else
		KS_GUARD(ks_xml_new_id(b->d, "xmldsig", b->sig_id, sizeof(b->sig_id)));
	snprintf(b->sp_id, sizeof(b->sp_id), "%s-signedprops", b->sig_id);
	snprintf(b->ref_id, sizeof(b->ref_id), "%s-ref0", b->sig_id);
	snprintf(b->sv_id, sizeof(b->sv_id), "%s-sigvalue", b->sig_id);
	b->sig = xmlNewDocNode(b->d->doc, NULL, (const xmlChar *)"Signature", NULL);
	if (b->sig == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (parent == NULL) {
		xmlDocSetRootElement(b->d->doc, b->sig);
	} else if (before != NULL) {
		if (xmlAddPrevSibling(before, b->sig) == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	} else if (xmlAddChild(parent, b->sig) == NULL) {
		xmlFreeNode(b->sig);
		b->sig = NULL;
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	b->ds = xmlNewNs(b->sig, (const xmlChar *)KS_NS_DS, (const xmlChar *)"ds");
	if (b->ds == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	xmlSetNs(b->sig, b->ds);
	KS_GUARD(set_attr(b->sig, "Id", b->sig_id));
	KS_GUARD(ks_xml_add_id(b->d, b->sig_id, b->sig));
	b->signed_info = el(b->sig, b->ds, "SignedInfo");
	cm = el(b->signed_info, b->ds, "CanonicalizationMethod");
	sm = el(b->signed_info, b->ds, "SignatureMethod");
	if (cm == NULL || sm == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(set_attr(cm, "Algorithm", ks_c14n_uri(KS_C14N_EXC)));
	KS_GUARD(set_attr(sm, "Algorithm", ks_dsig_sigmethod_uri(b->o->scheme, b->o->md)));
	return 0;
out:
	return -1;
}

/* References, SignatureValue, KeyInfo and QualifyingProperties, then the
 * digests and the signature value. */
static int complete(struct build *b, const char *data_uri, const char *data_type)
{
	struct ks_dsig s;
	struct ks_buf sig, raw;
	uint8_t h[EVP_MAX_MD_SIZE];
	size_t hlen = 0;
	char sp_uri[ID_MAX + 1];
	int rc = -1;

	ks_dsig_init(&s);
	ks_buf_init(&sig, KS_DSIG_VALUE_MAX);
	ks_buf_init(&raw, KS_DSIG_VALUE_MAX);
	b->data.md_nid = ks_dsig_md_to_nid(b->o->md);
	KS_GUARD(reference(b, b->ref_id, data_type, data_uri, &b->data, &b->data_dv));
	KS_GUARD(ks_xml_add_id(b->d, b->ref_id, b->data_dv->parent));
	snprintf(sp_uri, sizeof(sp_uri), "#%s", b->sp_id);
	b->props.c14n = KS_C14N_EXC;
	b->props.has_c14n = true;
	KS_GUARD(reference(b, NULL, KS_XADES_SP_TYPE, sp_uri, &b->props, &b->props_dv));
	b->sig_value = el(b->sig, b->ds, "SignatureValue");
	if (b->sig_value == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(set_attr(b->sig_value, "Id", b->sv_id));
	KS_GUARD(ks_xml_add_id(b->d, b->sv_id, b->sig_value));
	KS_GUARD(key_info(b));
	KS_GUARD(qualifying_props(b));

	s.sig = b->sig;
	s.signed_info = b->signed_info;
	s.c14n = KS_C14N_EXC;
	s.method.scheme = b->o->scheme;
	s.method.md_nid = ks_dsig_md_to_nid(b->o->md);
	KS_GUARD(ks_dsig_ref_digest(b->d, &s, &b->data, b->ext, b->ext_len, h, &hlen));
	KS_GUARD(set_b64_text(b->data_dv, h, hlen));
	KS_GUARD(ks_dsig_ref_digest(b->d, &s, &b->props, NULL, 0, h, &hlen));
	KS_GUARD(set_b64_text(b->props_dv, h, hlen));
	KS_GUARD(ks_dsig_signed_info_hash(b->d, &s, h, &hlen));
	KS_GUARD(ks_key_sign(b->key, b->o->scheme, b->o->md, h, hlen, &sig));
	/* Checked before anything is written (a token can misbehave). */
	if (ks_key_verify_digest(b->key->cert, b->o->scheme, b->o->md, h, hlen, sig.data, sig.len) <
	    0)
		KS_BAIL(KS_ERR_CRYPTO,
			"the key's signature does not verify with its certificate: %s",
			ks_err_msg());
	if (b->o->scheme == KS_SIG_ECDSA) {
		KS_GUARD(ks_dsig_ecdsa_der_to_raw(sig.data, sig.len, ((size_t)b->key->bits + 7) / 8,
						  &raw));
		KS_GUARD(set_b64_text(b->sig_value, raw.data, raw.len));
	} else {
		KS_GUARD(set_b64_text(b->sig_value, sig.data, sig.len));
	}
	rc = 0;
out:
	ks_dsig_cleanup(&s);
	ks_buf_cleanup(&sig);
	ks_buf_cleanup(&raw);
	return rc;
}

/* The signature is complete: B-T and above add unsigned properties. */
static int finish(struct build *b)
{
	if (b->o->unsigned_fn == NULL)
		return 0;
	return b->o->unsigned_fn(b->o->unsigned_arg, b->d, b->sig);
}

/* Signatures already in the record: one that covers the whole record
 * without leaving other signatures out would break with a new one. */
static int check_existing(const struct ks_xml_doc *d, bool *parallel)
{
	struct ks_dsig s;
	struct ks_dsig_problem p;
	size_t i, k;
	int rc = -1;

	for (i = 0; i < d->n_sigs; i++) {
		if (ks_xml_nested_sig(d->sigs[i]))
			continue;
		ks_dsig_init(&s);
		memset(&p, 0, sizeof(p));
		if (ks_dsig_parse(d, d->sigs[i], &s, &p) < 0) {
			ks_dsig_cleanup(&s);
			goto out;
		}
		for (k = 0; k < s.n_refs; k++) {
			const struct ks_dsig_ref *r = &s.refs[k];
			bool whole = r->kind == KS_DSIG_REF_DOCUMENT ||
				     (r->kind == KS_DSIG_REF_ELEMENT &&
				      ks_xml_within(d->sigs[i], r->target));

			if (!whole)
				continue;
			if (!r->exclude_sigs) {
				ks_dsig_cleanup(&s);
				KS_BAIL(KS_ERR_XML,
					"the record already carries a signature over the whole "
					"record that does not leave room for others (it was not "
					"signed with --xml-parallel): a new signature would break "
					"it; counter-sign it instead (--counter-sign)");
			}
			*parallel = true;
		}
		ks_dsig_cleanup(&s);
	}
	rc = 0;
out:
	return rc;
}

static int splice(const uint8_t *in, size_t n, const struct ks_xml_doc *d, xmlNodePtr sig,
		  struct ks_buf *out)
{
	const struct ks_xml_scan *sc = &d->scan;
	size_t rest;

	if (ks_buf_append(out, in, sc->root_end) < 0)
		return -1;
	if (sc->root_empty && ks_buf_append_byte(out, '>') < 0)
		return -1;
	if (ks_xml_dump_node(d, sig, out) < 0)
		return -1;
	if (sc->root_empty) {
		if (ks_buf_append_str(out, "</") < 0 ||
		    ks_buf_append(out, in + sc->root_name_off, sc->root_name_len) < 0 ||
		    ks_buf_append_byte(out, '>') < 0)
			return -1;
		rest = sc->root_end + 2;
	} else {
		rest = sc->root_end;
	}
	return ks_buf_append(out, in + rest, n - rest);
}

static int sign_enveloped(struct build *b, const uint8_t *in, size_t n, struct ks_buf *out)
{
	bool parallel = b->o->parallel;

	KS_GUARD(check_existing(b->d, &parallel));
	KS_GUARD(skeleton(b, ks_xml_root(b->d), NULL));
	b->data.kind = KS_DSIG_REF_DOCUMENT;
	b->data.enveloped = !parallel;
	b->data.exclude_sigs = parallel;
	b->data.has_c14n = true;
	b->data.c14n = KS_C14N_EXC;
	KS_GUARD(complete(b, "", NULL));
	KS_GUARD(finish(b));
	return splice(in, n, b->d, b->sig, out);
out:
	return -1;
}

/* The record's root element, as written (for enveloping). */
static int record_bytes(const uint8_t *in, size_t n, const struct ks_xml_scan *sc,
			struct ks_buf *out)
{
	const uint8_t *gt;
	size_t end;

	if (sc->root_empty) {
		end = sc->root_end + 2;
	} else {
		gt = memchr(in + sc->root_end, '>', n - sc->root_end);
		if (gt == NULL)
			return KS_SET(KS_ERR_XML, "root end tag not closed");
		end = (size_t)(gt - in) + 1;
	}
	return ks_buf_append(out, in + sc->root_name_off - 1, end - (sc->root_name_off - 1));
}

/* Enveloping and detached: a new document whose root is ds:Signature,
 * parsed from a skeleton so that the record's IDs are indexed too. */
static int sign_standalone(struct build *b, const uint8_t *in, size_t n, struct ks_buf *out)
{
	struct ks_xml_doc *rec = NULL;
	struct ks_buf text;
	xmlNodePtr obj = NULL;
	char uri[ID_MAX + 1], obj_id[ID_MAX];
	int rc = -1;

	ks_buf_init(&text, KS_XML_DOC_MAX);
	KS_GUARD(ks_buf_append_str(&text, "<ds:Object xmlns:ds=\"" KS_NS_DS "\">"));
	if (b->o->mode == KS_XADES_ENVELOPING) {
		KS_GUARD(ks_xml_parse(in, n, &rec));
		if (rec->n_sigs > 0)
			KS_BAIL(KS_ERR_XML, "the record already carries signatures: sign it "
					    "enveloped (parallel) or counter-sign");
		KS_GUARD(record_bytes(in, n, &rec->scan, &text));
	}
	KS_GUARD(ks_buf_append_str(&text, "</ds:Object>"));
	KS_GUARD(ks_xml_parse(text.data, text.len, &b->d));
	if (b->d->dup_id[0] != '\0')
		KS_BAIL(KS_ERR_XML, "ID '%s' is used twice in the record: it cannot be signed",
			b->d->dup_id);
	obj = ks_xml_root(b->d);
	xmlUnlinkNode(obj);
	KS_GUARD(skeleton(b, NULL, NULL));
	if (b->o->mode == KS_XADES_ENVELOPING) {
		snprintf(obj_id, sizeof(obj_id), "%s-object", b->sig_id);
		if (xmlAddChild(b->sig, obj) == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		obj = NULL;
		KS_GUARD(set_attr(b->sig->last, "Id", obj_id));
		KS_GUARD(ks_xml_add_id(b->d, obj_id, b->sig->last));
		b->data.kind = KS_DSIG_REF_ELEMENT;
		b->data.target = b->sig->last;
		b->data.has_c14n = true;
		b->data.c14n = KS_C14N_EXC;
		snprintf(uri, sizeof(uri), "#%s", obj_id);
		KS_GUARD(complete(b, uri, "http://www.w3.org/2000/09/xmldsig#Object"));
		/* SignedInfo first: the data Object was added before it */
		xmlUnlinkNode(b->data.target);
		if (xmlAddChild(b->sig, b->data.target) == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	} else {
		if (b->o->detached_uri == NULL || b->o->detached_uri[0] == '\0' ||
		    b->o->detached_uri[0] == '#')
			KS_BAIL(KS_ERR_ARG, "a detached signature needs the content's name");
		b->data.kind = KS_DSIG_REF_EXTERNAL;
		b->ext = in;
		b->ext_len = n;
		KS_GUARD(complete(b, b->o->detached_uri, NULL));
	}
	KS_GUARD(finish(b));
	KS_GUARD(ks_xml_dump_doc(b->d, out));
	rc = 0;
out:
	if (obj != NULL)
		xmlFreeNode(obj);
	ks_xml_doc_free(rec);
	ks_buf_cleanup(&text);
	return rc;
}

/* The signature to counter-sign: by Id, or the last one that is not
 * itself nested in a signature. */
static xmlNodePtr counter_target(const struct ks_xml_doc *d, const char *id)
{
	bool dup = false;
	xmlNodePtr t = NULL;
	size_t i;

	if (id != NULL) {
		t = ks_xml_by_id(d, id, &dup);
		return ks_xml_is(t, KS_NS_DS, "Signature") ? t : NULL;
	}
	for (i = 0; i < d->n_sigs; i++)
		if (!ks_xml_nested_sig(d->sigs[i]))
			t = d->sigs[i];
	return t;
}

static int counter_sign(struct build *b, struct ks_buf *out)
{
	xmlNodePtr target, sv, usp, cs;
	char id[ID_MAX], uri[ID_MAX + 1];
	const char *svid;

	target = counter_target(b->d, b->o->counter_of);
	if (target == NULL)
		return KS_SET(KS_ERR_XML, b->o->counter_of != NULL
					      ? "no signature with that Id to counter-sign"
					      : "the document has no signature to counter-sign");
	sv = ks_xml_first(target, KS_NS_DS, "SignatureValue");
	if (sv == NULL)
		return KS_SET(KS_ERR_XML, "the signature to counter-sign has no SignatureValue");
	svid = ks_xml_attr(sv, "Id");
	if (svid == NULL) {
		/* SignatureValue is not signed by its own signature: an Id
		 * can be added without breaking it */
		if (b->o->sig_id != NULL)
			snprintf(id, sizeof(id), "%.40s-countersigned", b->o->sig_id);
		else if (ks_xml_new_id(b->d, "xmldsig-sigvalue", id, sizeof(id)) < 0)
			return -1;
		if (set_attr(sv, "Id", id) < 0 || ks_xml_add_id(b->d, id, sv) < 0)
			return -1;
		svid = id;
	}
	if (ks_xades_usp(target, &usp) < 0)
		return -1;
	cs = el(usp, usp->ns, "CounterSignature");
	if (cs == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	if (skeleton(b, cs, NULL) < 0)
		return -1;
	b->data.kind = KS_DSIG_REF_ELEMENT;
	b->data.target = sv;
	b->data.has_c14n = true;
	b->data.c14n = KS_C14N_EXC;
	snprintf(uri, sizeof(uri), "#%s", svid);
	if (complete(b, uri, KS_XADES_CS_TYPE) < 0 || finish(b) < 0)
		return -1;
	return ks_xml_dump_doc(b->d, out);
}

int ks_xades_sign(struct ks_key *key, const uint8_t *in, size_t n,
		  const struct ks_xades_sign_opts *o, struct ks_buf *out)
{
	struct build b;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	b.key = key;
	b.o = o;
	if ((o->scheme == KS_SIG_ECDSA) != (key->type == KS_KEY_EC))
		KS_BAIL(KS_ERR_ARG, "signature scheme does not suit the key");
	if (o->counter_sign || o->mode == KS_XADES_ENVELOPED) {
		KS_GUARD(ks_xml_parse(in, n, &b.d));
		if (b.d->dup_id[0] != '\0')
			KS_BAIL(KS_ERR_XML,
				"ID '%s' is used twice in the record: a signature over it could be "
				"moved (signature wrapping), so kyso does not sign it",
				b.d->dup_id);
		if (o->counter_sign)
			KS_GUARD(counter_sign(&b, out));
		else
			KS_GUARD(sign_enveloped(&b, in, n, out));
	} else {
		KS_GUARD(sign_standalone(&b, in, n, out));
	}
	rc = 0;
out:
	ks_xml_doc_free(b.d);
	return rc;
}
