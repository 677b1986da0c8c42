/* ks_p11: PKCS#11 tokens and HSMs through p11-kit.
 *
 * Modules come from p11-kit's registry and, when configured, from an
 * explicit path (URI query module-path, or env KYSO_PKCS11_MODULE).
 * Tokens and objects are named by RFC 7512 URIs.  A token key is a
 * struct ks_key (ops->kind "token") backed by a per-token session pool:
 * login once per token, several sessions where the token allows it, one
 * at a time where it does not.  A removed token fails the request in
 * flight with KS_ERR_TOKEN and is found again by the next one.
 *
 * Only this module calls C_* functions (DESIGN.md, layers).  CK_* types
 * stay out of this header. */
#ifndef KS_P11_H
#define KS_P11_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ks_buf.h"
#include "ks_err.h"
#include "ks_key.h"

/* ---- RFC 7512 URIs ------------------------------------------------- */

/* Limits on URI input (hostile text from the command line or an API
 * request).  Attribute values are at most the longest PKCS#11 field they
 * are compared with, with room for UTF-8 labels, ids and paths. */
#define KS_P11_URI_MAX 4096       /* whole URI, bytes */
#define KS_P11_URI_VALUE_MAX 1024 /* one decoded attribute value, bytes */
#define KS_P11_URI_ATTRS_MAX 32   /* path + query attributes */

enum ks_p11_objtype {
	KS_P11_OBJ_ANY = 0, /* no type= in the URI */
	KS_P11_OBJ_PRIVATE,
	KS_P11_OBJ_PUBLIC,
	KS_P11_OBJ_CERT,
	KS_P11_OBJ_SECRET,
	KS_P11_OBJ_DATA,
};

/* A parsed URI.  String members are decoded, NUL-terminated UTF-8 (a
 * %00 in a string attribute is refused) and NULL when absent.  The id is
 * raw bytes (has_id tells absent from empty).  pin_value is a secret
 * buffer.  Caller-owned: ks_p11_uri_init() / ks_p11_uri_cleanup(). */
struct ks_p11_uri {
	/* path: token (CK_TOKEN_INFO) */
	char *token, *manufacturer, *serial, *model;
	/* path: library (CK_INFO) */
	char *library_manufacturer, *library_description, *library_version;
	/* path: slot (CK_SLOT_INFO) */
	char *slot_description, *slot_manufacturer;
	bool has_slot_id;
	unsigned long slot_id;
	/* path: object */
	char *object;
	bool has_id;
	struct ks_buf id;
	enum ks_p11_objtype type;
	/* RFC 7512 2.3: a path attribute we do not know makes the URI match
	 * nothing (it is parsed, not refused). */
	bool has_unknown;
	/* query */
	char *pin_source;
	bool has_pin_value;
	struct ks_buf pin_value; /* secret */
	char *module_name, *module_path;
};

void ks_p11_uri_init(struct ks_p11_uri *u);
void ks_p11_uri_cleanup(struct ks_p11_uri *u);
/* Strict parse of `text` (NUL-terminated).  KS_ERR_PARSE for a bad
 * scheme, escape, duplicate path attribute, empty attribute name, bad
 * library-version or type; KS_ERR_LIMIT for limits above.  On failure `u`
 * is left clean (nothing to free beyond ks_p11_uri_cleanup). */
KS_WUR int ks_p11_uri_parse(const char *text, struct ks_p11_uri *u);
/* Same over a length-delimited buffer (fuzzing, API bodies). */
KS_WUR int ks_p11_uri_parse_mem(const uint8_t *text, size_t n, struct ks_p11_uri *u);
/* Render a URI naming one object (token/manufacturer/serial/model,
 * object, id, type), pct-encoding everything outside the RFC 7512
 * unreserved set.  Appended to out. */
KS_WUR int ks_p11_uri_format(const char *token, const char *manufacturer, const char *serial,
			     const char *model, const char *object, const uint8_t *id, size_t idlen,
			     enum ks_p11_objtype type, struct ks_buf *out);

/* What a URI is compared with: a token's identity (blank-padded PKCS#11
 * fields already trimmed) and, for objects, label/id/type. */
struct ks_p11_token_info {
	char label[33], manufacturer[33], model[17], serial[17];
	char slot_description[65], slot_manufacturer[33];
	char library_manufacturer[33], library_description[33];
	unsigned library_major, library_minor;
	unsigned long slot_id;
	unsigned long flags;        /* CKF_* token flags */
	unsigned long max_sessions; /* ulMaxSessionCount (0 = unknown/none) */
	bool serial_access;         /* sessions are serialised for this token */
	char module[256];           /* module file name, for messages */
};

/* Does the URI's token/slot/library part match? */
bool ks_p11_uri_match_token(const struct ks_p11_uri *u, const struct ks_p11_token_info *t);
/* Does the URI's object part (object, id, type) match this object? */
bool ks_p11_uri_match_object(const struct ks_p11_uri *u, const char *label, const uint8_t *id,
			     size_t idlen, enum ks_p11_objtype type);

