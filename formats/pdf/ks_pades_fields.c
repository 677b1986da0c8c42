/* Form fields in the modification analysis: what filling a form and
 * signing may change (ISO 32000-1 12.8.2.2 DocMDP P=2, 12.8.2.4 FieldMDP
 * and 12.7.4.5 /Lock, 12.7.3 field inheritance).
 *
 * A field's value is what it shows: a filled field (its value changed) may
 * get a new appearance; an appearance that changes while the value does
 * not shows what nobody filled in (the "replace" shadow attack).  A value
 * is judged on every terminal field that shows it, inherited values
 * included: a /V set on a parent reaches every kid without a /V of its own,
 * so a read-only or locked kid cannot be changed through its parent. */
#include <stdio.h>
#include <string.h>

#include "formats/pdf/ks_pades_diff.h"

static const struct ks_pdfdoc_field *by_num(const struct ks_pdfdoc_field *f, size_t n, uint32_t num)
{
	size_t i;

	for (i = 0; num != 0 && i < n; i++)
		if (f[i].num == num)
			return &f[i];
	return NULL;
}

static const struct ks_pdfdoc_field *by_name(const struct ks_pdfdoc_field *f, size_t n,
					     const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

/* The same terminal field in the signed revision. */
static const struct ks_pdfdoc_field *signed_twin(struct ks_pv_d *d,
						 const struct ks_pdfdoc_field *ff)
{
	return ff->num != 0 ? by_num(d->fs, d->nfs, ff->num) : by_name(d->fs, d->nfs, ff->name);
}

/* The terminal field an object (field, or widget below it) belongs to. */
static const struct ks_pdfdoc_field *owning(struct ks_pv_d *d, uint32_t num, bool final)
{
	const struct ks_pdfdoc_field *list = final ? d->ff : d->fs;
	size_t n = final ? d->nff : d->nfs;
	const struct ks_pdfdoc_field *f = by_num(list, n, num);
	const struct ks_pdfobj *parent;

	if (f != NULL || num == 0)
		return f;
	parent = ks_pdfobj_get(ks_pv_object(d, final, num), "Parent");
	if (parent == NULL || parent->type != KS_PDFOBJ_REF)
		return NULL;
	return by_num(list, n, parent->u.ref.num);
}

static bool readonly(const struct ks_pdfdoc_field *fs, const struct ks_pdfdoc_field *ff)
{
	/* Table 221, bit 1 */
	return (fs != NULL && (fs->ff & 1) != 0) || (ff != NULL && (ff->ff & 1) != 0);
}

static const char *lock_of(struct ks_pv_d *d, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < d->in->n_locks; i++)
		if (ks_pv_lock_covers(&d->in->locks[i], name))
			return name;
	return NULL;
}

/* The first lock in force over the field of object num. */
static const char *locked_name(struct ks_pv_d *d, uint32_t num)
{
	const struct ks_pdfdoc_field *f = owning(d, num, false);

	if (f == NULL)
		f = owning(d, num, true);
	return f != NULL ? lock_of(d, f->name) : NULL;
}

/* Does the terminal field ff (final state) show another value than it
 * did when signed? */
static bool value_differs(struct ks_pv_d *d, const struct ks_pdfdoc_field *ff)
{
	const struct ks_pdfdoc_field *fs = signed_twin(d, ff);

	if (fs == NULL)
		return ff->v != NULL && ff->v->type != KS_PDFOBJ_NULL;
	return !ks_pv_equal(&d->cmp, fs->v, ff->v, 1);
}

/* Did the value of the field object num belongs to change? */
static bool filled(struct ks_pv_d *d, uint32_t num)
{
	const struct ks_pdfdoc_field *ff = owning(d, num, true);

	return ff != NULL && value_differs(d, ff);
}

/* Is the dictionary a signature field (own or inherited /FT /Sig), and
 * does its value name a document timestamp? */
static void sig_kind(struct ks_pv_d *d, const struct ks_pdfobj *o, bool *sig, bool *docts)
{
	const struct ks_pdfobj *ft = NULL, *p = o, *v;
	unsigned hops = 0;

	*sig = *docts = false;
	while (p != NULL && ft == NULL && hops++ < KS_PDFDOC_MAX_DEPTH) {
		ft = ks_pdfobj_get(p, "FT");
		if (ft == NULL)
			p = ks_pv_get(d, true, ks_pdfobj_get(p, "Parent"));
	}
	*sig = ks_pdfobj_is_name(ft, "Sig");
	v = *sig ? ks_pv_get(d, true, ks_pdfobj_get(o, "V")) : NULL;
	if (v != NULL && v->type == KS_PDFOBJ_DICT)
		*docts = ks_pdfobj_is_name(ks_pdfobj_get(v, "Type"), "DocTimeStamp");
}

