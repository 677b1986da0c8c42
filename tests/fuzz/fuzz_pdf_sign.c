/* libFuzzer harness for the signer's PDF reading and update writing
 * (formats/pdf/ks_pdf_rd: xref tables and streams, object streams, Flate
 * and predictors; ks_pdf_sign: catalog, page tree, form field tree).
 * Every input is opened and its objects resolved; then it is signed in
 * memory with a stand-in CMS producer.  Oracle beyond "no crash, no leak":
 * a signature that succeeds keeps the input as a byte-exact prefix, its
 * /ByteRange gap is exactly the /Contents hex string, and the output opens
 * again with one more cross-reference section and the same /Root. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pades.h"
#include "formats/pdf/ks_pdf_rd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Objects resolved per input (beyond what signing touches). */
#define FUZZ_MAX_GETS 64

static X509 *test_cert(void)
{
	static X509 *cert;
	EVP_PKEY *pkey;
	X509_NAME *name;

	if (cert != NULL)
		return cert;
	pkey = EVP_EC_gen("P-256");
	cert = X509_new();
	if (pkey == NULL || cert == NULL)
		abort();
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
				   (const unsigned char *)"Nguyễn Thị Hồng Nhung", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	X509_set_pubkey(cert, pkey);
	if (X509_sign(cert, pkey, EVP_sha256()) <= 0)
		abort();
	EVP_PKEY_free(pkey);
	return cert;
}

/* A fixed 200-byte "CMS": the writer does not look inside. */
static int fake_cms(void *ctx, enum ks_md md, const uint8_t *digest, size_t dlen, bool sizing,
		    struct ks_buf *der)
{
	uint8_t blob[200];

	(void)ctx;
	(void)md;
	(void)digest;
	(void)dlen;
	(void)sizing;
	memset(blob, 0x42, sizeof(blob));
	blob[0] = 0x30;
	blob[1] = 0x81;
	blob[2] = sizeof(blob) - 3;
	return ks_buf_append(der, blob, sizeof(blob));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_pdf_rd *rd = NULL, *rd2 = NULL;
	struct ks_pdf_rd_info info, info2;
	struct ks_pdf_val *v = NULL;
	struct ks_pades_cms cms = { fake_cms, NULL, NULL };
	struct ks_pades_opts o;
	struct ks_pades_result res;
	struct ks_buf out;
	uint32_t num;

	if (ks_pdf_rd_open(data, size, &rd) == 0) {
		if (ks_pdf_rd_info(rd, &info) < 0)
			abort();
		for (num = 0; num < info.size && num < FUZZ_MAX_GETS; num++) {
			if (ks_pdf_rd_get(rd, num, 0, &v) == 0)
				ks_pdf_val_free(v);
			v = NULL;
		}
		ks_pdf_rd_close(rd);
	}

	cms.cert = test_cert();
	ks_pades_opts_init(&o);
	o.signing_time = 1780000000;
	/* The last byte picks the variant: certified, locked, named field. */
	if (size > 0 && (data[size - 1] & 1))
		o.certify = 2;
	if (size > 0 && (data[size - 1] & 2))
		o.lock = KS_PADES_LOCK_ALL;
	if (size > 0 && (data[size - 1] & 4))
		o.field = "Principal";
	ks_buf_init(&out, (size_t)64 << 20);
	if (ks_pades_sign_mem(data, size, &cms, &o, &out, &res) == 0) {
		if (out.len <= size || memcmp(out.data, data, size) != 0)
			abort(); /* the original must be a prefix */
		if (res.byte_range[0] != 0 || res.byte_range[2] + res.byte_range[3] != out.len ||
		    out.data[res.byte_range[1]] != '<' || out.data[res.byte_range[2] - 1] != '>')
			abort();
		if (ks_pdf_rd_open(data, size, &rd) < 0 || ks_pdf_rd_info(rd, &info) < 0)
			abort(); /* it signed, so it must open */
		if (ks_pdf_rd_open(out.data, out.len, &rd2) < 0 || ks_pdf_rd_info(rd2, &info2) < 0)
			abort();
		if (info2.root_num != info.root_num || info2.startxref < size ||
		    info2.size <= info.size)
			abort();
		ks_pdf_rd_close(rd);
		ks_pdf_rd_close(rd2);
	}
	ks_buf_cleanup(&out);
	ks_err_clear();
	return 0;
}
