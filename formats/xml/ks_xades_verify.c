/* The facts of every signature of an XML document (format level).
 *
 * Defences of the W3C XML Signature Best Practices and of ETSI EN 319
 * 132-1, in the order they decide:
 *  - the document is read safely (ks_xml) and its IDs are unique: a
 *    duplicate fails every signature (a reference could be resolved to
 *    another element than the one a reader sees);
 *  - each signature is within kyso's XMLDSig profile (ks_xmldsig);
 *  - XAdES properties are bound to this signature (ks_xades_props);
 *  - where the signature sits decides what it must cover: a signature
 *    inside the record must cover the record's root (else the signed
 *    content can sit in a wrapper while forged content is shown:
 *    signature wrapping); a counter-signature must sign the
 *    SignatureValue of the signature it is attached to;
 *  - every reference's digest (HASH_FAILURE), the signer certificate
 *    (NO_SIGNING_CERTIFICATE_FOUND) and the signature value with that
 *    certificate's key (SIG_CRYPTO_FAILURE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/xml/ks_xades.h"

void ks_xades_result_init(struct ks_xades_result *r)
{
	memset(r, 0, sizeof(*r));
}

void ks_xades_result_cleanup(struct ks_xades_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		ks_xades_sig_facts_cleanup(&r->sigs[i]);
	free(r->sigs);
	memset(r, 0, sizeof(*r));
}

static void path_into(const xmlNode *n, char *buf, size_t cap)
{
	struct ks_buf b;

	ks_buf_init(&b, KS_XML_PATH_MAX + 8);
	if (ks_xml_path(n, &b) < 0)
		ks_err_clear();
	snprintf(buf, cap, "%.*s", (int)b.len, b.data != NULL ? (const char *)b.data : "");
	ks_buf_cleanup(&b);
}

/* The ds:Signature a counter-signature is attached to: CounterSignature /
 * UnsignedSignatureProperties / UnsignedProperties / QualifyingProperties
 * / ds:Object / ds:Signature. */
static const xmlNode *countersigned(const xmlNode *sig)
{
	static const struct {
		const char *ns, *name;
	} up[] = {
		{ KS_NS_XADES, "CounterSignature" },
		{ KS_NS_XADES, "UnsignedSignatureProperties" },
		{ KS_NS_XADES, "UnsignedProperties" },
		{ KS_NS_XADES, "QualifyingProperties" },
		{ KS_NS_DS, "Object" },
		{ KS_NS_DS, "Signature" },
	};
	const xmlNode *n = sig;
	size_t i;

	for (i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		n = n->parent;
		if (!ks_xml_is(n, up[i].ns, up[i].name))
			return NULL;
	}
	return n;
}

static long index_of(const struct ks_xml_doc *d, const xmlNode *sig)
{
	size_t i;

	for (i = 0; i < d->n_sigs; i++)
		if (d->sigs[i] == sig)
			return (long)i;
	return -1;
}

static enum ks_xades_ref_role ref_role(const struct ks_dsig *s, const struct ks_dsig_ref *r,
				       const xmlNode *parent_sig)
{
	if (r->kind != KS_DSIG_REF_ELEMENT)
		return KS_XADES_REF_DATA;
	if (ks_xml_is(r->target, KS_NS_XADES, "SignedProperties") &&
	    ks_xml_within(r->target, s->sig))
		return KS_XADES_REF_SIGNED_PROPS;
	if (parent_sig != NULL && ks_xml_is(r->target, KS_NS_DS, "SignatureValue") &&
	    r->target->parent == parent_sig)
		return KS_XADES_REF_COUNTERSIGNED;
	if (r->target == s->key_info)
		return KS_XADES_REF_KEYINFO;
	if (ks_xml_within(r->target, s->sig) && !ks_xml_is(r->target, KS_NS_DS, "Object"))
		return KS_XADES_REF_OTHER;
	return KS_XADES_REF_DATA;
}

/* Every ds:Signature that is not inside another one must be a child of
 * the root when a reference leaves "all signatures" out: a signature
 * element anywhere else would hide content from what is signed. */
static bool sigs_in_place(const struct ks_xml_doc *d)
{
	const xmlNode *root = ks_xml_root(d), *n;
	size_t i;

	for (i = 0; i < d->n_sigs; i++) {
		if (d->sigs[i]->parent == root || d->sigs[i] == root)
			continue;
		for (n = d->sigs[i]->parent; n != NULL; n = n->parent)
			if (ks_xml_is(n, KS_NS_DS, "Signature"))
				break;
		if (n == NULL)
			return false;
	}
	return true;
}

