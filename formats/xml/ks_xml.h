/* ks_xml: safe XML input and canonicalization for XMLDSig / XAdES.
 *
 * Hostile documents are the normal case (W3C XML Signature Best
 * Practices, 2013).  Before libxml2 sees a byte, ks_xml_scan() walks the
 * raw input and refuses:
 *  - any DOCTYPE or other markup declaration (no DTD, no entity is ever
 *    defined: billion laughs and external entities cannot start; libxml2
 *    and xmlsec1 1.2.37 have crashed on nested entities);
 *  - encodings other than UTF-8 (a UTF-16 document would hide a DOCTYPE
 *    from a byte scan) and NUL bytes;
 *  - documents past the named limits below (size, nesting depth, node
 *    count, attributes per element, length of one text node).
 * libxml2 then parses with XML_PARSE_NONET and never with NOENT, HUGE,
 * DTDLOAD/DTDATTR/DTDVALID or XINCLUDE; the tree is walked once more to
 * check the same limits and index the ID attributes (Id, ID, id,
 * xml:id), noting a value that appears twice.
 *
 * Canonicalization (C14N 1.0, exclusive C14N 1.0, C14N 1.1, each with and
 * without comments) is libxml2's xmlC14NExecute over a node set this
 * module describes: a subtree (or the whole document) minus excluded
 * subtrees.  Output can stream into a digest. */
#ifndef KS_XML_H
#define KS_XML_H

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_buf.h"
#include "ks_err.h"

/* Limits on input.  A school record is small and shallow; the largest
 * legitimate text nodes are base64 values (certificates, CRLs, photos). */
#define KS_XML_DOC_MAX ((size_t)64 << 20)  /* whole document, bytes */
#define KS_XML_DEPTH_MAX 100               /* element nesting */
#define KS_XML_NODES_MAX ((size_t)1 << 20) /* elements, text runs, comments, PIs */
#define KS_XML_ATTRS_MAX 256               /* attributes + namespace declarations of one element */
#define KS_XML_TEXT_MAX ((size_t)8 << 20)  /* one text node (character data + CDATA) */
#define KS_XML_ID_MAX 256                  /* length of an ID value that is indexed */
#define KS_XML_PATH_MAX ((size_t)512)      /* an element path as reported */
#define KS_XML_EXCLUDE_MAX 8               /* excluded subtrees of one node set */

/* Namespaces. */
#define KS_NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define KS_NS_DS11 "http://www.w3.org/2009/xmldsig11#"
#define KS_NS_DSMORE "http://www.w3.org/2007/05/xmldsig-more#"
#define KS_NS_XADES "http://uri.etsi.org/01903/v1.3.2#"
#define KS_NS_XADES141 "http://uri.etsi.org/01903/v1.4.1#"
#define KS_NS_XPF2 "http://www.w3.org/2002/06/xmldsig-filter2"
#define KS_NS_EXC "http://www.w3.org/2001/10/xml-exc-c14n#"
#define KS_NS_XML "http://www.w3.org/XML/1998/namespace"

/* What the raw scan learnt (offsets into the input). */
struct ks_xml_scan {
	size_t root_name_off, root_name_len; /* qualified name of the root element */
	size_t root_end;  /* offset of the root's end tag "</", or of "/>" when empty */
	bool root_empty;  /* <root .../> */
	size_t nodes;     /* elements, text runs, comments and PIs counted */
	size_t depth_max; /* deepest nesting seen */
};

/* Scan `n` bytes (see the header comment).  KS_ERR_XML for a refused
 * construct (DOCTYPE, encoding, malformed markup the scan cannot step
 * over), KS_ERR_LIMIT past a limit; the message says which. */
KS_WUR int ks_xml_scan(const uint8_t *p, size_t n, struct ks_xml_scan *out);

struct ks_xml_doc {
	xmlDocPtr doc;
	struct ks_xml_scan scan;
	void *ids; /* xmlHashTable: ID value -> element (or a duplicate mark) */
	char dup_id[KS_XML_ID_MAX + 1]; /* first ID value seen twice; "" when none */
	xmlNodePtr *sigs;               /* every ds:Signature element, in document order */
	size_t n_sigs;
};

/* Scan, then parse with libxml2 (safe options), then index.  The input
 * must outlive nothing: libxml2 copies it.  On failure *out is NULL and
 * the error says why (KS_ERR_XML, KS_ERR_LIMIT, KS_ERR_NOMEM). */
KS_WUR int ks_xml_parse(const uint8_t *p, size_t n, struct ks_xml_doc **out);
/* A new document owned by `d` (signing builds enveloping and detached
 * signatures this way).  `root` becomes its root. */
