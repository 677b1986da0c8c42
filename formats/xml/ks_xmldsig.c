/* XMLDSig (W3C XML Signature Syntax and Processing 1.1) within kyso's
 * profile: parsing SignedInfo and References, computing reference
 * digests, checking the signature value.  See ks_xmldsig.h. */
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/xml/ks_xmldsig.h"
#include "ks_codec.h"
#include "ks_cur.h"
#include "ks_size.h"

#define XPATH_MAX 128 /* text of the one accepted XPath Filter 2.0 expression */
#define PSS_SALT_MAX 1024
#define PSS_INT_MAX_DIGITS 5

static const struct {
	const char *uri;
	int nid;
	const char *label;
} md_table[] = {
	{ "http://www.w3.org/2001/04/xmlenc#sha256", NID_sha256, "SHA-256" },
	{ "http://www.w3.org/2001/04/xmldsig-more#sha384", NID_sha384, "SHA-384" },
	{ "http://www.w3.org/2001/04/xmlenc#sha512", NID_sha512, "SHA-512" },
	{ "http://www.w3.org/2001/04/xmldsig-more#sha224", NID_sha224, "SHA-224" },
	{ "http://www.w3.org/2000/09/xmldsig#sha1", NID_sha1, "SHA-1" },
	{ "http://www.w3.org/2001/04/xmldsig-more#md5", NID_md5, "MD5" },
};

static const struct {
	const char *uri;
	enum ks_sig_scheme scheme;
	int nid;
	bool pss_params;
} sm_table[] = {
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", KS_SIG_RSA_PKCS1, NID_sha256,
	  false },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", KS_SIG_RSA_PKCS1, NID_sha384,
	  false },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", KS_SIG_RSA_PKCS1, NID_sha512,
	  false },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha224", KS_SIG_RSA_PKCS1, NID_sha224,
	  false },
	{ "http://www.w3.org/2000/09/xmldsig#rsa-sha1", KS_SIG_RSA_PKCS1, NID_sha1, false },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", KS_SIG_ECDSA, NID_sha256, false },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", KS_SIG_ECDSA, NID_sha384, false },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", KS_SIG_ECDSA, NID_sha512, false },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha224", KS_SIG_ECDSA, NID_sha224, false },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1", KS_SIG_ECDSA, NID_sha1, false },
	/* RFC 6931 2.3.11: RSASSA-PSS, MGF1 with the same hash, salt as
	 * long as the hash, trailer 1. */
	{ "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1", KS_SIG_RSA_PSS, NID_sha256,
	  false },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1", KS_SIG_RSA_PSS, NID_sha384,
	  false },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1", KS_SIG_RSA_PSS, NID_sha512,
	  false },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha1-rsa-MGF1", KS_SIG_RSA_PSS, NID_sha1, false },
	/* RFC 6931 2.3.10: parameters in RSAPSSParams. */
	{ "http://www.w3.org/2007/05/xmldsig-more#rsa-pss", KS_SIG_RSA_PSS, NID_sha256, true },
};

int ks_dsig_md_nid(const char *uri)
{
	size_t i;

	for (i = 0; uri != NULL && i < sizeof(md_table) / sizeof(md_table[0]); i++)
		if (strcmp(uri, md_table[i].uri) == 0)
			return md_table[i].nid;
	return NID_undef;
}

const char *ks_dsig_md_label(int nid)
{
	size_t i;

	for (i = 0; i < sizeof(md_table) / sizeof(md_table[0]); i++)
		if (md_table[i].nid == nid)
			return md_table[i].label;
	return "?";
}

int ks_dsig_md_to_nid(enum ks_md md)
{
	return md == KS_MD_SHA512 ? NID_sha512 : md == KS_MD_SHA384 ? NID_sha384 : NID_sha256;
}

const char *ks_dsig_md_uri(enum ks_md md)
{
	int nid = ks_dsig_md_to_nid(md);
	size_t i;

	for (i = 0; i < sizeof(md_table) / sizeof(md_table[0]); i++)
		if (md_table[i].nid == nid)
			return md_table[i].uri;
	return "";
}

