/* Checked size arithmetic (STYLE rule 7).  Every multiplication or
 * addition of sizes derived from input goes through these. */
#ifndef KS_SIZE_H
#define KS_SIZE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ks_err.h"

static inline KS_WUR int ks_add_size(size_t a, size_t b, size_t *r)
{
	if (__builtin_add_overflow(a, b, r))
		return KS_SET(KS_ERR_OVERFLOW, "size overflow: %zu + %zu", a, b);
	return 0;
}

static inline KS_WUR int ks_mul_size(size_t a, size_t b, size_t *r)
{
	if (__builtin_mul_overflow(a, b, r))
		return KS_SET(KS_ERR_OVERFLOW, "size overflow: %zu * %zu", a, b);
	return 0;
}

static inline KS_WUR int ks_sub_size(size_t a, size_t b, size_t *r)
{
	if (b > a)
		return KS_SET(KS_ERR_OVERFLOW, "size underflow: %zu - %zu", a, b);
	*r = a - b;
	return 0;
}

/* For passing a size to an OpenSSL or libxml2 `int` parameter. */
static inline KS_WUR int ks_size_to_int(size_t v, int *r)
{
	if (v > (size_t)INT_MAX)
		return KS_SET(KS_ERR_OVERFLOW, "size %zu does not fit an int", v);
	*r = (int)v;
	return 0;
}

static inline KS_WUR int ks_int_to_size(long long v, size_t *r)
{
	if (v < 0 || (unsigned long long)v > SIZE_MAX)
		return KS_SET(KS_ERR_OVERFLOW, "value %lld is not a valid size", v);
	*r = (size_t)v;
	return 0;
}

/* ---- growable arrays (capacity counted in elements) ---- */

#define KS_GROW_MIN 8

/* The capacity to grow `cap` to for at least `need` elements: doubled,
 * from KS_GROW_MIN. */
static inline KS_WUR int ks_grow_cap(size_t cap, size_t need, size_t *ncap)
{
	size_t c = cap < KS_GROW_MIN ? KS_GROW_MIN : cap;

	while (c < need)
		if (ks_mul_size(c, 2, &c) < 0)
			return -1;
	*ncap = c;
	return 0;
}

/* Resize the array *v of *cap elements of `elem` bytes to ncap >= *cap
 * elements, contents kept; *v and *cap unchanged on failure. */
static inline KS_WUR int ks_grow_to(void **v, size_t *cap, size_t ncap, size_t elem)
{
	size_t bytes;
	void *nv;

	if (ks_mul_size(ncap, elem, &bytes) < 0)
		return -1;
	nv = realloc(*v, bytes > 0 ? bytes : 1);
	if (nv == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory (%zu bytes)", bytes);
	*v = nv;
	*cap = ncap;
	return 0;
}

/* Room for at least `need` elements in *v (ks_grow_cap, ks_grow_to). */
static inline KS_WUR int ks_grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;

	if (need <= *cap)
		return 0;
	if (ks_grow_cap(*cap, need, &ncap) < 0)
		return -1;
	return ks_grow_to(v, cap, ncap, elem);
}

#endif
