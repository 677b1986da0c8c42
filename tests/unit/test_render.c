/* Unit tests for formats/render: the rendered PDFs read back through the
 * project's own PDF reader (three empty signature fields in signing
 * order, on the last page, with their rectangles; the catalog's language
 * and form), the XML form read back with libxml2 (same identifier, same
 * marks), the verification URL rules, Vietnamese capitals, and the
 * refusals (missing fonts, wrong record kind).  Pixels, text extraction,
 * QR decoding and signing are checked by tests/integration/render.sh. */
#include "ks_test.h"

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "formats/pdf/ks_pdf_form.h"
#include "formats/pdf/ks_pdf_rd.h"
#include "formats/render/ks_render.h"
#include "formats/render/ks_render_int.h"
#include "ks_io.h"

#include <unistd.h>

static char font_dir[4096];

static int setup(void **state)
{
	const char *b = getenv("KYSO_BUILD");

	(void)state;
	snprintf(font_dir, sizeof(font_dir), "%s/fonts", b != NULL ? b : "build");
	return 0;
}

static struct ks_record *parse_file(const char *path)
{
	struct ks_buf b;
	struct ks_record *r = NULL;

	ks_buf_init(&b, KS_REC_MAX_INPUT);
	if (ks_file_read(path, KS_REC_MAX_INPUT, &b) < 0 || ks_record_parse(b.data, b.len, &r) < 0)
		fail_msg("%s: %s", path, ks_err_msg());
	ks_buf_cleanup(&b);
	return r;
}

static void opts(struct ks_render_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->font_dir = font_dir;
}

static double num(const struct ks_pdf_val *v)
{
	return v->type == KS_PV_INT ? (double)v->i : v->r;
}

/* The form of a rendered PDF: three empty signature fields, in order,
 * each with an area, and the catalog's /Lang. */
static void check_form(const struct ks_buf *pdf, const char *first_field)
{
	static const char *const names[3] = { NULL, KS_RENDER_FIELD_PRINCIPAL,
					      KS_RENDER_FIELD_SEAL };
	struct ks_pdf_rd *rd = NULL;
	struct ks_pdf_rd_info info;
	struct ks_pdf_val *cat = NULL, *w = NULL;
	struct ks_pdf_form form;
	const struct ks_pdf_val *rect, *lang;
	uint32_t pnum;
	uint16_t pgen;
	size_t i, count;

	assert_true(pdf->len > 1000);
	assert_memory_equal(pdf->data, "%PDF-", 5);
	assert_ok(ks_pdf_rd_open(pdf->data, pdf->len, &rd));
	assert_ok(ks_pdf_rd_info(rd, &info));
	assert_false(info.repaired);
	assert_int_equal(info.id0_len, 16);
	assert_ok(ks_pdf_rd_get(rd, info.root_num, info.root_gen, &cat));
	lang = ks_pdf_val_get(cat, "Lang");
	assert_non_null(lang);
	assert_int_equal(lang->len, 5);
	assert_memory_equal(lang->s, "vi-VN", 5);
	memset(&form, 0, sizeof(form));
	assert_ok(ks_pdf_form_load(rd, cat, &form));
	assert_int_equal(form.n_fields, 3);
	assert_int_equal(form.n_signed, 0);
	assert_ok(ks_pdf_form_find_page(rd, cat, 0, &pnum, &pgen, &count));
	assert_ok(ks_pdf_form_find_page(rd, cat, count - 1, &pnum, &pgen, &count));
	for (i = 0; i < 3; i++) {
		const struct ks_pdf_field *f = &form.fields[i];
		const struct ks_pdf_val *p;

		assert_true(f->is_sig);
		assert_false(f->is_signed);
		assert_string_equal(f->name, i == 0 ? first_field : names[i]);
		assert_ok(ks_pdf_rd_get(rd, f->widget_num, f->widget_gen, &w));
		rect = ks_pdf_val_get(w, "Rect");
		assert_non_null(rect);
		assert_int_equal(rect->n, 4);
		/* A visible box well inside the A4 page. */
		assert_true(num(rect->items[2]) - num(rect->items[0]) > 100);
		assert_true(num(rect->items[3]) - num(rect->items[1]) > 40);
		assert_true(num(rect->items[0]) >= KS_RD_LEFT - 0.01);
		assert_true(num(rect->items[2]) <= KS_RD_RIGHT + 0.01);
		/* On the last page, printed. */
		p = ks_pdf_val_get(w, "P");
		assert_non_null(p);
		assert_int_equal(p->num, pnum);
		assert_int_equal(ks_pdf_val_get(w, "F")->i, 4);
		ks_pdf_val_free(w);
		w = NULL;
	}
	ks_pdf_form_cleanup(&form);
	ks_pdf_val_free(cat);
	ks_pdf_rd_close(rd);
}

