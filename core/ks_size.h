/* Checked size arithmetic (STYLE rule 7).  Every multiplication or
 * addition of sizes derived from input goes through these. */
#ifndef KS_SIZE_H
#define KS_SIZE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
