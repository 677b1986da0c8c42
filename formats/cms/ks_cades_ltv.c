/* The long-term CAdES attributes: see ks_cades_ltv.h. */
#include "formats/cms/ks_cades_ltv.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <string.h>

#include "formats/cms/ks_cms_int.h"

/* Pass a failure up (functions without resources to free). */
#define TRY(call)                  \
	do {                       \
		if ((call) < 0)    \
			return -1; \
	} while (0)

#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_OID 0x06
#define DER_OCTET_STRING 0x04
#define DER_CTX0 0xa0 /* [0] constructed */
#define DER_CTX1 0xa1 /* [1] constructed */
#define DER_CTX2 0xa2
/* A SignerInfo's unsignedAttrs: [1] IMPLICIT SET OF Attribute. */
#define DER_UNSIGNED_ATTRS 0xa1

void ks_cades_values_init(struct ks_cades_values *v)
{
	memset(v, 0, sizeof(*v));
}

static void free_from(struct ks_buf *b, size_t from, size_t n)
{
	size_t i;

	for (i = from; i < n; i++)
		ks_buf_cleanup(&b[i]);
}

void ks_cades_values_cleanup(struct ks_cades_values *v)
{
	free_from(v->certs, 0, v->n_certs);
	free_from(v->crls, 0, v->n_crls);
	free_from(v->ocsps, 0, v->n_ocsps);
	memset(v, 0, sizeof(*v));
}

/* ---- writing ---- */

static int der_header(struct ks_buf *out, uint8_t tag, size_t len)
{
	uint8_t h[6];
	size_t k = 0, i;

	h[k++] = tag;
	if (len < 0x80) {
		h[k++] = (uint8_t)len;
	} else {
		size_t bytes = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;

		if (len > 0xffffffffu)
			return KS_SET(KS_ERR_LIMIT, "DER value of %zu bytes", len);
		h[k++] = (uint8_t)(0x80 | bytes);
		for (i = bytes; i > 0; i--)
			h[k++] = (uint8_t)(len >> (8 * (i - 1)));
	}
	return ks_buf_append(out, h, k);
}

static size_t total(const struct ks_buf *items, size_t n)
{
	size_t i, t = 0;

	for (i = 0; i < n; i++)
		t += items[i].len;
	return t;
}

static int seq_of(struct ks_buf *out, const struct ks_buf *items, size_t n)
{
	size_t i;

	TRY(der_header(out, DER_SEQUENCE, total(items, n)));
	for (i = 0; i < n; i++)
		TRY(ks_buf_append(out, items[i].data, items[i].len));
	return 0;
}

/* Length of a header for a value of `len` bytes. */
static size_t hdr_len(size_t len)
{
	return len < 0x80 ? 2 : len <= 0xff ? 3 : len <= 0xffff ? 4 : len <= 0xffffff ? 5 : 6;
}

int ks_cades_values_encode(const struct ks_cades_values *v, struct ks_buf *cert_values,
			   struct ks_buf *rev_values)
{
	size_t crl_seq, ocsp_seq, body = 0;

	if (v->n_certs == 0)
		return KS_SET(KS_ERR_ARG, "certificate-values without a certificate");
	if (total(v->certs, v->n_certs) > KS_CMS_UNSIGNED_VALUE_MAX ||
	    total(v->crls, v->n_crls) + total(v->ocsps, v->n_ocsps) > KS_CMS_UNSIGNED_VALUE_MAX)
		return KS_SET(KS_ERR_LIMIT, "validation data over %zu bytes",
			      KS_CMS_UNSIGNED_VALUE_MAX);
	TRY(seq_of(cert_values, v->certs, v->n_certs));
	crl_seq = total(v->crls, v->n_crls);
	ocsp_seq = total(v->ocsps, v->n_ocsps);
	if (v->n_crls > 0)
		body += hdr_len(hdr_len(crl_seq) + crl_seq) + hdr_len(crl_seq) + crl_seq;
	if (v->n_ocsps > 0)
		body += hdr_len(hdr_len(ocsp_seq) + ocsp_seq) + hdr_len(ocsp_seq) + ocsp_seq;
	TRY(der_header(rev_values, DER_SEQUENCE, body));
	if (v->n_crls > 0) {
		TRY(der_header(rev_values, DER_CTX0, hdr_len(crl_seq) + crl_seq));
		TRY(seq_of(rev_values, v->crls, v->n_crls));
	}
	if (v->n_ocsps > 0) {
		TRY(der_header(rev_values, DER_CTX1, hdr_len(ocsp_seq) + ocsp_seq));
		TRY(seq_of(rev_values, v->ocsps, v->n_ocsps));
	}
	return 0;
}

