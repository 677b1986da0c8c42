/* Modification analysis: what changed between the revision a signature
 * covers and the final file, and whether the signature permits it.
 *
 * ISO 32000-1 12.8.2.2 (DocMDP): P=1 no changes, P=2 form filling and
 * signing, P=3 also annotations; ETSI EN 319 142-1 5.4 and 5.5 add DSS
 * and document timestamps, which every P allows.  Without certification
 * the same three kinds are allowed (and listed).  Anything else fails the
 * signature, in particular the attacks of Mladenov et al. ("1 Trillion
 * Dollar Refund", incremental saving) and Mainka et al. ("Shadow
 * Attacks": hide, replace, hide-and-replace):
 *  - an object the signed revision has, redefined with other content, by
 *    a new xref entry at another offset or inside a rewritten object
 *    stream (compared structurally, references followed, not by bytes);
 *  - a new definition of an object number the signed revision referenced
 *    but did not define (its content then appears after signing);
 *  - anything drawn by a page (content, resources, fonts, XObjects), the
 *    page tree, catalog keys other than /AcroForm /DSS /Metadata
 *    /Extensions, signed signature dictionaries and fields;
 *  - bytes after the last %%EOF that are not a valid update, object
 *    definitions outside any cross-reference section, startxref keywords
 *    the /Prev chain does not reach (a repairing reader would use them);
 *  - what readers resolve differently: a dictionary with a repeated key,
 *    a direct /Root in a trailer, a hybrid section whose table and
 *    /XRefStm disagree, an unparsable new definition;
 *  - overlays through signature widgets: a widget added to a signed
 *    field, a new field whose value is no new signature dictionary, a
 *    visible document timestamp where only validation data may come;
 *  - /NeedAppearances turned on, a form font re-pointed or redefined
 *    (viewers redraw field values with it).
 *
 * The analysis compares the two states as wholes (an update undone by a
 * later one is no change); each change is attributed to the revision
 * whose xref entry is in force at the end. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pades_int.h"

struct pv_d {
	const struct pv_diff_in *in;
	struct ks_pdfdoc *doc;
	size_t rs, rf; /* signed and final revision */
	struct pv_roles S, F;
	const struct ks_pdfdoc_field *fs, *ff; /* terminal fields, both states */
	size_t nfs, nff;
	struct pv_cmp cmp;
};

struct verdict {
	enum ks_pades_what what;
	enum ks_pades_level level;
	char detail[160];
};

static bool fatal(void)
{
	return ks_err_code() == KS_ERR_NOMEM || ks_err_code() == KS_ERR_INTERNAL;
}

static void set(struct verdict *v, enum ks_pades_what what, enum ks_pades_level level,
		const char *fmt, ...) KS_PRINTF(4, 5);

static void set(struct verdict *v, enum ks_pades_what what, enum ks_pades_level level,
		const char *fmt, ...)
{
	va_list ap;

	v->what = what;
	v->level = level;
	va_start(ap, fmt);
	if (vsnprintf(v->detail, sizeof(v->detail), fmt, ap) < 0)
		v->detail[0] = '\0';
	va_end(ap);
}

static void raise_to(struct verdict *v, enum ks_pades_level level)
{
	if (level > v->level)
		v->level = level;
}

