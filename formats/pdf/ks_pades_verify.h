/* ks_pades_verify: verification of every signature of a PDF (ISO 32000-1
 * 12.8, ETSI EN 319 142-1) with the vocabulary of ETSI EN 319 102-1.
 *
 * For each signature dictionary (a /FT /Sig field's /V in any revision)
 * and each document timestamp (/Type /DocTimeStamp, /SubFilter
 * /ETSI.RFC3161):
 *  1. /ByteRange sanity: [0 a b c], the gap [a, b) is exactly the
 *     /Contents hex string of the signature dictionary as the signed
 *     revision stores it, b + c is the end of a revision (its %%EOF and
 *     EOL); /Contents holds one DER CMS and nothing but zero padding;
 *  2. CMS: digest of the two ranges (streamed from the caller's memory,
 *     no copy), messageDigest, signer certificate (signingCertificateV2),
 *     signature value, path to the trust anchors (formats/cms);
 *  3. modification analysis between the signed revision and the final
 *     file (ks_pades_diff.c): every object a later update adds, changes
 *     or deletes is classified; what ISO 32000-1 12.8.2 (DocMDP, FieldMDP)
 *     and PAdES (DSS, document timestamps) permit is listed as allowed,
 *     everything else fails the signature.
 *
 * Indications (documented in docs/validation-report.md, "PDF"):
 *  - malformed /ByteRange or /Contents, unsupported /SubFilter, coverage
 *    that is not a whole revision, a disallowed modification after
 *    signing: TOTAL-FAILED / FORMAT_FAILURE (the detail says which);
 *  - changed signed bytes: TOTAL-FAILED / HASH_FAILURE;
 *  - then whatever the CMS verification says (SIG_CRYPTO_FAILURE,
 *    NO_SIGNING_CERTIFICATE_FOUND, NO_CERTIFICATE_CHAIN_FOUND, ...). */
#ifndef KS_PADES_VERIFY_H
#define KS_PADES_VERIFY_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "formats/cms/ks_cms.h"
#include "formats/cms/ks_etsi.h"
#include "formats/pdf/ks_pdfdoc.h"
#include "ks_err.h"

/* Limits: a hostile file cannot make the verifier work without bound. */
#define KS_PADES_VERIFY_MAX_SIGS 64                /* signature dictionaries verified */
#define KS_PADES_VERIFY_MAX_CHANGES 256            /* changes listed per signature */
#define KS_PADES_DIFF_MAX_DEPTH 32                 /* nesting followed by a deep compare */
#define KS_PADES_DIFF_MAX_NODES 400000             /* values one reachability walk visits */
#define KS_PADES_DIFF_MAX_SCAN ((size_t)256 << 20) /* bytes scanned for stray objects */
#define KS_PADES_VERIFY_TEXT_MAX ((size_t)4096)    /* one text entry (/Reason, a lock name) */
#define KS_PADES_VERIFY_MAX_LOCK_NAMES 256         /* field names one lock may list */

enum ks_pades_kind {
	KS_PADES_SIGNATURE = 0, /* /Type /Sig (or none) */
	KS_PADES_DOC_TIMESTAMP, /* /Type /DocTimeStamp, ETSI EN 319 142-1 5.4 */
};

enum ks_pades_coverage {
	KS_PADES_COVER_NONE = 0,    /* no usable /ByteRange */
	KS_PADES_COVER_WHOLE,       /* the whole file but /Contents */
	KS_PADES_COVER_REVISION,    /* a whole earlier revision; updates follow */
	KS_PADES_COVER_NONSTANDARD, /* not a revision boundary: format failure */
};

/* How much an update changes, in the order of ISO 32000-1 Table 254
 * (DocMDP /P): a signature permits changes up to a level. */
enum ks_pades_level {
	KS_PADES_LEVEL_NONE = 0, /* no effect on the document (xref mechanics, unused objects) */
	KS_PADES_LEVEL_LTV,      /* DSS, document timestamps, metadata (allowed even with P=1) */
	KS_PADES_LEVEL_FORM,     /* signing, form filling (P=2) */
	KS_PADES_LEVEL_ANNOT,    /* annotations (P=3) */
	KS_PADES_LEVEL_OTHER,    /* anything else: never allowed */
};

/* What a changed object is, from where the document references it. */
enum ks_pades_what {
	KS_PADES_WHAT_UNUSED = 0, /* referenced from nowhere */
	KS_PADES_WHAT_XREF,       /* cross-reference or object stream */
	KS_PADES_WHAT_CATALOG,
	KS_PADES_WHAT_ACROFORM,  /* interactive form dictionary, /Fields */
	KS_PADES_WHAT_SIG_FIELD, /* signature field (or its widget) */
	KS_PADES_WHAT_SIG_DICT,  /* signature dictionary */
	KS_PADES_WHAT_DOC_TIMESTAMP,
	KS_PADES_WHAT_FORM_FIELD, /* other form field */
	KS_PADES_WHAT_WIDGET,     /* widget annotation of a form field */
	KS_PADES_WHAT_APPEARANCE, /* appearance stream of a widget */
	KS_PADES_WHAT_ANNOTATION, /* other annotation, its appearance */
	KS_PADES_WHAT_PAGE,       /* a page dictionary */
	KS_PADES_WHAT_PAGE_TREE,  /* /Pages nodes */
	KS_PADES_WHAT_CONTENT,    /* what pages draw: content, resources, fonts, images */
	KS_PADES_WHAT_DSS,        /* document security store */
	KS_PADES_WHAT_INFO,       /* document information dictionary */
	KS_PADES_WHAT_METADATA,   /* XMP metadata, /Extensions */
	KS_PADES_WHAT_OTHER,      /* anything else the catalog reaches */
	KS_PADES_WHAT_FILE,       /* not an object: bytes, xref structure */
	KS_PADES_WHAT__COUNT
};

