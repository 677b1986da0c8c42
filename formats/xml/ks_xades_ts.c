/* The long-term levels of XAdES (ETSI EN 319 132-1 5.3, 5.5): what a
 * signature timestamp and an archive timestamp cover, writing them and
 * the validation values, and reading them back as facts. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "formats/xml/ks_xades.h"
#include "ks_codec.h"

/* for functions with nothing to clean up */
#define TRY(call)                  \
	do {                       \
		if ((call) < 0)    \
			return -1; \
	} while (0)

/* ---- what a timestamp covers ---- */

static int c14n_el(const struct ks_xml_doc *d, const xmlNode *el, enum ks_c14n alg,
		   const char *prefixes, struct ks_buf *out)
{
	struct ks_c14n_set set;

	memset(&set, 0, sizeof(set));
	set.apex = el;
	set.comments =
	    alg == KS_C14N_10_COMMENTS || alg == KS_C14N_EXC_COMMENTS || alg == KS_C14N_11_COMMENTS;
	return ks_c14n_buf(d, &set, alg, prefixes, out);
}

/* The data of reference r after its transforms (as ks_dsig_ref_digest
 * hashes it). */
static int ref_octets(const struct ks_xml_doc *d, const struct ks_dsig *s,
		      const struct ks_dsig_ref *r, const uint8_t *ext, size_t ext_len,
		      struct ks_buf *out)
{
	struct ks_c14n_set set;

	if (r->kind == KS_DSIG_REF_EXTERNAL) {
		if (ext == NULL)
			return KS_SET(KS_ERR_ARG, "the archive timestamp covers the detached "
						  "content: it is needed (--content)");
		return ks_buf_append(out, ext, ext_len);
	}
	memset(&set, 0, sizeof(set));
	set.apex = r->kind == KS_DSIG_REF_ELEMENT ? r->target : NULL;
	if (r->enveloped)
		set.exclude[set.n_exclude++] = s->sig;
	set.exclude_sigs = r->exclude_sigs;
	return ks_c14n_buf(d, &set, r->has_c14n ? r->c14n : KS_C14N_10, r->prefixes, out);
}

static bool referenced(const struct ks_dsig *s, const xmlNode *obj)
{
	size_t i;

	for (i = 0; i < s->n_refs; i++)
		if (s->refs[i].target != NULL &&
		    (s->refs[i].target == obj || ks_xml_within(s->refs[i].target, obj)))
			return true;
	return false;
}

static const xmlNode *usp_of(const xmlNode *sig)
{
	const xmlNode *obj, *qp = NULL;

	for (obj = ks_xml_first(sig, KS_NS_DS, "Object"); obj != NULL && qp == NULL;
	     obj = ks_xml_next(obj, KS_NS_DS, "Object"))
		qp = ks_xml_first(obj, KS_NS_XADES, "QualifyingProperties");
	return ks_xml_first(ks_xml_first(qp, KS_NS_XADES, "UnsignedProperties"), KS_NS_XADES,
			    "UnsignedSignatureProperties");
}

static int archive_input(const struct ks_xml_doc *d, const struct ks_dsig *s, const xmlNode *before,
			 enum ks_c14n alg, const char *prefixes, const uint8_t *ext, size_t ext_len,
			 struct ks_buf *out)
{
	const xmlNode *usp = usp_of(s->sig), *c, *obj;
	size_t i;

	for (i = 0; i < s->n_refs; i++)
		TRY(ref_octets(d, s, &s->refs[i], ext, ext_len, out));
	TRY(c14n_el(d, s->signed_info, alg, prefixes, out));
	TRY(c14n_el(d, s->sig_value, alg, prefixes, out));
	if (s->key_info != NULL)
		TRY(c14n_el(d, s->key_info, alg, prefixes, out));
	for (c = usp != NULL ? usp->children : NULL; c != NULL && c != before; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			TRY(c14n_el(d, c, alg, prefixes, out));
	for (obj = ks_xml_first(s->sig, KS_NS_DS, "Object"); obj != NULL;
	     obj = ks_xml_next(obj, KS_NS_DS, "Object"))
		if (ks_xml_first(obj, KS_NS_XADES, "QualifyingProperties") == NULL &&
		    !referenced(s, obj))
			TRY(c14n_el(d, obj, alg, prefixes, out));
	return 0;
}

/* `prefixes`: the exclusive C14N PrefixList the timestamp states, or NULL. */
static int ts_input(const struct ks_xml_doc *d, const struct ks_dsig *s, enum ks_xades_ts_kind kind,
		    const xmlNode *before, enum ks_c14n alg, const char *prefixes,
		    const uint8_t *ext, size_t ext_len, struct ks_buf *out)
{
	if (s->sig_value == NULL || s->signed_info == NULL)
		return KS_SET(KS_ERR_XML, "the signature has no SignedInfo or SignatureValue");
	if (kind == KS_XADES_TS_SIGNATURE)
		return c14n_el(d, s->sig_value, alg, prefixes, out);
	return archive_input(d, s, before, alg, prefixes, ext, ext_len, out);
}

int ks_xades_ts_digest(const struct ks_xml_doc *d, xmlNodePtr signature, enum ks_xades_ts_kind kind,
		       const xmlNode *before, enum ks_c14n alg, const uint8_t *ext, size_t ext_len,
		       enum ks_md md, struct ks_buf *out)
{
	struct ks_dsig s;
	struct ks_dsig_problem p;
	struct ks_buf in;
	int rc = -1;

