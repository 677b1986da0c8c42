/* External key: a ks_key whose signature is made elsewhere and supplied
 * later (two-phase signing, DESIGN.md API sketch: /v1/sign/prepare and
 * /v1/sign/complete).  The flow is described in ks_key.h. */
#include "ks_key.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "ks_size.h"

/* Largest signature accepted from a client: RSA-8192 is 1024 bytes; an
 * ECDSA P-521 DER signature is under 140. */
#define KS_EXTKEY_SIG_MAX ((size_t)1024)

struct extkey {
	bool asked;    /* sign() recorded a digest */
	bool have_sig; /* a verified signature for `digest` is held */
	enum ks_sig_scheme scheme;
	enum ks_md md;
	uint8_t digest[EVP_MAX_MD_SIZE];
	size_t dlen;
	struct ks_buf sig;
};

static bool same_request(const struct extkey *x, enum ks_sig_scheme scheme, enum ks_md md,
			 const uint8_t *digest, size_t dlen)
{
	return x->scheme == scheme && x->md == md && x->dlen == dlen &&
	       memcmp(x->digest, digest, dlen) == 0;
}

static int extkey_sign(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
		       const uint8_t *digest, size_t dlen, struct ks_buf *sig)
{
	struct extkey *x = key->impl;

	if (dlen > sizeof(x->digest))
		return KS_SET(KS_ERR_ARG, "digest of %zu bytes is too long", dlen);
	if (x->have_sig) {
		/* The inputs of the second phase must reproduce the digest the
		 * client signed; anything else would attach the signature to
		 * data it does not cover. */
		if (!same_request(x, scheme, md, digest, dlen))
			return KS_SET(KS_ERR_ARG,
				      "the supplied signature is for another digest (the document, "
				      "signing time or algorithm changed between the two phases)");
		return ks_buf_append(sig, x->sig.data, x->sig.len);
	}
	x->asked = true;
	x->scheme = scheme;
	x->md = md;
	x->dlen = dlen;
	memcpy(x->digest, digest, dlen);
	return KS_SET(KS_ERR_PENDING, "%s %s signature of the prepared digest is to be supplied",
		      ks_md_name(md), ks_sig_scheme_name(scheme));
}

static void extkey_destroy(void *impl)
{
	struct extkey *x = impl;

	if (x == NULL)
		return;
	ks_buf_cleanup(&x->sig);
	free(x);
}

static const struct ks_key_ops extkey_ops = {
	.kind = "external",
	.sign = extkey_sign,
	.destroy = extkey_destroy,
};

int ks_extkey_new(X509 *cert, STACK_OF(X509) * chain, const char *label, struct ks_key **out)
{
	struct extkey *x;

	*out = NULL;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return KS_SET(KS_ERR_NOMEM, "out of memory");
	ks_buf_init(&x->sig, KS_EXTKEY_SIG_MAX);
	/* ks_key_new owns x from here, even on failure. */
	return ks_key_new(&extkey_ops, x, cert, chain, label != NULL ? label : "external", out);
}

static struct extkey *extkey_of(const struct ks_key *key)
{
	return key != NULL && key->ops == &extkey_ops ? key->impl : NULL;
}

bool ks_extkey_is_pending(const struct ks_key *key)
{
	const struct extkey *x = extkey_of(key);

	return x != NULL && x->asked && !x->have_sig;
}

int ks_extkey_pending(const struct ks_key *key, enum ks_sig_scheme *scheme, enum ks_md *md,
		      struct ks_buf *digest)
{
	const struct extkey *x = extkey_of(key);

	if (x == NULL)
		return KS_SET(KS_ERR_ARG, "not an external key");
	if (!x->asked)
		return KS_SET(KS_ERR_ARG, "no signature has been asked of this key yet");
	if (ks_buf_append(digest, x->digest, x->dlen) < 0)
		return -1;
	*scheme = x->scheme;
	*md = x->md;
	return 0;
}

/* ECDSA signatures come as DER ECDSA-Sig-Value or as raw r||s of twice
 * the field size (PKCS#11 CKM_ECDSA, WebCrypto).  Only an exact DER
 * encoding is taken as DER. */
static int ecdsa_to_der(const struct ks_key *key, const uint8_t *sig, size_t n, struct ks_buf *out)
{
	const unsigned char *p = sig;
	ECDSA_SIG *es;
	int len;
	size_t field = ((size_t)key->bits + 7) / 8;

	if (ks_size_to_int(n, &len) < 0)
		return -1;
	es = d2i_ECDSA_SIG(NULL, &p, len);
	if (es != NULL) {
		int again = i2d_ECDSA_SIG(es, NULL);

		ECDSA_SIG_free(es);
		if (p == sig + n && again == len)
			return ks_buf_set(out, sig, n);
	}
	ERR_clear_error();
	if (n != 2 * field)
		return KS_SET(KS_ERR_ARG,
			      "ECDSA signature is neither DER nor raw r||s of %zu bytes (got %zu)",
			      2 * field, n);
	ks_buf_reset(out);
	return ks_ecdsa_raw_to_der(sig, n, out);
}

int ks_extkey_set_signature(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
			    const uint8_t *digest, size_t dlen, const uint8_t *sig, size_t siglen)
{
	struct extkey *x = extkey_of(key);
	struct ks_buf norm;
	int rc = -1;

	ks_buf_init(&norm, KS_EXTKEY_SIG_MAX);
	if (x == NULL)
		KS_BAIL(KS_ERR_ARG, "not an external key");
	if (dlen != ks_md_size(md) || dlen == 0)
		KS_BAIL(KS_ERR_ARG, "%s digest must be %zu bytes, got %zu", ks_md_name(md),
			ks_md_size(md), dlen);
	if (siglen == 0 || siglen > KS_EXTKEY_SIG_MAX)
		KS_BAIL(KS_ERR_ARG, "signature of %zu bytes is out of range", siglen);
	if (x->asked && !same_request(x, scheme, md, digest, dlen))
		KS_BAIL(KS_ERR_ARG, "signature supplied for a digest other than the prepared one");
	if (scheme == KS_SIG_ECDSA && key->type == KS_KEY_EC)
		KS_GUARD(ecdsa_to_der(key, sig, siglen, &norm));
	else
		KS_GUARD(ks_buf_set(&norm, sig, siglen));
	if (ks_key_verify_digest(key->cert, scheme, md, digest, dlen, norm.data, norm.len) < 0)
		KS_BAIL(KS_ERR_ARG,
			"the supplied signature does not verify with the certificate "
			"of '%s' (%s)",
			key->label, ks_err_msg());
	x->asked = true;
	x->scheme = scheme;
	x->md = md;
	x->dlen = dlen;
	memcpy(x->digest, digest, dlen);
	ks_buf_move(&x->sig, &norm);
	x->have_sig = true;
	rc = 0;
out:
	ks_buf_cleanup(&norm);
	return rc;
}