static void test_transcript_pdf(void **state)
{
	struct ks_record *r = parse_file("docs/examples/lop-12a3.json");
	struct ks_render_opts o;
	struct ks_buf a, b;

	(void)state;
	opts(&o);
	ks_buf_init(&a, KS_RENDER_MAX_OUTPUT);
	ks_buf_init(&b, KS_RENDER_MAX_OUTPUT);
	assert_ok(ks_render_transcript(r, 0, &o, &a));
	check_form(&a, KS_RENDER_FIELD_HOMEROOM);
	/* The same record renders to the same layout (only the second file
	 * identifier, which changes with every revision, differs). */
	assert_ok(ks_render_transcript(r, 0, &o, &b));
	assert_int_equal(a.len, b.len);
	ks_buf_reset(&b);
	assert_ok(ks_render_transcript(r, r->n_students - 1, &o, &b));
	check_form(&b, KS_RENDER_FIELD_HOMEROOM);
	assert_fails_with(ks_render_transcript(r, r->n_students, &o, &b), KS_ERR_ARG);
	assert_fails_with(ks_render_gradebook(r, &o, &b), KS_ERR_ARG);
	ks_buf_cleanup(&a);
	ks_buf_cleanup(&b);
	ks_record_free(r);
}

static void test_gradebook_pdf(void **state)
{
	struct ks_record *r = parse_file("docs/examples/sodiem.json");
	struct ks_render_opts o;
	struct ks_buf a;

	(void)state;
	opts(&o);
	ks_buf_init(&a, KS_RENDER_MAX_OUTPUT);
	assert_ok(ks_render_gradebook(r, &o, &a));
	check_form(&a, KS_RENDER_FIELD_SUBJECT);
	ks_buf_reset(&a);
	assert_fails_with(ks_render_transcript(r, 0, &o, &a), KS_ERR_ARG);
	ks_buf_cleanup(&a);
	ks_record_free(r);
}

static const char *child_text(xmlNodePtr n, const char *name, char *buf, size_t len)
{
	for (n = n->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0) {
			xmlChar *t = xmlNodeGetContent(n);

			snprintf(buf, len, "%s", (const char *)t);
			xmlFree(t);
			return buf;
		}
	return NULL;
}

static void test_xml(void **state)
{
	struct ks_record *r = parse_file("docs/examples/hocba.json");
	struct ks_render_opts o;
	struct ks_buf x;
	xmlDocPtr doc;
	xmlNodePtr root, n;
	char id[KS_REC_ID_LEN + 1], buf[512];
	size_t years = 0, subjects = 0;

	(void)state;
	opts(&o);
	o.verify_base = "https://xacminh.example.edu.vn/v/";
	ks_buf_init(&x, KS_RENDER_MAX_OUTPUT);
	assert_ok(ks_render_xml(r, 0, &o, &x));
	assert_ok(ks_record_doc_id(r, 0, id));
	doc = xmlReadMemory((const char *)x.data, (int)x.len, "hocba.xml", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)root->name, "Transcript");
	assert_non_null(root->ns);
	assert_string_equal((const char *)root->ns->href, KS_RENDER_XML_NS);
	assert_string_equal(child_text(root, "DocumentId", buf, sizeof(buf)), id);
	snprintf(buf, sizeof(buf), "https://xacminh.example.edu.vn/v/%s", id);
	assert_string_equal(child_text(root, "VerificationUrl", buf + 200, 300), buf);
	for (n = root->children; n != NULL; n = n->next) {
		xmlNodePtr s;

		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "SchoolYear") != 0)
			continue;
		for (s = n->children; s != NULL; s = s->next)
			if (s->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)s->name, "Subject") == 0) {
				xmlChar *nm = xmlGetProp(s, (const xmlChar *)"name");

				if (years == 2 && strcmp((const char *)nm, "Toán") == 0) {
					assert_string_equal(
					    child_text(s, "Semester1", buf, sizeof(buf)), "6.0");
					assert_string_equal(child_text(s, "Year", buf, sizeof(buf)),
							    "6.3");
				}
				xmlFree(nm);
				subjects++;
			}
		years++;
	}
	assert_int_equal(years, 3);
	assert_int_equal(subjects, 36);
	xmlFreeDoc(doc);

	/* The gradebook form. */
	ks_record_free(r);
	r = parse_file("docs/examples/sodiem.json");
	ks_buf_reset(&x);
	assert_ok(ks_render_xml(r, 0, &o, &x));
	doc = xmlReadMemory((const char *)x.data, (int)x.len, "sodiem.xml", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)root->name, "Gradebook");
	assert_string_equal(child_text(root, "Subject", buf, sizeof(buf)), "Toán");
	assert_string_equal(child_text(root, "Term", buf, sizeof(buf)), "1");
	xmlFreeDoc(doc);
	ks_buf_cleanup(&x);
	ks_record_free(r);
}

