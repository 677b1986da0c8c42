/* ks_pdf_rd: what the signer reads from the original PDF — the latest
 * revision's trailer and the objects an update rewrites — as copies in the
 * ks_pdf_val model.  This is the one seam between signing and PDF reading:
 * the revision-aware reader (verification) can stand behind these four
 * functions without the signer changing.  It must never read the whole
 * file: a 1 GiB PDF is mapped, and only the pages holding the tail, the
 * cross-reference data and the few objects looked up become resident. */
#ifndef KS_PDF_RD_H
#define KS_PDF_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/pdf/ks_pdf_val.h"
#include "ks_err.h"

struct ks_pdf_rd_info {
	uint32_t root_num; /* /Root of the last trailer */
	uint16_t root_gen;
	uint32_t info_num; /* /Info, 0 if none */
	uint16_t info_gen;
	uint8_t id0[32];    /* /ID[0] */
	size_t id0_len;     /* 0: no /ID */
	uint32_t size;      /* /Size of the last trailer */
	uint64_t startxref; /* offset of the last cross-reference section */
	bool xref_stream;   /* last section is an xref stream, or hybrid */
	bool encrypted;     /* /Encrypt in the trailer */
	bool repaired;      /* the reader had to reconstruct the xref */
};

struct ks_pdf_rd;

/* Open the PDF in p[0..n) (not copied: it must outlive the reader). */
KS_WUR int ks_pdf_rd_open(const uint8_t *p, size_t n, struct ks_pdf_rd **out);
void ks_pdf_rd_close(struct ks_pdf_rd *rd);
KS_WUR int ks_pdf_rd_info(struct ks_pdf_rd *rd, struct ks_pdf_rd_info *info);
/* A copy of object num/gen as of the latest revision (a stream gives its
 * dictionary); *out is NULL for a free or missing object (ISO 32000-1
 * 7.3.10: a reference to one is null). */
KS_WUR int ks_pdf_rd_get(struct ks_pdf_rd *rd, uint32_t num, uint16_t gen, struct ks_pdf_val **out);
/* The reader behind it (tail mode) and its newest revision, for what the
 * reader already knows how to walk (pages with inherited attributes, the
 * form's terminal fields): owned by rd. */
struct ks_pdfdoc *ks_pdf_rd_doc(const struct ks_pdf_rd *rd, size_t *rev);

#endif
