/* The document's verdict (ks_verdict.h). */
#include "signer/validate/ks_verdict.h"

#include <string.h>

static bool is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* Does some signature or document timestamp of r cover revision rev, i.e.
 * was it added by that revision? */
static bool revision_signs(const struct ks_report *r, uint32_t rev)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->sigs[i].revision == rev && rev != 0)
			return true;
	return false;
}

static bool same_place(const struct ks_report_change *a, const struct ks_report_change *b)
{
	return a->page != 0 && a->page == b->page && a->has_rect && b->has_rect &&
	       memcmp(a->rect, b->rect, sizeof(a->rect)) == 0;
}

/* Is there, in the same revision, a signature field shown at c's place? */
static bool in_signature_field(const struct ks_report *r, const struct ks_report_change *c)
{
	size_t i, j;

	for (i = 0; i < r->n; i++)
		for (j = 0; j < r->sigs[i].n_changes; j++) {
			const struct ks_report_change *f = &r->sigs[i].changes[j];

			if (f->revision == c->revision && is(f->what, "signature field") &&
			    same_place(f, c))
				return true;
		}
	return false;
}

bool ks_verdict_change_is_signing(const struct ks_report *r, const struct ks_report_change *c)
{
	if (is(c->level, "none") || is(c->level, "ltv"))
		return true;
	if (!is(c->level, "form") || !revision_signs(r, c->revision))
		return false;
	/* A revision that adds a signature: its field, its dictionary, the
	 * form and page entries that list it ... */
	if (is(c->what, "signature field") || is(c->what, "signature dictionary") ||
	    is(c->what, "document timestamp") || is(c->what, "interactive form") ||
	    is(c->what, "document catalog") || is(c->what, "page"))
		return true;
	/* ... and what is drawn in that field's own rectangle. */
	if (is(c->what, "field appearance") || is(c->what, "form field widget"))
		return in_signature_field(r, c);
	return false;
}

void ks_verdict_decide(struct ks_report *r, const struct ks_vpolicy *policy)
{
	bool failed = false, indeterminate = false, changed = false;
	size_t i, j;

	if (r->n == 0 || r->not_signed != NULL) {
		r->verdict = KS_VERDICT_NOT_SIGNED;
		return;
	}
	for (i = 0; i < r->n; i++) {
		const struct ks_report_sig *s = &r->sigs[i];

		if (s->indication == KS_IND_TOTAL_FAILED)
			failed = true;
		else if (s->indication == KS_IND_INDETERMINATE)
			indeterminate = true;
		for (j = 0; j < s->n_changes; j++)
			if (s->changes[j].allowed &&
			    !ks_verdict_change_is_signing(r, &s->changes[j]))
				changed = true;
		/* Changes beyond the listed ones count, unless all of them
		 * were validation data or had no effect (their highest level
		 * says so). */
		if (s->changes_more > 0 && !is(s->changes_level, "none") &&
		    !is(s->changes_level, "ltv"))
			changed = true;
	}
	if (changed && policy != NULL && policy->level[KS_VC_CHANGES] == KS_VL_FAIL)
		failed = true;
	if (failed)
		r->verdict = KS_VERDICT_NOT_AUTHENTIC;
	else if (indeterminate)
		r->verdict = KS_VERDICT_INDETERMINATE;
	else if (changed)
		r->verdict = KS_VERDICT_CHANGED;
	else
		r->verdict = KS_VERDICT_AUTHENTIC;
}
