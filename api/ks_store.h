/* ks_store: the shared state of the signing service behind one interface
 * (DESIGN.md, API: clients, grants, prepared signatures, the audit log,
 * activation nonces and session counts, the revocation cache index).
 *
 * The handlers see only this header: a backend is a table of operations
 * (struct ks_store_ops) chosen by the store URL.  SQLite is built in
 * ("sqlite:PATH" or a plain path); a PostgreSQL backend for several
 * instances behind a load balancer adds a row to the table below and
 * nothing else.  Every operation is safe to call from many threads; every
 * change is one transaction, durable when it returns.
 *
 * Nothing here interprets what it stores beyond what the queries need:
 * the prepared state's meta data and document, audit entries and
 * checkpoints are bytes given by api/ (ks_audit, the sign handlers). */
#ifndef KS_STORE_H
#define KS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ks_buf.h"
#include "ks_err.h"

#define KS_STORE_NAME_MAX 64 /* client, key and instance names, with the NUL */
#define KS_STORE_ID_MAX 40   /* client and prepared ids, with the NUL */
#define KS_STORE_GRANTS_MAX 32
#define KS_STORE_HASH_LEN 32    /* SHA-256 */
#define KS_STORE_DIGEST_MAX 136 /* hex of a SHA-512 digest, with the NUL */
#define KS_STORE_URL_MAX 4096
/* Largest blob kept (a prepared document, an audit entry, a checkpoint). */
#define KS_STORE_BLOB_MAX ((size_t)256 << 20)
#define KS_STORE_ENTRY_MAX ((size_t)16 << 10)
#define KS_STORE_CHECKPOINT_MAX ((size_t)64 << 10)
/* Rows one record id lookup returns at most. */
#define KS_STORE_RECORD_ROWS_MAX 256

/* Operations a client may be granted. */
enum ks_store_op {
	KS_OP_SIGN = 1u << 0,      /* POST /v1/sign */
	KS_OP_PREPARE = 1u << 1,   /* POST /v1/sign/prepare and /complete */
	KS_OP_TIMESTAMP = 1u << 2, /* POST /v1/timestamp */
	KS_OP_VERIFY = 1u << 3,    /* POST /v1/verify (public anyway; no rate limit) */
};
#define KS_OP_ALL (KS_OP_SIGN | KS_OP_PREPARE | KS_OP_TIMESTAMP | KS_OP_VERIFY)

/* "sign,prepare" -> bits; KS_ERR_ARG for an unknown name. */
KS_WUR int ks_store_ops_parse(const char *s, unsigned *ops);
/* Bits -> "sign,prepare" (at most 64 bytes). */
void ks_store_ops_text(unsigned ops, char *out, size_t n);
/* Names of clients, keys, instances: 1..63 of [A-Za-z0-9._-]. */
bool ks_store_name_ok(const char *s);

struct ks_store_client {
	char id[KS_STORE_ID_MAX]; /* the public part of the client's token */
	char name[KS_STORE_NAME_MAX];
	uint8_t secret_hash[KS_STORE_HASH_LEN]; /* SHA-256 of the token's secret part */
	unsigned ops;                           /* enum ks_store_op bits */
	char grants[KS_STORE_GRANTS_MAX][KS_STORE_NAME_MAX]; /* key names */
	size_t n_grants;
	int64_t created, revoked; /* Unix seconds; revoked 0: active */
};

/* A prepared signature (two-phase signing). */
struct ks_store_prepared {
	char id[KS_STORE_ID_MAX];
	char client[KS_STORE_ID_MAX];
	uint8_t cert_hash[KS_STORE_HASH_LEN]; /* SHA-256 of the signer certificate (DER) */
	int64_t created, expires;             /* Unix seconds */
	bool used;
	struct ks_buf meta; /* what phase 2 needs, as the handlers encode it */
	struct ks_buf doc;  /* the document kept between the phases */
};
void ks_store_prepared_init(struct ks_store_prepared *p);
void ks_store_prepared_cleanup(struct ks_store_prepared *p);

/* Why a prepared signature cannot be claimed. */
enum ks_store_claim {
	KS_CLAIM_OK = 0,
	KS_CLAIM_NOT_FOUND,
	KS_CLAIM_OTHER_CLIENT,
	KS_CLAIM_EXPIRED,
	KS_CLAIM_USED,
};

