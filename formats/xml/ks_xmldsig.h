/* ks_xmldsig: the XML Signature (XMLDSig 1.1) profile kyso reads and
 * writes: SignedInfo, References, transforms, algorithms and the
 * signature value.
 *
 * The profile (W3C XML Signature Best Practices, "restrict transforms"):
 *  - References: URI="" (the document), URI="#id" (an element of the same
 *    document, by an ID attribute), or one external file that the caller
 *    supplies (detached signatures; kyso never fetches anything);
 *  - transforms: the enveloped-signature transform, one XPath Filter 2.0
 *    form only -- subtract "/descendant::ds:Signature", which leaves room
 *    for parallel signatures -- and one canonicalization, last;
 *    XSLT, XPath 1.0, other XPath Filter 2.0 expressions, base64,
 *    XPointer URIs, Manifest following and RetrievalMethod are refused;
 *  - canonicalization: C14N 1.0, exclusive C14N 1.0 (with
 *    InclusiveNamespaces PrefixList), C14N 1.1, with or without comments;
 *  - digests SHA-256/384/512 (SHA-1 is read so that it can be reported as
 *    too weak);
 *  - signatures RSA PKCS#1 v1.5, RSASSA-PSS (RFC 6931 2.3.10 with
 *    RSAPSSParams, 2.3.11 sha*-rsa-MGF1), ECDSA (XMLDSig 1.1 6.4.3: the
 *    value is r || s, each as long as the group order). */
#ifndef KS_XMLDSIG_H
#define KS_XMLDSIG_H

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/cms/ks_etsi.h"
#include "formats/xml/ks_xml.h"
#include "ks_buf.h"
#include "ks_err.h"
#include "ks_key.h"

#define KS_DSIG_REFS_MAX 32
#define KS_DSIG_TRANSFORMS_MAX 8
#define KS_DSIG_VALUE_MAX ((size_t)4096) /* decoded SignatureValue (RSA-16384) */
#define KS_DSIG_PROBLEM_MAX 320

#define KS_DSIG_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define KS_DSIG_XPF2 "http://www.w3.org/2002/06/xmldsig-filter2"
#define KS_XADES_SP_TYPE "http://uri.etsi.org/01903#SignedProperties"
#define KS_XADES_CS_TYPE "http://uri.etsi.org/01903#CountersignedSignature"
#define KS_DSIG_MANIFEST_TYPE "http://www.w3.org/2000/09/xmldsig#Manifest"

/* Digest method URI -> OpenSSL NID (NID_undef when unknown) and back. */
int ks_dsig_md_nid(const char *uri);
const char *ks_dsig_md_uri(enum ks_md md);
int ks_dsig_md_to_nid(enum ks_md md);
const char *ks_dsig_md_label(int nid); /* "SHA-256", "SHA-1" ... "?" */
/* The signature method URI kyso writes for a scheme and hash. */
const char *ks_dsig_sigmethod_uri(enum ks_sig_scheme scheme, enum ks_md md);

/* A finding that ends the signature's validation at the format level. */
struct ks_dsig_problem {
	enum ks_subindication sub;
	char why[KS_DSIG_PROBLEM_MAX];
};
/* Record the first problem only (later ones are consequences). */
void ks_dsig_fail(struct ks_dsig_problem *p, enum ks_subindication sub, const char *fmt, ...)
    KS_PRINTF(3, 4);

enum ks_dsig_ref_kind {
	KS_DSIG_REF_DOCUMENT, /* URI="" */
	KS_DSIG_REF_ELEMENT,  /* URI="#id" */
	KS_DSIG_REF_EXTERNAL, /* anything else: a detached file */
};

struct ks_dsig_ref {
	xmlNodePtr node;
	const char *uri, *type, *id; /* attributes (into the tree); NULL when absent */
	enum ks_dsig_ref_kind kind;
	xmlNodePtr target; /* ELEMENT: the element the ID names */
	bool enveloped;    /* enveloped-signature transform */
	bool exclude_sigs; /* XPath Filter 2.0 subtract of every ds:Signature */
	bool has_c14n;
	enum ks_c14n c14n;
	const char *prefixes; /* exclusive C14N PrefixList */
	int md_nid;
	uint8_t value[EVP_MAX_MD_SIZE]; /* DigestValue */
	size_t value_len;
};

struct ks_dsig_method {
	enum ks_sig_scheme scheme;
	int md_nid;
	int mgf1_nid; /* PSS */
	int saltlen;  /* PSS */
	char label[48];
};

/* A parsed ds:Signature.  Pointers go into the document, which must
 * outlive it. */
struct ks_dsig {
	xmlNodePtr sig, signed_info, sig_value, key_info;
	enum ks_c14n c14n;
	const char *c14n_prefixes;
	struct ks_dsig_method method;
	struct ks_dsig_ref refs[KS_DSIG_REFS_MAX];
	size_t n_refs;
	struct ks_buf value; /* decoded SignatureValue */
};

void ks_dsig_init(struct ks_dsig *s);
void ks_dsig_cleanup(struct ks_dsig *s);

/* Parse `sig` against the profile.  0 when parsing ran: a signature that
 * is malformed or outside the profile leaves a problem in `p` (FORMAT_
 * FAILURE, SIGNED_DATA_NOT_FOUND for an ID that names nothing,
 * CRYPTO_CONSTRAINTS_FAILURE_NO_POE for an unknown algorithm); -1 only
 * for errors that are not about the signature (memory). */
KS_WUR int ks_dsig_parse(const struct ks_xml_doc *d, xmlNodePtr sig, struct ks_dsig *s,
			 struct ks_dsig_problem *p);

/* Digest of what reference `r` selects, after its transforms.  `ext` is
 * the content of an external reference (NULL for same-document ones).
 * *n receives the length. */
KS_WUR int ks_dsig_ref_digest(const struct ks_xml_doc *d, const struct ks_dsig *s,
			      const struct ks_dsig_ref *r, const uint8_t *ext, size_t ext_len,
			      uint8_t *out, size_t *n);

/* Hash of the canonical SignedInfo with the signature method's hash. */
KS_WUR int ks_dsig_signed_info_hash(const struct ks_xml_doc *d, const struct ks_dsig *s,
				    uint8_t *out, size_t *n);
/* Does the SignatureValue verify under `pub`?  *ok false also when the
 * key cannot be used with the method (wrong type). */
KS_WUR int ks_dsig_check_value(const struct ks_xml_doc *d, const struct ks_dsig *s, EVP_PKEY *pub,
			       bool *ok);

/* ECDSA values: DER ECDSA-Sig-Value (what keys produce) to r || s of
 * `field_bytes` each (XMLDSig), appended to out. */
KS_WUR int ks_dsig_ecdsa_der_to_raw(const uint8_t *der, size_t n, size_t field_bytes,
				    struct ks_buf *out);

#endif
