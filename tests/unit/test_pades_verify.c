/* Unit tests for PAdES verification (formats/pdf/ks_pades_verify and the
 * report glue signer/ks_verify_pdf): files signed here with the test PKI's
 * file keys, then attacked in memory -- the ByteRange and /Contents rules,
 * integrity, modification analysis (content, re-pointed objects,
 * appearances, form filling, annotations, DocMDP, FieldMDP), file-level
 * findings (bytes after %%EOF, objects outside any xref section,
 * truncation) and hostile inputs. */
#include "ks_test.h"

#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "formats/pdf/ks_pades.h"
#include "formats/pdf/ks_pades_int.h"
#include "formats/pdf/ks_pades_verify.h"
#include "formats/pdf/ks_pdfdoc.h"
#include "ks_codec.h"
#include "ks_io.h"
#include "ks_key.h"
#include "pdf_build.h"
#include "signer/ks_verify_pdf.h"
#include "signer/validate/ks_verdict.h"

#define PDF_MAX ((size_t)16 << 20)

/* The test root as the validation engine's anchor (revocation off: no
 * responders in unit tests). */
static struct ks_trust *store;
static struct ks_validation val;

static int setup(void **state)
{
	(void)state;
	if (ks_trust_new(&store) < 0 || ks_trust_add_anchors(store, ks_test_pki("root.pem")) < 0)
		return -1;
	ks_validation_init(&val);
	val.trust = store;
	val.revocation = false;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ks_trust_free(store);
	return 0;
}

/* ---- building and signing ---- */

#define CONTENT "BT /F1 18 Tf 72 760 Td (HOC BA - Nguyen Thi Hong Nhung) Tj ET"

/* One page, a text field "Name" (with an appearance) and an empty
 * signature field "Principal". */
static void form_pdf(struct ks_buf *pdf)
{
	static const char *objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 7 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 "
		"5 0 R >> >> /Contents 4 0 R /Annots [8 0 R 9 0 R] >>",
		"<< /Length 61 >>\nstream\n" CONTENT "\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		"<< /Title (Hoc ba) >>",
		"<< /Fields [8 0 R 9 0 R] /DA (/Helv 0 Tf 0 g) >>",
		"<< /FT /Tx /T (Name) /Type /Annot /Subtype /Widget /Rect [50 700 250 720] /P 3 0 "
		"R /F 4 /V (Nhung) /AP << /N 10 0 R >> >>",
		"<< /FT /Sig /T (Principal) /Type /Annot /Subtype /Widget /Rect [300 50 500 120] "
		"/P 3 0 R /F 4 >>",
		"<< /Type /XObject /Subtype /Form /BBox [0 0 200 20] /Length 5 >>\nstream\n(Nh)\n"
		"endstream",
	};

	pb_classic(pdf, PDF_MAX, objs, 10, "/Info 6 0 R", true);
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

/* Sign `in` into `out` (fresh buffer) with the named test key. */
static void sign_with(const struct ks_buf *in, struct ks_buf *out, const char *who,
		      const char *field, int certify, enum ks_pades_lock lock,
		      const char *const *lock_fields, size_t n_lock)
{
	struct ks_key *key = load_key(who);
	struct ks_pades_key_ctx kctx;
	struct ks_pades_cms cms;
	struct ks_pades_opts o;

	ks_pades_opts_init(&o);
	o.field = field;
	o.certify = certify;
	o.lock = lock;
	o.lock_fields = lock_fields;
	o.n_lock_fields = n_lock;
	ks_pades_cms_from_key(&kctx, key, false, &cms);
	ks_buf_init(out, PDF_MAX);
	assert_ok(ks_pades_sign_mem(in->data, in->len, &cms, &o, out, NULL));
	ks_key_free(key);
}

static void signed_form(struct ks_buf *out, int certify)
{
	struct ks_buf in;

	form_pdf(&in);
	sign_with(&in, out, "principal-rsa", "Principal", certify, KS_PADES_LOCK_NONE, NULL, 0);
	ks_buf_cleanup(&in);
}

/* What the format module finds: integrity, never trust. */
static void verify(const struct ks_buf *pdf, struct ks_pades_verify_result *res)
{
	struct ks_pades_verify_opts o = { 0 };

	ks_pades_verify_result_init(res);
	assert_ok(ks_pades_verify_mem(pdf->data, pdf->len, &o, res));
}

/* The whole verification (format module, then the validation engine)
 * with no trust anchors: the first entry is INDETERMINATE /
 * NO_CERTIFICATE_CHAIN_FOUND, whatever the format module found. */
static void assert_no_chain_without_anchors(const struct ks_buf *pdf)
{
	struct ks_validation none;
	struct ks_report rep;

	ks_validation_init(&none);
	none.revocation = false;
	ks_report_init(&rep);
	assert_ok(ks_verify_pdf_mem(pdf->data, pdf->len, &none, KS_LANG_EN, &rep));
	assert_true(rep.n >= 1);
	assert_int_equal(rep.sigs[0].indication, KS_IND_INDETERMINATE);
	assert_int_equal(rep.sigs[0].sub, KS_SUB_NO_CERTIFICATE_CHAIN_FOUND);
	ks_report_cleanup(&rep);
}

/* Overwrite the last /ByteRange [...] with `text`, padded to its width. */
static void set_byterange(struct ks_buf *b, const char *text)
{
	size_t at = pb_must_rfind(b, "/ByteRange") + 10, open = pb_must_find(b, at, "["),
	       close = pb_must_find(b, open, "]");
	size_t w = close + 1 - open, n = strlen(text);

	assert_true(n <= w);
	memset(b->data + open, ' ', w);
	memcpy(b->data + open, text, n - 1);
	b->data[close] = ']';
}

