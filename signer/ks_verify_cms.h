/* ks_verify_cms: a CMS/CAdES signature file (.p7s) -> report entries. */
#ifndef KS_VERIFY_CMS_H
#define KS_VERIFY_CMS_H

#include <openssl/x509_vfy.h>
#include <stdint.h>

#include "ks_err.h"
#include "signer/ks_report.h"

/* Verify the SignedData in [der, der+n) (content inside it, or the
 * detached content [content, content+clen) named content_name) and add one
 * entry per signer to rep.  A malformed signature is a report entry
 * (TOTAL-FAILED/FORMAT_FAILURE), not an error; -1 for usage (detached
 * without content, attached with content), memory and I/O. */
KS_WUR int ks_verify_cms_mem(const uint8_t *der, size_t n, const uint8_t *content, size_t clen,
			     const char *content_name, X509_STORE *trust, enum ks_lang lang,
			     struct ks_report *rep);

#endif
