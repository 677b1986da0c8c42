/* ks_render_form: what libharu cannot write, added as one incremental
 * update (ISO 32000-1 7.5.6) with the project's own writer.
 *
 * libharu 2.3.0 has no form fields at all, so the empty signature fields
 * (12.7.4.5: /FT /Sig, merged with their widget annotations, 12.5.6.19)
 * are written here, with the AcroForm that lists them in signing order and
 * the /Annots of their pages.  Why an update and not objects patched into
 * libharu's output: the writer (formats/pdf/ks_pdf_write) already
 * serializes objects, cross-reference sections and trailers correctly and
 * is fuzzed, and the reader (ks_pdf_rd) gives the object numbers libharu
 * chose; patching bytes would mean a second, untested PDF writer.  The
 * cost is one more revision in a document nobody has signed yet.
 *
 * The same update repairs libharu's text extraction data: its UTF-8 fonts
 * carry as /ToUnicode a CMap that maps every code to CID 0 with
 * begincidrange (a CMap for CIDs, not a ToUnicode one, 9.10.3); readers
 * that trust it extract nothing.  The codes libharu writes are the UTF-16
 * code units of the text (its CIDToGIDMap maps them to glyphs), so the
 * right ToUnicode is the identity over the record character set.  The
 * document information is written as proper text strings (libharu would
 * write raw UTF-8 bytes), with /Lang vi-VN (14.9.2). */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "formats/pdf/ks_pdf_form.h"
#include "formats/pdf/ks_pdf_rd.h"
#include "formats/pdf/ks_pdf_val.h"
#include "formats/pdf/ks_pdf_write.h"
#include "formats/render/ks_render_chars.h"
#include "formats/render/ks_render_int.h"

/* Bytes of one rewritten object. */
#define OBJ_MAX ((size_t)1 << 20)
/* Fonts repaired in one document. */
#define MAX_FONTS 8
/* bfrange entries in one block (9.10.3 via Adobe TN 5014: at most 100). */
#define BFRANGE_MAX 100

struct form {
	struct ks_pdf_rd *rd;
	struct ks_pdf_update *u;
	uint32_t fonts[MAX_FONTS]; /* ToUnicode objects already replaced */
	size_t n_fonts;
};

static int put_val(struct form *f, uint32_t num, uint16_t gen, const struct ks_pdf_val *v)
{
	struct ks_buf b;
	int rc = -1;

	ks_buf_init(&b, OBJ_MAX);
	KS_GUARD(ks_pdf_val_put(&b, v));
	KS_GUARD(ks_pdf_update_put(f->u, num, gen, b.data, b.len));
	rc = 0;
out:
	ks_buf_cleanup(&b);
	return rc;
}

/* One bfrange line per run of code points sharing their high byte. */
static int tounicode_cmap(struct ks_buf *b)
{
#define KS_RANGE_ROW(a, z) { (a), (z) },
	static const uint32_t ranges[][2] = { KS_RENDER_CHARSET(KS_RANGE_ROW) };
#undef KS_RANGE_ROW
	struct ks_buf rows;
	size_t i, n = 0;
	int rc = -1;

	ks_buf_init(&rows, 1 << 16);
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		uint32_t lo = ranges[i][0];

		while (lo <= ranges[i][1]) {
			uint32_t hi = (lo | 0xFF) < ranges[i][1] ? (lo | 0xFF) : ranges[i][1];

			KS_GUARD(ks_buf_printf(&rows, "<%04X> <%04X> <%04X>\n", (unsigned)lo,
					       (unsigned)hi, (unsigned)lo));
			n++;
			lo = hi + 1;
		}
	}
	KS_ENSURE(n <= BFRANGE_MAX, KS_ERR_INTERNAL, "record character set too fragmented");
	KS_GUARD(ks_buf_printf(b,
			       "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
			       "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 "
			       ">> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
			       "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
			       "%zu beginbfrange\n",
			       n));
	KS_GUARD(ks_buf_append(b, rows.data, rows.len));
	KS_GUARD(ks_buf_append_str(b, "endbfrange\nendcmap\nCMapName currentdict /CMap "
				      "defineresource pop\nend\nend\n"));
	rc = 0;
out:
	ks_buf_cleanup(&rows);
	return rc;
}