static void test_verify_url(void **state)
{
	struct ks_render_opts o;
	char url[KS_RENDER_MAX_URL + 1], longbase[300];

	(void)state;
	opts(&o);
	assert_ok(ks_render_verify_url(&o, "hb-abc", url, sizeof(url)));
	assert_string_equal(url, "http://127.0.0.1:8443/v/hb-abc");
	o.verify_base = "https://kyso.sgd.hanoi.gov.vn/xac-minh///";
	assert_ok(ks_render_verify_url(&o, "hb-abc", url, sizeof(url)));
	assert_string_equal(url, "https://kyso.sgd.hanoi.gov.vn/xac-minh/hb-abc");
	o.verify_base = "ftp://x/v";
	assert_fails_with(ks_render_verify_url(&o, "hb-abc", url, sizeof(url)), KS_ERR_ARG);
	o.verify_base = "javascript:alert(1)";
	assert_fails_with(ks_render_verify_url(&o, "hb-abc", url, sizeof(url)), KS_ERR_ARG);
	o.verify_base = "http://x/v w";
	assert_fails_with(ks_render_verify_url(&o, "hb-abc", url, sizeof(url)), KS_ERR_ARG);
	o.verify_base = "http://x/v?id=";
	assert_fails_with(ks_render_verify_url(&o, "hb-abc", url, sizeof(url)), KS_ERR_ARG);
	o.verify_base = "http://x/\"><script>";
	assert_fails_with(ks_render_verify_url(&o, "hb-abc", url, sizeof(url)), KS_ERR_ARG);
	memset(longbase, 'a', sizeof(longbase) - 1);
	memcpy(longbase, "http://", 7);
	longbase[sizeof(longbase) - 1] = '\0';
	o.verify_base = longbase;
	assert_fails_with(ks_render_verify_url(&o, "hb-abc", url, sizeof(url)), KS_ERR_LIMIT);
}

static void test_upper(void **state)
{
	char out[256];

	(void)state;
	ks_rd_upper("Trường THPT Nguyễn Trãi - Ba Đình", out, sizeof(out));
	assert_string_equal(out, "TRƯỜNG THPT NGUYỄN TRÃI - BA ĐÌNH");
	ks_rd_upper("sở giáo dục và đào tạo hà nội", out, sizeof(out));
	assert_string_equal(out, "SỞ GIÁO DỤC VÀ ĐÀO TẠO HÀ NỘI");
	ks_rd_upper("ơ ư ă đ ĩ ũ ỳ ỹ ự ậ", out, sizeof(out));
	assert_string_equal(out, "Ơ Ư Ă Đ Ĩ Ũ Ỳ Ỹ Ự Ậ");
	/* Cut at a character, never inside one. */
	ks_rd_upper("ễễễ", out, 7);
	assert_string_equal(out, "ỄỄ");
}

static struct ks_record *parse_json(json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	struct ks_record *r = NULL;

	assert_non_null(text);
	if (ks_record_parse((const uint8_t *)text, strlen(text), &r) < 0)
		fail_msg("%s", ks_err_msg());
	free(text);
	return r;
}

/* The largest records the limits allow still lay out, fields included:
 * five years of 24 subjects with the longest comments, and a gradebook of
 * 200 students with 6 regular assessments and names of 100 bytes. */
