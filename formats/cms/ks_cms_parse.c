/* Parsing a SignedData (RFC 5652 5.1) with limits checked before OpenSSL
 * sees the bytes, and the content digests verification compares with. */
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cms/ks_cms_int.h"
#include "ks_size.h"

#define DER_TAG_SEQUENCE 0x30

/* The outer TLV of the ContentInfo: a SEQUENCE whose definite length
 * fits the input, or an indefinite length (BER).  *total is the length
 * of the whole TLV, 0 for indefinite. */
static int outer_tlv(const uint8_t *der, size_t n, size_t *total)
{
	struct ks_cur c;
	uint8_t tag, b;
	size_t len = 0, k, i, hdr;

	ks_cur_init(&c, der, n);
	if (ks_cur_u8(&c, &tag) < 0 || ks_cur_u8(&c, &b) < 0)
		return KS_SET(KS_ERR_TRUNCATED, "CMS: %zu bytes is too short", n);
	if (tag != DER_TAG_SEQUENCE)
		return KS_SET(KS_ERR_PARSE, "CMS: not a ContentInfo (tag 0x%02x)", tag);
	if (b == 0x80) {
		*total = 0;
		return 0;
	}
	if (b < 0x80) {
		len = b;
	} else {
		k = b & 0x7f;
		if (k > 4)
			return KS_SET(KS_ERR_LIMIT, "CMS: %zu length bytes", k);
		for (i = 0; i < k; i++) {
			if (ks_cur_u8(&c, &b) < 0)
				return KS_SET(KS_ERR_TRUNCATED, "CMS: truncated length");
			len = (len << 8) | b;
		}
	}
	hdr = ks_cur_pos(&(struct ks_cur){ der, n }, &c);
	if (ks_add_size(hdr, len, total) < 0)
		return -1;
	if (*total > n)
		return KS_SET(KS_ERR_TRUNCATED, "CMS: %zu bytes announced, %zu present", *total, n);
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	struct ks_cur c;
	uint8_t b;

	ks_cur_init(&c, p, n);
	while (ks_cur_u8(&c, &b) == 0)
		if (b != 0)
			return false;
	return true;
}

int ks_cms_parse(const uint8_t *der, size_t n, bool zero_pad, struct ks_cms **out)
{
	struct ks_cms *cms = NULL;
	const unsigned char *p = der;
	size_t total = 0, used;
	long len;
	int nsig, rc = -1;

	*out = NULL;
	if (n == 0)
		KS_BAIL(KS_ERR_TRUNCATED, "CMS: empty input");
	if (n > KS_CMS_DER_MAX)
		KS_BAIL(KS_ERR_LIMIT, "CMS: %zu bytes is above the limit of %zu", n,
			KS_CMS_DER_MAX);
	KS_GUARD(outer_tlv(der, n, &total));
	if (total != 0 && total < n && !(zero_pad && all_zero(der + total, n - total)))
		KS_BAIL(KS_ERR_PARSE, "CMS: %zu bytes after the ContentInfo", n - total);
	len = (long)(total != 0 ? total : n);
	cms = calloc(1, sizeof(*cms));
	if (cms == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	cms->ci = d2i_CMS_ContentInfo(NULL, &p, len);
	if (cms->ci == NULL)
		KS_BAIL_OSSL(KS_ERR_PARSE, "CMS: not a valid ContentInfo");
	used = (size_t)(p - der);
	if (used < n && !(zero_pad && all_zero(p, n - used)))
		KS_BAIL(KS_ERR_PARSE, "CMS: %zu bytes after the ContentInfo", n - used);
	if (OBJ_obj2nid(CMS_get0_type(cms->ci)) != NID_pkcs7_signed)
		KS_BAIL(KS_ERR_CMS, "CMS: the ContentInfo is not SignedData");
	nsig = sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms->ci));
	if (nsig <= 0)
		KS_BAIL(KS_ERR_CMS, "CMS: SignedData without SignerInfo");
	if (nsig > KS_CMS_SIGNERS_MAX)
		KS_BAIL(KS_ERR_LIMIT, "CMS: %d SignerInfos (limit %d)", nsig, KS_CMS_SIGNERS_MAX);
	cms->certs = CMS_get1_certs(cms->ci);
	if (cms->certs == NULL) {
		ERR_clear_error();
		cms->certs = sk_X509_new_null();
		if (cms->certs == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	if (sk_X509_num(cms->certs) > KS_CMS_CERTS_MAX)
		KS_BAIL(KS_ERR_LIMIT, "CMS: %d certificates (limit %d)", sk_X509_num(cms->certs),
			KS_CMS_CERTS_MAX);
	{
		ASN1_OCTET_STRING **pos = CMS_get0_content(cms->ci);

		cms->attached = pos != NULL && *pos != NULL;
	}
	*out = cms;
	cms = NULL;
	rc = 0;
out:
	ks_cms_free(cms);
	return rc;
}

void ks_cms_free(struct ks_cms *cms)
{
	if (cms == NULL)
		return;
	CMS_ContentInfo_free(cms->ci);
	sk_X509_pop_free(cms->certs, X509_free);
	free(cms);
}

size_t ks_cms_signer_count(const struct ks_cms *cms)
{
	int n = sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms->ci));

	return n > 0 ? (size_t)n : 0;
}

