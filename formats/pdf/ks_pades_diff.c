/* Modification analysis: what changed between the revision a signature
 * covers and the final file, and whether the signature permits it.
 *
 * The unit is what a viewer can use, not an object number: the final file
 * is walked from its trailer (ks_pades_reach.c) and every object it
 * reaches is compared with what the signed revision reached.  An object
 * whose value differs, or that the signed revision did not reach (new,
 * defined but unreachable when signed, referenced but undefined then), is
 * a change; its roles in either state (how the catalog and pages reach
 * it) choose the rule that judges it (ks_pades_rules.c, ks_pades_fields.c;
 * the table is docs/modification-rules.md).  An object with several roles
 * is judged by each and the strictest verdict counts.  The catalog is
 * compared with the signed catalog whatever its number, and the trailers
 * are compared as well.
 *
 * ISO 32000-1 12.8.2.2 (DocMDP): P=1 no changes, P=2 form filling and
 * signing, P=3 also annotations; ETSI EN 319 142-1 5.4 and 5.5 add DSS and
 * document timestamps, which every P allows.  Without certification the
 * same three kinds are allowed (and listed with their place on the page).
 * Anything else fails the signature, in particular the attacks of Mladenov
 * et al. ("1 Trillion Dollar Refund", incremental saving) and Mainka et
 * al. ("Shadow Attacks").
 *
 * Changes are counted, never refused: the list is bounded, the count is
 * not, a change that fails the signature is always listed, and a limit
 * met by the walk (INDETERMINATE) never hides a failure found. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pades_diff.h"

/* ---- one reached object ---- */

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

/* A script in what changed: the whole value of a new object, the
 * changed entries of an old one. */
static bool new_script(struct ks_pv_d *d, const struct ks_pv_obj *o)
{
	const char *keys[PV_KEYS_MAX];
	size_t n, i;

	if (o->of == NULL)
		return false;
	if (o->op == KS_PADES_ADDED || ks_pdfobj_dict(o->of) == NULL ||
	    ks_pdfobj_dict(o->os) == NULL)
		return ks_pv_has_script(o->of, 0);
	n = ks_pv_diff_keys(&d->cmp, o->os, o->of, keys);
	for (i = 0; i < n; i++)
		if (keys[i][0] != '(' &&
		    (strcmp(keys[i], "JS") == 0 ||
		     ks_pv_has_script(ks_pdfobj_get(ks_pdfobj_dict(o->of), keys[i]), 1)))
			return true;
	return false;
}

static uint32_t owner_of(const struct ks_pv_obj *o)
{
	if (o->nf != NULL && o->nf->owner != 0)
		return o->nf->owner;
	return o->ns != NULL ? o->ns->owner : 0;
}

/* What the signed revision listed as annotations of the page that holds
 * this /Annots array now (its owner): a new array object may replace a
 * direct one. */
static const struct ks_pdfobj *signed_annots(struct ks_pv_d *d, const struct ks_pv_obj *o)
{
	if (o->op != KS_PADES_ADDED)
		return o->os;
	if (o->nf->owner == 0 || ks_pv_reach_get(&d->S, o->nf->owner) == NULL)
		return NULL;
	return ks_pv_get(d, false, ks_pdfobj_get(ks_pv_object(d, false, o->nf->owner), "Annots"));
}

/* The verdict of one role. */
static void by_role(struct ks_pv_d *d, const struct ks_pv_obj *o, uint32_t role,
		    struct ks_pv_verdict *v)
{
	const char *via = o->nf != NULL && o->nf->via != NULL   ? o->nf->via
			  : o->ns != NULL && o->ns->via != NULL ? o->ns->via
								: "?";
	const char *why;