/* ---- reading ---- */

/* Every element of a SEQUENCE OF (contents in `seq`), each one DER
 * SEQUENCE, appended to items[*n..]. */
static int read_seq_of(struct ks_cur seq, struct ks_buf *items, size_t *n, const char *what)
{
	struct ks_cur whole, val;
	const uint8_t *p;
	size_t start = *n, len;
	uint8_t tag;

	while (seq.left > 0) {
		whole = seq;
		if (ks_der_read(&seq, &tag, &val) < 0)
			goto fail;
		if (tag != DER_SEQUENCE) {
			KS_SET(KS_ERR_PARSE, "%s: an item is not a SEQUENCE (tag 0x%02x)", what,
			       tag);
			goto fail;
		}
		if (*n == KS_CADES_VALUES_MAX) {
			KS_SET(KS_ERR_LIMIT, "%s: more than %d items", what, KS_CADES_VALUES_MAX);
			goto fail;
		}
		len = whole.left - seq.left;
		if (ks_cur_bytes(&whole, len, &p) < 0)
			goto fail;
		ks_buf_init(&items[*n], KS_CADES_ITEM_MAX);
		(*n)++;
		if (ks_buf_set(&items[*n - 1], p, len) < 0)
			goto fail;
	}
	return 0;
fail:
	free_from(items, start, *n);
	*n = start;
	return -1;
}

int ks_cades_cert_values_parse(const uint8_t *der, size_t n, struct ks_cades_values *v)
{
	struct ks_cur c, seq;

	ks_cur_init(&c, der, n);
	TRY(ks_der_expect(&c, DER_SEQUENCE, &seq));
	if (c.left != 0)
		return KS_SET(KS_ERR_PARSE, "certificate-values: bytes after the value");
	return read_seq_of(seq, v->certs, &v->n_certs, "certificate-values");
}

int ks_cades_rev_values_parse(const uint8_t *der, size_t n, struct ks_cades_values *v)
{
	struct ks_cur c, body, tagged, seq;
	size_t crls0 = v->n_crls, ocsps0 = v->n_ocsps;
	uint8_t tag, last = 0;

	ks_cur_init(&c, der, n);
	TRY(ks_der_expect(&c, DER_SEQUENCE, &body));
	if (c.left != 0)
		return KS_SET(KS_ERR_PARSE, "revocation-values: bytes after the value");
	while (body.left > 0) {
		if (ks_der_read(&body, &tag, &tagged) < 0)
			goto fail;
		if (tag != DER_CTX0 && tag != DER_CTX1) {
			if (tag == DER_CTX2)
				KS_SET(KS_ERR_UNSUPPORTED, "revocation-values: otherRevVals");
			else
				KS_SET(KS_ERR_PARSE, "revocation-values: unexpected tag 0x%02x",
				       tag);
			goto fail;
		}
		if (tag <= last) {
			KS_SET(KS_ERR_PARSE, "revocation-values: fields repeated or out of order");
			goto fail;
		}
		last = tag;
		if (ks_der_expect(&tagged, DER_SEQUENCE, &seq) < 0)
			goto fail;
		if (tagged.left != 0) {
			KS_SET(KS_ERR_PARSE, "revocation-values: bytes after a field");
			goto fail;
		}
		if (tag == DER_CTX0) {
			if (read_seq_of(seq, v->crls, &v->n_crls, "revocation-values crlVals") < 0)
				goto fail;
		} else if (read_seq_of(seq, v->ocsps, &v->n_ocsps, "revocation-values ocspVals") <
			   0) {
			goto fail;
		}
	}
	return 0;
fail:
	free_from(v->crls, crls0, v->n_crls);
	v->n_crls = crls0;
	free_from(v->ocsps, ocsps0, v->n_ocsps);
	v->n_ocsps = ocsps0;
	return -1;
}

static CMS_SignerInfo *signer_info(const struct ks_cms *cms, size_t index)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms->ci);

	if (sis == NULL || index >= (size_t)sk_CMS_SignerInfo_num(sis))
		return NULL;
	return sk_CMS_SignerInfo_value(sis, (int)index);
}

int ks_cades_unsigned_values(const struct ks_cms *cms, size_t index, const char *oid,
			     struct ks_buf *vals, size_t max, size_t *n)
{
	CMS_SignerInfo *si = signer_info(cms, index);
	ASN1_OBJECT *obj = NULL;
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *t;
	unsigned char *der = NULL;
	int loc = -1, i, cnt, len, rc = -1;

