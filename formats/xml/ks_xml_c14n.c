/* Canonical XML through libxml2's xmlC14NExecute (W3C C14N 1.0, Exclusive
 * C14N 1.0, C14N 1.1), over a node set described by struct ks_c14n_set.
 *
 * xmlC14NExecute asks a callback whether each node, attribute and
 * namespace node is in the set.  An element is in the set when it lies
 * within the apex and not within an excluded subtree; attributes and
 * namespace nodes follow their element, as in the XPath expression
 * XMLDSig uses for a same-document reference:
 *   (//. | //@* | //namespace::*)[ancestor-or-self::APEX]
 * so the apex gets the namespace declarations it inherits (inclusive
 * C14N) or those it visibly uses (exclusive). */
#include <libxml/c14n.h>
#include <libxml/xmlIO.h>
#include <string.h>

#include "formats/xml/ks_xml.h"

#define PREFIXES_MAX 64
#define PREFIX_LIST_MAX 1024

static const struct {
	enum ks_c14n alg;
	const char *uri;
	int mode; /* xmlC14NMode */
	bool comments;
} algs[] = {
	{ KS_C14N_10, "http://www.w3.org/TR/2001/REC-xml-c14n-20010315", XML_C14N_1_0, false },
	{ KS_C14N_10_COMMENTS, "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
	  XML_C14N_1_0, true },
	{ KS_C14N_EXC, "http://www.w3.org/2001/10/xml-exc-c14n#", XML_C14N_EXCLUSIVE_1_0, false },
	{ KS_C14N_EXC_COMMENTS, "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
	  XML_C14N_EXCLUSIVE_1_0, true },
	{ KS_C14N_11, "http://www.w3.org/2006/12/xml-c14n11", XML_C14N_1_1, false },
	{ KS_C14N_11_COMMENTS, "http://www.w3.org/2006/12/xml-c14n11#WithComments", XML_C14N_1_1,
	  true },
};

bool ks_c14n_parse(const char *uri, enum ks_c14n *out)
{
	size_t i;

	for (i = 0; uri != NULL && i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (strcmp(uri, algs[i].uri) == 0) {
			*out = algs[i].alg;
			return true;
		}
	}
	return false;
}

const char *ks_c14n_uri(enum ks_c14n alg)
{
	return (unsigned)alg < sizeof(algs) / sizeof(algs[0]) ? algs[alg].uri : "";
}

/* Is element (or text, comment, PI) `n` in the set? */
static bool in_set(const struct ks_c14n_set *s, const xmlNode *n)
{
	const xmlNode *p;
	size_t i;

	if (n->type == XML_COMMENT_NODE && !s->comments)
		return false;
	for (p = n; p != NULL; p = p->parent) {
		if (p->type == XML_DOCUMENT_NODE)
			return s->apex == NULL;
		for (i = 0; i < s->n_exclude; i++)
			if (p == s->exclude[i])
				return false;
		if (s->exclude_sigs && ks_xml_is(p, KS_NS_DS, "Signature"))
			return false;
		if (p == s->apex)
			return true;
	}
	return s->apex == NULL;
}

static int is_visible(void *user, xmlNodePtr node, xmlNodePtr parent)
{
	const struct ks_c14n_set *s = user;

	if (node == NULL)
		return 0;
	switch (node->type) {
	case XML_NAMESPACE_DECL:
		/* a namespace node belongs to `parent`, the element it is
		 * in scope on */
		return parent != NULL && parent->type == XML_ELEMENT_NODE && in_set(s, parent);
	case XML_ATTRIBUTE_NODE:
		return node->parent != NULL && in_set(s, node->parent);
	case XML_DOCUMENT_NODE:
		return 1;
	default:
		return in_set(s, node);
	}
}

struct sink {
	EVP_MD_CTX *md;
	struct ks_buf *buf;
	bool failed;
};

static int sink_write(void *ctx, const char *p, int len)
{
	struct sink *s = ctx;

	if (len < 0 || s->failed)
		return -1;
	if (s->md != NULL && EVP_DigestUpdate(s->md, p, (size_t)len) != 1) {
		s->failed = true;
		return -1;
	}
	if (s->buf != NULL && ks_buf_append(s->buf, p, (size_t)len) < 0) {
		s->failed = true;
		return -1;
	}
	return len;
}

static int sink_close(void *ctx)
{
	(void)ctx;
	return 0;
}

