/* TimeStampToken (RFC 3161 2.4.2): parsing through bounded input, the
 * facts of its TSTInfo, verification of the token itself and matching
 * it with a request. */
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/tsp/ks_tsp_int.h"
#include "ks_codec.h"
#include "ks_size.h"

#define ACCURACY_SUBUNIT_MAX 999 /* millis, micros: INTEGER (1..999) */

void ks_tsp_token_free(struct ks_tsp_token *t)
{
	if (t == NULL)
		return;
	ks_cms_free(t->cms);
	TS_TST_INFO_free(t->tst);
	X509_free(t->signer);
	ks_buf_cleanup(&t->der);
	free(t);
}

const struct ks_tsp_info *ks_tsp_token_info(const struct ks_tsp_token *t)
{
	return &t->info;
}

const struct ks_buf *ks_tsp_token_der(const struct ks_tsp_token *t)
{
	return &t->der;
}

STACK_OF(X509) * ks_tsp_token_certs(const struct ks_tsp_token *t)
{
	return ks_cms_get0_certs(t->cms);
}

const struct ks_cms *ks_tsp_token_cms(const struct ks_tsp_token *t)
{
	return t->cms;
}

X509 *ks_tsp_token_signer(const struct ks_tsp_token *t)
{
	return t->signer;
}

/* Accuracy (RFC 3161 2.4.2): seconds, millis (1..999), micros (1..999),
 * each optional. */
static int read_accuracy(TS_ACCURACY *acc, struct ks_tsp_info *info)
{
	const ASN1_INTEGER *parts[3];
	static const uint64_t unit[3] = { 1000000, 1000, 1 };
	static const int64_t max[3] = { KS_TSP_ACCURACY_SECONDS_MAX, ACCURACY_SUBUNIT_MAX,
					ACCURACY_SUBUNIT_MAX };
	int64_t v;
	int i;

	if (acc == NULL)
		return 0;
	parts[0] = TS_ACCURACY_get_seconds(acc);
	parts[1] = TS_ACCURACY_get_millis(acc);
	parts[2] = TS_ACCURACY_get_micros(acc);
	info->has_accuracy = true;
	for (i = 0; i < 3; i++) {
		if (parts[i] == NULL)
			continue;
		if (ASN1_INTEGER_get_int64(&v, parts[i]) != 1) {
			ERR_clear_error();
			return KS_SET(KS_ERR_PARSE, "accuracy value out of range");
		}
		if (v < (i == 0 ? 0 : 1) || v > max[i])
			return KS_SET(KS_ERR_PARSE, "accuracy %s of %lld is out of range",
				      i == 0   ? "seconds"
				      : i == 1 ? "millis"
					       : "micros",
				      (long long)v);
		info->accuracy_us += (uint64_t)v * unit[i];
	}
	return 0;
}