static void test_extremes(void **state)
{
	json_t *root, *st, *years, *y, *scores, *students, *one, *reg;
	struct ks_record *r;
	struct ks_render_opts o;
	struct ks_buf a;
	char name[KS_REC_MAX_NAME + 1], comment[KS_REC_MAX_COMMENT + 1], sy[16];
	size_t i, k;
	json_error_t e;

	(void)state;
	opts(&o);
	ks_buf_init(&a, KS_RENDER_MAX_OUTPUT);
	root = json_load_file("docs/examples/hocba.json", 0, &e);
	assert_non_null(root);
	st = json_array_get(json_object_get(root, "students"), 0);
	/* 100 bytes of name: "Nguyễn " is 9 bytes. */
	for (i = 0; i + 9 <= KS_REC_MAX_NAME; i += 9)
		memcpy(name + i, "Nguyễn ", 9);
	memset(name + i, 'A', KS_REC_MAX_NAME - i);
	name[KS_REC_MAX_NAME] = '\0';
	json_object_set_new(st, "name", json_string(name));
	years = json_array();
	for (i = 0; i < KS_REC_MAX_YEARS; i++) {
		y = json_deep_copy(json_array_get(json_object_get(st, "years"), 0));
		snprintf(sy, sizeof(sy), "%zu-%zu", 2020 + i, 2021 + i);
		json_object_set_new(y, "school_year", json_string(sy));
		scores = json_object();
		for (k = 0; k < KS_REC_MAX_SUBJECTS; k++) {
			char sub[64];

			snprintf(sub, sizeof(sub), "Môn học tự chọn thứ %zu của chương trình",
				 k + 1);
			json_object_set_new(
			    scores, sub,
			    json_pack("{s:f,s:f,s:f}", "hk1", 8.5, "hk2", 8.5, "year", 8.5));
		}
		json_object_set_new(y, "scores", scores);
		for (k = 0; k < KS_REC_MAX_COMMENT; k++)
			comment[k] = (k % 110 == 109 && k / 110 < KS_REC_MAX_COMMENT_BREAKS) ? '\n'
				     : (k % 7 == 6)                                          ? ' '
											     : 'a';
		comment[KS_REC_MAX_COMMENT] = '\0';
		json_object_set_new(y, "comment", json_string(comment));
		json_array_append_new(years, y);
	}
	json_object_set_new(st, "years", years);
	r = parse_json(root);
	assert_ok(ks_render_transcript(r, 0, &o, &a));
	check_form(&a, KS_RENDER_FIELD_HOMEROOM);
	ks_record_free(r);
	json_decref(root);

	root = json_load_file("docs/examples/sodiem.json", 0, &e);
	assert_non_null(root);
	students = json_object_get(root, "students");
	one = json_deep_copy(json_array_get(students, 0));
	json_array_clear(students);
	reg = json_pack("[f,f,f,f,f,f]", 7.0, 7.0, 7.0, 7.0, 7.0, 7.0);
	json_object_set_new(one, "regular", reg);
	json_object_set_new(one, "midterm", json_real(7.0));
	json_object_set_new(one, "final", json_real(7.0));
	json_object_set_new(one, "average", json_real(7.0));
	json_object_set_new(one, "name", json_string(name));
	for (i = 0; i < KS_REC_MAX_STUDENTS; i++) {
		json_t *c = json_deep_copy(one);
		char code[16];

		snprintf(code, sizeof(code), "HS%05zu", i);
		json_object_set_new(c, "code", json_string(code));
		json_array_append_new(students, c);
	}
	json_decref(one);
	r = parse_json(root);
	ks_buf_reset(&a);
	assert_ok(ks_render_gradebook(r, &o, &a));
	check_form(&a, KS_RENDER_FIELD_SUBJECT);
	ks_record_free(r);
	json_decref(root);
	ks_buf_cleanup(&a);
}

static void test_refusals(void **state)
{
	struct ks_record *r = parse_file("docs/examples/hocba.json");
	struct ks_render_opts o;
	struct ks_buf a;
	char dir[64], path[128];

	(void)state;
	opts(&o);
	ks_buf_init(&a, KS_RENDER_MAX_OUTPUT);
	o.font_dir = "/nonexistent";
	assert_fails_with(ks_render_transcript(r, 0, &o, &a), KS_ERR_IO);
	assert_non_null(strstr(ks_err_msg(), "record font /nonexistent/DejaVuSans-flat.ttf"));
	assert_int_equal(a.len, 0);
	/* A file that is no font: libharu refuses it, kyso reports it. */
	snprintf(dir, sizeof(dir), "/tmp/kyso-render-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, KS_RENDER_FONT_REGULAR);
	assert_ok(ks_file_write_atomic(path, "not a font", 10, 0644));
	o.font_dir = dir;
	ks_err_clear();
	assert_int_equal(ks_render_transcript(r, 0, &o, &a), -1);
	assert_int_not_equal(ks_err_code(), KS_OK);
	assert_int_equal(a.len, 0);
	unlink(path);
	rmdir(dir);
	o.font_dir = font_dir;
	o.verify_base = "gopher://x";
	assert_fails_with(ks_render_transcript(r, 0, &o, &a), KS_ERR_ARG);
	assert_int_equal(a.len, 0);
	ks_buf_cleanup(&a);
	ks_record_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transcript_pdf),
		cmocka_unit_test(test_gradebook_pdf),
		cmocka_unit_test(test_xml),
		cmocka_unit_test(test_verify_url),
		cmocka_unit_test(test_upper),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_extremes),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
