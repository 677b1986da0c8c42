/* ks_pdfdoc: structure tests on PDFs built here (classic xref, xref
 * stream with object stream and PNG predictor, hybrid, incremental
 * updates, free entries, linearization-like merging), objects, filters,
 * pages and fields. */
#include "ks_test.h"

#include "formats/pdf/ks_pdfdoc.h"
#include "pdf_build.h"

static const char content[] = "BT /F1 12 Tf 72 720 Td (Hello) Tj ET";

/* The objects every test document has; object 4 is a Flate stream. */
static void base_objects(struct pb *p)
{
	struct ks_buf z;

	ks_buf_init(&z, 1 << 20);
	pb_obj(p, 1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] >> >>");
	pb_obj(p, 2,
	       "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] /Rotate 90 "
	       "/Resources << /ProcSet [/PDF] >> >>");
	pb_obj(p, 3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>");
	pb_deflate(content, strlen(content), &z);
	pb_stream(p, 4, "/Filter /FlateDecode", z.data, z.len);
	pb_obj(p, 5, "<< /Title (T\\351st) /Author <FEFF0054> >>");
	pb_obj(p, 6, "<< /T (form) /FT /Sig /Kids [7 0 R] >>");
	pb_obj(p, 7, "<< /T (sig1) /Parent 6 0 R /Subtype /Widget /Rect [0 0 0 0] /V 8 0 R >>");
	pb_obj(p, 8,
	       "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
	       "/ByteRange [0 10 20 30] /Contents <00AABB> >>");
	ks_buf_cleanup(&z);
}

static struct ks_pdfdoc *open_ok(const struct pb *p)
{
	struct ks_pdfdoc *doc = NULL;
	struct ks_pdfdoc_limits lim;

	ks_pdfdoc_limits_default(&lim);
	lim.allow_repair = false;
	assert_ok(ks_pdfdoc_open(p->b.data, p->b.len, &lim, &doc));
	assert_non_null(doc);
	assert_false(ks_pdfdoc_repaired(doc));
	return doc;
}

static void check_base(struct ks_pdfdoc *doc, size_t rev)
{
	const struct ks_pdfobj *o = NULL, *cat = NULL;
	const struct ks_pdfdoc_page *pg = NULL;
	const struct ks_pdfdoc_field *f = NULL;
	struct ks_buf out;
	size_t n = 0;

	ks_buf_init(&out, 1 << 20);
	assert_ok(ks_pdfdoc_catalog(doc, rev, &cat));
	assert_true(ks_pdfobj_is_name(ks_pdfobj_get(cat, "Type"), "Catalog"));
	assert_ok(ks_pdfdoc_page_count(doc, rev, &n));
	assert_int_equal(n, 1);
	assert_ok(ks_pdfdoc_page(doc, rev, 0, &pg));
	assert_int_equal(pg->num, 3);
	assert_non_null(pg->mediabox); /* inherited from /Pages */
	assert_int_equal(pg->mediabox->u.arr.n, 4);
	assert_int_equal(pg->rotate, 90);
	assert_non_null(pg->resources);
	assert_fails_with(ks_pdfdoc_page(doc, rev, 1, &pg), KS_ERR_ARG);
	assert_ok(ks_pdfdoc_dict_get(doc, rev, ks_pdfdoc_rev(doc, rev)->trailer, "Root", &o));
	assert_ptr_equal(o, cat);
	assert_ok(ks_pdfdoc_get(doc, rev, 4, 0, &o));
	assert_int_equal(o->type, KS_PDFOBJ_STREAM);
	assert_ok(ks_pdfdoc_stream_decode(doc, o, &out));
	assert_int_equal(out.len, strlen(content));
	assert_memory_equal(out.data, content, out.len);
	assert_ok(ks_pdfdoc_fields(doc, rev, &f, &n));
	assert_int_equal(n, 1);
	assert_string_equal(f[0].name, "form.sig1");
	assert_true(ks_pdfobj_is_name(f[0].ft, "Sig")); /* inherited */
	assert_non_null(f[0].sig);
	assert_int_equal(f[0].num, 7);
	assert_int_equal(f[0].sig_num, 8);
	o = ks_pdfobj_get(f[0].sig, "Contents");
	assert_non_null(o);
	assert_int_equal(o->type, KS_PDFOBJ_STRING);
	assert_true(o->u.str.hex);
	assert_int_equal(o->u.str.len, 3);
	assert_int_equal(o->end - o->start, 8); /* "<00AABB>" with delimiters */
	ks_buf_cleanup(&out);
}

static void test_classic(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	const struct ks_pdfdoc_rev *r;
	const struct ks_pdfdoc_eof *eofs;
	const struct ks_pdfdoc_startxref *sx;
	struct ks_pdfdoc_entry e;
	const struct ks_pdfobj *info = NULL, *o;
	struct ks_buf t;
	size_t n, x;

	(void)state;
	pb_init(&p);
	base_objects(&p);
	x = pb_xref_table(&p, "/Root 1 0 R /Info 5 0 R", 0);
	doc = open_ok(&p);
	assert_int_equal(ks_pdfdoc_version(doc), 17);
	assert_int_equal(ks_pdfdoc_header_offset(doc), 0);
	assert_int_equal(ks_pdfdoc_rev_count(doc), 1);
	r = ks_pdfdoc_rev(doc, 0);
	assert_int_equal(r->kind, KS_PDFDOC_XREF_TABLE);
	assert_int_equal(r->xref_off, x);
	assert_true(r->has_eof);
	assert_int_equal(r->end, p.b.len);
	assert_int_equal(r->nsections, 1);
	assert_int_equal(r->nobjects, 9);
	assert_int_not_equal(r->startxref_off, SIZE_MAX);
	assert_null(ks_pdfdoc_rev(doc, 1));
	assert_int_equal(ks_pdfdoc_rev_by_end(doc, p.b.len), 0);
	/* "%%EOF" without its EOL ends the revision too; inside it, not */
	assert_int_equal(ks_pdfdoc_rev_by_end(doc, p.b.len - 1), 0);
	assert_int_equal(ks_pdfdoc_rev_by_end(doc, p.b.len - 2), -1);
	ks_pdfdoc_eof_markers(doc, &eofs, &n);
	assert_int_equal(n, 1);
	assert_int_equal(eofs[0].end, p.b.len);
	assert_int_equal(eofs[0].off, p.b.len - 6);
	ks_pdfdoc_startxrefs(doc, &sx, &n);
	assert_int_equal(n, 1);
	assert_true(sx[0].valid && sx[0].in_chain);
	assert_int_equal(sx[0].value, x);
	check_base(doc, 0);
	assert_ok(ks_pdfdoc_xref_entry(doc, 0, 3, &e));
	assert_int_equal(e.type, KS_PDFDOC_ENTRY_INUSE);
	assert_int_equal(e.offset, p.off[3]);
	assert_ok(ks_pdfdoc_xref_entry(doc, 0, 0, &e));
	assert_int_equal(e.type, KS_PDFDOC_ENTRY_FREE);
	assert_int_equal(e.gen, 65535);
	assert_ok(ks_pdfdoc_xref_entry(doc, 0, 40, &e));
	assert_int_equal(e.type, KS_PDFDOC_ENTRY_NONE);
	/* undefined object and wrong generation: the null object */
	assert_ok(ks_pdfdoc_get(doc, 0, 40, 0, &o));
	assert_int_equal(o->type, KS_PDFOBJ_NULL);
	assert_ok(ks_pdfdoc_get(doc, 0, 3, 1, &o));
	assert_int_equal(o->type, KS_PDFOBJ_NULL);
	assert_fails_with(ks_pdfdoc_get(doc, 1, 3, 0, &o), KS_ERR_ARG);
	/* text strings: PDFDocEncoding and UTF-16BE */
	assert_ok(ks_pdfdoc_get(doc, 0, 5, 0, &info));
	ks_buf_init(&t, 1024);
	assert_ok(ks_pdfobj_text_utf8(ks_pdfobj_get(info, "Title"), &t));
	assert_int_equal(t.len, 5);
	assert_memory_equal(t.data, "T\xc3\xa9st", 5);
	ks_buf_reset(&t);
	assert_ok(ks_pdfobj_text_utf8(ks_pdfobj_get(info, "Author"), &t));
	assert_int_equal(t.len, 1);
	assert_int_equal(t.data[0], 'T');
	ks_buf_cleanup(&t);
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);
}