	switch (role) {
	case PV_R_CONTENT:
		ks_pv_set(v, KS_PADES_WHAT_CONTENT, KS_PADES_LEVEL_OTHER,
			  "drawn by a page (reached through /%.40s)", via);
		break;
	case PV_R_OTHER:
		ks_pv_set(v, KS_PADES_WHAT_OTHER, KS_PADES_LEVEL_OTHER, "reached through /%.40s",
			  via);
		break;
	case PV_R_PAGETREE:
		ks_pv_set(v, KS_PADES_WHAT_PAGE_TREE, KS_PADES_LEVEL_OTHER, "%s", "");
		break;
	case PV_R_SHARED:
		ks_pv_set(v, KS_PADES_WHAT_APPEARANCE, KS_PADES_LEVEL_OTHER, "%s",
			  "appearance shared by several widgets or annotations");
		break;
	case PV_R_PAGE:
		if (o->op == KS_PADES_MODIFIED)
			ks_pv_rule_page(d, o, v);
		else
			ks_pv_set(v, KS_PADES_WHAT_PAGE, KS_PADES_LEVEL_OTHER, "page %s",
				  o->op == KS_PADES_ADDED ? "added" : "removed");
		break;
	case PV_R_ANNOTS:
		if (o->op == KS_PADES_DELETED)
			ks_pv_set(v, KS_PADES_WHAT_PAGE, KS_PADES_LEVEL_OTHER, "%s",
				  "a page's annotation list removed");
		else
			ks_pv_rule_annots(d, signed_annots(d, o), o->of, o->nf->page, v);
		break;
	case PV_R_ACROFORM:
		if (o->op == KS_PADES_DELETED)
			ks_pv_set(v, KS_PADES_WHAT_ACROFORM, KS_PADES_LEVEL_OTHER, "%s",
				  "the form removed");
		else
			ks_pv_rule_acroform(d, o->op == KS_PADES_ADDED ? NULL : o->os, o->of, v);
		break;
	case PV_R_NAMES:
		ks_pv_rule_names(d, o->op == KS_PADES_ADDED ? NULL : o->os, o->of, v);
		break;
	case PV_R_WIDGET:
	case PV_R_FIELD:
	case PV_R_SIGFIELD:
		if (o->op == KS_PADES_MODIFIED && o->of != NULL && o->of->type == KS_PDFOBJ_ARRAY) {
			ks_pv_set(v, KS_PADES_WHAT_FORM_FIELD, KS_PADES_LEVEL_OTHER, "%s",
				  "a field's /Kids changed");
		} else if (o->op == KS_PADES_MODIFIED) {
			ks_pv_rule_field(d, o, v);
		} else if (o->op == KS_PADES_DELETED) {
			ks_pv_set(v, KS_PADES_WHAT_FORM_FIELD, KS_PADES_LEVEL_OTHER, "%s",
				  "field removed");
		} else {
			enum ks_pades_level lv = ks_pv_new_field_level(d, o->num, o->of, &why);

			ks_pv_set(v,
				  role == PV_R_SIGFIELD ? KS_PADES_WHAT_SIG_FIELD
				  : role == PV_R_WIDGET ? KS_PADES_WHAT_WIDGET
							: KS_PADES_WHAT_FORM_FIELD,
				  lv, "%s", why);
			ks_pv_place(d, o->num, NULL, &v->place);
		}
		break;
	case PV_R_AP:
		ks_pv_rule_appearance(d, o, owner_of(o), v);
		break;
	case PV_R_FIELDVAL:
		ks_pv_rule_fieldval(d, o, owner_of(o), v);
		break;
	case PV_R_ANNOT:
		ks_pv_set(v, KS_PADES_WHAT_ANNOTATION, KS_PADES_LEVEL_ANNOT, "%s", "");
		if (owner_of(o) != 0)
			ks_pv_place(d, owner_of(o), NULL, &v->place);
		break;
	case PV_R_SIGDICT:
	case PV_R_DOCTS:
		ks_pv_set(
		    v, role == PV_R_DOCTS ? KS_PADES_WHAT_DOC_TIMESTAMP : KS_PADES_WHAT_SIG_DICT,
		    o->op != KS_PADES_ADDED ? KS_PADES_LEVEL_OTHER
		    : role == PV_R_DOCTS    ? KS_PADES_LEVEL_LTV
					    : KS_PADES_LEVEL_FORM,
		    "%s", o->op != KS_PADES_ADDED ? "signed data of an earlier signature" : "");
		break;
	case PV_R_LOCK:
		ks_pv_set(v, KS_PADES_WHAT_SIG_FIELD,
			  o->op == KS_PADES_ADDED ? KS_PADES_LEVEL_FORM : KS_PADES_LEVEL_OTHER,
			  "%s", "field lock");
		break;
	case PV_R_DR:
		ks_pv_set(v, KS_PADES_WHAT_ACROFORM, KS_PADES_LEVEL_FORM, "form default resources");
		break;
	case PV_R_DRFONT:
		/* The /Font map itself (no /Type) may grow; a font, its
		 * descriptor, encoding or program may not change. */
		ks_pv_set(v, KS_PADES_WHAT_ACROFORM,
			  o->op == KS_PADES_ADDED ? KS_PADES_LEVEL_FORM
			  : o->op == KS_PADES_MODIFIED && o->of != NULL &&
				  o->of->type == KS_PDFOBJ_DICT &&
				  ks_pdfobj_get(o->of, "Type") == NULL
			      ? ks_pv_font_map_level(d, o->os, o->of)
			      : KS_PADES_LEVEL_OTHER,
			  "form default fonts %s", o->op == KS_PADES_ADDED ? "added" : "changed");
		break;
	case PV_R_DSS:
		ks_pv_set(v, KS_PADES_WHAT_DSS, KS_PADES_LEVEL_LTV, "%s", "");
		break;
	case PV_R_META:
		ks_pv_set(v, KS_PADES_WHAT_METADATA, KS_PADES_LEVEL_LTV, "%s", "");
		break;
	case PV_R_INFO:
		ks_pv_set(v, KS_PADES_WHAT_INFO, KS_PADES_LEVEL_LTV, "%s", "");
		break;
	default:
		ks_pv_set(v, KS_PADES_WHAT_OTHER, KS_PADES_LEVEL_OTHER, "%s", "");
	}
}