	*n = 0;
	if (si == NULL)
		KS_BAIL(KS_ERR_ARG, "no SignerInfo %zu", index);
	obj = OBJ_txt2obj(oid, 1);
	if (obj == NULL)
		KS_BAIL_OSSL(KS_ERR_ARG, "'%.64s' is not a dotted OID", oid);
	while ((loc = CMS_unsigned_get_attr_by_OBJ(si, obj, loc)) >= 0) {
		attr = CMS_unsigned_get_attr(si, loc);
		cnt = X509_ATTRIBUTE_count(attr);
		for (i = 0; i < cnt; i++) {
			if (*n == max)
				KS_BAIL(KS_ERR_LIMIT, "more than %zu values of %s", max, oid);
			t = X509_ATTRIBUTE_get0_type(attr, i);
			len = i2d_ASN1_TYPE(t, &der);
			if (len <= 0)
				KS_BAIL_OSSL(KS_ERR_CMS, "encoding an attribute value");
			ks_buf_init(&vals[*n], KS_CMS_UNSIGNED_VALUE_MAX);
			(*n)++;
			KS_GUARD(ks_buf_set(&vals[*n - 1], der, (size_t)len));
			OPENSSL_free(der);
			der = NULL;
		}
	}
	rc = 0;
out:
	if (rc < 0) {
		free_from(vals, 0, *n);
		*n = 0;
	}
	OPENSSL_free(der);
	ASN1_OBJECT_free(obj);
	return rc;
}

int ks_cades_values_read(const struct ks_cms *cms, size_t index, struct ks_cades_values *v)
{
	struct ks_buf vals[KS_CADES_ATTR_VALUES_MAX];
	size_t n = 0, i;
	int rc = -1;

	KS_GUARD(ks_cades_unsigned_values(cms, index, KS_CADES_OID_CERT_VALUES, vals,
					  KS_CADES_ATTR_VALUES_MAX, &n));
	for (i = 0; i < n; i++)
		KS_GUARD(ks_cades_cert_values_parse(vals[i].data, vals[i].len, v));
	free_from(vals, 0, n);
	n = 0;
	KS_GUARD(ks_cades_unsigned_values(cms, index, KS_CADES_OID_REVOCATION_VALUES, vals,
					  KS_CADES_ATTR_VALUES_MAX, &n));
	for (i = 0; i < n; i++)
		KS_GUARD(ks_cades_rev_values_parse(vals[i].data, vals[i].len, v));
	rc = 0;
out:
	free_from(vals, 0, n);
	return rc;
}

X509 *ks_cades_signer_cert(const struct ks_cms *cms, size_t index)
{
	CMS_SignerInfo *si = signer_info(cms, index);
	int i;

	if (si == NULL)
		return NULL;
	for (i = 0; i < sk_X509_num(cms->certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(cms->certs, i)) == 0)
			return sk_X509_value(cms->certs, i);
	return NULL;
}

/* ---- archive-time-stamp-v3 ---- */

/* Where things are in the DER of a SignedData ContentInfo. */
struct sd_parts {
	struct ks_cur content_type; /* encapContentInfo eContentType, whole TLV */
	struct ks_cur certs;        /* contents of [0] certificates (may be empty) */
	struct ks_cur crls;         /* contents of [1] crls (may be empty) */
	struct ks_cur si_signed;    /* SignerInfo: version .. signature, whole TLVs */
	struct ks_cur si_unsigned;  /* contents of unsignedAttrs (may be empty) */
};