static void assert_text(const char *raw, size_t n, const char *want, size_t want_len)
{
	struct ks_pdfobj o = { .type = KS_PDFOBJ_STRING };
	struct ks_buf t;

	o.u.str.s = (const uint8_t *)raw;
	o.u.str.len = n;
	ks_buf_init(&t, 1024);
	assert_ok(ks_pdfobj_text_utf8(&o, &t));
	assert_int_equal(t.len, want_len);
	assert_memory_equal(t.data, want, want_len);
	ks_buf_cleanup(&t);
}

/* Text strings always come out as well-formed UTF-8, whatever their
 * encoding, and hostile UTF-16 is refused (ISO 32000-1 7.9.2.2). */
static void test_text_strings(void **state)
{
	struct ks_pdfobj o = { .type = KS_PDFOBJ_STRING };
	struct ks_buf t;

	(void)state;
	/* PDF 2.0 UTF-8 with its BOM: kept as is when well-formed */
	assert_text("\xef\xbb\xbfKý", 6, "K\xc3\xbd", 3);
	/* overlong, surrogate, stray continuation, truncated: U+FFFD each byte */
	assert_text("\xef\xbb\xbf\xc0\xaf"
		    "a",
		    6,
		    "\xef\xbf\xbd\xef\xbf\xbd"
		    "a",
		    7);
	assert_text("\xef\xbb\xbf\xed\xa0\x80", 6, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9);
	assert_text("\xef\xbb\xbf\x80", 4, "\xef\xbf\xbd", 3);
	assert_text("\xef\xbb\xbf\xe1\xbb", 5, "\xef\xbf\xbd\xef\xbf\xbd", 6);
	/* UTF-16BE: a pair becomes one 4-byte sequence */
	assert_text("\xfe\xff\xd8\x3d\xde\x00", 6, "\xf0\x9f\x98\x80", 4);
	/* PDFDocEncoding: 0x80 is a bullet, 0x9f undefined */
	assert_text("\x80\x9f", 2, "\xe2\x80\xa2\xef\xbf\xbd", 6);
	ks_buf_init(&t, 1024);
	o.u.str.s = (const uint8_t *)"\xfe\xff\xdc\x00";
	o.u.str.len = 4;
	assert_fails_with(ks_pdfobj_text_utf8(&o, &t), KS_ERR_ENCODING);
	o.u.str.s = (const uint8_t *)"\xfe\xff\xd8\x3d\x00\x41";
	o.u.str.len = 6;
	assert_fails_with(ks_pdfobj_text_utf8(&o, &t), KS_ERR_ENCODING);
	o.u.str.s = (const uint8_t *)"\xfe\xff\x00";
	o.u.str.len = 3;
	assert_fails_with(ks_pdfobj_text_utf8(&o, &t), KS_ERR_ENCODING);
	o.type = KS_PDFOBJ_NAME;
	assert_fails_with(ks_pdfobj_text_utf8(&o, &t), KS_ERR_PDF);
	ks_buf_cleanup(&t);
}

