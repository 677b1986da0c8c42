/* ks_cms: CMS SignedData (RFC 5652) in the CAdES baseline shape (ETSI EN
 * 319 122-1, B-B): building detached signatures over a digest computed
 * elsewhere, and parsing and verifying them.
 *
 * Signing never sees the document: callers hash it (a file, a stream, a
 * PDF ByteRange) and pass the digest.  The signature value comes from a
 * struct ks_key (token, file or external key); OpenSSL builds the
 * structure with CMS_PARTIAL and never touches a private key.
 *
 * Verification reports each SignerInfo with an ETSI EN 319 102-1
 * indication (formats/cms/ks_etsi.h).  It needs the content as digests:
 * ks_cms_content collects them from a stream (every digest algorithm the
 * signers use, in one pass) or takes them precomputed. */
#ifndef KS_CMS_H
#define KS_CMS_H

#include <openssl/cms.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "formats/cms/ks_etsi.h"
#include "ks_buf.h"
#include "ks_cur.h"
#include "ks_err.h"
#include "ks_key.h"

/* Limits on input (hostile .p7s files, PDF /Contents, API bodies). */
#define KS_CMS_DER_MAX ((size_t)8 << 20)            /* whole ContentInfo */
#define KS_CMS_SIGNERS_MAX 16                       /* SignerInfos in one SignedData */
#define KS_CMS_CERTS_MAX 64                         /* certificates carried */
#define KS_CMS_ATTRS_MAX 32                         /* signed attributes of one signer */
#define KS_CMS_ESS_IDS_MAX 16                       /* ESSCertID(v2) entries in one attribute */
#define KS_CMS_UNSIGNED_VALUE_MAX ((size_t)1 << 20) /* one unsigned attribute value */
/* Read size when hashing a file or stream. */
#define KS_CMS_STREAM_CHUNK ((size_t)64 << 10)

/* ---- signing ---------------------------------------------------------- */

struct ks_cms_sign_opts {
	/* Add the signingTime attribute (RFC 5652 11.3).  Off by default:
	 * PAdES forbids it (ETSI EN 319 142-1 5.4.3, the time is /M). */
	bool signing_time;
	/* Its value; 0 = now.  Two-phase signing must fix it so that both
	 * phases build the same signed attributes. */
	time_t signing_time_at;
	/* Put the key's issuing CAs into `certificates` (the signer
	 * certificate is always there).  Default true. */
	bool include_chain;
	/* Leave the certificates field out altogether, signer certificate
	 * included (RFC 3161 2.4.1: a token for a request without
	 * certReq). */
	bool no_certs;
	/* Size only: the key is not asked; the signature value is zeros of
	 * the largest length the key can produce, so the DER is at least as
	 * long as the real one (PDF /Contents reservation). */
	bool sizing;
};

void ks_cms_sign_opts_init(struct ks_cms_sign_opts *o);

/* Build a detached CAdES-B-B SignedData over `content_digest` (n bytes,
 * ks_md_size(md)) and append its DER to der_out.  Signed attributes:
 * contentType (id-data), messageDigest, signingCertificateV2 (ESSCertIDv2,
 * SHA-256 over the certificate, with issuerSerial; RFC 5035) and, when
 * asked, signingTime.  The signer's chain is included.  signatureAlgorithm
 * follows the scheme: sha*WithRSAEncryption, RSASSA-PSS with explicit
 * parameters (hash, MGF1 with the same hash, salt = hash length), or
 * ecdsa-with-SHA*.  The signature is checked against the certificate
 * before it is returned.  `opts` may be NULL (defaults).  With an
 * external key that has no signature yet: -1 with KS_ERR_PENDING. */
KS_WUR int ks_cms_sign_digest(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
			      const uint8_t *content_digest, size_t n,
			      const struct ks_cms_sign_opts *opts, struct ks_buf *der_out);
/* The same over content in memory, or a file streamed in chunks. */
KS_WUR int ks_cms_sign_data(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
			    const void *data, size_t n, const struct ks_cms_sign_opts *opts,
			    struct ks_buf *der_out);
KS_WUR int ks_cms_sign_file(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
			    const char *path, const struct ks_cms_sign_opts *opts,
			    struct ks_buf *der_out);
/* Digest of a file, streamed (memory does not grow with its size);
 * appended to out. */
KS_WUR int ks_cms_digest_file(enum ks_md md, const char *path, struct ks_buf *out);