static void last_byterange(const struct ks_pades_verify_result *r, uint64_t br[4])
{
	memcpy(br, r->sigs[r->n - 1].byte_range, 4 * sizeof(uint64_t));
}

static bool has_change(const struct ks_pades_sig *s, uint32_t num)
{
	size_t i;

	for (i = 0; i < s->n_changes; i++)
		if (s->changes[i].num == num)
			return true;
	return false;
}

/* The change listed for object num (the test fails when there is none). */
static const struct ks_pades_change *change_of(const struct ks_pades_sig *s, uint32_t num)
{
	static const struct ks_pades_change none;
	size_t i;

	for (i = 0; i < s->n_changes; i++)
		if (s->changes[i].num == num)
			return &s->changes[i];
	fail_msg("no change listed for object %u", num);
	return &none;
}

static void assert_failed(const struct ks_pades_sig *s, enum ks_subindication sub,
			  const char *detail)
{
	assert_int_equal(s->indication, KS_IND_TOTAL_FAILED);
	assert_int_equal(s->sub, sub);
	if (detail != NULL && strstr(s->detail, detail) == NULL)
		fail_msg("detail '%s' lacks '%s'", s->detail, detail);
}

/* ---- clean files ---- */

static void test_clean(void **state)
{
	struct ks_buf pdf;
	struct ks_pades_verify_result r;
	const struct ks_pades_sig *s;

	(void)state;
	signed_form(&pdf, 0);
	verify(&pdf, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.nrevs, 2);
	s = &r.sigs[0];
	assert_int_equal(s->indication, KS_IND_TOTAL_PASSED);
	assert_int_equal(s->coverage, KS_PADES_COVER_WHOLE);
	assert_int_equal(s->rev, 1);
	assert_int_equal(s->n_changes, 0);
	assert_string_equal(s->field, "Principal");
	assert_string_equal(s->subfilter, "ETSI.CAdES.detached");
	assert_true(s->has_m);
	assert_true(s->has_cms && s->cms.cert != NULL);
	assert_int_equal(s->byte_range[0], 0);
	assert_int_equal(s->byte_range[2] + s->byte_range[3], pdf.len);
	assert_int_equal(s->docmdp, 0);
	ks_pades_verify_result_cleanup(&r);

	/* The path is the engine's: without anchors, no chain. */
	assert_no_chain_without_anchors(&pdf);

	/* whitespace after the last %%EOF changes nothing */
	assert_ok(ks_buf_append_str(&pdf, "\r\n  \n"));
	verify(&pdf, &r);
	assert_int_equal(r.sigs[0].indication, KS_IND_TOTAL_PASSED);
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);
}

static void test_serial(void **state)
{
	struct ks_buf one, two;
	struct ks_pades_verify_result r;

	(void)state;
	signed_form(&one, 2);
	sign_with(&one, &two, "seal-rsa", NULL, 0, KS_PADES_LOCK_NONE, NULL, 0);
	verify(&two, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.sigs[0].indication, KS_IND_TOTAL_PASSED);
	assert_int_equal(r.sigs[0].coverage, KS_PADES_COVER_REVISION);
	assert_int_equal(r.sigs[0].rev, 1);
	assert_int_equal(r.sigs[0].docmdp, 2);
	assert_int_equal(r.sigs[0].level, KS_PADES_LEVEL_FORM);
	assert_true(r.sigs[0].n_changes > 0);
	for (size_t i = 0; i < r.sigs[0].n_changes; i++)
		assert_true(r.sigs[0].changes[i].allowed);
	assert_int_equal(r.sigs[1].indication, KS_IND_TOTAL_PASSED);
	assert_int_equal(r.sigs[1].coverage, KS_PADES_COVER_WHOLE);
	assert_int_equal(r.sigs[1].permitted, 2);
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&one);
	ks_buf_cleanup(&two);
}

/* ---- /ByteRange and /Contents ---- */

static void test_byterange(void **state)
{
	static const char *const details[] = {
		"does not start at offset 0",
		"not the end of a revision",        /* c - 3: inside %%EOF */
		"not exactly the /Contents string", /* gap moved */
		"beyond the end of the file",       /* c huge */
		"not an array of 4 integers",
		"not a non-negative integer", /* negative */
		"not a non-negative integer", /* real */
		"overlap",                    /* a > b */
	};
	struct ks_buf pdf, bad;
	struct ks_pades_verify_result r;
	uint64_t br[4];
	char text[128];
	size_t i;

	(void)state;
	signed_form(&pdf, 0);
	verify(&pdf, &r);
	last_byterange(&r, br);
	ks_pades_verify_result_cleanup(&r);
	for (i = 0; i < sizeof(details) / sizeof(details[0]); i++) {
		unsigned long long a = br[1], b = br[2], c = br[3];

		switch (i) {
		case 0:
			snprintf(text, sizeof(text), "[1 %llu %llu %llu]", a, b, c);
			break;
		case 1:
			snprintf(text, sizeof(text), "[0 %llu %llu %llu]", a, b, c - 3);
			break;
		case 2:
			snprintf(text, sizeof(text), "[0 %llu %llu %llu]", a + 1, b + 1, c - 1);
			break;
		case 3:
			snprintf(text, sizeof(text), "[0 %llu %llu 99999999]", a, b);
			break;
		case 4:
			snprintf(text, sizeof(text), "[0 %llu %llu]", a, b);
			break;
		case 5:
			snprintf(text, sizeof(text), "[0 %llu %llu -%llu]", a, b, c);
			break;
		case 6:
			snprintf(text, sizeof(text), "[0 %llu %llu %llu.0]", a, b, c);
			break;
		default:
			snprintf(text, sizeof(text), "[0 %llu %llu %llu]", b, a, c);
			break;
		}
		ks_buf_init(&bad, PDF_MAX);
		assert_ok(ks_buf_set(&bad, pdf.data, pdf.len));
		set_byterange(&bad, text);
		verify(&bad, &r);
		assert_int_equal(r.n, 1);
		assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, details[i]);
		/* the signer is still named in the report */
		assert_true(r.sigs[0].has_cms && r.sigs[0].cms.cert != NULL);
		ks_pades_verify_result_cleanup(&r);
		ks_buf_cleanup(&bad);
	}
	ks_buf_cleanup(&pdf);
}