/* A root that holds nothing but signatures is a container, not a record:
 * each signature then signs what it carries, as an enveloping one. */
static bool container_root(const xmlNode *root)
{
	const xmlNode *c;
	const xmlChar *t;

	for (c = root->children; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE && !ks_xml_is(c, KS_NS_DS, "Signature"))
			return false;
		if (c->type != XML_TEXT_NODE)
			continue;
		for (t = c->content; t != NULL && *t != '\0'; t++)
			if (*t != ' ' && *t != '\t' && *t != '\r' && *t != '\n')
				return false;
	}
	return true;
}

/* Placement rules (see the file comment). */
static void check_place(const struct ks_xml_doc *d, const struct ks_dsig *s,
			const struct ks_xades_verify_opts *o, struct ks_xades_sig_facts *f,
			struct ks_dsig_problem *p)
{
	const xmlNode *root = ks_xml_root(d);
	size_t i, data = 0, external = 0, ext_at = 0;
	bool covers_root = false, excl = false, signs_parent = false;

	for (i = 0; i < s->n_refs; i++) {
		const struct ks_dsig_ref *r = &s->refs[i];

		excl = excl || r->exclude_sigs;
		if (f->refs[i].role == KS_XADES_REF_COUNTERSIGNED)
			signs_parent = true;
		if (f->refs[i].role != KS_XADES_REF_DATA)
			continue;
		data++;
		if (r->kind == KS_DSIG_REF_EXTERNAL) {
			external++;
			ext_at = i;
		}
		if (r->kind == KS_DSIG_REF_DOCUMENT ||
		    (r->kind == KS_DSIG_REF_ELEMENT && r->target == root))
			covers_root = true;
	}
	if (excl && !sigs_in_place(d)) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "a reference leaves every ds:Signature out, and the document has a "
			     "signature element that is not a child of its root: content may be "
			     "hidden in it");
		return;
	}
	switch (f->place) {
	case KS_XADES_PLACE_COUNTER:
		if (!signs_parent)
			ks_dsig_fail(
			    p, KS_SUB_FORMAT_FAILURE,
			    "the counter-signature does not sign the SignatureValue of the "
			    "signature it is attached to");
		return;
	case KS_XADES_PLACE_ENVELOPED:
		if (!covers_root) {
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
				     "the signature is inside the document but does not cover its "
				     "root element: what it signs is not the document as shown "
				     "(signature wrapping)");
			return;
		}
		break;
	default:
		break;
	}
	if (data == 0) {
		ks_dsig_fail(p, KS_SUB_SIGNED_DATA_NOT_FOUND,
			     "the signature signs no data, only its own properties");
		return;
	}
	if (external > 1) {
		ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE,
			     "more than one external reference (kyso takes one detached file)");
		return;
	}
	if (external == 1 && (o == NULL || o->content == NULL))
		ks_dsig_fail(p, KS_SUB_SIGNED_DATA_NOT_FOUND,
			     "the signature refers to an external file ('%.100s'): kyso fetches "
			     "nothing; give the signed file (--content)",
			     f->refs[ext_at].uri);
}

static void ref_facts(const struct ks_xml_doc *d, const struct ks_dsig *s,
		      const xmlNode *parent_sig, struct ks_xades_sig_facts *f)
{
	size_t i;

	f->weakest_ref_md_nid = NID_undef;
	for (i = 0; i < s->n_refs; i++) {
		const struct ks_dsig_ref *r = &s->refs[i];
		struct ks_xades_ref_fact *rf = &f->refs[i];

		snprintf(rf->uri, sizeof(rf->uri), "%s", r->uri != NULL ? r->uri : "");
		rf->kind = r->kind;
		rf->enveloped = r->enveloped;
		rf->exclude_sigs = r->exclude_sigs;
		rf->md_nid = r->md_nid;
		rf->role = ref_role(s, r, parent_sig);
		if (r->kind == KS_DSIG_REF_DOCUMENT)
			path_into(ks_xml_root(d), rf->path, sizeof(rf->path));
		else if (r->kind == KS_DSIG_REF_ELEMENT)
			path_into(r->target, rf->path, sizeof(rf->path));
		/* SHA-1 < SHA-224 < SHA-256 ...: by digest size */
		if (f->weakest_ref_md_nid == NID_undef ||
		    EVP_MD_get_size(EVP_get_digestbynid(r->md_nid)) <
			EVP_MD_get_size(EVP_get_digestbynid(f->weakest_ref_md_nid)))
			f->weakest_ref_md_nid = r->md_nid;
	}
	f->n_refs = s->n_refs;
}