/* xref stream (predictor 12) + object stream holding objects 1, 2, 3. */
static void build_xrefstm(struct pb *p, bool png)
{
	static const unsigned nums[] = { 1, 2, 3 };
	static const char *const bodies[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] /Rotate 90 "
		"/Resources << >> >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
	};
	struct ks_buf z, rows;
	unsigned i;

	ks_buf_init(&z, 1 << 20);
	ks_buf_init(&rows, 1 << 20);
	pb_deflate(content, strlen(content), &z);
	pb_stream(p, 4, "/Filter /FlateDecode", z.data, z.len);
	pb_obj(p, 6, "<< /T (form) /FT /Sig /Kids [7 0 R] >>");
	pb_obj(p, 7, "<< /T (sig1) /Parent 6 0 R /Subtype /Widget /V 8 0 R >>");
	pb_obj(p, 8, "<< /Type /Sig /Contents <00AABB> /ByteRange [0 1 2 3] >>");
	pb_objstm(p, 10, nums, bodies, 3, "");
	pb_row(&rows, 0, 0, 65535);
	for (i = 1; i <= 3; i++)
		pb_row(&rows, 2, 10, (uint16_t)(i - 1));
	pb_row(&rows, 1, (uint32_t)p->off[4], 0);
	pb_row(&rows, 0, 0, 1);
	for (i = 6; i <= 8; i++)
		pb_row(&rows, 1, (uint32_t)p->off[i], 0);
	pb_row(&rows, 0, 0, 1); /* 9 */
	pb_row(&rows, 1, (uint32_t)p->off[10], 0);
	pb_row(&rows, 1, (uint32_t)p->b.len, 0); /* 11: the xref stream itself */
	(void)pb_xref_stream(p, 11, &rows, "0 12", "/Root 1 0 R", png, false);
	ks_buf_cleanup(&z);
	ks_buf_cleanup(&rows);
}

