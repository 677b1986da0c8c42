/* ks_pdf_val: a small mutable PDF value tree for the objects an update
 * rewrites (catalog, page, AcroForm, fields).  Values are copied out of
 * the reader, changed (an entry set or removed, an item appended) and
 * serialized back whole (ISO 32000-1 7.3) by ks_pdf_val_put(). */
#ifndef KS_PDF_VAL_H
#define KS_PDF_VAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_buf.h"
#include "ks_err.h"

/* Items of one array or entries of one dictionary. */
#define KS_PDF_VAL_MAX_ITEMS 100000
/* Nesting depth of a value. */
#define KS_PDF_VAL_MAX_DEPTH 64

enum ks_pdf_vtype {
	KS_PV_NULL,
	KS_PV_BOOL,
	KS_PV_INT,
	KS_PV_REAL,
	KS_PV_STRING,
	KS_PV_NAME,
	KS_PV_ARRAY,
	KS_PV_DICT,
	KS_PV_REF,
};

struct ks_pdf_val {
	enum ks_pdf_vtype type;
	bool b;
	long long i;
	double r;
	uint8_t *s; /* string bytes, or the name (decoded, NUL-terminated) */
	size_t len;
	uint32_t num; /* reference */
	uint16_t gen;
	struct ks_pdf_val **items; /* array items, dictionary values */
	char **keys;               /* dictionary keys (decoded names) */
	size_t n, cap;
};

/* Constructors: NULL on allocation failure (error recorded). */
struct ks_pdf_val *ks_pdf_val_new(enum ks_pdf_vtype type);
struct ks_pdf_val *ks_pdf_val_int(long long v);
struct ks_pdf_val *ks_pdf_val_real(double v);
struct ks_pdf_val *ks_pdf_val_bool(bool v);
struct ks_pdf_val *ks_pdf_val_name(const char *name);
struct ks_pdf_val *ks_pdf_val_string(const void *s, size_t n);
struct ks_pdf_val *ks_pdf_val_ref(uint32_t num, uint16_t gen);
/* A deep copy. */
struct ks_pdf_val *ks_pdf_val_dup(const struct ks_pdf_val *v);
void ks_pdf_val_free(struct ks_pdf_val *v);

/* Dictionary entry by key, or NULL. */
struct ks_pdf_val *ks_pdf_val_get(const struct ks_pdf_val *dict, const char *key);
/* Set an entry (replacing any); `v` is owned by the dictionary from then on,
 * even on failure.  Order of existing keys is kept. */
KS_WUR int ks_pdf_val_set(struct ks_pdf_val *dict, const char *key, struct ks_pdf_val *v);
void ks_pdf_val_del(struct ks_pdf_val *dict, const char *key);
/* Append to an array; `v` is owned by the array from then on. */
KS_WUR int ks_pdf_val_push(struct ks_pdf_val *array, struct ks_pdf_val *v);

/* Is `v` the name `name`? */
bool ks_pdf_val_is_name(const struct ks_pdf_val *v, const char *name);

/* Serialize (ISO 32000-1 7.3): names #-escaped, strings as literal strings
 * (hex when mostly binary), reals without exponent. */
KS_WUR int ks_pdf_val_put(struct ks_buf *b, const struct ks_pdf_val *v);

#endif
