/* ks_pdf_font_emit: a shaped run as PDF text operators, and the subset
 * font as PDF objects (Type0, CIDFontType2, descriptor, ToUnicode;
 * ISO 32000-1 9.7 and 9.10). */
#include <hb-ot.h>
#include <hb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pdf_font.h"
#include "formats/pdf/ks_pdf_font_int.h"
#include "formats/pdf/ks_pdf_write.h"
#include "ks_codec.h"
#include "ks_cur.h"

static int32_t glyph_width(const struct ks_pdf_font *f, uint32_t old_gid)
{
	return ks_pdf_font_milli(f, hb_font_get_glyph_h_advance(f->font, old_gid));
}

static int new_gid(const struct ks_pdf_font *f, uint32_t old_gid, uint16_t *cid)
{
	uint32_t v = hb_map_get(f->new_of, old_gid);

	if (v == HB_MAP_VALUE_INVALID || v > 0xffff)
		return KS_SET(KS_ERR_INTERNAL, "glyph %u is not in the font subset",
			      (unsigned)old_gid);
	*cid = (uint16_t)v;
	return 0;
}

/* "<XXXX>": a two-byte code, upper-case hex, without a printf per glyph
 * (a signature's appearance writes hundreds). */
static int put_cid(struct ks_buf *b, uint16_t cid)
{
	char s[6];

	s[0] = '<';
	s[1] = ks_hex_digit((unsigned)cid >> 12, true);
	s[2] = ks_hex_digit((unsigned)cid >> 8, true);
	s[3] = ks_hex_digit((unsigned)cid >> 4, true);
	s[4] = ks_hex_digit(cid, true);
	s[5] = '>';
	return ks_buf_append(b, s, sizeof(s));
}

int ks_pdf_font_show(const struct ks_pdf_font *f, const struct ks_pdf_run *run, double size,
		     struct ks_buf *content)
{
	int64_t pen = 0, cur = 0, want;
	int32_t rise = 0;
	size_t i;
	uint16_t cid = 0;
	int rc = -1;

	KS_ENSURE(f->subset_done, KS_ERR_INTERNAL, "text shown before the font was subset");
	KS_GUARD(ks_buf_append_str(content, "["));
	for (i = 0; i < run->n; i++) {
		const struct ks_pdf_glyph *g = &run->g[i];

		if (g->dy != rise) {
			/* Vertical mark offset: text rise, in unscaled text
			 * space units (ISO 32000-1 9.3.7). */
			KS_GUARD(ks_buf_append_str(content, "] TJ "));
			KS_GUARD(ks_pdf_put_real(content, (double)g->dy * size / 1000.0));
			KS_GUARD(ks_buf_append_str(content, " Ts ["));
			rise = g->dy;
		}
		want = pen + g->dx;
		if (want != cur) {
			/* A TJ number moves the next glyph left by n/1000 em
			 * (ISO 32000-1 9.4.3). */
			int64_t d = cur - want;

			if (d < 0)
				KS_GUARD(ks_buf_append_byte(content, '-'));
			KS_GUARD(
			    ks_buf_append_u64(content, d < 0 ? 0 - (uint64_t)d : (uint64_t)d, 0));
		}
		KS_GUARD(new_gid(f, g->gid, &cid));
		KS_GUARD(put_cid(content, cid));
		cur = want + glyph_width(f, g->gid);
		pen += g->adv;
	}
	KS_GUARD(ks_buf_append_str(content, "] TJ"));
	if (rise != 0)
		KS_GUARD(ks_buf_append_str(content, " 0 Ts"));
	KS_GUARD(ks_buf_append_str(content, "\n"));
	rc = 0;
out:
	return rc;
}

