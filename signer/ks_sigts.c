/* Signature timestamps (B-T): see ks_sigts.h. */
#include "signer/ks_sigts.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "formats/cms/ks_cms.h"
#include "formats/tsp/ks_tsp.h"

/* Token sizes seen per TSA (its first URL), to size PDF placeholders. */
#define SIGTS_SIZES 8

static pthread_mutex_t sizes_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char url[256];
	size_t size;
} sizes[SIGTS_SIZES];

static size_t known_size(const char *url)
{
	size_t i, n = 0;

	pthread_mutex_lock(&sizes_mu);
	for (i = 0; i < SIGTS_SIZES && n == 0; i++)
		if (sizes[i].size != 0 && strcmp(sizes[i].url, url) == 0)
			n = sizes[i].size;
	pthread_mutex_unlock(&sizes_mu);
	return n;
}

static void remember_size(const char *url, size_t n)
{
	size_t i, slot = 0;

	pthread_mutex_lock(&sizes_mu);
	for (i = 0; i < SIGTS_SIZES; i++) {
		if (strcmp(sizes[i].url, url) == 0 || sizes[i].size == 0) {
			slot = i;
			break;
		}
	}
	snprintf(sizes[slot].url, sizeof(sizes[slot].url), "%s", url);
	if (n > sizes[slot].size)
		sizes[slot].size = n;
	pthread_mutex_unlock(&sizes_mu);
}

static int hash(enum ks_md md, const uint8_t *p, size_t n, uint8_t *out, unsigned *olen)
{
	if (EVP_Digest(p, n, out, olen, ks_md_evp(md), NULL) != 1)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__,
				       "digest of the signature value");
	return 0;
}

int ks_sigts_add(const struct ks_tsa_client *tsa, enum ks_md md, const uint8_t *der, size_t n,
		 size_t index, struct ks_buf *out, struct ks_tsp_token **token)
{
	struct ks_cms *cms = NULL;
	struct ks_tsp_token *tok = NULL;
	struct ks_buf sv, resp;
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	const struct ks_buf *td;
	int rc = -1;

	if (token != NULL)
		*token = NULL;
	ks_buf_init(&sv, KS_CMS_DER_MAX);
	ks_buf_init(&resp, KS_TSP_RESP_MAX);
	KS_GUARD(ks_cms_parse(der, n, false, &cms));
	KS_GUARD(ks_cms_signature_value(cms, index, &sv));
	KS_GUARD(hash(md, sv.data, sv.len, digest, &dlen));
	KS_GUARD(ks_tsa_timestamp(tsa, md, digest, dlen, &resp, &tok, NULL));
	td = ks_tsp_token_der(tok);
	remember_size(tsa->urls[0], td->len);
	KS_GUARD(ks_cms_add_unsigned_attr(der, n, index, KS_TSP_OID_SIGNATURE_TIME_STAMP, td->data,
					  td->len, out));
	if (token != NULL) {
		*token = tok;
		tok = NULL;
	}
	rc = 0;
out:
	ks_tsp_token_free(tok);
	ks_cms_free(cms);
	ks_buf_cleanup(&sv);
	ks_buf_cleanup(&resp);
	return rc;
}

/* How large this TSA's tokens are: known, or learnt from one timestamp. */
static int token_size(const struct ks_tsa_client *tsa, enum ks_md md, size_t *n)
{
	struct ks_tsp_token *tok = NULL;
	struct ks_buf resp;
	uint8_t zero[EVP_MAX_MD_SIZE];
	int rc = -1;

	*n = known_size(tsa->urls[0]);
	if (*n != 0)
		return 0;
	memset(zero, 0, sizeof(zero));
	ks_buf_init(&resp, KS_TSP_RESP_MAX);
	KS_GUARD(ks_tsa_timestamp(tsa, md, zero, ks_md_size(md), &resp, &tok, NULL));
	*n = ks_tsp_token_der(tok)->len;
	remember_size(tsa->urls[0], *n);
	rc = 0;
out:
	ks_tsp_token_free(tok);
	ks_buf_cleanup(&resp);
	return rc;
}

