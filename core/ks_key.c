#include "ks_key.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ks_cur.h"
#include "ks_io.h"
#include "ks_size.h"

/* Certificate, key and PKCS#12 files are read whole: regular files of at
 * most this size. */
#define KS_KEY_FILE_MAX ((size_t)4 << 20)

/* The file at `path` in `data` and a memory BIO over it (freed by the
 * caller; data must outlive it). */
static int file_bio(const char *path, struct ks_buf *data, BIO **bio)
{
	*bio = NULL;
	if (ks_file_read(path, KS_KEY_FILE_MAX, data) < 0)
		return -1;
	/* data->len <= KS_KEY_FILE_MAX fits an int. */
	*bio = BIO_new_mem_buf(data->len > 0 ? data->data : (const void *)"", (int)data->len);
	if (*bio == NULL)
		return ks_err_set_ossl(KS_ERR_NOMEM, __FILE__, __LINE__, "reading '%s'", path);
	return 0;
}

size_t ks_md_size(enum ks_md md)
{
	switch (md) {
	case KS_MD_SHA256:
		return 32;
	case KS_MD_SHA384:
		return 48;
	case KS_MD_SHA512:
		return 64;
	}
	return 0;
}

const char *ks_md_name(enum ks_md md)
{
	switch (md) {
	case KS_MD_SHA256:
		return "SHA-256";
	case KS_MD_SHA384:
		return "SHA-384";
	case KS_MD_SHA512:
		return "SHA-512";
	}
	return "unknown";
}

const char *ks_sig_scheme_name(enum ks_sig_scheme s)
{
	switch (s) {
	case KS_SIG_RSA_PKCS1:
		return "RSA PKCS#1 v1.5";
	case KS_SIG_RSA_PSS:
		return "RSA-PSS";
	case KS_SIG_ECDSA:
		return "ECDSA";
	}
	return "unknown";
}

/* The digests fetched from the default provider once: a digest set up
 * with EVP_sha256() and the like is looked up again every time. */
static EVP_MD *md_fetched[3];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void)
{
	md_fetched[0] = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	md_fetched[1] = EVP_MD_fetch(NULL, "SHA2-384", NULL);
	md_fetched[2] = EVP_MD_fetch(NULL, "SHA2-512", NULL);
	ERR_clear_error(); /* one not found: the legacy object below */
}

const EVP_MD *ks_md_evp(enum ks_md md)
{
	(void)pthread_once(&md_once, md_fetch);
	switch (md) {
	case KS_MD_SHA256:
		return md_fetched[0] != NULL ? md_fetched[0] : EVP_sha256();
	case KS_MD_SHA384:
		return md_fetched[1] != NULL ? md_fetched[1] : EVP_sha384();
	case KS_MD_SHA512:
		return md_fetched[2] != NULL ? md_fetched[2] : EVP_sha512();
	}
	return NULL;
}

int ks_md_parse(const char *name, enum ks_md *md)
{
	if (strcasecmp(name, "sha256") == 0 || strcasecmp(name, "sha-256") == 0)
		*md = KS_MD_SHA256;
	else if (strcasecmp(name, "sha384") == 0 || strcasecmp(name, "sha-384") == 0)
		*md = KS_MD_SHA384;
	else if (strcasecmp(name, "sha512") == 0 || strcasecmp(name, "sha-512") == 0)
		*md = KS_MD_SHA512;
	else
		return KS_SET(KS_ERR_UNSUPPORTED, "unsupported digest '%.32s'", name);
	return 0;
}

int ks_md_digest(enum ks_md md, const void *data, size_t n, struct ks_buf *out)
{
	unsigned int len = 0;

	if (ks_buf_reserve(out, ks_md_size(md)) < 0)
		return -1;
	if (EVP_Digest(data, n, out->data + out->len, &len, ks_md_evp(md), NULL) != 1)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "digest failed");
	out->len += len;
	return 0;
}

/* DER prefixes of DigestInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }
 * (RFC 8017 9.2, note 1). */
static const uint8_t di_sha256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
				     0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
static const uint8_t di_sha384[] = { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
				     0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30 };
static const uint8_t di_sha512[] = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
				     0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 };