static int put_tounicode(const struct ks_pdf_font *f, struct ks_buf *cm)
{
	size_t i, k, count = 0, in_block = 0;
	struct ks_buf u16;
	uint16_t cid = 0;
	char utf8[4 * KS_PDF_FONT_MAX_CLUSTER + 1];
	int rc = -1;

	ks_buf_init(&u16, 256);
	for (i = 0; i < f->n_used; i++)
		count += f->used[i].ncp > 0;
	KS_GUARD(ks_buf_append_str(cm,
				   "/CIDInit /ProcSet findresource begin\n"
				   "12 dict begin\n"
				   "begincmap\n"
				   "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) "
				   "/Supplement 0 >> def\n"
				   "/CMapName /Adobe-Identity-UCS def\n"
				   "/CMapType 2 def\n"
				   "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"));
	for (i = 0; i < f->n_used; i++) {
		const struct used_glyph *g = &f->used[i];
		size_t ulen = 0;

		if (g->ncp == 0)
			continue;
		if (in_block == 0) {
			size_t left =
			    count < KS_PDF_FONT_BFCHAR_BLOCK ? count : KS_PDF_FONT_BFCHAR_BLOCK;

			KS_GUARD(ks_buf_printf(cm, "%zu beginbfchar\n", left));
		}
		/* Back to UTF-8, then UTF-16BE: one converter for the module. */
		for (k = 0; k < g->ncp; k++) {
			uint32_t cp = g->cps[k];

			if (cp < 0x80) {
				utf8[ulen++] = (char)cp;
			} else if (cp < 0x800) {
				utf8[ulen++] = (char)(0xc0 | (cp >> 6));
				utf8[ulen++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				utf8[ulen++] = (char)(0xe0 | (cp >> 12));
				utf8[ulen++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				utf8[ulen++] = (char)(0x80 | (cp & 0x3f));
			} else {
				utf8[ulen++] = (char)(0xf0 | (cp >> 18));
				utf8[ulen++] = (char)(0x80 | ((cp >> 12) & 0x3f));
				utf8[ulen++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				utf8[ulen++] = (char)(0x80 | (cp & 0x3f));
			}
		}
		ks_buf_reset(&u16);
		KS_GUARD(ks_pdf_utf8_to_utf16be(utf8, ulen, &u16));
		KS_GUARD(new_gid(f, g->gid, &cid));
		KS_GUARD(put_cid(cm, cid));
		KS_GUARD(ks_buf_append_str(cm, " <"));
		for (k = 0; k < u16.len; k++) {
			char hx[2] = { ks_hex_digit(u16.data[k] >> 4, true),
				       ks_hex_digit(u16.data[k], true) };

			KS_GUARD(ks_buf_append(cm, hx, sizeof(hx)));
		}
		KS_GUARD(ks_buf_append_str(cm, ">\n"));
		count--;
		if (++in_block == KS_PDF_FONT_BFCHAR_BLOCK || count == 0) {
			KS_GUARD(ks_buf_append_str(cm, "endbfchar\n"));
			in_block = 0;
		}
	}
	KS_GUARD(ks_buf_append_str(cm, "endcmap\n"
				       "CMapName currentdict /CMap defineresource pop\n"
				       "end\nend\n"));
	rc = 0;
out:
	ks_buf_cleanup(&u16);
	return rc;
}

/* "w0 w1 ...": the advance of each subset glyph, by CID (9.7.4.3). */
static int put_widths(const struct ks_pdf_font *f, struct ks_buf *w)
{
	char num[16];
	uint32_t i;
	int n;

	for (i = 0; i < f->n_new; i++) {
		n = snprintf(num, sizeof(num), "%s%d", i ? " " : "", glyph_width(f, f->old_of[i]));
		if (n <= 0 || (size_t)n >= sizeof(num))
			return KS_SET(KS_ERR_INTERNAL, "glyph width out of range");
		if (ks_buf_append(w, num, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

/* What depends only on the subset, made once per subset: f->widths and
 * f->ztu (a signature reusing a cached subset gets them with it). */
static int derived(struct ks_pdf_font *f)
{
	struct ks_buf cm;
	int rc = -1;

	ks_buf_init(&cm, (size_t)1 << 20);
	KS_ENSURE(f->subset_done, KS_ERR_INTERNAL, "font data made before it was subset");
	if (f->widths.len == 0)
		KS_GUARD(put_widths(f, &f->widths));
	if (f->ztu.len == 0) {
		KS_GUARD(put_tounicode(f, &cm));
		KS_GUARD(ks_pdf_font_zip(cm.data, cm.len, &f->ztu));
		ks_pdf_font_keep_derived(f);
	}
	rc = 0;
out:
	ks_buf_cleanup(&cm);
	return rc;
}

/* head table: xMin yMin xMax yMax at offset 36 (OpenType 'head'). */
static int font_bbox(const struct ks_pdf_font *f, int32_t bbox[4])
{
	hb_blob_t *head = hb_face_reference_table(f->face, HB_TAG('h', 'e', 'a', 'd'));
	unsigned len = 0;
	const char *p = hb_blob_get_data(head, &len);
	struct ks_cur c;
	uint16_t v;
	int i, rc = -1;

	ks_cur_init(&c, p, p == NULL ? 0 : len);
	KS_GUARD(ks_cur_skip(&c, 36));
	for (i = 0; i < 4; i++) {
		KS_GUARD(ks_cur_u16be(&c, &v));
		bbox[i] = ks_pdf_font_milli(f, (int16_t)v);
	}
	rc = 0;
out:
	hb_blob_destroy(head);
	return rc;
}

int ks_pdf_font_emit(struct ks_pdf_font *f, struct ks_pdf_update *u, uint32_t *font_num)
{
	struct ks_buf d;
	uint32_t n_file, n_desc, n_cid, n_tu, n_t0;
	int32_t bbox[4], asc, desc, cap;
	hb_position_t capv = 0;
	const char *len1;
	int rc = -1;

	ks_buf_init(&d, (size_t)1 << 20);
	KS_ENSURE(f->subset_done, KS_ERR_INTERNAL, "font emitted before it was subset");
	KS_GUARD(derived(f));
	KS_GUARD(font_bbox(f, bbox));
	ks_pdf_font_vmetrics(f, &asc, &desc);
	if (hb_ot_metrics_get_position(f->font, HB_OT_METRICS_TAG_CAP_HEIGHT, &capv))
		cap = ks_pdf_font_milli(f, capv);
	else
		cap = asc;
	KS_GUARD(ks_pdf_update_alloc(u, &n_file));
	KS_GUARD(ks_pdf_update_alloc(u, &n_desc));
	KS_GUARD(ks_pdf_update_alloc(u, &n_cid));
	KS_GUARD(ks_pdf_update_alloc(u, &n_tu));
	KS_GUARD(ks_pdf_update_alloc(u, &n_t0));

	/* FontFile2: the TrueType program (ISO 32000-1 9.9, Table 126),
	 * deflated once per subset (the subset cache keeps it). */
	KS_GUARD(ks_pdf_font_deflate(f));
	KS_GUARD(ks_buf_printf(&d, "/Length1 %zu /Filter /FlateDecode", f->ttf.len));
	KS_GUARD(ks_buf_cstr(&d, &len1));
	KS_GUARD(ks_pdf_update_put_stream(u, n_file, 0, len1, f->zttf.data, f->zttf.len, false));

	/* Font descriptor (9.8). */
	ks_buf_reset(&d);
	KS_GUARD(ks_buf_printf(&d,
			       "<< /Type /FontDescriptor /FontName /%s+%s /Flags 32 "
			       "/FontBBox [%d %d %d %d] /ItalicAngle 0 /Ascent %d /Descent %d "
			       "/CapHeight %d /StemV 80 /FontFile2 %u 0 R >>",
			       f->tag, f->ps_name, bbox[0], bbox[1], bbox[2], bbox[3], asc, desc,
			       cap, n_file));
	KS_GUARD(ks_pdf_update_put(u, n_desc, 0, d.data, d.len));

	/* CIDFontType2 with CIDs = subset glyph ids (9.7.4). */
	ks_buf_reset(&d);
	KS_GUARD(ks_buf_printf(&d,
			       "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s+%s "
			       "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) "
			       "/Supplement 0 >> /FontDescriptor %u 0 R /DW 1000 /W [0 [",
			       f->tag, f->ps_name, n_desc));
	KS_GUARD(ks_buf_append(&d, f->widths.data, f->widths.len));
	KS_GUARD(ks_buf_append_str(&d, "]] /CIDToGIDMap /Identity >>"));
	KS_GUARD(ks_pdf_update_put(u, n_cid, 0, d.data, d.len));

	/* ToUnicode, so the text extracts (9.10.3). */
	KS_GUARD(ks_pdf_update_put_stream(u, n_tu, 0, "/Filter /FlateDecode", f->ztu.data,
					  f->ztu.len, false));

	/* Type 0 font, Identity-H: two-byte codes = CIDs (9.7.6). */
	ks_buf_reset(&d);
	KS_GUARD(ks_buf_printf(&d,
			       "<< /Type /Font /Subtype /Type0 /BaseFont /%s+%s /Encoding "
			       "/Identity-H /DescendantFonts [%u 0 R] /ToUnicode %u 0 R >>",
			       f->tag, f->ps_name, n_cid, n_tu));
	KS_GUARD(ks_pdf_update_put(u, n_t0, 0, d.data, d.len));
	*font_num = n_t0;
	rc = 0;
out:
	ks_buf_cleanup(&d);
	return rc;
}
