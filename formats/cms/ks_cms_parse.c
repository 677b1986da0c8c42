/* Parsing a SignedData (RFC 5652 5.1) with limits checked before OpenSSL
 * sees the bytes, and the content digests verification compares with. */
#include <openssl/err.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cms/ks_cms_int.h"
#include "ks_size.h"

#define DER_TAG_INTEGER 0x02
#define DER_TAG_OID 0x06
#define DER_TAG_SEQUENCE 0x30
#define DER_TAG_SET 0x31
#define DER_TAG_CTX0 0xa0 /* content [0] EXPLICIT, certificates [0] IMPLICIT */
/* Decoded certificates kept for the next SignedData that carries the
 * same bytes (a school's seal and its chain come in every document). */
#define CERT_CACHE_SLOTS 64
#define CERT_CACHE_DER_MAX 16384 /* larger certificates are not kept */

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
	while (!ks_cur_eof(&c) && ks_cur_u8(&c, &b) == 0)
		if (b != 0)
			return false;
	return true;
}

/* ---- decoded certificates, by the SHA-256 of their DER ----
 *
 * OpenSSL 3 decodes a certificate's public key through its provider
 * decoders, which costs more than the rest of a SignedData together.  A
 * certificate read before is taken from here (the same object, its
 * reference count raised): X509 objects are safe to share between
 * threads once decoded.  Only equal bytes give the cached object. */

struct cert_slot {
	uint8_t hash[SHA256_DIGEST_LENGTH];
	X509 *x;
};

static struct cert_slot cert_cache[CERT_CACHE_SLOTS];
static unsigned cert_cache_next;
static pthread_mutex_t cert_cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* The certificate of these DER bytes (all of them), up-ref'd; NULL when
 * they are not one. */
static X509 *cert_of(const uint8_t *der, size_t n)
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	const unsigned char *p = der;
	struct cert_slot *sl;
	X509 *x = NULL;
	size_t i;

	if (SHA256(der, n, h) == NULL)
		return NULL;
	pthread_mutex_lock(&cert_cache_lock);
	for (i = 0; i < CERT_CACHE_SLOTS && x == NULL; i++) {
		sl = &cert_cache[i];
		if (sl->x != NULL && memcmp(sl->hash, h, sizeof(h)) == 0 && X509_up_ref(sl->x) == 1)
			x = sl->x;
	}
	pthread_mutex_unlock(&cert_cache_lock);
	if (x != NULL)
		return x;
	x = d2i_X509(NULL, &p, (long)n);
	if (x == NULL || p != der + n) {
		X509_free(x);
		return NULL;
	}
	if (n <= CERT_CACHE_DER_MAX && X509_up_ref(x) == 1) {
		pthread_mutex_lock(&cert_cache_lock);
		sl = &cert_cache[cert_cache_next++ % CERT_CACHE_SLOTS];
		X509_free(sl->x);
		sl->x = x;
		memcpy(sl->hash, h, sizeof(h));
		pthread_mutex_unlock(&cert_cache_lock);
	}
	return x;
}

/* A DER ContentInfo of SignedData split into the same ContentInfo
 * without the certificates (rest) and the certificates' TLVs (certs).
 * false, nothing decided, when the bytes are not of that plain shape (BER,
 * no certificates, another choice than a certificate, too many): then
 * OpenSSL reads the whole ContentInfo. */