static void test_contents(void **state)
{
	struct ks_buf pdf;
	struct ks_pades_verify_result r;
	uint64_t br[4];
	size_t b;

	(void)state;
	signed_form(&pdf, 0);
	verify(&pdf, &r);
	last_byterange(&r, br);
	ks_pades_verify_result_cleanup(&r);
	b = (size_t)br[2];

	/* non-zero bytes after the DER inside /Contents */
	memcpy(pdf.data + b - 9, "DEADBEEF", 8);
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "/Contents with extra data");
	ks_pades_verify_result_cleanup(&r);

	/* a literal string instead of hex */
	pdf.data[br[1]] = '(';
	pdf.data[b - 1] = ')';
	verify(&pdf, &r);
	assert_int_equal(r.sigs[0].indication, KS_IND_TOTAL_FAILED);
	ks_pades_verify_result_cleanup(&r);

	/* all zeros: no signature (universal signature forgery) */
	pdf.data[br[1]] = '<';
	pdf.data[b - 1] = '>';
	memset(pdf.data + br[1] + 1, '0', b - (size_t)br[1] - 2);
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "/Contents is empty");
	ks_pades_verify_result_cleanup(&r);

	/* garbage DER */
	memset(pdf.data + br[1] + 1, 'A', 64);
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, NULL);
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);
}

static void test_integrity(void **state)
{
	struct ks_buf pdf;
	struct ks_pades_verify_result r;
	size_t at;

	(void)state;
	signed_form(&pdf, 0);
	at = pb_must_find(&pdf, 0, "HOC BA");
	pdf.data[at] = 'X';
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_HASH_FAILURE, NULL);
	assert_true(r.sigs[0].cms.cert != NULL); /* signer identified for the report */
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);
}

static void test_truncated(void **state)
{
	struct ks_buf pdf;
	struct ks_pades_verify_result r;
	size_t len;

	(void)state;
	signed_form(&pdf, 0);
	/* every cut must give a clear verdict, never a pass */
	for (len = 0; len < pdf.len; len += len < 64 ? 1 : 97) {
		struct ks_pades_verify_opts o = { 0 };

		ks_pades_verify_result_init(&r);
		assert_ok(ks_pades_verify_mem(pdf.data, len, &o, &r));
		for (size_t i = 0; i < r.n; i++)
			assert_int_not_equal(r.sigs[i].indication, KS_IND_TOTAL_PASSED);
		ks_pades_verify_result_cleanup(&r);
	}
	/* cut inside the signature update: the orphan signature is reported */
	verify(&(struct ks_buf){ .data = pdf.data, .len = pdf.len - 200 }, &r);
	assert_int_equal(r.n, 1);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "truncated");
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);
}

/* ---- modification analysis ---- */

static void test_content_update(void **state)
{
	struct ks_buf pdf;
	struct ks_pades_verify_result r;
	const struct ks_pades_change *ch;
	const struct pb_upd u[] = {
		{ 4, "<< /Length 20 >>\nstream\nBT (Diem 10) Tj ET\nendstream", 0 },
	};

	(void)state;
	signed_form(&pdf, 0);
	pb_append_update(&pdf, u, 1);
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "modified after signing");
	assert_int_equal(r.sigs[0].coverage, KS_PADES_COVER_REVISION);
	ch = change_of(&r.sigs[0], 4);
	assert_int_equal(ch->what, KS_PADES_WHAT_CONTENT);
	assert_int_equal(ch->op, KS_PADES_MODIFIED);
	assert_int_equal(ch->rev, 2);
	assert_false(ch->allowed);
	assert_int_equal(r.sigs[0].level, KS_PADES_LEVEL_OTHER);
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);
}

static void test_repoint(void **state)
{
	struct ks_buf pdf;
	struct ks_pades_verify_result r;
	struct pb_upd u[1];

	(void)state;
	signed_form(&pdf, 0);
	/* object 9 (the signed field) back at its body of revision 1, before
	 * it was signed: same number, an xref entry pointing elsewhere */
	u[0].num = 9;
	u[0].body = NULL;
	u[0].off = pb_must_find(&pdf, 0, "\n9 0 obj") + 1;
	pb_append_update(&pdf, u, 1);
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "object 9 (signature field) modified");
	ks_pades_verify_result_cleanup(&r);

	/* re-pointed to an identical copy: no change at all */
	ks_buf_cleanup(&pdf);
	signed_form(&pdf, 0);
	{
		const struct pb_upd same[] = { { 5,
						 "<<   /Type /Font /Subtype /Type1 /BaseFont "
						 "/Helvetica >>",
						 0 } };

		pb_append_update(&pdf, same, 1);
	}
	verify(&pdf, &r);
	assert_int_equal(r.sigs[0].indication, KS_IND_TOTAL_PASSED);
	assert_false(has_change(&r.sigs[0], 5));
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);
}

