/* ks_cur: the only way untrusted bytes are read (STYLE rule 6).
 *
 * A cursor is a view (pointer + bytes left) over memory owned elsewhere.
 * Every reader checks before it moves; on failure it records an error
 * (KS_ERR_TRUNCATED, or KS_ERR_PARSE for a mismatch) and leaves the
 * cursor unchanged. */
#ifndef KS_CUR_H
#define KS_CUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_buf.h"
#include "ks_err.h"

struct ks_cur {
	const uint8_t *p;
	size_t left;
};

void ks_cur_init(struct ks_cur *c, const void *p, size_t n);
void ks_cur_from_buf(struct ks_cur *c, const struct ks_buf *b);

static inline bool ks_cur_eof(const struct ks_cur *c)
{
	return c->left == 0;
}

/* Offset of `c` inside `whole`; c must be a sub-view of whole. */
size_t ks_cur_pos(const struct ks_cur *whole, const struct ks_cur *c);
/* A cursor at byte `off` of `whole`, running to its end. */
KS_WUR int ks_cur_at(const struct ks_cur *whole, size_t off, struct ks_cur *out);
/* A cursor over [off, off+n) of `whole`. */
KS_WUR int ks_cur_range(const struct ks_cur *whole, size_t off, size_t n, struct ks_cur *out);

KS_WUR int ks_cur_peek(const struct ks_cur *c, uint8_t *v);
/* Byte at index i ahead (0 = next) without moving. */
KS_WUR int ks_cur_peek_at(const struct ks_cur *c, size_t i, uint8_t *v);
KS_WUR int ks_cur_u8(struct ks_cur *c, uint8_t *v);
KS_WUR int ks_cur_u16be(struct ks_cur *c, uint16_t *v);
KS_WUR int ks_cur_u32be(struct ks_cur *c, uint32_t *v);
KS_WUR int ks_cur_skip(struct ks_cur *c, size_t n);
/* Point *p at the next n bytes and move past them. */
KS_WUR int ks_cur_bytes(struct ks_cur *c, size_t n, const uint8_t **p);
KS_WUR int ks_cur_copy(struct ks_cur *c, void *dst, size_t n);
/* Split off the next n bytes as their own cursor. */
KS_WUR int ks_cur_sub(struct ks_cur *c, size_t n, struct ks_cur *sub);
/* Consume `lit` (n bytes) if the input starts with it; else KS_ERR_PARSE. */
KS_WUR int ks_cur_expect(struct ks_cur *c, const void *lit, size_t n);
/* True (and consumed) when the input starts with `lit`. */
bool ks_cur_accept(struct ks_cur *c, const void *lit, size_t n);
/* Does the input start with lit? (no move, no error) */
bool ks_cur_starts_with(const struct ks_cur *c, const void *lit, size_t n);
/* Skip bytes while pred(byte) holds; returns how many were skipped. */
size_t ks_cur_skip_while(struct ks_cur *c, bool (*pred)(uint8_t));
/* Unsigned decimal with at most max_digits digits, value <= max. */
KS_WUR int ks_cur_decimal(struct ks_cur *c, size_t max_digits, uint64_t max, uint64_t *v);

#endif
