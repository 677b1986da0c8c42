/* Parsing with libxml2 after the raw scan, the ID index, tree helpers and
 * serialization. */
#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "formats/xml/ks_xml.h"
#include "ks_codec.h"
#include "ks_size.h"

/* The options: network off, entities never substituted, no DTD of any
 * kind, no XInclude, libxml2's own size limits kept (no HUGE). */
#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
#define SIGS_CAP_MAX 4096 /* ds:Signature elements indexed */

static const char dup_mark = 0; /* hash value of a duplicated ID */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void silent_structured(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

/* Defence in depth: libxml2 never loads anything from outside the
 * document (no DTD reaches it, but a loader that refuses makes sure). */
static xmlParserInputPtr no_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static void init_libxml(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(no_loader);
}

/* libxml2 error handlers are per thread: quiet them where kyso calls in. */
void ks_xml_quiet(void)
{
	pthread_once(&init_once, init_libxml);
	xmlSetGenericErrorFunc(NULL, silent);
	xmlSetStructuredErrorFunc(NULL, silent_structured);
}

bool ks_xml_is(const xmlNode *n, const char *ns, const char *local)
{
	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return false;
	if (local != NULL && strcmp((const char *)n->name, local) != 0)
		return false;
	if (ns == NULL)
		return true;
	return n->ns != NULL && n->ns->href != NULL && strcmp((const char *)n->ns->href, ns) == 0;
}

xmlNodePtr ks_xml_next(const xmlNode *n, const char *ns, const char *local)
{
	xmlNodePtr c;

	for (c = n != NULL ? n->next : NULL; c != NULL; c = c->next)
		if (ks_xml_is(c, ns, local))
			return c;
	return NULL;
}

xmlNodePtr ks_xml_first(const xmlNode *parent, const char *ns, const char *local)
{
	xmlNodePtr c;

	for (c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next)
		if (ks_xml_is(c, ns, local))
			return c;
	return NULL;
}

size_t ks_xml_count(const xmlNode *parent, const char *ns, const char *local)
{
	size_t k = 0;
	xmlNodePtr c;

	for (c = ks_xml_first(parent, ns, local); c != NULL; c = ks_xml_next(c, ns, local))
		k++;
	return k;
}

const char *ks_xml_attr(const xmlNode *n, const char *name)
{
	xmlAttrPtr a;

	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return NULL;
	for (a = n->properties; a != NULL; a = a->next) {
		if (a->ns != NULL || strcmp((const char *)a->name, name) != 0)
			continue;
		/* Without a DTD an attribute's value is one text node (or none
		 * when empty). */
		if (a->children == NULL)
			return "";
		if (a->children->type != XML_TEXT_NODE || a->children->next != NULL)
			return NULL;
		return (const char *)a->children->content;
	}
	return NULL;
}

int ks_xml_text(const xmlNode *n, size_t max, struct ks_buf *out)
{
	xmlNodePtr c;
	size_t k;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE)
			continue;
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			return KS_SET(KS_ERR_XML, "<%s> must hold text only",
				      (const char *)n->name);
		k = strlen((const char *)c->content);
		if (k > max || out->len > max - k)
			return KS_SET(KS_ERR_LIMIT, "<%s> holds more than %zu bytes",
				      (const char *)n->name, max);
		if (ks_buf_append(out, c->content, k) < 0)
			return -1;
	}
	return 0;
}

bool ks_xml_nested_sig(const xmlNode *n)
{
	for (n = n->parent; n != NULL; n = n->parent)
		if (ks_xml_is(n, KS_NS_DS, "Signature"))
			return true;
	return false;
}

bool ks_xml_within(const xmlNode *n, const xmlNode *anc)
{
	for (; n != NULL; n = n->parent)
		if (n == anc)
			return true;
	return false;
}

/* Position among same-named element siblings, from 1. */
static size_t sibling_index(const xmlNode *n)
{
	const xmlNode *s;
	size_t k = 1;

	for (s = n->prev; s != NULL; s = s->prev)
		if (s->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)s->name, (const char *)n->name) == 0 &&
		    (s->ns == NULL ? n->ns == NULL
				   : n->ns != NULL && xmlStrEqual(s->ns->href, n->ns->href)))
			k++;
	return k;
}

