/* XAdES in-process throughput with a file RSA-2048 key (principal-rsa):
 *
 *   xades_sign_50k    <kyso signs/s>    on a 50 KB gradebook (sổ điểm):
 *                     parse, canonicalize, digest, SignedProperties, sign,
 *                     self-check, insert into the record's bytes
 *   xades_verify_50k  <kyso verifies/s> the same document, full report
 *                     path (facts, chain to the test root, report entry)
 *   xml_classlog_ratio <records/s> <openssl signs/s> <ratio> (target >= 0.7)
 *                     1,000 small class-log records (sổ đầu bài, one per
 *                     lesson) signed in one process, against OpenSSL's raw
 *                     RSA-2048 signing on the same key (`openssl speed
 *                     rsa2048`), measured in the same run
 *
 * bench/xades_peers.sh compares the first two with xmlsec1 --repeat and
 * xadesjs on the same document and key; it calls this program with
 *   --emit-gradebook PATH   write the 50 KB gradebook and exit
 *   --rate sign|verify      print only that rate
 * Env: BENCH_SECONDS (default 2 per measurement), KYSO_PKI_DIR. */
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formats/xml/ks_xades.h"
#include "ks_io.h"
#include "ks_key.h"
#include "signer/ks_verify_xml.h"
#include "signer/validate/ks_trust.h"
#include "common.h"

#define ENTITY "principal-rsa"
#define GRADEBOOK_TARGET ((size_t)50 << 10)
#define CLASSLOG_RECORDS 1000
#define ROUNDS 3

static const char *const subjects[] = { "Toán",    "Ngữ văn",   "Tiếng Anh", "Vật lí",
					"Hóa học", "Sinh học",  "Lịch sử",   "Địa lí",
					"Tin học", "Công nghệ", "GDCD",      "GDTC" };
static const char *const family[] = { "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng" };
static const char *const given[] = { "Minh Anh", "Thu Hà",  "Đức Huy", "Ngọc Lan",
				     "Quốc Bảo", "Thảo Vy", "Gia Hân", "Tuấn Kiệt" };

static void pki_path(char *buf, size_t n, const char *name)
{
	const char *dir = getenv("KYSO_PKI_DIR");

	snprintf(buf, n, "%s/%s", dir != NULL && *dir != '\0' ? dir : "build/pki", name);
}

/* A class gradebook of about 50 KB: students with scores per subject. */
static int gradebook(struct ks_buf *b)
{
	unsigned seed = 12345;
	size_t st, k;

	if (ks_buf_append_str(
		b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<SoDiem xmlns=\"urn:kyso:so-diem\" namHoc=\"2025-2026\" "
		   "lop=\"11A3\" hocKy=\"1\">\n"
		   "  <Truong maTruong=\"01234567\">Trường THPT Chu Văn An</Truong>\n") < 0)
		return -1;
	for (st = 1; b->len < GRADEBOOK_TARGET - 1200; st++) {
		if (ks_buf_printf(b,
				  "  <HocSinh stt=\"%zu\" maHocSinh=\"HS%05zu\">\n"
				  "    <HoTen>%s %s</HoTen>\n",
				  st, st, family[st % 7], given[st % 8]) < 0)
			return -1;
		for (k = 0; k < sizeof(subjects) / sizeof(subjects[0]); k++) {
			seed = seed * 1103515245u + 12345u;
			if (ks_buf_printf(b, "    <Diem mon=\"%s\" tx1=\"%u\" gk=\"%u.%u\"/>\n",
					  subjects[k], 5 + (seed >> 16) % 6, 4 + (seed >> 8) % 7,
					  (seed >> 4) % 10) < 0)
				return -1;
		}
		if (ks_buf_append_str(b, "  </HocSinh>\n") < 0)
			return -1;
	}
	return ks_buf_append_str(b, "</SoDiem>\n");
}

static int classlog(struct ks_buf *b, unsigned lesson)
{
	return ks_buf_printf(b,
			     "<SoDauBai xmlns=\"urn:kyso:so-dau-bai\" lop=\"6A\">"
			     "<Tiet so=\"%u\" ngay=\"2025-10-%02u\"><Mon>%s</Mon>"
			     "<TenBai>Bài %u: ôn tập và luyện tập</TenBai>"
			     "<SiSo coMat=\"42\" vang=\"%u\"/><NhanXet>Lớp học nghiêm túc, "
			     "tích cực phát biểu.</NhanXet><XepLoai>A</XepLoai></Tiet></SoDauBai>",
			     lesson % 5 + 1, lesson % 28 + 1,
			     subjects[lesson % (sizeof(subjects) / sizeof(subjects[0]))], lesson,
			     lesson % 3);
}

static long run_sign(struct ks_key *key, const struct ks_buf *doc, double secs)
{
	struct ks_xades_sign_opts o;
	struct ks_buf out;
	double end = bench_now() + secs;
	long n = 0;

	ks_xades_sign_opts_init(&o);
	ks_buf_init(&out, KS_XADES_OUT_MAX);
	do {
		ks_buf_reset(&out);
		if (ks_xades_sign(key, doc->data, doc->len, &o, &out) < 0) {
			fprintf(stderr, "bench_xml: %s\n", ks_err_msg());
			n = -1;
			break;
		}
		n++;
	} while (bench_now() < end);
	ks_buf_cleanup(&out);
	return n;
}