/* The facts of a TSTInfo, checked for the shape RFC 3161 2.4.2 gives. */
static int read_info(TS_TST_INFO *tst, struct ks_tsp_info *info)
{
	TS_MSG_IMPRINT *imp = TS_TST_INFO_get_msg_imprint(tst);
	const ASN1_GENERALIZEDTIME *gt = TS_TST_INFO_get_time(tst);
	STACK_OF(X509_EXTENSION) *exts = TS_TST_INFO_get_exts(tst);
	ASN1_OCTET_STRING *msg;
	const EVP_MD *md;
	bool neg = false;
	size_t i;
	int k, len;

	memset(info, 0, sizeof(*info));
	if (TS_TST_INFO_get_version(tst) != 1)
		return KS_SET(KS_ERR_TSP, "TSTInfo version %ld (1 expected)",
			      TS_TST_INFO_get_version(tst));
	if (OBJ_obj2txt(info->policy, (int)sizeof(info->policy), TS_TST_INFO_get_policy_id(tst),
			1) <= 0 ||
	    strlen(info->policy) >= sizeof(info->policy) - 1) {
		ERR_clear_error();
		return KS_SET(KS_ERR_PARSE, "TSTInfo policy is not a usable OID");
	}
	info->imprint_nid = ks_tsp_hash_alg_nid(TS_MSG_IMPRINT_get_algo(imp));
	md = info->imprint_nid != NID_undef ? EVP_get_digestbynid(info->imprint_nid) : NULL;
	if (md == NULL)
		return KS_SET(KS_ERR_TSP, "messageImprint: unknown hash algorithm or parameters");
	msg = TS_MSG_IMPRINT_get_msg(imp);
	len = ASN1_STRING_length(msg);
	if (len != EVP_MD_get_size(md) || (size_t)len > sizeof(info->imprint))
		return KS_SET(KS_ERR_TSP, "messageImprint of %d bytes for %s", len,
			      OBJ_nid2sn(info->imprint_nid));
	info->imprint_len = (size_t)len;
	memcpy(info->imprint, ASN1_STRING_get0_data(msg), info->imprint_len);

	if (ks_tsp_int_bytes(TS_TST_INFO_get_serial(tst), info->serial, sizeof(info->serial),
			     &info->serial_len, &neg) < 0)
		return -1;
	if (neg)
		return KS_SET(KS_ERR_PARSE, "negative serialNumber");
	for (i = 0; i < info->serial_len; i++) {
		info->serial_hex[2 * i] = ks_hex_digit(info->serial[i] >> 4, false);
		info->serial_hex[2 * i + 1] = ks_hex_digit(info->serial[i], false);
	}
	info->serial_hex[2 * info->serial_len] = '\0';

	if (ks_tsp_gentime_parse(gt, &info->gen_time, &info->gen_time_us) < 0)
		return -1;
	len = ASN1_STRING_length(gt);
	if (len <= 0 || (size_t)len >= sizeof(info->gen_time_text))
		return KS_SET(KS_ERR_PARSE, "genTime of %d characters", len);
	memcpy(info->gen_time_text, ASN1_STRING_get0_data(gt), (size_t)len);
	info->gen_time_text[len] = '\0';

	if (read_accuracy(TS_TST_INFO_get_accuracy(tst), info) < 0)
		return -1;
	info->ordering = TS_TST_INFO_get_ordering(tst) != 0;
	if (TS_TST_INFO_get_nonce(tst) != NULL) {
		info->has_nonce = true;
		if (ks_tsp_int_bytes(TS_TST_INFO_get_nonce(tst), info->nonce, sizeof(info->nonce),
				     &info->nonce_len, &info->nonce_negative) < 0)
			return -1;
	}
	info->has_tsa_name = TS_TST_INFO_get_tsa(tst) != NULL;
	info->n_extensions = exts != NULL ? sk_X509_EXTENSION_num(exts) : 0;
	if (info->n_extensions > KS_TSP_EXTENSIONS_MAX)
		return KS_SET(KS_ERR_LIMIT, "TSTInfo with %d extensions", info->n_extensions);
	for (k = 0; k < info->n_extensions; k++)
		if (X509_EXTENSION_get_critical(sk_X509_EXTENSION_value(exts, k)))
			return KS_SET(KS_ERR_TSP, "TSTInfo carries a critical extension kyso does "
						  "not know");
	return 0;
}

/* eContent: exactly one DER TSTInfo.  The signature covers these bytes
 * as they are, so a BER or padded encoding would let two readings of one
 * token exist. */
static int parse_tstinfo(const ASN1_OCTET_STRING *os, TS_TST_INFO **out)
{
	const unsigned char *p, *start;
	unsigned char *enc = NULL;
	int len, elen, rc = -1;

	*out = NULL;
	len = os != NULL ? ASN1_STRING_length(os) : 0;
	if (len <= 0)
		KS_BAIL(KS_ERR_TSP, "the token has no TSTInfo");
	if ((size_t)len > KS_TSP_TSTINFO_MAX)
		KS_BAIL(KS_ERR_LIMIT, "TSTInfo of %d bytes (limit %zu)", len, KS_TSP_TSTINFO_MAX);
	start = p = ASN1_STRING_get0_data(os);
	*out = d2i_TS_TST_INFO(NULL, &p, len);
	if (*out == NULL)
		KS_BAIL_OSSL(KS_ERR_PARSE, "malformed TSTInfo");
	if (p != start + len)
		KS_BAIL(KS_ERR_PARSE, "bytes after the TSTInfo");
	elen = i2d_TS_TST_INFO(*out, &enc);
	if (elen != len || memcmp(enc, start, (size_t)len) != 0)
		KS_BAIL(KS_ERR_PARSE, "TSTInfo is not DER-encoded (RFC 3161 2.4.2)");
	rc = 0;
out:
	OPENSSL_free(enc);
	if (rc < 0) {
		TS_TST_INFO_free(*out);
		*out = NULL;
	}
	return rc;
}