int ks_xml_path(const xmlNode *n, struct ks_buf *out)
{
	const xmlNode *chain[KS_XML_DEPTH_MAX + 1];
	size_t depth = 0, i, start = out->len, idx;
	const char *prefix;

	for (; n != NULL && n->type == XML_ELEMENT_NODE && depth < KS_XML_DEPTH_MAX + 1;
	     n = n->parent)
		chain[depth++] = n;
	for (i = depth; i-- > 0;) {
		prefix = chain[i]->ns != NULL && chain[i]->ns->prefix != NULL
			     ? (const char *)chain[i]->ns->prefix
			     : NULL;
		idx = i + 1 == depth ? 0 : sibling_index(chain[i]);
		if (ks_buf_printf(out, "/%s%s%s", prefix != NULL ? prefix : "",
				  prefix != NULL ? ":" : "", (const char *)chain[i]->name) < 0)
			return -1;
		if (idx > 0 && ks_buf_printf(out, "[%zu]", idx) < 0)
			return -1;
		if (out->len - start > KS_XML_PATH_MAX) {
			ks_buf_truncate(out, start + KS_XML_PATH_MAX);
			return ks_buf_append_str(out, "...");
		}
	}
	return 0;
}

/* ---- ID index ---- */

static bool id_attr(const xmlAttr *a)
{
	if (a->ns == NULL)
		return strcmp((const char *)a->name, "Id") == 0 ||
		       strcmp((const char *)a->name, "ID") == 0 ||
		       strcmp((const char *)a->name, "id") == 0;
	return strcmp((const char *)a->name, "id") == 0 && a->ns->href != NULL &&
	       strcmp((const char *)a->ns->href, KS_NS_XML) == 0;
}

static int index_id(struct ks_xml_doc *d, const char *value, xmlNodePtr el)
{
	xmlHashTablePtr h = d->ids;
	void *prev;

	if (strlen(value) > KS_XML_ID_MAX)
		return 0; /* too long to be referenced by kyso; not indexed */
	prev = xmlHashLookup(h, (const xmlChar *)value);
	if (prev == NULL) {
		if (xmlHashAddEntry(h, (const xmlChar *)value, el) != 0)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		return 0;
	}
	if (prev == el)
		return 0; /* Id and id on one element with one value */
	if (d->dup_id[0] == '\0')
		snprintf(d->dup_id, sizeof(d->dup_id), "%s", value);
	if (xmlHashUpdateEntry(h, (const xmlChar *)value, (void *)&dup_mark, NULL) != 0)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	return 0;
}

xmlNodePtr ks_xml_by_id(const struct ks_xml_doc *d, const char *id, bool *dup)
{
	void *v = xmlHashLookup(d->ids, (const xmlChar *)id);

	*dup = v == &dup_mark;
	return *dup ? NULL : v;
}

int ks_xml_add_id(struct ks_xml_doc *d, const char *id, xmlNodePtr el)
{
	if (xmlHashLookup(d->ids, (const xmlChar *)id) != NULL)
		return KS_SET(KS_ERR_ARG, "ID '%s' is already used in the document", id);
	if (xmlHashAddEntry(d->ids, (const xmlChar *)id, el) != 0)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	return 0;
}

int ks_xml_new_id(const struct ks_xml_doc *d, const char *prefix, char *buf, size_t n)
{
	uint8_t r[8];
	struct ks_buf hex;
	int tries, rc = -1;

	ks_buf_init(&hex, 64);
	for (tries = 0; tries < 8; tries++) {
		ks_buf_reset(&hex);
		if (RAND_bytes(r, sizeof(r)) != 1)
			KS_BAIL_OSSL(KS_ERR_CRYPTO, "random ID");
		KS_GUARD(ks_hex_encode(r, sizeof(r), &hex));
		KS_GUARD(ks_buf_append_byte(&hex, 0));
		if ((size_t)snprintf(buf, n, "%s-%s", prefix, (const char *)hex.data) >= n)
			KS_BAIL(KS_ERR_ARG, "ID prefix too long");
		if (xmlHashLookup(d->ids, (const xmlChar *)buf) == NULL) {
			rc = 0;
			goto out;
		}
	}
	KS_SET(KS_ERR_INTERNAL, "no free random ID");
out:
	ks_buf_cleanup(&hex);
	return rc;
}