const char *ks_dsig_sigmethod_uri(enum ks_sig_scheme scheme, enum ks_md md)
{
	int nid = ks_dsig_md_to_nid(md);
	size_t i;

	for (i = 0; i < sizeof(sm_table) / sizeof(sm_table[0]); i++)
		if (sm_table[i].scheme == scheme && sm_table[i].nid == nid &&
		    !sm_table[i].pss_params)
			return sm_table[i].uri;
	return "";
}

void ks_dsig_fail(struct ks_dsig_problem *p, enum ks_subindication sub, const char *fmt, ...)
{
	va_list ap;

	if (p->sub != KS_SUB_NONE)
		return;
	p->sub = sub;
	va_start(ap, fmt);
	if (vsnprintf(p->why, sizeof(p->why), fmt, ap) < 0)
		p->why[0] = '\0';
	va_end(ap);
}

void ks_dsig_init(struct ks_dsig *s)
{
	memset(s, 0, sizeof(*s));
	ks_buf_init(&s->value, KS_DSIG_VALUE_MAX);
}

void ks_dsig_cleanup(struct ks_dsig *s)
{
	ks_buf_cleanup(&s->value);
	memset(s, 0, sizeof(*s));
}

/* Base64 text of an element into `out` (at most `max` decoded bytes). */
static int b64_text(const xmlNode *el, size_t max, struct ks_buf *out, bool *ok)
{
	struct ks_buf t;
	int rc = -1;

	*ok = false;
	/* base64 of `max` bytes plus generous white space */
	ks_buf_init(&t, max * 2 + 64);
	if (ks_xml_text(el, max * 2 + 64, &t) < 0 ||
	    ks_base64_decode((const char *)t.data, t.len, true, out) < 0 || out->len > max) {
		if (ks_err_code() == KS_ERR_NOMEM)
			goto out;
		ks_err_clear();
		rc = 0;
		goto out;
	}
	*ok = true;
	rc = 0;
out:
	ks_buf_cleanup(&t);
	return rc;
}

static const char *alg_attr(const xmlNode *el)
{
	return ks_xml_attr(el, "Algorithm");
}

/* The one XPath Filter 2.0 form kyso accepts: subtract every ds:Signature
 * ("/descendant::ds:Signature" or "//ds:Signature" with `ds` bound to the
 * XMLDSig namespace where the expression is written). */
static bool xpf2_subtract_sigs(const xmlNode *tr)
{
	const xmlNode *x = ks_xml_first(tr, KS_NS_XPF2, "XPath");
	const char *filter, *e, *colon, *start;
	char text[XPATH_MAX + 1], prefix[64];
	struct ks_buf b;
	size_t n;
	xmlNsPtr ns;
	bool ok = false;

	if (x == NULL || ks_xml_next(x, NULL, NULL) != NULL || ks_xml_count(tr, NULL, NULL) != 1)
		return false;
	filter = ks_xml_attr(x, "Filter");
	if (filter == NULL || strcmp(filter, "subtract") != 0)
		return false;
	ks_buf_init(&b, XPATH_MAX);
	if (ks_xml_text(x, XPATH_MAX, &b) < 0) {
		ks_err_clear();
		goto out;
	}
	n = b.len;
	memcpy(text, b.data, n);
	text[n] = '\0';
	start = text;
	while (*start == ' ' || *start == '\n' || *start == '\t' || *start == '\r')
		start++;
	n = strlen(start);
	while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\n' || start[n - 1] == '\t' ||
			 start[n - 1] == '\r'))
		n--;
	if (strncmp(start, "/descendant::", 13) == 0)
		e = start + 13;
	else if (strncmp(start, "//", 2) == 0)
		e = start + 2;
	else
		goto out;
	colon = strchr(e, ':');
	if (colon == NULL || (size_t)(colon - e) >= sizeof(prefix) ||
	    (size_t)(start + n - colon) != strlen(":Signature") ||
	    strncmp(colon, ":Signature", strlen(":Signature")) != 0)
		goto out;
	memcpy(prefix, e, (size_t)(colon - e));
	prefix[colon - e] = '\0';
	ns = xmlSearchNs(x->doc, (xmlNodePtr)x, (const xmlChar *)prefix);
	ok = ns != NULL && ns->href != NULL && strcmp((const char *)ns->href, KS_NS_DS) == 0;