	ks_dsig_init(&s);
	memset(&p, 0, sizeof(p));
	ks_buf_init(&in, KS_XADES_ARCHIVE_INPUT_MAX);
	KS_GUARD(ks_dsig_parse(d, signature, &s, &p));
	if (p.sub != KS_SUB_NONE)
		KS_BAIL(KS_ERR_XML, "the signature cannot be timestamped: %s", p.why);
	KS_GUARD(ts_input(d, &s, kind, before, alg, NULL, ext, ext_len, &in));
	KS_GUARD(ks_md_digest(md, in.data, in.len, out));
	rc = 0;
out:
	ks_buf_cleanup(&in);
	ks_dsig_cleanup(&s);
	return rc;
}

/* ---- writing ---- */

static int b64_child(xmlNodePtr parent, xmlNsPtr ns, const char *name, const uint8_t *p, size_t n)
{
	struct ks_buf t;
	const char *s;
	int rc = -1;

	ks_buf_init(&t, 2 * KS_XADES_VAL_DER_MAX);
	KS_GUARD(ks_base64_encode(p, n, &t));
	KS_GUARD(ks_buf_cstr(&t, &s));
	if (xmlNewTextChild(parent, ns, (const xmlChar *)name, (const xmlChar *)s) == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	rc = 0;
out:
	ks_buf_cleanup(&t);
	return rc;
}

static xmlNsPtr ds_ns(xmlNodePtr signature)
{
	return signature->ns;
}

int ks_xades_add_timestamp(xmlNodePtr signature, enum ks_xades_ts_kind kind, enum ks_c14n alg,
			   const uint8_t *token, size_t n)
{
	xmlNodePtr usp, ts, cm;
	xmlNsPtr ns;

	TRY(ks_xades_usp(signature, &usp));
	if (kind == KS_XADES_TS_SIGNATURE) {
		ts = xmlNewChild(usp, usp->ns, (const xmlChar *)"SignatureTimeStamp", NULL);
		if (ts == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
	} else {
		ts = xmlNewChild(usp, NULL, (const xmlChar *)"ArchiveTimeStamp", NULL);
		ns = ts != NULL ? xmlNewNs(ts, (const xmlChar *)KS_NS_XADES141,
					   (const xmlChar *)"xades141")
				: NULL;
		if (ns == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		xmlSetNs(ts, ns);
	}
	cm = xmlNewChild(ts, ds_ns(signature), (const xmlChar *)"CanonicalizationMethod", NULL);
	if (cm == NULL ||
	    xmlSetProp(cm, (const xmlChar *)"Algorithm", (const xmlChar *)ks_c14n_uri(alg)) == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	return b64_child(ts, usp->ns, "EncapsulatedTimeStamp", token, n);
}

int ks_xades_add_values(xmlNodePtr signature, const struct ks_buf *certs, size_t n_certs,
			const struct ks_buf *ocsps, size_t n_ocsps, const struct ks_buf *crls,
			size_t n_crls)
{
	xmlNodePtr usp, cv, rv, l;
	size_t i;

	TRY(ks_xades_usp(signature, &usp));
	if (n_certs > 0) {
		cv = xmlNewChild(usp, usp->ns, (const xmlChar *)"CertificateValues", NULL);
		if (cv == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		for (i = 0; i < n_certs; i++)
			TRY(b64_child(cv, usp->ns, "EncapsulatedX509Certificate", certs[i].data,
				      certs[i].len));
	}
	if (n_ocsps + n_crls == 0)
		return 0;
	rv = xmlNewChild(usp, usp->ns, (const xmlChar *)"RevocationValues", NULL);
	if (rv == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	if (n_crls > 0) {
		l = xmlNewChild(rv, usp->ns, (const xmlChar *)"CRLValues", NULL);
		if (l == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		for (i = 0; i < n_crls; i++)
			TRY(b64_child(l, usp->ns, "EncapsulatedCRLValue", crls[i].data,
				      crls[i].len));
	}
	if (n_ocsps > 0) {
		l = xmlNewChild(rv, usp->ns, (const xmlChar *)"OCSPValues", NULL);
		if (l == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
		for (i = 0; i < n_ocsps; i++)
			TRY(b64_child(l, usp->ns, "EncapsulatedOCSPValue", ocsps[i].data,
				      ocsps[i].len));
	}
	return 0;
}

/* ---- reading ---- */

static void ts_problem(struct ks_xades_ts_fact *t, const char *why)
{
	if (t->problem[0] == '\0')
		snprintf(t->problem, sizeof(t->problem), "%s", why);
}

static int one_ts(const struct ks_xml_doc *d, const struct ks_dsig *s, const xmlNode *el,
		  enum ks_xades_ts_kind kind, const uint8_t *ext, size_t ext_len, size_t walk,
		  size_t *work, struct ks_xades_ts_fact *t)
{
	const xmlNode *cm = ks_xml_first(el, KS_NS_DS, "CanonicalizationMethod");
	const xmlNode *et = ks_xml_first(el, KS_NS_XADES, "EncapsulatedTimeStamp");
	const char *uri = ks_xml_attr(cm, "Algorithm");
	/* exclusive C14N: the InclusiveNamespaces PrefixList, if stated */
	const char *prefixes =
	    ks_xml_attr(ks_xml_first(cm, KS_NS_EXC, "InclusiveNamespaces"), "PrefixList");
	enum ks_c14n alg = KS_C14N_10; /* XAdES: the default when none is stated */
	struct ks_buf in;
	size_t need = kind == KS_XADES_TS_ARCHIVE ? walk : 1;
	bool ok;
	int i, rc = -1;

	t->kind = kind;
	ks_buf_init(&t->token, KS_XADES_TS_DER_MAX);
	ks_buf_init(&in, KS_XADES_ARCHIVE_INPUT_MAX);
	if (cm != NULL && (uri == NULL || !ks_c14n_parse(uri, &alg)))
		ts_problem(t, "the timestamp states a canonicalization kyso does not know");
	if (et == NULL || ks_xml_next(et, KS_NS_XADES, "EncapsulatedTimeStamp") != NULL ||
	    ks_xml_first(el, KS_NS_XADES, "XMLTimeStamp") != NULL ||
	    ks_xml_first(el, KS_NS_XADES, "Include") != NULL)
		ts_problem(t, "the timestamp is not one EncapsulatedTimeStamp over the whole "
			      "signature (Include and XMLTimeStamp are not supported)");
	if (t->problem[0] != '\0')
		goto done;
	KS_GUARD(ks_xades_b64(et, KS_XADES_TS_DER_MAX, &t->token, &ok));
	if (!ok) {
		ts_problem(t, "EncapsulatedTimeStamp is not base64 or too large");
		goto done;
	}
	if (need > KS_XADES_WORK_MAX - *work) {
		ts_problem(t, "checking the timestamp needs more canonicalization work than kyso "
			      "spends on one document");
		goto done;
	}
	*work += need;
	if (ts_input(d, s, kind, el, alg, prefixes, ext, ext_len, &in) < 0) {
		if (ks_err_code() == KS_ERR_NOMEM)
			goto out;
		ts_problem(t, ks_err_msg());
		ks_err_clear();
		goto done;
	}
	for (i = 0; i < 3; i++) {
		unsigned len = 0;

		if (EVP_Digest(in.data, in.len, t->digest[i], &len, ks_md_evp((enum ks_md)i),
			       NULL) != 1) {
			ERR_clear_error();
			KS_BAIL(KS_ERR_CRYPTO, "digest");
		}
		t->digest_len[i] = len;
	}
done:
	rc = 0;
out:
	ks_buf_cleanup(&in);
	return rc;
}

static int one_val(const xmlNode *el, enum ks_xades_val_kind kind, struct ks_xades_sig_facts *f)
{
	struct ks_xades_val *v;
	bool ok;

	if (f->n_vals >= KS_XADES_VALS_MAX)
		return 0;
	v = &f->vals[f->n_vals];
	v->kind = kind;
	ks_buf_init(&v->der, KS_XADES_VAL_DER_MAX);
	TRY(ks_xades_b64(el, KS_XADES_VAL_DER_MAX, &v->der, &ok));
	if (!ok) {
		/* not data the engine can use: left out */
		ks_buf_cleanup(&v->der);
		return 0;
	}
	f->n_vals++;
	return 0;
}

int ks_xades_ts_facts(const struct ks_xml_doc *d, const struct ks_dsig *s, const uint8_t *ext,
		      size_t ext_len, size_t *work, struct ks_xades_sig_facts *f)
{
	const xmlNode *usp = usp_of(s->sig), *c, *rv, *v;
	size_t walk = d->scan.nodes * (s->n_refs + 4) + 1;

	for (c = usp != NULL ? usp->children : NULL; c != NULL; c = c->next) {
		enum ks_xades_ts_kind kind;

		if (ks_xml_is(c, KS_NS_XADES, "SignatureTimeStamp"))
			kind = KS_XADES_TS_SIGNATURE;
		else if (ks_xml_is(c, KS_NS_XADES141, "ArchiveTimeStamp"))
			kind = KS_XADES_TS_ARCHIVE;
		else
			continue;
		if (f->n_ts >= KS_XADES_TS_MAX) {
			f->ts_dropped++;
			continue;
		}
		f->n_ts++;
		TRY(one_ts(d, s, c, kind, ext, ext_len, walk, work, &f->ts[f->n_ts - 1]));
	}
	rv = ks_xml_first(usp, KS_NS_XADES, "RevocationValues");
	if (rv == NULL)
		return 0;
	if (f->vals == NULL) {
		f->vals = calloc(KS_XADES_VALS_MAX, sizeof(*f->vals));
		if (f->vals == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	for (v = ks_xml_first(ks_xml_first(rv, KS_NS_XADES, "OCSPValues"), KS_NS_XADES,
			      "EncapsulatedOCSPValue");
	     v != NULL; v = ks_xml_next(v, KS_NS_XADES, "EncapsulatedOCSPValue"))
		TRY(one_val(v, KS_XADES_VAL_OCSP, f));
	for (v = ks_xml_first(ks_xml_first(rv, KS_NS_XADES, "CRLValues"), KS_NS_XADES,
			      "EncapsulatedCRLValue");
	     v != NULL; v = ks_xml_next(v, KS_NS_XADES, "EncapsulatedCRLValue"))
		TRY(one_val(v, KS_XADES_VAL_CRL, f));
	return 0;
}

void ks_xades_sig_facts_cleanup(struct ks_xades_sig_facts *f)
{
	size_t i;

	X509_free(f->signer);
	sk_X509_pop_free(f->certs, X509_free);
	for (i = 0; i < f->n_ts; i++)
		ks_buf_cleanup(&f->ts[i].token);
	for (i = 0; i < f->n_vals; i++)
		ks_buf_cleanup(&f->vals[i].der);
	free(f->vals);
	memset(f, 0, sizeof(*f));
}

int ks_xades_facts_of(const struct ks_xml_doc *d, xmlNodePtr signature, const uint8_t *ext,
		      size_t ext_len, struct ks_xades_sig_facts *f)
{
	struct ks_dsig s;
	struct ks_dsig_problem p, sp;
	struct ks_xades_verify_opts o;
	size_t work = 0;
	int rc = -1;

	ks_dsig_init(&s);
	memset(&p, 0, sizeof(p));
	memset(&sp, 0, sizeof(sp));
	memset(&o, 0, sizeof(o));
	memset(f, 0, sizeof(*f));
	o.content = ext;
	o.content_len = ext_len;
	f->certs = sk_X509_new_null();
	if (f->certs == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_dsig_parse(d, signature, &s, &p));
	if (p.sub == KS_SUB_NONE)
		KS_GUARD(ks_xades_props(d, &s, &o, f, &p, &sp));
	if (p.sub == KS_SUB_NONE && sp.sub != KS_SUB_NONE)
		p = sp;
	if (p.sub != KS_SUB_NONE)
		KS_BAIL(KS_ERR_XML, "%s", p.why);
	if (!f->xades || f->signer == NULL)
		KS_BAIL(KS_ERR_XML, "not a XAdES signature with its signer certificate");
	KS_GUARD(ks_xades_ts_facts(d, &s, ext, ext_len, &work, f));
	rc = 0;
out:
	ks_dsig_cleanup(&s);
	return rc;
}