bool ks_cms_is_attached(const struct ks_cms *cms)
{
	return cms->attached;
}

CMS_ContentInfo *ks_cms_get0_ci(const struct ks_cms *cms)
{
	return cms->ci;
}

STACK_OF(X509) * ks_cms_get0_certs(const struct ks_cms *cms)
{
	return cms->certs;
}

int ks_cms_signature_value(const struct ks_cms *cms, size_t index, struct ks_buf *out)
{
	CMS_SignerInfo *si;
	ASN1_OCTET_STRING *sig;

	if (index >= ks_cms_signer_count(cms))
		return KS_SET(KS_ERR_ARG, "no SignerInfo %zu", index);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms->ci), (int)index);
	sig = CMS_SignerInfo_get0_signature(si);
	return ks_buf_append(out, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig));
}

int ks_cms_unsigned_attr_count(const struct ks_cms *cms, size_t index, const char *oid,
			       size_t *count)
{
	CMS_SignerInfo *si;
	ASN1_OBJECT *obj;
	int at = -1;

	*count = 0;
	if (index >= ks_cms_signer_count(cms))
		return KS_SET(KS_ERR_ARG, "no SignerInfo %zu", index);
	obj = OBJ_txt2obj(oid, 1);
	if (obj == NULL)
		return KS_SET(KS_ERR_ARG, "'%s' is not an OID", oid);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms->ci), (int)index);
	while ((at = CMS_unsigned_get_attr_by_OBJ(si, obj, at)) >= 0)
		(*count)++;
	ASN1_OBJECT_free(obj);
	return 0;
}

/* ---- content digests ---- */

struct content_md {
	int nid;
	EVP_MD_CTX *ctx; /* NULL: algorithm not available */
	bool have;       /* value holds the digest */
	unsigned char value[EVP_MAX_MD_SIZE];
	unsigned int len;
};

struct ks_cms_content {
	struct content_md md[KS_CMS_SIGNERS_MAX];
	size_t n;
	bool fed;      /* content was streamed (possibly empty) */
	bool sealed;   /* attached content already hashed */
	bool finished; /* contexts finalised */
};

