/* ks_render_font: a record font checked before libharu reads it.
 *
 * libharu's TrueType parser trusts the file (a truncated or garbled font
 * crashes it), and the font directory is configuration a user can point
 * elsewhere (--font-dir, KYSO_FONT_DIR).  So the file is read through the
 * cursor first: TrueType outlines, a table directory inside the file,
 * the tables libharu needs, the 'head' magic number and every table's
 * checksum (OpenType spec, "Table directory" and "Calculating
 * checksums"), which catches a truncated, damaged or foreign file.  A
 * font crafted to pass these checks is a configuration the operator
 * chose, like the kyso binary itself (docs/records.md, "Fonts"). */
#include <string.h>

#include "formats/render/ks_render_int.h"
#include "ks_cur.h"
#include "ks_io.h"

/* Bytes of a record font (the built ones are about 100 KB). */
#define FONT_MAX ((size_t)4 << 20)
/* Tables in the directory. */
#define FONT_MAX_TABLES 64

static int table_sum(const struct ks_cur *whole, uint32_t off, uint32_t len, bool head,
		     uint32_t *sum)
{
	struct ks_cur t;
	uint32_t s = 0, w;
	uint8_t b;
	size_t i;

	if (ks_cur_range(whole, off, len, &t) < 0)
		return -1;
	for (i = 0; !ks_cur_eof(&t); i++) {
		if (t.left >= 4) {
			if (ks_cur_u32be(&t, &w) < 0)
				return -1;
		} else {
			/* The last word is padded with zeros. */
			w = 0;
			for (size_t k = 0; k < 4; k++) {
				b = 0;
				if (!ks_cur_eof(&t) && ks_cur_u8(&t, &b) < 0)
					return -1;
				w = w << 8 | b;
			}
		}
		/* head.checkSumAdjustment (bytes 8-11) counts as zero. */
		if (!(head && i == 2))
			s += w;
	}
	*sum = s;
	return 0;
}

int ks_rd_font_check(const char *path)
{
	static const char *const need[] = { "cmap", "glyf", "head", "hhea", "hmtx",
					    "loca", "maxp", "name", "post" };
	struct ks_buf f;
	struct ks_cur c, whole, h;
	uint32_t version, sum, want, off, len, magic;
	uint16_t n;
	bool seen[sizeof(need) / sizeof(need[0])] = { false };
	uint8_t tag[5] = { 0 };
	size_t i, k;
	int rc = -1;

	ks_buf_init(&f, FONT_MAX);
	KS_GUARD(ks_file_read(path, FONT_MAX, &f));
	ks_cur_from_buf(&whole, &f);
	c = whole;
	if (ks_cur_u32be(&c, &version) < 0 || ks_cur_u16be(&c, &n) < 0 || ks_cur_skip(&c, 6) < 0)
		KS_BAIL(KS_ERR_PARSE, "font %s: truncated header", path);
	if (version != 0x00010000u)
		KS_BAIL(KS_ERR_PARSE, "font %s: not a TrueType font (version 0x%08X)", path,
			(unsigned)version);
	if (n == 0 || n > FONT_MAX_TABLES)
		KS_BAIL(KS_ERR_PARSE, "font %s: %u tables", path, (unsigned)n);
	for (i = 0; i < n; i++) {
		if (ks_cur_copy(&c, tag, 4) < 0 || ks_cur_u32be(&c, &want) < 0 ||
		    ks_cur_u32be(&c, &off) < 0 || ks_cur_u32be(&c, &len) < 0)
			KS_BAIL(KS_ERR_PARSE, "font %s: truncated table directory", path);
		if (table_sum(&whole, off, len, memcmp(tag, "head", 4) == 0, &sum) < 0)
			KS_BAIL(KS_ERR_PARSE, "font %s: table '%s' lies outside the file", path,
				(const char *)tag);
		if (sum != want)
			KS_BAIL(KS_ERR_PARSE, "font %s: table '%s' is damaged (checksum)", path,
				(const char *)tag);
		for (k = 0; k < sizeof(need) / sizeof(need[0]); k++)
			if (memcmp(tag, need[k], 4) == 0)
				seen[k] = true;
		if (memcmp(tag, "head", 4) == 0) {
			if (ks_cur_range(&whole, off, len, &h) < 0 || ks_cur_skip(&h, 12) < 0 ||
			    ks_cur_u32be(&h, &magic) < 0 || magic != 0x5F0F3CF5u)
				KS_BAIL(KS_ERR_PARSE, "font %s: bad 'head' table", path);
		}
	}
	for (k = 0; k < sizeof(need) / sizeof(need[0]); k++)
		if (!seen[k])
			KS_BAIL(KS_ERR_PARSE, "font %s: no '%s' table", path, need[k]);
	rc = 0;
out:
	ks_buf_cleanup(&f);
	return rc;
}