static void keys_text(const char *const *keys, size_t n, char *out, size_t cap)
{
	size_t i, used = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < n && used < cap; i++) {
		w = snprintf(out + used, cap - used, "%s%s%s", i ? " " : "",
			     keys[i][0] == '(' ? "" : "/", keys[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static bool key_in(const char *k, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(k, *set) == 0)
			return true;
	return false;
}

/* ---- fields and locks ---- */

static const struct ks_pdfdoc_field *field_by_num(const struct ks_pdfdoc_field *f, size_t n,
						  uint32_t num)
{
	size_t i;

	for (i = 0; num != 0 && i < n; i++)
		if (f[i].num == num)
			return &f[i];
	return NULL;
}

/* The terminal field an object (field or kid widget) belongs to. */
static const struct ks_pdfdoc_field *owning_field(struct pv_d *d, uint32_t num, bool final)
{
	const struct ks_pdfdoc_field *f =
	    field_by_num(final ? d->ff : d->fs, final ? d->nff : d->nfs, num);
	const struct ks_pdfobj *o, *parent;
	struct ks_pdfdoc_entry e;
	size_t rev = final ? d->rf : d->rs;

	if (f != NULL || num == 0)
		return f;
	if (ks_pdfdoc_xref_effective(d->doc, rev, num, &e) < 0 ||
	    ks_pdfdoc_get(d->doc, rev, num, e.gen, &o) < 0)
		return NULL;
	parent = ks_pdfobj_get(o, "Parent");
	if (parent == NULL || parent->type != KS_PDFOBJ_REF)
		return NULL;
	return field_by_num(final ? d->ff : d->fs, final ? d->nff : d->nfs, parent->u.ref.num);
}

/* The first lock in force that covers the field of object num. */
static const char *locked_name(struct pv_d *d, uint32_t num)
{
	const struct ks_pdfdoc_field *f = owning_field(d, num, false);
	size_t i;

	if (f == NULL)
		f = owning_field(d, num, true);
	if (f == NULL)
		return NULL;
	for (i = 0; i < d->in->n_locks; i++)
		if (pv_lock_covers(&d->in->locks[i], f->name))
			return f->name;
	return NULL;
}

/* Did the value of the field object num belongs to change?  An appearance
 * may only change with its value (ISO 32000-1 12.7.3.3: the appearance
 * shows the value): a new appearance over an unchanged value shows what
 * nobody signed (the "replace" shadow attack). */
static bool value_changed(struct pv_d *d, uint32_t num)
{
	const struct ks_pdfdoc_field *fs = owning_field(d, num, false);
	const struct ks_pdfdoc_field *ff = owning_field(d, num, true);

	if (ff == NULL)
		return false;
	if (fs == NULL) /* a new widget of a field that existed? */
		fs = field_by_num(d->fs, d->nfs, ff->num);
	if (fs == NULL)
		return ff->v != NULL; /* a new field with a value */
	return !pv_equal(&d->cmp, fs->v, ff->v, 1);
}

/* Is the dictionary a signature field (own or inherited /FT /Sig) and
 * does its value name a document timestamp? */
static void sig_field_kind(struct pv_d *d, const struct ks_pdfobj *o, bool *sig, bool *docts)
{
	const struct ks_pdfobj *ft = NULL, *p = o, *v = NULL;
	unsigned hops = 0;

	*sig = *docts = false;
	while (p != NULL && ft == NULL && hops++ < KS_PDFDOC_MAX_DEPTH) {
		ft = ks_pdfobj_get(p, "FT");
		if (ft == NULL && ks_pdfdoc_dict_get(d->doc, d->rf, p, "Parent", &p) < 0)
			p = NULL;
	}
	*sig = ks_pdfobj_is_name(ft, "Sig");
	if (*sig && ks_pdfdoc_dict_get(d->doc, d->rf, o, "V", &v) == 0 && v != NULL &&
	    v->type == KS_PDFOBJ_DICT)
		*docts = ks_pdfobj_is_name(ks_pdfobj_get(v, "Type"), "DocTimeStamp");
}

/* A widget that draws nothing: /Rect of zero width or height (an
 * invisible signature, 12.7.4.5). */
static bool zero_rect(struct pv_d *d, uint32_t num)
{
	const struct ks_pdfobj *o = NULL, *r = NULL;
	struct ks_pdfdoc_entry e;
	double x[4];
	size_t i;

	if (num == 0 || ks_pdfdoc_xref_effective(d->doc, d->rf, num, &e) < 0 ||
	    ks_pdfdoc_get(d->doc, d->rf, num, e.gen, &o) < 0 ||
	    ks_pdfdoc_dict_get(d->doc, d->rf, o, "Rect", &r) < 0 || r == NULL ||
	    r->type != KS_PDFOBJ_ARRAY || r->u.arr.n != 4)
		return false;
	for (i = 0; i < 4; i++)
		if (!ks_pdfobj_number(r->u.arr.items[i], &x[i]))
			return false;
	return x[0] == x[2] || x[1] == x[3];
}

/* A signature value that appeared after signing: an indirect signature
 * dictionary (Table 232) with /ByteRange and /Contents that the signed
 * revision did not have.  Pointing a new field at an earlier signature
 * signs nothing new. */
static bool fresh_sig_value(struct pv_d *d, const struct ks_pdfdoc_field *f)
{
	struct ks_pdfdoc_entry e;

	if (f->sig == NULL || f->sig_num == 0 || ks_pdfobj_get(f->sig, "ByteRange") == NULL ||
	    ks_pdfobj_get(f->sig, "Contents") == NULL)
		return false;
	if (ks_pdfdoc_xref_effective(d->doc, d->rs, f->sig_num, &e) < 0)
		return false;
	return e.type != KS_PDFDOC_ENTRY_INUSE && e.type != KS_PDFDOC_ENTRY_COMPRESSED;
}

/* The level of a signature field or widget object num (dictionary o)
 * that appears after signing.  Signing (FORM) when it belongs to a field
 * that was empty or did not exist and now holds a new signature or
 * nothing; a document timestamp (LTV) only when its widget draws nothing
 * (a visible one is an appearance like a signature's).  A widget added to
 * a field already signed, a field whose value is not a new signature, a
 * widget outside the form: changes of their own (OTHER). */
static enum ks_pades_level new_sig_level(struct pv_d *d, uint32_t num, const struct ks_pdfobj *o,
					 const char **why)
{
	const struct ks_pdfdoc_field *ff = owning_field(d, num, true), *fs;
	bool sig, docts;

	*why = "";
	sig_field_kind(d, o, &sig, &docts);
	if (!sig) {
		*why = "not a signature field";
		return KS_PADES_LEVEL_OTHER;
	}
	if (ff == NULL) {
		*why = "signature widget outside the form's fields";
		return KS_PADES_LEVEL_OTHER;
	}
	fs = field_by_num(d->fs, d->nfs, ff->num);
	if (fs != NULL && fs->v != NULL && fs->v->type != KS_PDFOBJ_NULL) {
		*why = "widget added to a field signed before";
		return KS_PADES_LEVEL_OTHER;
	}
	if (ff->v == NULL || ff->v->type == KS_PDFOBJ_NULL)
		return KS_PADES_LEVEL_FORM; /* an empty signature field */
	if (!fresh_sig_value(d, ff)) {
		*why = "its value is not a new signature dictionary";
		return KS_PADES_LEVEL_OTHER;
	}
	docts = ks_pdfobj_is_name(ks_pdfobj_get(ff->sig, "Type"), "DocTimeStamp");
	return docts && zero_rect(d, num) ? KS_PADES_LEVEL_LTV : KS_PADES_LEVEL_FORM;
}

/* Is object num the widget of a document timestamp's field (its
 * appearance is then validation data, allowed with P=1)? */
static bool doc_timestamp_widget(struct pv_d *d, uint32_t num)
{
	const struct ks_pdfdoc_field *f = owning_field(d, num, true);
	bool sig, docts;

	if (f == NULL)
		return false;
	sig_field_kind(d, f->dict, &sig, &docts);
	return sig && docts && zero_rect(d, num);
}

/* ---- containers: /Fields and /Annots arrays ---- */

static bool in_array(struct pv_d *d, const struct ks_pdfobj *item, const struct ks_pdfobj *arr,
		     bool arr_final)
{
	size_t i;

	for (i = 0; arr != NULL && arr->type == KS_PDFOBJ_ARRAY && i < arr->u.arr.n; i++) {
		const struct ks_pdfobj *x = arr->u.arr.items[i];

		if (item->type == KS_PDFOBJ_REF && x->type == KS_PDFOBJ_REF) {
			if (item->u.ref.num == x->u.ref.num)
				return true;
			continue;
		}
		if (arr_final ? pv_equal(&d->cmp, item, x, 1) : pv_equal(&d->cmp, x, item, 1))
			return true;
	}
	return false;
}

/* /AcroForm /Fields: fields may only be added, and only signature fields
 * (12.7.3: a new signature field is signing; other new fields change the
 * form). */
static void fields_change(struct pv_d *d, const struct ks_pdfobj *as, const struct ks_pdfobj *af,
			  struct verdict *v)
{
	const struct ks_pdfobj *o;
	size_t i, added = 0, removed = 0, other = 0;
	enum ks_pades_level lv;
	const char *why;

	for (i = 0; as != NULL && as->type == KS_PDFOBJ_ARRAY && i < as->u.arr.n; i++)
		if (!in_array(d, as->u.arr.items[i], af, true))
			removed++;
	for (i = 0; af != NULL && af->type == KS_PDFOBJ_ARRAY && i < af->u.arr.n; i++) {
		const struct ks_pdfobj *it = af->u.arr.items[i];

		if (in_array(d, it, as, false))
			continue;
		added++;
		if (ks_pdfdoc_resolve(d->doc, d->rf, it, &o) < 0)
			o = NULL;
		lv = new_sig_level(d, it->type == KS_PDFOBJ_REF ? it->u.ref.num : 0, o, &why);
		if (lv == KS_PADES_LEVEL_OTHER)
			other++;
		else
			raise_to(v, lv);
	}
	if (removed > 0 || other > 0)
		raise_to(v, KS_PADES_LEVEL_OTHER);
	snprintf(v->detail, sizeof(v->detail),
		 "/Fields: %zu added (%zu not new signature fields), %zu removed", added, other,
		 removed);
}

/* A page's /Annots: new signature widgets are signing; other new or
 * removed annotations are annotation changes (12.8.2.2 Table 254). */
static void annots_change(struct pv_d *d, const struct ks_pdfobj *as, const struct ks_pdfobj *af,
			  struct verdict *v)
{
	const struct ks_pdfobj *o;
	size_t i, added = 0, removed = 0;
	const char *why;

	for (i = 0; as != NULL && as->type == KS_PDFOBJ_ARRAY && i < as->u.arr.n; i++) {
		if (in_array(d, as->u.arr.items[i], af, true))
			continue;
		removed++;
		/* A removed widget hides a field (a signature's appearance):
		 * never an annotation change. */
		if (ks_pdfdoc_resolve(d->doc, d->rs, as->u.arr.items[i], &o) < 0)
			o = NULL;
		raise_to(v, ks_pdfobj_is_name(ks_pdfobj_get(o, "Subtype"), "Widget")
				? KS_PADES_LEVEL_OTHER
				: KS_PADES_LEVEL_ANNOT);
	}
	for (i = 0; af != NULL && af->type == KS_PDFOBJ_ARRAY && i < af->u.arr.n; i++) {
		const struct ks_pdfobj *it = af->u.arr.items[i];

		if (in_array(d, it, as, false))
			continue;
		added++;
		if (ks_pdfdoc_resolve(d->doc, d->rf, it, &o) < 0)
			o = NULL;
		if (!ks_pdfobj_is_name(ks_pdfobj_get(o, "Subtype"), "Widget")) {
			raise_to(v, KS_PADES_LEVEL_ANNOT);
			continue;
		}
		raise_to(v,
			 new_sig_level(d, it->type == KS_PDFOBJ_REF ? it->u.ref.num : 0, o, &why));
	}
	snprintf(v->detail, sizeof(v->detail), "/Annots: %zu added, %zu removed", added, removed);
}

static void resolve2(struct pv_d *d, const struct ks_pdfobj *a, const struct ks_pdfobj *b,
		     const struct ks_pdfobj **ra, const struct ks_pdfobj **rb)
{
	if (ks_pdfdoc_resolve(d->doc, d->rs, a, ra) < 0)
		*ra = NULL;
	if (ks_pdfdoc_resolve(d->doc, d->rf, b, rb) < 0)
		*rb = NULL;
}

/* ---- structural objects ---- */

static bool need_appearances(struct pv_d *d, const struct ks_pdfobj *acroform)
{
	const struct ks_pdfobj *na = NULL;

	if (ks_pdfdoc_dict_get(d->doc, d->rf, acroform, "NeedAppearances", &na) < 0)
		return true; /* unreadable: assume the worst */
	return na == NULL || na->type != KS_PDFOBJ_BOOL || na->u.b;
}

/* A map of resource names (the default resources' /Font): a filler may
 * add names, but one that existed names what field values are drawn with
 * when a viewer regenerates them; re-pointing it changes how they look
 * (a font whose /Differences hide the value). */
static enum ks_pades_level font_map_level(struct pv_d *d, const struct ks_pdfobj *ms,
					  const struct ks_pdfobj *mf)
{
	size_t j;

	if (ms == NULL || ms->type != KS_PDFOBJ_DICT)
		return KS_PADES_LEVEL_FORM; /* a new map */
	if (mf == NULL || mf->type != KS_PDFOBJ_DICT)
		return KS_PADES_LEVEL_OTHER;
	for (j = 0; j < ms->u.dict.n; j++)
		if (!pv_equal(&d->cmp, ms->u.dict.e[j].val, ks_pdfobj_get(mf, ms->u.dict.e[j].key),
			      1))
			return KS_PADES_LEVEL_OTHER;
	return KS_PADES_LEVEL_FORM;
}

/* The form's default resources (12.7.2): other resources (e.g. the
 * XObject a signing tool keeps there for its appearances) may change with
 * form filling or signing; fonts only by addition. */
static enum ks_pades_level dr_level(struct pv_d *d, const struct ks_pdfobj *as,
				    const struct ks_pdfobj *af)
{
	const struct ks_pdfobj *ms, *mf;

	if (as == NULL || as->type != KS_PDFOBJ_DICT)
		return KS_PADES_LEVEL_FORM; /* new resources */
	if (af == NULL || af->type != KS_PDFOBJ_DICT)
		return KS_PADES_LEVEL_OTHER;
	resolve2(d, ks_pdfobj_get(as, "Font"), ks_pdfobj_get(af, "Font"), &ms, &mf);
	return font_map_level(d, ms, mf);
}

static void acroform_change(struct pv_d *d, const struct ks_pdfobj *os, const struct ks_pdfobj *of,
			    struct verdict *v)
{
	static const char *const form[] = { "SigFlags", "DA", NULL };
	const char *keys[PV_KEYS_MAX];
	const struct ks_pdfobj *as, *af;
	char kt[96];
	size_t n, i;
	struct verdict sub = { 0 };

	set(v, KS_PADES_WHAT_ACROFORM, KS_PADES_LEVEL_NONE, "%s", "");
	if (of != NULL && of->type == KS_PDFOBJ_ARRAY) {
		fields_change(d, os, of, v);
		return;
	}
	n = pv_diff_keys(&d->cmp, os, of, keys);
	keys_text(keys, n, kt, sizeof(kt));
	for (i = 0; i < n; i++) {
		if (strcmp(keys[i], "Fields") == 0) {
			resolve2(d, ks_pdfobj_get(os, "Fields"), ks_pdfobj_get(of, "Fields"), &as,
				 &af);
			fields_change(d, as, af, &sub);
			raise_to(v, sub.level);
		} else if (strcmp(keys[i], "NeedAppearances") == 0) {
			/* Viewers then redraw every field, signed ones too:
			 * what shows is no longer what was signed. */
			raise_to(v, need_appearances(d, of) ? KS_PADES_LEVEL_OTHER
							    : KS_PADES_LEVEL_FORM);
		} else if (strcmp(keys[i], "DR") == 0) {
			resolve2(d, ks_pdfobj_get(os, "DR"), ks_pdfobj_get(of, "DR"), &as, &af);
			raise_to(v, dr_level(d, as, af));
		} else {
			raise_to(v, key_in(keys[i], form) ? KS_PADES_LEVEL_FORM
							  : KS_PADES_LEVEL_OTHER);
		}
	}
	snprintf(v->detail, sizeof(v->detail), "keys changed: %.60s%s%.80s", kt,
		 sub.detail[0] ? "; " : "", sub.detail);
}

/* The name dictionary: only its /AP tree (annotation appearances) may
 * change, as an annotation change. */
static void names_change(struct pv_d *d, const struct ks_pdfobj *os, const struct ks_pdfobj *of,
			 struct verdict *v)
{
	const char *keys[PV_KEYS_MAX];
	char kt[96];
	size_t n, i;

	set(v, KS_PADES_WHAT_OTHER, KS_PADES_LEVEL_NONE, "%s", "");
	n = pv_diff_keys(&d->cmp, os, of, keys);
	keys_text(keys, n, kt, sizeof(kt));
	for (i = 0; i < n; i++)
		raise_to(v,
			 strcmp(keys[i], "AP") == 0 ? KS_PADES_LEVEL_ANNOT : KS_PADES_LEVEL_OTHER);
	snprintf(v->detail, sizeof(v->detail), "/Names keys changed: %s", kt);
}

static void catalog_change(struct pv_d *d, const struct ks_pdfobj *os, const struct ks_pdfobj *of,
			   struct verdict *v)
{
	static const char *const ltv[] = { "DSS", "Metadata", "Extensions", "Version", NULL };
	const char *keys[PV_KEYS_MAX];
	const struct ks_pdfobj *as, *af;
	struct verdict sub;
	char kt[96];
	size_t n, i;

	set(v, KS_PADES_WHAT_CATALOG, KS_PADES_LEVEL_NONE, "%s", "");
	n = pv_diff_keys(&d->cmp, os, of, keys);
	keys_text(keys, n, kt, sizeof(kt));
	for (i = 0; i < n; i++) {
		if (strcmp(keys[i], "AcroForm") == 0) {
			resolve2(d, ks_pdfobj_get(os, "AcroForm"), ks_pdfobj_get(of, "AcroForm"),
				 &as, &af);
			acroform_change(d, as, af, &sub);
			raise_to(v, sub.level == KS_PADES_LEVEL_NONE ? KS_PADES_LEVEL_FORM
								     : sub.level);
		} else if (strcmp(keys[i], "Names") == 0) {
			resolve2(d, ks_pdfobj_get(os, "Names"), ks_pdfobj_get(of, "Names"), &as,
				 &af);
			names_change(d, as, af, &sub);
			raise_to(v, sub.level);
		} else {
			raise_to(v,
				 key_in(keys[i], ltv) ? KS_PADES_LEVEL_LTV : KS_PADES_LEVEL_OTHER);
		}
	}
	snprintf(v->detail, sizeof(v->detail), "keys changed: %s", kt);
}

static void page_change(struct pv_d *d, const struct ks_pdfobj *os, const struct ks_pdfobj *of,
			struct verdict *v)
{
	const char *keys[PV_KEYS_MAX];
	const struct ks_pdfobj *as, *af;
	struct verdict sub = { 0 };
	char kt[96];
	size_t n, i;

	set(v, KS_PADES_WHAT_PAGE, KS_PADES_LEVEL_NONE, "%s", "");
	n = pv_diff_keys(&d->cmp, os, of, keys);
	keys_text(keys, n, kt, sizeof(kt));
	for (i = 0; i < n; i++) {
		if (strcmp(keys[i], "Annots") == 0) {
			resolve2(d, ks_pdfobj_get(os, "Annots"), ks_pdfobj_get(of, "Annots"), &as,
				 &af);
			annots_change(d, as, af, &sub);
			raise_to(v, sub.level);
		} else {
			raise_to(v, KS_PADES_LEVEL_OTHER); /* what the page shows */
		}
	}
	snprintf(v->detail, sizeof(v->detail), "keys changed: %.60s%s%.80s", kt,
		 sub.detail[0] ? "; " : "", sub.detail);
}

/* A field or widget that existed when the signature was made. */
static void field_change(struct pv_d *d, uint32_t num, const struct ks_pdfobj *os,
			 const struct ks_pdfobj *of, struct verdict *v)
{
	static const char *const look[] = { "AP", "AS", "MK", "DA", NULL };
	const char *keys[PV_KEYS_MAX];
	const struct ks_pdfobj *vs = NULL;
	const struct ks_pdfdoc_field *f = owning_field(d, num, false);
	const char *lk = locked_name(d, num);
	bool sig, docts, signing = false, filled;
	char kt[96];
	size_t n, i;

	sig_field_kind(d, of, &sig, &docts);
	set(v, sig ? KS_PADES_WHAT_SIG_FIELD : KS_PADES_WHAT_FORM_FIELD, KS_PADES_LEVEL_NONE, "%s",
	    "");
	n = pv_diff_keys(&d->cmp, os, of, keys);
	keys_text(keys, n, kt, sizeof(kt));
	if (ks_pdfdoc_dict_get(d->doc, d->rs, os, "V", &vs) < 0)
		vs = NULL;
	for (i = 0; i < n; i++)
		if (strcmp(keys[i], "V") == 0 && sig && (vs == NULL || vs->type == KS_PDFOBJ_NULL))
			signing = true; /* an empty signature field gets signed */
	filled = signing || value_changed(d, num);
	for (i = 0; i < n; i++) {
		if (strcmp(keys[i], "V") == 0) {
			const struct ks_pdfdoc_field *nf = owning_field(d, num, true);

			if (signing && (nf == NULL || !fresh_sig_value(d, nf))) {
				raise_to(v, KS_PADES_LEVEL_OTHER); /* not a new signature */
			} else if (signing) {
				raise_to(v, docts && zero_rect(d, num) ? KS_PADES_LEVEL_LTV
								       : KS_PADES_LEVEL_FORM);
			} else if (sig) {
				raise_to(v, KS_PADES_LEVEL_OTHER); /* a signature replaced */
			} else if (f != NULL && (f->ff & 1) != 0) {
				raise_to(v, KS_PADES_LEVEL_OTHER); /* ReadOnly, Table 221 */
			} else {
				raise_to(v, KS_PADES_LEVEL_FORM);
			}
		} else if (key_in(keys[i], look)) {
			raise_to(v, filled ? KS_PADES_LEVEL_FORM : KS_PADES_LEVEL_OTHER);
		} else if (strcmp(keys[i], "I") == 0 || strcmp(keys[i], "M") == 0) {
			raise_to(v, KS_PADES_LEVEL_FORM); /* choice indices, date */
		} else if ((strcmp(keys[i], "F") == 0 || strcmp(keys[i], "Lock") == 0) && signing) {
			/* flags set when signing; a lock only restricts */
			raise_to(v, KS_PADES_LEVEL_FORM);
		} else {
			raise_to(v, KS_PADES_LEVEL_OTHER);
		}
	}
	if (lk != NULL && n > 0) {
		raise_to(v, KS_PADES_LEVEL_OTHER);
		snprintf(v->detail, sizeof(v->detail),
			 "field '%.40s' is locked (FieldMDP); keys "
			 "changed: %.60s",
			 lk, kt);
		return;
	}
	snprintf(v->detail, sizeof(v->detail), "keys changed: %s%s", kt,
		 filled ? "" : " (the field's value did not change)");
}

/* ---- one changed object ---- */

static bool is_xref_object(const struct ks_pdfobj *o)
{
	const struct ks_pdfobj *t = ks_pdfobj_get(o, "Type");

	return o != NULL && o->type == KS_PDFOBJ_STREAM &&
	       (ks_pdfobj_is_name(t, "XRef") || ks_pdfobj_is_name(t, "ObjStm"));
}

static void classify(struct pv_d *d, uint32_t num, enum ks_pades_op op, const struct ks_pdfobj *os,
		     const struct ks_pdfobj *of, struct verdict *v)
{
	uint32_t roles = d->S.bits[num] | (num < d->F.n ? d->F.bits[num] : 0);
	const struct ks_pdfobj *cs = NULL, *cf = NULL;
	const char *lk, *why;
	enum ks_pades_level lv;
	bool sig, docts;

	if (roles & PV_R_PROTECTED) {
		set(v,
		    roles & PV_R_CONTENT    ? KS_PADES_WHAT_CONTENT
		    : roles & PV_R_PAGETREE ? KS_PADES_WHAT_PAGE_TREE
		    : roles & PV_R_SHARED   ? KS_PADES_WHAT_APPEARANCE
					    : KS_PADES_WHAT_OTHER,
		    KS_PADES_LEVEL_OTHER, "%s",
		    roles & PV_R_SHARED ? "appearance shared with other widgets" : "");
		return;
	}
	if (roles & (PV_R_SIGDICT | PV_R_DOCTS)) {
		set(v, roles & PV_R_DOCTS ? KS_PADES_WHAT_DOC_TIMESTAMP : KS_PADES_WHAT_SIG_DICT,
		    op != KS_PADES_ADDED ? KS_PADES_LEVEL_OTHER
		    : roles & PV_R_DOCTS ? KS_PADES_LEVEL_LTV
					 : KS_PADES_LEVEL_FORM,
		    "%s", op != KS_PADES_ADDED ? "signed data of an earlier signature" : "");
		return;
	}
	if ((roles & PV_R_CATALOG) || num == d->S.catalog || num == d->F.catalog) {
		if (ks_pdfdoc_catalog(d->doc, d->rs, &cs) < 0 ||
		    ks_pdfdoc_catalog(d->doc, d->rf, &cf) < 0)
			set(v, KS_PADES_WHAT_CATALOG, KS_PADES_LEVEL_OTHER, "catalog unreadable");
		else
			catalog_change(d, cs, cf, v);
		return;
	}
	if (roles & PV_R_NAMES) {
		if (op == KS_PADES_MODIFIED)
			names_change(d, os, of, v);
		else
			set(v, KS_PADES_WHAT_OTHER,
			    op == KS_PADES_ADDED ? KS_PADES_LEVEL_NONE : KS_PADES_LEVEL_OTHER,
			    "name dictionary %s", op == KS_PADES_ADDED ? "added" : "removed");
		return;
	}
	if (roles & (PV_R_PAGE | PV_R_ANNOTS)) {
		if (op == KS_PADES_MODIFIED && (roles & PV_R_PAGE))
			page_change(d, os, of, v);
		else if (op == KS_PADES_MODIFIED) {
			set(v, KS_PADES_WHAT_PAGE, KS_PADES_LEVEL_NONE, "%s", "");
			annots_change(d, os, of, v);
		} else if (op == KS_PADES_ADDED && !(roles & PV_R_PAGE))
			set(v, KS_PADES_WHAT_PAGE, KS_PADES_LEVEL_NONE, "new /Annots array");
		else
			set(v, KS_PADES_WHAT_PAGE, KS_PADES_LEVEL_OTHER, "page %s",
			    op == KS_PADES_ADDED ? "added" : "removed");
		return;
	}
	if (roles & PV_R_ACROFORM) {
		if (op == KS_PADES_MODIFIED)
			acroform_change(d, os, of, v);
		else
			set(v, KS_PADES_WHAT_ACROFORM,
			    op == KS_PADES_ADDED ? KS_PADES_LEVEL_NONE : KS_PADES_LEVEL_OTHER, "%s",
			    op == KS_PADES_ADDED ? "new form dictionary or /Fields array" : "");
		return;
	}
	if (roles & (PV_R_SIGFIELD | PV_R_FIELD | PV_R_WIDGET)) {
		if (op == KS_PADES_MODIFIED) {
			field_change(d, num, os, of, v);
			return;
		}
		sig_field_kind(d, of != NULL ? of : os, &sig, &docts);
		if (op == KS_PADES_DELETED) {
			set(v, sig ? KS_PADES_WHAT_SIG_FIELD : KS_PADES_WHAT_FORM_FIELD,
			    KS_PADES_LEVEL_OTHER, "field removed");
			return;
		}
		lv = new_sig_level(d, num, of, &why);
		set(v, sig ? KS_PADES_WHAT_SIG_FIELD : KS_PADES_WHAT_FORM_FIELD, lv, "%s", why);
		return;
	}
	if (roles & PV_R_AP) {
		uint32_t owner = d->F.owner[num] != 0 ? d->F.owner[num] : d->S.owner[num];

		lk = locked_name(d, owner);
		if (lk != NULL)
			set(v, KS_PADES_WHAT_APPEARANCE, KS_PADES_LEVEL_OTHER,
			    "appearance of locked field '%.60s'", lk);
		else if (!value_changed(d, owner))
			set(v, KS_PADES_WHAT_APPEARANCE, KS_PADES_LEVEL_OTHER,
			    "appearance of widget %u changed, its field's value did not", owner);
		else
			set(v, KS_PADES_WHAT_APPEARANCE,
			    doc_timestamp_widget(d, owner) ? KS_PADES_LEVEL_LTV
							   : KS_PADES_LEVEL_FORM,
			    "%s", "");
		if (roles & PV_R_ANNOT)
			raise_to(v, KS_PADES_LEVEL_ANNOT);
		return;
	}
	if (roles & PV_R_FIELDVAL) {
		set(v, KS_PADES_WHAT_FORM_FIELD, KS_PADES_LEVEL_FORM, "field value");
		return;
	}
	if (roles & PV_R_ANNOT) {
		set(v, KS_PADES_WHAT_ANNOTATION, KS_PADES_LEVEL_ANNOT, "%s", "");
		return;
	}
	if (roles & PV_R_DRFONT) {
		/* The /Font map itself (no /Type) may grow; a font, its
		 * descriptor, encoding or program may not change. */
		if (op == KS_PADES_ADDED)
			lv = KS_PADES_LEVEL_FORM;
		else if (op == KS_PADES_MODIFIED && of != NULL && of->type == KS_PDFOBJ_DICT &&
			 ks_pdfobj_get(of, "Type") == NULL)
			lv = font_map_level(d, os, of);
		else
			lv = KS_PADES_LEVEL_OTHER;
		set(v, KS_PADES_WHAT_ACROFORM, lv, "form default fonts %s",
		    op == KS_PADES_ADDED ? "added" : "changed");
		return;
	}
	if (roles & PV_R_DR) {
		set(v, KS_PADES_WHAT_ACROFORM, KS_PADES_LEVEL_FORM, "form default resources");
		return;
	}
	if (roles & (PV_R_DSS | PV_R_META | PV_R_INFO)) {
		set(v,
		    roles & PV_R_DSS    ? KS_PADES_WHAT_DSS
		    : roles & PV_R_META ? KS_PADES_WHAT_METADATA
					: KS_PADES_WHAT_INFO,
		    KS_PADES_LEVEL_LTV, "%s", "");
		return;
	}
	set(v, is_xref_object(of) ? KS_PADES_WHAT_XREF : KS_PADES_WHAT_UNUSED, KS_PADES_LEVEL_NONE,
	    "%s", "");
}

/* ---- the analysis ---- */

static enum ks_pades_level permitted_level(int p)
{
	switch (p) {
	case 1:
		return KS_PADES_LEVEL_LTV;
	case 2:
		return KS_PADES_LEVEL_FORM;
	default:
		return KS_PADES_LEVEL_ANNOT; /* P=3, or not certified */
	}
}

static bool exists(const struct ks_pdfdoc_entry *e)
{
	return e->type == KS_PDFDOC_ENTRY_INUSE || e->type == KS_PDFDOC_ENTRY_COMPRESSED;
}

static int load(struct pv_d *d, size_t rev, uint32_t num, const struct ks_pdfdoc_entry *e,
		const struct ks_pdfobj **o, bool *broken)
{
	*o = NULL;
	*broken = false;
	if (!exists(e))
		return 0;
	if (ks_pdfdoc_get(d->doc, rev, num, e->gen, o) < 0) {
		if (fatal())
			return -1;
		*o = NULL;
		*broken = true;
	}
	return 0;
}

/* Object numbers a later revision defines, with the newest such revision
 * (+1; 0 = not defined after the signature), and the members of object
 * streams those revisions rewrite. */
static int candidates(struct pv_d *d, uint32_t n, uint32_t *cand)
{
	const uint32_t *nums;
	struct ks_pdfdoc_entry e;
	size_t k, i, cnt;
	uint32_t num;

	for (k = d->rs + 1; k <= d->rf; k++) {
		if (ks_pdfdoc_rev_objects(d->doc, k, &nums, &cnt) < 0)
			return fatal() ? -1 : 0;
		for (i = 0; i < cnt; i++)
			if (nums[i] < n)
				cand[nums[i]] = (uint32_t)k + 1;
	}
	for (num = 1; num < n; num++) {
		if (cand[num] != 0)
			continue;
		if (ks_pdfdoc_xref_effective(d->doc, d->rf, num, &e) < 0) {
			if (fatal())
				return -1;
			continue;
		}
		if (e.type == KS_PDFDOC_ENTRY_COMPRESSED && e.objstm < n && cand[e.objstm] != 0)
			cand[num] = cand[e.objstm];
	}
	return 0;
}

/* A dictionary with a repeated key anywhere in the direct value o. */
static bool has_dup(const struct ks_pdfobj *o, unsigned depth)
{
	size_t i;

	if (o == NULL || depth > KS_PADES_DIFF_MAX_DEPTH)
		return o != NULL;
	switch (o->type) {
	case KS_PDFOBJ_STREAM:
		return has_dup(o->u.stream.dict, depth + 1);
	case KS_PDFOBJ_DICT:
		if (o->u.dict.dup)
			return true;
		for (i = 0; i < o->u.dict.n; i++)
			if (has_dup(o->u.dict.e[i].val, depth + 1))
				return true;
		return false;
	case KS_PDFOBJ_ARRAY:
		for (i = 0; i < o->u.arr.n; i++)
			if (has_dup(o->u.arr.items[i], depth + 1))
				return true;
		return false;
	default:
		return false;
	}
}

static int one_object(struct pv_d *d, uint32_t num, uint32_t rev, struct ks_pades_sig *sig)
{
	struct ks_pdfdoc_entry es, ef;
	const struct ks_pdfobj *os, *of;
	bool bs, bf, allowed;
	enum ks_pades_op op;
	struct verdict v;

	memset(&v, 0, sizeof(v));
	if (ks_pdfdoc_xref_effective(d->doc, d->rs, num, &es) < 0 ||
	    ks_pdfdoc_xref_effective(d->doc, d->rf, num, &ef) < 0)
		return fatal() ? -1 : 0;
	if (!exists(&es) && !exists(&ef))
		return 0;
	if (load(d, d->rs, num, &es, &os, &bs) < 0 || load(d, d->rf, num, &ef, &of, &bf) < 0)
		return -1;
	op = !exists(&es) ? KS_PADES_ADDED : !exists(&ef) ? KS_PADES_DELETED : KS_PADES_MODIFIED;
	if (op == KS_PADES_MODIFIED && !bs && !bf && es.gen == ef.gen && !has_dup(of, 0) &&
	    pv_equal(&d->cmp, os, of, 0))
		return 0; /* rewritten with the same content */
	if (bf)
		/* Whatever its role: a reader that meets it rebuilds the
		 * cross-reference by scanning and may find other objects. */
		set(&v, KS_PADES_WHAT_OTHER, KS_PADES_LEVEL_OTHER,
		    "the new definition cannot be parsed: %s", ks_err_msg());
	else if (has_dup(of, 0))
		set(&v, KS_PADES_WHAT_OTHER, KS_PADES_LEVEL_OTHER,
		    "a dictionary with a repeated key (readers disagree on which counts)");
	else
		classify(d, num, op, os, of, &v);
	if (v.what == KS_PADES_WHAT_XREF)
		return 0;
	allowed = v.level != KS_PADES_LEVEL_OTHER && v.level <= permitted_level(d->in->permitted);
	return pv_add_change(sig, num, rev, v.what, op, v.level, allowed, "%s", v.detail);
}

/* The trailers of the updates after signing: they cannot be compared as
 * objects, yet say where the document starts and whether it is encrypted
 * (7.5.5).  /Root must stay a reference (a direct catalog is no object
 * the analysis could compare), /Encrypt may not change, no key may
 * repeat, and a hybrid section's table and /XRefStm must agree. */
static int trailer_checks(struct pv_d *d, struct ks_pades_sig *sig)
{
	const struct ks_pdfdoc_rev *rs = ks_pdfdoc_rev(d->doc, d->rs), *r;
	const struct ks_pdfobj *root;
	char why[128];
	size_t k;

	for (k = d->rs + 1; k <= d->rf; k++) {
		r = ks_pdfdoc_rev(d->doc, k);
		if (rs == NULL || r == NULL || r->trailer == NULL)
			continue;
		root = ks_pdfobj_get(r->trailer, "Root");
		if (has_dup(r->trailer, 0))
			snprintf(why, sizeof(why), "%s",
				 "a repeated key (readers disagree on which counts)");
		else if (root == NULL || root->type != KS_PDFOBJ_REF)
			snprintf(why, sizeof(why), "%s",
				 "/Root is not a reference to a catalog object");
		else if (!pv_equal(&d->cmp, ks_pdfobj_get(rs->trailer, "Encrypt"),
				   ks_pdfobj_get(r->trailer, "Encrypt"), 1))
			snprintf(why, sizeof(why), "%s", "/Encrypt changed");
		else if (r->xrefstm_prev)
			snprintf(why, sizeof(why), "%s",
				 "its /XRefStm stream has a /Prev of its own (readers follow "
				 "different chains)");
		else if (r->xref_conflicts > 0)
			snprintf(why, sizeof(why),
				 "the cross-reference table and its /XRefStm define object %u "
				 "differently (%zu objects)",
				 (unsigned)r->xref_conflict_num, r->xref_conflicts);
		else
			continue;
		if (pv_add_change(sig, 0, (uint32_t)k, KS_PADES_WHAT_FILE, KS_PADES_MODIFIED,
				  KS_PADES_LEVEL_OTHER, false, "trailer of revision %zu: %s", k + 1,
				  why) < 0)
			return -1;
	}
	return 0;
}

static void conclude(struct pv_d *d, struct ks_pades_sig *sig)
{
	static const char *const by[] = { "", " by certification P=1", " by certification P=2",
					  " by certification P=3" };
	const struct ks_pades_change *bad = NULL;
	size_t i, nbad = 0;
	char what[64];

	for (i = 0; i < sig->n_changes; i++) {
		if (sig->changes[i].level > sig->level)
			sig->level = sig->changes[i].level;
		if (!sig->changes[i].allowed && nbad++ == 0)
			bad = &sig->changes[i];
	}
	if (bad != NULL) {
		if (sig->indication == KS_IND_TOTAL_FAILED)
			return; /* an earlier, more basic failure stands */
		if (bad->num != 0)
			snprintf(what, sizeof(what), "object %u (%s)", bad->num,
				 ks_pades_what_name(bad->what));
		else
			snprintf(what, sizeof(what), "%s", ks_pades_what_name(bad->what));
		pv_fail(sig, KS_SUB_FORMAT_FAILURE,
			"modified after signing: %zu change(s) not permitted%s; first: %s %s in "
			"revision %u%s%.100s",
			nbad,
			by[d->in->permitted >= 1 && d->in->permitted <= 3 ? d->in->permitted : 0],
			what,
			bad->op == KS_PADES_ADDED     ? "added"
			: bad->op == KS_PADES_DELETED ? "deleted"
						      : "modified",
			bad->rev + 1, bad->detail[0] ? ": " : "", bad->detail);
		return;
	}
	if ((d->cmp.exhausted || d->S.exhausted || d->F.exhausted) &&
	    sig->indication == KS_IND_TOTAL_PASSED)
		pv_fail(sig, KS_SUB_SIG_CONSTRAINTS_FAILURE,
			"the changes after signing could not be analysed within the limits");
}

int pv_diff(const struct pv_diff_in *in, struct ks_pades_sig *sig)
{
	struct pv_d d;
	uint32_t *cand = NULL, n, num;
	int rc = -1;

	memset(&d, 0, sizeof(d));
	d.in = in;
	d.doc = in->doc;
	d.rs = in->rev;
	d.rf = ks_pdfdoc_rev_count(in->doc) - 1;
	pv_cmp_init(&d.cmp, d.doc, d.rs, d.rf);
	if (d.rf > d.rs) {
		n = ks_pdfdoc_max_object(d.doc, d.rf);
		if (ks_pdfdoc_max_object(d.doc, d.rs) > n)
			n = ks_pdfdoc_max_object(d.doc, d.rs);
		if (n > KS_PADES_DIFF_MAX_OBJECTS) {
			d.cmp.exhausted = true;
			goto files;
		}
		cand = calloc((size_t)n + 1, sizeof(*cand));
		if (cand == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		KS_GUARD(candidates(&d, n, cand));
		KS_GUARD(pv_roles_build(d.doc, d.rs, n, &d.S));
		KS_GUARD(pv_roles_build(d.doc, d.rf, n, &d.F));
		if (ks_pdfdoc_fields(d.doc, d.rs, &d.fs, &d.nfs) < 0) {
			if (fatal())
				goto out;
			d.nfs = 0;
		}
		if (ks_pdfdoc_fields(d.doc, d.rf, &d.ff, &d.nff) < 0) {
			if (fatal())
				goto out;
			d.nff = 0;
		}
		for (num = 1; num < n; num++)
			if (cand[num] != 0)
				KS_GUARD(one_object(&d, num, cand[num] - 1, sig));
		KS_GUARD(trailer_checks(&d, sig));
	}
files:
	KS_GUARD(pv_file_checks(d.doc, d.rs, sig));
	conclude(&d, sig);
	rc = 0;
out:
	free(cand);
	pv_roles_free(&d.S);
	pv_roles_free(&d.F);
	pv_cmp_cleanup(&d.cmp);
	return rc;
}
