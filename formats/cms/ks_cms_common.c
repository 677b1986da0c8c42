/* Pieces shared by CMS signing and verification: digest lookup,
 * signature context set-up, the signed-attributes encoding, file
 * streaming, and the one way a verification step records a finding. */
#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/cms/ks_cms_int.h"
#include "ks_crypto.h"
#include "ks_io.h"
#include "ks_size.h"

void ks_cms_conclude(struct ks_cms_signer_result *r, enum ks_subindication sub, const char *fmt,
		     ...)
{
	va_list ap;

	if (r->sub != KS_SUB_NONE)
		return;
	r->sub = sub;
	r->indication = ks_subindication_class(sub);
	va_start(ap, fmt);
	if (vsnprintf(r->detail, sizeof(r->detail), fmt, ap) < 0)
		r->detail[0] = '\0';
	va_end(ap);
}

int ks_cms_md_nid(enum ks_md md)
{
	switch (md) {
	case KS_MD_SHA256:
		return NID_sha256;
	case KS_MD_SHA384:
		return NID_sha384;
	case KS_MD_SHA512:
		return NID_sha512;
	}
	return NID_undef;
}

EVP_MD *ks_cms_md_fetch(int nid)
{
	const char *sn;
	EVP_MD *md;

	/* Only digests we can name: an arbitrary OID must not reach the
	 * provider lookup (XOFs, MACs under digest-like names). */
	if (!ks_crypto_md_known(nid) || (sn = OBJ_nid2sn(nid)) == NULL)
		return NULL;
	md = EVP_MD_fetch(NULL, sn, NULL);
	if (md == NULL)
		ERR_clear_error();
	return md;
}

int ks_cms_pkey_setup(EVP_PKEY_CTX *ctx, enum ks_sig_scheme scheme, const EVP_MD *md, int saltlen,
		      const EVP_MD *mgf1)
{
	if (EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "setting digest");
	switch (scheme) {
	case KS_SIG_RSA_PKCS1:
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0)
			return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__,
					       "setting PKCS#1 padding");
		return 0;
	case KS_SIG_RSA_PSS:
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, saltlen) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, mgf1) <= 0)
			return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__,
					       "setting PSS parameters");
		return 0;
	case KS_SIG_ECDSA:
		return 0;
	}
	return KS_SET(KS_ERR_UNSUPPORTED, "unknown signature scheme %d", (int)scheme);
}

int ks_cms_signed_attrs_der(CMS_SignerInfo *si, bool sort, struct ks_buf *out)
{
	STACK_OF(X509_ATTRIBUTE) *sk = NULL;
	unsigned char *der = NULL;
	int i, n, len, rc = -1;

	n = CMS_signed_get_attr_count(si);
	if (n <= 0)
		KS_BAIL(KS_ERR_CMS, "SignerInfo has no signed attributes");
	/* A view of the SignerInfo's attributes (not owned): PKCS7_ATTR_SIGN
	 * reorders the view, never the SignerInfo. */
	sk = sk_X509_ATTRIBUTE_new_null();
	if (sk == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		if (sk_X509_ATTRIBUTE_push(sk, CMS_signed_get_attr(si, i)) <= 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	len = ASN1_item_i2d((ASN1_VALUE *)sk, &der,
			    sort ? ASN1_ITEM_rptr(PKCS7_ATTR_SIGN)
				 : ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
	if (len <= 0)
		KS_BAIL_OSSL(KS_ERR_CMS, "encoding signed attributes");
	KS_GUARD(ks_buf_append(out, der, (size_t)len));
	rc = 0;
out:
	OPENSSL_free(der);
	sk_X509_ATTRIBUTE_free(sk);
	return rc;
}

int ks_cms_stream_file(const char *path, int (*fn)(void *ctx, const uint8_t *p, size_t n),
		       void *ctx)
{
	uint8_t *chunk = NULL;
	uint64_t size;
	ssize_t got;
	int fd = -1, rc = -1;

	chunk = malloc(KS_CMS_STREAM_CHUNK);
	if (chunk == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	/* A regular file, opened once: a device or a FIFO would never end
	 * (or never start). */
	KS_GUARD(ks_file_open_input(path, &fd, &size));
	for (;;) {
		got = read(fd, chunk, KS_CMS_STREAM_CHUNK);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			KS_BAIL(KS_ERR_IO, "reading '%s' failed: %s", path, strerror(errno));
		if (got == 0)
			break;
		KS_GUARD(fn(ctx, chunk, (size_t)got));
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(chunk);
	return rc;
}