static void test_dangling_reference(void **state)
{
	static const char *objs[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		/* /Contents names object 9, which does not exist yet */
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents [4 0 R 9 0 R] >>",
		"<< /Length 61 >>\nstream\n" CONTENT "\nendstream",
	};
	const struct pb_upd u[] = { { 9, "<< /Length 14 >>\nstream\nBT (Fake) Tj ET\nendstream",
				      0 } };
	struct ks_buf in, pdf;
	struct ks_pades_verify_result r;
	const struct ks_pades_change *ch;

	(void)state;
	pb_classic(&in, PDF_MAX, objs, 4, "", true);
	sign_with(&in, &pdf, "principal-rsa", NULL, 0, KS_PADES_LOCK_NONE, NULL, 0);
	pb_append_update(&pdf, u, 1);
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "object 9 (page content) added");
	ch = change_of(&r.sigs[0], 9);
	assert_int_equal(ch->op, KS_PADES_ADDED);
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);
	ks_buf_cleanup(&in);
}

static void test_annotation(void **state)
{
	struct ks_buf pdf;
	struct ks_pades_verify_result r;
	const struct ks_pades_change *ch;
	char page[1024];
	size_t s, e;

	(void)state;
	for (int certify = 0; certify <= 3; certify++) {
		struct pb_upd u[2];

		signed_form(&pdf, certify);
		/* the page as the signature update left it, plus one annotation */
		s = pb_must_rfind(&pdf, "\n3 0 obj\n") + 9;
		e = pb_must_find(&pdf, s, "\nendobj");
		assert_true(e - s < 400);
		memcpy(page, pdf.data + s, e - s);
		page[e - s] = '\0';
		{
			char *a = strstr(page, "/Annots [");
			char buf[sizeof(page)];

			assert_non_null(a);
			if (snprintf(buf, sizeof(buf), "%.*s/Annots [20 0 R %s", (int)(a - page),
				     page, a + 9) >= (int)sizeof(buf))
				fail_msg("page too long");
			memcpy(page, buf, sizeof(page));
		}
		u[0].num = 3;
		u[0].body = page;
		u[1].num = 20;
		u[1].body = "<< /Type /Annot /Subtype /FreeText /Rect [72 690 500 730] /Contents "
			    "(Diem: 10) /DA (/Helv 24 Tf) /P 3 0 R >>";
		pb_append_update(&pdf, u, 2);
		verify(&pdf, &r);
		ch = change_of(&r.sigs[0], 20);
		assert_int_equal(ch->what, KS_PADES_WHAT_ANNOTATION);
		assert_int_equal(ch->level, KS_PADES_LEVEL_ANNOT);
		if (certify == 1 || certify == 2) {
			assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "by certification P=");
			assert_false(ch->allowed);
		} else {
			assert_int_equal(r.sigs[0].indication, KS_IND_TOTAL_PASSED);
			assert_true(ch->allowed);
		}
		ks_pades_verify_result_cleanup(&r);
		ks_buf_cleanup(&pdf);
	}
}

/* Form filling: a new value with a new appearance is allowed (not under
 * P=1, not when locked); a new appearance over the same value is not. */
static void fill(struct ks_buf *pdf, const char *value, bool new_ap)
{
	char field[512];
	struct pb_upd u[2];

	snprintf(field, sizeof(field),
		 "<< /FT /Tx /T (Name) /Type /Annot /Subtype /Widget /Rect [50 700 250 720] /P 3 "
		 "0 R /F 4 /V (%s) /AP << /N %s >> >>",
		 value, new_ap ? "21 0 R" : "10 0 R");
	u[0].num = 8;
	u[0].body = field;
	u[1].num = 21;
	u[1].body = "<< /Type /XObject /Subtype /Form /BBox [0 0 200 20] /Length 5 >>\nstream\n"
		    "(Hu)\nendstream";
	pb_append_update(pdf, u, new_ap ? 2 : 1);
}

static void test_form_fill(void **state)
{
	static const char *name[] = { "Name" };
	struct ks_buf pdf, in;
	struct ks_pades_verify_result r;

	(void)state;
	signed_form(&pdf, 0);
	fill(&pdf, "Huong", true);
	verify(&pdf, &r);
	assert_int_equal(r.sigs[0].indication, KS_IND_TOTAL_PASSED);
	assert_int_equal(r.sigs[0].level, KS_PADES_LEVEL_FORM);
	assert_int_equal(change_of(&r.sigs[0], 21)->what, KS_PADES_WHAT_APPEARANCE);
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);

	/* shadow "replace": same value, another appearance */
	signed_form(&pdf, 0);
	fill(&pdf, "Nhung", true);
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "modified after signing");
	assert_false(change_of(&r.sigs[0], 8)->allowed);
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);

	/* the appearance stream itself rewritten over an unchanged value */
	signed_form(&pdf, 0);
	{
		const struct pb_upd u[] = { { 10,
					      "<< /Type /XObject /Subtype /Form /BBox [0 0 200 20] "
					      "/Length 5 >>\nstream\n(Hu)\nendstream",
					      0 } };

		pb_append_update(&pdf, u, 1);
	}
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "appearance");
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);

	/* P=1 allows no filling */
	signed_form(&pdf, 1);
	fill(&pdf, "Huong", true);
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "by certification P=1");
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);

	/* FieldMDP: locking "Name" forbids filling it; excluding it allows */
	for (int ex = 0; ex <= 1; ex++) {
		form_pdf(&in);
		sign_with(&in, &pdf, "principal-rsa", "Principal", 0,
			  ex ? KS_PADES_LOCK_EXCLUDE : KS_PADES_LOCK_INCLUDE, name, 1);
		fill(&pdf, "Huong", true);
		verify(&pdf, &r);
		assert_true(r.sigs[0].fieldmdp);
		if (ex)
			assert_int_equal(r.sigs[0].indication, KS_IND_TOTAL_PASSED);
		else
			assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "locked");
		ks_pades_verify_result_cleanup(&r);
		ks_buf_cleanup(&pdf);
		ks_buf_cleanup(&in);
	}
}

