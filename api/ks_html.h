/* ks_html: text made safe inside HTML (element content and quoted
 * attribute values) for the verification page.
 *
 * Certificate names, field names and change descriptions come from the
 * uploaded document, so they are attacker text: every such string goes
 * through ks_html_escape before it reaches a page.  The five characters
 * that can end a text run or an attribute (& < > " ') become character
 * references; C0 controls other than tab and newline and DEL are
 * dropped; a byte sequence that is not UTF-8 becomes U+FFFD, so the page
 * stays valid UTF-8 whatever the input. */
#ifndef KS_HTML_H
#define KS_HTML_H

#include <stddef.h>

#include "ks_buf.h"
#include "ks_err.h"

/* Append s (NUL-terminated; NULL appends nothing) escaped to out. */
KS_WUR int ks_html_escape(struct ks_buf *out, const char *s);
/* The same for n bytes. */
KS_WUR int ks_html_escape_n(struct ks_buf *out, const char *s, size_t n);

#endif
