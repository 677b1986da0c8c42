/* ks_sign_pdf: sign a PDF file (PAdES) from signing options as the CLI and
 * the service receive them: parse and check the options, then hand over
 * to formats/pdf (ks_pades_sign_file). */
#ifndef KS_SIGN_PDF_H
#define KS_SIGN_PDF_H

#include <stdbool.h>

#include "formats/pdf/ks_pades.h"
#include "formats/pdf/ks_pdf_form.h"
#include "ks_err.h"
#include "ks_key.h"
#include "signer/ks_tsa_client.h"

struct ks_sign_pdf_opts {
	const char *visible; /* "PAGE,X,Y,W,H" (points, page 1-based); NULL: invisible */
	int certify;         /* 0, or DocMDP P 1..3 */
	const char *lock;    /* "all", "include:F1,F2", "exclude:F1,F2"; NULL: none */
	const char *field;   /* field name; NULL: empty field or new "SignatureN" */
	const char *reason;
	const char *role;
	const char *location;
	const char *contact_info;
	const char *level; /* "B-B" (default), "B-T" (needs tsa); B-LT, B-LTA: kyso extend */
	const struct ks_tsa_client *tsa; /* B-T: the TSA to timestamp the signature */
	const char *md;                  /* "sha256" (default), "sha384", "sha512" */
	bool rsa_pss;
	const char *font_path; /* NULL: default appearance font */
	time_t signing_time;   /* 0: now */
	/* `field` must name a field of the document (else a new field gets
	 * that name). */
	bool field_must_exist;
	/* The CMS producer to use instead of the key's (and the TSA's for
	 * B-T): two-phase signing puts its own in front.  NULL: the key's. */
	const struct ks_pades_cms *cms;
	/* ks_pades_opts.input_digest (in-memory signing). */
	const EVP_MD_CTX *input_digest;
	/* ks_pades_opts.info_key: an /Info entry to read while signing. */
	const char *info_key;
};

/* Longest --reason, --role, --location text (bytes of UTF-8). */
#define KS_SIGN_PDF_MAX_TEXT 1024

/* A text option (`what` names it in the message, e.g. "--reason"): valid
 * UTF-8 without control characters, at most `max` bytes
 * (KS_SIGN_PDF_MAX_TEXT; KS_SIGN_PDF_MAX_FIELD for a field name).  NULL
 * is fine. */
#define KS_SIGN_PDF_MAX_FIELD KS_PDF_FORM_MAX_NAME
KS_WUR int ks_sign_pdf_check_text(const char *what, const char *s, size_t max);

/* Parse "PAGE,X,Y,W,H": page >= 1, finite numbers, W and H > 0. */
KS_WUR int ks_sign_pdf_parse_visible(const char *s, unsigned *page, double *x, double *y, double *w,
				     double *h);

/* Sign `in_path` into `out_path` with `key`.  The signing policy
 * (signer/ks_policy: certificate validity, key usage, key size, digest) is
 * checked first, always.  `res`
 * may be NULL. */
KS_WUR int ks_sign_pdf(struct ks_key *key, const char *in_path, const char *out_path,
		       const struct ks_sign_pdf_opts *opts, struct ks_pades_result *res);
/* The same over a PDF in memory; the signed PDF is appended to `out`. */
KS_WUR int ks_sign_pdf_mem(struct ks_key *key, const uint8_t *in, size_t len, struct ks_buf *out,
			   const struct ks_sign_pdf_opts *opts, struct ks_pades_result *res);

#endif