static void test_file_level(void **state)
{
	struct ks_buf pdf;
	struct ks_pades_verify_result r;
	const struct ks_pades_change *ch;

	(void)state;
	/* bytes after the last %%EOF that are no update */
	signed_form(&pdf, 0);
	assert_ok(
	    ks_buf_append_str(&pdf, "4 0 obj\n<< /Length 3 >>\nstream\nBT \nendstream\nendobj\n"));
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "not a valid incremental update");
	ch = change_of(&r.sigs[0], 4);
	assert_int_equal(ch->what, KS_PADES_WHAT_FILE);
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);

	/* an object inside an update that its xref section does not declare */
	signed_form(&pdf, 0);
	assert_ok(ks_buf_append_str(&pdf, "30 0 obj\n(stray)\nendobj\n"));
	{
		const struct pb_upd u[] = { { 6, "<< /Title (Hoc ba 2) >>", 0 } };

		pb_append_update(&pdf, u, 1);
	}
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "outside every cross-reference section");
	assert_true(change_of(&r.sigs[0], 6)->allowed); /* the Info update itself is fine */
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);
}

static void test_removed_signature(void **state)
{
	struct ks_buf pdf;
	struct ks_pades_verify_result r;
	const struct pb_upd u[] = {
		/* the signature field dropped from the form */
		{ 7, "<< /Fields [8 0 R] /DA (/Helv 0 Tf 0 g) >>", 0 },
	};

	(void)state;
	signed_form(&pdf, 0);
	pb_append_update(&pdf, u, 1);
	verify(&pdf, &r);
	assert_int_equal(r.n, 1); /* still found in the revision that had it */
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "interactive form");
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);
}

/* ---- signatures made with OpenSSL directly: other /SubFilters ---- */

#define ROOM 6000 /* DER bytes reserved in /Contents */

enum raw_kind { RAW_DETACHED, RAW_SHA1, RAW_TIMESTAMP, RAW_TIMESTAMP_WRONG };

static EVP_PKEY *load_pkey(const char *who)
{
	char path[4200];
	EVP_PKEY *k;
	FILE *f;

	snprintf(path, sizeof(path), "%s.key.pem", ks_test_pki(who));
	f = fopen(path, "r");
	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

static X509 *load_cert(const char *who, STACK_OF(X509) * *chain)
{
	char path[4200];
	STACK_OF(X509) *c = NULL;
	X509 *x;

	snprintf(path, sizeof(path), "%s.cert.pem", ks_test_pki(who));
	assert_ok(ks_pem_load_certs(path, &c));
	x = sk_X509_shift(c);
	sk_X509_pop_free(c, X509_free);
	snprintf(path, sizeof(path), "%s.chain.pem", ks_test_pki(who));
	assert_ok(ks_pem_load_certs(path, chain));
	return x;
}

/* RFC 3161 token over `digest` (SHA-256) from the test TSA. */
static void timestamp_token(const uint8_t *digest, struct ks_buf *der)
{
	STACK_OF(X509) *chain = NULL;
	X509 *cert = load_cert("tsa-rsa", &chain);
	EVP_PKEY *key = load_pkey("tsa-rsa");
	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *imp = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_OBJECT *policy = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
	BIO *bio = BIO_new(BIO_s_mem());
	TS_RESP *resp;
	unsigned char *p = NULL;
	int n;

	X509_ALGOR_set_md(alg, EVP_sha256());
	assert_int_equal(TS_MSG_IMPRINT_set_algo(imp, alg), 1);
	assert_int_equal(TS_MSG_IMPRINT_set_msg(imp, (unsigned char *)digest, 32), 1);
	assert_int_equal(TS_REQ_set_version(req, 1), 1);
	assert_int_equal(TS_REQ_set_msg_imprint(req, imp), 1);
	assert_int_equal(TS_REQ_set_cert_req(req, 1), 1);
	assert_true(i2d_TS_REQ_bio(bio, req) == 1);
	assert_int_equal(TS_RESP_CTX_set_signer_cert(ctx, cert), 1);
	assert_int_equal(TS_RESP_CTX_set_signer_key(ctx, key), 1);
	assert_int_equal(TS_RESP_CTX_set_certs(ctx, chain), 1);
	assert_int_equal(TS_RESP_CTX_set_def_policy(ctx, policy), 1);
	assert_int_equal(TS_RESP_CTX_add_md(ctx, EVP_sha256()), 1);
	assert_int_equal(TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()), 1);
	resp = TS_RESP_create_response(ctx, bio);
	assert_non_null(resp);
	n = i2d_PKCS7(TS_RESP_get_token(resp), &p);
	assert_true(n > 0);
	assert_ok(ks_buf_set(der, p, (size_t)n));
	OPENSSL_free(p);
	TS_RESP_free(resp);
	BIO_free(bio);
	ASN1_OBJECT_free(policy);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(imp);
	TS_REQ_free(req);
	TS_RESP_CTX_free(ctx);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
}