int ks_tsp_token_parse(const uint8_t *der, size_t n, struct ks_tsp_token **out)
{
	struct ks_tsp_token *t = NULL;
	struct ks_cur c, val;
	ASN1_OCTET_STRING **pos;
	const ASN1_OBJECT *ect;
	uint8_t tag;
	char oid[80];
	int rc = -1;

	*out = NULL;
	if (der == NULL || n == 0)
		KS_BAIL(KS_ERR_TRUNCATED, "empty timestamp token");
	if (n > KS_TSP_TOKEN_MAX)
		KS_BAIL(KS_ERR_LIMIT, "timestamp token of %zu bytes (limit %zu)", n,
			KS_TSP_TOKEN_MAX);
	/* One definite-length ContentInfo and nothing after it. */
	ks_cur_init(&c, der, n);
	KS_GUARD(ks_der_read(&c, &tag, &val));
	if (tag != KS_TSP_TAG_SEQUENCE)
		KS_BAIL(KS_ERR_PARSE, "a timestamp token is a ContentInfo SEQUENCE");
	if (!ks_cur_eof(&c))
		KS_BAIL(KS_ERR_PARSE, "%zu bytes after the timestamp token", c.left);
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	ks_buf_init(&t->der, KS_TSP_TOKEN_MAX);
	KS_GUARD(ks_cms_parse(der, n, false, &t->cms));
	/* RFC 3161 2.4.2: the TSA's signature and no other. */
	if (ks_cms_signer_count(t->cms) != 1)
		KS_BAIL(KS_ERR_TSP, "timestamp token with %zu signatures (exactly one expected)",
			ks_cms_signer_count(t->cms));
	ect = CMS_get0_eContentType(ks_cms_get0_ci(t->cms));
	if (OBJ_obj2nid(ect) != NID_id_smime_ct_TSTInfo) {
		if (OBJ_obj2txt(oid, (int)sizeof(oid), ect, 1) <= 0)
			snprintf(oid, sizeof(oid), "unknown");
		KS_BAIL(KS_ERR_TSP, "not a timestamp token: content type %s is not id-ct-TSTInfo",
			oid);
	}
	pos = CMS_get0_content(ks_cms_get0_ci(t->cms));
	KS_GUARD(parse_tstinfo(pos != NULL ? *pos : NULL, &t->tst));
	KS_GUARD(read_info(t->tst, &t->info));
	KS_GUARD(ks_buf_append(&t->der, der, n));
	*out = t;
	t = NULL;
	rc = 0;
out:
	ERR_clear_error();
	ks_tsp_token_free(t);
	return rc;
}

/* ---- verification ---- */

int ks_tsp_check_tsa_cert(X509 *cert)
{
	EXTENDED_KEY_USAGE *eku = NULL;
	X509_EXTENSION *ext;
	uint32_t ku;
	int idx, rc = -1;

	if (cert == NULL)
		KS_BAIL(KS_ERR_CERT, "no TSA certificate");
	idx = X509_get_ext_by_NID(cert, NID_ext_key_usage, -1);
	if (idx < 0)
		KS_BAIL(KS_ERR_CERT, "the TSA certificate has no extended key usage "
				     "(RFC 3161 2.3 requires id-kp-timeStamping)");
	if (X509_get_ext_by_NID(cert, NID_ext_key_usage, idx) >= 0)
		KS_BAIL(KS_ERR_CERT, "the TSA certificate has two extended key usage extensions");
	ext = X509_get_ext(cert, idx);
	eku = X509V3_EXT_d2i(ext);
	if (eku == NULL)
		KS_BAIL_OSSL(KS_ERR_CERT, "the TSA certificate's extended key usage is malformed");
	if (sk_ASN1_OBJECT_num(eku) != 1 ||
	    OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)) != NID_time_stamp) {
		bool has = false;
		int i;

		for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
			has = has || OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == NID_time_stamp;
		KS_BAIL(KS_ERR_CERT,
			has ? "the TSA certificate's extended key usage has purposes besides "
			      "timeStamping (RFC 3161 2.3)"
			    : "the TSA certificate's extended key usage is not timeStamping "
			      "(RFC 3161 2.3)");
	}
	if (!X509_EXTENSION_get_critical(ext))
		KS_BAIL(KS_ERR_CERT, "the TSA certificate's timeStamping extended key usage is "
				     "not critical (RFC 3161 2.3)");
	ku = X509_get_key_usage(cert);
	if (ku != UINT32_MAX && (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0)
		KS_BAIL(KS_ERR_CERT, "the TSA certificate's key usage does not allow signatures");
	rc = 0;
out:
	EXTENDED_KEY_USAGE_free(eku);
	ERR_clear_error();
	return rc;
}

static KS_PRINTF(3, 4) void verdict(struct ks_tsp_verdict *v, enum ks_subindication sub,
				    const char *fmt, ...)
{
	va_list ap;

	v->sub = sub;
	v->indication = ks_subindication_class(sub);
	va_start(ap, fmt);
	if (vsnprintf(v->detail, sizeof(v->detail), fmt, ap) < 0)
		v->detail[0] = '\0';
	va_end(ap);
}

