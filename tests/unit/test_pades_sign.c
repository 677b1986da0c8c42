/* Unit tests for PAdES signing (formats/pdf/ks_pdf_sign, signer/ks_sign_pdf)
 * with the file keys of the test PKI.  Every signed file is checked the
 * way an outside verifier would: the original is a byte-exact prefix, the
 * /ByteRange excludes exactly the /Contents hex string, the CMS verifies
 * with `openssl cms -verify` over the ByteRange bytes against the test
 * root, and `qpdf --check` passes. */
#include "ks_test.h"

#include <dirent.h>
#include <openssl/cms.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/pdf/ks_pades.h"
#include "ks_codec.h"
#include "ks_io.h"
#include "ks_key.h"
#include "pdf_build.h"
#include "signer/ks_sign_pdf.h"

#define T_WHEN ((time_t)1780000000) /* 2026-05-29 03:26:40 +07:00 */

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kyso-pades-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name)
{
	static char p[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
	return p[k];
}

static struct ks_key *load_key(const char *name)
{
	char k[4200], c[4200], ch[4200];
	struct ks_key *key = NULL;

	snprintf(k, sizeof(k), "%s.key.pem", ks_test_pki(name));
	snprintf(c, sizeof(c), "%s.cert.pem", ks_test_pki(name));
	snprintf(ch, sizeof(ch), "%s.chain.pem", ks_test_pki(name));
	assert_ok(ks_filekey_open(k, c, ch, NULL, &key));
	return key;
}

#define PDF_MAX ((size_t)16 << 20)

#define CONTENT "BT /F1 18 Tf 72 760 Td (HOC BA - Nguyen Thi Hong Nhung) Tj ET"
#define PAGE(annots)                                                                         \
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Resources << /Font << " \
	"/F1 5 0 R >> >> /Contents 4 0 R" annots " >>"

/* Two pages, no form. */
static void plain_pdf(struct ks_buf *pdf)
{
	static const char *objs[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>",
		PAGE(""),
		"<< /Length 61 >>\nstream\n" CONTENT "\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		PAGE(""),
		"<< /Title (Hoc ba) >>",
	};

	assert_int_equal(strlen(CONTENT), 61);
	pb_classic(pdf, PDF_MAX, objs, 7,
		   "/Info 7 0 R /ID [<000102030405060708090A0B0C0D0E0F> "
		   "<000102030405060708090A0B0C0D0E0F>]",
		   true);
}

/* One page with two empty signature fields (Teacher, Principal) and a
 * text field (Name); the AcroForm is indirect, /Annots inline. */
static void form_pdf(struct ks_buf *pdf)
{
	static const char *objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 7 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		PAGE(" /Annots [8 0 R 9 0 R 10 0 R]"),
		"<< /Length 61 >>\nstream\n" CONTENT "\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		"<< /Title (Form) >>",
		"<< /Fields [10 0 R 8 0 R 9 0 R] /DA (/Helv 0 Tf 0 g) >>",
		"<< /FT /Sig /T (Teacher) /Type /Annot /Subtype /Widget /Rect [50 50 250 120] "
		"/P 3 0 R /F 4 >>",
		"<< /FT /Sig /T (Principal) /Type /Annot /Subtype /Widget /Rect [300 50 500 120] "
		"/P 3 0 R /F 4 >>",
		"<< /FT /Tx /T (Name) /Type /Annot /Subtype /Widget /Rect [50 700 250 720] /P 3 0 "
		"R /F 4 /V (Nhung) >>",
	};

	pb_classic(pdf, PDF_MAX, objs, 10, "/Info 6 0 R", true);
}

static void write_file(const char *path, const struct ks_buf *b)
{
	assert_ok(ks_file_write_atomic(path, b->data, b->len, 0644));
}

static size_t count_of(const struct ks_buf *b, const char *lit)
{
	size_t n = 0, at = 0;
	const uint8_t *p;

	while ((p = pb_at(b, at, lit)) != NULL) {
		n++;
		at = (size_t)(p - b->data) + 1;
	}
	return n;
}

static void assert_qpdf_ok(const char *path)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "qpdf --check '%s' >/dev/null 2>&1", path);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "qpdf --check '%s' >&2", path);
		if (system(cmd) != 0)
			print_message("(could not show the details)\n");
		fail_msg("qpdf --check failed on %s", path);
	}
}

/* Length of one DER TLV at p (definite lengths only). */
static size_t der_len(const uint8_t *p, size_t n)
{
	size_t len, k, i;

	assert_true(n >= 2);
	if (p[1] < 0x80)
		return 2 + p[1];
	k = p[1] & 0x7f;
	assert_true(k >= 1 && k <= 3 && n >= 2 + k);
	for (len = 0, i = 0; i < k; i++)
		len = len << 8 | p[2 + i];
	return 2 + k + len;
}

/* Check signature `idx` (0-based, in file order) of `out`: ByteRange
 * shape, CMS over the ranges with openssl, no signingTime attribute.
 * Returns the offset just past the revision it covers. */