static bool split_certs(const uint8_t *der, size_t n, struct ks_buf *rest, struct ks_cur *certs,
			size_t *ncerts)
{
	struct ks_cur c, ci, oid, ex, sd, val, set, sd0;
	const uint8_t *oid_at, *certs_at, *after;
	uint8_t tag = 0;
	size_t l3, l2, l1, k = 0;
	bool ok = false;

	ks_cur_init(&c, der, n);
	if (ks_der_expect(&c, DER_TAG_SEQUENCE, &ci) < 0 || !ks_cur_eof(&c))
		goto out;
	oid_at = ci.p;
	if (ks_der_expect(&ci, DER_TAG_OID, &oid) < 0 ||
	    ks_der_expect(&ci, DER_TAG_CTX0, &ex) < 0 || !ks_cur_eof(&ci) ||
	    ks_der_expect(&ex, DER_TAG_SEQUENCE, &sd) < 0 || !ks_cur_eof(&ex))
		goto out;
	sd0 = sd;
	if (ks_der_expect(&sd, DER_TAG_INTEGER, &val) < 0 ||
	    ks_der_expect(&sd, DER_TAG_SET, &val) < 0 ||
	    ks_der_expect(&sd, DER_TAG_SEQUENCE, &val) < 0)
		goto out;
	certs_at = sd.p;
	if (ks_der_read(&sd, &tag, &set) < 0 || tag != DER_TAG_CTX0)
		goto out;
	after = sd.p;
	*certs = set;
	while (!ks_cur_eof(&set)) {
		if (ks_der_read(&set, &tag, &val) < 0 || tag != DER_TAG_SEQUENCE ||
		    ++k > KS_CMS_CERTS_MAX)
			goto out;
	}
	*ncerts = k;
	l3 = (size_t)(certs_at - sd0.p) + sd.left;
	l2 = ks_der_hdr_len(l3) + l3;
	/* the OID's TLV, then [0] and the SignedData without certificates */
	l1 = (size_t)(oid.p + oid.left - oid_at) + ks_der_hdr_len(l2) + l2;
	ks_buf_reset(rest);
	ok = ks_der_put_hdr(rest, DER_TAG_SEQUENCE, l1) == 0 &&
	     ks_buf_append(rest, oid_at, (size_t)(oid.p + oid.left - oid_at)) == 0 &&
	     ks_der_put_hdr(rest, DER_TAG_CTX0, l2) == 0 &&
	     ks_der_put_hdr(rest, DER_TAG_SEQUENCE, l3) == 0 &&
	     ks_buf_append(rest, sd0.p, (size_t)(certs_at - sd0.p)) == 0 &&
	     ks_buf_append(rest, after, sd.left) == 0;
out:
	if (!ok)
		ks_err_clear();
	return ok;
}

/* The ContentInfo with its certificates from the cache; NULL (nothing
 * decided) when that way does not apply. */
static CMS_ContentInfo *parse_cached(const uint8_t *der, size_t n)
{
	struct ks_buf rest;
	struct ks_cur certs, one;
	const unsigned char *p;
	CMS_ContentInfo *ci = NULL;
	const uint8_t *at;
	size_t k = 0, i;
	uint8_t tag;
	X509 *x;
	bool ok = false;

	ks_buf_init(&rest, n);
	if (!split_certs(der, n, &rest, &certs, &k))
		goto out;
	p = rest.data;
	ci = d2i_CMS_ContentInfo(NULL, &p, (long)rest.len);
	if (ci == NULL || p != rest.data + rest.len ||
	    OBJ_obj2nid(CMS_get0_type(ci)) != NID_pkcs7_signed)
		goto out;
	for (i = 0; i < k; i++) {
		at = certs.p;
		if (ks_der_read(&certs, &tag, &one) < 0)
			goto out;
		x = cert_of(at, (size_t)(certs.p - at));
		if (x == NULL)
			goto out;
		/* a certificate carried twice: OpenSSL's own reading keeps both */
		if (CMS_add0_cert(ci, x) != 1) {
			X509_free(x);
			goto out;
		}
	}
	ok = true;
out:
	ks_buf_cleanup(&rest);
	if (!ok) {
		CMS_ContentInfo_free(ci);
		ci = NULL;
		ks_err_clear();
		ERR_clear_error();
	}
	return ci;
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
	/* DER with certificates: they come from the cache; anything else
	 * (and whatever that way refuses) is read by OpenSSL whole */
	if (total != 0)
		cms->ci = parse_cached(der, total);
	if (cms->ci == NULL) {
		cms->ci = d2i_CMS_ContentInfo(NULL, &p, len);
		if (cms->ci == NULL)
			KS_BAIL_OSSL(KS_ERR_PARSE, "CMS: not a valid ContentInfo");
		used = (size_t)(p - der);
		if (used < n && !(zero_pad && all_zero(p, n - used)))
			KS_BAIL(KS_ERR_PARSE, "CMS: %zu bytes after the ContentInfo", n - used);
	}
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