/* Split the PrefixList into a NULL-terminated array of pointers into
 * `copy` (which is modified). */
static int split_prefixes(const char *list, char *copy, size_t cap, xmlChar **out)
{
	size_t k = 0, n;
	char *p, *start;

	out[0] = NULL;
	if (list == NULL)
		return 0;
	n = strlen(list);
	if (n >= cap)
		return KS_SET(KS_ERR_LIMIT, "InclusiveNamespaces PrefixList longer than %zu bytes",
			      cap - 1);
	memcpy(copy, list, n + 1);
	for (p = copy; *p != '\0';) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			*p++ = '\0';
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		if (k + 1 >= PREFIXES_MAX)
			return KS_SET(KS_ERR_LIMIT, "more than %d inclusive namespace prefixes",
				      PREFIXES_MAX - 1);
		out[k++] = (xmlChar *)start;
	}
	out[k] = NULL;
	return 0;
}

/* Exclusive C14N of a whole subtree depends on nothing outside it but
 * the namespace declarations it visibly uses (Exclusive XML
 * Canonicalization 1.0, 3); libxml2's copy of the subtree into a document
 * of its own declares exactly those on the copy's root.  Canonicalizing
 * the copy gives the same octets without walking the whole document
 * (SignedInfo and SignedProperties of a large record). */
static bool subtree_alone(const struct ks_c14n_set *set, enum ks_c14n alg,
			  const xmlChar *const *list)
{
	return set->apex != NULL && set->apex->type == XML_ELEMENT_NODE && set->n_exclude == 0 &&
	       !set->exclude_sigs && algs[alg].mode == XML_C14N_EXCLUSIVE_1_0 && list[0] == NULL;
}

static int run(const struct ks_xml_doc *d, const struct ks_c14n_set *set, enum ks_c14n alg,
	       const char *prefixes, struct sink *sk)
{
	xmlOutputBufferPtr ob = NULL;
	xmlChar *list[PREFIXES_MAX];
	char copy[PREFIX_LIST_MAX];
	struct ks_c14n_set alone;
	xmlDocPtr doc = d->doc, tmp = NULL;
	xmlNodePtr root;
	int rc = -1, w;

	if ((unsigned)alg >= sizeof(algs) / sizeof(algs[0]))
		KS_BAIL(KS_ERR_ARG, "unknown canonicalization");
	ks_xml_quiet();
	KS_GUARD(split_prefixes(algs[alg].mode == XML_C14N_EXCLUSIVE_1_0 ? prefixes : NULL, copy,
				sizeof(copy), list));
	if (subtree_alone(set, alg, (const xmlChar *const *)list)) {
		tmp = xmlNewDoc((const xmlChar *)"1.0");
		root = tmp != NULL ? xmlDocCopyNode((xmlNodePtr)set->apex, tmp, 1) : NULL;
		if (root == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		xmlDocSetRootElement(tmp, root);
		memset(&alone, 0, sizeof(alone));
		alone.comments = set->comments;
		set = &alone;
		doc = tmp;
	}
	ob = xmlOutputBufferCreateIO(sink_write, sink_close, sk, NULL);
	if (ob == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	w = xmlC14NExecute(doc, is_visible, (void *)set, algs[alg].mode,
			   list[0] != NULL ? list : NULL, algs[alg].comments ? 1 : 0, ob);
	if (xmlOutputBufferClose(ob) < 0 || sk->failed)
		w = -1;
	ob = NULL;
	if (w < 0)
		KS_BAIL(KS_ERR_XML,
			"canonicalization failed (%s): e.g. a relative namespace URI, which C14N "
			"does not allow",
			algs[alg].uri);
	rc = 0;
out:
	if (ob != NULL)
		xmlOutputBufferClose(ob);
	xmlFreeDoc(tmp);
	return rc;
}

int ks_c14n_digest(const struct ks_xml_doc *d, const struct ks_c14n_set *set, enum ks_c14n alg,
		   const char *prefixes, EVP_MD_CTX *md_ctx)
{
	struct sink sk = { .md = md_ctx };

	return run(d, set, alg, prefixes, &sk);
}

int ks_c14n_buf(const struct ks_xml_doc *d, const struct ks_c14n_set *set, enum ks_c14n alg,
		const char *prefixes, struct ks_buf *out)
{
	struct sink sk = { .buf = out };

	return run(d, set, alg, prefixes, &sk);
}