static size_t check_signature(const struct ks_buf *out, size_t idx)
{
	const uint8_t *p = NULL;
	size_t at = 0, i, k, rev_end;
	unsigned long long r[4];
	char *end;
	struct ks_buf hex, der, range;
	char cmd[12000], root[4200];
	const uint8_t *eof;
	const unsigned char *dp;
	CMS_ContentInfo *ci;
	STACK_OF(CMS_SignerInfo) * sis;

	for (i = 0; i <= idx; i++) {
		p = pb_at(out, at, "/ByteRange [");
		assert_non_null(p);
		at = (size_t)(p - out->data) + 1;
	}
	end = (char *)(uintptr_t)(p + 12);
	for (k = 0; k < 4; k++) {
		r[k] = strtoull(end, &end, 10);
		while (*end == ' ')
			end++;
	}
	assert_true(*end == ']');
	/* ISO 32000-1 12.8.1: [0 a b c], the gap is exactly <hex>. */
	assert_int_equal(r[0], 0);
	assert_true(r[1] < r[2] && r[2] + r[3] <= out->len);
	assert_int_equal(out->data[r[1]], '<');
	assert_int_equal(out->data[r[2] - 1], '>');
	assert_memory_equal(out->data + r[1] - 10, "/Contents ", 10);
	/* The range ends with the revision: "%%EOF" + end of line. */
	eof = pb_at(out, (size_t)r[2], "%%EOF");
	assert_non_null(eof);
	rev_end = (size_t)(eof - out->data) + 5;
	if (rev_end < out->len && out->data[rev_end] == '\r')
		rev_end++;
	if (rev_end < out->len && out->data[rev_end] == '\n')
		rev_end++;
	assert_int_equal(r[2] + r[3], rev_end);

	ks_buf_init(&hex, (size_t)8 << 20);
	ks_buf_init(&der, (size_t)4 << 20);
	ks_buf_init(&range, (size_t)64 << 20);
	assert_ok(ks_hex_decode((const char *)out->data + r[1] + 1, (size_t)(r[2] - r[1] - 2),
				false, &der));
	der.len = der_len(der.data, der.len);
	for (i = der.len; i < (size_t)(r[2] - r[1] - 2) / 2; i++)
		assert_int_equal(der.data[i], 0); /* zero padding only */
	assert_ok(ks_buf_append(&range, out->data, (size_t)r[1]));
	assert_ok(ks_buf_append(&range, out->data + r[2], (size_t)r[3]));
	write_file(tmp_path("sig.der"), &der);
	write_file(tmp_path("range.bin"), &range);
	snprintf(root, sizeof(root), "%s", ks_test_pki("root.pem"));
	snprintf(cmd, sizeof(cmd),
		 "openssl cms -verify -binary -inform DER -in '%s' -content '%s' -CAfile '%s' "
		 "-certfile '%s' -purpose any -out /dev/null 2>'%s'",
		 tmp_path("sig.der"), tmp_path("range.bin"), root, ks_test_pki("cas.pem"),
		 tmp_path("openssl.err"));
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat '%s' >&2", tmp_path("openssl.err"));
		if (system(cmd) != 0)
			print_message("(could not show the details)\n");
		fail_msg("openssl cms -verify failed for signature %zu", idx);
	}
	/* ETSI EN 319 142-1 5.4.3: no signingTime signed attribute. */
	dp = der.data;
	ci = d2i_CMS_ContentInfo(NULL, &dp, (long)der.len);
	assert_non_null(ci);
	sis = CMS_get0_SignerInfos(ci);
	assert_int_equal(sk_CMS_SignerInfo_num(sis), 1);
	assert_true(CMS_signed_get_attr_by_NID(sk_CMS_SignerInfo_value(sis, 0),
					       NID_pkcs9_signingTime, -1) < 0);
	/* Detached: no eContent. */
	{
		ASN1_OCTET_STRING **pc = CMS_get0_content(ci);

		assert_true(pc == NULL || *pc == NULL);
	}
	CMS_ContentInfo_free(ci);
	ks_buf_cleanup(&hex);
	ks_buf_cleanup(&der);
	ks_buf_cleanup(&range);
	return rev_end;
}

/* Sign `in` (a buffer) into *out with the key `name`; checks the
 * original is a prefix and qpdf accepts the result. */
static void sign_buf(const struct ks_buf *in, const char *name, const struct ks_pades_opts *o,
		     struct ks_buf *out, struct ks_pades_result *res)
{
	struct ks_key *key = load_key(name);
	struct ks_pades_key_ctx kctx;
	struct ks_pades_cms cms;

	ks_buf_init(out, (size_t)64 << 20);
	ks_pades_cms_from_key(&kctx, key, o->rsa_pss, &cms);
	assert_ok(ks_pades_sign_mem(in->data, in->len, &cms, o, out, res));
	assert_true(out->len > in->len);
	assert_memory_equal(out->data, in->data, in->len);
	assert_int_equal(res->out_len, out->len);
	write_file(tmp_path("signed.pdf"), out);
	assert_qpdf_ok(tmp_path("signed.pdf"));
	ks_key_free(key);
}

static void opts_at(struct ks_pades_opts *o)
{
	ks_pades_opts_init(o);
	o->signing_time = T_WHEN;
}

/* A visible box on `page` at (x, 60), w by 70 points. */
static void box_at(struct ks_pades_opts *o, unsigned page, double x, double w)
{
	o->page = page;
	o->x = x;
	o->y = 60;
	o->w = w;
	o->h = 70;
}

/* Does the signature's messageDigest (found as hex in /Contents) equal
 * the SHA-256 of what its /ByteRange covers? */
static bool signs_its_range(const struct ks_buf *pdf, const struct ks_pades_result *res)
{
	static const char hx[] = "0123456789ABCDEF";
	const uint64_t *br = res->byte_range;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t d[32];
	char want[65];
	unsigned len = 0;
	size_t i;
	bool found = false;

	assert_true(EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
		    EVP_DigestUpdate(c, pdf->data + br[0], br[1]) == 1 &&
		    EVP_DigestUpdate(c, pdf->data + br[2], br[3]) == 1 &&
		    EVP_DigestFinal_ex(c, d, &len) == 1);
	EVP_MD_CTX_free(c);
	for (i = 0; i < 32; i++) {
		want[2 * i] = hx[d[i] >> 4];
		want[2 * i + 1] = hx[d[i] & 15];
	}
	want[64] = '\0';
	for (i = br[1]; i + 64 <= br[2] && !found; i++)
		found = memcmp(pdf->data + i, want, 64) == 0;
	return found;
}

/* A digest context over the input (the service hashed it anyway): a
 * signature as good as hashing it again; one of another algorithm is
 * ignored; one over other bytes is really used (its digest is wrong). */
