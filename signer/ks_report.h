/* ks_report: the validation report of a document, whatever its format
 * (CMS/CAdES, PAdES, XAdES).  One entry per signature with its ETSI EN
 * 319 102-1 indication and sub-indication, the signer as the certificate
 * names them (name, CCCD/MST from the subject UID, title, organisation),
 * the signing time the signer claims, what the signature covers and what
 * changed after it; printed as text in Vietnamese (default) or English,
 * or as JSON.  docs/validation-report.md describes the output.
 *
 * Every string put in a report is copied and cleaned of control
 * characters: certificate names and PDF field names are attacker text and
 * must not drive the terminal. */
#ifndef KS_REPORT_H
#define KS_REPORT_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "formats/cms/ks_cms.h"
#include "formats/cms/ks_etsi.h"
#include "ks_buf.h"
#include "ks_err.h"

enum ks_lang { KS_LANG_VI = 0, KS_LANG_EN = 1 };

/* "vi" or "en". */
KS_WUR int ks_lang_parse(const char *s, enum ks_lang *lang);

/* Facts printed as notes under a signature (localised by the report). */
enum ks_report_note {
	KS_NOTE_REVOCATION_NOT_CHECKED = 1u << 0,
	KS_NOTE_NO_TRUST_ANCHORS = 1u << 1,
	KS_NOTE_SIGNING_TIME_CLAIMED = 1u << 2, /* no timestamp confirms the time */
	KS_NOTE_NOT_CADES = 1u << 3,            /* CMS without signed attributes */
	KS_NOTE_ESS_V1 = 1u << 4,               /* signer bound by SHA-1 reference */
	KS_NOTE_NO_ESS = 1u << 5,               /* signer certificate not bound */
	KS_NOTE_MULTIPLE_SIGNERS = 1u << 6,
	KS_NOTE_UNSIGNED_ATTRS = 1u << 7,         /* unsigned attributes not checked */
	KS_NOTE_REVOCATION_UNCONFIRMED = 1u << 8, /* no answer; the policy only warns */
	KS_NOTE_EXPIRED_AFTER_POE = 1u << 9,      /* a certificate expired after the POE */
	KS_NOTE_REVOKED_AFTER_POE = 1u << 10,     /* revoked after the POE */
	KS_NOTE_TIMESTAMP_NOT_USED = 1u << 11,    /* a signature timestamp did not validate */
	KS_NOTE_SIGNER_EKU = 1u << 12,            /* EKU not for documents; the policy warns */
	KS_NOTE_REVOCATION_OFF = 1u << 13,        /* --revocation off: skipped on purpose */
};
#define KS_NOTE__COUNT 14

/* The document's verdict, in words people act on (docs/validation-report.md). */
enum ks_verdict {
	KS_VERDICT_AUTHENTIC = 0, /* authentic and unchanged */
	KS_VERDICT_CHANGED, /* signatures valid, the document changed afterwards as permitted */
	KS_VERDICT_NOT_AUTHENTIC, /* a signature failed, or a forbidden change */
	KS_VERDICT_INDETERMINATE, /* cannot be confirmed (trust, revocation, format) */
	KS_VERDICT_NOT_SIGNED,    /* no signature at all, or not a signed document */
};

/* Limits: a report of a hostile document stays small. */
#define KS_REPORT_SIGS_MAX 256
#define KS_REPORT_CHANGES_MAX 256
#define KS_REPORT_STR_MAX ((size_t)4096)

/* Certificates of a validated path named per signature. */
#define KS_REPORT_CHAIN_MAX 8

/* Signature timestamps listed per signature. */
#define KS_REPORT_TS_MAX 8

/* A signature timestamp and its own result. */
struct ks_report_ts {
	time_t time;  /* genTime */
	char *tsa;    /* the TSA certificate's common name, NULL when unknown */
	bool valid;   /* its token, its TSA's path and status hold */
	bool used;    /* it is the proof of existence */
	bool archive; /* an archive timestamp (over the signature and its data) */
	char *detail; /* why not valid (English), NULL when valid */
};

/* One change after a signature (PDF: an incremental update's effect). */
struct ks_report_change {
	char *text;        /* a localised sentence */
	const char *level; /* static code: "none", "ltv", "form", "annotation", "other" */
	const char *what;  /* static code: "annotation", "field appearance", ...; NULL: none */
	bool allowed;      /* permitted by the signature */
	uint32_t object;   /* object number; 0 when none */
	uint32_t revision; /* 1-based revision that made it; 0 when none */
	uint32_t page;     /* 1-based page where it shows; 0 when on no page */
	bool has_rect;
	double rect[4]; /* x1 y1 x2 y2 in points, from the page's lower left */
};

