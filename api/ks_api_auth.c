/* Client tokens and activations of personal keys (ks_api_auth.h). */
#include "api/ks_api_auth.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ks_codec.h"
#include "ks_cur.h"
#include "ks_key.h"
#include "ks_size.h"

#define SECRET_BYTES 32
#define ID_BYTES (KS_TOKEN_ID_HEX / 2)
#define ACT_SIG_MAX 1024

static void sha256(const void *p, size_t n, uint8_t out[32])
{
	unsigned len = 0;

	if (EVP_Digest(p, n, out, &len, ks_md_evp(KS_MD_SHA256), NULL) != 1 || len != 32)
		memset(out, 0, 32);
}

int ks_base64url_encode(const uint8_t *in, size_t n, struct ks_buf *out)
{
	size_t start = out->len, i;

	if (ks_base64_encode(in, n, out) < 0)
		return -1;
	for (i = start; i < out->len; i++) {
		if (out->data[i] == '+')
			out->data[i] = '-';
		else if (out->data[i] == '/')
			out->data[i] = '_';
	}
	while (out->len > start && out->data[out->len - 1] == '=')
		ks_buf_truncate(out, out->len - 1);
	return 0;
}

int ks_base64url_decode(const char *in, size_t n, struct ks_buf *out)
{
	struct ks_buf std;
	size_t i;
	int rc = -1;

	ks_buf_init(&std, n + 4);
	if (n % 4 == 1)
		KS_BAIL(KS_ERR_ENCODING, "base64url of impossible length");
	for (i = 0; i < n; i++) {
		char c = in[i];

		if (c == '+' || c == '/' || c == '=')
			KS_BAIL(KS_ERR_ENCODING, "not base64url");
		KS_GUARD(ks_buf_append_byte(&std, (uint8_t)(c == '-' ? '+' : c == '_' ? '/' : c)));
	}
	while (std.len % 4 != 0)
		KS_GUARD(ks_buf_append_byte(&std, '='));
	KS_GUARD(ks_base64_decode((const char *)std.data, std.len, false, out));
	rc = 0;
out:
	ks_buf_cleanup(&std);
	return rc;
}

/* ---- client tokens ---- */

int ks_api_token_new(struct ks_buf *token, char id[KS_STORE_ID_MAX],
		     uint8_t hash[KS_STORE_HASH_LEN])
{
	uint8_t secret[SECRET_BYTES], idb[ID_BYTES];
	struct ks_buf hex;
	int rc = -1;

	ks_buf_init(&hex, 2 * ID_BYTES + 1);
	if (RAND_priv_bytes(secret, sizeof(secret)) != 1 || RAND_bytes(idb, sizeof(idb)) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "random token");
	KS_GUARD(ks_hex_encode(idb, sizeof(idb), &hex));
	memcpy(id, hex.data, hex.len);
	id[hex.len] = '\0';
	ks_buf_reset(token);
	KS_GUARD(ks_buf_printf(token, KS_TOKEN_PREFIX "%s_", id));
	KS_GUARD(ks_base64url_encode(secret, sizeof(secret), token));
	sha256(token->data, token->len, hash);
	rc = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	ks_buf_cleanup(&hex);
	return rc;
}