/* A widget that draws nothing: a /Rect of zero width or height (an
 * invisible signature, 12.7.4.5). */
static bool zero_rect(struct ks_pv_d *d, uint32_t num)
{
	struct ks_pades_place pl;

	ks_pv_place(d, num, NULL, &pl);
	return pl.has_rect && (pl.rect[0] == pl.rect[2] || pl.rect[1] == pl.rect[3]);
}

/* A signature value that appeared after signing: an indirect signature
 * dictionary (Table 252) with /ByteRange and /Contents that the signed
 * revision did not have.  Pointing a field at an earlier signature signs
 * nothing new. */
static bool fresh_sig(struct ks_pv_d *d, const struct ks_pdfdoc_field *f)
{
	struct ks_pdfdoc_entry e;

	if (f->sig == NULL || f->sig_num == 0 || ks_pdfobj_get(f->sig, "ByteRange") == NULL ||
	    ks_pdfobj_get(f->sig, "Contents") == NULL)
		return false;
	if (ks_pdfdoc_xref_effective(d->doc, d->rs, f->sig_num, &e) < 0)
		return false;
	return e.type != KS_PDFDOC_ENTRY_INUSE && e.type != KS_PDFDOC_ENTRY_COMPRESSED;
}

static bool empty(const struct ks_pdfobj *v)
{
	return v == NULL || v->type == KS_PDFOBJ_NULL;
}

/* The level of signing a signature field that was empty (ff final state):
 * a new signature; a document timestamp is validation data when its
 * widget num draws nothing. */
static enum ks_pades_level signing_level(struct ks_pv_d *d, const struct ks_pdfdoc_field *ff,
					 uint32_t widget, const char **why)
{
	*why = "";
	if (empty(ff->v))
		return KS_PADES_LEVEL_FORM; /* still empty */
	if (!fresh_sig(d, ff)) {
		*why = "its value is not a new signature dictionary";
		return KS_PADES_LEVEL_OTHER;
	}
	if (ks_pdfobj_is_name(ks_pdfobj_get(ff->sig, "Type"), "DocTimeStamp") &&
	    zero_rect(d, widget))
		return KS_PADES_LEVEL_LTV;
	return KS_PADES_LEVEL_FORM;
}

enum ks_pades_level ks_pv_new_field_level(struct ks_pv_d *d, uint32_t num,
					  const struct ks_pdfobj *o, const char **why)
{
	const struct ks_pdfdoc_field *ff = owning(d, num, true), *fs;
	bool sig, docts;

	*why = "";
	sig_kind(d, o, &sig, &docts);
	if (!sig) {
		*why = "not a signature field";
		return KS_PADES_LEVEL_OTHER;
	}
	if (ff == NULL) {
		*why = "signature widget outside the form's fields";
		return KS_PADES_LEVEL_OTHER;
	}
	fs = signed_twin(d, ff);
	if (fs != NULL && !empty(fs->v)) {
		*why = "widget added to a field signed before";
		return KS_PADES_LEVEL_OTHER;
	}
	return signing_level(d, ff, num, why);
}

/* Where a field shows: its own widget, else its first kid's. */
static void field_place(struct ks_pv_d *d, uint32_t num, struct ks_pades_place *pl)
{
	const struct ks_pdfobj *o = ks_pv_object(d, true, num), *kids, *k;

	ks_pv_place(d, num, NULL, pl);
	if (pl->page != 0 || o == NULL)
		return;
	kids = ks_pv_get(d, true, ks_pdfobj_get(o, "Kids"));
	if (kids == NULL || kids->type != KS_PDFOBJ_ARRAY || kids->u.arr.n == 0)
		return;
	k = kids->u.arr.items[0];
	if (k->type == KS_PDFOBJ_REF)
		ks_pv_place(d, k->u.ref.num, NULL, pl);
}

/* A terminal, non-signature field ff whose value changed. */
static void value_verdict(struct ks_pv_d *d, const struct ks_pdfdoc_field *ff,
			  struct ks_pv_verdict *v)
{
	const struct ks_pdfdoc_field *fs = signed_twin(d, ff);
	const char *lk = lock_of(d, ff->name);

