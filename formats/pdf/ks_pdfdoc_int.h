/* Internals shared by the ks_pdfdoc_*.c files (not part of the API). */
#ifndef KS_PDFDOC_INT_H
#define KS_PDFDOC_INT_H

#include "formats/pdf/ks_pdfdoc.h"
#include "formats/pdf/ks_pdf_chars.h"
#include "ks_codec.h"

/* ------------------------------------------------------------------ arena */

struct ks_pd_block;

/* Allocate n zeroed bytes from the document arena (aligned for any
 * object).  Counts against max_memory. */
KS_WUR int ks_pd_alloc(struct ks_pdfdoc *doc, size_t n, void **out);
/* Account for memory held outside the arena (hash maps, vectors). */
KS_WUR int ks_pd_charge(struct ks_pdfdoc *doc, size_t n);
void ks_pd_uncharge(struct ks_pdfdoc *doc, size_t n);
/* Copy n bytes into the arena with a NUL after them. */
KS_WUR int ks_pd_strndup(struct ks_pdfdoc *doc, const void *p, size_t n, char **out);
/* ks_grow() for an array held outside the arena, charged to the document
 * (uncharge cap * elem when it is freed). */
KS_WUR int ks_pd_grow(struct ks_pdfdoc *doc, void **v, size_t *cap, size_t need, size_t elem);

/* A vector of `elem`-byte items collected outside the arena (an array or
 * dictionary being parsed, a tree being walked), copied into the arena
 * once complete. */
struct ks_pd_vec {
	void *v;
	size_t n, cap, elem;
};

/* Append a copy of *item; KS_ERR_LIMIT past `max` items. */
KS_WUR int ks_pd_vec_push(struct ks_pdfdoc *doc, struct ks_pd_vec *v, const void *item, size_t max);
/* The items in the arena (*out NULL when there are none). */
KS_WUR int ks_pd_vec_finish(struct ks_pdfdoc *doc, const struct ks_pd_vec *v, void **out);
void ks_pd_vec_cleanup(struct ks_pdfdoc *doc, struct ks_pd_vec *v);

/* ------------------------------------------------------- map (u64 -> ptr) */

struct ks_pd_map {
	uint64_t *keys;
	void **vals;
	size_t cap, n;
};

void *ks_pd_map_get(const struct ks_pd_map *m, uint64_t key);
KS_WUR int ks_pd_map_put(struct ks_pdfdoc *doc, struct ks_pd_map *m, uint64_t key, void *val);
void ks_pd_map_cleanup(struct ks_pdfdoc *doc, struct ks_pd_map *m);

/* ------------------------------------------------------------------ lexer */

/* A source being parsed: the file (objstm 0) or a decoded object stream. */
struct ks_pd_lex {
	struct ks_pdfdoc *doc;
	struct ks_cur whole; /* the entire source */
	struct ks_cur c;     /* current position */
	uint32_t objstm;
	size_t rev; /* revision for indirect /Length */
};

void ks_pd_lex_init(struct ks_pd_lex *lx, struct ks_pdfdoc *doc, const struct ks_cur *whole,
		    uint32_t objstm, size_t rev);
size_t ks_pd_lex_pos(const struct ks_pd_lex *lx);
KS_WUR int ks_pd_lex_seek(struct ks_pd_lex *lx, size_t off);
/* Skip whitespace and comments. */
void ks_pd_lex_skip_ws(struct ks_pd_lex *lx);
/* Consume keyword kw when it is next and followed by a delimiter,
 * whitespace or the end. */
bool ks_pd_lex_keyword(struct ks_pd_lex *lx, const char *kw);
/* A non-negative integer token (no sign) up to max. */
KS_WUR int ks_pd_lex_uint(struct ks_pd_lex *lx, uint64_t max, uint64_t *v);
/* Parse one direct value (references are not followed). */
KS_WUR int ks_pd_parse_value(struct ks_pd_lex *lx, size_t depth, struct ks_pdfobj **out);
/* Parse "N G obj value [stream...] [endobj]" at the current position
 * (file only for streams). */
KS_WUR int ks_pd_parse_indirect(struct ks_pd_lex *lx, struct ks_pdfdoc_indirect *out);

/* ------------------------------------------------------------------- xref */

struct ks_pd_entry {
	uint32_t num;
	uint8_t type; /* enum ks_pdfdoc_entry_type */
	bool from_xrefstm;
	uint16_t gen;
	uint32_t index;
	uint64_t off; /* INUSE offset, FREE next, COMPRESSED objstm number */
};