int ks_digestinfo(enum ks_md md, const uint8_t *digest, size_t dlen, struct ks_buf *out)
{
	const uint8_t *prefix;
	size_t plen;

	switch (md) {
	case KS_MD_SHA256:
		prefix = di_sha256;
		plen = sizeof(di_sha256);
		break;
	case KS_MD_SHA384:
		prefix = di_sha384;
		plen = sizeof(di_sha384);
		break;
	case KS_MD_SHA512:
		prefix = di_sha512;
		plen = sizeof(di_sha512);
		break;
	default:
		return KS_SET(KS_ERR_UNSUPPORTED, "no DigestInfo for digest %d", (int)md);
	}
	if (dlen != ks_md_size(md))
		return KS_SET(KS_ERR_ARG, "%s digest must be %zu bytes, got %zu", ks_md_name(md),
			      ks_md_size(md), dlen);
	/* Reserve both parts first so a failure appends nothing. */
	if (ks_buf_reserve(out, plen + dlen) < 0 || ks_buf_append(out, prefix, plen) < 0 ||
	    ks_buf_append(out, digest, dlen) < 0)
		return -1;
	return 0;
}

int ks_ecdsa_raw_to_der(const uint8_t *raw, size_t n, struct ks_buf *out)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	int half, dlen, rc = -1;

	if (n == 0 || n % 2 != 0 || n > 264)
		KS_BAIL(KS_ERR_CRYPTO, "raw ECDSA signature has odd or bad length %zu", n);
	KS_GUARD(ks_size_to_int(n / 2, &half));
	r = BN_bin2bn(raw, half, NULL);
	s = BN_bin2bn(raw + half, half, NULL);
	es = ECDSA_SIG_new();
	if (r == NULL || s == NULL || es == NULL)
		KS_BAIL_OSSL(KS_ERR_NOMEM, "ECDSA signature conversion");
	if (ECDSA_SIG_set0(es, r, s) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "ECDSA_SIG_set0");
	r = s = NULL; /* owned by es */
	dlen = i2d_ECDSA_SIG(es, &der);
	if (dlen <= 0)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "encoding ECDSA signature");
	KS_GUARD(ks_buf_append(out, der, (size_t)dlen));
	rc = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	return rc;
}

static int key_describe(struct ks_key *key)
{
	EVP_PKEY *pub = X509_get0_pubkey(key->cert);

	if (pub == NULL)
		return ks_err_set_ossl(KS_ERR_CERT, __FILE__, __LINE__,
				       "certificate has no usable public key");
	if (EVP_PKEY_is_a(pub, "RSA") || EVP_PKEY_is_a(pub, "RSA-PSS"))
		key->type = KS_KEY_RSA;
	else if (EVP_PKEY_is_a(pub, "EC"))
		key->type = KS_KEY_EC;
	else
		return KS_SET(KS_ERR_UNSUPPORTED, "key type %s is not supported (RSA or EC only)",
			      EVP_PKEY_get0_type_name(pub));
	key->bits = EVP_PKEY_get_bits(pub);
	return 0;
}

int ks_key_new(const struct ks_key_ops *ops, void *impl, X509 *cert, STACK_OF(X509) * chain,
	       const char *label, struct ks_key **out)
{
	struct ks_key *key = NULL;
	unsigned hlen = 0;
	int i, rc = -1;

	*out = NULL;
	key = calloc(1, sizeof(*key));
	if (key == NULL) {
		if (ops->destroy != NULL)
			ops->destroy(impl);
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	key->ops = ops;
	key->impl = impl;
	if (cert == NULL)
		KS_BAIL(KS_ERR_CERT, "a signing key needs its certificate");
	if (X509_up_ref(cert) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "X509_up_ref");
	key->cert = cert;
	key->chain = sk_X509_new_null();
	if (key->chain == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);

		if (X509_up_ref(c) != 1 || sk_X509_push(key->chain, c) <= 0)
			KS_BAIL_OSSL(KS_ERR_NOMEM, "copying certificate chain");
	}
	key->label = strdup(label != NULL ? label : "");
	if (key->label == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(key_describe(key));
	/* every signature names the certificate by this hash: once */
	if (X509_digest(cert, EVP_sha256(), key->cert_sha256, &hlen) != 1 ||
	    hlen != sizeof(key->cert_sha256))
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "hashing the signer certificate");
	*out = key;
	key = NULL;
	rc = 0;
out:
	ks_key_free(key);
	return rc;
}

