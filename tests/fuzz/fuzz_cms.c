/* libFuzzer harness for formats/cms: parse a CMS (strict, then as a PDF
 * /Contents with zero padding), verify every SignerInfo against a fixed
 * detached content, read the signature values and add an unsigned
 * attribute.
 *
 * Oracle beyond "no crash": when the format module passes the one
 * signature (integrity: it never decides trust), OpenSSL's own CMS_verify
 * without a path check must agree.  kyso may be stricter than OpenSSL,
 * never laxer.
 *
 * Seeds (tests/fuzz/corpus/cms/) are signatures of FUZZ_CONTENT made with
 * `openssl cms -sign` and kyso from the test PKI, plus truncated and
 * garbage ones. */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cms/ks_cms.h"
#include "formats/cms/ks_cms_int.h"

#define FUZZ_CONTENT "kyso fuzz content\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Are all entries of SignedData.digestAlgorithms digests OpenSSL has,
 * and is the signer's among them?  That set is an unsigned hint for
 * one-pass hashing (RFC 5652 5.1) which kyso does not use, while
 * OpenSSL's CMS_verify sets up every entry, fails (and leaks, in 3.0) on
 * an unknown one and wants the signer's there: no comparison otherwise. */
static bool digest_set_usable(const uint8_t *data, size_t size, int signer_nid)
{
	bool listed = false;

	struct ks_cur c, ci, ex, sd, set, alg, v;
	const unsigned char *p;
	ASN1_OBJECT *o;
	EVP_MD *md;
	int nid;

	ks_cur_init(&c, data, size);
	if (ks_der_expect(&c, 0x30, &ci) < 0 || ks_der_expect(&ci, 0x06, &v) < 0 ||
	    ks_der_expect(&ci, 0xa0, &ex) < 0 || ks_der_expect(&ex, 0x30, &sd) < 0 ||
	    ks_der_expect(&sd, 0x02, &v) < 0 || ks_der_expect(&sd, 0x31, &set) < 0)
		return false;
	while (!ks_cur_eof(&set)) {
		struct ks_cur oid_start;

		if (ks_der_expect(&set, 0x30, &alg) < 0)
			return false;
		oid_start = alg;
		if (ks_der_expect(&alg, 0x06, &v) < 0)
			return false;
		p = oid_start.p;
		o = d2i_ASN1_OBJECT(NULL, &p, (long)ks_cur_pos(&oid_start, &alg));
		nid = o != NULL ? OBJ_obj2nid(o) : NID_undef;
		ASN1_OBJECT_free(o);
		md = nid != NID_undef ? EVP_MD_fetch(NULL, OBJ_nid2sn(nid), NULL) : NULL;
		EVP_MD_free(md);
		if (md == NULL)
			return false;
		listed = listed || nid == signer_nid;
	}
	return listed;
}

static void openssl_agrees(const struct ks_cms *cms, const uint8_t *data, size_t size)
{
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(ks_cms_get0_ci(cms)), 0);
	X509_ALGOR *dig = NULL;
	const ASN1_OBJECT *obj;
	BIO *in;
	int v;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	X509_ALGOR_get0(&obj, NULL, NULL, dig);
	if (!digest_set_usable(data, size, OBJ_obj2nid(obj))) {
		ERR_clear_error();
		ks_err_clear();
		return;
	}
	in = BIO_new_mem_buf(FUZZ_CONTENT, (int)strlen(FUZZ_CONTENT));
	if (in == NULL)
		abort();
	v = CMS_verify(ks_cms_get0_ci(cms), NULL, NULL, in, NULL,
		       CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY);
	BIO_free(in);
	ERR_clear_error();
	if (v != 1)
		abort();
}

static void exercise(const struct ks_cms *cms, const uint8_t *data, size_t size)
{
	struct ks_cms_result r;
	struct ks_buf sig, out;
	size_t i;
	static const uint8_t value[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };

	ks_cms_result_init(&r);
	ks_buf_init(&sig, 1 << 16);
	ks_buf_init(&out, KS_CMS_DER_MAX);
	if (ks_cms_is_attached(cms)) {
		if (ks_cms_verify_data(cms, NULL, 0, NULL, &r) < 0)
			goto done;
	} else if (ks_cms_verify_data(cms, FUZZ_CONTENT, strlen(FUZZ_CONTENT), NULL, &r) < 0) {
		goto done;
	}
	if (r.n != ks_cms_signer_count(cms))
		abort();
	for (i = 0; i < r.n; i++)
		if (ks_cms_signature_value(cms, i, &sig) < 0)
			abort();
	if (r.n == 1 && !ks_cms_is_attached(cms) && r.signers[0].indication == KS_IND_TOTAL_PASSED)
		openssl_agrees(cms, data, size);
	/* Re-encoding with an unsigned attribute: output when it succeeds. */
	if (ks_cms_add_unsigned_attr(data, size, 0, "1.2.840.113549.1.9.16.2.14", value,
				     sizeof(value), &out) == 0 &&
	    out.len <= size)
		abort();
done:
	ks_cms_result_cleanup(&r);
	ks_buf_cleanup(&sig);
	ks_buf_cleanup(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_cms *cms = NULL;

	if (ks_cms_parse(data, size, false, &cms) == 0) {
		exercise(cms, data, size);
		ks_cms_free(cms);
	} else if (cms != NULL) {
		abort(); /* failure must leave nothing */
	}
	cms = NULL;
	if (ks_cms_parse(data, size, true, &cms) == 0)
		ks_cms_free(cms);
	ERR_clear_error();
	ks_err_clear();
	return 0;
}