struct ks_pd_pages {
	struct ks_pdfdoc_page *v;
	size_t n;
	bool done;
};

struct ks_pd_fields {
	struct ks_pdfdoc_field *v;
	size_t n;
	bool done;
};

struct ks_pd_rev {
	struct ks_pdfdoc_rev pub;
	struct ks_pd_entry *e; /* sorted by num, one per num */
	size_t n;
	uint32_t *nums;
	uint32_t maxnum; /* highest num + 1 up to and including this revision */
	struct ks_pd_pages pages;
	struct ks_pd_fields fields;
};

/* A decoded object stream (7.5.7). */
struct ks_pd_objstm {
	struct ks_buf data;
	size_t first;
	size_t n;
	uint32_t *nums;
	size_t *offs;
	struct ks_pdfdoc_indirect **objs; /* parsed on demand */
};

/* Map values besides real objects: being parsed (a loop when met
 * again), and failed before (the error is in doc->failed). */
#define PD_IN_PROGRESS ((void *)&ks_pd_sentinel[0])
#define PD_FAILED ((void *)&ks_pd_sentinel[1])
extern const char ks_pd_sentinel[2];

struct ks_pd_failed {
	enum ks_err_code code;
	char *msg;
};

struct ks_pdfdoc {
	struct ks_cur in;
	struct ks_pdfdoc_limits lim;
	struct ks_pd_block *blocks;
	size_t mem;
	size_t header_off;
	unsigned version;
	bool repaired;
	char *repair_reason;
	bool encrypted;
	bool opening; /* revisions not ready: indirect /Length unusable */
	struct ks_pd_rev *revs;
	size_t nrevs;
	struct ks_pdfdoc_eof *eofs;
	size_t neofs;
	struct ks_pdfdoc_startxref *sx;
	size_t nsx;
	size_t total_entries;
	size_t depth;             /* nested resolutions in progress */
	size_t no_endstream_from; /* no "endstream" at or after this offset */
	struct ks_pd_map by_off;  /* file offset -> indirect / in progress / failed */
	struct ks_pd_map objstms; /* objstm file offset -> struct ks_pd_objstm */
	struct ks_pd_map failed;  /* file offset -> struct ks_pd_failed */
	/* ks_pdfdoc_resolve(), set by ks_pdfdoc_open(): the lexer (an
	 * indirect /Length) and the filters (indirect /DecodeParms) resolve
	 * through it, so they do not depend on the resolution code that
	 * depends on them. */
	int (*resolve)(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *o,
		       const struct ks_pdfobj **out);
};

/* Resolve through the document's resolver (see struct ks_pdfdoc). */
static inline int ks_pd_resolve(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *o,
				const struct ks_pdfobj **out)
{
	return doc->resolve(doc, rev, o, out);
}

/* ks_pdfobj_get() then ks_pd_resolve(): *out NULL when absent. */
static inline int ks_pd_dict_get(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *dict,
				 const char *key, const struct ks_pdfobj **out)
{
	return ks_pd_resolve(doc, rev, ks_pdfobj_get(dict, key), out);
}

/* Build doc->revs (ks_pdfdoc_xref.c). */
KS_WUR int ks_pd_xref_load(struct ks_pdfdoc *doc);
/* Entry lookup in one revision's own table; NULL when absent. */
const struct ks_pd_entry *ks_pd_rev_find(const struct ks_pd_rev *r, uint32_t num);
void ks_pd_entry_export(const struct ks_pd_entry *e, size_t rev, struct ks_pdfdoc_entry *out);

/* Resolution (ks_pdfdoc_obj.c): the object an entry points at. */
KS_WUR int ks_pd_load_entry(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfdoc_entry *e,
			    struct ks_pdfdoc_indirect *out);
void ks_pd_objstm_free(struct ks_pd_objstm *os);
/* Object number at `index` of object stream `objstm` (revision 0);
 * fails when index is beyond /N. */
KS_WUR int ks_pd_objstm_member(struct ks_pdfdoc *doc, uint32_t objstm, size_t index, uint32_t *num);
void ks_pd_arena_free(struct ks_pd_block *b);

/* Filters (ks_pdfdoc_filter.c). */
KS_WUR int ks_pd_stream_decode_rev(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *s,
				   struct ks_buf *out);

#endif
