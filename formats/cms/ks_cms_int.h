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

/* Display name ("SHA-256"); the dotted OID is written into `buf` for an
 * unknown one. */
const char *ks_cms_md_label(int nid, char *buf, size_t n);
/* Strong enough for a signature today (SHA-256 and up, SHA-3)? */
bool ks_cms_md_acceptable(int nid);
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

#endif