/* The CMS for a /SubFilter, over the two ranges. */
static void raw_cms(enum raw_kind kind, const uint8_t *p1, size_t n1, const uint8_t *p2, size_t n2,
		    struct ks_buf *der)
{
	STACK_OF(X509) *chain = NULL;
	X509 *cert;
	EVP_PKEY *key;
	BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms;
	uint8_t d[32];
	unsigned dl;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *mem;
	long len;

	if (kind == RAW_TIMESTAMP || kind == RAW_TIMESTAMP_WRONG) {
		assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
		assert_int_equal(EVP_DigestUpdate(ctx, p1, n1), 1);
		assert_int_equal(EVP_DigestUpdate(ctx, p2, kind == RAW_TIMESTAMP ? n2 : n2 - 1), 1);
		assert_int_equal(EVP_DigestFinal_ex(ctx, d, &dl), 1);
		timestamp_token(d, der);
		goto done;
	}
	cert = load_cert("principal-rsa", &chain);
	key = load_pkey("principal-rsa");
	if (kind == RAW_SHA1) {
		assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha1(), NULL), 1);
		assert_int_equal(EVP_DigestUpdate(ctx, p1, n1), 1);
		assert_int_equal(EVP_DigestUpdate(ctx, p2, n2), 1);
		assert_int_equal(EVP_DigestFinal_ex(ctx, d, &dl), 1);
		assert_int_equal(BIO_write(in, d, (int)dl), (int)dl);
	} else {
		assert_int_equal(BIO_write(in, p1, (int)n1), (int)n1);
		assert_int_equal(BIO_write(in, p2, (int)n2), (int)n2);
	}
	cms =
	    CMS_sign(cert, key, chain, in, CMS_BINARY | (kind == RAW_DETACHED ? CMS_DETACHED : 0));
	assert_non_null(cms);
	assert_int_equal(i2d_CMS_bio(out, cms), 1);
	len = BIO_get_mem_data(out, &mem);
	assert_ok(ks_buf_set(der, mem, (size_t)len));
	CMS_ContentInfo_free(cms);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
done:
	EVP_MD_CTX_free(ctx);
	BIO_free(in);
	BIO_free(out);
}

/* One signature field whose dictionary (/Type type, /SubFilter sf) is
 * signed by OpenSSL over its ByteRange. */
static void raw_signed(struct ks_buf *pdf, const char *type, const char *sf, enum raw_kind kind)
{
	char sig[ROOM * 2 + 400], br[64];
	const char *objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] /SigFlags 3 >> >>",
		"<< /Type /Pages /Kids [] /Count 0 >>",
		"<< /FT /Sig /T (Raw) /V 4 0 R >>",
		sig,
	};
	struct ks_buf der, hex;
	size_t a, b, at;

	snprintf(sig, sizeof(sig),
		 "<< /Type /%s /Filter /Adobe.PPKLite /SubFilter /%s /M (D:20260529120000+07'00') "
		 "/ByteRange [0 0000000000 0000000000 0000000000] /Contents <%0*d> >>",
		 type, sf, ROOM * 2, 0);
	pb_classic(pdf, PDF_MAX, objs, 4, "", true);
	a = pb_must_find(pdf, 0, "/Contents <") + 10;
	b = a + ROOM * 2 + 2;
	at = pb_must_find(pdf, 0, "[0 0000000000");
	snprintf(br, sizeof(br), "[0 %010zu %010zu %010zu]", a, b, pdf->len - b);
	memcpy(pdf->data + at, br, strlen(br));
	ks_buf_init(&der, ROOM);
	ks_buf_init(&hex, ROOM * 2 + 1);
	raw_cms(kind, pdf->data, a, pdf->data + b, pdf->len - b, &der);
	assert_ok(ks_hex_encode(der.data, der.len, &hex));
	memcpy(pdf->data + a + 1, hex.data, hex.len);
	ks_buf_cleanup(&der);
	ks_buf_cleanup(&hex);
}

static void test_subfilters(void **state)
{
	struct ks_buf pdf;
	struct ks_pades_verify_result r;

	(void)state;
	raw_signed(&pdf, "Sig", "adbe.pkcs7.detached", RAW_DETACHED);
	verify(&pdf, &r);
	assert_int_equal(r.sigs[0].indication, KS_IND_TOTAL_PASSED);
	assert_int_equal(r.sigs[0].coverage, KS_PADES_COVER_WHOLE);
	ks_pades_verify_result_cleanup(&r);
	pdf.data[pb_must_find(&pdf, 0, "/Pages") + 1] = 'p'; /* a signed byte */
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_HASH_FAILURE, NULL);
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);

	/* the same CMS under the ETSI /SubFilter: fine as well */
	raw_signed(&pdf, "Sig", "ETSI.CAdES.detached", RAW_DETACHED);
	verify(&pdf, &r);
	assert_int_not_equal(r.sigs[0].indication, KS_IND_TOTAL_FAILED);
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);

	/* adbe.pkcs7.sha1: checked, then too weak */
	raw_signed(&pdf, "Sig", "adbe.pkcs7.sha1", RAW_SHA1);
	verify(&pdf, &r);
	assert_int_equal(r.sigs[0].indication, KS_IND_INDETERMINATE);
	assert_int_equal(r.sigs[0].sub, KS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
	assert_true(r.sigs[0].weak_subfilter);
	ks_pades_verify_result_cleanup(&r);
	pdf.data[pb_must_find(&pdf, 0, "/Pages") + 1] = 'p';
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_HASH_FAILURE, "SHA-1 digest");
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);

	/* a detached /SubFilter with encapsulated content */
	raw_signed(&pdf, "Sig", "adbe.pkcs7.detached", RAW_SHA1);
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "encapsulates content");
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);
}

