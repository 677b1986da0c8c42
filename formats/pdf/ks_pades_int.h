/* Internal interfaces of the PAdES verifier: signature verification
 * (ks_pades_verify.c, ks_pades_cms.c), the reference roles of objects
 * (ks_pades_roles.c) and the modification analysis (ks_pades_diff.c). */
#ifndef KS_PADES_INT_H
#define KS_PADES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/pdf/ks_pades_verify.h"
#include "formats/pdf/ks_pdfdoc.h"

/* ---- field locks (ISO 32000-1 12.8.2.4 FieldMDP, 12.7.4.5 /Lock) ---- */

enum ks_pv_lock_action { PV_LOCK_ALL = 1, PV_LOCK_INCLUDE, PV_LOCK_EXCLUDE };

struct ks_pv_lock {
	enum ks_pv_lock_action action;
	char **names; /* full field names, UTF-8 (owned) */
	size_t n;
	size_t rev; /* signed revision of the locking signature */
};

struct ks_pv_locks {
	struct ks_pv_lock *v;
	size_t n;
};

/* Is the field named `name` locked by `lk`? */
bool ks_pv_lock_covers(const struct ks_pv_lock *lk, const char *name);
/* The signature dictionary's /Reference transforms as of its signed
 * revision `rev`: DocMDP (sig->docmdp, only when the catalog's /Perms
 * names this dictionary) and FieldMDP, plus the field's /Lock; locks are
 * appended to *locks (with rev).  -1 only for memory errors. */
KS_WUR int ks_pv_transforms(struct ks_pdfdoc *doc, size_t rev, uint32_t sig_num,
			    const struct ks_pdfobj *dict, const struct ks_pdfobj *field,
			    struct ks_pv_locks *locks, struct ks_pades_sig *sig);
void ks_pv_locks_free(struct ks_pv_locks *l);

/* ---- reachability: what the document, as of one revision, reaches ---- */

/* Roles of a reached object: how it hangs below the trailer.  The
 * structure ISO 32000-1 defines (catalog 7.7.2, page tree 7.7.3, pages'
 * /Annots 12.5, the form's field tree 12.7.3, signature values 12.8.1)
 * is walked by position; everything below it is walked generically,
 * following every reference whatever its key, with the role of where it
 * hangs. */
enum {
	PV_R_CATALOG = 1u << 0,
	PV_R_ACROFORM = 1u << 1, /* the form dictionary, its /Fields arrays */
	PV_R_SIGFIELD = 1u << 2, /* a signature field (its /FT /Sig, own or inherited) */
	PV_R_FIELD = 1u << 3,    /* another field of the form's tree */
	PV_R_WIDGET = 1u << 4,   /* a widget annotation */
	PV_R_AP = 1u << 5,       /* below a widget's /AP or /MK; owner: the widget */
	PV_R_SIGDICT = 1u << 6,  /* below a signature field's /V */
	PV_R_DOCTS = 1u << 7,    /* ... when that value is a document timestamp */
	PV_R_ANNOT = 1u << 8,    /* an annotation other than a widget and below it; owner */
	PV_R_PAGE = 1u << 9,
	PV_R_PAGETREE = 1u << 10,
	PV_R_CONTENT = 1u << 11, /* below a page or page tree node: what the page draws */
	PV_R_DSS = 1u << 12,
	PV_R_INFO = 1u << 13,
	PV_R_META = 1u << 14,     /* /Metadata, /Extensions */
	PV_R_OTHER = 1u << 15,    /* anything else reached (actions, outlines, ...) */
	PV_R_ANNOTS = 1u << 16,   /* a page's /Annots array */
	PV_R_FIELDVAL = 1u << 17, /* below another field's /V; owner: the field */
	PV_R_DR = 1u << 18,       /* the form's default resources */
	PV_R_SHARED = 1u << 19,   /* an appearance of several widgets */
	PV_R_NAMES = 1u << 20,    /* the catalog's name dictionary */
	PV_R_DRFONT = 1u << 21,   /* below the default resources' /Font */
	PV_R_LOCK = 1u << 22,     /* below a signature field's /Lock */
};

/* One object number the walk reached. */
struct ks_pv_node {
	uint32_t num;
	uint16_t gen;
	bool structural; /* placed by the structure walk (catalog, page, annotation, field...) */
	bool defined;    /* resolved to a value (not free, not undefined) */
	bool broken;     /* its definition cannot be parsed */
	uint32_t roles;  /* PV_R_* */
	uint32_t owner;  /* AP / ANNOT / FIELDVAL: the widget, annotation or field */
	uint32_t page;   /* annotations and widgets: 1-based page whose /Annots holds it */
	const char *via; /* the key it was first reached through (static or arena) */
};

struct ks_pv_work;

struct ks_pv_reach {
	struct ks_pdfdoc *doc;
	size_t rev;
	struct ks_pv_node *tab; /* open addressing by object number; num 0 = empty */
	size_t cap, n;
	uint32_t catalog; /* object number of the catalog (0: direct or none) */
	size_t npages;
	size_t nodes;            /* values visited */
	bool exhausted;          /* a limit stopped the walk: it is incomplete */
	struct ks_pv_work *work; /* pending generic walks */
	size_t nwork, capwork;
};

