/* The list of changes after a signature: bounded, with every change
 * counted.  A change that fails the signature is never lost to the bound:
 * when the list is full it takes the place of the newest allowed one, so
 * the report always shows why a signature failed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pades_int.h"

int pv_add_change(struct ks_pades_sig *sig, uint32_t num, uint32_t rev, enum ks_pades_what what,
		  enum ks_pades_op op, enum ks_pades_level level, bool allowed,
		  const struct ks_pades_place *place, const char *fmt, ...)
{
	struct ks_pades_change *grown, *c = NULL;
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
		grown = realloc(sig->changes, (sig->n_changes + 1) * sizeof(*grown));
		if (grown == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		sig->changes = grown;
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