out:
	ks_buf_cleanup(&b);
	return ok;
}

static int parse_transforms(const xmlNode *trs, struct ks_dsig_ref *r, struct ks_dsig_problem *p)
{
	const xmlNode *t, *inc;
	const char *alg;
	size_t k = 0;

	for (t = ks_xml_first(trs, NULL, NULL); t != NULL; t = ks_xml_next(t, NULL, NULL)) {
		if (!ks_xml_is(t, KS_NS_DS, "Transform")) {
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "unexpected <%s> in ds:Transforms",
				     (const char *)t->name);
			return 1;
		}
		if (++k > KS_DSIG_TRANSFORMS_MAX) {
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "more than %d transforms",
				     KS_DSIG_TRANSFORMS_MAX);
			return 1;
		}
		alg = alg_attr(t);
		if (r->has_c14n) {
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
				     "a transform after the canonicalization is outside kyso's "
				     "profile");
			return 1;
		}
		if (alg != NULL && strcmp(alg, KS_DSIG_ENVELOPED) == 0) {
			r->enveloped = true;
		} else if (alg != NULL && strcmp(alg, KS_DSIG_XPF2) == 0) {
			if (!xpf2_subtract_sigs(t)) {
				ks_dsig_fail(
				    p, KS_SUB_FORMAT_FAILURE,
				    "XPath Filter 2.0 transform outside kyso's profile "
				    "(only subtract of /descendant::ds:Signature is read)");
				return 1;
			}
			r->exclude_sigs = true;
		} else if (ks_c14n_parse(alg, &r->c14n)) {
			r->has_c14n = true;
			inc = ks_xml_first(t, KS_NS_EXC, "InclusiveNamespaces");
			if (inc != NULL &&
			    (r->c14n == KS_C14N_EXC || r->c14n == KS_C14N_EXC_COMMENTS))
				r->prefixes = ks_xml_attr(inc, "PrefixList");
		} else {
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
				     "transform %s is outside kyso's profile (refused)",
				     alg != NULL ? alg : "(no Algorithm)");
			return 1;
		}
	}
	return 0;
}

static int resolve_uri(const struct ks_xml_doc *d, struct ks_dsig_ref *r, struct ks_dsig_problem *p)
{
	bool dup = false;

	if (r->uri == NULL) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "a ds:Reference has no URI");
		return 1;
	}
	if (r->uri[0] == '\0') {
		r->kind = KS_DSIG_REF_DOCUMENT;
		return 0;
	}
	if (r->uri[0] != '#') {
		r->kind = KS_DSIG_REF_EXTERNAL;
		return 0;
	}
	if (strncmp(r->uri, "#xpointer(", 10) == 0) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "XPointer reference '%.80s' is refused",
			     r->uri);
		return 1;
	}
	r->kind = KS_DSIG_REF_ELEMENT;
	r->target = ks_xml_by_id(d, r->uri + 1, &dup);
	if (dup) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "reference '%.80s': the ID is used by more than one element", r->uri);
		return 1;
	}
	if (r->target == NULL) {
		ks_dsig_fail(p, KS_SUB_SIGNED_DATA_NOT_FOUND,
			     "reference '%.80s': no element has this ID", r->uri);
		return 1;
	}
	if (ks_xml_is(r->target, KS_NS_DS, "Manifest")) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "reference '%.80s' names a ds:Manifest: kyso does not follow "
			     "manifests",
			     r->uri);
		return 1;
	}
	return 0;
}

static int parse_reference(const struct ks_xml_doc *d, xmlNodePtr el, struct ks_dsig_ref *r,
			   struct ks_dsig_problem *p)
{
	xmlNodePtr c, dm, dv;
	struct ks_buf v;
	bool ok;
	int rc = -1;