static void test_input_digest(void **state)
{
	struct ks_buf pdf, plain, primed, other, wrong;
	struct ks_pades_opts o;
	struct ks_pades_result res;
	EVP_MD_CTX *c256 = EVP_MD_CTX_new(), *c384 = EVP_MD_CTX_new(), *cbad = EVP_MD_CTX_new();

	(void)state;
	plain_pdf(&pdf);
	assert_true(EVP_DigestInit_ex(c256, EVP_sha256(), NULL) == 1 &&
		    EVP_DigestUpdate(c256, pdf.data, pdf.len) == 1);
	assert_true(EVP_DigestInit_ex(c384, EVP_sha384(), NULL) == 1 &&
		    EVP_DigestUpdate(c384, pdf.data, pdf.len) == 1);
	assert_true(EVP_DigestInit_ex(cbad, EVP_sha256(), NULL) == 1 &&
		    EVP_DigestUpdate(cbad, pdf.data, pdf.len - 1) == 1);
	opts_at(&o);
	sign_buf(&pdf, "principal-rsa", &o, &plain, &res);
	assert_true(signs_its_range(&plain, &res));
	o.input_digest = c256;
	sign_buf(&pdf, "principal-rsa", &o, &primed, &res);
	assert_int_equal(primed.len, plain.len);
	assert_true(signs_its_range(&primed, &res));
	assert_int_equal(check_signature(&primed, 0), primed.len);
	o.input_digest = c384;
	sign_buf(&pdf, "principal-rsa", &o, &other, &res);
	assert_true(signs_its_range(&other, &res));
	o.input_digest = cbad;
	sign_buf(&pdf, "principal-rsa", &o, &wrong, &res);
	assert_false(signs_its_range(&wrong, &res));
	EVP_MD_CTX_free(c256);
	EVP_MD_CTX_free(c384);
	EVP_MD_CTX_free(cbad);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&plain);
	ks_buf_cleanup(&primed);
	ks_buf_cleanup(&other);
	ks_buf_cleanup(&wrong);
}

/* opts.info_key: the /Info entry read while signing is the one the
 * signed document carries (the update keeps /Info); none when absent or
 * not a string of 1..KS_PADES_INFO_VALUE_MAX bytes. */
static void test_info_value(void **state)
{
#define N_INFO 6
	static const char *const infos[N_INFO - 1] = {
		"<< /Title (Hoc ba) /KysoRecordId (hb-5gddzp4f5ltze6xh) >>",
		"<< /Title (Hoc ba) >>",
		"<< /KysoRecordId /hb-name >>",
		"<< /KysoRecordId () >>",
		"<< /KysoRecordId <6862> >>",
	};
	static const char *const want[N_INFO] = { "hb-5gddzp4f5ltze6xh", "", "", "", "hb", "" };
	char long_info[160];
	const char *objs[4] = { "<< /Type /Catalog /Pages 2 0 R >>",
				"<< /Type /Pages /Kids [4 0 R] /Count 1 >>", NULL,
				"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>" };
	struct ks_pades_opts o;
	struct ks_pades_result res;
	struct ks_buf pdf, out, again;
	size_t i;

	(void)state;
	/* the last: one byte over the limit */
	snprintf(long_info, sizeof(long_info), "<< /KysoRecordId (%0*d) >>",
		 KS_PADES_INFO_VALUE_MAX + 1, 7);
	for (i = 0; i < N_INFO; i++) {
		objs[2] = i + 1 < N_INFO ? infos[i] : long_info;
		pb_classic(&pdf, PDF_MAX, objs, 4, "/Info 3 0 R", true);
		opts_at(&o);
		o.info_key = "KysoRecordId";
		sign_buf(&pdf, "principal-rsa", &o, &out, &res);
		assert_int_equal(res.info_len, strlen(want[i]));
		assert_memory_equal(res.info_value, want[i], res.info_len);
		/* the signed document still has it: a second signature reads
		 * the same */
		sign_buf(&out, "principal-rsa", &o, &again, &res);
		assert_int_equal(res.info_len, strlen(want[i]));
		assert_memory_equal(res.info_value, want[i], res.info_len);
		ks_buf_cleanup(&again);
		/* not asked: not read */
		o.info_key = NULL;
		sign_buf(&pdf, "principal-rsa", &o, &again, &res);
		assert_int_equal(res.info_len, 0);
		ks_buf_cleanup(&pdf);
		ks_buf_cleanup(&out);
		ks_buf_cleanup(&again);
	}
#undef N_INFO
}

static void test_invisible_rsa(void **state)
{
	struct ks_buf pdf, out;
	struct ks_pades_opts o;
	struct ks_pades_result res;

	(void)state;
	plain_pdf(&pdf);
	opts_at(&o);
	o.reason = "Ký duyệt học bạ";
	o.location = "Hà Nội";
	o.contact_info = "vanphong@thpt.edu.vn";
	sign_buf(&pdf, "principal-rsa", &o, &out, &res);
	assert_int_equal(check_signature(&out, 0), out.len);
	assert_string_equal(res.field, "Signature1");
	assert_true(res.new_field);
	assert_int_equal(res.font_bytes, 0);
	/* The signature dictionary (ISO 32000-1 Table 252, EN 319 142-1). */
	assert_non_null(pb_at(&out, pdf.len,
			      "/Type /Sig /Filter /Adobe.PPKLite /SubFilter "
			      "/ETSI.CAdES.detached /M (D:20260529032640+07'00')"));
	/* Vietnamese text strings: UTF-16BE with BOM ("Ký" = 004B 00FD). */
	assert_non_null(pb_at(&out, pdf.len, "/Reason <FEFF004B00FD"));
	assert_non_null(pb_at(&out, pdf.len, "/Location <FEFF0048"));
	assert_non_null(pb_at(&out, pdf.len, "/ContactInfo (vanphong@thpt.edu.vn)"));
	/* /Name from the certificate CN "Nguyễn ..." (N = 004E). */
	assert_non_null(pb_at(&out, pdf.len, "/Name <FEFF004E"));
	/* Invisible widget: zero rectangle, print + locked, on page 1. */
	assert_non_null(pb_at(&out, pdf.len, "/F 132 /Rect [0 0 0 0] /P 3 0 R"));
	assert_null(pb_at(&out, pdf.len, "/AP"));
	/* Catalog gets a new AcroForm with SignaturesExist|AppendOnly. */
	assert_non_null(pb_at(&out, pdf.len, "/SigFlags 3"));
	assert_non_null(pb_at(&out, pdf.len, "/Annots ["));
	/* /ID[0] kept. */
	assert_non_null(pb_at(&out, pdf.len, "/ID [<000102030405060708090A0B0C0D0E0F><"));
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&out);
}

