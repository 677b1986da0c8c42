/* ks_pades: PAdES signatures on PDF files (ETSI EN 319 142-1; baseline
 * B-B now, the writer leaves room for B-T and later DSS updates).
 *
 * A signature is one incremental update (ISO 32000-1 7.5.6) appended to
 * the original, which is never changed: the signature dictionary
 * (/Filter /Adobe.PPKLite, /SubFilter /ETSI.CAdES.detached, /M, optional
 * /Reason /Name /Location /ContactInfo), a signature field and widget
 * (invisible, or visible with a Vietnamese appearance), and whole rewritten
 * copies of the catalog, page and AcroForm objects it touches.  The
 * ByteRange digest is computed while the original is streamed to the
 * output; memory does not grow with the size of the PDF.
 *
 * /Contents is sized from the real signature, never guessed: the CMS is
 * built once in sizing mode (same certificates, same signed attributes, a
 * zero digest, and a zero signature value of the largest length the key
 * can produce: RSA the modulus length, ECDSA both DER integers at full
 * length with their sign bytes), then KS_PADES_SLACK bytes are added, plus
 * opts.reserve_extra for unsigned attributes added after signing (a
 * signature timestamp, B-T: KS_PADES_TST_RESERVE).  The key itself signs
 * once.  A long chain grows both builds alike. */
#ifndef KS_PADES_H
#define KS_PADES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "ks_buf.h"
#include "ks_err.h"
#include "ks_key.h"

/* Bytes added to the sized CMS: DER length fields that could grow by a
 * byte or two, nothing more (the sizing is exact otherwise). */
#define KS_PADES_SLACK ((size_t)64)
/* Bytes to reserve (opts.reserve_extra) when a signature timestamp will
 * be added as an unsigned attribute (B-T): a TimeStampToken with the TSA
 * certificate and its chain is 3-8 KB in practice. */
#define KS_PADES_TST_RESERVE ((size_t)16384)
/* Fields one FieldMDP lock may name. */
#define KS_PADES_MAX_LOCK_FIELDS 64
/* Fields listed when opts.field names none of them. */
#define KS_PADES_FIELDS_LISTED 20
/* UTC offset of Vietnam (no daylight saving): the default for /M and the
 * appearance. */
#define KS_PADES_TZ_VIETNAM 420

/* FieldMDP (ISO 32000-1 12.7.4.5, Table 233): which fields the signature
 * locks. */
enum ks_pades_lock {
	KS_PADES_LOCK_NONE = 0,
	KS_PADES_LOCK_ALL,     /* /Action /All */
	KS_PADES_LOCK_INCLUDE, /* /Action /Include, lock_fields */
	KS_PADES_LOCK_EXCLUDE, /* /Action /Exclude, lock_fields */
};

struct ks_pades_opts {
	/* Field to sign: an existing empty signature field of that name, or a
	 * new field with that name.  NULL: the first unsigned signature field
	 * of the document, else a new "SignatureN" (N unique). */
	const char *field;
	/* `field` must name a field of the document: a name not found is
	 * refused (listing the fields) instead of naming a new field. */
	bool field_must_exist;
	/* Visible signature: 1-based page and rectangle in PDF points (lower
	 * left x, y, width, height) measured from the lower-left corner of the
	 * page's crop box as displayed, i.e. after its /Rotate; page 0 =
	 * invisible.  An existing field's
	 * own rectangle is used when the field is visible and page is 0.
	 * The rectangle must lie within the crop box as displayed and leave
	 * the text at least KS_PDF_APPEAR_MIN_SIZE points high; otherwise
	 * KS_ERR_ARG, the message naming the page size. */
	unsigned page;
	double x, y, w, h;
	/* Certification (DocMDP, ISO 32000-1 12.8.2.2): 0 none, or P = 1
	 * (no changes), 2 (form filling, signing), 3 (also annotations).
	 * Only on the first signature of a document. */
	int certify;
	enum ks_pades_lock lock;
	const char *const *lock_fields;
	size_t n_lock_fields;
	/* Text (UTF-8); NULL leaves the entry out.  `role` only appears in
	 * the visible appearance and defaults to the certificate's title ("" to
	 * leave it out); `name` (/Name) defaults to the certificate's CN. */
	const char *reason;
	const char *location;
	const char *contact_info;
	const char *name;
	const char *role;
	time_t signing_time; /* 0: now */
	int tz_min;          /* UTC offset for /M and the appearance */
	enum ks_md md;
	/* RSA keys: PSS instead of PKCS#1 v1.5. */
	bool rsa_pss;
	/* Extra /Contents bytes for unsigned attributes added by the CMS
	 * producer after signing (KS_PADES_TST_RESERVE for B-T). */
	size_t reserve_extra;
	const char *font_path; /* NULL: DejaVu Sans (Debian fonts-dejavu-core) */
	/* Optional: a digest context that has hashed exactly the input, no
	 * more, with the algorithm `md` names (a caller that hashed the
	 * document anyway).  The /ByteRange digest continues from a copy of
	 * it instead of hashing the input again; another algorithm is
	 * ignored. */
	const EVP_MD_CTX *input_digest;
	/* Optional: a key of the document information dictionary (the /Info
	 * of the latest trailer, which the update keeps) whose byte string
	 * the result carries (ks_pades_result.info_value), read while the
	 * document is open anyway. */
	const char *info_key;
	/* A document timestamp (ETSI EN 319 142-1 5.4, ISO 32000-2 12.8.5):
	 * /Type /DocTimeStamp, /SubFilter /ETSI.RFC3161, /Contents an RFC 3161
	 * token over the ByteRange digest (the producer gives it; cert may be
	 * NULL), in a new invisible field "TimeStampN".  Validation data, so
	 * allowed under any certification; no other option applies. */
	bool doc_timestamp;
};