	if (fs != NULL && lk == NULL)
		lk = lock_of(d, fs->name);
	ks_pv_set(v, KS_PADES_WHAT_FORM_FIELD, KS_PADES_LEVEL_FORM, "field '%.60s' filled",
		  ff->name);
	if (readonly(fs, ff))
		ks_pv_set(v, KS_PADES_WHAT_FORM_FIELD, KS_PADES_LEVEL_OTHER,
			  "the value of read-only field '%.60s' changed", ff->name);
	else if (lk != NULL)
		ks_pv_set(v, KS_PADES_WHAT_FORM_FIELD, KS_PADES_LEVEL_OTHER,
			  "the value of field '%.60s', locked (FieldMDP), changed", ff->name);
	field_place(d, ff->num, &v->place);
}

/* Is field node num an ancestor of (or the same as) terminal field f? */
static bool ancestor_of(struct ks_pv_d *d, uint32_t num, const struct ks_pdfdoc_field *f)
{
	const struct ks_pdfobj *p;
	uint32_t at = f->num;
	unsigned hops = 0;

	while (at != 0 && hops++ < KS_PDFDOC_MAX_DEPTH) {
		if (at == num)
			return true;
		p = ks_pdfobj_get(ks_pv_object(d, true, at), "Parent");
		at = p != NULL && p->type == KS_PDFOBJ_REF ? p->u.ref.num : 0;
	}
	return false;
}

/* /V of a field node that existed. */
static void value_key(struct ks_pv_d *d, const struct ks_pv_obj *o, bool sig,
		      struct ks_pv_verdict *v)
{
	const struct ks_pdfdoc_field *ff = by_num(d->ff, d->nff, o->num), *fs;
	struct ks_pv_verdict sub;
	const char *why;
	size_t i;

	if (sig) {
		fs = by_num(d->fs, d->nfs, o->num);
		if (ff == NULL || fs == NULL || !empty(fs->v)) {
			ks_pv_raise(v, KS_PADES_LEVEL_OTHER); /* a signature replaced */
			return;
		}
		ks_pv_raise(v, signing_level(d, ff, o->num, &why));
		return;
	}
	if (ff != NULL) {
		value_verdict(d, ff, &sub);
		ks_pv_raise(v, sub.level);
		if (sub.level == KS_PADES_LEVEL_OTHER)
			memcpy(v->detail, sub.detail, sizeof(v->detail));
		return;
	}
	/* A parent: the kids that inherit its value show it (12.7.3.1). */
	ks_pv_raise(v, KS_PADES_LEVEL_FORM);
	for (i = 0; i < d->nff; i++) {
		if (!ancestor_of(d, o->num, &d->ff[i]) || !value_differs(d, &d->ff[i]))
			continue;
		value_verdict(d, &d->ff[i], &sub);
		if (sub.level > v->level)
			memcpy(v->detail, sub.detail, sizeof(v->detail));
		ks_pv_raise(v, sub.level);
	}
}

void ks_pv_rule_field(struct ks_pv_d *d, const struct ks_pv_obj *o, struct ks_pv_verdict *v)
{
	static const char *const look[] = { "AP", "AS", "MK", "DA", NULL };
	const char *keys[PV_KEYS_MAX];
	const struct ks_pdfobj *vs;
	const char *lk = locked_name(d, o->num);
	bool sig, docts, signing = false, fill;
	char kt[96];
	size_t n, i;

	sig_kind(d, o->of != NULL ? o->of : o->os, &sig, &docts);
	ks_pv_set(v, sig ? KS_PADES_WHAT_SIG_FIELD : KS_PADES_WHAT_FORM_FIELD, KS_PADES_LEVEL_NONE,
		  "%s", "");
	field_place(d, o->num, &v->place);
	n = ks_pv_diff_keys(&d->cmp, o->os, o->of, keys);
	ks_pv_keys_text(keys, n, kt, sizeof(kt));
	vs = ks_pv_get(d, false, ks_pdfobj_get(o->os, "V"));
	for (i = 0; i < n; i++)
		if (strcmp(keys[i], "V") == 0 && sig && empty(vs))
			signing = true; /* an empty signature field gets signed */
	fill = signing || filled(d, o->num);
	for (i = 0; i < n; i++) {
		if (strcmp(keys[i], "V") == 0 || strcmp(keys[i], "I") == 0)
			value_key(d, o, sig, v);
		else if (ks_pv_key_in(keys[i], look))
			ks_pv_raise(v, fill ? KS_PADES_LEVEL_FORM : KS_PADES_LEVEL_OTHER);
		else if (strcmp(keys[i], "M") == 0)
			ks_pv_raise(v, KS_PADES_LEVEL_FORM); /* modification date */
		else if ((strcmp(keys[i], "F") == 0 || strcmp(keys[i], "Lock") == 0) && signing)
			ks_pv_raise(
			    v, KS_PADES_LEVEL_FORM); /* flags set when signing; a lock restricts */
		else
			ks_pv_raise(v, KS_PADES_LEVEL_OTHER);
	}
	if (v->detail[0] != '\0' && v->level == KS_PADES_LEVEL_OTHER)
		return; /* a field value verdict said why */
	if (lk != NULL && n > 0) {
		ks_pv_raise(v, KS_PADES_LEVEL_OTHER);
		snprintf(v->detail, sizeof(v->detail),
			 "field '%.40s' is locked (FieldMDP); keys changed: %.60s", lk, kt);
		return;
	}
	snprintf(v->detail, sizeof(v->detail), "keys changed: %.100s%s", kt,
		 fill ? "" : " (the field's value did not change)");
}

