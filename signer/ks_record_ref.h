/* ks_record_ref: the record identifier a rendered school record carries
 * (docs/records.md, "Document identifier and verification URL"), read
 * back from a document to sign or a signed one.
 *
 * Where it lives:
 *  - PDF: the document information dictionary of the latest trailer,
 *    key /KysoRecordId (KS_RENDER_INFO_RECORD_ID), a byte string;
 *  - XML: the text of DocumentId, the first child of the record's root
 *    (namespace urn:kyso:records:1).
 * The value is taken only when well-formed (ks_record_ref_ok): whatever
 * else a document holds there is ignored, never echoed. */
#ifndef KS_RECORD_REF_H
#define KS_RECORD_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_err.h"
#include "signer/ks_job.h"

/* Bytes of a record identifier, without the NUL ("hb-" + 16 base32
 * letters is 19). */
#define KS_RECORD_REF_MAX 64

/* 1..KS_RECORD_REF_MAX of [A-Za-z0-9_-]. */
bool ks_record_ref_ok(const char *id);

/* The bytes p[0..n) into out when they are such an identifier, else "". */
void ks_record_ref_take(const uint8_t *p, size_t n, char out[KS_RECORD_REF_MAX + 1]);

/* The identifier of document doc[0..n) of format f into out ("" when it
 * carries none, or none that is well-formed; always "" for CMS).  -1 when
 * the document cannot be read (KS_ERR_PDF*, KS_ERR_XML, KS_ERR_LIMIT...). */
KS_WUR int ks_record_ref_of(enum ks_format f, const uint8_t *doc, size_t n,
			    char out[KS_RECORD_REF_MAX + 1]);

#endif
