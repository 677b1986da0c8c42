/* Rules for the document structure in the modification analysis: the
 * catalog, pages and their annotation lists, the form dictionary and the
 * name dictionary.  What each certification level permits is in
 * docs/modification-rules.md (ISO 32000-1 12.8.2.2 Table 254, ETSI EN 319
 * 142-1 5.4 and 5.5).  A value that is a reference to an object the signed
 * revision did not reach is judged at that object (it is a change of its
 * own, with its own role); here only what the dictionaries themselves say. */
#include <stdio.h>
#include <string.h>

#include "formats/pdf/ks_pades_diff.h"

/* A reference to an object the signed revision did not reach: judged
 * where it is (the walk of the final file reached it). */
static bool judged_apart(struct ks_pv_d *d, const struct ks_pdfobj *o)
{
	return o != NULL && o->type == KS_PDFOBJ_REF &&
	       ks_pv_reach_get(d->F, o->u.ref.num) != NULL &&
	       ks_pv_reach_get(&d->S, o->u.ref.num) == NULL;
}

/* An entry whose two states are both below other rules: judged by `rule`
 * unless the final value is an object judged apart. */
typedef void (*ks_pv_pair_rule)(struct ks_pv_d *d, const struct ks_pdfobj *as,
				const struct ks_pdfobj *af, struct ks_pv_verdict *v);

static void sub_rule(struct ks_pv_d *d, const struct ks_pdfobj *ds, const struct ks_pdfobj *df,
		     const char *key, ks_pv_pair_rule rule, struct ks_pv_verdict *v)
{
	const struct ks_pdfobj *vf = ks_pdfobj_get(df, key);
	struct ks_pv_verdict sub;

	if (judged_apart(d, vf))
		return;
	memset(&sub, 0, sizeof(sub));
	rule(d, ks_pv_get(d, false, ks_pdfobj_get(ds, key)), ks_pv_get(d, true, vf), &sub);
	ks_pv_raise(v, sub.level);
	if (sub.detail[0] != '\0' && v->detail[0] == '\0')
		memcpy(v->detail, sub.detail, sizeof(v->detail));
}

/* ---- arrays of references: /Annots, /Fields ---- */

static bool same_item(struct ks_pv_d *d, const struct ks_pdfobj *a, const struct ks_pdfobj *b,
		      bool b_final)
{
	if (a->type == KS_PDFOBJ_REF || b->type == KS_PDFOBJ_REF)
		return a->type == b->type && a->u.ref.num == b->u.ref.num;
	return b_final ? ks_pv_equal(&d->cmp, a, b, 1) : ks_pv_equal(&d->cmp, b, a, 1);
}

/* Occurrences of item in arr[0, upto). */
static size_t occurrences(struct ks_pv_d *d, const struct ks_pdfobj *item,
			  const struct ks_pdfobj *arr, size_t upto, bool arr_final)
{
	size_t i, k = 0;

	for (i = 0; arr != NULL && arr->type == KS_PDFOBJ_ARRAY && i < arr->u.arr.n && i < upto;
	     i++)
		if (same_item(d, item, arr->u.arr.items[i], arr_final))
			k++;
	return k;
}

/* Is item i of arr (one state) an entry the other state's array lacks?
 * Arrays are compared as multisets: listing an annotation twice draws it
 * twice. */
static bool in_array_at(struct ks_pv_d *d, const struct ks_pdfobj *arr, size_t i,
			const struct ks_pdfobj *other, bool arr_final)
{
	const struct ks_pdfobj *item = arr->u.arr.items[i];

	return occurrences(d, item, arr, i + 1, arr_final) <=
	       occurrences(d, item, other, SIZE_MAX, !arr_final);
}

static size_t count(const struct ks_pdfobj *arr)
{
	return arr != NULL && arr->type == KS_PDFOBJ_ARRAY ? arr->u.arr.n : 0;
}

