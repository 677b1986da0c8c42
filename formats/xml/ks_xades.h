/* ks_xades: XAdES baseline signatures (ETSI EN 319 132-1) over XML
 * records, and the facts a verifier needs about every signature of a
 * document.
 *
 * Signing goes through any struct ks_key (token, file or external key):
 * kyso builds SignedInfo, hashes its canonical form and has the key sign
 * that hash.  The signature carries QualifyingProperties with
 * SignedProperties: SigningTime, SigningCertificateV2 (the signer
 * certificate's SHA-256 and IssuerSerialV2), optionally
 * SignaturePolicyIdentifier and SignerRoleV2 (claimed role, UTF-8), and a
 * DataObjectFormat per signed data object; KeyInfo holds the certificate
 * and its chain.
 *
 * Verification here is the format level only: which elements each
 * signature covers and whether every digest matches, the signature value
 * against the certificate SigningCertificateV2 names, the claimed
 * properties, and structural problems.  Trust (path to anchors,
 * revocation, validation time, algorithm policy) is decided in signer/. */
#ifndef KS_XADES_H
#define KS_XADES_H

#include <libxml/tree.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "formats/cms/ks_etsi.h"
#include "formats/xml/ks_xml.h"
#include "formats/xml/ks_xmldsig.h"
#include "ks_buf.h"
#include "ks_err.h"
#include "ks_key.h"

#define KS_XADES_SIGS_MAX 64  /* signatures verified in one document */
#define KS_XADES_CERTS_MAX 32 /* certificates carried by one signature */
#define KS_XADES_CERT_DER_MAX ((size_t)64 << 10)
#define KS_XADES_ROLE_MAX 256        /* bytes of the claimed roles, as reported */
#define KS_XADES_COUNTER_DEPTH_MAX 4 /* counter-signatures of counter-signatures */
/* Canonicalization work for one document, in node visits (each reference
 * walks the document once): many signatures with many references over a
 * large record must not keep a verifier busy for minutes. */
#define KS_XADES_WORK_MAX ((size_t)1 << 24)
#define KS_XADES_OUT_MAX (KS_XML_DOC_MAX + ((size_t)1 << 20))

/* ---- signing ---------------------------------------------------------- */

enum ks_xades_mode {
	KS_XADES_ENVELOPED = 0, /* ds:Signature as the last child of the root, URI="" */
	KS_XADES_ENVELOPING,    /* the record inside ds:Object of a ds:Signature root */
	KS_XADES_DETACHED,      /* a ds:Signature document naming another file */
};

/* Called after the signature value is set and before the document is
 * written: the place where B-T and above add unsigned signature
 * properties (SignatureTimeStamp over ks_xades_sigvalue_c14n(),
 * CertificateValues, RevocationValues, ArchiveTimeStamp) with
 * ks_xades_usp().  Return -1 (error recorded) to abandon the signature. */
typedef int (*ks_xades_unsigned_fn)(void *arg, struct ks_xml_doc *doc, xmlNodePtr signature);

struct ks_xades_sign_opts {
	enum ks_xades_mode mode;
	enum ks_md md;
	enum ks_sig_scheme scheme; /* must suit the key (RSA: PKCS#1 or PSS) */
	/* Enveloped: also leave every other ds:Signature of the record out
	 * of what this one covers (XPath Filter 2.0 subtract), so that
	 * parallel signatures added later keep it valid.  Taken
	 * automatically when the record already carries such signatures. */
	bool parallel;
	/* Counter-sign: add a XAdES CounterSignature to the signature whose
	 * Id is `counter_of` (NULL: the last signature that is a child of
	 * the root).  `mode` is then ignored. */
	bool counter_sign;
	const char *counter_of;
	time_t signing_time; /* 0: now */
	/* The signature's Id (letters, digits, '-', '_', '.', at most 31
	 * bytes, starting with a letter); the other Ids derive from it.
	 * NULL: random.  Two-phase signing (external key) fixes it, with
	 * signing_time, so that both phases build the same SignedInfo. */
	const char *sig_id;
	const char *role;      /* ClaimedRole text (UTF-8) or NULL */
	const char *policy_id; /* SigPolicyId/Identifier (URI or urn:oid:) or NULL */
	enum ks_md policy_md;  /* hash of the policy document */
	const uint8_t *policy_digest;
	size_t policy_digest_len;
	const char *detached_uri;         /* DETACHED: the Reference URI (the file name) */
	const char *mime_type;            /* DataObjectFormat; NULL: text/xml or
				     application/octet-stream */
	ks_xades_unsigned_fn unsigned_fn; /* may be NULL */
	void *unsigned_arg;
};