static int split(const struct ks_buf *der, size_t index, struct sd_parts *p)
{
	struct ks_cur c, ci, sd, eci, sis, si, f, before, val;
	uint8_t tag;
	size_t i;

	memset(p, 0, sizeof(*p));
	ks_cur_init(&c, der->data, der->len);
	TRY(ks_der_expect(&c, DER_SEQUENCE, &ci));
	TRY(ks_der_expect(&ci, DER_OID, &val));
	TRY(ks_der_expect(&ci, DER_CTX0, &val));
	TRY(ks_der_expect(&val, DER_SEQUENCE, &sd));
	TRY(ks_der_read(&sd, &tag, &val)); /* version */
	TRY(ks_der_expect(&sd, DER_SET, &val));
	TRY(ks_der_expect(&sd, DER_SEQUENCE, &eci));
	p->content_type = eci;
	TRY(ks_der_expect(&eci, DER_OID, &val));
	p->content_type.left -= eci.left;
	if (ks_cur_peek(&sd, &tag) == 0 && tag == DER_CTX0)
		TRY(ks_der_read(&sd, &tag, &p->certs));
	if (ks_cur_peek(&sd, &tag) == 0 && tag == DER_CTX1)
		TRY(ks_der_read(&sd, &tag, &p->crls));
	TRY(ks_der_expect(&sd, DER_SET, &sis));
	for (i = 0;; i++) {
		TRY(ks_der_expect(&sis, DER_SEQUENCE, &si));
		if (i == index)
			break;
	}
	before = si;
	while (si.left > 0) {
		f = si;
		TRY(ks_der_read(&si, &tag, &val));
		if (tag == DER_UNSIGNED_ATTRS) {
			p->si_unsigned = val;
			if (si.left != 0)
				return KS_SET(KS_ERR_PARSE,
					      "SignerInfo: fields after unsignedAttrs");
			before.left = ks_cur_pos(&before, &f);
			p->si_signed = before;
			return 0;
		}
	}
	p->si_signed = before;
	return 0;
}

static int hash_into(EVP_MD_CTX *ctx, const void *p, size_t n)
{
	if (EVP_DigestUpdate(ctx, p, n) != 1)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "hashing");
	return 0;
}

static int octets_of_hash(EVP_MD_CTX *ctx, struct ks_buf *body)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;

	if (EVP_DigestFinal_ex(ctx, d, &dl) != 1)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "hash");
	TRY(der_header(body, DER_OCTET_STRING, dl));
	return ks_buf_append(body, d, dl);
}

/* SEQUENCE OF OCTET STRING over the TLVs of `list` (EN 319 122-1
 * 5.5.2): for certificates and CRLs the hash of each TLV; for unsigned
 * attributes one hash per attribute value, over attrType followed by
 * that AttributeValue. */
static int hash_list(enum ks_md md, struct ks_cur list, bool attrs, struct ks_buf *out)
{
	struct ks_buf body;
	struct ks_cur whole, val, inner, vals, one, type;
	EVP_MD_CTX *ctx = NULL;
	uint8_t tag;
	int rc = -1;

	ks_buf_init(&body, KS_CMS_UNSIGNED_VALUE_MAX);
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	while (list.left > 0) {
		whole = list;
		KS_GUARD(ks_der_read(&list, &tag, &val));
		if (!attrs) {
			if (EVP_DigestInit_ex(ctx, ks_md_evp(md), NULL) != 1)
				KS_BAIL_OSSL(KS_ERR_CRYPTO, "hash");
			KS_GUARD(hash_into(ctx, whole.p, whole.left - list.left));
			KS_GUARD(octets_of_hash(ctx, &body));
			continue;
		}
		inner = val;
		type = inner;
		KS_GUARD(ks_der_expect(&inner, DER_OID, &vals));
		type.left -= inner.left;
		KS_GUARD(ks_der_expect(&inner, DER_SET, &vals));
		while (vals.left > 0) {
			one = vals;
			KS_GUARD(ks_der_read(&vals, &tag, &val));
			if (EVP_DigestInit_ex(ctx, ks_md_evp(md), NULL) != 1)
				KS_BAIL_OSSL(KS_ERR_CRYPTO, "hash");
			KS_GUARD(hash_into(ctx, type.p, type.left));
			KS_GUARD(hash_into(ctx, one.p, one.left - vals.left));
			KS_GUARD(octets_of_hash(ctx, &body));
		}
	}
	KS_GUARD(der_header(out, DER_SEQUENCE, body.len));
	KS_GUARD(ks_buf_append(out, body.data, body.len));
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	ks_buf_cleanup(&body);
	return rc;
}

static int cms_der(const struct ks_cms *cms, struct ks_buf *out)
{
	unsigned char *enc = NULL;
	int len = i2d_CMS_ContentInfo(cms->ci, &enc);
	int rc;

	if (len <= 0)
		return ks_err_set_ossl(KS_ERR_CMS, __FILE__, __LINE__, "encoding SignedData");
	rc = ks_buf_set(out, enc, (size_t)len);
	OPENSSL_free(enc);
	return rc;
}

int ks_cades_ats_hash_index(const struct ks_cms *cms, size_t index, enum ks_md md,
			    struct ks_buf *out)
{
	struct ks_buf der, body;
	struct sd_parts p;
	X509_ALGOR *a = NULL;
	unsigned char *enc = NULL;
	int len, rc = -1;

