/* The raw scan that runs before any XML library sees a document.
 *
 * It is a small lexer over the bytes (XML 1.0, 2.1-2.8, 3.1, 4.3): the
 * prolog (XML declaration, comments, processing instructions), tags with
 * quoted attribute values, character data, CDATA sections and comments,
 * and the misc after the root.  It refuses every `<!` that is not a
 * comment or a CDATA section -- the DOCTYPE first of all -- and counts
 * what the limits bound.  Malformed markup it cannot step over is refused
 * too; markup it steps over but that is not well-formed is left for
 * libxml2 to refuse. */
#include <string.h>
#include <strings.h>

#include "formats/xml/ks_xml.h"
#include "ks_cur.h"
#include "ks_size.h"

#define DECL_MAX 256 /* the XML declaration */

static bool is_space(uint8_t b)
{
	return b == ' ' || b == '\t' || b == '\r' || b == '\n';
}

/* Bytes before the first `b` (all of them when absent). */
static size_t span_to_byte(const struct ks_cur *c, uint8_t b)
{
	const uint8_t *hit = memchr(c->p, b, c->left);

	return hit == NULL ? c->left : (size_t)(hit - c->p);
}

/* Move past the next occurrence of `lit`; KS_ERR_XML when there is none. */
static int skip_past(struct ks_cur *c, const char *lit, const char *what,
		     const struct ks_cur *whole)
{
	size_t n = strlen(lit);
	const uint8_t *hit = memmem(c->p, c->left, lit, n);

	if (hit == NULL)
		return KS_SET(KS_ERR_XML, "unterminated %s at offset %zu", what,
			      ks_cur_pos(whole, c));
	return ks_cur_skip(c, (size_t)(hit - c->p) + n);
}

static bool starts_ci(const struct ks_cur *c, const char *lit)
{
	size_t n = strlen(lit);

	return c->left >= n && strncasecmp((const char *)c->p, lit, n) == 0;
}

static int count_node(struct ks_xml_scan *s)
{
	if (++s->nodes > KS_XML_NODES_MAX)
		return KS_SET(KS_ERR_LIMIT, "more than %zu XML nodes", KS_XML_NODES_MAX);
	return 0;
}

/* <?xml version="1.0" encoding="..."?>: only UTF-8 (or its ASCII subset)
 * is read, so that the byte scan sees what the parser will see. */
static int check_decl(struct ks_cur *c)
{
	struct ks_cur d = *c, v;
	size_t end, k;
	const uint8_t *q = NULL;
	uint8_t quote;
	char enc[32];

	if (!ks_cur_starts_with(c, "<?xml", 5) || c->left < 6 || !is_space(c->p[5]))
		return 0;
	end = span_to_byte(c, '>');
	if (end == c->left || end > DECL_MAX)
		return KS_SET(KS_ERR_XML, "malformed XML declaration");
	KS_GUARD(ks_cur_sub(&d, end, &v));
	while (v.left > 8) {
		if (memcmp(v.p, "encoding", 8) == 0) {
			q = v.p;
			break;
		}
		if (ks_cur_skip(&v, 1) < 0)
			goto out;
	}
	if (q != NULL) {
		KS_GUARD(ks_cur_skip(&v, 8));
		ks_cur_skip_while(&v, is_space);
		KS_GUARD(ks_cur_expect(&v, "=", 1));
		ks_cur_skip_while(&v, is_space);
		KS_GUARD(ks_cur_u8(&v, &quote));
		if (quote != '"' && quote != '\'')
			return KS_SET(KS_ERR_XML, "malformed encoding declaration");
		k = span_to_byte(&v, quote);
		if (k == v.left || k >= sizeof(enc))
			return KS_SET(KS_ERR_XML, "malformed encoding declaration");
		KS_GUARD(ks_cur_copy(&v, enc, k));
		enc[k] = '\0';
		if (strcasecmp(enc, "UTF-8") != 0 && strcasecmp(enc, "UTF8") != 0 &&
		    strcasecmp(enc, "US-ASCII") != 0 && strcasecmp(enc, "ASCII") != 0)
			return KS_SET(KS_ERR_XML,
				      "document encoding '%s' refused: kyso reads UTF-8 XML only",
				      enc);
	}
	return 0;
out:
	return -1;
}