/* Every role judges; the strictest verdict stands (an appearance that a
 * page also draws is page content, whatever else claims it). */
static void classify(struct ks_pv_d *d, const struct ks_pv_obj *o, struct ks_pv_verdict *out)
{
	struct ks_pv_verdict v;
	uint32_t bit;
	bool first = true;

	memset(out, 0, sizeof(*out));
	if (o->roles & PV_R_CATALOG) {
		ks_pv_rule_catalog(d, o->os, o->of, out);
		first = false;
	}
	for (bit = 1; bit != 0; bit <<= 1) {
		if ((o->roles & bit) == 0 || bit == PV_R_CATALOG)
			continue;
		if (bit == PV_R_SIGDICT && (o->roles & PV_R_DOCTS))
			continue; /* the value of a document timestamp: that rule */
		memset(&v, 0, sizeof(v));
		by_role(d, o, bit, &v);
		if (first || v.level > out->level)
			*out = v;
		else if (v.level == out->level && out->place.page == 0 && v.place.page != 0)
			out->place = v.place;
		first = false;
	}
	if (first)
		ks_pv_set(out, KS_PADES_WHAT_UNUSED, KS_PADES_LEVEL_NONE, "%s", "");
}

static bool exists(const struct ks_pdfdoc_entry *e)
{
	return e->type == KS_PDFDOC_ENTRY_INUSE || e->type == KS_PDFDOC_ENTRY_COMPRESSED;
}

/* Is the definition of num in force at the end the one in force when
 * signed (the same bytes)?  A compressed object also needs its object
 * stream unchanged. */
static bool same_definition(struct ks_pv_d *d, uint32_t num, const struct ks_pdfdoc_entry *es,
			    const struct ks_pdfdoc_entry *ef, unsigned depth)
{
	struct ks_pdfdoc_entry ss, sf;

	if (!exists(es) || es->type != ef->type || es->rev != ef->rev || ef->rev > d->rs ||
	    es->gen != ef->gen)
		return false;
	if (ef->type == KS_PDFDOC_ENTRY_INUSE)
		return es->offset == ef->offset;
	if (es->objstm != ef->objstm || es->index != ef->index || depth > 2 || ef->objstm == num)
		return false;
	if (ks_pdfdoc_xref_effective(d->doc, d->rs, ef->objstm, &ss) < 0 ||
	    ks_pdfdoc_xref_effective(d->doc, d->rf, ef->objstm, &sf) < 0) {
		ks_err_clear();
		return false;
	}
	return same_definition(d, ef->objstm, &ss, &sf, depth + 1);
}

