/* Internal to pkcs11/: module and token state, the session pool, PIN
 * sources.  The only header that brings in the PKCS#11 C API. */
#ifndef KS_P11_INT_H
#define KS_P11_INT_H

#include <pthread.h>
#include <stddef.h>

/* GNU names (ck_rv_t, struct ck_attribute { type, value, value_len })
 * instead of the compatibility macros, which redefine common words such
 * as `value` and `count` for every file that includes the header. */
#define CRYPTOKI_GNU 1
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

#include "ks_p11.h"

#define KS_P11_POOL_MAX 64         /* sessions per token, absolute ceiling */
#define KS_P11_POOL_DEFAULT 8      /* default per-token session limit */
#define KS_P11_SLOTS_MAX 256       /* slots per module */
#define KS_P11_OBJECTS_MAX 4096    /* objects looked at per search */
#define KS_P11_ATTR_MAX (64 << 10) /* one attribute value (certificates) */
#define KS_P11_PIN_MAX 256         /* bytes of PIN */
#define KS_P11_CHAIN_MAX 10        /* certificates added to a chain */
/* Transient failures while opening a key are tried again: first after
 * about KS_P11_RETRY_FIRST_MS, doubling up to KS_P11_RETRY_MAX_MS (each
 * jittered 50-150%), while the whole stays within KS_P11_RETRY_BUDGET_MS. */
#define KS_P11_RETRY_FIRST_MS 25
#define KS_P11_RETRY_MAX_MS 400
#define KS_P11_RETRY_BUDGET_MS 2000

struct ks_p11_module {
	CK_FUNCTION_LIST *fl;
	char *name;          /* registry name, or the file name */
	char *path;          /* file name as p11-kit reports it (may be NULL) */
	bool owned;          /* loaded by path: finalise and release it ourselves */
	struct ck_info info; /* C_GetInfo */
	struct ks_p11_module *next;
};

/* State of one token (module + token identity), shared by every key on
 * it.  The slot may change when the token is re-inserted: it is found
 * again by identity. */
struct ks_p11_token {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned refs;                 /* keys holding it, +1 while listed in the global state */
	bool dead;                     /* ks_p11_shutdown() ran: nothing works any more */
	bool present;                  /* info.slot_id is valid */
	unsigned long generation;      /* bumped when sessions and login are dropped */
	unsigned long gone_generation; /* sessions up to this one were closed by the token */
	struct ks_p11_module *mod;
	struct ks_p11_token_info info;
	/* pool */
	ck_session_handle_t idle[KS_P11_POOL_MAX];
	unsigned n_idle, n_open, max;
	/* login */
	bool logged_in;
	struct ks_buf pin; /* secret; kept to log in again after recovery */
	bool have_pin;
	/* Logged in once through the reader's PIN pad: log in the same way
	 * after a recovery. */
	bool pinpad;
	/* mechanisms (cached per generation) */
	bool mech_known;
	bool mech_rsa_pkcs, mech_rsa_pss, mech_ecdsa;
	/* statistics */
	unsigned long logins, recoveries;
	struct ks_p11_token *next;
};

/* One pooled session on loan to a thread. */
struct ks_p11_lease {
	struct ks_p11_token *tok;
	ck_session_handle_t session;
	unsigned long generation;
	CK_FUNCTION_LIST *fl;
};

/* Module list and token registry (ks_p11_module.c).  Callers hold no
 * lock; these take the global lock themselves. */
struct ks_p11_module *ks_p11_modules_locked(void);
void ks_p11_global_lock(void);
void ks_p11_global_unlock(void);
/* Load the module a URI names by module-path (if not loaded yet); set
 * *only to the module to search, or NULL for all. */
KS_WUR int ks_p11_module_for_uri(const struct ks_p11_uri *u, struct ks_p11_module **only);
/* Tokens present (in the module the URI names, or all) matching u
 * (NULL: all); both arrays malloc'd, same length. */
KS_WUR int ks_p11_tokens_matching(const struct ks_p11_uri *u, struct ks_p11_token_info **infos,
				  struct ks_p11_module ***mods, size_t *n);
/* Find the token's slot again by identity (token lock held). */
KS_WUR int ks_p11_token_refind(struct ks_p11_token *tok);
/* Fill `t` from the slot of module m; present=false when no token. */
KS_WUR int ks_p11_token_info_read(struct ks_p11_module *m, ck_slot_id_t slot,
				  struct ks_p11_token_info *t, bool *present);
/* Find or create the state of the token (module + identity). */
KS_WUR int ks_p11_token_get(struct ks_p11_module *m, const struct ks_p11_token_info *t,
			    struct ks_p11_token **out);
void ks_p11_token_put(struct ks_p11_token *tok);

/* Session pool (ks_p11_pool.c). */
/* Borrow a session, re-finding the token and logging in again (with the
 * PIN kept) when it was lost.  need_login: fail when not logged in and no
 * PIN is known instead of returning an unauthenticated session. */
KS_WUR int ks_p11_session_get(struct ks_p11_token *tok, struct ks_p11_lease *l);
/* Return it.  broken: close it (an operation may be left active). */
void ks_p11_session_put(struct ks_p11_lease *l, bool broken);
/* A return value that means the token, session or login is gone: drop
 * everything so the next request starts again. */
bool ks_p11_rv_lost(ck_rv_t rv);
void ks_p11_token_invalidate(struct ks_p11_token *tok, unsigned long generation, ck_rv_t why);
/* Touch the token's idle sessions (C_GetSessionInfo), or borrow one when
 * none is idle: keeps them alive and notices a lost token. */
