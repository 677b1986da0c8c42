/* ks_verify_pdf: `kyso verify` for PDF files.  Runs the PAdES verifier
 * (formats/pdf/ks_pades_verify.h) and turns its result into the
 * validation report (signer/ks_report.h): one entry per signature or
 * document timestamp, with coverage ("whole document", "revision N of
 * M"), certification level, and every change found after it, in the
 * report's language.  docs/validation-report.md, section "PDF". */
#ifndef KS_VERIFY_PDF_H
#define KS_VERIFY_PDF_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/pdf/ks_pades_verify.h"
#include "ks_err.h"
#include "signer/ks_report.h"
#include "signer/validate/ks_engine.h"

/* Verify the PDF at `path` (mapped, never copied) against `trust` (may be
 * NULL: INDETERMINATE at best) and append its entries to `rep`.  -1 only
 * for I/O or memory errors; a malformed PDF is a TOTAL-FAILED entry. */
KS_WUR int ks_verify_pdf_file(const char *path, const struct ks_validation *val, enum ks_lang lang,
			      struct ks_report *rep);
/* The same over a PDF in memory. */
KS_WUR int ks_verify_pdf_mem(const uint8_t *pdf, size_t len, const struct ks_validation *val,
			     enum ks_lang lang, struct ks_report *rep);
/* Append the entries of a verification result to `rep`. */
KS_WUR int ks_verify_pdf_report(const struct ks_pades_verify_result *res, enum ks_lang lang,
				struct ks_report *rep);

/* Localised names (static strings). */
const char *ks_verify_pdf_what_text(enum ks_pades_what w, enum ks_lang lang);
const char *ks_verify_pdf_level_text(enum ks_pades_level l, enum ks_lang lang);

#endif
