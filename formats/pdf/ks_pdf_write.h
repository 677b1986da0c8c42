/* ks_pdf_write: PDF object serialization and the append-only writer.
 *
 * An incremental update (ISO 32000-1 7.5.6) is appended after the original
 * bytes, which are never changed: the original file is a byte-exact prefix
 * of the output.  The update holds new objects and whole rewritten copies
 * of changed objects, then its own cross-reference section (a classic table,
 * or an xref stream when the original's last section is one or the file is
 * hybrid, ISO 32000-1 7.5.8.4) whose /Prev points at the previous section.
 *
 * The same writer serves a signature, a document timestamp and a later DSS
 * update: open a base, put objects, optionally put one signature
 * placeholder, then
 *   ks_pdf_update_copy_original()  streams the original to the sink while
 *                                  hashing it (memory does not grow with
 *                                  the file) and returns the ByteRange digest;
 *   ks_pdf_update_finish()         fills /Contents and writes the update.
 * Without a placeholder the digest step is skipped (pass md_out NULL). */
#ifndef KS_PDF_WRITE_H
#define KS_PDF_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ks_buf.h"
#include "ks_cur.h"
#include "ks_err.h"
#include <openssl/evp.h>

/* ---- object serialization (ISO 32000-1 7.3) ---- */

/* Highest object number the writer hands out (ISO 32000-1 C.2: 8,388,607). */
#define KS_PDF_MAX_OBJ_NUM 8388607u
/* Bytes of one literal or text string the writer accepts. */
#define KS_PDF_MAX_STRING ((size_t)65535)

/* "/Name" with bytes outside the regular set written as #xx (7.3.5). */
KS_WUR int ks_pdf_put_name(struct ks_buf *b, const char *name);
/* Literal string "( ... )" with \\ \( \) and non-printing bytes escaped
 * as \ddd (7.3.4.2). */
KS_WUR int ks_pdf_put_string(struct ks_buf *b, const void *s, size_t n);
/* Hex string "<...>" (7.3.4.3). */
KS_WUR int ks_pdf_put_hexstring(struct ks_buf *b, const void *s, size_t n);
/* Text string (7.9.2.2) from UTF-8: printable ASCII as a literal string,
 * anything else as UTF-16BE with the BOM FE FF (hex).  Invalid UTF-8 is
 * KS_ERR_ENCODING. */
KS_WUR int ks_pdf_put_text(struct ks_buf *b, const char *utf8);
/* Integer and real numbers (7.3.3); reals have no exponent, at most 4
 * decimals, trailing zeros dropped; NaN and infinities are refused. */
KS_WUR int ks_pdf_put_int(struct ks_buf *b, long long v);
KS_WUR int ks_pdf_put_real(struct ks_buf *b, double v);
/* The same with `decimals` digits after the point and |v| <= max. */
KS_WUR int ks_pdf_put_real_digits(struct ks_buf *b, double v, int decimals, double max);
/* "N G R" */
KS_WUR int ks_pdf_put_ref(struct ks_buf *b, uint32_t num, uint16_t gen);
/* Date string (7.9.4) "(D:YYYYMMDDHHmmSS+HH'mm')" for t shown at UTC offset
 * tz_min minutes ("Z" when tz_min is 0). */
KS_WUR int ks_pdf_put_date(struct ks_buf *b, time_t t, int tz_min);
/* Convert UTF-8 to UTF-16BE code units (appended, no BOM). */
KS_WUR int ks_pdf_utf8_to_utf16be(const char *utf8, size_t n, struct ks_buf *out);

/* ---- the incremental update ---- */

/* What the writer needs to know about the original (filled by the caller
 * from the reader). */
struct ks_pdf_update_base {
	uint64_t orig_len;  /* bytes of the original file */
	uint64_t prev_xref; /* offset of its last cross-reference section */
	uint32_t size;      /* /Size of its last trailer */
	bool xref_stream;   /* write the new section as an xref stream */
	uint32_t root_num;  /* catalog (required) */
	uint16_t root_gen;
	uint32_t info_num; /* document information dictionary, 0 if none */
	uint16_t info_gen;
	uint8_t id0[32]; /* first /ID string, kept (14.4) */
	size_t id0_len;  /* 0: the original has no /ID, one is made */
	bool ends_with_eol;
};