void ks_key_free(struct ks_key *key)
{
	if (key == NULL)
		return;
	if (key->ops != NULL && key->ops->destroy != NULL)
		key->ops->destroy(key->impl);
	X509_free(key->cert);
	sk_X509_pop_free(key->chain, X509_free);
	free(key->label);
	free(key);
}

enum ks_sig_scheme ks_key_default_scheme(const struct ks_key *key)
{
	return key->type == KS_KEY_EC ? KS_SIG_ECDSA : KS_SIG_RSA_PKCS1;
}

/* Values outside the enums must not reach OpenSSL, whose contexts would
 * fall back to their defaults (PKCS#1 v1.5 padding, no digest). */
static int check_alg(enum ks_sig_scheme scheme, enum ks_md md)
{
	if (scheme != KS_SIG_RSA_PKCS1 && scheme != KS_SIG_RSA_PSS && scheme != KS_SIG_ECDSA)
		return KS_SET(KS_ERR_UNSUPPORTED, "unknown signature scheme %d", (int)scheme);
	if (ks_md_evp(md) == NULL)
		return KS_SET(KS_ERR_UNSUPPORTED, "unknown digest %d", (int)md);
	return 0;
}

int ks_key_sign(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md, const uint8_t *digest,
		size_t dlen, struct ks_buf *sig)
{
	if (check_alg(scheme, md) < 0)
		return -1;
	if (dlen != ks_md_size(md))
		return KS_SET(KS_ERR_ARG, "%s digest must be %zu bytes, got %zu", ks_md_name(md),
			      ks_md_size(md), dlen);
	if ((scheme == KS_SIG_ECDSA) != (key->type == KS_KEY_EC))
		return KS_SET(KS_ERR_UNSUPPORTED, "signature scheme does not match the %s key",
			      key->type == KS_KEY_EC ? "EC" : "RSA");
	return key->ops->sign(key, scheme, md, digest, dlen, sig);
}

/* Set padding and digest on a sign or verify context. */
static int pkey_ctx_setup(EVP_PKEY_CTX *ctx, enum ks_sig_scheme scheme, enum ks_md md)
{
	if (EVP_PKEY_CTX_set_signature_md(ctx, ks_md_evp(md)) <= 0)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "setting digest");
	if (scheme == KS_SIG_RSA_PKCS1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0)
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "setting PKCS#1 padding");
	if (scheme == KS_SIG_RSA_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, ks_md_evp(md)) <= 0))
		return ks_err_set_ossl(KS_ERR_CRYPTO, __FILE__, __LINE__, "setting PSS padding");
	return 0;
}

int ks_key_verify_digest(X509 *cert, enum ks_sig_scheme scheme, enum ks_md md,
			 const uint8_t *digest, size_t dlen, const uint8_t *sig, size_t siglen)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	int rc = -1, v;

	KS_GUARD(check_alg(scheme, md));
	if (pub == NULL)
		KS_BAIL_OSSL(KS_ERR_CERT, "certificate has no usable public key");
	/* An RSA context asked for ECDSA would check PKCS#1 v1.5 (its default
	 * padding) and accept a signature of another scheme. */
	if ((scheme == KS_SIG_ECDSA) != (EVP_PKEY_is_a(pub, "EC") != 0))
		KS_BAIL(KS_ERR_UNSUPPORTED, "signature scheme does not match the certificate key");
	ctx = EVP_PKEY_CTX_new(pub, NULL);
	if (ctx == NULL || EVP_PKEY_verify_init(ctx) <= 0)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "verify init");
	KS_GUARD(pkey_ctx_setup(ctx, scheme, md));
	v = EVP_PKEY_verify(ctx, sig, siglen, digest, dlen);
	if (v != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "signature does not verify");
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* ---- file key ---- */

/* A file key: the private key, and one signing context kept set up for
 * the scheme and digest last used (creating and setting one up is a few
 * percent of an RSA-2048 signature; a batch signs with the same each
 * time).  A context is used by one thread at a time: taken out under the
 * lock, put back after a successful signature. */
struct filekey {
	EVP_PKEY *pk;
	pthread_mutex_t lock;
	EVP_PKEY_CTX *spare;
	enum ks_sig_scheme spare_scheme;
	enum ks_md spare_md;
};