struct ks_report_sig {
	enum ks_indication indication;
	enum ks_subindication sub;
	char *detail; /* technical reason (English), NULL when none */
	/* Signer, from the certificate; NULL when unknown. */
	char *signer_name;  /* subject CN */
	char *id_kind;      /* "CCCD", "CMND", "HC", "MST" (from UID) */
	char *id_number;    /* the number after "KIND:" */
	char *uid;          /* the whole subject UID */
	char *title;        /* subject title (chức danh) */
	char *organisation; /* subject O */
	char *subject;      /* RFC 2253 */
	char *issuer;       /* RFC 2253 */
	char *issuer_name;  /* issuer CN */
	char *serial;       /* hex */
	time_t cert_not_before, cert_not_after;
	bool has_cert;
	bool has_signing_time; /* claimed by the signer */
	time_t signing_time;
	char *format;     /* "CAdES-B-B", "CMS", "PAdES-B-B", ... */
	char *digest_alg; /* "SHA-256" */
	char *sig_alg;    /* "RSA-PSS" */
	char *coverage;   /* what the signature covers (free text) */
	/* Changes after signing: at most KS_REPORT_CHANGES_MAX listed,
	 * changes_more counts the others. */
	struct ks_report_change *changes;
	char *role; /* role claimed in signed attributes (XAdES SignerRoleV2) */
	size_t n_changes;
	size_t changes_more;
	/* The highest level among all changes, listed or not (a level code as
	 * in ks_report_change); NULL: none. */
	const char *changes_level;
	unsigned notes; /* enum ks_report_note bits */
	/* PDF: the revision the signature covers (1-based); 0 otherwise. */
	uint32_t revision;
	bool timestamp; /* a document timestamp, not a signature */
	/* Revocation of the signer certificate as the engine found it. */
	const char *rev_status; /* "good", "revoked", ...; NULL: not checked */
	const char *rev_source; /* "ocsp-url", "document", "cache", "crl-url" */
	char *revocation;       /* what answered, or why nothing did (English) */
	/* Proof of existence: the earliest valid timestamp over it. */
	bool has_poe;
	time_t poe;
	char *poe_by; /* "signature timestamp by <TSA>", "document timestamp in field <F>" */
	struct ks_report_ts ts[KS_REPORT_TS_MAX];
	size_t n_ts;
	/* The validated path, signer first, the trust anchor last (common
	 * names); n_chain 0 when no path was validated. */
	char *chain[KS_REPORT_CHAIN_MAX];
	size_t n_chain;
};

struct ks_report {
	char *document; /* shown as given; NULL: not shown */
	time_t validation_time;
	enum ks_verdict verdict; /* set by ks_verdict_decide (signer/validate) */
	char *not_signed;        /* why the file is not a signed document; NULL */
	char *policy;            /* the validation policy's name */
	char *validation_scope;  /* "revocation checked" ... (English code words) */
	struct ks_report_sig *sigs;
	size_t n, cap;
};

void ks_report_init(struct ks_report *r);
void ks_report_cleanup(struct ks_report *r);
KS_WUR int ks_report_set_document(struct ks_report *r, const char *name);

/* A new, zeroed entry (TOTAL-PASSED, no sub-indication) owned by the
 * report; *out stays valid until the next ks_report_add. */
KS_WUR int ks_report_add(struct ks_report *r, struct ks_report_sig **out);
/* Set a string field of an entry (copied, cleaned; NULL clears it). */
KS_WUR int ks_report_set(char **field, const char *value);
/* The same for a reason (detail, not_signed, revocation): an error
 * message's OpenSSL part (ks_err_set_ossl) is left out. */
KS_WUR int ks_report_set_why(char **field, const char *value);
/* Signer fields from the signer certificate. */
KS_WUR int ks_report_sig_set_cert(struct ks_report_sig *s, X509 *cert);
/* List a change (its text copied and cleaned); beyond
 * KS_REPORT_CHANGES_MAX it is only counted in changes_more. */
KS_WUR int ks_report_sig_add_change(struct ks_report_sig *s, const struct ks_report_change *c);
/* An entry from a verified CMS SignerInfo; `format` NULL names it from
 * the result ("CAdES-B-B" when signingCertificateV2 binds the signer,
 * else "CMS"). */
KS_WUR int ks_report_add_cms(struct ks_report *r, const struct ks_cms_signer_result *cr,
			     const char *format, struct ks_report_sig **out);

/* Overall: the worst indication of the entries; a report without
 * signatures is TOTAL-FAILED (nothing proves the document). */
enum ks_indication ks_report_indication(const struct ks_report *r);
/* The verdict's exit status: 0 authentic and unchanged, 4 changed
 * afterwards as permitted, 1 not authentic or not signed, 2 cannot be
 * confirmed (3 is left for usage and I/O errors). */
int ks_report_exit_code(const struct ks_report *r);
/* "authentic", "changed", "not-authentic", "indeterminate", "not-signed";
 * and one sentence for people. */
const char *ks_verdict_code(enum ks_verdict v);
const char *ks_verdict_text(enum ks_verdict v, enum ks_lang lang);

/* Localised texts. */
const char *ks_report_indication_text(enum ks_indication ind, enum ks_lang lang);
const char *ks_report_sub_text(enum ks_subindication sub, enum ks_lang lang);
const char *ks_report_note_text(enum ks_report_note note, enum ks_lang lang);
const char *ks_report_note_code(enum ks_report_note note); /* "revocation-not-checked" */

/* Render (appended to out). */
KS_WUR int ks_report_text(const struct ks_report *r, enum ks_lang lang, struct ks_buf *out);
KS_WUR int ks_report_json(const struct ks_report *r, enum ks_lang lang, struct ks_buf *out);

#endif