	ks_buf_init(&v, EVP_MAX_MD_SIZE);
	memset(r, 0, sizeof(*r));
	r->node = el;
	r->uri = ks_xml_attr(el, "URI");
	r->type = ks_xml_attr(el, "Type");
	r->id = ks_xml_attr(el, "Id");
	if (r->type != NULL && strcmp(r->type, KS_DSIG_MANIFEST_TYPE) == 0) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "Manifest references are not followed (outside kyso's profile)");
		goto done;
	}
	if (resolve_uri(d, r, p) != 0)
		goto done;
	c = ks_xml_first(el, NULL, NULL);
	if (ks_xml_is(c, KS_NS_DS, "Transforms")) {
		if (parse_transforms(c, r, p) != 0)
			goto done;
		c = ks_xml_next(c, NULL, NULL);
	}
	if (r->kind == KS_DSIG_REF_EXTERNAL && (r->enveloped || r->exclude_sigs || r->has_c14n)) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "transforms on an external reference are outside kyso's profile");
		goto done;
	}
	dm = c;
	dv = ks_xml_next(dm, NULL, NULL);
	if (!ks_xml_is(dm, KS_NS_DS, "DigestMethod") || !ks_xml_is(dv, KS_NS_DS, "DigestValue") ||
	    ks_xml_next(dv, NULL, NULL) != NULL) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "ds:Reference must hold [Transforms], DigestMethod, DigestValue");
		goto done;
	}
	r->md_nid = ks_dsig_md_nid(alg_attr(dm));
	if (r->md_nid == NID_undef || EVP_get_digestbynid(r->md_nid) == NULL) {
		ks_dsig_fail(p, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
			     "digest algorithm %.100s is not supported",
			     alg_attr(dm) != NULL ? alg_attr(dm) : "(none)");
		goto done;
	}
	KS_GUARD(b64_text(dv, EVP_MAX_MD_SIZE, &v, &ok));
	if (!ok || v.len != (size_t)EVP_MD_get_size(EVP_get_digestbynid(r->md_nid))) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "DigestValue of reference '%.80s' is not a base64 %s value",
			     r->uri != NULL ? r->uri : "", ks_dsig_md_label(r->md_nid));
		goto done;
	}
	memcpy(r->value, v.data, v.len);
	r->value_len = v.len;
done:
	rc = 0;
out:
	ks_buf_cleanup(&v);
	return rc;
}

/* A decimal integer element of RSAPSSParams. */
static bool pss_int(const xmlNode *el, long *v)
{
	struct ks_buf b;
	struct ks_cur c;
	uint64_t u = 0;
	bool ok;

	ks_buf_init(&b, 16);
	ok = ks_xml_text(el, 16, &b) == 0;
	if (ok) {
		ks_cur_from_buf(&c, &b);
		ok =
		    ks_cur_decimal(&c, PSS_INT_MAX_DIGITS, PSS_SALT_MAX, &u) == 0 && ks_cur_eof(&c);
	}
	ks_err_clear();
	ks_buf_cleanup(&b);
	*v = (long)u;
	return ok;
}

/* RFC 6931 2.3.10 RSAPSSParams: DigestMethod, MaskGenerationFunction
 * (MGF1 only), SaltLength, TrailerField (1). */
