/* The reachability walk of the modification analysis (ks_pades_reach.c):
 * roles by position, every reference followed whatever its key, planted
 * objects unreached, structure walks stopped at structural objects,
 * hostile graphs (cycles, undefined and broken references) handled. */
#include "formats/pdf/ks_pades_int.h"
#include "pdf_build.h"
#include "ks_test.h"

static struct ks_pdfdoc *open_doc(struct pb *p)
{
	struct ks_pdfdoc *doc = NULL;

	assert_ok(ks_pdfdoc_open(p->b.data, p->b.len, NULL, &doc));
	return doc;
}

static const struct ks_pv_node *node(const struct ks_pv_reach *r, uint32_t num)
{
	return ks_pv_reach_get(r, num);
}

/* A page whose resources are named like back links (/P, /Parent, /Data),
 * an annotation with an appearance, a widget in a form, a planted object. */
static void build_doc(struct pb *p)
{
	static const char content[] = "q /P Do Q BT /Parent 12 Tf (6.5) Tj ET";
	static const char xo[] = "BT /Data 10 Tf (Kha) Tj ET";

	pb_init(p);
	pb_obj(p, 1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 10 0 R /OpenAction 14 0 R >>");
	pb_obj(p, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
	pb_obj(p, 3,
	       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
	       "/Resources << /XObject << /P 5 0 R >> /Font << /Parent 6 0 R >> >> "
	       "/Annots [7 0 R 8 0 R] >>");
	pb_stream(p, 4, "", content, sizeof(content) - 1);
	pb_stream(p, 5,
		  "/Type /XObject /Subtype /Form /BBox [0 0 10 10] "
		  "/Resources << /Font << /Data 9 0 R >> >>",
		  xo, sizeof(xo) - 1);
	pb_obj(p, 6, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
	pb_obj(p, 7,
	       "<< /Type /Annot /Subtype /FreeText /Rect [10 20 110 70] /P 3 0 R "
	       "/AP << /N 11 0 R >> >>");
	pb_obj(p, 8,
	       "<< /Type /Annot /Subtype /Widget /FT /Tx /T (A) /V 15 0 R /Rect [0 0 50 20] "
	       "/P 3 0 R /AP << /N 13 0 R >> >>");
	pb_obj(p, 9, "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>");
	pb_obj(p, 10, "<< /Fields [8 0 R] >>");
	pb_stream(p, 11, "/Type /XObject /Subtype /Form /BBox [0 0 100 50]", "", 0);
	pb_stream(p, 13, "/Type /XObject /Subtype /Form /BBox [0 0 50 20]", "", 0);
	pb_obj(p, 14, "<< /S /JavaScript /JS (1) >>");
	pb_obj(p, 15, "(value)");
	pb_obj(p, 20, "<< /Type /Catalog /Pages 21 0 R >>"); /* planted, unreachable */
	pb_xref_table(p, "/Root 1 0 R", 0);
}

static void test_roles_by_position(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	struct ks_pv_reach r;
	const struct ks_pv_node *n;

	(void)state;
	build_doc(&p);
	doc = open_doc(&p);
	assert_ok(ks_pv_reach_build(doc, 0, &r));
	assert_false(r.exhausted);
	assert_int_equal(r.catalog, 1);
	assert_int_equal(r.npages, 1);
	assert_true(node(&r, 1)->roles & PV_R_CATALOG);
	assert_true(node(&r, 2)->roles & PV_R_PAGETREE);
	n = node(&r, 3);
	assert_true(n->roles & PV_R_PAGE);
	assert_int_equal(n->page, 1);
	assert_true(node(&r, 4)->roles & PV_R_CONTENT);
	/* Resources named like back links are what the page draws. */
	assert_true(node(&r, 5)->roles & PV_R_CONTENT);
	assert_true(node(&r, 6)->roles & PV_R_CONTENT);
	assert_true(node(&r, 9)->roles & PV_R_CONTENT);
	/* An annotation and its appearance, with the page it shows on. */
	n = node(&r, 7);
	assert_true(n->roles & PV_R_ANNOT);
	assert_true(n->structural);
	assert_int_equal(n->page, 1);
	n = node(&r, 11);
	assert_true(n->roles & PV_R_ANNOT);
	assert_int_equal(n->owner, 7);
	/* The widget, its appearance (owned by it) and its field value. */
	n = node(&r, 8);
	assert_true(n->roles & PV_R_WIDGET);
	assert_true(n->roles & PV_R_FIELD);
	assert_int_equal(n->page, 1);
	n = node(&r, 13);
	assert_true(n->roles & PV_R_AP);
	assert_int_equal(n->owner, 8);
	assert_true(node(&r, 15)->roles & PV_R_FIELDVAL);
	assert_true(node(&r, 10)->roles & PV_R_ACROFORM);
	assert_true(node(&r, 14)->roles & PV_R_OTHER);
	/* An annotation's /P stops at the page: the page is no annotation. */
	assert_false(node(&r, 3)->roles & PV_R_ANNOT);
	/* Planted objects are not reached. */
	assert_null(node(&r, 20));
	assert_null(node(&r, 21));
	ks_pv_reach_free(&r);
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);
}

/* A later revision switches /Root to the planted catalog: the walk of that
 * revision reaches it (and not the old one). */
static void test_root_switch_reaches_planted(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	struct ks_pv_reach r;

	(void)state;
	build_doc(&p);
	pb_obj(&p, 21, "<< /Type /Pages /Kids [] /Count 0 >>");
	pb_xref_table(&p, "/Root 20 0 R", 0);
	doc = open_doc(&p);
	assert_ok(ks_pv_reach_build(doc, 1, &r));
	assert_int_equal(r.catalog, 20);
	assert_non_null(node(&r, 20));
	assert_true(node(&r, 21)->roles & PV_R_PAGETREE);
	assert_null(node(&r, 1));
	ks_pv_reach_free(&r);
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);
}

/* Undefined references are nodes that resolve to nothing; cycles in the
 * page tree and between generic objects end; a high object number is an
 * ordinary node. */
static void test_hostile_graphs(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	struct ks_pv_reach r;
	const struct ks_pv_node *n;

	(void)state;
	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog /Pages 2 0 R /Outlines 5 0 R >>");
	pb_obj(&p, 2, "<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 1 >>");
	pb_obj(&p, 3, "<< /Type /Page /Parent 2 0 R /Contents 40 0 R /Kids [2 0 R] >>");
	pb_obj(&p, 5, "<< /First 6 0 R >>");
	pb_obj(&p, 6, "<< /Next 5 0 R /X 63 0 R >>");
	pb_xref_table(&p, "/Root 1 0 R", 0);
	doc = open_doc(&p);
	assert_ok(ks_pv_reach_build(doc, 0, &r));
	n = node(&r, 40); /* referenced, undefined */
	assert_non_null(n);
	assert_false(n->defined);
	assert_true(n->roles & PV_R_CONTENT);
	assert_true(node(&r, 6)->roles & PV_R_OTHER);
	assert_non_null(node(&r, 63));
	assert_false(node(&r, 63)->defined);
	assert_int_equal(r.npages, 1);
	ks_pv_reach_free(&r);
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);
}

/* No catalog at all (a trailer without /Root, or /Root to a non-dict):
 * an empty walk, no error. */
static void test_no_catalog(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	struct ks_pv_reach r;

	(void)state;
	pb_init(&p);
	pb_obj(&p, 1, "42");
	pb_xref_table(&p, "/Root 1 0 R", 0);
	doc = open_doc(&p);
	assert_ok(ks_pv_reach_build(doc, 0, &r));
	assert_int_equal(r.npages, 0);
	assert_non_null(node(&r, 1));
	ks_pv_reach_free(&r);
	ks_pv_reach_free(&r); /* twice is harmless */
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_by_position),
		cmocka_unit_test(test_root_switch_reaches_planted),
		cmocka_unit_test(test_hostile_graphs),
		cmocka_unit_test(test_no_catalog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
