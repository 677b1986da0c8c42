/* The record id read back from a document (signer/ks_record_ref.h): the
 * PDF's /KysoRecordId in the latest trailer's /Info, the XML record's
 * DocumentId; anything that is not a well-formed id is none, and a
 * document that cannot be read is an error, never a crash. */
#include "ks_test.h"

#include "pdf_build.h"
#include "signer/ks_record_ref.h"

static const char *const catalog = "<< /Type /Catalog /Pages 2 0 R >>";
static const char *const pages = "<< /Type /Pages /Kids [] /Count 0 >>";

/* A PDF whose object 3 is the document information `info`. */
static void pdf_with_info(const char *info, struct ks_buf *pdf)
{
	const char *objs[3] = { catalog, pages, info };

	(void)pb_classic(pdf, (size_t)1 << 20, objs, 3, "/Info 3 0 R", true);
}

static void ref_of_pdf(const char *info, char *out)
{
	struct ks_buf pdf;

	pdf_with_info(info, &pdf);
	assert_ok(ks_record_ref_of(KS_FORMAT_PDF, pdf.data, pdf.len, out));
	ks_buf_cleanup(&pdf);
}

static void test_pdf(void **state)
{
	char out[KS_RECORD_REF_MAX + 1];
	struct ks_buf pdf;
	const char *objs[2] = { catalog, pages };
	char info[200];

	(void)state;
	ref_of_pdf("<< /Title (x) /KysoRecordId (hb-5gddzp4f5ltze6xh) >>", out);
	assert_string_equal(out, "hb-5gddzp4f5ltze6xh");
	/* a hex string is a string too (ISO 32000-1 7.3.4.3) */
	ref_of_pdf("<< /KysoRecordId <73642d61> >>", out);
	assert_string_equal(out, "sd-a");
	/* none, or none well-formed: "" */
	ref_of_pdf("<< /Keywords (hb-5gddzp4f5ltze6xh) >>", out);
	assert_string_equal(out, "");
	ref_of_pdf("<< /KysoRecordId /hb-5gddzp4f5ltze6xh >>", out);
	assert_string_equal(out, "");
	ref_of_pdf("<< /KysoRecordId (hb-<script>) >>", out);
	assert_string_equal(out, "");
	ref_of_pdf("<< /KysoRecordId (hb-a\\000b) >>", out);
	assert_string_equal(out, "");
	ref_of_pdf("<< /KysoRecordId () >>", out);
	assert_string_equal(out, "");
	ref_of_pdf("<< /KysoRecordId <feff00680062> >>", out); /* UTF-16: not an id */
	assert_string_equal(out, "");
	ref_of_pdf("(not a dictionary)", out);
	assert_string_equal(out, "");
	/* the length limit: 64 accepted, 65 not */
	snprintf(info, sizeof(info), "<< /KysoRecordId (%064d) >>", 7);
	ref_of_pdf(info, out);
	assert_int_equal(strlen(out), KS_RECORD_REF_MAX);
	snprintf(info, sizeof(info), "<< /KysoRecordId (%065d) >>", 7);
	ref_of_pdf(info, out);
	assert_string_equal(out, "");
	/* no /Info at all */
	(void)pb_classic(&pdf, (size_t)1 << 20, objs, 2, "", true);
	assert_ok(ks_record_ref_of(KS_FORMAT_PDF, pdf.data, pdf.len, out));
	assert_string_equal(out, "");
	/* not a PDF, a truncated one: errors */
	assert_int_equal(ks_record_ref_of(KS_FORMAT_PDF, (const uint8_t *)"%PDF-1.7\n", 9, out),
			 -1);
	ks_err_clear();
	assert_int_equal(ks_record_ref_of(KS_FORMAT_PDF, pdf.data, pdf.len / 2, out), -1);
	ks_err_clear();
	/* CMS: the id stays in the document, not in the .p7s */
	assert_ok(ks_record_ref_of(KS_FORMAT_CMS, pdf.data, pdf.len, out));
	assert_string_equal(out, "");
	ks_buf_cleanup(&pdf);
}

static int ref_of_xml(const char *xml, char *out)
{
	return ks_record_ref_of(KS_FORMAT_XML, (const uint8_t *)xml, strlen(xml), out);
}

static void test_xml(void **state)
{
	char out[KS_RECORD_REF_MAX + 1];

	(void)state;
	assert_ok(ref_of_xml("<Transcript version=\"1\" xmlns=\"urn:kyso:records:1\">"
			     "<DocumentId>hb-5gddzp4f5ltze6xh</DocumentId><School/></Transcript>",
			     out));
	assert_string_equal(out, "hb-5gddzp4f5ltze6xh");
	assert_ok(ref_of_xml("<r:Gradebook xmlns:r=\"urn:kyso:records:1\">\n  "
			     "<r:DocumentId>sd-xjidew2aagki5ozf</r:DocumentId></r:Gradebook>",
			     out));
	assert_string_equal(out, "sd-xjidew2aagki5ozf");
	/* another namespace, not the first child, element content, bad text */
	assert_ok(ref_of_xml("<Transcript><DocumentId>hb-1</DocumentId></Transcript>", out));
	assert_string_equal(out, "");
	assert_ok(ref_of_xml("<Transcript xmlns=\"urn:kyso:records:1\"><School/>"
			     "<DocumentId>hb-1</DocumentId></Transcript>",
			     out));
	assert_string_equal(out, "");
	assert_ok(ref_of_xml("<Transcript xmlns=\"urn:kyso:records:1\"><DocumentId>hb-<b/>"
			     "</DocumentId></Transcript>",
			     out));
	assert_string_equal(out, "");
	assert_ok(ref_of_xml("<Transcript xmlns=\"urn:kyso:records:1\"><DocumentId>hb-&lt;x&gt;"
			     "</DocumentId></Transcript>",
			     out));
	assert_string_equal(out, "");
	assert_ok(ref_of_xml("<Transcript xmlns=\"urn:kyso:records:1\"><DocumentId> hb-1"
			     "</DocumentId></Transcript>",
			     out));
	assert_string_equal(out, "");
	assert_ok(ref_of_xml("<Transcript xmlns=\"urn:kyso:records:1\"><DocumentId>"
			     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			     "</DocumentId></Transcript>",
			     out));
	assert_string_equal(out, "");
	/* refused before any parsing: a DOCTYPE (entities), malformed XML */
	assert_fails_with(ref_of_xml("<!DOCTYPE t [<!ENTITY e \"hb-1\">]><Transcript "
				     "xmlns=\"urn:kyso:records:1\"><DocumentId>&e;</DocumentId>"
				     "</Transcript>",
				     out),
			  KS_ERR_XML);
	ks_err_clear();
	assert_string_equal(out, "");
	assert_int_equal(ref_of_xml("<Transcript xmlns=\"urn:kyso:records:1\"><DocumentId>", out),
			 -1);
	ks_err_clear();
}

static void test_ok(void **state)
{
	(void)state;
	assert_true(ks_record_ref_ok("hb-5gddzp4f5ltze6xh"));
	assert_true(ks_record_ref_ok("A_z-09"));
	assert_false(ks_record_ref_ok(""));
	assert_false(ks_record_ref_ok("hb 1"));
	assert_false(ks_record_ref_ok("hb/1"));
	assert_false(ks_record_ref_ok("hb.1"));
	assert_false(ks_record_ref_ok("hb-\xc3\xa9"));
	assert_false(
	    ks_record_ref_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdf),
		cmocka_unit_test(test_xml),
		cmocka_unit_test(test_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