/* Defaults: invisible, new or first empty field, no certification,
 * SHA-256, Vietnam time, nothing reserved. */
void ks_pades_opts_init(struct ks_pades_opts *o);

/* Produces the CMS SignedData (DER) placed in /Contents.  Called twice:
 * first with sizing = true and an all-zero digest, where the result must
 * be at least as long as the real one will be (no signing key needed);
 * then with the ByteRange digest.  `md` is the digest algorithm. */
struct ks_pades_cms {
	int (*produce)(void *ctx, enum ks_md md, const uint8_t *digest, size_t dlen, bool sizing,
		       struct ks_buf *der);
	void *ctx;
	X509 *cert; /* signer certificate (its CN for /Name and the appearance) */
};

/* The default producer: a CAdES detached SignedData (formats/cms) signed
 * by `key`, without signingTime (ETSI EN 319 142-1 5.4: the time is /M).
 * `ctx` must outlive the use of `out`. */
struct ks_pades_key_ctx {
	struct ks_key *key;
	enum ks_sig_scheme scheme;
};
void ks_pades_cms_from_key(struct ks_pades_key_ctx *ctx, struct ks_key *key, bool rsa_pss,
			   struct ks_pades_cms *out);

#define KS_PADES_INFO_VALUE_MAX 64

struct ks_pades_result {
	char field[128];          /* fully qualified name of the signed field */
	bool new_field;           /* the field was created by this signature */
	size_t contents_reserved; /* DER bytes reserved in /Contents */
	size_t cms_len;           /* DER bytes of the signature */
	size_t font_bytes;        /* embedded appearance font (0: invisible) */
	uint64_t byte_range[4];
	uint64_t out_len;
	/* opts.info_key's value: a byte string of 1..KS_PADES_INFO_VALUE_MAX
	 * bytes; info_len 0 when there is none such (absent, another type,
	 * longer). */
	uint8_t info_value[KS_PADES_INFO_VALUE_MAX];
	size_t info_len;
};

/* Sign the PDF at in_path into out_path (written atomically: temporary
 * file, fsync, rename; a failure leaves no file).  The input is mapped,
 * never read into the heap.  `res` may be NULL. */
KS_WUR int ks_pades_sign_file(const char *in_path, const char *out_path,
			      const struct ks_pades_cms *cms, const struct ks_pades_opts *opts,
			      struct ks_pades_result *res);
/* Same on a PDF in memory; the signed PDF is appended to `out`. */
KS_WUR int ks_pades_sign_mem(const uint8_t *pdf, size_t len, const struct ks_pades_cms *cms,
			     const struct ks_pades_opts *opts, struct ks_buf *out,
			     struct ks_pades_result *res);

/* ---- validation data (B-LT) ---- */

/* Items of one kind one update may add to the DSS. */
#define KS_PADES_DSS_MAX_ITEMS 4096

/* Certificates, OCSP responses (OCSPResponse) and CRLs, each DER. */
struct ks_pades_dss {
	const struct ks_buf *certs;
	size_t n_certs;
	const struct ks_buf *ocsps;
	size_t n_ocsps;
	const struct ks_buf *crls;
	size_t n_crls;
};

/* Add them to the document's DSS (ETSI EN 319 142-1 5.4.2.2) in an
 * incremental update of its own: new streams for what the DSS does not
 * hold yet (compared by content), the DSS (created, or rewritten as it
 * was, direct or indirect) and the catalog.  *added (may be NULL) counts
 * the new streams.  Written atomically like a signature. */
KS_WUR int ks_pades_add_dss_file(const char *in_path, const char *out_path,
				 const struct ks_pades_dss *add, size_t *added);
KS_WUR int ks_pades_add_dss_mem(const uint8_t *pdf, size_t len, const struct ks_pades_dss *add,
				struct ks_buf *out, size_t *added);

#endif
