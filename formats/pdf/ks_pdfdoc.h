/* ks_pdfdoc: revision-aware PDF reader (ISO 32000-1 / 32000-2).
 *
 * Built for verification: it never trusts the file, exposes the raw
 * structure (every xref section, every trailer, every %%EOF and
 * startxref keyword, the byte span of every object) and resolves objects
 * "as of" any revision, so a verifier can compare what a signed revision
 * saw with what the final file shows.
 *
 * Memory: the caller keeps the input bytes alive and unchanged while the
 * document lives (the verifier maps files).  Every object the reader
 * creates lives in a per-document arena and is freed once, by
 * ks_pdfdoc_free(); pointers returned by any function here stay valid
 * until then and must not be freed by the caller.  A document is not
 * thread-safe (lookups fill caches).
 *
 * Revisions are numbered 0 (oldest, the original document) .. n-1
 * (newest, what a viewer shows).  Offsets are byte offsets into the input.
 *
 * Errors: KS_ERR_PDF (object syntax), KS_ERR_PDF_XREF (xref / trailer /
 * revision structure), KS_ERR_LIMIT (a limit of struct ks_pdfdoc_limits),
 * KS_ERR_UNSUPPORTED (filter, encryption), KS_ERR_NOMEM, KS_ERR_ARG;
 * messages name the offset. */
#ifndef KS_PDFDOC_H
#define KS_PDFDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_buf.h"
#include "ks_cur.h"
#include "ks_err.h"

/* ---------------------------------------------------------------- limits */

/* Defaults of struct ks_pdfdoc_limits (ks_pdfdoc_limits_default()). */
#define KS_PDFDOC_MAX_DEPTH 64                      /* nested arrays / dicts */
#define KS_PDFDOC_MAX_OBJECTS 1000000               /* object numbers are < this */
#define KS_PDFDOC_MAX_XREF_ENTRIES 4000000          /* all sections together */
#define KS_PDFDOC_MAX_REVISIONS 1000                /* xref sections in the /Prev chain */
#define KS_PDFDOC_MAX_STREAM ((size_t)256 << 20)    /* one decoded stream */
#define KS_PDFDOC_MAX_RATIO 1000                    /* decoded : encoded */
#define KS_PDFDOC_RATIO_ALLOWANCE ((size_t)1 << 20) /* decoded size always allowed */
#define KS_PDFDOC_MAX_STRING ((size_t)32 << 20)     /* one string, decoded */
#define KS_PDFDOC_MAX_NAME 1024                     /* one name, decoded */
#define KS_PDFDOC_MAX_ARRAY 1000000                 /* items of one array */
#define KS_PDFDOC_MAX_DICT 100000                   /* entries of one dictionary */
#define KS_PDFDOC_MAX_INDIRECTION 32                /* ref -> ref -> ... hops */
#define KS_PDFDOC_MAX_MEMORY ((size_t)1 << 30)      /* arena + caches of one document */
#define KS_PDFDOC_MAX_PAGES 100000                  /* pages of one revision */
#define KS_PDFDOC_MAX_FIELDS 100000                 /* form fields of one revision */
#define KS_PDFDOC_TAIL_WINDOW ((size_t)64 << 10)    /* tail mode: bytes searched for startxref */

struct ks_pdfdoc_limits {
	size_t max_depth;
	size_t max_objects;
	size_t max_xref_entries;
	size_t max_revisions;
	size_t max_stream;
	size_t max_ratio;
	size_t ratio_allowance;
	size_t max_string;
	size_t max_name;
	size_t max_array;
	size_t max_dict;
	size_t max_indirection;
	size_t max_memory;
	size_t max_pages;
	size_t max_fields;
	/* Rebuild the object table by scanning for "N G obj" when the xref
	 * chain is unusable (ks_pdfdoc_repaired() then says so).  A verifier
	 * may refuse repaired files; with false, open fails instead. */
	bool allow_repair;
	/* Tail mode (signing): only the last KS_PDFDOC_TAIL_WINDOW bytes are
	 * searched for "startxref" and "%%EOF"; the chain is followed from
	 * the last startxref through /Prev, objects are read on demand, and
	 * nothing is ever repaired, so memory and the pages of a mapped file
	 * that are read do not grow with the file.  Revisions whose %%EOF
	 * lies before the window have has_eof false; ks_pdfdoc_eof_markers()
	 * and ks_pdfdoc_startxrefs() list only what the window holds.  The
	 * default (forensic) mode scans the whole file. */
	bool tail;
};