static void test_xref_stream(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	struct ks_pdfdoc_indirect ind;
	struct ks_pdfdoc_entry e;
	const struct ks_pdfobj *o;
	int png;

	(void)state;
	for (png = 0; png < 2; png++) {
		pb_init(&p);
		build_xrefstm(&p, png != 0);
		doc = open_ok(&p);
		assert_int_equal(ks_pdfdoc_rev_count(doc), 1);
		assert_int_equal(ks_pdfdoc_rev(doc, 0)->kind, KS_PDFDOC_XREF_STREAM);
		assert_true(ks_pdfobj_is_name(ks_pdfobj_get(ks_pdfdoc_rev(doc, 0)->trailer, "Type"),
					      "XRef"));
		check_base(doc, 0);
		assert_ok(ks_pdfdoc_xref_entry(doc, 0, 2, &e));
		assert_int_equal(e.type, KS_PDFDOC_ENTRY_COMPRESSED);
		assert_int_equal(e.objstm, 10);
		assert_int_equal(e.index, 1);
		assert_ok(ks_pdfdoc_lookup(doc, 0, 2, 0, &ind));
		assert_int_equal(ind.obj->objstm, 10); /* span is in the decoded stream */
		assert_int_equal(ind.entry.type, KS_PDFDOC_ENTRY_COMPRESSED);
		/* compressed objects have generation 0 */
		assert_ok(ks_pdfdoc_get(doc, 0, 2, 1, &o));
		assert_int_equal(o->type, KS_PDFOBJ_NULL);
		ks_pdfdoc_free(doc);
		ks_buf_cleanup(&p.b);
	}
}

/* 7.5.8.4: the table marks 1-3 free, the hidden xref stream has them. */
static void test_hybrid(void **state)
{
	static const unsigned nums[] = { 1, 2, 3 };
	static const char *const bodies[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] /Rotate 90 "
		"/Resources << >> >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
	};
	struct pb p;
	struct ks_pdfdoc *doc;
	struct ks_pdfdoc_entry e;
	struct ks_buf z, rows;
	size_t xs, x;
	unsigned i;
	char tr[128];

	(void)state;
	pb_init(&p);
	ks_buf_init(&z, 1 << 20);
	ks_buf_init(&rows, 1 << 20);
	pb_deflate(content, strlen(content), &z);
	pb_stream(&p, 4, "/Filter /FlateDecode", z.data, z.len);
	pb_obj(&p, 6, "<< /T (form) /FT /Sig /Kids [7 0 R] >>");
	pb_obj(&p, 7, "<< /T (sig1) /Parent 6 0 R /Subtype /Widget /V 8 0 R >>");
	pb_obj(&p, 8, "<< /Type /Sig /Contents <00AABB> >>");
	pb_objstm(&p, 10, nums, bodies, 3, "");
	for (i = 1; i <= 3; i++)
		pb_row(&rows, 2, 10, (uint16_t)(i - 1));
	xs = pb_xref_stream(&p, 11, &rows, "1 3", "", true, true);
	x = p.b.len;
	pb_str(&p, "xref\n0 11\n0000000000 65535 f\r\n0000000000 00001 f\r\n"
		   "0000000000 00001 f\r\n0000000000 00001 f\r\n");
	assert_ok(ks_buf_printf(&p.b, "%010zu 00000 n\r\n0000000000 00001 f\r\n", p.off[4]));
	for (i = 6; i <= 8; i++)
		assert_ok(ks_buf_printf(&p.b, "%010zu 00000 n\r\n", p.off[i]));
	assert_ok(ks_buf_printf(&p.b, "0000000000 00001 f\r\n%010zu 00000 n\r\n", p.off[10]));
	snprintf(tr, sizeof(tr), "trailer\n<< /Size 12 /Root 1 0 R /XRefStm %zu >>\n", xs);
	pb_str(&p, tr);
	pb_startxref(&p, x, true);
	doc = open_ok(&p);
	assert_int_equal(ks_pdfdoc_rev(doc, 0)->kind, KS_PDFDOC_XREF_HYBRID);
	assert_int_equal(ks_pdfdoc_rev(doc, 0)->xrefstm_off, xs);
	/* free in the table, compressed in the stream: the normal use */
	assert_int_equal(ks_pdfdoc_rev(doc, 0)->xref_conflicts, 0);
	check_base(doc, 0);
	assert_ok(ks_pdfdoc_xref_entry(doc, 0, 1, &e));
	assert_int_equal(e.type, KS_PDFDOC_ENTRY_COMPRESSED);
	assert_true(e.from_xrefstm);
	assert_ok(ks_pdfdoc_xref_entry(doc, 0, 4, &e));
	assert_int_equal(e.type, KS_PDFDOC_ENTRY_INUSE);
	assert_false(e.from_xrefstm);
	assert_ok(ks_pdfdoc_xref_entry(doc, 0, 5, &e));
	assert_int_equal(e.type, KS_PDFDOC_ENTRY_FREE);
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);
	ks_buf_cleanup(&z);
	ks_buf_cleanup(&rows);
}