/* Replace the /ToUnicode of every Type0 font of the page's resources. */
static int repair_fonts(struct form *f, const struct ks_pdf_val *pg)
{
	struct ks_pdf_val *res = NULL, *fonts = NULL, *font = NULL;
	struct ks_buf cmap;
	size_t i, k;
	int rc = -1;

	ks_buf_init(&cmap, 1 << 16);
	KS_GUARD(ks_pdf_form_resolve(f->rd, ks_pdf_val_get(pg, "Resources"), &res));
	if (res == NULL || res->type != KS_PV_DICT) {
		rc = 0;
		goto out;
	}
	KS_GUARD(ks_pdf_form_resolve(f->rd, ks_pdf_val_get(res, "Font"), &fonts));
	for (i = 0; fonts != NULL && fonts->type == KS_PV_DICT && i < fonts->n; i++) {
		const struct ks_pdf_val *tu;
		bool done = false;

		ks_pdf_val_free(font);
		font = NULL;
		KS_GUARD(ks_pdf_form_resolve(f->rd, fonts->items[i], &font));
		if (font == NULL || !ks_pdf_val_is_name(ks_pdf_val_get(font, "Subtype"), "Type0"))
			continue;
		tu = ks_pdf_val_get(font, "ToUnicode");
		if (tu == NULL || tu->type != KS_PV_REF)
			continue;
		for (k = 0; k < f->n_fonts; k++)
			done = done || f->fonts[k] == tu->num;
		if (done)
			continue;
		KS_ENSURE(f->n_fonts < MAX_FONTS, KS_ERR_LIMIT, "more than %d fonts", MAX_FONTS);
		f->fonts[f->n_fonts++] = tu->num;
		ks_buf_reset(&cmap);
		KS_GUARD(tounicode_cmap(&cmap));
		KS_GUARD(ks_pdf_update_put_stream(f->u, tu->num, tu->gen, "", cmap.data, cmap.len,
						  true));
	}
	rc = 0;
out:
	ks_pdf_val_free(res);
	ks_pdf_val_free(fonts);
	ks_pdf_val_free(font);
	ks_buf_cleanup(&cmap);
	return rc;
}

static struct ks_pdf_val *text_val(const char *utf8)
{
	struct ks_buf b;
	struct ks_pdf_val *v = NULL;

	/* ks_pdf_put_text writes the serialized form; the value model wants
	 * the string bytes, so build UTF-16BE with its BOM directly. */
	ks_buf_init(&b, 4 * KS_PDF_MAX_STRING);
	if (ks_buf_append(&b, "\xFE\xFF", 2) == 0 &&
	    ks_pdf_utf8_to_utf16be(utf8, strlen(utf8), &b) == 0)
		v = ks_pdf_val_string(b.data, b.len);
	ks_buf_cleanup(&b);
	return v;
}

static int set(struct ks_pdf_val *d, const char *key, struct ks_pdf_val *v)
{
	if (v == NULL)
		return -1;
	return ks_pdf_val_set(d, key, v);
}

static struct ks_pdf_val *rect_val(const struct ks_rd_field *fl)
{
	struct ks_pdf_val *a = ks_pdf_val_new(KS_PV_ARRAY);
	double v[4] = { fl->x, fl->y, fl->x + fl->w, fl->y + fl->h };
	size_t i;

	for (i = 0; a != NULL && i < 4; i++) {
		if (ks_pdf_val_push(a, ks_pdf_val_real(v[i])) < 0) {
			ks_pdf_val_free(a);
			return NULL;
		}
	}
	return a;
}

/* A signature field merged with its widget (12.7.4.5, 12.5.6.19): printed
 * (/F 4), on its page (/P), without a value until it is signed. */
static int put_field(struct form *f, const struct ks_rd_field *fl, uint32_t num, uint32_t page,
		     uint16_t page_gen)
{
	struct ks_pdf_val *w = ks_pdf_val_new(KS_PV_DICT);
	int rc = -1;

	KS_ENSURE(w != NULL, KS_ERR_NOMEM, "out of memory");
	KS_GUARD(set(w, "Type", ks_pdf_val_name("Annot")));
	KS_GUARD(set(w, "Subtype", ks_pdf_val_name("Widget")));
	KS_GUARD(set(w, "FT", ks_pdf_val_name("Sig")));
	KS_GUARD(set(w, "T", ks_pdf_val_string(fl->name, strlen(fl->name))));
	KS_GUARD(set(w, "TU", text_val(fl->tooltip)));
	KS_GUARD(set(w, "F", ks_pdf_val_int(4)));
	KS_GUARD(set(w, "Rect", rect_val(fl)));
	KS_GUARD(set(w, "P", ks_pdf_val_ref(page, page_gen)));
	KS_GUARD(put_val(f, num, 0, w));
	rc = 0;
out:
	ks_pdf_val_free(w);
	return rc;
}