/* Fill *lim with the KS_PDFDOC_* defaults (allow_repair = true).  In a
 * struct given to ks_pdfdoc_open(), a field left 0 also means its
 * default. */
void ks_pdfdoc_limits_default(struct ks_pdfdoc_limits *lim);

/* --------------------------------------------------------------- objects */

enum ks_pdfobj_type {
	KS_PDFOBJ_NULL = 0,
	KS_PDFOBJ_BOOL,
	KS_PDFOBJ_INT,
	KS_PDFOBJ_REAL,
	KS_PDFOBJ_NAME,
	KS_PDFOBJ_STRING,
	KS_PDFOBJ_ARRAY,
	KS_PDFOBJ_DICT,
	KS_PDFOBJ_STREAM,
	KS_PDFOBJ_REF,
};

struct ks_pdfobj;

struct ks_pdfdict_entry {
	const char *key; /* decoded name without '/', NUL-terminated */
	size_t key_len;  /* bytes (a #00 escape may put a NUL inside) */
	struct ks_pdfobj *val;
};

struct ks_pdfobj {
	enum ks_pdfobj_type type;
	/* Source span [start, end): for a string it includes the delimiters
	 * ( ) or < >, for a dict << >>, for a stream the dictionary through
	 * "endstream".  When `objstm` is 0 the span is in the input file;
	 * otherwise it is in the decoded data of object stream number
	 * `objstm` (no file span exists then). */
	size_t start, end;
	uint32_t objstm;
	union {
		bool b;
		int64_t i;
		double r;
		struct {
			const char *s; /* decoded (#xx), without '/', NUL-terminated */
			size_t len;
		} name;
		struct {
			const uint8_t *s; /* decoded bytes (escapes / hex), NUL-terminated */
			size_t len;
			bool hex; /* written <...> rather than (...) */
		} str;
		struct {
			struct ks_pdfobj **items;
			size_t n;
		} arr;
		struct {
			struct ks_pdfdict_entry *e; /* in file order */
			size_t n;
			/* Two entries share a key (7.3.7 forbids it): readers
			 * disagree on which counts, ks_pdfobj_get takes the
			 * first. */
			bool dup;
		} dict;
		struct {
			struct ks_pdfobj *dict; /* the stream dictionary */
			size_t data_off;        /* raw (encoded) data in the file */
			size_t data_len;
			/* /Length did not lead to "endstream": data_len was found by
			 * searching for the keyword instead. */
			bool length_repaired;
			/* Revision whose xref defined the stream: indirect /Length,
			 * /Filter and /DecodeParms are resolved as of it. */
			uint32_t rev;
		} stream;
		struct {
			uint32_t num;
			uint16_t gen;
		} ref;
	} u;
};

/* Shared immutable null object (what a reference to a free or undefined
 * object means, ISO 32000-1 7.3.10). */
const struct ks_pdfobj *ks_pdfobj_null(void);

/* Direct dictionary lookup (no reference resolution).  `dict` may be a
 * dict or a stream (its dictionary is searched).  Returns NULL when the
 * key is absent or dict is not a dict/stream.  Duplicate keys: the first
 * one wins, as in most readers. */
const struct ks_pdfobj *ks_pdfobj_get(const struct ks_pdfobj *dict, const char *key);
/* The dictionary of a dict or stream object; NULL otherwise. */
const struct ks_pdfobj *ks_pdfobj_dict(const struct ks_pdfobj *o);
/* True when o is the name `name` (no '/'). */
bool ks_pdfobj_is_name(const struct ks_pdfobj *o, const char *name);
/* True when o is an integer; stores it. */
bool ks_pdfobj_int(const struct ks_pdfobj *o, int64_t *v);
/* True when o is an integer or real; stores it as a double. */
bool ks_pdfobj_number(const struct ks_pdfobj *o, double *v);
/* Static name of a type ("dict", "ref", ...), for messages. */
const char *ks_pdfobj_type_name(enum ks_pdfobj_type t);