KS_WUR int ks_xml_doc_wrap(xmlDocPtr doc, struct ks_xml_doc **out);
void ks_xml_doc_free(struct ks_xml_doc *d);
/* Initialise libxml2 once and silence its error output on this thread
 * (errors come back through kyso's error instead). */
void ks_xml_quiet(void);
xmlNodePtr ks_xml_root(const struct ks_xml_doc *d);

/* The element whose ID attribute (Id, ID, id or xml:id) has this value;
 * NULL when none, or when the value is not unique (*dup set). */
xmlNodePtr ks_xml_by_id(const struct ks_xml_doc *d, const char *id, bool *dup);
/* Index an ID added after parsing (signing).  KS_ERR_ARG when taken. */
KS_WUR int ks_xml_add_id(struct ks_xml_doc *d, const char *id, xmlNodePtr el);
/* A fresh random ID "PREFIX-<16 hex>" not used in the document. */
KS_WUR int ks_xml_new_id(const struct ks_xml_doc *d, const char *prefix, char *buf, size_t n);

/* ---- tree helpers (no allocation unless said) ---- */

bool ks_xml_is(const xmlNode *n, const char *ns, const char *local);
/* First element child (any name with ns/local NULL), next element sibling. */
xmlNodePtr ks_xml_first(const xmlNode *parent, const char *ns, const char *local);
xmlNodePtr ks_xml_next(const xmlNode *n, const char *ns, const char *local);
/* Number of element children. */
size_t ks_xml_count(const xmlNode *parent, const char *ns, const char *local);
/* Value of an attribute without namespace; NULL when absent.  Points into
 * the tree. */
const char *ks_xml_attr(const xmlNode *n, const char *name);
/* The element's text (its text and CDATA children, which must be all its
 * children) appended to out; KS_ERR_XML when it has element children,
 * KS_ERR_LIMIT past `max` bytes. */
KS_WUR int ks_xml_text(const xmlNode *n, size_t max, struct ks_buf *out);
/* Is `n` inside a ds:Signature (a counter-signature, or a signature in
 * another's ds:Object)? */
bool ks_xml_nested_sig(const xmlNode *n);
/* Is `anc` an ancestor of (or) `n`? */
bool ks_xml_within(const xmlNode *n, const xmlNode *anc);
/* XPath-like location, e.g. "/HocBa/ds:Signature[2]/ds:Object[1]",
 * truncated to KS_XML_PATH_MAX; appended to out. */
KS_WUR int ks_xml_path(const xmlNode *n, struct ks_buf *out);

/* ---- canonicalization ---- */

enum ks_c14n {
	KS_C14N_10 = 0,
	KS_C14N_10_COMMENTS,
	KS_C14N_EXC,
	KS_C14N_EXC_COMMENTS,
	KS_C14N_11,
	KS_C14N_11_COMMENTS,
};

/* Algorithm URI <-> enum.  ks_c14n_parse returns false for any other URI. */
bool ks_c14n_parse(const char *uri, enum ks_c14n *out);
const char *ks_c14n_uri(enum ks_c14n alg);

/* A node set: the subtree of `apex` (NULL: the whole document) without
 * the subtrees of `exclude` and, with `exclude_sigs`, of every
 * ds:Signature element; comments only when `comments` (XMLDSig 4.4.3.3:
 * a same-document URI drops them). */
struct ks_c14n_set {
	const xmlNode *apex;
	const xmlNode *exclude[KS_XML_EXCLUDE_MAX];
	size_t n_exclude;
	bool exclude_sigs;
	bool comments;
};

/* Canonical form of the set with `alg`.  `prefixes` is the exclusive
 * C14N InclusiveNamespaces PrefixList (space separated, "#default" for
 * the default namespace), NULL for none; ignored by the inclusive forms.
 * ks_c14n_digest feeds the bytes into `md_ctx` (initialised by the
 * caller); ks_c14n_buf appends them to out. */
KS_WUR int ks_c14n_digest(const struct ks_xml_doc *d, const struct ks_c14n_set *set,
			  enum ks_c14n alg, const char *prefixes, EVP_MD_CTX *md_ctx);
KS_WUR int ks_c14n_buf(const struct ks_xml_doc *d, const struct ks_c14n_set *set, enum ks_c14n alg,
		       const char *prefixes, struct ks_buf *out);

/* Serialize one element (and its subtree) as written into a document,
 * no indentation; appended to out. */
KS_WUR int ks_xml_dump_node(const struct ks_xml_doc *d, xmlNodePtr n, struct ks_buf *out);
/* Serialize the whole document (UTF-8, XML declaration); appended to out. */
KS_WUR int ks_xml_dump_doc(const struct ks_xml_doc *d, struct ks_buf *out);

#endif