static int digests(const struct ks_xml_doc *d, const struct ks_dsig *s,
		   const struct ks_xades_verify_opts *o, struct ks_xades_sig_facts *f,
		   struct ks_dsig_problem *p)
{
	uint8_t h[EVP_MAX_MD_SIZE];
	size_t i, hl = 0;

	for (i = 0; i < s->n_refs; i++) {
		const struct ks_dsig_ref *r = &s->refs[i];

		if (r->kind == KS_DSIG_REF_EXTERNAL && (o == NULL || o->content == NULL))
			continue;
		if (ks_dsig_ref_digest(d, s, r, o != NULL ? o->content : NULL,
				       o != NULL ? o->content_len : 0, h, &hl) < 0) {
			if (ks_err_code() == KS_ERR_NOMEM)
				return -1;
			ks_dsig_fail(p, KS_SUB_FORMAT_FAILURE, "reference '%.80s': %s",
				     f->refs[i].uri, ks_err_msg());
			ks_err_clear();
			continue;
		}
		if (hl == r->value_len && CRYPTO_memcmp(h, r->value, hl) == 0) {
			f->refs[i].status = KS_XADES_REF_MATCH;
			continue;
		}
		f->refs[i].status = KS_XADES_REF_MISMATCH;
		ks_dsig_fail(p, KS_SUB_HASH_FAILURE,
			     f->refs[i].role == KS_XADES_REF_SIGNED_PROPS
				 ? "the signed properties were changed after signing (reference "
				   "'%.80s')"
			     : f->refs[i].role == KS_XADES_REF_COUNTERSIGNED
				 ? "the countersigned signature value differs from the one signed "
				   "(reference '%.80s')"
				 : "the signed content was changed after signing (reference "
				   "'%.80s', %s)",
			     f->refs[i].uri, f->refs[i].path[0] != '\0' ? f->refs[i].path : "file");
	}
	return 0;
}

/* Node visits the references and SignedInfo will cost: a walk of the
 * whole document each, except an exclusive canonicalization of a subtree
 * with nothing left out, which works on a copy of the subtree
 * (ks_xml_c14n.c). */
static bool alone(enum ks_c14n c, const char *prefixes)
{
	return (c == KS_C14N_EXC || c == KS_C14N_EXC_COMMENTS) &&
	       (prefixes == NULL || prefixes[strspn(prefixes, " \t\r\n")] == '\0');
}

static size_t work_needed(const struct ks_xml_doc *d, const struct ks_dsig *s)
{
	size_t i, walk = d->scan.nodes + 1, need = alone(s->c14n, s->c14n_prefixes) ? 1 : walk;

	for (i = 0; i < s->n_refs; i++) {
		const struct ks_dsig_ref *r = &s->refs[i];
		bool cheap =
		    r->kind == KS_DSIG_REF_EXTERNAL ||
		    (r->kind == KS_DSIG_REF_ELEMENT && r->has_c14n && alone(r->c14n, r->prefixes) &&
		     !r->exclude_sigs && !(r->enveloped && ks_xml_within(s->sig, r->target)));

		need += cheap ? 1 : walk;
	}
	return need;
}