/* A PDF text string (ISO 32000-1 7.9.2.2: UTF-16BE with BOM, UTF-8 with
 * BOM (PDF 2.0), else PDFDocEncoding) appended to `out` as well-formed
 * UTF-8 (an ill-formed UTF-8 byte or an undefined PDFDoc code becomes
 * U+FFFD).  Fails on a non-string or on invalid UTF-16. */
KS_WUR int ks_pdfobj_text_utf8(const struct ks_pdfobj *str, struct ks_buf *out);

/* ------------------------------------------------------- scanning bytes */

/* How far before "obj" the scan looks for "N G ": 10 + 1 + 5 + 1 digits
 * and blanks, with slack for longer runs of white space. */
#define KS_PDFDOC_OBJ_LOOKBACK 40

/* An object definition found by scanning the bytes for "N G obj", as a
 * repairing reader does (ISO 32000-1 7.3.10): white space, a generation of
 * at most 5 digits, white space and an object number (at most 10 digits,
 * <= UINT32_MAX) that starts the input or follows white space or a
 * delimiter; the keyword is followed by white space, a delimiter or the
 * end of the input.  Values are as written: callers apply their limits
 * (a generation above 65535, an object number past the table). */
struct ks_pdfdoc_objdef {
	uint32_t num;
	uint32_t gen;
	size_t start; /* offset of the object number in the input */
};

/* The next definition whose "obj" keyword lies in [*at, to) of `in`;
 * *at moves past that keyword (to `to` when there is none). */
bool ks_pdfdoc_scan_obj(const struct ks_cur *in, size_t *at, size_t to, struct ks_pdfdoc_objdef *d);

/* -------------------------------------------------------------- document */

struct ks_pdfdoc;

/* Parse the document structure: header, %%EOF / startxref scan, the xref
 * chain from the last startxref following /Prev (loops and limits are
 * errors), every xref section and trailer.  Objects are parsed on demand.
 * data must stay valid and unchanged until ks_pdfdoc_free().  lim: NULL
 * for the defaults; it is copied.  On failure *out is NULL.  Encrypted
 * documents (/Encrypt in the newest trailer) open, but
 * ks_pdfdoc_encrypted() says so: strings stay as stored (encrypted) and
 * stream decoding, object streams included, fails KS_ERR_UNSUPPORTED.
 * Unusable xref chain: see allow_repair. */
KS_WUR int ks_pdfdoc_open(const uint8_t *data, size_t len, const struct ks_pdfdoc_limits *lim,
			  struct ks_pdfdoc **out);
/* Free the document and every object it handed out.  NULL is a no-op. */
void ks_pdfdoc_free(struct ks_pdfdoc *doc);

/* The whole input as a cursor (for the verifier's own reads). */
void ks_pdfdoc_input(const struct ks_pdfdoc *doc, struct ks_cur *out);
/* Offset of "%PDF-" (normally 0) and the version it names, e.g. 17 for
 * 1.7 (0 when the header is missing: open does not require it). */
size_t ks_pdfdoc_header_offset(const struct ks_pdfdoc *doc);
unsigned ks_pdfdoc_version(const struct ks_pdfdoc *doc);
/* True when the xref chain was unusable and the object table was rebuilt
 * by scanning the file; ks_pdfdoc_repair_reason() then gives the error
 * that caused it.  A repaired document has exactly one revision. */
bool ks_pdfdoc_repaired(const struct ks_pdfdoc *doc);
const char *ks_pdfdoc_repair_reason(const struct ks_pdfdoc *doc);
/* True when the newest trailer has /Encrypt. */
bool ks_pdfdoc_encrypted(const struct ks_pdfdoc *doc);

/* ------------------------------------------------------------- revisions */

enum ks_pdfdoc_xref_kind {
	KS_PDFDOC_XREF_TABLE = 1, /* classic "xref" table (7.5.4) */
	KS_PDFDOC_XREF_STREAM,    /* cross-reference stream (7.5.8) */
	KS_PDFDOC_XREF_HYBRID,    /* table whose trailer has /XRefStm (7.5.8.4) */
	KS_PDFDOC_XREF_REPAIRED,  /* rebuilt by scanning: no real section;
				   * xref_off = xref_end = 0 */
};