static void test_doc_timestamp(void **state)
{
	struct ks_buf pdf;
	struct ks_pades_verify_result r;

	(void)state;
	raw_signed(&pdf, "DocTimeStamp", "ETSI.RFC3161", RAW_TIMESTAMP);
	verify(&pdf, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.sigs[0].kind, KS_PADES_DOC_TIMESTAMP);
	assert_int_equal(r.sigs[0].indication, KS_IND_TOTAL_PASSED);
	assert_true(r.sigs[0].cms.has_signing_time);
	assert_string_equal(r.sigs[0].cms.digest_alg, "SHA-256");
	ks_pades_verify_result_cleanup(&r);
	assert_no_chain_without_anchors(&pdf);
	ks_buf_cleanup(&pdf);

	/* a token over other bytes */
	raw_signed(&pdf, "DocTimeStamp", "ETSI.RFC3161", RAW_TIMESTAMP_WRONG);
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_HASH_FAILURE, "messageImprint");
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);

	/* /Type and /SubFilter must agree */
	raw_signed(&pdf, "Sig", "ETSI.RFC3161", RAW_TIMESTAMP);
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "disagree");
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);

	/* a CMS signature is no timestamp */
	raw_signed(&pdf, "DocTimeStamp", "ETSI.RFC3161", RAW_DETACHED);
	verify(&pdf, &r);
	assert_failed(&r.sigs[0], KS_SUB_FORMAT_FAILURE, "TSTInfo");
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&pdf);
}

/* ---- hostile input ---- */

static void test_hostile(void **state)
{
	static const char *const inputs[] = {
		"",
		"garbage",
		"%PDF-1.7\n%%EOF\n",
		"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R "
		">>\n%%EOF",
	};
	struct ks_pades_verify_result r;
	struct ks_pades_verify_opts o = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		ks_pades_verify_result_init(&r);
		assert_ok(
		    ks_pades_verify_mem((const uint8_t *)inputs[i], strlen(inputs[i]), &o, &r));
		assert_true(r.unreadable || r.n == 0);
		ks_pades_verify_result_cleanup(&r);
	}
	ks_pades_verify_result_init(&r);
	assert_fails_with(ks_pades_verify_mem(NULL, 10, &o, &r), KS_ERR_ARG);
	assert_fails_with(ks_pades_verify_file("/nonexistent/x.pdf", &o, &r), KS_ERR_IO);
	assert_fails_with(ks_pades_verify_file("/", &o, &r), KS_ERR_IO);
	ks_pades_verify_result_cleanup(&r);
}

/* Signature dictionaries a hostile writer shapes: each a clear format
 * failure. */
static void test_hostile_sigdicts(void **state)
{
	static const char *const sigs[] = {
		"<< /Type /Sig /SubFilter /ETSI.CAdES.detached >>",
		"<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange [0 0 0 0] /Contents <> "
		">>",
		"<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange 7 0 R /Contents <00> >>",
		"<< /Type /Sig /SubFilter /adbe.x509.rsa_sha1 /ByteRange [0 1 2 3] /Contents <00> "
		">>",
		"<< /Type /Sig /ByteRange [0 99999999999999999999 2 3] /Contents <3000> >>",
		"<< /Type /DocTimeStamp /SubFilter /ETSI.CAdES.detached /ByteRange [0 1 2 3] >>",
	};
	char field[256];
	struct ks_buf pdf;
	struct ks_pades_verify_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		const char *objs[] = {
			"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>",
			"<< /Type /Pages /Kids [] /Count 0 >>",
			field,
			sigs[i],
			"[0 1 2 3]",
		};

		snprintf(field, sizeof(field), "<< /FT /Sig /T (S%zu) /V 4 0 R >>", i);
		pb_classic(&pdf, PDF_MAX, objs, 5, "", true);
		verify(&pdf, &r);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.sigs[0].indication, KS_IND_TOTAL_FAILED);
		assert_int_equal(r.sigs[0].sub, KS_SUB_FORMAT_FAILURE);
		ks_pades_verify_result_cleanup(&r);
		ks_buf_cleanup(&pdf);
	}
}

