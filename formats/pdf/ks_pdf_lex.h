/* ks_pdf_lex: read one PDF direct object (ISO 32000-1 7.3: boolean,
 * number, string, name, array, dictionary, null, indirect reference) into
 * a ks_pdf_val tree.  Internal to formats/pdf. */
#ifndef KS_PDF_LEX_H
#define KS_PDF_LEX_H

#include "formats/pdf/ks_pdf_val.h"
#include "ks_cur.h"
#include "ks_err.h"

/* Skip white space and comments (7.2.2, 7.2.3). */
void ks_pdf_lex_skip_ws(struct ks_cur *c);
/* One value at the cursor; `depth` is the current nesting (0 at top),
 * limited to KS_PDF_VAL_MAX_DEPTH.  On failure the cursor position is
 * unspecified. */
KS_WUR int ks_pdf_lex_value(struct ks_cur *c, int depth, struct ks_pdf_val **out);

#endif