static int filekey_sign(struct ks_key *key, enum ks_sig_scheme scheme, enum ks_md md,
			const uint8_t *digest, size_t dlen, struct ks_buf *sig)
{
	struct filekey *fk = key->impl;
	EVP_PKEY_CTX *ctx = NULL;
	size_t slen = 0;
	int rc = -1;

	pthread_mutex_lock(&fk->lock);
	if (fk->spare != NULL && fk->spare_scheme == scheme && fk->spare_md == md) {
		ctx = fk->spare;
		fk->spare = NULL;
	}
	pthread_mutex_unlock(&fk->lock);
	if (ctx == NULL) {
		ctx = EVP_PKEY_CTX_new(fk->pk, NULL);
		if (ctx == NULL || EVP_PKEY_sign_init(ctx) <= 0)
			KS_BAIL_OSSL(KS_ERR_CRYPTO, "sign init");
		KS_GUARD(pkey_ctx_setup(ctx, scheme, md));
	}
	if (EVP_PKEY_sign(ctx, NULL, &slen, digest, dlen) <= 0)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "sign (size)");
	KS_GUARD(ks_buf_reserve(sig, slen));
	if (EVP_PKEY_sign(ctx, sig->data + sig->len, &slen, digest, dlen) <= 0)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "sign");
	sig->len += slen;
	pthread_mutex_lock(&fk->lock);
	if (fk->spare == NULL) {
		fk->spare = ctx;
		fk->spare_scheme = scheme;
		fk->spare_md = md;
		ctx = NULL;
	}
	pthread_mutex_unlock(&fk->lock);
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static void filekey_destroy(void *impl)
{
	struct filekey *fk = impl;

	if (fk == NULL)
		return;
	EVP_PKEY_CTX_free(fk->spare);
	EVP_PKEY_free(fk->pk); /* EVP_PKEY_free wipes private material */
	pthread_mutex_destroy(&fk->lock);
	free(fk);
}

static const struct ks_key_ops filekey_ops = {
	.kind = "file",
	.sign = filekey_sign,
	.destroy = filekey_destroy,
};

int ks_pem_load_certs(const char *path, STACK_OF(X509) * *out)
{
	struct ks_buf data;
	BIO *bio = NULL;
	STACK_OF(X509) *sk = NULL;
	X509 *x;
	const unsigned char *p;
	int rc = -1;

	*out = NULL;
	ks_buf_init(&data, KS_KEY_FILE_MAX);
	KS_GUARD(file_bio(path, &data, &bio));
	sk = sk_X509_new_null();
	if (sk == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		}
	}
	/* The loop ends on "no start line" at end of file: that is expected. */
	if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
		ERR_clear_error();
	if (ERR_peek_error() != 0)
		KS_BAIL_OSSL(KS_ERR_CERT, "bad certificate in '%s'", path);
	if (sk_X509_num(sk) == 0 && data.len > 0) {
		/* No PEM: one DER certificate (RFC 5280 4.1), the whole file. */
		p = data.data;
		x = d2i_X509(NULL, &p, (long)data.len);
		if (x != NULL && p == data.data + data.len) {
			if (sk_X509_push(sk, x) <= 0) {
				X509_free(x);
				KS_BAIL(KS_ERR_NOMEM, "out of memory");
			}
		} else {
			X509_free(x);
			ERR_clear_error();
		}
	}
	if (sk_X509_num(sk) == 0)
		KS_BAIL(KS_ERR_CERT,
			"no certificate in '%s': expected PEM (-----BEGIN CERTIFICATE-----) or one "
			"DER certificate",
			path);
	*out = sk;
	sk = NULL;
	rc = 0;
out:
	sk_X509_pop_free(sk, X509_free);
	BIO_free(bio);
	ks_buf_cleanup(&data);
	return rc;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static int load_p12(const char *path, const char *pass, EVP_PKEY **pkey, X509 **cert,
		    STACK_OF(X509) * *ca)
{
	struct ks_buf data;
	BIO *bio = NULL;
	PKCS12 *p12 = NULL;
	int rc = -1;

	ks_buf_init_secret(&data, KS_KEY_FILE_MAX);
	KS_GUARD(file_bio(path, &data, &bio));
	p12 = d2i_PKCS12_bio(bio, NULL);
	if (p12 == NULL)
		KS_BAIL_OSSL(KS_ERR_PARSE, "'%s' is not a PKCS#12 file", path);
	if (PKCS12_parse(p12, pass != NULL ? pass : "", pkey, cert, ca) != 1)
		KS_BAIL_OSSL(KS_ERR_PIN, "cannot open PKCS#12 '%s' (wrong password?)", path);
	if (*pkey == NULL || *cert == NULL)
		KS_BAIL(KS_ERR_NOT_FOUND, "PKCS#12 '%s' lacks a key or certificate", path);
	rc = 0;
out:
	PKCS12_free(p12);
	BIO_free(bio);
	ks_buf_cleanup(&data);
	return rc;
}