void ks_xades_sign_opts_init(struct ks_xades_sign_opts *o);

/* Sign `in` (n bytes: the XML record, or for DETACHED any content) and
 * append the signed document (enveloped, enveloping, counter-signed) or
 * the detached signature document to `out`.  The record's own bytes are
 * kept as they were for an enveloped signature: the signature is
 * inserted before the root's end tag.  Refused (KS_ERR_XML) when the
 * record cannot be verified afterwards: duplicate IDs, or enveloped
 * signatures in it that a new signature would break.  The signature is
 * checked against the certificate before it is returned.  An external
 * key without a signature yet: -1 with KS_ERR_PENDING. */
KS_WUR int ks_xades_sign(struct ks_key *key, const uint8_t *in, size_t n,
			 const struct ks_xades_sign_opts *o, struct ks_buf *out);

/* Extend existing signatures (kyso extend: B-T, B-LT, B-LTA): parse the
 * document safely, call `fn` for the signature whose Id is `sig_id` (NULL:
 * every signature that is not inside another one, in document order),
 * and append the re-serialized document to `out`.  The signed parts are
 * left as they are; `fn` adds unsigned properties (ks_xades_usp).
 * KS_ERR_XML when there is no such signature. */
KS_WUR int ks_xades_extend(const uint8_t *in, size_t n, const char *sig_id, ks_xades_unsigned_fn fn,
			   void *arg, struct ks_buf *out);

/* Unsigned signature properties of `signature`
 * (Object/QualifyingProperties/UnsignedProperties/
 * UnsignedSignatureProperties), created when missing. */
KS_WUR int ks_xades_usp(xmlNodePtr signature, xmlNodePtr *usp);
/* The canonical SignatureValue element (exclusive C14N) of `signature`:
 * what a SignatureTimeStamp imprint covers (EN 319 132-1 5.3). */
KS_WUR int ks_xades_sigvalue_c14n(const struct ks_xml_doc *d, xmlNodePtr signature,
				  struct ks_buf *out);

/* ---- long-term levels (ks_xades_ts.c) ---------------------------------- */

#define KS_XADES_TS_MAX 4                       /* timestamps of one signature looked at */
#define KS_XADES_TS_DER_MAX ((size_t)256 << 10) /* one EncapsulatedTimeStamp, decoded */
#define KS_XADES_VALS_MAX 128                   /* revocation values of one signature */
#define KS_XADES_VAL_DER_MAX ((size_t)4 << 20)  /* one OCSP response or CRL, decoded */
/* The octets an archive timestamp covers (the references' data and the
 * signature's elements). */
#define KS_XADES_ARCHIVE_INPUT_MAX (2 * KS_XADES_OUT_MAX)

enum ks_xades_ts_kind {
	KS_XADES_TS_SIGNATURE, /* xades:SignatureTimeStamp (EN 319 132-1 5.3) */
	KS_XADES_TS_ARCHIVE,   /* xades141:ArchiveTimeStamp (EN 319 132-1 5.5.2) */
};

/* The digest (`md`) of what a timestamp of `signature` covers, with the
 * canonicalization `alg`: for SIGNATURE the ds:SignatureValue element;
 * for ARCHIVE the data of every ds:Reference after its transforms, then
 * SignedInfo, SignatureValue and KeyInfo, the unsigned signature
 * properties before `before` (NULL: all of them, for a new one
 * appended last) and the ds:Object elements no reference covers but the
 * one holding QualifyingProperties.  `ext` is the content of a detached
 * signature's external reference (NULL when there is none). */
KS_WUR int ks_xades_ts_digest(const struct ks_xml_doc *d, xmlNodePtr signature,
			      enum ks_xades_ts_kind kind, const xmlNode *before, enum ks_c14n alg,
			      const uint8_t *ext, size_t ext_len, enum ks_md md,
			      struct ks_buf *out);

/* Append a timestamp (the token's DER) to the unsigned signature
 * properties of `signature`, stating `alg`. */
