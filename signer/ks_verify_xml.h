/* ks_verify_xml: `kyso verify` for XML files (XAdES, XMLDSig).  The
 * format layer (formats/xml/ks_xades.h) gives the facts of each
 * signature; this module adds the constraints on the signature itself,
 * hands the facts to the validation engine (signer/validate), and turns
 * them into the validation report
 * (signer/ks_report.h): indication, signer, claimed time and role, and
 * exactly which elements each signature covers.
 * docs/validation-report.md, section "XML". */
#ifndef KS_VERIFY_XML_H
#define KS_VERIFY_XML_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "formats/xml/ks_xades.h"
#include "ks_err.h"
#include "signer/ks_report.h"
#include "signer/validate/ks_engine.h"

/* A detached signature's content file, read whole. */
#define KS_VERIFY_XML_CONTENT_MAX ((size_t)512 << 20)

/* Verify the XML document at `path` against `trust` (may be NULL:
 * INDETERMINATE at best); `content_path` is the signed file of a detached
 * signature (NULL otherwise).  Entries are appended to `rep`.  -1 only
 * for I/O or memory errors: an unreadable document is a TOTAL-FAILED
 * entry. */
KS_WUR int ks_verify_xml_file(const char *path, const char *content_path,
			      const struct ks_validation *val, enum ks_lang lang,
			      struct ks_report *rep);
/* The same over memory; `content` may be NULL. */
KS_WUR int ks_verify_xml_mem(const uint8_t *xml, size_t n, const uint8_t *content, size_t clen,
			     const char *content_name, const struct ks_validation *val,
			     enum ks_lang lang, struct ks_report *rep);

#endif