int ks_cms_content_new(const struct ks_cms *cms, struct ks_cms_content **out)
{
	struct ks_cms_content *c = NULL;
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms->ci);
	int i, rc = -1;
	size_t j;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < sk_CMS_SignerInfo_num(sis) && c->n < KS_CMS_SIGNERS_MAX; i++) {
		X509_ALGOR *dig = NULL;
		const ASN1_OBJECT *obj;
		int nid;
		bool dup = false;
		EVP_MD *md;

		CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, i), NULL, NULL, &dig, NULL);
		X509_ALGOR_get0(&obj, NULL, NULL, dig);
		nid = OBJ_obj2nid(obj);
		for (j = 0; j < c->n; j++)
			dup = dup || c->md[j].nid == nid;
		if (dup)
			continue;
		c->md[c->n].nid = nid;
		md = ks_cms_md_fetch(nid);
		if (md != NULL) {
			c->md[c->n].ctx = EVP_MD_CTX_new();
			if (c->md[c->n].ctx == NULL ||
			    EVP_DigestInit_ex(c->md[c->n].ctx, md, NULL) != 1) {
				EVP_MD_free(md);
				KS_BAIL_OSSL(KS_ERR_CRYPTO, "digest init");
			}
			EVP_MD_free(md);
		}
		c->n++;
	}
	if (cms->attached) {
		ASN1_OCTET_STRING **pos = CMS_get0_content(cms->ci);

		KS_GUARD(ks_cms_content_update(c, ASN1_STRING_get0_data(*pos),
					       (size_t)ASN1_STRING_length(*pos)));
		c->sealed = true;
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	ks_cms_content_free(c);
	return rc;
}

int ks_cms_content_update(struct ks_cms_content *c, const void *data, size_t n)
{
	size_t i;

	if (c->sealed)
		return KS_SET(KS_ERR_ARG, "the SignedData carries its own content");
	if (c->finished)
		return KS_SET(KS_ERR_ARG, "content digests already finalised");
	for (i = 0; i < c->n; i++)
		if (c->md[i].ctx != NULL && EVP_DigestUpdate(c->md[i].ctx, data, n) != 1)
			return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "digest update");
	c->fed = true;
	return 0;
}

static int feed_content(void *ctx, const uint8_t *p, size_t n)
{
	return ks_cms_content_update(ctx, p, n);
}

int ks_cms_content_file(struct ks_cms_content *c, const char *path)
{
	/* An empty file is content too. */
	if (ks_cms_content_update(c, "", 0) < 0)
		return -1;
	return ks_cms_stream_file(path, feed_content, c);
}

int ks_cms_content_set_digest(struct ks_cms_content *c, enum ks_md md, const uint8_t *digest,
			      size_t n)
{
	int nid = ks_cms_md_nid(md);
	size_t i;

	if (nid == NID_undef || n != ks_md_size(md))
		return KS_SET(KS_ERR_ARG, "%s digest must be %zu bytes, got %zu", ks_md_name(md),
			      ks_md_size(md), n);
	if (c->sealed || c->fed)
		return KS_SET(KS_ERR_ARG, "content was already given");
	for (i = 0; i < c->n; i++) {
		if (c->md[i].nid != nid)
			continue;
		memcpy(c->md[i].value, digest, n);
		c->md[i].len = (unsigned int)n;
		c->md[i].have = true;
	}
	return 0;
}

void ks_cms_content_free(struct ks_cms_content *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		EVP_MD_CTX_free(c->md[i].ctx);
	free(c);
}

int ks_cms_content_digest(struct ks_cms_content *c, int nid, const unsigned char **d,
			  unsigned int *len)
{
	size_t i;

	*d = NULL;
	*len = 0;
	if (!c->finished) {
		for (i = 0; i < c->n; i++) {
			if (c->md[i].have || c->md[i].ctx == NULL || !c->fed)
				continue;
			if (EVP_DigestFinal_ex(c->md[i].ctx, c->md[i].value, &c->md[i].len) != 1)
				return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__,
						       "digest final");
			c->md[i].have = true;
		}
		c->finished = true;
	}
	for (i = 0; i < c->n; i++) {
		if (c->md[i].nid == nid && c->md[i].have) {
			*d = c->md[i].value;
			*len = c->md[i].len;
		}
	}
	return 0;
}