/* Where the output goes: the writer calls write() in order. */
struct ks_pdf_sink {
	int (*write)(void *ctx, const void *p, size_t n);
	void *ctx;
};

/* The original: read with pread in fixed chunks from fd when fd >= 0
 * (never all at once, and never through a mapping, whose pages would count
 * in the process's resident size), else from mem.  The signer also needs
 * mem (a mapping is fine) for the reader. */
struct ks_pdf_source {
	const uint8_t *mem;
	int fd;
	uint64_t len;
};

/* The signature placeholder: one /Sig or /DocTimeStamp dictionary whose
 * /Contents hex string is reserved at `contents_max` bytes of DER and
 * whose /ByteRange is a fixed-width field filled in place. */
struct ks_pdf_byterange {
	uint64_t r[4]; /* [0 a b c] as in the /ByteRange array */
};

struct ks_pdf_update;

KS_WUR int ks_pdf_update_new(const struct ks_pdf_update_base *base, struct ks_pdf_update **out);
void ks_pdf_update_free(struct ks_pdf_update *u);

/* A fresh object number (from the previous /Size upward). */
KS_WUR int ks_pdf_update_alloc(struct ks_pdf_update *u, uint32_t *num);
/* Put the whole object `num gen` whose value is the serialized `body`
 * (a dictionary, array, ...); replaces an earlier put of the same number. */
KS_WUR int ks_pdf_update_put(struct ks_pdf_update *u, uint32_t num, uint16_t gen, const void *body,
			     size_t n);
/* Put a stream object: `dict_entries` are the dictionary entries other than
 * /Length and /Filter (may be ""); with `flate` the data is compressed
 * (FlateDecode, 7.4.4). */
KS_WUR int ks_pdf_update_put_stream(struct ks_pdf_update *u, uint32_t num, uint16_t gen,
				    const char *dict_entries, const void *data, size_t n,
				    bool flate);
/* Put the signature dictionary `num`: `entries` are its entries other than
 * /ByteRange and /Contents, which the writer adds: /ByteRange with fixed
 * width numbers and /Contents as a hex string of 2*contents_max zeros.
 * At most one per update. */
KS_WUR int ks_pdf_update_put_sig(struct ks_pdf_update *u, uint32_t num, const char *entries,
				 size_t contents_max);

/* Lay the update out, stream the original to `sink` and, when there is a
 * signature placeholder and md_ctx is not NULL, feed every byte of the
 * output except the /Contents hex string (delimiters included, ISO 32000-1
 * 12.8.1) to md_ctx (initialised by the caller); *br gets the ByteRange.
 * orig_hashed: md_ctx has already been fed the original (all of it, no
 * more); only the update's bytes are fed. */
KS_WUR int ks_pdf_update_copy_original(struct ks_pdf_update *u, const struct ks_pdf_source *src,
				       const struct ks_pdf_sink *sink, EVP_MD_CTX *md_ctx,
				       bool orig_hashed, struct ks_pdf_byterange *br);
/* Put the DER signature (at most contents_max bytes; the rest stays zero
 * padding) into /Contents and write the update to `sink`. */
KS_WUR int ks_pdf_update_finish(struct ks_pdf_update *u, const uint8_t *der, size_t der_len,
				const struct ks_pdf_sink *sink);

/* Total bytes the update adds (valid after ks_pdf_update_copy_original). */
uint64_t ks_pdf_update_len(const struct ks_pdf_update *u);

/* Sinks: append to a buffer (ctx = struct ks_buf *), or to an atomic file
 * (ctx = struct ks_atomic_file *). */
int ks_pdf_sink_buf(void *ctx, const void *p, size_t n);
int ks_pdf_sink_atomic(void *ctx, const void *p, size_t n);

#endif
