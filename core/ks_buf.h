/* ks_buf: bytes with their length, a capacity and a hard maximum.
 *
 * A buffer marked secret is wiped (OPENSSL_cleanse) whenever its memory
 * is released or moved, and ks_log refuses to print it.  Buffers are
 * caller-owned structs: ks_buf_init() / ks_buf_cleanup(). */
#ifndef KS_BUF_H
#define KS_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_err.h"

struct ks_buf {
	uint8_t *data;
	size_t len, cap, max;
	bool secret;
};

/* Default hard maximum when a caller has no better bound: 64 MiB. */
#define KS_BUF_DEFAULT_MAX ((size_t)64 << 20)

void ks_buf_init(struct ks_buf *b, size_t max);
void ks_buf_init_secret(struct ks_buf *b, size_t max);
/* Free the memory (wiping it first when secret); the struct stays usable. */
void ks_buf_cleanup(struct ks_buf *b);
/* Length to zero, memory kept (wiped when secret). */
void ks_buf_reset(struct ks_buf *b);

KS_WUR int ks_buf_reserve(struct ks_buf *b, size_t extra);
KS_WUR int ks_buf_append(struct ks_buf *b, const void *data, size_t n);
KS_WUR int ks_buf_append_byte(struct ks_buf *b, uint8_t byte);
/* n copies of byte. */
KS_WUR int ks_buf_append_fill(struct ks_buf *b, uint8_t byte, size_t n);
KS_WUR int ks_buf_append_str(struct ks_buf *b, const char *s);
/* v in decimal, left-padded with zeros to at least `width` digits (at
 * most 20): what printf("%0*llu") writes, without formatting a string. */
KS_WUR int ks_buf_append_u64(struct ks_buf *b, uint64_t v, unsigned width);
KS_WUR int ks_buf_printf(struct ks_buf *b, const char *fmt, ...) KS_PRINTF(2, 3);
KS_WUR int ks_buf_vprintf(struct ks_buf *b, const char *fmt, va_list ap) KS_PRINTF(2, 0);
/* Replace the contents. */
KS_WUR int ks_buf_set(struct ks_buf *b, const void *data, size_t n);
/* Shorten to n bytes (n <= len); removed bytes are wiped when secret. */
void ks_buf_truncate(struct ks_buf *b, size_t n);
/* Contents as a NUL-terminated string (the NUL is not counted in len).
 * Fails when the buffer contains a NUL byte. */
KS_WUR int ks_buf_cstr(struct ks_buf *b, const char **s);
/* Move contents to dst (dst cleaned first); src is left empty. */
void ks_buf_move(struct ks_buf *dst, struct ks_buf *src);
/* Constant-time equality of the contents. */
bool ks_buf_equal(const struct ks_buf *a, const struct ks_buf *b);

#endif