static void parse_pss(const xmlNode *sm, struct ks_dsig_method *m, struct ks_dsig_problem *p)
{
	const xmlNode *pp = ks_xml_first(sm, KS_NS_DSMORE, "RSAPSSParams"), *c, *mgf_dm;
	const EVP_MD *md;
	long v;

	m->md_nid = NID_sha256;
	m->mgf1_nid = NID_undef;
	m->saltlen = -1;
	for (c = ks_xml_first(pp, NULL, NULL); c != NULL; c = ks_xml_next(c, NULL, NULL)) {
		if (ks_xml_is(c, KS_NS_DS, "DigestMethod")) {
			m->md_nid = ks_dsig_md_nid(alg_attr(c));
		} else if (ks_xml_is(c, KS_NS_DSMORE, "MaskGenerationFunction")) {
			mgf_dm = ks_xml_first(c, KS_NS_DS, "DigestMethod");
			if (alg_attr(c) == NULL ||
			    strcmp(alg_attr(c), "http://www.w3.org/2007/05/xmldsig-more#MGF1") !=
				0 ||
			    mgf_dm == NULL) {
				ks_dsig_fail(p, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
					     "RSASSA-PSS mask generation other than MGF1");
				return;
			}
			m->mgf1_nid = ks_dsig_md_nid(alg_attr(mgf_dm));
		} else if (ks_xml_is(c, KS_NS_DSMORE, "SaltLength")) {
			if (!pss_int(c, &v)) {
				ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "bad RSASSA-PSS SaltLength");
				return;
			}
			m->saltlen = (int)v;
		} else if (ks_xml_is(c, KS_NS_DSMORE, "TrailerField")) {
			if (!pss_int(c, &v) || v != 1) {
				ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
					     "RSASSA-PSS TrailerField is not 1");
				return;
			}
		} else {
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "unexpected <%s> in RSAPSSParams",
				     (const char *)c->name);
			return;
		}
	}
	if (m->mgf1_nid == NID_undef)
		m->mgf1_nid = m->md_nid;
	md = EVP_get_digestbynid(m->md_nid);
	if (m->md_nid == NID_undef || m->mgf1_nid == NID_undef || md == NULL) {
		ks_dsig_fail(p, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
			     "RSASSA-PSS hash is not supported");
		return;
	}
	if (m->saltlen < 0)
		m->saltlen = EVP_MD_get_size(md);
}

static void parse_method(const xmlNode *sm, struct ks_dsig_method *m, struct ks_dsig_problem *p)
{
	const char *uri = alg_attr(sm);
	size_t i;

	for (i = 0; uri != NULL && i < sizeof(sm_table) / sizeof(sm_table[0]); i++)
		if (strcmp(uri, sm_table[i].uri) == 0)
			break;
	if (uri == NULL || i == sizeof(sm_table) / sizeof(sm_table[0])) {
		ks_dsig_fail(p, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
			     "signature algorithm %.100s is not supported (HMAC and DSA are not)",
			     uri != NULL ? uri : "(none)");
		return;
	}
	m->scheme = sm_table[i].scheme;
	m->md_nid = sm_table[i].nid;
	m->mgf1_nid = m->md_nid;
	m->saltlen = EVP_MD_get_size(EVP_get_digestbynid(m->md_nid));
	if (sm_table[i].pss_params)
		parse_pss(sm, m, p);
	snprintf(m->label, sizeof(m->label), "%s",
		 m->scheme == KS_SIG_RSA_PSS ? "RSA-PSS"
		 : m->scheme == KS_SIG_ECDSA ? "ECDSA"
					     : "RSA PKCS#1 v1.5");
}

static int parse_signed_info(const struct ks_xml_doc *d, struct ks_dsig *s,
			     struct ks_dsig_problem *p)
{
	xmlNodePtr cm, sm, r;
	const xmlNode *inc;

	cm = ks_xml_first(s->signed_info, NULL, NULL);
	sm = ks_xml_next(cm, NULL, NULL);
	if (!ks_xml_is(cm, KS_NS_DS, "CanonicalizationMethod") ||
	    !ks_xml_is(sm, KS_NS_DS, "SignatureMethod")) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "ds:SignedInfo must start with CanonicalizationMethod, "
			     "SignatureMethod");
		return 0;
	}
	if (!ks_c14n_parse(alg_attr(cm), &s->c14n)) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "canonicalization %.100s is outside kyso's profile",
			     alg_attr(cm) != NULL ? alg_attr(cm) : "(none)");
		return 0;
	}
	inc = ks_xml_first(cm, KS_NS_EXC, "InclusiveNamespaces");
	if (inc != NULL && (s->c14n == KS_C14N_EXC || s->c14n == KS_C14N_EXC_COMMENTS))
		s->c14n_prefixes = ks_xml_attr(inc, "PrefixList");
	parse_method(sm, &s->method, p);
	if (p->sub != KS_SUB_NONE)
		return 0;
	for (r = ks_xml_next(sm, NULL, NULL); r != NULL; r = ks_xml_next(r, NULL, NULL)) {
		if (!ks_xml_is(r, KS_NS_DS, "Reference")) {
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "unexpected <%s> in ds:SignedInfo",
				     (const char *)r->name);
			return 0;
		}
		if (s->n_refs == KS_DSIG_REFS_MAX) {
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "more than %d references",
				     KS_DSIG_REFS_MAX);
			return 0;
		}
		if (parse_reference(d, r, &s->refs[s->n_refs++], p) < 0)
			return -1;
		if (p->sub != KS_SUB_NONE)
			return 0;
	}
	if (s->n_refs == 0)
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "ds:SignedInfo has no Reference");
	return 0;
}