/* pdftotext of `path` contains every string of want. */
static void assert_text(const char *path, const char *const *want, size_t n)
{
	char cmd[1024];
	struct ks_buf txt;
	size_t i;

	snprintf(cmd, sizeof(cmd), "pdftotext -enc UTF-8 '%s' '%s'", path, tmp_path("out.txt"));
	assert_int_equal(system(cmd), 0);
	ks_buf_init(&txt, (size_t)1 << 20);
	assert_ok(ks_file_read(tmp_path("out.txt"), (size_t)1 << 20, &txt));
	for (i = 0; i < n; i++)
		if (pb_at(&txt, 0, want[i]) == NULL)
			fail_msg("'%s' not in the text of %s: %.*s", want[i], path, (int)txt.len,
				 (const char *)txt.data);
	ks_buf_cleanup(&txt);
}

static void test_visible_ec(void **state)
{
	struct ks_buf pdf, out;
	struct ks_pades_opts o;
	struct ks_pades_result res;
	static const char *const want[] = { "Ký bởi: Nguyễn Thị Hồng Nhung", "Chức vụ: Hiệu trưởng",
					    "Thời gian: 29/05/2026 03:26 +07:00",
					    "Lý do: Ký duyệt học bạ" };

	(void)state;
	plain_pdf(&pdf);
	opts_at(&o);
	box_at(&o, 2, 340, 210);
	o.reason = "Ký duyệt học bạ";
	/* Role from the certificate's title attribute. */
	sign_buf(&pdf, "principal-ec", &o, &out, &res);
	check_signature(&out, 0);
	assert_true(res.font_bytes > 1000 && res.font_bytes < 20000);
	/* Page 2 is object 6; the widget has the rectangle and /AP. */
	assert_non_null(pb_at(&out, pdf.len, "/Rect [340 60 550 130] /P 6 0 R /AP << /N "));
	assert_text(tmp_path("signed.pdf"), want, 4);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&out);
}

/* The subset font's name (its tag, from the glyph set) after `from`. */
static void subset_name(const struct ks_buf *b, size_t from, char name[8])
{
	const uint8_t *p = pb_at(b, from, "/BaseFont /");

	assert_non_null(p);
	p += strlen("/BaseFont /");
	assert_true((size_t)(p - b->data) + 7 <= b->len);
	memcpy(name, p, 7);
	name[7] = '\0';
	assert_int_equal(name[6], '+');
}

/* Two signatures whose times share no minute, hour or day digits: the
 * same font subset (all digits are kept), and each shows its own time. */
static void test_visible_times(void **state)
{
	struct ks_buf pdf, a, b;
	struct ks_pades_opts o;
	struct ks_pades_result res;
	char na[8], nb[8];
	static const char *const want[] = { "Thời gian: 01/06/2026 08:59 +07:00" };

	(void)state;
	plain_pdf(&pdf);
	opts_at(&o);
	box_at(&o, 1, 340, 210);
	sign_buf(&pdf, "principal-ec", &o, &a, &res);
	o.signing_time = T_WHEN + 3 * 86400 + 5 * 3600 + 33 * 60;
	sign_buf(&pdf, "principal-ec", &o, &b, &res);
	check_signature(&b, 0);
	assert_text(tmp_path("signed.pdf"), want, 1);
	subset_name(&a, pdf.len, na);
	subset_name(&b, pdf.len, nb);
	assert_string_equal(na, nb);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&a);
	ks_buf_cleanup(&b);
}

static void test_serial_three(void **state)
{
	struct ks_buf pdf, s1, s2, s3;
	struct ks_pades_opts o;
	struct ks_pades_result res;
	size_t e1, e2, e3;

	(void)state;
	/* Teacher, then principal, then the school seal: each an incremental
	 * update; every earlier signature stays valid in the final file. */
	plain_pdf(&pdf);
	opts_at(&o);
	box_at(&o, 1, 40, 200);
	o.reason = "Xác nhận kết quả học tập";
	sign_buf(&pdf, "homeroom-rsa", &o, &s1, &res);
	assert_string_equal(res.field, "Signature1");
	o.x = 340;
	o.reason = "Ký duyệt học bạ";
	sign_buf(&s1, "principal-rsa", &o, &s2, &res);
	assert_string_equal(res.field, "Signature2");
	opts_at(&o);
	sign_buf(&s2, "seal-ec", &o, &s3, &res);
	assert_string_equal(res.field, "Signature3");
	e1 = check_signature(&s3, 0);
	e2 = check_signature(&s3, 1);
	e3 = check_signature(&s3, 2);
	assert_int_equal(e1, s1.len);
	assert_int_equal(e2, s2.len);
	assert_int_equal(e3, s3.len);
	/* Three fields in the AcroForm of the last revision. */
	assert_non_null(pb_at(&s3, s2.len, "/Fields ["));
	assert_int_equal(count_of(&s3, "/FT /Sig"), 3);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&s1);
	ks_buf_cleanup(&s2);
	ks_buf_cleanup(&s3);
}