static int put_info(struct form *f, uint32_t num, uint16_t gen, const struct ks_rd_meta *m)
{
	struct ks_pdf_val *info = ks_pdf_val_new(KS_PV_DICT);
	struct ks_buf date;
	int rc = -1;

	ks_buf_init(&date, 64);
	KS_ENSURE(info != NULL, KS_ERR_NOMEM, "out of memory");
	KS_GUARD(set(info, "Title", text_val(m->title)));
	KS_GUARD(set(info, "Author", text_val(m->author)));
	KS_GUARD(set(info, "Subject", text_val(m->subject)));
	KS_GUARD(set(info, "Keywords", text_val(m->keywords)));
	/* The record id, machine-readable (docs/records.md): a second-class
	 * key (ISO 32000-1 Annex E) holding the identifier's ASCII bytes.
	 * The daemon reads it back when it signs the document. */
	KS_GUARD(set(info, KS_RENDER_INFO_RECORD_ID,
		     ks_pdf_val_string(m->keywords, strlen(m->keywords))));
	KS_GUARD(set(info, "Creator", text_val("kyso render " KS_VERSION)));
	KS_GUARD(set(info, "Producer", text_val("libharu 2.3 + kyso")));
	/* The date of issue (7.9.4), not the clock: rendering the same
	 * record twice gives the same information. */
	KS_GUARD(
	    ks_buf_printf(&date, "D:%.4s%.2s%.2s120000+07'00'", m->date, m->date + 5, m->date + 8));
	KS_GUARD(set(info, "CreationDate", ks_pdf_val_string(date.data, date.len)));
	KS_GUARD(put_val(f, num, gen, info));
	rc = 0;
out:
	ks_pdf_val_free(info);
	ks_buf_cleanup(&date);
	return rc;
}

/* The catalog with /AcroForm, /Lang, /Version and the document title shown
 * in the window (12.2, Table 150). */
static int put_catalog(struct form *f, const struct ks_pdf_rd_info *in, uint32_t af)
{
	struct ks_pdf_val *cat = NULL, *vp = NULL;
	int rc = -1;

	KS_GUARD(ks_pdf_rd_get(f->rd, in->root_num, in->root_gen, &cat));
	KS_ENSURE(cat != NULL && cat->type == KS_PV_DICT, KS_ERR_PDF, "libharu wrote no catalog");
	vp = ks_pdf_val_new(KS_PV_DICT);
	KS_ENSURE(vp != NULL, KS_ERR_NOMEM, "out of memory");
	KS_GUARD(set(vp, "DisplayDocTitle", ks_pdf_val_bool(true)));
	KS_GUARD(set(cat, "ViewerPreferences", vp));
	vp = NULL;
	KS_GUARD(set(cat, "Version", ks_pdf_val_name("1.7")));
	KS_GUARD(set(cat, "Lang", ks_pdf_val_string("vi-VN", 5)));
	KS_GUARD(set(cat, "AcroForm", ks_pdf_val_ref(af, 0)));
	KS_GUARD(put_val(f, in->root_num, in->root_gen, cat));
	rc = 0;
out:
	ks_pdf_val_free(cat);
	ks_pdf_val_free(vp);
	return rc;
}

/* Fields, their pages' /Annots and the AcroForm listing them in order. */
static int put_fields(struct form *f, const struct ks_pdf_val *cat, const struct ks_rd_field *fl,
		      size_t n, uint32_t af)
{
	struct ks_pdf_val *acro = ks_pdf_val_new(KS_PV_DICT), *list = ks_pdf_val_new(KS_PV_ARRAY);
	struct ks_pdf_val *pg = NULL, *annots = NULL;
	uint32_t nums[KS_RD_MAX_FIELDS], pnum;
	uint16_t pgen;
	size_t i, j, count;
	int rc = -1;

	KS_ENSURE(acro != NULL && list != NULL, KS_ERR_NOMEM, "out of memory");
	KS_ENSURE(n <= KS_RD_MAX_FIELDS, KS_ERR_INTERNAL, "too many fields");
	for (i = 0; i < n; i++) {
		KS_GUARD(ks_pdf_update_alloc(f->u, &nums[i]));
		KS_GUARD(ks_pdf_val_push(list, ks_pdf_val_ref(nums[i], 0)));
	}
	for (i = 0; i < n; i++) {
		bool first = true;

		KS_GUARD(ks_pdf_form_find_page(f->rd, cat, fl[i].page, &pnum, &pgen, &count));
		KS_GUARD(put_field(f, &fl[i], nums[i], pnum, pgen));
		for (j = 0; j < i; j++)
			first = first && fl[j].page != fl[i].page;
		if (!first)
			continue; /* its page was written with the earlier field */
		ks_pdf_val_free(pg);
		pg = NULL;
		KS_GUARD(ks_pdf_rd_get(f->rd, pnum, pgen, &pg));
		KS_ENSURE(pg != NULL && pg->type == KS_PV_DICT, KS_ERR_PDF, "page vanished");
		annots = ks_pdf_val_new(KS_PV_ARRAY);
		KS_ENSURE(annots != NULL, KS_ERR_NOMEM, "out of memory");
		for (j = i; j < n; j++)
			if (fl[j].page == fl[i].page &&
			    ks_pdf_val_push(annots, ks_pdf_val_ref(nums[j], 0)) < 0)
				goto out;
		KS_GUARD(set(pg, "Annots", annots));
		annots = NULL;
		KS_GUARD(put_val(f, pnum, pgen, pg));
	}
	KS_GUARD(set(acro, "Fields", list));
	list = NULL;
	KS_GUARD(put_val(f, af, 0, acro));
	rc = 0;
out:
	ks_pdf_val_free(acro);
	ks_pdf_val_free(list);
	ks_pdf_val_free(pg);
	ks_pdf_val_free(annots);
	return rc;
}

