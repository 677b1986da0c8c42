/* The list of changes after a signature: bounded, with every change
 * counted.  A change that fails the signature is never lost to the bound:
 * when the list is full it takes the place of the newest allowed one, so
 * the report always shows why a signature failed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pades_int.h"
#include "ks_size.h"

int ks_pv_add_change(struct ks_pades_sig *sig, uint32_t num, uint32_t rev, enum ks_pades_what what,
		     enum ks_pades_op op, enum ks_pades_level level, bool allowed,
		     const struct ks_pades_place *place, const char *fmt, ...)
{
	struct ks_pades_change *c = NULL;
	va_list ap;
	size_t i;

	if (!allowed)
		sig->n_not_allowed++;
	if (level > sig->level)
		sig->level = level;
	if (sig->n_changes >= KS_PADES_VERIFY_MAX_CHANGES) {
		sig->changes_dropped++;
		if (allowed)
			return 0;
		for (i = sig->n_changes; i > 0 && c == NULL; i--)
			if (sig->changes[i - 1].allowed)
				c = &sig->changes[i - 1];
		if (c == NULL)
			return 0; /* the list holds failures only: it already says why */
	} else {
		size_t cap = sig->n_changes;

		if (ks_grow_to((void **)&sig->changes, &cap, sig->n_changes + 1,
			       sizeof(*sig->changes)) < 0)
			return -1;
		c = &sig->changes[sig->n_changes++];
	}
	memset(c, 0, sizeof(*c));
	c->num = num;
	c->rev = rev;
	c->what = what;
	c->op = op;
	c->level = level;
	c->allowed = allowed;
	if (place != NULL)
		c->place = *place;
	va_start(ap, fmt);
	if (vsnprintf(c->detail, sizeof(c->detail), fmt, ap) < 0)
		c->detail[0] = '\0';
	va_end(ap);
	return 0;
}

const char *ks_pades_what_name(enum ks_pades_what w)
{
	static const char *const names[KS_PADES_WHAT__COUNT] = {
		[KS_PADES_WHAT_UNUSED] = "unused object",
		[KS_PADES_WHAT_XREF] = "cross-reference data",
		[KS_PADES_WHAT_CATALOG] = "document catalog",
		[KS_PADES_WHAT_ACROFORM] = "interactive form",
		[KS_PADES_WHAT_SIG_FIELD] = "signature field",
		[KS_PADES_WHAT_SIG_DICT] = "signature dictionary",
		[KS_PADES_WHAT_DOC_TIMESTAMP] = "document timestamp",
		[KS_PADES_WHAT_FORM_FIELD] = "form field",
		[KS_PADES_WHAT_WIDGET] = "form field widget",
		[KS_PADES_WHAT_APPEARANCE] = "field appearance",
		[KS_PADES_WHAT_ANNOTATION] = "annotation",
		[KS_PADES_WHAT_PAGE] = "page",
		[KS_PADES_WHAT_PAGE_TREE] = "page tree",
		[KS_PADES_WHAT_CONTENT] = "page content",
		[KS_PADES_WHAT_DSS] = "document security store (DSS)",
		[KS_PADES_WHAT_INFO] = "document information",
		[KS_PADES_WHAT_METADATA] = "metadata",
		[KS_PADES_WHAT_OTHER] = "document structure",
		[KS_PADES_WHAT_FILE] = "file structure",
	};

	if ((unsigned)w >= KS_PADES_WHAT__COUNT)
		return "?";
	return names[w];
}

const char *ks_pades_level_name(enum ks_pades_level l)
{
	switch (l) {
	case KS_PADES_LEVEL_NONE:
		return "none";
	case KS_PADES_LEVEL_LTV:
		return "long-term validation data";
	case KS_PADES_LEVEL_FORM:
		return "form filling and signing";
	case KS_PADES_LEVEL_ANNOT:
		return "annotations";
	case KS_PADES_LEVEL_OTHER:
		return "other";
	}
	return "?";
}