/* Two updates: rev 1 redefines object 5, rev 2 deletes it. */
static void test_revisions(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	struct ks_pdfdoc_entry e;
	struct ks_pdfdoc_indirect ind;
	const struct ks_pdfobj *o, *t;
	const uint32_t *nums;
	size_t n, end0, end1, x1;
	const struct ks_pdfdoc_startxref *sx;

	(void)state;
	pb_init(&p);
	base_objects(&p);
	(void)pb_xref_table(&p, "/Root 1 0 R /Info 5 0 R", 0);
	end0 = p.b.len;
	pb_obj(&p, 5, "<< /Title (changed) >>");
	x1 = pb_xref_table(&p, "/Root 1 0 R /Info 5 0 R", 0);
	end1 = p.b.len;
	pb_str(&p, "\n"); /* whitespace between updates */
	(void)pb_xref_table(&p, "/Root 1 0 R", 5);
	doc = open_ok(&p);
	assert_int_equal(ks_pdfdoc_rev_count(doc), 3);
	assert_int_equal(ks_pdfdoc_rev(doc, 0)->end, end0);
	assert_int_equal(ks_pdfdoc_rev(doc, 1)->end, end1);
	assert_int_equal(ks_pdfdoc_rev(doc, 1)->xref_off, x1);
	assert_int_equal(ks_pdfdoc_rev(doc, 2)->end, p.b.len);
	assert_int_equal(ks_pdfdoc_rev_by_end(doc, end1), 1);
	ks_pdfdoc_startxrefs(doc, &sx, &n);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_true(sx[i].in_chain);
	/* object 5 as of each revision */
	assert_ok(ks_pdfdoc_get(doc, 0, 5, 0, &o));
	t = ks_pdfobj_get(o, "Title");
	assert_int_equal(t->u.str.len, 4);
	assert_ok(ks_pdfdoc_get(doc, 1, 5, 0, &o));
	t = ks_pdfobj_get(o, "Title");
	assert_string_equal((const char *)t->u.str.s, "changed");
	assert_ok(ks_pdfdoc_get(doc, 2, 5, 0, &o));
	assert_int_equal(o->type, KS_PDFOBJ_NULL); /* deleted */
	/* xref level */
	assert_ok(ks_pdfdoc_xref_entry(doc, 1, 5, &e));
	assert_int_equal(e.type, KS_PDFDOC_ENTRY_INUSE);
	assert_int_equal(e.offset, p.off[5]);
	assert_int_equal(e.rev, 1);
	assert_ok(ks_pdfdoc_xref_entry(doc, 1, 3, &e));
	assert_int_equal(e.type, KS_PDFDOC_ENTRY_NONE);
	assert_ok(ks_pdfdoc_xref_effective(doc, 1, 3, &e));
	assert_int_equal(e.type, KS_PDFDOC_ENTRY_INUSE);
	assert_int_equal(e.rev, 0);
	assert_ok(ks_pdfdoc_xref_effective(doc, 2, 5, &e));
	assert_int_equal(e.type, KS_PDFDOC_ENTRY_FREE);
	assert_int_equal(e.rev, 2);
	assert_ok(ks_pdfdoc_rev_objects(doc, 1, &nums, &n));
	assert_int_equal(n, 1);
	assert_int_equal(nums[0], 5);
	assert_ok(ks_pdfdoc_rev_objects(doc, 2, &nums, &n));
	assert_int_equal(n, 1);
	assert_int_equal(ks_pdfdoc_max_object(doc, 2), 9);
	/* parse_at: what an offset holds, independent of the xref */
	assert_ok(ks_pdfdoc_parse_at(doc, p.off[3], &ind));
	assert_int_equal(ind.num, 3);
	assert_int_equal(ind.start, p.off[3]);
	assert_int_equal(ind.entry.type, KS_PDFDOC_ENTRY_NONE);
	assert_fails_with(ks_pdfdoc_parse_at(doc, p.off[3] + 2, &ind), KS_ERR_PDF);
	check_base(doc, 2);
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);
}

/* Annex F: a linearized file's first-page section comes first and its
 * /Prev names the main table at the end; the last startxref names the
 * first-page section.  Both sections form one revision. */