static long run_verify(const struct ks_buf *signed_doc, const struct ks_validation *trust,
		       double secs)
{
	struct ks_report rep;
	double end = bench_now() + secs;
	long n = 0;

	do {
		ks_report_init(&rep);
		if (ks_verify_xml_mem(signed_doc->data, signed_doc->len, NULL, 0, NULL, trust,
				      KS_LANG_VI, &rep) < 0 ||
		    rep.n != 1 || rep.sigs[0].indication != KS_IND_TOTAL_PASSED) {
			fprintf(stderr, "bench_xml: verification did not pass: %s\n",
				rep.n > 0 && rep.sigs[0].detail != NULL ? rep.sigs[0].detail
									: ks_err_msg());
			ks_report_cleanup(&rep);
			return -1;
		}
		ks_report_cleanup(&rep);
		n++;
	} while (bench_now() < end);
	return n;
}

/* 1,000 class-log records signed one after the other; seconds taken. */
static double run_classlog(struct ks_key *key)
{
	struct ks_xades_sign_opts o;
	struct ks_buf rec, out;
	double t0 = bench_now();
	unsigned i;

	ks_xades_sign_opts_init(&o);
	ks_buf_init(&rec, 4096);
	ks_buf_init(&out, 1 << 20);
	for (i = 0; i < CLASSLOG_RECORDS; i++) {
		ks_buf_reset(&rec);
		ks_buf_reset(&out);
		if (classlog(&rec, i) < 0 || ks_xades_sign(key, rec.data, rec.len, &o, &out) < 0) {
			fprintf(stderr, "bench_xml: %s\n", ks_err_msg());
			t0 = -1;
			break;
		}
	}
	ks_buf_cleanup(&rec);
	ks_buf_cleanup(&out);
	return t0 < 0 ? -1 : bench_now() - t0;
}

/* The test root, for the engine; revocation off (xmlsec1 and xadesjs
 * check none either: like with like). */
static struct ks_trust *load_trust(struct ks_validation *val)
{
	char path[4096];
	struct ks_trust *t = NULL;

	pki_path(path, sizeof(path), "root.pem");
	if (ks_trust_new(&t) < 0 || ks_trust_add_anchors(t, path) < 0) {
		ks_trust_free(t);
		return NULL;
	}
	ks_validation_init(val);
	val->trust = t;
	val->revocation = false;
	return t;
}

int main(int argc, char **argv)
{
	char kpath[4096], cpath[4096], chpath[4096];
	struct ks_key *key = NULL;
	struct ks_xades_sign_opts o;
	struct ks_buf doc, signed_doc;
	struct ks_trust *trust = NULL;
	struct ks_validation val;
	EVP_PKEY *pk = NULL;
	BIO *b;
	double secs = bench_seconds(2.0), t, t_ossl = 0, best_log = -1;
	long n, n_ossl = 0;
	const char *rate = NULL;
	int i, rc = 1;

	ks_buf_init(&doc, 1 << 20);
	ks_buf_init(&signed_doc, 1 << 21);
	if (gradebook(&doc) < 0)
		goto out;
	if (argc == 3 && strcmp(argv[1], "--emit-gradebook") == 0) {
		rc = ks_file_write_atomic(argv[2], doc.data, doc.len, 0644) < 0 ? 1 : 0;
		goto out;
	}
	if (argc == 3 && strcmp(argv[1], "--rate") == 0)
		rate = argv[2];
	pki_path(kpath, sizeof(kpath), ENTITY ".key.pem");
	pki_path(cpath, sizeof(cpath), ENTITY ".cert.pem");
	pki_path(chpath, sizeof(chpath), ENTITY ".chain.pem");
	if (ks_filekey_open(kpath, cpath, chpath, NULL, &key) < 0 || key->bits != 2048) {
		fprintf(stderr, "bench_xml: %s (run `make pki`)\n", ks_err_msg());
		goto out;
	}
	trust = load_trust(&val);
	b = BIO_new_file(kpath, "r");
	pk = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"") : NULL;
	BIO_free(b);
	ks_xades_sign_opts_init(&o);
	if (trust == NULL || pk == NULL ||
	    ks_xades_sign(key, doc.data, doc.len, &o, &signed_doc) < 0)
		goto out;
	/* warm-up */
	if (run_sign(key, &doc, 0.05) < 0 || run_verify(&signed_doc, &val, 0.05) < 0)
		goto out;
	if (rate == NULL || strcmp(rate, "sign") == 0) {
		t = bench_now();
		if ((n = run_sign(key, &doc, secs)) < 0)
			goto out;
		printf("xades_sign_50k %.1f\n", (double)n / (bench_now() - t));
	}
	if (rate == NULL || strcmp(rate, "verify") == 0) {
		t = bench_now();
		if ((n = run_verify(&signed_doc, &val, secs)) < 0)
			goto out;
		printf("xades_verify_50k %.1f\n", (double)n / (bench_now() - t));
	}
	if (rate != NULL) {
		rc = 0;
		goto out;
	}
	/* class log against openssl, alternating (a shared machine drifts) */
	for (i = 0; i < ROUNDS; i++) {
		t = bench_now();
		if ((n = bench_openssl_rsa(pk, secs / ROUNDS, bench_now)) < 0)
			goto out;
		t_ossl += bench_now() - t;
		n_ossl += n;
		t = run_classlog(key);
		if (t < 0)
			goto out;
		if (best_log < 0 || t < best_log)
			best_log = t;
	}
	printf("xml_classlog_ratio %.1f %.1f %.3f (target >= 0.7)\n", CLASSLOG_RECORDS / best_log,
	       (double)n_ossl / t_ossl, (CLASSLOG_RECORDS / best_log) / ((double)n_ossl / t_ossl));
	rc = 0;
out:
	ks_trust_free(trust);
	EVP_PKEY_free(pk);
	ks_key_free(key);
	ks_buf_cleanup(&doc);
	ks_buf_cleanup(&signed_doc);
	return rc;
}