static void sign_expect_fail(const struct ks_buf *in, const char *name,
			     const struct ks_pades_opts *o, enum ks_err_code code)
{
	struct ks_key *key = load_key(name);
	struct ks_pades_key_ctx kctx;
	struct ks_pades_cms cms;
	struct ks_buf out;

	ks_buf_init(&out, (size_t)64 << 20);
	assert_ok(ks_buf_append_str(&out, "keep"));
	ks_pades_cms_from_key(&kctx, key, false, &cms);
	assert_fails_with(ks_pades_sign_mem(in->data, in->len, &cms, o, &out, NULL), code);
	/* A failed signature leaves the output as it was. */
	assert_int_equal(out.len, 4);
	ks_buf_cleanup(&out);
	ks_key_free(key);
}

/* Pages shown turned (/Rotate, inherited or not, negative too): --visible
 * is measured on the page as displayed and the appearance is turned back
 * so that it reads upright; a /Rotate that is not a multiple of 90 is
 * refused. */
static void test_rotated_pages(void **state)
{
	static const char *objs[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R 6 0 R 7 0 R] /Count 3 /Rotate 90 "
		"/MediaBox [0 0 600 800] >>",
		"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> "
		"/Contents 4 0 R >>",
		"<< /Length 61 >>\nstream\n" CONTENT "\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		"<< /Type /Page /Parent 2 0 R /Rotate -90 /Contents 4 0 R >>",
		"<< /Type /Page /Parent 2 0 R /Rotate 45 /Contents 4 0 R >>",
	};
	struct ks_buf pdf, out;
	struct ks_pades_opts o;
	struct ks_pades_result res;
	const uint8_t *at;
	static const char *const want[] = { "Ký bởi: Nguyễn Thị Hồng Nhung" };

	(void)state;
	pb_classic(&pdf, PDF_MAX, objs, 7, "", true);
	opts_at(&o);
	o.x = 500;
	o.y = 40;
	o.w = 230;
	o.h = 80;
	/* Page 1, /Rotate 90 from the page tree: displayed 800 x 600. */
	o.page = 1;
	sign_buf(&pdf, "principal-rsa", &o, &out, &res);
	check_signature(&out, 0);
	assert_non_null(pb_at(&out, pdf.len, "/Rect [480 500 560 730] /P 3 0 R"));
	at = pb_at(&out, pdf.len, "/BBox [0 0 230 80] /Matrix [0 1 -1 0 0 0]");
	assert_non_null(at);
	assert_text(tmp_path("signed.pdf"), want, 1);
	ks_buf_cleanup(&out);
	/* Page 2, /Rotate -90 (= 270) of its own. */
	o.page = 2;
	sign_buf(&pdf, "principal-rsa", &o, &out, &res);
	check_signature(&out, 0);
	assert_non_null(pb_at(&out, pdf.len, "/Rect [40 70 120 300] /P 6 0 R"));
	assert_non_null(pb_at(&out, pdf.len, "/BBox [0 0 230 80] /Matrix [0 -1 1 0 0 0]"));
	ks_buf_cleanup(&out);
	/* Page 3: /Rotate 45 is malformed. */
	o.page = 3;
	sign_expect_fail(&pdf, "principal-rsa", &o, KS_ERR_PDF);
	/* The box must lie on the page as displayed (800 x 600): x 500 +
	 * 230 fits the turned width, y 540 + 80 is past its height, and a
	 * negative x is off the page; the message gives the size. */
	o.page = 1;
	o.y = 540;
	sign_expect_fail(&pdf, "principal-rsa", &o, KS_ERR_ARG);
	assert_non_null(strstr(ks_err_msg(), "800 x 600 pt"));
	o.y = 40;
	o.x = -1;
	sign_expect_fail(&pdf, "principal-rsa", &o, KS_ERR_ARG);
	/* Too small for legible text: refused, naming the page size. */
	o.x = 500;
	o.w = 20;
	o.h = 6;
	sign_expect_fail(&pdf, "principal-rsa", &o, KS_ERR_ARG);
	assert_non_null(strstr(ks_err_msg(), "too small"));
	assert_non_null(strstr(ks_err_msg(), "800 x 600 pt"));
	ks_buf_cleanup(&pdf);
}

/* The box is measured in the crop box (what a viewer shows), not the
 * media box. */
static void test_crop_box(void **state)
{
	static const char *objs[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /CropBox [100 200 400 600] "
		"/Contents 4 0 R >>",
		"<< /Length 61 >>\nstream\n" CONTENT "\nendstream",
	};
	struct ks_buf pdf, out;
	struct ks_pades_opts o;
	struct ks_pades_result res;

	(void)state;
	pb_classic(&pdf, PDF_MAX, objs, 4, "", true);
	opts_at(&o);
	o.page = 1;
	o.x = 10;
	o.y = 10;
	o.w = 230;
	o.h = 80;
	sign_buf(&pdf, "principal-rsa", &o, &out, &res);
	check_signature(&out, 0);
	/* Page space: the crop box's corner plus the offset. */
	assert_non_null(pb_at(&out, pdf.len, "/Rect [110 210 340 290]"));
	ks_buf_cleanup(&out);
	/* Inside the media box, beyond the crop box's 300 x 400. */
	o.x = 100;
	sign_expect_fail(&pdf, "principal-rsa", &o, KS_ERR_ARG);
	assert_non_null(strstr(ks_err_msg(), "300 x 400 pt"));
	ks_buf_cleanup(&pdf);
}