/* One audit append, inside the store's transaction: the callback gets the
 * instance's row count (its last sequence number) and latest checkpoint,
 * and gives the new rows (sequence numbers size+1 ... in order) and the
 * checkpoint that covers them. */
struct ks_store_audit_txn {
	uint64_t size;                   /* in: rows of the instance so far */
	const struct ks_buf *last;       /* in: the latest checkpoint's body; empty when none */
	size_t n;                        /* out: rows to add */
	const struct ks_buf *entries;    /* out: n entries */
	const char *const *digests;      /* out: n lookup digests (hex, "" for none) */
	const char *const *records;      /* out: n record ids ("" for none); may be NULL */
	const struct ks_buf *checkpoint; /* out: the new latest checkpoint's body */
	int64_t checkpoint_time;         /* out */
	bool keep;                       /* out: also keep it as a permanent checkpoint */
};
typedef int (*ks_store_audit_fn)(void *arg, struct ks_store_audit_txn *t);

/* What a scan of the audit log sees, row by row in storage order. */
typedef int (*ks_store_row_fn)(void *arg, uint64_t seq, const char *digest, const uint8_t *entry,
			       size_t n);
typedef int (*ks_store_checkpoint_fn)(void *arg, uint64_t size, int64_t time, bool latest,
				      const uint8_t *body, size_t n);
typedef int (*ks_store_client_fn)(void *arg, const struct ks_store_client *c);

struct ks_store;

struct ks_store_opts {
	/* Durability of each commit: true (default) waits until it is on
	 * disk; false survives a crash of the process but not of the
	 * machine. */
	bool sync_full;
	unsigned connections; /* 0: KS_STORE_CONNECTIONS_DEFAULT */
	unsigned busy_ms;     /* wait for another writer (the CLI); 0: 5000 */
};
#define KS_STORE_CONNECTIONS_DEFAULT 8
#define KS_STORE_CONNECTIONS_MAX 64

struct ks_store_ops {
	const char *scheme; /* "sqlite" */
	int (*open)(const char *target, const struct ks_store_opts *o, struct ks_store **out);
	void (*close)(struct ks_store *s);
	int (*ping)(struct ks_store *s);
	int (*client_add)(struct ks_store *s, const struct ks_store_client *c);
	int (*client_get)(struct ks_store *s, const char *id, struct ks_store_client *c);
	int (*client_revoke)(struct ks_store *s, const char *name, int64_t now);
	int (*client_list)(struct ks_store *s, ks_store_client_fn fn, void *arg);
	int (*prepared_put)(struct ks_store *s, const struct ks_store_prepared *p);
	int (*prepared_get)(struct ks_store *s, const char *id, struct ks_store_prepared *p);
	int (*prepared_claim)(struct ks_store *s, const char *id, const char *client, int64_t now,
			      enum ks_store_claim *why);
	int (*purge)(struct ks_store *s, int64_t now, int64_t keep_used_s);
	int (*nonce_use)(struct ks_store *s, const char *nonce, int64_t expires, bool *fresh);
	int (*audit_append)(struct ks_store *s, const char *instance, ks_store_audit_fn fn,
			    void *arg);
	int (*audit_scan)(struct ks_store *s, const char *instance, ks_store_row_fn fn, void *arg);
	int (*audit_find)(struct ks_store *s, const char *instance, const char *digest,
			  uint64_t *seqs, size_t max, size_t *n);
	int (*audit_checkpoints)(struct ks_store *s, const char *instance,
				 ks_store_checkpoint_fn fn, void *arg);
	int (*audit_record)(struct ks_store *s, const char *instance, const char *record,
			    size_t max, ks_store_row_fn fn, void *arg);
	int (*cache_put)(struct ks_store *s, const char *key, const uint8_t *v, size_t n,
			 int64_t expires);
	int (*cache_get)(struct ks_store *s, const char *key, int64_t now, struct ks_buf *v);
	int (*session_use)(struct ks_store *s, const char *nonce, unsigned uses, int64_t expires,
			   int64_t now, unsigned n, bool *granted, unsigned *used);
};

struct ks_store {
	const struct ks_store_ops *ops;
};

void ks_store_opts_init(struct ks_store_opts *o);
/* "sqlite:PATH", or a path (SQLite).  The database is created with its
 * schema when missing.  KS_ERR_UNSUPPORTED for a backend not built in. */