int ks_dsig_parse(const struct ks_xml_doc *d, xmlNodePtr sig, struct ks_dsig *s,
		  struct ks_dsig_problem *p)
{
	xmlNodePtr c;
	bool ok;

	s->sig = sig;
	c = ks_xml_first(sig, NULL, NULL);
	if (!ks_xml_is(c, KS_NS_DS, "SignedInfo")) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "ds:Signature does not start with SignedInfo");
		return 0;
	}
	s->signed_info = c;
	c = ks_xml_next(c, NULL, NULL);
	if (!ks_xml_is(c, KS_NS_DS, "SignatureValue")) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "ds:SignatureValue missing");
		return 0;
	}
	s->sig_value = c;
	c = ks_xml_next(c, NULL, NULL);
	if (ks_xml_is(c, KS_NS_DS, "KeyInfo")) {
		s->key_info = c;
		if (ks_xml_first(c, KS_NS_DS, "RetrievalMethod") != NULL) {
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
				     "ds:RetrievalMethod is refused (kyso fetches nothing)");
			return 0;
		}
		c = ks_xml_next(c, NULL, NULL);
	}
	for (; c != NULL; c = ks_xml_next(c, NULL, NULL)) {
		if (!ks_xml_is(c, KS_NS_DS, "Object")) {
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "unexpected <%s> in ds:Signature",
				     (const char *)c->name);
			return 0;
		}
	}
	if (parse_signed_info(d, s, p) < 0)
		return -1;
	if (p->sub != KS_SUB_NONE)
		return 0;
	if (b64_text(s->sig_value, KS_DSIG_VALUE_MAX, &s->value, &ok) < 0)
		return -1;
	if (!ok || s->value.len == 0)
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "SignatureValue is not base64");
	return 0;
}