static void test_existing_fields(void **state)
{
	struct ks_buf pdf, s1, s2, s3;
	struct ks_pades_opts o;
	struct ks_pades_result res;

	(void)state;
	form_pdf(&pdf);
	opts_at(&o);
	/* No field named: the first empty signature field (Teacher), drawn
	 * in its own rectangle (200 x 70). */
	sign_buf(&pdf, "homeroom-rsa", &o, &s1, &res);
	assert_string_equal(res.field, "Teacher");
	assert_false(res.new_field);
	assert_true(res.font_bytes > 0);
	assert_non_null(pb_at(&s1, pdf.len, "8 0 obj\n<< /FT /Sig /T (Teacher)"));
	assert_non_null(pb_at(&s1, pdf.len, "/V 11 0 R"));
	assert_non_null(pb_at(&s1, pdf.len, "/BBox [0 0 200 70]"));
	/* The AcroForm gets /SigFlags 3; the page is not touched. */
	assert_non_null(pb_at(&s1, pdf.len, "7 0 obj\n<< /Fields [10 0 R 8 0 R 9 0 R] "));
	assert_null(pb_at(&s1, pdf.len, "\n3 0 obj"));
	/* An existing field keeps its place: no page/rectangle with it. */
	o.field = "Principal";
	o.page = 1;
	o.w = o.h = 10;
	sign_expect_fail(&s1, "principal-rsa", &o, KS_ERR_ARG);
	o.page = 0;
	sign_buf(&s1, "principal-rsa", &o, &s2, &res);
	assert_string_equal(res.field, "Principal");
	/* Named fields that cannot be signed. */
	o.field = "Name";
	sign_expect_fail(&s2, "seal-ec", &o, KS_ERR_ARG);
	o.field = "Teacher";
	sign_expect_fail(&s2, "seal-ec", &o, KS_ERR_ARG);
	o.field = "Bad.Name";
	sign_expect_fail(&s2, "seal-ec", &o, KS_ERR_ARG);
	/* Told the field must exist (as kyso sign does): a missing name is
	 * refused, listing the fields there are. */
	o.field = "Dấu trường";
	o.field_must_exist = true;
	sign_expect_fail(&s2, "seal-ec", &o, KS_ERR_ARG);
	assert_non_null(strstr(ks_err_msg(), "no field 'Dấu trường'"));
	assert_non_null(strstr(ks_err_msg(), "'Teacher' (signed)"));
	assert_non_null(strstr(ks_err_msg(), "'Principal' (signed)"));
	assert_non_null(strstr(ks_err_msg(), "'Name' (not a signature field)"));
	o.field_must_exist = false;
	/* A new field with a chosen (Vietnamese) name. */
	sign_buf(&s2, "seal-ec", &o, &s3, &res);
	assert_string_equal(res.field, "Dấu trường");
	assert_true(res.new_field);
	assert_non_null(pb_at(&s3, s2.len, "/T <FEFF"));
	check_signature(&s3, 0);
	check_signature(&s3, 1);
	assert_int_equal(check_signature(&s3, 2), s3.len);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&s1);
	ks_buf_cleanup(&s2);
	ks_buf_cleanup(&s3);
}

static void test_certify(void **state)
{
	struct ks_buf pdf, s1, s2, c1;
	struct ks_pades_opts o;
	struct ks_pades_result res;

	(void)state;
	plain_pdf(&pdf);
	opts_at(&o);
	o.certify = 2;
	sign_buf(&pdf, "principal-rsa", &o, &s1, &res);
	/* ISO 32000-1 12.8.2.2: DocMDP reference and catalog /Perms. */
	assert_non_null(pb_at(&s1, pdf.len,
			      "/Reference [<< /Type /SigRef /TransformMethod /DocMDP "
			      "/TransformParams << /Type /TransformParams /P 2 /V /1.2 >> >>]"));
	assert_non_null(pb_at(&s1, pdf.len, "/Perms << /DocMDP 8 0 R >>"));
	check_signature(&s1, 0);
	/* Certification only on the first signature. */
	opts_at(&o);
	o.certify = 1;
	sign_expect_fail(&s1, "seal-ec", &o, KS_ERR_ARG);
	/* P=2 allows more signatures. */
	o.certify = 0;
	sign_buf(&s1, "seal-ec", &o, &s2, &res);
	check_signature(&s2, 0);
	check_signature(&s2, 1);
	/* P=1: no changes at all, so no later signature. */
	o.certify = 1;
	sign_buf(&pdf, "principal-rsa", &o, &c1, &res);
	o.certify = 0;
	sign_expect_fail(&c1, "seal-ec", &o, KS_ERR_POLICY);
	/* Out of range. */
	o.certify = 4;
	sign_expect_fail(&pdf, "seal-ec", &o, KS_ERR_ARG);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&s1);
	ks_buf_cleanup(&s2);
	ks_buf_cleanup(&c1);
}

static void test_locks(void **state)
{
	struct ks_buf pdf, s1, s2;
	struct ks_pades_opts o;
	struct ks_pades_result res;
	static const char *const fields[] = { "Name", "Điểm" };

	(void)state;
	form_pdf(&pdf);
	opts_at(&o);
	o.lock = KS_PADES_LOCK_ALL;
	sign_buf(&pdf, "homeroom-rsa", &o, &s1, &res);
	/* ISO 32000-1 12.7.4.5 / 12.8.2.4: field /Lock and a FieldMDP ref. */
	assert_non_null(pb_at(&s1, pdf.len, "<< /Type /SigFieldLock /Action /All >>"));
	assert_non_null(pb_at(&s1, pdf.len, "/Lock "));
	assert_non_null(pb_at(&s1, pdf.len,
			      "<< /Type /SigRef /TransformMethod /FieldMDP /TransformParams << "
			      "/Type /TransformParams /Action /All /V /1.2 >> /Data 1 0 R >>"));
	check_signature(&s1, 0);
	opts_at(&o);
	o.lock = KS_PADES_LOCK_INCLUDE;
	o.lock_fields = fields;
	o.n_lock_fields = 2;
	sign_buf(&s1, "principal-rsa", &o, &s2, &res);
	assert_non_null(pb_at(&s2, s1.len, "/Action /Include /Fields [(Name) <FEFF"));
	check_signature(&s2, 1);
	/* An include lock needs fields. */
	o.n_lock_fields = 0;
	sign_expect_fail(&pdf, "principal-rsa", &o, KS_ERR_ARG);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&s1);
	ks_buf_cleanup(&s2);
}

