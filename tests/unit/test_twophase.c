/* Two-phase signing (signer/ks_twophase.c) and the in-memory sign job:
 * PDF, XML and CMS prepared with an external key, signed by the key
 * outside kyso's format code, completed, and verified by the verify job
 * against the test PKI (`make pki`). */
#include "ks_test.h"

#include <openssl/x509.h>

#include "ks_codec.h"
#include "ks_io.h"
#include "ks_key.h"
#include "pdf_build.h"
#include "signer/ks_job.h"
#include "signer/ks_record_ref.h"
#include "signer/ks_report.h"
#include "signer/ks_twophase.h"
#include "signer/validate/ks_engine.h"
#include "signer/validate/ks_trust.h"

#define DOC_MAX ((size_t)16 << 20)

static const char record[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<HocBa><HocSinh>Nguyễn Văn An</HocSinh><Lop>12A1</Lop></HocBa>\n";
static const char csv[] = "Họ và tên,Toán,Văn\nNguyễn Văn An,9.5,8.0\n";

static struct ks_key *file_key(const char *entity)
{
	const char *dir = getenv("KYSO_PKI_DIR");
	char k[4200], c[4200], ch[4200];
	struct ks_key *key = NULL;

	if (dir == NULL)
		dir = "build/pki";
	snprintf(k, sizeof(k), "%s/%s.key.pem", dir, entity);
	snprintf(c, sizeof(c), "%s/%s.cert.pem", dir, entity);
	snprintf(ch, sizeof(ch), "%s/%s.chain.pem", dir, entity);
	assert_ok(ks_filekey_open(k, c, ch, NULL, &key));
	return key;
}

static void load(const char *path, struct ks_buf *b)
{
	ks_buf_init(b, DOC_MAX);
	assert_ok(ks_file_read(path, DOC_MAX, b));
}

/* The verify job's overall indication for the bytes (and content). */
static enum ks_indication verify(const struct ks_buf *doc, const char *content)
{
	struct ks_verify_job j;
	struct ks_validation val;
	struct ks_report rep;
	struct ks_trust *trust = NULL;
	enum ks_indication ind;

	memset(&j, 0, sizeof(j));
	ks_report_init(&rep);
	ks_validation_init(&val);
	assert_ok(ks_trust_new(&trust));
	assert_ok(ks_trust_add_anchors(trust, ks_test_pki("root.pem")));
	val.trust = trust;
	val.revocation = false; /* no OCSP or CRL peer here: not what is tested */
	j.data = doc->data;
	j.len = doc->len;
	if (content != NULL) {
		j.content = (const uint8_t *)content;
		j.content_len = strlen(content);
	}
	j.val = &val;
	assert_ok(ks_job_verify(&j, &rep));
	/* no signature found is TOTAL-FAILED too */
	ind = ks_report_indication(&rep);
	ks_report_cleanup(&rep);
	ks_trust_free(trust);
	return ind;
}

/* Prepare with an external key, sign p.tbs with `signer`, complete in a
 * fresh external key (as the service does after storing the state). */
static void round_trip(struct ks_sign_job *j, struct ks_key *signer, struct ks_buf *out)
{
	struct ks_prepared p;
	struct ks_key *ext = NULL, *ext2 = NULL;
	struct ks_buf sig;
	struct ks_sign_outcome res;

	ks_prepared_init(&p);
	ks_buf_init(&sig, 1024);
	assert_ok(ks_extkey_new(signer->cert, signer->chain, "holder", &ext));
	j->key = ext;
	assert_ok(ks_twophase_prepare(j, &p));
	assert_int_equal(p.tbs.len, ks_md_size(p.md));
	assert_ok(ks_key_sign(signer, p.scheme, p.md, p.tbs.data, p.tbs.len, &sig));

	/* a signature of another digest, and a damaged one, are refused */
	assert_ok(ks_extkey_new(signer->cert, signer->chain, "holder", &ext2));
	j->key = ext2;
	sig.data[sig.len / 2] ^= 0x10;
	assert_fails_with(ks_twophase_complete(j, &p, sig.data, sig.len, out, &res), KS_ERR_ARG);
	assert_int_equal(out->len, 0);
	sig.data[sig.len / 2] ^= 0x10;
	ks_key_free(ext2);

	assert_ok(ks_extkey_new(signer->cert, signer->chain, "holder", &ext2));
	j->key = ext2;
	assert_ok(ks_twophase_complete(j, &p, sig.data, sig.len, out, &res));
	assert_true(out->len > 0);
	assert_true(res.summary[0] != '\0');
	ks_key_free(ext);
	ks_key_free(ext2);
	ks_buf_cleanup(&sig);
	ks_prepared_cleanup(&p);
}

static void test_pdf(void **state)
{
	struct ks_key *signer = file_key("principal-rsa");
	struct ks_sign_job j;
	struct ks_buf in, out;
	const char *ex = getenv("KYSO_ROOT");
	char path[1024];

	(void)state;
	snprintf(path, sizeof(path), "%s/docs/examples/hocba.pdf", ex != NULL ? ex : ".");
	load(path, &in);
	ks_buf_init(&out, DOC_MAX);
	ks_sign_job_init(&j);
	j.in_data = in.data;
	j.in_len = in.len;
	j.pdf.reason = "Ký duyệt học bạ";
	round_trip(&j, signer, &out);
	assert_int_equal(ks_format_sniff(out.data, out.len), KS_FORMAT_PDF);
	assert_true(out.len > in.len);
	assert_memory_equal(out.data, in.data, in.len);
	assert_int_equal(verify(&out, NULL), KS_IND_TOTAL_PASSED);
	/* a flipped byte in the signed part is not authentic any more */
	out.data[in.len + 10] ^= 0x01;
	assert_int_not_equal(verify(&out, NULL), KS_IND_TOTAL_PASSED);
	ks_buf_cleanup(&in);
	ks_buf_cleanup(&out);
	ks_key_free(signer);
}

static void test_xml(void **state)
{
	struct ks_key *signer = file_key("principal-ec");
	struct ks_sign_job j;
	struct ks_buf out;

	(void)state;
	ks_buf_init(&out, DOC_MAX);
	ks_sign_job_init(&j);
	j.in_data = (const uint8_t *)record;
	j.in_len = strlen(record);
	j.xml.role = "Hiệu trưởng";
	round_trip(&j, signer, &out);
	assert_int_equal(ks_format_sniff(out.data, out.len), KS_FORMAT_XML);
	assert_int_equal(verify(&out, NULL), KS_IND_TOTAL_PASSED);
	ks_buf_cleanup(&out);
	ks_key_free(signer);
}

static void test_cms(void **state)
{
	struct ks_key *signer = file_key("principal-rsa");
	struct ks_sign_job j;
	struct ks_buf out;

	(void)state;
	ks_buf_init(&out, DOC_MAX);
	ks_sign_job_init(&j);
	j.in_data = (const uint8_t *)csv;
	j.in_len = strlen(csv);
	j.signing_time = true;
	j.rsa_pss = true;
	round_trip(&j, signer, &out);
	assert_int_equal(verify(&out, csv), KS_IND_TOTAL_PASSED);
	assert_int_not_equal(verify(&out, record), KS_IND_TOTAL_PASSED);
	ks_buf_cleanup(&out);
	ks_key_free(signer);
}

/* Phase 1 refuses what the signing policy refuses, and needs an external
 * key; phase 2 needs a prepared state. */
static void test_refusals(void **state)
{
	struct ks_key *weak = file_key("weak-rsa1024"), *ok = file_key("principal-rsa");
	struct ks_key *ext = NULL;
	struct ks_sign_job j;
	struct ks_prepared p;
	struct ks_buf out;
	struct ks_sign_outcome res;
	uint8_t sig[256] = { 0 };

	(void)state;
	ks_prepared_init(&p);
	ks_buf_init(&out, DOC_MAX);
	ks_sign_job_init(&j);
	j.in_data = (const uint8_t *)csv;
	j.in_len = strlen(csv);
	assert_ok(ks_extkey_new(weak->cert, weak->chain, NULL, &ext));
	j.key = ext;
	assert_fails_with(ks_twophase_prepare(&j, &p), KS_ERR_POLICY);
	ks_key_free(ext);
	j.key = ok;
	assert_fails_with(ks_twophase_prepare(&j, &p), KS_ERR_ARG);
	assert_ok(ks_extkey_new(ok->cert, ok->chain, NULL, &ext));
	j.key = ext;
	j.level = "B-T";
	assert_fails_with(ks_twophase_prepare(&j, &p), KS_ERR_USAGE);
	j.level = "B-LTA";
	assert_fails_with(ks_twophase_prepare(&j, &p), KS_ERR_UNSUPPORTED);
	j.level = NULL;
	j.md = "sha1";
	assert_int_equal(ks_twophase_prepare(&j, &p), -1);
	j.md = NULL;
	assert_fails_with(ks_twophase_complete(&j, &p, sig, sizeof(sig), &out, &res), KS_ERR_ARG);
	assert_int_equal(out.len, 0);
	ks_key_free(ext);
	ks_key_free(weak);
	ks_key_free(ok);
	ks_buf_cleanup(&out);
	ks_prepared_cleanup(&p);
}

/* The in-memory sign job gives what the file job gives. */
static void test_job_in_memory(void **state)
{
	struct ks_key *key = file_key("seal-rsa");
	struct ks_sign_job j;
	struct ks_sign_outcome res;
	struct ks_buf in, out;
	const char *objs[4] = { "<< /Type /Catalog /Pages 2 0 R >>",
				"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
				"<< /Title (Hoc ba) /KysoRecordId (hb-5gddzp4f5ltze6xh) >>",
				"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>" };
	char id[KS_RECORD_REF_MAX + 1];

	(void)state;
	ks_buf_init(&out, DOC_MAX);
	ks_sign_job_init(&j);
	j.key = key;
	j.in_data = (const uint8_t *)record;
	j.in_len = strlen(record);
	j.out_buf = &out;
	assert_ok(ks_job_sign(&j, &res));
	assert_int_equal(res.format, KS_FORMAT_XML);
	assert_int_equal(verify(&out, NULL), KS_IND_TOTAL_PASSED);
	assert_false(res.record_read); /* XML: read from the signed record */
	ks_buf_reset(&out);
	/* PDF: the record id read while signing is the signed document's */
	pb_classic(&in, DOC_MAX, objs, 4, "/Info 3 0 R", true);
	ks_sign_job_init(&j);
	j.key = key;
	j.in_data = in.data;
	j.in_len = in.len;
	j.out_buf = &out;
	assert_ok(ks_job_sign(&j, &res));
	assert_int_equal(res.format, KS_FORMAT_PDF);
	assert_false(res.record_read); /* not asked */
	ks_buf_reset(&out);
	j.want_record = true;
	assert_ok(ks_job_sign(&j, &res));
	assert_true(res.record_read);
	assert_string_equal(res.record, "hb-5gddzp4f5ltze6xh");
	assert_ok(ks_record_ref_of(KS_FORMAT_PDF, out.data, out.len, id));
	assert_string_equal(res.record, id);
	ks_buf_cleanup(&in);
	ks_buf_reset(&out);
	ks_sign_job_init(&j);
	j.key = key;
	j.in_data = (const uint8_t *)csv;
	j.in_len = strlen(csv);
	j.out_buf = &out;
	assert_ok(ks_job_sign(&j, &res));
	assert_int_equal(res.format, KS_FORMAT_CMS);
	assert_int_equal(verify(&out, csv), KS_IND_TOTAL_PASSED);
	/* memory in, file out is not a combination */
	ks_sign_job_init(&j);
	j.key = key;
	j.in_data = (const uint8_t *)csv;
	j.in_len = strlen(csv);
	j.out = "/nonexistent/out.p7s";
	assert_fails_with(ks_job_sign(&j, &res), KS_ERR_USAGE);
	ks_buf_cleanup(&out);
	ks_key_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdf),           cmocka_unit_test(test_xml),
		cmocka_unit_test(test_cms),           cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_job_in_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