/* An attached SignedData encapsulating `content` (n bytes) with
 * eContentType `econtent_type` (dotted OID; one OpenSSL knows, not
 * id-data), signed as ks_cms_sign_digest signs: the contentType
 * attribute names that type, messageDigest is the hash of the content.
 * What a TSA signs (RFC 3161 2.4.2: id-ct-TSTInfo). */
KS_WUR int ks_cms_sign_encap(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
			     const char *econtent_type, const uint8_t *content, size_t n,
			     const struct ks_cms_sign_opts *opts, struct ks_buf *der_out);

/* Add an unsigned attribute (RFC 5652 5.3) to SignerInfo `index` of a
 * SignedData and re-encode it: e.g. id-aa-signatureTimeStampToken
 * (1.2.840.113549.1.9.16.2.14) with a TimeStampToken for B-T.  `oid` is
 * dotted text; `value` one DER-encoded ASN.1 value.  Signed parts are
 * not changed.  The new DER is appended to out. */
KS_WUR int ks_cms_add_unsigned_attr(const uint8_t *der, size_t n, size_t index, const char *oid,
				    const uint8_t *value, size_t vlen, struct ks_buf *out);

/* ---- DER --------------------------------------------------------------- */

/* One DER TLV: low-tag-number form, definite minimal length (at most 4
 * length bytes).  `val` views the contents.  KS_ERR_TRUNCATED /
 * KS_ERR_PARSE; the cursor is unchanged on failure. */
KS_WUR int ks_der_read(struct ks_cur *c, uint8_t *tag, struct ks_cur *val);
/* Same, requiring `tag`. */
KS_WUR int ks_der_expect(struct ks_cur *c, uint8_t tag, struct ks_cur *val);

/* ---- parsing ---------------------------------------------------------- */

struct ks_cms; /* a parsed SignedData; opaque */

/* Parse DER (BER is accepted where OpenSSL takes it).  The input must be
 * exactly one ContentInfo, except that with `zero_pad` trailing zero
 * bytes are allowed (a PDF /Contents string).  KS_ERR_LIMIT above the
 * limits, KS_ERR_TRUNCATED / KS_ERR_PARSE for bad encoding, KS_ERR_CMS
 * when it is not a SignedData with at least one SignerInfo. */
KS_WUR int ks_cms_parse(const uint8_t *der, size_t n, bool zero_pad, struct ks_cms **out);
void ks_cms_free(struct ks_cms *cms);
size_t ks_cms_signer_count(const struct ks_cms *cms);
/* How many unsigned attributes of type `oid` (dotted) SignerInfo `index`
 * carries. */
KS_WUR int ks_cms_unsigned_attr_count(const struct ks_cms *cms, size_t index, const char *oid,
				      size_t *count);
/* Does the SignedData carry its content (eContent present)? */
bool ks_cms_is_attached(const struct ks_cms *cms);
/* The signature value of SignerInfo `index` (what a signature timestamp
 * covers, ETSI EN 319 122-1 5.3); appended to out. */
KS_WUR int ks_cms_signature_value(const struct ks_cms *cms, size_t index, struct ks_buf *out);
/* OpenSSL's parsed structure (owned by cms) and the certificates it
 * carries (owned by cms, never NULL), for callers that need more. */
CMS_ContentInfo *ks_cms_get0_ci(const struct ks_cms *cms);
STACK_OF(X509) * ks_cms_get0_certs(const struct ks_cms *cms);

/* ---- content digests -------------------------------------------------- */

struct ks_cms_content; /* opaque */

/* Digest contexts for every digest algorithm the SignerInfos use (known
 * ones, weak ones included so that they can be reported).  For an
 * attached SignedData the embedded content is hashed at once and
 * update() is refused. */
KS_WUR int ks_cms_content_new(const struct ks_cms *cms, struct ks_cms_content **out);
KS_WUR int ks_cms_content_update(struct ks_cms_content *c, const void *data, size_t n);
/* Hash a whole file (streamed). */
KS_WUR int ks_cms_content_file(struct ks_cms_content *c, const char *path);
/* A digest computed elsewhere (e.g. a PDF ByteRange): used for the
 * signers whose digest algorithm is `md`; the others then have no
 * digest and end INDETERMINATE / SIGNED_DATA_NOT_FOUND unless data is
 * also streamed. */
KS_WUR int ks_cms_content_set_digest(struct ks_cms_content *c, enum ks_md md, const uint8_t *digest,
				     size_t n);
void ks_cms_content_free(struct ks_cms_content *c);