static bool widget(const struct ks_pdfobj *a)
{
	return ks_pdfobj_is_name(ks_pdfobj_get(a, "Subtype"), "Widget");
}

void ks_pv_rule_annots(struct ks_pv_d *d, const struct ks_pdfobj *as, const struct ks_pdfobj *af,
		       uint32_t page, struct ks_pv_verdict *v)
{
	const struct ks_pdfobj *it, *a;
	size_t i, added = 0, removed = 0;
	const char *why = "";

	ks_pv_set(v, KS_PADES_WHAT_PAGE, KS_PADES_LEVEL_NONE, "%s", "");
	v->place.page = page;
	for (i = 0; i < count(as); i++) {
		it = as->u.arr.items[i];
		if (in_array_at(d, as, i, af, false))
			continue;
		removed++;
		/* A removed widget hides a field (a signature's appearance):
		 * never an annotation change (12.8.2.2). */
		a = ks_pv_get(d, false, it);
		ks_pv_raise(v, widget(a) ? KS_PADES_LEVEL_OTHER : KS_PADES_LEVEL_ANNOT);
		if (widget(a))
			why = "a widget removed";
	}
	for (i = 0; i < count(af); i++) {
		it = af->u.arr.items[i];
		if (in_array_at(d, af, i, as, true))
			continue;
		added++;
		if (judged_apart(d, it) && occurrences(d, it, af, i, true) == 0)
			continue; /* a new annotation: judged with its own place */
		a = ks_pv_get(d, true, it);
		if (it->type == KS_PDFOBJ_REF && widget(a)) {
			/* It existed, drawn nowhere or elsewhere: now it shows here. */
			ks_pv_raise(v, KS_PADES_LEVEL_OTHER);
			why = "an existing widget placed on the page";
		} else if (widget(a)) {
			ks_pv_raise(v, ks_pv_new_field_level(d, 0, a, &why));
		} else {
			ks_pv_raise(v, ks_pv_has_script(a, 0) ? KS_PADES_LEVEL_OTHER
							      : KS_PADES_LEVEL_ANNOT);
			if (v->place.has_rect == false)
				ks_pv_place(d, it->type == KS_PDFOBJ_REF ? it->u.ref.num : 0,
					    it->type == KS_PDFOBJ_REF ? NULL : a, &v->place);
		}
	}
	snprintf(v->detail, sizeof(v->detail), "/Annots: %zu added, %zu removed%s%s", added,
		 removed, why[0] ? "; " : "", why);
}

/* /AcroForm /Fields: fields may only be added, and only signature fields
 * (a new signature field is signing; other new fields change the form). */
static void fields_rule(struct ks_pv_d *d, const struct ks_pdfobj *as, const struct ks_pdfobj *af,
			struct ks_pv_verdict *v)
{
	const struct ks_pdfobj *it;
	size_t i, added = 0, removed = 0, other = 0;
	enum ks_pades_level lv;
	const char *why;

	ks_pv_set(v, KS_PADES_WHAT_ACROFORM, KS_PADES_LEVEL_NONE, "%s", "");
	for (i = 0; i < count(as); i++)
		if (!in_array_at(d, as, i, af, false))
			removed++;
	for (i = 0; i < count(af); i++) {
		it = af->u.arr.items[i];
		if (in_array_at(d, af, i, as, true))
			continue;
		added++;
		if (judged_apart(d, it) && occurrences(d, it, af, i, true) == 0)
			continue;
		lv = it->type == KS_PDFOBJ_REF ? KS_PADES_LEVEL_OTHER /* an old field brought in */
					       : ks_pv_new_field_level(d, 0, it, &why);
		if (lv == KS_PADES_LEVEL_OTHER)
			other++;
		ks_pv_raise(v, lv);
	}
	if (removed > 0)
		ks_pv_raise(v, KS_PADES_LEVEL_OTHER);
	snprintf(v->detail, sizeof(v->detail),
		 "/Fields: %zu added (%zu neither new nor signature fields), %zu removed", added,
		 other, removed);
}