/* ---- module and token state ----------------------------------------- */

/* Process-wide initialisation: loads the registered modules (and
 * KYSO_PKCS11_MODULE when set).  Idempotent and thread-safe; every call
 * after the first that succeeded returns 0 at once. */
KS_WUR int ks_p11_init(void);
/* Close sessions, finalise modules, free state.  Keys opened before are
 * unusable afterwards (their sign fails with KS_ERR_TOKEN); free them. */
void ks_p11_shutdown(void);

/* Upper bound of sessions per token (default 8, further limited by the
 * token's ulMaxSessionCount).  1 serialises every token.  Env
 * KYSO_P11_MAX_SESSIONS gives the same setting at init. */
KS_WUR int ks_p11_set_max_sessions(unsigned n);

/* Whether a URI's module-path may load a library (default yes).  Loading
 * a path runs its code: the daemon turns this off so that a URI from a
 * request can only pick among configured modules. */
void ks_p11_set_module_path_allowed(bool allowed);

/* C_Login calls made by this process so far (a wrong PIN must cost
 * exactly one). */
unsigned long ks_p11_login_attempts(void);

/* Tokens present in all modules (or the module the URI names), filtered
 * by `uri` when not NULL.  *out is a new array of *n entries; free() it. */
KS_WUR int ks_p11_list_tokens(const char *uri, struct ks_p11_token_info **out, size_t *n);

/* ---- keys ----------------------------------------------------------- */

/* One private key found on a token.  Listing does not log in: keys that
 * are only visible after login (CKA_PRIVATE public keys are rare;
 * private keys are usually listed as public objects) may be missing. */
struct ks_p11_key_info {
	char *uri;   /* owned; RFC 7512 URI naming exactly this key */
	char *label; /* owned; CKA_LABEL (may be "") */
	struct ks_buf id;
	enum ks_key_type type;
	int bits;   /* from the certificate or the public key; 0 unknown */
	X509 *cert; /* owned; NULL when no certificate was found */
	/* The private key itself was not visible (token not logged in): the
	 * entry comes from its public key or certificate object. */
	bool inferred;
	struct ks_p11_token_info token;
};

/* Private keys matching `uri` (NULL: all).  No login is done unless the
 * URI carries a PIN (pin-value or pin-source).  *out is a new array;
 * free with ks_p11_key_info_free(). */
KS_WUR int ks_p11_list_keys(const char *uri, struct ks_p11_key_info **out, size_t *n);
void ks_p11_key_info_free(struct ks_p11_key_info *v, size_t n);

/* Open the private key named by an RFC 7512 URI, log in once per token
 * (PIN from pin-value, pin-source=file:..., env KYSO_PIN, or a no-echo
 * prompt on /dev/tty), find its certificate (by CKA_ID, then by public
 * key) and chain (CA certs on the token and/or `chain_pem` when not
 * NULL), and return it as a ks_key (ops->kind = "token").  Ambiguous
 * (KS_ERR_AMBIGUOUS, the candidates are listed in the message) or no
 * match (KS_ERR_NOT_FOUND): refused.  Wrong PIN: KS_ERR_PIN, tried once. */
KS_WUR int ks_p11_key_open(const char *uri, const char *chain_pem, struct ks_key **out);

/* The same, with the PIN given by the caller (a secret buffer; the
 * signing agent takes it on its own prompt).  `pin` NULL: the reader's
 * PIN pad when the token has one, otherwise as ks_p11_key_open.  A token
 * logged in already (another key on it, or a login kept by the caller)
 * is not asked again.  The PIN is tried once. */
KS_WUR int ks_p11_key_open_pin(const char *uri, const char *chain_pem, const struct ks_buf *pin,
			       struct ks_key **out);
/* End the login of the token behind a token key: C_Logout, its sessions
 * closed, the PIN kept for recoveries wiped.  The key stays allocated but
 * signs only after it is opened again with a PIN.  Not logged in: 0. */
KS_WUR int ks_p11_key_logout(struct ks_key *key);
/* Does the token authenticate through its reader's PIN pad
 * (CKF_PROTECTED_AUTHENTICATION_PATH)? */
bool ks_p11_token_pinpad(const struct ks_p11_token_info *t);

/* Statistics of the token behind a token key (tests and metrics). */
struct ks_p11_key_stats {
	unsigned sessions_open;   /* sessions in the pool now */
	unsigned sessions_max;    /* pool limit for this token */
	unsigned long logins;     /* successful C_Login calls for this token */
	unsigned long recoveries; /* times the token state was dropped */
	unsigned long slot_id;
};
KS_WUR int ks_p11_key_stats(const struct ks_key *key, struct ks_p11_key_stats *st);
/* Keep the token behind a token key in use: its idle sessions are
 * touched (a token that closes idle sessions keeps them; a lost one is
 * noticed and found again), or one session is opened.  KS_ERR_TOKEN
 * when the token is not reachable.  A daemon calls it periodically and
 * for its health check. */
KS_WUR int ks_p11_key_ping(const struct ks_key *key);

#endif