/* ---- parse and walk ---- */

static int add_sig(struct ks_xml_doc *d, xmlNodePtr n, size_t *cap)
{
	xmlNodePtr *grown;
	size_t ncap;

	if (d->n_sigs == *cap) {
		if (*cap >= SIGS_CAP_MAX)
			return KS_SET(KS_ERR_LIMIT, "more than %d signatures in one document",
				      SIGS_CAP_MAX);
		ncap = *cap == 0 ? 8 : *cap * 2;
		grown = realloc(d->sigs, ncap * sizeof(*grown));
		if (grown == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		d->sigs = grown;
		*cap = ncap;
	}
	d->sigs[d->n_sigs++] = n;
	return 0;
}

/* Check one node of the walk (the limits again, on what libxml2 built)
 * and index it. */
static int visit(struct ks_xml_doc *d, xmlNodePtr n, size_t depth, size_t *nodes, size_t *cap)
{
	xmlAttrPtr a;
	xmlNsPtr ns;
	size_t attrs = 0;
	const char *v;

	if (++*nodes > KS_XML_NODES_MAX)
		return KS_SET(KS_ERR_LIMIT, "more than %zu XML nodes", KS_XML_NODES_MAX);
	switch (n->type) {
	case XML_ELEMENT_NODE:
		break;
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (n->content != NULL && strlen((const char *)n->content) > KS_XML_TEXT_MAX)
			return KS_SET(KS_ERR_LIMIT, "a text node is longer than %zu bytes",
				      KS_XML_TEXT_MAX);
		return 0;
	case XML_COMMENT_NODE:
	case XML_PI_NODE:
		return 0;
	default:
		/* entity references, DTD nodes, XInclude markers: none may exist */
		return KS_SET(KS_ERR_XML, "unexpected XML node type %d", (int)n->type);
	}
	if (depth > KS_XML_DEPTH_MAX)
		return KS_SET(KS_ERR_LIMIT, "elements nested deeper than %d", KS_XML_DEPTH_MAX);
	for (ns = n->nsDef; ns != NULL; ns = ns->next)
		attrs++;
	for (a = n->properties; a != NULL; a = a->next) {
		if (++attrs > KS_XML_ATTRS_MAX)
			return KS_SET(KS_ERR_LIMIT, "an element has more than %d attributes",
				      KS_XML_ATTRS_MAX);
		if (!id_attr(a))
			continue;
		v = a->children == NULL ? ""
		    : a->children->type == XML_TEXT_NODE && a->children->next == NULL
			? (const char *)a->children->content
			: NULL;
		if (v == NULL)
			return KS_SET(KS_ERR_XML, "unexpected ID attribute content");
		if (index_id(d, v, n) < 0)
			return -1;
	}
	if (ks_xml_is(n, KS_NS_DS, "Signature"))
		return add_sig(d, n, cap);
	return 0;
}

/* Iterative pre-order walk of the whole document. */
static int walk(struct ks_xml_doc *d)
{
	xmlNodePtr n = d->doc->children;
	size_t depth = 0, nodes = 0, cap = 0;

	while (n != NULL) {
		if (n->type == XML_DTD_NODE)
			return KS_SET(KS_ERR_XML, "DOCTYPE in the parsed document");
		if (visit(d, n, depth + 1, &nodes, &cap) < 0)
			return -1;
		if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
			n = n->children;
			depth++;
			continue;
		}
		while (n != NULL && n->next == NULL) {
			n = n->parent;
			if (n == NULL || n->type == XML_DOCUMENT_NODE)
				return 0;
			depth--;
		}
		if (n != NULL)
			n = n->next;
	}
	return 0;
}