static int verify_one(const struct ks_xml_doc *d, size_t idx, const struct ks_xades_verify_opts *o,
		      size_t *work, struct ks_xades_sig_facts *f)
{
	const xmlNode *sig = d->sigs[idx], *parent_sig = countersigned(sig), *n;
	struct ks_dsig s;
	struct ks_dsig_problem p, sp;
	const char *id = ks_xml_attr(sig, "Id");
	size_t depth = 0;
	bool ok;
	int rc = -1;

	ks_dsig_init(&s);
	memset(&p, 0, sizeof(p));
	memset(&sp, 0, sizeof(sp));
	f->certs = sk_X509_new_null();
	if (f->certs == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	snprintf(f->id, sizeof(f->id), "%s", id != NULL ? id : "");
	path_into(sig, f->path, sizeof(f->path));
	f->parent = -1;
	if (parent_sig != NULL) {
		f->place = KS_XADES_PLACE_COUNTER;
		f->parent = index_of(d, parent_sig);
		for (n = parent_sig; n != NULL; n = countersigned(n))
			depth++;
		if (depth > KS_XADES_COUNTER_DEPTH_MAX)
			ks_dsig_fail(&p, KS_SUB_FORMAT_FAILURE,
				     "counter-signatures nested deeper than %d",
				     KS_XADES_COUNTER_DEPTH_MAX);
	} else if (sig == ks_xml_root(d) ||
		   (sig->parent == ks_xml_root(d) && container_root(sig->parent))) {
		f->place = KS_XADES_PLACE_ENVELOPING;
	} else {
		f->place = KS_XADES_PLACE_ENVELOPED;
	}
	if (d->dup_id[0] != '\0')
		ks_dsig_fail(&p, KS_SUB_FORMAT_FAILURE,
			     "the ID '%.100s' is used by more than one element of the document "
			     "(a reference could be resolved to another element than the one "
			     "shown)",
			     d->dup_id);
	KS_GUARD(ks_dsig_parse(d, (xmlNodePtr)sig, &s, &p));
	if (s.signed_info != NULL && s.method.md_nid != 0) {
		f->scheme = s.method.scheme;
		f->sig_md_nid = s.method.md_nid;
		f->mgf1_nid = s.method.mgf1_nid;
		snprintf(f->sig_alg, sizeof(f->sig_alg), "%s", s.method.label);
		snprintf(f->digest_alg, sizeof(f->digest_alg), "%s",
			 ks_dsig_md_label(s.method.md_nid));
	}
	ref_facts(d, &s, parent_sig, f);
	if (p.sub == KS_SUB_NONE && f->place == KS_XADES_PLACE_ENVELOPING) {
		size_t i;

		for (i = 0; i < s.n_refs; i++)
			if (s.refs[i].kind == KS_DSIG_REF_EXTERNAL)
				f->place = KS_XADES_PLACE_DETACHED;
	}
	if (p.sub == KS_SUB_NONE)
		KS_GUARD(ks_xades_props(d, &s, o, f, &p, &sp));
	if (p.sub == KS_SUB_NONE)
		check_place(d, &s, o, f, &p);
	if (p.sub == KS_SUB_NONE) {
		size_t need = work_needed(d, &s);

		if (need > KS_XADES_WORK_MAX - *work)
			ks_dsig_fail(
			    &p, KS_SUB_SIG_CONSTRAINTS_FAILURE,
			    "the document's signatures need more canonicalization work than "
			    "kyso spends on one document (%zu node visits)",
			    KS_XADES_WORK_MAX);
		else
			*work += need;
	}
	if (p.sub == KS_SUB_NONE)
		KS_GUARD(digests(d, &s, o, f, &p));
	if (p.sub == KS_SUB_NONE && sp.sub != KS_SUB_NONE)
		p = sp;
	if (p.sub == KS_SUB_NONE && f->xades)
		KS_GUARD(ks_xades_ts_facts(d, &s, o != NULL ? o->content : NULL,
					   o != NULL ? o->content_len : 0, work, f));
	if (p.sub == KS_SUB_NONE && f->signer != NULL) {
		KS_GUARD(ks_dsig_check_value(d, &s, X509_get0_pubkey(f->signer), &ok));
		f->value_checked = true;
		f->value_ok = ok;
		if (!ok)
			ks_dsig_fail(&p, KS_SUB_SIG_CRYPTO_FAILURE,
				     "the signature value does not verify with the signer "
				     "certificate's key");
	}
	f->sub = p.sub;
	snprintf(f->detail, sizeof(f->detail), "%s", p.why);
	rc = 0;
out:
	ks_dsig_cleanup(&s);
	return rc;
}

int ks_xades_verify_mem(const uint8_t *p, size_t n, const struct ks_xades_verify_opts *o,
			struct ks_xades_result *r)
{
	struct ks_xml_doc *d = NULL;
	size_t i, count, work = 0;
	int rc = -1;

	ks_xades_result_cleanup(r);
	if (ks_xml_parse(p, n, &d) < 0) {
		if (ks_err_code() == KS_ERR_NOMEM || ks_err_code() == KS_ERR_INTERNAL)
			goto out;
		r->unreadable = true;
		snprintf(r->detail, sizeof(r->detail), "%s", ks_err_msg());
		ks_err_clear();
		rc = 0;
		goto out;
	}
	count = d->n_sigs > KS_XADES_SIGS_MAX ? KS_XADES_SIGS_MAX : d->n_sigs;
	r->dropped = d->n_sigs - count;
	if (count > 0) {
		r->sigs = calloc(count, sizeof(*r->sigs));
		if (r->sigs == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < count; i++) {
		r->n = i + 1;
		KS_GUARD(verify_one(d, i, o, &work, &r->sigs[i]));
	}
	rc = 0;
out:
	if (rc < 0)
		ks_xades_result_cleanup(r);
	ks_xml_doc_free(d);
	return rc;
}
