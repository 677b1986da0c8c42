/* ks_pdfdoc memory: the per-document arena every object is allocated
 * from (freed at once by ks_pdfdoc_free(), so nothing leaks whatever the
 * input), the memory budget (max_memory) and a small u64 -> pointer map
 * for the caches. */
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdfdoc_int.h"
#include "ks_size.h"

#define PD_BLOCK_SIZE ((size_t)64 << 10)
#define PD_ALIGN ((size_t)16)

struct ks_pd_block {
	struct ks_pd_block *next;
	size_t used, cap;
	max_align_t data[];
};

int ks_pd_charge(struct ks_pdfdoc *doc, size_t n)
{
	size_t total;

	if (ks_add_size(doc->mem, n, &total) < 0 || total > doc->lim.max_memory)
		return KS_SET(KS_ERR_LIMIT, "document needs more than %zu bytes of memory",
			      doc->lim.max_memory);
	doc->mem = total;
	return 0;
}

void ks_pd_uncharge(struct ks_pdfdoc *doc, size_t n)
{
	doc->mem = n > doc->mem ? 0 : doc->mem - n;
}

int ks_pd_grow(struct ks_pdfdoc *doc, void **v, size_t *cap, size_t need, size_t elem)
{
	size_t ncap, more;

	if (need <= *cap)
		return 0;
	if (ks_grow_cap(*cap, need, &ncap) < 0 || ks_mul_size(ncap - *cap, elem, &more) < 0 ||
	    ks_pd_charge(doc, more) < 0)
		return -1;
	if (ks_grow_to(v, cap, ncap, elem) < 0) {
		ks_pd_uncharge(doc, more);
		return -1;
	}
	return 0;
}

int ks_pd_vec_push(struct ks_pdfdoc *doc, struct ks_pd_vec *v, const void *item, size_t max)
{
	if (v->n >= max)
		return KS_SET(KS_ERR_LIMIT, "more than %zu items", max);
	if (ks_pd_grow(doc, &v->v, &v->cap, v->n + 1, v->elem) < 0)
		return -1;
	memcpy((unsigned char *)v->v + v->n * v->elem, item, v->elem);
	v->n++;
	return 0;
}

int ks_pd_vec_finish(struct ks_pdfdoc *doc, const struct ks_pd_vec *v, void **out)
{
	*out = NULL;
	if (v->n == 0)
		return 0;
	if (ks_pd_alloc(doc, v->n * v->elem, out) < 0)
		return -1;
	memcpy(*out, v->v, v->n * v->elem);
	return 0;
}

void ks_pd_vec_cleanup(struct ks_pdfdoc *doc, struct ks_pd_vec *v)
{
	ks_pd_uncharge(doc, v->cap * v->elem);
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

int ks_pd_alloc(struct ks_pdfdoc *doc, size_t n, void **out)
{
	struct ks_pd_block *b = doc->blocks;
	size_t need, cap;
	unsigned char *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - PD_ALIGN)
		return KS_SET(KS_ERR_OVERFLOW, "allocation of %zu bytes", n);
	need = (n + PD_ALIGN - 1) & ~(PD_ALIGN - 1);
	if (b == NULL || b->cap - b->used < need) {
		cap = need > PD_BLOCK_SIZE ? need : PD_BLOCK_SIZE;
		if (ks_pd_charge(doc, cap) < 0)
			return -1;
		b = malloc(sizeof(*b) + cap);
		if (b == NULL) {
			ks_pd_uncharge(doc, cap);
			return KS_SET(KS_ERR_NOMEM, "out of memory (%zu bytes)", cap);
		}
		b->used = 0;
		b->cap = cap;
		/* A big block goes behind the current one so the small
		 * allocations keep filling the current one. */
		if (doc->blocks != NULL && need > PD_BLOCK_SIZE) {
			b->next = doc->blocks->next;
			doc->blocks->next = b;
		} else {
			b->next = doc->blocks;
			doc->blocks = b;
		}
	}
	p = (unsigned char *)b->data + b->used;
	b->used += need;
	memset(p, 0, n);
	*out = p;
	return 0;
}

int ks_pd_strndup(struct ks_pdfdoc *doc, const void *p, size_t n, char **out)
{
	void *d = NULL;

	if (n == SIZE_MAX)
		return KS_SET(KS_ERR_OVERFLOW, "string too long");
	if (ks_pd_alloc(doc, n + 1, &d) < 0)
		return -1;
	if (n > 0)
		memcpy(d, p, n);
	*out = d;
	return 0;
}

void ks_pd_arena_free(struct ks_pd_block *b)
{
	while (b != NULL) {
		struct ks_pd_block *next = b->next;

		free(b);
		b = next;
	}
}

/* ------------------------------------------------------------------- map */

static size_t map_slot(uint64_t key, size_t cap)
{
	/* Fibonacci hashing: offsets are spread evenly enough. */
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

void *ks_pd_map_get(const struct ks_pd_map *m, uint64_t key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = map_slot(key, m->cap); m->vals[i] != NULL; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key)
			return m->vals[i];
	return NULL;
}

static int map_grow(struct ks_pdfdoc *doc, struct ks_pd_map *m)
{
	size_t ncap = m->cap == 0 ? 64 : m->cap * 2, bytes, i, j;
	uint64_t *keys = NULL;
	void **vals = NULL;
	int rc = -1;

	KS_GUARD(ks_mul_size(ncap, sizeof(*keys) + sizeof(*vals), &bytes));
	KS_GUARD(ks_pd_charge(doc, bytes));
	keys = calloc(ncap, sizeof(*keys));
	vals = calloc(ncap, sizeof(*vals));
	if (keys == NULL || vals == NULL) {
		ks_pd_uncharge(doc, bytes);
		KS_BAIL(KS_ERR_NOMEM, "out of memory (map of %zu)", ncap);
	}
	for (i = 0; i < m->cap; i++) {
		if (m->vals[i] == NULL)
			continue;
		for (j = map_slot(m->keys[i], ncap); vals[j] != NULL; j = (j + 1) & (ncap - 1))
			;
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	ks_pd_uncharge(doc, m->cap * (sizeof(*keys) + sizeof(*vals)));
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	keys = NULL;
	vals = NULL;
	m->cap = ncap;
	rc = 0;
out:
	free(keys);
	free(vals);
	return rc;
}

int ks_pd_map_put(struct ks_pdfdoc *doc, struct ks_pd_map *m, uint64_t key, void *val)
{
	size_t i;

	if ((m->n + 1) * 10 > m->cap * 7 && map_grow(doc, m) < 0)
		return -1;
	for (i = map_slot(key, m->cap); m->vals[i] != NULL; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return 0;
		}
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return 0;
}

void ks_pd_map_cleanup(struct ks_pdfdoc *doc, struct ks_pd_map *m)
{
	ks_pd_uncharge(doc, m->cap * (sizeof(*m->keys) + sizeof(*m->vals)));
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->n = 0;
}