/* Is object num the widget of a document timestamp's field (its
 * appearance is then validation data)? */
static bool doc_timestamp_widget(struct ks_pv_d *d, uint32_t num)
{
	const struct ks_pdfdoc_field *f = owning(d, num, true);
	bool sig, docts;

	if (f == NULL)
		return false;
	sig_kind(d, f->dict, &sig, &docts);
	return sig && docts && zero_rect(d, num);
}

void ks_pv_rule_appearance(struct ks_pv_d *d, const struct ks_pv_obj *o, uint32_t owner,
			   struct ks_pv_verdict *v)
{
	const char *lk = locked_name(d, owner);

	ks_pv_set(v, KS_PADES_WHAT_APPEARANCE, KS_PADES_LEVEL_FORM, "%s", "");
	if (o->roles & PV_R_SHARED)
		ks_pv_set(v, KS_PADES_WHAT_APPEARANCE, KS_PADES_LEVEL_OTHER, "%s",
			  "appearance shared by several widgets or annotations");
	else if (lk != NULL)
		ks_pv_set(v, KS_PADES_WHAT_APPEARANCE, KS_PADES_LEVEL_OTHER,
			  "appearance of locked field '%.60s'", lk);
	else if (owner == 0 || !filled(d, owner))
		ks_pv_set(v, KS_PADES_WHAT_APPEARANCE, KS_PADES_LEVEL_OTHER,
			  "appearance of widget %u changed, its field's value did not", owner);
	else if (doc_timestamp_widget(d, owner))
		v->level = KS_PADES_LEVEL_LTV;
	ks_pv_place(d, owner, NULL, &v->place);
}

void ks_pv_rule_fieldval(struct ks_pv_d *d, const struct ks_pv_obj *o, uint32_t owner,
			 struct ks_pv_verdict *v)
{
	const struct ks_pdfdoc_field *ff = owning(d, owner, true);

	(void)o;
	if (ff == NULL) {
		ks_pv_set(v, KS_PADES_WHAT_FORM_FIELD, KS_PADES_LEVEL_OTHER,
			  "value of field %u, which is no longer a field", owner);
		return;
	}
	value_verdict(d, ff, v);
}

int ks_pv_inherited_values(struct ks_pv_d *d, struct ks_pades_sig *sig)
{
	const struct ks_pdfdoc_field *ff, *fs;
	struct ks_pv_verdict v;
	bool allowed, sigf, docts;
	size_t i;

	for (i = 0; i < d->nff; i++) {
		ff = &d->ff[i];
		fs = signed_twin(d, ff);
		if (fs == NULL || !value_differs(d, ff))
			continue;
		/* A value of its own that changed is judged with its object. */
		if (ks_pdfobj_get(ff->dict, "V") != NULL || ks_pdfobj_get(fs->dict, "V") != NULL)
			continue;
		sig_kind(d, ff->dict, &sigf, &docts);
		memset(&v, 0, sizeof(v));
		if (sigf)
			ks_pv_set(&v, KS_PADES_WHAT_SIG_FIELD, KS_PADES_LEVEL_OTHER,
				  "signature field '%.60s' shows a value inherited from a parent",
				  ff->name);
		else
			value_verdict(d, ff, &v);
		field_place(d, ff->num, &v.place);
		allowed = ks_pv_allowed(d, v.level);
		if (ks_pv_add_change(sig, ff->num, (uint32_t)d->rf, v.what, KS_PADES_MODIFIED,
				     v.level, allowed, &v.place,
				     "value inherited from a parent field: %s", v.detail) < 0)
			return -1;
	}
	return 0;
}