static bool b64url_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int ks_api_token_parse(const char *authorization, char id[KS_STORE_ID_MAX],
		       uint8_t hash[KS_STORE_HASH_LEN])
{
	const char *t;
	size_t i;

	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
		return KS_SET(KS_ERR_PARSE, "no bearer token");
	t = authorization + 7;
	while (*t == ' ')
		t++;
	if (strlen(t) != KS_TOKEN_LEN || strncmp(t, KS_TOKEN_PREFIX, 5) != 0 ||
	    t[5 + KS_TOKEN_ID_HEX] != '_')
		return KS_SET(KS_ERR_PARSE, "not a kyso client token");
	for (i = 0; i < KS_TOKEN_ID_HEX; i++) {
		char c = t[5 + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return KS_SET(KS_ERR_PARSE, "not a kyso client token");
	}
	for (i = 6 + KS_TOKEN_ID_HEX; i < KS_TOKEN_LEN; i++)
		if (!b64url_char(t[i]))
			return KS_SET(KS_ERR_PARSE, "not a kyso client token");
	memcpy(id, t + 5, KS_TOKEN_ID_HEX);
	id[KS_TOKEN_ID_HEX] = '\0';
	sha256(t, KS_TOKEN_LEN, hash);
	return 0;
}

bool ks_api_token_matches(const struct ks_store_client *c, const uint8_t hash[KS_STORE_HASH_LEN])
{
	return CRYPTO_memcmp(c->secret_hash, hash, KS_STORE_HASH_LEN) == 0;
}

/* ---- activations ---- */

void ks_activation_init(struct ks_activation *a)
{
	memset(a, 0, sizeof(*a));
}

void ks_activation_cleanup(struct ks_activation *a)
{
	free(a->digests);
	memset(a, 0, sizeof(*a));
}

static int sign_payload(EVP_PKEY *holder, const struct ks_buf *payload, struct ks_buf *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t len = 0;
	int rc = -1;

	if (ctx == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (EVP_DigestSignInit(ctx, NULL, ks_md_evp(KS_MD_SHA256), NULL, holder) != 1 ||
	    EVP_DigestSign(ctx, NULL, &len, payload->data, payload->len) != 1 || len > ACT_SIG_MAX)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "signing the activation");
	KS_GUARD(ks_buf_reserve(sig, len));
	if (EVP_DigestSign(ctx, sig->data + sig->len, &len, payload->data, payload->len) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "signing the activation");
	sig->len += len;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* Sign the payload object o (nonce, exp, key and v added here) into out. */
static int make_signed(EVP_PKEY *holder, json_t *o, const char *key, unsigned ttl,
		       struct ks_buf *out)
{
	struct ks_buf hex, payload, sig;
	uint8_t nonce[KS_ACT_NONCE_HEX / 2];
	char *dump = NULL;
	int rc = -1;

	ks_buf_init(&hex, KS_ACT_NONCE_HEX + 1);
	ks_buf_init(&payload, KS_ACT_MAX);
	ks_buf_init(&sig, ACT_SIG_MAX);
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "random nonce");
	KS_GUARD(ks_hex_encode(nonce, sizeof(nonce), &hex));
	if (json_object_set_new(o, "exp", json_integer((json_int_t)time(NULL) + ttl)) != 0 ||
	    json_object_set_new(o, "key", json_string(key)) != 0 ||
	    json_object_set_new(o, "nonce", json_stringn((const char *)hex.data, hex.len)) != 0 ||
	    json_object_set_new(o, "v", json_integer(1)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	dump = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (dump == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(ks_buf_append_str(&payload, dump));
	KS_GUARD(sign_payload(holder, &payload, &sig));
	KS_GUARD(ks_buf_append_str(out, KS_ACT_PREFIX));
	KS_GUARD(ks_base64url_encode(payload.data, payload.len, out));
	KS_GUARD(ks_buf_append_byte(out, '.'));
	KS_GUARD(ks_base64url_encode(sig.data, sig.len, out));
	rc = 0;
out:
	free(dump);
	ks_buf_cleanup(&hex);
	ks_buf_cleanup(&payload);
	ks_buf_cleanup(&sig);
	return rc;
}

int ks_activation_make_session(EVP_PKEY *holder, const char *key, unsigned uses, unsigned ttl,
			       struct ks_buf *out)
{
	json_t *o = json_object();
	int rc = -1;

	if (o == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (!ks_store_name_ok(key) || uses == 0 || uses > KS_ACT_USES_MAX || ttl == 0)
		KS_BAIL(KS_ERR_ARG, "a session activation names a key, 1 to %d uses and a lifetime",
			KS_ACT_USES_MAX);
	if (json_object_set_new(o, "uses", json_integer((json_int_t)uses)) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(make_signed(holder, o, key, ttl, out));
	rc = 0;
out:
	json_decref(o);
	return rc;
}

int ks_activation_make(EVP_PKEY *holder, const char *key, const uint8_t (*digests)[32], size_t n,
		       unsigned ttl, struct ks_buf *out)
{
	json_t *o = json_object(), *arr = json_array();
	struct ks_buf hex;
	size_t i;
	int rc = -1;

	ks_buf_init(&hex, 2 * 32 + 1);
	if (o == NULL || arr == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (!ks_store_name_ok(key) || n == 0 || n > KS_ACT_DIGESTS_MAX || ttl == 0)
		KS_BAIL(KS_ERR_ARG, "an activation names a key, 1 to %d digests and a lifetime",
			KS_ACT_DIGESTS_MAX);
	for (i = 0; i < n; i++) {
		ks_buf_reset(&hex);
		KS_GUARD(ks_hex_encode(digests[i], 32, &hex));
		if (json_array_append_new(arr, json_stringn((const char *)hex.data, hex.len)) != 0)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
	}
	if (json_object_set(o, "digests", arr) != 0)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	KS_GUARD(make_signed(holder, o, key, ttl, out));
	rc = 0;
out:
	json_decref(arr);
	json_decref(o);
	ks_buf_cleanup(&hex);
	return rc;
}

static int check_signature(EVP_PKEY *pub, const struct ks_buf *payload, const struct ks_buf *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r, rc = -1;

	if (ctx == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	if (EVP_DigestVerifyInit(ctx, NULL, ks_md_evp(KS_MD_SHA256), NULL, pub) != 1)
		KS_BAIL_OSSL(KS_ERR_CRYPTO, "activation check");
	r = EVP_DigestVerify(ctx, sig->data, sig->len, payload->data, payload->len);
	ERR_clear_error();
	if (r != 1)
		KS_BAIL(KS_ERR_VERIFY, "the activation is not signed by the key holder");
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int read_payload(const struct ks_buf *payload, struct ks_activation *a)
{
	json_error_t e;
	json_t *o = NULL, *v, *arr;
	struct ks_buf d;
	size_t i, n;
	int rc = -1;

	ks_buf_init(&d, 32);
	o = json_loadb((const char *)payload->data, payload->len, JSON_REJECT_DUPLICATES, &e);
	if (!json_is_object(o))
		KS_BAIL(KS_ERR_PARSE, "the activation's payload is not a JSON object");
	v = json_object_get(o, "v");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		KS_BAIL(KS_ERR_PARSE, "unknown activation version");
	v = json_object_get(o, "key");
	if (!json_is_string(v) || !ks_store_name_ok(json_string_value(v)) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		KS_BAIL(KS_ERR_PARSE, "the activation names no valid key");
	memcpy(a->key, json_string_value(v), json_string_length(v) + 1);
	v = json_object_get(o, "exp");
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		KS_BAIL(KS_ERR_PARSE, "the activation has no expiry");
	a->exp = (int64_t)json_integer_value(v);
	v = json_object_get(o, "nonce");
	if (!json_is_string(v) || json_string_length(v) != KS_ACT_NONCE_HEX)
		KS_BAIL(KS_ERR_PARSE, "the activation has no nonce");
	for (i = 0; i < KS_ACT_NONCE_HEX; i++) {
		char c = json_string_value(v)[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			KS_BAIL(KS_ERR_PARSE, "the activation's nonce is not hex");
	}
	memcpy(a->nonce, json_string_value(v), KS_ACT_NONCE_HEX + 1);
	arr = json_object_get(o, "digests");
	v = json_object_get(o, "uses");
	if (arr != NULL && v != NULL)
		KS_BAIL(KS_ERR_PARSE, "an activation lists digests or allows uses, not both");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > KS_ACT_USES_MAX)
			KS_BAIL(KS_ERR_PARSE, "a session activation allows 1 to %d uses",
				KS_ACT_USES_MAX);
		a->uses = (unsigned)json_integer_value(v);
		rc = 0;
		goto out;
	}
	n = json_array_size(arr);
	if (!json_is_array(arr) || n == 0 || n > KS_ACT_DIGESTS_MAX)
		KS_BAIL(KS_ERR_PARSE, "the activation lists 1 to %d document digests",
			KS_ACT_DIGESTS_MAX);
	a->digests = calloc(n, sizeof(*a->digests));
	if (a->digests == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		v = json_array_get(arr, i);
		ks_buf_reset(&d);
		if (!json_is_string(v) || json_string_length(v) != 64 ||
		    ks_hex_decode(json_string_value(v), 64, false, &d) < 0 || d.len != 32)
			KS_BAIL(KS_ERR_PARSE, "digest %zu of the activation is not SHA-256 hex", i);
		memcpy(a->digests[i], d.data, 32);
	}
	a->n_digests = n;
	rc = 0;
out:
	json_decref(o);
	ks_buf_cleanup(&d);
	return rc;
}

int ks_activation_parse(const char *text, size_t n, EVP_PKEY *pub, struct ks_activation *a)
{
	struct ks_buf payload, sig;
	const char *dot;
	size_t pl, plen = strlen(KS_ACT_PREFIX);
	int rc = -1;

	ks_activation_cleanup(a);
	ks_buf_init(&payload, KS_ACT_MAX);
	ks_buf_init(&sig, ACT_SIG_MAX);
	if (n > KS_ACT_MAX || n < plen || memcmp(text, KS_ACT_PREFIX, plen) != 0)
		KS_BAIL(KS_ERR_PARSE, "not a kyso activation");
	dot = memchr(text + plen, '.', n - plen);
	if (dot == NULL)
		KS_BAIL(KS_ERR_PARSE, "an activation is PAYLOAD.SIGNATURE");
	pl = (size_t)(dot - (text + plen));
	if (ks_base64url_decode(text + plen, pl, &payload) < 0 ||
	    ks_base64url_decode(dot + 1, n - plen - pl - 1, &sig) < 0)
		KS_BAIL(KS_ERR_PARSE, "an activation is base64url");
	KS_GUARD(check_signature(pub, &payload, &sig));
	KS_GUARD(read_payload(&payload, a));
	rc = 0;
out:
	ks_buf_cleanup(&payload);
	ks_buf_cleanup(&sig);
	if (rc < 0)
		ks_activation_cleanup(a);
	return rc;
}

int ks_activation_allows(const struct ks_activation *a, const char *key,
			 const uint8_t (*digests)[32], size_t n, int64_t now, unsigned max_ttl)
{
	size_t i, j;

	if (a->uses > 0)
		return KS_SET(KS_ERR_VERIFY, "a session activation lists no documents");
	if (strcmp(a->key, key) != 0)
		return KS_SET(KS_ERR_VERIFY, "the activation is for another key");
	if (a->exp <= now)
		return KS_SET(KS_ERR_VERIFY, "the activation has expired");
	if (a->exp - now > (int64_t)max_ttl)
		return KS_SET(KS_ERR_VERIFY, "the activation lives longer than %u seconds",
			      max_ttl);
	for (i = 0; i < n; i++) {
		bool found = false;

		for (j = 0; j < a->n_digests && !found; j++)
			found = CRYPTO_memcmp(a->digests[j], digests[i], 32) == 0;
		if (!found)
			return KS_SET(KS_ERR_VERIFY, "the activation does not list document %zu",
				      i + 1);
	}
	return 0;
}

int ks_activation_allows_session(const struct ks_activation *a, const char *key, int64_t now,
				 unsigned max_ttl, unsigned max_uses)
{
	if (a->uses == 0)
		return KS_SET(KS_ERR_VERIFY, "not a session activation");
	if (strcmp(a->key, key) != 0)
		return KS_SET(KS_ERR_VERIFY, "the activation is for another key");
	if (a->exp <= now)
		return KS_SET(KS_ERR_VERIFY, "the session activation has expired");
	if (a->exp - now > (int64_t)max_ttl)
		return KS_SET(KS_ERR_VERIFY, "the session activation lives longer than %u seconds",
			      max_ttl);
	if (a->uses > max_uses)
		return KS_SET(KS_ERR_VERIFY,
			      "the session activation allows more than %u signatures", max_uses);
	return 0;
}