/* A start tag from its '<': name, quoted attributes, '>' or '/>'. */
static int start_tag(struct ks_cur *c, const struct ks_cur *whole, bool *empty, size_t *name_off,
		     size_t *name_len)
{
	size_t attrs = 0, k;
	uint8_t b, quote;

	*empty = false;
	KS_GUARD(ks_cur_skip(c, 1));
	*name_off = ks_cur_pos(whole, c);
	for (k = 0; k < c->left; k++) {
		b = c->p[k];
		if (is_space(b) || b == '/' || b == '>')
			break;
	}
	if (k == 0 || k == c->left)
		return KS_SET(KS_ERR_XML, "malformed start tag at offset %zu", *name_off - 1);
	*name_len = k;
	KS_GUARD(ks_cur_skip(c, k));
	for (;;) {
		ks_cur_skip_while(c, is_space);
		if (ks_cur_accept(c, ">", 1))
			return 0;
		if (ks_cur_accept(c, "/>", 2)) {
			*empty = true;
			return 0;
		}
		/* attribute name, '=', quoted value */
		for (k = 0; k < c->left; k++) {
			b = c->p[k];
			if (is_space(b) || b == '=' || b == '>' || b == '<' || b == '/')
				break;
		}
		if (k == 0)
			return KS_SET(KS_ERR_XML, "malformed start tag at offset %zu",
				      ks_cur_pos(whole, c));
		if (++attrs > KS_XML_ATTRS_MAX)
			return KS_SET(KS_ERR_LIMIT, "an element has more than %d attributes",
				      KS_XML_ATTRS_MAX);
		KS_GUARD(ks_cur_skip(c, k));
		ks_cur_skip_while(c, is_space);
		if (!ks_cur_accept(c, "=", 1))
			return KS_SET(KS_ERR_XML, "attribute without a value at offset %zu",
				      ks_cur_pos(whole, c));
		ks_cur_skip_while(c, is_space);
		if (ks_cur_u8(c, &quote) < 0 || (quote != '"' && quote != '\''))
			return KS_SET(KS_ERR_XML, "unquoted attribute value at offset %zu",
				      ks_cur_pos(whole, c));
		k = span_to_byte(c, quote);
		if (k == c->left)
			return KS_SET(KS_ERR_XML, "unterminated attribute value");
		KS_GUARD(ks_cur_skip(c, k + 1));
	}
out:
	return -1;
}

static int refuse_decl(const struct ks_cur *c, const struct ks_cur *whole)
{
	if (starts_ci(c, "<!DOCTYPE"))
		return KS_SET(KS_ERR_XML,
			      "DOCTYPE declaration at offset %zu refused: kyso never reads DTDs or "
			      "entity declarations (entity expansion and external entities are "
			      "attacks on XML signatures)",
			      ks_cur_pos(whole, c));
	return KS_SET(KS_ERR_XML, "markup declaration '<!' at offset %zu refused",
		      ks_cur_pos(whole, c));
}