struct ks_pdfdoc_rev {
	size_t xref_off; /* where the section starts (the startxref / /Prev value) */
	size_t xref_end; /* just after the section (trailer dict or endobj) */
	enum ks_pdfdoc_xref_kind kind;
	size_t xrefstm_off; /* hybrid: the /XRefStm offset, else 0 */
	/* The trailer dictionary (for an xref stream: the stream dict). */
	const struct ks_pdfobj *trailer;
	/* Just after the "%%EOF" that closes this revision and its EOL
	 * (CR, LF or CRLF): the first %%EOF after xref_end.  When none
	 * follows, has_eof is false and end is the input length. */
	size_t end;
	bool has_eof;
	size_t eof_off; /* of that "%%EOF" (when has_eof) */
	/* Offset of the "startxref" keyword before that %%EOF whose value is
	 * xref_off, or SIZE_MAX when there is none (a section reached only
	 * through /Prev, e.g. the main table of a linearized file). */
	size_t startxref_off;
	/* Linearized files (Annex F) put the first-page section before the
	 * main one; the reader merges a section that lies BEFORE its /Prev
	 * section into that older revision: nsections counts them (1 for
	 * normal updates) and xref_off/kind/trailer are the newest section's. */
	size_t nsections;
	size_t nobjects; /* object numbers this revision's own section(s) define */
	/* Hybrid section whose table and /XRefStm both define an object in
	 * other ways than "free in the table, compressed in the stream" (the
	 * only use 7.5.8.4 makes of it): readers resolve such an object
	 * differently.  Their count and the first such object number. */
	size_t xref_conflicts;
	uint32_t xref_conflict_num;
	/* Hybrid section whose /XRefStm stream has a /Prev of its own: the
	 * table's trailer chains the sections (7.5.8.4), a reader that
	 * follows the stream's /Prev sees others. */
	bool xrefstm_prev;
};

/* Number of revisions (>= 1 after a successful open). */
size_t ks_pdfdoc_rev_count(const struct ks_pdfdoc *doc);
/* Revision `rev` (0 = oldest); NULL when out of range. */
const struct ks_pdfdoc_rev *ks_pdfdoc_rev(const struct ks_pdfdoc *doc, size_t rev);
/* The index of the revision whose end is exactly `end` (e.g. a
 * /ByteRange end), or -1 when none.  The end of a revision's "%%EOF"
 * itself counts too: the EOL after it may have come with the next update. */
long ks_pdfdoc_rev_by_end(const struct ks_pdfdoc *doc, size_t end);

/* A "%%EOF" marker found anywhere in the input (by scanning, whether or
 * not any xref points near it). */
struct ks_pdfdoc_eof {
	size_t off; /* of the first '%' */
	size_t end; /* after "%%EOF" and its EOL (CR, LF or CRLF) */
};
/* A "startxref" keyword found by scanning, with the number after it. */
struct ks_pdfdoc_startxref {
	size_t off;     /* of the keyword */
	uint64_t value; /* the offset it names */
	bool valid;     /* a number followed the keyword */
	bool in_chain;  /* value is the xref_off of a section of the chain */
};
/* Every %%EOF marker, in file order.  Bytes after the last marker's end
 * (other than nothing) are content no revision closes. */
void ks_pdfdoc_eof_markers(const struct ks_pdfdoc *doc, const struct ks_pdfdoc_eof **eofs,
			   size_t *n);
/* Every startxref keyword, in file order.  One that is not in_chain
 * names an update the /Prev chain does not reach. */
void ks_pdfdoc_startxrefs(const struct ks_pdfdoc *doc, const struct ks_pdfdoc_startxref **sx,
			  size_t *n);

/* ------------------------------------------------------------ xref level */