/* ---- verification ----------------------------------------------------- */

/* The certificate path, its trust anchors and revocation are never
 * decided here: the validation engine (signer/validate) takes the signer
 * certificate from the result and builds the path.  TOTAL-PASSED means
 * everything this module checks passed. */
struct ks_cms_verify_opts {
	/* More certificates among which the signer certificate may be found
	 * (with the ones the CMS carries); may be NULL. */
	STACK_OF(X509) * untrusted;
	/* The eContentType required (a NID); 0 = id-data.  A timestamp
	 * token is id-smime-ct-TSTInfo (RFC 3161 2.4.2). */
	int econtent_nid;
};

/* Facts worth a line in a report, beyond the indication. */
enum ks_cms_note {
	KS_CMS_NOTE_NO_SIGNED_ATTRS = 1u << 0,  /* signature over the content digest: not CAdES */
	KS_CMS_NOTE_ESS_V1 = 1u << 1,           /* signer bound by v1 signingCertificate (SHA-1) */
	KS_CMS_NOTE_NO_ESS = 1u << 2,           /* no signing-certificate attribute at all */
	KS_CMS_NOTE_MULTIPLE_SIGNERS = 1u << 3, /* more than one SignerInfo */
	KS_CMS_NOTE_REVOCATION_NOT_CHECKED = 1u << 4,
	KS_CMS_NOTE_ATTACHED = 1u << 6,       /* content encapsulated */
	KS_CMS_NOTE_UNSIGNED_ATTRS = 1u << 7, /* unsigned attributes present (not checked) */
};

struct ks_cms_signer_result {
	enum ks_indication indication;
	enum ks_subindication sub;
	char detail[256];      /* technical reason (English), "" when passed */
	X509 *cert;            /* owned; identified signer certificate or NULL */
	char digest_alg[32];   /* "SHA-256" ... */
	char sig_alg[48];      /* "RSA PKCS#1 v1.5", "RSA-PSS", "ECDSA" */
	bool has_signing_time; /* claimed signingTime attribute */
	time_t signing_time;
	unsigned notes; /* enum ks_cms_note bits */
};

struct ks_cms_result {
	size_t n;
	struct ks_cms_signer_result *signers; /* owned */
};

void ks_cms_result_init(struct ks_cms_result *r);
void ks_cms_result_cleanup(struct ks_cms_result *r);

/* Verify every SignerInfo against the content digests.  Returns 0 when
 * verification ran (whatever its outcome: read r->signers); -1 only when
 * it could not (out of memory, bad arguments).  Checks, in the order of
 * ETSI EN 319 102-1 5.2: structure (contentType attribute = eContentType
 * = id-data, single-valued attributes), messageDigest (HASH_FAILURE),
 * signer certificate by sid and signingCertificateV2 / v1
 * (NO_SIGNING_CERTIFICATE_FOUND on mismatch), signature value over the
 * signed attributes or, without them, over the content digest
 * (SIG_CRYPTO_FAILURE), the signer certificate's keyUsage, algorithm
 * strength (CRYPTO_CONSTRAINTS_FAILURE_NO_POE: the minimums of
 * core/ks_crypto, the ones signing applies: MD5, SHA-1, SHA-224, also in
 * RSA-PSS/MGF1; RSA below 2048 bits; EC other than a named P-256, P-384
 * or P-521 curve).  The path (and the strength of its CA certificates)
 * and revocation are the validation engine's (noted).
 * SignedData.digestAlgorithms, an unsigned hint for one-pass hashing
 * (RFC 5652 5.1), is not used: each SignerInfo's own digestAlgorithm is. */
KS_WUR int ks_cms_verify(const struct ks_cms *cms, struct ks_cms_content *content,
			 const struct ks_cms_verify_opts *opts, struct ks_cms_result *r);

/* Conveniences: content in memory, a file (streamed), or one digest. */
KS_WUR int ks_cms_verify_data(const struct ks_cms *cms, const void *data, size_t n,
			      const struct ks_cms_verify_opts *opts, struct ks_cms_result *r);
KS_WUR int ks_cms_verify_file(const struct ks_cms *cms, const char *path,
			      const struct ks_cms_verify_opts *opts, struct ks_cms_result *r);
KS_WUR int ks_cms_verify_digest(const struct ks_cms *cms, enum ks_md md, const uint8_t *digest,
				size_t n, const struct ks_cms_verify_opts *opts,
				struct ks_cms_result *r);

#endif