static void test_linearized_merge(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	const struct ks_pdfdoc_rev *r;
	const struct ks_pdfdoc_eof *eofs;
	size_t first_x, main_x, prev_at, n, tail;
	char num[16];

	(void)state;
	pb_init(&p);
	first_x = p.b.len;
	pb_str(&p, "xref\n0 0\ntrailer\n<< /Size 9 /Root 1 0 R /Prev ");
	prev_at = p.b.len;
	pb_str(&p, "0000000000 >>\nstartxref\n0\n%%EOF\n");
	base_objects(&p);
	main_x = pb_xref_table(&p, "/Root 1 0 R", 0);
	/* point the final startxref at the first-page section */
	snprintf(num, sizeof(num), "%zu", main_x);
	tail = strlen("startxref\n") + strlen(num) + strlen("\n%%EOF\n");
	ks_buf_truncate(&p.b, p.b.len - tail);
	pb_startxref(&p, first_x, true);
	snprintf(num, sizeof(num), "%010zu", main_x);
	memcpy(p.b.data + prev_at, num, 10);
	doc = open_ok(&p);
	assert_int_equal(ks_pdfdoc_rev_count(doc), 1);
	r = ks_pdfdoc_rev(doc, 0);
	assert_int_equal(r->nsections, 2);
	assert_int_equal(r->xref_off, first_x);
	assert_int_equal(r->end, p.b.len);
	assert_int_not_equal(r->startxref_off, SIZE_MAX);
	ks_pdfdoc_eof_markers(doc, &eofs, &n);
	assert_int_equal(n, 2);
	check_base(doc, 0);
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);
}

/* A repeated key marks the dictionary (pairwise below 33 entries, sorted
 * above); ks_pdfobj_get still returns the first. */
static void test_dup_keys(void **state)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	const struct ks_pdfobj *o = NULL;
	struct ks_buf big;
	unsigned i;

	(void)state;
	pb_init(&p);
	ks_buf_init(&big, 1 << 16);
	pb_obj(&p, 1, "<< /Type /Catalog /Pages 2 0 R /Pages 3 0 R >>");
	pb_obj(&p, 2, "<< /Type /Pages /Kids [] /Count 0 /A << /x 1 /x 2 >> >>");
	pb_obj(&p, 3, "<< /Type /Pages /Kids [] /Count 0 /x#41 1 /xA 2 >>");
	for (i = 0; i < 40; i++)
		assert_ok(ks_buf_printf(&big, "/k%u %u ", i, i));
	assert_ok(ks_buf_append_str(&big, ">>"));
	{ /* objects 4 and 5: 40 keys, then the same plus a repeat */
		struct ks_buf b4, b5;
		const char *s4, *s5;

		ks_buf_init(&b4, 1 << 16);
		ks_buf_init(&b5, 1 << 16);
		assert_ok(ks_buf_printf(&b4, "<< %.*s", (int)big.len, (const char *)big.data));
		assert_ok(
		    ks_buf_printf(&b5, "<< /k17 9 %.*s", (int)big.len, (const char *)big.data));
		assert_ok(ks_buf_cstr(&b4, &s4));
		assert_ok(ks_buf_cstr(&b5, &s5));
		pb_obj(&p, 4, s4);
		pb_obj(&p, 5, s5);
		ks_buf_cleanup(&b4);
		ks_buf_cleanup(&b5);
	}
	pb_xref_table(&p, "/Root 1 0 R", 0);
	doc = open_ok(&p);
	assert_ok(ks_pdfdoc_get(doc, 0, 1, 0, &o));
	assert_true(o->u.dict.dup);
	assert_int_equal(ks_pdfobj_get(o, "Pages")->u.ref.num, 2);
	assert_ok(ks_pdfdoc_get(doc, 0, 2, 0, &o));
	assert_false(o->u.dict.dup);
	assert_true(ks_pdfobj_get(o, "A")->u.dict.dup);
	assert_ok(ks_pdfdoc_get(doc, 0, 3, 0, &o));
	assert_true(o->u.dict.dup); /* #41 is A */
	assert_ok(ks_pdfdoc_get(doc, 0, 4, 0, &o));
	assert_int_equal(o->u.dict.n, 40);
	assert_false(o->u.dict.dup);
	assert_ok(ks_pdfdoc_get(doc, 0, 5, 0, &o));
	assert_int_equal(o->u.dict.n, 41);
	assert_true(o->u.dict.dup);
	assert_int_equal(ks_pdfobj_get(o, "k17")->u.i, 9);
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&big);
	ks_buf_cleanup(&p.b);
}

