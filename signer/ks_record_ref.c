/* The record identifier of a document (ks_record_ref.h). */
#include "signer/ks_record_ref.h"

#include <string.h>

#include "formats/pdf/ks_pdf_rd.h"
#include "formats/pdf/ks_pdf_val.h"
#include "formats/render/ks_render.h"
#include "formats/xml/ks_xml.h"
#include "ks_buf.h"

static bool ref_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

_Static_assert(KS_JOB_RECORD_LEN == KS_RECORD_REF_MAX + 1, "record buffer of the sign outcome");

void ks_record_ref_take(const uint8_t *p, size_t n, char out[KS_RECORD_REF_MAX + 1])
{
	size_t i;

	out[0] = '\0';
	if (n == 0 || n > KS_RECORD_REF_MAX)
		return;
	for (i = 0; i < n; i++)
		if (!ref_char(p[i]))
			return;
	memcpy(out, p, n);
	out[n] = '\0';
}

bool ks_record_ref_ok(const char *id)
{
	char tmp[KS_RECORD_REF_MAX + 1];
	size_t n = strnlen(id, KS_RECORD_REF_MAX + 1);

	ks_record_ref_take((const uint8_t *)id, n, tmp);
	return tmp[0] != '\0';
}

/* ISO 32000-1 14.3.3: the trailer's /Info; our key in it. */
static int ref_pdf(const uint8_t *doc, size_t n, char out[KS_RECORD_REF_MAX + 1])
{
	struct ks_pdf_rd *rd = NULL;
	struct ks_pdf_rd_info info;
	struct ks_pdf_val *dict = NULL;
	const struct ks_pdf_val *v;
	int rc = -1;

	KS_GUARD(ks_pdf_rd_open(doc, n, &rd));
	KS_GUARD(ks_pdf_rd_info(rd, &info));
	if (info.info_num != 0) {
		KS_GUARD(ks_pdf_rd_get(rd, info.info_num, info.info_gen, &dict));
		if (dict != NULL && dict->type == KS_PV_DICT) {
			v = ks_pdf_val_get(dict, KS_RENDER_INFO_RECORD_ID);
			if (v != NULL && v->type == KS_PV_STRING)
				ks_record_ref_take(v->s, v->len, out);
		}
	}
	rc = 0;
out:
	ks_pdf_val_free(dict);
	ks_pdf_rd_close(rd);
	return rc;
}

/* The root in the records namespace, its first child DocumentId. */
static int ref_xml(const uint8_t *doc, size_t n, char out[KS_RECORD_REF_MAX + 1])
{
	struct ks_xml_doc *x = NULL;
	struct ks_buf text;
	xmlNodePtr root, first;
	int rc = -1;

	ks_buf_init(&text, KS_RECORD_REF_MAX + 1);
	KS_GUARD(ks_xml_parse(doc, n, &x));
	root = ks_xml_root(x);
	first = root != NULL && root->ns != NULL &&
			xmlStrEqual(root->ns->href, (const xmlChar *)KS_RENDER_XML_NS)
		    ? ks_xml_first(root, NULL, NULL)
		    : NULL;
	if (first != NULL && ks_xml_is(first, KS_RENDER_XML_NS, "DocumentId")) {
		if (ks_xml_text(first, KS_RECORD_REF_MAX + 1, &text) == 0)
			ks_record_ref_take(text.data, text.len, out);
		else
			ks_err_clear(); /* not an identifier: none */
	}
	rc = 0;
out:
	ks_buf_cleanup(&text);
	ks_xml_doc_free(x);
	return rc;
}

int ks_record_ref_of(enum ks_format f, const uint8_t *doc, size_t n,
		     char out[KS_RECORD_REF_MAX + 1])
{
	out[0] = '\0';
	if (f == KS_FORMAT_PDF)
		return ref_pdf(doc, n, out);
	if (f == KS_FORMAT_XML)
		return ref_xml(doc, n, out);
	return 0;
}
