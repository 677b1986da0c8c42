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
/* Does c hold exactly the n bytes of lit? */
bool ks_cur_is(const struct ks_cur *c, const void *lit, size_t n);
/* Do a and b hold the same bytes (not constant time: public data only)? */
bool ks_cur_equal(const struct ks_cur *a, const struct ks_cur *b);

/* ---- search (no move, no error recorded: "not found" is an answer) ----
 * Offsets are counted from the cursor's current position; a literal is
 * only found when all of its n > 0 bytes lie inside the range searched. */

/* First occurrence of lit at an offset >= from. */
bool ks_cur_find_from(const struct ks_cur *c, size_t from, const void *lit, size_t n, size_t *pos);
/* First occurrence of lit (from offset 0). */
bool ks_cur_find(const struct ks_cur *c, const void *lit, size_t n, size_t *pos);
/* Last occurrence of lit lying wholly before offset `end` (end past the
 * input means the whole input). */
bool ks_cur_rfind(const struct ks_cur *c, size_t end, const void *lit, size_t n, size_t *pos);

/* ---- backward readers: they read the bytes just before offset *pos of
 * c and move *pos back over what they read (left unchanged on failure);
 * the cursor itself does not move. ---- */

/* The byte at offset pos - 1 (KS_ERR_TRUNCATED at 0 or past the input). */
KS_WUR int ks_cur_peek_before(const struct ks_cur *c, size_t pos, uint8_t *v);
/* Step *pos back over lit when the bytes before it are lit. */
bool ks_cur_accept_before(const struct ks_cur *c, size_t *pos, const void *lit, size_t n);
/* Step *pos back while pred(byte before it) holds; returns how many. */
size_t ks_cur_skip_back_while(const struct ks_cur *c, size_t *pos, bool (*pred)(uint8_t));
/* The unsigned decimal that ends at *pos (at most max_digits digits,
 * value <= max); *pos moves to its first digit.  KS_ERR_PARSE when no
 * digit precedes *pos, KS_ERR_LIMIT past a limit. */
KS_WUR int ks_cur_decimal_before(const struct ks_cur *c, size_t *pos, size_t max_digits,
				 uint64_t max, uint64_t *v);

#endif