enum ks_pades_op {
	KS_PADES_ADDED = 0,
	KS_PADES_MODIFIED,
	KS_PADES_DELETED,
};

/* Where a change shows: the page whose /Annots holds the annotation or
 * widget it belongs to, and that annotation's /Rect (default user space,
 * normalised so that x1 <= x2 and y1 <= y2). */
struct ks_pades_place {
	uint32_t page; /* 1-based; 0 when the change is on no page */
	bool has_rect;
	double rect[4]; /* x1 y1 x2 y2 */
};

struct ks_pades_change {
	uint32_t num; /* object number; 0 for KS_PADES_WHAT_FILE */
	uint32_t rev; /* revision (0-based) that made the change */
	enum ks_pades_what what;
	enum ks_pades_op op;
	enum ks_pades_level level;
	bool allowed;
	struct ks_pades_place place;
	char detail[160]; /* technical, English: keys changed, offsets */
};

struct ks_pades_sig {
	enum ks_pades_kind kind;
	char field[128];    /* fully qualified field name (UTF-8) */
	uint32_t sig_num;   /* object number of the signature dictionary, 0 when direct */
	char subfilter[48]; /* "ETSI.CAdES.detached" ... */
	uint64_t byte_range[4];
	bool has_byte_range; /* byte_range holds 4 sane numbers */
	enum ks_pades_coverage coverage;
	size_t rev;    /* signed revision (0-based); valid unless COVER_NONE/NONSTANDARD */
	size_t nrevs;  /* revisions of the file */
	int docmdp;    /* this signature certifies with DocMDP P=1..3; 0 none */
	int permitted; /* DocMDP P in force for changes after it (0: not certified) */
	bool fieldmdp; /* this signature locks fields (FieldMDP or /Lock) */
	/* /M of the signature dictionary (claimed signing time). */
	bool has_m;
	time_t m;
	char reason[128], name[128], location[128];
	/* CMS verification (signature: signer 0; timestamp: the TSA). */
	bool has_cms;
	struct ks_cms_signer_result cms; /* cert owned */
	bool signature_timestamp;        /* unsigned signatureTimeStampToken (not validated) */
	/* The /Contents CMS (trailing zero padding cut when its length is
	 * definite; parse with zero_pad), for the caller's engine: carried
	 * certificates, signature timestamps. */
	uint8_t *cms_der;
	size_t cms_len;
	/* cms_der as parsed for the check above (NULL when it was not): a
	 * caller may take it (and then free it) rather than parse again. */
	struct ks_cms *cms_parsed;
	bool weak_subfilter; /* adbe.pkcs7.sha1 */
	/* Outcome. */
	enum ks_indication indication;
	enum ks_subindication sub;
	char detail[256];          /* technical reason (English); "" when passed */
	enum ks_pades_level level; /* highest level of the changes after it */
	/* The changes after it: at most KS_PADES_VERIFY_MAX_CHANGES are
	 * listed (those not allowed first), the rest only counted. */
	struct ks_pades_change *changes;
	size_t n_changes;
	size_t changes_dropped; /* found but not listed */
	size_t n_not_allowed;   /* every change not allowed, listed or not */
};

struct ks_pades_verify_result {
	struct ks_pades_sig *sigs; /* in the order of their signed revision */
	size_t n;
	size_t nrevs;
	/* The file could not be read as a PDF at all: no signature can be
	 * checked (reported as one format failure). */
	bool unreadable;
	char detail[256];
	bool repaired;       /* the xref chain was rebuilt by scanning */
	size_t sigs_dropped; /* beyond KS_PADES_VERIFY_MAX_SIGS */
};

struct ks_pades_verify_opts {
	const struct ks_pdfdoc_limits *lim; /* NULL: reader defaults */
};

void ks_pades_verify_result_init(struct ks_pades_verify_result *r);
void ks_pades_verify_result_cleanup(struct ks_pades_verify_result *r);

/* Verify every signature of the PDF in [pdf, pdf+len) (kept alive by the
 * caller; never copied).  Returns 0 when verification ran, whatever its
 * outcome (read *res); -1 only when it could not (out of memory, bad
 * arguments).  opts may be NULL. */
KS_WUR int ks_pades_verify_mem(const uint8_t *pdf, size_t len,
			       const struct ks_pades_verify_opts *opts,
			       struct ks_pades_verify_result *res);
/* The same on a file, mapped read-only (KS_ERR_IO when it cannot be). */
KS_WUR int ks_pades_verify_file(const char *path, const struct ks_pades_verify_opts *opts,
				struct ks_pades_verify_result *res);

/* Static English names, for messages and JSON codes. */
const char *ks_pades_what_name(enum ks_pades_what w);   /* "page content" */
const char *ks_pades_level_name(enum ks_pades_level l); /* "form filling" */

#endif