	ks_buf_init(&der, KS_CMS_DER_MAX);
	ks_buf_init(&body, KS_CMS_DER_MAX);
	if (signer_info(cms, index) == NULL)
		KS_BAIL(KS_ERR_ARG, "no SignerInfo %zu", index);
	KS_GUARD(cms_der(cms, &der));
	KS_GUARD(split(&der, index, &p));
	/* hashIndAlgorithm DEFAULT id-sha256: DER leaves a default out. */
	if (md != KS_MD_SHA256) {
		a = X509_ALGOR_new();
		if (a == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		X509_ALGOR_set_md(a, ks_md_evp(md));
		len = i2d_X509_ALGOR(a, &enc);
		if (len <= 0)
			KS_BAIL_OSSL(KS_ERR_CRYPTO, "encoding an algorithm");
		KS_GUARD(ks_buf_append(&body, enc, (size_t)len));
	}
	KS_GUARD(hash_list(md, p.certs, false, &body));
	KS_GUARD(hash_list(md, p.crls, false, &body));
	KS_GUARD(hash_list(md, p.si_unsigned, true, &body));
	KS_GUARD(der_header(out, DER_SEQUENCE, body.len));
	KS_GUARD(ks_buf_append(out, body.data, body.len));
	rc = 0;
out:
	OPENSSL_free(enc);
	X509_ALGOR_free(a);
	ks_buf_cleanup(&der);
	ks_buf_cleanup(&body);
	return rc;
}

int ks_cades_ats_digest(const struct ks_cms *cms, size_t index, enum ks_md md,
			const uint8_t *content_digest, size_t dlen, const struct ks_buf *hash_index,
			struct ks_buf *digest)
{
	struct ks_buf der;
	struct sd_parts p;
	EVP_MD_CTX *ctx = NULL;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	int rc = -1;

	ks_buf_init(&der, KS_CMS_DER_MAX);
	if (signer_info(cms, index) == NULL)
		KS_BAIL(KS_ERR_ARG, "no SignerInfo %zu", index);
	if (dlen != ks_md_size(md))
		KS_BAIL(KS_ERR_ARG, "content digest of %zu bytes for %s", dlen, ks_md_name(md));
	KS_GUARD(cms_der(cms, &der));
	KS_GUARD(split(&der, index, &p));
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, ks_md_evp(md), NULL) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "hash");
	KS_GUARD(hash_into(ctx, p.content_type.p, p.content_type.left));
	KS_GUARD(hash_into(ctx, content_digest, dlen));
	KS_GUARD(hash_into(ctx, p.si_signed.p, p.si_signed.left));
	KS_GUARD(hash_into(ctx, hash_index->data, hash_index->len));
	if (EVP_DigestFinal_ex(ctx, d, &dl) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "hash");
	KS_GUARD(ks_buf_set(digest, d, dl));
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	ks_buf_cleanup(&der);
	return rc;
}

/* ---- checking a stored ats-hash-index-v3 ---- */

/* The parts of an ATSHashIndexV3 value: the hash algorithm and the
 * contents of its three lists (certificates, CRLs, unsigned attributes). */
struct ats_index {
	enum ks_md md;
	struct ks_cur list[3];
};

static int md_of_algorithm(struct ks_cur alg, enum ks_md *md)
{
	struct ks_cur whole = alg, val;
	const unsigned char *p;
	ASN1_OBJECT *obj;
	uint8_t tag;
	int nid;

	TRY(ks_der_expect(&alg, DER_OID, &val));
	p = whole.p;
	obj = d2i_ASN1_OBJECT(NULL, &p, (long)(whole.left - alg.left));
	if (obj == NULL) {
		ERR_clear_error();
		return KS_SET(KS_ERR_PARSE, "ats-hash-index-v3: a bad algorithm identifier");
	}
	nid = OBJ_obj2nid(obj);
	ASN1_OBJECT_free(obj);
	/* parameters: absent or NULL */
	if (alg.left > 0 &&
	    (ks_der_read(&alg, &tag, &val) < 0 || tag != 0x05 || val.left != 0 || alg.left != 0))
		return KS_SET(KS_ERR_PARSE, "ats-hash-index-v3: bad algorithm parameters");
	if (nid == NID_sha256)
		*md = KS_MD_SHA256;
	else if (nid == NID_sha384)
		*md = KS_MD_SHA384;
	else if (nid == NID_sha512)
		*md = KS_MD_SHA512;
	else
		return KS_SET(KS_ERR_UNSUPPORTED, "ats-hash-index-v3: hash algorithm %s",
			      nid == NID_undef ? "unknown" : OBJ_nid2sn(nid));
	return 0;
}

