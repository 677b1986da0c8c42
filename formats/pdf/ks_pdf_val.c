/* ks_pdf_val: mutable PDF values and their serialization. */
#include "ks_pdf_val.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdf_write.h"

struct ks_pdf_val *ks_pdf_val_new(enum ks_pdf_vtype type)
{
	struct ks_pdf_val *v = calloc(1, sizeof(*v));

	if (v == NULL) {
		KS_SET(KS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	v->type = type;
	return v;
}

struct ks_pdf_val *ks_pdf_val_int(long long i)
{
	struct ks_pdf_val *v = ks_pdf_val_new(KS_PV_INT);

	if (v != NULL)
		v->i = i;
	return v;
}

struct ks_pdf_val *ks_pdf_val_real(double r)
{
	struct ks_pdf_val *v = ks_pdf_val_new(KS_PV_REAL);

	if (v != NULL)
		v->r = r;
	return v;
}

struct ks_pdf_val *ks_pdf_val_bool(bool b)
{
	struct ks_pdf_val *v = ks_pdf_val_new(KS_PV_BOOL);

	if (v != NULL)
		v->b = b;
	return v;
}

static struct ks_pdf_val *bytes_val(enum ks_pdf_vtype type, const void *s, size_t n)
{
	struct ks_pdf_val *v;

	if (n > KS_PDF_MAX_STRING) {
		KS_SET(KS_ERR_LIMIT, "PDF string or name longer than %zu bytes", KS_PDF_MAX_STRING);
		return NULL;
	}
	v = ks_pdf_val_new(type);
	if (v == NULL)
		return NULL;
	v->s = malloc(n + 1);
	if (v->s == NULL) {
		free(v);
		KS_SET(KS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (n > 0)
		memcpy(v->s, s, n);
	v->s[n] = '\0';
	v->len = n;
	return v;
}

struct ks_pdf_val *ks_pdf_val_name(const char *name)
{
	return bytes_val(KS_PV_NAME, name, strlen(name));
}

struct ks_pdf_val *ks_pdf_val_string(const void *s, size_t n)
{
	return bytes_val(KS_PV_STRING, s, n);
}

struct ks_pdf_val *ks_pdf_val_ref(uint32_t num, uint16_t gen)
{
	struct ks_pdf_val *v = ks_pdf_val_new(KS_PV_REF);

	if (v != NULL) {
		v->num = num;
		v->gen = gen;
	}
	return v;
}

void ks_pdf_val_free(struct ks_pdf_val *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		ks_pdf_val_free(v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
	free(v);
}

static int grow(struct ks_pdf_val *c)
{
	size_t ncap;
	struct ks_pdf_val **ni;
	char **nk;

	if (c->n < c->cap)
		return 0;
	if (c->n >= KS_PDF_VAL_MAX_ITEMS)
		return KS_SET(KS_ERR_LIMIT, "more than %d items in a PDF array or dictionary",
			      KS_PDF_VAL_MAX_ITEMS);
	ncap = c->cap == 0 ? 8 : c->cap * 2;
	ni = realloc(c->items, ncap * sizeof(*ni));
	if (ni == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	c->items = ni;
	if (c->type == KS_PV_DICT) {
		nk = realloc(c->keys, ncap * sizeof(*nk));
		if (nk == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		c->keys = nk;
	}
	c->cap = ncap;
	return 0;
}

static struct ks_pdf_val *dup_depth(const struct ks_pdf_val *v, int depth)
{
	struct ks_pdf_val *d;
	size_t i;

	if (depth > KS_PDF_VAL_MAX_DEPTH) {
		KS_SET(KS_ERR_LIMIT, "PDF value nested deeper than %d", KS_PDF_VAL_MAX_DEPTH);
		return NULL;
	}
	if (v->type == KS_PV_STRING || v->type == KS_PV_NAME)
		return bytes_val(v->type, v->s, v->len);
	d = ks_pdf_val_new(v->type);
	if (d == NULL)
		return NULL;
	d->b = v->b;
	d->i = v->i;
	d->r = v->r;
	d->num = v->num;
	d->gen = v->gen;
	for (i = 0; i < v->n; i++) {
		struct ks_pdf_val *item;

		if (grow(d) < 0)
			goto fail;
		item = dup_depth(v->items[i], depth + 1);
		if (item == NULL)
			goto fail;
		if (d->type == KS_PV_DICT) {
			d->keys[d->n] = strdup(v->keys[i]);
			if (d->keys[d->n] == NULL) {
				ks_pdf_val_free(item);
				KS_SET(KS_ERR_NOMEM, "out of memory");
				goto fail;
			}
		}
		d->items[d->n++] = item;
	}
	return d;
fail:
	ks_pdf_val_free(d);
	return NULL;
}

struct ks_pdf_val *ks_pdf_val_dup(const struct ks_pdf_val *v)
{
	return dup_depth(v, 0);
}

struct ks_pdf_val *ks_pdf_val_get(const struct ks_pdf_val *dict, const char *key)
{
	size_t i;

	if (dict == NULL || dict->type != KS_PV_DICT)
		return NULL;
	for (i = 0; i < dict->n; i++)
		if (strcmp(dict->keys[i], key) == 0)
			return dict->items[i];
	return NULL;
}

int ks_pdf_val_set(struct ks_pdf_val *dict, const char *key, struct ks_pdf_val *v)
{
	size_t i;
	char *k;

	if (v == NULL)
		return -1; /* the constructor recorded the error */
	if (dict->type != KS_PV_DICT) {
		ks_pdf_val_free(v);
		return KS_SET(KS_ERR_INTERNAL, "set on a non-dictionary");
	}
	for (i = 0; i < dict->n; i++) {
		if (strcmp(dict->keys[i], key) == 0) {
			ks_pdf_val_free(dict->items[i]);
			dict->items[i] = v;
			return 0;
		}
	}
	k = strdup(key);
	if (k == NULL || grow(dict) < 0) {
		free(k);
		ks_pdf_val_free(v);
		return k == NULL ? KS_SET(KS_ERR_NOMEM, "out of memory") : -1;
	}
	dict->keys[dict->n] = k;
	dict->items[dict->n++] = v;
	return 0;
}

void ks_pdf_val_del(struct ks_pdf_val *dict, const char *key)
{
	size_t i;

	if (dict == NULL || dict->type != KS_PV_DICT)
		return;
	for (i = 0; i < dict->n; i++) {
		if (strcmp(dict->keys[i], key) == 0) {
			ks_pdf_val_free(dict->items[i]);
			free(dict->keys[i]);
			memmove(&dict->items[i], &dict->items[i + 1],
				(dict->n - i - 1) * sizeof(*dict->items));
			memmove(&dict->keys[i], &dict->keys[i + 1],
				(dict->n - i - 1) * sizeof(*dict->keys));
			dict->n--;
			return;
		}
	}
}

int ks_pdf_val_push(struct ks_pdf_val *array, struct ks_pdf_val *v)
{
	if (v == NULL)
		return -1;
	if (array->type != KS_PV_ARRAY) {
		ks_pdf_val_free(v);
		return KS_SET(KS_ERR_INTERNAL, "push on a non-array");
	}
	if (grow(array) < 0) {
		ks_pdf_val_free(v);
		return -1;
	}
	array->items[array->n++] = v;
	return 0;
}

bool ks_pdf_val_is_name(const struct ks_pdf_val *v, const char *name)
{
	return v != NULL && v->type == KS_PV_NAME && strcmp((const char *)v->s, name) == 0;
}

/* Reals as read back: up to 6 decimals, no exponent (7.3.3). */
static int put_real6(struct ks_buf *b, double r)
{
	return ks_pdf_put_real_digits(b, r, 6, 1e15);
}

static int put_depth(struct ks_buf *b, const struct ks_pdf_val *v, int depth)
{
	size_t i, bin = 0;

	if (depth > KS_PDF_VAL_MAX_DEPTH)
		return KS_SET(KS_ERR_LIMIT, "PDF value nested deeper than %d",
			      KS_PDF_VAL_MAX_DEPTH);
	switch (v->type) {
	case KS_PV_NULL:
		return ks_buf_append_str(b, "null");
	case KS_PV_BOOL:
		return ks_buf_append_str(b, v->b ? "true" : "false");
	case KS_PV_INT:
		return ks_pdf_put_int(b, v->i);
	case KS_PV_REAL:
		return put_real6(b, v->r);
	case KS_PV_NAME:
		return ks_pdf_put_name(b, (const char *)v->s);
	case KS_PV_STRING:
		for (i = 0; i < v->len; i++)
			bin += v->s[i] < 0x20 || v->s[i] > 0x7e;
		/* Binary strings (IDs, UTF-16 text) read better as hex. */
		if (bin * 4 > v->len)
			return ks_pdf_put_hexstring(b, v->s, v->len);
		return ks_pdf_put_string(b, v->s, v->len);
	case KS_PV_REF:
		return ks_pdf_put_ref(b, v->num, v->gen);
	case KS_PV_ARRAY:
		if (ks_buf_append_byte(b, '[') < 0)
			return -1;
		for (i = 0; i < v->n; i++) {
			if ((i > 0 && ks_buf_append_byte(b, ' ') < 0) ||
			    put_depth(b, v->items[i], depth + 1) < 0)
				return -1;
		}
		return ks_buf_append_byte(b, ']');
	case KS_PV_DICT:
		if (ks_buf_append_str(b, "<<") < 0)
			return -1;
		for (i = 0; i < v->n; i++) {
			if (ks_buf_append_byte(b, ' ') < 0 || ks_pdf_put_name(b, v->keys[i]) < 0 ||
			    ks_buf_append_byte(b, ' ') < 0 ||
			    put_depth(b, v->items[i], depth + 1) < 0)
				return -1;
		}
		return ks_buf_append_str(b, " >>");
	}
	return KS_SET(KS_ERR_INTERNAL, "unknown PDF value type");
}

int ks_pdf_val_put(struct ks_buf *b, const struct ks_pdf_val *v)
{
	return put_depth(b, v, 0);
}