KS_WUR int ks_store_open(const char *url, const struct ks_store_opts *o, struct ks_store **out);
void ks_store_close(struct ks_store *s);
KS_WUR int ks_store_ping(struct ks_store *s);

/* ---- clients ---- */
/* KS_ERR_ARG when the name or id is taken. */
KS_WUR int ks_store_client_add(struct ks_store *s, const struct ks_store_client *c);
/* KS_ERR_NOT_FOUND when there is none (revoked clients are found). */
KS_WUR int ks_store_client_get(struct ks_store *s, const char *id, struct ks_store_client *c);
/* KS_ERR_NOT_FOUND when no active client has that name. */
KS_WUR int ks_store_client_revoke(struct ks_store *s, const char *name, int64_t now);
/* In order of creation. */
KS_WUR int ks_store_client_list(struct ks_store *s, ks_store_client_fn fn, void *arg);

/* ---- prepared signatures ---- */
/* KS_ERR_ARG when the id is taken. */
KS_WUR int ks_store_prepared_put(struct ks_store *s, const struct ks_store_prepared *p);
/* KS_ERR_NOT_FOUND when there is none. */
KS_WUR int ks_store_prepared_get(struct ks_store *s, const char *id, struct ks_store_prepared *p);
/* Mark it used, atomically, when it exists, belongs to `client`, has
 * not expired at `now` and was not used: then *why is KS_CLAIM_OK, and
 * no other claim of the same id ever succeeds.  Otherwise nothing
 * changes and *why says which condition failed. */
KS_WUR int ks_store_prepared_claim(struct ks_store *s, const char *id, const char *client,
				   int64_t now, enum ks_store_claim *why);
/* Delete expired prepared signatures, used ones older than keep_used_s,
 * expired nonces and cache entries. */
KS_WUR int ks_store_purge(struct ks_store *s, int64_t now, int64_t keep_used_s);

/* ---- activation nonces ---- */
/* Record `nonce` (kept until `expires`): *fresh is false when it was
 * recorded before. */
KS_WUR int ks_store_nonce_use(struct ks_store *s, const char *nonce, int64_t expires, bool *fresh);

/* ---- session activations ---- */
/* Count `n` more uses of the session activation `nonce`, which allows
 * `uses` in all until `expires`, atomically: *granted when they fit
 * (then *used is the count with these), otherwise nothing changes and no
 * concurrent call can push the count past `uses`.  Sessions expired at
 * `now` are forgotten. */
KS_WUR int ks_store_session_use(struct ks_store *s, const char *nonce, unsigned uses,
				int64_t expires, int64_t now, unsigned n, bool *granted,
				unsigned *used);

/* ---- audit log ---- */
KS_WUR int ks_store_audit_append(struct ks_store *s, const char *instance, ks_store_audit_fn fn,
				 void *arg);
/* Every row of the instance in storage order (not sorted by sequence
 * number: a reordered row shows). */
KS_WUR int ks_store_audit_scan(struct ks_store *s, const char *instance, ks_store_row_fn fn,
			       void *arg);
/* Sequence numbers of the rows whose lookup digest is `digest`. */
KS_WUR int ks_store_audit_find(struct ks_store *s, const char *instance, const char *digest,
			       uint64_t *seqs, size_t max, size_t *n);
/* The latest `max` rows whose record id (the document's identifier,
 * docs/records.md) is exactly `record`, newest first.  Only an exact
 * match is ever looked up. */
KS_WUR int ks_store_audit_record(struct ks_store *s, const char *instance, const char *record,
				 size_t max, ks_store_row_fn fn, void *arg);
/* The instance's checkpoints, permanent ones by size, then the latest. */
KS_WUR int ks_store_audit_checkpoints(struct ks_store *s, const char *instance,
				      ks_store_checkpoint_fn fn, void *arg);

/* ---- cache index (revocation data) ---- */
KS_WUR int ks_store_cache_put(struct ks_store *s, const char *key, const uint8_t *v, size_t n,
			      int64_t expires);
/* KS_ERR_NOT_FOUND when missing or expired at `now`. */
KS_WUR int ks_store_cache_get(struct ks_store *s, const char *key, int64_t now, struct ks_buf *v);

/* The built-in backends. */
extern const struct ks_store_ops ks_store_sqlite_ops;

#endif