static const struct ks_pdfobj *load(struct ks_pv_d *d, bool final, uint32_t num, uint16_t gen,
				    bool *broken)
{
	const struct ks_pdfobj *o = NULL;

	*broken = false;
	if (ks_pdfdoc_get(d->doc, final ? d->rf : d->rs, num, gen, &o) < 0) {
		*broken = !ks_err_is_fatal();
		return NULL;
	}
	return o == ks_pdfobj_null() ? NULL : o;
}

static const char *origin_text(struct ks_pv_d *d, const struct ks_pv_obj *o)
{
	struct ks_pdfdoc_entry e;

	if (o->op != KS_PADES_ADDED)
		return "";
	if (o->ns != NULL)
		return "undefined when signed, defined now: ";
	if (ks_pdfdoc_xref_effective(d->doc, d->rs, o->num, &e) == 0 && exists(&e))
		return "defined but unreachable when signed, reachable now: ";
	ks_err_clear();
	return "";
}

static int judge(struct ks_pv_d *d, const struct ks_pv_node *nf, struct ks_pades_sig *sig)
{
	struct ks_pdfdoc_entry es, ef;
	struct ks_pv_obj o;
	struct ks_pv_verdict v;
	bool bs = false, bf = false, catalog = nf->num == d->F->catalog;
	uint32_t rev;

	memset(&o, 0, sizeof(o));
	o.num = nf->num;
	o.nf = nf;
	o.ns = ks_pv_reach_get(&d->S, nf->num);
	if (catalog && d->S.catalog != 0 && d->S.catalog != nf->num)
		o.ns = ks_pv_reach_get(&d->S, d->S.catalog); /* compared by role */
	if (ks_pdfdoc_xref_effective(d->doc, d->rs, o.ns != NULL ? o.ns->num : nf->num, &es) < 0 ||
	    ks_pdfdoc_xref_effective(d->doc, d->rf, nf->num, &ef) < 0)
		return ks_err_is_fatal() ? -1 : 0;
	if (o.ns != NULL && o.ns->num == nf->num && !nf->broken &&
	    same_definition(d, nf->num, &es, &ef, 0))
		return 0; /* the very definition that was signed */
	if (nf->defined || nf->broken)
		o.of = load(d, true, nf->num, nf->gen, &bf);
	if (o.ns != NULL && o.ns->defined)
		o.os = load(d, false, o.ns->num, o.ns->gen, &bs);
	if ((bf || bs) && ks_err_is_fatal())
		return -1;
	if (o.ns == NULL || !o.ns->defined) {
		if (o.of == NULL && !bf && o.ns != NULL)
			return 0; /* a reference to nothing, before and after */
		o.op = KS_PADES_ADDED;
	} else if (o.of == NULL && !bf) {
		o.op = KS_PADES_DELETED;
	} else {
		o.op = KS_PADES_MODIFIED;
		if (!bs && !bf && !has_dup(o.of, 0) && ks_pv_equal(&d->cmp, o.os, o.of, 0))
			return 0; /* rewritten with the same content */
	}
	o.roles = nf->roles | (o.ns != NULL ? o.ns->roles : 0);
	if (catalog)
		o.roles = (o.roles & ~(uint32_t)PV_R_CATALOG) | PV_R_CATALOG;
	if (bf)
		/* Whatever its role: a reader that meets it rebuilds the
		 * cross-reference by scanning and may find other objects. */
		ks_pv_set(&v, KS_PADES_WHAT_OTHER, KS_PADES_LEVEL_OTHER,
			  "the new definition cannot be parsed");
	else if (o.of == NULL)
		/* Still referenced, yet free or undefined: a reader that looks
		 * it up rebuilds the cross-reference by scanning the file and
		 * uses whatever "N G obj" it finds (an old definition, one
		 * hidden in a stream). */
		ks_pv_set(&v, KS_PADES_WHAT_FILE, KS_PADES_LEVEL_OTHER, "%s",
			  o.op == KS_PADES_DELETED
			      ? "freed while still referenced (readers that rebuild the "
				"cross-reference find its old definition)"
			      : "newly referenced but not defined (readers that rebuild the "
				"cross-reference take any definition they find)");
	else if (has_dup(o.of, 0))
		ks_pv_set(&v, KS_PADES_WHAT_OTHER, KS_PADES_LEVEL_OTHER,
			  "a dictionary with a repeated key (readers disagree on which counts)");
	else
		classify(d, &o, &v);
	if (v.level != KS_PADES_LEVEL_OTHER && new_script(d, &o)) {
		v.level = KS_PADES_LEVEL_OTHER;
		snprintf(v.detail, sizeof(v.detail), "%s",
			 "a script or an active action (JavaScript, Launch, SubmitForm...)");
	}
	rev = exists(&ef) && ef.rev > d->rs ? ef.rev : (uint32_t)d->rf;
	return ks_pv_add_change(sig, nf->num, rev, v.what, o.op, v.level, ks_pv_allowed(d, v.level),
				&v.place, "%s%s", origin_text(d, &o), v.detail);
}

