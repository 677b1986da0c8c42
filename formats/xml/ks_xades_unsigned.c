/* Unsigned signature properties (ETSI EN 319 132-1 5.3 and 5.5): where
 * B-T, B-LT and B-LTA add them, at signing (ks_xades_sign_opts
 * unsigned_fn) or later (ks_xades_extend, for kyso extend). */
#include <string.h>

#include "formats/xml/ks_xades.h"

int ks_xades_usp(xmlNodePtr signature, xmlNodePtr *usp)
{
	xmlNodePtr obj, qp = NULL, up, u;
	xmlNsPtr xa;

	*usp = NULL;
	for (obj = ks_xml_first(signature, KS_NS_DS, "Object"); obj != NULL && qp == NULL;
	     obj = ks_xml_next(obj, KS_NS_DS, "Object"))
		qp = ks_xml_first(obj, KS_NS_XADES, "QualifyingProperties");
	if (qp == NULL)
		return KS_SET(KS_ERR_XML, "not a XAdES signature (no QualifyingProperties)");
	xa = qp->ns;
	up = ks_xml_first(qp, KS_NS_XADES, "UnsignedProperties");
	if (up == NULL &&
	    (up = xmlNewChild(qp, xa, (const xmlChar *)"UnsignedProperties", NULL)) == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	u = ks_xml_first(up, KS_NS_XADES, "UnsignedSignatureProperties");
	if (u == NULL) {
		/* it comes before UnsignedDataObjectProperties */
		u = xmlNewDocNode(up->doc, xa, (const xmlChar *)"UnsignedSignatureProperties",
				  NULL);
		if (u == NULL || (up->children != NULL ? xmlAddPrevSibling(up->children, u)
						       : xmlAddChild(up, u)) == NULL)
			return KS_SET(KS_ERR_NOMEM, "out of memory");
	}
	*usp = u;
	return 0;
}

int ks_xades_sigvalue_c14n(const struct ks_xml_doc *d, xmlNodePtr signature, struct ks_buf *out)
{
	struct ks_c14n_set set;

	memset(&set, 0, sizeof(set));
	set.apex = ks_xml_first(signature, KS_NS_DS, "SignatureValue");
	if (set.apex == NULL)
		return KS_SET(KS_ERR_XML, "ds:SignatureValue missing");
	return ks_c14n_buf(d, &set, KS_C14N_EXC, NULL, out);
}

int ks_xades_extend(const uint8_t *in, size_t n, const char *sig_id, ks_xades_unsigned_fn fn,
		    void *arg, struct ks_buf *out)
{
	struct ks_xml_doc *d = NULL;
	xmlNodePtr target;
	size_t i, done = 0;
	bool dup = false;
	int rc = -1;

	KS_GUARD(ks_xml_parse(in, n, &d));
	if (d->dup_id[0] != '\0')
		KS_BAIL(KS_ERR_XML, "ID '%s' is used twice in the document: not extended",
			d->dup_id);
	if (sig_id != NULL) {
		target = ks_xml_by_id(d, sig_id, &dup);
		if (!ks_xml_is(target, KS_NS_DS, "Signature"))
			KS_BAIL(KS_ERR_XML, "no signature with the Id '%s'", sig_id);
		KS_GUARD(fn(arg, d, target));
		done = 1;
	} else {
		/* the list is fixed before fn adds anything */
		size_t count = d->n_sigs;

		for (i = 0; i < count; i++) {
			if (ks_xml_nested_sig(d->sigs[i]))
				continue;
			KS_GUARD(fn(arg, d, d->sigs[i]));
			done++;
		}
	}
	if (done == 0)
		KS_BAIL(KS_ERR_XML, "the document has no signature to extend");
	KS_GUARD(ks_xml_dump_doc(d, out));
	rc = 0;
out:
	ks_xml_doc_free(d);
	return rc;
}