KS_WUR int ks_xades_add_timestamp(xmlNodePtr signature, enum ks_xades_ts_kind kind,
				  enum ks_c14n alg, const uint8_t *token, size_t n);

/* Append CertificateValues (DER certificates) and RevocationValues
 * (whole OCSPResponses, CRLs); a list that is empty is left out. */
KS_WUR int ks_xades_add_values(xmlNodePtr signature, const struct ks_buf *certs, size_t n_certs,
			       const struct ks_buf *ocsps, size_t n_ocsps,
			       const struct ks_buf *crls, size_t n_crls);

/* ---- verification facts ----------------------------------------------- */

/* A timestamp of a signature as found: the token and the digests of what
 * it must cover, one per enum ks_md (the token names which applies). */
struct ks_xades_ts_fact {
	enum ks_xades_ts_kind kind;
	struct ks_buf token;
	uint8_t digest[3][EVP_MAX_MD_SIZE];
	size_t digest_len[3];
	char problem[160]; /* "" when the element is well formed */
};

enum ks_xades_val_kind { KS_XADES_VAL_OCSP, KS_XADES_VAL_CRL };

struct ks_xades_val {
	enum ks_xades_val_kind kind;
	struct ks_buf der; /* a whole OCSPResponse, a CRL */
};

enum ks_xades_place {
	KS_XADES_PLACE_ENVELOPED,  /* inside the record */
	KS_XADES_PLACE_ENVELOPING, /* the document root, data in its ds:Object */
	KS_XADES_PLACE_DETACHED,   /* the document root, data in another file */
	KS_XADES_PLACE_COUNTER,    /* a XAdES counter-signature */
};

enum ks_xades_ref_role {
	KS_XADES_REF_DATA,          /* signed data */
	KS_XADES_REF_SIGNED_PROPS,  /* this signature's SignedProperties */
	KS_XADES_REF_COUNTERSIGNED, /* the SignatureValue a counter-signature signs */
	KS_XADES_REF_KEYINFO,       /* this signature's KeyInfo */
	KS_XADES_REF_OTHER,         /* another part of the signature */
};

enum ks_xades_ref_status {
	KS_XADES_REF_NOT_CHECKED = 0, /* the signature failed before */
	KS_XADES_REF_MATCH,
	KS_XADES_REF_MISMATCH,
};

struct ks_xades_ref_fact {
	char uri[128];                  /* as written (cut at 127 bytes) */
	char path[KS_XML_PATH_MAX + 8]; /* DOCUMENT: the root; ELEMENT: the element */
	enum ks_dsig_ref_kind kind;
	bool enveloped, exclude_sigs; /* what the transforms leave out */
	enum ks_xades_ref_role role;
	enum ks_xades_ref_status status;
	int md_nid;
};

/* Unsigned properties present (B-T and above are checked elsewhere). */
enum ks_xades_unsigned {
	KS_XADES_U_SIG_TIMESTAMP = 1u << 0,
	KS_XADES_U_CERT_VALUES = 1u << 1,
	KS_XADES_U_REV_VALUES = 1u << 2,
	KS_XADES_U_ARCHIVE_TIMESTAMP = 1u << 3,
	KS_XADES_U_COUNTER_SIG = 1u << 4,
	KS_XADES_U_OTHER = 1u << 5,
};

struct ks_xades_sig_facts {
	char id[128]; /* ds:Signature/@Id, "" when none */
	char path[KS_XML_PATH_MAX + 8];
	enum ks_xades_place place;
	long parent; /* COUNTER: index of the countersigned signature */
	bool xades;  /* SignedProperties bound to this signature */
	struct ks_xades_ref_fact refs[KS_DSIG_REFS_MAX];
	size_t n_refs;
	/* algorithms */
	enum ks_sig_scheme scheme;
	int sig_md_nid, mgf1_nid;
	char sig_alg[48];
	char digest_alg[32];    /* the signature method's hash */
	int weakest_ref_md_nid; /* weakest digest among the references */
	/* signature value against `signer` */
	bool value_checked, value_ok;
	/* signer: ONLY the certificate SigningCertificateV2 (or v1) names;
	 * for plain XMLDSig the one end-entity certificate of KeyInfo */
	X509 *signer;           /* owned, or NULL */
	bool signer_bound;      /* named by SigningCertificate(V2) */
	bool signer_v1;         /* by SigningCertificate (v1) */
	int signer_ref_md_nid;  /* hash of CertDigest */
	STACK_OF(X509) * certs; /* owned, never NULL: KeyInfo + CertificateValues */
	/* claimed (signed) properties */
	bool has_signing_time;
	time_t signing_time;
	char role[KS_XADES_ROLE_MAX]; /* claimed roles joined with "; " */
	char policy[160];             /* SigPolicyId/Identifier, "" when none */
	unsigned unsigned_props;      /* enum ks_xades_unsigned bits */
	/* B-T, B-LTA: the timestamps (the first KS_XADES_TS_MAX); B-LT: the
	 * revocation values (certificate values are in `certs`) */
	struct ks_xades_ts_fact ts[KS_XADES_TS_MAX];
	size_t n_ts, ts_dropped;
	struct ks_xades_val *vals; /* owned */
	size_t n_vals;
	/* first format-level finding; KS_SUB_NONE when none */
	enum ks_subindication sub;
	char detail[KS_DSIG_PROBLEM_MAX];
};