/* Walk the document as of `rev` from its trailer.  Errors only for
 * memory; a broken object ends its branch (and is marked broken). */
KS_WUR int ks_pv_reach_build(struct ks_pdfdoc *doc, size_t rev, struct ks_pv_reach *out);
void ks_pv_reach_free(struct ks_pv_reach *r);
/* The node of num, or NULL when the walk did not reach it. */
const struct ks_pv_node *ks_pv_reach_get(const struct ks_pv_reach *r, uint32_t num);

/* ---- structural comparison (ks_pades_cmp.c) ---- */

#define PV_KEYS_MAX 16 /* differing keys named in one change */

struct ks_pv_cmp {
	struct ks_pdfdoc *doc;
	size_t ra, rb;        /* a values as of ra, b values as of rb */
	size_t nodes;         /* values compared so far */
	bool exhausted;       /* KS_PADES_DIFF_MAX_NODES reached: answers are "different" */
	struct ks_buf da, db; /* decoded stream data */
};

void ks_pv_cmp_init(struct ks_pv_cmp *c, struct ks_pdfdoc *doc, size_t ra, size_t rb);
void ks_pv_cmp_cleanup(struct ks_pv_cmp *c);
/* Structurally equal: same types and values, a null entry equals an
 * absent one (7.3.7), integers equal reals of the same value, streams by
 * data (decoded when the filters differ) and dictionary.  References to
 * the same object number are equal (that object is judged on its own);
 * other references are followed, to KS_PADES_DIFF_MAX_DEPTH. */
bool ks_pv_equal(struct ks_pv_cmp *c, const struct ks_pdfobj *a, const struct ks_pdfobj *b,
		 unsigned depth);
/* Keys whose values differ between dicts (or streams) a and b, at most
 * PV_KEYS_MAX; a stream's data counts as the key "(stream data)". */
size_t ks_pv_diff_keys(struct ks_pv_cmp *c, const struct ks_pdfobj *a, const struct ks_pdfobj *b,
		       const char **keys);

/* ---- modification analysis ---- */

struct ks_pv_diff_in {
	struct ks_pdfdoc *doc;
	size_t rev;                     /* the signed revision */
	int permitted;                  /* DocMDP P in force; 0: not certified */
	const struct ks_pv_lock *locks; /* locks in force for this signature */
	size_t n_locks;
	const struct ks_pv_reach
	    *final; /* the walk of the final file (shared by every signature) */
};

/* Classify every change between revision in->rev and the final file and
 * append them to sig->changes; sets sig->level.  Findings that fail the
 * signature have allowed = false.  -1 only for memory errors. */
KS_WUR int ks_pv_diff(const struct ks_pv_diff_in *in, struct ks_pades_sig *sig);

/* Append one change (ks_pades_changes.c): listed while there is room
 * (a change not allowed takes the place of an allowed one when the list
 * is full), counted always.  place may be NULL. */
KS_WUR int ks_pv_add_change(struct ks_pades_sig *sig, uint32_t num, uint32_t rev,
			    enum ks_pades_what what, enum ks_pades_op op, enum ks_pades_level level,
			    bool allowed, const struct ks_pades_place *place, const char *fmt, ...)
    KS_PRINTF(9, 10);

/* File-level findings after revision rs (ks_pades_file.c): bytes after
 * the last %%EOF that are no update, object definitions outside every
 * cross-reference section, startxref keywords outside the /Prev chain.
 * Appended to sig->changes (never allowed).  *incomplete is set when more
 * than KS_PADES_DIFF_MAX_SCAN bytes follow the signed revision (the rest
 * was not scanned).  -1 only for memory errors. */
KS_WUR int ks_pv_file_checks(struct ks_pdfdoc *doc, size_t rs, struct ks_pades_sig *sig,
			     bool *incomplete);

/* ---- CMS of one signature (ks_pades_cms.c) ---- */

/* The two ranges a /ByteRange names, inside the input. */
struct ks_pv_ranges {
	const uint8_t *p1;
	size_t n1;
	const uint8_t *p2;
	size_t n2;
};

/* Verify the CMS `der` (exactly one ContentInfo; with zero_pad, zero
 * bytes may follow it) of a signature whose /SubFilter is sig->subfilter
 * over the ranges; fills sig->cms, sig->indication/sub/detail.  -1 only
 * for memory errors. */
KS_WUR int ks_pv_verify_cms(const uint8_t *der, size_t n, bool zero_pad,
			    const struct ks_pv_ranges *rg, struct ks_pades_sig *sig);

/* The signer certificate of a CMS whose signature cannot be verified
 * (structure failed first): for the report only.  Sets sig->has_cms and
 * sig->cms.cert when found; -1 only for memory errors. */
KS_WUR int ks_pv_identify(const uint8_t *der, size_t n, bool zero_pad, struct ks_pades_sig *sig);

/* Fill sig->detail (printf) and set the indication. */
void ks_pv_fail(struct ks_pades_sig *sig, enum ks_subindication sub, const char *fmt, ...)
    KS_PRINTF(3, 4);

#endif