/* Split an ATSHashIndexV3 (hostile bytes): every list element one OCTET
 * STRING of the algorithm's size, at most KS_CADES_ATS_INDEX_MAX each. */
static int index_split(const uint8_t *der, size_t n, struct ats_index *x)
{
	struct ks_cur c, body, f[4], one, val;
	size_t k = 0, i, count;
	uint8_t tag;

	memset(x, 0, sizeof(*x));
	x->md = KS_MD_SHA256;
	ks_cur_init(&c, der, n);
	TRY(ks_der_expect(&c, DER_SEQUENCE, &body));
	if (c.left != 0)
		return KS_SET(KS_ERR_PARSE, "ats-hash-index-v3: bytes after the value");
	while (body.left > 0) {
		if (k == 4)
			return KS_SET(KS_ERR_PARSE, "ats-hash-index-v3: too many fields");
		TRY(ks_der_expect(&body, DER_SEQUENCE, &f[k]));
		k++;
	}
	if (k < 3)
		return KS_SET(KS_ERR_PARSE, "ats-hash-index-v3: %zu fields, not 3 or 4", k);
	if (k == 4)
		TRY(md_of_algorithm(f[0], &x->md));
	for (i = 0; i < 3; i++) {
		x->list[i] = f[k - 3 + i];
		one = x->list[i];
		for (count = 0; one.left > 0; count++) {
			if (count == KS_CADES_ATS_INDEX_MAX)
				return KS_SET(KS_ERR_LIMIT,
					      "ats-hash-index-v3: more than %d hashes",
					      KS_CADES_ATS_INDEX_MAX);
			TRY(ks_der_read(&one, &tag, &val));
			if (tag != DER_OCTET_STRING || val.left != ks_md_size(x->md))
				return KS_SET(KS_ERR_PARSE,
					      "ats-hash-index-v3: an entry is not a %s hash",
					      ks_md_name(x->md));
		}
	}
	return 0;
}

int ks_cades_ats_index_md(const uint8_t *der, size_t n, enum ks_md *md)
{
	struct ats_index x;

	TRY(index_split(der, n, &x));
	*md = x.md;
	return 0;
}

/* Is the hash TLV `h` one of the entries of `list`? */
static bool in_list(struct ks_cur list, const uint8_t *h, size_t hlen)
{
	struct ks_cur whole, val;
	uint8_t tag;

	while (list.left > 0) {
		whole = list;
		if (ks_der_read(&list, &tag, &val) < 0)
			return false;
		if (whole.left - list.left == hlen && memcmp(whole.p, h, hlen) == 0)
			return true;
	}
	return false;
}

int ks_cades_ats_index_covers(const uint8_t *old, size_t on, const uint8_t *now, size_t nn)
{
	static const char *const names[3] = { "certificate", "CRL", "unsigned attribute value" };
	struct ats_index a, b;
	struct ks_cur one, whole, val;
	size_t i, k;
	uint8_t tag;

	TRY(index_split(old, on, &a));
	TRY(index_split(now, nn, &b));
	if (a.md != b.md)
		return KS_SET(KS_ERR_ARG, "ats-hash-index-v3: indexes of different hashes");
	for (i = 0; i < 3; i++) {
		one = a.list[i];
		for (k = 1; one.left > 0; k++) {
			whole = one;
			TRY(ks_der_read(&one, &tag, &val));
			if (!in_list(b.list[i], whole.p, whole.left - one.left))
				return KS_SET(KS_ERR_VERIFY,
					      "the %s hashed as entry %zu of its ats-hash-index-v3 "
					      "is no longer in the signature (removed or changed)",
					      names[i], k);
		}
	}
	return 0;
}

int ks_cades_ats_index_check(const struct ks_cms *cms, size_t index, const struct ks_buf *stored)
{
	struct ks_buf now;
	enum ks_md md;
	int rc = -1;

	ks_buf_init(&now, KS_CMS_UNSIGNED_VALUE_MAX);
	KS_GUARD(ks_cades_ats_index_md(stored->data, stored->len, &md));
	KS_GUARD(ks_cades_ats_hash_index(cms, index, md, &now));
	KS_GUARD(ks_cades_ats_index_covers(stored->data, stored->len, now.data, now.len));
	rc = 0;
out:
	ks_buf_cleanup(&now);
	return rc;
}