static void test_objects(void **state)
{
	static const char pdf[] =
	    "%PDF-1.4\n"
	    "1 0 obj\n"
	    "<< /Type /Catalog /A (a\\(b\\)\\n\\101\\156\\t\\q\\\r\nc) /B <48 65 6C6C 6F7> "
	    "/N#20x /Lab#23 /I -12 /R -.5 /R2 4. /T true /F false /Z null "
	    "/Arr [1 2 0 R [/x] << /k 1 >>] /Big 99999999999999999999 >>\n"
	    "endobj\n"
	    "xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \n"
	    "trailer << /Size 2 /Root 1 0 R >>\nstartxref\n";
	struct ks_buf b;
	struct ks_pdfdoc *doc = NULL;
	const struct ks_pdfobj *c = NULL, *o;
	size_t x;
	double d;

	(void)state;
	ks_buf_init(&b, 1 << 20);
	assert_ok(ks_buf_append_str(&b, pdf));
	x = (size_t)(strstr(pdf, "xref") - pdf);
	assert_ok(ks_buf_printf(&b, "%zu\n%%%%EOF", x)); /* no EOL after %%EOF */
	assert_ok(ks_pdfdoc_open(b.data, b.len, NULL, &doc));
	assert_false(ks_pdfdoc_repaired(doc));
	assert_int_equal(ks_pdfdoc_rev(doc, 0)->end, b.len);
	assert_ok(ks_pdfdoc_catalog(doc, 0, &c));
	o = ks_pdfobj_get(c, "A");
	/* \<CRLF> is a line continuation; \156 an octal n, not a newline */
	assert_int_equal(o->u.str.len, 10);
	assert_memory_equal(o->u.str.s, "a(b)\nAn\tqc", 10);
	assert_false(o->u.str.hex);
	o = ks_pdfobj_get(c, "B");
	assert_true(o->u.str.hex);
	assert_int_equal(o->u.str.len, 6);
	assert_memory_equal(o->u.str.s, "Hello\x70", 6);
	assert_true(ks_pdfobj_is_name(ks_pdfobj_get(c, "N x"), "Lab#"));
	assert_true(ks_pdfobj_int(ks_pdfobj_get(c, "I"), &(int64_t){ 0 }));
	assert_int_equal(ks_pdfobj_get(c, "I")->u.i, -12);
	assert_true(ks_pdfobj_number(ks_pdfobj_get(c, "R"), &d));
	assert_true(d == -0.5);
	assert_true(ks_pdfobj_number(ks_pdfobj_get(c, "R2"), &d));
	assert_true(d == 4.0);
	assert_int_equal(ks_pdfobj_get(c, "Big")->type, KS_PDFOBJ_REAL);
	assert_true(ks_pdfobj_get(c, "T")->u.b);
	assert_false(ks_pdfobj_get(c, "F")->u.b);
	assert_int_equal(ks_pdfobj_get(c, "Z")->type, KS_PDFOBJ_NULL);
	o = ks_pdfobj_get(c, "Arr");
	assert_int_equal(o->u.arr.n, 4);
	assert_int_equal(o->u.arr.items[1]->type, KS_PDFOBJ_REF);
	assert_int_equal(o->u.arr.items[1]->u.ref.num, 2);
	assert_int_equal(o->u.arr.items[3]->type, KS_PDFOBJ_DICT);
	assert_string_equal(ks_pdfobj_type_name(KS_PDFOBJ_STREAM), "stream");
	/* typed get: a wrong type is an error, a missing key is NULL */
	assert_fails_with(ks_pdfdoc_dict_get_type(doc, 0, c, "A", KS_PDFOBJ_DICT, &o), KS_ERR_PDF);
	assert_ok(ks_pdfdoc_dict_get_type(doc, 0, c, "Missing", KS_PDFOBJ_DICT, &o));
	assert_null(o);
	assert_ok(ks_pdfdoc_dict_get_type(doc, 0, c, "Z", KS_PDFOBJ_DICT, &o));
	assert_null(o);
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&b);
}

/* Filters other than Flate, and predictors, on one-stream files. */
static void decode_one(const char *dict, const void *data, size_t n, struct ks_buf *out, int expect)
{
	struct pb p;
	struct ks_pdfdoc *doc;
	const struct ks_pdfobj *s = NULL;

	pb_init(&p);
	pb_obj(&p, 1, "<< /Type /Catalog >>");
	pb_stream(&p, 2, dict, data, n);
	(void)pb_xref_table(&p, "/Root 1 0 R", 0);
	doc = open_ok(&p);
	assert_ok(ks_pdfdoc_get(doc, 0, 2, 0, &s));
	if (expect == KS_OK)
		assert_ok(ks_pdfdoc_stream_decode(doc, s, out));
	else
		assert_fails_with(ks_pdfdoc_stream_decode(doc, s, out), expect);
	ks_pdfdoc_free(doc);
	ks_buf_cleanup(&p.b);
}