int ks_tsp_token_verify(struct ks_tsp_token *t, X509 *tsa_cert, STACK_OF(X509) * extra,
			struct ks_tsp_verdict *v)
{
	struct ks_cms_verify_opts vo;
	struct ks_cms_result r;
	struct ks_cms_signer_result *s;
	STACK_OF(X509) *pool = NULL;
	int i, rc = -1;

	memset(v, 0, sizeof(*v));
	ks_cms_result_init(&r);
	X509_free(t->signer);
	t->signer = NULL;
	pool = sk_X509_new_null();
	if (pool == NULL || (tsa_cert != NULL && sk_X509_push(pool, tsa_cert) <= 0))
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; extra != NULL && i < sk_X509_num(extra); i++)
		if (sk_X509_push(pool, sk_X509_value(extra, i)) <= 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	memset(&vo, 0, sizeof(vo));
	vo.untrusted = pool;
	vo.econtent_nid = NID_id_smime_ct_TSTInfo;
	KS_GUARD(ks_cms_verify_data(t->cms, NULL, 0, &vo, &r));
	s = &r.signers[0];
	if (s->indication != KS_IND_TOTAL_PASSED) {
		verdict(v, s->sub, "%s", s->detail);
	} else if (s->notes & KS_CMS_NOTE_NO_ESS) {
		/* RFC 3161 2.4.1 (ESSCertID), RFC 5816 (ESSCertIDv2). */
		verdict(v, KS_SUB_FORMAT_FAILURE,
			"the token does not bind the TSA certificate (no signing-certificate "
			"attribute, RFC 3161 2.4.1)");
	} else if (tsa_cert != NULL && X509_cmp(s->cert, tsa_cert) != 0) {
		verdict(v, KS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
			"the token is signed by another certificate than the TSA certificate "
			"given");
	} else if (ks_tsp_check_tsa_cert(s->cert) < 0) {
		verdict(v, KS_SUB_CHAIN_CONSTRAINTS_FAILURE, "%s", ks_err_msg());
		ks_err_clear();
	} else {
		if (X509_up_ref(s->cert) != 1)
			KS_BAIL_OSSL(KS_ERR_CRYPTO, "X509_up_ref");
		t->signer = s->cert;
		v->indication = KS_IND_TOTAL_PASSED;
		v->sub = KS_SUB_NONE;
	}
	rc = 0;
out:
	sk_X509_free(pool); /* a view */
	ks_cms_result_cleanup(&r);
	return rc;
}

/* ---- matching ---- */

int ks_tsp_token_imprint_md(const struct ks_tsp_token *t, enum ks_md *md)
{
	return ks_tsp_md_from_nid(t->info.imprint_nid, md);
}

int ks_tsp_token_match_imprint(const struct ks_tsp_token *t, enum ks_md md, const uint8_t *digest,
			       size_t n)
{
	const struct ks_tsp_info *i = &t->info;

	if (i->imprint_nid != ks_tsp_md_nid(md))
		return KS_SET(KS_ERR_TSP, "the token's message imprint is %s where %s was expected",
			      OBJ_nid2sn(i->imprint_nid), ks_md_name(md));
	if (i->imprint_len != n || memcmp(i->imprint, digest, n) != 0)
		return KS_SET(KS_ERR_TSP,
			      "the token's message imprint differs from the %s of "
			      "the data",
			      ks_md_name(md));
	return 0;
}

int ks_tsp_token_match(const struct ks_tsp_token *t, const struct ks_tsp_req *req)
{
	const struct ks_tsp_info *i = &t->info;

	/* RFC 3161 2.4.2: the imprint "MUST have the same value as the
	 * similar field in TimeStampReq". */
	if (i->imprint_nid != ks_tsp_md_nid(req->md))
		return KS_SET(KS_ERR_TSP,
			      "message imprint differs from the request (%s asked, %s answered)",
			      ks_md_name(req->md), OBJ_nid2sn(i->imprint_nid));
	if (i->imprint_len != req->dlen || memcmp(i->imprint, req->digest, req->dlen) != 0)
		return KS_SET(KS_ERR_TSP, "message imprint differs from the request: the token "
					  "timestamps other data");
	/* "MUST be present if the nonce field was present in the
	 * TimeStampReq", with the same value: replay protection. */
	if (!i->has_nonce)
		return KS_SET(KS_ERR_TSP, "nonce missing from the response (replay protection)");
	if (i->nonce_negative || i->nonce_len != req->nonce_len ||
	    memcmp(i->nonce, req->nonce, req->nonce_len) != 0)
		return KS_SET(KS_ERR_TSP, "nonce differs from the request (a replayed or foreign "
					  "response)");
	if (req->policy[0] != '\0' && strcmp(req->policy, i->policy) != 0)
		return KS_SET(KS_ERR_TSP, "policy %s differs from the policy %s asked for",
			      i->policy, req->policy);
	return 0;
}