enum ks_pdfdoc_entry_type {
	KS_PDFDOC_ENTRY_NONE = 0,   /* not defined (by this section / as of this revision) */
	KS_PDFDOC_ENTRY_FREE,       /* 'f' / type 0 */
	KS_PDFDOC_ENTRY_INUSE,      /* 'n' / type 1: at a file offset */
	KS_PDFDOC_ENTRY_COMPRESSED, /* type 2: inside an object stream */
};

struct ks_pdfdoc_entry {
	enum ks_pdfdoc_entry_type type;
	uint32_t num;
	uint16_t gen;      /* INUSE/FREE: generation; COMPRESSED: 0 */
	uint64_t offset;   /* INUSE: file offset of "N G obj"; FREE: next free */
	uint32_t objstm;   /* COMPRESSED: object stream number */
	uint32_t index;    /* COMPRESSED: index inside it */
	uint32_t rev;      /* revision whose section holds this entry */
	bool from_xrefstm; /* hybrid: came from the /XRefStm stream, not the table */
};

/* The entry for `num` as defined BY revision `rev`'s own section(s),
 * without looking at older revisions (type NONE when the section does
 * not mention num).  Hybrid sections: an in-use table entry wins, else
 * the /XRefStm entry, else a free table entry (7.5.8.4).  A number
 * defined twice in one section: the first definition wins. */
KS_WUR int ks_pdfdoc_xref_entry(const struct ks_pdfdoc *doc, size_t rev, uint32_t num,
				struct ks_pdfdoc_entry *out);
/* The entry in effect for `num` as of revision `rev`: the newest
 * definition in revisions rev, rev-1, ..., 0 (a free entry ends the
 * search: the object was deleted).  type NONE when never defined. */
KS_WUR int ks_pdfdoc_xref_effective(const struct ks_pdfdoc *doc, size_t rev, uint32_t num,
				    struct ks_pdfdoc_entry *out);
/* The object numbers revision `rev`'s own section(s) define (any entry
 * type), ascending, without duplicates.  *nums points into the document. */
KS_WUR int ks_pdfdoc_rev_objects(const struct ks_pdfdoc *doc, size_t rev, const uint32_t **nums,
				 size_t *n);
/* Highest object number defined by any revision up to `rev`, plus one. */
uint32_t ks_pdfdoc_max_object(const struct ks_pdfdoc *doc, size_t rev);

/* ------------------------------------------------------------ resolution */

/* One indirect object as found in the file. */
struct ks_pdfdoc_indirect {
	uint32_t num;
	uint16_t gen;
	const struct ks_pdfobj *obj; /* its value (for a stream: the stream) */
	/* INUSE: span of "N G obj ... endobj" in the file.  COMPRESSED: the
	 * span of the value in the decoded object stream (obj->objstm). */
	size_t start, end;
	struct ks_pdfdoc_entry entry; /* the xref entry that led here */
};

/* Object num/gen as of revision `rev`.  A free or undefined object, or a
 * generation mismatch, gives the null object (7.3.10) and rc 0; a syntax
 * error, an entry pointing at another object number, a reference loop
 * (an object needed to parse itself) or a limit gives -1. */
KS_WUR int ks_pdfdoc_get(struct ks_pdfdoc *doc, size_t rev, uint32_t num, uint16_t gen,
			 const struct ks_pdfobj **out);
/* Same with the details: out->entry.type is NONE or FREE (and out->obj
 * the null object) when the object does not exist as of rev. */
KS_WUR int ks_pdfdoc_lookup(struct ks_pdfdoc *doc, size_t rev, uint32_t num, uint16_t gen,
			    struct ks_pdfdoc_indirect *out);
/* Parse the indirect object "N G obj ... endobj" starting at file offset
 * `off` (leading whitespace allowed), independent of any xref: for
 * checking what an entry points at.  Indirect /Length is resolved as of
 * the newest revision.  Results are cached by offset. */
KS_WUR int ks_pdfdoc_parse_at(struct ks_pdfdoc *doc, size_t off, struct ks_pdfdoc_indirect *out);
/* If o is a reference, follow it (and any reference it resolves to, up to
 * max_indirection hops) as of revision rev; else *out = o.  o NULL gives
 * NULL. */
KS_WUR int ks_pdfdoc_resolve(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *o,
			     const struct ks_pdfobj **out);