/* ---- the form dictionary ---- */

static bool need_appearances(struct ks_pv_d *d, const struct ks_pdfobj *acroform)
{
	const struct ks_pdfobj *na = ks_pv_get(d, true, ks_pdfobj_get(acroform, "NeedAppearances"));

	return na != NULL && (na->type != KS_PDFOBJ_BOOL || na->u.b);
}

/* A map of resource names (the default resources' /Font): a filler may
 * add names, but one that existed names what field values are drawn with
 * when a viewer draws them again; re-pointing it changes how they look. */
enum ks_pades_level ks_pv_font_map_level(struct ks_pv_d *d, const struct ks_pdfobj *ms,
					 const struct ks_pdfobj *mf)
{
	size_t j;

	if (ms == NULL || ms->type != KS_PDFOBJ_DICT)
		return KS_PADES_LEVEL_FORM; /* a new map */
	if (mf == NULL || mf->type != KS_PDFOBJ_DICT)
		return KS_PADES_LEVEL_OTHER;
	for (j = 0; j < ms->u.dict.n; j++)
		if (!ks_pv_equal(&d->cmp, ms->u.dict.e[j].val,
				 ks_pdfobj_get(mf, ms->u.dict.e[j].key), 1))
			return KS_PADES_LEVEL_OTHER;
	return KS_PADES_LEVEL_FORM;
}

/* The form's default resources (12.7.2): other resources (e.g. the
 * XObject a signing tool keeps there for its appearances) may change with
 * form filling or signing; fonts only by addition. */
static enum ks_pades_level dr_level(struct ks_pv_d *d, const struct ks_pdfobj *as,
				    const struct ks_pdfobj *af)
{
	if (as == NULL || as->type != KS_PDFOBJ_DICT)
		return KS_PADES_LEVEL_FORM; /* new resources */
	if (af == NULL || af->type != KS_PDFOBJ_DICT)
		return KS_PADES_LEVEL_OTHER;
	return ks_pv_font_map_level(d, ks_pv_get(d, false, ks_pdfobj_get(as, "Font")),
				    ks_pv_get(d, true, ks_pdfobj_get(af, "Font")));
}

void ks_pv_rule_acroform(struct ks_pv_d *d, const struct ks_pdfobj *as, const struct ks_pdfobj *af,
			 struct ks_pv_verdict *v)
{
	static const char *const form[] = { "SigFlags", "DA", NULL };
	const char *keys[PV_KEYS_MAX];
	char kt[96];
	size_t n, i;

	if (af != NULL && af->type == KS_PDFOBJ_ARRAY) {
		fields_rule(d, as, af, v);
		return;
	}
	ks_pv_set(v, KS_PADES_WHAT_ACROFORM, KS_PADES_LEVEL_NONE, "%s", "");
	n = ks_pv_diff_keys(&d->cmp, as, af, keys);
	ks_pv_keys_text(keys, n, kt, sizeof(kt));
	for (i = 0; i < n; i++) {
		if (strcmp(keys[i], "Fields") == 0) {
			sub_rule(d, as, af, "Fields", fields_rule, v);
		} else if (strcmp(keys[i], "NeedAppearances") == 0) {
			/* Viewers then redraw every field, signed ones too:
			 * what shows is no longer what was signed. */
			ks_pv_raise(v, need_appearances(d, af) ? KS_PADES_LEVEL_OTHER
							       : KS_PADES_LEVEL_FORM);
		} else if (strcmp(keys[i], "DR") == 0) {
			ks_pv_raise(v, dr_level(d, ks_pv_get(d, false, ks_pdfobj_get(as, "DR")),
						ks_pv_get(d, true, ks_pdfobj_get(af, "DR"))));
		} else {
			ks_pv_raise(v, ks_pv_key_in(keys[i], form) ? KS_PADES_LEVEL_FORM
								   : KS_PADES_LEVEL_OTHER);
		}
	}
	if (v->detail[0] == '\0')
		snprintf(v->detail, sizeof(v->detail), "keys changed: %.100s", kt);
}

