/* ks_pdf_obj: serialization of PDF objects (ISO 32000-1 7.3): names,
 * strings, text strings, numbers, references, dates; declared in
 * ks_pdf_write.h. */
#include "ks_pdf_write.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ks_codec.h"
#include "ks_size.h"
#include "ks_utf8.h"

/* Largest absolute value written as a real. */
#define KS_PDF_MAX_REAL 1e9

/* ISO 32000-1 7.2.2: delimiter characters. */
static bool is_delim(uint8_t c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
	       c == '}' || c == '/' || c == '%';
}

int ks_pdf_put_name(struct ks_buf *b, const char *name)
{
	const uint8_t *p = (const uint8_t *)name;
	size_t n = strlen(name), i;

	if (n > 127)
		return KS_SET(KS_ERR_LIMIT, "PDF name longer than 127 bytes");
	if (ks_buf_append_byte(b, '/') < 0)
		return -1;
	for (i = 0; i < n; i++) {
		/* 7.3.5: outside '!'..'~', delimiters and '#' go as #xx. */
		if (p[i] < 0x21 || p[i] > 0x7e || is_delim(p[i]) || p[i] == '#') {
			if (ks_buf_printf(b, "#%02X", p[i]) < 0)
				return -1;
		} else if (ks_buf_append_byte(b, p[i]) < 0) {
			return -1;
		}
	}
	return 0;
}

int ks_pdf_put_string(struct ks_buf *b, const void *s, size_t n)
{
	const uint8_t *p = s;
	size_t i;

	if (n > KS_PDF_MAX_STRING)
		return KS_SET(KS_ERR_LIMIT, "PDF string longer than %zu bytes", KS_PDF_MAX_STRING);
	if (ks_buf_append_byte(b, '(') < 0)
		return -1;
	for (i = 0; i < n; i++) {
		uint8_t c = p[i];
		int r;

		if (c == '(' || c == ')' || c == '\\') {
			uint8_t esc[2] = { '\\', c };

			r = ks_buf_append(b, esc, 2);
		} else if (c == '\n') {
			r = ks_buf_append_str(b, "\\n");
		} else if (c == '\r') {
			r = ks_buf_append_str(b, "\\r");
		} else if (c < 0x20 || c > 0x7e) {
			/* 7.3.4.2: \ddd, always three digits so a following
			 * digit cannot join the escape. */
			r = ks_buf_printf(b, "\\%03o", (unsigned)c);
		} else {
			r = ks_buf_append_byte(b, c);
		}
		if (r < 0)
			return -1;
	}
	return ks_buf_append_byte(b, ')');
}

int ks_pdf_put_hexstring(struct ks_buf *b, const void *s, size_t n)
{
	const uint8_t *p = s;
	size_t i, need;

	if (n > KS_PDF_MAX_STRING)
		return KS_SET(KS_ERR_LIMIT, "PDF string longer than %zu bytes", KS_PDF_MAX_STRING);
	if (ks_mul_size(n, 2, &need) < 0 || ks_add_size(need, 2, &need) < 0 ||
	    ks_buf_reserve(b, need) < 0)
		return -1;
	b->data[b->len++] = '<';
	for (i = 0; i < n; i++) {
		b->data[b->len++] = (uint8_t)ks_hex_digit(p[i] >> 4, true);
		b->data[b->len++] = (uint8_t)ks_hex_digit(p[i], true);
	}
	b->data[b->len++] = '>';
	return 0;
}

int ks_pdf_utf8_to_utf16be(const char *utf8, size_t n, struct ks_buf *out)
{
	struct ks_cur c;
	uint32_t cp;
	uint8_t u[4];

	ks_cur_init(&c, utf8, n);
	while (!ks_cur_eof(&c)) {
		if (ks_utf8_next(&c, &cp) < 0)
			return -1;
		if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000;
			uint32_t hi = 0xd800 | (v >> 10), lo = 0xdc00 | (v & 0x3ff);

			u[0] = (uint8_t)(hi >> 8), u[1] = (uint8_t)hi;
			u[2] = (uint8_t)(lo >> 8), u[3] = (uint8_t)lo;
			if (ks_buf_append(out, u, 4) < 0)
				return -1;
		} else {
			u[0] = (uint8_t)(cp >> 8), u[1] = (uint8_t)cp;
			if (ks_buf_append(out, u, 2) < 0)
				return -1;
		}
	}
	return 0;
}

int ks_pdf_put_text(struct ks_buf *b, const char *utf8)
{
	struct ks_buf u16;
	size_t n = strlen(utf8), i;
	bool ascii = true;
	int rc = -1;

	ks_buf_init(&u16, KS_PDF_MAX_STRING);
	for (i = 0; i < n; i++)
		if ((uint8_t)utf8[i] < 0x20 || (uint8_t)utf8[i] > 0x7e)
			ascii = false;
	if (ascii)
		return ks_pdf_put_string(b, utf8, n);
	/* 7.9.2.2: UTF-16BE text strings start with the BOM FE FF. */
	KS_GUARD(ks_buf_append(&u16, "\xfe\xff", 2));
	KS_GUARD(ks_pdf_utf8_to_utf16be(utf8, n, &u16));
	KS_GUARD(ks_pdf_put_hexstring(b, u16.data, u16.len));
	rc = 0;
out:
	ks_buf_cleanup(&u16);
	return rc;
}