/* More signature fields than KS_PADES_VERIFY_MAX_SIGS: the rest counted. */
static void test_too_many(void **state)
{
	struct ks_buf fields, body;
	struct ks_pades_verify_result r;
	size_t i, n = KS_PADES_VERIFY_MAX_SIGS + 6;
	struct pb p;

	(void)state;
	pb_init(&p);
	ks_buf_init(&fields, PDF_MAX);
	ks_buf_init(&body, PDF_MAX);
	for (i = 0; i < n; i++)
		assert_ok(ks_buf_printf(&fields, "%zu 0 R ", i + 3));
	assert_ok(ks_buf_append_byte(&fields, 0));
	assert_ok(ks_buf_printf(&body,
				"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%s] >> >>",
				(const char *)fields.data));
	assert_ok(ks_buf_append_byte(&body, 0));
	pb_obj(&p, 1, (const char *)body.data);
	pb_obj(&p, 2, "<< /Type /Pages /Kids [] /Count 0 >>");
	for (i = 0; i < n; i++) {
		char sig[128];

		snprintf(sig, sizeof(sig),
			 "<< /FT /Sig /T (S%zu) /V << /Type /Sig /Contents <00> >> >>", i);
		pb_obj(&p, (unsigned)(i + 3), sig);
	}
	pb_xref_all(&p, n + 2, "", true);
	verify(&p.b, &r);
	assert_int_equal(r.n, KS_PADES_VERIFY_MAX_SIGS);
	assert_int_equal(r.sigs_dropped, n - KS_PADES_VERIFY_MAX_SIGS);
	ks_pades_verify_result_cleanup(&r);
	ks_buf_cleanup(&p.b);
	ks_buf_cleanup(&fields);
	ks_buf_cleanup(&body);
}

static void test_locks(void **state)
{
	char *names[] = { (char *)"Name", (char *)"Grades.Math" };
	struct ks_pv_lock all = { PV_LOCK_ALL, NULL, 0, 0 };
	struct ks_pv_lock inc = { PV_LOCK_INCLUDE, names, 2, 0 };
	struct ks_pv_lock exc = { PV_LOCK_EXCLUDE, names, 2, 0 };

	(void)state;
	assert_true(ks_pv_lock_covers(&all, "Anything"));
	assert_true(ks_pv_lock_covers(&inc, "Name"));
	assert_true(ks_pv_lock_covers(&inc, "Grades.Math.Term1")); /* below a locked name */
	assert_false(ks_pv_lock_covers(&inc, "Grades.Mathematics"));
	assert_false(ks_pv_lock_covers(&inc, "Names"));
	assert_false(ks_pv_lock_covers(&exc, "Name"));
	assert_true(ks_pv_lock_covers(&exc, "Other"));
}

/* ---- the report ---- */

static void test_report(void **state)
{
	struct ks_buf pdf, out;
	struct ks_report rep;
	const struct pb_upd u[] = {
		{ 4, "<< /Length 20 >>\nstream\nBT (Diem 10) Tj ET\nendstream", 0 },
	};
	const char *t;

	(void)state;
	signed_form(&pdf, 2);
	pb_append_update(&pdf, u, 1);
	for (int lang = KS_LANG_VI; lang <= KS_LANG_EN; lang++) {
		ks_report_init(&rep);
		ks_buf_init(&out, (size_t)1 << 20);
		assert_ok(ks_verify_pdf_mem(pdf.data, pdf.len, &val, (enum ks_lang)lang, &rep));
		ks_verdict_decide(&rep, &val.policy);
		assert_int_equal(rep.n, 1);
		assert_int_equal(rep.verdict, KS_VERDICT_NOT_AUTHENTIC);
		assert_int_equal(ks_report_exit_code(&rep), 1);
		assert_non_null(rep.sigs[0].signer_name);
		assert_string_equal(rep.sigs[0].id_kind, "CCCD");
		assert_string_equal(rep.sigs[0].format, "PAdES-B-B");
		assert_true(rep.sigs[0].has_signing_time);
		assert_int_equal(rep.sigs[0].n_changes, 1);
		t = rep.sigs[0].changes[0].text;
		assert_non_null(strstr(t, lang == KS_LANG_EN ? "NOT ALLOWED" : "KHÔNG ĐƯỢC PHÉP"));
		assert_non_null(strstr(rep.sigs[0].coverage,
				       lang == KS_LANG_EN ? "revision 2 of 3" : "phiên bản 2/3"));
		assert_non_null(strstr(rep.sigs[0].coverage, "P=2"));
		assert_ok(ks_report_json(&rep, (enum ks_lang)lang, &out));
		ks_buf_cleanup(&out);
		ks_report_cleanup(&rep);
	}
	/* an unreadable file is not a signed document */
	ks_report_init(&rep);
	assert_ok(ks_verify_pdf_mem((const uint8_t *)"%PDF-", 5, &val, KS_LANG_EN, &rep));
	ks_verdict_decide(&rep, &val.policy);
	assert_int_equal(rep.n, 0);
	assert_non_null(rep.not_signed);
	assert_int_equal(rep.verdict, KS_VERDICT_NOT_SIGNED);
	assert_int_equal(ks_report_exit_code(&rep), 1);
	ks_report_cleanup(&rep);
	for (int w = 0; w < KS_PADES_WHAT__COUNT; w++) {
		assert_string_not_equal(ks_pades_what_name((enum ks_pades_what)w), "?");
		assert_string_not_equal(ks_verify_pdf_what_text((enum ks_pades_what)w, KS_LANG_VI),
					"?");
	}
	for (int l = KS_PADES_LEVEL_NONE; l <= KS_PADES_LEVEL_OTHER; l++)
		assert_string_not_equal(ks_pades_level_name((enum ks_pades_level)l), "?");
	ks_buf_cleanup(&pdf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_byterange),
		cmocka_unit_test(test_contents),
		cmocka_unit_test(test_integrity),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_content_update),
		cmocka_unit_test(test_repoint),
		cmocka_unit_test(test_dangling_reference),
		cmocka_unit_test(test_annotation),
		cmocka_unit_test(test_form_fill),
		cmocka_unit_test(test_file_level),
		cmocka_unit_test(test_removed_signature),
		cmocka_unit_test(test_subfilters),
		cmocka_unit_test(test_doc_timestamp),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_hostile_sigdicts),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_locks),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