int ks_dsig_ref_digest(const struct ks_xml_doc *d, const struct ks_dsig *s,
		       const struct ks_dsig_ref *r, const uint8_t *ext, size_t ext_len,
		       uint8_t *out, size_t *n)
{
	struct ks_c14n_set set;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len = 0;
	int rc = -1;

	memset(&set, 0, sizeof(set));
	if (ctx == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (EVP_DigestInit_ex(ctx, EVP_get_digestbynid(r->md_nid), NULL) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "digest init");
	if (r->kind == KS_DSIG_REF_EXTERNAL) {
		if (ext == NULL)
			KS_BAIL(KS_ERR_ARG, "external reference without its content");
		if (EVP_DigestUpdate(ctx, ext, ext_len) != 1)
			KS_BAIL_OSSL(KS_ERR_CRYPTO, "digest");
	} else {
		set.apex = r->kind == KS_DSIG_REF_ELEMENT ? r->target : NULL;
		if (r->enveloped)
			set.exclude[set.n_exclude++] = s->sig;
		set.exclude_sigs = r->exclude_sigs;
		/* XMLDSig 4.4.3.3: a same-document URI selects no comments;
		 * without a canonicalization transform the node set becomes
		 * octets through inclusive C14N 1.0 (4.4.3.2). */
		KS_GUARD(
		    ks_c14n_digest(d, &set, r->has_c14n ? r->c14n : KS_C14N_10, r->prefixes, ctx));
	}
	if (EVP_DigestFinal_ex(ctx, out, &len) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "digest");
	*n = len;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ks_dsig_signed_info_hash(const struct ks_xml_doc *d, const struct ks_dsig *s, uint8_t *out,
			     size_t *n)
{
	struct ks_c14n_set set;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len = 0;
	int rc = -1;

	memset(&set, 0, sizeof(set));
	set.apex = s->signed_info;
	set.comments = s->c14n == KS_C14N_10_COMMENTS || s->c14n == KS_C14N_EXC_COMMENTS ||
		       s->c14n == KS_C14N_11_COMMENTS;
	if (ctx == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (EVP_DigestInit_ex(ctx, EVP_get_digestbynid(s->method.md_nid), NULL) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "digest init");
	KS_GUARD(ks_c14n_digest(d, &set, s->c14n, s->c14n_prefixes, ctx));
	if (EVP_DigestFinal_ex(ctx, out, &len) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "digest");
	*n = len;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ks_dsig_check_value(const struct ks_xml_doc *d, const struct ks_dsig *s, EVP_PKEY *pub,
			bool *ok)
{
	EVP_PKEY_CTX *ctx = NULL;
	struct ks_buf der;
	uint8_t h[EVP_MAX_MD_SIZE];
	size_t hlen = 0, fb;
	const uint8_t *sig = s->value.data;
	size_t siglen = s->value.len;
	int rc = -1, bits;

	*ok = false;
	ks_buf_init(&der, 256);
	if ((s->method.scheme == KS_SIG_ECDSA) != (EVP_PKEY_is_a(pub, "EC") != 0) ||
	    (s->method.scheme != KS_SIG_ECDSA && EVP_PKEY_is_a(pub, "RSA") == 0)) {
		rc = 0;
		goto out;
	}
	KS_GUARD(ks_dsig_signed_info_hash(d, s, h, &hlen));
	if (s->method.scheme == KS_SIG_ECDSA) {
		bits = EVP_PKEY_get_bits(pub);
		fb = bits > 0 ? ((size_t)bits + 7) / 8 : 0;
		if (fb == 0 || siglen != 2 * fb) {
			rc = 0; /* not r || s of this curve */
			goto out;
		}
		KS_GUARD(ks_ecdsa_raw_to_der(sig, siglen, &der));
		sig = der.data;
		siglen = der.len;
	}
	ctx = EVP_PKEY_CTX_new(pub, NULL);
	if (ctx == NULL || EVP_PKEY_verify_init(ctx) <= 0)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "verify init");
	if (EVP_PKEY_CTX_set_signature_md(ctx, EVP_get_digestbynid(s->method.md_nid)) <= 0)
		goto refused;
	if (s->method.scheme == KS_SIG_RSA_PKCS1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0)
		goto refused;
	if (s->method.scheme == KS_SIG_RSA_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, s->method.saltlen) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_get_digestbynid(s->method.mgf1_nid)) <= 0))
		goto refused;
	*ok = EVP_PKEY_verify(ctx, sig, siglen, h, hlen) == 1;
refused:
	/* parameters the provider refuses cannot verify */
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	ks_buf_cleanup(&der);
	return rc;
}

int ks_dsig_ecdsa_der_to_raw(const uint8_t *der, size_t n, size_t field_bytes, struct ks_buf *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r = NULL, *s = NULL;
	int rc = -1, fb = 0;
	long len;

	KS_GUARD(ks_size_to_int(field_bytes, &fb));
	if (n > (size_t)LONG_MAX)
		KS_BAIL(KS_ERR_ARG, "ECDSA signature too long");
	len = (long)n;
	es = d2i_ECDSA_SIG(NULL, &p, len);
	if (es == NULL || p != der + n)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "malformed ECDSA signature from the key");
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_num_bytes(r) > fb || BN_num_bytes(s) > fb)
		KS_BAIL(KS_ERR_CRYPTO, "ECDSA signature larger than the curve");
	KS_GUARD(ks_buf_reserve(out, 2 * field_bytes));
	if (BN_bn2binpad(r, out->data + out->len, fb) != fb)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "ECDSA r");
	out->len += field_bytes;
	if (BN_bn2binpad(s, out->data + out->len, fb) != fb)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "ECDSA s");
	out->len += field_bytes;
	rc = 0;
out:
	ECDSA_SIG_free(es);
	return rc;
}