/* A DER OCTET STRING of n bytes in all (its header included). */
static int filler(size_t n, struct ks_buf *out)
{
	size_t body = n - 4;

	if (n < 5 || body > 0xffff)
		return KS_SET(KS_ERR_LIMIT, "a timestamp token of %zu bytes", n);
	if (ks_buf_append_byte(out, 0x04) < 0 || ks_buf_append_byte(out, 0x82) < 0 ||
	    ks_buf_append_byte(out, (uint8_t)(body >> 8)) < 0 ||
	    ks_buf_append_byte(out, (uint8_t)(body & 0xff)) < 0)
		return -1;
	while (body-- > 0)
		if (ks_buf_append_byte(out, 0) < 0)
			return -1;
	return 0;
}

static int produce(void *vctx, enum ks_md md, const uint8_t *digest, size_t dlen, bool sizing,
		   struct ks_buf *der)
{
	struct ks_sigts_pades *ctx = vctx;
	struct ks_buf plain, fill;
	size_t est;
	int rc = -1;

	ks_buf_init(&plain, KS_CMS_DER_MAX);
	ks_buf_init(&fill, KS_TSP_TOKEN_MAX + KS_SIGTS_SLACK);
	KS_GUARD(ctx->inner.produce(ctx->inner.ctx, md, digest, dlen, sizing, &plain));
	if (sizing) {
		/* As large as a real token will be (the TSA's last one). */
		KS_GUARD(token_size(ctx->tsa, md, &est));
		KS_GUARD(filler(est + KS_SIGTS_SLACK, &fill));
		KS_GUARD(ks_cms_add_unsigned_attr(plain.data, plain.len, 0,
						  KS_TSP_OID_SIGNATURE_TIME_STAMP, fill.data,
						  fill.len, der));
	} else {
		KS_GUARD(ks_sigts_add(ctx->tsa, md, plain.data, plain.len, 0, der, NULL));
	}
	rc = 0;
out:
	ks_buf_cleanup(&plain);
	ks_buf_cleanup(&fill);
	return rc;
}

void ks_sigts_pades(struct ks_sigts_pades *ctx, const struct ks_pades_cms *inner,
		    const struct ks_tsa_client *tsa, struct ks_pades_cms *out)
{
	ctx->inner = *inner;
	ctx->tsa = tsa;
	out->produce = produce;
	out->ctx = ctx;
	out->cert = inner->cert;
}

static int docts_produce(void *vctx, enum ks_md md, const uint8_t *digest, size_t dlen, bool sizing,
			 struct ks_buf *der)
{
	struct ks_docts_pades *ctx = vctx;
	struct ks_tsp_token *tok = NULL;
	struct ks_buf resp;
	const struct ks_buf *td;
	size_t est;
	int rc = -1;

	ks_buf_init(&resp, KS_TSP_RESP_MAX);
	if (sizing) {
		KS_GUARD(token_size(ctx->tsa, md, &est));
		KS_GUARD(filler(est + KS_SIGTS_SLACK, der));
	} else {
		KS_GUARD(ks_tsa_timestamp(ctx->tsa, md, digest, dlen, &resp, &tok, NULL));
		td = ks_tsp_token_der(tok);
		remember_size(ctx->tsa->urls[0], td->len);
		KS_GUARD(ks_buf_append(der, td->data, td->len));
	}
	rc = 0;
out:
	ks_tsp_token_free(tok);
	ks_buf_cleanup(&resp);
	return rc;
}

void ks_docts_pades(struct ks_docts_pades *ctx, const struct ks_tsa_client *tsa,
		    struct ks_pades_cms *out)
{
	ctx->tsa = tsa;
	out->produce = docts_produce;
	out->ctx = ctx;
	out->cert = NULL;
}
