/* ks_verify_xml: `kyso verify` for XML files (XAdES, XMLDSig).  The
 * format layer (formats/xml/ks_xades.h) gives the facts of each
 * signature; this module adds trust -- in one function,
 * ks_verify_xml_trust -- and turns both into the validation report
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

/* A detached signature's content file, read whole. */
#define KS_VERIFY_XML_CONTENT_MAX ((size_t)512 << 20)

/* Verify the XML document at `path` against `trust` (may be NULL:
 * INDETERMINATE at best); `content_path` is the signed file of a detached
 * signature (NULL otherwise).  Entries are appended to `rep`.  -1 only
 * for I/O or memory errors: an unreadable document is a TOTAL-FAILED
 * entry. */
KS_WUR int ks_verify_xml_file(const char *path, const char *content_path, X509_STORE *trust,
			      enum ks_lang lang, struct ks_report *rep);
/* The same over memory; `content` may be NULL. */
KS_WUR int ks_verify_xml_mem(const uint8_t *xml, size_t n, const uint8_t *content, size_t clen,
			     const char *content_name, X509_STORE *trust, enum ks_lang lang,
			     struct ks_report *rep);

/* The trust step of one signature whose format-level facts hold: the
 * certificate path from the signer to `trust` at `at` (0 = now), built
 * with X509_STORE as the CMS and PAdES verifiers do, the signer
 * certificate's key usage, and the algorithm floor (Circular
 * 15/2025/TT-BKHCN: SHA-256 or stronger, RSA >= 2048, EC >= 256).  Sets
 * *sub (KS_SUB_NONE when everything holds) and a technical reason. */
KS_WUR int ks_verify_xml_trust(const struct ks_xades_sig_facts *f, X509_STORE *trust, time_t at,
			       enum ks_subindication *sub, char *detail, size_t n);

#endif
