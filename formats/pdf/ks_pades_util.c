/* Small helpers the modification analysis's rules share (ks_pades_diff.h):
 * verdicts, lookups in either state, where a change shows, scripts. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pades_diff.h"

void ks_pv_set(struct ks_pv_verdict *v, enum ks_pades_what what, enum ks_pades_level level,
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

void ks_pv_raise(struct ks_pv_verdict *v, enum ks_pades_level level)
{
	if (level > v->level)
		v->level = level;
}

bool ks_pv_allowed(const struct ks_pv_d *d, enum ks_pades_level level)
{
	enum ks_pades_level max;

	switch (d->in->permitted) {
	case 1:
		max = KS_PADES_LEVEL_LTV;
		break;
	case 2:
		max = KS_PADES_LEVEL_FORM;
		break;
	default:
		max = KS_PADES_LEVEL_ANNOT; /* P=3, or not certified */
	}
	return level != KS_PADES_LEVEL_OTHER && level <= max;
}

const struct ks_pdfobj *ks_pv_get(struct ks_pv_d *d, bool final, const struct ks_pdfobj *o)
{
	const struct ks_pdfobj *r = NULL;

	if (ks_pdfdoc_resolve(d->doc, final ? d->rf : d->rs, o, &r) < 0) {
		ks_err_clear();
		return NULL;
	}
	return r;
}

const struct ks_pdfobj *ks_pv_object(struct ks_pv_d *d, bool final, uint32_t num)
{
	struct ks_pdfdoc_indirect ind;

	if (num == 0 || ks_pdfdoc_lookup(d->doc, final ? d->rf : d->rs, num, 0, &ind) < 0) {
		ks_err_clear();
		return NULL;
	}
	if (ind.obj == ks_pdfobj_null() &&
	    (ind.entry.type == KS_PDFDOC_ENTRY_NONE || ind.entry.type == KS_PDFDOC_ENTRY_FREE)) {
		/* not generation 0: look the entry up */
		struct ks_pdfdoc_entry e;
		const struct ks_pdfobj *o = NULL;

		if (ks_pdfdoc_xref_effective(d->doc, final ? d->rf : d->rs, num, &e) < 0 ||
		    ks_pdfdoc_get(d->doc, final ? d->rf : d->rs, num, e.gen, &o) < 0) {
			ks_err_clear();
			return NULL;
		}
		return o == ks_pdfobj_null() ? NULL : o;
	}
	return ind.obj;
}

void ks_pv_keys_text(const char *const *keys, size_t n, char *out, size_t cap)
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

bool ks_pv_key_in(const char *k, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(k, *set) == 0)
			return true;
	return false;
}

void ks_pv_place(struct ks_pv_d *d, uint32_t num, const struct ks_pdfobj *dict,
		 struct ks_pades_place *out)
{
	const struct ks_pv_node *n = ks_pv_reach_get(d->F, num);
	const struct ks_pdfobj *r;
	double x[4], t;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (n != NULL)
		out->page = n->page;
	if (dict == NULL)
		dict = ks_pv_object(d, true, num);
	r = ks_pv_get(d, true, ks_pdfobj_get(dict, "Rect"));
	if (r == NULL || r->type != KS_PDFOBJ_ARRAY || r->u.arr.n != 4)
		return;
	for (i = 0; i < 4; i++)
		if (!ks_pdfobj_number(r->u.arr.items[i], &x[i]))
			return;
	/* 12.5.2: any two diagonally opposite corners */
	if (x[0] > x[2]) {
		t = x[0];
		x[0] = x[2];
		x[2] = t;
	}
	if (x[1] > x[3]) {
		t = x[1];
		x[1] = x[3];
		x[3] = t;
	}
	memcpy(out->rect, x, sizeof(x));
	out->has_rect = true;
}

/* Actions that do more than move the view or open a link (ISO 32000-1
 * 12.6.4): they run code, change fields, send data or show other
 * content. */
static bool active_action(const struct ks_pdfobj *s)
{
	static const char *const safe[] = { "GoTo", "GoToR", "URI", "Named", "Thread", NULL };

	return s != NULL && s->type == KS_PDFOBJ_NAME && !ks_pv_key_in(s->u.name.s, safe);
}

bool ks_pv_has_script(const struct ks_pdfobj *o, unsigned depth)
{
	const struct ks_pdfobj *d;
	size_t i;

	if (o == NULL || depth > KS_PADES_DIFF_MAX_DEPTH)
		return false;
	if (o->type == KS_PDFOBJ_ARRAY) {
		for (i = 0; i < o->u.arr.n; i++)
			if (ks_pv_has_script(o->u.arr.items[i], depth + 1))
				return true;
		return false;
	}
	d = ks_pdfobj_dict(o);
	if (d == NULL)
		return false;
	if (ks_pdfobj_get(d, "JS") != NULL ||
	    ((ks_pdfobj_is_name(ks_pdfobj_get(d, "Type"), "Action") ||
	      ks_pdfobj_get(d, "Next") != NULL || depth > 0) &&
	     active_action(ks_pdfobj_get(d, "S"))))
		return true;
	for (i = 0; i < d->u.dict.n; i++)
		if (ks_pv_has_script(d->u.dict.e[i].val, depth + 1))
			return true;
	return false;
}