static void test_refusals(void **state)
{
	struct ks_buf pdf, enc, junk;
	struct ks_pades_opts o;
	static const char *objs[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
		"<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>",
	};

	(void)state;
	plain_pdf(&pdf);
	opts_at(&o);
	/* Page out of range (the document has 2). */
	o.page = 3;
	o.w = o.h = 50;
	sign_expect_fail(&pdf, "principal-rsa", &o, KS_ERR_ARG);
	/* Rectangles without a positive size. */
	o.page = 1;
	o.w = 0;
	sign_expect_fail(&pdf, "principal-rsa", &o, KS_ERR_ARG);
	o.w = 50;
	o.h = -5;
	sign_expect_fail(&pdf, "principal-rsa", &o, KS_ERR_ARG);
	/* Encrypted: not supported yet. */
	pb_classic(&enc, PDF_MAX, objs, 4, "/Encrypt 4 0 R /ID [<00112233> <00112233>]", true);
	opts_at(&o);
	sign_expect_fail(&enc, "principal-rsa", &o, KS_ERR_UNSUPPORTED);
	/* Not a PDF / truncated. */
	ks_buf_init(&junk, 1024);
	assert_ok(ks_buf_append_str(&junk, "%PDF-1.7\nnot really\n"));
	ks_err_clear();
	{
		struct ks_key *key = load_key("principal-rsa");
		struct ks_pades_key_ctx kctx;
		struct ks_pades_cms cms;
		struct ks_buf out;

		ks_buf_init(&out, 1 << 20);
		ks_pades_cms_from_key(&kctx, key, false, &cms);
		assert_int_equal(ks_pades_sign_mem(junk.data, junk.len, &cms, &o, &out, NULL), -1);
		assert_int_equal(out.len, 0);
		assert_int_equal(ks_pades_sign_mem(pdf.data, pdf.len / 2, &cms, &o, &out, NULL),
				 -1);
		assert_int_equal(out.len, 0);
		ks_buf_cleanup(&out);
		ks_key_free(key);
	}
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&enc);
	ks_buf_cleanup(&junk);
}

/* Entries of tmpdir whose name starts with `prefix`. */
static size_t files_like(const char *prefix)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static void test_files_atomic(void **state)
{
	struct ks_buf pdf, out;
	struct ks_key *key = load_key("principal-rsa");
	struct ks_sign_pdf_opts so;
	struct ks_pades_result res;
	struct stat st;

	(void)state;
	plain_pdf(&pdf);
	write_file(tmp_path("in.pdf"), &pdf);
	memset(&so, 0, sizeof(so));
	so.visible = "1,340,60,200,70";
	so.reason = "Ký duyệt học bạ";
	so.role = "Hiệu trưởng";
	so.signing_time = T_WHEN;
	assert_ok(ks_sign_pdf(key, tmp_path("in.pdf"), tmp_path("out-ok.pdf"), &so, &res));
	ks_buf_init(&out, (size_t)64 << 20);
	assert_ok(ks_file_read(tmp_path("out-ok.pdf"), (size_t)64 << 20, &out));
	assert_memory_equal(out.data, pdf.data, pdf.len);
	assert_int_equal(check_signature(&out, 0), out.len);
	assert_qpdf_ok(tmp_path("out-ok.pdf"));
	/* A failed signature leaves no file, and no temporary file. */
	so.visible = "5,340,60,200,70";
	assert_fails_with(ks_sign_pdf(key, tmp_path("in.pdf"), tmp_path("out-bad.pdf"), &so, &res),
			  KS_ERR_ARG);
	assert_int_equal(stat(tmp_path("out-bad.pdf"), &st), -1);
	assert_int_equal(files_like("out-bad.pdf"), 0);
	/* Missing input. */
	so.visible = NULL;
	assert_fails_with(
	    ks_sign_pdf(key, tmp_path("nope.pdf"), tmp_path("out-bad.pdf"), &so, &res), KS_ERR_IO);
	assert_int_equal(files_like("out-bad.pdf"), 0);
	/* Options the glue refuses. */
	so.visible = "0,1,1,10,10";
	assert_fails_with(ks_sign_pdf(key, tmp_path("in.pdf"), tmp_path("out-bad.pdf"), &so, &res),
			  KS_ERR_USAGE);
	so.visible = "1,1,1,0,10";
	assert_fails_with(ks_sign_pdf(key, tmp_path("in.pdf"), tmp_path("out-bad.pdf"), &so, &res),
			  KS_ERR_USAGE);
	so.visible = "1,1,1,10";
	assert_fails_with(ks_sign_pdf(key, tmp_path("in.pdf"), tmp_path("out-bad.pdf"), &so, &res),
			  KS_ERR_USAGE);
	so.visible = "1,1,1,10,10x";
	assert_fails_with(ks_sign_pdf(key, tmp_path("in.pdf"), tmp_path("out-bad.pdf"), &so, &res),
			  KS_ERR_USAGE);
	so.visible = NULL;
	so.lock = "some";
	assert_fails_with(ks_sign_pdf(key, tmp_path("in.pdf"), tmp_path("out-bad.pdf"), &so, &res),
			  KS_ERR_USAGE);
	so.lock = "include:A,,B";
	assert_fails_with(ks_sign_pdf(key, tmp_path("in.pdf"), tmp_path("out-bad.pdf"), &so, &res),
			  KS_ERR_USAGE);
	so.lock = NULL;
	so.level = "B-T"; /* without a time-stamping authority: never a silent B-B */
	assert_fails_with(ks_sign_pdf(key, tmp_path("in.pdf"), tmp_path("out-bad.pdf"), &so, &res),
			  KS_ERR_USAGE);
	so.level = "B-LTA"; /* reached over B-T by the sign job or kyso extend */
	assert_fails_with(ks_sign_pdf(key, tmp_path("in.pdf"), tmp_path("out-bad.pdf"), &so, &res),
			  KS_ERR_UNSUPPORTED);
	so.level = "B-X";
	assert_fails_with(ks_sign_pdf(key, tmp_path("in.pdf"), tmp_path("out-bad.pdf"), &so, &res),
			  KS_ERR_USAGE);
	so.level = NULL;
	so.certify = 5;
	assert_fails_with(ks_sign_pdf(key, tmp_path("in.pdf"), tmp_path("out-bad.pdf"), &so, &res),
			  KS_ERR_USAGE);
	assert_int_equal(files_like("out-bad.pdf"), 0);
	/* The signing policy runs first: an expired certificate is refused
	 * before anything is written. */
	so.certify = 0;
	{
		struct ks_key *expired = load_key("expired-rsa");

		assert_fails_with(
		    ks_sign_pdf(expired, tmp_path("in.pdf"), tmp_path("out-bad.pdf"), &so, &res),
		    KS_ERR_POLICY);
		assert_int_equal(files_like("out-bad.pdf"), 0);
		ks_key_free(expired);
	}
	so.md = "sha1";
	assert_fails_with(ks_sign_pdf(key, tmp_path("in.pdf"), tmp_path("out-bad.pdf"), &so, &res),
			  KS_ERR_UNSUPPORTED);
	so.md = NULL;
	/* Signing in place (output = input) is atomic too. */
	so.certify = 0;
	so.lock = "include:Name";
	assert_ok(ks_sign_pdf(key, tmp_path("out-ok.pdf"), tmp_path("out-ok.pdf"), &so, &res));
	ks_buf_reset(&out);
	assert_ok(ks_file_read(tmp_path("out-ok.pdf"), (size_t)64 << 20, &out));
	check_signature(&out, 0);
	assert_int_equal(check_signature(&out, 1), out.len);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&out);
	ks_key_free(key);
}