/* ---- trailers ---- */

static uint32_t ref_num(const struct ks_pdfobj *o)
{
	return o != NULL && o->type == KS_PDFOBJ_REF ? o->u.ref.num : 0;
}

/* The trailers of the updates after signing cannot be compared as
 * objects, yet say where the document starts and whether it is encrypted
 * (7.5.5).  /Root must stay a reference to the same catalog, /Encrypt may
 * not change, no key may repeat, and a hybrid section's table and
 * /XRefStm must agree.  A new /Info is document information. */
static int trailer_checks(struct ks_pv_d *d, struct ks_pades_sig *sig)
{
	const struct ks_pdfdoc_rev *rs = ks_pdfdoc_rev(d->doc, d->rs), *r;
	const struct ks_pdfobj *root;
	enum ks_pades_level level;
	char why[128];
	size_t k;

	for (k = d->rs + 1; k <= d->rf; k++) {
		r = ks_pdfdoc_rev(d->doc, k);
		if (rs == NULL || r == NULL || r->trailer == NULL)
			continue;
		root = ks_pdfobj_get(r->trailer, "Root");
		level = KS_PADES_LEVEL_OTHER;
		if (has_dup(r->trailer, 0))
			snprintf(why, sizeof(why), "%s",
				 "a repeated key (readers disagree on which counts)");
		else if (root == NULL || root->type != KS_PDFOBJ_REF)
			snprintf(why, sizeof(why), "%s",
				 "/Root is not a reference to a catalog object");
		else if (ref_num(root) != ref_num(ks_pdfobj_get(rs->trailer, "Root")))
			snprintf(why, sizeof(why),
				 "/Root names object %u, another catalog than the signed one "
				 "(object %u)",
				 ref_num(root), ref_num(ks_pdfobj_get(rs->trailer, "Root")));
		else if (!ks_pv_equal(&d->cmp, ks_pdfobj_get(rs->trailer, "Encrypt"),
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
		else if (k == d->rf && ref_num(ks_pdfobj_get(r->trailer, "Info")) !=
					   ref_num(ks_pdfobj_get(rs->trailer, "Info"))) {
			snprintf(why, sizeof(why), "%s", "/Info names another dictionary");
			level = KS_PADES_LEVEL_LTV;
		} else {
			continue;
		}
		if (ks_pv_add_change(sig, 0, (uint32_t)k,
				     level == KS_PADES_LEVEL_LTV ? KS_PADES_WHAT_INFO
								 : KS_PADES_WHAT_FILE,
				     KS_PADES_MODIFIED, level, ks_pv_allowed(d, level), NULL,
				     "trailer of revision %zu: %s", k + 1, why) < 0)
			return -1;
	}
	return 0;
}

/* ---- the analysis ---- */

static void conclude(struct ks_pv_d *d, struct ks_pades_sig *sig, bool incomplete)
{
	static const char *const by[] = { "", " by certification P=1", " by certification P=2",
					  " by certification P=3" };
	const struct ks_pades_change *bad = NULL;
	size_t i;
	char what[64];

	for (i = 0; i < sig->n_changes && bad == NULL; i++)
		if (!sig->changes[i].allowed)
			bad = &sig->changes[i];
	if (bad != NULL) {
		if (sig->indication == KS_IND_TOTAL_FAILED)
			return; /* an earlier, more basic failure stands */
		if (bad->num != 0)
			snprintf(what, sizeof(what), "object %u (%s)", bad->num,
				 ks_pades_what_name(bad->what));
		else
			snprintf(what, sizeof(what), "%s", ks_pades_what_name(bad->what));
		ks_pv_fail(
		    sig, KS_SUB_FORMAT_FAILURE,
		    "modified after signing: %zu change(s) not permitted%s; first: %s %s in "
		    "revision %u%s%.100s",
		    sig->n_not_allowed,
		    by[d->in->permitted >= 1 && d->in->permitted <= 3 ? d->in->permitted : 0], what,
		    bad->op == KS_PADES_ADDED     ? "added"
		    : bad->op == KS_PADES_DELETED ? "deleted"
						  : "modified",
		    bad->rev + 1, bad->detail[0] ? ": " : "", bad->detail);
		return;
	}
	if ((incomplete || d->cmp.exhausted || d->S.exhausted ||
	     (d->F != NULL && d->F->exhausted)) &&
	    sig->indication == KS_IND_TOTAL_PASSED)
		ks_pv_fail(sig, KS_SUB_SIG_CONSTRAINTS_FAILURE,
			   "the changes after signing could not be analysed within the limits");
}

static int fields_of(struct ks_pv_d *d, size_t rev, const struct ks_pdfdoc_field **f, size_t *n)
{
	if (ks_pdfdoc_fields(d->doc, rev, f, n) < 0) {
		if (ks_err_is_fatal())
			return -1;
		ks_err_clear();
		*f = NULL;
		*n = 0;
	}
	return 0;
}

static int cmp_num(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Every object the final file reaches, in object number order (so that
 * the report lists them so). */
static int judge_all(struct ks_pv_d *d, struct ks_pades_sig *sig)
{
	uint32_t *nums;
	size_t i, n = 0;
	int rc = -1;

	nums = malloc((d->F->n + 1) * sizeof(*nums));
	if (nums == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < d->F->cap; i++)
		if (d->F->tab[i].num != 0)
			nums[n++] = d->F->tab[i].num;
	qsort(nums, n, sizeof(*nums), cmp_num);
	for (i = 0; i < n; i++)
		KS_GUARD(judge(d, ks_pv_reach_get(d->F, nums[i]), sig));
	rc = 0;
out:
	free(nums);
	return rc;
}

int ks_pv_diff(const struct ks_pv_diff_in *in, struct ks_pades_sig *sig)
{
	struct ks_pv_d d;
	bool incomplete = false;
	int rc = -1;

	memset(&d, 0, sizeof(d));
	d.in = in;
	d.doc = in->doc;
	d.rs = in->rev;
	d.rf = ks_pdfdoc_rev_count(in->doc) - 1;
	d.F = in->final;
	ks_pv_cmp_init(&d.cmp, d.doc, d.rs, d.rf);
	if (d.rf > d.rs && d.F != NULL) {
		KS_GUARD(ks_pv_reach_build(d.doc, d.rs, &d.S));
		KS_GUARD(fields_of(&d, d.rs, &d.fs, &d.nfs));
		KS_GUARD(fields_of(&d, d.rf, &d.ff, &d.nff));
		KS_GUARD(trailer_checks(&d, sig));
		KS_GUARD(judge_all(&d, sig));
		KS_GUARD(ks_pv_inherited_values(&d, sig));
	}
	KS_GUARD(ks_pv_file_checks(d.doc, d.rs, sig, &incomplete));
	conclude(&d, sig, incomplete);
	rc = 0;
out:
	ks_pv_reach_free(&d.S);
	ks_pv_cmp_cleanup(&d.cmp);
	return rc;
}