int ks_rd_form_update(const uint8_t *base, size_t n, const struct ks_rd_field *fields,
		      size_t n_fields, const struct ks_rd_meta *meta, struct ks_buf *out)
{
	struct form f;
	struct ks_pdf_rd_info in;
	struct ks_pdf_update_base ub;
	struct ks_pdf_val *cat = NULL, *pg = NULL;
	struct ks_pdf_source src = { base, -1, n };
	struct ks_pdf_sink sink = { ks_pdf_sink_buf, out };
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	uint32_t af, pnum;
	uint16_t pgen;
	size_t i, count = 0, start = out->len;
	int rc = -1;

	memset(&f, 0, sizeof(f));
	KS_GUARD(ks_pdf_rd_open(base, n, &f.rd));
	KS_GUARD(ks_pdf_rd_info(f.rd, &in));
	KS_ENSURE(in.info_num != 0 && !in.repaired && !in.encrypted, KS_ERR_PDF,
		  "unexpected libharu output");
	memset(&ub, 0, sizeof(ub));
	ub.orig_len = n;
	ub.prev_xref = in.startxref;
	ub.size = in.size;
	ub.xref_stream = in.xref_stream;
	ub.root_num = in.root_num;
	ub.root_gen = in.root_gen;
	ub.info_num = in.info_num;
	ub.info_gen = in.info_gen;
	/* 14.4: a permanent identifier; libharu writes none.  The digest of
	 * the rendered bytes identifies this rendering. */
	if (EVP_Digest(base, n, md, &mdlen, EVP_sha256(), NULL) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "SHA-256");
	memcpy(ub.id0, md, 16);
	ub.id0_len = 16;
	ub.ends_with_eol = n > 0 && (base[n - 1] == '\n' || base[n - 1] == '\r');
	KS_GUARD(ks_pdf_update_new(&ub, &f.u));
	KS_GUARD(ks_pdf_rd_get(f.rd, in.root_num, in.root_gen, &cat));
	KS_ENSURE(cat != NULL && cat->type == KS_PV_DICT, KS_ERR_PDF, "libharu wrote no catalog");
	KS_GUARD(ks_pdf_update_alloc(f.u, &af));
	KS_GUARD(put_fields(&f, cat, fields, n_fields, af));
	KS_GUARD(put_catalog(&f, &in, af));
	KS_GUARD(put_info(&f, in.info_num, in.info_gen, meta));
	for (i = 0; i == 0 || i < count; i++) {
		KS_GUARD(ks_pdf_form_find_page(f.rd, cat, i, &pnum, &pgen, &count));
		ks_pdf_val_free(pg);
		pg = NULL;
		KS_GUARD(ks_pdf_rd_get(f.rd, pnum, pgen, &pg));
		if (pg != NULL)
			KS_GUARD(repair_fonts(&f, pg));
	}
	KS_GUARD(ks_pdf_update_copy_original(f.u, &src, &sink, NULL, false, NULL));
	rc = 0;
out:
	if (rc < 0)
		ks_buf_truncate(out, start);
	ks_pdf_val_free(cat);
	ks_pdf_val_free(pg);
	ks_pdf_update_free(f.u);
	ks_pdf_rd_close(f.rd);
	return rc;
}