static void test_filters(void **state)
{
	struct ks_buf out, z, raw;
	static const uint8_t tiff_rows[] = { 10, 1, 1, 1, 20, 2, 2, 2 }; /* Columns 4, 8 bit */
	static const uint8_t tiff16[] = { 0x01, 0x00, 0x00, 0x01, 0xff, 0xff };

	(void)state;
	ks_buf_init(&out, 1 << 20);
	ks_buf_init(&z, 1 << 20);
	ks_buf_init(&raw, 1 << 20);
	decode_one("/Filter /ASCIIHexDecode", "48 65 6c 6C 6f 2>", 18, &out, KS_OK);
	assert_int_equal(out.len, 6);
	assert_memory_equal(out.data, "Hello ", 6);
	decode_one("/Filter /ASCII85Decode", "z87cURD]i,\"Ebo7~>", 17, &out, KS_OK);
	assert_int_equal(out.len, 15);
	assert_memory_equal(out.data, "\0\0\0\0Hello World", 15);
	decode_one("/Filter /RunLengthDecode",
		   "\x02"
		   "abc"
		   "\xfe"
		   "x"
		   "\x80",
		   7, &out, KS_OK);
	assert_int_equal(out.len, 6);
	assert_memory_equal(out.data, "abcxxx", 6);
	/* chained: ASCIIHex of a Flate stream */
	pb_deflate(content, strlen(content), &z);
	for (size_t i = 0; i < z.len; i++)
		assert_ok(ks_buf_printf(&raw, "%02x", z.data[i]));
	decode_one("/Filter [/AHx /FlateDecode]", raw.data, raw.len, &out, KS_OK);
	assert_int_equal(out.len, strlen(content));
	/* TIFF predictor 2, 8 bits, Colors 1 Columns 4 */
	ks_buf_reset(&z);
	pb_deflate(tiff_rows, sizeof(tiff_rows), &z);
	decode_one("/Filter /FlateDecode /DecodeParms << /Predictor 2 /Columns 4 >>", z.data, z.len,
		   &out, KS_OK);
	assert_int_equal(out.len, 8);
	assert_memory_equal(out.data, "\x0a\x0b\x0c\x0d\x14\x16\x18\x1a", 8);
	/* TIFF predictor 2, 16 bits: 0x0100 + 0x0001 + 0xffff (mod 2^16) */
	ks_buf_reset(&z);
	pb_deflate(tiff16, sizeof(tiff16), &z);
	decode_one("/Filter /FlateDecode /DecodeParms << /Predictor 2 /Columns 3 "
		   "/BitsPerComponent 16 >>",
		   z.data, z.len, &out, KS_OK);
	assert_memory_equal(out.data, "\x01\x00\x01\x01\x01\x00", 6);
	/* unsupported filters and bad predictor parameters */
	decode_one("/Filter /DCTDecode", "xx", 2, &out, KS_ERR_UNSUPPORTED);
	decode_one("/Filter /LZWDecode", "xx", 2, &out, KS_ERR_UNSUPPORTED);
	decode_one("/Filter /FlateDecode /DecodeParms << /Predictor 7 >>", z.data, z.len, &out,
		   KS_ERR_UNSUPPORTED);
	decode_one("/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 0 >>", z.data,
		   z.len, &out, KS_ERR_PDF);
	decode_one("/Filter /FlateDecode /DecodeParms << /Predictor 12 /BitsPerComponent 3 >>",
		   z.data, z.len, &out, KS_ERR_PDF);
	decode_one("/Filter /FlateDecode /DecodeParms << /Predictor 12 /Colors -1 >>", z.data,
		   z.len, &out, KS_ERR_PDF);
	/* a PNG row whose filter type is 9 */
	ks_buf_reset(&z);
	pb_deflate("\x09\x01\x02", 3, &z);
	decode_one("/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 2 >>", z.data,
		   z.len, &out, KS_ERR_PDF);
	decode_one("/Filter /FlateDecode", "not zlib", 8, &out, KS_ERR_PDF);
	decode_one("/Filter 12", "xx", 2, &out, KS_ERR_PDF);
	decode_one("/Filter /ASCIIHexDecode", "4G>", 3, &out, KS_ERR_PDF);
	decode_one("/Filter /ASCII85Decode", "a~>", 3, &out, KS_ERR_PDF);
	decode_one("/Filter /ASCII85Decode", "s8W-\"~>", 7, &out, KS_ERR_PDF);
	ks_buf_cleanup(&out);
	ks_buf_cleanup(&z);
	ks_buf_cleanup(&raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classic),          cmocka_unit_test(test_xref_stream),
		cmocka_unit_test(test_hybrid),           cmocka_unit_test(test_revisions),
		cmocka_unit_test(test_linearized_merge), cmocka_unit_test(test_objects),
		cmocka_unit_test(test_dup_keys),         cmocka_unit_test(test_filters),
		cmocka_unit_test(test_text_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
