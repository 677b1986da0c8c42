/* ks_verify_cms: a CMS/CAdES signature file (.p7s) -> report entries.
 * The format module checks integrity only (formats/cms with the chain
 * left out); the validation engine (signer/validate) decides trust,
 * revocation and time. */
#ifndef KS_VERIFY_CMS_H
#define KS_VERIFY_CMS_H

#include <stdint.h>

#include "ks_err.h"
#include "signer/ks_report.h"
#include "signer/validate/ks_engine.h"

/* Verify the SignedData in [der, der+n) (content inside it, or the
 * detached `content`) into rep.  A file that is no SignedData is a
 * report of a document that is not signed. */
KS_WUR int ks_verify_cms_mem(const uint8_t *der, size_t n, const uint8_t *content, size_t clen,
			     const char *content_name, const struct ks_validation *val,
			     enum ks_lang lang, struct ks_report *rep);

#endif
