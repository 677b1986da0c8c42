/* libFuzzer harness for the JSON record parser (formats/render/ks_record).
 * Oracle beyond "no crash": a record that parses has a document
 * identifier for each of its documents, and its XML form is written and
 * reads back as well-formed XML with the right root element. */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/render/ks_record.h"
#include "formats/render/ks_render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_record *r = NULL;
	struct ks_render_opts o;
	struct ks_buf xml;
	char id[KS_REC_ID_LEN + 1];
	xmlDocPtr doc;
	size_t i, n;
	int len;

	if (ks_record_parse(data, size, &r) < 0) {
		if (r != NULL)
			abort();
		return 0;
	}
	memset(&o, 0, sizeof(o));
	ks_buf_init(&xml, KS_RENDER_MAX_OUTPUT);
	n = r->kind == KS_REC_TRANSCRIPT ? r->n_students : 1;
	for (i = 0; i < n; i++) {
		if (ks_record_doc_id(r, i, id) < 0 || strlen(id) != KS_REC_ID_LEN)
			abort();
		ks_buf_reset(&xml);
		if (ks_render_xml(r, i, &o, &xml) < 0 || xml.len > (size_t)INT32_MAX)
			abort();
		len = (int)xml.len;
		doc = xmlReadMemory((const char *)xml.data, len, "record.xml", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		if (doc == NULL ||
		    strcmp((const char *)xmlDocGetRootElement(doc)->name,
			   r->kind == KS_REC_TRANSCRIPT ? "Transcript" : "Gradebook") != 0)
			abort();
		xmlFreeDoc(doc);
	}
	ks_buf_cleanup(&xml);
	ks_record_free(r);
	return 0;
}