/* ---- the name dictionary: only its /AP tree (annotation appearances)
 * may change, as an annotation change; scripts, embedded files and the
 * rest may not ---- */

void ks_pv_rule_names(struct ks_pv_d *d, const struct ks_pdfobj *as, const struct ks_pdfobj *af,
		      struct ks_pv_verdict *v)
{
	const char *keys[PV_KEYS_MAX];
	char kt[96];
	size_t n, i;

	ks_pv_set(v, KS_PADES_WHAT_OTHER, KS_PADES_LEVEL_NONE, "%s", "");
	n = ks_pv_diff_keys(&d->cmp, as, af, keys);
	ks_pv_keys_text(keys, n, kt, sizeof(kt));
	for (i = 0; i < n; i++)
		ks_pv_raise(v, strcmp(keys[i], "AP") == 0 ? KS_PADES_LEVEL_ANNOT
							  : KS_PADES_LEVEL_OTHER);
	snprintf(v->detail, sizeof(v->detail), "name dictionary keys changed: %.100s", kt);
}

/* ---- catalog and pages ---- */

void ks_pv_rule_catalog(struct ks_pv_d *d, const struct ks_pdfobj *cs, const struct ks_pdfobj *cf,
			struct ks_pv_verdict *v)
{
	static const char *const ltv[] = { "DSS", "Metadata", "Extensions", "Version", NULL };
	const char *keys[PV_KEYS_MAX];
	char kt[96];
	size_t n, i;

	ks_pv_set(v, KS_PADES_WHAT_CATALOG, KS_PADES_LEVEL_NONE, "%s", "");
	n = ks_pv_diff_keys(&d->cmp, cs, cf, keys);
	ks_pv_keys_text(keys, n, kt, sizeof(kt));
	for (i = 0; i < n; i++) {
		if (strcmp(keys[i], "AcroForm") == 0)
			sub_rule(d, cs, cf, keys[i], ks_pv_rule_acroform, v);
		else if (strcmp(keys[i], "Names") == 0)
			sub_rule(d, cs, cf, keys[i], ks_pv_rule_names, v);
		else
			ks_pv_raise(v, ks_pv_key_in(keys[i], ltv) ? KS_PADES_LEVEL_LTV
								  : KS_PADES_LEVEL_OTHER);
	}
	snprintf(v->detail, sizeof(v->detail), "keys changed: %.120s", kt);
}

void ks_pv_rule_page(struct ks_pv_d *d, const struct ks_pv_obj *o, struct ks_pv_verdict *v)
{
	const char *keys[PV_KEYS_MAX];
	struct ks_pv_verdict sub;
	char kt[96];
	size_t n, i;

	ks_pv_set(v, KS_PADES_WHAT_PAGE, KS_PADES_LEVEL_NONE, "%s", "");
	v->place.page = o->nf != NULL ? o->nf->page : 0;
	n = ks_pv_diff_keys(&d->cmp, o->os, o->of, keys);
	ks_pv_keys_text(keys, n, kt, sizeof(kt));
	memset(&sub, 0, sizeof(sub));
	for (i = 0; i < n; i++) {
		if (strcmp(keys[i], "Annots") != 0)
			ks_pv_raise(v, KS_PADES_LEVEL_OTHER); /* what the page shows */
		else if (!judged_apart(d, ks_pdfobj_get(o->of, "Annots")))
			ks_pv_rule_annots(d, ks_pv_get(d, false, ks_pdfobj_get(o->os, "Annots")),
					  ks_pv_get(d, true, ks_pdfobj_get(o->of, "Annots")),
					  v->place.page, &sub);
	}
	ks_pv_raise(v, sub.level);
	if (sub.place.has_rect)
		v->place = sub.place;
	snprintf(v->detail, sizeof(v->detail), "keys changed: %.50s%s%.80s", kt,
		 sub.detail[0] ? "; " : "", sub.detail);
}