/* ks_pdfobj_get() then ks_pdfdoc_resolve(): *out NULL when absent. */
KS_WUR int ks_pdfdoc_dict_get(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *dict,
			      const char *key, const struct ks_pdfobj **out);
/* Like ks_pdfdoc_dict_get() but the value must have type `type` (or be
 * absent: *out NULL) or KS_ERR_PDF. */
KS_WUR int ks_pdfdoc_dict_get_type(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *dict,
				   const char *key, enum ks_pdfobj_type type,
				   const struct ks_pdfobj **out);

/* --------------------------------------------------------------- streams */

/* The raw (encoded) stream data as a cursor over the input. */
KS_WUR int ks_pdfdoc_stream_raw(const struct ks_pdfdoc *doc, const struct ks_pdfobj *stream,
				struct ks_cur *out);
/* Decode a stream through its /Filter chain with its /DecodeParms:
 * FlateDecode (with PNG predictors 10-15 and TIFF predictor 2),
 * ASCIIHexDecode, ASCII85Decode.  Other filters: KS_ERR_UNSUPPORTED.
 * Limits: max_stream bytes and max_ratio (beyond ratio_allowance) give
 * KS_ERR_LIMIT.  `out` is the caller's (initialized) buffer; the result
 * replaces its contents. */
KS_WUR int ks_pdfdoc_stream_decode(struct ks_pdfdoc *doc, const struct ks_pdfobj *stream,
				   struct ks_buf *out);

/* ------------------------------------------------------ document helpers */

/* The catalog (/Root of the revision's trailer, resolved, must be a
 * dict) as of revision rev. */
KS_WUR int ks_pdfdoc_catalog(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj **out);

/* A page with the attributes it inherits (7.7.3.4). */
struct ks_pdfdoc_page {
	const struct ks_pdfobj *dict; /* the /Type /Page dictionary */
	uint32_t num;                 /* its object number (0 when direct) */
	uint16_t gen;
	const struct ks_pdfobj *resources; /* inherited when absent; may be NULL */
	const struct ks_pdfobj *mediabox;  /* inherited; may be NULL */
	const struct ks_pdfobj *cropbox;   /* inherited; may be NULL */
	int64_t rotate;                    /* inherited; 0 when absent */
};
/* Walk the page tree of revision rev (once; cached): number of pages.
 * /Kids cycles (a node reached twice), depth beyond max_depth or more
 * than max_pages pages give KS_ERR_PDF / KS_ERR_LIMIT.  /Parent is not
 * followed (inheritance comes from the path walked down). */
KS_WUR int ks_pdfdoc_page_count(struct ks_pdfdoc *doc, size_t rev, size_t *n);
/* Page `idx` (0-based) as of revision rev. */
KS_WUR int ks_pdfdoc_page(struct ks_pdfdoc *doc, size_t rev, size_t idx,
			  const struct ks_pdfdoc_page **out);

/* A terminal form field (12.7.3) with its inherited attributes. */
struct ks_pdfdoc_field {
	const char *name;             /* full name "a.b.c" (UTF-8), NUL-terminated */
	const struct ks_pdfobj *dict; /* the field dictionary */
	uint32_t num;                 /* its object number (0 when direct) */
	uint16_t gen;
	const struct ks_pdfobj *ft; /* /FT name, inherited; NULL when none */
	const struct ks_pdfobj *v;  /* /V resolved, inherited; NULL when none */
	int64_t ff;                 /* /Ff, inherited; 0 when absent */
	/* /FT /Sig with a dictionary /V: that signature dictionary, and the
	 * object number of /V when it was a reference (0 when direct). */
	const struct ks_pdfobj *sig;
	uint32_t sig_num;
	uint16_t sig_gen;
};
/* Walk /AcroForm /Fields (with /Kids) of revision rev (once; cached).
 * Terminal fields only, in tree order; widgets merged into their field
 * are not listed separately.  No /AcroForm: n = 0.  Cycles, depth and
 * max_fields are errors. */
KS_WUR int ks_pdfdoc_fields(struct ks_pdfdoc *doc, size_t rev,
			    const struct ks_pdfdoc_field **fields, size_t *n);

#endif
