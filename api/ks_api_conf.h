/* ks_api_conf: the configuration of `kyso serve` (docs/configuration.md).
 *
 * One file of sections and `name = value` lines:
 *
 *   # comment
 *   [server]
 *   listen = 127.0.0.1:8340
 *   [key "seal"]
 *   uri = pkcs11:token=school-seal;object=tok-seal-rsa;type=private
 *
 * A value runs to the end of its line (spaces around it dropped; no
 * quoting, no inline comments).  Unknown sections and names, repeats, a
 * value out of range: refused with the line number.  Every option has a
 * default that serves the demo set-up (`make run`): state under ./var,
 * the test PKI's SoftHSM2 tokens, the built-in TSA, 127.0.0.1. */
#ifndef KS_API_CONF_H
#define KS_API_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "ks_buf.h"
#include "ks_err.h"

#define KS_CONF_FILE_MAX ((size_t)1 << 20)
#define KS_CONF_LINE_MAX 4096
#define KS_CONF_KEYS_MAX 64
#define KS_CONF_NAME_MAX 64
#define KS_CONF_BATCH_MAX 1000 /* documents of one batch request, at most */

enum ks_conf_md { KS_CONF_SHA256 = 1u << 0, KS_CONF_SHA384 = 1u << 1, KS_CONF_SHA512 = 1u << 2 };

/* A key the service signs with: a token key (uri) or a key file. */
struct ks_api_key_conf {
	char name[KS_CONF_NAME_MAX];
	char *uri; /* pkcs11:... (may carry pin-source) */
	char *key_file, *cert, *chain;
	bool personal;           /* needs the holder's activation per request */
	char *activation_key;    /* PEM public key that signs activations */
	bool session_activation; /* also accepts session activations (N uses) */
};

struct ks_api_conf {
	/* [server] */
	char *listen;
	unsigned threads;
	size_t max_body;
	unsigned max_connections;
	unsigned timeout_s;
	unsigned drain_s;
	char *tls_cert, *tls_key;
	char *openapi;         /* the API description served at /v1/openapi.yaml */
	char *trusted_proxies; /* reverse proxies whose X-Forwarded-For counts */
	/* [state] */
	char *dir;
	char *store;
	char *instance;
	char *maintenance_file;
	bool sync_full;
	unsigned commit_delay_ms; /* the audit writer waits for more rows at most this long */
	/* [signing] */
	unsigned prepared_ttl_s;
	unsigned digests; /* enum ks_conf_md bits allowed */
	unsigned activation_ttl_max_s;
	unsigned batch_max;              /* documents of one batch request */
	unsigned session_ttl_max_s;      /* lifetime of a session activation */
	unsigned session_signatures_max; /* signatures one session allows */
	unsigned retry_after_s;
	unsigned cert_warn_days;
	unsigned keepalive_s;
	char *revocation; /* pre-signing revocation check: require, prefer, off */
	/* [verify] */
	char *trust;
	unsigned rate;          /* requests per second per client network */
	unsigned burst;         /* requests at once per client network */
	bool verify_revocation; /* check revocation in /v1/verify */
	/* [tsa] */
	char *tsa_key, *tsa_key_file, *tsa_cert, *tsa_chain;
	char *tsa_listen;
	char *tsa_url; /* an outside TSA instead of the built-in one */
	char *tsa_policy;
	/* [audit] */
	char *audit_key, *audit_key_file, *audit_cert;
	unsigned checkpoint_keep_s;
	unsigned refusal_window_s;   /* seconds an aggregated refusal row covers */
	unsigned refusal_rows;       /* refusal rows of their own per address per window */
	unsigned refusal_rows_total; /* ... and from all addresses together */
	/* [key "NAME"] */
	struct ks_api_key_conf keys[KS_CONF_KEYS_MAX];
	size_t n_keys;
};

/* Defaults only (no file). */
KS_WUR int ks_api_conf_defaults(struct ks_api_conf *c);
/* Defaults, then the file at `path`. */
KS_WUR int ks_api_conf_load(const char *path, struct ks_api_conf *c);
/* The same over text in memory (`name` for messages). */
KS_WUR int ks_api_conf_parse(const uint8_t *text, size_t n, const char *name,
			     struct ks_api_conf *c);
void ks_api_conf_cleanup(struct ks_api_conf *c);

/* The key named `name`, or whose URI (without its query) is `name`;
 * NULL when none. */
const struct ks_api_key_conf *ks_api_conf_key(const struct ks_api_conf *c, const char *name);

#endif
