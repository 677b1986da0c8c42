/* ks_verdict: one verdict for the whole document, from the indications
 * of its signatures and the changes made after each (docs/validation-
 * report.md):
 *
 *   not signed      no signature at all, or a file that is not a signed
 *                   document;
 *   not authentic   a signature TOTAL-FAILED (a change its signer forbade
 *                   makes it so);
 *   cannot confirm  a signature INDETERMINATE;
 *   changed         every signature passed, and what the document shows
 *                   was changed after a signature in a way it permitted:
 *                   an annotation, a form value, a widget or appearance
 *                   that is not a later signature's own (its field, its
 *                   signature dictionary and the appearance drawn in that
 *                   field's rectangle), any other permitted visible
 *                   change; the policy's `changes-after-signing` at fail
 *                   makes this "not authentic";
 *   authentic       otherwise: after each signature only later signatures,
 *                   timestamps and validation data were added. */
#ifndef KS_VERDICT_H
#define KS_VERDICT_H

#include "signer/ks_report.h"
#include "signer/validate/ks_vpolicy.h"

/* Decide r->verdict. */
void ks_verdict_decide(struct ks_report *r, const struct ks_vpolicy *policy);

/* Does this change (listed under a signature of r) leave what the
 * document shows as it was signed, apart from a later signature's own
 * field and appearance? */
bool ks_verdict_change_is_signing(const struct ks_report *r, const struct ks_report_change *c);

#endif
