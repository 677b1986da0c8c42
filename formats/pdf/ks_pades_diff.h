/* Internal to the modification analysis: the state shared by its driver
 * (ks_pades_diff.c), the rules for the document structure
 * (ks_pades_rules.c) and those for form fields (ks_pades_fields.c). */
#ifndef KS_PADES_DIFF_H
#define KS_PADES_DIFF_H

#include "formats/pdf/ks_pades_int.h"

/* How one change is judged. */
struct ks_pv_verdict {
	enum ks_pades_what what;
	enum ks_pades_level level;
	struct ks_pades_place place;
	char detail[160];
};

struct ks_pv_d {
	const struct ks_pv_diff_in *in;
	struct ks_pdfdoc *doc;
	size_t rs, rf;                         /* signed and final revision */
	struct ks_pv_reach S;                  /* what the signed revision reaches */
	const struct ks_pv_reach *F;           /* what the final file reaches */
	const struct ks_pdfdoc_field *fs, *ff; /* terminal fields, both states */
	size_t nfs, nff;
	struct ks_pv_cmp cmp;
};

/* One reached object whose value differs between the two states. */
struct ks_pv_obj {
	uint32_t num;
	enum ks_pades_op op;
	const struct ks_pdfobj *os, *of;  /* its values (NULL: none in that state) */
	const struct ks_pv_node *ns, *nf; /* its nodes (NULL: not reached in that state) */
	uint32_t roles;                   /* of both states */
};

void ks_pv_set(struct ks_pv_verdict *v, enum ks_pades_what what, enum ks_pades_level level,
	       const char *fmt, ...) KS_PRINTF(4, 5);
void ks_pv_raise(struct ks_pv_verdict *v, enum ks_pades_level level);
/* May a change of this level stand under the certification in force? */
bool ks_pv_allowed(const struct ks_pv_d *d, enum ks_pades_level level);
/* Resolve in the signed (final = false) or final state; NULL when broken. */
const struct ks_pdfobj *ks_pv_get(struct ks_pv_d *d, bool final, const struct ks_pdfobj *o);
/* The value of object num in one state (NULL when it has none). */
const struct ks_pdfobj *ks_pv_object(struct ks_pv_d *d, bool final, uint32_t num);
/* "/A /B" naming up to PV_KEYS_MAX keys. */
void ks_pv_keys_text(const char *const *keys, size_t n, char *out, size_t cap);
bool ks_pv_key_in(const char *k, const char *const *set);
/* Where annotation or widget num shows in the final file (its page and
 * /Rect); dict is its dictionary when known (a direct annotation). */
void ks_pv_place(struct ks_pv_d *d, uint32_t num, const struct ks_pdfobj *dict,
		 struct ks_pades_place *out);
/* A script or an action that does more than move the view (JavaScript,
 * Launch, SubmitForm, ResetForm, ImportData, Hide, SetOCGState,
 * Rendition, GoToE...) anywhere in the direct value o. */
bool ks_pv_has_script(const struct ks_pdfobj *o, unsigned depth);

/* ---- structure rules (ks_pades_rules.c) ---- */

/* The catalog (its two states, whatever their object numbers). */
void ks_pv_rule_catalog(struct ks_pv_d *d, const struct ks_pdfobj *cs, const struct ks_pdfobj *cf,
			struct ks_pv_verdict *v);
/* A page that existed (its dictionary changed). */
void ks_pv_rule_page(struct ks_pv_d *d, const struct ks_pv_obj *o, struct ks_pv_verdict *v);
/* A page's annotation list; page is its 1-based number. */
void ks_pv_rule_annots(struct ks_pv_d *d, const struct ks_pdfobj *as, const struct ks_pdfobj *af,
		       uint32_t page, struct ks_pv_verdict *v);
/* The form dictionary (as NULL: it is new) or a /Fields array. */
void ks_pv_rule_acroform(struct ks_pv_d *d, const struct ks_pdfobj *as, const struct ks_pdfobj *af,
			 struct ks_pv_verdict *v);
/* A map of the form's default fonts (ms NULL: new): names may be added,
 * never re-pointed (viewers draw field values with them). */
enum ks_pades_level ks_pv_font_map_level(struct ks_pv_d *d, const struct ks_pdfobj *ms,
					 const struct ks_pdfobj *mf);
/* The name dictionary (as NULL: it is new). */
void ks_pv_rule_names(struct ks_pv_d *d, const struct ks_pdfobj *as, const struct ks_pdfobj *af,
		      struct ks_pv_verdict *v);

/* ---- form fields (ks_pades_fields.c) ---- */

/* A field or widget dictionary that existed. */
void ks_pv_rule_field(struct ks_pv_d *d, const struct ks_pv_obj *o, struct ks_pv_verdict *v);
/* A field or widget (num, dictionary o; num 0 when direct) that the
 * final file has and the signed revision did not reach: signing when it
 * belongs to a signature field that was empty or new and now holds a new
 * signature or nothing; a document timestamp (LTV) when its widget draws
 * nothing; anything else is a change of its own (OTHER, *why says). */
enum ks_pades_level ks_pv_new_field_level(struct ks_pv_d *d, uint32_t num,
					  const struct ks_pdfobj *o, const char **why);
/* Below a widget's /AP or /MK, owner the widget. */
void ks_pv_rule_appearance(struct ks_pv_d *d, const struct ks_pv_obj *o, uint32_t owner,
			   struct ks_pv_verdict *v);
/* Below a field's /V, owner the field. */
void ks_pv_rule_fieldval(struct ks_pv_d *d, const struct ks_pv_obj *o, uint32_t owner,
			 struct ks_pv_verdict *v);
/* Terminal fields whose value changed only through inheritance (a /V
 * set on a parent): each is a change of its own.  -1 for memory. */
KS_WUR int ks_pv_inherited_values(struct ks_pv_d *d, struct ks_pades_sig *sig);

#endif
