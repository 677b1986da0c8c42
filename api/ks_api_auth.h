/* ks_api_auth: who may call the service (docs/api.md, "Clients and
 * activation").
 *
 * Client tokens.  `kyso client add` makes a token
 *     kyso_<id>_<secret>
 * (id: 16 hex digits, public, names the client in the store; secret: 32
 * random bytes in base64url) and prints it once; the store keeps only
 * SHA-256 of the whole token, compared in constant time.  Requests carry
 * it as `Authorization: Bearer <token>`.
 *
 * Activations.  A personal key (a principal's, a teacher's) signs only
 * with the holder's activation for the very documents of the request:
 *     kyso-act1.<base64url(payload)>.<base64url(signature)>
 * payload = {"digests":[HEX...],"exp":UNIX,"key":NAME,"nonce":HEX,"v":1}
 * signed (SHA-256; ECDSA or RSA) with the holder's activation key, whose
 * public key the service is configured with; the platform never holds
 * the private key, so it cannot sign as the holder alone.  The service
 * accepts an activation for that key, before `exp` (which may not lie
 * further ahead than the configured maximum), listing every document
 * digest of the request, once (its nonce is recorded).
 *
 * Session activations.  For a key configured to accept them, the holder
 * may instead sign a payload without digests that allows up to `uses`
 * signatures until `exp`:
 *     payload = {"exp":UNIX,"key":NAME,"nonce":HEX,"uses":N,"v":1}
 * The service counts its uses in the store under the nonce and names the
 * session (its nonce) in the audit row of every signature made with it. */
#ifndef KS_API_AUTH_H
#define KS_API_AUTH_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/ks_store.h"
#include "ks_buf.h"
#include "ks_err.h"

#define KS_TOKEN_PREFIX "kyso_"
#define KS_TOKEN_ID_HEX 16
#define KS_TOKEN_SECRET_B64 43 /* 32 bytes, base64url without padding */
#define KS_TOKEN_LEN (5 + KS_TOKEN_ID_HEX + 1 + KS_TOKEN_SECRET_B64)

#define KS_ACT_PREFIX "kyso-act1."
#define KS_ACT_MAX ((size_t)96 << 10) /* bytes of an activation */
#define KS_ACT_DIGESTS_MAX 1000       /* documents one activation covers */
#define KS_ACT_NONCE_HEX 32
#define KS_ACT_USES_MAX 100000 /* signatures one session activation allows */

/* A new client token: *token (secret buffer) gets the text, id the
 * public part, hash what the store keeps. */
KS_WUR int ks_api_token_new(struct ks_buf *token, char id[KS_STORE_ID_MAX],
			    uint8_t hash[KS_STORE_HASH_LEN]);
/* The token of an Authorization header value ("Bearer kyso_..."): its
 * id, and the hash of the whole token.  KS_ERR_PARSE for anything else. */
KS_WUR int ks_api_token_parse(const char *authorization, char id[KS_STORE_ID_MAX],
			      uint8_t hash[KS_STORE_HASH_LEN]);
/* Does the hash match the client's (constant time)? */
bool ks_api_token_matches(const struct ks_store_client *c, const uint8_t hash[KS_STORE_HASH_LEN]);

/* base64url without padding (RFC 4648 5). */
KS_WUR int ks_base64url_encode(const uint8_t *in, size_t n, struct ks_buf *out);
KS_WUR int ks_base64url_decode(const char *in, size_t n, struct ks_buf *out);

struct ks_activation {
	char key[KS_STORE_NAME_MAX];
	int64_t exp;
	char nonce[KS_ACT_NONCE_HEX + 1];
	size_t n_digests;
	uint8_t (*digests)[32]; /* owned */
	unsigned uses;          /* a session activation: signatures allowed; 0: digests */
};
void ks_activation_init(struct ks_activation *a);
void ks_activation_cleanup(struct ks_activation *a);

/* Make an activation for `key` over `n` SHA-256 document digests,
 * valid for ttl seconds, signed with the holder's private key. */
KS_WUR int ks_activation_make(EVP_PKEY *holder, const char *key, const uint8_t (*digests)[32],
			      size_t n, unsigned ttl, struct ks_buf *out);
/* Make a session activation for `key`: `uses` signatures within ttl
 * seconds. */
KS_WUR int ks_activation_make_session(EVP_PKEY *holder, const char *key, unsigned uses,
				      unsigned ttl, struct ks_buf *out);
/* Parse an activation and check its signature with `pub` (nothing
 * else): KS_ERR_PARSE when malformed, KS_ERR_VERIFY when the signature
 * does not hold. */
KS_WUR int ks_activation_parse(const char *text, size_t n, EVP_PKEY *pub, struct ks_activation *a);
/* Does it allow signing `digests` with `key` at `now`?  KS_ERR_VERIFY
 * saying why not (another key, expired, too long-lived, a document not
 * listed, a session activation).  The nonce is the caller's to record. */
KS_WUR int ks_activation_allows(const struct ks_activation *a, const char *key,
				const uint8_t (*digests)[32], size_t n, int64_t now,
				unsigned max_ttl);
/* Does the session activation allow signing with `key` at `now`, living
 * at most max_ttl seconds and allowing at most max_uses signatures?
 * KS_ERR_VERIFY saying why not.  Counting the uses is the caller's. */
KS_WUR int ks_activation_allows_session(const struct ks_activation *a, const char *key, int64_t now,
					unsigned max_ttl, unsigned max_uses);

#endif