KS_WUR int ks_p11_token_ping(struct ks_p11_token *tok);
/* Log in once (the PIN is tried exactly once); on success the PIN is
 * kept by the token state (moved from `pin`).  Already logged in: 0. */
KS_WUR int ks_p11_token_login(struct ks_p11_lease *l, struct ks_buf *pin);
bool ks_p11_token_logged_in(struct ks_p11_token *tok);
/* C_Logout, idle sessions closed, the kept PIN wiped (a new generation:
 * the next lease neither logs in again nor reuses a key handle). */
KS_WUR int ks_p11_token_logout(struct ks_p11_token *tok);
/* Context-specific login for CKA_ALWAYS_AUTHENTICATE keys. */
KS_WUR int ks_p11_context_login(struct ks_p11_lease *l);
KS_WUR int ks_p11_mechanisms(struct ks_p11_lease *l);

/* PIN (ks_p11_pin.c): from the URI (pin-value, pin-source), env
 * KYSO_PIN, or, when `prompt`, /dev/tty without echo.  Returns 1 when no
 * PIN is available (and not prompting), 0 with *pin set, -1 on error. */
KS_WUR int ks_p11_pin_obtain(const struct ks_p11_uri *u, const struct ks_p11_token_info *t,
			     bool prompt, struct ks_buf *pin);

/* Object helpers (ks_p11_obj.c). */
/* Read one attribute into out (allocated, max KS_P11_ATTR_MAX);
 * CKR_ATTRIBUTE_TYPE_INVALID / SENSITIVE leave out empty and return 1. */
KS_WUR int ks_p11_attr(struct ks_p11_lease *l, ck_object_handle_t obj, ck_attribute_type_t type,
		       struct ks_buf *out);
KS_WUR int ks_p11_attr_ulong(struct ks_p11_lease *l, ck_object_handle_t obj,
			     ck_attribute_type_t type, unsigned long *v);
KS_WUR int ks_p11_attr_bool(struct ks_p11_lease *l, ck_object_handle_t obj,
			    ck_attribute_type_t type, bool *v);
/* Find objects matching a template; *out malloc'd, at most
 * KS_P11_OBJECTS_MAX. */
KS_WUR int ks_p11_find(struct ks_p11_lease *l, struct ck_attribute *tmpl, unsigned long n,
		       ck_object_handle_t **out, size_t *count_out);
/* All X.509 certificates on the token (CKO_CERTIFICATE/CKC_X_509). */
KS_WUR int ks_p11_token_certs(struct ks_p11_lease *l, STACK_OF(X509) * *out);
/* Public key material of a private key: RSA modulus or EC point (as
 * in the certificate's SubjectPublicKeyInfo), from the key itself or the
 * public key object with the same CKA_ID.  Empty when unknown. */
KS_WUR int ks_p11_key_pub(struct ks_p11_lease *l, ck_object_handle_t key, unsigned long ktype,
			  const struct ks_buf *id, struct ks_buf *pub);
/* Does cert's public key equal `pub` (from ks_p11_key_pub)? */
bool ks_p11_cert_matches(X509 *cert, unsigned long ktype, const struct ks_buf *pub);
/* Certificate for a key: by CKA_ID, then by public key among the token's
 * and extra certificates.  *cert is up-ref'd; NOT_FOUND when none. */
KS_WUR int ks_p11_find_cert(struct ks_p11_lease *l, const struct ks_buf *id, unsigned long ktype,
			    const struct ks_buf *pub, STACK_OF(X509) * token_certs,
			    STACK_OF(X509) * extra, X509 **cert);
/* Issuers of cert among `pool`, nearest first, up to a self-signed one. */
KS_WUR int ks_p11_build_chain(X509 *cert, STACK_OF(X509) * pool, STACK_OF(X509) * *chain);

/* Keys (ks_p11_key.c). */
struct ks_p11_found {
	ck_object_handle_t handle;
	char *label;
	struct ks_buf id;
	unsigned long ktype;
};
/* Private keys visible in the session that match u's object part (u may
 * be NULL: all).  *out malloc'd; free with ks_p11_found_free(). */
KS_WUR int ks_p11_privkeys(struct ks_p11_lease *l, const struct ks_p11_uri *u,
			   struct ks_p11_found **out, size_t *n);
void ks_p11_found_free(struct ks_p11_found *v, size_t n);
/* The URI naming one private key on token t (no PIN, no module). */
KS_WUR int ks_p11_object_uri(const struct ks_p11_token_info *t, const char *label,
			     const struct ks_buf *id, struct ks_buf *out);

/* Transient failures (ks_p11_module.c).  A token another process is
 * rewriting (SoftHSM2 rewrites its token file at every C_Login, and a
 * reader meanwhile may see it empty) fails for a moment: the sites that
 * see such a failure note it; ks_p11_key_open() takes the note and tries
 * again with a short bounded back-off. */
void ks_p11_transient_note(void);
bool ks_p11_transient_take(void);
/* Finalise and initialise every module again (a module may have read a
 * token half-written and keep that state) when nothing holds a token:
 * no key open, no session on loan.  True when reloaded. */
bool ks_p11_reload_if_idle(void);

/* "CKR_PIN_INCORRECT" ... or "CKR_0x...". */
const char *ks_p11_rv_name(ck_rv_t rv);
/* Copy a blank-padded PKCS#11 field into a trimmed NUL-terminated one. */
void ks_p11_field(char *dst, size_t dstlen, const unsigned char *src, size_t srclen);
/* Login attempts process-wide (tests check "exactly once"). */
unsigned long ks_p11_login_attempts_inc(void);

#endif