int ks_pdf_put_int(struct ks_buf *b, long long v)
{
	return ks_buf_printf(b, "%lld", v);
}

/* 10^0 .. 10^9 */
static const double pow10_tab[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };

/* v to `decimals` places in fixed point without printf, the digits
 * printf's "%.*f" gives: |v| * 10^decimals rounded to an integer as the
 * exact product would be (fma gives what the double product dropped),
 * an exact tie to even; then trailing zeros and a bare point left out.
 * false: a product of 2^52 or more (printf then). */
static bool put_fixed(struct ks_buf *b, double v, int decimals, int *rc)
{
	double x = fabs(v), p, err, f, fr;
	uint64_t u, ip, fp;
	unsigned d = (unsigned)decimals;

	if (decimals < 0 || decimals >= (int)(sizeof(pow10_tab) / sizeof(pow10_tab[0])))
		return false;
	p = x * pow10_tab[decimals];
	if (!(p < 4503599627370496.0))
		return false;
	err = fma(x, pow10_tab[decimals], -p); /* x * 10^d == p + err exactly */
	f = floor(p);
	fr = p - f; /* exact below 2^52; err never moves it across 0.5 but at 0.5 */
	u = (uint64_t)f;
	if (fr > 0.5 || (fr == 0.5 && (err > 0 || (err == 0 && (u & 1) != 0))))
		u++;
	if (u == 0) {
		*rc = ks_buf_append_byte(b, '0');
		return true;
	}
	ip = u / (uint64_t)pow10_tab[decimals];
	fp = u % (uint64_t)pow10_tab[decimals];
	/* the decimals without their trailing zeros */
	while (fp != 0 && fp % 10 == 0) {
		fp /= 10;
		d--;
	}
	*rc = v < 0 ? ks_buf_append_byte(b, '-') : 0;
	if (*rc == 0)
		*rc = ks_buf_append_u64(b, ip, 0);
	if (*rc == 0 && fp != 0 && (*rc = ks_buf_append_byte(b, '.')) == 0)
		*rc = ks_buf_append_u64(b, fp, d);
	return true;
}

int ks_pdf_put_real_digits(struct ks_buf *b, double v, int decimals, double max)
{
	char tmp[64];
	int n, rc;

	if (!isfinite(v) || fabs(v) > max)
		return KS_SET(KS_ERR_ARG, "number out of range for PDF");
	if (put_fixed(b, v, decimals, &rc))
		return rc;
	n = snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
	if (n <= 0 || (size_t)n >= sizeof(tmp))
		return KS_SET(KS_ERR_INTERNAL, "number formatting failed");
	/* 7.3.3: no exponent; trim "1.5000" to "1.5" and "2.0000" to "2"
	 * (the zeros after a point only). */
	while (decimals > 0 && n > 0 && tmp[n - 1] == '0')
		tmp[--n] = '\0';
	if (n > 0 && tmp[n - 1] == '.')
		tmp[--n] = '\0';
	if (strcmp(tmp, "-0") == 0)
		return ks_buf_append_str(b, "0");
	return ks_buf_append_str(b, tmp);
}

int ks_pdf_put_real(struct ks_buf *b, double v)
{
	return ks_pdf_put_real_digits(b, v, 4, KS_PDF_MAX_REAL);
}

int ks_pdf_put_ref(struct ks_buf *b, uint32_t num, uint16_t gen)
{
	if (ks_buf_append_u64(b, num, 0) < 0 || ks_buf_append_byte(b, ' ') < 0 ||
	    ks_buf_append_u64(b, gen, 0) < 0)
		return -1;
	return ks_buf_append(b, " R", 2);
}

int ks_pdf_put_date(struct ks_buf *b, time_t t, int tz_min)
{
	struct tm tm;
	time_t local;
	int a;

	if (tz_min < -14 * 60 || tz_min > 14 * 60)
		return KS_SET(KS_ERR_ARG, "UTC offset %d minutes out of range", tz_min);
	local = t + (time_t)tz_min * 60;
	if (gmtime_r(&local, &tm) == NULL || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999)
		return KS_SET(KS_ERR_ARG, "time out of range for a PDF date");
	if (ks_buf_printf(b, "(D:%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec) < 0)
		return -1;
	if (tz_min == 0)
		return ks_buf_append_str(b, "Z)");
	a = tz_min < 0 ? -tz_min : tz_min;
	/* 7.9.4: O HH ' mm (the trailing apostrophe of PDF 1.7 readers). */
	return ks_buf_printf(b, "%c%02d'%02d')", tz_min < 0 ? '-' : '+', a / 60, a % 60);
}
