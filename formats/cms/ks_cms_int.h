/* Internal to formats/cms: shared by signing, parsing and verification. */
#ifndef KS_CMS_INT_H
#define KS_CMS_INT_H

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <stdbool.h>

#include "formats/cms/ks_cms.h"
#include "ks_cur.h"

struct ks_cms {
	CMS_ContentInfo *ci;
	STACK_OF(X509) * certs; /* owned, never NULL */
	bool attached;
};

/* ---- digest algorithms ---- */

/* (Names and strength of digests: core/ks_crypto.) */
int ks_cms_md_nid(enum ks_md md);
/* Fetch the EVP_MD of a digest NID (weak ones included); NULL when the
 * providers do not have it.  Free with EVP_MD_free. */
EVP_MD *ks_cms_md_fetch(int nid);

/* Padding, digest and PSS parameters on a sign or verify context.
 * `saltlen` and `mgf1` only matter for PSS. */
KS_WUR int ks_cms_pkey_setup(EVP_PKEY_CTX *ctx, enum ks_sig_scheme scheme, const EVP_MD *md,
			     int saltlen, const EVP_MD *mgf1);

/* DER of the signed attributes as the signature covers them: a SET OF
 * with the universal tag (RFC 5652 5.4).  `sort` orders them as DER
 * requires (signing); verification encodes them in the order received.
 * Fails when there are none. */
KS_WUR int ks_cms_signed_attrs_der(CMS_SignerInfo *si, bool sort, struct ks_buf *out);

/* Read a file in KS_CMS_STREAM_CHUNK pieces and hand each to fn. */
KS_WUR int ks_cms_stream_file(const char *path, int (*fn)(void *ctx, const uint8_t *p, size_t n),
			      void *ctx);

/* The content digest for digest algorithm `nid`, finalising the streams
 * on first use (ks_cms_parse.c).  *d NULL when there is none. */
KS_WUR int ks_cms_content_digest(struct ks_cms_content *c, int nid, const unsigned char **d,
				 unsigned int *len);

/* ---- DER (ks_cms_der.c) ---- */

/* The first ESSCertID / ESSCertIDv2 of a signing-certificate attribute
 * (RFC 2634 5.4, RFC 5035 5.4): the one naming the signer certificate.
 * Views point into the attribute value, which must outlive this. */
struct ks_cms_ess {
	bool v1;      /* SigningCertificate (SHA-1 ESSCertID) */
	int hash_nid; /* NID_sha1 for v1; sha256 when v2 leaves it default */
	struct ks_cur hash;
	bool has_issuer_serial;
	struct ks_cur issuer_names; /* contents of GeneralNames */
	struct ks_cur serial;       /* the whole INTEGER TLV */
};

/* Parse the attribute value (the DER of SigningCertificate or
 * SigningCertificateV2). */
KS_WUR int ks_cms_ess_parse(const uint8_t *der, size_t n, bool v1, struct ks_cms_ess *out);
/* Does `cert` match?  *match false with a reason in `why` (static text)
 * on mismatch; -1 only for an unusable hash algorithm or OpenSSL failure. */
KS_WUR int ks_cms_ess_match(const struct ks_cms_ess *e, X509 *cert, bool *match, const char **why);

/* ---- verification steps (ks_cms_verify.c drives them) ---- */

/* Record the first finding about a signer: its sub-indication, class and
 * detail; later ones are dropped (ks_cms_common.c). */
void ks_cms_conclude(struct ks_cms_signer_result *r, enum ks_subindication sub, const char *fmt,
		     ...) KS_PRINTF(3, 4);

/* What signatureAlgorithm says (ks_cms_algs.c). */
struct ks_cms_sigparams {
	enum ks_sig_scheme scheme;
	int md_nid;   /* hash inside the signature */
	int mgf1_nid; /* PSS */
	int saltlen;  /* PSS */
	bool plain;   /* ECDSA value as r || s (BSI TR-03111 5.2.1), not DER */
};

/* signatureAlgorithm -> scheme and hashes; false with a conclusion when
 * unsupported, malformed, or not hashing with digestAlgorithm `dig_nid`. */
bool ks_cms_sigalg_parse(const X509_ALGOR *alg, int dig_nid, struct ks_cms_sigparams *sp,
			 struct ks_cms_signer_result *r);
/* Is `sig` a valid signature of digest h under the certificate's key?
 * -1 only when the check could not run. */
KS_WUR int ks_cms_sig_verify(X509 *cert, const struct ks_cms_sigparams *sp, const unsigned char *h,
			     size_t hlen, const ASN1_OCTET_STRING *sig, bool *ok);
/* ETSI EN 319 102-1 5.2.8 with the floor of core/ks_crypto: the digest,
 * the MGF1 hash, the signer's key and the path r->chain (when built). */
void ks_cms_check_constraints(X509 *cert, int dig_nid, const struct ks_cms_sigparams *sp,
			      struct ks_cms_signer_result *r);

/* The signed attributes a verification uses (ks_cms_attrs.c). */
struct ks_cms_attrs {
	bool present;
	const ASN1_OCTET_STRING *message_digest;
	const ASN1_STRING *ess; /* DER of the signing-certificate attribute */
	bool ess_v1;
};

/* RFC 5652 5.3 and 11, ETSI EN 319 122-1 5.2: the attributes' shape and
 * the content type `want_nid`; false with a conclusion. */
bool ks_cms_attrs_check(const struct ks_cms *cms, CMS_SignerInfo *si, int want_nid,
			struct ks_cms_attrs *at, struct ks_cms_signer_result *r);
/* The signer certificate among `pool` (sid, narrowed by the
 * signing-certificate attribute), up-referenced into r->cert. */
bool ks_cms_signer_identify(CMS_SignerInfo *si, const struct ks_cms_attrs *at,
			    STACK_OF(X509) * pool, struct ks_cms_signer_result *r);
/* A signingCertificateV2 hash too weak to bind a certificate. */
void ks_cms_ess_hash_check(const struct ks_cms_attrs *at, struct ks_cms_signer_result *r);

/* ---- DER writer (ks_cms_enc.c) ---- */

/* One encoded element of a SET OF. */
struct ks_der_piece {
	const uint8_t *der;
	size_t len;
};

/* Bytes of the tag and length of a value of `len` bytes. */
size_t ks_der_hdr_len(size_t len);
/* Append the tag and definite length (at most 4 length bytes). */
KS_WUR int ks_der_put_hdr(struct ks_buf *b, uint8_t tag, size_t len);
/* Append a whole TLV. */
KS_WUR int ks_der_put(struct ks_buf *b, uint8_t tag, const void *val, size_t len);
/* Append `tag` over the n pieces sorted as DER orders a SET OF (the
 * array is reordered). */
KS_WUR int ks_der_put_set(struct ks_buf *b, uint8_t tag, struct ks_der_piece *p, size_t n);

#endif