int ks_filekey_open(const char *key_path, const char *cert_path, const char *chain_path,
		    const char *pass, struct ks_key **out)
{
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *chain = NULL, *extra = NULL, *certs = NULL;
	struct ks_buf data;
	struct ks_cur pem;
	size_t at = 0;
	BIO *bio = NULL;
	int rc = -1;

	*out = NULL;
	/* The private key passes through this buffer: wiped when freed. */
	ks_buf_init_secret(&data, KS_KEY_FILE_MAX);
	if (has_suffix(key_path, ".p12") || has_suffix(key_path, ".pfx")) {
		KS_GUARD(load_p12(key_path, pass, &pkey, &cert, &chain));
	} else {
		KS_GUARD(file_bio(key_path, &data, &bio));
		/* With no password OpenSSL would prompt on the terminal; the
		 * empty one makes an encrypted key fail instead. */
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)(pass != NULL ? pass : ""));
		/* An encrypted key that does not open: the password, like a
		 * wrong PIN (RFC 5958 EncryptedPrivateKeyInfo, or the legacy
		 * RFC 1421 Proc-Type header). */
		ks_cur_from_buf(&pem, &data);
		if (pkey == NULL && (ks_cur_find(&pem, "ENCRYPTED PRIVATE KEY", 21, &at) ||
				     ks_cur_find(&pem, "Proc-Type: 4,ENCRYPTED", 22, &at)))
			KS_BAIL_OSSL(KS_ERR_PIN, "cannot decrypt the key in '%s': %s", key_path,
				     pass != NULL
					 ? "the password given (KYSO_KEY_PASS) does not open it"
					 : "it needs its password in KYSO_KEY_PASS");
		if (pkey == NULL)
			KS_BAIL_OSSL(KS_ERR_PARSE, "'%s' holds no readable private key", key_path);
		if (cert_path == NULL)
			KS_BAIL(KS_ERR_USAGE, "a PEM key needs its certificate (--cert)");
	}
	if (cert_path != NULL) {
		KS_GUARD(ks_pem_load_certs(cert_path, &certs));
		X509_free(cert);
		cert = sk_X509_shift(certs);
		/* Further certificates in the same file are the chain. */
		if (chain == NULL)
			chain = sk_X509_new_null();
		if (chain == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		while (sk_X509_num(certs) > 0) {
			X509 *c = sk_X509_shift(certs);

			if (sk_X509_push(chain, c) <= 0) {
				X509_free(c);
				KS_BAIL(KS_ERR_NOMEM, "out of memory");
			}
		}
	}
	if (chain_path != NULL) {
		KS_GUARD(ks_pem_load_certs(chain_path, &extra));
		if (chain == NULL)
			chain = sk_X509_new_null();
		if (chain == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		while (sk_X509_num(extra) > 0) {
			X509 *c = sk_X509_shift(extra);

			if (sk_X509_push(chain, c) <= 0) {
				X509_free(c);
				KS_BAIL(KS_ERR_NOMEM, "out of memory");
			}
		}
	}
	if (X509_check_private_key(cert, pkey) != 1)
		KS_BAIL_OSSL(KS_ERR_CERT, "certificate does not match the private key in '%s'",
			     key_path);
	{
		struct filekey *owned = calloc(1, sizeof(*owned));

		if (owned == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		pthread_mutex_init(&owned->lock, NULL);
		owned->pk = pkey;
		pkey = NULL; /* ks_key_new owns it from here, even on failure */
		KS_GUARD(ks_key_new(&filekey_ops, owned, cert, chain, key_path, out));
	}
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(extra, X509_free);
	sk_X509_pop_free(certs, X509_free);
	BIO_free(bio);
	ks_buf_cleanup(&data);
	return rc;
}