int ks_xml_scan(const uint8_t *p, size_t n, struct ks_xml_scan *out)
{
	struct ks_cur whole, c;
	size_t depth = 0, text = 0, k, name_off = 0, name_len = 0, off;
	bool root_seen = false, root_done = false, empty;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (n > KS_XML_DOC_MAX)
		KS_BAIL(KS_ERR_LIMIT, "XML document of %zu bytes: the limit is %zu", n,
			KS_XML_DOC_MAX);
	if (n >= 2 && ((p[0] == 0xfe && p[1] == 0xff) || (p[0] == 0xff && p[1] == 0xfe)))
		KS_BAIL(KS_ERR_XML, "UTF-16 document refused: kyso reads UTF-8 XML only");
	if (memchr(p, 0, n) != NULL)
		KS_BAIL(KS_ERR_XML, "NUL byte in the document (UTF-16 or UTF-32, or not XML)");
	ks_cur_init(&whole, p, n);
	c = whole;
	(void)ks_cur_accept(&c, "\xef\xbb\xbf", 3); /* UTF-8 byte order mark */
	KS_GUARD(check_decl(&c));
	while (!ks_cur_eof(&c)) {
		if (c.p[0] != '<') {
			k = span_to_byte(&c, '<');
			text += k;
			if (text > KS_XML_TEXT_MAX)
				KS_BAIL(KS_ERR_LIMIT, "a text node is longer than %zu bytes",
					KS_XML_TEXT_MAX);
			KS_GUARD(ks_cur_skip(&c, k));
			KS_GUARD(count_node(out));
			continue;
		}
		if (ks_cur_starts_with(&c, "<![CDATA[", 9)) {
			off = ks_cur_pos(&whole, &c);
			KS_GUARD(skip_past(&c, "]]>", "CDATA section", &whole));
			text += ks_cur_pos(&whole, &c) - off;
			if (text > KS_XML_TEXT_MAX)
				KS_BAIL(KS_ERR_LIMIT, "a text node is longer than %zu bytes",
					KS_XML_TEXT_MAX);
			KS_GUARD(count_node(out));
			continue;
		}
		text = 0;
		if (ks_cur_starts_with(&c, "<!--", 4)) {
			KS_GUARD(ks_cur_skip(&c, 4));
			KS_GUARD(skip_past(&c, "-->", "comment", &whole));
			KS_GUARD(count_node(out));
		} else if (ks_cur_starts_with(&c, "<!", 2)) {
			KS_GUARD(refuse_decl(&c, &whole));
		} else if (ks_cur_starts_with(&c, "<?", 2)) {
			KS_GUARD(skip_past(&c, "?>", "processing instruction", &whole));
			KS_GUARD(count_node(out));
		} else if (ks_cur_starts_with(&c, "</", 2)) {
			off = ks_cur_pos(&whole, &c);
			k = span_to_byte(&c, '>');
			if (k == c.left)
				KS_BAIL(KS_ERR_XML, "unterminated end tag at offset %zu", off);
			if (depth == 0)
				KS_BAIL(KS_ERR_XML, "end tag without a start tag at offset %zu",
					off);
			KS_GUARD(ks_cur_skip(&c, k + 1));
			if (--depth == 0) {
				root_done = true;
				out->root_end = off;
			}
		} else {
			if (root_done)
				KS_BAIL(KS_ERR_XML, "content after the root element (offset %zu)",
					ks_cur_pos(&whole, &c));
			off = ks_cur_pos(&whole, &c);
			KS_GUARD(start_tag(&c, &whole, &empty, &name_off, &name_len));
			KS_GUARD(count_node(out));
			if (!root_seen) {
				root_seen = true;
				out->root_name_off = name_off;
				out->root_name_len = name_len;
			}
			if (empty) {
				if (depth == 0) {
					root_done = true;
					out->root_empty = true;
					out->root_end = ks_cur_pos(&whole, &c) - 2;
				}
			} else if (++depth > KS_XML_DEPTH_MAX) {
				KS_BAIL(KS_ERR_LIMIT, "elements nested deeper than %d (offset %zu)",
					KS_XML_DEPTH_MAX, off);
			}
			if (depth > out->depth_max)
				out->depth_max = depth;
		}
	}
	if (!root_seen)
		KS_BAIL(KS_ERR_XML, "no root element: not an XML document");
	if (!root_done)
		KS_BAIL(KS_ERR_XML, "the root element is not closed (truncated document)");
	rc = 0;
out:
	return rc;
}