static void test_sizing(void **state)
{
	struct ks_buf pdf, out;
	struct ks_pades_opts o;
	struct ks_pades_result res;

	(void)state;
	plain_pdf(&pdf);
	opts_at(&o);
	/* RSA: the signature length is fixed, the reservation exact. */
	sign_buf(&pdf, "principal-rsa", &o, &out, &res);
	assert_int_equal(res.contents_reserved, res.cms_len + KS_PADES_SLACK);
	ks_buf_cleanup(&out);
	/* ECDSA: the DER size varies by a few bytes below the maximum. */
	sign_buf(&pdf, "principal-ec", &o, &out, &res);
	assert_true(res.contents_reserved >= res.cms_len + KS_PADES_SLACK);
	assert_true(res.contents_reserved <= res.cms_len + KS_PADES_SLACK + 8);
	ks_buf_cleanup(&out);
	/* Room for a signature timestamp, only when asked. */
	o.reserve_extra = KS_PADES_TST_RESERVE;
	sign_buf(&pdf, "principal-rsa", &o, &out, &res);
	assert_int_equal(res.contents_reserved,
			 res.cms_len + KS_PADES_SLACK + KS_PADES_TST_RESERVE);
	check_signature(&out, 0);
	ks_buf_cleanup(&out);
	/* RSA-PSS and SHA-384 verify too. */
	opts_at(&o);
	o.rsa_pss = true;
	o.md = KS_MD_SHA384;
	sign_buf(&pdf, "principal-rsa", &o, &out, &res);
	check_signature(&out, 0);
	ks_buf_cleanup(&out);
	ks_buf_cleanup(&pdf);
}

/* /Annots and /Fields held in their own array objects, the AcroForm
 * inline in the catalog: the arrays are rewritten, not the page. */
static void test_indirect_arrays(void **state)
{
	static const char *objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields 7 0 R /NeedAppearances "
		"false >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		PAGE(" /Annots 6 0 R"),
		"<< /Length 61 >>\nstream\n" CONTENT "\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		"[]",
		"[]",
	};
	struct ks_buf pdf, out;
	struct ks_pades_opts o;
	struct ks_pades_result res;

	(void)state;
	pb_classic(&pdf, PDF_MAX, objs, 7, "", true);
	opts_at(&o);
	sign_buf(&pdf, "principal-rsa", &o, &out, &res);
	assert_non_null(pb_at(&out, pdf.len, "\n6 0 obj\n[9 0 R]"));
	assert_non_null(pb_at(&out, pdf.len, "\n7 0 obj\n[9 0 R]"));
	assert_null(pb_at(&out, pdf.len, "\n3 0 obj"));
	/* The inline AcroForm gets /SigFlags: the catalog is rewritten. */
	assert_non_null(pb_at(&out, pdf.len,
			      "1 0 obj\n<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields 7 0 "
			      "R /NeedAppearances false /SigFlags 3 >> >>"));
	assert_int_equal(check_signature(&out, 0), out.len);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&out);
}

/* The committed sample transcript (docs/examples/hocba.pdf). */
static void test_sample_document(void **state)
{
	struct ks_buf pdf, out;
	struct ks_pades_opts o;
	struct ks_pades_result res;

	(void)state;
	ks_buf_init(&pdf, (size_t)1 << 20);
	if (ks_file_read("docs/examples/hocba.pdf", (size_t)1 << 20, &pdf) < 0)
		fail_msg("docs/examples/hocba.pdf: %s", ks_err_msg());
	opts_at(&o);
	o.page = 1;
	o.x = 330;
	o.y = 60;
	o.w = 220;
	o.h = 75;
	o.reason = "Ký duyệt học bạ";
	sign_buf(&pdf, "principal-rsa", &o, &out, &res);
	assert_int_equal(check_signature(&out, 0), out.len);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_input_digest),    cmocka_unit_test(test_invisible_rsa),
		cmocka_unit_test(test_visible_ec),      cmocka_unit_test(test_visible_times),
		cmocka_unit_test(test_serial_three),    cmocka_unit_test(test_existing_fields),
		cmocka_unit_test(test_certify),         cmocka_unit_test(test_locks),
		cmocka_unit_test(test_refusals),        cmocka_unit_test(test_files_atomic),
		cmocka_unit_test(test_sizing),          cmocka_unit_test(test_sample_document),
		cmocka_unit_test(test_indirect_arrays), cmocka_unit_test(test_rotated_pages),
		cmocka_unit_test(test_crop_box),        cmocka_unit_test(test_info_value),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