static int new_doc(xmlDocPtr doc, struct ks_xml_doc **out)
{
	struct ks_xml_doc *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (d == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	d->doc = doc;
	d->ids = xmlHashCreate(64);
	if (d->ids == NULL) {
		d->doc = NULL;
		ks_xml_doc_free(d);
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	*out = d;
	return 0;
}

int ks_xml_parse(const uint8_t *p, size_t n, struct ks_xml_doc **out)
{
	struct ks_xml_scan scan;
	struct ks_xml_doc *d = NULL;
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	const xmlError *e;
	int len = 0, rc = -1;

	*out = NULL;
	KS_GUARD(ks_xml_scan(p, n, &scan));
	KS_GUARD(ks_size_to_int(n, &len));
	ks_xml_quiet();
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	doc = xmlCtxtReadMemory(ctxt, (const char *)p, len, NULL, NULL, PARSE_OPTIONS);
	if (doc == NULL || !ctxt->wellFormed) {
		e = xmlCtxtGetLastError(ctxt);
		KS_BAIL(KS_ERR_XML, "not well-formed XML: %s (line %d)",
			e != NULL && e->message != NULL ? e->message : "parse error\n",
			e != NULL ? e->line : 0);
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL)
		KS_BAIL(KS_ERR_XML, "DOCTYPE in the parsed document");
	KS_GUARD(new_doc(doc, &d));
	doc = NULL;
	d->scan = scan;
	KS_GUARD(walk(d));
	if (ks_xml_root(d) == NULL)
		KS_BAIL(KS_ERR_XML, "no root element");
	*out = d;
	d = NULL;
	rc = 0;
out:
	if (rc < 0 && ks_err_code() == KS_ERR_XML) {
		/* libxml2 messages end with a newline */
		char *nl = strchr(ks_err_msg(), '\n');

		if (nl != NULL)
			KS_SET(KS_ERR_XML, "%.*s%s", (int)(nl - ks_err_msg()), ks_err_msg(),
			       nl + 1);
	}
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	ks_xml_doc_free(d);
	return rc;
}

int ks_xml_doc_wrap(xmlDocPtr doc, struct ks_xml_doc **out)
{
	pthread_once(&init_once, init_libxml);
	return new_doc(doc, out);
}

void ks_xml_doc_free(struct ks_xml_doc *d)
{
	if (d == NULL)
		return;
	xmlHashFree(d->ids, NULL);
	xmlFreeDoc(d->doc);
	free(d->sigs);
	free(d);
}

xmlNodePtr ks_xml_root(const struct ks_xml_doc *d)
{
	return xmlDocGetRootElement(d->doc);
}

/* ---- serialization ---- */

static int dump_to(struct ks_buf *out, xmlBufferPtr b)
{
	return ks_buf_append(out, xmlBufferContent(b), (size_t)xmlBufferLength(b));
}

int ks_xml_dump_node(const struct ks_xml_doc *d, xmlNodePtr n, struct ks_buf *out)
{
	xmlBufferPtr b = xmlBufferCreate();
	int rc = -1;

	ks_xml_quiet();
	if (b == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (xmlNodeDump(b, d->doc, n, 0, 0) < 0)
		KS_BAIL(KS_ERR_XML, "serializing an element failed");
	KS_GUARD(dump_to(out, b));
	rc = 0;
out:
	xmlBufferFree(b);
	return rc;
}

int ks_xml_dump_doc(const struct ks_xml_doc *d, struct ks_buf *out)
{
	xmlChar *mem = NULL;
	int len = 0, rc = -1;

	ks_xml_quiet();
	xmlDocDumpMemoryEnc(d->doc, &mem, &len, "UTF-8");
	if (mem == NULL || len < 0)
		KS_BAIL(KS_ERR_XML, "serializing the document failed");
	KS_GUARD(ks_buf_append(out, mem, (size_t)len));
	rc = 0;
out:
	xmlFree(mem);
	return rc;
}