struct ks_xades_result {
	struct ks_xades_sig_facts *sigs; /* owned */
	size_t n;
	size_t dropped;  /* signatures beyond KS_XADES_SIGS_MAX, not checked */
	bool unreadable; /* not an XML document kyso reads: see detail */
	char detail[KS_DSIG_PROBLEM_MAX];
};

struct ks_xades_verify_opts {
	/* The content of a detached signature's external reference, or NULL. */
	const uint8_t *content;
	size_t content_len;
	const char *content_name; /* for the report */
	/* More certificates to look the signer up in (may be NULL). */
	STACK_OF(X509) * extra_certs;
};

void ks_xades_result_init(struct ks_xades_result *r);
void ks_xades_result_cleanup(struct ks_xades_result *r);

/* Collect the facts of every ds:Signature of the document.  0 when the
 * checks ran, whatever they found (an unreadable document sets
 * r->unreadable); -1 only for errors that are not about the input
 * (memory). */
KS_WUR int ks_xades_verify_mem(const uint8_t *p, size_t n, const struct ks_xades_verify_opts *o,
			       struct ks_xades_result *r);

/* ---- shared with the verifier (ks_xades_props.c) ---- */

/* Fill the XAdES facts of one signature: QualifyingProperties bound to
 * it, SignedProperties reference, SigningCertificateV2, claimed
 * properties, certificates carried, the signer and the KeyInfo check.
 * Problems are recorded in `p`. */
/* Structural problems go to `p`, failures to identify the signer to
 * `signer_p` (the caller decides which comes first). */
KS_WUR int ks_xades_props(const struct ks_xml_doc *d, const struct ks_dsig *s,
			  const struct ks_xades_verify_opts *o, struct ks_xades_sig_facts *f,
			  struct ks_dsig_problem *p, struct ks_dsig_problem *signer_p);
/* The timestamps and revocation values of one signature into f (read
 * when its integrity holds); `ext` as for ks_xades_ts_digest.  *work
 * counts canonicalization node visits against KS_XADES_WORK_MAX. */
KS_WUR int ks_xades_ts_facts(const struct ks_xml_doc *d, const struct ks_dsig *s,
			     const uint8_t *ext, size_t ext_len, size_t *work,
			     struct ks_xades_sig_facts *f);
void ks_xades_sig_facts_cleanup(struct ks_xades_sig_facts *f);

/* The facts of one signature of a parsed document (kyso extend: its
 * signer, certificates and timestamps); f is cleaned by the caller with
 * ks_xades_sig_facts_cleanup. */
KS_WUR int ks_xades_facts_of(const struct ks_xml_doc *d, xmlNodePtr signature, const uint8_t *ext,
			     size_t ext_len, struct ks_xades_sig_facts *f);
/* Base64 text of an element, decoded; *ok false when it is not base64
 * or decodes to nothing or more than max bytes. */
KS_WUR int ks_xades_b64(const xmlNode *el, size_t max, struct ks_buf *out, bool *ok);
/* IssuerSerial DER (RFC 5035) of a certificate, appended to out. */
KS_WUR int ks_xades_issuer_serial_der(X509 *cert, struct ks_buf *out);
/* xs:dateTime <-> time_t (UTC). */
bool ks_xades_parse_time(const char *s, time_t *t);
void ks_xades_format_time(time_t t, char *buf, size_t n);

#endif
