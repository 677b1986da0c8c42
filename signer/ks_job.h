/* ks_job: the engine's jobs, the same for the command line and the
 * service.  A job names its input and output, the format (or lets it be
 * recognised) and the options of each format; it dispatches through one
 * table of operations per format (ks_formats.c: CMS/CAdES, PDF/PAdES,
 * XML/XAdES).  Signing always applies the signing policy (Circular
 * 15/2025/TT-BKHCN: the signer certificate's validity, key usage, key size
 * and digest) before the key is used: every format's sign operation runs
 * it first, and no option skips it. */
#ifndef KS_JOB_H
#define KS_JOB_H

#include <stdbool.h>

#include <openssl/x509_vfy.h>

#include "ks_err.h"
#include "ks_key.h"
#include "signer/ks_ltv.h"
#include "signer/ks_report.h"
#include "signer/ks_sign_pdf.h"
#include "signer/ks_sign_xml.h"
#include "signer/ks_tsa_client.h"
#include "signer/validate/ks_engine.h"
#include "signer/validate/ks_precheck.h"

enum ks_format {
	KS_FORMAT_AUTO = 0, /* recognised from the input */
	KS_FORMAT_CMS,      /* any file: a detached CAdES .p7s */
	KS_FORMAT_PDF,      /* PAdES */
	KS_FORMAT_XML,      /* XAdES */
};

/* "cms" (or "cades"), "pdf", "xml": KS_ERR_USAGE otherwise. */
KS_WUR int ks_format_parse(const char *s, enum ks_format *f);
const char *ks_format_name(enum ks_format f);
/* The format of a document to sign or verify: by its name (.pdf, .xml),
 * else by its content (PDF header, XML), else CMS.  Only a regular file is
 * looked into (a FIFO would block). */
enum ks_format ks_format_of(const char *path);

struct ks_sign_job {
	const char *in;  /* the document */
	const char *out; /* written atomically; "-": standard output when complete */
	enum ks_format format;
	struct ks_key *key; /* the caller's, open */
	const char *md;     /* "sha256" (default), "sha384", "sha512" */
	bool rsa_pss;
	const char *level;               /* "B-B" (default), "B-T", "B-LT", "B-LTA" */
	const struct ks_tsa_client *tsa; /* B-T and above */
	const struct ks_ltv_opts *ltv;   /* B-LT, B-LTA: trust anchors, revocation options */
	bool signing_time;               /* CMS: add signingTime */
	struct ks_sign_pdf_opts pdf;     /* PDF only */
	struct ks_sign_xml_opts xml;     /* XML only */
	/* The service signs in memory: with in_data set, `in` is only the
	 * document's name (may be NULL) and the result is appended to
	 * out_buf (then `out` is not used). */
	const uint8_t *in_data;
	size_t in_len;
	struct ks_buf *out_buf;
	/* Optional, with in_data: a digest context over exactly in_data
	 * (ks_pades_opts.input_digest; PDF only, others ignore it). */
	const EVP_MD_CTX *in_digest;
	/* PDF: read the document's record id while signing
	 * (ks_sign_outcome.record). */
	bool want_record;
	/* The check of the signer certificate before signing (Circular
	 * 15/2025): where its issuer is looked for besides the key's chain
	 * (may be NULL), the revocation options (NULL: defaults), and what an
	 * unanswered revocation check means (default prefer). */
	const struct ks_trust *trust;
	const struct ks_rev_opts *rev;
	enum ks_rev_policy rev_policy;
};

/* KS_RECORD_REF_MAX + 1 (signer/ks_record_ref.h, which includes this). */
#define KS_JOB_RECORD_LEN 65

struct ks_sign_outcome {
	enum ks_format format; /* the format signed */
	char summary[192];     /* "PAdES-B-T signature (SHA-256) in field 'Signature1'" */
	/* What the check before signing found (English), and whether the
	 * revocation status was confirmed GOOD. */
	char precheck[KS_PRECHECK_SUMMARY_LEN];
	bool rev_confirmed;
	/* PDF with want_record: the record identifier the document carries
	 * (ks_record_ref.h; "" for none), read while signing; record_read
	 * says it was looked for.  Otherwise both are left unset. */
	char record[KS_JOB_RECORD_LEN];
	bool record_read;
};

void ks_sign_job_init(struct ks_sign_job *j);

/* Sign: resolve the format, check the signing policy, sign through the
 * format's operations.  A failure leaves no output (KS_ERR_POLICY when the
 * policy refuses the key). */
KS_WUR int ks_job_sign(struct ks_sign_job *j, struct ks_sign_outcome *res);

/* What to verify.  The document (and a detached signature's content) in
 * memory: the caller reads or maps them once. */
struct ks_verify_job {
	const char *name;    /* shown as the document in the report (may be NULL) */
	const uint8_t *data; /* the document */
	size_t len;
	const uint8_t *content; /* the signed file of a detached signature, or NULL */
	size_t content_len;
	const char *content_name;
	enum ks_format format;           /* AUTO: from the bytes */
	const struct ks_validation *val; /* trust, revocation, policy, time */
	enum ks_lang lang;
};

/* The format of a document from its bytes: PDF (its header), XML (a '<'
 * after white space, then text; or UTF-16), else CMS. */
enum ks_format ks_format_sniff(const uint8_t *p, size_t n);

/* Verify every signature of the document into rep (its document name,
 * entries and verdict).  -1 for usage, memory and I/O errors only: a document that is
 * not signed, or malformed, is a report of its own. */
KS_WUR int ks_job_verify(const struct ks_verify_job *j, struct ks_report *rep);

/* ---- the table (ks_formats.c) ---- */

struct ks_format_ops {
	enum ks_format format;
	const char *name;
	/* Sign j (its format resolved): the signing policy first. */
	int (*sign)(const struct ks_sign_job *j, enum ks_md md, struct ks_sign_outcome *res);
	/* Verify j (its format resolved) into rep. */
	int (*verify)(const struct ks_verify_job *j, struct ks_report *rep);
};

/* The operations of a format (never AUTO). */
const struct ks_format_ops *ks_format_ops(enum ks_format f);

#endif
